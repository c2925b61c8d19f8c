/**
 * ACP v1 elicitation (`elicitation/create`, `elicitation/complete`) as data: the request read into
 * a mode (form, URL, or one this client does not know), a form's restricted schema turned into a
 * field model a form can render, and the user's answer checked against that schema. The browser
 * renders and pre-checks with it; the relay checks again before it writes the JSON-RPC answer, so
 * an answer that does not fit the schema never reaches the agent. Shapes follow the SDK 2.4.0
 * schema (`ElicitationSchema`, `ElicitationPropertySchema`, `ElicitationUrlMode`,
 * `CreateElicitationResponse`); unknown modes and property types are kept flagged, never rendered
 * as known ones (the schema's MUST). Isomorphic: no DOM, no node:*.
 */
import { parseMessage } from "./jsonrpc";
import type { Frame } from "./wire";

export type ElicitationAction = "accept" | "decline" | "cancel";
export const ELICITATION_ACTIONS: readonly ElicitationAction[] = ["accept", "decline", "cancel"];

/** What `content` may hold (ElicitationContentValue): strings, numbers, booleans, string arrays. */
export type ElicitationValue = string | number | boolean | string[];

export type StringFormat = "email" | "uri" | "date" | "date-time";
const STRING_FORMATS: readonly StringFormat[] = ["email", "uri", "date", "date-time"];

export interface EnumOption {
  value: string;
  title: string;
}

interface FieldBase {
  name: string;
  /** The property's title, or its name. */
  title: string;
  description?: string;
  required: boolean;
}

export type ElicitationField =
  | (FieldBase & { kind: "string"; default?: string; minLength?: number; maxLength?: number; pattern?: string; format?: StringFormat; unknownFormat?: string })
  | (FieldBase & { kind: "enum"; options: EnumOption[]; default?: string })
  | (FieldBase & { kind: "number" | "integer"; default?: number; minimum?: number; maximum?: number })
  | (FieldBase & { kind: "boolean"; default?: boolean })
  | (FieldBase & { kind: "multi"; options: EnumOption[]; default?: string[]; minItems?: number; maxItems?: number })
  /** A property type this client does not know: shown flagged, never as an input. */
  | (FieldBase & { kind: "unknown"; type: string });

export interface ElicitationForm {
  title?: string;
  description?: string;
  fields: ElicitationField[];
}

/** The URL of a URL-mode elicitation, as the user must see it before opening it. */
export interface ElicitationUrl {
  url: string;
  /** The host the link really goes to (punycode as the URL parser gives it), shown prominently. */
  host?: string;
  /** http or https with a host: the only links the playground offers to open. */
  openable: boolean;
  /** Why it is not offered, or what looks off about it (credentials in the URL). */
  problem?: string;
}

export interface ElicitationScope {
  sessionId?: string;
  toolCallId?: string;
  /** Request-scoped: tied to a JSON-RPC request outside a session (auth, configuration). */
  requestId?: string | number | null;
}

