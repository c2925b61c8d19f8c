/**
 * Issue #14 §1, "never show evidence from the wrong run": the pure rules in lib/run-scope.ts (state
 * kept with its run, flow verdicts, run labels, action-button preconditions and in-flight state, the
 * advertisement diff's verdict), the fault-injection helpers and diagnosis rule, the store's per-run
 * flows and removed runs, and — against a real server with fixture agents — that a profile switch
 * starts no run when nothing runs, restarts the picked agent and tells the other tabs, that Clear
 * keeps only the running run, and that Probe's flow lines name their run and say "fail" for -32000.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { diagnose, FAULT_INJECTION_RULE_ID } from "../lib/diagnosis";
import { activeFaults, directionLabel, RELAY_MADE_AUTH_NOTE, relayMade } from "../lib/fault-notes";
import {
  actionStates,
  advDiffRows,
  advDiffVerdict,
  agentName,
  authMethodFor,
  clearableRunIds,
  flowFor,
  flowVerdict,
  lastError,
  LOCAL_WAIT_MS,
  openLocalRequests,
  pendingClientRequests,
  recordFlow,
  runCaption,
  runStateText,
  scopedTo,
} from "../lib/run-scope";
import { PlaygroundStore } from "../lib/store";
import type { AdvertisementVariant, FaultConfig, Frame, RunSummary, ServerEvent } from "../lib/wire";
import { Run } from "../server/run";
import { fixtureAgent, type PlaygroundServer, startRun, startServer, WsClient } from "./fixtures/server";

let seq = 0;
function frame(p: Partial<Frame>): Frame {
  const s = p.seq ?? seq++;
  return { seq: s, runId: "run-1", t: s, wall: 1_000 + s, dir: "in", kind: "response", raw: "{}", bytes: 2, ...p };
}

/**
 * An ended run's summary with the test's facts over the relay's own defaults: a Run that is never
 * started (its constructor builds every summary the relay sends, imported runs too) instead of a
 * copy of them that could drift.
 */
function run(p: Partial<RunSummary>): RunSummary {
  const fresh = new Run(
    {
      runId: "run-1",
      agentId: "kimi-0.28.0",
      agentLabel: "Kimi Code 0.28.0 (bundled)",
      profileId: "api-key",
      profileName: "API key (example)",
      cwd: "/",
      spawn: { file: "/nonexistent", args: [], cwd: "/", env: {} },
      limits: { maxFrames: 100, maxBytes: 1 << 16, maxLineBytes: 1 << 16 },
      redact: (text) => text,
      serveClientMethod: () => ({ pending: true }),
    },
    { frames: () => undefined, state: () => undefined },
  );
  return { ...fresh.summary, state: "exited", startedAt: 0, ...p };
}

const initRequest = (s: number): Frame => frame({ seq: s, dir: "out", kind: "request", method: "initialize", id: "n:0", pairSeq: s + 1 });
const initAnswer = (s: number): Frame =>
  frame({ seq: s, kind: "response", method: "initialize", id: "n:0", pairSeq: s - 1, raw: JSON.stringify({ jsonrpc: "2.0", id: 0, result: { protocolVersion: 1, authMethods: [{ id: "login", name: "Login" }] } }) });

