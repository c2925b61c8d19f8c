/**
 * The auth conformance check (issue 15 §3): agents built to break one rule each
 * (test/fixtures/rule-breakers.mjs) must fail exactly that rule and no other MUST; the CLI's exit
 * codes, JSON shape and JUnit XML; and the playground's own Guided and Auto flows, run through the
 * relay, must obey every client-side MUST on the frames they produce.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { evaluateConformance, type RuleReport } from "../lib/conformance";
import type { ConformanceJson } from "../lib/conformance-report";
import { authTimeline } from "../lib/auth-timeline";
import { nextGuidedStep } from "../lib/guided";
import { PlaygroundStore } from "../lib/store";
import { authMethods } from "../lib/selectors";
import { initializeParams } from "../lib/templates";
import type { ClientCaps, Frame, ServerEvent } from "../lib/wire";
import { agentCommandEntry } from "../server/agent-cmd";
import { runConformance } from "../server/conformance-run";
import { ProfileStore } from "../server/profiles";
import { type PlaygroundServer, ROOT, startRun, startServer, WsClient } from "./fixtures/server";

const BREAKER = path.join(ROOT, "test", "fixtures", "rule-breakers.mjs");
let dataDir: string;
let store: ProfileStore;

before(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), "conformance-test-"));
  store = new ProfileStore(dataDir);
  await store.init();
});
after(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

async function check(brk: string, protocols: (1 | 2)[] = [1]): Promise<RuleReport[]> {
  const entry = agentCommandEntry(`${process.execPath} ${BREAKER}${brk ? ` --break ${brk}` : ""}`, `breaker-${brk || "none"}`);
  const { report } = await runConformance({
    entry,
    protocols,
    profile: store.get("logged-out")!,
    dataDir,
    redact: (t) => t,
    requestTimeoutMs: 1_500,
    initializeTimeoutMs: 3_000,
    concurrency: 2,
    // "none" shows what an agent advertises to a bare client, "both" runs the whole script.
    variants: ["none", "both"],
  });
  return report.rules;
}

const failed = (rules: readonly RuleReport[], level?: "MUST" | "SHOULD"): string[] => rules.filter((r) => r.verdict === "fail" && (!level || r.level === level)).map((r) => r.id);

/** [--break name, the rule it must fail, protocols to check] */
const BREAKS: [string, string, (1 | 2)[]][] = [
  ["jsonrpc-version", "jsonrpc.version", [1]],
  ["answer-twice", "jsonrpc.answered-once", [1]],
  ["exit-unanswered", "jsonrpc.answered-once", [1]],
  ["wrong-id", "jsonrpc.ids-echoed", [1]],
  ["error-object", "jsonrpc.error-object", [1]],
  ["error-code-range", "jsonrpc.error-code-range", [1]],
  ["stdout-junk", "transport.stdout-acp-only", [1]],
  ["initialize-version", "initialize.protocol-version", [1]],
  ["method-shape", "initialize.auth-method-shape", [1]],
  ["terminal-always", "auth.terminal-only-when-enabled", [1]],
  ["v2-no-logout", "auth.v2-login-logout-supported", [2]],
  ["status-auth-required", "auth.status-not-auth-required", [1]],
  ["status-side-effect", "auth.status-no-state-change", [1]],
  ["status-update-repeat", "auth.status-update-on-change", [1]],
  ["elicitation-uncapable", "elicitation.capability", [1]],
];

