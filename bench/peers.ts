/**
 * The tools a user would otherwise put between a browser and an agent (issue #16), run by the
 * bench on the same flood agent as the relay: `websocketd` (Go, one WebSocket text message per
 * stdout line, parses nothing) and `stdio-to-ws` (npm, Node, line framing). Each is started on a
 * free loopback port with the flood agent as its command, and read by a `ws` client in the bench
 * process that JSON.parses every message, so every column pays for parsing what it receives.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, Socket } from "node:net";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { WebSocket } from "ws";
import { NODE22, ROOT, sleep, WaitTimeoutError } from "../test/fixtures/server";

export type PeerName = "websocketd" | "stdio-to-ws";

/** A peer that could not be started; the bench prints `reason` where its column would be. */
export class PeerUnavailableError extends Error {
  override readonly name = "PeerUnavailableError";
}

const FLOOD_AGENT = path.join(ROOT, "test", "fixtures", "flood-agent.mjs");
const WEBSOCKETD = "/usr/bin/websocketd";
const STDIO_TO_WS = path.join(ROOT, "node_modules", "stdio-to-ws", "dist", "main.js");

/**
 * websocketd's path, installing the Debian package first when it is missing and the bench runs as
 * root; otherwise a PeerUnavailableError that says why its column stays empty.
 */
export function ensureWebsocketd(): string {
  if (existsSync(WEBSOCKETD)) return WEBSOCKETD;
  if (process.getuid?.() !== 0) throw new PeerUnavailableError(`${WEBSOCKETD} is missing and the bench is not root, so it cannot run apt-get install -y websocketd`);
  try {
    execFileSync("apt-get", ["install", "-y", "websocketd"], { stdio: "ignore", timeout: 300_000 });
  } catch (error) {
    throw new PeerUnavailableError(`apt-get install -y websocketd failed: ${(error as Error).message}`);
  }
  if (!existsSync(WEBSOCKETD)) throw new PeerUnavailableError(`apt-get install -y websocketd did not install ${WEBSOCKETD}`);
  return WEBSOCKETD;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.connect(port, "127.0.0.1");
  });
}

/** A started peer process listening on loopback; each WebSocket connection spawns its own flood agent. */
export class Peer {
  private constructor(readonly name: PeerName, readonly port: number, private readonly child: ChildProcess) {}

  /** The peer's own process (websocketd, or the Node running stdio-to-ws), for CPU accounting. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  static async start(name: PeerName): Promise<Peer> {
    const port = await freePort();
    let child: ChildProcess;
    if (name === "websocketd") {
      const bin = ensureWebsocketd();
      // --passenv keeps PATH only (websocketd's default); the agent needs nothing else.
      child = spawn(bin, [`--port=${port}`, "--address=127.0.0.1", "--loglevel=error", NODE22, FLOOD_AGENT], { stdio: ["ignore", "ignore", "pipe"], detached: true });
    } else {
      if (!existsSync(STDIO_TO_WS)) throw new PeerUnavailableError(`${STDIO_TO_WS} is missing (npm ci installs the stdio-to-ws dev dependency)`);
      // 0.2.0 pretty-prints every line it relays to its stdout even with --quiet (prettyPrintMessage
      // ignores the flag): that work is part of the tool as shipped, its stdout goes to /dev/null.
      child = spawn(NODE22, [STDIO_TO_WS, "--port", String(port), "--quiet", "--framing", "line", `${NODE22} ${FLOOD_AGENT}`], { stdio: ["ignore", "ignore", "pipe"], detached: true });
    }
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    const deadline = performance.now() + 10_000;
    while (!(await portOpen(port))) {
      if (child.exitCode !== null || child.signalCode !== null) throw new PeerUnavailableError(`${name} exited before listening: ${stderr.trim() || `code ${child.exitCode}`}`);
      if (performance.now() > deadline) {
        killTree(child);
        throw new WaitTimeoutError(`${name} to listen on port ${port}`, 10_000);
      }
      await sleep(50);
    }
    return new Peer(name, port, child);
  }

  /** Open a connection (a fresh agent behind it) and round-trip one request so the agent is up. */
  async connect(): Promise<PeerConnection> {
    const ws = new WebSocket(`ws://127.0.0.1:${this.port}/`, { perMessageDeflate: false, maxPayload: 256 << 20 });
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    const conn = new PeerConnection(ws);
    await conn.ready();
    return conn;
  }

  stop(): Promise<void> {
    const gone = new Promise<void>((resolve) => (this.child.exitCode !== null ? resolve() : this.child.once("exit", () => resolve())));
    killTree(this.child);
    return Promise.race([gone, sleep(3000)]);
  }
}

function killTree(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

let floodSeq = 0;

/** One WebSocket to a peer: every message is one agent line; the client JSON.parses each. */
export class PeerConnection {
  private onMessage: (msg: { id?: unknown; method?: unknown }) => void = () => undefined;

  constructor(private readonly ws: WebSocket) {
    ws.on("message", (data: Buffer) => this.onMessage(JSON.parse(data.toString()) as { id?: unknown; method?: unknown }));
  }

  ready(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new WaitTimeoutError("the peer's agent to answer", 15_000)), 15_000);
      this.onMessage = (msg) => {
        if (msg.id !== "ready") return;
        clearTimeout(timer);
        resolve();
      };
      this.ws.send(JSON.stringify({ jsonrpc: "2.0", id: "ready", method: "ping" }));
    });
  }

  /** Flood `count` frames of `size` bytes; resolves with the notifications seen and the ms until the answer. */
  flood(count: number, size: number, timeoutMs = 300_000): Promise<{ frames: number; ms: number }> {
    const id = `peer-${++floodSeq}`;
    let frames = 0;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new WaitTimeoutError(`the ${count}-frame flood's answer`, timeoutMs)), timeoutMs);
      const t0 = performance.now();
      this.onMessage = (msg) => {
        if (msg.method !== undefined) frames++;
        else if (msg.id === id) {
          clearTimeout(timer);
          resolve({ frames, ms: performance.now() - t0 });
        }
      };
      this.ws.send(JSON.stringify({ jsonrpc: "2.0", id, method: "_bench/flood", params: { count, size } }));
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolve();
      this.ws.once("close", () => resolve());
      this.ws.close();
      setTimeout(() => {
        this.ws.terminate();
        resolve();
      }, 2000).unref();
    });
  }
}

/** A second CPU-bound process for --busy: one core spinning until it is stopped. */
export function startSpinner(): { stop(): void; pid?: number } {
  const child = spawn(NODE22, ["-e", "for (;;) {}"], { stdio: "ignore", detached: true });
  return { pid: child.pid, stop: () => killTree(child) };
}
