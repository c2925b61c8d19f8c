/**
 * The relay's fast paths (issue #16) must not change what they compute: a frames batch written as
 * bytes is the very text encodeServerEvent makes, and the redactor that skips its regex pass for a
 * long text holding no spelling redacts exactly what redacting each secret on its own does.
 * Random inputs from a seeded generator, so a failure reproduces.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { REDACTED, Redactor } from "../lib/redact";
import { decodeServerEvent, encodeServerEvent, type Frame, type ServerEvent } from "../lib/wire";
import { encodeFramesBatch } from "../server/frames-encode";

/** mulberry32: small, seeded, good enough to pick characters. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = ["a", "Z", "0", " ", '"', "\\", "/", "%", "+", "\t", "\r", "\n", "é", "日本", "🙂", "\ud800", "\udc00", "\u0000", "\u001b[31m", "{", "}", ":", ","];

function randomText(next: () => number, length: number, pieces = PIECES): string {
  let out = "";
  while (out.length < length) out += pieces[Math.floor(next() * pieces.length)];
  return out;
}

function frame(seq: number, raw: string, extra: Partial<Frame> = {}): Frame {
  return { seq, runId: "run-1", t: seq / 3, wall: 1_700_000_000_000 + seq, dir: "in", kind: "notification", raw, bytes: Buffer.byteLength(raw), ...extra };
}

test("a frames batch written as bytes is exactly encodeServerEvent's text, and decodes back", () => {
  const next = rng(16);
  for (let round = 0; round < 120; round++) {
    const n = 1 + Math.floor(next() * 20);
    const frames: Frame[] = [];
    for (let i = 0; i < n; i++) {
      const length = next() < 0.1 ? 20_000 : Math.floor(next() * 300);
      frames.push(frame(i, randomText(next, length), next() < 0.3 ? { method: "session/update", note: randomText(next, 10) } : { kind: "malformed" }));
    }
    const event: ServerEvent = { type: "frames", runId: "run-1", frames, ...(next() < 0.5 ? { reset: true } : {}), ...(next() < 0.3 ? { dropped: 7 } : {}) };
    const bytes = encodeFramesBatch(event);
    const text = encodeServerEvent(event);
    assert.equal(bytes.toString("utf8"), text, `round ${round}`);
    assert.equal(bytes.length, Buffer.byteLength(text), `round ${round}: no byte more or less than the string's UTF-8`);
    assert.deepEqual(decodeServerEvent(bytes.toString("utf8")), event);
  }
});

test("encoding a batch leaves every frame's raw in place, even when the header cannot be serialized", () => {
  // encodeFramesBatch clears each verbatim raw for its one JSON.stringify call and puts it back:
  // the frames are the ring's own objects, so a throw in between must not leave one without its line.
  const frames = [frame(0, '{"jsonrpc":"2.0","method":"a"}'), frame(1, "line\nwith a newline"), frame(2, "x".repeat(5000))];
  const before = frames.map((f) => f.raw);
  encodeFramesBatch({ type: "frames", runId: "run-1", frames });
  assert.deepEqual(frames.map((f) => f.raw), before);
  const bad = frame(3, "after the frame that throws", { lifecycle: { event: "spawned", pid: 10n as unknown as number } });
  const all = [...frames, bad];
  assert.throws(() => encodeFramesBatch({ type: "frames", runId: "run-1", frames: all }), TypeError);
  assert.deepEqual(all.map((f) => f.raw), [...before, "after the frame that throws"]);
  assert.ok(all.every((f) => Object.keys(f).includes("raw")));
});

test("an empty frames batch is its JSON header alone", () => {
  const event: ServerEvent = { type: "frames", runId: "run-1", frames: [] };
  assert.equal(encodeFramesBatch(event).toString("utf8"), JSON.stringify(event));
});

/** Secrets that share no substring with each other or with REDACTED, so redacting them one at a time is well defined. */
function secretsFor(next: () => number): string[] {
  const alphabet = ["q", "w", "k", "j", "7", "8", "-", "_", " ", '"', "/", "é", "+"];
  return Array.from({ length: 1 + Math.floor(next() * 5) }, (_, i) => `S${i}${randomText(next, 6 + Math.floor(next() * 30), alphabet)}${i}S`);
}

/** One of the spellings a secret takes in recorded text. */
function spelled(secret: string, next: () => number): string {
  const r = next();
  if (r < 0.4) return secret;
  if (r < 0.7) return JSON.stringify(secret).slice(1, -1);
  return encodeURIComponent(secret);
}

test("redacting all secrets at once equals redacting them one by one, short texts and long ones", () => {
  const next = rng(7);
  const filler = ["a", "b", "c", " ", "x", "{", "}", ":", '"', ",", "1", "2"];
  let withSecret = 0;
  let without = 0;
  for (let round = 0; round < 400; round++) {
    const secrets = secretsFor(next);
    const all = new Redactor(secrets);
    const one = secrets.map((s) => new Redactor([s]));
    // Half the texts are long enough for the includes() pre-check; a third hold no secret at all.
    const length = next() < 0.5 ? 4096 + Math.floor(next() * 30_000) : Math.floor(next() * 4000);
    let text = randomText(next, length, filler);
    const holds = next() > 0.33;
    if (holds) {
      for (let k = 0; k < 1 + Math.floor(next() * 4); k++) {
        const at = Math.floor(next() * text.length);
        text = text.slice(0, at) + spelled(secrets[Math.floor(next() * secrets.length)], next) + text.slice(at);
      }
    }
    const expected = one.reduce((t, r) => r.redact(t), text);
    const got = all.redact(text);
    assert.equal(got, expected, `round ${round} (${text.length} chars)`);
    for (const s of secrets) assert.ok(!got.includes(s), `round ${round}: a secret survived`);
    if (holds) {
      assert.ok(got.includes(REDACTED), `round ${round}: the inserted secret was redacted`);
      withSecret++;
    } else {
      assert.equal(got, text, `round ${round}: a text without secrets is unchanged`);
      without++;
    }
  }
  assert.ok(withSecret > 100 && without > 50, "both kinds of text were tried");
});
