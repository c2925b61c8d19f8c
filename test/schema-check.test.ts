/**
 * Schema validation of recorded frames: crafted bad frames are flagged at the right JSON path,
 * what real Kimi builds send passes, `_meta` extensions pass, and checking a long session/update
 * stream stays cheap enough to run on every frame the UI shows.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { createSchemaChecker } from "../lib/schema-check";
import type { Direction, Frame, FrameKind } from "../lib/wire";

const here = path.dirname(fileURLToPath(import.meta.url));
const check = createSchemaChecker();

let seq = 0;
function frame(dir: Direction, kind: FrameKind, message: unknown, extra: Partial<Frame> = {}): Frame {
  const raw = JSON.stringify(message);
  return { seq: seq++, runId: "t", t: 0, wall: 0, dir, kind, raw, bytes: Buffer.byteLength(raw), ...extra };
}

const request = (method: string, params: unknown, dir: Direction = "out"): Frame => frame(dir, "request", { jsonrpc: "2.0", id: 1, method, params }, { method, id: "n:1" });

test("initialize with protocolVersion \"one\" is flagged at /params/protocolVersion", () => {
  assert.deepEqual(check(request("initialize", { protocolVersion: "one", clientCapabilities: {} }), {}), [{ path: "/params/protocolVersion", message: "must be integer" }]);
});

test("session/new without cwd is flagged at /params/cwd; a bad MCP server at its own path", () => {
  const violations = check(request("session/new", { mcpServers: [{ name: 7, command: "x", args: [], env: [] }] }), {});
  assert.deepEqual(violations, [
    { path: "/params/cwd", message: "required property is missing" },
    { path: "/params/mcpServers/0/name", message: "must be string" },
  ]);
});

test("real initialize responses of both bundled Kimi builds pass (the method comes from ctx)", () => {
  const recorded = JSON.parse(readFileSync(path.join(here, "fixtures", "kimi-initialize-responses.json"), "utf8")) as Record<string, string>;
  assert.deepEqual(Object.keys(recorded).sort(), ["kimi-0.28.0", "kimi-2.1.0"]);
  for (const [build, raw] of Object.entries(recorded)) {
    const f: Frame = { seq: 1, runId: "t", t: 0, wall: 0, dir: "in", kind: "response", raw, bytes: raw.length, id: "n:0" };
    assert.deepEqual(check(f, { requestMethod: "initialize" }), [], build);
  }
  // The same response judged as another method's answer is caught: the ctx really selects the $def.
  const [raw] = Object.values(recorded);
  const asPrompt = check({ seq: 1, runId: "t", t: 0, wall: 0, dir: "in", kind: "response", raw, bytes: raw.length }, { requestMethod: "session/prompt" });
  assert.deepEqual(asPrompt, [{ path: "/result/stopReason", message: "required property is missing" }]);
});

test("_meta extensions pass wherever they appear; extra fields outside _meta pass too", () => {
  const meta = { "vendor.example/trace": { deep: [1, { a: null }], "x/y~z": true } };
  assert.deepEqual(check(request("session/new", { cwd: "/w", mcpServers: [], _meta: meta, kimiExtra: 1 }), {}), []);
  const init = { protocolVersion: 1, clientCapabilities: { auth: { terminal: true }, _meta: { "terminal-auth": true, nested: { anything: [1, "two"] } } } };
  assert.deepEqual(check(request("initialize", init), {}), []);
  const update = {
    jsonrpc: "2.0",
    method: "session/update",
    params: { sessionId: "s", _meta: meta, update: { sessionUpdate: "agent_message_chunk", _meta: meta, content: { type: "text", text: "hi", _meta: meta } } },
  };
  assert.deepEqual(check(frame("in", "notification", update, { method: "session/update" }), {}), []);
});

test("notifications, errors and direction are checked too", () => {
  const weird = { jsonrpc: "2.0", method: "session/update", params: { sessionId: "s", update: { sessionUpdate: "weird_kind" } } };
  assert.deepEqual(check(frame("in", "notification", weird), {}), [{ path: "/params/update/sessionUpdate", message: 'unknown sessionUpdate "weird_kind"' }]);
  const plan = { sessionId: "s", update: { sessionUpdate: "plan", entries: [] } };
  assert.deepEqual(check(frame("out", "notification", { jsonrpc: "2.0", method: "session/update", params: plan }), {}), [
    { path: "/method", message: "session/update is sent by the agent, not by the client" },
  ]);
  assert.deepEqual(check(request("session/update", plan, "in"), {}), [{ path: "/id", message: "session/update is a notification in ACP, not a request" }]);
  assert.deepEqual(check(frame("in", "error", { jsonrpc: "2.0", id: 1, error: { code: "-32000" } }), {}), [
    { path: "/error/message", message: "required property is missing" },
    { path: "/error/code", message: "must be integer" },
  ]);
  assert.deepEqual(check(frame("in", "response", { id: 1, result: {} }, { method: "session/cancel-nothing" }), {}), [{ path: "/jsonrpc", message: 'must be "2.0"' }]);
});

test("extension methods pass, unknown ones are named, unstable ones are checked only with the unstable schema", () => {
  assert.deepEqual(check(request("_kimi/anything", { whatever: 1 }), {}), []);
  assert.match(check(request("session/set_model", { sessionId: "s", modelId: "m" }), {})[0].message, /session\/set_model is not a method of the stable ACP v1 schema/);
  assert.match(check(request("session/fork", { sessionId: "s", cwd: "/w" }), {})[0].message, /only in the unstable ACP schema/);
  const unstable = createSchemaChecker({ unstable: true });
  assert.deepEqual(unstable(request("session/fork", { sessionId: "s", cwd: "/w" }), {}), []);
  assert.deepEqual(unstable(request("session/fork", { cwd: "/w" }), {}), [{ path: "/params/sessionId", message: "required property is missing" }]);
});

test("frames that are not JSON-RPC messages are not schema-checked", () => {
  for (const kind of ["stderr", "malformed", "lifecycle", "divider", "lost", "too_large"] as const) {
    assert.deepEqual(check(frame("in", kind, "not json at all"), {}), []);
  }
});

test("timing: validating 10,000 session/update frames", () => {
  const frames: Frame[] = [];
  for (let i = 0; i < 10_000; i++) {
    const update =
      i % 10 === 0
        ? { sessionUpdate: "tool_call", toolCallId: `t${i}`, title: "Read file", kind: "read", status: "pending", locations: [{ path: "/w/a.ts", line: 3 }] }
        : { sessionUpdate: "agent_message_chunk", content: { type: "text", text: `chunk ${i} of a streamed answer, a few words long` } };
    frames.push(frame("in", "notification", { jsonrpc: "2.0", method: "session/update", params: { sessionId: "session_0", update } }, { method: "session/update" }));
  }
  check(frames[0], {}); // compile outside the measurement
  const started = performance.now();
  let violations = 0;
  for (const f of frames) violations += check(f, {}).length;
  const ms = performance.now() - started;
  assert.equal(violations, 0);
  process.stdout.write(`# schema check: 10,000 session/update frames in ${ms.toFixed(1)} ms (${((ms * 1000) / 10_000).toFixed(1)} µs/frame)\n`);
  // Generous: the point is "per-frame validation is affordable", not a benchmark gate.
  assert.ok(ms < 5_000, `took ${ms} ms`);
});
