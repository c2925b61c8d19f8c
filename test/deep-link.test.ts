/**
 * Links to a run and frame (lib/deep-link.ts): what a pasted or shared address opens, that junk in
 * it is dropped rather than sent to the relay, and that the shared address never carries the token.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { deepLinkUrl, formatDeepLink, parseDeepLink } from "../lib/deep-link";

test("the fragment names a run and a frame", () => {
  assert.deepEqual(parseDeepLink("#run=run-3&frame=12"), { runId: "run-3", frameSeq: 12 });
  assert.deepEqual(parseDeepLink("run=run-3"), { runId: "run-3" });
  assert.deepEqual(parseDeepLink("#frame=0"), { frameSeq: 0 });
});

test("the query form works too, and the fragment wins when both name something", () => {
  assert.deepEqual(parseDeepLink("", "?run=run-7&frame=4"), { runId: "run-7", frameSeq: 4 });
  assert.deepEqual(parseDeepLink("#run=run-1", "?run=run-7&frame=4"), { runId: "run-1" });
  assert.deepEqual(parseDeepLink("#theme=dark", "?run=run-7"), { runId: "run-7" });
});

test("nothing to open gives undefined; invalid values are dropped one by one", () => {
  assert.equal(parseDeepLink("", ""), undefined);
  assert.equal(parseDeepLink("#", "?token=abc"), undefined);
  assert.deepEqual(parseDeepLink("#run=run-3&frame=-1"), { runId: "run-3" });
  assert.deepEqual(parseDeepLink("#run=run-3&frame=1.5"), { runId: "run-3" });
  assert.deepEqual(parseDeepLink("#run=../etc&frame=2"), { frameSeq: 2 });
  assert.deepEqual(parseDeepLink(`#run=${"r".repeat(65)}&frame=2`), { frameSeq: 2 });
  assert.deepEqual(parseDeepLink("#run=%3Cscript%3E&frame=x"), undefined);
});

test("format is the inverse of parse", () => {
  for (const link of [{ runId: "run-3", frameSeq: 12 }, { runId: "run-10" }, { frameSeq: 0 }]) {
    assert.deepEqual(parseDeepLink(formatDeepLink(link)), link);
  }
  assert.equal(formatDeepLink({ runId: "run-3", frameSeq: 12 }), "#run=run-3&frame=12");
  assert.equal(formatDeepLink({}), "");
  assert.equal(formatDeepLink({ runId: "bad id", frameSeq: -2 }), "");
});

test("a shared address keeps origin and path, drops the token and any old run/frame query", () => {
  const here = { origin: "http://acp-abc.localhost:3000", pathname: "/", search: "?token=s3cret&run=run-1&frame=9&view=x" };
  const url = deepLinkUrl(here, { runId: "run-3", frameSeq: 12 });
  assert.equal(url, "http://acp-abc.localhost:3000/?view=x#run=run-3&frame=12");
  assert.ok(!url.includes("s3cret"));
  assert.equal(deepLinkUrl({ origin: "http://h:1", pathname: "/", search: "" }, { runId: "run-2" }), "http://h:1/#run=run-2");
});
