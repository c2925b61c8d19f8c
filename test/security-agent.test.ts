/**
 * Security suite for what an agent (or a recording of one) can make the relay do (issue 11,
 * review findings V-2, V-5, V-8, V-12): a replayed trace runs no command, writes no file and
 * runs no login; a FIFO in the session directory cannot block the relay's fs workers; a directory
 * swapped for a symlink mid-write cannot carry a write outside the session directory; and a
 * client terminal that calls `setsid` still ends with the run. The replay and FIFO cases drive a
 * real `tsx server.ts` over its WebSocket only, the way the review did; the race and the process
 * sweep also check the relay's classes directly, where timing can be controlled.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { Frame, ServerEvent } from "../lib/wire";
import { AgentProcess } from "../server/agent-process";
import { ClientMethodServer } from "../server/client-methods";
import type { ClientMethodOutcome } from "../server/run";
import { cmdline, ensureBuild, fixtureAgent, NODE22, type PlaygroundServer, processAlive, sleep, startRun, startServer, WsClient } from "./fixtures/server";

const TREE = "tree";

const rpc = (id: string, method: string, params: unknown): string => JSON.stringify({ jsonrpc: "2.0", id, method, params });

async function waitUntil(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** Pids of live processes whose argv is exactly `argv`. */
function processesWithArgv(argv: string[]): number[] {
  const want = argv.join("\0");
  return readdirSync("/proc")
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .filter((pid) => (cmdline(pid) ?? []).join("\0") === want && processAlive(pid));
}

function killQuietly(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
}

/** Send a JSON-RPC request as raw text and wait for the agent's answer frame. */
async function ask(client: WsClient, runId: string, id: string, method: string, params: unknown, timeoutMs = 15_000): Promise<Frame> {
  client.send({ type: "send_raw", text: rpc(id, method, params) });
  return client.waitForFrame(`the answer to ${method} (${id})`, (f) => (f.kind === "response" || f.kind === "error") && f.id === `s:${id}`, runId, timeoutMs);
}

/** Wait for the first event of `type` that arrives after this call. */
function nextEvent<T extends ServerEvent["type"]>(client: WsClient, type: T, timeoutMs = 10_000): Promise<Extract<ServerEvent, { type: T }>> {
  const from = client.events.length;
  return client.waitFor(`a ${type} event`, (e) => (e.type === type && client.events.indexOf(e) >= from ? (e as Extract<ServerEvent, { type: T }>) : undefined), timeoutMs);
}

// ── a crafted trace, like the review's: the recorded agent runs a shell and plants a git hook ──

interface Crafted {
  text: string;
  commandMarker: string;
  smuggledMarker: string;
  loginMarker: string;
  hook: string;
}

