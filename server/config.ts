/**
 * Turns argv and environment into a typed config. Binding is loopback unless the user says the
 * dangerous flag out loud: the relay launches processes, so exposing it is remote code execution.
 */
import os from "node:os";
import path from "node:path";
import { agentCommandEntry } from "./agent-cmd";
import { FlagSyntaxError, type ReadFlag, readFlags } from "./cli-flags";
import type { CatalogEntry } from "./catalog";
import { CatalogError, ConfigError } from "./errors";
import { checkBehaviour, DEFAULT_OAUTH_PORT, type OAuthBehaviour } from "./oauth-emulator";

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  dev: boolean;
  defaultCwd: string;
  ringFrames: number;
  ringBytes: number;
  maxLineBytes: number;
  keepRuns: number;
  /** Agent processes alive at once: runs, matrix probes, scratch runs, profile checks. */
  maxAgents: number;
  openBrowser: boolean;
  quiet: boolean;
  /**
   * `--agent-cmd "<command line>"` (repeatable): catalog entries `cmd-1`, `cmd-2`… for this start,
   * listed first so the UI selects the first. Argv from the person who started the server, split
   * without a shell, trusted like agents.json; the browser still only picks an id.
   */
  agentCommands: CatalogEntry[];
  /** Port of the OAuth emulator on 127.0.0.1 (server/oauth-emulator.ts); 0 picks a free one. */
  oauthPort: number;
  /** --oauth-port was given: a busy port is an error. Otherwise a busy default falls back to a free port. */
  oauthPortFixed: boolean;
  /** The emulator's starting behaviour, from the --oauth-* flags (changeable live from the UI). */
  oauthBehaviour: Partial<OAuthBehaviour>;
  /**
   * `--kimi-oauth-host URL`: where a Kimi agent's terminal login (Auth tab) goes instead of Kimi's
   * auth server (emulated profiles and the OAuth lab keep the emulator). From the person who started
   * the server, like agents.json; the test suite points it at a closed loopback port.
   */
  kimiOAuthHost?: string;
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_HOSTS.has(host.toLowerCase()) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export const USAGE = `Usage: npm start -- [options]
  --port N              port (default 3000, or PORT; 0 picks a free one)
  --host H              bind address (default 127.0.0.1; loopback only unless --dangerously-bind-non-loopback)
  --data-dir DIR        where profiles, agents.json and run homes live (default ~/.acp-playground, or ACP_PLAYGROUND_HOME)
  --cwd DIR             default working directory for agents (default <data-dir>/workspace)
  --ring-frames N       frames kept per run (default 100000)
  --max-line-bytes N    longest stdio line kept whole, either direction (default 64 MiB)
  --max-agents N        agent processes alive at once: runs, matrix probes, scratch runs (default 4)
  --agent-cmd "CMD ARGS"  inspect any ACP agent: a catalog entry for this start, selected first
                        (repeatable; split without a shell; a relative command is resolved from
                        the directory you ran npm start in)
  --oauth-port N        port of the Kimi OAuth emulator on 127.0.0.1 (default 3978; 0 picks a free one)
  --oauth-approval A    device codes: manual (approve on the page) | approve | deny | expire (default manual)
  --oauth-refresh R     refresh answer: ok | invalid_grant | 401 | 500 | drop | timeout (default ok)
  --oauth-token-ttl S   access-token lifetime in seconds (default 900)
  --oauth-pending-polls N  authorization_pending answers before an automatic decision (default 0)
  --oauth-slow-down     answer slow_down to the first poll of each device code
  --oauth-no-rotate     keep the refresh token on refresh (default: rotate)
  --oauth-model-401     the model API answers 401 even to a valid token
  --kimi-oauth-host URL where Kimi's terminal login goes (default Kimi's auth server);
                        e.g. a closed 127.0.0.1 port keeps an offline machine from trying the internet
  --dev                 Next.js hot reload
  --dangerously-bind-non-loopback   allow a non-loopback --host (anyone who can reach it can run agents)`;

/** Switches: present or absent, never given a value. */
const BOOLEAN_FLAGS = new Set(["dev", "dangerously-bind-non-loopback", "no-open", "quiet", "help", "oauth-slow-down", "oauth-no-rotate", "oauth-model-401"]);

