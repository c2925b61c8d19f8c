/**
 * UI benchmarks in headless Chromium (the system binary, never a downloaded one): a page opened
 * onto a run that already holds 100,000 frames, measured from inside the page so that driver
 * round trips do not pollute the figures — first row rendered, all rows loaded, frame times and
 * long tasks while scrolling, search and filter latency, JS heap — and the click-to-answer time
 * of `initialize` compared with what the relay itself measured for the same request.
 */
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import type { Frame } from "../lib/wire";
import { type PlaygroundServer, sleep, startRun, WsClient } from "../test/fixtures/server";
import { MB, median, percentile, round } from "./stats";

const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

interface LongTask {
  start: number;
  duration: number;
}

/** What the init script records inside the page; read back with page.evaluate. */
interface Probe {
  firstRowAt: number;
  allLoadedAt: number;
  longTasks: LongTask[];
}

type ProbeWindow = Window & { __bench: Probe };

/**
 * tsx compiles with esbuild's keepNames, which wraps named functions in a `__name(...)` helper;
 * functions serialized into the page need that helper to exist there too.
 */
const NAME_SHIM = "globalThis.__name = globalThis.__name || ((fn) => fn);";

/** Runs in the page before its own scripts: long-task observer and first-row / all-loaded marks. */
function installProbe(target: number): void {
  const probe: Probe = { firstRowAt: -1, allLoadedAt: -1, longTasks: [] };
  (window as unknown as ProbeWindow).__bench = probe;
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) probe.longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: "longtask", buffered: true });
  } catch {
    // No long-task support: the bench reports none observed.
  }
  const observer = new MutationObserver(() => {
    if (probe.firstRowAt < 0 && document.querySelector('[data-testid="frame-row"]')) probe.firstRowAt = performance.now();
    if (probe.allLoadedAt < 0) {
      const m = /(\d+)\s*\/\s*(\d+)/.exec(document.querySelector('[data-testid="filter-count"]')?.textContent ?? "");
      if (m && Number(m[2]) >= target) probe.allLoadedAt = performance.now();
    }
    if (probe.firstRowAt >= 0 && probe.allLoadedAt >= 0) observer.disconnect();
  });
  observer.observe(document, { subtree: true, childList: true, characterData: true });
}

interface ScrollSample {
  /** rAF-to-rAF times; the first `flingFrames` belong to the continuous fling, the rest to jumps. */
  deltas: number[];
  flingFrames: number;
  longTasks: LongTask[];
  rowsSeen: number;
}

/** Scroll the frame list for `ms`: half a fast continuous fling, half random jumps (scrollbar drags). */
function scrollInPage(ms: number): Promise<ScrollSample> {
  const probe = (window as unknown as ProbeWindow).__bench;
  const list = document.querySelector('[data-testid="frame-list"]') as HTMLElement;
  const follow = document.querySelector('[data-testid="follow"]') as HTMLInputElement | null;
  if (follow?.checked) follow.click();
  const deltas: number[] = [];
  const seqs = new Set<string>();
  let flingFrames = 0;
  return new Promise((resolve) => {
    requestAnimationFrame((start) => {
      let last = start;
      list.scrollTop = 0;
      const step = (now: number): void => {
        deltas.push(now - last);
        last = now;
        for (const row of list.querySelectorAll('[data-testid="frame-row"]')) seqs.add(row.getAttribute("data-seq") ?? "");
        const elapsed = now - start;
        if (elapsed < ms / 2) {
          list.scrollTop += 1300;
          flingFrames = deltas.length;
        } else list.scrollTop = Math.random() * (list.scrollHeight - list.clientHeight);
        if (elapsed < ms) requestAnimationFrame(step);
        else {
          // Long-task entries arrive asynchronously; give them a moment before reading.
          setTimeout(() => {
            const longTasks = probe.longTasks.filter((t) => t.start + t.duration >= start && t.start <= now).map((t) => ({ start: t.start - start, duration: t.duration }));
            resolve({ deltas: deltas.slice(1), flingFrames, longTasks, rowsSeen: seqs.size });
          }, 300);
        }
      };
      requestAnimationFrame(step);
    });
  });
}

interface CountChange {
  ms: number;
  /** Until the next animation frame after the count changed: roughly when the user sees it. */
  paintMs: number;
  text: string;
}