// The groups overlap: each waits mostly on agent processes and a server start.
describe("conformance", { concurrency: true }, () => {
describe("rule breakers: each fails exactly its rule", { concurrency: 4 }, () => {
  test("the well-behaved breaker (no --break) passes every rule, v1 and v2", async () => {
    const rules = await check("", [1, 2]);
    assert.deepEqual(failed(rules), []);
    // The rules it exercises really ran (not a pass by not-applicable).
    for (const id of ["auth.terminal-only-when-enabled", "auth.status-not-auth-required", "auth.status-no-state-change", "auth.v2-login-logout-supported", "jsonrpc.answered-once", "client.speaks-negotiated-version"]) {
      assert.equal(rules.find((r) => r.id === id)?.verdict, "pass", id);
    }
  });
  for (const [brk, rule, protocols] of BREAKS) {
    test(`--break ${brk} fails ${rule} and no other MUST`, async () => {
      const rules = await check(brk, protocols);
      const r = rules.find((x) => x.id === rule);
      assert.equal(r?.verdict, "fail", `${rule}: ${r?.detail}`);
      assert.ok(r.evidence.length > 0, "a failure names its frames");
      assert.deepEqual(failed(rules, "MUST").filter((id) => id !== rule), [], "no other MUST fails");
    });
  }
});

// ── client-side rules on hand-built frames (what a client can get wrong) ───

let seq = 0;
function frame(dir: "in" | "out", msg: Record<string, unknown>, extra: Partial<Frame> = {}): Frame {
  const kind = "method" in msg ? ("id" in msg ? "request" : "notification") : "error" in msg ? "error" : "response";
  return { seq: seq++, runId: "r", t: 0, wall: 0, dir, kind, raw: JSON.stringify({ jsonrpc: "2.0", ...msg }), bytes: 0, method: msg.method as string | undefined, ...extra };
}

test("client rules: a terminal method passed to authenticate, auth/login without methods, a permission not cancelled", () => {
  const v1 = [
    frame("out", { id: 0, method: "initialize", params: { protocolVersion: 1, clientCapabilities: { auth: { terminal: true } } } }),
    frame("in", { id: 0, result: { protocolVersion: 1, authMethods: [{ type: "terminal", id: "t", name: "T", args: ["--login"] }] } }),
    frame("out", { id: 1, method: "authenticate", params: { methodId: "t" } }),
    frame("in", { id: 1, error: { code: -32602, message: "no" } }),
  ];
  const v2 = [
    frame("out", { id: 0, method: "initialize", params: { protocolVersion: 2, info: { name: "c", version: "1" }, capabilities: {} } }),
    frame("in", { id: 0, result: { protocolVersion: 2, info: { name: "a", version: "1" }, authMethods: [] } }),
    frame("out", { id: 1, method: "auth/logout", params: {} }),
    frame("in", { id: 1, result: {} }),
  ];
  const cancel = [
    frame("out", { id: 0, method: "initialize", params: { protocolVersion: 1 } }),
    frame("in", { id: 0, result: { protocolVersion: 1 } }),
    frame("in", { id: 5, method: "session/request_permission", params: { sessionId: "s", toolCall: {}, options: [] } }),
    frame("out", { method: "session/cancel", params: { sessionId: "s" } }),
    frame("out", { id: 5, result: { outcome: { outcome: "selected", optionId: "yes" } } }),
  ];
  const rules = evaluateConformance(
    [
      { name: "v1", frames: v1 },
      { name: "v2", frames: v2 },
      { name: "cancel", frames: cancel },
    ],
    { side: "client" },
  );
  const byId = new Map(rules.map((r) => [r.id, r]));
  assert.equal(byId.get("client.no-terminal-authenticate")?.verdict, "fail");
  assert.deepEqual(byId.get("client.no-terminal-authenticate")?.evidence, [v1[2].seq]);
  assert.equal(byId.get("client.v2-no-login-without-methods")?.verdict, "fail");
  assert.equal(byId.get("client.cancelled-permission")?.verdict, "fail");
  assert.equal(byId.get("client.speaks-negotiated-version")?.verdict, "pass");
  assert.ok(rules.every((r) => r.side === "client"));
});

// ── the CLI ─────────────────────────────────────────────────────────────────

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  // Each invocation its own data dir: two CLIs initializing one profile store would race.
  const home = await mkdtemp(path.join(dataDir, "cli-"));
  return new Promise((resolve) => {
    execFile(path.join(ROOT, "node_modules", ".bin", "tsx"), [path.join(ROOT, "scripts", "conformance.ts"), ...args], { cwd: ROOT, env: { ...process.env, ACP_PLAYGROUND_HOME: home }, timeout: 90_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 99) : 0, stdout, stderr });
    });
  });
}

