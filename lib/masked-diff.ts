/**
 * Masked views of the files and HTTP hops the out-of-band lanes record (issue #13): a token file's
 * change must be visible ("access_token ‹eyJ…1a2b, 43 chars› → \"\"") without the token itself.
 * Values under secret-looking keys are masked with the profile masks' helper (lib/redact.ts
 * `mask`: recognizable prefix, last 4, plus the length); everything else stays readable. The
 * relay's redactor still runs over the result, for secrets stored under innocent keys.
 * Isomorphic: no DOM, no node:* (smol-toml is plain JS).
 */
import { parse as parseToml } from "smol-toml";
import { mask } from "./redact";
import type { HomeDiffEntry } from "./wire";

/** At most this many changed keys per file change; the rest are counted. */
export const HOME_DIFF_MAX = 40;
/** A shown value (non-secret) is cut to this many characters. */
const VALUE_MAX = 160;

/**
 * Keys whose string values are credentials: OAuth tokens, API keys, client secrets, device codes,
 * passwords, bearer headers. `token_type`, `expires_in`, `scope` stay readable.
 */
const SECRET_KEY = /(^|[_-])(access|refresh|id|session|bearer|auth)?_?token$|(^|[_-])(api[_-]?key|apikey|secret|client[_-]secret|password|passwd|device[_-]code|code[_-]verifier|authorization|cookie)$/i;
/** camelCase spellings (`accessToken`, `apiKey`): a capital after a lowercase letter, so `key` alone is not one. */
const SECRET_CAMEL = /[a-z](Token|Key|Secret|Password)$/;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) || SECRET_CAMEL.test(key);
}

/** `‹eyJ…1a2b, 43 chars›`; an empty value stays `""`, so a blanked token is visible as such. */
export function maskSecretValue(value: string): string {
  if (value === "") return '""';
  const bearer = /^(Bearer|Basic)\s+(.+)$/i.exec(value);
  if (bearer) return `${bearer[1]} ${maskSecretValue(bearer[2])}`;
  return `‹${mask(value)}, ${[...value].length} chars›`;
}

/** A copy of a JSON-like value with every string under a secret-looking key masked, at any depth. */
export function maskDeep(value: unknown, key = ""): unknown {
  if (typeof value === "string") return key && isSecretKey(key) ? maskSecretValue(value) : value;
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, key));
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = maskDeep(v, k);
    return out;
  }
  return value;
}

/** A URL path with the values of secret-looking query parameters masked (`?code=‹…›`). */
export function maskPath(pathAndQuery: string): string {
  const q = pathAndQuery.indexOf("?");
  if (q === -1) return pathAndQuery;
  const params = pathAndQuery
    .slice(q + 1)
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      if (eq === -1) return pair;
      const name = pair.slice(0, eq);
      let decoded = name;
      try {
        decoded = decodeURIComponent(name);
      } catch {
        // A malformed escape: judged by its raw spelling.
      }
      return isSecretKey(decoded) || decoded === "code" ? `${name}=${maskSecretValue(pair.slice(eq + 1))}` : pair;
    });
  return `${pathAndQuery.slice(0, q)}?${params.join("&")}`;
}

export type StructuredFormat = "json" | "toml";

/** The structured format a home file is read as, by its name; undefined for anything else. */
export function formatOf(file: string): StructuredFormat | undefined {
  if (/\.json$/i.test(file)) return "json";
  if (/\.toml$/i.test(file)) return "toml";
  return undefined;
}

/** Parse a JSON or TOML file's text; undefined when it does not parse (a half-written file). */
export function parseStructured(text: string, format: StructuredFormat): unknown {
  try {
    return format === "json" ? (JSON.parse(text) as unknown) : parseToml(text);
  } catch {
    return undefined;
  }
}

/** Leaves of a parsed document as dotted key → value (arrays are leaves, rendered as JSON). */
function leaves(value: unknown, at = "", out = new Map<string, { value: unknown; key: string }>()): Map<string, { value: unknown; key: string }> {
  if (typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date)) {
    const entries = Object.entries(value);
    if (entries.length === 0 && at) out.set(at, { value: {}, key: at.split(".").at(-1) ?? at });
    for (const [k, v] of entries) leaves(v, at ? `${at}.${k}` : k, out);
    return out;
  }
  out.set(at, { value, key: at.split(".").at(-1) ?? at });
  return out;
}

/** One leaf for display: secrets masked, long values cut, strings quoted like the file has them. */
function show(value: unknown, key: string): string {
  if (typeof value === "string") {
    if (isSecretKey(key)) return maskSecretValue(value);
    const chars = [...value];
    return JSON.stringify(chars.length > VALUE_MAX ? `${chars.slice(0, VALUE_MAX).join("")}…` : value);
  }
  if (value instanceof Date) return value.toISOString();
  const text = JSON.stringify(maskDeep(value, key)) ?? String(value);
  return text.length > VALUE_MAX ? `${text.slice(0, VALUE_MAX)}…` : text;
}

function same(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The changed keys between two parsed documents (either may be undefined: created, deleted or not
 * parseable), masked, at most HOME_DIFF_MAX of them; `truncated` counts the rest.
 */
export function maskedDiff(before: unknown, after: unknown): { entries: HomeDiffEntry[]; truncated: number } {
  const a = before === undefined ? new Map<string, { value: unknown; key: string }>() : leaves(before);
  const b = after === undefined ? new Map<string, { value: unknown; key: string }>() : leaves(after);
  const all: HomeDiffEntry[] = [];
  for (const [path, { value, key }] of b) {
    const old = a.get(path);
    if (!old) all.push({ key: path, op: "add", to: show(value, key) });
    else if (!same(old.value, value)) all.push({ key: path, op: "change", from: show(old.value, key), to: show(value, key) });
  }
  for (const [path, { value, key }] of a) if (!b.has(path)) all.push({ key: path, op: "remove", from: show(value, key) });
  return { entries: all.slice(0, HOME_DIFF_MAX), truncated: Math.max(0, all.length - HOME_DIFF_MAX) };
}

/** One line for a diff: `access_token ‹eyJ…1a2b, 43 chars› → ""`, or `+2 keys, 1 changed`. */
export function diffSummary(entries: readonly HomeDiffEntry[], truncated = 0): string {
  if (entries.length === 0) return truncated ? `${truncated} keys changed` : "no key changed";
  const one = (e: HomeDiffEntry): string => (e.op === "change" ? `${e.key} ${e.from} → ${e.to}` : e.op === "add" ? `+${e.key} ${e.to}` : `−${e.key}`);
  // Secret fields first: the token's fate is what the lane is for.
  const ordered = [...entries].sort((x, y) => Number(isSecretKey(y.key.split(".").at(-1) ?? "")) - Number(isSecretKey(x.key.split(".").at(-1) ?? "")));
  const shown = ordered.slice(0, 2).map(one).join("; ");
  const rest = entries.length - 2 + truncated;
  return rest > 0 ? `${shown}; +${rest} more` : shown;
}
