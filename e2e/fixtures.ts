/**
 * Test fixtures: a real playground server (tsx server.ts) per test file, on a free port with a
 * fresh data directory, plus the page object. Nothing of the server is mocked.
 */
import { test as base, type WebSocket as PwWebSocket } from "@playwright/test";
import { type PlaygroundServer, startServer as startSuiteServer } from "../test/fixtures/server";
import { PlaygroundPage } from "./pages/playground";

export type { PlaygroundServer };

/** A real server on a free port with a fresh data directory (the same helper the node suites use). */
export function startServer(options: { agentsJson?: unknown; agentsJsonText?: string; extraArgs?: string[]; env?: Record<string, string> } = {}): Promise<PlaygroundServer> {
  return startSuiteServer({
    agentsJsonText: options.agentsJsonText ?? (options.agentsJson !== undefined ? JSON.stringify(options.agentsJson) : undefined),
    extraArgs: options.extraArgs,
    env: options.env,
  });
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
