/**
 * The conformance check's report as data and as text: the JSON the CLI prints (and the Conformance
 * tab receives), a terminal table, and JUnit XML for CI. Each rule's evidence is expanded from
 * frame seqs into short excerpts of those frames, so a report read outside the playground still
 * shows what the agent said; the seqs still open the frames in the UI. Isomorphic.
 */
import type { ConformanceSummary, RuleLevel, RuleReport, RuleSide, RuleVerdict } from "./conformance";
import type { Frame } from "./wire";

export interface EvidenceFrame {
  seq: number;
  /** The process (variant) the frame belongs to. */
  session: string;
  dir: Frame["dir"];
  kind: Frame["kind"];
  method?: string;
  /** The frame's line, clipped. Already redacted by the relay. */
  excerpt: string;
}

export interface ConformanceJsonRule {
  id: string;
  level: RuleLevel;
  side: RuleSide;
  text: string;
  verdict: RuleVerdict;
  detail: string;
  evidence: EvidenceFrame[];
}

/** The checked agent as the report names it: the server's report and its JSON export share it. */
export interface ConformanceAgent {
  id: string;
  name: string | null;
  version: string | null;
  command: string[];
}

export interface ConformanceJson {
  agent: ConformanceAgent;
  protocolVersion: number | null;
  protocolsChecked: number[];
  sessions: { name: string; firstSeq: number; lastSeq: number; requested: number; negotiated: number | null }[];
  rules: ConformanceJsonRule[];
  summary: ConformanceSummary;
}

export interface ReportInput {
  agent: ConformanceJson["agent"];
  protocolVersion: number | null;
  protocolsChecked: number[];
  sessions: ConformanceJson["sessions"];
  rules: readonly RuleReport[];
  summary: ConformanceSummary;
}

const EXCERPT = 600;

export function toConformanceJson(report: ReportInput, frames: readonly Frame[]): ConformanceJson {
  const bySeq = new Map(frames.map((f) => [f.seq, f]));
  const sessionOf = (seq: number): string => report.sessions.find((s) => seq >= s.firstSeq && seq <= s.lastSeq)?.name ?? "";
  return {
    agent: report.agent,
    protocolVersion: report.protocolVersion,
    protocolsChecked: report.protocolsChecked,
    sessions: report.sessions,
    rules: report.rules.map((r) => ({
      id: r.id,
      level: r.level,
      side: r.side,
      text: r.text,
      verdict: r.verdict,
      detail: r.detail,
      evidence: r.evidence.flatMap((seq) => {
        const f = bySeq.get(seq);
        if (!f) return [];
        return [{ seq, session: sessionOf(seq), dir: f.dir, kind: f.kind, ...(f.method ? { method: f.method } : {}), excerpt: f.raw.length > EXCERPT ? `${f.raw.slice(0, EXCERPT)}…` : f.raw }];
      }),
    })),
    summary: report.summary,
  };
}

const MARK: Record<RuleVerdict, string> = { pass: "pass", fail: "FAIL", "not-applicable": "n/a" };

/**
 * The processes whose agent answered initialize with another version than the one asked for,
 * grouped: "asked v2, answered v1 in 4 of 4 processes (none, terminal, legacy, both)".
 */
export function protocolMismatches(json: ConformanceJson): string[] {
  const groups = new Map<string, { requested: number; negotiated: number; names: string[] }>();
  for (const s of json.sessions) {
    if (s.negotiated === null || s.negotiated === s.requested) continue;
    const key = `${s.requested}>${s.negotiated}`;
    const g = groups.get(key) ?? { requested: s.requested, negotiated: s.negotiated, names: [] };
    g.names.push(s.name);
    groups.set(key, g);
  }
  return [...groups.values()].map((g) => {
    const asked = json.sessions.filter((s) => s.requested === g.requested).length;
    return `asked v${g.requested}, answered v${g.negotiated} in ${g.names.length} of ${asked} processes (${g.names.join(", ")})`;
  });
}

