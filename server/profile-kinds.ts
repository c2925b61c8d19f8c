/**
 * What each credential profile kind holds, how it is validated, and how its secrets are masked
 * for the browser and put back when the browser returns a mask unchanged. Kept apart from storage
 * and from home generation so both (and the preview) share one definition of a valid profile.
 */
import { accessSync, constants, readdirSync, readFileSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";
import { parse as parseToml } from "smol-toml";
import { AGENT_SOURCES, credentialSources, familyOfKind } from "../lib/credential-sources";
import { mask } from "../lib/redact";
import { PROFILE_KINDS as WIRE_PROFILE_KINDS, type ProfileKind, type ProfileView } from "../lib/wire";
import { checkGenericEnvName, homeFileContentProblem, homeFileProblem, modeProblem, RELAY_ENV, refuseFile } from "./env-policy";
import { EnvPolicyError, ProfileError } from "./errors";

export type FieldValue = string | boolean | null;
export type ProfileFields = Record<string, FieldValue>;

/** A profile as stored on disk, secrets included. Never send this to the browser. */
export interface StoredProfile {
  id: string;
  name: string;
  kind: ProfileKind;
  /** Created by the playground on first start; informational, built-ins are edited like any other. */
  builtin: boolean;
  fields: ProfileFields;
  /** Epoch milliseconds. */
  createdAt: number;
  updatedAt: number;
}

export const PROFILE_KINDS: readonly ProfileKind[] = WIRE_PROFILE_KINDS;

export const KIMI_PROVIDERS = ["moonshot-cn", "moonshot-ai", "custom", "offline"] as const;
export type KimiProvider = (typeof KIMI_PROVIDERS)[number];

/** The Kimi Platform endpoints, as Kimi's own API-key login writes them. */
export const PLATFORM_BASE_URLS: Record<"moonshot-cn" | "moonshot-ai", string> = {
  "moonshot-cn": "https://api.moonshot.cn/v1",
  "moonshot-ai": "https://api.moonshot.ai/v1",
};

export const IN_PLACE_WARNING = "The agent itself may write there: token refresh rotates the refresh token, so the original home changes.";

const MAX_NAME_LENGTH = 80;
const MAX_TOKEN_FILE_BYTES = 1024 * 1024;

// ─── Secret fields ─────────────────────────────────────────────────────────────────────────────

/**
 * A field holding secrets. Structured fields (token JSON, env lines, files) are masked part by
 * part, so the browser still sees which keys and paths exist and can edit the rest.
 */
interface SecretCodec {
  /** `fields` are the profile's other fields: the generic kind's secret/plain name lists decide per line. */
  mask(value: string, fields: ProfileFields): string;
  /** Put stored secrets back wherever the submitted value still carries their masks. */
  restore(submitted: string, stored: string, fields: ProfileFields): string;
  /** Every raw secret inside the value, for the redactor. */
  values(value: string, fields: ProfileFields): string[];
}

function maskValue(value: string): string {
  return value.length === 0 ? "" : mask(value);
}

const plainSecret: SecretCodec = {
  mask: maskValue,
  restore: (submitted, stored) => (submitted === maskValue(stored) ? stored : submitted),
  values: (value) => [value],
};

interface OAuthWire {
  access_token: string;
  refresh_token?: string;
  expires_at?: number;
  scope?: string;
  token_type?: string;
  expires_in?: number;
}

function tryParseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const TOKEN_SECRET_KEYS = ["access_token", "refresh_token"] as const;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every `[path, value]` of a string under one of `keys`, at any depth. */
function secretLeaves(value: unknown, keys: ReadonlySet<string>, at: string[] = [], out: [string[], string][] = []): [string[], string][] {
  if (Array.isArray(value)) value.forEach((v, i) => secretLeaves(v, keys, [...at, String(i)], out));
  else if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      if (keys.has(k) && typeof v === "string" && v.length > 0) out.push([[...at, k], v]);
      else secretLeaves(v, keys, [...at, k], out);
    }
  }
  return out;
}

function getPath(value: unknown, at: string[]): unknown {
  return at.reduce<unknown>((v, k) => (typeof v === "object" && v !== null ? (v as Record<string, unknown>)[k] : undefined), value);
}

function setPath(value: Json, at: string[], leaf: string): void {
  const parent = getPath(value, at.slice(0, -1));
  if (typeof parent === "object" && parent !== null) (parent as Record<string, Json>)[at[at.length - 1]] = leaf;
}

/**
 * A JSON credentials file whose secrets sit under known keys (a token file, Codex's auth.json):
 * those string values are masked wherever they are nested, the rest (expiry, scopes, auth mode)
 * stays readable. Text that is not JSON is masked whole.
 */
function jsonSecret(keyList: readonly string[]): SecretCodec {
  const keys = new Set(keyList);
  const codec: SecretCodec = {
    mask(value) {
      const obj = tryParseObject(value) as Json | undefined;
      if (!obj) return maskValue(value);
      for (const [at, leaf] of secretLeaves(obj, keys)) setPath(obj, at, maskValue(leaf));
      return JSON.stringify(obj, null, 2);
    },
    restore(submitted, stored, fields) {
      if (submitted === codec.mask(stored, fields)) return stored;
      const next = tryParseObject(submitted) as Json | undefined;
      const prev = tryParseObject(stored);
      if (!next || !prev) return submitted;
      let changed = false;
      for (const [at, old] of secretLeaves(prev, keys)) {
        if (getPath(next, at) === maskValue(old)) {
          setPath(next, at, old);
          changed = true;
        }
      }
      return changed ? JSON.stringify(next, null, 2) : submitted;
    },
    values(value) {
      const obj = tryParseObject(value);
      return obj ? [value, ...secretLeaves(obj, keys).map(([, leaf]) => leaf)] : [value];
    },
  };
  return codec;
}

