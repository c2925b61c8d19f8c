/**
 * Relay benchmarks that need no browser: throughput against the peers (websocketd, stdio-to-ws,
 * an official-SDK client, issue #7's newline counter) on the same fixture agent, added latency
 * against the agent read directly over stdio, and the server's RSS under a 1,000,000-frame flood
 * while its only client has stopped reading. The relay path is the real one: `tsx server.ts`,
 * agents.json, a `ws` client with the token, commands from lib/wire.ts.
 */
import { client, methods, ndJsonStream } from "@agentclientprotocol/sdk";
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import type { Socket } from "node:net";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { Readable, Writable } from "node:stream";
import type { Frame } from "../lib/wire";
import { NODE22, type PlaygroundServer, ROOT, rssBytes, serverNodePid, sleep, startRun, waitUntil, WaitTimeoutError, WsClient } from "../test/fixtures/server";
import { Peer, type PeerConnection } from "./peers";
import { cpuMsOf, MB, mean, median, ownCpuMs, percentile, round } from "./stats";

/** An agent spawned directly by the bench, the baseline the relay is compared with. */
class DirectAgent {
  readonly child: ChildProcessWithoutNullStreams;
  private handler: (chunk: Buffer) => void = () => undefined;

  constructor(script: string) {
    this.child = spawn(NODE22, [path.join(ROOT, "test", "fixtures", script)], { stdio: ["pipe", "pipe", "pipe"] });
    this.child.stdout.on("data", (chunk: Buffer) => this.handler(chunk));
    this.child.stderr.resume();
  }

  onData(handler: (chunk: Buffer) => void): void {
    this.handler = handler;
  }

  write(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  /** Round-trip one request, so the process is up and its code paths are warm before timing. */
  async ready(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.onData(() => resolve());
      this.write(JSON.stringify({ jsonrpc: "2.0", id: "ready", method: "ping" }));
    });
  }

  stop(): Promise<void> {
    const gone = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.stdin.end();
    this.child.kill("SIGTERM");
    return gone;
  }
}

export interface FloodMeasurement {
  frames: number;
  ms: number;
  framesPerSec: number;
  mbPerSec: number;
  /** Relay only: frames the ring dropped before this client read them. */
  dropped?: number;
  /** CPU µs per frame of the process between agent and client (relay server, websocketd, stdio-to-ws). */
  middleCpuUs?: number;
  /** CPU µs per frame of the bench process, i.e. the client (all its threads, GC included). */
  clientCpuUs?: number;
}

function measurement(frames: number, size: number, ms: number, dropped?: number): FloodMeasurement {
  return { frames, ms: round(ms), framesPerSec: round((frames / ms) * 1000, 0), mbPerSec: round(((frames * size) / MB / ms) * 1000, 1), dropped };
}

/** Run a flood while accounting the CPU of the middle process (when there is one) and of this process. */
async function withCpu(middlePid: number | undefined, run: () => Promise<FloodMeasurement>): Promise<FloodMeasurement> {
  const m0 = cpuMsOf(middlePid);
  const c0 = ownCpuMs();
  const m = await run();
  const perFrame = (ms: number): number | undefined => (Number.isFinite(ms) && m.frames > 0 ? round((ms * 1000) / m.frames, 2) : undefined);
  return { ...m, middleCpuUs: perFrame(cpuMsOf(middlePid) - m0), clientCpuUs: perFrame(ownCpuMs() - c0) };
}

function floodRequest(id: string, count: number, size: number): string {
  return JSON.stringify({ jsonrpc: "2.0", id, method: "_bench/flood", params: { count, size } });
}

/**
 * Read the flood straight from the child's stdout and only count newlines: issue #7's baseline,
 * kept as context (no relay that parses can approach it).
 */
async function directFlood(count: number, size: number): Promise<FloodMeasurement> {
  const agent = new DirectAgent("flood-agent.mjs");
  await agent.ready();
  let lines = 0;
  const t0 = performance.now();
  const t1 = await new Promise<number>((resolve) => {
    agent.onData((chunk) => {
      let at = -1;
      while ((at = chunk.indexOf(0x0a, at + 1)) !== -1) lines++;
      // count notifications plus the final response: the flood is over.
      if (lines >= count + 1) resolve(performance.now());
    });
    agent.write(floodRequest("direct", count, size));
  });
  await agent.stop();
  return measurement(count, size, t1 - t0);
}

