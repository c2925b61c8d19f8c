/**
 * Evidence belongs to one run (issue #14 §1). Everything the page keeps besides the frame log —
 * the selected frame, a flow's status line, the advertisement diff, a "Why?" selection — is held
 * with the run it came from, and shown only while that run is viewed. These are the pure rules
 * for that, for the run list's labels, for the action buttons' preconditions and in-flight state,
 * and for colouring a result by its verdict rather than by "the flow finished". Isomorphic.
 */
import { lastInitialize } from "./selectors";
import type { AdvertisementVariant, Frame, RunSummary, ServerEvent } from "./wire";

// ─── Values that belong to one run ─────────────────────────────────────────────────────────────

/** A UI value and the run it was made in. */
export interface Scoped<T> {
  runId: string;
  value: T;
}

/** The value when it belongs to `runId`, else nothing: a new run never opens an old run's frame. */
export function scopedTo<T>(scoped: Scoped<T> | undefined, runId: string | undefined): T | undefined {
  return scoped !== undefined && runId !== undefined && scoped.runId === runId ? scoped.value : undefined;
}

// ─── Flow status lines ─────────────────────────────────────────────────────────────────────────

export type FlowEvent = Extract<ServerEvent, { type: "flow" }>;
/** A flow's status line as the page keeps it: the run it is about, and the run it moved on to. */
export type FlowView = FlowEvent & { runId: string; movedTo?: string; during?: string };
export type Verdict = "ok" | "fail" | "pending";

/**
 * Keep the newest status line per run. A line for another run ends an older run's line that was
 * still running (Auto's login in run-21 continues as the reconnect in run-22): it then says so.
 */
export function recordFlow(flows: Readonly<Record<string, FlowView>>, event: FlowEvent, runId: string, during?: string, keep = 50): Record<string, FlowView> {
  const next: Record<string, FlowView> = {};
  for (const [id, f] of Object.entries(flows)) next[id] = id !== runId && f.state === "running" && f.mode === event.mode ? { ...f, movedTo: runId } : f;
  delete next[runId];
  next[runId] = during === undefined ? { ...event, runId } : { ...event, runId, during };
  const ids = Object.keys(next);
  for (const id of ids.slice(0, Math.max(0, ids.length - keep))) delete next[id];
  return next;
}

/**
 * The status line to show with the viewed run: its own, or a flow still starting its fresh run
 * (no run yet) that began while the viewed run was the current one.
 */
export function flowFor(flows: Readonly<Record<string, FlowView>>, viewRunId: string | undefined, currentRunId: string | undefined): FlowView | undefined {
  const own = viewRunId !== undefined ? flows[viewRunId] : undefined;
  if (own) return own;
  const starting = flows[""];
  return starting && starting.movedTo === undefined && viewRunId === currentRunId && (starting.during || undefined) === currentRunId ? starting : undefined;
}

/**
 * Red, amber or green by what the flow found, never by "it finished": a Probe that ends with
 * session/new -32000 has done its job and still reports a failure.
 */
export function flowVerdict(flow: Pick<FlowView, "state" | "verdict" | "message" | "movedTo">): Verdict {
  if (flow.movedTo !== undefined) return "pending";
  if (flow.state === "running") return "pending";
  if (flow.state === "failed") return "fail";
  if (flow.verdict !== undefined) return flow.verdict;
  // A relay without verdicts: a done line naming an error code is a failure.
  return /-32\d{3}|\berror\b|\bfailed\b/i.test(flow.message) ? "fail" : "ok";
}

// ─── Run labels ────────────────────────────────────────────────────────────────────────────────

type RunFacts = Pick<RunSummary, "runId" | "agentId" | "agentLabel" | "profileName" | "agentInfo" | "imported" | "origin" | "state" | "exitCode" | "signal" | "error" | "startedAt">;

/** One label per agent everywhere: the catalog label, with the version initialize reported when it adds one. */
export function agentName(run: Pick<RunSummary, "agentId" | "agentLabel" | "agentInfo">): string {
  const { label, version } = agentNameParts(run);
  return version ? `${label} ${version}` : label;
}

/** agentName() in two parts: the catalog label, and the reported version when the label lacks it. */
export function agentNameParts(run: Pick<RunSummary, "agentId" | "agentLabel" | "agentInfo">): { label: string; version?: string } {
  const label = (run.agentLabel || run.agentId).replace(/ \((imported|matrix cell)\)$/, "");
  const version = run.agentInfo?.version;
  return version && !label.includes(version) ? { label, version } : { label };
}

/** "run-7 · Kimi Code 0.28.0 · API key (example)": the caption of every block that shows a run's evidence. */
export function runCaption(run: Pick<RunSummary, "runId" | "agentId" | "agentLabel" | "agentInfo" | "profileName">): string {
  return [run.runId, agentName(run), run.profileName || "no profile"].join(" · ");
}

