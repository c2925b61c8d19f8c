/**
 * Relay benchmarks that need no browser: throughput and added latency, each measured side by side
 * against the same fixture agent read directly over stdio in this process, and the server's RSS
 * under a 1,000,000-frame flood while its only client has stopped reading. The relay path is the
 * real one: `tsx server.ts`, agents.json, a `ws` client with the token, commands from lib/wire.ts.
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
import { MB, mean, median, percentile, round } from "./stats";

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
}

function measurement(frames: number, size: number, ms: number, dropped?: number): FloodMeasurement {
  return { frames, ms: round(ms), framesPerSec: round((frames / ms) * 1000, 0), mbPerSec: round(((frames * size) / MB / ms) * 1000, 1), dropped };
}

function floodRequest(id: string, count: number, size: number): string {
  return JSON.stringify({ jsonrpc: "2.0", id, method: "_bench/flood", params: { count, size } });
}

/**
 * Read the flood straight from the child's stdout. `parse` also splits lines and JSON.parses each
 * one: not the requested baseline (which only counts lines) but the floor of any JSON-RPC client.
 */
async function directFlood(count: number, size: number, parse: boolean): Promise<FloodMeasurement> {
  const agent = new DirectAgent("flood-agent.mjs");
  await agent.ready();
  let lines = 0;
  let carry: Buffer = Buffer.alloc(0);
  const t0 = performance.now();
  const t1 = await new Promise<number>((resolve) => {
    agent.onData((chunk) => {
      if (parse) {
        const buf = carry.length ? Buffer.concat([carry, chunk]) : chunk;
        let start = 0;
        let nl: number;
        while ((nl = buf.indexOf(0x0a, start)) !== -1) {
          JSON.parse(buf.toString("utf8", start, nl));
          lines++;
          start = nl + 1;
        }
        carry = buf.subarray(start);
      } else {
        let at = -1;
        while ((at = chunk.indexOf(0x0a, at + 1)) !== -1) lines++;
      }
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

/** The same flood through the relay: count notification frames until the agent's answer arrives. */
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
        if (f.kind === "notification") frames++;
        else if (f.kind === "response" && f.id === `s:${id}`) resolve(performance.now());
      }
    });
    client.send({ type: "send_raw", text: floodRequest(id, count, size) });
  });
  off();
  return measurement(frames, size, t1 - t0, dropped);
}

async function setValidation(client: WsClient, enabled: boolean): Promise<void> {
  const applied = client.waitFor(`validation ${enabled ? "on" : "off"}`, (e) => (e.type === "validation" && e.enabled === enabled ? e : undefined));
  client.send({ type: "set_validation", enabled, unstable: false });
  await applied;
}

export interface ThroughputRow {
  size: number;
  count: number;
  direct: FloodMeasurement;
  directParse: FloodMeasurement;
  /** An official-SDK client reading the agent directly: what an editor pays. */
  sdk: FloodMeasurement;
  relay: FloodMeasurement;
  /** The relay with the per-frame JSON Schema check turned off (Schema toggle in the UI). */
  relayNoSchema: FloodMeasurement;
  /** relay frames/s ÷ direct (count lines) frames/s. */
  ratio: number;
  ratioVsParse: number;
  ratioVsSdk: number;
}

const best = (a: FloodMeasurement, b: FloodMeasurement): FloodMeasurement => (a.framesPerSec >= b.framesPerSec ? a : b);

/** Throughput per frame size; each path runs twice, interleaved, and keeps its better run. */
export async function throughput(server: PlaygroundServer, agentId: string, plan: { size: number; count: number }[]): Promise<ThroughputRow[]> {
  const client = await WsClient.connect(server, { keep: false });
  // startRun needs kept events to find the run; the counting client keeps none, so a short-lived one starts it.
  const starter = await WsClient.connect(server);
  const { runId } = await startRun(starter, agentId);
  await starter.close();
  // Warm both paths (JIT, socket buffers) with a small flood that is not reported.
  await relayFlood(client, runId, 20_000, 200);
  await directFlood(20_000, 200, false);
  const rows: ThroughputRow[] = [];
  for (const { size, count } of plan) {
    let direct = await directFlood(count, size, false);
    let relay = await relayFlood(client, runId, count, size);
    direct = best(direct, await directFlood(count, size, false));
    relay = best(relay, await relayFlood(client, runId, count, size));
    const directParse = await directFlood(count, size, true);
    const sdk = best(await sdkFlood(count, size), await sdkFlood(count, size));
    await setValidation(client, false);
    const relayNoSchema = best(await relayFlood(client, runId, count, size), await relayFlood(client, runId, count, size));
    await setValidation(client, true);
    rows.push({
      size,
      count,
      direct,
      directParse,
      sdk,
      relay,
      relayNoSchema,
      ratio: round(relay.framesPerSec / direct.framesPerSec),
      ratioVsParse: round(relay.framesPerSec / directParse.framesPerSec),
      ratioVsSdk: round(relay.framesPerSec / sdk.framesPerSec),
    });
  }
  await client.close();
  return rows;
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
