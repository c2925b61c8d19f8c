/**
 * Trace files: one run as JSONL, so a user can attach it to a bug report and anyone can open it in
 * their own playground. Line 1 is a versioned header (who spoke, with which profile kind and which
 * credential sources, never their values); every further line is one Frame exactly as recorded.
 * The relay already redacted the frames; export redacts every string once more with the caller's
 * redactor, because a trace leaves the machine. Import validates line by line and names the line,
 * since these files get hand-trimmed. Isomorphic: no DOM, no node:*.
 */
import { OUT_OF_BAND_KINDS, type Direction, type Frame, type FrameKind, type ProfileKind } from "./wire";

export const TRACE_FORMAT = "acp-playground-trace";
export const TRACE_VERSION = 1;

export interface TraceHeader {
  format: typeof TRACE_FORMAT;
  version: typeof TRACE_VERSION;
  playground: { version: string };
  agent: { id: string; label: string; info: { name: string; title?: string; version: string } | null };
  /** Kind and the names of the credential sources present (`config.toml api_key`), never values. */
  profile: { kind: ProfileKind | null; sources: string[] };
  /** What the client advertised in `initialize`, or null if it never sent one. */
  clientCapabilities: Record<string, unknown> | null;
  /** ISO 8601. */
  exportedAt: string;
  /** Frame lines that follow the header. */
  frames: number;
  /** Frames the relay's ring had already dropped before the export: the trace starts late by this many. */
  dropped: number;
}

export interface TraceExport {
  playgroundVersion: string;
  agent: TraceHeader["agent"];
  profile: TraceHeader["profile"];
  /** When omitted, taken from the first `initialize` request among the frames. */
  clientCapabilities?: Record<string, unknown> | null;
  frames: readonly Frame[];
  dropped?: number;
  exportedAt?: Date;
}

export interface Trace {
  header: TraceHeader;
  frames: Frame[];
}

/** A trace file that cannot be read; `line` is 1-based (0 when the problem is the file as a whole). */
export class TraceFormatError extends Error {
  readonly line: number;
  constructor(line: number, message: string) {
    super(line > 0 ? `Trace line ${line}: ${message}` : `Trace: ${message}`);
    this.name = new.target.name;
    this.line = line;
  }
}

/** Apply `redact` to every string inside a JSON-like value; numbers and structure stay as they are. */
function redactDeep<T>(value: T, redact: (text: string) => string): T {
  if (typeof value === "string") return redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, redact)) as T;
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v, redact);
    return out as T;
  }
  return value;
}

function capabilitiesFrom(frames: readonly Frame[]): Record<string, unknown> | null {
  for (const f of frames) {
    if (f.dir !== "out" || f.kind !== "request" || f.method !== "initialize") continue;
    try {
      const caps = (JSON.parse(f.raw) as { params?: { clientCapabilities?: unknown } }).params?.clientCapabilities;
      if (typeof caps === "object" && caps !== null && !Array.isArray(caps)) return caps as Record<string, unknown>;
    } catch {
      // A hand-typed, malformed initialize: no capabilities to report.
    }
  }
  return null;
}

export function exportTrace(input: TraceExport, opts: { redact?: (text: string) => string } = {}): string {
  const redact = opts.redact ?? ((text: string) => text);
  const header: TraceHeader = {
    format: TRACE_FORMAT,
    version: TRACE_VERSION,
    playground: { version: input.playgroundVersion },
    agent: input.agent,
    profile: input.profile,
    clientCapabilities: input.clientCapabilities !== undefined ? input.clientCapabilities : capabilitiesFrom(input.frames),
    exportedAt: (input.exportedAt ?? new Date()).toISOString(),
    frames: input.frames.length,
    dropped: input.dropped ?? 0,
  };
  const lines = [JSON.stringify(redactDeep(header, redact))];
  for (const frame of input.frames) lines.push(JSON.stringify(redactDeep(frame, redact)));
  return `${lines.join("\n")}\n`;
}

const DIRECTIONS: readonly Direction[] = ["out", "in", "sys"];
const KINDS: readonly FrameKind[] = ["request", "response", "error", "notification", "malformed", "too_large", "stderr", "lifecycle", "lost", "divider", ...OUT_OF_BAND_KINDS];

type Check = (value: unknown) => boolean;
const isString: Check = (v) => typeof v === "string";
const isNumber: Check = (v) => typeof v === "number" && Number.isFinite(v);
const isBoolean: Check = (v) => typeof v === "boolean";
const isObject: Check = (v) => typeof v === "object" && v !== null && !Array.isArray(v);

const REQUIRED_FRAME_FIELDS: Record<string, Check> = {
  seq: (v) => Number.isInteger(v) && (v as number) >= 0,
  runId: isString,
  t: isNumber,
  wall: isNumber,
  dir: (v) => DIRECTIONS.includes(v as Direction),
  kind: (v) => KINDS.includes(v as FrameKind),
  raw: isString,
  bytes: (v) => Number.isInteger(v) && (v as number) >= 0,
};