describe("state kept with its run", () => {
  test("a selection made in run-3 is nothing in run-4 and comes back with run-3", () => {
    const sel = { runId: "run-3", value: 10 };
    assert.equal(scopedTo(sel, "run-3"), 10);
    assert.equal(scopedTo(sel, "run-4"), undefined);
    assert.equal(scopedTo(sel, undefined), undefined);
    assert.equal(scopedTo(undefined, "run-3"), undefined);
  });

  test("flow lines are kept per run; an older run's running line says where it continued", () => {
    let flows = recordFlow({}, { type: "flow", mode: "auto", state: "running", message: "terminal login; answer it in the terminal below" }, "run-21");
    flows = recordFlow(flows, { type: "flow", mode: "auto", state: "done", message: "after login, reconnect and retry session/new: ok", verdict: "ok" }, "run-22");
    assert.equal(flows["run-21"].movedTo, "run-22");
    assert.equal(flowVerdict(flows["run-21"]), "pending");
    assert.equal(flows["run-22"].runId, "run-22");
    // run-7 (a Guided run, no flow) shows nothing: the Auto line stays with its runs.
    assert.equal(flowFor(flows, "run-7", "run-7"), undefined);
    assert.equal(flowFor(flows, "run-21", "run-22")?.movedTo, "run-22");
  });

  test("a flow starting its fresh run shows with the run current when it began, not with a later one", () => {
    const flows = recordFlow({}, { type: "flow", mode: "probe", state: "running", message: "starting a fresh agent process" }, "", "run-5");
    assert.equal(flowFor(flows, "run-5", "run-5")?.message, "starting a fresh agent process");
    assert.equal(flowFor(flows, "run-6", "run-6"), undefined);
    assert.equal(flowFor(flows, "run-4", "run-5"), undefined);
    const next = recordFlow(flows, { type: "flow", mode: "probe", state: "done", message: "session/new: -32000", verdict: "fail" }, "run-6");
    assert.equal(flowFor(next, "run-5", "run-6"), undefined, "once its run exists the starting line is gone from run-5");
  });

  test("colour by verdict: a finished Probe that met -32000 is a failure, not green", () => {
    assert.equal(flowVerdict({ state: "done", message: "session/new: -32000 Authentication required", verdict: "fail" }), "fail");
    // Even without the relay's verdict, a done line naming an error code is a failure.
    assert.equal(flowVerdict({ state: "done", message: "session/new: -32000 Authentication required" }), "fail");
    assert.equal(flowVerdict({ state: "done", message: "session created: no authentication needed", verdict: "ok" }), "ok");
    assert.equal(flowVerdict({ state: "failed", message: "the login exited with code 1; nothing to retry" }), "fail");
    assert.equal(flowVerdict({ state: "running", message: "starting" }), "pending");
  });

  test("the store keeps flows and the advertisement diff with their runs and drops removed runs", () => {
    const store = new PlaygroundStore();
    const hello: ServerEvent = {
      type: "hello",
      server: { version: "t", dataDir: "/d", defaultCwd: "/", limits: { ringFrames: 10, maxLineBytes: 10 } },
      catalog: [],
      runs: [run({ runId: "run-1" }), run({ runId: "run-2", state: "running" })],
      currentRunId: "run-2",
      viewRunId: "run-1",
      profiles: [],
      activeProfileId: "p",
      permissionPolicy: "ask",
      validation: { enabled: true, unstable: false },
      faults: { enabled: false, delayOutMs: 0, delayInMs: 0, dropOutEvery: 0, dropInEvery: 0, corruptOutEvery: 0, forceAuthOnSessionNew: 0, killOnMethod: "", junkEveryMs: 0 },
    };
    store.apply(hello);
    store.apply({ type: "frames", runId: "run-1", frames: [frame({ seq: 0 })], reset: true });
    store.apply({ type: "flow", mode: "probe", state: "done", message: "session/new: -32000", runId: "run-1", verdict: "fail" });
    store.apply({ type: "adv_diff", agentId: "kimi", variants: [], runId: "run-1" });
    assert.equal(store.getSnapshot().flows["run-1"].verdict, "fail");
    assert.equal(store.getSnapshot().advDiff?.runId, "run-1");
    store.apply({ type: "runs_removed", runIds: ["run-1"] });
    const snap = store.getSnapshot();
    assert.deepEqual(
      snap.runs.map((r) => r.runId),
      ["run-2"],
    );
    assert.equal(snap.flows["run-1"], undefined);
    assert.equal(snap.advDiff, undefined);
    assert.equal(snap.log.frames.length, 0, "the removed run's frames are no longer shown");
  });
});