export type ElicitationRequest =
  | { mode: "form"; message: string; scope: ElicitationScope; form: ElicitationForm }
  | { mode: "url"; message: string; scope: ElicitationScope; elicitationId: string; url: ElicitationUrl }
  /** A mode this client does not know (or a known one missing its required fields): flagged, never rendered as known. */
  | { mode: "unknown"; rawMode: string; message: string; scope: ElicitationScope; problem: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const count = (v: unknown): number | undefined => (typeof v === "number" && Number.isInteger(v) && v >= 0 ? v : undefined);

function enumOptions(list: unknown): EnumOption[] | undefined {
  if (!Array.isArray(list)) return undefined;
  return list.flatMap((o): EnumOption[] => {
    if (typeof o === "string") return [{ value: o, title: o }];
    if (isRecord(o) && typeof o.const === "string") return [{ value: o.const, title: typeof o.title === "string" ? o.title : o.const }];
    return [];
  });
}

/** One property of `requestedSchema.properties` as a field. */
export function fieldOf(name: string, raw: unknown, required: boolean): ElicitationField {
  const p = isRecord(raw) ? raw : {};
  const base: FieldBase = { name, title: str(p.title) ?? name, required, ...(str(p.description) ? { description: str(p.description) } : {}) };
  switch (p.type) {
    case "string": {
      const options = enumOptions(p.enum) ?? enumOptions(p.oneOf);
      if (options) return { ...base, kind: "enum", options, ...(str(p.default) !== undefined ? { default: str(p.default) } : {}) };
      const format = str(p.format);
      const known = STRING_FORMATS.find((f) => f === format);
      return {
        ...base,
        kind: "string",
        ...(str(p.default) !== undefined ? { default: str(p.default) } : {}),
        ...(count(p.minLength) !== undefined ? { minLength: count(p.minLength) } : {}),
        ...(count(p.maxLength) !== undefined ? { maxLength: count(p.maxLength) } : {}),
        ...(str(p.pattern) !== undefined ? { pattern: str(p.pattern) } : {}),
        ...(known ? { format: known } : format !== undefined ? { unknownFormat: format } : {}),
      };
    }
    case "number":
    case "integer":
      return {
        ...base,
        kind: p.type,
        ...(num(p.default) !== undefined ? { default: num(p.default) } : {}),
        ...(num(p.minimum) !== undefined ? { minimum: num(p.minimum) } : {}),
        ...(num(p.maximum) !== undefined ? { maximum: num(p.maximum) } : {}),
      };
    case "boolean":
      return { ...base, kind: "boolean", ...(typeof p.default === "boolean" ? { default: p.default } : {}) };
    case "array": {
      const items = isRecord(p.items) ? p.items : {};
      const options = (items.type === "string" || items.type === undefined ? enumOptions(items.enum) : undefined) ?? enumOptions(items.anyOf);
      if (!options) return { ...base, kind: "unknown", type: `array of ${typeof items.type === "string" ? items.type : "unknown items"}` };
      const defaults = Array.isArray(p.default) ? p.default.filter((d): d is string => typeof d === "string") : undefined;
      return {
        ...base,
        kind: "multi",
        options,
        ...(defaults ? { default: defaults } : {}),
        ...(count(p.minItems) !== undefined ? { minItems: count(p.minItems) } : {}),
        ...(count(p.maxItems) !== undefined ? { maxItems: count(p.maxItems) } : {}),
      };
    }
    default:
      return { ...base, kind: "unknown", type: typeof p.type === "string" ? p.type : "(no type)" };
  }
}

/** A form's restricted schema as fields, in the order the agent listed its properties. */
export function formOf(schema: unknown): ElicitationForm {
  const s = isRecord(schema) ? schema : {};
  const required = new Set(Array.isArray(s.required) ? s.required.filter((r): r is string => typeof r === "string") : []);
  const props = isRecord(s.properties) ? s.properties : {};
  return {
    ...(str(s.title) ? { title: str(s.title) } : {}),
    ...(str(s.description) ? { description: str(s.description) } : {}),
    fields: Object.entries(props).map(([name, raw]) => fieldOf(name, raw, required.has(name))),
  };
}

/** A URL the user may be offered: only http(s), host shown, credentials in it called out. */
export function urlOf(raw: string): ElicitationUrl {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    return { url: raw, openable: false, problem: "not a valid absolute URL" };
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    return { url: raw, host: parsed.host || undefined, openable: false, problem: `the scheme ${parsed.protocol} is not offered (only http and https links are)` };
  }
  if (!parsed.host) return { url: raw, openable: false, problem: "the URL has no host" };
  const problem = parsed.username || parsed.password ? `the URL carries credentials before the host; it really goes to ${parsed.host}` : undefined;
  return { url: raw, host: parsed.host, openable: true, ...(problem ? { problem } : {}) };
}

