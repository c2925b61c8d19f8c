/**
 * Builds the environment of a spawned agent from an allowlist, never from the server's whole
 * environment: the relay may run with tokens and keys in its own env that an agent must not see.
 */

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
