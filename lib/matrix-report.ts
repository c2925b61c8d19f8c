/**
 * The auth matrix as data and as text: the cell record a probe produces, the four renderings the
 * CLI offers (plain table, JSON, Markdown for a GitHub issue, JUnit for CI), the comparison
 * against an expectations map, and the sharding that spreads one matrix over many CI jobs (a
 * deterministic slice per job, then a merge that refuses overlapping or missing shards). Pure and
 * isomorphic (no DOM, no node:*), so the UI grid can export exactly what the CLI prints.
 */
import { classifyAuthMethod } from "./selectors";
import { joinCommandLine } from "./split-command";
import type { Frame, ProfileKind } from "./wire";
import { sessionCreatedNote } from "./error-codes";

/**
 * session-created: session/new answered and no prompt was asked for. With a prompt step the cell
 * goes on: a session that was created is not proof of authentication (Claude creates sessions
 * logged out and refuses session/prompt with -32000), so the prompt's answer decides.
 */
export const VERDICTS = [
  "session-created",
  "prompt-answered",
  "prompt-refused",
  "prompt-error",
  "auth-required",
  "error",
  "initialize-failed",
  "crashed",
  "timed-out",
] as const;
export type Verdict = (typeof VERDICTS)[number];

/**
 * How an advertised auth method is meant to be run: `agent` (authenticate; the spec's default),
 * `terminal` (the spec's `type: "terminal"`), `legacy` (an agent method carrying
 * `_meta["terminal-auth"]`, the pre-spec convention), `env_var` (the spec's `type: "env_var"` with
 * `vars`: set them, restart, authenticate), `other` (a type this client does not know).
 */
export const METHOD_TYPES = ["agent", "terminal", "legacy", "env_var", "other"] as const;
export type MethodType = (typeof METHOD_TYPES)[number];

export interface AdvertisedMethod {
  id: string;
  type: MethodType;
  /** env_var methods: the variables the agent reads. */
  vars?: string[];
}

/** One entry of `initialize`'s authMethods as a matrix cell lists it; undefined when it has no id. */
export function advertisedMethod(raw: unknown): AdvertisedMethod | undefined {
  const view = classifyAuthMethod(raw);
  if (!view) return undefined;
  if (view.class === "env_var") return { id: view.id, type: "env_var", vars: (view.vars ?? []).map((v) => v.name) };
  const type: MethodType = view.class === "terminal" ? "terminal" : view.class === "legacy-terminal" ? "legacy" : view.class === "agent" ? "agent" : "other";
  return { id: view.id, type };
}

/** "chatgpt (agent), codex-api-key (env_var: CODEX_API_KEY)": the methods in one line. */
export function methodsText(methods: readonly AdvertisedMethod[]): string {
  if (methods.length === 0) return "none";
  return methods.map((m) => `${m.id} (${m.type}${m.vars?.length ? `: ${m.vars.join(", ")}` : ""})`).join(", ");
}

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
  /**
   * requestedProtocolVersion: what initialize asked for (`--protocol`; absent in reports written
   * before it was recorded); protocolVersion: what the agent answered, which the cell then spoke.
   * authMethods: the advertised ids; methods: the same, each with its type (and an env_var method's variables).
   */
  initialize: {
    ok: boolean;
    ms: number | null;
    requestedProtocolVersion?: number;
    protocolVersion: number | null;
    authMethods: string[];
    methods?: AdvertisedMethod[];
    error?: ProbeError;
  };
  /**
   * Sent only for an env_var method whose variables the profile supplies (they are in the agent's
   * environment from its spawn): `authenticate` with that method id, before session/new.
   */
  authenticate?: { methodId: string; vars: string[]; ok: boolean; ms: number | null; error?: ProbeError };
  sessionNew: { ok: boolean; ms: number | null; sessionId?: string; error?: ProbeError };
  /** The optional prompt step (`--prompt`): session/prompt on the new session. */
  prompt?: { ok: boolean; ms: number | null; stopReason?: string; updates: number; text?: string; error?: ProbeError };
  verdict: Verdict;
  /** Spawn to verdict, milliseconds. */
  ms: number;
  /** Why, in one line: the error, the exit status, the last stderr line. */
  detail?: string;
  /** The whole recorded run, as the UI would show it (already redacted). */
  frames: Frame[];
}

