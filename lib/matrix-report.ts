/**
 * The auth matrix as data and as text: the cell record a probe produces, the four renderings the
 * CLI offers (plain table, JSON, Markdown for a GitHub issue, JUnit for CI), and the comparison
 * against an expectations map. Pure and isomorphic (no DOM, no node:*), so the UI grid can export
 * exactly what the CLI prints.
 */
import { joinCommandLine } from "./split-command";
import type { Frame, ProfileKind } from "./wire";

export const VERDICTS = ["session-created", "auth-required", "error", "initialize-failed", "crashed", "timed-out"] as const;
export type Verdict = (typeof VERDICTS)[number];

export function isVerdict(value: unknown): value is Verdict {
  return typeof value === "string" && (VERDICTS as readonly string[]).includes(value);
}

export interface ProbeError {
  code: number;
  message: string;
  data?: unknown;
}

/** One agent × profile probe: spawn, `initialize`, `session/new`, kill. */
export interface ProbeCell {
  agent: {
    /** Catalog id, or the command line as given for `--agent-cmd`. */
    id: string;
    /** From `initialize`'s agentInfo; null when the agent never said. */
    name: string | null;
    version: string | null;
    /** argv as spawned (redacted). */
    command: string[];
  };
  profile: { name: string; kind: ProfileKind };
  initialize: { ok: boolean; ms: number | null; protocolVersion: number | null; authMethods: string[]; error?: ProbeError };
  sessionNew: { ok: boolean; ms: number | null; sessionId?: string; error?: ProbeError };
  verdict: Verdict;
  /** Spawn to verdict, milliseconds. */
  ms: number;
  /** Why, in one line: the error, the exit status, the last stderr line. */
  detail?: string;
  /** The whole recorded run, as the UI would show it (already redacted). */
  frames: Frame[];
}

/** "agentId × profileName": how a cell is named in every output and in error messages. */
export function cellKey(cell: Pick<ProbeCell, "agent" | "profile">): string {
  return `${cell.agent.id} × ${cell.profile.name}`;
}

/** agentId → profileName → expected verdict. */
export type Expectations = Record<string, Record<string, Verdict>>;

export interface Mismatch {
  key: string;
  agentId: string;
  profileName: string;
  expected: Verdict;
  actual: Verdict;
}

export interface Comparison {
  mismatches: Mismatch[];
  /** Cells that had an expectation and met it. */
  matched: number;
  /** Cells the expectations say nothing about. */
  unchecked: string[];
  /** Expectations that name no cell of this run (a typo, or a subset run). */
  unused: string[];
}

export function compareCells(cells: readonly ProbeCell[], expectations: Expectations): Comparison {
  const out: Comparison = { mismatches: [], matched: 0, unchecked: [], unused: [] };
  const seen = new Set<string>();
  for (const cell of cells) {
    const expected = expectations[cell.agent.id]?.[cell.profile.name];
    const key = cellKey(cell);
    if (expected === undefined) {
      out.unchecked.push(key);
      continue;
    }
    seen.add(key);
    if (expected === cell.verdict) out.matched++;
    else out.mismatches.push({ key, agentId: cell.agent.id, profileName: cell.profile.name, expected, actual: cell.verdict });
  }
  for (const [agentId, profiles] of Object.entries(expectations)) {
    for (const profileName of Object.keys(profiles)) {
      const key = `${agentId} × ${profileName}`;
      if (!seen.has(key)) out.unused.push(key);
    }
  }
  return out;
}

// ─── Renderings ───────────────────────────────────────────────────────────────────────────────

const VERDICT_LABEL: Record<Verdict, string> = {
  "session-created": "session created",
  "auth-required": "auth required",
  error: "error",
  "initialize-failed": "initialize failed",
  crashed: "crashed",
  "timed-out": "timed out",
};

const VERDICT_ICON: Record<Verdict, string> = {
  "session-created": "✅",
  "auth-required": "🔒",
  error: "❌",
  "initialize-failed": "❌",
  crashed: "💥",
  "timed-out": "⏱️",
};

function seconds(ms: number | null): string {
  return ms === null ? "–" : `${(ms / 1000).toFixed(1)} s`;
}

