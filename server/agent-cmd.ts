/**
 * `--agent-cmd "<command line>"` (the matrix CLI and `npm start`): one catalog entry from a command
 * line typed by the person who runs the playground, split into argv without a shell. These are
 * server-side argv, trusted exactly like agents.json; the browser still never supplies a command.
 * Shell syntax is refused rather than passed on as literal arguments no shell will interpret.
 */
import { CommandLineError, splitCommandLine } from "../lib/split-command";
import type { CatalogEntry } from "./catalog";
import { CatalogError } from "./errors";

/** Shell syntax means the user expected a shell; without one it would become literal arguments. */
const SHELL_OPERATORS = new Set(["|", "||", "&&", "&", ";", ">", ">>", "<", "2>", "2>&1"]);

/** The entry for one command line; `id` names it in the catalog (the CLI uses the line itself). */
export function agentCommandEntry(line: string, id: string): CatalogEntry {
  let argv: string[];
  try {
    argv = splitCommandLine(line);
  } catch (error) {
    if (error instanceof CommandLineError) throw new CatalogError(`--agent-cmd "${line}": ${error.message}`, "Close the quote, or escape the character with a backslash.");
    throw error;
  }
  if (argv.length === 0) throw new CatalogError("--agent-cmd got an empty command line.", 'e.g. --agent-cmd "npx @zed-industries/claude-agent-acp"');
  const operator = argv.find((a) => SHELL_OPERATORS.has(a));
  if (operator) {
    throw new CatalogError(`--agent-cmd "${line}" contains "${operator}", but agents run without a shell.`, "Put the pipeline or redirection in a script and give the script as the command.");
  }
  return { id, label: line.trim(), command: argv[0], args: argv.slice(1), env: {}, builtin: false };
}
