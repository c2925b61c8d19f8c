/**
 * `npm run bench`: measured figures for issue 7, not claims. Every figure is taken side by side in
 * this one run (relay vs direct stdio on the same fixture agent) and printed as a table plus
 * bench/results.json with the machine it ran on. Phases: relay throughput, added latency, UI at
 * 100,000 frames in headless Chromium, server RSS under a 1,000,000-frame flood with a client that
 * stopped reading, start-up and click-to-initialize overhead. Budget: under three minutes.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { ensureBuild, fixtureAgent, type PlaygroundServer, ROOT, startServer } from "../test/fixtures/server";
import { latency, type LatencyResult, memoryUnderFlood, type MemoryResult, throughput, type ThroughputRow } from "./relay";
import { fmt, median, round } from "./stats";
import { initializeOverhead, type InitializeOverhead, launchBrowser, uiAtScale, type UiResult } from "./ui";

const FLOOD = "bench-flood";
const ECHO = "bench-echo";
const AGENTS = [fixtureAgent(FLOOD, "flood-agent.mjs"), fixtureAgent(ECHO, "echo-agent.mjs")];

const THROUGHPUT_PLAN = [
  { size: 200, count: 200_000 },
  { size: 2048, count: 50_000 },
  { size: 65536, count: 2_000 },
];

interface Target {
  name: string;
  target: string;
  measured: string;
  pass: boolean;
}

interface Results {
  machine: { cpu: string; cores: number; memoryGB: number; node: string; platform: string; date: string };
  build: { buildId?: string; staleVsSources: boolean };
  throughput?: ThroughputRow[];
  latency?: LatencyResult;
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
    t.push({ name: `relay ÷ direct at ${row.size} B`, target: "≥ 0.5×", measured: `${fmt(row.ratio, 2)}×`, pass: row.ratio >= 0.5 });
  }
  if (r.latency) {
    t.push({ name: "added latency p50", target: "≤ 1 ms", measured: `${fmt(r.latency.addedP50, 3)} ms`, pass: r.latency.addedP50 <= 1 });
    t.push({ name: "added latency p99", target: "≤ 5 ms", measured: `${fmt(r.latency.addedP99, 3)} ms`, pass: r.latency.addedP99 <= 5 });
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

function report(r: Results): void {
  const out: string[] = [];
  out.push(`\nACP Playground bench — ${r.machine.cpu} × ${r.machine.cores}, Node ${r.machine.node}, ${r.machine.date}`);
  if (r.build.staleVsSources) out.push("note: the UI build is older than app/, components/ or lib/ (UI figures are for that build).");
  if (r.throughput) {
    out.push("\n1. Relay throughput (frames/s; MB/s) — same flood agent, read directly (lines counted; lines parsed; an official-SDK client) vs through the relay to a ws client");
    out.push(
      table(
        ["frame size", "frames", "direct f/s", "direct MB/s", "direct+parse f/s", "SDK client f/s", "relay f/s", "relay MB/s", "relay f/s, no schema check", "relay/direct", "relay/(direct+parse)", "relay/SDK", "dropped"],
        r.throughput.map((row) => [
          `${row.size} B`,
          fmt(row.count, 0),
          fmt(row.direct.framesPerSec, 0),
          fmt(row.direct.mbPerSec, 1),
          fmt(row.directParse.framesPerSec, 0),
          fmt(row.sdk.framesPerSec, 0),
          fmt(row.relay.framesPerSec, 0),
          fmt(row.relay.mbPerSec, 1),
          fmt(row.relayNoSchema.framesPerSec, 0),
          `${fmt(row.ratio, 2)}×`,
          `${fmt(row.ratioVsParse, 2)}×`,
          `${fmt(row.ratioVsSdk, 2)}×`,
          fmt(row.relay.dropped ?? 0, 0),
        ]),
      ),
    );
  }
  if (r.latency) {
    const l = r.latency;
    out.push(`\n2. Round trip, echo agent (ms, n=${l.relay.n})`);
    out.push(
      table(
        ["path", "p50", "p99", "mean", "max"],
        [
          ["direct stdio", fmt(l.direct.p50, 3), fmt(l.direct.p99, 3), fmt(l.direct.mean, 3), fmt(l.direct.max, 3)],
          ["through relay (ws client)", fmt(l.relay.p50, 3), fmt(l.relay.p99, 3), fmt(l.relay.mean, 3), fmt(l.relay.max, 3)],
          ["relay-reported agent latency", fmt(l.relayReported.p50, 3), fmt(l.relayReported.p99, 3), fmt(l.relayReported.mean, 3), fmt(l.relayReported.max, 3)],
          ["added by the relay", fmt(l.addedP50, 3), fmt(l.addedP99, 3), "", ""],
        ],
      ),
    );
  }
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
  out.push(`\nTotal ${fmt(r.totalSeconds, 1)} s. Results: bench/results.json`);
  console.log(out.join("\n"));
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const errors: Results["errors"] = [];
  const results: Results = {
    machine: { cpu: os.cpus()[0]?.model ?? "unknown", cores: os.cpus().length, memoryGB: round(os.totalmem() / 1024 ** 3, 1), node: process.version, platform: `${os.platform()} ${os.release()}`, date: new Date().toISOString() },
    build: await buildState(),
    // Listed now, filled in as phases finish, so results.json reads in the order of the table.
    throughput: undefined,
    latency: undefined,
    ui: undefined,
    initialize: undefined,
    memory: undefined,
    startup: undefined,
    targets: [],
    errors,
    totalSeconds: 0,
  };

  await withServer(async (server) => {
    results.throughput = await phase("relay throughput vs direct stdio", errors, () => throughput(server, FLOOD, THROUGHPUT_PLAN));
    results.latency = await phase("round-trip latency vs direct stdio", errors, () => latency(server, ECHO, 2000, 300));
  }).catch((error: unknown) => errors.push({ phase: "server for relay phases", message: String(error) }));

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

  results.targets = evaluateTargets(results);
  results.totalSeconds = round((performance.now() - t0) / 1000, 1);
  writeFileSync(path.join(ROOT, "bench", "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  report(results);
  process.exit(errors.length ? 1 : 0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