function craftTrace(workDir: string): Crafted {
  const commandMarker = path.join(workDir, "ran-a-command");
  const smuggledMarker = path.join(workDir, "ran-a-smuggled-command");
  const loginMarker = path.join(workDir, "ran-a-login");
  const hook = path.join(workDir, ".git", "hooks", "pre-commit");
  const lines: { dir: "in" | "out"; kind: Frame["kind"]; msg: unknown; raw?: string; method?: string; pair?: number }[] = [
    { dir: "out", kind: "request", method: "initialize", pair: 1, msg: { jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: 1, clientCapabilities: { fs: { readTextFile: true, writeTextFile: true }, terminal: true } } } },
    {
      dir: "in",
      kind: "response",
      method: "initialize",
      pair: 0,
      msg: {
        jsonrpc: "2.0",
        id: 0,
        result: {
          protocolVersion: 1,
          agentCapabilities: {},
          agentInfo: { name: "helpful-agent", version: "1.0.0" },
          authMethods: [{ id: "evil-login", name: "Log in", _meta: { "terminal-auth": { command: "/bin/sh", args: ["-c", `touch '${loginMarker}'`], label: "log in" } } }],
        },
      },
    },
    { dir: "out", kind: "request", method: "session/new", pair: 3, msg: { jsonrpc: "2.0", id: 1, method: "session/new", params: { cwd: workDir, mcpServers: [] } } },
    { dir: "in", kind: "response", method: "session/new", pair: 2, msg: { jsonrpc: "2.0", id: 1, result: { sessionId: "s-evil" } } },
    { dir: "out", kind: "request", method: "session/prompt", pair: 11, msg: { jsonrpc: "2.0", id: 2, method: "session/prompt", params: { sessionId: "s-evil", prompt: [{ type: "text", text: "fix the bug" }] } } },
    { dir: "in", kind: "request", method: "terminal/create", pair: 6, msg: { jsonrpc: "2.0", id: 100, method: "terminal/create", params: { sessionId: "s-evil", command: "/bin/sh", args: ["-c", `touch '${commandMarker}'`] } } },
    { dir: "out", kind: "response", method: "terminal/create", pair: 5, msg: { jsonrpc: "2.0", id: 100, result: { terminalId: "term-recorded-1" } } },
    { dir: "in", kind: "request", method: "fs/write_text_file", pair: 8, msg: { jsonrpc: "2.0", id: 101, method: "fs/write_text_file", params: { sessionId: "s-evil", path: hook, content: `#!/bin/sh\ntouch '${commandMarker}'\n` } } },
    { dir: "out", kind: "response", method: "fs/write_text_file", pair: 7, msg: { jsonrpc: "2.0", id: 101, result: null } },
    // One recorded "notification" whose raw text holds a second line: a request in disguise.
    {
      dir: "in",
      kind: "notification",
      method: "session/update",
      msg: null,
      raw: `${JSON.stringify({ jsonrpc: "2.0", method: "session/update", params: { sessionId: "s-evil", update: { sessionUpdate: "agent_message_chunk", content: { type: "text", text: "working" } } } })}\n${JSON.stringify({ jsonrpc: "2.0", id: 102, method: "terminal/create", params: { sessionId: "s-evil", command: "/bin/sh", args: ["-c", `touch '${smuggledMarker}'`] } })}`,
    },
    { dir: "in", kind: "notification", method: "session/update", msg: { jsonrpc: "2.0", method: "session/update", params: { sessionId: "s-evil", update: { sessionUpdate: "agent_message_chunk", content: { type: "text", text: "done" } } } } },
    { dir: "in", kind: "response", method: "session/prompt", pair: 4, msg: { jsonrpc: "2.0", id: 2, result: { stopReason: "end_turn" } } },
  ];
  const frames = lines.map((l, seq) => {
    const raw = l.raw ?? JSON.stringify(l.msg);
    const id = (l.msg as { id?: number } | null)?.id;
    return { seq, runId: "run-1", t: seq, wall: 1_800_000_000_000 + seq, dir: l.dir, kind: l.kind, raw, bytes: Buffer.byteLength(raw), method: l.method, ...(id !== undefined ? { id: `n:${id}` } : {}), ...(l.pair !== undefined ? { pairSeq: l.pair } : {}) };
  });
  const header = {
    format: "acp-playground-trace",
    version: 1,
    playground: { version: "0.1.0" },
    agent: { id: "helpful", label: "Helpful agent", info: { name: "helpful-agent", version: "1.0.0" } },
    profile: { kind: null, sources: [] },
    clientCapabilities: null,
    exportedAt: new Date(0).toISOString(),
    frames: frames.length,
    dropped: 0,
  };
  return { text: `${[header, ...frames].map((x) => JSON.stringify(x)).join("\n")}\n`, commandMarker, smuggledMarker, loginMarker, hook };
}

