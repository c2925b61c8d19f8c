/**
 * The command lines a terminal auth method asks the client to run, under both conventions that
 * exist in the wild: the spec's (the agent's own command plus the method's `args` and `env`) and
 * the legacy `_meta["terminal-auth"]` one (an explicit `command` + `args`). The relay runs them in
 * a pty and the UI shows them, so both get them from here. Isomorphic: paths are plain strings.
 */
import type { AuthMethodView } from "./selectors";

export interface LoginCommand {
  argv: string[];
  /** Variables the method asks for; they override the profile's environment of the same name. */
  env: Record<string, string>;
}

export interface LoginCommands {
  spec?: LoginCommand;
  legacy?: LoginCommand;
}

const SCRIPT_RE = /\.(mjs|cjs|js)$/i;

function basename(file: string): string {
  return file.slice(Math.max(file.lastIndexOf("/"), file.lastIndexOf("\\")) + 1);
}

/** `node`, `node22`, `nodejs`, `node.exe`, or a path ending in one of them. */
export function isNodeRuntime(file: string): boolean {
  return /^node(js|\d+)?(\.exe)?$/i.test(basename(file));
}

export function isScriptPath(file: string): boolean {
  return SCRIPT_RE.test(file);
}

function stringMap(value: unknown): Record<string, string> | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) if (typeof v === "string") out[k] = v;
  return out;
}

/**
 * Both command lines of a terminal method (none for agent methods, which run via authenticate).
 * With `redact`, every argument and env value passes through it: that form is for display only.
 */
export function loginCommands(method: AuthMethodView, agentArgv: string[], redact?: (s: string) => string): LoginCommands {
  const out: LoginCommands = {};
  const r = redact ?? ((s: string) => s);
  const clean = (cmd: LoginCommand): LoginCommand => ({
    argv: cmd.argv.map(r),
    env: Object.fromEntries(Object.entries(cmd.env).map(([k, v]) => [k, r(v)])),
  });
  const methodEnv = stringMap(method.env) ?? {};
  if (method.class === "terminal" && agentArgv.length > 0) {
    // The spec: the same program and base launch configuration as the ACP connection, plus args.
    out.spec = clean({ argv: [...agentArgv, ...(method.args ?? [])], env: methodEnv });
  } else if (method.class === "agent" && method.meta?.type === "terminal" && agentArgv.length > 0) {
    // Qwen Code's extension: an untyped method whose own `_meta` says `type: "terminal"` with
    // `args`. Read the way the spec reads a terminal method: the agent's own command plus args.
    const args = Array.isArray(method.meta.args) ? method.meta.args.filter((a): a is string => typeof a === "string") : [];
    out.spec = clean({ argv: [...agentArgv, ...args], env: stringMap(method.meta.env) ?? methodEnv });
  }
  if (method.legacy && (method.class === "terminal" || method.class === "legacy-terminal")) {
    const { command, args } = method.legacy;
    // Kimi's `command` is the path of dist/main.mjs: not executable on its own, and even with a
    // shebang it would pick up whatever `node` is on PATH (the machine's may be too old for Kimi).
    // Running it with the runtime that runs the agent reproduces the agent's own launch.
    // A bare `node` (Claude Code's adapter advertises `node <cli.js> /login`) means the same: the
    // agent's own runtime, which is also the only program the relay runs for a legacy login.
    const runtime = agentArgv[0];
    const onAgentNode = runtime !== undefined && isNodeRuntime(runtime);
    const argv = onAgentNode && isScriptPath(command) ? [runtime, command, ...args] : onAgentNode && isNodeRuntime(command) ? [runtime, ...args] : [command, ...args];
    // The descriptor's own env (Auggie sends one); Kimi sends the same one in both places.
    const legacyEnv = stringMap(method.legacy.env) ?? methodEnv;
    out.legacy = clean({ argv, env: legacyEnv });
  }
  return out;
}

/** A command line for people to read (and paste): POSIX-quoted, env first. Never executed. */
export function formatCommand(cmd: LoginCommand): string {
  const quote = (s: string): string => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  const env = Object.entries(cmd.env).map(([k, v]) => `${k}=${quote(v)}`);
  return [...env, ...cmd.argv.map(quote)].join(" ");
}
