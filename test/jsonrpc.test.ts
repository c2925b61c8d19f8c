/** Frame classification, request↔response pairing and the error-code catalog. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Correlator } from "../lib/correlate";
import { describeErrorCode } from "../lib/error-codes";
import { classify, idFromKey, idKey } from "../lib/jsonrpc";

test("classifies requests, notifications, responses and errors", () => {
  assert.deepEqual(
    [
      classify('{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}'),
      classify('{"jsonrpc":"2.0","method":"session/update","params":{"update":{"sessionUpdate":"agent_message_chunk"}}}'),
      classify('{"jsonrpc":"2.0","id":"a","result":{}}'),
      classify('{"jsonrpc":"2.0","id":2,"error":{"code":-32000,"message":"Authentication required"}}'),
    ].map((c) => [c.kind, c.method, c.id, c.errorCode, c.updateKind]),
    [
      ["request", "initialize", "n:1", undefined, undefined],
      ["notification", "session/update", undefined, undefined, "agent_message_chunk"],
      ["response", undefined, "s:a", undefined, undefined],
      ["error", undefined, "n:2", -32000, undefined],
    ],
  );
});

test("malformed lines are classified, never thrown", () => {
  for (const [raw, note] of [
    ["{not json", "not JSON"],
    ["", "empty line"],
    ["[1,2]", "batch"],
    ["42", "not an object"],
    ['{"jsonrpc":"2.0","id":{},"method":"x"}', "id must be"],
    ['{"jsonrpc":"2.0","id":1,"error":"oops"}', "numeric code"],
    ['{"jsonrpc":"2.0","id":1}', "neither"],
  ] as const) {
    const c = classify(raw);
    assert.equal(c.kind, "malformed", raw);
    assert.match(c.note ?? "", new RegExp(note), raw);
  }
});

test("flags a missing jsonrpc member without rejecting the message", () => {
  const c = classify('{"id":1,"method":"initialize"}');
  assert.equal(c.kind, "request");
  assert.match(c.note ?? "", /jsonrpc/);
});

test("id keys keep numbers and strings apart and round-trip", () => {
  assert.notEqual(idKey(1), idKey("1"));
  for (const id of [0, 7, "abc", "n:1", null]) assert.deepEqual(idFromKey(idKey(id) as string), id);
});

test("pairs answers with requests of the opposite direction, with latency", () => {
  const c = new Correlator();
  c.request("out", "n:0", 10, 100, "initialize");
  c.request("in", "n:0", 11, 101, "session/request_permission");
  const agentAnswer = c.answer("in", "n:0", 150.5);
  assert.deepEqual(agentAnswer, { requestSeq: 10, method: "initialize", latencyMs: 50.5 });
  const clientAnswer = c.answer("out", "n:0", 200);
  assert.equal(clientAnswer?.requestSeq, 11);
  assert.equal(c.answer("in", "n:0", 300), undefined, "an answer pairs once");
});

test("reports a duplicate pending id and drains what is outstanding", () => {
  const c = new Correlator();
  assert.equal(c.request("out", "n:1", 1, 0, "a"), undefined);
  assert.equal(c.request("out", "n:1", 2, 0, "b"), 1);
  c.request("out", "n:2", 3, 0, "c");
  assert.equal(c.count("out"), 2);
  assert.deepEqual(c.drain().map((p) => p.seq), [2, 3]);
  assert.equal(c.count("out"), 0);
});

test("the error-code catalog names every ACP and JSON-RPC code", () => {
  const expected: [number, string][] = [
    [-32700, "Parse error"],
    [-32600, "Invalid request"],
    [-32601, "Method not found"],
    [-32602, "Invalid params"],
    [-32603, "Internal error"],
    [-32800, "Request cancelled"],
    [-32000, "Authentication required"],
    [-32002, "Resource not found"],
  ];
  for (const [code, name] of expected) assert.equal(describeErrorCode(code).name, name);
  assert.match(describeErrorCode(-32000).meaning, /auth_required/);
  assert.match(describeErrorCode(-32099).meaning, /implementation-defined server error/i);
  assert.match(describeErrorCode(1234).meaning, /implementation-defined server error/i);
});