function scopeOf(p: Record<string, unknown>): ElicitationScope {
  const scope: ElicitationScope = {};
  if (typeof p.sessionId === "string") scope.sessionId = p.sessionId;
  if (typeof p.toolCallId === "string") scope.toolCallId = p.toolCallId;
  if ("requestId" in p && (typeof p.requestId === "string" || typeof p.requestId === "number" || p.requestId === null)) scope.requestId = p.requestId;
  return scope;
}

/** Read `elicitation/create` params. Never throws: what it cannot read is `unknown`, with why. */
export function parseElicitation(params: unknown): ElicitationRequest {
  const p = isRecord(params) ? params : {};
  const message = typeof p.message === "string" ? p.message : "";
  const scope = scopeOf(p);
  const rawMode = typeof p.mode === "string" ? p.mode : "";
  if (rawMode === "form") {
    if (!isRecord(p.requestedSchema)) return { mode: "unknown", rawMode, message, scope, problem: "form mode without a requestedSchema object" };
    return { mode: "form", message, scope, form: formOf(p.requestedSchema) };
  }
  if (rawMode === "url") {
    if (typeof p.url !== "string" || typeof p.elicitationId !== "string") return { mode: "unknown", rawMode, message, scope, problem: "URL mode without a string url and elicitationId" };
    return { mode: "url", message, scope, elicitationId: p.elicitationId, url: urlOf(p.url) };
  }
  return {
    mode: "unknown",
    rawMode,
    message,
    scope,
    problem: rawMode === "" ? "no mode" : `mode "${rawMode}" is not one this client knows (${rawMode.startsWith("_") ? "an implementation-specific extension" : "reserved for a future ACP version"}); it is not rendered as a form or a URL`,
  };
}

/** The form's starting values: defaults where given, else empty (booleans false, multi none). */
export function initialValues(form: ElicitationForm): Record<string, ElicitationValue> {
  const values: Record<string, ElicitationValue> = {};
  for (const f of form.fields) {
    if (f.kind === "unknown") continue;
    if (f.kind === "boolean") values[f.name] = f.default ?? false;
    else if (f.kind === "multi") values[f.name] = f.default ?? [];
    else if (f.kind === "number" || f.kind === "integer") values[f.name] = f.default === undefined ? "" : String(f.default);
    else values[f.name] = f.default ?? "";
  }
  return values;
}

/**
 * The inputs of a form (text boxes hold numbers as text) as `content`: numbers parsed, empty
 * optional fields left out. A number that does not parse is kept as text, so validation names it.
 */
export function contentFromInputs(form: ElicitationForm, inputs: Readonly<Record<string, ElicitationValue>>): Record<string, ElicitationValue> {
  const content: Record<string, ElicitationValue> = {};
  for (const f of form.fields) {
    const v = inputs[f.name];
    if (v === undefined || f.kind === "unknown") continue;
    if ((f.kind === "number" || f.kind === "integer") && typeof v === "string") {
      if (v.trim() === "") continue;
      const n = Number(v);
      content[f.name] = Number.isFinite(n) ? n : v;
      continue;
    }
    if (typeof v === "string" && v === "" && !f.required) continue;
    if (f.kind === "multi" && Array.isArray(v) && v.length === 0 && !f.required) continue;
    content[f.name] = v;
  }
  return content;
}

