/** Redaction must hold in every spelling a secret takes and wherever a stream happens to be cut. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { mask, REDACTED, Redactor, StreamRedactor } from "../lib/redact";

const KEY = "sk-example-0000-fake-key-9f3a";

test("plain secrets are replaced everywhere, short ones ignored", () => {
  const r = new Redactor([KEY, "abc", ""]);
  assert.equal(r.size, 1);
  assert.equal(r.redact(`a ${KEY} b ${KEY}`), `a ${REDACTED} b ${REDACTED}`);
  assert.equal(r.redact("abc stays"), "abc stays");
});

test("JSON-escaped and URL-encoded forms are replaced", () => {
  const secret = 'p"a\\ss/wo rd+1';
  const r = new Redactor([secret]);
  const json = JSON.stringify({ token: secret });
  assert.ok(!json.includes(secret), "test premise: the JSON form differs");
  assert.equal(r.redact(json), `{"token":"${REDACTED}"}`);
  assert.equal(r.redact(`https://x/?k=${encodeURIComponent(secret)}&z=1`), `https://x/?k=${REDACTED}&z=1`);
  assert.equal(r.redact(`raw ${secret}`), `raw ${REDACTED}`);
});

test("overlapping secrets: the longer one wins", () => {
  const r = new Redactor(["abcd", "abcdefgh"]);
  assert.equal(r.redact("xabcdefghx abcdx"), `x${REDACTED}x ${REDACTED}x`);
});

test("a redactor without secrets passes text through", () => {
  const r = new Redactor([]);
  assert.equal(r.size, 0);
  assert.equal(r.redact("anything"), "anything");
  const s = new StreamRedactor(r);
  assert.equal(s.push("abc") + s.flush(), "abc");
});

function streamThrough(secrets: string[], chunks: string[]): string {
  const s = new StreamRedactor(secrets);
  return chunks.map((c) => s.push(c)).join("") + s.flush();
}

test("StreamRedactor: a secret straddling any single split point is redacted", () => {
  const secrets = [KEY, "tok-1234", 'q"uote\\d'];
  const text = `before ${KEY} mid tok-1234 ${JSON.stringify('q"uote\\d')} after`;
  const expected = new Redactor(secrets).redact(text);
  assert.ok(!expected.includes("tok-1234"));
  let cases = 0;
  for (let i = 0; i <= text.length; i++) {
    assert.equal(streamThrough(secrets, [text.slice(0, i), text.slice(i)]), expected, `split at ${i}`);
    cases++;
  }
  for (let i = 0; i <= text.length; i++) {
    for (let j = i; j <= text.length; j += 3) {
      assert.equal(streamThrough(secrets, [text.slice(0, i), text.slice(i, j), text.slice(j)]), expected, `split at ${i},${j}`);
      cases++;
    }
  }
  assert.ok(cases > 100);
});

test("StreamRedactor: one character at a time, and emitted text never holds a secret prefix longer than allowed", () => {
  const secrets = ["abcd", "abcdefgh", KEY];
  const text = `xxabcdefgh abcd ${KEY} abcdefg end`;
  const s = new StreamRedactor(secrets);
  let out = "";
  for (const ch of text) {
    const piece = s.push(ch);
    out += piece;
    assert.ok(!out.includes(KEY));
  }
  out += s.flush();
  assert.equal(out, new Redactor(secrets).redact(text));
});

test("StreamRedactor emits promptly: it holds back only a tail that could still become a secret", () => {
  const s = new StreamRedactor(["secret-value"]);
  // A prompt without a newline must show at once (a login waiting for input would hang otherwise).
  assert.equal(s.push("enter the code: "), "enter the code: ");
  assert.equal(s.push("x".repeat(100)), "x".repeat(100));
  // A tail that is the start of a secret waits for the next chunk, then is redacted or released.
  assert.equal(s.push("abc secret-"), "abc ");
  assert.equal(s.push("value!"), "‹redacted›!");
  assert.equal(s.push("secr"), "");
  assert.equal(s.push("et-valid"), "secret-valid");
  assert.equal(s.flush(), "");
});

test("mask keeps a short prefix and the last 4, never more than 7 chars or a third", () => {
  assert.equal(mask(KEY), "sk-…9f3a");
  assert.equal(mask("abcdefghijklmnopqrstuvwxyz0123"), "abc…0123");
  assert.equal(mask("short1"), "…t1");
  assert.equal(mask("tiny"), "••••");
  for (let n = 1; n <= 64; n++) {
    const secret = Array.from({ length: n }, (_, i) => String.fromCharCode(97 + (i % 26))).join("");
    const m = mask(secret);
    const shown = m.replace(/[…•]/g, "").length;
    assert.ok(shown <= 7, `length ${n}: ${m}`);
    assert.ok(shown <= Math.floor(n / 3), `length ${n}: ${m}`);
    assert.notEqual(m, secret);
  }
});
