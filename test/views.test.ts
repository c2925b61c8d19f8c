/** The browser's derived views and the fault injector's decisions, on small hand-built frame logs. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { authTimeline } from "../lib/auth-timeline";
import { nextGuidedStep } from "../lib/guided";
import { classify } from "../lib/jsonrpc";
import { buildReport } from "../lib/report";
import { authMethods } from "../lib/selectors";
import { sessionFacts } from "../lib/session-state";
import { buildTranscript } from "../lib/transcript";
import type { Direction, Frame, RunSummary } from "../lib/wire";
import { FaultInjector, NO_FAULTS } from "../server/faults";

/** Build a log the way the relay does: classify each line and pair answers by id and direction. */
function log(lines: [Direction, unknown][]): Frame[] {
  const frames: Frame[] = [];
  const pending = new Map<string, Frame>();
  lines.forEach(([dir, msg], seq) => {
    const raw = typeof msg === "string" ? msg : JSON.stringify(msg);
    const c = classify(raw);
    const f: Frame = { seq, runId: "r", t: seq, wall: seq, dir, kind: c.kind, raw, bytes: raw.length, method: c.method, id: c.id, errorCode: c.errorCode, errorMessage: c.errorMessage, updateKind: c.updateKind };
    if (c.kind === "request" && c.id) pending.set(`${dir}|${c.id}`, f);
    if ((c.kind === "response" || c.kind === "error") && c.id) {
      const req = pending.get(`${dir === "in" ? "out" : "in"}|${c.id}`);
      if (req) {
        f.pairSeq = req.seq;
        f.method = req.method;
        req.pairSeq = f.seq;
      }
    }
    frames.push(f);
  });
  return frames;
}

const update = (u: Record<string, unknown>) => ({ jsonrpc: "2.0", method: "session/update", params: { sessionId: "s1", update: u } });

test("transcript: chunks merge, tool calls merge with their updates, unknown kinds are kept and flagged", () => {
  const frames = log([
    ["out", { jsonrpc: "2.0", id: 1, method: "session/prompt", params: { sessionId: "s1", prompt: [{ type: "text", text: "hi" }] } }],
    ["in", update({ sessionUpdate: "agent_message_chunk", content: { type: "text", text: "Hel" } })],
    ["in", update({ sessionUpdate: "agent_message_chunk", content: { type: "text", text: "lo" } })],
    ["in", update({ sessionUpdate: "tool_call", toolCallId: "t1", title: "Run ls", kind: "execute", status: "pending" })],
    ["in", update({ sessionUpdate: "tool_call_update", toolCallId: "t1", status: "completed", content: [{ type: "diff", path: "/a", oldText: "x", newText: "y" }] })],
    ["in", update({ sessionUpdate: "plan", entries: [{ content: "step", priority: "high", status: "pending" }] })],
    ["in", update({ sessionUpdate: "weird_kind", foo: 1 })],
    ["in", { jsonrpc: "2.0", id: 1, result: { stopReason: "end_turn" } }],
  ]);
  const t = buildTranscript(frames);
  assert.deepEqual(t.map((e) => e.type), ["user", "agent", "tool", "plan", "unknown", "stop"]);
  assert.equal(t[1].type === "agent" && t[1].text, "Hello");
  const tool = t[2].type === "tool" ? t[2] : undefined;
  assert.equal(tool?.tool.status, "completed");
  assert.equal(tool?.updates.length, 1);
  assert.equal(tool?.tool.content[0].type, "diff");
  assert.equal(t[4].type === "unknown" && t[4].kind, "weird_kind");
  assert.equal(t[5].type === "stop" && t[5].stopReason, "end_turn");
});

test("transcript: history replayed by session/load is marked as replay, later turns are not", () => {
  const frames = log([
    ["out", { jsonrpc: "2.0", id: 1, method: "session/load", params: { sessionId: "s1", cwd: "/w", mcpServers: [] } }],
    ["in", update({ sessionUpdate: "user_message_chunk", content: { type: "text", text: "old question" } })],
    ["in", update({ sessionUpdate: "agent_message_chunk", content: { type: "text", text: "old answer" } })],
    ["in", { jsonrpc: "2.0", id: 1, result: {} }],
    ["in", update({ sessionUpdate: "agent_message_chunk", content: { type: "text", text: "new" } })],
  ]);
  const t = buildTranscript(frames);
  assert.deepEqual(t.map((e) => ("replay" in e ? e.replay : null)), [true, true, false]);
});

test("session facts: ids from new and load, config options and mode updates, listed sessions", () => {
  const frames = log([
    ["out", { jsonrpc: "2.0", id: 1, method: "session/new", params: { cwd: "/w", mcpServers: [] } }],
    ["in", { jsonrpc: "2.0", id: 1, result: { sessionId: "s1", modes: { currentModeId: "default", availableModes: [{ id: "default", name: "Default" }, { id: "plan", name: "Plan" }] }, configOptions: [{ type: "select", id: "mode", name: "Mode", currentValue: "default", options: [{ value: "default", name: "Default" }, { value: "plan", name: "Plan" }] }] } }],
    ["out", { jsonrpc: "2.0", id: 2, method: "session/set_config_option", params: { sessionId: "s1", configId: "mode", value: "plan" } }],
    ["in", { jsonrpc: "2.0", id: 2, result: { configOptions: [{ type: "select", id: "mode", name: "Mode", currentValue: "plan", options: [{ value: "plan", name: "Plan" }] }] } }],
    ["in", update({ sessionUpdate: "current_mode_update", currentModeId: "plan" })],
    ["out", { jsonrpc: "2.0", id: 3, method: "session/list", params: {} }],
    ["in", { jsonrpc: "2.0", id: 3, result: { sessions: [{ sessionId: "s0", cwd: "/w" }, { sessionId: "s1", cwd: "/w" }] } }],
    ["out", { jsonrpc: "2.0", id: 4, method: "session/load", params: { sessionId: "s0", cwd: "/w", mcpServers: [] } }],
    ["in", { jsonrpc: "2.0", id: 4, result: {} }],
  ]);
  const facts = sessionFacts(frames, (seq) => frames[seq]);
  assert.equal(facts.sessionId, "s0", "a load answers without an id: it is the one the request named");
  assert.deepEqual(facts.knownSessions.sort(), ["s0", "s1"]);
  assert.equal(facts.configOptions[0].currentValue, "plan");
  assert.equal(facts.modes?.currentModeId, "plan");
  assert.equal(facts.listed.length, 2);
});