describe("run labels", () => {
  test("imported and matrix runs say where they came from, never 'code undefined'", () => {
    const imported = run({ imported: true, state: "exited", exitCode: undefined, agentLabel: "Kimi Code 2.1.0 (imported)", origin: "imported from run-3-trace.jsonl" });
    assert.equal(runStateText(imported), "imported from run-3-trace.jsonl");
    const cell = run({ imported: true, state: "exited", agentLabel: "kimi-0.28.0 (matrix cell)", agentId: "kimi-0.28.0", profileName: "API key (example)" });
    assert.equal(runStateText(cell), "matrix cell kimi-0.28.0 × API key (example)");
    assert.equal(runStateText(run({ state: "exited", exitCode: 1 })), "exited 1");
    assert.equal(runStateText(run({ state: "exited", signal: "SIGTERM" })), "exited (signal SIGTERM)");
    for (const r of [imported, cell, run({ state: "exited" })]) assert.doesNotMatch(runStateText(r), /undefined/);
  });

  test("one agent label everywhere, captioned with run and profile", () => {
    assert.equal(agentName(run({ agentInfo: { name: "kimi", version: "0.28.0" } })), "Kimi Code 0.28.0 (bundled)");
    assert.equal(agentName(run({ agentLabel: "Login agent (fixture)", agentInfo: { name: "login-agent", version: "1.0.0" } })), "Login agent (fixture) 1.0.0");
    assert.equal(agentName(run({ agentLabel: "kimi-2.1.0 (matrix cell)" })), "kimi-2.1.0");
    assert.equal(runCaption(run({ runId: "run-7" })), "run-7 · Kimi Code 0.28.0 (bundled) · API key (example)");
  });

  test("Clear removes every run but the running current one", () => {
    const runs = [run({ runId: "run-1" }), run({ runId: "run-2", imported: true }), run({ runId: "run-3", state: "running" })];
    assert.deepEqual(clearableRunIds(runs, "run-3"), ["run-1", "run-2"]);
    assert.deepEqual(clearableRunIds([run({ runId: "run-1" }), run({ runId: "run-3", state: "exited" })], "run-3"), ["run-1", "run-3"]);
  });

  test("the headline's last error is the newest error or lost request", () => {
    const frames = [frame({ seq: 1, kind: "error", errorCode: -32601 }), frame({ seq: 2, kind: "response" }), frame({ seq: 3, kind: "error", errorCode: -32000 }), frame({ seq: 4, kind: "notification" })];
    assert.equal(lastError(frames)?.seq, 3);
    assert.equal(lastError([frame({ seq: 1, dir: "out", kind: "error" })]), undefined, "an error the client sent is not the agent's");
  });
});

describe("action buttons", () => {
  const base = { live: true, authMethodIds: [] as string[], authMethodId: "", pending: [], local: [], now: 5_000 };

  test("authenticate is disabled before initialize, even with a method id left from another run", () => {
    const a = actionStates({ ...base, frames: [], authMethodId: "login" });
    assert.equal(a.authenticate.enabled, false);
    assert.match(a.authenticate.reason ?? "", /initialize first/i);
    assert.equal(a.initialize.enabled, true);
    assert.equal(authMethodFor("login", []), "", "a new run without methods keeps no id");
    assert.equal(authMethodFor("login", ["oauth", "login"]), "login");
    assert.equal(authMethodFor("gone", ["oauth"]), "oauth");
    const after = actionStates({ ...base, frames: [initRequest(0), initAnswer(1)], authMethodIds: ["login"], authMethodId: "login" });
    assert.equal(after.authenticate.enabled, true);
  });

  test("a request in flight disables its own button with the time it went out; others stay usable", () => {
    const frames = [frame({ seq: 0, dir: "out", kind: "request", method: "initialize", id: "n:0", wall: 4_000 })];
    const pending = pendingClientRequests(frames);
    assert.deepEqual(pending, [{ seq: 0, method: "initialize", since: 4_000 }]);
    const a = actionStates({ ...base, frames, pending });
    assert.equal(a.initialize.enabled, false);
    assert.equal(a.initialize.pendingSince, 4_000);
    assert.equal(a["session/new"].enabled, true);
  });

  test("a press not yet echoed blocks a second one until its request frame appears", () => {
    const local = [{ runId: "run-1", method: "initialize", afterSeq: 3, at: 4_500 }];
    assert.equal(openLocalRequests(local, "run-1", [frame({ seq: 3 })], 5_000).length, 1);
    const a = actionStates({ ...base, frames: [], local });
    assert.equal(a.initialize.enabled, false, "the double click's second press finds the button disabled");
    const echoed = [frame({ seq: 3 }), frame({ seq: 4, dir: "out", kind: "request", method: "initialize" })];
    assert.equal(openLocalRequests(local, "run-1", echoed, 5_000).length, 0, "the echo hands over to the pending frame");
    assert.equal(openLocalRequests(local, "run-2", [], 5_000).length, 0, "another run never inherits it");
    assert.equal(openLocalRequests(local, "run-1", [], 4_500 + LOCAL_WAIT_MS + 1).length, 0, "a refused command does not block forever");
  });

  test("nothing is enabled on an earlier run or without an agent", () => {
    const a = actionStates({ ...base, live: false, frames: [] });
    assert.ok(Object.values(a).every((s) => !s.enabled));
  });
});

