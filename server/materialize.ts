/**
 * Turns a credential profile into a fresh agent home for one run (`<runsDir>/<runId>/home`),
 * written exactly as Kimi Code writes its own files, plus the environment the child needs. A
 * fresh home per run means an agent's token refresh or config rewrite never leaks into the stored
 * profile or the next run. The preview shares the same generator with secrets masked, so what
 * the UI shows cannot drift from what the agent gets. `runDoctor` asks Kimi itself to judge it.
 */
import { execFile } from "node:child_process";
import { constants as fsConstants } from "node:fs";
import { chmod, lstat, mkdir, readdir, realpath, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { stringify as stringifyToml } from "smol-toml";
import { mask } from "../lib/redact";
import type { ProfileDraft } from "../lib/wire";
import { checkGenericEnvName, checkProfileEnv, RELAY_ENV, withoutRelayEnv } from "./env-policy";
import { ProfileError } from "./errors";
import { loginOrThrow } from "./emulated-login";
import { copyHome, describeHomeCopy } from "./home-copy";
import { agentKindPlan, isAgentHomeKind, isSecretEnvName, type KimiProvider, PLATFORM_BASE_URLS, parseEnvText, parseFilesText, type StoredProfile, validateFields, validateName } from "./profile-kinds";
import type { ProfileStore } from "./profile-store";
import { runHomeEnv } from "./run-home";
import { bundledNode } from "./runtime";

const require = createRequire(import.meta.url);

/** Kimi's own default for the models it configures; `kimi doctor` rejects a model without one. */
export const KIMI_MAX_CONTEXT_SIZE = 262144;

/** What `kimi login` configures for the managed Kimi account. */
const MANAGED_PROVIDER = "managed:kimi-code";
const MANAGED_MODEL_ALIAS = "kimi-code/kimi-for-coding";
const MANAGED_BASE_URL = "https://api.kimi.com/coding/v1";
const MANAGED_OAUTH_KEY = "oauth/kimi-code";
/** Kimi derives the token file name from the oauth key: `oauth/kimi-code` → `credentials/kimi-code.json`. */
const MANAGED_TOKEN_FILE = "credentials/kimi-code.json";

export interface PlannedFile {
  /** Relative to the home. */
  path: string;
  content: string;
  /** Octal, e.g. "0600". */
  mode: string;
}

/** Everything a home needs, computed in memory; writing it is a separate, dumb step. */
export interface HomePlan {
  dirs: { path: string; mode: string }[];
  files: PlannedFile[];
  /** Added to the child's environment (KIMI_CODE_HOME is added by `materialize`). */
  env: Record<string, string>;
  /** existing-home: copy this directory into the fresh home. */
  copyFrom?: string;
  /** existing-home in place: use this directory as the home and write nothing. */
  inPlace?: string;
  /**
   * kimi-oauth-emulated: `login` = the home is written by the real `kimi login` against the OAuth
   * emulator; `overrides-only` = an empty home with the emulator's overrides (starts logged out).
   */
  kimiLogin?: "login" | "overrides-only";
}

/** What materialize needs of the OAuth emulator (server/oauth-emulator.ts) for the emulated kind. */
export interface EmulatedOAuth {
  oauthHost(runTag: string): string;
  baseUrl(runTag: string): string;
  approveNextLogin(runTag: string): void;
}

export interface PlanOptions {
  /** Live URL of the offline model server; required for the offline provider. */
  modelServerUrl?: string;
  /** How a secret appears in the output: itself for a real home, its mask for the preview. */
  reveal?: (secret: string) => string;
}

export interface MaterializeOptions {
  runsDir: string;
  runId: string;
  modelServerUrl?: string;
  /** The agent's own home variables (catalog `homeEnv`), relative to HOME; server/run-home.ts. */
  agentHomeEnv?: Readonly<Record<string, string>>;
  /** The OAuth emulator, for `kimi-oauth-emulated` profiles. */
  oauth?: EmulatedOAuth;
  /** dist/main.mjs of the Kimi build that runs (its own `kimi login` makes the home); default 2.1.0. */
  kimiMain?: string;
}

export interface MaterializedHome {
  home: string;
  env: Record<string, string>;
  files: { path: string; mode: string }[];
}

export interface ProfilePreview {
  files: PlannedFile[];
  env: Record<string, string>;
}

export interface DoctorResult {
  ok: boolean;
  exitCode: number | null;
  output: string;
}

function toml(data: Record<string, unknown>): string {
  // Kimi writes its config with smol-toml too and appends "\n" although stringify already ends
  // with one; the blank last line keeps our files byte-identical to Kimi's.
  return `${stringifyToml(data)}\n`;
}

function baseUrlFor(provider: KimiProvider, fields: StoredProfile["fields"], modelServerUrl: string | undefined): string {
  switch (provider) {
    case "moonshot-cn":
    case "moonshot-ai":
      return PLATFORM_BASE_URLS[provider];
    case "custom":
      return String(fields.baseUrl ?? "");
    case "offline":
      if (!modelServerUrl) {
        throw new ProfileError("The offline model server is not running, so the Offline profile has no URL.", "Restart the playground; it starts the offline model server on 127.0.0.1 at launch.");
      }
      return modelServerUrl;
  }
}

/** Compute a profile's home in memory; no file is read or written, so preview and run agree. */
export function planHome(profile: Pick<StoredProfile, "kind" | "fields">, opts: PlanOptions = {}): HomePlan {
  const reveal = opts.reveal ?? ((s: string) => s);
  const f = profile.fields;
  const plan: HomePlan = { dirs: [], files: [], env: {} };
  if (isAgentHomeKind(profile.kind)) {
    // Paths are relative to the run's home, which is the agent's HOME (.gemini/, .claude/, .codex/, .qwen/).
    const agent = agentKindPlan(profile.kind, f, reveal);
    Object.assign(plan.env, agent.env);
    const dirs = new Set(agent.files.map((file) => path.posix.dirname(file.path)).filter((d) => d !== "."));
    for (const dir of [...dirs].sort()) plan.dirs.push({ path: dir, mode: "0700" });
    plan.files.push(...agent.files);
  }
  switch (profile.kind) {
    case "kimi-api-key": {
      // The provider id is also the prefix of the model alias, as Kimi's API-key login writes it;
      // any id works (the offline one is "offline"), Kimi only needs the two to agree.
      const provider = f.provider as KimiProvider;
      const model = String(f.model);
      const alias = `${provider}/${model}`;
      plan.files.push({
        path: "config.toml",
        mode: "0600",
        content: toml({
          default_model: alias,
          providers: { [provider]: { type: "kimi", base_url: baseUrlFor(provider, f, opts.modelServerUrl), api_key: reveal(String(f.apiKey)) } },
          models: { [alias]: { provider, model, max_context_size: KIMI_MAX_CONTEXT_SIZE } },
        }),
      });
      break;
    }
    case "kimi-oauth": {
      const token = JSON.parse(String(f.token)) as Record<string, unknown>;
      for (const key of ["access_token", "refresh_token"]) if (typeof token[key] === "string" && token[key]) token[key] = reveal(token[key] as string);
      plan.files.push({
        path: "config.toml",
        mode: "0600",
        content: toml({
          default_model: MANAGED_MODEL_ALIAS,
          providers: { [MANAGED_PROVIDER]: { type: "kimi", base_url: MANAGED_BASE_URL, api_key: "", oauth: { storage: "file", key: MANAGED_OAUTH_KEY } } },
          models: { [MANAGED_MODEL_ALIAS]: { provider: MANAGED_PROVIDER, model: "kimi-for-coding", max_context_size: KIMI_MAX_CONTEXT_SIZE } },
        }),
      });
      plan.dirs.push({ path: "credentials", mode: "0700" });
      // Same layout as Kimi's FileTokenStorage: two-space JSON and a final newline.
      plan.files.push({ path: MANAGED_TOKEN_FILE, mode: "0600", content: `${JSON.stringify(token, null, 2)}\n` });
      break;
    }
    case "kimi-env":
      plan.env.KIMI_MODEL_NAME = String(f.modelName);
      plan.env.KIMI_MODEL_API_KEY = reveal(String(f.apiKey));
      if (typeof f.baseUrl === "string" && f.baseUrl) plan.env.KIMI_MODEL_BASE_URL = f.baseUrl;
      break;
    case "kimi-oauth-emulated":
      // Nothing hand-written: materialize runs the real `kimi login` (per run, see there), or
      // only gives the run the emulator's overrides when it starts logged out.
      plan.kimiLogin = f.loggedOut === true ? "overrides-only" : "login";
      break;
    case "logged-out":
      break;
    case "existing-home":
      if (f.inPlace === true) plan.inPlace = String(f.path);
      else plan.copyFrom = String(f.path);
      break;
    case "generic": {
      // Only secret values are secrets (by name or as marked): a model id shows in the preview as it is.
      for (const [key, value] of Object.entries(parseEnvText(typeof f.env === "string" ? f.env : ""))) plan.env[key] = value && isSecretEnvName(key, f) ? reveal(value) : value;
      const dirs = new Set<string>();
      for (const file of parseFilesText(typeof f.files === "string" ? f.files : "")) {
        for (let dir = path.posix.dirname(file.path); dir !== "."; dir = path.posix.dirname(dir)) dirs.add(dir);
        plan.files.push({ path: file.path, mode: file.mode, content: file.content && file.secret ? reveal(file.content) : file.content });
      }
      for (const dir of [...dirs].sort()) plan.dirs.push({ path: dir, mode: "0700" });
      break;
    }
  }
  // Every kind's variables pass the env policy here, so preview, doctor and runs share one check.
  checkProfileEnv(profile.kind, plan.env);
  return plan;
}

const RUN_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Build the run's home on disk and return the environment to add to the child. */
export async function materialize(profile: StoredProfile, opts: MaterializeOptions): Promise<MaterializedHome> {
  if (!RUN_ID_RE.test(opts.runId)) throw new ProfileError(`"${opts.runId}" is not a usable run id.`);
  const plan = planHome(profile, { modelServerUrl: opts.modelServerUrl });
  if (plan.inPlace) {
    // The named directory is the agent's home (HOME, XDG, its own variables); nothing is written to it.
    const relayEnv = await runHomeEnv(plan.inPlace, opts.agentHomeEnv ?? {}, { create: false });
    return { home: plan.inPlace, env: { ...plan.env, ...relayEnv, KIMI_CODE_HOME: plan.inPlace }, files: [] };
  }
  const runDir = path.join(opts.runsDir, opts.runId);
  const home = path.join(runDir, "home");
  await mkdir(runDir, { recursive: true, mode: 0o700 });
  try {
    await mkdir(home, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") throw new ProfileError(`The run home ${home} already exists.`, "Each run needs a fresh home; use a new run id.");
    throw error;
  }
  // mkdir modes pass through the umask; the home must be private whatever the umask is.
  await chmod(home, 0o700);
  if (plan.copyFrom) {
    try {
      // Symlinks are dereferenced (server/home-copy.ts): a copied link would let the agent write
      // through to the original home.
      await copyHome(plan.copyFrom, home);
    } catch (error) {
      if (error instanceof ProfileError) throw error;
      throw new ProfileError(`Copying the home ${plan.copyFrom} failed: ${(error as Error).message}`, "Check that every file in it is readable, or use it in place.");
    }
    await chmod(home, 0o700);
  }
  const realHome = await realpath(home);
  for (const dir of plan.dirs) {
    const full = path.join(home, dir.path);
    await mkdir(full, { recursive: true, mode: Number.parseInt(dir.mode, 8) });
    await insideHome(realHome, full, dir.path);
    await chmod(full, Number.parseInt(dir.mode, 8));
  }
  for (const file of plan.files) {
    const full = path.join(home, file.path);
    const mode = Number.parseInt(file.mode, 8);
    // The parent must really be inside the home, and the file itself is never a symlink followed
    // out of it (O_NOFOLLOW); a fresh home also refuses to overwrite anything (O_EXCL).
    await insideHome(realHome, path.dirname(full), file.path);
    const flag = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_NOFOLLOW | (plan.copyFrom ? fsConstants.O_TRUNC : fsConstants.O_EXCL);
    try {
      await writeFile(full, file.content, { mode, flag });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ELOOP") throw new ProfileError(`${file.path} in the run's home is a symlink; the profile's file is not written through it.`);
      throw error;
    }
    await chmod(full, mode);
  }
  // HOME, XDG and the agent's own home variables point inside the run's home, made after the
  // profile's files so a profile file can never be replaced by one of these directories.
  const relayEnv = await runHomeEnv(home, opts.agentHomeEnv ?? {}, { create: true });
  if (plan.kimiLogin) {
    // One real login per run, under the run's own prefix (/run/<runId>, see server/oauth-emulator.ts):
    // each run gets its own device code, tokens and refresh chain, so a refresh that rotates the
    // token, an expiry or a revocation in one run never reaches another, and every hop names its
    // run. A home logged in once and copied would share one refresh token between runs (the
    // first rotation would break the others) and could not be re-prefixed (the token slot's name
    // hashes the host). The cost is one `kimi login`, about 4-5 s on this machine.
    if (!opts.oauth) throw new ProfileError("The OAuth emulator is not running, so the OAuth (emulated) profile cannot log in.", "Start the playground normally; it starts the emulator on 127.0.0.1 (--oauth-port).");
    const overrides = { KIMI_CODE_OAUTH_HOST: opts.oauth.oauthHost(opts.runId), KIMI_CODE_BASE_URL: opts.oauth.baseUrl(opts.runId) };
    if (plan.kimiLogin === "login") {
      opts.oauth.approveNextLogin(opts.runId);
      await loginOrThrow({ main: opts.kimiMain ?? kimiMainPath(), home, homeEnv: relayEnv, oauthHost: overrides.KIMI_CODE_OAUTH_HOST, baseUrl: overrides.KIMI_CODE_BASE_URL });
    }
    // The overrides ride along as relay variables: the Auth tab's terminal login (whose advertised
    // method carries only KIMI_CODE_HOME) then logs in against the same prefix and token slot.
    Object.assign(relayEnv, overrides);
  }
  return { home, env: { ...plan.env, ...relayEnv, KIMI_CODE_HOME: home }, files: plan.files.map((f) => ({ path: f.path, mode: f.mode })) };
}

/** Refuse a directory of the home that resolves (through a symlink) to somewhere outside it. */
async function insideHome(realHome: string, dir: string, rel: string): Promise<void> {
  const real = await realpath(dir);
  if (real !== realHome && !real.startsWith(`${realHome}${path.sep}`)) {
    throw new ProfileError(`${rel} would be written outside the run's home (through a symlink to ${real}).`, "A profile writes only inside the agent's home.");
  }
}

const PREVIEW_HOME = "<runs>/<run id>/home";
const PREVIEW_MODEL_SERVER = "http://127.0.0.1:<port>/v1";
const PREVIEW_MAX_LISTED = 50;

function maskSecret(secret: string): string {
  return secret.length === 0 ? "" : mask(secret);
}

async function listTree(root: string, limit: number): Promise<{ path: string; mode: string }[]> {
  const out: { path: string; mode: string }[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(path.join(root, rel), { withFileTypes: true });
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (out.length >= limit) return;
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(childRel);
      else out.push({ path: childRel, mode: ((await lstat(path.join(root, childRel))).mode & 0o777).toString(8).padStart(4, "0") });
    }
  };
  await walk("");
  return out;
}

function isStored(input: ProfileDraft | StoredProfile): input is StoredProfile {
  return "createdAt" in input && typeof input.createdAt === "number";
}

/**
 * What a run with this profile (or an unsaved draft) would get: files and env with every secret
 * masked. With `store`, masks in the draft mean "the stored secret", exactly as on save.
 */
export async function previewProfile(input: ProfileDraft | StoredProfile, opts: { modelServerUrl?: string; store?: ProfileStore } = {}): Promise<ProfilePreview> {
  let profile: Pick<StoredProfile, "kind" | "fields">;
  if (isStored(input)) profile = input;
  else if (opts.store) profile = await opts.store.resolveDraft(input);
  else {
    validateName(input.name);
    profile = { kind: input.kind, fields: validateFields(input.kind, input.fields) };
  }
  const plan = planHome(profile, { modelServerUrl: opts.modelServerUrl ?? PREVIEW_MODEL_SERVER, reveal: maskSecret });
  const files = [...plan.files];
  const loginEnv: Record<string, string> = {};
  if (plan.kimiLogin === "login") {
    const note = "‹written by the real `kimi login` against the OAuth emulator when the run starts›";
    files.push({ path: "config.toml", mode: "0600", content: `${note}: providers."managed:kimi-code" with oauth_host and base_url of the run's emulator prefix` });
    files.push({ path: "credentials/kimi-code-env-<16 hex>.json", mode: "0600", content: `${note}: access_token, refresh_token, expires_at` });
  }
  if (plan.kimiLogin) {
    loginEnv.KIMI_CODE_OAUTH_HOST = "http://127.0.0.1:<oauth port>/run/<run id>";
    loginEnv.KIMI_CODE_BASE_URL = "http://127.0.0.1:<oauth port>/run/<run id>/coding/v1";
  }
  if (plan.copyFrom || plan.inPlace) {
    const source = (plan.copyFrom ?? plan.inPlace) as string;
    const note = plan.copyFrom ? `‹copied from ${source} when the run starts›` : `‹used in place: ${source}; the playground writes nothing›`;
    try {
      const listed = await listTree(source, PREVIEW_MAX_LISTED);
      for (const entry of listed) files.push({ path: entry.path, mode: entry.mode, content: note });
      if (listed.length === 0) files.push({ path: ".", mode: "0700", content: `${note} (empty directory)` });
      if (listed.length >= PREVIEW_MAX_LISTED) files.push({ path: "…", mode: "", content: `only the first ${PREVIEW_MAX_LISTED} files are listed` });
      if (plan.copyFrom) files.push(...describeHomeCopy(await copyHome(plan.copyFrom, undefined)));
    } catch (error) {
      files.push({ path: ".", mode: "", content: `${note} (cannot list: ${(error as Error).message})` });
    }
  }
  const home = plan.inPlace ?? PREVIEW_HOME;
  return { files, env: { ...plan.env, ...(await runHomeEnv(home, {}, { create: false })), ...loginEnv, KIMI_CODE_HOME: home } };
}

/** dist/main.mjs of a bundled Kimi Code build (`@moonshot-ai/kimi-code` = 2.1.0). */
export function kimiMainPath(pkg = "@moonshot-ai/kimi-code"): string {
  return path.join(path.dirname(require.resolve(`${pkg}/package.json`)), "dist", "main.mjs");
}

const DOCTOR_TIMEOUT_MS = 30_000;
const DOCTOR_MAX_OUTPUT = 1024 * 1024;

/** The relay's home variables of a materialized env (HOME, XDG, …); HOME is the home when absent. */
function relayHomeEnv(env: Readonly<Record<string, string>>, home: string): Record<string, string> {
  return { HOME: home, ...Object.fromEntries(Object.entries(env).filter(([name]) => RELAY_ENV.has(name))) };
}

/**
 * Run `kimi doctor` of the bundled build against a home. It validates config.toml and tui.toml
 * (schema, TOML syntax); it does not contact the network or judge whether a key is real.
 */
export function runDoctor(home: string, env: Record<string, string>, opts: { pkg?: string; timeoutMs?: number } = {}): Promise<DoctorResult> {
  const node = bundledNode().path;
  const main = kimiMainPath(opts.pkg);
  // Defence in depth: the env came from materialize (already checked), but the doctor is a spawn
  // too, so every variable passes the policy again and the relay's home variables stay its own.
  const extra = withoutRelayEnv(env);
  for (const name of Object.keys(extra)) checkGenericEnvName(name, "The doctor's environment");
  const childEnv: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    KIMI_DISABLE_TELEMETRY: "1",
    ...extra,
    // The home materialize made (HOME, XDG inside it): the doctor never sees the server user's home.
    ...relayHomeEnv(env, home),
    KIMI_CODE_HOME: home,
  };
  return new Promise((resolve) => {
    // The cast only satisfies Next's ProcessEnv typing (NODE_ENV required); the child gets exactly childEnv.
    execFile(
      node,
      [main, "doctor"],
      { env: childEnv as NodeJS.ProcessEnv, cwd: home, timeout: opts.timeoutMs ?? DOCTOR_TIMEOUT_MS, maxBuffer: DOCTOR_MAX_OUTPUT, encoding: "utf8", windowsHide: true },
      (error, stdout, stderr) => {
        const output = [stdout, stderr].filter((s) => s.trim()).join("\n").trim();
        if (!error) {
          resolve({ ok: true, exitCode: 0, output });
          return;
        }
        const e = error as NodeJS.ErrnoException & { code?: number | string; killed?: boolean; signal?: string | null };
        const exitCode = typeof e.code === "number" ? e.code : null;
        const why = e.killed ? `kimi doctor was stopped after ${(opts.timeoutMs ?? DOCTOR_TIMEOUT_MS) / 1000} s.` : exitCode === null ? `kimi doctor could not run: ${e.message}` : "";
        resolve({ ok: false, exitCode, output: [output, why].filter(Boolean).join("\n") });
      },
    );
  });
}
