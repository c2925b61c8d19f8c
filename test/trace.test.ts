/**
 * JSONL traces: a run recorded by the real relay code (a probe against the stub agent) plus frames
 * with awkward text survives export → import unchanged, export redacts, and import names the line
 * of whatever is wrong with a hand-edited file.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Redactor, REDACTED } from "../lib/redact";
import { exportTrace, parseTrace, TraceFormatError, type TraceExport } from "../lib/trace";
import type { Frame } from "../lib/wire";
import { probe } from "../server/probe";
import type { StoredProfile } from "../server/profiles";

const here = path.dirname(fileURLToPath(import.meta.url));
let root: string;
let recorded: Frame[];

const loggedOut: StoredProfile = { id: "logged-out", name: "Logged out", kind: "logged-out", builtin: true, fields: {}, createdAt: 0, updatedAt: 0 };

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), "acp-trace-test-"));
  const cell = await probe({
    agent: { id: "stub", label: "stub agent", command: process.execPath, args: [path.join(here, "fixtures", "stub-agent.mjs")], env: {}, builtin: false },
    profile: loggedOut,
    dataDir: root,
    redact: (s) => s,
    timeoutMs: 10_000,
  });
  assert.equal(cell.verdict, "session-created", cell.detail);
  recorded = cell.frames;
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Frames whose text is hard to carry through JSON: every escape, separators, a lone surrogate. */
function awkwardFrames(startSeq: number): Frame[] {
  const base = { runId: "probe-x", t: 1.5, wall: 1767225600000, bytes: 10 };
  return [
    { ...base, seq: startSeq, dir: "in", kind: "malformed", raw: 'tab\tquote" backslash\\ \u2028\u2029 nul\u0000 emoji 👋 lone \ud800', note: "not JSON" },
    { ...base, seq: startSeq + 1, dir: "in", kind: "too_large", raw: "x".repeat(5000), bytes: 70_000_000, note: "prefix kept" },
    { ...base, seq: startSeq + 2, dir: "out", kind: "request", raw: '{"jsonrpc":"2.0","id":"s:1","method":"_x"}', method: "_x", id: "s:s:1", pairSeq: startSeq + 3, auto: false },
    { ...base, seq: startSeq + 3, dir: "in", kind: "error", raw: "{}", id: "s:s:1", errorCode: -32601, errorMessage: "Method not found", pairSeq: startSeq + 2, latencyMs: 0.125 },
  ];
}

function traceInput(frames: Frame[]): TraceExport {
  return {
    playgroundVersion: "0.1.0",
    agent: { id: "stub", label: "stub agent", info: { name: "stub-agent", version: "9.9.9" } },
    profile: { kind: "logged-out", sources: [] },
    frames,
    dropped: 3,
    exportedAt: new Date("2026-11-29T00:00:00.000Z"),
  };
}

test("export → import is lossless for a recorded run plus awkward frames", () => {
  assert.ok(recorded.some((f) => f.kind === "lifecycle") && recorded.some((f) => f.kind === "malformed") && recorded.some((f) => f.kind === "stderr"));
  const frames = [...recorded, ...awkwardFrames(recorded.length)];
  const text = exportTrace(traceInput(frames));
  const trace = parseTrace(text);
  // JSON has no `undefined`: compare with what the frames mean, not with absent-vs-undefined keys.
  assert.deepEqual(trace.frames, JSON.parse(JSON.stringify(frames)));
  assert.equal(trace.frames[recorded.length].raw, frames[recorded.length].raw, "lone surrogate and separators survive");
  assert.equal(trace.header.frames, frames.length);
  assert.equal(trace.header.dropped, 3);
  assert.equal(trace.header.exportedAt, "2026-11-29T00:00:00.000Z");
  // The capabilities the probe sent in initialize are recovered from the frames.
  assert.deepEqual(trace.header.clientCapabilities, { fs: { readTextFile: false, writeTextFile: false }, terminal: false, auth: { terminal: true }, _meta: { "terminal-auth": true } });
  // Re-exporting the imported trace gives the same bytes: nothing was normalized away.
  assert.equal(exportTrace({ ...traceInput(trace.frames), dropped: trace.header.dropped, clientCapabilities: trace.header.clientCapabilities }), text);
  assert.equal(text.split("\n").length, frames.length + 2, "header + one line per frame + final newline");
});

test("export redacts secrets in every string of every frame and the header", () => {
  const secret = "sk-live-0123456789abcdef";
  const frames: Frame[] = [
    { seq: 0, runId: "r", t: 0, wall: 0, dir: "in", kind: "stderr", raw: `using key ${secret}`, bytes: 30, note: `saw ${JSON.stringify(secret)}` },
    { seq: 1, runId: "r", t: 0, wall: 0, dir: "sys", kind: "lifecycle", raw: "{}", bytes: 2, lifecycle: { event: "spawned", argv: ["agent", `--key=${secret}`] } },
  ];
  const input = traceInput(frames);
  input.profile = { kind: "generic", sources: [`env TOKEN (${secret})`] };
  const redactor = new Redactor([secret]);
  const text = exportTrace(input, { redact: (s) => redactor.redact(s) });
  assert.equal(text.includes(secret), false);
  const trace = parseTrace(text);
  assert.equal(trace.frames[0].raw, `using key ${REDACTED}`);
  assert.deepEqual(trace.frames[1].lifecycle?.argv, ["agent", `--key=${REDACTED}`]);
});

test("import accepts CRLF line ends and a missing final newline", () => {
  const text = exportTrace(traceInput(awkwardFrames(0)));
  assert.deepEqual(parseTrace(text.trimEnd().replace(/\n/g, "\r\n")).frames, parseTrace(text).frames);
});

test("import errors name the line and say what is wrong", () => {
  const good = exportTrace(traceInput(awkwardFrames(0))).trimEnd().split("\n");
  const expectError = (lines: string[], line: number, pattern: RegExp): void => {
    assert.throws(
      () => parseTrace(`${lines.join("\n")}\n`),
      (e: unknown) => e instanceof TraceFormatError && e.line === line && pattern.test(e.message),
    );
  };
  expectError([good[0], good[1], "{not json", good[3], good[4]], 3, /^Trace line 3: not JSON/);
  const noRaw = JSON.parse(good[2]) as Record<string, unknown>;
  delete noRaw.raw;
  expectError([good[0], good[1], JSON.stringify(noRaw), good[3], good[4]], 3, /has no "raw"/);
  expectError([good[0], good[1], JSON.stringify({ ...JSON.parse(good[2]), dir: "sideways" }), good[3], good[4]], 3, /"dir" has an invalid value "sideways"/);
  expectError([good[0], good[2], good[1], good[3], good[4]], 3, /seq 0 does not follow 1/);
  expectError(good.slice(0, 3), 0, /announces 4 frames but the file holds 2 \(was it cut short\?\)/);
  expectError([JSON.stringify({ format: "something-else" }), ...good.slice(1)], 1, /not an ACP Playground trace/);
  expectError([JSON.stringify({ ...JSON.parse(good[0]), version: 2 }), ...good.slice(1)], 1, /newer playground/);
  expectError([good[0], good[1], "", good[2], good[3], good[4]], 3, /blank line/);
  assert.throws(() => parseTrace(""), /the file is empty/);
});