const tokenSecret = jsonSecret(TOKEN_SECRET_KEYS);

/** Gemini's oauth_creds.json (google-auth-library Credentials). */
const GEMINI_OAUTH_KEYS = ["access_token", "refresh_token", "id_token"];
/** Claude Code's .credentials.json: `{"claudeAiOauth":{"accessToken","refreshToken",…}}`. */
const CLAUDE_CREDENTIAL_KEYS = ["accessToken", "refreshToken"];
/** Codex's auth.json: `{"auth_mode":"apikey","OPENAI_API_KEY":"…"}` or ChatGPT `tokens`. */
const CODEX_AUTH_KEYS = ["OPENAI_API_KEY", "id_token", "access_token", "refresh_token"];

// ─── Which values of a generic profile are secret ──────────────────────────────────────────────

/**
 * Words that make a variable's value a secret by its name. Everything else (a model id, a base URL,
 * an auth mode such as `gemini-api-key`… ) is shown and recorded verbatim: redacting every value of
 * a profile turned `gpt-4o-mini` and `google` into ‹redacted› in every frame.
 */
export const SECRET_NAME_WORDS = ["KEY", "TOKEN", "SECRET", "PASSWORD", "PASS", "CREDENTIAL", "AUTH", "COOKIE", "SESSION", "PRIVATE"] as const;
const SECRET_NAME_RE = new RegExp(SECRET_NAME_WORDS.join("|"));

/** Names from a generic profile's "also secret" / "not secret" fields: spaces, commas or new lines between them. */
export function nameList(value: FieldValue | undefined): string[] {
  return typeof value === "string" ? value.split(/[\s,]+/).map((n) => n.trim()).filter(Boolean) : [];
}

/**
 * Whether a generic profile's variable is a secret: listed under "not secret" → no; listed under
 * "also secret" → yes; otherwise by its name (KEY, TOKEN, SECRET, PASSWORD, PASS, CREDENTIAL, AUTH,
 * COOKIE, SESSION, PRIVATE anywhere in it).
 */
export function isSecretEnvName(name: string, fields: ProfileFields): boolean {
  if (nameList(fields.plainNames).includes(name)) return false;
  if (nameList(fields.secretNames).includes(name)) return true;
  return SECRET_NAME_RE.test(name);
}

interface EnvLine {
  key?: string;
  value?: string;
  raw: string;
}

/** Split KEY=VALUE text without judging it; validation happens in parseEnvText. */
function splitEnvLines(text: string): EnvLine[] {
  return text.split(/\r?\n/).map((raw) => {
    const eq = raw.indexOf("=");
    if (raw.trim() === "" || raw.trimStart().startsWith("#") || eq <= 0) return { raw };
    return { key: raw.slice(0, eq).trim(), value: raw.slice(eq + 1), raw };
  });
}

const envSecret: SecretCodec = {
  mask: (value, fields) =>
    splitEnvLines(value)
      .map((l) => (l.key === undefined || !isSecretEnvName(l.key, fields) ? l.raw : `${l.key}=${maskValue(l.value ?? "")}`))
      .join("\n"),
  restore(submitted, stored, fields) {
    const old = new Map(splitEnvLines(stored).flatMap((l) => (l.key === undefined ? [] : [[l.key, l.value ?? ""] as const])));
    return splitEnvLines(submitted)
      .map((l) => {
        if (l.key === undefined) return l.raw;
        const prev = old.get(l.key);
        // A value that was secret when stored may have been sent back masked even if the name is
        // now marked "not secret": the mask still means "unchanged".
        return prev !== undefined && prev.length > 0 && l.value === maskValue(prev) ? `${l.key}=${prev}` : l.raw;
      })
      .join("\n");
  },
  values: (value, fields) => splitEnvLines(value).flatMap((l) => (l.key !== undefined && l.value && isSecretEnvName(l.key, fields) ? [l.value] : [])),
};

export interface GenericFile {
  path: string;
  content: string;
  mode: string;
  /**
   * Whether the content is a secret; true unless the entry says `"secret": false`. A file in a
   * credentials profile is most often a token or key file whose format the playground cannot know,
   * so missing a secret is the worse mistake; a plain settings file is marked false by its author.
   */
  secret: boolean;
}

/** Lines this long inside a credentials file are worth redacting on their own (a key echoed alone). */
const MIN_FILE_LINE_SECRET = 8;

function tryParseFiles(text: string): Record<string, unknown>[] | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) && value.every((v) => typeof v === "object" && v !== null) ? (value as Record<string, unknown>[]) : undefined;
  } catch {
    return undefined;
  }
}

const isSecretFile = (f: Record<string, unknown>): boolean => f.secret !== false;

