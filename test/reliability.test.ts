/**
 * Reliability suite (issue 7): a real `tsx server.ts` with the deliberately imperfect stub agent,
 * driven over the WebSocket exactly as a tab would. It pins what the relay promises under faults:
 * a dying agent turns every pending request into a `lost` frame naming the exit and loses no
 * frame; a second tab joining mid-flood gets the whole log in order; huge lines pass whole or
 * become a visible `too_large` frame with their true size; 1,000 concurrent requests all pair; and
 * SIGINT/SIGTERM leave no process behind and no profile file touched.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import type { Socket } from "node:net";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { Frame } from "../lib/wire";
import {
  cmdline,
  descendants,
  ensureBuild,
  fixtureAgent,
  type PlaygroundServer,
  processAlive,
  sleep,
  startRun,
  startServer,
  waitUntil,
  withClient,
  WsClient,
} from "./fixtures/server";

const STUB = "stub";
const TREE = "tree";
const AGENTS = [fixtureAgent(STUB, "stub-agent.mjs")];

/** The exact line stub-agent.mjs writes for `_test/flood` item `i` of `size`. */
function stubFloodLine(i: number, size: number): string {
  const pad = "x".repeat(Math.max(0, size - 120));
  return JSON.stringify({ jsonrpc: "2.0", method: "session/update", params: { sessionId: "s", update: { sessionUpdate: "agent_message_chunk", content: { type: "text", text: `${i} ${pad}` } } } });
}

function rpc(id: string, method: string, params: unknown = {}): string {
  return JSON.stringify({ jsonrpc: "2.0", id, method, params });
}

function assertDense(frames: Frame[], label: string): void {
  for (let i = 0; i < frames.length; i++) {
    if (frames[i].seq !== i) assert.fail(`${label}: frame #${i} has seq ${frames[i].seq}; seqs must be dense from 0`);
  }
}

/** Every file under the data directory that holds profile state, with its exact bytes. */
function profileFiles(dataDir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const dir = path.join(dataDir, "profiles");
  for (const name of readdirSync(dir)) out.set(path.join("profiles", name), readFileSync(path.join(dir, name)));
  try {
    out.set("state.json", readFileSync(path.join(dataDir, "state.json")));
  } catch {
    // No active-profile file yet.
  }
  return out;
}

