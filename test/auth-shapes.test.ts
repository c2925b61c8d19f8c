/**
 * Issue 12 §3: every auth method shape in the wild, read from frames recorded from the real agents
 * (test/fixtures/record-third-party.ts): Codex's env_var methods, Gemini's `_meta["api-key"]` and
 * `_meta.gateway`, Qwen's `_meta.type: "terminal"`, Auggie's env in a terminal-auth descriptor,
 * Gemini's interactive prompt on stdout, Claude's prompt-time gate, one meaning of -32000, error.data
 * and exit-time stderr in every explanation, and a served session/set_model that is not a schema ✗.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { authExtensions, describeMethodClass, errorData, profileEnvNames, STDOUT_PROMPT_NOTE, stdoutPromptNote } from "../lib/auth-frames";
import { authTimeline } from "../lib/auth-timeline";
import { diagnose, findContradictions } from "../lib/diagnosis";
import { explainError } from "../lib/error-codes";
import { nextGuidedStep, rankAuthMethods } from "../lib/guided";
import { buildReport } from "../lib/report";
import { createSchemaChecker } from "../lib/schema-check";
import { settleServedMethod } from "../lib/schema-notes";
import { authMethods } from "../lib/selectors";
import { TEMPLATES } from "../lib/templates";
import { loginCommands } from "../lib/terminal-login";
import type { Frame, RunSummary } from "../lib/wire";
import { loginEnvProblem } from "../server/env-policy";
import { EnvPolicyError } from "../server/errors";
import { envVarValues, loginCommandProblem } from "../server/auth-flows";
import { initializeParams } from "../lib/templates";
import { FrameLog, loadFrames } from "./fixtures/frames";
import { type PlaygroundServer, startRun, startServer, waitUntil, WsClient } from "./fixtures/server";
import { type ThirdPartyInstall, thirdPartyOrSkip } from "./fixtures/third-party";
import { FAKE_GEMINI_KEY, FAKE_OPENAI_KEY } from "./fixtures/record-third-party";

const byId = (steps: ReturnType<typeof authTimeline>) => Object.fromEntries(steps.map((s) => [s.id, s])) as Record<string, ReturnType<typeof authTimeline>[number]>;
const LOGGED_OUT = { kind: "logged-out" as const, sources: [] };

function summary(frames: readonly Frame[], agentId: string): RunSummary {
  return {
    runId: frames[0].runId,
    agentId,
    agentLabel: agentId,
    profileId: "logged-out",
    profileName: "Logged out",
    state: "exited",
    loginAttempts: [],
    counts: { frames: frames.length, errors: 0 },
    profileKind: "logged-out",
    profileSources: [],
  } as unknown as RunSummary;
}

describe("env_var methods (Codex 0.16.0)", () => {
  const frames = loadFrames("codex-0.16.0-logged-out");
  const methods = authMethods(frames);

  test("are classified env_var with each variable, and shown as such in the timeline", () => {
    assert.deepEqual(
      methods.map((m) => `${m.id}=${m.class}`),
      ["chatgpt=agent", "codex-api-key=env_var", "openai-api-key=env_var"],
    );
    assert.deepEqual(methods[1].vars?.map((v) => v.name), ["CODEX_API_KEY"]);
    assert.deepEqual(methods[2].vars?.map((v) => v.name), ["OPENAI_API_KEY"]);
    assert.equal(describeMethodClass(methods[1]), "env_var (CODEX_API_KEY)");
    const steps = byId(authTimeline(frames));
    assert.equal(steps.initialize.facts?.["authMethod openai-api-key"], "env_var (OPENAI_API_KEY)");
    assert.match(steps.remediation.detail, /set OPENAI_API_KEY, restart, then authenticate\("openai-api-key"\)/);
  });

  test("the recorded env_var authenticate: the agent read the variable, the session was created", () => {
    const ok = byId(authTimeline(loadFrames("codex-0.16.0-env-var-authenticate")));
    assert.equal(ok.remediation.state, "ok");
    assert.match(ok.remediation.detail, /env_var method: the agent reads OPENAI_API_KEY from its own environment/);
    assert.equal(ok.retry.state, "ok");
    // The fake key never reached the recording.
    assert.ok(!JSON.stringify(loadFrames("codex-0.16.0-env-var-authenticate")).includes(FAKE_OPENAI_KEY));
  });

  test("values come from the typed form or the profile, and every name passes the env policy", () => {
    const [, codexKey] = methods;
    assert.deepEqual(envVarValues(codexKey, { CODEX_API_KEY: "sk-typed" }, {}), { CODEX_API_KEY: "sk-typed" });
    assert.deepEqual(envVarValues(codexKey, {}, { CODEX_API_KEY: "sk-profile", PATH: "/bin" }), { CODEX_API_KEY: "sk-profile" });
    assert.throws(() => envVarValues(codexKey, {}, {}), /No value for CODEX_API_KEY/);
    // A typed name the method does not ask for is refused, so the form cannot set anything else.
    assert.throws(() => envVarValues(codexKey, { CODEX_API_KEY: "k", NODE_OPTIONS: "--import=/tmp/x.mjs" }, {}), EnvPolicyError);
    // An agent that advertises NODE_OPTIONS (or LD_PRELOAD, HOME) as an env_var is refused by name.
    for (const name of ["NODE_OPTIONS", "LD_PRELOAD", "HOME", "PATH", "BASH_ENV"]) {
      const evil = { ...codexKey, id: "evil", vars: [{ name, secret: true }] };
      assert.throws(
        () => envVarValues(evil, { [name]: "x" }, {}),
        (e: unknown) => e instanceof EnvPolicyError && e.subject === name,
        name,
      );
    }
  });

  test("Codex's refusal when the variable is missing: error.data is shown in the timeline, the diagnosis and the report", () => {
    const missing = loadFrames("codex-0.16.0-env-var-missing");
    const steps = byId(authTimeline(missing));
    assert.match(steps.remediation.detail, /-32603 Internal error \(error\.data: "CODEX_API_KEY is not set"\)/);
    const auth = missing.find((f) => f.kind === "error" && f.method === "authenticate") as Frame;
    const d = diagnose({ frames: missing, agent: { id: "codex" }, profile: LOGGED_OUT, failureSeq: auth.seq });
    assert.equal(d?.errorData, "CODEX_API_KEY is not set");
    assert.deepEqual(d?.rules.map((r) => r.id), ["codex-env-var-unset"]);
    const report = buildReport({ environment: { os: "linux", serverNode: "v20", playground: "test" }, run: summary(missing, "codex"), frames: missing, redact: (t) => t });
    assert.match(report, /error\.data: `"CODEX_API_KEY is not set"`/);
  });
});

describe("Guided and Auto prefer what completes offline", () => {
  test("Codex: env_var from the profile beats the ChatGPT browser login; without it, a typed value still does", () => {
    const methods = authMethods(loadFrames("codex-0.16.0-logged-out"));
    const withKey = rankAuthMethods(methods, ["OPENAI_API_KEY"]);
    assert.equal(withKey[0].method.id, "openai-api-key");
    assert.equal(withKey[0].how, "env_var");
    assert.equal(withKey[0].offline, true);
    assert.equal(withKey.at(-1)?.method.id, "chatgpt");
    const typed = rankAuthMethods(methods, []);
    assert.equal(typed[0].how, "env_var-typed");
    assert.equal(typed.at(-1)?.method.id, "chatgpt");
    const frames = loadFrames("codex-0.16.0-logged-out");
    const guided = nextGuidedStep(authTimeline(frames), methods, true, profileEnvNames(["env OPENAI_API_KEY", "config.toml api_key"]));
    assert.deepEqual(guided.action, { kind: "env_var", methodId: "openai-api-key", vars: ["OPENAI_API_KEY"], needsInput: false });
    assert.equal(nextGuidedStep(authTimeline(frames), methods, true, []).action.kind, "env_var");
  });

  test("Gemini: a profile GEMINI_API_KEY goes into _meta[\"api-key\"] before oauth-personal", () => {
    const methods = authMethods(loadFrames("gemini-0.61.0-logged-out"));
    const ranked = rankAuthMethods(methods, ["GEMINI_API_KEY"]);
    assert.equal(ranked[0].method.id, "gemini-api-key");
    assert.equal(ranked[0].how, "api_key");
    const guided = nextGuidedStep(authTimeline(loadFrames("gemini-0.61.0-logged-out")), methods, true, ["GEMINI_API_KEY"]);
    assert.deepEqual(guided.action, { kind: "api_key", methodId: "gemini-api-key", fromVar: "GEMINI_API_KEY" });
  });

  test("Qwen: the method that asks for OPENAI_API_KEY authenticates offline when the profile sets it", () => {
    const methods = authMethods(loadFrames("qwen-0.24.4-logged-out"));
    assert.equal(rankAuthMethods(methods, ["OPENAI_API_KEY"])[0].how, "authenticate-key");
    // Without it, the method is a terminal login (Qwen's _meta.type extension), not a blind authenticate.
    assert.equal(rankAuthMethods(methods, [])[0].how, "terminal");
  });
});

describe("agent-specific extensions, each labelled as that agent's", () => {
  test("Gemini: _meta[\"api-key\"] and _meta.gateway", () => {
    const methods = authMethods(loadFrames("gemini-0.61.0-logged-out"));
    const key = authExtensions(methods.find((m) => m.id === "gemini-api-key") as (typeof methods)[number]);
    assert.deepEqual(key.map((e) => [e.kind, e.agent]), [["api-key-meta", "Gemini CLI"]]);
    assert.match(key[0].detail, /Gemini CLI's extension, not the ACP spec/);
    const gateway = authExtensions(methods.find((m) => m.id === "gateway") as (typeof methods)[number]);
    assert.deepEqual(gateway.map((e) => [e.kind, e.agent]), [["gateway-meta", "Gemini CLI"]]);
    assert.deepEqual(authExtensions(methods.find((m) => m.id === "oauth-personal") as (typeof methods)[number]), []);
    const init = byId(authTimeline(loadFrames("gemini-0.61.0-logged-out"))).initialize;
    assert.match(init.facts?.["authMethod gemini-api-key"] ?? "", /Gemini CLI's extension: authenticate carries the key in _meta\["api-key"\]/);
  });

  test("Gemini: the recorded authenticate with _meta[\"api-key\"] succeeded, and the key is redacted in the frame", () => {
    const frames = loadFrames("gemini-0.61.0-api-key-meta");
    const auth = frames.find((f) => f.dir === "out" && f.method === "authenticate") as Frame;
    assert.match(auth.raw, /"_meta":\{"api-key":"‹redacted›"\}/);
    assert.ok(!JSON.stringify(frames).includes(FAKE_GEMINI_KEY));
    const steps = byId(authTimeline(frames));
    assert.match(steps.remediation.detail, /with _meta\["api-key"\], Gemini CLI's extension/);
    assert.equal(steps.retry.state, "ok");
  });

  test("Qwen: an untyped method with _meta.type terminal + args is a terminal login of the agent's own command", () => {
    const frames = loadFrames("qwen-0.24.4-logged-out");
    const [openai] = authMethods(frames);
    assert.equal(openai.class, "agent"); // what the spec says an untyped method is
    const [ext] = authExtensions(openai);
    assert.equal(ext.kind, "meta-terminal");
    assert.equal(ext.agent, "Qwen Code");
    assert.deepEqual(ext.args, ["--auth-type=openai"]);
    const agentArgv = ["/opt/node22/bin/node", "/opt/qwen/cli-entry.js", "--acp"];
    const commands = loginCommands(openai, agentArgv);
    assert.deepEqual(commands.spec?.argv, [...agentArgv, "--auth-type=openai"]);
    assert.equal(commands.legacy, undefined);
    // Through the issue-11 check: the agent's own command line plus args passes...
    const spawn = { file: agentArgv[0], args: agentArgv.slice(1), cwd: process.cwd(), env: { PATH: "/usr/bin" } };
    assert.equal(loginCommandProblem(commands.spec as NonNullable<typeof commands.spec>, spawn), undefined);
    // ...and an env in the extension that the policy refuses stops it.
    const evil = loginCommands({ ...openai, meta: { type: "terminal", args: [], env: { NODE_OPTIONS: "--require /tmp/x.js" } } }, agentArgv);
    assert.match(loginCommandProblem(evil.spec as NonNullable<typeof evil.spec>, spawn) ?? "", /NODE_OPTIONS/);
    // The session/new refusal carries the methods in error.data, shown in the timeline facts.
    assert.match(byId(authTimeline(frames)).session.facts?.["error.data"] ?? "", /"authMethods"/);
  });

  test("Auggie: the env inside the _meta[\"terminal-auth\"] descriptor is shown and passes the env policy", () => {
    const [login] = authMethods(loadFrames("auggie-0.36.0-logged-out"));
    assert.equal(login.class, "legacy-terminal");
    const [ext] = authExtensions(login);
    assert.equal(ext.kind, "terminal-auth-env");
    assert.equal(ext.agent, "Auggie");
    assert.deepEqual(Object.keys(ext.env ?? {}), ["AUGMENT_DISABLE_AUTO_UPDATE", "AUGMENT_LOGIN_FAST_EXIT"]);
    const commands = loginCommands(login, ["/opt/node22/bin/node", "/opt/auggie/augment.mjs", "--acp"]);
    assert.deepEqual(commands.legacy?.env, { AUGMENT_DISABLE_AUTO_UPDATE: "1", AUGMENT_LOGIN_FAST_EXIT: "1" });
    assert.equal(loginEnvProblem(commands.legacy?.env ?? {}, {}), undefined);
    assert.match(loginEnvProblem({ ...commands.legacy?.env, NODE_OPTIONS: "--import=x" }, {}) ?? "", /NODE_OPTIONS/);
  });
});

describe("an interactive prompt on stdout (Gemini's oauth-personal)", () => {
  const frames = loadFrames("gemini-0.61.0-oauth-stdout");

  test("is flagged on the non-JSON frames, in the timeline and in the diagnosis", () => {
    const flagged = frames.filter((f) => f.kind === "malformed" && stdoutPromptNote(f.raw) !== undefined).map((f) => f.seq);
    assert.deepEqual(flagged, [5, 13]);
    assert.equal(STDOUT_PROMPT_NOTE, "the agent printed an interactive prompt on stdout; ACP reserves stdout for JSON-RPC — it is waiting for input the client cannot give");
    const steps = byId(authTimeline(frames));
    assert.match(steps.remediation.detail, /Protocol breach: the agent printed an interactive prompt on stdout/);
    assert.ok(steps.remediation.frameSeqs.includes(13));
    const breach = findContradictions(frames).find((c) => c.id === "stdout-prompt");
    assert.ok(breach);
    assert.deepEqual(breach.frameSeqs, [5, 13]);
    // A JSON line or plain log output is not a prompt.
    assert.equal(stdoutPromptNote('{"jsonrpc":"2.0"}'), undefined);
    assert.equal(stdoutPromptNote("Loaded 3 extensions"), undefined);
  });
});

describe("a created session is not proof of authentication (Claude 0.23.1)", () => {
  const frames = loadFrames("claude-0.23.1-prompt-gated");
  const promptError = frames.find((f) => f.kind === "error" && f.method === "session/prompt") as Frame;

  test("the timeline fails the session step on the prompt-time -32000", () => {
    const steps = byId(authTimeline(frames));
    assert.equal(steps.session.state, "failed");
    assert.match(steps.session.detail, /session\/prompt was then refused with -32000 Authentication required: this agent checks auth at prompt time, so a created session was no proof of authentication/);
    assert.ok(steps.session.frameSeqs.includes(promptError.seq));
    assert.match(steps.remediation.detail, /the terminal login "claude-login"/);
  });

  test("Guided says a created session is not yet proof", () => {
    const noCaps = loadFrames("claude-0.23.1-no-caps");
    const guided = nextGuidedStep(authTimeline(noCaps), authMethods(noCaps), true);
    assert.equal(guided.label, "Session created");
    assert.match(guided.explain, /not yet proof of authentication/);
    assert.match(byId(authTimeline(noCaps)).session.detail, /not yet proof of authentication/);
  });

  test('"Why -32000?" on the prompt error diagnoses it', () => {
    const d = diagnose({ frames, agent: { id: "claude" }, profile: LOGGED_OUT, failureSeq: promptError.seq });
    assert.ok(d, "a diagnosis, not an empty panel");
    assert.equal(d.method, "session/prompt");
    assert.equal(d.failureSeq, promptError.seq);
    assert.match(d.codeMeaning, /^ACP auth_required/);
    assert.match(d.codeMeaning, /Refused at prompt time/);
    assert.ok(d.contradictions.some((c) => c.id === "session-created-prompt-gated"));
    assert.deepEqual(d.rules.map((r) => r.id), ["claude-prompt-gate"]);
    assert.ok(d.stderrAround.some((l) => /code: -32000, message: 'Authentication required'/.test(l.text)));
    // Without a seq it is the latest auth failure too.
    assert.equal(diagnose({ frames, agent: { id: "claude" }, profile: LOGGED_OUT })?.failureSeq, promptError.seq);
  });
});

describe("one meaning of -32000", () => {
  test("Gemini's 'API key is missing': chip, timeline, diagnosis and report agree", () => {
    const frames = loadFrames("gemini-0.61.0-logged-out");
    const err = frames.find((f) => f.kind === "error") as Frame;
    const chip = explainError({ code: -32000, message: err.errorMessage, data: errorData(err), method: err.method });
    assert.equal(chip.authRequired, true);
    assert.equal(chip.name, "Authentication required");
    const steps = byId(authTimeline(frames));
    assert.equal(steps.session.facts?.codeName, chip.name);
    assert.match(steps.session.detail, /ACP auth_required/);
    const d = diagnose({ frames, agent: { id: "gemini" }, profile: LOGGED_OUT });
    assert.ok(d);
    assert.ok(d.codeMeaning.startsWith(chip.meaning));
    assert.doesNotMatch(d.codeMeaning, /implementation-defined/);
    assert.deepEqual(d.rules.map((r) => r.id), ["gemini-api-key-missing"]);
    const report = buildReport({ environment: { os: "linux", serverNode: "v20", playground: "test" }, run: summary(frames, "gemini"), frames, redact: (t) => t });
    assert.doesNotMatch(report, /implementation-defined|Server error/);
    assert.match(report, /-32000 Authentication required/);
  });

  test("a -32000 that speaks of something else is read as a server error, by every view alike", () => {
    const e = explainError({ code: -32000, message: "Internal server error: database locked", method: "session/new" });
    assert.equal(e.authRequired, false);
    assert.equal(e.name, "Server error");
    // The bare ACP wording and an empty message are auth_required: ACP reserves the code.
    assert.equal(explainError({ code: -32000, message: "Authentication required" }).authRequired, true);
    assert.equal(explainError({ code: -32000, message: "" }).authRequired, true);
  });

  test("stderr that arrives only at exit is part of the diagnosis (Gemini flushes it when stopped)", () => {
    const frames = loadFrames("gemini-0.61.0-logged-out");
    const d = diagnose({ frames, agent: { id: "gemini" }, profile: LOGGED_OUT });
    const exit = frames.find((f) => f.kind === "lifecycle" && f.lifecycle?.event === "exited") as Frame;
    const late = d?.stderrAround.filter((l) => l.seq > (d?.failureSeq ?? 0) + 5) ?? [];
    assert.ok(late.some((l) => /message: 'Gemini API key is missing or not configured\.'/.test(l.text)), JSON.stringify(d?.stderrAround));
    assert.ok(late.every((l) => l.seq < exit.seq));
  });

  test("stderr flushed long after the failure, at exit, is included; after the exit it is not", () => {
    const log = new FrameLog();
    log.spawn();
    log.initialize();
    log.error(log.request("session/new", {}), -32000, "Gemini API key is missing or not configured.");
    log.advance(8000);
    for (let i = 0; i < 8; i++) log.stderr(`flushed at exit ${i}`);
    log.lifecycle({ event: "exited", pid: 4242, code: 1, signal: null });
    log.stderr("after the exit");
    const d = diagnose({ frames: log.frames, agent: { id: "gemini" }, profile: LOGGED_OUT });
    assert.deepEqual(d?.stderrAround.map((l) => l.text), Array.from({ length: 8 }, (_, i) => `flushed at exit ${i}`));
  });
});

describe("session/set_model is served, not a schema violation", () => {
  test("Claude answered set_model: the request's 'not in the schema' becomes info, not ✗", () => {
    const frames = loadFrames("claude-0.23.1-prompt-gated").map((f) => ({ ...f }));
    const check = createSchemaChecker();
    const request = frames.find((f) => f.dir === "out" && f.method === "session/set_model") as Frame;
    const answer = frames.find((f) => f.seq === request.pairSeq) as Frame;
    request.violations = check(request, {});
    assert.equal(request.violations.length, 1, "flagged when sent: no answer yet");
    settleServedMethod(request, answer);
    assert.equal(request.violations, undefined);
    assert.match(request.schemaNotes?.[0].message ?? "", /not in the stable ACP v1 schema, but the agent served it/);
  });

  test("an unlisted method the agent refused stays a violation", () => {
    const check = createSchemaChecker();
    const request = { seq: 1, runId: "r", t: 0, wall: 0, dir: "out", kind: "request", raw: '{"jsonrpc":"2.0","id":1,"method":"session/set_model","params":{}}', bytes: 10, method: "session/set_model" } as Frame;
    request.violations = check(request, {});
    settleServedMethod(request, { ...request, seq: 2, dir: "in", kind: "error", errorCode: -32601 } as Frame);
    assert.equal(request.violations?.length, 1);
    assert.equal(request.schemaNotes, undefined);
  });

  test("the model picker's template is not called Kimi's legacy method", () => {
    const t = TEMPLATES.find((x) => x.method === "session/set_model");
    assert.ok(t);
    assert.doesNotMatch(t.description, /Kimi's legacy/);
    assert.match(t.description, /Claude, Gemini, Qwen/);
  });
});

// ── end to end: the env_var form's command against the real codex-acp ─────────────────────────

const tp = await thirdPartyOrSkip();

describe("issue 12 §3: auth flows against the real codex-acp 0.16.0 and Gemini CLI 0.61.0", { skip: tp.skip }, () => {
  const TYPED = "sk-e2e-typed-codex-key-5f0c9a";
  let fakeHome: string;
  let server: PlaygroundServer;
  let client: WsClient;

  before(async () => {
    // The server user's HOME is a throwaway too: nothing here may touch a real one.
    fakeHome = mkdtempSync(path.join(os.tmpdir(), "acp-auth-shapes-home-"));
    const install = tp.install as ThirdPartyInstall;
    server = await startServer({ agents: [install.byId.codex, install.byId.gemini], env: { HOME: fakeHome, NEXT_TELEMETRY_DISABLED: "1" }, readyTimeoutMs: 120_000 });
    client = await WsClient.connect(server, { keepRaw: true });
  });

  after(async () => {
    await client?.close();
    await server?.stop();
    rmSync(fakeHome, { recursive: true, force: true });
  });

  const answerOf = async (runId: string, method: string, timeoutMs = 60_000): Promise<Frame> => {
    await waitUntil(`${method} answer in ${runId}`, () => client.framesOf(runId).some((f) => f.dir === "in" && f.method === method && (f.kind === "response" || f.kind === "error")), timeoutMs, 100);
    return client.framesOf(runId).filter((f) => f.dir === "in" && f.method === method && (f.kind === "response" || f.kind === "error")).at(-1) as Frame;
  };

  test("typed CODEX_API_KEY → restart with it set → authenticate → session created; the value never comes back", { timeout: 300_000 }, async () => {
    const a = await startRun(client, "codex", "logged-out");
    client.send({ type: "request", method: "initialize", params: initializeParams({ fsRead: true, fsWrite: true, terminal: true, authTerminal: true, legacyTerminalAuth: true }) });
    await answerOf(a.runId, "initialize");
    client.send({ type: "request", method: "session/new", params: { cwd: os.tmpdir(), mcpServers: [] } });
    assert.equal((await answerOf(a.runId, "session/new")).errorCode, -32000);

    // An agent-named variable the method does not ask for is refused before anything restarts.
    client.send({ type: "auth_env_start", methodId: "codex-api-key", values: { CODEX_API_KEY: TYPED, NODE_OPTIONS: "--import=/tmp/x.mjs" } });
    await client.waitFor("the refusal", (e) => (e.type === "notice" && /does not ask for NODE_OPTIONS/.test(e.message) ? e : undefined), 15_000);

    const flowEnds = () => client.events.filter((e): e is Extract<typeof e, { type: "flow" }> => e.type === "flow" && e.mode === "env_var" && e.state !== "running");
    const refused = flowEnds();
    assert.equal(refused.at(-1)?.state, "failed", "the refusal shows as a failed env_var flow");
    client.send({ type: "auth_env_start", methodId: "codex-api-key", values: { CODEX_API_KEY: TYPED } });
    await waitUntil("the env_var flow's end", () => flowEnds().length > refused.length, 180_000, 100);
    const done = flowEnds().at(-1) as Extract<(typeof client.events)[number], { type: "flow" }>;
    assert.equal(done.state, "done", done.message);
    const b = await client.waitForRun("the restarted run", (r) => r.runId !== a.runId && r.agentId === "codex" && r.homeFrom === a.runId);
    const auth = await answerOf(b.runId, "authenticate");
    assert.equal(auth.kind, "response", auth.raw);
    const session = await answerOf(b.runId, "session/new");
    assert.equal(session.kind, "response", session.raw);
    // The value went into the agent's env only: no frame, run summary or notice carries it.
    assert.ok(client.rawMessages.length > 0);
    for (const m of client.rawMessages) assert.ok(!m.includes(TYPED), "the typed value came back over the WebSocket");
  });

  const CAPS = { fsRead: true, fsWrite: true, terminal: true, authTerminal: true, legacyTerminalAuth: true };
  const flowEnd = async (mode: string, after: number, timeoutMs = 180_000) => {
    const ends = () => client.events.filter((e): e is Extract<typeof e, { type: "flow" }> => e.type === "flow" && e.mode === mode && e.state !== "running");
    await waitUntil(`the ${mode} flow's end`, () => ends().length > after, timeoutMs, 100);
    return ends().at(-1) as Extract<(typeof client.events)[number], { type: "flow" }>;
  };
  const flowCount = (mode: string) => client.events.filter((e) => e.type === "flow" && e.mode === mode && e.state !== "running").length;

  test("Auto prefers the env_var method the profile can fill over Codex's ChatGPT browser login", { timeout: 300_000 }, async () => {
    client.send({ type: "profile_save", draft: { name: "Codex env key", kind: "generic", fields: { env: `OPENAI_API_KEY=${TYPED}-profile` } } } as never);
    const profileId = await client.waitFor("the profile", (e) => (e.type === "profiles" ? e.profiles.find((p) => p.name === "Codex env key")?.id : undefined), 10_000);
    client.send({ type: "profile_select", profileId });
    await client.waitFor("active profile", (e) => (e.type === "profiles" && e.activeProfileId === profileId ? e : undefined), 10_000);
    const n = flowCount("auto");
    client.send({ type: "flow", mode: "auto", agentId: "codex", caps: CAPS });
    const auto = await flowEnd("auto", n, 240_000);
    assert.equal(auto.state, "done", auto.message);
    assert.match(auto.message, /authenticate "openai-api-key" succeeded/);
    assert.ok(client.events.some((e) => e.type === "flow" && e.mode === "auto" && /restarting the agent with OPENAI_API_KEY set \(from the profile\)/.test(e.message)));
    assert.ok(!client.events.some((e) => e.type === "frames" && e.frames.some((f) => f.dir === "out" && f.method === "authenticate" && f.raw.includes('"chatgpt"'))), "never tried the browser login");
    for (const m of client.rawMessages) assert.ok(!m.includes(`${TYPED}-profile`), "the profile's value came back over the WebSocket");
    client.send({ type: "profile_select", profileId: "logged-out" });
    await client.waitFor("logged-out active", (e) => (e.type === "profiles" && e.activeProfileId === "logged-out" ? e : undefined), 10_000);
  });

  test("Gemini: a typed key goes into authenticate's _meta[\"api-key\"], redacted in the frame; oauth-personal's stdout prompt is flagged", { timeout: 300_000 }, async () => {
    const KEY = "fake-e2e-gemini-key-93b1";
    const a = await startRun(client, "gemini", "logged-out");
    client.send({ type: "request", method: "initialize", params: initializeParams(CAPS) });
    await answerOf(a.runId, "initialize", 90_000);
    const n = flowCount("api_key");
    client.send({ type: "auth_key_start", methodId: "gemini-api-key", apiKey: KEY });
    const done = await flowEnd("api_key", n);
    assert.equal(done.state, "done", done.message);
    const sent = client.framesOf(a.runId).find((f) => f.dir === "out" && f.method === "authenticate") as Frame;
    assert.match(sent.raw, /"_meta":\{"api-key":"‹redacted›"\}/);
    for (const m of client.rawMessages) assert.ok(!m.includes(KEY), "the typed key came back over the WebSocket");

    // oauth-personal prints its prompt on stdout and waits: the relay names the breach on the frame.
    const b = await startRun(client, "gemini", "logged-out");
    client.send({ type: "request", method: "initialize", params: initializeParams(CAPS) });
    await answerOf(b.runId, "initialize", 90_000);
    client.send({ type: "request", method: "authenticate", params: { methodId: "oauth-personal" } });
    const prompt = await client.waitForFrame("the stdout prompt", (f) => f.kind === "malformed" && (f.note ?? "").includes("interactive prompt on stdout"), b.runId, 60_000);
    assert.match(prompt.note ?? "", /ACP reserves stdout for JSON-RPC — it is waiting for input the client cannot give/);
    client.send({ type: "kill" });
  });
});