/** Every string leaf of a JSON document at least this long, so a token echoed alone is caught too. */
function jsonLeaves(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") {
    if (value.length >= MIN_FILE_LINE_SECRET) out.push(value);
  } else if (Array.isArray(value)) for (const v of value) jsonLeaves(v, out);
  else if (typeof value === "object" && value !== null) for (const v of Object.values(value)) jsonLeaves(v, out);
  return out;
}

const filesSecret: SecretCodec = {
  mask(value, fields) {
    const list = tryParseFiles(value);
    if (!list) return maskValue(value);
    return JSON.stringify(list.map((f) => ({ ...f, content: typeof f.content === "string" && isSecretFile(f) ? maskValue(f.content) : f.content })), null, 2);
  },
  restore(submitted, stored, fields) {
    if (submitted === filesSecret.mask(stored, fields)) return stored;
    const next = tryParseFiles(submitted);
    const prev = tryParseFiles(stored);
    if (!next || !prev) return submitted;
    const old = new Map(prev.map((f) => [f.path, f.content]));
    let changed = false;
    const merged = next.map((f) => {
      const content = old.get(f.path);
      if (typeof content === "string" && content.length > 0 && f.content === maskValue(content)) {
        changed = true;
        return { ...f, content };
      }
      return f;
    });
    return changed ? JSON.stringify(merged, null, 2) : submitted;
  },
  values(value) {
    const list = tryParseFiles(value) ?? [];
    return list.flatMap((f) => {
      if (!isSecretFile(f) || typeof f.content !== "string" || f.content.length === 0) return [];
      const lines = f.content.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length >= MIN_FILE_LINE_SECRET);
      let leaves: string[] = [];
      try {
        leaves = jsonLeaves(JSON.parse(f.content));
      } catch {
        // Not JSON: the whole content and its lines are the secrets.
      }
      return [f.content, ...lines, ...leaves];
    });
  },
};

/** Which fields of each kind are secret, and how they are masked. */
const SECRET_FIELDS: Record<ProfileKind, Record<string, SecretCodec>> = {
  "kimi-api-key": { apiKey: plainSecret },
  "kimi-oauth": { token: tokenSecret },
  "kimi-oauth-emulated": {},
  "kimi-env": { apiKey: plainSecret },
  "gemini-api-key": { apiKey: plainSecret },
  "gemini-oauth": { creds: jsonSecret(GEMINI_OAUTH_KEYS) },
  "claude-api-key": { apiKey: plainSecret },
  "claude-credentials": { credentials: jsonSecret(CLAUDE_CREDENTIAL_KEYS) },
  "codex-api-key": { apiKey: plainSecret },
  "codex-auth-json": { authJson: jsonSecret(CODEX_AUTH_KEYS) },
  "qwen-openai": { apiKey: plainSecret },
  "copilot-token": { token: plainSecret },
  "logged-out": {},
  "existing-home": {},
  generic: { env: envSecret, files: filesSecret },
};

export function isSecretField(kind: ProfileKind, field: string): boolean {
  return field in SECRET_FIELDS[kind];
}

/** The fields with every secret masked: what the browser may see. */
export function maskFields(kind: ProfileKind, fields: ProfileFields): ProfileFields {
  const out: ProfileFields = {};
  for (const [key, value] of Object.entries(fields)) {
    const codec = SECRET_FIELDS[kind][key];
    out[key] = codec && typeof value === "string" ? codec.mask(value, fields) : value;
  }
  return out;
}

/** Apply the "a mask sent back means unchanged" rule against the stored profile of the same kind. */
export function restoreSecrets(kind: ProfileKind, submitted: ProfileFields, previous: StoredProfile | undefined): ProfileFields {
  const out: ProfileFields = { ...submitted };
  if (!previous) return out;
  for (const [key, codec] of Object.entries(SECRET_FIELDS[kind])) {
    const next = out[key];
    const stored = previous.fields[key];
    // Switching kind keeps a secret whose field means the same (apiKey of API-key ⇄ env profiles).
    if (SECRET_FIELDS[previous.kind][key] === codec && typeof next === "string" && typeof stored === "string") out[key] = codec.restore(next, stored, previous.fields);
  }
  return out;
}

/**
 * Raw secrets a profile carries, including those inside an existing home it points at: its secret
 * fields only. A generic profile's non-secret variables and files (`"secret": false`) are data the
 * frames show verbatim.
 */
export function profileSecrets(profile: StoredProfile): string[] {
  const out: string[] = [];
  for (const [key, codec] of Object.entries(SECRET_FIELDS[profile.kind])) {
    const value = profile.fields[key];
    if (typeof value === "string" && value.length > 0) out.push(...codec.values(value, profile.fields));
  }
  if (profile.kind === "existing-home" && typeof profile.fields.path === "string") out.push(...homeSecrets(profile.fields.path));
  return out;
}

/**
 * Best-effort scan of a real Kimi home for its keys and tokens, so a run using a copy of it still
 * has them redacted. Unreadable or odd files are skipped: this must never block listing.
 */