describe("reliability", { timeout: 120_000 }, () => {
  let server: PlaygroundServer;

  before(async () => {
    await ensureBuild();
    server = await startServer({ agents: AGENTS });
  });
  after(async () => {
    await server?.stop();
  });

  test("an agent dying mid-request: a lost frame per pending request naming the exit code, no frame lost", async () => {
    await withClient(server, async (client) => {
      const { runId, pid } = await startRun(client, STUB);
      // A pending agent→client request (the permission card waits for the user)…
      client.send({ type: "send_raw", text: rpc("perm", "_test/permission") });
      const permission = await client.waitForFrame("the agent's permission request", (f) => f.kind === "request" && f.method === "session/request_permission", runId);
      await client.waitForFrame("the answer to _test/permission", (f) => f.kind === "response" && f.id === "s:perm", runId);
      // …and a pending client→agent request: the agent dies before answering it.
      client.send({ type: "send_raw", text: rpc("crash", "_test/crash") });
      const run = await client.waitForRun("the run to exit", (r) => r.runId === runId && r.state === "exited");
      await client.waitForFrame("the exited frame", (f) => f.kind === "lifecycle" && f.lifecycle?.event === "exited", runId);

      assert.equal(run.exitCode, 3);
      assert.equal(run.pendingOut, 0);
      assert.equal(run.pendingIn, 0);
      const frames = client.framesOf(runId);
      assertDense(frames, "after the crash");
      assert.equal(frames.length, run.frameCount, "the client got every frame the run recorded");
      const crashRequest = frames.find((f) => f.kind === "request" && f.id === "s:crash");
      assert.ok(crashRequest);
      const lost = frames.filter((f) => f.kind === "lost");
      assert.deepEqual(lost.map((f) => f.pairSeq).sort(), [permission.seq, crashRequest.seq].sort(), "one lost frame per pending request");
      for (const f of lost) assert.match(f.note ?? "", /exit code 3/, `lost frame names the exit: ${f.note}`);
      const exited = frames.find((f) => f.kind === "lifecycle" && f.lifecycle?.event === "exited");
      assert.equal(exited?.lifecycle?.code, 3);
      assert.ok(!processAlive(pid), "the agent process is gone");

      // The relay keeps working: a new run starts and answers.
      const next = await startRun(client, STUB);
      client.send({ type: "send_raw", text: rpc("after", "session/new") });
      await client.waitForFrame("session/new after the crash", (f) => f.kind === "response" && f.id === "s:after", next.runId);
    });
  });

  test("a second client attaching during a flood gets the complete log, in order, byte for byte", async () => {
    const first = await WsClient.connect(server);
    let second: WsClient | undefined;
    try {
      const { runId } = await startRun(first, STUB);
      const count = 90_000;
      const floodDone = first.waitForFrame("the flood's answer (first client)", (f) => f.kind === "response" && f.id === "s:flood", runId, 60_000);
      let answeredBeforeSecondAttached = false;
      void floodDone.then(() => (answeredBeforeSecondAttached = second === undefined));
      first.send({ type: "send_raw", text: rpc("flood", "_test/flood", { count, size: 200 }) });
      await first.waitForFrame("the first flood frame", (f) => f.kind === "notification", runId);
      second = await WsClient.connect(server);
      const seenAtAttach = first.framesOf(runId).length;
      await floodDone;
      await second.waitForFrame("the flood's answer (second client)", (f) => f.kind === "response" && f.id === "s:flood", runId, 60_000);

      assert.ok(!answeredBeforeSecondAttached, "the second client attached while the flood was still running");
      const a = first.framesOf(runId);
      const b = second.framesOf(runId);
      assertDense(a, "first client");
      assertDense(b, "second client");
      assert.equal(b.length, a.length);
      assert.ok(seenAtAttach < a.length, `attached after ${seenAtAttach} of ${a.length} frames`);
      for (let i = 0; i < a.length; i++) {
        if (a[i].raw !== b[i].raw || a[i].kind !== b[i].kind) assert.fail(`frame ${i} differs between the clients`);
      }
      assert.equal(a.filter((f) => f.kind === "notification").length, count);
      assert.equal(a.find((f) => f.kind === "notification")?.raw, stubFloodLine(0, 200));
    } finally {
      await first.close();
      await second?.close();
    }
  });

  test("a 10 MB frame passes whole", async () => {
    await withClient(server, async (client) => {
      const { runId } = await startRun(client, STUB);
      const size = 10 * 1024 * 1024;
      client.send({ type: "send_raw", text: rpc("big", "_test/flood", { count: 1, size }) });
      await client.waitForFrame("the answer after the big frame", (f) => f.kind === "response" && f.id === "s:big", runId, 30_000);
      const expected = stubFloodLine(0, size);
      const frame = client.framesOf(runId).find((f) => f.kind === "notification");
      assert.ok(frame, "the big line became a notification frame");
      assert.equal(frame.bytes, Buffer.byteLength(expected));
      assert.equal(frame.raw.length, expected.length);
      assert.ok(frame.raw === expected, "the raw line arrived unchanged");
    });
  });

  test("1,000 concurrent requests are all paired with their answers", async () => {
    await withClient(server, async (client) => {
      const { runId } = await startRun(client, STUB);
      const n = 1000;
      for (let i = 0; i < n; i++) client.send({ type: "request", method: "session/new", params: { cwd: "/tmp", mcpServers: [] } });
      const answered = (): Frame[] => client.framesOf(runId).filter((f) => f.kind === "response" && f.method === "session/new");
      await waitUntil("1,000 session/new answers", () => answered().length >= n, 30_000);
      const frames = client.framesOf(runId);
      assertDense(frames, "after 1,000 requests");
      const requests = new Map(frames.filter((f) => f.kind === "request" && f.dir === "out" && f.method === "session/new").map((f) => [f.seq, f]));
      assert.equal(requests.size, n);
      assert.equal(new Set([...requests.values()].map((f) => f.id)).size, n, "the relay gave every request its own id");
      const paired = new Set<number>();
      for (const answer of answered()) {
        assert.ok(answer.pairSeq !== undefined, `answer #${answer.seq} is paired`);
        const request = requests.get(answer.pairSeq);
        assert.ok(request, `answer #${answer.seq} points at a session/new request`);
        assert.equal(answer.id, request.id, "paired by id");
        assert.ok(answer.latencyMs !== undefined && answer.latencyMs >= 0);
        paired.add(answer.pairSeq);
      }
      assert.equal(paired.size, n, "every request has exactly one answer");
      assert.equal(frames.filter((f) => f.kind === "error" || f.kind === "lost").length, 0);
      await client.waitForRun("no request left pending", (r) => r.runId === runId && r.pendingOut === 0);
    });
  });

  test("a line over --max-line-bytes becomes a too_large frame with its true size", async () => {
    const small = await startServer({ agents: AGENTS, extraArgs: ["--max-line-bytes", "1048576"] });
    const client = await WsClient.connect(small);
    try {
      const { runId } = await startRun(client, STUB);
      const size = 2 * 1024 * 1024;
      client.send({ type: "send_raw", text: rpc("huge", "_test/flood", { count: 1, size }) });
      const answer = await client.waitForFrame("the answer after the huge line", (f) => f.kind === "response" && f.id === "s:huge", runId, 30_000);
      const expected = stubFloodLine(0, size);
      const frames = client.framesOf(runId);
      assertDense(frames, "around the huge line");
      const big = frames.find((f) => f.kind === "too_large");
      assert.ok(big, "a too_large frame");
      assert.equal(big.bytes, Buffer.byteLength(expected), "true byte size of the line");
      assert.ok(big.raw.length > 0 && expected.startsWith(big.raw), "a prefix of the line is kept");
      assert.ok(big.raw.length < 1048576);
      assert.match(big.note ?? "", new RegExp(`${Buffer.byteLength(expected)} bytes`));
      assert.equal(answer.seq, big.seq + 1, "the next line is framed correctly again");
    } finally {
      await client.close();
      await small.stop();
    }
  });

  test("a 100 MB line, over the default 64 MiB limit, becomes a too_large frame and the stream recovers", async () => {
    await withClient(server, async (client) => {
      const { runId } = await startRun(client, STUB);
      const size = 100 * 1024 * 1024;
      client.send({ type: "send_raw", text: rpc("100mb", "_test/flood", { count: 1, size }) });
      const answer = await client.waitForFrame("the answer after the 100 MB line", (f) => f.kind === "response" && f.id === "s:100mb", runId, 40_000);
      const frames = client.framesOf(runId);
      assertDense(frames, "around the 100 MB line");
      const big = frames.find((f) => f.kind === "too_large");
      assert.ok(big, "a too_large frame");
      assert.equal(big.bytes, Buffer.byteLength(stubFloodLine(0, size)));
      assert.ok(big.raw.length < 1 << 20, "only a prefix travels to the client");
      assert.equal(answer.seq, big.seq + 1);
    });
  });

  test("a client that never reads does not hold up another client, and gets the whole log once it reads", async () => {
    const stalled = await WsClient.connect(server);
    const reader = await WsClient.connect(server);
    try {
      (stalled.ws as unknown as { _socket: Socket })._socket.pause();
      const { runId } = await startRun(reader, STUB);
      const count = 80_000;
      const t0 = Date.now();
      reader.send({ type: "send_raw", text: rpc("flood-stalled", "_test/flood", { count, size: 200 }) });
      await reader.waitForFrame("the flood's answer (reading client)", (f) => f.kind === "response" && f.id === "s:flood-stalled", runId, 30_000);
      const readerMs = Date.now() - t0;
      const seenByStalled = stalled.framesOf(runId).length;
      const all = reader.framesOf(runId);
      assertDense(all, "reading client");
      assert.ok(seenByStalled < all.length, `the stalled client had not read everything (${seenByStalled} of ${all.length})`);
      assert.ok(readerMs < 20_000, `the reading client finished in ${readerMs} ms`);
      (stalled.ws as unknown as { _socket: Socket })._socket.resume();
      await stalled.waitForFrame("the flood's answer (stalled client, after resuming)", (f) => f.kind === "response" && f.id === "s:flood-stalled", runId, 30_000);
      const late = stalled.framesOf(runId);
      assertDense(late, "stalled client after resuming");
      assert.equal(late.length, all.length);
    } finally {
      await stalled.close();
      await reader.close();
    }
  });

  test("SIGTERM to the server while a terminal login waits for input: the login's pty process is gone too", async () => {
    const victim = await startServer({ agents: [fixtureAgent("login", "login-agent.mjs")] });
    const client = await WsClient.connect(victim);
    try {
      const run = await startRun(client, "login", "logged-out");
      client.send({ type: "send_raw", text: rpc("init", "initialize", { protocolVersion: 1, clientCapabilities: { auth: { terminal: true } } }) });
      await client.waitForFrame("the initialize answer", (f) => f.kind === "response" && f.id === "s:init", run.runId);
      client.send({ type: "login_start", methodId: "login", convention: "spec" });
      let loginPid: number | undefined;
      await waitUntil("the login to run in its pty", () => {
        loginPid = descendants(victim.pid).find((p) => (cmdline(p) ?? []).includes("--login"));
        return loginPid !== undefined;
      });
      assert.ok(loginPid && processAlive(loginPid));
      process.kill(victim.pid, "SIGTERM");
      const exit = await Promise.race([victim.exited, sleep(6000).then(() => undefined)]);
      assert.ok(exit, "the server exited within 6 s");
      await waitUntil("the login process to be gone", () => !processAlive(loginPid ?? 0), 5000).catch(() => undefined);
      assert.equal(processAlive(loginPid ?? 0), false, "the login terminal's process was killed");
      assert.equal(processAlive(run.pid), false, "the agent was killed");
    } finally {
      await client.close();
      await victim.stop();
    }
  });

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    test(`${signal} to the server: every agent, agent child and client terminal is gone, profile files intact`, async () => {
      const victim = await startServer({ agents: [...AGENTS, fixtureAgent(TREE, "tree-agent.mjs")] });
      const client = await WsClient.connect(victim);
      try {
        const first = await startRun(client, STUB);
        // A second run, under another profile (this writes state.json), of an agent that leaves
        // a child of its own and a client terminal (terminal/create) behind.
        const tree = await startRun(client, TREE, "logged-out");
        const answer = async (id: string, method: string, params: unknown): Promise<Frame> => {
          client.send({ type: "send_raw", text: rpc(id, method, params) });
          return client.waitForFrame(`the answer to ${method}`, (f) => (f.kind === "response" || f.kind === "error") && f.id === `s:${id}`, tree.runId);
        };
        await answer("init", "initialize", { protocolVersion: 1, clientCapabilities: { terminal: true } });
        await answer("new", "session/new", { cwd: path.join(victim.dataDir, "workspace"), mcpServers: [] });
        const spawnedChild = JSON.parse((await answer("spawn", "_test/spawn", { seconds: 299 })).raw) as { result: { pid: number } };
        const terminal = JSON.parse((await answer("term", "_test/ask", { method: "terminal/create", params: { sessionId: "tree-1", command: "sleep", args: ["298"] } })).raw) as { result: { client: { terminalId?: string } | null } };
        assert.ok(terminal.result.client?.terminalId, "the relay created the client terminal");
        const terminalPid = descendants(victim.pid).find((p) => (cmdline(p) ?? []).join(" ") === "sleep 298");
        assert.ok(terminalPid, "the client terminal's process runs");
        const pids = [first.pid, tree.pid, spawnedChild.result.pid, terminalPid];
        assert.ok(processAlive(tree.pid) && processAlive(spawnedChild.result.pid), "the agent and its child run before the signal");
        const everything = descendants(victim.pid);
        const profilesBefore = profileFiles(victim.dataDir);
        assert.ok(profilesBefore.size >= 4, "the built-in profiles are on disk");

        const t0 = Date.now();
        process.kill(victim.pid, signal);
        const exit = await Promise.race([victim.exited, sleep(6000).then(() => undefined)]);
        assert.ok(exit, `the server exited within 6 s of ${signal}`);
        assert.ok(Date.now() - t0 < 6000);
        await waitUntil("every process the server started to be gone", () => [...pids, ...everything].every((p) => !processAlive(p)), 5000).catch(() => undefined);
        const survivors = [...new Set([...pids, ...everything])].filter(processAlive).map((p) => `${p} (${(cmdline(p) ?? []).join(" ")})`);
        assert.deepEqual(survivors, [], `processes left after ${signal}`);
        const profilesAfter = profileFiles(victim.dataDir);
        assert.deepEqual([...profilesAfter.keys()].sort(), [...profilesBefore.keys()].sort(), "no profile file appeared or vanished");
        for (const [file, bytes] of profilesBefore) assert.ok(bytes.equals(profilesAfter.get(file) ?? Buffer.alloc(0)), `${file} unchanged`);
      } finally {
        await client.close();
        await victim.stop();
      }
    });
  }
});
