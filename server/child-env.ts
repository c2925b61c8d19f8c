/**
 * Builds the environment of a spawned agent from an allowlist, never from the server's whole
 * environment: the relay may run with tokens and keys in its own env that an agent must not see.
 * `agentEnv` adds the catalog's and the profile home's variables, checking the latter against the
 * env policy again at the spawn (a profile file written by an older build must not bypass it).
 */
import type { ProfileKind } from "../lib/wire";
import { checkProfileEnv, withoutRelayEnv } from "./env-policy";

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
 * home adds (its kind's variables and KIMI_CODE_HOME), which must pass the env policy: throws
 * EnvPolicyError naming the variable otherwise.
 */
export function agentEnv(base: Readonly<Record<string, string | undefined>>, catalogEnv: Readonly<Record<string, string>>, home: { kind: ProfileKind; env: Record<string, string> }): Record<string, string> {
  checkProfileEnv(home.kind, home.env);
  return childEnv(base, withoutRelayEnv(catalogEnv), home.env);
}
