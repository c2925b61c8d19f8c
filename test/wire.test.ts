/**
 * The socket encoding of ServerEvents: a `frames` batch carries raw lines after its JSON header,
 * unescaped. Every raw must come back exactly, including the ones that cannot travel verbatim.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeServerEvent, encodeServerEvent, type Frame, type ServerEvent, WireDecodeError } from "../lib/wire";

function frame(seq: number, raw: string, extra: Partial<Frame> = {}): Frame {
  return { seq, runId: "r1", t: seq, wall: 1_700_000_000_000 + seq, dir: "in", kind: "notification", raw, bytes: raw.length, ...extra };
}

const RAWS = [
  '{"jsonrpc":"2.0","method":"session/update","params":{"text":"quotes \\" and \\\\ backslashes"}}',
  "",
  "not json at all \t with a tab and a CR\r in the middle",
  "ünïcödé, 日本語, emoji 🙂, and a NUL \u0000 byte",
  "line one\nline two (an imported trace can hold this)",
  "a lone surrogate \ud800 here",
  "\n",
  "ends with a backslash \\",
];

test("a frames batch round-trips every raw exactly, in order, with its other fields", () => {
  const frames = RAWS.map((raw, i) => frame(i, raw, i === 2 ? { kind: "malformed", note: "not JSON" } : { method: "session/update" }));
  const event: ServerEvent = { type: "frames", runId: "r1", frames, reset: true, dropped: 3 };
  const text = encodeServerEvent(event);
  assert.deepEqual(decodeServerEvent(text), event);
});

test("verbatim raws travel unescaped after the header; the others stay escaped in it", () => {
  const raw = '{"a":"b \\" c"}';
  const text = encodeServerEvent({ type: "frames", runId: "r1", frames: [frame(0, raw), frame(1, "x\ny")] });
  const [header, ...tail] = text.split("\n");
  assert.deepEqual(tail, [raw]);
  const parsed = JSON.parse(header) as { frames: Partial<Frame>[] };
  assert.equal(parsed.frames[0].raw, undefined);
  assert.equal(parsed.frames[1].raw, "x\ny");
});

test("an empty batch and every other event are plain JSON", () => {
  const empty: ServerEvent = { type: "frames", runId: "r1", frames: [] };
  assert.equal(encodeServerEvent(empty), JSON.stringify(empty));
  const notice: ServerEvent = { type: "notice", level: "warn", message: "two\nlines", hint: "h" };
  const text = encodeServerEvent(notice);
  assert.equal(text, JSON.stringify(notice));
  assert.ok(!text.includes("\n"));
  assert.deepEqual(decodeServerEvent(text), notice);
});

test("a broken message is a typed error, not a wrong log", () => {
  const ok = encodeServerEvent({ type: "frames", runId: "r1", frames: [frame(0, "a"), frame(1, "b")] });
  // One raw line missing: frame 1 would get nothing.
  assert.throws(() => decodeServerEvent(ok.slice(0, ok.lastIndexOf("\n"))), WireDecodeError);
  // One raw line too many.
  assert.throws(() => decodeServerEvent(`${ok}\nc`), WireDecodeError);
  // Raw lines after an event that has no frames.
  assert.throws(() => decodeServerEvent(`${JSON.stringify({ type: "notice", level: "info", message: "m" })}\nx`), WireDecodeError);
  assert.throws(() => decodeServerEvent("{not json"), SyntaxError);
});