/**
 * The flood read by an ACP client built on the official SDK (`client()` over `ndJsonStream`),
 * i.e. what an editor talking to the agent directly pays: line splitting, JSON.parse and the SDK's
 * zod check of every session/update before its handler runs.
 */
async function sdkFlood(count: number, size: number): Promise<FloodMeasurement> {
  const agent = new DirectAgent("flood-agent.mjs");
  await agent.ready();
  agent.onData(() => undefined);
  let updates = 0;
  let allIn: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (allIn = resolve));
  const app = client({ name: "bench" }).onNotification(methods.client.session.update, () => {
    if (++updates === count) allIn();
  });
  // The DirectAgent's own listener stays attached and only discards; the SDK reads the same stdout.
  const stream = ndJsonStream(Writable.toWeb(agent.child.stdin) as WritableStream<Uint8Array>, Readable.toWeb(agent.child.stdout) as ReadableStream<Uint8Array>);
  const t0 = performance.now();
  const t1 = await app.connectWith(stream, async (ctx) => {
    await ctx.request("_bench/flood", { count, size });
    await all;
    return performance.now();
  });
  await agent.stop();
  return measurement(updates, size, t1 - t0);
}

let floodSeq = 0;

/**
 * The same flood through the relay to a `ws` client: it decodes every batch (decodeServerEvent:
 * JSON.parse of the batch header, the raw lines split off after it) and then JSON.parses every
 * frame's raw line, as a peer's client parses every message. Counts notification frames until the
 * agent's answer arrives.
 */
async function relayFlood(client: WsClient, runId: string, count: number, size: number): Promise<FloodMeasurement> {
  const id = `flood-${++floodSeq}`;
  let frames = 0;
  let dropped = 0;
  let off: () => void = () => undefined;
  const t0 = performance.now();
  const t1 = await new Promise<number>((resolve) => {
    off = client.on((event) => {
      if (event.type !== "frames" || event.runId !== runId) return;
      dropped += event.dropped ?? 0;
      for (const f of event.frames) {
        const msg = JSON.parse(f.raw) as { id?: unknown };
        if (f.kind === "notification") frames++;
        else if (f.kind === "response" && msg.id === id) resolve(performance.now());
      }
    });
    client.send({ type: "send_raw", text: floodRequest(id, count, size) });
  });
  off();
  return measurement(frames, size, t1 - t0, dropped);
}

/** The runs of one path at one size: the median run (by frames/s) and the spread. */
export interface Cell {
  runs: FloodMeasurement[];
  /** Median frames/s and MB/s of the runs. */
  framesPerSec: number;
  mbPerSec: number;
  /** Median CPU µs per frame: the middle process (undefined for paths without one) and the client. */
  middleCpuUs?: number;
  clientCpuUs?: number;
  min: number;
  max: number;
  /** Why this path has no figures (a peer that is not installed, a run that failed). */
  error?: string;
}

function cell(runs: FloodMeasurement[], error?: string): Cell {
  const fps = runs.map((r) => r.framesPerSec);
  const cpu = (pick: (r: FloodMeasurement) => number | undefined): number | undefined => {
    const values = runs.map(pick).filter((v): v is number => v !== undefined);
    return values.length ? round(median(values), 2) : undefined;
  };
  return {
    runs,
    framesPerSec: round(median(fps), 0),
    mbPerSec: round(median(runs.map((r) => r.mbPerSec)), 1),
    middleCpuUs: cpu((r) => r.middleCpuUs),
    clientCpuUs: cpu((r) => r.clientCpuUs),
    min: runs.length ? Math.min(...fps) : Number.NaN,
    max: runs.length ? Math.max(...fps) : Number.NaN,
    error,
  };
}

export const PATHS = ["relay", "websocketd", "stdioToWs", "sdk", "direct"] as const;
export type PathName = (typeof PATHS)[number];

