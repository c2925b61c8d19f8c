/**
 * Builds the environment of a spawned agent from an allowlist, never from the server's whole
 * environment: the relay may run with tokens and keys in its own env that an agent must not see.
 * `agentEnv` adds the catalog's and the profile home's variables, checking the latter against the
 * env policy again at the spawn (a profile file written by an older build must not bypass it), and
 * ends with the relay's own home variables (HOME, XDG, the agent's home variables), so nothing
 * before them can point an agent at the server user's home.
 */
import type { ProfileKind } from "../lib/wire";
import { checkProfileEnv, RELAY_ENV, withoutRelayEnv } from "./env-policy";
import { PlaygroundError } from "./errors";

export const ENV_ALLOWLIST = ["PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TERM", "TZ", "TMPDIR", "USER", "LOGNAME", "COLORTERM", "NO_COLOR"] as const;

export function childEnv(base: Readonly<Record<string, string | undefined>>, ...layers: Record<string, string>[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ENV_ALLOWLIST) {
    const value = base[name];
    if (typeof value === "string") env[name] = value;
  }
  if (!env.PATH) env.PATH = "/usr/local/bin:/usr/bin:/bin";
  if (!env.TERM) env.TERM = "dumb";
  for (const layer of layers) Object.assign(env, layer);
  return env;
}

/**
 * An agent's whole environment: the allowlisted base, then the catalog entry's own variables
 * (server-side agents.json, trusted, but never the relay's home variables), then what the profile's
 * home adds (its kind's variables), which must pass the env policy: throws EnvPolicyError naming
 * the variable otherwise; last the home's relay variables (materialize.ts made them: HOME, XDG_*,
 * KIMI_CODE_HOME, CODEX_HOME …). A home without HOME is refused: the agent would get the server's.
 */
export function agentEnv(
  base: Readonly<Record<string, string | undefined>>,
  catalogEnv: Readonly<Record<string, string>>,
  home: { kind: ProfileKind; env: Record<string, string> },
  browser?: BrowserShimEnv,
): Record<string, string> {
  checkProfileEnv(home.kind, home.env);
  if (!home.env.HOME) throw new PlaygroundError("The run has no home of its own, so the agent was not started.", "This is a bug in the relay: every run's home sets HOME.");
  const relay = Object.fromEntries(Object.entries(home.env).filter(([name]) => RELAY_ENV.has(name)));
  const env = childEnv(base, withoutRelayEnv(catalogEnv), home.env, relay);
  return browser ? withBrowserShim(env, browser) : env;
}

/** The run's browser shim (server/browser-shim.ts): its launchers' directory and BROWSER + socket. */
export interface BrowserShimEnv {
  binDir: string;
  vars: Record<string, string>;
}

/**
 * Last, over everything else: the shim's launchers first on PATH (so `xdg-open`, `open`, … are
 * the playground's) and its variables (BROWSER), which nothing before may set (env-policy denies
 * BROWSER and *PATH to profiles and auth methods).
 */
export function withBrowserShim(env: Readonly<Record<string, string>>, browser: BrowserShimEnv): Record<string, string> {
  const rest = (env.PATH ?? "").split(":").filter((dir) => dir !== "" && dir !== browser.binDir);
  return { ...env, ...browser.vars, PATH: [browser.binDir, ...rest].join(":") };
}
