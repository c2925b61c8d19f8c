/** The lossless line splitter: partial chunks, CRLF, empty lines, multi-byte characters, huge lines. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { LineSplitter } from "../server/line-splitter";

const split = (chunks: (string | Buffer)[], max = 1024) => {
  const s = new LineSplitter({ maxLineBytes: max, keepPrefixBytes: 8 });
  const out = chunks.flatMap((c) => s.push(typeof c === "string" ? Buffer.from(c) : c));
  return [...out, ...s.end()];
};

test("joins a message split across chunks", () => {
  const lines = split(['{"a":', "1}\n{", '"b":2}\n']);
  assert.deepEqual(lines.map((l) => l.text), ['{"a":1}', '{"b":2}']);
});

test("keeps empty lines and strips (but reports) CR", () => {
  const lines = split(["a\r\n\nb\n"]);
  assert.deepEqual(lines.map((l) => [l.text, l.crlf]), [["a", true], ["", false], ["b", false]]);
  assert.equal(lines[0].bytes, 2);
});

test("emits a last line without a newline at end of stream", () => {
  assert.deepEqual(split(["x\ny"]).map((l) => l.text), ["x", "y"]);
});

test("does not break a multi-byte character split between chunks", () => {
  const bytes = Buffer.from("héllo→\n");
  const lines = split([bytes.subarray(0, 2), bytes.subarray(2, 8), bytes.subarray(8)]);
  assert.equal(lines[0].text, "héllo→");
});

test("a line over the limit becomes one too-large line with its prefix and true size, then framing resumes", () => {
  const big = "A".repeat(3000);
  const lines = split([big.slice(0, 1000), big.slice(1000), "\nnext\n"], 1024);
  assert.equal(lines.length, 2);
  assert.equal(lines[0].tooLarge, true);
  assert.equal(lines[0].bytes, 3000);
  assert.equal(lines[0].text, "AAAAAAAA");
  assert.equal(lines[1].text, "next");
});

test("non-JSON text passes through untouched", () => {
  assert.deepEqual(split(["{not json\n"]).map((l) => l.text), ["{not json"]);
});

test("byte-by-byte delivery gives the same lines", () => {
  const text = '{"jsonrpc":"2.0","id":1,"result":{}}\r\n\n{bad\n';
  const lines = split([...Buffer.from(text)].map((b) => Buffer.from([b])));
  assert.deepEqual(lines.map((l) => l.text), ['{"jsonrpc":"2.0","id":1,"result":{}}', "", "{bad"]);
});
