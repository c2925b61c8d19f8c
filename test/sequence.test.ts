/**
 * The sequence diagram's view model (lib/sequence.ts): every frame kind lands on the right lanes,
 * requests pair with answers, latency and errors show, chunk floods fold into one row, filters hide
 * lanes and kinds, and a long run stays cheap to rebuild (it is rebuilt on every new batch).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { buildSequence, filterArrows, laneCounts, rowOfSeq, type SeqArrow, SHOW_ALL, visibleLanes } from "../lib/sequence";
import type { AgentLogLine, Frame, HomeChange, HttpHop } from "../lib/wire";
import { FrameLog, loadFrames } from "./fixtures/frames";

/** A frame of an out-of-band kind, recorded in order with the rest of the log. */
function oob(log: FrameLog, extra: Partial<Frame> & Pick<Frame, "kind" | "raw">): Frame {
  const f = log.stderr("");
  Object.assign(f, { dir: "sys", bytes: extra.raw.length }, extra);
  return f;
}
const hop = (log: FrameLog, http: HttpHop) => oob(log, { kind: "http", http, raw: JSON.stringify(http) });
const home = (log: FrameLog, change: HomeChange) => oob(log, { kind: "home", home: change, raw: JSON.stringify(change) });
const agentLog = (log: FrameLog, where: AgentLogLine, raw: string) => oob(log, { kind: "agent-log", agentLog: where, raw });

function chunk(log: FrameLog, text: string, kind = "agent_message_chunk"): Frame {
  const f = log.line("in", { jsonrpc: "2.0", method: "session/update", params: { sessionId: "s", update: { sessionUpdate: kind, content: { type: "text", text } } } });
  f.updateKind = kind;
  return f;
}

function ends(a: SeqArrow): string {
  return `${a.from}>${a.to}`;
}