export function homeSecrets(dir: string): string[] {
  const out: string[] = [];
  try {
    const config = parseToml(readFileSync(path.join(dir, "config.toml"), "utf8")) as { providers?: Record<string, { api_key?: unknown }> };
    for (const provider of Object.values(config.providers ?? {})) {
      if (typeof provider?.api_key === "string" && provider.api_key.length > 0) out.push(provider.api_key);
    }
  } catch {
    // No config, or not valid TOML: nothing to collect.
  }
  try {
    const credentials = path.join(dir, "credentials");
    for (const name of readdirSync(credentials)) {
      if (!name.endsWith(".json")) continue;
      const obj = tryParseObject(readFileSync(path.join(credentials, name), "utf8"));
      if (!obj) continue;
      for (const key of TOKEN_SECRET_KEYS) if (typeof obj[key] === "string" && obj[key]) out.push(obj[key] as string);
    }
  } catch {
    // No credentials directory.
  }
  // The other agents' login files, where an existing home used as HOME keeps them.
  for (const [rel, keys] of AGENT_HOME_CREDENTIALS) {
    try {
      const obj = tryParseObject(readFileSync(path.join(dir, rel), "utf8"));
      if (obj) out.push(...secretLeaves(obj, new Set(keys)).map(([, leaf]) => leaf));
    } catch {
      // Not there: that agent never logged in with this home.
    }
  }
  return out;
}

/** Credentials files of the agent kinds (as agentKindPlan writes them) and the keys holding their secrets. */
const AGENT_HOME_CREDENTIALS: readonly [string, readonly string[]][] = [
  [".gemini/oauth_creds.json", GEMINI_OAUTH_KEYS],
  [".claude/.credentials.json", CLAUDE_CREDENTIAL_KEYS],
  [".claude/.claude.json", ["primaryApiKey"]],
  [".claude.json", ["primaryApiKey"]],
  [".codex/auth.json", CODEX_AUTH_KEYS],
];

// ─── Validation ────────────────────────────────────────────────────────────────────────────────

function str(fields: ProfileFields, key: string): string {
  const value = fields[key];
  return typeof value === "string" ? value.trim() : "";
}

/** `~/x` is what people paste; the relay has no shell to expand it. */
export function expandHome(p: string): string {
  return p === "~" ? homedir() : p.startsWith("~/") ? path.join(homedir(), p.slice(2)) : p;
}

function httpUrl(value: string, label: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ProfileError(`${label} "${value}" is not a URL.`, "Write the full address, e.g. https://api.moonshot.cn/v1.");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ProfileError(`${label} must start with http:// or https://, not ${url.protocol}//.`, "Kimi speaks HTTP(S) to its model provider; e.g. https://api.moonshot.ai/v1.");
  }
  if (url.username || url.password) {
    throw new ProfileError(`${label} must not contain a user name or password.`, "Put the key in the API key field; URLs end up in logs.");
  }
  return value;
}

function secretText(value: string, label: string, hint: string): string {
  if (value.length === 0) throw new ProfileError(`${label} is empty.`, hint);
  // A mask that did not match the stored value (another profile's, or a stale tab's) is not a key.
  if (/[…•]/.test(value)) throw new ProfileError(`${label} is a masked value, not a key.`, "Paste the full key; the masked form only means \"unchanged\" for the key this profile already stores.");
  if (/\s/.test(value)) throw new ProfileError(`${label} contains a space or line break.`, "Paste only the key itself, without quotes, spaces or a trailing newline.");
  return value;
}

function identifier(value: string, label: string, example: string): string {
  if (value.length === 0) throw new ProfileError(`${label} is empty.`, `Give a model id, e.g. ${example}.`);
  if (/\s/.test(value) || value.length > 128) throw new ProfileError(`${label} "${value}" is not a model id (no spaces, at most 128 characters).`, `e.g. ${example}.`);
  return value;
}

/**
 * Parse and normalize an OAuth token file's JSON into Kimi's own layout (same keys, order and
 * indentation as Kimi's FileTokenStorage writes), so the generated file is indistinguishable.
 */
export function normalizeOAuthToken(text: string): string {
  const obj = tryParseObject(text.trim());
  if (!obj) {
    throw new ProfileError("The OAuth token is not a JSON object.", 'Paste the whole content of credentials/kimi-code.json, e.g. {"access_token":"…","refresh_token":"…","expires_at":1767225600}.');
  }
  if (typeof obj.access_token !== "string" || obj.access_token.length === 0) {
    throw new ProfileError("The OAuth token has no access_token.", "An empty access_token is Kimi's logged-out marker; use the Logged out profile for that, or paste a token file from a logged-in home.");
  }
  if (obj.refresh_token !== undefined && typeof obj.refresh_token !== "string") throw new ProfileError("The OAuth token's refresh_token must be a string.");
  if (obj.expires_at !== undefined && (typeof obj.expires_at !== "number" || !Number.isFinite(obj.expires_at))) {
    throw new ProfileError("The OAuth token's expires_at must be a number (unix seconds).", "e.g. 4102444800 for the year 2100.");
  }
  for (const key of ["scope", "token_type"] as const) if (obj[key] !== undefined && typeof obj[key] !== "string") throw new ProfileError(`The OAuth token's ${key} must be a string.`);
  if (obj.expires_in !== undefined && typeof obj.expires_in !== "number") throw new ProfileError("The OAuth token's expires_in must be a number.");
  const wire: OAuthWire = {
    access_token: obj.access_token,
    refresh_token: obj.refresh_token as string | undefined,
    expires_at: obj.expires_at as number | undefined,
    scope: obj.scope as string | undefined,
    token_type: obj.token_type as string | undefined,
    expires_in: obj.expires_in as number | undefined,
  };
  return JSON.stringify(wire, null, 2);
}

