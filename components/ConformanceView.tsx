"use client";
/**
 * The Conformance tab (issue 15 §3): runs the auth conformance check on the selected agent and
 * lists every rule with its verdict, failures first, each with links to the frames that prove it
 * (a click opens the frame in the check's own run). SHOULD failures read as warnings, not fails,
 * as the CLI counts them. Props only: the relay runs the check, the page just asks and shows.
 */
import { useState } from "react";
import type { ConformanceJson, ConformanceJsonRule } from "../lib/conformance-report";
import type { ServerEvent } from "../lib/wire";

export type ConformanceEvent = Extract<ServerEvent, { type: "conformance" }>;

export interface ConformanceViewProps {
  /** The agent picked in the connect panel: what the button checks. */
  agentId: string;
  agentLabel: string;
  /** A replay cannot be checked (it is a recording). */
  canRun: boolean;
  conformance?: ConformanceEvent;
  onRun(protocolVersion?: 1 | 2): void;
  /** Open frame `seq` of run `runId` (the check's run). */
  onSelectFrame(runId: string, seq: number): void;
}

const ORDER: Record<string, number> = { fail: 0, pass: 1, "not-applicable": 2 };

function verdictLabel(r: ConformanceJsonRule): { text: string; cls: string } {
  if (r.verdict === "fail") return r.level === "MUST" ? { text: "fail", cls: "badge-error" } : { text: "warning", cls: "badge-warn" };
  if (r.verdict === "pass") return { text: "pass", cls: "badge-ok" };
  return { text: "n/a", cls: "" };
}

function RuleRow({ rule, runId, onSelectFrame }: { rule: ConformanceJsonRule; runId?: string; onSelectFrame: ConformanceViewProps["onSelectFrame"] }) {
  const v = verdictLabel(rule);
  return (
    <li className={`conformance-rule verdict-${rule.verdict}`} data-testid="conformance-rule" data-rule={rule.id} data-verdict={rule.verdict} data-level={rule.level}>
      <div className="conformance-rule-head">
        <span className={`badge ${v.cls}`} data-testid="conformance-verdict">
          {v.text}
        </span>{" "}
        <span className="badge">{rule.level}</span> <code>{rule.id}</code>
      </div>
      <p className="small">{rule.text}</p>
      <p className="small muted" data-testid="conformance-detail">
        {rule.detail}
      </p>
      {rule.evidence.length > 0 && runId ? (
        <p className="small conformance-evidence">
          frames:{" "}
          {rule.evidence.slice(0, 8).map((e) => (
            <button
              key={e.seq}
              type="button"
              className="link"
              data-testid="conformance-evidence"
              data-seq={e.seq}
              title={`${e.session}: ${e.excerpt}`}
              onClick={() => onSelectFrame(runId, e.seq)}
            >
              #{e.seq} {e.method ?? e.kind} {e.dir === "in" ? "← agent" : e.dir === "out" ? "→ agent" : ""}
            </button>
          ))}
          {rule.evidence.length > 8 ? <span className="muted"> +{rule.evidence.length - 8} more</span> : null}
        </p>
      ) : null}
    </li>
  );
}

function Report({ report, runId, onSelectFrame }: { report: ConformanceJson; runId?: string; onSelectFrame: ConformanceViewProps["onSelectFrame"] }) {
  const [side, setSide] = useState<"agent" | "client">("agent");
  const rules = report.rules.filter((r) => r.side === side).sort((a, b) => ORDER[a.verdict] - ORDER[b.verdict] || (a.level === b.level ? 0 : a.level === "MUST" ? -1 : 1));
  const mustFails = report.rules.filter((r) => r.verdict === "fail" && r.level === "MUST");
  const warnings = report.rules.filter((r) => r.verdict === "fail" && r.level === "SHOULD");
  return (
    <section data-testid="conformance-report" data-must-failed={mustFails.length > 0 ? "yes" : "no"}>
      <p className={`verdict ${mustFails.length ? "verdict-auth-required" : "verdict-session-created"}`} data-testid="conformance-summary">
        {mustFails.length ? `${mustFails.length} MUST rule${mustFails.length === 1 ? "" : "s"} broken` : "No MUST rule broken"}
        {warnings.length ? `, ${warnings.length} SHOULD warning${warnings.length === 1 ? "" : "s"}` : ""} · {report.summary.pass} pass · {report.summary.notApplicable} not applicable
      </p>
      <p className="small muted" data-testid="conformance-caption">
        {report.agent.name ?? report.agent.id}
        {report.agent.version ? ` ${report.agent.version}` : ""} · speaks v{report.protocolVersion ?? "?"} · {report.sessions.length} processes (v{report.protocolsChecked.join(", v")} × client-capability variants), each in a fresh logged-out home
      </p>
      <div className="inline-toggle" role="group" aria-label="Whose rules">
        <button type="button" data-testid="conformance-side-agent" aria-pressed={side === "agent"} onClick={() => setSide("agent")}>
          Agent rules
        </button>{" "}
        <button type="button" data-testid="conformance-side-client" aria-pressed={side === "client"} onClick={() => setSide("client")}>
          Client rules (the check itself)
        </button>
      </div>
      <ul className="conformance-rules" data-testid="conformance-rules">
        {rules.map((r) => (
          <RuleRow key={r.id} rule={r} runId={runId} onSelectFrame={onSelectFrame} />
        ))}
      </ul>
    </section>
  );
}

export function ConformanceView({ agentId, agentLabel, canRun, conformance, onRun, onSelectFrame }: ConformanceViewProps) {
  const [protocol, setProtocol] = useState<"both" | "1" | "2">("both");
  const running = conformance?.state === "running";
  return (
    <div className="panel conformance" data-testid="conformance-view" data-state={conformance?.state ?? "idle"} data-agent={conformance?.agentId} data-run={conformance?.runId}>
      <h4>Auth conformance check</h4>
      <p className="small muted">
        Runs the agent once per client-capability variant and protocol version, without credentials, and checks what it says against ACP&apos;s auth MUSTs and JSON-RPC&apos;s basics. The same check as <code>npm run conformance</code>.
      </p>
      <div className="row">
        <label>
          Protocol{" "}
          <select data-testid="conformance-protocol" value={protocol} onChange={(e) => setProtocol(e.target.value as "both" | "1" | "2")} disabled={running}>
            <option value="both">v1 and v2</option>
            <option value="1">v1</option>
            <option value="2">v2</option>
          </select>
        </label>{" "}
        <button type="button" data-testid="btn-conformance-run" disabled={running || !canRun || !agentId} onClick={() => onRun(protocol === "both" ? undefined : (Number(protocol) as 1 | 2))}>
          Check {agentLabel || agentId || "the selected agent"}
        </button>
      </div>
      {running ? (
        <p className="muted" data-testid="conformance-progress">
          <span className="spinner" aria-hidden="true" /> Checking {conformance.agentId}: {conformance.progress ? `${conformance.progress.done} of ${conformance.progress.total} processes done` : "starting"}…
        </p>
      ) : null}
      {conformance?.state === "failed" ? (
        <p className="error" role="alert" data-testid="conformance-error">
          The check could not run: {conformance.message}
        </p>
      ) : null}
      {conformance?.state === "done" && conformance.report ? <Report report={conformance.report} runId={conformance.runId} onSelectFrame={onSelectFrame} /> : null}
    </div>
  );
}