describe("lanes of each frame kind", () => {
  test("JSON-RPC out is Playground → Agent, in is Agent → Playground; stderr and lifecycle are notes on the Agent", () => {
    const log = new FrameLog();
    log.spawn();
    log.initialize();
    log.stderr("INFO loading config");
    const arrows = buildSequence(log.frames);
    assert.deepEqual(
      arrows.map((a) => [a.seq, ends(a), a.shape, a.category]),
      [
        [0, "agent>agent", "note", "lifecycle"],
        [1, "playground>agent", "call", "rpc"],
        [2, "agent>playground", "return", "rpc"],
        [3, "agent>agent", "note", "stderr"],
      ],
    );
    assert.match(arrows[0].label, /spawned pid 4242/);
    assert.equal(arrows[1].label, "initialize");
    assert.equal(arrows[3].label, "INFO loading config");
  });

  test("an agent → client request goes Agent → Playground and the client's answer Playground → Agent", () => {
    const log = new FrameLog();
    log.line("in", { jsonrpc: "2.0", id: 7, method: "session/request_permission", params: {} });
    log.line("out", { jsonrpc: "2.0", id: 7, result: { outcome: { outcome: "cancelled" } } });
    const [req, res] = buildSequence(log.frames);
    assert.equal(ends(req), "agent>playground");
    assert.equal(req.label, "session/request_permission");
    assert.equal(ends(res), "playground>agent");
    assert.equal(res.shape, "return");
    assert.equal(req.pairedSeq, res.seq);
    assert.equal(res.pairedSeq, req.seq);
  });

  test("HTTP to the Auth server and the Model API: the request and the answer back, on one frame", () => {
    const log = new FrameLog();
    const refresh = hop(log, { method: "POST", path: "/api/oauth/token", status: 200, ms: 12.5, grantType: "refresh_token", host: "oauth" });
    const model = hop(log, { method: "POST", path: "/v1/chat/completions", status: 200, ms: 340, host: "model" });
    const arrows = buildSequence(log.frames);
    assert.deepEqual(
      arrows.map((a) => [a.seq, ends(a), a.shape, a.state]),
      [
        [refresh.seq, "agent>auth", "call", "ok"],
        [refresh.seq, "auth>agent", "return", "ok"],
        [model.seq, "agent>model", "call", "ok"],
        [model.seq, "model>agent", "return", "ok"],
      ],
    );
    assert.equal(arrows[0].label, "POST /api/oauth/token · refresh_token");
    assert.equal(arrows[1].label, "200");
    assert.equal(arrows[1].status, 200);
    assert.equal(arrows[1].latencyMs, 12.5);
    assert.equal(arrows[3].latencyMs, 340);
    assert.equal(new Set(arrows.map((a) => a.key)).size, arrows.length, "row keys are unique");
  });

  test("the device-code grant type is shortened; a refused refresh and a dropped connection are errors; no answer yet is pending", () => {
    const log = new FrameLog();
    hop(log, { method: "POST", path: "/api/oauth/token", status: 400, ms: 3, grantType: "urn:ietf:params:oauth:grant-type:device_code", host: "oauth" });
    hop(log, { method: "POST", path: "/api/oauth/token", ms: 30_000, grantType: "refresh_token", host: "oauth", error: "dropped" });
    hop(log, { method: "GET", path: "/v1/models", host: "model" });
    const arrows = buildSequence(log.frames);
    assert.equal(arrows[0].label, "POST /api/oauth/token · device_code");
    assert.deepEqual([arrows[0].state, arrows[1].state, arrows[1].label], ["error", "error", "400"]);
    assert.deepEqual([arrows[2].state, arrows[3].state, arrows[3].label, arrows[3].status], ["error", "error", "no answer: dropped", undefined]);
    assert.equal(arrows.length, 5, "a hop without an answer has only its request row");
    assert.deepEqual([ends(arrows[4]), arrows[4].state], ["agent>model", "pending"]);
  });

  test("home changes go Agent → Agent home; agent-log lines are notes on the Agent home lane", () => {
    const log = new FrameLog();
    home(log, { op: "change", path: "credentials/kimi-code.json", summary: 'access_token ‹…1a2b› → ""' });
    agentLog(log, { file: "logs/kimi-code.log", line: 42 }, '{"level":"error","msg":"refresh failed: invalid_grant"}');
    agentLog(log, { file: "sessions/x/wire.jsonl", line: 3 }, '{"type":"turn_begin"}');
    const [h, bad, fine] = buildSequence(log.frames);
    assert.deepEqual([ends(h), h.shape, h.category], ["agent>home", "call", "home"]);
    assert.equal(h.label, 'change credentials/kimi-code.json: access_token ‹…1a2b› → ""');
    assert.deepEqual([ends(bad), bad.shape, bad.category, bad.state], ["home>home", "note", "agent-log", "error"]);
    assert.match(bad.label, /^logs\/kimi-code\.log:42 /);
    assert.equal(fine.state, "ok");
  });

  test("a divider spans every lane; a lost request is a red answer back", () => {
    const log = new FrameLog();
    oob(log, { kind: "divider", raw: "── Kimi · profile x ──", note: "Run run-1" });
    const id = log.request("session/prompt", {});
    log.lost(id);
    const [div, req, lost] = buildSequence(log.frames);
    assert.equal(div.shape, "divider");
    assert.equal(req.state, "error", "a request whose answer is `lost` is an error");
    assert.deepEqual([ends(lost), lost.state, lost.pairedSeq], ["agent>playground", "error", req.seq]);
  });
});

describe("pairing, latency and states", () => {
  test("the answer carries its latency and pairs with its request; an unanswered request is pending", () => {
    const log = new FrameLog();
    const id = log.request("initialize", {});
    log.advance(1257);
    log.result(id, {});
    log.request("session/new", {});
    const [req, res, open] = buildSequence(log.frames);
    assert.deepEqual([req.state, req.pairedSeq], ["ok", res.seq]);
    assert.deepEqual([res.state, res.pairedSeq, res.latencyMs], ["ok", req.seq, 1267]);
    assert.equal(open.state, "pending");
    assert.equal(open.pairedSeq, undefined);
  });

  test("an error answer is red, with its code in the label; its request turns red too", () => {
    const log = new FrameLog();
    log.sessionNew(false);
    const [req, err] = buildSequence(log.frames);
    assert.equal(err.state, "error");
    assert.equal(err.errorCode, -32000);
    assert.equal(err.label, "session/new ✗ -32000 Authentication required");
    assert.equal(req.state, "error");
  });

  test("a recorded Kimi 2.1.0 run: initialize answered, session/new refused with -32000", () => {
    const arrows = buildSequence(loadFrames("kimi-2.1.0-logged-out-authenticate"));
    const init = arrows.find((a) => a.label === "initialize");
    assert.ok(init);
    assert.equal(ends(init), "playground>agent");
    const answer = arrows.find((a) => a.seq === init.pairedSeq);
    assert.equal(answer?.shape, "return");
    assert.ok((answer?.latencyMs ?? 0) > 0);
    assert.ok(arrows.some((a) => a.state === "error" && a.errorCode === -32000));
  });

  test("a non-zero exit is red; a spawn error is red; a clean exit is not", () => {
    const log = new FrameLog();
    log.lifecycle({ event: "exited", code: 1, signal: null });
    log.lifecycle({ event: "spawn_error", message: "ENOENT" });
    log.lifecycle({ event: "exited", code: 0, signal: null });
    assert.deepEqual(
      buildSequence(log.frames).map((a) => a.state),
      ["error", "error", "ok"],
    );
  });
});