const kimiInit = {
  jsonrpc: "2.0",
  id: 0,
  result: {
    protocolVersion: 1,
    agentInfo: { name: "Kimi Code CLI", version: "0.28.0" },
    authMethods: [{ id: "login", type: "terminal", name: "Login with Kimi account", args: ["--login"], env: {} }],
  },
};

test("guided mode walks spawn → initialize → session/new → the terminal login", () => {
  const spawned = log([["sys", "spawned"]]).map((f) => ({ ...f, kind: "lifecycle" as const, lifecycle: { event: "spawned" as const, pid: 1 } }));
  const steps = (frames: Frame[]) => authTimeline(frames);
  assert.equal(nextGuidedStep(steps([]), [], false).action.kind, "start");
  assert.equal(nextGuidedStep(steps(spawned), [], true).action.kind, "initialize");
  const afterInit = [...spawned, ...log([["out", { jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: 1 } }], ["in", kimiInit]]).map((f) => ({ ...f, seq: f.seq + 1, pairSeq: f.pairSeq !== undefined ? f.pairSeq + 1 : undefined }))];
  assert.equal(nextGuidedStep(steps(afterInit), authMethods(afterInit), true).action.kind, "session_new");
  const failed = [...afterInit, ...log([["out", { jsonrpc: "2.0", id: 1, method: "session/new", params: { cwd: "/w", mcpServers: [] } }], ["in", { jsonrpc: "2.0", id: 1, error: { code: -32000, message: "Authentication required" } }]]).map((f) => ({ ...f, seq: f.seq + 3, pairSeq: f.pairSeq !== undefined ? f.pairSeq + 3 : undefined }))];
  const next = nextGuidedStep(steps(failed), authMethods(failed), true);
  assert.deepEqual(next.action, { kind: "login", methodId: "login", convention: "spec" });
  assert.match(next.explain, /--login/);
});

test("the bug report has the sections, names #1330, and holds no secret", () => {
  const secret = "sk-report-secret-123456";
  const frames = log([
    ["out", { jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: 1 } }],
    ["in", kimiInit],
    ["out", { jsonrpc: "2.0", id: 1, method: "session/new", params: { cwd: "/w", mcpServers: [] } }],
    ["in", { jsonrpc: "2.0", id: 1, error: { code: -32000, message: `Authentication required (key ${secret})` } }],
  ]);
  const run: RunSummary = {
    runId: "r", agentId: "kimi-0.28.0", agentLabel: "Kimi 0.28.0", profileId: "p", profileName: "API key", state: "running", startedAt: 0, cwd: "/w", frameCount: 4, dropped: 0,
    counts: { in: 2, out: 2, errors: 1, stderr: 0 }, pendingOut: 0, pendingIn: 0, loginAttempts: [], agentVersion: "0.28.0", kimi: true, profileKind: "kimi-api-key", profileSources: ["config.toml api_key"],
    agentInfo: { name: "Kimi Code CLI", version: "0.28.0" },
  };
  const md = buildReport({ environment: { os: "Linux", serverNode: "v20", agentNode: "v22", playground: "0.1.0" }, run, frames, redact: (t) => t.split(secret).join("‹redacted›") });
  for (const heading of ["## Environment", "## Agent", "## Profile", "## Auth timeline", "## Diagnosis", "## Failing frames"]) assert.ok(md.includes(heading), heading);
  assert.match(md, /#1330/);
  assert.ok(!md.includes(secret));
  assert.ok(md.includes("‹redacted›"));
});

test("fault injector: off passes everything; on, it forces -32000 on the Nth session/new, drops, corrupts and kills", () => {
  let config = { ...NO_FAULTS };
  const f = new FaultInjector(() => config);
  assert.equal(f.out("{}", "session/new").action, "pass");
  config = { ...NO_FAULTS, enabled: true, forceAuthOnSessionNew: 2, dropOutEvery: 3, corruptOutEvery: 5, killOnMethod: "session/prompt" };
  assert.equal(f.out("{}", "session/new").action, "pass"); // 1st out line, 1st session/new
  assert.equal(f.out("{}", "session/new").action, "fake-auth"); // 2nd session/new
  assert.equal(f.out('{"a":1}', "x").action, "drop"); // 3rd line
  assert.equal(f.out('{"a":1}', "x").action, "pass");
  const corrupted = f.out('{"jsonrpc":"2.0"}', "x");
  assert.equal(corrupted.action, "corrupt");
  assert.throws(() => JSON.parse(corrupted.action === "corrupt" ? corrupted.text : "{}"));
  assert.equal(f.killAfter("session/prompt"), true);
  assert.equal(f.killAfter("session/new"), false);
});
