/**
 * The sequence diagram's view model: a run's frames become rows of arrows between five lanes
 * (Playground · Agent · Agent home · Auth server · Model API), one per frame or HTTP hop, so the
 * whole auth flow (stdio, HTTP, files) reads top to bottom. Streamed `session/update` chunks fold
 * into one arrow per burst, and consecutive lines of one agent log file into one note, which keeps
 * a prompt's hundreds of chunks and records to a few lines and a run of 100 hops readable. Pure and isomorphic (no DOM, no node:*): the component only draws what this returns.
 */
import { CHUNK_KINDS } from "./filters";
import type { Frame } from "./wire";

export type Lane = "playground" | "agent" | "home" | "auth" | "model";

/** Left to right, as drawn. */
export const LANES: readonly { id: Lane; label: string }[] = [
  { id: "playground", label: "Playground" },
  { id: "agent", label: "Agent" },
  { id: "home", label: "Agent home" },
  { id: "auth", label: "Auth server" },
  { id: "model", label: "Model API" },
];

/** What a row draws: an arrow, a dashed answer back, a note on one lane, or a run boundary across all. */
export type ArrowShape = "call" | "return" | "note" | "divider";

/** The filter chips' kinds; every row belongs to exactly one. */
export type ArrowCategory = "rpc" | "chunks" | "stderr" | "lifecycle" | "http" | "home" | "agent-log";

export const CATEGORIES: readonly { id: ArrowCategory; label: string }[] = [
  { id: "rpc", label: "JSON-RPC" },
  { id: "chunks", label: "chunks" },
  { id: "stderr", label: "stderr" },
  { id: "lifecycle", label: "lifecycle" },
  { id: "http", label: "HTTP" },
  { id: "home", label: "home files" },
  { id: "agent-log", label: "agent log" },
];

export type ArrowState = "ok" | "error" | "pending";

export interface SeqArrow {
  /** Unique per row (an HTTP hop has two rows for one frame). */
  key: string;
  /** The frame a click selects. */
  seq: number;
  from: Lane;
  to: Lane;
  shape: ArrowShape;
  category: ArrowCategory;
  /** Short text drawn on the arrow (the component truncates it to the arrow's span). */
  label: string;
  /** The full text, for the tooltip and the accessible name. */
  title: string;
  state: ArrowState;
  /** Monotonic ms of the frame (Frame.t). */
  t: number;
  /** Request → answer milliseconds, on answers (JSON-RPC responses, HTTP hops). */
  latencyMs?: number;
  /** The other end of a request/answer pair, when known. */
  pairedSeq?: number;
  errorCode?: number;
  /** HTTP answers: the status code. */
  status?: number;
  /** Folded runs (chunk bursts, one log file's lines): how many frames and the last one's seq. */
  count?: number;
  lastSeq?: number;
}

const CHUNK_NAMES: Record<string, string> = { agent_message_chunk: "chunks", agent_thought_chunk: "thought chunks", user_message_chunk: "user chunks" };

function isChunk(f: Frame): boolean {
  return f.kind === "notification" && f.method === "session/update" && f.updateKind !== undefined && CHUNK_KINDS.has(f.updateKind);
}

const STOP_REASON = /"stopReason"\s*:\s*"([^"\\]{1,40})"/;

