/**
 * The protocol version a matrix or conformance check asked for (`--protocol`) stated in every
 * export: a cell only records the version its agent answered, so without it a report of a v2
 * matrix whose agents all fell back to v1 reads like a v1 matrix. Renderings are checked in
 * process; one real `tsx scripts/matrix.ts --protocol 2` run shows the probe records the request.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { type ConformanceJson, formatConformanceJunit, formatConformanceTable } from "../lib/conformance-report";
import { formatJson, formatJunit, formatMarkdown, formatShardJson, formatTable, mergeShards, type ProbeCell, requestedProtocols } from "../lib/matrix-report";
import { fixtureAgentCmd, matrixScratch, runMatrixCli } from "./fixtures/cli";

const scratch = matrixScratch("acp-matrix-protocol-");

function cell(agent: string, requested: number | undefined, negotiated: number | null): ProbeCell {
  return {
    agent: { id: agent, name: null, version: null, command: [agent] },
    profile: { name: "Logged out", kind: "logged-out" },
    initialize: { ok: negotiated !== null, ms: 1, ...(requested === undefined ? {} : { requestedProtocolVersion: requested }), protocolVersion: negotiated, authMethods: [] },
    sessionNew: { ok: true, ms: 1 },
    verdict: negotiated === null ? "initialize-failed" : "session-created",
    ms: 2,
    frames: [],
  };
}

// A v2 matrix: one agent speaks v2, one falls back to v1.
const V2 = [cell("speaks-v2", 2, 2), cell("falls-back", 2, 1)];

test("matrix exports state the requested protocol in their header, and which cells negotiated another", () => {
  const table = formatTable(V2).split("\n");
  assert.equal(table[0], "Protocol requested: v2; 1 cell(s) answered another version (see PROTOCOL)");
  assert.match(table[1], /\bPROTOCOL\b/);
  assert.match(table.find((l) => l.startsWith("speaks-v2")) ?? "", /\bv2\b(?! \(asked)/);
  assert.match(table.find((l) => l.startsWith("falls-back")) ?? "", /v1 \(asked v2\)/);
  assert.equal(formatTable([cell("a", 1, 1)]).split("\n")[0], "Protocol requested: v1");

  const md = formatMarkdown(V2, { note: "ACP Playground test" });
  assert.match(md, /^### ACP auth matrix\n\nACP Playground test\n\nProtocol requested: \*\*v2\*\*\n/);
  assert.match(md, /\*\*1 cell\(s\) negotiated a different protocol version than requested:\*\* `falls-back × Logged out` answered v1 \(asked v2\)\./);
  assert.match(md, /\| ✅ session created · 0\.0 s · answered v1 \|/);
  assert.match(md, /- initialize: ok in 0\.0 s, protocolVersion 1 \(requested 2, \*\*a different version\*\*\)/);
  assert.match(md, /- initialize: ok in 0\.0 s, protocolVersion 2 \(requested 2\),/);
  assert.doesNotMatch(formatMarkdown([cell("a", 2, 2)]), /negotiated a different/);

  const junit = formatJunit(V2);
  assert.match(junit, /<testsuite [^>]*>\n {4}<properties>\n {6}<property name="acp\.protocol\.requested" value="2"\/>\n {4}<\/properties>/);
  assert.match(junit, /protocol: requested v2, negotiated v1 \(a different version\)/);
  assert.match(junit, /protocol: requested v2, negotiated v2\n/);

  // JSON stays an array of cells (what the UI exports and CI scripts read); each records the request.
  const json = JSON.parse(formatJson(V2)) as ProbeCell[];
  assert.deepEqual(json.map((c) => [c.initialize.requestedProtocolVersion, c.initialize.protocolVersion]), [[2, 2], [2, 1]]);
  assert.deepEqual(requestedProtocols(json), [2]);

  // A report written before the request was recorded says so rather than guessing v1.
  assert.equal(formatTable([cell("old", undefined, 1)]).split("\n")[0], "Protocol requested: not recorded");
  assert.match(formatJunit([cell("old", undefined, 1)]), /name="acp\.protocol\.requested" value="not recorded"/);
});

test("shard reports carry the requested protocol; a merge of shards that asked for different versions is refused", () => {
  const plan = ["a × Logged out", "b × Logged out"];
  const shard1 = JSON.parse(formatShardJson({ index: 1, count: 2 }, plan, [cell("a", 2, 1)], 2)) as { requestedProtocolVersion?: number };
  assert.equal(shard1.requestedProtocolVersion, 2);
  // An empty shard still states what it asked for.
  const empty = (v: number): { name: string; text: string } => ({ name: `empty-v${v}.json`, text: formatShardJson({ index: 2, count: 2 }, plan, [], v) });
  const one = { name: "one.json", text: formatShardJson({ index: 1, count: 2 }, plan, [cell("a", 2, 1), cell("b", 2, 2)], 2) };
  const refused = mergeShards([one, empty(1)]);
  assert.equal(refused.ok, false);
  assert.match(refused.ok ? "" : refused.problem, /empty-v1\.json asked for protocol v1, but one\.json asked for v2/);
  assert.match(refused.ok ? "" : refused.hint, /same --protocol/);
  const merged = mergeShards([one, empty(2)]);
  assert.equal(merged.ok, true);
  assert.match(formatTable(merged.ok ? merged.cells : []), /^Protocol requested: v2; 1 cell\(s\) answered another version/);
  // A cell whose recorded request is not a number is not a shard report's cell.
  const bad = JSON.parse(one.text) as { cells: { initialize: Record<string, unknown> }[] };
  bad.cells[0].initialize.requestedProtocolVersion = "<b>2</b>";
  assert.equal(mergeShards([{ name: "bad.json", text: JSON.stringify(bad) }, empty(2)]).ok, false);
});

test("conformance table and JUnit state the requested versions and where the agent answered another", () => {
  const json: ConformanceJson = {
    agent: { id: "falls-back", name: null, version: null, command: ["falls-back"] },
    protocolVersion: 1,
    protocolsChecked: [1, 2],
    sessions: [
      { name: "v1 none", firstSeq: 1, lastSeq: 2, requested: 1, negotiated: 1 },
      { name: "v2 none", firstSeq: 3, lastSeq: 4, requested: 2, negotiated: 1 },
      { name: "v2 both", firstSeq: 5, lastSeq: 6, requested: 2, negotiated: 1 },
    ],
    rules: [{ id: "initialize.protocol-version", level: "MUST", side: "agent", text: "t", verdict: "pass", detail: "ok", evidence: [] }],
    summary: { pass: 1, fail: 0, notApplicable: 0 },
  };
  const table = formatConformanceTable(json).split("\n");
  assert.equal(table[1], "Negotiated a different version than requested: asked v2, answered v1 in 2 of 2 processes (v2 none, v2 both)");
  const junit = formatConformanceJunit(json);
  assert.match(junit, /<property name="acp\.protocol\.requested" value="1,2"\/>/);
  assert.match(junit, /<property name="acp\.protocol\.negotiated" value="1"\/>/);
  assert.match(junit, /<property name="acp\.protocol\.mismatch" value="asked v2, answered v1 in 2 of 2 processes \(v2 none, v2 both\)"\/>/);
  const agrees = { ...json, protocolsChecked: [1], sessions: [json.sessions[0]] };
  assert.doesNotMatch(formatConformanceTable(agrees), /Negotiated a different/);
  assert.doesNotMatch(formatConformanceJunit(agrees), /acp\.protocol\.mismatch/);
});

test("CLI: `--protocol 2` against an agent that answers v1: the Markdown and JUnit say v2 was requested and v1 negotiated", async () => {
  const common = ["--agent-cmd", fixtureAgentCmd("stub-agent.mjs"), "--profile", "Logged out", "--protocol", "2"];
  const env = { env: { ACP_PLAYGROUND_HOME: scratch.dataDir }, timeoutMs: 60_000 };
  const [md, junit] = await Promise.all([runMatrixCli([...common, "--format", "markdown"], env), runMatrixCli([...common, "--format", "junit"], env)]);
  assert.equal(md.code, 0, md.stderr);
  assert.match(md.stdout, /\nProtocol requested: \*\*v2\*\*\n/);
  assert.match(md.stdout, /\*\*1 cell\(s\) negotiated a different protocol version than requested:\*\* `.*stub-agent\.mjs × Logged out` answered v1 \(asked v2\)/);
  assert.equal(junit.code, 0, junit.stderr);
  assert.match(junit.stdout, /<property name="acp\.protocol\.requested" value="2"\/>/);
  assert.match(junit.stdout, /protocol: requested v2, negotiated v1 \(a different version\)/);
});