/** Read a Kimi token file (e.g. ~/.kimi-code/credentials/kimi-code.json) into a profile's token field. */
export async function importOAuthToken(file: string): Promise<string> {
  const full = path.resolve(expandHome(file.trim()));
  let text: string;
  try {
    if (statSync(full).size > MAX_TOKEN_FILE_BYTES) throw new ProfileError(`${full} is too large to be a token file.`);
    text = await readFile(full, "utf8");
  } catch (error) {
    if (error instanceof ProfileError) throw error;
    throw new ProfileError(`Cannot read the token file ${full}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`, "Kimi keeps it at ~/.kimi-code/credentials/kimi-code.json (or $KIMI_CODE_HOME/credentials/). Check the path and that the relay's user may read it.");
  }
  return normalizeOAuthToken(text);
}

export interface ParsedEnv {
  [key: string]: string;
}

/**
 * KEY=VALUE lines, `#` comments and blank lines allowed; values are taken literally. Names go
 * through the env policy (server/env-policy.ts): a generic profile's environment is data, so
 * NODE_OPTIONS, LD_PRELOAD, PATH, BASH_ENV and their classes are refused, each with its reason.
 */
export function parseEnvText(text: string): ParsedEnv {
  const out: ParsedEnv = {};
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const eq = raw.indexOf("=");
    const key = eq > 0 ? raw.slice(0, eq).trim() : "";
    const where = `Environment line ${index + 1}`;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      throw new ProfileError(`${where} is not KEY=VALUE: "${key || line.slice(0, 20)}${eq > 0 ? "=…" : ""}".`, "Write one KEY=VALUE per line (letters, digits and _ in the key; no `export`, no quotes needed).");
    }
    if (RELAY_ENV.has(key)) {
      throw new EnvPolicyError(
        key,
        `${where} sets ${key}, which a profile may not set: it is one of the home variables the playground sets itself, pointing into the run's own home.`,
        "Each run gets its own fresh home (HOME, XDG_*, KIMI_CODE_HOME, the agent's own home variable); use the files list to put files in it.",
      );
    }
    checkGenericEnvName(key, where);
    if (key in out) throw new ProfileError(`${where} sets ${key} a second time.`, "Keep one line per variable.");
    out[key] = raw.slice(eq + 1);
  });
  return out;
}

/**
 * The generic kind's files list: relative paths only, so nothing can land outside the run's home;
 * data files only (no start-up file a shell or tool runs, no config naming a program, never +x).
 */
export function parseFilesText(text: string): GenericFile[] {
  if (text.trim() === "") return [];
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ProfileError(`The files list is not valid JSON: ${(error as Error).message}`, 'Use [{"path":"relative/path","content":"…","mode":"0600"}].');
  }
  if (!Array.isArray(value)) throw new ProfileError("The files list must be a JSON array.", 'Use [{"path":"relative/path","content":"…","mode":"0600"}].');
  const seen = new Set<string>();
  return value.map((entry: unknown, index) => {
    const where = `File #${index + 1}`;
    if (typeof entry !== "object" || entry === null) throw new ProfileError(`${where} is not an object.`, 'Each entry is {"path":"…","content":"…"}.');
    const e = entry as Record<string, unknown>;
    if (typeof e.path !== "string" || e.path.trim() === "") throw new ProfileError(`${where} has no "path".`);
    const rel = path.posix.normalize(e.path.trim().replace(/\\/g, "/"));
    if (path.posix.isAbsolute(rel) || rel === "." || rel === ".." || rel.startsWith("../")) {
      throw new ProfileError(`${where}: "${e.path}" must be a path inside the agent's home.`, "Use a relative path such as config.toml or credentials/token.json.");
    }
    if (rel.includes("\0")) throw new ProfileError(`${where}: the path contains a NUL byte.`);
    if (seen.has(rel)) throw new ProfileError(`${where}: "${rel}" is listed twice.`);
    seen.add(rel);
    const pathProblem = homeFileProblem(rel);
    if (pathProblem) refuseFile(where, rel, pathProblem);
    if (typeof e.content !== "string") throw new ProfileError(`${where} (${rel}) needs a "content" string.`);
    const contentProblem = homeFileContentProblem(rel, e.content);
    if (contentProblem) refuseFile(where, rel, contentProblem);
    const mode = e.mode === undefined ? "0600" : e.mode;
    if (typeof mode !== "string" || !/^0?[0-7]{3}$/.test(mode)) throw new ProfileError(`${where} (${rel}): mode must be an octal string like "0600".`);
    const modeIssue = modeProblem(Number.parseInt(mode, 8));
    if (modeIssue) refuseFile(where, rel, `mode ${mode} is ${modeIssue}`);
    if (e.secret !== undefined && typeof e.secret !== "boolean") throw new ProfileError(`${where} (${rel}): "secret" must be true or false.`, 'Leave it out (the content is then secret) or write "secret": false for a plain settings file.');
    return { path: rel, content: e.content, mode: mode.padStart(4, "0"), secret: e.secret !== false };
  });
}