type FilterAction = { kind: "text"; value: string } | { kind: "click"; testId: string } | { kind: "select"; testId: string; value: string };

/** Apply one filter change and time it until [data-testid=filter-count] shows a new text. */
function filterInPage(action: FilterAction): Promise<CountChange> {
  const count = document.querySelector('[data-testid="filter-count"]') as HTMLElement;
  const before = count.textContent;
  return new Promise((resolve, reject) => {
    let t0 = 0;
    const timer = setTimeout(() => reject(new Error(`filter-count did not change from "${before}"`)), 10_000);
    const observer = new MutationObserver(() => {
      if (count.textContent === before) return;
      const t1 = performance.now();
      observer.disconnect();
      clearTimeout(timer);
      requestAnimationFrame(() => resolve({ ms: t1 - t0, paintMs: performance.now() - t0, text: count.textContent ?? "" }));
    });
    observer.observe(count, { subtree: true, childList: true, characterData: true });
    t0 = performance.now();
    if (action.kind === "text") {
      const input = document.querySelector('[data-testid="filter-text"]') as HTMLInputElement;
      // React tracks the value itself: set it through the native setter, then fire input.
      Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value")?.set?.call(input, action.value);
      input.dispatchEvent(new Event("input", { bubbles: true }));
    } else if (action.kind === "click") {
      (document.querySelector(`[data-testid="${action.testId}"]`) as HTMLElement).click();
    } else {
      const select = document.querySelector(`[data-testid="${action.testId}"]`) as HTMLSelectElement;
      select.value = action.value;
      select.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });
}

/** Click initialize and time it until a response row newer than `afterSeq` is in the DOM. */
function clickInitializeInPage(afterSeq: number): Promise<{ ms: number; seq: number }> {
  const selector = '[data-testid="frame-row"][data-kind="response"][data-method="initialize"]';
  const newest = (): number => Math.max(-1, ...[...document.querySelectorAll(selector)].map((r) => Number(r.getAttribute("data-seq"))));
  return new Promise((resolve, reject) => {
    let t0 = 0;
    const timer = setTimeout(() => reject(new Error("no initialize response row appeared")), 10_000);
    const observer = new MutationObserver(() => {
      const seq = newest();
      if (seq <= afterSeq) return;
      const t1 = performance.now();
      observer.disconnect();
      clearTimeout(timer);
      resolve({ ms: t1 - t0, seq });
    });
    observer.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    t0 = performance.now();
    (document.querySelector('[data-testid="btn-initialize"]') as HTMLButtonElement).click();
  });
}

export interface HeapFigures {
  usedMB: number;
  totalMB: number;
  /** After a forced GC: what the page really holds (NaN when no GC was forced). */
  usedAfterGcMB: number;
}

export interface UiResult {
  framesLoaded: number;
  firstRowMs: number;
  allLoadedMs: number;
  domContentLoadedMs: number;
  loadLongTasks: number;
  loadLongestTaskMs: number;
  heapAfterLoad: HeapFigures;
  scroll: {
    ms: number;
    frames: number;
    rowsSeen: number;
    p50: number;
    p95: number;
    p99: number;
    max: number;
    flingP95: number;
    jumpP95: number;
    longTasksOver50: number;
    longestTaskMs: number;
    /** Long tasks overlapping the scroll, start relative to the scroll's start (ms). */
    longTasks: LongTask[];
  };
  search: { term: string; ms: number; paintMs: number; count: string }[];
  filter: { name: string; ms: number; paintMs: number; count: string }[];
  heapAfterSearch: HeapFigures;
}

/**
 * JS heap from CDP. The forced GC is optional because it is not free for what follows: a
 * memory-reducing collection may flush compiled code, and the next scroll then pays to recompile.
 */
async function heap(page: Page, forceGc: boolean): Promise<HeapFigures> {
  const cdp = await page.context().newCDPSession(page);
  const before = (await cdp.send("Runtime.getHeapUsage")) as { usedSize: number; totalSize: number };
  let after = before;
  if (forceGc) {
    await cdp.send("HeapProfiler.collectGarbage");
    after = (await cdp.send("Runtime.getHeapUsage")) as { usedSize: number; totalSize: number };
  }
  await cdp.detach();
  return { usedMB: round(before.usedSize / MB, 1), totalMB: round(before.totalSize / MB, 1), usedAfterGcMB: forceGc ? round(after.usedSize / MB, 1) : Number.NaN };
}

/** Resolve once the page has run no long task for `quietMs` (work left over from loading is done). */
function settleInPage(quietMs: number): Promise<number> {
  const probe = (window as unknown as ProbeWindow).__bench;
  const t0 = performance.now();
  return new Promise((resolve) => {
    const check = (): void => {
      const last = probe.longTasks.reduce((m, t) => Math.max(m, t.start + t.duration), 0);
      const now = performance.now();
      if (now - Math.max(last, t0) >= quietMs || now - t0 > 15_000) resolve(now - t0);
      else setTimeout(check, 100);
    };
    check();
  });
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: CHROMIUM_ARGS });
}