/** Longest string value an answer may carry: a form field, not a file. */
export const MAX_VALUE_LENGTH = 16_384;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function validDate(text: string): boolean {
  const m = DATE.exec(text);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

function formatProblem(format: StringFormat, value: string): string | undefined {
  switch (format) {
    case "email":
      return EMAIL.test(value) ? undefined : "must be an email address";
    case "uri":
      try {
        new URL(value);
        return undefined;
      } catch {
        return "must be an absolute URI";
      }
    case "date":
      return validDate(value) ? undefined : "must be a date (YYYY-MM-DD)";
    case "date-time":
      return DATE_TIME.test(value) && !Number.isNaN(Date.parse(value)) && validDate(value.slice(0, 10)) ? undefined : "must be a date-time (ISO 8601, with a time zone)";
  }
}

function fieldProblem(f: ElicitationField, v: unknown, checkPattern: boolean): string | undefined {
  switch (f.kind) {
    case "unknown":
      return `is of type "${f.type}", which this client cannot fill in`;
    case "string": {
      if (typeof v !== "string") return "must be text";
      if (v.length > MAX_VALUE_LENGTH) return `must be at most ${MAX_VALUE_LENGTH} characters here`;
      if (f.required && v.length === 0) return "is required";
      if (f.minLength !== undefined && [...v].length < f.minLength) return `must be at least ${f.minLength} characters`;
      if (f.maxLength !== undefined && [...v].length > f.maxLength) return `must be at most ${f.maxLength} characters`;
      if (f.format) {
        const problem = formatProblem(f.format, v);
        if (problem) return problem;
      }
      if (checkPattern && f.pattern !== undefined) {
        let re: RegExp | undefined;
        try {
          re = new RegExp(f.pattern, "u");
        } catch {
          re = undefined; // an agent's broken pattern cannot be checked; the agent sees the value
        }
        if (re && !re.test(v)) return `must match the pattern ${f.pattern}`;
      }
      return undefined;
    }
    case "enum":
      if (typeof v !== "string" || !f.options.some((o) => o.value === v)) return f.required || v !== "" ? "must be one of the listed choices" : undefined;
      return undefined;
    case "number":
    case "integer":
      if (typeof v !== "number" || !Number.isFinite(v)) return "must be a number";
      if (f.kind === "integer" && !Number.isInteger(v)) return "must be a whole number";
      if (f.minimum !== undefined && v < f.minimum) return `must be ≥ ${f.minimum}`;
      if (f.maximum !== undefined && v > f.maximum) return `must be ≤ ${f.maximum}`;
      return undefined;
    case "boolean":
      return typeof v === "boolean" ? undefined : "must be true or false";
    case "multi": {
      if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) return "must be a list of choices";
      if (v.some((x) => !f.options.some((o) => o.value === x))) return "holds a value that is not one of the choices";
      if (new Set(v).size !== v.length) return "holds a choice twice";
      if (f.required && v.length === 0) return "is required";
      if (f.minItems !== undefined && v.length < f.minItems) return `needs at least ${f.minItems} choices`;
      if (f.maxItems !== undefined && v.length > f.maxItems) return `allows at most ${f.maxItems} choices`;
      return undefined;
    }
  }
}

export type ContentCheck = { ok: true; content: Record<string, ElicitationValue> } | { ok: false; problems: Record<string, string> };

/**
 * Does `content` answer the form? Every required field present and each value of its field's
 * type and bounds; no key the schema does not list. `checkPattern` is off on the relay: an agent's
 * regular expression is run in the user's browser only, never on the server.
 */
export function checkContent(form: ElicitationForm, content: unknown, opts: { checkPattern?: boolean } = {}): ContentCheck {
  const problems: Record<string, string> = {};
  if (!isRecord(content)) return { ok: false, problems: { "": "content must be an object" } };
  const known = new Set(form.fields.map((f) => f.name));
  for (const key of Object.keys(content)) if (!known.has(key)) problems[key] = "is not a field of the form";
  const out: Record<string, ElicitationValue> = {};
  for (const f of form.fields) {
    const v = content[f.name];
    if (v === undefined) {
      if (f.required) problems[f.name] = f.kind === "unknown" ? fieldProblem(f, v, false) ?? "is required" : "is required";
      continue;
    }
    const problem = fieldProblem(f, v, opts.checkPattern !== false);
    if (problem) problems[f.name] = problem;
    else out[f.name] = v as ElicitationValue;
  }
  return Object.keys(problems).length > 0 ? { ok: false, problems } : { ok: true, content: out };
}