function readableDirectory(raw: string): string {
  if (raw.length === 0) throw new ProfileError("The home directory path is empty.", "Give the absolute path of a Kimi home, e.g. ~/.kimi-code.");
  const dir = expandHome(raw);
  if (!path.isAbsolute(dir)) throw new ProfileError(`"${raw}" is not an absolute path.`, "The relay's working directory is not yours; write e.g. /home/me/.kimi-code or ~/.kimi-code.");
  try {
    if (!statSync(dir).isDirectory()) throw new ProfileError(`${dir} is not a directory.`, "Point at the Kimi home folder (the one holding config.toml), not a file in it.");
    accessSync(dir, constants.R_OK | constants.X_OK);
  } catch (error) {
    if (error instanceof ProfileError) throw error;
    throw new ProfileError(`${dir} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`, "Check the path and that the relay's user may read it.");
  }
  return path.resolve(dir);
}

/** The variables a Codex API-key profile may use: the two its env_var auth methods name. */
export const CODEX_KEY_VARS = ["CODEX_API_KEY", "OPENAI_API_KEY"] as const;
/** Copilot CLI reads these in this order. */
export const COPILOT_TOKEN_VARS = ["COPILOT_GITHUB_TOKEN", "GH_TOKEN", "GITHUB_TOKEN"] as const;

function oneOf<T extends string>(value: string, allowed: readonly T[], label: string): T {
  if (!allowed.includes(value as T)) throw new ProfileError(`${label} "${value}" is not one of ${allowed.join(", ")}.`, `Pick one of: ${allowed.join(", ")}.`);
  return value as T;
}

/** A generic profile's name list, normalized to one space between names; every name must be a variable name. */
function envNames(value: FieldValue | undefined, label: string): string {
  const names = nameList(value);
  const bad = names.find((n) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(n));
  if (bad) throw new ProfileError(`"${label}" lists "${bad}", which is not a variable name.`, "List variable names separated by spaces or commas, e.g. MY_ENDPOINT_SECRET.");
  return [...new Set(names)].join(" ");
}

/**
 * A pasted credentials file of an agent (Gemini's oauth_creds.json, Claude's .credentials.json,
 * Codex's auth.json): a JSON object holding at least one non-empty secret under `keys`. Kept as the
 * user pasted it, re-indented, so unknown fields the agent writes survive.
 */
function credentialsJson(text: string, fileName: string, keys: readonly string[], example: string): string {
  if (text.length === 0) throw new ProfileError(`The ${fileName} content is empty.`, `Paste the whole file, e.g. ${example}.`);
  const obj = tryParseObject(text);
  if (!obj) throw new ProfileError(`The ${fileName} content is not a JSON object.`, `Paste the whole file, e.g. ${example}.`);
  if (secretLeaves(obj, new Set(keys)).length === 0) throw new ProfileError(`The ${fileName} content holds none of ${keys.join(", ")}.`, `That is what the agent reads as its login, e.g. ${example}.`);
  if (/[…•]/.test(JSON.stringify(secretLeaves(obj, new Set(keys))))) throw new ProfileError(`The ${fileName} content still holds a masked value.`, "Paste the full file; the masked form only means \"unchanged\" for the value this profile already stores.");
  return JSON.stringify(obj, null, 2);
}