/**
 * A browser context for the bench pages. The server prints its acp-….localhost name only when not
 * --quiet, so the pages open the token URL and let the server's redirect set the cookie; the cookie
 * added here covers the printed name when there is one.
 */
export async function contextFor(browser: Browser, server: PlaygroundServer): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1500, height: 900 } });
  // The cookie lives on the server's per-start acp-….localhost name only (issue 11, V-3).
  await context.addCookies([{ name: `acp_playground_${server.port}`, value: server.token, domain: new URL(server.browserOrigin).hostname, path: "/", httpOnly: true, sameSite: "Strict" }]);
  await context.addInitScript({ content: NAME_SHIM });
  return context;
}

/** Flood `frames` notifications into a run of `agentId` and wait until the relay has them all. */
async function preload(server: PlaygroundServer, agentId: string, frames: number): Promise<void> {
  const client = await WsClient.connect(server);
  const { runId } = await startRun(client, agentId);
  const done = client.waitForFrame("the preload flood's answer", (f) => f.kind === "response" && f.id === "s:preload", runId, 60_000);
  client.send({ type: "send_raw", text: JSON.stringify({ jsonrpc: "2.0", id: "preload", method: "_bench/flood", params: { count: frames, size: 200 } }) });
  await done;
  await client.close();
}

export async function uiAtScale(browser: Browser, server: PlaygroundServer, floodAgentId: string, frames: number): Promise<UiResult> {
  await preload(server, floodAgentId, frames);
  const context = await contextFor(browser, server);
  const page = await context.newPage();
  await page.addInitScript(installProbe, frames);
  await page.goto(server.url); // the token URL: the server moves the tab to its acp-….localhost name and sets the cookie there
  await page.waitForFunction(() => (window as unknown as ProbeWindow).__bench.allLoadedAt >= 0, undefined, { timeout: 60_000, polling: 100 });
  const load = await page.evaluate(() => {
    const probe = (window as unknown as ProbeWindow).__bench;
    const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming | undefined;
    const m = /(\d+)\s*\/\s*(\d+)/.exec(document.querySelector('[data-testid="filter-count"]')?.textContent ?? "");
    return {
      firstRowAt: probe.firstRowAt,
      allLoadedAt: probe.allLoadedAt,
      dcl: nav?.domContentLoadedEventEnd ?? -1,
      loaded: m ? Number(m[2]) : 0,
      longTasks: probe.longTasks.filter((t) => t.start <= probe.allLoadedAt),
    };
  });
  await page.evaluate(settleInPage, 1000);
  const heapAfterLoad = await heap(page, false);

  const scroll = await page.evaluate(scrollInPage, 3000);

  const search: UiResult["search"] = [];
  for (const term of ["0000054321", "agent_message_chunk", "no-such-text-anywhere", "", "0000054321", ""]) {
    const r = await page.evaluate(filterInPage, { kind: "text", value: term } as FilterAction);
    search.push({ term, ms: round(r.ms, 1), paintMs: round(r.paintMs, 1), count: r.text });
  }
  const filter: UiResult["filter"] = [];
  const steps: { name: string; action: FilterAction }[] = [
    { name: "errors only on", action: { kind: "click", testId: "filter-errors" } },
    { name: "errors only off", action: { kind: "click", testId: "filter-errors" } },
    { name: "hide chunks on", action: { kind: "click", testId: "filter-hide-chunks" } },
    { name: "hide chunks off", action: { kind: "click", testId: "filter-hide-chunks" } },
    { name: "direction → out", action: { kind: "select", testId: "filter-dir", value: "out" } },
    { name: "direction → all", action: { kind: "select", testId: "filter-dir", value: "all" } },
    { name: "method session/update", action: { kind: "select", testId: "filter-method", value: "session/update" } },
    { name: "method all", action: { kind: "select", testId: "filter-method", value: "" } },
  ];
  for (const s of steps) {
    try {
      const r = await page.evaluate(filterInPage, s.action);
      filter.push({ name: s.name, ms: round(r.ms, 1), paintMs: round(r.paintMs, 1), count: r.text });
    } catch (error) {
      filter.push({ name: `${s.name} (failed: ${(error as Error).message})`, ms: Number.NaN, paintMs: Number.NaN, count: "" });
    }
  }
  const heapAfterSearch = await heap(page, true);
  await context.close();

  const d = scroll.deltas;
  return {
    framesLoaded: load.loaded,
    firstRowMs: round(load.firstRowAt, 0),
    allLoadedMs: round(load.allLoadedAt, 0),
    domContentLoadedMs: round(load.dcl, 0),
    loadLongTasks: load.longTasks.length,
    loadLongestTaskMs: round(Math.max(0, ...load.longTasks.map((t) => t.duration)), 0),
    heapAfterLoad,
    scroll: {
      ms: 3000,
      frames: d.length,
      rowsSeen: scroll.rowsSeen,
      p50: round(median(d), 1),
      p95: round(percentile(d, 95), 1),
      p99: round(percentile(d, 99), 1),
      max: round(Math.max(...d), 1),
      flingP95: round(percentile(d.slice(0, scroll.flingFrames), 95), 1),
      jumpP95: round(percentile(d.slice(scroll.flingFrames), 95), 1),
      longTasks: scroll.longTasks.map((t) => ({ start: round(t.start, 0), duration: round(t.duration, 0) })),
      longTasksOver50: scroll.longTasks.filter((t) => t.duration > 50).length,
      longestTaskMs: round(Math.max(0, ...scroll.longTasks.map((t) => t.duration)), 0),
    },
    search,
    filter,
    heapAfterSearch,
  };
}