/** The JSON-RPC result for an answer (CreateElicitationResponse). */
export function elicitationResult(action: ElicitationAction, content?: Record<string, ElicitationValue>): Record<string, unknown> {
  return action === "accept" && content !== undefined ? { action, content } : { action };
}

/** The action of an `elicitation/create` answer; an unrecognised one counts as cancel (the spec's rule). */
export function answeredAction(result: unknown): ElicitationAction | undefined {
  if (!isRecord(result) || typeof result.action !== "string") return undefined;
  return ELICITATION_ACTIONS.find((a) => a === result.action) ?? "cancel";
}

export type ElicitationState = "open" | "accepted" | "declined" | "cancelled" | "failed" | "completed" | "lost";

/** One elicitation/create of a log with what became of it. */
export interface ElicitationItem {
  seq: number;
  runId: string;
  /** The request's id key (`n:3`), for the answer. */
  id: string;
  request: ElicitationRequest;
  state: ElicitationState;
  answerSeq?: number;
  /** The elicitation/complete notification that closed a URL elicitation. */
  completedSeq?: number;
  /** The action the client answered with (an unrecognised one reads as cancel). */
  action?: ElicitationAction;
  /** An error answer's code (-32601 when the capability was not advertised). */
  errorCode?: number;
}

/**
 * Every elicitation/create in `frames`, oldest first, with its answer and, for URL mode, its
 * elicitation/complete (matched by elicitationId, after the request). A URL elicitation is
 * `completed` once that notification came, whatever was answered.
 */
export function elicitationsOf(frames: readonly Frame[]): ElicitationItem[] {
  const bySeq = new Map<string, Frame>();
  // Answers by their request's seq: a copy of the request may predate its pairing (a tab's log).
  const answerOf = new Map<string, Frame>();
  for (const f of frames) {
    bySeq.set(`${f.runId}#${f.seq}`, f);
    if (f.pairSeq !== undefined && f.kind !== "request") answerOf.set(`${f.runId}#${f.pairSeq}`, f);
  }
  const completes: { runId: string; seq: number; elicitationId: string }[] = [];
  for (const f of frames) {
    if (f.dir !== "in" || f.kind !== "notification" || f.method !== "elicitation/complete") continue;
    const id = (parseMessage(f)?.params as { elicitationId?: unknown } | undefined)?.elicitationId;
    if (typeof id === "string") completes.push({ runId: f.runId, seq: f.seq, elicitationId: id });
  }
  const items: ElicitationItem[] = [];
  for (const f of frames) {
    if (f.dir !== "in" || f.kind !== "request" || f.method !== "elicitation/create" || f.id === undefined) continue;
    const request = parseElicitation(parseMessage(f)?.params);
    const item: ElicitationItem = { seq: f.seq, runId: f.runId, id: f.id, request, state: "open" };
    const answer = answerOf.get(`${f.runId}#${f.seq}`) ?? (f.pairSeq === undefined ? undefined : bySeq.get(`${f.runId}#${f.pairSeq}`));
    if (answer) {
      item.answerSeq = answer.seq;
      if (answer.kind === "lost") item.state = "lost";
      else if (answer.kind === "error") {
        item.state = "failed";
        item.errorCode = answer.errorCode;
      } else {
        const action = answeredAction(parseMessage(answer)?.result);
        item.action = action;
        item.state = action === "accept" ? "accepted" : action === "decline" ? "declined" : "cancelled";
      }
    }
    if (request.mode === "url") {
      const done = completes.find((c) => c.runId === f.runId && c.seq > f.seq && c.elicitationId === request.elicitationId);
      if (done) {
        item.completedSeq = done.seq;
        item.state = "completed";
      }
    }
    items.push(item);
  }
  return items;
}
