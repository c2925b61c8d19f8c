/**
 * Where an agent may keep state: inside its run's home and nowhere else. Every agent finds its
 * home through HOME and the XDG base directories, and some through a variable of their own
 * (Codex CODEX_HOME, Claude CLAUDE_CONFIG_DIR, …). The relay sets all of them, for every run of
 * every agent, to directories inside the run's home, so an `authenticate` that writes a key file,
 * a token refresh or hundreds of MB of caches land there and go with the run, never in the server
 * user's own home. Only the "existing home" profile kind names a real directory, and then that
 * directory is the home. The agents' own variables were read from the pinned packages' code
 * (see docs/other-agents.md); agents.json may declare them for other agents (`homeEnv`).
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";

/** The XDG base directories, at their standard places inside the home. */
export const XDG_HOME_DIRS: Readonly<Record<string, string>> = {
  XDG_CONFIG_HOME: ".config",
  XDG_DATA_HOME: ".local/share",
  XDG_STATE_HOME: ".local/state",
  XDG_CACHE_HOME: ".cache",
};

/** One agent the relay knows: how it is recognised in a command line, and its own home variables. */
export interface KnownAgentHome {
  name: string;
  /** npm package names (matched as `…/node_modules/<pkg>/…`, `<pkg>` or `<pkg>@version`). */
  packages: readonly string[];
  /** Program names (the basename of the command or of a script argument, extension dropped). */
  bins: readonly string[];
  /** Variable → directory relative to HOME (`.` is HOME itself). */
  homeEnv: Readonly<Record<string, string>>;
}

/**
 * The seven agents of docs/other-agents.md. Each variable was checked in that package's code:
 * codex-acp fails when CODEX_HOME does not exist (so the relay creates it); Gemini's
 * GEMINI_CLI_HOME replaces os.homedir() (it keeps `.gemini/` under it); QWEN_HOME is Qwen's
 * `~/.qwen`; COPILOT_HOME is Copilot's `~/.copilot`. OpenCode and Auggie use only HOME and XDG.
 */
export const KNOWN_AGENT_HOMES: readonly KnownAgentHome[] = [
  { name: "Codex", packages: ["@zed-industries/codex-acp"], bins: ["codex-acp"], homeEnv: { CODEX_HOME: ".codex" } },
  { name: "Claude Agent", packages: ["@zed-industries/claude-agent-acp", "@zed-industries/claude-code-acp"], bins: ["claude-agent-acp", "claude-code-acp"], homeEnv: { CLAUDE_CONFIG_DIR: ".claude" } },
  { name: "Gemini CLI", packages: ["@google/gemini-cli"], bins: ["gemini"], homeEnv: { GEMINI_CLI_HOME: "." } },
  { name: "Qwen Code", packages: ["@qwen-code/qwen-code"], bins: ["qwen"], homeEnv: { QWEN_HOME: ".qwen" } },
  { name: "GitHub Copilot CLI", packages: ["@github/copilot"], bins: ["copilot"], homeEnv: { COPILOT_HOME: ".copilot" } },
  { name: "OpenCode", packages: ["opencode-ai"], bins: ["opencode"], homeEnv: {} },
  { name: "Auggie", packages: ["@augmentcode/auggie"], bins: ["auggie"], homeEnv: {} },
];

function binName(token: string): string {
  return path.basename(token).replace(/\.(c?js|mjs|exe)$/, "");
}

function tokenNamesPackage(token: string, pkg: string): boolean {
  const t = token.replace(/\\/g, "/");
  return t === pkg || t.startsWith(`${pkg}@`) || t.includes(`/node_modules/${pkg}/`) || t.endsWith(`/node_modules/${pkg}`);
}

/** Which known agent a command line runs (by package path or program name), if any. */
export function recognizeAgent(argv: readonly string[]): KnownAgentHome | undefined {
  for (const known of KNOWN_AGENT_HOMES) {
    if (argv.some((token) => known.packages.some((pkg) => tokenNamesPackage(token, pkg)))) return known;
  }
  // By program name only for the command and a script it runs (never for plain arguments).
  const programs = argv.slice(0, 2).map(binName);
  return KNOWN_AGENT_HOMES.find((known) => programs.some((p) => known.bins.includes(p)));
}

/** Why a declared `homeEnv` directory is unusable: it must stay inside the home. */
export function homeDirProblem(rel: string): string | undefined {
  if (typeof rel !== "string" || rel.length === 0) return "it must be a directory relative to the run's HOME (\".\" for HOME itself)";
  if (path.isAbsolute(rel) || rel.startsWith("~")) return `"${rel}" is absolute; it must be relative to the run's HOME`;
  if (rel.split(/[\\/]/).includes("..")) return `"${rel}" leaves the run's HOME`;
  return undefined;
}

/**
 * The relay's variables for an agent whose home is `home`: HOME, the XDG directories and the
 * agent's own home variables, all inside it. With `create`, the agent's own directories are made
 * (private) first, since some agents (Codex) refuse a home variable that names a missing one; an
 * existing home used in place gets nothing written, so a variable whose directory is missing there
 * is left to the agent's default (which, with HOME set, is the same place).
 */
export async function runHomeEnv(home: string, agentHomeEnv: Readonly<Record<string, string>>, opts: { create: boolean }): Promise<Record<string, string>> {
  const env: Record<string, string> = { HOME: home };
  const dirs = { ...XDG_HOME_DIRS, ...agentHomeEnv };
  for (const [name, rel] of Object.entries(dirs)) {
    const problem = homeDirProblem(rel);
    if (problem) continue; // agents.json is checked when it is read; this only guards the spawn.
    const dir = path.join(home, rel);
    // XDG directories are made by whoever writes there first (a logged-out home stays empty).
    if (name in agentHomeEnv) {
      if (opts.create) await mkdir(dir, { recursive: true, mode: 0o700 });
      else if (!existsSync(dir)) continue;
    }
    env[name] = dir;
  }
  return env;
}
