/**
 * The auth timeline on recorded Kimi runs (what users will actually see) and on crafted logs for
 * the states a single probe cannot reach: remediation, reconnect, retry, lost answers.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type AuthStep, authTimeline, type LoginAttempt } from "../lib/auth-timeline";
import { authMethods, classifyAuthMethod } from "../lib/selectors";
import { FrameLog, KIMI_LOGIN_METHOD, loadFrames } from "./fixtures/frames";

function byId(steps: AuthStep[]): Record<string, AuthStep> {
  return Object.fromEntries(steps.map((s) => [s.id, s]));
}

function states(steps: AuthStep[]): string {
  return steps.map((s) => `${s.id}:${s.state}`).join(" ");
}

describe("auth method classification", () => {
  test("Kimi's real advertisement is a spec terminal method that also carries the legacy _meta command", () => {
    for (const name of ["kimi-2.1.0-oauth", "kimi-0.28.0-api-key"]) {
      const [login, ...rest] = authMethods(loadFrames(name));
      assert.equal(rest.length, 0, name);
      assert.equal(login.id, "login");
      assert.equal(login.class, "terminal");
      assert.deepEqual(login.args, ["--login"]);
      assert.match(login.legacy?.command ?? "", /dist\/main\.mjs$/);
      assert.deepEqual(login.legacy?.args, ["login"]);
    }
  });

  test("agent, legacy-only and unknown types", () => {
    assert.equal(classifyAuthMethod({ id: "key", name: "API key" })?.class, "agent");
    assert.equal(classifyAuthMethod({ id: "key", type: "agent", name: "API key" })?.class, "agent");
    assert.equal(classifyAuthMethod({ id: "tui", name: "Login", _meta: { "terminal-auth": { command: "claude", args: ["login"] } } })?.class, "legacy-terminal");
    assert.equal(classifyAuthMethod({ id: "env", type: "oauth-device", name: "Env" })?.class, "unknown");
    assert.equal(classifyAuthMethod({ name: "no id" }), undefined);
  });

  test("the initialize step lists every method with its class", () => {
    const log = new FrameLog();
    log.spawn();
    log.initialize({ methods: [KIMI_LOGIN_METHOD, { id: "key", name: "API key" }, { id: "tui", name: "TUI", _meta: { "terminal-auth": { command: "x", args: [] } } }, { id: "env", type: "oauth-device", name: "Env" }] });
    const init = byId(authTimeline(log.frames)).initialize;
    assert.equal(init.state, "ok");
    assert.deepEqual(init.methods?.map((m) => `${m.id}=${m.class}`), ["login=terminal", "key=agent", "tui=legacy-terminal", "env=unknown"]);
    assert.equal(init.facts?.["authMethod login"], 'terminal (spec), also legacy _meta["terminal-auth"]');
    assert.equal(init.facts?.["authMethod key"], "agent (authenticate)");
    assert.equal(init.facts?.["authMethod tui"], 'legacy _meta["terminal-auth"]');
    assert.equal(init.facts?.["authMethod env"], "unknown type");
    assert.match(init.detail, /4 auth methods/);
  });
});

describe("auth timeline on recorded Kimi runs", () => {
  test("0.28.0 + API-key profile: session/new fails with -32000 (#1330), remediation is next", () => {
    const frames = loadFrames("kimi-0.28.0-api-key");
    const steps = authTimeline(frames);
    assert.deepEqual(steps.map((s) => s.id), ["spawn", "initialize", "session", "remediation", "retry"]);
    assert.equal(states(steps), "spawn:ok initialize:ok session:failed remediation:pending retry:pending");
    const s = byId(steps);
    assert.deepEqual(s.spawn.frameSeqs, [1]);
    assert.equal(s.spawn.facts?.runtime, "v22.23.3");
    assert.deepEqual(s.initialize.frameSeqs, [2, 3]);
    assert.equal(s.initialize.facts?.["clientCapabilities.auth.terminal"], "true");
    assert.equal(s.initialize.facts?.['clientCapabilities._meta["terminal-auth"]'], "true");
    assert.equal(s.initialize.facts?.["clientCapabilities.fs.readTextFile"], "true");
    assert.equal(s.initialize.facts?.["clientCapabilities.terminal"], "true");
    assert.equal(s.initialize.facts?.agent, "Kimi Code CLI 0.28.0");
    assert.equal(s.initialize.facts?.["agentCapabilities.auth.logout"], "absent");
    assert.equal(s.session.title, "session/new");
    assert.equal(s.session.facts?.code, "-32000");
    assert.equal(s.session.facts?.codeName, "Authentication required");
    const [req, answer] = s.session.frameSeqs;
    assert.equal(frames[req].method, "session/new");
    assert.equal(frames[answer].kind, "error");
    assert.equal(s.session.runId, "fixture-kimi-0.28.0-api-key");
    assert.match(s.remediation.detail, /terminal login "login"/);
  });

  test("2.1.0 + API-key profile: the session is created", () => {
    const s = byId(authTimeline(loadFrames("kimi-2.1.0-api-key")));
    assert.equal(s.session.state, "ok");
    assert.match(s.session.facts?.sessionId ?? "", /^session_/);
    assert.equal(s.initialize.facts?.["agentCapabilities.auth.logout"], "advertised");
  });

  test("OAuth profile: all green on both builds (no remediation needed)", () => {
    for (const name of ["kimi-2.1.0-oauth", "kimi-0.28.0-oauth"]) {
      const steps = authTimeline(loadFrames(name));
      assert.equal(states(steps), "spawn:ok initialize:ok session:ok remediation:skipped retry:skipped", name);
      assert.ok(steps.every((st) => st.state === "ok" || st.state === "skipped"));
    }
  });

  test("2.1.0 logged out: authenticate tried twice, the retries stay gated", () => {
    const frames = loadFrames("kimi-2.1.0-logged-out-authenticate");
    const s = byId(authTimeline(frames));
    assert.equal(s.session.state, "failed");
    assert.deepEqual(s.session.frameSeqs, [4, 6]);
    assert.equal(s.remediation.state, "failed");
    assert.deepEqual(s.remediation.frameSeqs, [7, 9, 10, 11]);
    assert.match(s.remediation.facts?.["1. authenticate login"] ?? "", /^authenticate\("login"\) failed: -32000 Authentication required \("login" is a terminal method; the spec says to run its login/);
    assert.match(s.remediation.facts?.["2. authenticate no-such-method"] ?? "", /-32602/);
    assert.equal(s.retry.state, "failed");
    assert.equal(s.retry.facts?.method, "session/new");
    assert.equal(s.retry.facts?.attempts, "2");
    assert.equal(s.retry.facts?.reconnected, "no (same process)");
    // Both retries: the session/resume and the session/new.
    assert.deepEqual(s.retry.frameSeqs, [12, 14, 15, 17]);
  });

  test("a client without auth.terminal: the initialize facts say so", () => {
    const s = byId(authTimeline(loadFrames("kimi-2.1.0-logged-out-no-caps")));
    assert.equal(s.initialize.facts?.["clientCapabilities.auth.terminal"], "false");
    assert.equal(s.initialize.facts?.["clientCapabilities.fs.readTextFile"], "false");
    assert.equal(s.initialize.methods?.[0]?.class, "terminal");
  });
});

describe("auth timeline states", () => {
  test("an empty log is all pending", () => {
    assert.equal(states(authTimeline([])), "spawn:pending initialize:pending session:pending remediation:pending retry:pending");
  });

  test("spawned only, then initialize sent without an answer", () => {
    const log = new FrameLog();
    log.spawn();
    assert.equal(states(authTimeline(log.frames)), "spawn:ok initialize:pending session:pending remediation:pending retry:pending");
    log.request("initialize", { protocolVersion: 1 });
    const init = byId(authTimeline(log.frames)).initialize;
    assert.equal(init.state, "pending");
    assert.match(init.detail, /waiting/);
    assert.equal(init.facts?.["clientCapabilities.auth.terminal"], "false");
  });

  test("spawn errors and a missing runtime fail the first step", () => {
    const log = new FrameLog();
    log.lifecycle({ event: "spawn_error", message: "spawn kimi ENOENT", hint: "Check the catalog entry." });
    const spawn = byId(authTimeline(log.frames)).spawn;
    assert.equal(spawn.state, "failed");
    assert.match(spawn.detail, /ENOENT.*Check the catalog/);
    const missing = new FrameLog();
    missing.lifecycle({ event: "runtime_missing", message: "Node 22 is not installed" });
    assert.match(byId(authTimeline(missing.frames)).spawn.detail, /runtime the agent needs is missing/);
  });

  test("initialize failing, and a session/new sent without initialize (skipped)", () => {
    const log = new FrameLog();
    log.spawn();
    log.error(log.request("initialize", {}), -32602, "Invalid params");
    assert.equal(byId(authTimeline(log.frames)).initialize.state, "failed");

    const bare = new FrameLog();
    bare.sessionNew(false);
    assert.equal(states(authTimeline(bare.frames)), "spawn:skipped initialize:skipped session:failed remediation:pending retry:pending");
  });

  test("a session request lost because the agent died", () => {
    const log = new FrameLog();
    log.spawn();
    log.initialize();
    const id = log.request("session/new", { cwd: "/work", mcpServers: [] });
    log.lost(id);
    const session = byId(authTimeline(log.frames)).session;
    assert.equal(session.state, "failed");
    assert.match(session.detail, /agent exited/);
    assert.equal(session.frameSeqs.length, 2);
  });

  test("several probes before remediation: the last one decides", () => {
    const log = new FrameLog();
    log.spawn();
    log.initialize();
    log.sessionNew(false);
    log.sessionNew(true);
    const session = byId(authTimeline(log.frames)).session;
    assert.equal(session.state, "ok");
    assert.equal(session.facts?.attempts, "2");
    assert.equal(session.facts?.first, "-32000 Authentication required");
    assert.equal(session.frameSeqs.length, 4);
  });

  test("a non-auth session failure says authenticating may not help", () => {
    const log = new FrameLog();
    log.spawn();
    log.initialize();
    log.error(log.request("session/new", {}), -32602, "Invalid params: cwd must be absolute");
    assert.match(byId(authTimeline(log.frames)).remediation.detail, /not auth_required \(code -32602\)/);
  });
});

describe("remediation and retry", () => {
  function gated(): FrameLog {
    const log = new FrameLog("run-1");
    log.spawn(100);
    log.initialize({ logout: true });
    log.sessionNew(false);
    return log;
  }

  function login(log: FrameLog, exitCode: number | null, ended = true): LoginAttempt {
    const startedAt = log.now;
    log.advance(5000);
    return { method: "login", convention: "spec", argv: ["node", "main.mjs", "acp", "--login"], exitCode, startedAt, endedAt: ended ? log.now : undefined };
  }

  test("terminal login exit 0, reconnect, retry succeeds", () => {
    const log = gated();
    const attempt = login(log, 0);
    log.newRun("run-2");
    log.spawn(200);
    log.initialize();
    log.sessionNew(true, "sess-after-login");
    const steps = authTimeline(log.frames, { loginRuns: [attempt] });
    assert.equal(states(steps), "spawn:ok initialize:ok session:failed remediation:ok retry:ok");
    const s = byId(steps);
    assert.equal(s.spawn.facts?.pid, "100");
    assert.equal(s.session.runId, "run-1");
    assert.equal(s.remediation.detail, 'Spec terminal login "login" exited with code 0.');
    assert.deepEqual(s.remediation.frameSeqs, []);
    assert.equal(s.retry.runId, "run-2");
    assert.equal(s.retry.facts?.reconnected, "yes, pid 200");
    assert.equal(s.retry.facts?.sessionId, "sess-after-login");
    // The reconnect's spawn and initialize, then the retry itself.
    assert.deepEqual(s.retry.frameSeqs, [0, 1, 2, 3, 4]);
  });

  test("a login still running is pending; a failed one fails and leaves the retry pending", () => {
    const running = gated();
    const a = login(running, null, false);
    assert.equal(byId(authTimeline(running.frames, { loginRuns: [a] })).remediation.state, "pending");

    const failed = gated();
    const b = login(failed, 1);
    const s = byId(authTimeline(failed.frames, { loginRuns: [b] }));
    assert.equal(s.remediation.state, "failed");
    assert.equal(s.remediation.facts?.["1. login login (spec)"], 'spec terminal login "login" exited with code 1');
    assert.equal(s.retry.state, "pending");
    assert.match(s.retry.detail, /reconnect/);

    const killed = gated();
    const c = { ...login(killed, null), signal: "SIGTERM" };
    assert.match(byId(authTimeline(killed.frames, { loginRuns: [c] })).remediation.detail, /stopped by SIGTERM/);
  });

  test("a retry in the old process after a login is flagged", () => {
    const log = gated();
    const attempt = login(log, 0);
    log.sessionNew(false);
    const retry = byId(authTimeline(log.frames, { loginRuns: [attempt] })).retry;
    assert.equal(retry.state, "failed");
    assert.equal(retry.facts?.reconnected, "no (same process)");
    assert.match(retry.detail, /new agent process after a terminal login/);
  });

  test("authenticate succeeds and the retry passes", () => {
    const log = gated();
    log.result(log.request("authenticate", { methodId: "key" }), {});
    log.sessionNew(true);
    assert.equal(states(authTimeline(log.frames)), "spawn:ok initialize:ok session:failed remediation:ok retry:ok");
  });

  test("authenticate waiting for an answer is pending", () => {
    const log = gated();
    log.request("authenticate", { methodId: "key" });
    assert.equal(byId(authTimeline(log.frames)).remediation.state, "pending");
  });

  test("logout shows its effect on the next session/new", () => {
    const log = new FrameLog();
    log.spawn();
    log.initialize({ logout: true });
    log.sessionNew(true);
    log.result(log.request("logout", {}), {});
    log.sessionNew(false);
    const s = byId(authTimeline(log.frames));
    assert.equal(s.session.state, "ok");
    assert.equal(s.remediation.state, "ok");
    assert.equal(s.remediation.detail, "Logout succeeded.");
    assert.equal(s.retry.state, "failed");
    assert.match(s.retry.detail, /logout's expected effect/);
  });

  test("a retry before a later remediation leaves the retry pending again", () => {
    const log = gated();
    log.error(log.request("authenticate", { methodId: "login" }), -32000, "Authentication required");
    log.sessionNew(false);
    const attempt = login(log, 1);
    const s = byId(authTimeline(log.frames, { loginRuns: [attempt] }));
    assert.equal(s.remediation.state, "failed");
    assert.match(s.remediation.detail, /^2 actions/);
    assert.equal(s.retry.state, "pending");
    assert.match(s.retry.detail, /earlier retry/);
  });
});