/** "auth required (-32000)": the verdict plus the code that decided it. */
export function verdictText(cell: ProbeCell): string {
  const code = cell.sessionNew.error?.code ?? cell.initialize.error?.code;
  return code !== undefined && (cell.verdict === "auth-required" || cell.verdict === "error" || cell.verdict === "initialize-failed")
    ? `${VERDICT_LABEL[cell.verdict]} (${code})`
    : VERDICT_LABEL[cell.verdict];
}

function agentTitle(cell: ProbeCell): string {
  return cell.agent.name ? `${cell.agent.name}${cell.agent.version ? ` ${cell.agent.version}` : ""}` : "";
}

function expectedFor(cell: ProbeCell, comparison: Comparison | undefined): Mismatch | undefined {
  return comparison?.mismatches.find((m) => m.key === cellKey(cell));
}

/** Plain text, one row per cell, columns padded: for terminals and CI logs. */
export function formatTable(cells: readonly ProbeCell[], comparison?: Comparison): string {
  const header = ["AGENT", "PROFILE", "VERDICT", "INITIALIZE", "SESSION/NEW", "TOTAL"];
  if (comparison) header.push("EXPECTED");
  const rows = cells.map((cell) => {
    const row = [
      cell.agent.id,
      cell.profile.name,
      verdictText(cell),
      cell.initialize.ok ? seconds(cell.initialize.ms) : "failed",
      cell.sessionNew.ok ? seconds(cell.sessionNew.ms) : cell.sessionNew.error ? `${cell.sessionNew.error.code} ${seconds(cell.sessionNew.ms)}` : "–",
      seconds(cell.ms),
    ];
    if (comparison) {
      const miss = expectedFor(cell, comparison);
      const unchecked = comparison.unchecked.includes(cellKey(cell));
      row.push(miss ? `✗ ${miss.expected}` : unchecked ? "(none)" : "✓");
    }
    return row;
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells_: string[]): string => cells_.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
  return `${[line(header), ...rows.map(line)].join("\n")}\n`;
}

/** Every cell, frames included: the machine-readable record (and what a bug report attaches). */
export function formatJson(cells: readonly ProbeCell[]): string {
  return `${JSON.stringify(cells, null, 2)}\n`;
}

function mdEscape(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, " ").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function fence(text: string): string {
  // A fence longer than any backtick run inside keeps pasted JSON from closing it early.
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = "`".repeat(longest + 1);
  return `${ticks}json\n${text}\n${ticks}`;
}

/**
 * Markdown for a GitHub issue: a profiles × agents grid like the one in the Kimi notes, then one
 * collapsed section per cell with the agent's own words (error, auth methods, detail).
 */
export function formatMarkdown(cells: readonly ProbeCell[], opts: { comparison?: Comparison; title?: string; note?: string } = {}): string {
  const agents = [...new Set(cells.map((c) => c.agent.id))];
  const profiles = [...new Set(cells.map((c) => c.profile.name))];
  const byKey = new Map(cells.map((c) => [cellKey(c), c]));
  const out: string[] = [];
  out.push(`### ${opts.title ?? "ACP auth matrix"}`, "");
  if (opts.note) out.push(mdEscape(opts.note), "");
  const agentHeads = agents.map((id) => {
    const any = cells.find((c) => c.agent.id === id && c.agent.name);
    return mdEscape(any ? `${id} (${agentTitle(any)})` : id);
  });
  out.push(`| profile | ${agentHeads.join(" | ")} |`, `|---|${agents.map(() => "---").join("|")}|`);
  for (const profile of profiles) {
    const kind = cells.find((c) => c.profile.name === profile)?.profile.kind ?? "";
    const row = agents.map((agentId) => {
      const cell = byKey.get(`${agentId} × ${profile}`);
      if (!cell) return "";
      const miss = expectedFor(cell, opts.comparison);
      const text = `${VERDICT_ICON[cell.verdict]} ${verdictText(cell)} · ${seconds(cell.ms)}`;
      return mdEscape(miss ? `${text} — **expected ${miss.expected}**` : text);
    });
    out.push(`| ${mdEscape(profile)} (\`${kind}\`) | ${row.join(" | ")} |`);
  }
  out.push("");
  if (opts.comparison) {
    const c = opts.comparison;
    out.push(
      c.mismatches.length === 0
        ? `All ${c.matched} expected verdicts met.`
        : `**${c.mismatches.length} cell(s) differ from the expectations:** ${c.mismatches.map((m) => `\`${m.key}\` expected ${m.expected}, got ${m.actual}`).join("; ")}.`,
      "",
    );
  }
  for (const cell of cells) {
    out.push(`<details><summary>${mdEscape(cellKey(cell))}: ${mdEscape(verdictText(cell))}</summary>`, "");
    out.push(`- agent: ${mdEscape(agentTitle(cell) || "(no agentInfo)")}; command: \`${joinCommandLine(cell.agent.command).replace(/`/g, "'")}\``);
    out.push(`- profile: ${mdEscape(cell.profile.name)} (\`${cell.profile.kind}\`)`);
    out.push(
      `- initialize: ${cell.initialize.ok ? `ok in ${seconds(cell.initialize.ms)}, protocolVersion ${cell.initialize.protocolVersion}, authMethods [${cell.initialize.authMethods.map(mdEscape).join(", ")}]` : "failed"}`,
    );
    out.push(`- session/new: ${cell.sessionNew.ok ? `ok in ${seconds(cell.sessionNew.ms)}` : cell.sessionNew.error ? `error after ${seconds(cell.sessionNew.ms)}` : "not reached"}`);
    if (cell.detail) out.push(`- detail: ${mdEscape(cell.detail)}`);
    const error = cell.sessionNew.error ?? cell.initialize.error;
    if (error) out.push("", fence(JSON.stringify(error, null, 2)));
    out.push("", "</details>", "");
  }
  return `${out.join("\n").trimEnd()}\n`;
}