export interface InitializeOverhead {
  n: number;
  browserP50: number;
  browserP95: number;
  relayP50: number;
  overheadP50: number;
  overheadP95: number;
}

/**
 * Click initialize in the page, time until its response row is in the DOM, and subtract what the
 * relay measured for that very request (agent + pipes): the rest is WebSocket, store and React.
 */
export async function initializeOverhead(browser: Browser, server: PlaygroundServer, echoAgentId: string, clicks: number): Promise<InitializeOverhead> {
  const observer = await WsClient.connect(server);
  const context = await contextFor(browser, server);
  const page = await context.newPage();
  await page.goto(server.url); // the token URL: the server moves the tab to its acp-….localhost name and sets the cookie there
  await page.locator('[data-testid="connection"][data-state="open"]').waitFor();
  await page.locator('[data-testid="agent-picker"]').selectOption(echoAgentId);
  const runsBefore = await page.locator('[data-testid="run-item"]').count();
  await page.locator('[data-testid="btn-start"]').click();
  await page.locator('[data-testid="run-item"]').nth(runsBefore).waitFor();
  await page.locator('[data-testid="run-state"][data-state="running"]').waitFor();
  const run = await observer.waitForRun("the echo run", (r) => r.agentId === echoAgentId && r.state === "running");
  await sleep(200);

  const browserMs: number[] = [];
  const relayMs: number[] = [];
  const overhead: number[] = [];
  let lastSeq = -1;
  // The first answers come from a process still starting up (the agent, not the relay): warm up.
  const warmup = 3;
  for (let i = 0; i < warmup + clicks; i++) {
    const r = await page.evaluate(clickInitializeInPage, lastSeq);
    lastSeq = r.seq;
    if (i < warmup) {
      await sleep(50);
      continue;
    }
    const frame: Frame = await observer.waitForFrame(`initialize response #${r.seq}`, (f) => f.seq === r.seq, run.runId);
    const relay = frame.latencyMs ?? Number.NaN;
    browserMs.push(r.ms);
    relayMs.push(relay);
    overhead.push(r.ms - relay);
    await sleep(50);
  }
  await context.close();
  await observer.close();
  return {
    n: clicks,
    browserP50: round(median(browserMs), 2),
    browserP95: round(percentile(browserMs, 95), 2),
    relayP50: round(median(relayMs), 3),
    overheadP50: round(median(overhead), 2),
    overheadP95: round(percentile(overhead, 95), 2),
  };
}