/** "agentId × profileName": how a cell is named in every output and in error messages. */
export function cellKey(cell: { agent: { id: string }; profile: { name: string } }): string {
  return `${cell.agent.id} × ${cell.profile.name}`;
}

/** The versions the cells' initialize asked for, ascending (one for any run of the CLI or the UI); empty when none recorded it. */
export function requestedProtocols(cells: readonly ProbeCell[]): number[] {
  return [...new Set(cells.flatMap((c) => (c.initialize.requestedProtocolVersion === undefined ? [] : [c.initialize.requestedProtocolVersion])))].sort((a, b) => a - b);
}

/** "v2" / "v1, v2" / "not recorded": the requested version as every rendering's header states it. */
export function requestedProtocolText(cells: readonly ProbeCell[]): string {
  const versions = requestedProtocols(cells);
  return versions.length === 0 ? "not recorded" : versions.map((v) => `v${v}`).join(", ");
}

/** The version the agent answered when it is not the one asked for; undefined when they agree or either is unknown. */
export function protocolMismatch(cell: ProbeCell): { requested: number; negotiated: number } | undefined {
  const { requestedProtocolVersion: requested, protocolVersion: negotiated } = cell.initialize;
  return requested !== undefined && negotiated !== null && negotiated !== requested ? { requested, negotiated } : undefined;
}

