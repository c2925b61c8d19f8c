/**
 * `npm run bench`: measured figures for issues 7 and 16, not claims. Every figure is taken side by
 * side in this one run on the same fixture agent (the relay, websocketd, stdio-to-ws, an official-SDK
 * client, direct stdio) and printed as a table plus bench/results.json with the machine and its load.
 * Phases: throughput against the peers (median of three runs, with the spread), added latency,
 * the same two under a second CPU-bound process (--busy), UI at 100,000 frames in headless
 * Chromium, server RSS under a 1,000,000-frame flood with a client that stopped reading, start-up
 * and click-to-initialize overhead.
 *
 * Flags: --quick (a tenth of the frames, for iterating), --busy (add the loaded pass),
 * --relay-only (skip the Chromium, memory and start-up phases), --reps N (default 3), --verbose.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { ensureBuild, fixtureAgent, type PlaygroundServer, ROOT, startServer } from "../test/fixtures/server";
import { startSpinner } from "./peers";
import { type Cell, latency, type LatencyResult, memoryUnderFlood, type MemoryResult, throughput, type ThroughputRow } from "./relay";
import { fmt, median, round } from "./stats";
import { initializeOverhead, type InitializeOverhead, launchBrowser, uiAtScale, type UiResult } from "./ui";

const FLOOD = "bench-flood";
const ECHO = "bench-echo";
const AGENTS = [fixtureAgent(FLOOD, "flood-agent.mjs"), fixtureAgent(ECHO, "echo-agent.mjs")];

const argv = process.argv.slice(2);
const flag = (name: string): boolean => argv.includes(`--${name}`);
const QUICK = flag("quick");
const BUSY = flag("busy");
const RELAY_ONLY = flag("relay-only");
const repsAt = argv.indexOf("--reps");
const REPS = repsAt >= 0 ? Math.max(1, Number.parseInt(argv[repsAt + 1] ?? "3", 10) || 3) : 3;

/** Issue #16's plan: 200k / 100k / 20k frames; --quick runs a tenth of each. */
const THROUGHPUT_PLAN = [
  { size: 200, count: 200_000 },
  { size: 2048, count: 100_000 },
  { size: 65536, count: 20_000 },
].map((p) => (QUICK ? { ...p, count: p.count / 10 } : p));

interface Target {
  name: string;
  target: string;
  measured: string;
  pass: boolean;
}

