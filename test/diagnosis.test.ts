/**
 * "Why -32000?" on recorded Kimi runs (the #1330 gate, the logged-out gate with its stderr reason)
 * and on crafted logs for each contradiction detector. Also pins the rules file's validation and
 * keeps the recorded fixtures free of secrets and machine paths.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { authFailures, diagnose, findContradictions, type KnownIssueRule, knownIssues, KnownIssuesError, parseKnownIssues } from "../lib/diagnosis";
import knownIssuesFile from "../lib/known-issues.json";
import { compareVersions, versionInRange } from "../lib/version";
import type { ClientCaps, Frame } from "../lib/wire";
import { FrameLog, KIMI_LOGIN_METHOD, loadFrames } from "./fixtures/frames";

const API_KEY = { kind: "kimi-api-key" as const, sources: ["config.toml api_key"] };
const OAUTH = { kind: "kimi-oauth" as const, sources: ["config.toml oauth (managed:kimi-code)", "credentials/kimi-code.json"] };
const LOGGED_OUT = { kind: "logged-out" as const, sources: [] };
const KIMI_028 = { id: "kimi-0.28.0", version: "0.28.0", kimi: true };
const KIMI_210 = { id: "kimi-2.1.0", version: "2.1.0", kimi: true };

describe("versions", () => {
  test("compareVersions orders releases, a v prefix, missing parts and pre-releases", () => {
    assert.ok(compareVersions("0.28.0", "0.29.0") < 0);
    assert.ok(compareVersions("0.28.10", "0.28.9") > 0);
    assert.equal(compareVersions("v2.1", "2.1.0"), 0);
    assert.ok(compareVersions("0.29.0-beta.1", "0.29.0") < 0);
    assert.ok(compareVersions("0.29.0-beta.2", "0.29.0-beta.10") < 0);
    assert.ok(compareVersions("0.29.0-alpha", "0.29.0-beta") < 0);
    assert.ok(compareVersions("1.0.0-1", "1.0.0-alpha") < 0);
    assert.equal(compareVersions("1.0.0+build.5", "1.0.0"), 0);
  });

  test("versionInRange: every bound must hold", () => {
    assert.ok(versionInRange("0.28.0", { lte: "0.28.0" }));
    assert.ok(!versionInRange("0.29.0", { lte: "0.28.0" }));
    assert.ok(versionInRange("0.22.0", { gte: "0.15.0", lt: "0.29.0" }));
    assert.ok(!versionInRange("0.14.9", { gte: "0.15.0", lt: "0.29.0" }));
    assert.ok(versionInRange("2.1.0", { eq: "2.1.0", gt: "2.0.9" }));
    assert.ok(versionInRange("9.9.9", {}));
  });
});

describe("known-issues.json", () => {
  test("the shipped rules parse; rule #1 is the #1330 gate, fixed in 0.29.0", () => {
    const rules = knownIssues();
    assert.equal(rules[0].id, "kimi-code-1330");
    assert.equal(rules[0].fixedIn, "0.29.0");
    assert.match(rules[0].title, /#1330.*OAuth token file.*0\.29\.0.*PR #934/);
    assert.deepEqual(rules[0].when.agent?.version, { lte: "0.28.0" });
    assert.deepEqual(rules[0].when.profile?.sourcesPresent, ["config.toml api_key"]);
    assert.deepEqual(rules[0].when.profile?.sourcesAbsent, ["credentials/kimi-code.json"]);
    assert.ok(rules[0].suggestions.some((s) => /0\.29\.0/.test(s)));
    assert.ok(rules[0].suggestions.some((s) => /OAuth/.test(s)));
  });

  test("broken rules are refused with the field named", () => {
    const base = structuredClone(knownIssuesFile) as { rules: Record<string, unknown>[] };
    const broken = (mutate: (rule: Record<string, unknown>) => void): unknown => {
      const copy = structuredClone(base);
      mutate(copy.rules[0]);
      return copy;
    };
    assert.throws(() => parseKnownIssues(broken((r) => delete r.title)), (e: unknown) => e instanceof KnownIssuesError && /rules\[0\]\.title/.test(e.message));
    assert.throws(() => parseKnownIssues(broken((r) => ((r.when as { stderr?: string }).stderr = "(unclosed"))), /not a valid regular expression/);
    assert.throws(() => parseKnownIssues(broken((r) => ((r.when as { agent: { version: unknown } }).agent.version = { below: "1" }))), /not a version bound/);
    assert.throws(() => parseKnownIssues(broken((r) => ((r.when as { failure: { codes: unknown } }).failure.codes = ["-32000"]))), /codes\[0\] must be an integer/);
    assert.throws(() => parseKnownIssues(broken((r) => ((r.when as { profile: { kinds: unknown } }).profile.kinds = ["oauth"]))), /must be one of/);
    assert.throws(() => parseKnownIssues({ rules: [base.rules[0], base.rules[0]] }), /used twice/);
    assert.throws(() => parseKnownIssues({ rules: {} }), /must be an array/);
  });
});

describe("diagnosis on recorded Kimi runs", () => {
  test("0.28.0 + API key: issue #1330 with its fix version, stderr around, sources by name", () => {
    const frames = loadFrames("kimi-0.28.0-api-key");
    const d = diagnose({ frames, agent: KIMI_028, profile: API_KEY });
    assert.ok(d);
    assert.equal(d.failureSeq, 11);
    assert.equal(d.method, "session/new");
    assert.equal(d.code, -32000);
    assert.match(d.codeMeaning, /^ACP auth_required/);
    assert.equal(d.errorData, undefined);
    assert.deepEqual(d.sources, ["config.toml api_key"]);
    // 0.28.0 prints the whole failed request with util.inspect: six lines, the first 6 frames away.
    assert.deepEqual(d.stderrAround.map((l) => l.seq), [5, 6, 7, 8, 9, 10]);
    assert.match(d.stderrAround[5].text, /code: -32000, message: 'Authentication required'/);
    assert.deepEqual(d.rules.map((r) => r.id), ["kimi-code-1330"]);
    const [rule] = d.rules;
    assert.equal(rule.fixedIn, "0.29.0");
    assert.match(rule.title, /#1330/);
    assert.deepEqual(rule.evidence, [
      'agent "kimi-0.28.0" matches /kimi/i',
      "agent version 0.28.0 (from initialize) is <= 0.28.0",
      "profile provides config.toml api_key",
      "profile has no credentials/kimi-code.json",
      "session/new failed with -32000",
    ]);
    assert.deepEqual(d.contradictions, []);
  });

  test("the #1330 rule needs the API-key source and the missing token file", () => {
    const frames = loadFrames("kimi-0.28.0-api-key");
    const both = diagnose({ frames, agent: KIMI_028, profile: { kind: "existing-home", sources: ["config.toml api_key", "credentials/kimi-code.json"] } });
    assert.deepEqual(both?.rules, []);
    const loggedOut = diagnose({ frames: loadFrames("kimi-0.28.0-logged-out"), agent: KIMI_028, profile: LOGGED_OUT });
    assert.ok(loggedOut);
    assert.deepEqual(loggedOut.rules, []);
  });

  test("no failure, no diagnosis: 2.1.0 + API key, OAuth on both builds", () => {
    assert.equal(diagnose({ frames: loadFrames("kimi-2.1.0-api-key"), agent: KIMI_210, profile: API_KEY }), undefined);
    assert.equal(diagnose({ frames: loadFrames("kimi-2.1.0-oauth"), agent: KIMI_210, profile: OAUTH }), undefined);
    assert.equal(diagnose({ frames: loadFrames("kimi-0.28.0-oauth"), agent: KIMI_028, profile: OAUTH }), undefined);
  });

  test("2.1.0 logged out: the stderr reason matches the no-provider rule, not #1330", () => {
    const frames = loadFrames("kimi-2.1.0-logged-out-no-caps");
    const d = diagnose({ frames, agent: KIMI_210, profile: LOGGED_OUT });
    assert.ok(d);
    assert.equal(d.stderrAround.length, 1);
    assert.match(d.stderrAround[0].text, /auth readiness probe failed/);
    assert.deepEqual(d.rules.map((r) => r.id), ["kimi-no-provider"]);
    assert.ok(d.rules[0].evidence.includes("stderr #5 matches /no provider configured/i"));
    assert.deepEqual(d.sources, []);
  });

  test("every failure of the authenticate log is an auth failure; failureSeq picks one", () => {
    const frames = loadFrames("kimi-2.1.0-logged-out-authenticate");
    assert.deepEqual(authFailures(frames).map((f) => `${f.method}:${f.errorCode}`), ["session/new:-32000", "authenticate:-32000", "authenticate:-32602", "session/resume:-32000", "session/new:-32000"]);
    const latest = diagnose({ frames, agent: KIMI_210, profile: LOGGED_OUT });
    assert.equal(latest?.failureSeq, 17);
    const invalid = diagnose({ frames, agent: KIMI_210, profile: LOGGED_OUT, failureSeq: 11 });
    assert.ok(invalid);
    assert.equal(invalid.method, "authenticate");
    assert.equal(invalid.code, -32602);
    assert.match(invalid.codeMeaning, /^Invalid params/);
    assert.deepEqual(invalid.errorData, { methodId: "no-such-method" });
    assert.deepEqual(invalid.rules, []);
    // Neither the unknown id (not advertised) nor "login" (terminal, answered -32000) is a contradiction.
    assert.deepEqual(invalid.contradictions, []);
  });
});

describe("diagnosis details", () => {
  function gated(opts: { message?: string; data?: unknown; version?: string } = {}): FrameLog {
    const log = new FrameLog();
    log.spawn();
    log.initialize({ agentInfo: { name: "Kimi Code CLI", version: opts.version ?? "2.1.0" } });
    log.error(log.request("session/new", {}), -32000, opts.message ?? "Authentication required", opts.data);
    return log;
  }

  test("-32000 whose message is not about authentication is only the generic server-error range", () => {
    const d = diagnose({ frames: gated({ message: "Internal server error: database locked" }).frames, agent: KIMI_210, profile: API_KEY });
    assert.match(d?.codeMeaning ?? "", /^JSON-RPC generic server error range/);
    assert.match(d?.codeMeaning ?? "", /database locked/);
  });

  test("error data is passed through (Kimi's non-spec authMethods)", () => {
    const data = { authMethods: [KIMI_LOGIN_METHOD] };
    assert.deepEqual(diagnose({ frames: gated({ data }).frames, agent: KIMI_210, profile: API_KEY })?.errorData, data);
  });

  test("stderr: ±5 frames or ±2 s, same run only", () => {
    const log = new FrameLog();
    log.spawn();
    log.initialize();
    log.stderr("early, far away");
    log.advance(3000);
    for (let i = 0; i < 6; i++) log.stderr(`near ${i}`);
    const id = log.request("session/new", {});
    log.stderr("reason: no provider configured");
    log.error(id, -32000, "Authentication required");
    log.advance(1500);
    log.stderr("1.5 s later");
    log.advance(1000);
    log.stderr("2.5 s later but 2 frames away");
    log.advance(5000);
    for (let i = 0; i < 5; i++) log.stderr(`late ${i}`);
    log.newRun("other");
    log.stderr("other run");
    const d = diagnose({ frames: log.frames, agent: KIMI_210, profile: LOGGED_OUT });
    assert.deepEqual(d?.stderrAround.map((l) => l.text), ["near 0", "near 1", "near 2", "near 3", "near 4", "near 5", "reason: no provider configured", "1.5 s later", "2.5 s later but 2 frames away", "late 0", "late 1", "late 2"]);
  });

  test("the agent version comes from initialize, else from the catalog; unknown never matches", () => {
    const noInit = new FrameLog();
    noInit.sessionNew(false);
    assert.deepEqual(diagnose({ frames: noInit.frames, agent: KIMI_028, profile: API_KEY })?.rules[0]?.evidence[1], "agent version 0.28.0 (from the catalog) is <= 0.28.0");
    assert.deepEqual(diagnose({ frames: noInit.frames, agent: { id: "kimi-custom" }, profile: API_KEY })?.rules, []);
    // initialize wins over the catalog: a user-configured "kimi" entry that is really 0.22.0.
    const d = diagnose({ frames: gated({ version: "0.22.0" }).frames, agent: { id: "my-agent", version: "2.1.0" }, profile: API_KEY });
    assert.deepEqual(d?.rules.map((r) => r.id), ["kimi-code-1330"]);
    assert.equal(d?.rules[0].evidence[0], 'agent "Kimi Code CLI" matches /kimi/i');
  });

  test("a shell KIMI_API_KEY alone is named as not a credential", () => {
    const d = diagnose({ frames: gated().frames, agent: KIMI_210, profile: { kind: "generic", sources: ["env KIMI_API_KEY"] } });
    assert.deepEqual(d?.rules.map((r) => r.id), ["kimi-shell-api-key"]);
    const withModelKey = diagnose({ frames: gated().frames, agent: KIMI_210, profile: { kind: "generic", sources: ["env KIMI_API_KEY", "env KIMI_MODEL_API_KEY"] } });
    assert.deepEqual(withModelKey?.rules, []);
  });

  test("every condition kind of a rule", () => {
    const rule = (when: KnownIssueRule["when"]): KnownIssueRule => ({ id: "r", title: "t", explanation: "e", suggestions: [], links: [], when });
    const frames = gated({ message: "Authentication required: token expired" }).frames;
    const run = (when: KnownIssueRule["when"], agent = KIMI_210): string[] | undefined => diagnose({ frames, agent, profile: OAUTH, rules: [rule(when)] })?.rules[0]?.evidence;
    assert.deepEqual(run({}), []);
    assert.deepEqual(run({ agent: { kimi: true } }), ["the catalog marks the agent as a Kimi Code build"]);
    assert.equal(run({ agent: { kimi: true } }, { id: "x", version: "1", kimi: false }), undefined);
    assert.equal(run({ agent: { name: "^claude" } }), undefined);
    assert.deepEqual(run({ profile: { kinds: ["kimi-oauth"] } }), ["profile kind kimi-oauth"]);
    assert.equal(run({ profile: { kinds: ["kimi-api-key"] } }), undefined);
    assert.equal(run({ failure: { methods: ["authenticate"] } }), undefined);
    assert.equal(run({ failure: { codes: [-32602] } }), undefined);
    assert.deepEqual(run({ failure: { message: "token expired" } }), ["error message matches /token expired/i"]);
    assert.equal(run({ failure: { message: "^quota" } }), undefined);
    assert.equal(run({ stderr: "anything" }), undefined);
    assert.equal(run({ agent: { version: { gte: "3.0.0" } } }), undefined);
  });
});

describe("contradictions", () => {
  const agentMethod = { id: "key", name: "API key" };
  const legacyMethod = { id: "tui", name: "TUI login", _meta: { "terminal-auth": { command: "agent", args: ["login"] } } };

  test("(a) authenticate succeeded but the next session/new still fails", () => {
    const log = new FrameLog();
    log.spawn();
    log.initialize({ methods: [agentMethod] });
    log.sessionNew(false);
    log.result(log.request("authenticate", { methodId: "key" }), {});
    log.sessionNew(false);
    const found = findContradictions(log.frames);
    assert.deepEqual(found.map((c) => c.id), ["authenticated-but-gated"]);
    assert.deepEqual(found[0].frameSeqs, [5, 6, 7, 8]);
    assert.match(found[0].detail, /authenticate\("key"\).*session\/new failed with -32000/);
    // ... and it reaches the diagnosis of that failure.
    assert.deepEqual(diagnose({ frames: log.frames, agent: KIMI_210, profile: API_KEY })?.contradictions.map((c) => c.id), ["authenticated-but-gated"]);

    const fine = new FrameLog();
    fine.initialize({ methods: [agentMethod] });
    fine.result(fine.request("authenticate", { methodId: "key" }), {});
    fine.sessionNew(true);
    assert.deepEqual(findContradictions(fine.frames), []);
  });

  test("(b) an advertised agent or legacy method refused with -32601/-32602", () => {
    for (const [method, code] of [[agentMethod, -32601], [agentMethod, -32602], [legacyMethod, -32602]] as const) {
      const log = new FrameLog();
      log.initialize({ methods: [method, KIMI_LOGIN_METHOD] });
      log.error(log.request("authenticate", { methodId: method.id }), code, code === -32601 ? "Method not found" : "Invalid params");
      const found = findContradictions(log.frames);
      assert.deepEqual(found.map((c) => c.id), ["advertised-method-rejected"], `${method.id} ${code}`);
      assert.deepEqual(found[0].frameSeqs, [1, 2, 3]);
    }
    // Not contradictions: an id nobody advertised, a typed terminal method (authenticate is not for it), another code.
    const log = new FrameLog();
    log.initialize({ methods: [agentMethod, KIMI_LOGIN_METHOD] });
    log.error(log.request("authenticate", { methodId: "other" }), -32602, "Invalid params");
    log.error(log.request("authenticate", { methodId: "login" }), -32602, "Invalid params");
    log.error(log.request("authenticate", { methodId: "key" }), -32000, "Authentication required");
    assert.deepEqual(findContradictions(log.frames), []);
  });

  test("(c) session/new gated while session/resume (or load) succeeds in the same process", () => {
    for (const method of ["session/resume", "session/load"]) {
      const log = new FrameLog();
      log.initialize();
      log.sessionNew(false);
      log.result(log.request(method, { sessionId: "old", cwd: "/work", mcpServers: [] }), {});
      const found = findContradictions(log.frames);
      assert.deepEqual(found.map((c) => c.id), ["new-gated-resume-not"], method);
      assert.deepEqual(found[0].frameSeqs, [2, 3, 4, 5]);
      assert.match(found[0].title, new RegExp(`but ${method} is not`));
    }
    // Different processes may see different auth states: no contradiction across runs.
    const log = new FrameLog("a");
    log.sessionNew(false);
    log.newRun("b");
    log.result(log.request("session/resume", { sessionId: "old" }), {});
    assert.deepEqual(findContradictions(log.frames), []);
  });

  test("(d) a terminal method offered without clientCapabilities.auth.terminal (recorded from Kimi 2.1.0)", () => {
    const frames = loadFrames("kimi-2.1.0-logged-out-no-caps");
    const found = findContradictions(frames);
    assert.deepEqual(found.map((c) => c.id), ["terminal-without-capability"]);
    assert.deepEqual(found[0].frameSeqs, [2, 3]);
    assert.match(found[0].detail, /"login"/);
    assert.deepEqual(diagnose({ frames, agent: KIMI_210, profile: LOGGED_OUT })?.contradictions.map((c) => c.id), ["terminal-without-capability"]);
    // With auth.terminal sent, the same advertisement is fine.
    assert.deepEqual(findContradictions(loadFrames("kimi-2.1.0-logged-out-authenticate")), []);
    // A legacy-only method is not covered by the spec's rule.
    const legacy = new FrameLog();
    legacy.initialize({ caps: {}, methods: [legacyMethod] });
    assert.deepEqual(findContradictions(legacy.frames), []);
  });

  test("(d) falls back to the relay's caps when the initialize request scrolled out", () => {
    const frames: Frame[] = loadFrames("kimi-2.1.0-logged-out-no-caps").filter((f) => f.seq !== 2);
    assert.deepEqual(findContradictions(frames), []);
    const caps: ClientCaps = { fsRead: true, fsWrite: true, terminal: true, authTerminal: false, legacyTerminalAuth: true };
    const found = findContradictions(frames, caps);
    assert.deepEqual(found.map((c) => c.id), ["terminal-without-capability"]);
    assert.deepEqual(found[0].frameSeqs, [3]);
    assert.deepEqual(findContradictions(frames, { ...caps, authTerminal: true }), []);
  });
});

describe("recorded fixtures", () => {
  const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "frames");
  const files = readdirSync(dir).filter((f) => f.endsWith(".jsonl"));

  test("are commit-ready: no profile secrets, no machine paths", () => {
    assert.ok(files.length >= 7);
    for (const file of files) {
      const text = readFileSync(path.join(dir, file), "utf8");
      for (const secret of ["sk-example-0000-fake-key-9f3a", "example-access-token-not-real-0000", "example-refresh-token-not-real-0000"]) assert.ok(!text.includes(secret), `${file} holds ${secret}`);
      assert.doesNotMatch(text, /"\/(tmp|home|root|work)\//, file);
    }
  });

  test("are shaped like lib/wire Frames, paired both ways", () => {
    for (const file of files) {
      const frames = loadFrames(file.replace(/\.jsonl$/, ""));
      frames.forEach((f, i) => {
        assert.equal(f.seq, i, file);
        assert.equal(typeof f.raw, "string");
        assert.ok(["in", "out", "sys"].includes(f.dir));
        if (f.kind === "response" || f.kind === "error") assert.equal(frames[f.pairSeq ?? -1]?.pairSeq, f.seq, `${file} #${f.seq}`);
      });
    }
  });
});