/** A cell's protocol in one word: "v2", "v1 (asked v2)" when the agent answered another version, "–" before an answer. */
function protocolColumn(cell: ProbeCell): string {
  const v = cell.initialize.protocolVersion;
  if (v === null) return "–";
  const miss = protocolMismatch(cell);
  return miss ? `v${v} (asked v${miss.requested})` : `v${v}`;
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

export const VERDICT_LABEL: Record<Verdict, string> = {
  "session-created": "session created",
  "prompt-answered": "session created, prompt answered",
  "prompt-refused": "session created, prompt refused",
  "prompt-error": "session created, prompt failed",
  "auth-required": "auth required",
  error: "error",
  "initialize-failed": "initialize failed",
  crashed: "crashed",
  "timed-out": "timed out",
};

const VERDICT_ICON: Record<Verdict, string> = {
  "session-created": "✅",
  "prompt-answered": "💬",
  "prompt-refused": "🔒",
  "prompt-error": "❌",
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
  const code = errorCode(cell);
  return code !== undefined && CODED.has(cell.verdict) ? `${VERDICT_LABEL[cell.verdict]} (${code})` : VERDICT_LABEL[cell.verdict];
}

const CODED = new Set<Verdict>(["auth-required", "error", "initialize-failed", "prompt-refused", "prompt-error"]);

/** The JSON-RPC error code that decided the verdict: the last step's error. */
export function errorCode(cell: ProbeCell): number | undefined {
  return (cell.prompt?.error ?? cell.sessionNew.error ?? cell.authenticate?.error ?? cell.initialize.error)?.code;
}

function promptColumn(cell: ProbeCell): string {
  const p = cell.prompt;
  if (!p) return "–";
  if (p.error) return `${p.error.code} ${seconds(p.ms)}`;
  return p.ok ? `${p.stopReason ?? "?"} ${seconds(p.ms)}` : "–";
}

/** A cell's typed methods; a report written before types were recorded lists its ids as "other". */
export function cellMethods(cell: ProbeCell): AdvertisedMethod[] {
  return cell.initialize.methods ?? cell.initialize.authMethods.map((id) => ({ id, type: "other" as const }));
}

function agentTitle(cell: ProbeCell): string {
  return cell.agent.name ? `${cell.agent.name}${cell.agent.version ? ` ${cell.agent.version}` : ""}` : "";
}

function expectedFor(cell: ProbeCell, comparison: Comparison | undefined): Mismatch | undefined {
  return comparison?.mismatches.find((m) => m.key === cellKey(cell));
}

/**
 * Plain text, one row per cell, columns padded: for terminals and CI logs. The first line states
 * the protocol version initialize asked for; the PROTOCOL column, the one each agent answered.
 */
export function formatTable(cells: readonly ProbeCell[], comparison?: Comparison): string {
  const prompted = cells.some((c) => c.prompt !== undefined);
  const header = ["AGENT", "PROFILE", "VERDICT", "PROTOCOL", "INITIALIZE", "SESSION/NEW", ...(prompted ? ["PROMPT"] : []), "TOTAL", "AUTH METHODS"];
  if (comparison) header.push("EXPECTED");
  const rows = cells.map((cell) => {
    const row = [
      cell.agent.id,
      cell.profile.name,
      verdictText(cell),
      protocolColumn(cell),
      cell.initialize.ok ? seconds(cell.initialize.ms) : "failed",
      cell.sessionNew.ok ? seconds(cell.sessionNew.ms) : cell.sessionNew.error ? `${cell.sessionNew.error.code} ${seconds(cell.sessionNew.ms)}` : "–",
      ...(prompted ? [promptColumn(cell)] : []),
      seconds(cell.ms),
      cell.initialize.ok ? methodsText(cellMethods(cell)) : "–",
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
  return `${[protocolHeadline(cells), line(header), ...rows.map(line)].join("\n")}\n`;
}

/** "Protocol requested: v2; 1 cell answered another version (see PROTOCOL)". */
function protocolHeadline(cells: readonly ProbeCell[]): string {
  const differ = cells.filter((c) => protocolMismatch(c) !== undefined).length;
  return `Protocol requested: ${requestedProtocolText(cells)}${differ ? `; ${differ} cell(s) answered another version (see PROTOCOL)` : ""}`;
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
  out.push(`Protocol requested: **${requestedProtocolText(cells)}**`, "");
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
      const differs = protocolMismatch(cell);
      const text = `${VERDICT_ICON[cell.verdict]} ${verdictText(cell)} · ${seconds(cell.ms)}${differs ? ` · answered v${differs.negotiated}` : ""}`;
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
  const differ = cells.flatMap((c) => {
    const m = protocolMismatch(c);
    return m ? [`\`${cellKey(c)}\` answered v${m.negotiated} (asked v${m.requested})`] : [];
  });
  if (differ.length > 0) out.push(`**${differ.length} cell(s) negotiated a different protocol version than requested:** ${differ.map(mdEscape).join("; ")}.`, "");
  // Shared wording with the timeline and Guided (lib/error-codes.ts).
  const unproven = sessionCreatedNote(cells.map((c) => c.verdict));
  if (unproven) out.push(`_${mdEscape(unproven)}_`, "");
  for (const cell of cells) {
    out.push(`<details><summary>${mdEscape(cellKey(cell))}: ${mdEscape(verdictText(cell))}</summary>`, "");
    out.push(`- agent: ${mdEscape(agentTitle(cell) || "(no agentInfo)")}; command: \`${joinCommandLine(cell.agent.command).replace(/`/g, "'")}\``);
    out.push(`- profile: ${mdEscape(cell.profile.name)} (\`${cell.profile.kind}\`)`);
    out.push(
      `- initialize: ${cell.initialize.ok ? `ok in ${seconds(cell.initialize.ms)}, protocolVersion ${cell.initialize.protocolVersion}${requestedNote(cell)}, authMethods [${cell.initialize.authMethods.map(mdEscape).join(", ")}]` : `failed${requestedNote(cell)}`}`,
    );
    out.push(`- auth method types: ${mdEscape(methodsText(cellMethods(cell)))}`);
    if (cell.authenticate) {
      const a = cell.authenticate;
      out.push(`- authenticate \`${mdEscape(a.methodId)}\` (env_var, ${mdEscape(a.vars.join(", "))} from the profile): ${a.ok ? `ok in ${seconds(a.ms)}` : a.error ? `error ${a.error.code} after ${seconds(a.ms)}` : "no answer"}`);
    }
    out.push(`- session/new: ${cell.sessionNew.ok ? `ok in ${seconds(cell.sessionNew.ms)}` : cell.sessionNew.error ? `error after ${seconds(cell.sessionNew.ms)}` : "not reached"}`);
    if (cell.prompt) {
      const p = cell.prompt;
      out.push(`- session/prompt: ${p.ok ? `answered in ${seconds(p.ms)}, stopReason ${mdEscape(p.stopReason ?? "?")}, ${p.updates} session/update notification(s)` : p.error ? `error after ${seconds(p.ms)}` : "no answer"}`);
    }
    if (cell.detail) out.push(`- detail: ${mdEscape(cell.detail)}`);
    const error = cell.prompt?.error ?? cell.sessionNew.error ?? cell.authenticate?.error ?? cell.initialize.error;
    if (error) out.push("", fence(JSON.stringify(error, null, 2)));
    out.push("", "</details>", "");
  }
  return `${out.join("\n").trimEnd()}\n`;
}

/** " (requested 2)" after a cell's protocol, when it recorded the request. */
function requestedNote(cell: ProbeCell): string {
  const r = cell.initialize.requestedProtocolVersion;
  return r === undefined ? "" : ` (requested ${r}${protocolMismatch(cell) ? ", **a different version**" : ""})`;
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
 * show the matrix as tests. A cell fails only when it differs from the expectations. The suite's
 * properties carry the requested protocol version; each cell's output, the one it negotiated.
 */
export function formatJunit(cells: readonly ProbeCell[], opts: { comparison?: Comparison; suiteName?: string; timestamp?: string } = {}): string {
  const failures = opts.comparison?.mismatches.length ?? 0;
  const total = cells.reduce((n, c) => n + c.ms, 0) / 1000;
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const suite = xmlEscape(opts.suiteName ?? "acp-auth-matrix");
  lines.push(`<testsuites name="${suite}" tests="${cells.length}" failures="${failures}" errors="0" time="${total.toFixed(3)}">`);
  lines.push(
    `  <testsuite name="${suite}" tests="${cells.length}" failures="${failures}" errors="0" skipped="0" time="${total.toFixed(3)}"${opts.timestamp ? ` timestamp="${xmlEscape(opts.timestamp)}"` : ""}>`,
    "    <properties>",
    `      <property name="acp.protocol.requested" value="${xmlEscape(requestedProtocols(cells).join(",") || "not recorded")}"/>`,
    "    </properties>",
  );
  for (const cell of cells) {
    const attrs = `classname="${xmlEscape(cell.agent.id)}" name="${xmlEscape(cell.profile.name)}" time="${(cell.ms / 1000).toFixed(3)}"`;
    const miss = expectedFor(cell, opts.comparison);
    const out = [`verdict: ${cell.verdict}`, `agent: ${agentTitle(cell) || "(no agentInfo)"}`, `profile kind: ${cell.profile.kind}`, `protocol: ${protocolLine(cell)}`, `auth methods: ${methodsText(cellMethods(cell))}`];
    if (cell.authenticate) out.push(`authenticate: ${cell.authenticate.methodId} (env_var) ${cell.authenticate.ok ? "ok" : cell.authenticate.error ? `error ${cell.authenticate.error.code}` : "no answer"}`);
    if (cell.prompt) out.push(`session/prompt: ${cell.prompt.ok ? `answered, stopReason ${cell.prompt.stopReason ?? "?"}` : cell.prompt.error ? `error ${cell.prompt.error.code} ${cell.prompt.error.message}` : "no answer"}`);
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

/** "requested v2, negotiated v1 (a different version)": one cell's protocol for JUnit's output. */
function protocolLine(cell: ProbeCell): string {
  const r = cell.initialize.requestedProtocolVersion;
  const n = cell.initialize.protocolVersion;
  return `requested ${r === undefined ? "not recorded" : `v${r}`}, negotiated ${n === null ? "none" : `v${n}`}${protocolMismatch(cell) ? " (a different version)" : ""}`;
}

// ─── Shards: one matrix over many CI jobs ─────────────────────────────────────────────────────

/** `--shard K/N`: this job runs slice K (1-based) of N. */
export interface ShardSpec {
  index: number;
  count: number;
}

/** Parse "K/N"; a string saying what is wrong when it is not 1 ≤ K ≤ N. */
export function parseShard(text: string): ShardSpec | string {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) return `--shard wants K/N (e.g. 2/4), not "${text}"`;
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index < 1 || index > count) return `--shard ${text}: K must be from 1 to N, and N at least 1`;
  return { index, count };
}

/**
 * The items of shard K/N, in their given order. The assignment does not depend on the order the
 * agents and profiles were given in: items are ranked by `sortKey` (agent id, then profile id;
 * compared by code unit, never by locale, so every machine agrees), and rank i goes to shard
 * (i mod N) + 1. Every item lands in exactly one shard, and neighbours in the ranking are spread
 * over different jobs (a slow agent's cells do not all end up in one job).
 */
export function shardSlice<T>(items: readonly T[], sortKey: (item: T) => readonly string[], spec: ShardSpec): T[] {
  const ranked = items.map((item, i) => ({ item, i, key: sortKey(item) })).sort((a, b) => compareKeys(a.key, b.key) || a.i - b.i);
  const chosen = new Set<number>();
  ranked.forEach((r, rank) => {
    if (rank % spec.count === spec.index - 1) chosen.add(r.i);
  });
  return items.filter((_, i) => chosen.has(i));
}

function compareKeys(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? "";
    const y = b[i] ?? "";
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export const SHARD_REPORT_FORMAT = "acp-playground-matrix-shard";

/**
 * What `--shard K/N --format json` writes: the cells of one shard, and the plan (every cell key of
 * the whole matrix, in the unsharded run's order) so a merge can prove it has all of them.
 * requestedProtocolVersion: the `--protocol` every cell asked for (absent in older reports), so a
 * merge can refuse shards that asked for different versions even when a shard has no cells.
 */
export interface ShardReport {
  format: typeof SHARD_REPORT_FORMAT;
  version: 1;
  requestedProtocolVersion?: number;
  shard: ShardSpec;
  plan: string[];
  cells: ProbeCell[];
}

export function formatShardJson(spec: ShardSpec, plan: readonly string[], cells: readonly ProbeCell[], requestedProtocolVersion?: number): string {
  const requested = requestedProtocolVersion ?? (requestedProtocols(cells).length === 1 ? requestedProtocols(cells)[0] : undefined);
  const report: ShardReport = { format: SHARD_REPORT_FORMAT, version: 1, ...(requested === undefined ? {} : { requestedProtocolVersion: requested }), shard: spec, plan: [...plan], cells: [...cells] };
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** The versions a shard report says it asked for: its header's, else its cells'. */
function shardRequested(report: ShardReport): number[] {
  return report.requestedProtocolVersion !== undefined ? [report.requestedProtocolVersion] : requestedProtocols(report.cells);
}

export type MergeResult = { ok: true; cells: ProbeCell[] } | { ok: false; problem: string; hint: string };

const MERGE_HINT = "Give every shard's JSON report exactly once: the files `npm run matrix -- --shard K/N --format json --out shard-K.json` wrote, for K = 1…N of one matrix.";

function asShardReport(value: unknown): ShardReport | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const r = value as Partial<ShardReport>;
  if (r.format !== SHARD_REPORT_FORMAT || r.version !== 1) return undefined;
  if (r.requestedProtocolVersion !== undefined && !Number.isInteger(r.requestedProtocolVersion)) return undefined;
  const s = r.shard;
  if (!s || !Number.isInteger(s.index) || !Number.isInteger(s.count) || s.count < 1 || s.index < 1 || s.index > s.count) return undefined;
  if (!Array.isArray(r.plan) || !r.plan.every((k) => typeof k === "string") || !Array.isArray(r.cells)) return undefined;
  const cellOk = (c: unknown): boolean => {
    const x = c as Partial<ProbeCell> | null;
    const requested = x?.initialize?.requestedProtocolVersion;
    return typeof x === "object" && x !== null && typeof x.agent?.id === "string" && typeof x.profile?.name === "string" && isVerdict(x.verdict) && (requested === undefined || Number.isInteger(requested));
  };
  return r.cells.every(cellOk) ? (r as ShardReport) : undefined;
}

/**
 * Join shard reports into the unsharded matrix, cells in the plan's order. Refused, saying which:
 * a file that is not a shard report; shards of different matrices (N or plan differ); a shard given
 * twice; shards that asked for different protocol versions; a missing shard; a cell in two
 * shards; a cell of the plan that no shard has.
 */
export function mergeShards(files: readonly { name: string; text: string }[]): MergeResult {
  if (files.length === 0) return { ok: false, problem: "merge needs the shard reports to join.", hint: MERGE_HINT };
  const reports: { name: string; report: ShardReport }[] = [];
  for (const f of files) {
    let value: unknown;
    try {
      value = JSON.parse(f.text);
    } catch (error) {
      return { ok: false, problem: `${f.name} is not JSON: ${(error as Error).message}`, hint: MERGE_HINT };
    }
    const report = asShardReport(value);
    if (!report) {
      return {
        ok: false,
        problem: `${f.name} is not a shard report${Array.isArray(value) ? " (it is the JSON of an unsharded run)" : ""}.`,
        hint: "Shard reports come from `npm run matrix -- --shard K/N --format json`.",
      };
    }
    reports.push({ name: f.name, report });
  }
  const first = reports[0];
  const count = first.report.shard.count;
  const plan = first.report.plan;
  const byIndex = new Map<number, string>();
  const askedFirst = reports.map((x) => ({ name: x.name, asked: shardRequested(x.report) })).find((x) => x.asked.length > 0);
  for (const { name, report } of reports) {
    if (report.shard.count !== count) return { ok: false, problem: `${name} is shard ${report.shard.index}/${report.shard.count}, but ${first.name} is shard ${first.report.shard.index}/${count}: they split the matrix differently.`, hint: MERGE_HINT };
    if (report.plan.length !== plan.length || report.plan.some((k, i) => k !== plan[i])) {
      return { ok: false, problem: `${name} and ${first.name} are shards of different matrices (their agent × profile plans differ).`, hint: "Run every shard with the same --agent, --agent-cmd, --profile and --profile-dir options." };
    }
    const asked = shardRequested(report);
    if (askedFirst && asked.length > 0 && asked.join() !== askedFirst.asked.join()) {
      const v = (list: number[]): string => list.map((n) => `v${n}`).join(", ");
      return { ok: false, problem: `${name} asked for protocol ${v(asked)}, but ${askedFirst.name} asked for ${v(askedFirst.asked)}: they are different matrices.`, hint: "Run every shard with the same --protocol." };
    }
    const other = byIndex.get(report.shard.index);
    if (other !== undefined) return { ok: false, problem: `Shard ${report.shard.index}/${count} is given twice: ${other} and ${name} overlap.`, hint: MERGE_HINT };
    byIndex.set(report.shard.index, name);
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((k) => !byIndex.has(k));
  if (missing.length > 0) return { ok: false, problem: `Shard${missing.length > 1 ? "s" : ""} ${missing.map((k) => `${k}/${count}`).join(", ")} ${missing.length > 1 ? "are" : "is"} missing: the merged matrix would lack their cells.`, hint: MERGE_HINT };
  const found = new Map<string, { cell: ProbeCell; from: string }>();
  for (const { name, report } of reports) {
    for (const cell of report.cells) {
      const key = cellKey(cell);
      const seen = found.get(key);
      if (seen) return { ok: false, problem: `The cell "${key}" is in both ${seen.from} and ${name}: the shards overlap.`, hint: MERGE_HINT };
      if (!plan.includes(key)) return { ok: false, problem: `${name} has the cell "${key}", which is not in the matrix's plan.`, hint: MERGE_HINT };
      found.set(key, { cell, from: name });
    }
  }
  const absent = plan.filter((k) => !found.has(k));
  if (absent.length > 0) return { ok: false, problem: `No shard has the cell${absent.length > 1 ? "s" : ""} ${absent.map((k) => `"${k}"`).join(", ")}.`, hint: MERGE_HINT };
  return { ok: true, cells: plan.map((k) => (found.get(k) as { cell: ProbeCell }).cell) };
}