interface Results {
  machine: { cpu: string; cores: number; memoryGB: number; node: string; platform: string; date: string };
  /** The machine is shared: its 1/5/15-minute load average when the bench started and ended. */
  load: { before: number[]; after: number[] };
  options: { quick: boolean; busy: boolean; relayOnly: boolean; reps: number };
  build: { buildId?: string; staleVsSources: boolean };
  throughput?: ThroughputRow[];
  latency?: LatencyResult;
  /** The same two phases while a second process spins one core (--busy). */
  throughputBusy?: ThroughputRow[];
  latencyBusy?: LatencyResult;
  ui?: UiResult;
  initialize?: InitializeOverhead;
  memory?: MemoryResult;
  startup?: { samplesMs: number[]; medianMs: number };
  targets: Target[];
  errors: { phase: string; message: string }[];
  totalSeconds: number;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** The UI phases need a production build; build only when there is none (a build is not timed). */
async function buildState(): Promise<Results["build"]> {
  const buildId = path.join(ROOT, ".next", "BUILD_ID");
  await ensureBuild();
  const sources = ["app", "components", "lib"].map((d) => path.join(ROOT, d)).filter((d) => existsSync(d));
  const stale = Math.max(...sources.map(newestMtime)) > statSync(buildId).mtimeMs;
  return { buildId: readFileSync(buildId, "utf8").trim(), staleVsSources: stale };
}

async function phase<T>(name: string, errors: Results["errors"], run: () => Promise<T>): Promise<T | undefined> {
  const t0 = performance.now();
  process.stdout.write(`• ${name}… `);
  try {
    const value = await run();
    process.stdout.write(`${fmt((performance.now() - t0) / 1000)} s\n`);
    return value;
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    process.stdout.write(`FAILED (${message})\n`);
    errors.push({ phase: name, message });
    return undefined;
  }
}

async function withServer<T>(use: (server: PlaygroundServer) => Promise<T>): Promise<T> {
  const server = await startServer({ agents: AGENTS, extraArgs: ["--quiet"] });
  try {
    return await use(server);
  } finally {
    await server.stop();
  }
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(headers), widths.map((w) => "─".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

function evaluateTargets(r: Results): Target[] {
  const t: Target[] = [];
  const at200 = r.throughput?.find((row) => row.size === 200);
  if (at200) {
    t.push({ name: "relay throughput at 200 B", target: "≥ 50,000 frames/s", measured: `${fmt(at200.relay.framesPerSec, 0)} frames/s`, pass: at200.relay.framesPerSec >= 50_000 });
  }
  for (const row of r.throughput ?? []) {
    if (Number.isFinite(row.vsWebsocketd)) t.push({ name: `relay ÷ websocketd at ${sizeLabel(row.size)}`, target: "≥ 1.2×", measured: `${fmt(row.vsWebsocketd, 2)}×`, pass: row.vsWebsocketd >= 1.2 });
    else t.push({ name: `relay ÷ websocketd at ${sizeLabel(row.size)}`, target: "≥ 1.2×", measured: `no websocketd: ${row.websocketd.error ?? "no runs"}`, pass: false });
    t.push({ name: `relay ÷ SDK client at ${sizeLabel(row.size)}`, target: "≥ 1.0×", measured: `${fmt(row.vsSdk, 2)}×`, pass: row.vsSdk >= 1.0 });
  }
  if (r.latency) {
    t.push({ name: "added latency p50", target: "≤ 1 ms", measured: `${fmt(r.latency.addedP50, 3)} ms`, pass: r.latency.addedP50 <= 1 });
    t.push({ name: "added latency p99", target: "≤ 2 ms", measured: `${fmt(r.latency.addedP99, 3)} ms`, pass: r.latency.addedP99 <= 2 });
  }
  for (const row of r.throughputBusy ?? []) {
    const quiet = r.throughput?.find((q) => q.size === row.size);
    if (!quiet || !Number.isFinite(row.vsWebsocketd) || !Number.isFinite(quiet.vsWebsocketd)) continue;
    // "Must not collapse": under load the relay keeps at least 80% of its quiet share of websocketd's rate.
    const kept = row.vsWebsocketd / quiet.vsWebsocketd;
    t.push({ name: `busy: relay ÷ websocketd at ${sizeLabel(row.size)}`, target: "≥ 0.8 × the quiet share", measured: `${fmt(row.vsWebsocketd, 2)}× (quiet ${fmt(quiet.vsWebsocketd, 2)}×, kept ${fmt(kept * 100, 0)}%)`, pass: kept >= 0.8 });
  }
  if (r.ui) {
    const worst = Math.max(...r.ui.search.map((s) => s.ms));
    t.push({ name: `UI rows loaded`, target: "100,000", measured: fmt(r.ui.framesLoaded, 0), pass: r.ui.framesLoaded >= 100_000 });
    t.push({ name: "UI search over all rows (worst)", target: "< 200 ms", measured: `${fmt(worst, 1)} ms`, pass: worst < 200 });
    const worstFilter = Math.max(...r.ui.filter.map((s) => s.ms));
    t.push({ name: "UI filter over all rows (worst)", target: "< 200 ms", measured: `${fmt(worstFilter, 1)} ms`, pass: worstFilter < 200 });
    t.push({ name: "UI long tasks > 50 ms while scrolling", target: "0", measured: `${r.ui.scroll.longTasksOver50} (longest ${fmt(r.ui.scroll.longestTaskMs, 0)} ms)`, pass: r.ui.scroll.longTasksOver50 === 0 });
    const heapMB = Math.max(r.ui.heapAfterLoad.usedMB, r.ui.heapAfterSearch.usedMB);
    t.push({ name: "UI JS heap (peak sampled)", target: "< 500 MB", measured: `${fmt(heapMB, 1)} MB`, pass: heapMB < 500 });
  }
  if (r.memory) {
    const m = r.memory;
    t.push({ name: "server RSS, 1M-frame flood, client paused", target: "flat (bounded)", measured: `peak ${fmt(m.first.peakMB, 0)} MB; +${fmt(m.growthSecondRoundMB, 0)} MB over the next 1M`, pass: m.bounded });
  }
  return t;
}

function sizeLabel(size: number): string {
  return size >= 1024 ? `${size / 1024} KB` : `${size} B`;
}

/** Median frames/s with the spread of the runs, or why the column is empty. */
function cellText(c: Cell): string {
  if (!c.runs.length) return c.error ? "n/a (see below)" : "n/a";
  return `${fmt(c.framesPerSec, 0)} (${fmt(c.min, 0)}–${fmt(c.max, 0)})`;
}

function throughputTable(title: string, rows: ThroughputRow[], reps: number): string {
  const out = [
    `\n${title}: frames/s, median of ${reps} runs (min–max); the same flood agent for every column`,
    "  relay: tsx server.ts → ws client that decodes each batch and JSON.parses every frame's raw line",
    "  websocketd / stdio-to-ws: one message per line → ws client that JSON.parses every message",
    "  SDK client: the official ACP SDK (ndJsonStream + zod) reading the agent's stdout, no WebSocket",
    "  direct: newlines counted on the agent's stdout, nothing parsed (issue #7's baseline, context only)",
    table(
      ["frame size", "frames", "relay", "relay MB/s", "websocketd", "stdio-to-ws", "SDK client", "direct (count)", "÷ websocketd", "÷ stdio-to-ws", "÷ SDK", "÷ direct", "dropped"],
      rows.map((row) => [
        sizeLabel(row.size),
        fmt(row.count, 0),
        cellText(row.relay),
        fmt(row.relay.mbPerSec, 1),
        cellText(row.websocketd),
        cellText(row.stdioToWs),
        cellText(row.sdk),
        cellText(row.direct),
        `${fmt(row.vsWebsocketd, 2)}×`,
        `${fmt(row.vsStdioToWs, 2)}×`,
        `${fmt(row.vsSdk, 2)}×`,
        `${fmt(row.vsDirect, 2)}×`,
        fmt(row.dropped, 0),
      ]),
    ),
  ];
  const cpu = (c: Cell, middle: boolean): string => (c.runs.length ? `${middle ? `${fmt(c.middleCpuUs ?? Number.NaN, 2)} + ` : ""}${fmt(c.clientCpuUs ?? Number.NaN, 2)}` : "n/a");
  out.push("  CPU µs per frame, median run: the middle process + the client (the bench process); the agent is not counted");
  out.push(
    table(
      ["frame size", "relay", "websocketd", "stdio-to-ws", "SDK client", "direct (count)"],
      rows.map((row) => [sizeLabel(row.size), cpu(row.relay, true), cpu(row.websocketd, true), cpu(row.stdioToWs, true), cpu(row.sdk, false), cpu(row.direct, false)]),
    ),
  );
  const why = new Set(rows.flatMap((row) => [row.websocketd, row.stdioToWs].map((c) => c.error).filter((e): e is string => e !== undefined)));
  for (const e of why) out.push(`  empty column: ${e}`);
  return out.join("\n");
}

function latencyTable(title: string, l: LatencyResult): string {
  return [
    `\n${title}`,
    table(
      ["path", "p50", "p99", "mean", "max"],
      [
        ["direct stdio", fmt(l.direct.p50, 3), fmt(l.direct.p99, 3), fmt(l.direct.mean, 3), fmt(l.direct.max, 3)],
        ["through relay (ws client)", fmt(l.relay.p50, 3), fmt(l.relay.p99, 3), fmt(l.relay.mean, 3), fmt(l.relay.max, 3)],
        ["relay-reported agent latency", fmt(l.relayReported.p50, 3), fmt(l.relayReported.p99, 3), fmt(l.relayReported.mean, 3), fmt(l.relayReported.max, 3)],
        ["added by the relay", fmt(l.addedP50, 3), fmt(l.addedP99, 3), "", ""],
      ],
    ),
  ].join("\n");
}

function report(r: Results): void {
  const out: string[] = [];
  out.push(`\nACP Playground bench — ${r.machine.cpu} × ${r.machine.cores}, Node ${r.machine.node}, ${r.machine.date}`);
  out.push(`load average (1/5/15 min) before ${r.load.before.map((v) => fmt(v, 2)).join(" ")}, after ${r.load.after.map((v) => fmt(v, 2)).join(" ")}${r.options.quick ? "; --quick (a tenth of the frames)" : ""}`);
  if (r.build.staleVsSources) out.push("note: the UI build is older than app/, components/ or lib/ (UI figures are for that build).");
  if (r.throughput) out.push(throughputTable("1. Throughput", r.throughput, r.options.reps));
  if (r.throughputBusy) out.push(throughputTable("1b. Throughput while a second process spins one core (--busy)", r.throughputBusy, r.options.reps));
  if (r.latency) out.push(latencyTable(`2. Round trip, echo agent (ms, n=${r.latency.relay.n})`, r.latency));
  if (r.latencyBusy) out.push(latencyTable(`2b. Round trip while a second process spins one core (ms, n=${r.latencyBusy.relay.n})`, r.latencyBusy));
  if (r.ui) {
    const u = r.ui;
    out.push(`\n3. UI at scale, headless Chromium, ${fmt(u.framesLoaded, 0)} rows`);
    out.push(
      table(
        ["measure", "value"],
        [
          ["DOMContentLoaded", `${fmt(u.domContentLoadedMs, 0)} ms`],
          ["first row rendered (since navigation)", `${fmt(u.firstRowMs, 0)} ms`],
          ["all rows loaded (count shows total)", `${fmt(u.allLoadedMs, 0)} ms`],
          ["long tasks while loading (longest)", `${u.loadLongTasks} (${fmt(u.loadLongestTaskMs, 0)} ms)`],
          ["scroll 3 s: rAF p50 / p95 / p99 / max", `${fmt(u.scroll.p50, 1)} / ${fmt(u.scroll.p95, 1)} / ${fmt(u.scroll.p99, 1)} / ${fmt(u.scroll.max, 1)} ms`],
          ["scroll: rAF p95 fling (1300 px/frame) / jumps", `${fmt(u.scroll.flingP95, 1)} / ${fmt(u.scroll.jumpP95, 1)} ms`],
          ["scroll: frames, distinct rows rendered", `${u.scroll.frames}, ${fmt(u.scroll.rowsSeen, 0)}`],
          ["scroll: long tasks > 50 ms (longest)", `${u.scroll.longTasksOver50} (${fmt(u.scroll.longestTaskMs, 0)} ms)`],
          ...u.search.map((s) => [`search "${s.term}" → ${s.count}`, `${fmt(s.ms, 1)} ms (painted ${fmt(s.paintMs, 1)})`]),
          ...u.filter.map((s) => [`filter ${s.name} → ${s.count}`, `${fmt(s.ms, 1)} ms (painted ${fmt(s.paintMs, 1)})`]),
          ["JS heap after load: used", `${fmt(u.heapAfterLoad.usedMB, 1)} MB`],
          ["JS heap after scroll+search: used / after GC", `${fmt(u.heapAfterSearch.usedMB, 1)} / ${fmt(u.heapAfterSearch.usedAfterGcMB, 1)} MB`],
        ],
      ),
    );
  }
  if (r.memory) {
    const m = r.memory;
    out.push(`\n4. Server RSS, 2 × ${fmt(m.first.frames, 0)} × ${m.frameBytes} B flood into one run, the only ws client paused (socket not read)`);
    out.push(
      table(
        ["measure", "value"],
        [
          ["RSS before the flood", `${fmt(m.baselineMB, 0)} MB`],
          ["first 1M frames: duration, peak RSS, RSS at end", `${fmt(m.first.floodMs / 1000, 1)} s, ${fmt(m.first.peakMB, 0)} MB, ${fmt(m.first.endMB, 0)} MB`],
          ["next 1M frames: duration, peak RSS, RSS at end", `${fmt(m.second.floodMs / 1000, 1)} s, ${fmt(m.second.peakMB, 0)} MB, ${fmt(m.second.endMB, 0)} MB`],
          ["peak growth over the second million", `${fmt(m.growthSecondRoundMB, 0)} MB`],
          ["RSS after the client resumed and caught up", `${fmt(m.afterResumeMB, 0)} MB`],
          ["after resume: frames received, dropped by the ring", `${fmt(m.receivedAfterResume, 0)}, ${fmt(m.droppedReported, 0)}`],
          ["last answer delivered after resume", m.gotFinalAnswer ? "yes" : "no"],
        ],
      ),
    );
    out.push(`RSS every ${m.sampleMs} ms (MB): ${m.samplesMB.map((v) => fmt(v, 0)).join(" ")}`);
  }
  if (r.startup || r.initialize) {
    out.push("\n5. Start-up and click-to-initialize");
    const rows: string[][] = [];
    if (r.startup) rows.push(["tsx server.ts → ready line (median of runs)", `${fmt(r.startup.medianMs, 0)} ms (${r.startup.samplesMs.map((v) => fmt(v, 0)).join(", ")})`]);
    if (r.initialize) {
      const i = r.initialize;
      rows.push([`click → initialize row in DOM, p50 / p95 (n=${i.n})`, `${fmt(i.browserP50, 2)} / ${fmt(i.browserP95, 2)} ms`]);
      rows.push(["relay-measured agent latency, p50", `${fmt(i.relayP50, 3)} ms`]);
      rows.push(["overhead beyond the agent, p50 / p95", `${fmt(i.overheadP50, 2)} / ${fmt(i.overheadP95, 2)} ms`]);
    }
    out.push(table(["measure", "value"], rows));
  }
  out.push("\nTargets");
  out.push(table(["target", "wanted", "measured", "verdict"], r.targets.map((t) => [t.name, t.target, t.measured, t.pass ? "PASS" : "MISS"])));
  if (r.errors.length) out.push(`\nPhases that failed:\n${r.errors.map((e) => `  ${e.phase}: ${e.message}`).join("\n")}`);
  out.push(`\nTotal ${fmt(r.totalSeconds, 1)} s.`);
  console.log(out.join("\n"));
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const errors: Results["errors"] = [];
  const results: Results = {
    machine: { cpu: os.cpus()[0]?.model ?? "unknown", cores: os.cpus().length, memoryGB: round(os.totalmem() / 1024 ** 3, 1), node: process.version, platform: `${os.platform()} ${os.release()}`, date: new Date().toISOString() },
    load: { before: os.loadavg().map((v) => round(v, 2)), after: [] },
    options: { quick: QUICK, busy: BUSY, relayOnly: RELAY_ONLY, reps: REPS },
    build: RELAY_ONLY ? { staleVsSources: false } : await buildState(),
    // Listed now, filled in as phases finish, so results.json reads in the order of the table.
    throughput: undefined,
    latency: undefined,
    throughputBusy: undefined,
    latencyBusy: undefined,
    ui: undefined,
    initialize: undefined,
    memory: undefined,
    startup: undefined,
    targets: [],
    errors,
    totalSeconds: 0,
  };

  const progress = (line: string): void => {
    if (flag("verbose")) process.stdout.write(`\n    ${line}`);
  };
  await withServer(async (server) => {
    results.throughput = await phase("throughput: relay vs websocketd, stdio-to-ws, SDK client, direct", errors, () => throughput(server, FLOOD, THROUGHPUT_PLAN, { reps: REPS, progress }));
    results.latency = await phase("round-trip latency vs direct stdio", errors, () => latency(server, ECHO, QUICK ? 500 : 2000, 300));
    if (!BUSY) return;
    const spinner = startSpinner();
    try {
      results.throughputBusy = await phase("throughput with a second process spinning a core", errors, () => throughput(server, FLOOD, THROUGHPUT_PLAN, { reps: REPS, progress }));
      results.latencyBusy = await phase("round-trip latency with a second process spinning a core", errors, () => latency(server, ECHO, QUICK ? 500 : 2000, 300));
    } finally {
      spinner.stop();
    }
  }).catch((error: unknown) => errors.push({ phase: "server for relay phases", message: String(error) }));

  if (RELAY_ONLY) return finish(results, t0);
  const browser = await launchBrowser();
  try {
    await withServer(async (server) => {
      // Initialize first, while the server holds no big run that a new tab would be sent.
      results.initialize = await phase("click-to-initialize overhead (Chromium)", errors, () => initializeOverhead(browser, server, ECHO, 15));
      results.ui = await phase("UI at 100,000 frames (Chromium)", errors, () => uiAtScale(browser, server, FLOOD, 100_000));
    }).catch((error: unknown) => errors.push({ phase: "server for UI phases", message: String(error) }));
  } finally {
    await browser.close();
  }

  await withServer(async (server) => {
    results.memory = await phase("server RSS under a 1,000,000-frame flood", errors, () => memoryUnderFlood(server, FLOOD, 1_000_000, 200));
  }).catch((error: unknown) => errors.push({ phase: "server for the memory phase", message: String(error) }));

  results.startup = await phase("start-up to the ready line (×3)", errors, async () => {
    const samples: number[] = [];
    for (let i = 0; i < 3; i++) {
      const server = await startServer({ extraArgs: ["--quiet"] });
      samples.push(round(server.readyMs, 0));
      await server.stop();
    }
    return { samplesMs: samples, medianMs: median(samples) };
  });

  finish(results, t0);
}

function finish(results: Results, t0: number): void {
  results.load.after = os.loadavg().map((v) => round(v, 2));
  results.targets = evaluateTargets(results);
  results.totalSeconds = round((performance.now() - t0) / 1000, 1);
  // A --quick or --relay-only run is for iterating: it does not overwrite the full run's figures.
  const file = QUICK || RELAY_ONLY ? path.join(os.tmpdir(), "acp-bench-partial.json") : path.join(ROOT, "bench", "results.json");
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  report(results);
  console.log(`(figures: ${file})`);
  process.exit(results.errors.length ? 1 : 0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
