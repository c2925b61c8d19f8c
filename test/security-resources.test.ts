/**
 * Security suite, resource bounds (issue 11 §3 and V-11 of §4): a real `tsx server.ts` driven over
 * the WebSocket as a tab or a script would. Each test pins one finding of the red-team review
 * (../shared/docs/security-review.md): V-5 starts are serialized and capped by --max-agents; V-10
 * client lines, WebSocket messages, a tab's bytes in flight, imported traces and replay copies are
 * bounded; V-11 a deleted profile's key leaves the disk but not the redactor; V-13 the matrix is
 * capped, cancellable and sends per-cell deltas.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { exportTrace } from "../lib/trace";
import type { Frame, ServerEvent } from "../lib/wire";
import {
  cmdline,
  descendants,
  ensureBuild,
  fixtureAgent,
  type PlaygroundServer,
  serverNodePid,
  sleep,
  startRun,
  startServer,
  treeEntries,
  waitUntil,
  withClient,
  WsClient,
} from "./fixtures/server";

const STUB = "stub";
const ECHO = "echo";
const HANG = "hang";
const MiB = 1 << 20;

/** Live agent processes the server spawned from a fixture script, by pid. */
function agentPids(server: PlaygroundServer, script: string): number[] {
  return descendants(serverNodePid(server)).filter((pid) => (cmdline(pid) ?? []).some((a) => a.endsWith(script)));
}

/** Every regular file under `dir` whose bytes contain `needle`. */
function filesContaining(dir: string, needle: string): string[] {
  return treeEntries(dir, true)
    .filter((e) => {
      try {
        return e.stat.isFile() && readFileSync(e.path).includes(needle);
      } catch {
        return false; // Removed while we looked.
      }
    })
    .map((e) => e.path);
}

function notices(client: WsClient, level: "error" | "warn" | "info"): Extract<ServerEvent, { type: "notice" }>[] {
  return client.events.filter((e): e is Extract<ServerEvent, { type: "notice" }> => e.type === "notice" && e.level === level);
}

function waitNotice(client: WsClient, what: string, pattern: RegExp, timeoutMs = 10_000): Promise<Extract<ServerEvent, { type: "notice" }>> {
  return client.waitFor(what, (e) => (e.type === "notice" && pattern.test(e.message) ? e : undefined), timeoutMs);
}

function rpc(id: string, method: string, params: unknown = {}): string {
  return JSON.stringify({ jsonrpc: "2.0", id, method, params });
}