describe("advertisement diff", () => {
  const v = (name: AdvertisementVariant["name"], methods: unknown[], caps: unknown): AdvertisementVariant => ({ name, clientCapabilities: {}, ok: true, authMethods: methods, agentCapabilities: caps });

  test("the verdict comes first: identical in all four variants", () => {
    const same = (["none", "auth.terminal", "legacy _meta", "both"] as const).map((n) => v(n, [{ id: "login", type: "terminal" }], { loadSession: true }));
    const verdict = advDiffVerdict(same);
    assert.equal(verdict.identical, true);
    assert.match(verdict.text, /^authMethods identical in all 4 variants, and every agentCapabilities field too$/);
    assert.ok(advDiffRows(same).every((r) => !r.differs));
  });

  test("…or names what differs", () => {
    const variants = [v("none", [], { loadSession: true }), v("auth.terminal", [{ id: "login", type: "terminal" }], { loadSession: true }), v("legacy _meta", [], { loadSession: false }), v("both", [{ id: "login", type: "terminal" }], { loadSession: true })];
    const verdict = advDiffVerdict(variants);
    assert.equal(verdict.identical, false);
    assert.deepEqual(verdict.differing, ["authMethods", "agentCapabilities.loadSession"]);
    assert.match(verdict.text, /^Differs in: authMethods, agentCapabilities.loadSession/);
  });
});

describe("fault injection", () => {
  const faults: FaultConfig = { enabled: true, delayOutMs: 0, delayInMs: 0, dropOutEvery: 0, dropInEvery: 0, corruptOutEvery: 0, forceAuthOnSessionNew: 1, killOnMethod: "", junkEveryMs: 0 };

  test("the pill shows while any fault is set, and not when injection is off or does nothing", () => {
    assert.deepEqual(activeFaults(faults), ["session/new #1 answered -32000 by the relay"]);
    assert.deepEqual(activeFaults({ ...faults, enabled: false }), []);
    assert.deepEqual(activeFaults({ ...faults, forceAuthOnSessionNew: 0 }), []);
  });

  test("a relay-made -32000 has direction relay and is diagnosed as fabricated, not as the agent's #1330", () => {
    const request = frame({ seq: 0, dir: "out", kind: "request", method: "session/new", id: "n:1", pairSeq: 1, injected: "fault injection: delayed" });
    const forged = frame({ seq: 1, dir: "in", kind: "error", method: "session/new", id: "n:1", pairSeq: 0, errorCode: -32000, errorMessage: "Authentication required", injected: RELAY_MADE_AUTH_NOTE, raw: '{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"Authentication required"}}' });
    assert.equal(relayMade(forged), true);
    assert.equal(relayMade(request), false, "a delayed line is still the client's");
    assert.match(directionLabel(forged), /^relay/);
    assert.equal(directionLabel(request), "client → agent");
    const d = diagnose({ frames: [request, forged], agent: { id: "kimi-0.28.0", version: "0.28.0", kimi: true }, profile: { kind: "kimi-api-key", sources: ["config.toml api_key"] } });
    assert.ok(d);
    assert.deepEqual(
      d.rules.map((r) => r.id),
      [FAULT_INJECTION_RULE_ID],
    );
    assert.match(d.rules[0].title, /fabricated by fault injection/);
    // The same error from the agent itself matches the known issue, not the injection rule.
    const real = diagnose({ frames: [request, { ...forged, injected: undefined }], agent: { id: "kimi-0.28.0", version: "0.28.0", kimi: true }, profile: { kind: "kimi-api-key", sources: ["config.toml api_key"] } });
    assert.ok(real && !real.rules.some((r) => r.id === FAULT_INJECTION_RULE_ID));
    assert.ok(real.rules.some((r) => r.id === "kimi-code-1330"));
  });
});

