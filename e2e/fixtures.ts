/**
 * Test fixtures: a real playground server (tsx server.ts) per test file, on a free port with a
 * fresh data directory, plus the page object. Nothing of the server is mocked.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test as base, type WebSocket as PwWebSocket } from "@playwright/test";
import { PlaygroundPage } from "./pages/playground";

export interface PlaygroundServer {
  url: string;
  origin: string;
  token: string;
  dataDir: string;
  process: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

export async function startServer(options: { agentsJson?: unknown; agentsJsonText?: string; extraArgs?: string[]; env?: Record<string, string> } = {}): Promise<PlaygroundServer> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "acp-pg-e2e-"));
  if (options.agentsJson) writeFileSync(path.join(dataDir, "agents.json"), JSON.stringify(options.agentsJson));
  if (options.agentsJsonText !== undefined) writeFileSync(path.join(dataDir, "agents.json"), options.agentsJsonText);
  const child = spawn(path.resolve("node_modules/.bin/tsx"), ["server.ts", "--port", "0", "--data-dir", dataDir, ...(options.extraArgs ?? [])], {
    cwd: path.resolve("."),
    env: { ...process.env, NODE_ENV: "production", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not become ready:\n${out}`)), 60_000);
    const check = (): void => {
      const m = /ACP Playground ready: (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout?.on("data", check);
    child.on("exit", (code) => reject(new Error(`server exited with ${code}:\n${out}`)));
  });
  const parsed = new URL(url);
  return {
    url,
    origin: parsed.origin,
    token: parsed.searchParams.get("token") ?? "",
    dataDir,
    process: child,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null && child.pid) process.kill(-child.pid, "SIGKILL");
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Collects every WebSocket message the page receives, to prove secrets never reach the browser. */
export function recordSocketTraffic(ws: PwWebSocket, sink: string[]): void {
  ws.on("framereceived", (f) => sink.push(typeof f.payload === "string" ? f.payload : f.payload.toString()));
}

export const test = base.extend<{ pg: PlaygroundPage; received: string[] }, { server: PlaygroundServer }>({
  server: [
    async ({}, use) => {
      const server = await startServer();
      await use(server);
      await server.stop();
    },
    { scope: "worker" },
  ],
  received: async ({ page }, use) => {
    const sink: string[] = [];
    page.on("websocket", (ws) => recordSocketTraffic(ws, sink));
    await use(sink);
  },
  pg: async ({ page, server, received }, use) => {
    void received;
    const pg = new PlaygroundPage(page, server.url);
    await use(pg);
  },
});

export { expect } from "@playwright/test";