describe("folds: chunk floods and agent log lines", () => {
  test("consecutive agent_message_chunk notifications fold into one row that names the count", () => {
    const log = new FrameLog();
    const id = log.request("session/prompt", {});
    const first = chunk(log, "a");
    for (let i = 0; i < 22; i++) chunk(log, "b");
    log.result(id, { stopReason: "end_turn" });
    const arrows = buildSequence(log.frames);
    assert.equal(arrows.length, 3);
    assert.equal(arrows[2].label, "session/prompt ✓ end_turn", "a turn's answer names its stop reason");
    const burst = arrows[1];
    assert.deepEqual([burst.category, burst.count, burst.seq, burst.lastSeq, ends(burst)], ["chunks", 23, first.seq, first.seq + 22, "agent>playground"]);
    assert.equal(burst.label, "session/update × 23 chunks");
    // Any frame of the burst finds its row, so selecting a chunk in the list highlights it here.
    assert.equal(rowOfSeq(arrows, first.seq + 10), 1);
    assert.equal(rowOfSeq(arrows, arrows[2].seq), 2);
  });

  test("another frame, or another kind of chunk, starts a new burst; other updates stay single", () => {
    const log = new FrameLog();
    chunk(log, "t", "agent_thought_chunk");
    chunk(log, "t", "agent_thought_chunk");
    chunk(log, "a");
    log.stderr("between");
    chunk(log, "a");
    const tool = chunk(log, "x", "tool_call");
    const arrows = buildSequence(log.frames);
    assert.deepEqual(
      arrows.map((a) => [a.category, a.count ?? 0]),
      [
        ["chunks", 2],
        ["chunks", 1],
        ["stderr", 0],
        ["chunks", 1],
        ["rpc", 0],
      ],
    );
    assert.equal(arrows[0].label, "session/update × 2 thought chunks");
    assert.equal(arrows[4].label, "session/update · tool_call");
    assert.equal(arrows[4].seq, tool.seq);
  });

  test("consecutive lines of one agent log file fold into one note; an error line anywhere makes it red", () => {
    const log = new FrameLog();
    const wire = "sessions/wd_workspace_47de2ac3cf6b/session_b5bccc/wire.jsonl";
    const first = agentLog(log, { file: wire, line: 3 }, '{"type":"turn_begin"}');
    agentLog(log, { file: wire, line: 4 }, '{"type":"step"}');
    agentLog(log, { file: wire, line: 5 }, '{"level":"error","msg":"401 from the model"}');
    agentLog(log, { file: "logs/kimi-code.log", line: 9 }, "2026-12-02T00:20:21.010Z INFO turn ended");
    const arrows = buildSequence(log.frames);
    assert.equal(arrows.length, 2);
    assert.deepEqual([arrows[0].count, arrows[0].seq, arrows[0].lastSeq, arrows[0].state], [3, first.seq, first.seq + 2, "error"]);
    assert.equal(arrows[0].label, 'sessions/…/wire.jsonl:3–5 (3 lines) {"type":"turn_begin"}');
    assert.match(arrows[0].title, /3 lines of sessions\/wd_workspace_47de2ac3cf6b\/session_b5bccc\/wire\.jsonl/);
    assert.equal(arrows[1].label, "logs/kimi-code.log:9 INFO turn ended", "the timestamp is the time column's job");
    assert.equal(rowOfSeq(arrows, first.seq + 1), 0);
  });

  test("a home file's label keeps the file name of a deep path; the tooltip has it whole", () => {
    const log = new FrameLog();
    home(log, { op: "create", path: "sessions/wd_workspace_47de2ac3cf6b/session_b5bccc/wire.jsonl", summary: "244 bytes" });
    const [h] = buildSequence(log.frames);
    assert.equal(h.label, "create sessions/…/wire.jsonl: 244 bytes");
    assert.match(h.title, /sessions\/wd_workspace_47de2ac3cf6b\/session_b5bccc\/wire\.jsonl: 244 bytes/);
  });
});