/** A plain table: one line per rule, failures with their detail and first evidence under them. */
export function formatConformanceTable(json: ConformanceJson): string {
  const who = `${json.agent.name ?? json.agent.id}${json.agent.version ? ` ${json.agent.version}` : ""}`;
  const lines = [`Conformance of ${who} (${json.agent.id}) · protocol ${json.protocolVersion ?? "none answered"} · checked v${json.protocolsChecked.join(", v")}`];
  for (const m of protocolMismatches(json)) lines.push(`Negotiated a different version than requested: ${m}`);
  lines.push("");
  const idWidth = Math.max(...json.rules.map((r) => r.id.length), 4);
  lines.push(`${"verdict".padEnd(8)} ${"level".padEnd(7)} ${"rule".padEnd(idWidth)}  detail`);
  for (const r of json.rules) {
    const verdict = r.verdict === "fail" && r.level === "SHOULD" ? "warn" : MARK[r.verdict];
    lines.push(`${verdict.padEnd(8)} ${r.level.padEnd(7)} ${r.id.padEnd(idWidth)}  ${r.detail}`);
    if (r.verdict === "fail") for (const e of r.evidence.slice(0, 2)) lines.push(`${" ".repeat(17 + idWidth)}  #${e.seq} ${e.dir === "in" ? "agent→" : e.dir === "out" ? "client→" : ""} ${e.excerpt.slice(0, 120)}`);
  }
  const mustFails = json.rules.filter((r) => r.verdict === "fail" && r.level === "MUST").length;
  lines.push("", `${json.summary.pass} pass, ${json.summary.fail} fail (${mustFails} MUST, ${json.summary.fail - mustFails} SHOULD warnings), ${json.summary.notApplicable} not applicable`);
  return `${lines.join("\n")}\n`;
}

function xmlEscape(text: string): string {
  // Characters XML 1.0 cannot carry at all are dropped; the rest escaped.
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, "").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}

/**
 * JUnit: a testcase per rule; a failed MUST is a <failure>, a failed SHOULD a skipped-with-message
 * warning, n/a skipped. The suite's properties say which versions were requested and answered.
 */
export function formatConformanceJunit(json: ConformanceJson, timestamp?: string): string {
  const failures = json.rules.filter((r) => r.verdict === "fail" && r.level === "MUST").length;
  const skipped = json.rules.filter((r) => r.verdict === "not-applicable" || (r.verdict === "fail" && r.level === "SHOULD")).length;
  const suite = xmlEscape(`acp-conformance ${json.agent.id}`);
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  lines.push(`<testsuites name="${suite}" tests="${json.rules.length}" failures="${failures}" errors="0">`);
  lines.push(`  <testsuite name="${suite}" tests="${json.rules.length}" failures="${failures}" errors="0" skipped="${skipped}"${timestamp ? ` timestamp="${xmlEscape(timestamp)}"` : ""}>`);
  const negotiated = [...new Set(json.sessions.flatMap((s) => (s.negotiated === null ? [] : [s.negotiated])))].sort((a, b) => a - b);
  lines.push("    <properties>", `      <property name="acp.protocol.requested" value="${xmlEscape(json.protocolsChecked.join(","))}"/>`, `      <property name="acp.protocol.negotiated" value="${xmlEscape(negotiated.join(",") || "none")}"/>`);
  for (const m of protocolMismatches(json)) lines.push(`      <property name="acp.protocol.mismatch" value="${xmlEscape(m)}"/>`);
  lines.push("    </properties>");
  for (const r of json.rules) {
    lines.push(`    <testcase classname="${xmlEscape(`${json.agent.id}.${r.side}`)}" name="${xmlEscape(`${r.level} ${r.id}`)}">`);
    const evidence = r.evidence.map((e) => `#${e.seq} [${e.session}] ${e.dir} ${e.excerpt}`).join("\n");
    const body = xmlEscape(`${r.text}\n${r.detail}${evidence ? `\n${evidence}` : ""}`);
    if (r.verdict === "fail" && r.level === "MUST") lines.push(`      <failure type="MUST" message="${xmlEscape(r.detail)}">${body}</failure>`);
    else if (r.verdict === "fail") lines.push(`      <skipped message="${xmlEscape(`SHOULD not met (warning): ${r.detail}`)}"/>`);
    else if (r.verdict === "not-applicable") lines.push(`      <skipped message="${xmlEscape(`not applicable: ${r.detail}`)}"/>`);
    lines.push(`      <system-out>${body}</system-out>`);
    lines.push("    </testcase>");
  }
  lines.push("  </testsuite>", "</testsuites>");
  return `${lines.join("\n")}\n`;
}
