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
import { mask } from "../lib/redact";
import type { ProfileKind, ProfileView } from "../lib/wire";
import { checkGenericEnvName, homeFileContentProblem, homeFileProblem, modeProblem, RELAY_ENV, refuseFile } from "./env-policy";
import { ProfileError } from "./errors";

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

export const PROFILE_KINDS: readonly ProfileKind[] = ["kimi-api-key", "kimi-oauth", "kimi-env", "logged-out", "existing-home", "generic"];

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
  mask(value: string): string;
  /** Put stored secrets back wherever the submitted value still carries their masks. */
  restore(submitted: string, stored: string): string;
  /** Every raw secret inside the value, for the redactor. */
  values(value: string): string[];
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

const tokenSecret: SecretCodec = {
  mask(value) {
    const obj = tryParseObject(value);
    if (!obj) return maskValue(value);
    for (const key of TOKEN_SECRET_KEYS) if (typeof obj[key] === "string") obj[key] = maskValue(obj[key]);
    return JSON.stringify(obj, null, 2);
  },
  restore(submitted, stored) {
    if (submitted === tokenSecret.mask(stored)) return stored;
    const next = tryParseObject(submitted);
    const prev = tryParseObject(stored);
    if (!next || !prev) return submitted;
    let changed = false;
    for (const key of TOKEN_SECRET_KEYS) {
      const old = prev[key];
      if (typeof old === "string" && old.length > 0 && next[key] === maskValue(old)) {
        next[key] = old;
        changed = true;
      }
    }
    return changed ? JSON.stringify(next, null, 2) : submitted;
  },
  values(value) {
    const obj = tryParseObject(value);
    const parts = [value];
    if (obj) for (const key of TOKEN_SECRET_KEYS) if (typeof obj[key] === "string") parts.push(obj[key]);
    return parts;
  },
};

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
  mask: (value) => splitEnvLines(value).map((l) => (l.key === undefined ? l.raw : `${l.key}=${maskValue(l.value ?? "")}`)).join("\n"),
  restore(submitted, stored) {
    const old = new Map(splitEnvLines(stored).flatMap((l) => (l.key === undefined ? [] : [[l.key, l.value ?? ""] as const])));
    return splitEnvLines(submitted)
      .map((l) => {
        if (l.key === undefined) return l.raw;
        const prev = old.get(l.key);
        return prev !== undefined && prev.length > 0 && l.value === maskValue(prev) ? `${l.key}=${prev}` : l.raw;
      })
      .join("\n");
  },
  values: (value) => splitEnvLines(value).flatMap((l) => (l.value ? [l.value] : [])),
};

export interface GenericFile {
  path: string;
  content: string;
  mode: string;
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

const filesSecret: SecretCodec = {
  mask(value) {
    const list = tryParseFiles(value);
    if (!list) return maskValue(value);
    return JSON.stringify(list.map((f) => ({ ...f, content: typeof f.content === "string" ? maskValue(f.content) : f.content })), null, 2);
  },
  restore(submitted, stored) {
    if (submitted === filesSecret.mask(stored)) return stored;
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
      if (typeof f.content !== "string" || f.content.length === 0) return [];
      const lines = f.content.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length >= MIN_FILE_LINE_SECRET);
      return [f.content, ...lines];
    });
  },
};

/** Which fields of each kind are secret, and how they are masked. */
const SECRET_FIELDS: Record<ProfileKind, Record<string, SecretCodec>> = {
  "kimi-api-key": { apiKey: plainSecret },
  "kimi-oauth": { token: tokenSecret },
  "kimi-env": { apiKey: plainSecret },
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
    out[key] = codec && typeof value === "string" ? codec.mask(value) : value;
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
    if (SECRET_FIELDS[previous.kind][key] === codec && typeof next === "string" && typeof stored === "string") out[key] = codec.restore(next, stored);
  }
  return out;
}

/** Raw secrets a profile carries, including those inside an existing home it points at. */
export function profileSecrets(profile: StoredProfile): string[] {
  const out: string[] = [];
  for (const [key, codec] of Object.entries(SECRET_FIELDS[profile.kind])) {
    const value = profile.fields[key];
    if (typeof value === "string" && value.length > 0) out.push(...codec.values(value));
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
  return out;
}

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
    if (RELAY_ENV.has(key)) throw new ProfileError(`${where} sets ${key}, which the playground sets itself.`, "Each run gets its own fresh home through KIMI_CODE_HOME; use the files list to put files in it.");
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
    return { path: rel, content: e.content, mode: mode.padStart(4, "0") };
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
    case "generic": {
      const env = typeof fields.env === "string" ? fields.env.replace(/\r\n/g, "\n") : "";
      parseEnvText(env);
      const filesText = typeof fields.files === "string" ? fields.files : "";
      const files = parseFilesText(filesText);
      return { env, files: files.length > 0 ? JSON.stringify(files, null, 2) : "" };
    }
  }
}

export function validateName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0) throw new ProfileError("The profile name is empty.", "Give the profile a name you will recognize in the run list.");
  if (trimmed.length > MAX_NAME_LENGTH) throw new ProfileError(`The profile name is longer than ${MAX_NAME_LENGTH} characters.`, "Use a shorter name.");
  return trimmed;
}

// ─── Views ─────────────────────────────────────────────────────────────────────────────────────

/** Credential sources a profile provides, names only: what the browser shows as "where the key comes from". */
export function profileSources(profile: StoredProfile): string[] {
  const f = profile.fields;
  switch (profile.kind) {
    case "kimi-api-key":
      return ["config.toml api_key"];
    case "kimi-oauth":
      return ["config.toml oauth (managed:kimi-code)", "credentials/kimi-code.json"];
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
  return view;
}