const OPTIONAL_FRAME_FIELDS: Record<string, Check> = {
  method: isString,
  id: isString,
  errorCode: isNumber,
  errorMessage: isString,
  pairSeq: (v) => Number.isInteger(v),
  latencyMs: isNumber,
  auto: isBoolean,
  lifecycle: isObject,
  note: isString,
  updateKind: isString,
  // The out-of-band lanes (issue #13): checked for shape so a hand-edited trace cannot crash the list.
  http: (v) => isObject(v) && isString((v as Record<string, unknown>).method) && isString((v as Record<string, unknown>).path) && ((v as Record<string, unknown>).host === "oauth" || (v as Record<string, unknown>).host === "model"),
  home: (v) => {
    const h = v as Record<string, unknown>;
    const diffOk = h?.diff === undefined || (Array.isArray(h.diff) && h.diff.every((d) => isObject(d) && isString((d as Record<string, unknown>).key)));
    return isObject(v) && ["create", "change", "delete"].includes(h.op as string) && isString(h.path) && isString(h.summary) && diffOk;
  },
  agentLog: (v) => isObject(v) && isString((v as Record<string, unknown>).file) && Number.isInteger((v as Record<string, unknown>).line),
};

function parseLine(line: string, n: number): unknown {
  try {
    return JSON.parse(line);
  } catch (error) {
    throw new TraceFormatError(n, `not JSON (${(error as Error).message}).`);
  }
}

function checkHeader(value: unknown): TraceHeader {
  if (!isObject(value)) throw new TraceFormatError(1, "the header must be a JSON object.");
  const h = value as Record<string, unknown>;
  if (h.format !== TRACE_FORMAT) throw new TraceFormatError(1, `this is not an ACP Playground trace (format is ${JSON.stringify(h.format)}, expected "${TRACE_FORMAT}").`);
  if (typeof h.version !== "number") throw new TraceFormatError(1, "the header has no numeric version.");
  if (h.version > TRACE_VERSION) throw new TraceFormatError(1, `trace version ${h.version} was written by a newer playground; this one reads version ${TRACE_VERSION}. Update the playground.`);
  if (h.version !== TRACE_VERSION) throw new TraceFormatError(1, `unsupported trace version ${h.version}.`);
  const bad = (field: string, what: string): never => {
    throw new TraceFormatError(1, `header field ${field} must be ${what}.`);
  };
  if (!isObject(h.playground) || !isString((h.playground as Record<string, unknown>).version)) bad("playground.version", "a string");
  const agent = h.agent as Record<string, unknown> | undefined;
  if (!isObject(agent) || !isString(agent?.id) || !isString(agent?.label)) bad("agent", "an object with id and label strings");
  if (agent?.info !== null && !(isObject(agent?.info) && isString((agent?.info as Record<string, unknown>).name))) bad("agent.info", "null or an object with a name");
  const profile = h.profile as Record<string, unknown> | undefined;
  if (!isObject(profile) || !(profile?.kind === null || isString(profile?.kind))) bad("profile.kind", "a string or null");
  if (!Array.isArray(profile?.sources) || !(profile?.sources as unknown[]).every(isString)) bad("profile.sources", "an array of strings");
  if (h.clientCapabilities !== null && !isObject(h.clientCapabilities)) bad("clientCapabilities", "an object or null");
  if (!isString(h.exportedAt)) bad("exportedAt", "an ISO date string");
  if (!Number.isInteger(h.frames) || (h.frames as number) < 0) bad("frames", "a frame count");
  if (!Number.isInteger(h.dropped) || (h.dropped as number) < 0) bad("dropped", "a count");
  return value as TraceHeader;
}

function checkFrame(value: unknown, n: number): Frame {
  if (!isObject(value)) throw new TraceFormatError(n, "a frame must be a JSON object.");
  const f = value as Record<string, unknown>;
  for (const [field, ok] of Object.entries(REQUIRED_FRAME_FIELDS)) {
    if (!(field in f)) throw new TraceFormatError(n, `the frame has no "${field}".`);
    if (!ok(f[field])) throw new TraceFormatError(n, `the frame's "${field}" has an invalid value ${JSON.stringify(f[field])}.`);
  }
  for (const [field, ok] of Object.entries(OPTIONAL_FRAME_FIELDS)) {
    if (f[field] !== undefined && !ok(f[field])) throw new TraceFormatError(n, `the frame's "${field}" has an invalid value ${JSON.stringify(f[field])}.`);
  }
  // Unknown fields are kept: a newer playground may add some, and dropping them would lose data.
  return value as Frame;
}

export function parseTrace(text: string): Trace {
  const lines = text.split("\n");
  // One trailing newline is the normal end of a JSONL file; a CRLF editor adds \r to each line.
  if (lines.at(-1) === "") lines.pop();
  if (lines.length === 0) throw new TraceFormatError(0, "the file is empty.");
  const clean = (line: string): string => (line.endsWith("\r") ? line.slice(0, -1) : line);
  const header = checkHeader(parseLine(clean(lines[0]).replace(/^\uFEFF/, ""), 1));
  const frames: Frame[] = [];
  let lastSeq = -1;
  for (let i = 1; i < lines.length; i++) {
    const line = clean(lines[i]);
    if (line.trim() === "") throw new TraceFormatError(i + 1, "blank line; every line after the header must be one frame.");
    const frame = checkFrame(parseLine(line, i + 1), i + 1);
    if (frame.seq <= lastSeq) throw new TraceFormatError(i + 1, `frame seq ${frame.seq} does not follow ${lastSeq}; frames must be in recording order.`);
    lastSeq = frame.seq;
    frames.push(frame);
  }
  if (frames.length !== header.frames) {
    throw new TraceFormatError(0, `the header announces ${header.frames} frames but the file holds ${frames.length}${frames.length < header.frames ? " (was it cut short?)" : ""}.`);
  }
  return { header, frames };
}