// Each part has its own server with its own limits: the parts run side by side, their tests in
// order (concurrency 1, since a describe inherits its parent's).
describe("security: resources", { concurrency: true }, () => {
  describe("security: resource bounds (--max-agents 3, --max-line-bytes 1 MiB)", { timeout: 120_000, concurrency: 1 }, () => {
    let server: PlaygroundServer;

    before(async () => {
      await ensureBuild();
      server = await startServer({
        agents: [fixtureAgent(STUB, "stub-agent.mjs"), fixtureAgent(ECHO, "echo-agent.mjs")],
        extraArgs: ["--max-agents", "3", "--keep-runs", "4", "--max-line-bytes", String(MiB)],
      });
    });
    after(async () => {
      await server?.stop();
    });

    test("V-5: 50 `start` commands at once never have more than --max-agents agents alive, and every run not listed is dead", { timeout: 60_000 }, async (t) => {
      const client = await WsClient.connect(server);
      let maxAlive = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          maxAlive = Math.max(maxAlive, agentPids(server, "stub-agent.mjs").length);
          await sleep(5);
        }
      })();
      try {
        const before = new Set(client.events.flatMap((e) => (e.type === "hello" ? e.runs.map((r) => r.runId) : [])));
        for (let i = 0; i < 50; i++) client.send({ type: "start", agentId: STUB });
        // The starts run one after another; the 50th new run is the last one.
        const newRuns = (): Set<string> => new Set(client.events.flatMap((e) => (e.type === "run" && !before.has(e.run.runId) ? [e.run.runId] : [])));
        await waitUntil("50 new runs", () => newRuns().size >= 50, 45_000);
        await sleep(1500);
        sampling = false;
        await sampler;
        t.diagnostic(`most stub agents alive at once: ${maxAlive}`);
        assert.ok(maxAlive <= 3, `at most 3 agents alive at any time (--max-agents 3); saw ${maxAlive}`);
        const listed = await WsClient.connect(server);
        try {
          const hello = await listed.waitFor("hello", (e) => (e.type === "hello" ? e : undefined));
          const listedPids = new Set(hello.runs.filter((r) => r.state === "running").map((r) => r.pid));
          const alive = agentPids(server, "stub-agent.mjs");
          assert.ok(hello.runs.length <= 4, `--keep-runs 4 keeps at most 4 runs, not ${hello.runs.length}`);
          assert.deepEqual(alive.filter((pid) => !listedPids.has(pid)), [], "no agent alive whose run is not in the run list");
          assert.equal(alive.length, 1, `only the current run's agent is alive, not ${alive.length}`);
          assert.equal(hello.runs.find((r) => r.runId === hello.currentRunId)?.state, "running", "the last start is the running current run");
        } finally {
          await listed.close();
        }
      } finally {
        sampling = false;
        await sampler;
        await client.close();
      }
    });

    test("V-10: a client line over --max-line-bytes is refused and not stored; a WebSocket message far over it closes the socket", async () => {
      await withClient(server, async (client) => {
        const { runId } = await startRun(client, ECHO);
        const big = rpc("big", "_test/echo", { text: "y".repeat(2 * MiB) });
        client.send({ type: "send_raw", text: big });
        const refused = await waitNotice(client, "the refusal of the 2 MiB line", /over the relay's 1048576-byte line limit/);
        assert.match(refused.message, new RegExp(`The line is ${Buffer.byteLength(big)} bytes`));
        assert.match(refused.message, /Nothing was sent/);
        // request/notify/respond go through the same check.
        client.send({ type: "request", method: "_test/echo", params: { text: "z".repeat(2 * MiB) } });
        await waitUntil("the refusal of the 2 MiB request", () => notices(client, "error").filter((n) => /line limit/.test(n.message)).length >= 2);
        client.send({ type: "send_raw", text: rpc("small", "_test/echo", { ok: true }) });
        await client.waitForFrame("the small line's answer", (f) => f.kind === "response" && f.id === "s:small", runId);
        const frames = client.framesOf(runId);
        assert.equal(frames.filter((f) => f.bytes > MiB || f.raw.length > MiB).length, 0, "no frame holds the over-long line");
        assert.equal(frames.filter((f) => f.dir === "out" && f.id === "s:big").length, 0, "the refused line is not recorded");
        // The socket's limit derives from the line limit: 2 × 1 MiB + 1 MiB; 4 MiB is refused by the socket itself.
        const closed = new Promise<number>((resolve) => client.ws.once("close", (code) => resolve(code)));
        client.sendJson({ type: "send_raw", text: "x".repeat(4 * MiB) });
        const code = await Promise.race([closed, sleep(10_000).then(() => -1)]);
        assert.equal(code, 1009, "a 4 MiB message closes the socket with 1009 (message too big)");
      });
    });

    test("V-11: deleting a profile scrubs its run homes from disk and keeps its key in the redactor", async () => {
      const KEY = "sk-RESOURCES-DELETED-KEY-5e6f7a8b9c0d";
      const client = await WsClient.connect(server, { keepRaw: true });
      try {
        client.send({ type: "profile_save", draft: { name: "V-11 key", kind: "kimi-api-key", fields: { provider: "moonshot-cn", model: "kimi-k2.7-code", apiKey: KEY } } });
        const saved = await client.waitFor("the saved profile", (e) => (e.type === "profiles" ? e.profiles.find((p) => p.name === "V-11 key") : undefined));
        await startRun(client, STUB, saved.id);
        assert.ok(filesContaining(server.dataDir, KEY).length > 0, "the run's home holds the key (the precondition)");
        // Another profile's run replaces it; then the profile goes.
        const { runId } = await startRun(client, ECHO, "logged-out");
        client.send({ type: "profile_delete", profileId: saved.id });
        await client.waitFor("the profile list without it", (e) => (e.type === "profiles" && !e.profiles.some((p) => p.id === saved.id) ? true : undefined));
        await waitUntil("no file under the data dir holding the key", () => filesContaining(server.dataDir, KEY).length === 0, 10_000);
        // An agent that echoes the key afterwards is still redacted, both ways.
        client.send({ type: "send_raw", text: rpc("leak", "_test/echo", { key: KEY }) });
        const answer = await client.waitForFrame("the echo of the key", (f) => f.kind === "response" && f.id === "s:leak", runId);
        assert.ok(!answer.raw.includes(KEY), `the agent's echo is redacted: ${answer.raw}`);
        const sent = client.framesOf(runId).find((f) => f.dir === "out" && f.id === "s:leak");
        assert.ok(sent && !sent.raw.includes(KEY), "the client line is redacted too");
        assert.deepEqual(client.rawMessages.filter((m) => m.includes(KEY)), [], "no message to the tab carries the key");
      } finally {
        await client.close();
      }
    });
  });

  describe("security: a tab's bytes in flight, imports and replay copies (--ring-frames 100, --keep-runs 2)", { timeout: 120_000, concurrency: 1 }, () => {
    let server: PlaygroundServer;

    before(async () => {
      await ensureBuild();
      server = await startServer({ agents: [fixtureAgent(STUB, "stub-agent.mjs")], extraArgs: ["--ring-frames", "100", "--keep-runs", "2"] });
    });
    after(async () => {
      await server?.stop();
    });

    test("V-10: a tab attached to a run with one 20 MiB agent line receives a bounded, marked copy of it", async () => {
      const client = await WsClient.connect(server);
      let tab: WsClient | undefined;
      try {
        const { runId } = await startRun(client, STUB);
        const size = 20 * MiB;
        client.send({ type: "send_raw", text: rpc("huge", "_test/flood", { count: 1, size }) });
        await client.waitForFrame("the answer after the 20 MiB line", (f) => f.kind === "response" && f.id === "s:huge", runId, 30_000);
        tab = await WsClient.connect(server, { keepRaw: true });
        await tab.waitForFrame("the answer, in the new tab", (f) => f.kind === "response" && f.id === "s:huge", runId, 30_000);
        const big = tab.framesOf(runId).find((f) => f.kind === "notification") as Frame;
        assert.ok(big, "the big line's frame reached the tab");
        assert.ok(big.bytes > size - 200, `its true size is kept (${big.bytes} bytes)`);
        assert.ok(big.raw.length <= 16 * MiB, `the tab's copy is at most 16 MiB, not ${big.raw.length} characters`);
        assert.equal(big.clipped, big.bytes, "marked with the full length (ASCII: characters = bytes)");
        assert.match(big.note ?? "", /export the trace/);
        const largest = Math.max(...tab.rawMessages.map((m) => m.length));
        assert.ok(largest <= 17 * MiB, `no message to the tab is over 17 MiB (largest ${largest})`);
      } finally {
        await tab?.close();
        await client.close();
      }
    });

    test("V-10: an imported trace is bounded like a live ring and says what it dropped; an absurd `dropped` is refused", async () => {
      await withClient(server, async (client) => {
        const frames: Frame[] = Array.from({ length: 5000 }, (_, i) => {
          const raw = JSON.stringify({ jsonrpc: "2.0", method: "session/update", params: { sessionId: "s", n: i } });
          return { seq: i, runId: "run-x", t: i, wall: 1_700_000_000_000 + i, dir: "in", kind: "notification", raw, bytes: raw.length, method: "session/update" };
        });
        const text = exportTrace({ playgroundVersion: "0.0.0", agent: { id: "x", label: "X", info: null }, profile: { kind: null, sources: [] }, frames, dropped: 0 });
        client.send({ type: "import_trace", text, name: "big import" });
        const run = await client.waitForRun("the imported run", (r) => r.imported === true && r.agentLabel.includes("X"));
        const warned = await waitNotice(client, "what the import dropped", /big import: kept 100 of 5000 frames/);
        assert.match(warned.message, /oldest 4900/);
        assert.equal(run.dropped, 4900, "the summary counts the frames not kept");
        await waitUntil("the imported frames reach the tab", () => client.framesOf(run.runId).some((f) => f.seq === 4999));
        assert.equal(client.framesOf(run.runId).length, 100, "the ring holds --ring-frames of them");

        const lines = text.split("\n");
        const header = JSON.parse(lines[0]) as Record<string, unknown>;
        lines[0] = JSON.stringify({ ...header, dropped: Number.MAX_SAFE_INTEGER });
        client.send({ type: "import_trace", text: lines.join("\n"), name: "absurd" });
        const refused = await waitNotice(client, "the refusal of dropped: 2^53-1", /9007199254740991 frames were dropped/);
        assert.equal(refused.level, "error");
        assert.match(refused.message, /at most 0 can have been dropped/);
      });
    });

    test("V-10: a replay copy in <data>/traces is removed with its run", async () => {
      await withClient(server, async (client) => {
        const { runId } = await startRun(client, STUB);
        client.send({ type: "replay_run", runId });
        const traces = path.join(server.dataDir, "traces");
        const mine = (): string[] => (existsSync(traces) ? readdirSync(traces).filter((n) => n.startsWith(`${runId}-`)) : []);
        await waitUntil("the replay copy", () => mine().length === 1);
        // --keep-runs 2: two more runs prune this one.
        await startRun(client, STUB);
        await startRun(client, STUB);
        await waitUntil("the replay copy removed with its run", () => mine().length === 0, 10_000);
        // Its catalog entry would only fail now: it goes with the copy.
        await client.waitFor("a catalog without the replay entry", (e) => (e.type === "catalog" && !e.catalog.some((c) => c.id === `replay-${runId}`) ? true : undefined));
      });
    });
  });

  describe("security: the matrix and the agent budget (--max-agents 1)", { timeout: 120_000, concurrency: 1 }, () => {
    let server: PlaygroundServer;

    before(async () => {
      await ensureBuild();
      server = await startServer({ agents: [fixtureAgent(STUB, "stub-agent.mjs"), fixtureAgent(HANG, "hang-agent.mjs")], extraArgs: ["--max-agents", "1"] });
    });
    after(async () => {
      await server?.stop();
    });

    test("V-13: cells and the per-cell timeout are capped with clear errors; duplicate ids are removed", async () => {
      await withClient(server, async (client) => {
        const agentIds = Array.from({ length: 9 }, (_, i) => `a${i}`);
        const profileIds = Array.from({ length: 8 }, (_, i) => `p${i}`);
        client.send({ type: "matrix_run", agentIds, profileIds });
        await waitNotice(client, "the refusal of 72 cells", /72 cells .*at most 64/);
        client.send({ type: "matrix_run", agentIds: [HANG], profileIds: ["logged-out"], timeoutMs: 9_999_999 });
        await waitNotice(client, "the refusal of a 9,999,999 ms timeout", /timeoutMs must be an integer from 1000 to 120000/);
        assert.equal(client.events.filter((e) => e.type === "matrix").length, 0, "no matrix started");
        client.send({ type: "matrix_run", agentIds: [HANG, HANG, HANG], profileIds: ["logged-out", "logged-out"], timeoutMs: 1000 });
        const started = await client.waitFor("the matrix", (e) => (e.type === "matrix" ? e : undefined));
        assert.equal(started.total, 1, "3 × 2 duplicate ids are one cell");
        const done = await client.waitFor("the matrix's end", (e) => (e.type === "matrix" && !e.running ? e : undefined), 15_000);
        assert.equal(done.cells[0].verdict, "timed-out");
      });
    });

    test("V-13 + V-5: matrix_cancel ends a hanging matrix within seconds and kills its agents; probes count against --max-agents; cells arrive as small deltas", async () => {
      await withClient(server, async (client) => {
        client.send({ type: "matrix_run", agentIds: [HANG], profileIds: ["logged-out", "api-key-example", "oauth-example"], timeoutMs: 120_000 });
        await client.waitFor("a running cell", (e) => (e.type === "matrix_cell" && e.cell.state === "running" ? e : undefined));
        await waitUntil("the probe's agent", () => agentPids(server, "hang-agent.mjs").length === 1);
        // The probe holds the only agent slot: a start is refused, saying why and how to allow more.
        client.send({ type: "start", agentId: STUB });
        const refused = await waitNotice(client, "the refused start", /1 agent process is running \(1 matrix probe\); the limit is 1/);
        assert.match(refused.hint ?? "", /--max-agents/);
        assert.equal(agentPids(server, "stub-agent.mjs").length, 0, "no agent was started over the limit");
        await sleep(1000);
        assert.equal(agentPids(server, "hang-agent.mjs").length, 1, "one probe at a time under --max-agents 1");

        const t0 = Date.now();
        client.send({ type: "matrix_cancel" });
        const done = await client.waitFor("the cancelled matrix", (e) => (e.type === "matrix" && !e.running ? e : undefined), 10_000);
        const ms = Date.now() - t0;
        assert.ok(ms < 6000, `cancelled within seconds (${ms} ms)`);
        assert.deepEqual(
          done.cells.map((c) => [c.state, c.verdict, c.detail]),
          done.cells.map(() => ["done", "timed-out", "cancelled"]),
        );
        await waitUntil("the probe's agent gone", () => agentPids(server, "hang-agent.mjs").length === 0, 5000);

        const matrixEvents = client.events.filter((e) => e.type === "matrix");
        assert.equal(matrixEvents.length, 2, "the whole matrix only at start and end");
        const deltas = client.events.filter((e): e is Extract<ServerEvent, { type: "matrix_cell" }> => e.type === "matrix_cell");
        assert.ok(deltas.length >= 3, `a delta per cell change (${deltas.length})`);
        for (const d of deltas) assert.ok(JSON.stringify(d).length < 1024, `a delta is small: ${JSON.stringify(d).length} B`);
        // The slot is free again.
        await startRun(client, STUB);
      });
    });
  });
});