export interface ThroughputRow {
  size: number;
  count: number;
  /** The relay, a `ws` client parsing batches and every frame in them. */
  relay: Cell;
  /** websocketd and stdio-to-ws, a `ws` client parsing every message. */
  websocketd: Cell;
  stdioToWs: Cell;
  /** An official-SDK client reading the agent directly: what an editor pays. */
  sdk: Cell;
  /** Issue #7's baseline: newlines counted on the child's stdout, nothing parsed. */
  direct: Cell;
  /** Frames the relay's ring dropped before the client read them, over all runs. */
  dropped: number;
  /** relay median ÷ the peer's median (NaN when the peer has no figures). */
  vsWebsocketd: number;
  vsStdioToWs: number;
  vsSdk: number;
  vsDirect: number;
}

export interface ThroughputOptions {
  reps: number;
  /** Log one line per run (the bench prints progress while a long phase runs). */
  progress?: (line: string) => void;
}

/**
 * Throughput per frame size: every path runs `reps` times, interleaved (relay, websocketd,
 * stdio-to-ws, SDK, direct, then again), so a change in the machine's load hits every column alike.
 * Each peer keeps one connection (one agent) for the whole phase, as the relay keeps one run.
 */
export async function throughput(server: PlaygroundServer, agentId: string, plan: { size: number; count: number }[], options: ThroughputOptions): Promise<ThroughputRow[]> {
  const client = await WsClient.connect(server, { keep: false });
  const serverPid = serverNodePid(server);
  // startRun needs kept events to find the run; the counting client keeps none, so a short-lived one starts it.
  const starter = await WsClient.connect(server);
  const { runId } = await startRun(starter, agentId);
  await starter.close();
  const peers = new Map<"websocketd" | "stdioToWs", { conn?: PeerConnection; peer?: Peer; error?: string }>();
  for (const [key, name] of [["websocketd", "websocketd"], ["stdioToWs", "stdio-to-ws"]] as const) {
    try {
      const peer = await Peer.start(name);
      peers.set(key, { peer, conn: await peer.connect() });
    } catch (error) {
      peers.set(key, { error: error instanceof Error ? error.message : String(error) });
    }
  }
  try {
    // Warm every path (JIT, socket buffers) with a small flood that is not reported.
    await relayFlood(client, runId, 20_000, 200);
    for (const p of peers.values()) await p.conn?.flood(20_000, 200);
    await sdkFlood(5_000, 200);
    const rows: ThroughputRow[] = [];
    for (const { size, count } of plan) {
      const runs: Record<PathName, FloodMeasurement[]> = { relay: [], websocketd: [], stdioToWs: [], sdk: [], direct: [] };
      let dropped = 0;
      for (let rep = 0; rep < options.reps; rep++) {
        for (const name of PATHS) {
          let m: FloodMeasurement | undefined;
          if (name === "relay") {
            m = await withCpu(serverPid, () => relayFlood(client, runId, count, size));
            dropped += m.dropped ?? 0;
          } else if (name === "sdk") m = await withCpu(undefined, () => sdkFlood(count, size));
          else if (name === "direct") m = await withCpu(undefined, () => directFlood(count, size));
          else {
            const p = peers.get(name);
            const conn = p?.conn;
            if (conn) {
              m = await withCpu(p.peer?.pid, async () => {
                const r = await conn.flood(count, size);
                return measurement(r.frames, size, r.ms);
              });
            }
          }
          if (m) {
            runs[name].push(m);
            options.progress?.(`${size} B #${rep + 1} ${name}: ${Math.round(m.framesPerSec)} frames/s`);
          }
        }
      }
      const cells = Object.fromEntries(PATHS.map((n) => [n, cell(runs[n], n === "websocketd" || n === "stdioToWs" ? peers.get(n)?.error : undefined)])) as Record<PathName, Cell>;
      const ratio = (other: Cell): number => round(cells.relay.framesPerSec / other.framesPerSec);
      rows.push({ size, count, ...cells, dropped, vsWebsocketd: ratio(cells.websocketd), vsStdioToWs: ratio(cells.stdioToWs), vsSdk: ratio(cells.sdk), vsDirect: ratio(cells.direct) });
    }
    return rows;
  } finally {
    await client.close();
    for (const p of peers.values()) {
      await p.conn?.close();
      await p.peer?.stop();
    }
  }
}