/** Validate a profile's fields for its kind and return them normalized, unknown fields dropped. */
export function validateFields(kind: ProfileKind, fields: ProfileFields): ProfileFields {
  switch (kind) {
    case "kimi-api-key": {
      const provider = (str(fields, "provider") || "moonshot-cn") as KimiProvider;
      if (!KIMI_PROVIDERS.includes(provider)) throw new ProfileError(`Unknown provider "${provider}".`, `Pick one of: ${KIMI_PROVIDERS.join(", ")}.`);
      let baseUrl: string | null = null;
      if (provider === "custom") {
        const raw = str(fields, "baseUrl");
        if (!raw) throw new ProfileError("A custom provider needs a base URL.", "e.g. https://my-proxy.example/v1 (an OpenAI-compatible chat-completions endpoint).");
        baseUrl = httpUrl(raw, "The base URL");
      }
      const model = identifier(str(fields, "model"), "The model", "kimi-k2.7-code");
      const apiKey = secretText(str(fields, "apiKey"), "The API key", "Paste the key from the Kimi Platform console (platform.moonshot.cn or platform.moonshot.ai).");
      return { provider, baseUrl, model, apiKey };
    }
    case "kimi-oauth": {
      const token = str(fields, "token");
      if (!token) throw new ProfileError("The OAuth token is empty.", "Paste the content of credentials/kimi-code.json, or import it from a file.");
      return { token: normalizeOAuthToken(token) };
    }
    case "kimi-oauth-emulated":
      return { loggedOut: fields.loggedOut === true || fields.loggedOut === "true" };
    case "kimi-env": {
      const modelName = identifier(str(fields, "modelName"), "KIMI_MODEL_NAME", "kimi-k2.7-code");
      const apiKey = secretText(str(fields, "apiKey"), "KIMI_MODEL_API_KEY", "Kimi refuses KIMI_MODEL_NAME without KIMI_MODEL_API_KEY; paste the key.");
      const rawUrl = str(fields, "baseUrl");
      return { modelName, apiKey, baseUrl: rawUrl ? httpUrl(rawUrl, "KIMI_MODEL_BASE_URL") : null };
    }
    case "logged-out":
      return {};
    case "existing-home": {
      const inPlace = fields.inPlace === true || fields.inPlace === "true";
      return { path: readableDirectory(str(fields, "path")), inPlace };
    }
    case "gemini-api-key":
      return { apiKey: secretText(str(fields, "apiKey"), "GEMINI_API_KEY", "Paste the key from Google AI Studio (aistudio.google.com/apikey).") };
    case "gemini-oauth":
      return { creds: credentialsJson(str(fields, "creds"), "oauth_creds.json", GEMINI_OAUTH_KEYS, '{"access_token":"ya29.…","refresh_token":"1//…","token_type":"Bearer","expiry_date":1767225600000}') };
    case "claude-api-key":
      return { apiKey: secretText(str(fields, "apiKey"), "ANTHROPIC_API_KEY", "Paste the key from console.anthropic.com (sk-ant-…).") };
    case "claude-credentials":
      return { credentials: credentialsJson(str(fields, "credentials"), ".credentials.json", CLAUDE_CREDENTIAL_KEYS, '{"claudeAiOauth":{"accessToken":"sk-ant-oat01-…","refreshToken":"sk-ant-ort01-…","expiresAt":1767225600000,"scopes":["user:inference"]}}') };
    case "codex-api-key":
      return {
        envVar: oneOf(str(fields, "envVar") || CODEX_KEY_VARS[0], CODEX_KEY_VARS, "The variable"),
        apiKey: secretText(str(fields, "apiKey"), "The API key", "Paste an OpenAI API key (sk-…)."),
      };
    case "codex-auth-json":
      return { authJson: credentialsJson(str(fields, "authJson"), "auth.json", CODEX_AUTH_KEYS, '{"auth_mode":"apikey","OPENAI_API_KEY":"sk-…"}') };
    case "qwen-openai":
      return {
        apiKey: secretText(str(fields, "apiKey"), "OPENAI_API_KEY", "Paste the key of the OpenAI-compatible endpoint (DashScope, OpenRouter, a local server…)."),
        baseUrl: httpUrl(str(fields, "baseUrl"), "OPENAI_BASE_URL"),
        model: identifier(str(fields, "model"), "OPENAI_MODEL", "qwen3-coder-plus"),
      };
    case "copilot-token":
      return {
        envVar: oneOf(str(fields, "envVar") || COPILOT_TOKEN_VARS[0], COPILOT_TOKEN_VARS, "The variable"),
        token: secretText(str(fields, "token"), "The GitHub token", "A fine-grained personal access token with the Copilot Requests permission (github_pat_…)."),
      };
    case "generic": {
      const env = typeof fields.env === "string" ? fields.env.replace(/\r\n/g, "\n") : "";
      parseEnvText(env);
      const filesText = typeof fields.files === "string" ? fields.files : "";
      const files = parseFilesText(filesText);
      return {
        env,
        // `secret` is written only when false: true is the default, and older files have no such key.
        files: files.length > 0 ? JSON.stringify(files.map(({ secret, ...f }) => (secret ? f : { ...f, secret })), null, 2) : "",
        secretNames: envNames(fields.secretNames, "Also secret"),
        plainNames: envNames(fields.plainNames, "Not secret"),
      };
    }
  }
}

export function validateName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0) throw new ProfileError("The profile name is empty.", "Give the profile a name you will recognize in the run list.");
  if (trimmed.length > MAX_NAME_LENGTH) throw new ProfileError(`The profile name is longer than ${MAX_NAME_LENGTH} characters.`, "Use a shorter name.");
  return trimmed;
}

// ─── Homes of the agent kinds ──────────────────────────────────────────────────────────────────

/** The kinds whose home agentKindPlan() writes: every agent's but Kimi's (materialize.ts writes those itself). */
export type AgentHomeKind = Exclude<ProfileKind, `kimi-${string}` | "logged-out" | "existing-home" | "generic">;

/** A kind of one of the other agents' families (lib/credential-sources.ts), by the same rule as the source lists. */
export function isAgentHomeKind(kind: ProfileKind): kind is AgentHomeKind {
  const family = familyOfKind(kind);
  return family !== undefined && family !== "kimi";
}

export interface AgentKindPlan {
  /** Relative to the run's home, which is the agent's HOME. */
  files: { path: string; content: string; mode: string }[];
  env: Record<string, string>;
}

/** The auth type Gemini CLI reads from `security.auth.selectedType` in ~/.gemini/settings.json. */
function geminiSettings(selectedType: "gemini-api-key" | "oauth-personal"): string {
  return `${JSON.stringify({ security: { auth: { selectedType } } }, null, 2)}\n`;
}

/**
 * The files and variables each agent kind gives a run, as the agent itself would have them after
 * its own login: Gemini's settings.json + oauth_creds.json, Claude Code's .claude/.credentials.json,
 * Codex's .codex/auth.json (the shape codex-acp's authenticate writes), Qwen's settings.json.
 * `reveal` turns a secret into what the output shows (itself for a run, its mask for the preview).
 * Shared by materialize.ts planHome and the source list above, so they cannot disagree.
 */