/** Where a run without a process came from: a trace file or a matrix cell. */
export function runOrigin(run: Pick<RunSummary, "imported" | "agentLabel" | "agentId" | "profileName" | "origin">): string | undefined {
  if (!run.imported) return undefined;
  if (run.origin) return run.origin;
  if (/\(matrix cell\)$/.test(run.agentLabel)) return `matrix cell ${run.agentId} × ${run.profileName || "?"}`;
  return "imported from a trace";
}

/** The run's state in words; a run with no process says where it came from instead of "code undefined". */
export function runStateText(run: RunFacts): string {
  const origin = runOrigin(run);
  if (origin) return origin;
  if (run.state === "exited") {
    if (run.signal) return `exited (signal ${run.signal})`;
    return typeof run.exitCode === "number" ? `exited ${run.exitCode}` : "exited";
  }
  if (run.state === "failed") return "failed to start";
  return run.state;
}

/** Ended runs a Clear removes: everything but the current run while it is alive. */
export function clearableRunIds(runs: readonly Pick<RunSummary, "runId" | "state">[], currentRunId: string | undefined): string[] {
  return runs.filter((r) => !(r.runId === currentRunId && (r.state === "running" || r.state === "starting"))).map((r) => r.runId);
}

/** "14:03:27": a run's start, for the list. */
export function startTime(epochMs: number): string {
  const d = new Date(epochMs);
  const two = (n: number): string => String(n).padStart(2, "0");
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** "0.4 s", "12 s", "2 min 05 s": how long something has been pending. */
export function formatElapsed(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.floor(s)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${String(Math.floor(s % 60)).padStart(2, "0")} s`;
}

/** The newest error the agent (or the relay, for an injected one) answered, or a request lost to an exit. */
export function lastError(frames: readonly Frame[]): Frame | undefined {
  for (let i = frames.length - 1; i >= 0; i--) {
    const f = frames[i];
    if ((f.kind === "error" && f.dir === "in") || f.kind === "lost") return f;
  }
  return undefined;
}

// ─── Action buttons: preconditions and requests in flight ──────────────────────────────────────

export type ActionMethod = "initialize" | "authenticate" | "session/new" | "session/prompt";
export const ACTION_METHODS: readonly ActionMethod[] = ["initialize", "authenticate", "session/new", "session/prompt"];

/** A request of the current run still waiting for its answer, and since when (wall clock). */
export interface PendingRequest {
  seq: number;
  method: string;
  since: number;
}

/** Client→agent requests of the log without an answer yet (a lost frame answers too). */
export function pendingClientRequests(frames: readonly Frame[]): PendingRequest[] {
  const out: PendingRequest[] = [];
  for (const f of frames) if (f.dir === "out" && f.kind === "request" && f.pairSeq === undefined && f.method) out.push({ seq: f.seq, method: f.method, since: f.wall });
  return out;
}

/**
 * A button press not yet seen in the log: the relay echoes the request a round trip later, and a
 * double click must not send twice meanwhile. It counts until its request frame appears (newer than
 * `afterSeq`), the viewed run changes, or `LOCAL_WAIT_MS` pass (the command may have been refused).
 */
export interface LocalRequest {
  runId: string;
  method: string;
  afterSeq: number;
  at: number;
}

export const LOCAL_WAIT_MS = 10_000;

export function openLocalRequests(local: readonly LocalRequest[], runId: string | undefined, frames: readonly Frame[], now: number): LocalRequest[] {
  return local.filter((l) => {
    if (l.runId !== runId || now - l.at > LOCAL_WAIT_MS) return false;
    for (let i = frames.length - 1; i >= 0 && frames[i].seq > l.afterSeq; i--) {
      const f = frames[i];
      if (f.dir === "out" && f.kind === "request" && f.method === l.method) return false;
    }
    return true;
  });
}

export interface ActionState {
  enabled: boolean;
  /** Why it is disabled (its tooltip), or what is in flight. */
  reason?: string;
  /** Wall-clock ms since the request went out, while it waits for its answer. */
  pendingSince?: number;
}

export interface ActionInput {
  /** The viewed run is the current one and its agent runs. */
  live: boolean;
  frames: readonly Frame[];
  authMethodIds: readonly string[];
  authMethodId: string;
  sessionId?: string;
  pending: readonly PendingRequest[];
  local: readonly LocalRequest[];
  /** The login verb on the wire (v1 `authenticate`, v2 `auth/login`): the authenticate button's request. */
  loginMethod?: string;
}

/** Each button's state: disabled until its preconditions hold and while its own request is in flight. */
export function actionStates(input: ActionInput): Record<ActionMethod, ActionState> {
  const initialized = lastInitialize(input.frames)?.result !== undefined;
  const inFlight = (method: string): ActionState | undefined => {
    const p = input.pending.find((r) => r.method === method);
    if (p) return { enabled: false, reason: `${method} is waiting for its answer`, pendingSince: p.since };
    const l = input.local.find((r) => r.method === method);
    return l ? { enabled: false, reason: `${method} is being sent`, pendingSince: l.at } : undefined;
  };
  const gate = (method: string, unmet: string | undefined): ActionState => {
    if (!input.live) return { enabled: false, reason: "Start an agent first (or go back to the current run)" };
    return inFlight(method) ?? (unmet ? { enabled: false, reason: unmet } : { enabled: true });
  };
  return {
    initialize: gate("initialize", undefined),
    authenticate: gate(
      input.loginMethod ?? "authenticate",
      !initialized ? "Send initialize first: authenticate needs a method the agent advertised" : !input.authMethodIds.includes(input.authMethodId) ? "The agent advertised no auth method" : undefined,
    ),
    "session/new": gate("session/new", undefined),
    "session/prompt": gate("session/prompt", input.sessionId ? undefined : "Create a session first (session/new)"),
  };
}

/** The auth method to keep selected: the chosen one while this run advertises it, else its first, else none. */
export function authMethodFor(chosen: string, advertised: readonly string[]): string {
  return advertised.includes(chosen) ? chosen : (advertised[0] ?? "");
}

// ─── The advertisement diff ────────────────────────────────────────────────────────────────────

export interface AdvDiffRow {
  key: string;
  values: string[];
  differs: boolean;
}

/** Flatten to dotted paths, so differences between variants show per leaf. */
function flatten(value: unknown, prefix = "", out: Record<string, string> = {}): Record<string, string> {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) out[prefix || "(root)"] = "{}";
    for (const [k, v] of entries) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else out[prefix || "(root)"] = JSON.stringify(value);
  return out;
}

function methodLabel(m: unknown): string {
  const r = (m ?? {}) as Record<string, unknown>;
  const meta = (r._meta as Record<string, unknown> | undefined)?.["terminal-auth"] ? ' +_meta["terminal-auth"]' : "";
  // v2 names the id `methodId`.
  return `${String(r.id ?? r.methodId)} (${typeof r.type === "string" ? r.type : "agent"}${meta})`;
}

/** One row for authMethods, then one per agentCapabilities leaf; `differs` when the variants disagree. */
export function advDiffRows(variants: readonly AdvertisementVariant[]): AdvDiffRow[] {
  const methods = variants.map((v) => (v.ok ? (v.authMethods ?? []).map(methodLabel).join(", ") || "(none)" : `error: ${v.error ?? "?"}`));
  const flat = variants.map((v) => flatten(v.agentCapabilities ?? {}));
  const keys = [...new Set(flat.flatMap((f) => Object.keys(f)))].sort();
  const rows: AdvDiffRow[] = [{ key: "authMethods", values: methods, differs: new Set(methods).size > 1 }];
  const capsKey = capsName(variants);
  for (const key of keys) {
    const values = flat.map((f) => f[key] ?? "—");
    rows.push({ key: `${capsKey}.${key}`, values, differs: new Set(values).size > 1 });
  }
  return rows;
}

/** v2 answers with `capabilities` where v1 has `agentCapabilities`: name them as the agent did. */
function capsName(variants: readonly AdvertisementVariant[]): "capabilities" | "agentCapabilities" {
  return variants.some((v) => v.ok) && variants.every((v) => !v.ok || v.protocolVersion === 2) ? "capabilities" : "agentCapabilities";
}

/** The verdict first: "authMethods identical in all 4 variants" or what differs. */
export function advDiffVerdict(variants: readonly AdvertisementVariant[]): { identical: boolean; text: string; differing: string[]; failed: string[] } {
  const rows = advDiffRows(variants);
  const differing = rows.filter((r) => r.differs).map((r) => r.key);
  const failed = variants.filter((v) => !v.ok).map((v) => v.name);
  const n = variants.length;
  const methodsSame = !differing.includes("authMethods");
  let text: string;
  if (differing.length === 0) text = `authMethods identical in all ${n} variants, and every ${capsName(variants)} field too`;
  else if (methodsSame) text = `authMethods identical in all ${n} variants; differs in: ${differing.join(", ")}`;
  else text = `Differs in: ${differing.join(", ")}`;
  if (failed.length > 0) text += ` (initialize failed for: ${failed.join(", ")})`;
  return { identical: differing.length === 0, text, differing, failed };
}