export function parseConfig(argv: string[], env: Readonly<Record<string, string | undefined>>): Config {
  const flags = new Map<string, string | true>();
  const agentCmds: string[] = [];
  const known = new Set(["agent-cmd", "port", "host", "data-dir", "cwd", "ring-frames", "max-line-bytes", "max-agents", "keep-runs", "dev", "dangerously-bind-non-loopback", "no-open", "quiet", "help",
    "oauth-port", "oauth-approval", "oauth-refresh", "oauth-token-ttl", "oauth-pending-polls", "oauth-slow-down", "oauth-no-rotate", "oauth-model-401", "kimi-oauth-host"]);
  const options = new Set([...known].filter((name) => !BOOLEAN_FLAGS.has(name)));
  let read: ReadFlag[];
  try {
    read = readFlags(argv, { switches: BOOLEAN_FLAGS, options });
  } catch (error) {
    if (!(error instanceof FlagSyntaxError)) throw error;
    const p = error.problem;
    if (p.kind === "positional") throw new ConfigError(`Unexpected argument "${p.arg}".`, USAGE);
    if (p.kind === "unknown") throw new ConfigError(`Unknown option --${p.name}.`, USAGE);
    // A switch is on by being there: `--dangerously-bind-non-loopback=false` must not bind 0.0.0.0.
    if (p.kind === "switch-value") throw new ConfigError(`--${p.name} takes no value (got "${p.arg}").`, `Write --${p.name} to turn it on, or leave it out to keep it off.`);
    throw new ConfigError(`${p.arg} needs a value.`, USAGE);
  }
  for (const flag of read) {
    // The one repeatable option: each --agent-cmd is another agent.
    if (flag.name === "agent-cmd" && typeof flag.value === "string") agentCmds.push(flag.value);
    else flags.set(flag.name, flag.value);
  }
  if (flags.has("help")) throw new ConfigError("Help requested.", USAGE);

  const str = (key: string): string | undefined => {
    const v = flags.get(key);
    return typeof v === "string" ? v : undefined;
  };
  const int = (key: string, fallback: number, min: number): number => {
    const raw = str(key);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new ConfigError(`--${key} must be an integer >= ${min}, not "${raw}".`);
    return n;
  };

  const portRaw = str("port") ?? env.PORT ?? "3000";
  const port = Number(portRaw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`Port must be 0-65535, not "${portRaw}".`);

  const host = str("host") ?? "127.0.0.1";
  if (!isLoopbackHost(host) && !flags.has("dangerously-bind-non-loopback")) {
    throw new ConfigError(
      `Refusing to bind ${host}: the playground launches processes, so anyone who can reach it could run agents as you.`,
      "Use the default 127.0.0.1, or add --dangerously-bind-non-loopback if you really mean it.",
    );
  }
  const oauthPort = int("oauth-port", DEFAULT_OAUTH_PORT, 0);
  if (oauthPort > 65535) throw new ConfigError(`--oauth-port must be 0-65535, not "${oauthPort}".`);
  const wanted: Record<string, unknown> = {};
  if (str("oauth-approval") !== undefined) wanted.approval = str("oauth-approval");
  if (str("oauth-refresh") !== undefined) wanted.refresh = str("oauth-refresh");
  if (str("oauth-token-ttl") !== undefined) wanted.accessTokenTtl = Number(str("oauth-token-ttl"));
  if (str("oauth-pending-polls") !== undefined) wanted.pendingPolls = Number(str("oauth-pending-polls"));
  if (flags.has("oauth-slow-down")) wanted.slowDown = true;
  if (flags.has("oauth-no-rotate")) wanted.rotateRefresh = false;
  if (flags.has("oauth-model-401")) wanted.modelRejects = true;
  // One validator for the CLI, the WebSocket command and the panel (server/oauth-emulator.ts).
  const checked = checkBehaviour(wanted);
  if (!checked.ok) throw new ConfigError(`OAuth emulator: ${checked.message}.`, USAGE);
  const kimiOAuthHost = str("kimi-oauth-host");
  if (kimiOAuthHost !== undefined && !isHttpUrl(kimiOAuthHost)) {
    throw new ConfigError(`--kimi-oauth-host must be an http:// or https:// URL, not "${kimiOAuthHost}".`, "Example: --kimi-oauth-host http://127.0.0.1:9");
  }
  const dataDir = path.resolve(str("data-dir") ?? env.ACP_PLAYGROUND_HOME ?? path.join(os.homedir(), ".acp-playground"));
  return {
    host,
    port,
    dataDir,
    dev: flags.has("dev"),
    defaultCwd: path.resolve(str("cwd") ?? path.join(dataDir, "workspace")),
    ringFrames: int("ring-frames", 100_000, 100),
    ringBytes: 512 << 20,
    maxLineBytes: int("max-line-bytes", 64 << 20, 1024),
    keepRuns: int("keep-runs", 12, 1),
    maxAgents: int("max-agents", 4, 1),
    openBrowser: false,
    quiet: flags.has("quiet"),
    agentCommands: agentCmds.map((line, i) => startupAgent(line, i, env)),
    oauthPort,
    oauthPortFixed: str("oauth-port") !== undefined,
    oauthBehaviour: checked.value,
    kimiOAuthHost,
  };
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === "http:" || url.protocol === "https:") && url.username === "" && url.password === "";
  } catch {
    return false;
  }
}

/** One --agent-cmd as a catalog entry; a relative command path means the directory npm start ran in (INIT_CWD). */
function startupAgent(line: string, index: number, env: Readonly<Record<string, string | undefined>>): CatalogEntry {
  let entry: CatalogEntry;
  try {
    entry = agentCommandEntry(line, `cmd-${index + 1}`);
  } catch (error) {
    if (error instanceof CatalogError) throw new ConfigError(error.message, error.hint);
    throw error;
  }
  if (entry.command.includes("/") && !path.isAbsolute(entry.command)) entry.command = path.resolve(env.INIT_CWD ?? process.cwd(), entry.command);
  return entry;
}
