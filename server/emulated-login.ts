/**
 * Runs the REAL `kimi login` of a bundled build against the OAuth emulator, so an
 * `OAuth (emulated)` home holds exactly what Kimi writes (config.toml with oauth_host/base_url,
 * credentials/kimi-code-env-<hash>.json) instead of a hand-made imitation. A plain child, no shell,
 * no pty: the device flow prints to stderr and needs no terminal.
 */
import { execFile } from "node:child_process";
import { readdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { CatalogEntry } from "./catalog";
import { ProfileError } from "./errors";
import { bundledNode } from "./runtime";

export const LOGIN_TIMEOUT_MS = 60_000;
const MAX_OUTPUT = 256 * 1024;

export interface KimiLoginOptions {
  /** dist/main.mjs of the build that logs in. */
  main: string;
  home: string;
  /** The run home's HOME/XDG variables (server/run-home.ts), so nothing lands in the server's own home. */
  homeEnv: Readonly<Record<string, string>>;
  oauthHost: string;
  baseUrl: string;
  timeoutMs?: number;
}

export interface KimiLoginResult {
  exitCode: number | null;
  output: string;
  ms: number;
}

/**
 * The login child's environment: the overrides, the home, and nothing of the server's. PATH is
 * empty on purpose: Kimi runs `xdg-open <verification URL>` after printing it, and a login made
 * for every run must not open a browser tab each time (the emulator approves it by itself).
 */
export function kimiLoginEnv(opts: Pick<KimiLoginOptions, "home" | "homeEnv" | "oauthHost" | "baseUrl">): Record<string, string> {
  return {
    PATH: "",
    KIMI_DISABLE_TELEMETRY: "1",
    ...opts.homeEnv,
    KIMI_CODE_HOME: opts.home,
    KIMI_CODE_OAUTH_HOST: opts.oauthHost,
    KIMI_CODE_BASE_URL: opts.baseUrl,
  };
}

export function runKimiLogin(opts: KimiLoginOptions): Promise<KimiLoginResult> {
  const started = Date.now();
  const node = bundledNode().path;
  return new Promise((resolve) => {
    execFile(
      node,
      [opts.main, "login"],
      // The cast only satisfies Next's ProcessEnv typing (NODE_ENV required); the child gets exactly this env.
      { env: kimiLoginEnv(opts) as NodeJS.ProcessEnv, cwd: opts.home, timeout: opts.timeoutMs ?? LOGIN_TIMEOUT_MS, maxBuffer: MAX_OUTPUT, encoding: "utf8", windowsHide: true },
      (error, stdout, stderr) => {
        const output = [stdout, stderr].filter((s) => s.trim()).join("\n").trim();
        const exitCode = error ? (typeof (error as { code?: unknown }).code === "number" ? ((error as { code: number }).code) : null) : 0;
        resolve({ exitCode, output, ms: Date.now() - started });
      },
    );
  });
}

/** Log in or throw a ProfileError carrying Kimi's own words. */
export async function loginOrThrow(opts: KimiLoginOptions): Promise<KimiLoginResult> {
  const result = await runKimiLogin(opts);
  if (result.exitCode !== 0) {
    const last = result.output.split("\n").filter((l) => l.trim()).slice(-3).join(" ");
    throw new ProfileError(`kimi login against the OAuth emulator failed (exit ${result.exitCode ?? "killed"}): ${last || "no output"}`, "Check the OAuth lab panel: the emulator must be running (--oauth-port) and answer the token endpoint.");
  }
  return result;
}

/**
 * The build whose own `kimi login` makes a run's home: the run's agent when it is a bundled-style
 * Kimi entry (a main.mjs run under Node 22), so 0.28.0 homes are written by 0.28.0; otherwise
 * undefined (materialize then uses 2.1.0).
 */
export function kimiMainOf(entry: Pick<CatalogEntry, "kimi" | "runtime" | "command">): string | undefined {
  return entry.kimi && entry.runtime === "node22" && path.basename(entry.command) === "main.mjs" ? entry.command : undefined;
}

/** Kimi's scoped token slot(s) in a home: credentials/kimi-code-env-<16 hex>.json (and the default slot). */
export async function tokenFiles(home: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(path.join(home, "credentials"));
  } catch {
    return [];
  }
  return names.filter((n) => /^kimi-code(-env-[0-9a-f]{16})?\.json$/.test(n)).sort().map((n) => path.join(home, "credentials", n));
}

/**
 * "Expire the access token" as Kimi sees it: `expires_at` of the token slot set in the past, the
 * rest of the file untouched (same keys, order and two-space layout Kimi writes). Kimi refreshes
 * when less than max(300 s, expires_in/2) is left, so the next model request refreshes. Written
 * like Kimi writes it: a temporary file, then rename, mode 0600. Returns the file changed.
 */
export async function expireTokenFile(home: string, now = Date.now()): Promise<string | undefined> {
  const [file] = (await tokenFiles(home)).filter((f) => path.basename(f) !== "kimi-code.json");
  const target = file ?? (await tokenFiles(home))[0];
  if (!target) return undefined;
  const token = JSON.parse(await readFile(target, "utf8")) as Record<string, unknown>;
  token.expires_at = Math.floor(now / 1000) - 1;
  const tmp = `${target}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(token, null, 2)}\n`, { mode: 0o600, flag: "w" });
  await rename(tmp, target);
  return target;
}
