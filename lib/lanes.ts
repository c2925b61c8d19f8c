/**
 * The out-of-band lanes (issue #13) as one line each, for the frame list, the detail pane, the
 * sequence diagram and the flow CLI: an HTTP hop, a change in the run's home, a line of the
 * agent's own log. Every value shown here was masked and redacted by the relay when recorded.
 * Isomorphic: no DOM, no node:*.
 */
import type { Frame, FrameKind } from "./wire";

/** Lanes a frame list can toggle: the agent's stdio, and the three out-of-band ones. */
export type Lane = "acp" | "stderr" | "http" | "home" | "agent-log";
export const LANES: readonly Lane[] = ["acp", "stderr", "http", "home", "agent-log"];
export const LANE_LABELS: Record<Lane, string> = { acp: "ACP", stderr: "stderr", http: "HTTP", home: "Home", "agent-log": "Agent log" };

/** The lane a frame belongs to; lifecycle, dividers and lost requests count as ACP (the stdio story). */
export function laneOf(frame: Pick<Frame, "kind">): Lane {
  const k: FrameKind = frame.kind;
  if (k === "http" || k === "home" || k === "agent-log" || k === "stderr") return k;
  return "acp";
}

/** `POST /api/oauth/token · 200 · 34 ms · refresh_token`, or `… · no answer (dropped)`. */
export function httpSummary(frame: Frame): string {
  const h = frame.http;
  if (!h) return frame.raw;
  const parts = [`${h.method} ${h.path}`, h.status !== undefined ? String(h.status) : `no answer${h.error ? ` (${h.error})` : ""}`];
  if (h.ms !== undefined) parts.push(`${h.ms < 10 ? h.ms.toFixed(1) : Math.round(h.ms)} ms`);
  if (h.grantType) parts.push(h.grantType.replace(/^urn:ietf:params:oauth:grant-type:/, ""));
  if (h.status !== undefined && h.error) parts.push(h.error);
  return parts.join(" · ");
}

/** `change credentials/kimi-code-env-….json: access_token ‹…1a2b› → ""`. */
export function homeSummary(frame: Frame): string {
  const h = frame.home;
  if (!h) return frame.raw;
  return `${h.op} ${h.path}${h.summary ? `: ${h.summary}` : ""}`;
}

/** `sessions/…/wire.jsonl:12 {"type":…}` — the file's last two segments keep it short. */
export function agentLogSummary(frame: Frame, max = 240): string {
  const a = frame.agentLog;
  const text = frame.raw.length > max ? `${frame.raw.slice(0, max)}…` : frame.raw;
  if (!a) return text;
  const short = a.file.split("/").slice(-2).join("/");
  return `${short}:${a.line} ${text}`;
}

/** The one-line summary of an out-of-band frame, or undefined for stdio frames. */
export function laneSummary(frame: Frame): string | undefined {
  switch (frame.kind) {
    case "http":
      return httpSummary(frame);
    case "home":
      return homeSummary(frame);
    case "agent-log":
      return agentLogSummary(frame);
    default:
      return undefined;
  }
}