// ── latency ───────────────────────────────────────────────────────────────

export interface LatencyStats {
  n: number;
  p50: number;
  p99: number;
  mean: number;
  max: number;
}

function latencyStats(samples: number[]): LatencyStats {
  return { n: samples.length, p50: round(median(samples)), p99: round(percentile(samples, 99)), mean: round(mean(samples)), max: round(Math.max(...samples)) };
}

export interface LatencyResult {
  direct: LatencyStats;
  relay: LatencyStats;
  /** What the relay itself measured between writing the request and reading the answer. */
  relayReported: LatencyStats;
  addedP50: number;
  addedP99: number;
}

async function directLatency(iterations: number, warmup: number): Promise<number[]> {
  const agent = new DirectAgent("echo-agent.mjs");
  await agent.ready();
  const samples: number[] = [];
  let resolveLine: () => void = () => undefined;
  let carry = "";
  agent.onData((chunk) => {
    carry += chunk.toString("utf8");
    if (carry.includes("\n")) {
      carry = carry.slice(carry.lastIndexOf("\n") + 1);
      resolveLine();
    }
  });
  for (let i = 0; i < warmup + iterations; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      resolveLine = resolve;
      agent.write(JSON.stringify({ jsonrpc: "2.0", id: `d-${i}`, method: "bench/echo", params: { i } }));
    });
    if (i >= warmup) samples.push(performance.now() - t0);
  }
  await agent.stop();
  return samples;
}

async function relayLatency(server: PlaygroundServer, agentId: string, iterations: number, warmup: number): Promise<{ samples: number[]; reported: number[] }> {
  const client = await WsClient.connect(server);
  const { runId } = await startRun(client, agentId);
  const samples: number[] = [];
  const reported: number[] = [];
  let waiting: { key: string; resolve: (f: Frame) => void } | undefined;
  client.on((event) => {
    if (event.type !== "frames" || event.runId !== runId || !waiting) return;
    for (const f of event.frames) {
      if (f.kind === "response" && f.id === waiting.key) {
        const w = waiting;
        waiting = undefined;
        w.resolve(f);
        return;
      }
    }
  });
  for (let i = 0; i < warmup + iterations; i++) {
    const id = `r-${i}`;
    const t0 = performance.now();
    const answer = await new Promise<Frame>((resolve) => {
      waiting = { key: `s:${id}`, resolve };
      client.send({ type: "send_raw", text: JSON.stringify({ jsonrpc: "2.0", id, method: "bench/echo", params: { i } }) });
    });
    const elapsed = performance.now() - t0;
    if (i >= warmup) {
      samples.push(elapsed);
      if (answer.latencyMs !== undefined) reported.push(answer.latencyMs);
    }
    // The client keeps every event; drop them now and then so a long run stays small.
    if (client.events.length > 10_000) client.events.length = 0;
  }
  await client.close();
  return { samples, reported };
}

export async function latency(server: PlaygroundServer, agentId: string, iterations: number, warmup: number): Promise<LatencyResult> {
  const direct = latencyStats(await directLatency(iterations, warmup));
  const relayRun = await relayLatency(server, agentId, iterations, warmup);
  const relay = latencyStats(relayRun.samples);
  return { direct, relay, relayReported: latencyStats(relayRun.reported), addedP50: round(relay.p50 - direct.p50), addedP99: round(relay.p99 - direct.p99) };
}

// ── memory ────────────────────────────────────────────────────────────────

export interface MemoryRound {
  frames: number;
  floodMs: number;
  /** Highest RSS seen while this round's flood was being relayed. */
  peakMB: number;
  endMB: number;
}

export interface MemoryResult {
  frameBytes: number;
  baselineMB: number;
  /** The required figure: the first 1,000,000 frames. */
  first: MemoryRound;
  /** The same flood again into the same run: a bounded server adds (almost) nothing here. */
  second: MemoryRound;
  growthSecondRoundMB: number;
  peakMB: number;
  afterResumeMB: number;
  samplesMB: number[];
  sampleMs: number;
  /** After the client resumed reading: what it got, and what the ring had dropped meanwhile. */
  receivedAfterResume: number;
  droppedReported: number;
  gotFinalAnswer: boolean;
  bounded: boolean;
}