function clip(text: string, max: number): string {
  // Cut before collapsing whitespace: a stderr line can be megabytes, and only its start is shown.
  const one = (text.length > max * 2 ? text.slice(0, max * 2) : text).replace(/\s+/g, " ").trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

function ms(n: number | undefined): string {
  return n === undefined ? "" : `${n.toFixed(n < 10 ? 1 : 0)} ms`;
}

/** stdin (`out`) is the Playground speaking to the Agent; stdout (`in`) the Agent answering. */
function rpcEnds(f: Frame): { from: Lane; to: Lane } {
  return f.dir === "out" ? { from: "playground", to: "agent" } : { from: "agent", to: "playground" };
}

/** The relay stamps latency on answers; a log without it (a hand-made trace) still gets it from the pair's times. */
function latencyOf(f: Frame, frameOf: (seq: number | undefined) => Frame | undefined): number | undefined {
  if (f.latencyMs !== undefined) return f.latencyMs;
  const request = frameOf(f.pairSeq);
  return request && request.kind === "request" ? f.t - request.t : undefined;
}

function rpcRow(f: Frame, answerOf: (seq: number | undefined) => Frame | undefined): SeqArrow {
  const { from, to } = rpcEnds(f);
  const method = f.method ?? "";
  const id = f.id && f.id !== "null" ? ` (id ${f.id.replace(/^[ns]:/, "")})` : "";
  const base = { key: `f${f.seq}`, seq: f.seq, from, to, category: "rpc" as const, t: f.t, pairedSeq: f.pairSeq };
  switch (f.kind) {
    case "request": {
      const answer = answerOf(f.pairSeq);
      const state: ArrowState = f.pairSeq === undefined ? "pending" : answer && answer.kind !== "response" ? "error" : "ok";
      const outcome = state === "pending" ? "no answer yet" : state === "error" ? `answered #${f.pairSeq} with an error` : `answered #${f.pairSeq}`;
      return { ...base, shape: "call", label: method, title: `#${f.seq} ${method}${id} request · ${outcome}`, state };
    }
    case "response": {
      const latencyMs = latencyOf(f, answerOf);
      // A turn's answer says how it ended; that is what a reader scans the diagram for.
      const stop = method === "session/prompt" ? STOP_REASON.exec(f.raw)?.[1] : undefined;
      return { ...base, shape: "return", label: `${method || "result"} ✓${stop ? ` ${stop}` : ""}`, title: `#${f.seq} ${method} result${id}${latencyMs !== undefined ? ` after ${ms(latencyMs)}` : ""}`, state: "ok", latencyMs };
    }
    case "error": {
      const text = `${method ? `${method} ` : ""}✗ ${f.errorCode ?? ""} ${f.errorMessage ?? ""}`.trim();
      return { ...base, shape: "return", label: clip(text, 120), title: `#${f.seq} error${id}: ${text}`, state: "error", latencyMs: latencyOf(f, answerOf), errorCode: f.errorCode };
    }
    case "notification": {
      const label = f.updateKind ? `${method} · ${f.updateKind}` : method;
      return { ...base, shape: "call", label, title: `#${f.seq} notification ${label}`, state: "ok" };
    }
    default: {
      // malformed / too_large: a line that crossed stdio but is not JSON-RPC.
      const what = f.kind === "too_large" ? `too large (${f.bytes} bytes)` : "non-JSON line";
      return { ...base, shape: "call", label: `${what}: ${clip(f.raw, 80)}`, title: `#${f.seq} ${what}${f.note ? ` · ${f.note}` : ""}: ${clip(f.raw, 400)}`, state: "error" };
    }
  }
}

function lifecycleText(f: Frame): string {
  const l = f.lifecycle;
  if (!l) return clip(f.raw, 120);
  if (l.event === "spawned") return `spawned pid ${l.pid ?? "?"}${l.runtime ? ` · node ${l.runtime}` : ""}`;
  if (l.event === "exited") return `exited ${l.signal ? `by ${l.signal}` : `with code ${l.code}`}${l.message ? ` · ${l.message}` : ""}`;
  return `${l.event.replace("_", " ")}${l.message ? `: ${l.message}` : ""}`;
}

function lifecycleFailed(f: Frame): boolean {
  const l = f.lifecycle;
  if (!l) return false;
  return l.event === "spawn_error" || l.event === "runtime_missing" || (l.event === "exited" && ((l.code !== null && l.code !== undefined && l.code !== 0) || (l.signal !== null && l.signal !== undefined && l.signal !== "SIGTERM")));
}

/** An HTTP hop: the request from the Agent, then (when one came) the answer back, both on its frame. */
function httpRows(f: Frame, out: SeqArrow[]): void {
  const h = f.http;
  if (!h) return;
  const server: Lane = h.host === "oauth" ? "auth" : "model";
  const grant = h.grantType ? ` · ${h.grantType.replace(/^urn:ietf:params:oauth:grant-type:/, "")}` : "";
  const request = `${h.method} ${h.path}${grant}`;
  const failed = h.error !== undefined || (h.status !== undefined && h.status >= 400);
  const answered = h.status !== undefined || h.error !== undefined;
  const state: ArrowState = !answered ? "pending" : failed ? "error" : "ok";
  const hostName = h.host === "oauth" ? "Auth server" : "Model API";
  out.push({
    key: `f${f.seq}`,
    seq: f.seq,
    from: "agent",
    to: server,
    shape: "call",
    category: "http",
    label: request,
    title: `#${f.seq} HTTP ${request} → ${hostName}${answered ? "" : " · no answer yet"}`,
    state,
    t: f.t,
  });
  if (!answered) return;
  const answer = h.status !== undefined ? `${h.status}${h.error ? ` · ${h.error}` : ""}` : `no answer: ${h.error}`;
  out.push({
    key: `f${f.seq}a`,
    seq: f.seq,
    from: server,
    to: "agent",
    shape: "return",
    category: "http",
    label: answer,
    title: `#${f.seq} ${hostName} answered ${request}: ${answer}${h.ms !== undefined ? ` after ${ms(h.ms)}` : ""}`,
    state,
    t: f.t,
    latencyMs: h.ms,
    status: h.status,
  });
}

/**
 * Every row of the diagram for these frames, in log order. `answerOf` finds a frame by seq (the
 * store's lookup); without it the frames given are indexed, so a request's state can name its answer.
 */
export function buildSequence(frames: readonly Frame[], answerOf?: (seq: number | undefined) => Frame | undefined): SeqArrow[] {
  let find = answerOf;
  if (!find) {
    const bySeq = new Map<number, Frame>();
    for (const f of frames) bySeq.set(f.seq, f);
    find = (seq) => (seq === undefined ? undefined : bySeq.get(seq));
  }
  const out: SeqArrow[] = [];
  // The open group: consecutive look-alike frames fold into its row (chunks, one log file's lines).
  let group: SeqArrow | undefined;
  let groupKey: string | undefined;
  let groupFirst: Frame | undefined;
  let groupLast: Frame | undefined;
  for (const f of frames) {
    const key = foldKey(f);
    if (group && key !== undefined && key === groupKey) {
      group.count = (group.count ?? 1) + 1;
      group.lastSeq = f.seq;
      groupLast = f;
      if (f.kind === "agent-log" && logLineFailed(f)) group.state = "error";
      continue;
    }
    if (group && groupFirst && groupLast) nameGroup(group, groupFirst, groupLast);
    group = undefined;
    const start = out.length;
    row(f, find, out);
    if (key !== undefined && out.length === start + 1) {
      group = out[start];
      group.count = 1;
      group.lastSeq = f.seq;
      groupKey = key;
      groupFirst = f;
      groupLast = f;
    }
  }
  if (group && groupFirst && groupLast) nameGroup(group, groupFirst, groupLast);
  return out;
}

/**
 * Which run of look-alike frames a frame may fold into: chunks of one kind streaming one way, or
 * lines of one agent log file. Any other frame in between ends the run, so a fold is consecutive.
 */
function foldKey(f: Frame): string | undefined {
  if (isChunk(f)) return `chunk ${f.dir} ${f.updateKind}`;
  if (f.kind === "agent-log" && f.agentLog) return `log ${f.agentLog.file}`;
  return undefined;
}

/** A fold's text is written once it ends, not per frame: a long answer streams thousands of chunks. */
function nameGroup(row: SeqArrow, first: Frame, last: Frame): void {
  const n = row.count ?? 1;
  if (n < 2) return;
  if (row.category === "chunks") {
    row.label = `session/update × ${n} ${CHUNK_NAMES[first.updateKind ?? ""] ?? "chunks"}`;
    row.title = `#${row.seq}–#${row.lastSeq} session/update: ${n} consecutive ${first.updateKind} notifications`;
    return;
  }
  const file = first.agentLog?.file ?? "agent log";
  const lines = `${shortPath(file)}:${first.agentLog?.line}–${last.agentLog?.line}`;
  row.label = `${lines} (${n} lines) ${logText(first.raw, 140)}`;
  row.title = `#${row.seq}–#${row.lastSeq} ${n} lines of ${file} (${first.agentLog?.line}–${last.agentLog?.line}); the first: ${clip(first.raw, 600)}`;
}

/** `sessions/wd_…/session_…/wire.jsonl` → `sessions/…/wire.jsonl`: the file's name is what a reader needs on the arrow. */
function shortPath(p: string): string {
  const parts = p.split("/");
  return parts.length <= 2 ? p : `${parts[0]}/…/${parts[parts.length - 1]}`;
}

const LEADING_TIMESTAMP = /^\[?\d{4}-\d\d-\d\d[T ][\d:.,]+Z?\]?\s*/;

/** A log line for a label: its timestamp dropped (the time column has it), clipped. */
function logText(raw: string, max: number): string {
  return clip(raw.replace(LEADING_TIMESTAMP, ""), max);
}

function logLineFailed(f: Frame): boolean {
  return /"(level|severity)"\s*:\s*"(error|fatal)"|\b(ERROR|FATAL)\b/.test(f.raw);
}

/** The row(s) of one frame, appended to `out`. */
function row(f: Frame, find: (seq: number | undefined) => Frame | undefined, out: SeqArrow[]): void {
  if (isChunk(f)) {
    const { from, to } = rpcEnds(f);
    out.push({ key: `f${f.seq}`, seq: f.seq, from, to, shape: "call", category: "chunks", label: `session/update · ${f.updateKind}`, title: `#${f.seq} session/update ${f.updateKind}`, state: "ok", t: f.t });
    return;
  }
  switch (f.kind) {
    case "request":
    case "response":
    case "error":
    case "notification":
    case "malformed":
    case "too_large":
      out.push(rpcRow(f, find));
      break;
    case "stderr":
      out.push({ key: `f${f.seq}`, seq: f.seq, from: "agent", to: "agent", shape: "note", category: "stderr", label: clip(f.raw, 160) || "(empty stderr line)", title: `#${f.seq} stderr: ${clip(f.raw, 600)}`, state: "ok", t: f.t });
      break;
    case "lifecycle": {
      const text = lifecycleText(f);
      out.push({ key: `f${f.seq}`, seq: f.seq, from: "agent", to: "agent", shape: "note", category: "lifecycle", label: text, title: `#${f.seq} ${text}${f.lifecycle?.hint ? ` — ${f.lifecycle.hint}` : ""}`, state: lifecycleFailed(f) ? "error" : "ok", t: f.t });
      break;
    }
    case "lost": {
      const text = f.note ?? `request #${f.pairSeq ?? "?"} lost`;
      out.push({ key: `f${f.seq}`, seq: f.seq, from: "agent", to: "playground", shape: "return", category: "rpc", label: clip(`${f.method ?? ""} lost`.trim(), 80), title: `#${f.seq} ${text}`, state: "error", t: f.t, pairedSeq: f.pairSeq });
      break;
    }
    case "divider":
      out.push({ key: `f${f.seq}`, seq: f.seq, from: "playground", to: "model", shape: "divider", category: "lifecycle", label: f.raw, title: f.note ?? f.raw, state: "ok", t: f.t });
      break;
    case "http":
      httpRows(f, out);
      break;
    case "home": {
      const h = f.home;
      const label = h ? `${h.op} ${shortPath(h.path)}${h.summary ? `: ${h.summary}` : ""}` : clip(f.raw, 120);
      const full = h ? `${h.op} ${h.path}${h.summary ? `: ${h.summary}` : ""}` : clip(f.raw, 400);
      out.push({ key: `f${f.seq}`, seq: f.seq, from: "agent", to: "home", shape: "call", category: "home", label: clip(label, 160), title: `#${f.seq} home file ${full}`, state: "ok", t: f.t });
      break;
    }
    case "agent-log": {
      const file = f.agentLog?.file ?? "agent log";
      const where = f.agentLog ? `${shortPath(file)}:${f.agentLog.line}` : file;
      out.push({ key: `f${f.seq}`, seq: f.seq, from: "home", to: "home", shape: "note", category: "agent-log", label: `${where} ${logText(f.raw, 140)}`, title: `#${f.seq} ${file}:${f.agentLog?.line ?? "?"}: ${clip(f.raw, 600)}`, state: logLineFailed(f) ? "error" : "ok", t: f.t });
      break;
    }
  }
}

export interface SequenceFilter {
  /** Lanes switched off: their column goes, and every row touching them. */
  hiddenLanes: readonly Lane[];
  hiddenCategories: readonly ArrowCategory[];
  errorsOnly: boolean;
}

export const SHOW_ALL: SequenceFilter = { hiddenLanes: [], hiddenCategories: [], errorsOnly: false };

/** The lanes drawn, left to right. */
export function visibleLanes(filter: SequenceFilter): Lane[] {
  return LANES.map((l) => l.id).filter((id) => !filter.hiddenLanes.includes(id));
}

export function filterArrows(arrows: readonly SeqArrow[], filter: SequenceFilter): SeqArrow[] {
  if (filter.hiddenLanes.length === 0 && filter.hiddenCategories.length === 0 && !filter.errorsOnly) return arrows as SeqArrow[];
  const lanes = new Set(filter.hiddenLanes);
  const cats = new Set(filter.hiddenCategories);
  return arrows.filter((a) => {
    if (a.shape === "divider") return !filter.errorsOnly;
    if (lanes.has(a.from) || lanes.has(a.to) || cats.has(a.category)) return false;
    return !filter.errorsOnly || a.state === "error";
  });
}

/** Rows per lane (a row counts for each lane it touches), for the chips' counts. */
export function laneCounts(arrows: readonly SeqArrow[]): Record<Lane, number> {
  const counts: Record<Lane, number> = { playground: 0, agent: 0, home: 0, auth: 0, model: 0 };
  for (const a of arrows) {
    if (a.shape === "divider") continue;
    counts[a.from]++;
    if (a.to !== a.from) counts[a.to]++;
  }
  return counts;
}

export function categoryCounts(arrows: readonly SeqArrow[]): Record<ArrowCategory, number> {
  const counts: Record<ArrowCategory, number> = { rpc: 0, chunks: 0, stderr: 0, lifecycle: 0, http: 0, home: 0, "agent-log": 0 };
  for (const a of arrows) if (a.shape !== "divider") counts[a.category]++;
  return counts;
}

/** The row that shows a frame: the one starting at it, or the fold holding it. */
export function rowOfSeq(arrows: readonly SeqArrow[], seq: number | undefined): number {
  if (seq === undefined) return -1;
  let lo = 0;
  let hi = arrows.length - 1;
  // Rows are in seq order (an HTTP hop's two rows share one), so a binary search finds the last row starting at or before seq.
  let best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (arrows[mid].seq <= seq) {
      best = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (best === -1) return -1;
  while (best > 0 && arrows[best - 1].seq === arrows[best].seq) best--;
  const a = arrows[best];
  return a.seq === seq || (a.lastSeq !== undefined && seq <= a.lastSeq) ? best : -1;
}