/** Well-formed XML, checked strictly enough for JUnit consumers: balanced tags, quoted attributes, known entities. */
function assertWellFormedXml(xml: string): void {
  assert.match(xml, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n/);
  const body = xml.replace(/^<\?xml[^>]*\?>/, "");
  const stack: string[] = [];
  const token = /<(\/?)([A-Za-z][\w.-]*)((?:\s+[\w.-]+="[^"<]*")*)\s*(\/?)>|&(?!(?:amp|lt|gt|quot|apos);)|<|>/g;
  for (const m of body.matchAll(token)) {
    assert.ok(m[2] !== undefined, `stray "${m[0]}" at ${m.index}: ${body.slice(Math.max(0, (m.index ?? 0) - 40), (m.index ?? 0) + 40)}`);
    if (m[4] === "/") continue;
    if (m[1] === "/") assert.equal(stack.pop(), m[2], `</${m[2]}> closes the wrong element`);
    else stack.push(m[2]);
  }
  assert.deepEqual(stack, [], "every element is closed");
}

describe("npm run conformance", { concurrency: 3 }, () => {
  test("exit 2 on bad usage: no agent, both agents, a bad --protocol, an unknown format or agent", async () => {
    const results = await Promise.all([cli(["--format", "json"]), cli(["--agent", "reference-none", "--protocol", "3"]), cli(["--agent", "no-such-agent", "--format", "json"])]);
    assert.deepEqual(
      results.map((r) => r.code),
      [2, 2, 2],
    );
    assert.match(results[0].stderr, /exactly one of --agent and --agent-cmd/);
    assert.match(results[1].stderr, /--protocol must be 1 or 2/);
    assert.match(results[2].stderr, /No agent "no-such-agent"/);
  });
  test("exit 0 and the JSON shape for a conforming agent (the reference agent's status behaviour)", async () => {
    const { code, stdout } = await cli(["--agent", "reference-status", "--protocol", "1", "--format", "json"]);
    assert.equal(code, 0, stdout);
    const json = JSON.parse(stdout) as ConformanceJson;
    assert.deepEqual(Object.keys(json).sort(), ["agent", "protocolVersion", "protocolsChecked", "rules", "sessions", "summary"]);
    assert.equal(json.agent.name, "acp-reference-agent");
    assert.equal(json.agent.version, "1.0.0");
    assert.ok(json.agent.command.some((a) => a.endsWith("reference-agent.mjs")));
    assert.equal(json.protocolVersion, 1);
    for (const r of json.rules) {
      assert.deepEqual(Object.keys(r).sort(), ["detail", "evidence", "id", "level", "side", "text", "verdict"]);
      assert.ok(["MUST", "SHOULD"].includes(r.level));
      assert.ok(["pass", "fail", "not-applicable"].includes(r.verdict));
    }
    const status = json.rules.find((r) => r.id === "auth.status-no-state-change");
    assert.equal(status?.verdict, "pass");
    assert.ok(status.evidence.every((e) => typeof e.seq === "number" && e.excerpt.includes("jsonrpc")));
    assert.deepEqual(json.summary, {
      pass: json.rules.filter((r) => r.verdict === "pass").length,
      fail: json.rules.filter((r) => r.verdict === "fail").length,
      notApplicable: json.rules.filter((r) => r.verdict === "not-applicable").length,
    });
  });
  test("exit 1 when a MUST fails; junit is well-formed XML with the failure; --out writes the file", async () => {
    const out = path.join(dataDir, "report.xml");
    const { code } = await cli(["--agent-cmd", `${process.execPath} ${BREAKER} --break terminal-always`, "--protocol", "1", "--format", "junit", "--out", out]);
    assert.equal(code, 1);
    const xml = await readFile(out, "utf8");
    assertWellFormedXml(xml);
    assert.match(xml, /<failure type="MUST" message="terminal method &quot;term&quot; advertised to a client without auth.terminal/);
    assert.match(xml, /<testsuite name="acp-conformance [^"]*" tests="\d+" failures="1"/);
  });
});

// ── the playground's own Guided and Auto flows obey the client-side MUSTs ──

const CAPS: ClientCaps = { fsRead: true, fsWrite: true, terminal: true, authTerminal: true, legacyTerminalAuth: true };

// One server, one current run: these drive it one after another.
describe("the playground's Guided and Auto flows against the reference agent", { concurrency: 1 }, () => {
  let server: PlaygroundServer;
  let client: WsClient;
  before(async () => {
    server = await startServer();
    client = await WsClient.connect(server);
  });
  after(async () => {
    await client?.close();
    await server?.stop();
  });

  const clientMusts = (frames: Frame[]): RuleReport[] => evaluateConformance([{ name: "flow", frames }], { side: "client" });
  /** A run's frames as the browser's store holds them (requests linked to their answers), which Guided reads. */
  const browserFrames = (runId: string): Frame[] => {
    const store = new PlaygroundStore();
    for (const e of client.events) if (e.type === "frames" && e.runId === runId) store.apply(e);
    return [...store.getSnapshot().log.frames];
  };
  /** Events from now on only (waitFor also looks at the ones already received). */
  const fresh = <T>(pick: (e: ServerEvent) => T | undefined): ((e: ServerEvent) => T | undefined) => {
    const seen = new Set(client.events);
    return (e) => (seen.has(e) ? undefined : pick(e));
  };

  for (const protocol of [1, 2] as const) {
    test(`Auto (v${protocol}) against the agent method: its frames pass every client-side MUST`, async () => {
      const pick = fresh((e) => (e.type === "flow" && e.mode === "auto" && (e.state === "done" || e.state === "failed") ? e : undefined));
      client.send({ type: "flow", mode: "auto", agentId: "reference-agent", caps: CAPS, protocolVersion: protocol });
      const done = await client.waitFor("auto flow done", pick, 30_000);
      const runId = done.runId as string;
      // v1: Auto completes the agent method. (v2's Auto is the v2 helper's; whatever it sends must still obey the MUSTs.)
      if (protocol === 1) await client.waitForFrame(`the login's answer (flow: ${done.state} ${done.message})`, (f) => f.method === "authenticate" && f.kind === "response", runId);
      else await client.waitForFrame("the initialize answer", (f) => f.method === "initialize" && f.kind === "response", runId);
      const rules = clientMusts(client.framesOf(runId));
      assert.deepEqual(failed(rules, "MUST"), [], done.message);
      assert.equal(rules.find((r) => r.id === "client.speaks-negotiated-version")?.verdict, "pass");
      if (protocol === 1) assert.equal(rules.find((r) => r.id === "client.no-terminal-authenticate")?.verdict, "pass");
    });

    test(`Guided (v${protocol}), step by step as the Auth tab sends it, passes every client-side MUST`, async () => {
      const { runId } = await startRun(client, "reference-status");
      const request = (method: string, params: unknown): void => client.send({ type: "request", method, params });
      const taken: string[] = [];
      for (let i = 0; i < 6; i++) {
        const frames = browserFrames(runId);
        const step = nextGuidedStep(authTimeline(frames, { loginRuns: [] }), authMethods(frames), true, [], protocol);
        const a = step.action;
        // A step that does not move the timeline on is where a user would stop clicking too.
        if (a.kind === "done" || taken.filter((k) => k === a.kind).length >= 2) break;
        taken.push(a.kind);
        const before = frames.length;
        if (a.kind === "initialize") request("initialize", initializeParams(CAPS, protocol));
        else if (a.kind === "session_new") request("session/new", { cwd: os.tmpdir(), mcpServers: [] });
        else if (a.kind === "authenticate") request(a.method, { methodId: a.methodId });
        else assert.fail(`unexpected guided step ${a.kind}`);
        await client.waitForFrame(`the answer to guided step ${a.kind}`, (f) => f.seq >= before && f.dir === "in" && (f.kind === "response" || f.kind === "error"), runId);
      }
      if (protocol === 1) await client.waitForFrame(`Guided's authenticate answer (steps: ${taken.join(", ")})`, (f) => f.method === "authenticate" && f.kind === "response", runId);
      const rules = clientMusts(client.framesOf(runId));
      assert.deepEqual(failed(rules, "MUST"), [], taken.join(", "));
      assert.equal(rules.find((r) => r.id === "client.speaks-negotiated-version")?.verdict, "pass");
    });
  }

  test("the Conformance tab's command: the URL sign-in against the hub's OAuth emulator, a report, and a listed run holding the evidence", async () => {
    const pick = fresh((e) => (e.type === "conformance" && (e.state === "done" || e.state === "failed") ? e : undefined));
    client.send({ type: "conformance_run", agentId: "reference-url", protocolVersion: 1 });
    const done = await client.waitFor("conformance done", pick, 60_000);
    assert.equal(done.state, "done", done.message);
    const report = done.report as ConformanceJson;
    assert.equal(report.summary.fail, 0, JSON.stringify(report.rules.filter((r) => r.verdict === "fail")));
    // The richest variant signed in through the emulator: elicitation/create (url) then elicitation/complete.
    const complete = report.rules.find((r) => r.id === "elicitation.complete-known");
    assert.equal(complete?.verdict, "pass");
    await client.waitForFrame("the check's last frame", (f) => f.seq === report.sessions[report.sessions.length - 1].lastSeq, done.runId);
    const frames = client.framesOf(done.runId as string);
    assert.ok(complete.evidence.length > 0);
    for (const e of complete.evidence) assert.equal(frames.find((f) => f.seq === e.seq)?.method, "elicitation/complete");
    const terminal = report.rules.find((r) => r.id === "auth.terminal-only-when-enabled");
    for (const e of terminal?.evidence ?? []) assert.equal(frames.find((f) => f.seq === e.seq)?.raw.slice(0, 60), e.excerpt.slice(0, 60));
  });
});
});