/** `ws` keeps its socket private; pausing it is how a client that never reads is simulated. */
function socketOf(client: WsClient): Socket {
  return (client.ws as unknown as { _socket: Socket })._socket;
}

/** Bytes a process has written so far (all fds), from /proc/<pid>/io. */
function bytesWritten(pid: number): number {
  const m = /wchar:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/io`, "utf8"));
  return m ? Number(m[1]) : 0;
}

/**
 * Flood `frames` notifications twice into one run while the only client has paused its socket,
 * sampling the server's RSS. The agent's own write counter says when a flood has left it; the
 * relay then has at most a pipe buffer left to read. The second round shows whether RSS keeps
 * climbing with the frame count (unbounded) or has settled (bounded by the ring and backpressure).
 */
export async function memoryUnderFlood(server: PlaygroundServer, agentId: string, frames: number, size: number): Promise<MemoryResult> {
  const pid = serverNodePid(server);
  const client = await WsClient.connect(server);
  const { runId, pid: agentPid } = await startRun(client, agentId);
  await sleep(300);
  const sampleMs = 100;
  const baseline = rssBytes(pid) ?? 0;
  const samples: number[] = [];
  const timer = setInterval(() => {
    const rss = rssBytes(pid);
    if (rss !== undefined) samples.push(rss);
  }, sampleMs);

  // From here on the client reads nothing: the server must not buffer the flood for it.
  client.events.length = 0;
  socketOf(client).pause();
  const rounds: MemoryRound[] = [];
  for (let round = 1; round <= 2; round++) {
    const from = samples.length;
    const written0 = bytesWritten(agentPid);
    const t0 = performance.now();
    client.send({ type: "send_raw", text: floodRequest(`mem-${round}`, frames, size) });
    await waitUntil(`flood round ${round} to leave the agent`, () => bytesWritten(agentPid) - written0 >= frames * size, 120_000, 20);
    const floodMs = performance.now() - t0;
    await sleep(500);
    const mine = samples.slice(from);
    rounds.push({ frames, floodMs: round0(floodMs), peakMB: toMB(Math.max(0, ...mine)), endMB: toMB(mine.at(-1) ?? 0) });
  }
  clearInterval(timer);

  let received = 0;
  let dropped = 0;
  let gotFinalAnswer = false;
  const finished = new Promise<void>((resolve) => {
    client.on((event) => {
      if (event.type !== "frames" || event.runId !== runId) return;
      received += event.frames.length;
      dropped += event.dropped ?? 0;
      if (event.frames.some((f) => f.kind === "response" && f.id === "s:mem-2")) {
        gotFinalAnswer = true;
        resolve();
      }
    });
  });
  socketOf(client).resume();
  await Promise.race([finished, sleep(30_000).then(() => Promise.reject(new WaitTimeoutError("the last flood's answer after resuming", 30_000)))]);
  const afterResume = rssBytes(pid) ?? 0;
  await client.close();

  const [first, second] = rounds;
  const growth = round1(second.peakMB - first.peakMB);
  const step = Math.max(1, Math.ceil(samples.length / 40));
  return {
    frameBytes: size,
    baselineMB: toMB(baseline),
    first,
    second,
    growthSecondRoundMB: growth,
    peakMB: toMB(Math.max(baseline, ...samples)),
    afterResumeMB: toMB(afterResume),
    samplesMB: samples.filter((_, i) => i % step === 0).map(toMB),
    sampleMs: sampleMs * step,
    receivedAfterResume: received,
    droppedReported: dropped,
    gotFinalAnswer,
    // Bounded: another million frames moves the peak by no more than GC noise.
    bounded: growth <= Math.max(32, first.peakMB * 0.05),
  };
}

const toMB = (bytes: number): number => round(bytes / MB, 1);
const round0 = (v: number): number => round(v, 0);
const round1 = (v: number): number => round(v, 1);