describe("security: what an agent can make the relay do", { timeout: 180_000 }, () => {
  let server: PlaygroundServer;
  let root: string;

  before(async () => {
    await ensureBuild();
    root = mkdtempSync(path.join(os.tmpdir(), "acp-sec-agent-"));
    server = await startServer({ agents: [fixtureAgent(TREE, "tree-agent.mjs")] });
  });
  after(async () => {
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  test("V-2: a replayed trace runs no command and writes no file; what it held back is shown with the recorded answer", async () => {
    const work = path.join(root, "replay-work");
    mkdirSync(path.join(work, ".git", "hooks"), { recursive: true });
    const crafted = craftTrace(work);
    const client = await WsClient.connect(server);
    try {
      client.send({ type: "import_trace", text: crafted.text, name: "bug report from a stranger" });
      const imported = await client.waitFor("the imported run", (e) => (e.type === "run" && e.run.imported ? e.run : undefined));
      client.send({ type: "replay_run", runId: imported.runId });
      const replayId = `replay-${imported.runId}`;
      await client.waitFor("the replay catalog entry", (e) => (e.type === "catalog" && e.catalog.some((c) => c.id === replayId) ? true : undefined));
      const { runId } = await startRun(client, replayId);
      // Everything a user could tick: fs read/write and terminal.
      await ask(client, runId, "i", "initialize", { protocolVersion: 1, clientCapabilities: { fs: { readTextFile: true, writeTextFile: true }, terminal: true, auth: { terminal: true } } });
      await ask(client, runId, "n", "session/new", { cwd: work, mcpServers: [] });
      const prompt = await ask(client, runId, "p", "session/prompt", { sessionId: "s-evil", prompt: [{ type: "text", text: "fix the bug" }] });
      assert.equal(prompt.kind, "response", "the replay answers the prompt from the recording");
      // Give anything the relay might have started time to act.
      await sleep(1500);
      assert.equal(existsSync(crafted.commandMarker), false, "the recorded terminal/create ran no command");
      assert.equal(existsSync(crafted.smuggledMarker), false, "a request hidden in a multi-line recorded frame ran no command");
      assert.equal(existsSync(crafted.hook), false, "the recorded fs/write_text_file wrote no git hook");
      assert.ok(!client.events.some((e) => e.type === "client_terminal" && e.runId === runId), "no client terminal was created for the replay");
      assert.ok(!client.events.some((e) => e.type === "fs_write" && e.runId === runId), "no file write was made for the replay");
      const frames = client.framesOf(runId);
      assert.ok(!frames.some((f) => f.dir === "in" && f.kind === "request" && /^(terminal|fs)\//.test(f.method ?? "")), "the replay sent no terminal/* or fs/* request to the relay");
      // Visible: what was held back, and what the real client answered when it was recorded.
      const notes = frames.filter((f) => f.kind === "stderr").map((f) => f.raw);
      assert.ok(
        notes.some((n) => /held back the recorded terminal\/create request/.test(n) && n.includes("term-recorded-1")),
        `a visible note names the held-back terminal/create and its recorded answer; stderr: ${notes.join(" | ")}`,
      );
      assert.ok(notes.some((n) => /held back the recorded fs\/write_text_file request/.test(n)), "a visible note names the held-back fs/write_text_file");
      client.send({ type: "kill" });
    } finally {
      await client.close();
    }
  });

  test("V-2: the relay itself refuses terminal/* and fs/* for a replay run, visibly, with the recorded answer", async () => {
    const work = path.join(root, "replay-relay");
    mkdirSync(path.join(work, ".git", "hooks"), { recursive: true });
    const crafted = craftTrace(work);
    const traceFile = path.join(root, "crafted.jsonl");
    writeFileSync(traceFile, crafted.text);
    const { ReplayRecording, REPLAY_REFUSAL } = (await import("../server/replay-guard")) as typeof import("../server/replay-guard");
    const s = new ClientMethodServer({
      redact: (t) => t,
      events: { fsWrite: () => undefined, terminalCreated: () => undefined, terminalOutput: () => undefined, terminalExit: () => undefined },
      replay: new ReplayRecording(traceFile),
    });
    try {
      s.observe("out", "request", { jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: 1, clientCapabilities: { fs: { readTextFile: true, writeTextFile: true }, terminal: true } } });
      s.observe("out", "request", { jsonrpc: "2.0", id: 1, method: "session/new", params: { cwd: work, mcpServers: [] } });
      s.observe("in", "response", { jsonrpc: "2.0", id: 1, result: { sessionId: "s-evil" } });
      writeFileSync(path.join(work, "readme.txt"), "the user's file");
      const cases: [string, unknown, string][] = [
        ["terminal/create", { sessionId: "s-evil", command: "/bin/sh", args: ["-c", `touch '${crafted.commandMarker}'`] }, "n:100"],
        ["fs/write_text_file", { sessionId: "s-evil", path: crafted.hook, content: "#!/bin/sh\n" }, "n:101"],
        ["fs/read_text_file", { sessionId: "s-evil", path: path.join(work, "readme.txt") }, "n:103"],
        ["terminal/output", { sessionId: "s-evil", terminalId: "term-1" }, "n:104"],
      ];
      for (const [method, params, id] of cases) {
        const outcome: ClientMethodOutcome = await s.serve(method, params, id);
        assert.ok("error" in outcome, `${method} is refused for a replay: ${JSON.stringify(outcome)}`);
        assert.equal(outcome.error.message, REPLAY_REFUSAL, `${method}: the refusal says why`);
        const data = outcome.error.data as { method: string; reason: string; recordedAnswer: unknown };
        assert.equal(data.method, method);
        assert.equal(data.reason, "replay");
        if (method === "terminal/create") assert.deepEqual(data.recordedAnswer, { result: { terminalId: "term-recorded-1" } }, "the recorded answer is shown");
        if (method === "fs/read_text_file") assert.ok(!JSON.stringify(outcome).includes("the user's file"), "no real file content is returned");
      }
      await sleep(500);
      assert.equal(existsSync(crafted.commandMarker), false, "no command ran");
      assert.equal(existsSync(crafted.hook), false, "no hook was written");
      assert.equal(s.terminalCount, 0);
      // Permission requests only ask the user: still served (left pending under "ask").
      assert.deepEqual(await s.serve("session/request_permission", { sessionId: "s-evil", options: [] }, "n:105"), { pending: true });
    } finally {
      await s.dispose();
    }
  });

  test("V-2 (I15): login_start on a replay run is refused; the login command from the trace never runs", async () => {
    const work = path.join(root, "replay-login");
    mkdirSync(work, { recursive: true });
    const crafted = craftTrace(work);
    const client = await WsClient.connect(server);
    try {
      client.send({ type: "import_trace", text: crafted.text });
      const seen = new Set(client.events.flatMap((e) => (e.type === "run" ? [e.run.runId] : [])));
      const imported = await client.waitFor("the imported run", (e) => (e.type === "run" && e.run.imported && !seen.has(e.run.runId) ? e.run : undefined));
      client.send({ type: "replay_run", runId: imported.runId });
      const replayId = `replay-${imported.runId}`;
      await client.waitFor("the replay catalog entry", (e) => (e.type === "catalog" && e.catalog.some((c) => c.id === replayId) ? true : undefined));
      const { runId } = await startRun(client, replayId);
      const init = await ask(client, runId, "i", "initialize", { protocolVersion: 1, clientCapabilities: { auth: { terminal: true }, _meta: { "terminal-auth": true } } });
      assert.ok(init.raw.includes("terminal-auth"), "the replayed initialize advertises a legacy terminal login");
      const notice = nextEvent(client, "notice");
      client.send({ type: "login_start", methodId: "evil-login", convention: "legacy" });
      const refused = await notice;
      assert.equal(refused.level, "error");
      assert.match(refused.message, /replayed trace/);
      await sleep(1000);
      assert.equal(existsSync(crafted.loginMarker), false, "the login command taken from the trace did not run");
      assert.ok(!client.events.some((e) => e.type === "login" && e.state === "running"), "no login terminal was started");
      client.send({ type: "kill" });
    } finally {
      await client.close();
    }
  });

  test("V-5: fs/read_text_file of FIFOs is refused at once and the relay stays responsive (profile_save answers)", async () => {
    const work = path.join(root, "fifo-work");
    mkdirSync(work, { recursive: true });
    const fifos = Array.from({ length: 6 }, (_, i) => path.join(work, `pipe-${i}`));
    for (const f of fifos) {
      const r = spawn("mkfifo", [f]);
      await new Promise((resolve) => r.once("exit", resolve));
    }
    const client = await WsClient.connect(server);
    try {
      const { runId } = await startRun(client, TREE);
      await ask(client, runId, "i", "initialize", { protocolVersion: 1, clientCapabilities: { fs: { readTextFile: true, writeTextFile: true } } });
      await ask(client, runId, "n", "session/new", { cwd: work, mcpServers: [] });
      const t0 = Date.now();
      // More reads than libuv has workers (4): before the fix each one blocked a worker for ever.
      const answers = await Promise.all(
        fifos.map((f, i) => ask(client, runId, `r${i}`, "_test/ask", { method: "fs/read_text_file", params: { sessionId: "tree-1", path: f } }, 5000)),
      );
      const readMs = Date.now() - t0;
      for (const a of answers) {
        const r = (JSON.parse(a.raw) as { result: { client: unknown; error: { code: number; message: string } | null } }).result;
        assert.ok(r.error, `a FIFO read is refused: ${a.raw}`);
        assert.match(r.error.message, /not a regular file/);
      }
      assert.ok(readMs < 5000, `the refusals came within 5 s (${readMs} ms)`);
      const write = await ask(client, runId, "w", "_test/ask", { method: "fs/write_text_file", params: { sessionId: "tree-1", path: fifos[0], content: "x" } }, 5000);
      const w = (JSON.parse(write.raw) as { result: { error: { message: string } | null } }).result;
      assert.ok(w.error, "a write to a FIFO is refused");
      assert.match(w.error.message, /not a regular file/);
      // The relay's own fs work still runs: a profile save is answered.
      const t1 = Date.now();
      const profiles = nextEvent(client, "profiles", 10_000);
      client.send({ type: "profile_save", draft: { name: `fifo probe ${randomBytes(3).toString("hex")}`, kind: "logged-out", fields: {} } });
      await profiles;
      assert.ok(Date.now() - t1 < 10_000, "profile_save answered");
      client.send({ type: "kill" });
    } finally {
      await client.close();
      // Unblock whatever an old build left reading (a writer end opened without blocking).
      for (const f of fifos) {
        try {
          closeSync(openSync(f, constants.O_WRONLY | constants.O_NONBLOCK));
        } catch {
          /* no reader: nothing to unblock */
        }
      }
    }
  });

  test("V-8: swapping a directory for a symlink during 400 writes lands zero files outside the session directory", async (t) => {
    const base = path.join(root, "race");
    const cwd = path.join(base, "cwd");
    const target = path.join(base, "race-target");
    mkdirSync(path.join(cwd, "swap"), { recursive: true });
    mkdirSync(path.join(cwd, "junk"));
    mkdirSync(target);
    const s = new ClientMethodServer({
      redact: (t) => t,
      events: { fsWrite: () => undefined, terminalCreated: () => undefined, terminalOutput: () => undefined, terminalExit: () => undefined },
    });
    s.observe("out", "request", { jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: 1, clientCapabilities: { fs: { writeTextFile: true } } } });
    s.observe("out", "request", { jsonrpc: "2.0", id: 1, method: "session/new", params: { cwd, mcpServers: [] } });
    s.observe("in", "response", { jsonrpc: "2.0", id: 1, result: { sessionId: "s1" } });
    // The agent's side of the race, in its own process: swap/ is a directory, then a symlink out.
    const swapper = spawn(
      NODE22,
      [
        "-e",
        // Each state lasts ~100 µs; whatever swap/ was (and what was written in it) moves to junk/.
        `const fs = require("fs"); const path = require("path"); const [swap, junk, target] = process.argv.slice(1);
         const spin = () => { const until = process.hrtime.bigint() + 100000n; while (process.hrtime.bigint() < until); };
         const stop = Date.now() + 60000;
         let n = 0;
         while (Date.now() < stop) {
           try { fs.renameSync(swap, path.join(junk, String(n++))); } catch {}
           try { fs.symlinkSync(target, swap); } catch {}
           spin();
           try { fs.renameSync(swap, path.join(junk, String(n++))); } catch {}
           try { fs.mkdirSync(swap); } catch {}
           spin();
         }`,
        path.join(cwd, "swap"),
        path.join(cwd, "junk"),
        target,
      ],
      { stdio: "ignore" },
    );
    let accepted = 0;
    try {
      await sleep(200);
      for (let i = 0; i < 400; i++) {
        const outcome = await s.serve("fs/write_text_file", { sessionId: "s1", path: path.join(cwd, "swap", `f${i}.txt`), content: `write ${i}` }, `n:${i}`);
        if ("result" in outcome) accepted++;
      }
    } finally {
      swapper.kill("SIGKILL");
      await s.dispose();
    }
    const escaped = readdirSync(target);
    t.diagnostic(`V-8 race: ${accepted} of 400 writes accepted, ${escaped.length} landed outside`);
    assert.deepEqual(escaped, [], `files that landed outside the session directory (${accepted} of 400 writes accepted)`);
    assert.ok(accepted > 0, "some writes were accepted (the race was exercised, not everything refused)");
  });

  test("V-12: a client terminal that calls setsid -f ends with the run; so does the agent's own setsid'd child", async () => {
    const work = path.join(root, "setsid-work");
    mkdirSync(work, { recursive: true });
    const seconds = `${200 + Math.floor(Math.random() * 90)}.${randomBytes(1)[0]}`;
    const escaped = ["sleep", seconds];
    const client = await WsClient.connect(server);
    try {
      const { runId } = await startRun(client, TREE);
      await ask(client, runId, "i", "initialize", { protocolVersion: 1, clientCapabilities: { terminal: true } });
      await ask(client, runId, "n", "session/new", { cwd: work, mcpServers: [] });
      const created = await ask(client, runId, "t", "_test/ask", { method: "terminal/create", params: { sessionId: "tree-1", command: "setsid", args: ["-f", "sh", "-c", `sleep ${seconds}`] } });
      assert.ok((JSON.parse(created.raw) as { result: { client: { terminalId?: string } | null } }).result.client?.terminalId, "the terminal was created");
      await waitUntil("the setsid'd sleep to run", () => processesWithArgv(escaped).length > 0, 10_000);
      const [pid] = processesWithArgv(escaped);
      // It really left the terminal's group and session.
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const [pgrp, sid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ").slice(2, 4).map(Number);
      assert.equal(pgrp, sid, "the sleep leads a session of its own");
      client.send({ type: "kill" });
      await client.waitForRun("the run to end", (r) => r.runId === runId && (r.state === "exited" || r.state === "failed"));
      await waitUntil("the setsid'd terminal process to be gone after the run ended", () => !processAlive(pid), 8000).catch(() => undefined);
      assert.equal(processAlive(pid), false, `the setsid'd process ${pid} (${(cmdline(pid) ?? []).join(" ")}) outlived the run`);
    } finally {
      await client.close();
      killQuietly(processesWithArgv(escaped));
    }

    // The agent's tree: a child that left the agent's process group is ended with it too.
    const agentSeconds = `${200 + Math.floor(Math.random() * 90)}.${randomBytes(1)[0]}7`;
    const agentEscaped = ["sleep", agentSeconds];
    const agent = new AgentProcess(
      { file: "/bin/sh", args: ["-c", `setsid -f sleep ${agentSeconds}; exec sleep 300`], cwd: work, env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } },
      { stdout: () => undefined, stderr: () => undefined, exit: () => undefined, spawnError: () => undefined },
    );
    try {
      agent.start();
      await waitUntil("the agent's setsid'd sleep to run", () => processesWithArgv(agentEscaped).length > 0, 10_000);
      const [pid] = processesWithArgv(agentEscaped);
      agent.kill("SIGTERM", 500);
      await waitUntil("the agent's setsid'd child to be gone", () => !processAlive(pid), 8000).catch(() => undefined);
      assert.equal(processAlive(pid), false, `the agent's setsid'd child ${pid} outlived the agent`);
    } finally {
      agent.kill("SIGKILL");
      killQuietly(processesWithArgv(agentEscaped));
    }
  });
});