function xmlEscape(text: string): string {
  // XML 1.0 cannot carry most control characters even escaped; drop them rather than emit a broken file.
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

/**
 * JUnit XML, one testcase per cell (classname = agent id, name = profile name), so CI systems
 * show the matrix as tests. A cell fails only when it differs from the expectations.
 */
export function formatJunit(cells: readonly ProbeCell[], opts: { comparison?: Comparison; suiteName?: string; timestamp?: string } = {}): string {
  const failures = opts.comparison?.mismatches.length ?? 0;
  const total = cells.reduce((n, c) => n + c.ms, 0) / 1000;
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const suite = xmlEscape(opts.suiteName ?? "acp-auth-matrix");
  lines.push(`<testsuites name="${suite}" tests="${cells.length}" failures="${failures}" errors="0" time="${total.toFixed(3)}">`);
  lines.push(
    `  <testsuite name="${suite}" tests="${cells.length}" failures="${failures}" errors="0" skipped="0" time="${total.toFixed(3)}"${opts.timestamp ? ` timestamp="${xmlEscape(opts.timestamp)}"` : ""}>`,
  );
  for (const cell of cells) {
    const attrs = `classname="${xmlEscape(cell.agent.id)}" name="${xmlEscape(cell.profile.name)}" time="${(cell.ms / 1000).toFixed(3)}"`;
    const miss = expectedFor(cell, opts.comparison);
    const out = [`verdict: ${cell.verdict}`, `agent: ${agentTitle(cell) || "(no agentInfo)"}`, `profile kind: ${cell.profile.kind}`];
    if (cell.detail) out.push(`detail: ${cell.detail}`);
    lines.push(`    <testcase ${attrs}>`);
    if (miss) {
      lines.push(`      <failure type="verdict-mismatch" message="${xmlEscape(`${miss.key}: expected ${miss.expected}, got ${miss.actual}`)}">${xmlEscape(out.join("\n"))}</failure>`);
    }
    lines.push(`      <system-out>${xmlEscape(out.join("\n"))}</system-out>`);
    lines.push("    </testcase>");
  }
  lines.push("  </testsuite>", "</testsuites>");
  return `${lines.join("\n")}\n`;
}