describe("a real server: profile switch, Clear, Probe's flow lines", { timeout: 60_000 }, () => {
  let server: PlaygroundServer;
  before(async () => {
    server = await startServer({ agents: [fixtureAgent("login", "login-agent.mjs", { label: "Login fixture" }), fixtureAgent("stub", "stub-agent.mjs", { label: "Stub fixture" })] });
  });
  after(async () => {
    await server?.stop();
  });

  test("a switch with nothing running starts no run; with one running it restarts the picked agent and tells the other tab", async () => {
    const a = await WsClient.connect(server);
    const b = await WsClient.connect(server);
    try {
      const hello = await a.waitFor("hello", (e) => (e.type === "hello" ? e : undefined));
      const [first, second] = hello.profiles.filter((p) => p.id !== hello.activeProfileId);
      a.send({ type: "profile_select", profileId: first.id, agentId: "stub" });
      const notice = await a.waitFor("the switch notice", (e) => (e.type === "notice" && e.message.includes(first.name) ? e : undefined));
      assert.match(notice.message, /nothing was running, so no agent was started/);
      assert.equal(a.events.filter((e) => e.type === "run").length, 0, "no run was started");

      const { runId } = await startRun(a, "stub");
      a.send({ type: "profile_select", profileId: second.id, agentId: "login" });
      const restarted = await a.waitForRun("the restarted run", (r) => r.runId !== runId && r.profileId === second.id);
      assert.equal(restarted.agentId, "login", "the picked agent, not the one that was running");
      const mine = await a.waitFor("this tab's notice", (e) => (e.type === "notice" && e.message.includes(second.name) ? e : undefined));
      assert.match(mine.message, new RegExp(`restarted Login fixture with it as ${restarted.runId}`));
      const theirs = await b.waitFor("the other tab's notice", (e) => (e.type === "notice" && e.message.includes(second.name) ? e : undefined));
      assert.match(theirs.message, /^Another tab switched the profile/);
      assert.match(theirs.message, new RegExp(`this tab now shows ${restarted.runId}`));
    } finally {
      await a.close();
      await b.close();
    }
  });

  test("Probe's lines name their run and a -32000 is a 'fail' verdict; Clear keeps only the running run", async () => {
    const c = await WsClient.connect(server);
    try {
      c.send({ type: "flow", mode: "probe", agentId: "login", caps: { fsRead: false, fsWrite: false, terminal: false, authTerminal: true, legacyTerminalAuth: true } });
      const done = await c.waitFor("probe done", (e) => (e.type === "flow" && e.state !== "running" ? e : undefined), 20_000);
      assert.equal(done.state, "done");
      assert.equal(done.verdict, "fail");
      assert.match(done.message, /-32000/);
      assert.ok(done.runId, "the line names the probe's run");
      const probeRun = await c.waitForRun("the probe run", (r) => r.runId === done.runId);
      assert.equal(probeRun.agentId, "login");

      c.send({ type: "clear_runs" });
      const removed = await c.waitFor("runs_removed", (e) => (e.type === "runs_removed" ? e : undefined));
      assert.ok(!removed.runIds.includes(done.runId ?? ""), "the running probe run stays");
      assert.ok(removed.runIds.length >= 2, `the ended runs go (${removed.runIds.join(", ")})`);
      const again = await WsClient.connect(server);
      try {
        const hello = await again.waitFor("hello", (e) => (e.type === "hello" ? e : undefined));
        assert.deepEqual(
          hello.runs.map((r) => r.runId),
          [done.runId],
        );
      } finally {
        await again.close();
      }
    } finally {
      await c.close();
    }
  });
});
