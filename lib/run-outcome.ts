/**
 * What a run came to, in a few words for the run list: the last protocol answer that says whether
 * the agent let the user in (session/new, session/prompt, authenticate — "session created",
 * "-32000") and how its process ended ("exit 0", "killed"). Isomorphic: the relay computes the
 * last answer from a run's ring, the UI turns the summary into badges.
 */
import type { Frame, RunSummary } from "./wire";

/** The methods whose answer tells whether the agent let the user in. */
const OUTCOME_METHODS = new Set(["session/new", "session/prompt", "authenticate", "auth/login", "session/load", "session/resume"]);
/** How far back the relay looks (the newest frames are the ones that matter). */
const LOOKBACK = 2000;

/** The last answer (response or error) to one of OUTCOME_METHODS among the newest frames. */
export function lastOutcomeAnswer(frames: readonly Frame[]): RunSummary["lastAnswer"] {
  const stop = Math.max(0, frames.length - LOOKBACK);
  for (let i = frames.length - 1; i >= stop; i--) {
    const f = frames[i];
    if (f.dir !== "in" || !f.method || !OUTCOME_METHODS.has(f.method)) continue;
    if (f.kind === "response") return { method: f.method };
    if (f.kind === "error") return { method: f.method, errorCode: f.errorCode };
  }
  return undefined;
}

export interface OutcomeBadge {
  /** `ok`, `error` or `neutral`: the badge's colour. */
  tone: "ok" | "error" | "neutral";
  text: string;
  /** Which badge it is, for data-testid. */
  kind: "answer" | "process";
}

function answerText(a: NonNullable<RunSummary["lastAnswer"]>): string {
  if (a.errorCode !== undefined) return `${a.method} ${a.errorCode}`;
  if (a.method === "session/new") return "session created";
  if (a.method === "authenticate" || a.method === "auth/login") return "authenticated";
  if (a.method === "session/prompt") return "prompt answered";
  return `${a.method} ok`;
}

/** The badges of a run item: its last protocol answer, then how the process ended (or that it runs). */
export function outcomeBadges(run: Pick<RunSummary, "state" | "exitCode" | "signal" | "lastAnswer" | "imported" | "error">): OutcomeBadge[] {
  const out: OutcomeBadge[] = [];
  if (run.lastAnswer) out.push({ kind: "answer", tone: run.lastAnswer.errorCode !== undefined ? "error" : "ok", text: answerText(run.lastAnswer) });
  if (run.imported) out.push({ kind: "process", tone: "neutral", text: "imported" });
  else if (run.state === "running" || run.state === "starting") out.push({ kind: "process", tone: "neutral", text: run.state });
  else if (run.signal) out.push({ kind: "process", tone: "neutral", text: run.signal === "SIGTERM" || run.signal === "SIGKILL" ? "killed" : `killed by ${run.signal}` });
  else if (typeof run.exitCode === "number") out.push({ kind: "process", tone: run.exitCode === 0 ? "ok" : "error", text: `exit ${run.exitCode}` });
  else if (run.error) out.push({ kind: "process", tone: "error", text: "did not start" });
  else out.push({ kind: "process", tone: "neutral", text: run.state });
  return out;
}

/** "312 MB", "4.0 kB": a byte count for people. */
export function formatBytes(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let n = bytes;
  let u = 0;
  while (n >= 1000 && u < units.length - 1) {
    n /= 1000;
    u++;
  }
  return `${u === 0 ? n : n < 10 ? n.toFixed(1) : Math.round(n)} ${units[u]}`;
}
