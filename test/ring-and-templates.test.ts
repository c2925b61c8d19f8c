/** The bounded frame ring, the composer templates against the SDK's method list, and the filters. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { AGENT_METHODS, PROTOCOL_METHODS } from "@agentclientprotocol/sdk";
import { applyFilter, EMPTY_FILTER } from "../lib/filters";
import { classifyAuthMethod } from "../lib/selectors";
import { initializeParams, renderTemplate, TEMPLATES } from "../lib/templates";
import type { Frame } from "../lib/wire";
import { FrameRing } from "../server/ring-buffer";

const frame = (seq: number, extra: Partial<Frame> = {}): Frame => ({ seq, runId: "r", t: seq, wall: 0, dir: "in", kind: "notification", raw: `{"n":${seq}}`, bytes: 8, ...extra });

test("the ring keeps the newest frames and counts what it dropped", () => {
  const ring = new FrameRing({ maxFrames: 100, maxBytes: 1 << 30 });
  for (let i = 0; i < 250; i++) ring.push(frame(i));
  assert.equal(ring.size, 100);
  assert.equal(ring.dropped, 150);
  assert.equal(ring.firstSeq, 150);
  assert.deepEqual(ring.since(247).map((f) => f.seq), [248, 249]);
  assert.deepEqual(ring.since(10, 3).map((f) => f.seq), [150, 151, 152], "a cursor behind the ring starts at the oldest kept frame");
  assert.equal(ring.get(149), undefined);
  assert.equal(ring.get(200)?.seq, 200);
});

test("the ring also honours its byte budget", () => {
  const ring = new FrameRing({ maxFrames: 1000, maxBytes: 10_000 });
  for (let i = 0; i < 50; i++) ring.push(frame(i, { raw: "x".repeat(1000) }));
  assert.ok(ring.byteSize <= 10_000);
  assert.ok(ring.dropped > 0);
  assert.equal(ring.since(-1).at(-1)?.seq, 49);
});

test("a batch read from the ring stops at its character budget, but never returns nothing", () => {
  const ring = new FrameRing({ maxFrames: 1000, maxBytes: 1 << 30 });
  for (let i = 0; i < 10; i++) ring.push(frame(i, { raw: "x".repeat(1000) }));
  assert.deepEqual(ring.since(-1, 100, 2500).map((f) => f.seq), [0, 1]);
  assert.deepEqual(ring.since(-1, 100, 10).map((f) => f.seq), [0], "one frame larger than the budget still goes");
});

test("there is a composer template for every client→agent method of the SDK", () => {
  const methods = new Set(TEMPLATES.map((t) => t.method));
  for (const m of [...Object.values(AGENT_METHODS), ...Object.values(PROTOCOL_METHODS)]) assert.ok(methods.has(m), `missing template for ${m}`);
  const ctx = { cwd: "/w", caps: { fsRead: true, fsWrite: false, terminal: false, authTerminal: true, legacyTerminalAuth: true }, nextId: 7, sessionId: "s1" };
  for (const t of TEMPLATES) {
    const msg = JSON.parse(renderTemplate(t, ctx)) as { id?: number; method: string };
    assert.equal(msg.method, t.method);
    assert.equal(msg.id, t.kind === "request" ? 7 : undefined);
  }
});

test("initialize params follow the capability toggles", () => {
  const p = initializeParams({ fsRead: false, fsWrite: true, terminal: true, authTerminal: false, legacyTerminalAuth: true }) as { clientCapabilities: Record<string, unknown> };
  assert.deepEqual(p.clientCapabilities, { fs: { readTextFile: false, writeTextFile: true }, terminal: true, _meta: { "terminal-auth": true } });
});

test("auth methods are classified as agent, terminal, legacy, env_var or unknown", () => {
  const kimi = {
    id: "login",
    type: "terminal",
    name: "Login with Kimi account",
    args: ["--login"],
    env: {},
    _meta: { "terminal-auth": { type: "terminal", command: "/x/main.mjs", args: ["login"], label: "L" } },
  };
  assert.equal(classifyAuthMethod(kimi)?.class, "terminal");
  assert.deepEqual(classifyAuthMethod(kimi)?.legacy, { command: "/x/main.mjs", args: ["login"], label: "L" });
  assert.equal(classifyAuthMethod({ id: "a", name: "A" })?.class, "agent");
  assert.equal(classifyAuthMethod({ id: "b", name: "B", _meta: { "terminal-auth": { command: "kimi", args: ["login"] } } })?.class, "legacy-terminal");
  // Codex's shape (issue 12): a typed env_var method with the variables it reads.
  const codex = classifyAuthMethod({ id: "c", name: "C", type: "env_var", vars: [{ name: "CODEX_API_KEY" }] });
  assert.equal(codex?.class, "env_var");
  assert.deepEqual(codex?.vars?.map((v) => v.name), ["CODEX_API_KEY"]);
  assert.equal(classifyAuthMethod({ id: "d", name: "D", type: "oauth-device" })?.class, "unknown");
  assert.equal(classifyAuthMethod({ name: "no id" }), undefined);
});

test("filters: direction, method, errors only, chunks and text", () => {
  const frames = [
    frame(0, { dir: "out", kind: "request", method: "initialize" }),
    frame(1, { dir: "in", kind: "response", method: "initialize" }),
    frame(2, { dir: "in", kind: "notification", method: "session/update", updateKind: "agent_message_chunk", raw: "Hello World" }),
    frame(3, { dir: "in", kind: "error", method: "session/new", errorCode: -32000 }),
    frame(4, { dir: "out", kind: "malformed", raw: "{not json" }),
  ];
  const seqs = (f: Partial<typeof EMPTY_FILTER>) => applyFilter(frames, { ...EMPTY_FILTER, ...f }).map((x) => x.seq);
  assert.deepEqual(seqs({}), [0, 1, 2, 3, 4]);
  assert.deepEqual(seqs({ dir: "out" }), [0, 4]);
  assert.deepEqual(seqs({ method: "initialize" }), [0, 1]);
  assert.deepEqual(seqs({ errorsOnly: true }), [3, 4]);
  assert.deepEqual(seqs({ hideChunks: true }), [0, 1, 3, 4]);
  assert.deepEqual(seqs({ text: "hello WORLD" }), [2]);
});
