/**
 * `npm run conformance`: the auth conformance check of one agent without a browser, for CI. The
 * agent runs once per client-capability variant and protocol version in a fresh logged-out home
 * (server/conformance-run.ts); lib/conformance.ts judges the frames against ACP's auth MUSTs and
 * JSON-RPC's basics. Exit status: 0 no MUST failed (SHOULDs are warnings), 1 a MUST failed,
 * 2 the invocation cannot run.
 */
import { writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { formatConformanceJunit, formatConformanceTable, toConformanceJson } from "../lib/conformance-report";
import { Redactor } from "../lib/redact";
import { agentCommandEntry } from "../server/agent-cmd";
import { Catalog, type CatalogEntry } from "../server/catalog";
import { DEFAULT_REQUEST_TIMEOUT_MS, type ProtocolChoice, runConformance } from "../server/conformance-run";
import { printUsage, runCli } from "../server/cli-main";
import { PlaygroundError, UsageError } from "../server/errors";
import { dirFlag, formatFlag, protocolFlag, scriptFlags, timeoutFlag } from "../server/script-flags";
import { OAuthEmulator } from "../server/oauth-emulator";
import { ProfileStore } from "../server/profiles";

const FORMATS = ["table", "json", "junit"] as const;
type Format = (typeof FORMATS)[number];

const USAGE = `Usage: npm run -s conformance -- (--agent <catalog id> | --agent-cmd "<command line>") [--protocol 1|2] --format table|json|junit [--out FILE]
  --agent ID              a catalog agent (built-ins: kimi-2.1.0, kimi-0.28.0, reference-<behaviour>, or agents.json)
  --agent-cmd "CMD ARGS"  any ACP agent command line, split without a shell
  --protocol 1|2          check only this ACP version (default: both)
  --format F              table (default) | json | junit
  --out FILE              write the result to FILE instead of stdout
  --timeout MS            how long one request may go unanswered (default ${DEFAULT_REQUEST_TIMEOUT_MS})
  --data-dir DIR          profiles and agents.json (default ACP_PLAYGROUND_HOME or ~/.acp-playground)
The agent runs once per client-capability variant (none, auth.terminal, legacy _meta, both + elicitation)
and per protocol version, each time in a fresh logged-out home, without credentials.
Exit status: 0 no MUST failed (SHOULD failures are warnings), 1 a MUST failed, 2 bad usage.`;

const SEE_HELP = "Run `npm run conformance -- --help` for the options.";

interface Args {
  agent?: string;
  agentCmd?: string;
  protocols: ProtocolChoice[];
  format: Format;
  out?: string;
  timeoutMs: number;
  dataDir: string;
  help: boolean;
}

function parseArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): Args {
  const args: Args = { protocols: [1, 2], format: "table", timeoutMs: DEFAULT_REQUEST_TIMEOUT_MS, dataDir: path.resolve(env.ACP_PLAYGROUND_HOME ?? path.join(os.homedir(), ".acp-playground")), help: false };
  const options = new Set(["agent", "agent-cmd", "protocol", "format", "out", "timeout", "data-dir"]);
  const flags = scriptFlags(argv, { options }, `Options start with --; quote the command line given to --agent-cmd. ${SEE_HELP}`, SEE_HELP);
  const seen = new Set<string>();
  for (const { name, value } of flags) {
    if (value === true) {
      args.help = true;
      continue;
    }
    if (seen.has(name)) throw new UsageError(`--${name} is given twice.`, SEE_HELP);
    seen.add(name);
    switch (name) {
      case "agent":
        args.agent = value;
        break;
      case "agent-cmd":
        args.agentCmd = value;
        break;
      case "protocol":
        args.protocols = [protocolFlag(value, SEE_HELP)];
        break;
      case "format":
        args.format = formatFlag(value, FORMATS);
        break;
      case "out":
        args.out = path.resolve(value);
        break;
      case "timeout":
        args.timeoutMs = timeoutFlag(value, 100, SEE_HELP);
        break;
      case "data-dir":
        args.dataDir = dirFlag(value);
        break;
    }
  }
  if (!args.help && (args.agent === undefined) === (args.agentCmd === undefined)) {
    throw new UsageError("Give exactly one of --agent and --agent-cmd.", SEE_HELP);
  }
  return args;
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv, process.env);
  if (args.help) return printUsage(USAGE);
  const catalog = new Catalog(args.dataDir);
  if (catalog.error) process.stderr.write(`conformance: warning: ${catalog.error.message}\n`);
  let entry: CatalogEntry;
  try {
    entry = args.agentCmd !== undefined ? agentCommandEntry(args.agentCmd, args.agentCmd) : catalog.get(args.agent as string);
  } catch (error) {
    // Naming an agent that is not there is a usage problem, not a verdict.
    if (error instanceof PlaygroundError) throw new UsageError(error.message, error.hint);
    throw error;
  }
  const store = new ProfileStore(args.dataDir);
  await store.init();
  const profile = store.get("logged-out");
  if (!profile) throw new PlaygroundError("The built-in Logged out profile is missing.", "Delete the data dir's profiles file to restore the built-ins.");
  const redactor = new Redactor(store.secrets());
  const redact = (text: string): string => redactor.redact(text);
  const oauth = entry.oauthLab ? new OAuthEmulator({ port: 0 }) : undefined;
  try {
    if (oauth) await oauth.start();
    const { report, frames } = await runConformance({
      entry,
      protocols: args.protocols,
      profile,
      dataDir: args.dataDir,
      oauth,
      redact,
      requestTimeoutMs: args.timeoutMs,
      // A command line typed by the user names files relative to where they typed it.
      spawnCwd: args.agentCmd !== undefined ? process.cwd() : undefined,
      progress: (done, total) => {
        if (process.stderr.isTTY) process.stderr.write(`\rconformance: ${done}/${total} processes`);
      },
    });
    if (process.stderr.isTTY) process.stderr.write("\n");
    const json = toConformanceJson(report, frames);
    const text = args.format === "json" ? `${JSON.stringify(json, null, 2)}\n` : args.format === "junit" ? formatConformanceJunit(json, new Date().toISOString()) : formatConformanceTable(json);
    if (args.out) await writeFile(args.out, text);
    else process.stdout.write(text);
    return report.mustFailed ? 1 : 0;
  } finally {
    await oauth?.close();
  }
}

void runCli("conformance", main);