describe("filters", () => {
  function mixed(): SeqArrow[] {
    const log = new FrameLog();
    log.spawn();
    log.initialize();
    log.stderr("x");
    hop(log, { method: "POST", path: "/api/oauth/token", status: 401, ms: 2, host: "oauth" });
    hop(log, { method: "POST", path: "/v1/chat/completions", status: 200, ms: 2, host: "model" });
    home(log, { op: "create", path: "config.toml", summary: "+3 keys" });
    agentLog(log, { file: "logs/kimi-code.log", line: 1 }, "started");
    return buildSequence(log.frames);
  }

  test("hiding a lane removes its column and every row touching it", () => {
    const arrows = mixed();
    const noAuth = { ...SHOW_ALL, hiddenLanes: ["auth" as const] };
    assert.deepEqual(visibleLanes(noAuth), ["playground", "agent", "home", "model"]);
    const shown = filterArrows(arrows, noAuth);
    assert.equal(shown.length, arrows.length - 2);
    assert.ok(shown.every((a) => a.from !== "auth" && a.to !== "auth"));
    const noHome = filterArrows(arrows, { ...SHOW_ALL, hiddenLanes: ["home"] });
    assert.ok(!noHome.some((a) => a.category === "home" || a.category === "agent-log"));
    assert.equal(filterArrows(arrows, SHOW_ALL), arrows, "no filter returns the same array (no copy per render)");
  });

  test("hiding a kind, and errors only", () => {
    const arrows = mixed();
    assert.ok(!filterArrows(arrows, { ...SHOW_ALL, hiddenCategories: ["stderr", "lifecycle"] }).some((a) => a.category === "stderr" || a.category === "lifecycle"));
    const errors = filterArrows(arrows, { ...SHOW_ALL, errorsOnly: true });
    assert.deepEqual(
      errors.map((a) => ends(a)),
      ["agent>auth", "auth>agent"],
    );
  });

  test("lane counts count a row once for each lane it touches", () => {
    const counts = laneCounts(mixed());
    assert.deepEqual(counts, { playground: 2, agent: 9, home: 2, auth: 2, model: 2 });
  });
});

describe("scale", () => {
  test("1,000 frames build and filter in a few milliseconds; 100,000 stay within seconds", () => {
    function run(n: number): Frame[] {
      const log = new FrameLog();
      log.spawn();
      while (log.frames.length < n) {
        const id = log.request("session/prompt", {});
        for (let i = 0; i < 20; i++) chunk(log, "x");
        hop(log, { method: "POST", path: "/v1/chat/completions", status: 200, ms: 5, host: "model" });
        log.stderr("tick");
        log.result(id, { stopReason: "end_turn" });
      }
      return log.frames;
    }
    const small = run(1000);
    // 100,000 frames: the same cycles again with fresh seqs (the builder's pairing is quadratic).
    const large: Frame[] = [];
    for (let round = 0; large.length < 100_000; round++) {
      const shift = round * small.length;
      for (const f of small) large.push({ ...f, seq: f.seq + shift, pairSeq: f.pairSeq === undefined ? undefined : f.pairSeq + shift, t: f.t + shift * 10 });
    }
    for (let i = 0; i < 3; i++) buildSequence(small); // warm up the JIT before timing
    let t = performance.now();
    const arrows = buildSequence(small);
    filterArrows(arrows, { ...SHOW_ALL, hiddenLanes: ["model"] });
    const smallMs = performance.now() - t;
    assert.ok(arrows.length < small.length / 3, `chunks fold: ${arrows.length} rows for ${small.length} frames`);
    t = performance.now();
    const many = buildSequence(large);
    filterArrows(many, { ...SHOW_ALL, errorsOnly: true });
    const largeMs = performance.now() - t;
    console.log(`sequence: ${small.length} frames → ${arrows.length} rows in ${smallMs.toFixed(2)} ms; ${large.length} frames → ${many.length} rows in ${largeMs.toFixed(1)} ms`);
    assert.ok(smallMs < 50, `1,000 frames took ${smallMs} ms`);
    // Generous: the 2-core box runs other suites at once (100–700 ms measured); a quadratic slip would take minutes.
    assert.ok(largeMs < 3000, `100,000 frames took ${largeMs} ms`);
  });
});