export function agentKindPlan(kind: AgentHomeKind, f: ProfileFields, reveal: (secret: string) => string): AgentKindPlan {
  const plan: AgentKindPlan = { files: [], env: {} };
  const text = (key: string): string => (typeof f[key] === "string" ? (f[key] as string) : "");
  const json = (key: string, codec: SecretCodec): string => {
    // Reveal through the codec: a masked preview masks only the secret leaves.
    const value = text(key);
    return `${reveal(value) === value ? value : codec.mask(value, f)}\n`;
  };
  switch (kind) {
    case "gemini-api-key":
      plan.env.GEMINI_API_KEY = reveal(text("apiKey"));
      plan.files.push({ path: ".gemini/settings.json", mode: "0600", content: geminiSettings("gemini-api-key") });
      break;
    case "gemini-oauth":
      plan.files.push({ path: ".gemini/settings.json", mode: "0600", content: geminiSettings("oauth-personal") });
      plan.files.push({ path: ".gemini/oauth_creds.json", mode: "0600", content: json("creds", SECRET_FIELDS["gemini-oauth"].creds) });
      break;
    case "claude-api-key":
      plan.env.ANTHROPIC_API_KEY = reveal(text("apiKey"));
      break;
    case "claude-credentials":
      plan.files.push({ path: ".claude/.credentials.json", mode: "0600", content: json("credentials", SECRET_FIELDS["claude-credentials"].credentials) });
      break;
    case "codex-api-key":
      plan.env[text("envVar") || CODEX_KEY_VARS[0]] = reveal(text("apiKey"));
      break;
    case "codex-auth-json":
      plan.files.push({ path: ".codex/auth.json", mode: "0600", content: json("authJson", SECRET_FIELDS["codex-auth-json"].authJson) });
      break;
    case "qwen-openai":
      plan.env.OPENAI_API_KEY = reveal(text("apiKey"));
      plan.env.OPENAI_BASE_URL = text("baseUrl");
      plan.env.OPENAI_MODEL = text("model");
      plan.files.push({ path: ".qwen/settings.json", mode: "0600", content: `${JSON.stringify({ security: { auth: { selectedType: "openai" } } }, null, 2)}\n` });
      break;
    case "copilot-token":
      plan.env[text("envVar") || COPILOT_TOKEN_VARS[0]] = reveal(text("token"));
      break;
  }
  return plan;
}

// ─── Views ─────────────────────────────────────────────────────────────────────────────────────

/** Credential sources a profile provides, names only: what the browser shows as "where the key comes from". */
export function profileSources(profile: StoredProfile): string[] {
  const f = profile.fields;
  if (isAgentHomeKind(profile.kind)) {
    // Exactly what the home generator writes: its variables and files, by the same keys the
    // agent's source list uses (lib/credential-sources.ts).
    const plan = agentKindPlan(profile.kind, f, (s) => s);
    return [...Object.keys(plan.env).map((k) => `env ${k}`), ...plan.files.map((file) => `file ${file.path}`)];
  }
  switch (profile.kind) {
    case "kimi-api-key":
      return ["config.toml api_key"];
    case "kimi-oauth":
      return ["config.toml oauth (managed:kimi-code)", "credentials/kimi-code.json"];
    case "kimi-oauth-emulated":
      return f.loggedOut === true
        ? ["env KIMI_CODE_OAUTH_HOST, KIMI_CODE_BASE_URL (the emulator; log in from the Auth tab)"]
        : ["kimi login against the OAuth emulator (config.toml oauth_host, credentials/kimi-code-env-<hash>.json)"];
    case "kimi-env":
      return ["env KIMI_MODEL_API_KEY"];
    case "logged-out":
      return [];
    case "existing-home": {
      const dir = typeof f.path === "string" ? f.path : "";
      const sources = [`existing home ${dir} (${f.inPlace === true ? "in place" : "copied"})`];
      try {
        if (statSync(path.join(dir, "config.toml")).isFile()) sources.push("config.toml");
      } catch {
        // No config in that home.
      }
      try {
        for (const name of readdirSync(path.join(dir, "credentials")).filter((n) => n.endsWith(".json")).sort()) sources.push(`credentials/${name}`);
      } catch {
        // No credentials directory.
      }
      return sources;
    }
    case "generic": {
      const sources: string[] = [];
      try {
        sources.push(...Object.keys(parseEnvText(typeof f.env === "string" ? f.env : "")).map((k) => `env ${k}`));
        sources.push(...parseFilesText(typeof f.files === "string" ? f.files : "").map((file) => `file ${file.path}`));
      } catch {
        // Stored values were validated on save; a hand-edited file simply shows fewer sources.
      }
      return sources;
    }
  }
}

export function toView(profile: StoredProfile, now = Date.now()): ProfileView {
  const view: ProfileView = {
    id: profile.id,
    name: profile.name,
    kind: profile.kind,
    builtin: profile.builtin,
    fields: maskFields(profile.kind, profile.fields),
    sources: profileSources(profile),
  };
  if (profile.kind === "kimi-oauth" && typeof profile.fields.token === "string") {
    const expiresAt = tryParseObject(profile.fields.token)?.expires_at;
    if (typeof expiresAt === "number") {
      view.expiresAt = expiresAt;
      if (expiresAt * 1000 < now) view.warning = "This token has expired; Kimi will try to refresh it over the network on the first model call.";
    }
  }
  if (profile.kind === "existing-home" && profile.fields.inPlace === true) view.warning = IN_PLACE_WARNING;
  const family = familyOfKind(profile.kind);
  if (family) view.agentSources = { label: AGENT_SOURCES[family].label, sources: credentialSources(family, view.sources) };
  return view;
}
