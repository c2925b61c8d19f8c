/**
 * ACP v2 next to v1 (issue 15 §1): the composer's templates cover every client→agent method of
 * each version's schema, `initialize` takes v2's shape from the same toggles, the agent's answer
 * decides the version everything after speaks, v2 auth methods read like v1's, the schema check
 * follows the negotiated version, and Guided, Auto and Probe send `auth/login` in v2 while obeying
 * the client-side MUSTs (no login request for a terminal method or an empty authMethods). The
 * live parts run the conformance helper's reference agent (agents/reference/), which answers v1 or
 * v2 as initialize asks, through the relay's own Run. Then the rest of the surface in v2: Auto's
 * terminal login (answered in the pty), the advertisement diff and the matrix over the wire, the
 * Session panel's controls against v2's schema, and the timeline's v2 initialize facts.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { SessionPanel } from "../components/SessionPanel";
import { authTimeline } from "../lib/auth-timeline";
import { nextGuidedStep } from "../lib/guided";
import { Redactor } from "../lib/redact";
import { advDiffRows } from "../lib/run-scope";
import { clientToAgentMethods, createSchemaChecker } from "../lib/schema-check";
import { authMethods, cancellable, classifyAuthMethod, protocolState } from "../lib/selectors";
import type { SessionFacts } from "../lib/session-state";
import { adaptRequest, CLIENT_INFO, initializeParams, methodUnavailable, renderTemplate, templatesFor } from "../lib/templates";
import { authVerbs, ProtocolTracker, type ProtocolVersion } from "../lib/version";
import { type ClientCaps, type Direction, type Frame, type FrameKind, parseClientCommand, type ServerEvent } from "../lib/wire";
import { type AuthHost, AuthFlows } from "../server/auth-flows";
import { REFERENCE_AGENT, type CatalogEntry } from "../server/catalog";
import { Logger } from "../server/logger";
import { probe } from "../server/probe";
import type { Run } from "../server/run";
import { bundledNode } from "../server/runtime";
import { runScriptCli } from "./fixtures/cli";
import { FrameLog } from "./fixtures/frames";
import { RunHarness } from "./fixtures/run-harness";
import { startServer, WsClient } from "./fixtures/server";

const CAPS: ClientCaps = { fsRead: false, fsWrite: false, terminal: false, authTerminal: true, legacyTerminalAuth: false };
const NO_TERMINAL: ClientCaps = { ...CAPS, authTerminal: false };
const VERSIONS: ProtocolVersion[] = [1, 2];

let seq = 0;
function frame(dir: Direction, kind: FrameKind, message: unknown, extra: Partial<Frame> = {}): Frame {
  const raw = JSON.stringify(message);
  return { seq: seq++, runId: "t", t: 0, wall: 0, dir, kind, raw, bytes: Buffer.byteLength(raw), ...extra };
}
const out = (method: string, params: unknown, kind: "request" | "notification" = "request"): Frame =>
  frame("out", kind, kind === "request" ? { jsonrpc: "2.0", id: 1, method, params } : { jsonrpc: "2.0", method, params }, { method, id: kind === "request" ? "n:1" : undefined });

describe("templates per protocol version", () => {
  test("every client→agent method of each version's schema (stable + unstable) has a template, and each template validates against that schema", () => {
    const check = createSchemaChecker({ unstable: true });
    for (const version of VERSIONS) {
      const methods = clientToAgentMethods(version, true);
      // Sanity on the enumeration itself: the schema's own signature methods of each version are there.
      assert.ok(methods.some((m) => m.method === (version === 2 ? "auth/login" : "authenticate")), `v${version} enumerates its login method`);
      const templates = templatesFor(version);
      for (const m of methods) {
        assert.ok(templates.some((t) => t.method === m.method && t.kind === m.kind), `v${version}: no template for ${m.kind} ${m.method}`);
      }
      const ctx = { cwd: "/work", caps: CAPS, nextId: 3, sessionId: "s-1" };
      for (const t of templates) {
        if (t.status === "legacy") continue; // in no schema by definition (session/set_model)
        assert.ok(methods.some((m) => m.method === t.method), `v${version} offers ${t.method}, which its schema does not have`);
        const violations = check(out(t.method, JSON.parse(renderTemplate(t, ctx)).params, t.kind), { protocolVersion: version });
        assert.deepEqual(violations, [], `v${version} template ${t.method}: ${JSON.stringify(violations)}`);
      }
    }
    // The renames: each version offers only its own login/logout names.
    const v2 = templatesFor(2).map((t) => t.method);
    assert.ok(!v2.includes("authenticate") && !v2.includes("logout") && v2.includes("tool_call/cancel") && v2.includes("terminal/cancel"));
    assert.ok(!templatesFor(1).some((t) => t.method === "auth/login" || t.method === "tool_call/cancel"));
  });

  test("panels' v1-built requests go out in the negotiated version's shape", () => {
    assert.deepEqual(adaptRequest("authenticate", { methodId: "m" }, 2), { method: "auth/login", params: { methodId: "m" } });
    assert.deepEqual(adaptRequest("logout", {}, 2), { method: "auth/logout", params: {} });
    assert.deepEqual(adaptRequest("session/set_config_option", { sessionId: "s", configId: "model", value: "fast" }, 2).params, { sessionId: "s", configId: "model", value: "fast", type: "id" });
    assert.deepEqual(adaptRequest("authenticate", { methodId: "m" }, 1), { method: "authenticate", params: { methodId: "m" } });
    const check = createSchemaChecker();
    const { method, params } = adaptRequest("session/set_config_option", { sessionId: "s", configId: "model", value: "fast" }, 2);
    assert.deepEqual(check(out(method, params), { protocolVersion: 2 }), []);
  });

  test("initialize takes v2's shape (info, capabilities) from the same toggles; v1's is unchanged", () => {
    const caps: ClientCaps = { fsRead: true, fsWrite: false, terminal: true, authTerminal: true, legacyTerminalAuth: true };
    assert.deepEqual(initializeParams(caps, 2), { protocolVersion: 2, info: CLIENT_INFO, capabilities: { auth: { terminal: {} }, _meta: { "terminal-auth": true } } });
    assert.deepEqual(initializeParams({ ...caps, authTerminal: false, legacyTerminalAuth: false }, 2), { protocolVersion: 2, info: CLIENT_INFO, capabilities: {} });
    assert.deepEqual(initializeParams(caps), {
      protocolVersion: 1,
      clientInfo: CLIENT_INFO,
      clientCapabilities: { fs: { readTextFile: true, writeTextFile: false }, terminal: true, auth: { terminal: true }, _meta: { "terminal-auth": true } },
    });
    const check = createSchemaChecker();
    assert.deepEqual(check(out("initialize", initializeParams(caps, 2)), { protocolVersion: 2 }), []);
    // v1's shape is not a v2 initialize: `info` is required there.
    assert.ok(check(out("initialize", initializeParams(caps, 1)), { protocolVersion: 2 }).some((v) => v.path === "/params/info"));
  });
});

describe("version negotiation", () => {
  test("the agent's answer decides; an unanswered or unsupported answer keeps the requested version", () => {
    const run = (requested: number, answer?: number): ReturnType<typeof protocolState> => {
      const log = new FrameLog();
      const id = log.request("initialize", { protocolVersion: requested });
      if (answer !== undefined) log.result(id, { protocolVersion: answer });
      return protocolState(log.frames);
    };
    assert.deepEqual(protocolState([]), { speaking: 1 });
    assert.deepEqual(run(2, 2), { requested: 2, negotiated: 2, speaking: 2 });
    assert.deepEqual(run(2, 1), { requested: 2, negotiated: 1, speaking: 1 });
    assert.deepEqual(run(2), { requested: 2, negotiated: undefined, speaking: 2 });
    assert.deepEqual(run(2, 7), { requested: 2, negotiated: 7, speaking: 2 });
    // The page's Probe/Auto carry the choice to the relay; anything but 1 or 2 is refused there.
    const flow = (protocolVersion: unknown) => parseClientCommand(JSON.stringify({ type: "flow", mode: "auto", agentId: "a", caps: CAPS, protocolVersion }));
    assert.deepEqual(flow(2), { ok: true, command: { type: "flow", mode: "auto", agentId: "a", cwd: undefined, caps: CAPS, protocolVersion: 2 } });
    assert.equal(flow(3).ok, false);
    assert.deepEqual(authVerbs(2), { login: "auth/login", logout: "auth/logout" });
    assert.deepEqual(authVerbs(1), { login: "authenticate", logout: "logout" });
  });

  test("the relay's tracker: v1 before initialize, the request's version for it, the answer's after", () => {
    const t = new ProtocolTracker();
    assert.equal(t.versionOf("in", "stderr", undefined, undefined), 1);
    assert.equal(t.versionOf("out", "request", "initialize", { params: { protocolVersion: 2 } }), 2);
    assert.equal(t.versionOf("in", "response", "initialize", { result: { protocolVersion: 1 } }), 1);
    assert.equal(t.versionOf("out", "request", "session/new", {}), 1);
    assert.equal(t.versionOf("out", "request", "initialize", { params: { protocolVersion: 2 } }), 2);
    assert.equal(t.versionOf("in", "error", "initialize", { error: { code: -32600 } }), 2);
    assert.equal(t.versionOf("in", "response", "initialize", { result: { protocolVersion: 2 } }), 2);
    assert.equal(t.current, 2);
  });
});

describe("v2 auth methods", () => {
  test("{type, methodId, name, …} parse alongside v1's shapes", () => {
    assert.deepEqual(
      [classifyAuthMethod({ type: "agent", methodId: "login", name: "Log in" })].map((m) => [m?.id, m?.class, m?.shape, m?.type]),
      [["login", "agent", "v2", "agent"]],
    );
    const terminal = classifyAuthMethod({ type: "terminal", methodId: "tui", name: "TUI", args: ["--login"], env: [{ name: "MODE", value: "tui" }, { name: "X", value: "1" }] });
    assert.equal(terminal?.class, "terminal");
    assert.deepEqual(terminal?.args, ["--login"]);
    assert.deepEqual(terminal?.env, { MODE: "tui", X: "1" });
    // "other": an unknown type is kept as sent and never treated as an agent method.
    const other = classifyAuthMethod({ type: "_vendor_sso", methodId: "sso", name: "SSO", extra: 1 });
    assert.deepEqual([other?.id, other?.class, other?.type], ["sso", "unknown", "_vendor_sso"]);
    // v2 requires `type`; without it the method is not guessed to be an agent method.
    assert.equal(classifyAuthMethod({ methodId: "x", name: "X" })?.class, "unknown");
    // v1 is unchanged: no type means agent, env is a map.
    const v1 = classifyAuthMethod({ id: "login", name: "Login", type: "terminal", env: { A: "b" } });
    assert.deepEqual([v1?.id, v1?.class, v1?.shape, v1?.env], ["login", "terminal", "v1", { A: "b" }]);
    assert.equal(classifyAuthMethod({ id: "key", name: "Key" })?.class, "agent");
  });
});

describe("schema check follows the negotiated version", () => {
  const check = createSchemaChecker();
  test("auth/login is v2, authenticate v1: each checked against its version's schema, the other named", () => {
    assert.deepEqual(check(out("auth/login", { methodId: "m" }), { protocolVersion: 2 }), []);
    assert.deepEqual(check(out("authenticate", { methodId: "m" }), { protocolVersion: 1 }), []);
    const v1 = check(out("auth/login", { methodId: "m" }), { protocolVersion: 1 });
    assert.equal(v1.length, 1);
    assert.match(v1[0].message, /auth\/login is an ACP v2 method, but this connection speaks v1 \(v1 uses authenticate\)/);
    assert.match(check(out("authenticate", { methodId: "m" }), { protocolVersion: 2 })[0].message, /\(v2 uses auth\/login\)/);
    // Without a version the checker stays on v1, as before v2 existed.
    assert.equal(check(out("auth/login", { methodId: "m" }), {}).length, 1);
  });

  test("a v2 initialize answer is checked against v2's InitializeResponse", () => {
    const answer = (result: unknown): Frame => frame("in", "response", { jsonrpc: "2.0", id: 1, result }, { method: "initialize" });
    const good = { protocolVersion: 2, info: { name: "a", version: "1" }, capabilities: {}, authMethods: [{ type: "agent", methodId: "m", name: "M" }] };
    assert.deepEqual(check(answer(good), { requestMethod: "initialize", protocolVersion: 2 }), []);
    // A v1-shaped method (id, no methodId) in a v2 answer is a violation there.
    const v1Method = check(answer({ ...good, authMethods: [{ id: "m", name: "M" }] }), { requestMethod: "initialize", protocolVersion: 2 });
    assert.ok(v1Method.some((v) => v.path.startsWith("/result/authMethods/0")), JSON.stringify(v1Method));
  });
});

describe("Guided in v2", () => {
  function failedSession(methods: unknown[]): Frame[] {
    const log = new FrameLog();
    log.spawn();
    log.result(log.request("initialize", initializeParams(CAPS, 2)), { protocolVersion: 2, info: { name: "a", version: "1" }, ...(methods.length ? { authMethods: methods } : {}) });
    log.error(log.request("session/new", { cwd: "/w" }), -32000, "Authentication required");
    return log.frames;
  }

  test("auth/login for an agent method; never for a terminal method, never without methods", () => {
    const agent = failedSession([{ type: "agent", methodId: "agent-login", name: "Agent" }]);
    const step = nextGuidedStep(authTimeline(agent), authMethods(agent), true, [], 2);
    assert.deepEqual(step.action, { kind: "authenticate", methodId: "agent-login", method: "auth/login" });
    assert.match(step.label, /^auth\/login "agent-login"/);
    assert.deepEqual(nextGuidedStep(authTimeline(agent), authMethods(agent), true, [], 1).action, { kind: "authenticate", methodId: "agent-login", method: "authenticate" });

    const terminal = failedSession([{ type: "terminal", methodId: "tui", name: "TUI", args: ["--login"] }]);
    assert.deepEqual(nextGuidedStep(authTimeline(terminal), authMethods(terminal), true, [], 2).action, { kind: "login", methodId: "tui", convention: "spec" });

    for (const frames of [failedSession([]), failedSession([{ type: "_vendor", methodId: "v", name: "V" }])]) {
      const none = nextGuidedStep(authTimeline(frames), authMethods(frames), true, [], 2);
      assert.equal(none.action.kind, "done", JSON.stringify(none));
    }
  });

  test("the auth timeline reads auth/login and auth/logout as the remediation", () => {
    const log = new FrameLog();
    log.spawn();
    log.result(log.request("initialize", initializeParams(CAPS, 2)), { protocolVersion: 2, info: { name: "a", version: "1" }, authMethods: [{ type: "agent", methodId: "m", name: "M" }] });
    log.error(log.request("session/new", { cwd: "/w" }), -32000, "Authentication required");
    log.result(log.request("auth/login", { methodId: "m" }), {});
    log.result(log.request("session/new", { cwd: "/w" }), { sessionId: "s" });
    const steps = authTimeline(log.frames);
    const remediation = steps.find((s) => s.id === "remediation");
    assert.equal(remediation?.state, "ok");
    assert.match(remediation?.detail ?? "", /^Auth\/login\("m"\) succeeded/);
    assert.equal(steps.find((s) => s.id === "retry")?.state, "ok");
    assert.equal(steps.find((s) => s.id === "initialize")?.facts?.["auth/logout"], "served (authMethods is non-empty)");
  });
});

// ─── Live: the reference agent through the relay's Run ─────────────────────────────────────────

let root: string;
const harnesses: RunHarness[] = [];
let n = 0;

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), "acp-v2-"));
});
after(async () => {
  await Promise.all(harnesses.map((h) => h.stop()));
  await rm(root, { recursive: true, force: true });
});

function referenceRun(behaviour: string, home: string, check = false): RunHarness {
  const h = new RunHarness({
    cwd: root,
    file: bundledNode().path,
    args: [REFERENCE_AGENT, "--auth", behaviour],
    env: { PATH: process.env.PATH ?? "", HOME: home },
    schemaCheck: check ? ((c) => () => c)(createSchemaChecker()) : undefined,
  });
  harnesses.push(h);
  h.start();
  return h;
}

/** The hub's side of AuthFlows, reduced to what a flow uses: runs of the reference agent in one home. */
class ReferenceHost implements AuthHost {
  readonly events: ServerEvent[] = [];
  readonly runs: Run[] = [];
  readonly logger = new Logger(true);
  constructor(private readonly behaviour: string, private readonly home: string) {}
  current(): Run | undefined {
    return this.runs.at(-1);
  }
  async startRun(): Promise<Run> {
    const h = referenceRun(this.behaviour, this.home);
    this.runs.push(h.run);
    return h.run;
  }
  addSecrets(): void {}
  emit(event: ServerEvent): void {
    this.events.push(event);
  }
  markDirty(): void {}
  redactor(): Redactor {
    return new Redactor([]);
  }
  scratchRun(): Promise<{ run: Run; cleanup: () => Promise<void> }> {
    throw new Error("not used by these flows");
  }
  sent(): string[] {
    return this.runs.flatMap((r) => r.ring.all().filter((f) => f.dir === "out" && f.kind === "request").map((f) => f.method ?? ""));
  }
  last(): Extract<ServerEvent, { type: "flow" }> | undefined {
    return this.events.filter((e): e is Extract<ServerEvent, { type: "flow" }> => e.type === "flow").at(-1);
  }
}

describe("v2 against the reference agent", { concurrency: true }, () => {
  test("a v2 run: negotiated 2, session/new -32000, auth/login, session/new, prompt; every frame valid v2", async () => {
    const h = referenceRun("agent", path.join(root, `home-${++n}`), true);
    const init = await h.call("initialize", initializeParams(CAPS, 2));
    assert.equal(init.result?.protocolVersion, 2);
    assert.equal(protocolState(h.frames()).speaking, 2);
    const [method] = authMethods(h.frames());
    assert.deepEqual([method.id, method.class, method.shape], ["reference-login", "agent", "v2"]);
    assert.equal((await h.call("session/new", { cwd: root, mcpServers: [] })).error?.code, -32000);
    assert.deepEqual((await h.call("auth/login", { methodId: method.id })).result, {});
    const session = await h.call("session/new", { cwd: root, mcpServers: [] });
    const sessionId = session.result?.sessionId as string;
    assert.equal(typeof sessionId, "string");
    const turn = await h.call("session/prompt", { sessionId, prompt: [{ type: "text", text: "hi" }] });
    assert.equal(turn.error, undefined);
    await h.waitFor((f) => f.dir === "in" && f.method === "session/update" && f.raw.includes("idle"), 10_000, "the idle state update");
    assert.deepEqual(h.frames().filter((f) => f.violations).map((f) => `${f.method}: ${JSON.stringify(f.violations)}`), []);
    // The v1 name on a v2 connection is flagged against v2's schema.
    const wrong = h.send("authenticate", { methodId: method.id });
    assert.match(h.run.ring.get(wrong)?.violations?.[0].message ?? "", /ACP v1 method, but this connection speaks v2/);
  });

  test("Auto in v2: auth/login with the agent method, then session/new; never authenticate", async () => {
    const host = new ReferenceHost("agent", path.join(root, `home-${++n}`));
    await new AuthFlows(host).flow("auto", "reference-agent", root, CAPS, 2);
    assert.equal(host.last()?.state, "done", JSON.stringify(host.last()));
    assert.deepEqual(host.sent(), ["initialize", "session/new", "auth/login", "session/new"]);
  });

  test("Auto in v2 without terminal auth: the agent offers no method, so no auth/login is sent", async () => {
    const host = new ReferenceHost("terminal", path.join(root, `home-${++n}`));
    await new AuthFlows(host).flow("auto", "reference-terminal", root, NO_TERMINAL, 2);
    assert.equal(host.last()?.state, "failed");
    assert.match(host.last()?.message ?? "", /advertised no method/);
    assert.deepEqual(host.sent(), ["initialize", "session/new"]);
  });

  test("Probe in v2: the cell speaks the answered version", async () => {
    const agent: CatalogEntry = { id: "reference-agent", label: "Reference agent", command: REFERENCE_AGENT, args: ["--auth", "agent"], env: {}, runtime: "node22", builtin: true };
    const none: CatalogEntry = { ...agent, id: "reference-none", args: ["--auth", "none"] };
    const home = await mkdtemp(path.join(root, "probe-home-"));
    const opts = { profile: { existingHome: home }, dataDir: root, runsDir: path.join(root, "probe-runs"), redact: (t: string) => t, protocolVersion: 2 as const, timeoutMs: 20_000 };
    const [gated, open] = await Promise.all([probe({ ...opts, agent }), probe({ ...opts, agent: none })]);
    assert.equal(gated.initialize.protocolVersion, 2);
    assert.equal(gated.verdict, "auth-required", gated.detail);
    assert.deepEqual(gated.initialize.authMethods, ["reference-login"]);
    assert.equal(open.verdict, "session-created", open.detail);
    assert.ok(!open.frames.some((f) => f.dir === "out" && (f.method === "auth/login" || f.method === "authenticate")));
  });
});

describe("v2 cancel templates", () => {
  test("tool_call/cancel and terminal/cancel name only what advertises capabilities.cancel and is not final", () => {
    const log = new FrameLog();
    const update = (update: Record<string, unknown>): void => {
      const f = log.line("in", { jsonrpc: "2.0", method: "session/update", params: { sessionId: "s", update } });
      f.updateKind = update.sessionUpdate as string;
    };
    update({ sessionUpdate: "tool_call_update", toolCallId: "t1", status: "in_progress", capabilities: { cancel: {} } });
    update({ sessionUpdate: "tool_call_update", toolCallId: "t2", status: "in_progress" });
    update({ sessionUpdate: "terminal_update", terminalId: "term-1", capabilities: { cancel: {} } });
    update({ sessionUpdate: "terminal_update", terminalId: "term-2", capabilities: { cancel: {} }, exitStatus: { exitCode: 0 } });
    assert.deepEqual(cancellable(log.frames), { toolCallId: "t1", terminalId: "term-1" });
    update({ sessionUpdate: "tool_call_update", toolCallId: "t1", status: "completed", capabilities: { cancel: {} } });
    assert.deepEqual(cancellable(log.frames), { terminalId: "term-1" });
    const t = templatesFor(2).find((x) => x.method === "terminal/cancel");
    assert.ok(t);
    assert.deepEqual(JSON.parse(renderTemplate(t, { cwd: "/w", caps: CAPS, nextId: 1, sessionId: "s", ...cancellable(log.frames) })).params, { sessionId: "s", terminalId: "term-1" });
  });
});

describe("CLIs with --protocol", { concurrency: true }, () => {
  const env = (): Record<string, string> => ({ ACP_PLAYGROUND_HOME: path.join(root, `cli-data-${++n}`) });

  test("npm run flow -- --protocol 2: authenticate and logout steps go out as auth/login and auth/logout", async () => {
    const steps = ["initialize", "session/new", "authenticate=reference-login", "session/new", "logout"].flatMap((s) => ["--step", s]);
    const r = await runScriptCli("scripts/flow.ts", ["--agent", "reference-agent", "--profile", "Offline demo", "--protocol", "2", ...steps], { env: env(), timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    const sent = lines.filter((l) => l.lane === "acp" && l.dir === "out").map((l) => l.method);
    assert.deepEqual(sent, ["initialize", "session/new", "auth/login", "session/new", "auth/logout"]);
    const summary = lines.find((l) => l.lane === "summary") as { steps: { step: string; ok: boolean; protocolVersion?: number }[] };
    assert.equal(summary.steps[0].protocolVersion, 2);
    assert.deepEqual(summary.steps.map((s) => s.ok), [true, false, true, true, true]);
  });

  test("npm run matrix -- --protocol 2 probes in v2; a bad --protocol is a usage error", async () => {
    const [ok, bad] = await Promise.all([
      runScriptCli("scripts/matrix.ts", ["--agent", "reference-agent", "--profile", "Offline demo", "--protocol", "2", "--format", "json"], { env: env(), timeoutMs: 60_000 }),
      runScriptCli("scripts/matrix.ts", ["--agent", "reference-none", "--protocol", "3"], { env: env(), timeoutMs: 60_000 }),
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    const cells = JSON.parse(ok.stdout) as { agent: { id: string; name: string | null }; verdict: string; initialize: { protocolVersion: number } }[];
    // v2's initialize answer names the agent in `info`, not `agentInfo`.
    assert.deepEqual(cells.map((c) => [c.agent.id, c.agent.name, c.initialize.protocolVersion, c.verdict]), [["reference-agent", "acp-reference-agent", 2, "auth-required"]]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--protocol must be 1 or 2, not "3"/);
  });
});

// ─── The gaps the first v2 pass left (helper v2b) ──────────────────────────────────────────────

/** Resolves once `pick` finds an event the host emitted; polls, since the host only records them. */
async function hostEvent<T>(host: ReferenceHost, what: string, pick: (e: ServerEvent) => T | undefined, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    for (const e of host.events) {
      const hit = pick(e);
      if (hit !== undefined) return hit;
    }
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("v2 gaps: Auto's terminal login, the relay's adv_diff and matrix in v2", { concurrency: true }, () => {
  test("Auto in v2 with terminal auth: the terminal login runs in the pty (answered through AuthFlows.input), then reconnect in v2 and session/new; never auth/login", async () => {
    const host = new ReferenceHost("terminal", path.join(root, `home-${++n}`));
    const flows = new AuthFlows(host);
    const done = flows.flow("auto", "reference-terminal", root, CAPS, 2);
    await hostEvent(host, "the login's name prompt", (e) => (e.type === "login_output" && /Your name:/.test(e.data) ? e : undefined));
    flows.input("v2-tester\r");
    await done;
    assert.equal(host.last()?.state, "done", JSON.stringify(host.last()));
    assert.match(host.last()?.message ?? "", /after login, reconnect and retry session\/new: ok/);
    assert.ok(host.events.some((e) => e.type === "flow" && /terminal login "reference-terminal-login" \(spec convention\)/.test(e.message)));
    assert.ok(host.events.some((e) => e.type === "login" && e.state === "exited" && e.exitCode === 0));
    assert.match(host.events.map((e) => (e.type === "login_output" ? e.data : "")).join(""), /Signed in as v2-tester\./);
    // The client MUST NOT pass a terminal method to auth/login: the login is the pty, then a new process.
    assert.deepEqual(host.sent(), ["initialize", "session/new", "initialize", "session/new"]);
    assert.equal(host.runs.length, 2);
    for (const run of host.runs) {
      const init = run.ring.all().find((f) => f.dir === "out" && f.method === "initialize");
      assert.deepEqual(init && JSON.parse(init.raw).params, initializeParams(CAPS, 2), "both initializes in v2's shape");
      assert.equal(protocolState(run.ring.all()).speaking, 2);
    }
    const [method] = authMethods(host.runs[0].ring.all());
    assert.deepEqual([method.id, method.class, method.shape], ["reference-terminal-login", "terminal", "v2"]);
  });

  test("over the wire: adv_diff and matrix_run take protocolVersion 2; the diff's initializes are v2's shape and the cells speak v2", async () => {
    for (const type of ["adv_diff", "matrix_run"]) {
      const parsed = parseClientCommand(JSON.stringify({ type, agentId: "a", agentIds: ["a"], profileIds: ["p"], protocolVersion: 2 }));
      assert.ok(parsed.ok && "protocolVersion" in parsed.command && parsed.command.protocolVersion === 2, `${type}: ${JSON.stringify(parsed)}`);
      assert.equal(parseClientCommand(JSON.stringify({ type, agentId: "a", agentIds: ["a"], profileIds: ["p"], protocolVersion: 3 })).ok, false);
    }
    const server = await startServer();
    const client = await WsClient.connect(server);
    try {
      const hello = await client.waitFor("hello", (e) => (e.type === "hello" ? e : undefined));
      const loggedOut = hello.profiles.find((p) => p.name === "Logged out");
      assert.ok(loggedOut);
      client.send({ type: "adv_diff", agentId: "reference-terminal", protocolVersion: 2 });
      client.send({ type: "matrix_run", agentIds: ["reference-agent"], profileIds: [loggedOut.id], protocolVersion: 2 });
      const [diff, matrix] = await Promise.all([
        client.waitFor("the finished diff", (e) => (e.type === "adv_diff" && !e.running && e.variants.length > 0 ? e : undefined), 60_000),
        client.waitFor("the finished matrix", (e) => (e.type === "matrix" && !e.running && e.cells.every((c) => c.state === "done") ? e : undefined), 60_000),
      ]);
      assert.equal(diff.protocolVersion, 2);
      assert.deepEqual(
        diff.variants.map((v) => [v.name, v.ok, v.protocolVersion, v.clientCapabilities]),
        [
          ["none", true, 2, {}],
          ["auth.terminal", true, 2, { auth: { terminal: {} } }],
          ["legacy _meta", true, 2, { _meta: { "terminal-auth": true } }],
          ["both", true, 2, { auth: { terminal: {} }, _meta: { "terminal-auth": true } }],
        ],
      );
      // v2's methods are named by methodId; the terminal one only where auth.terminal was sent.
      const rows = advDiffRows(diff.variants);
      assert.deepEqual(rows[0].values, ["(none)", "reference-terminal-login (terminal)", "(none)", "reference-terminal-login (terminal)"]);
      assert.ok(rows.slice(1).every((r) => r.key.startsWith("capabilities.")), JSON.stringify(rows.map((r) => r.key)));
      assert.equal(matrix.protocolVersion, 2);
      assert.deepEqual(matrix.cells.map((c) => [c.agentId, c.verdict, c.protocolVersion]), [["reference-agent", "auth-required", 2]]);
    } finally {
      await client.close();
      await server.stop();
    }
  });
});

describe("v2 gaps: the Session panel and the auth timeline in v2", () => {
  const facts: SessionFacts = {
    sessionId: "s-1",
    knownSessions: ["s-1"],
    listed: [],
    modes: { currentModeId: "ask", availableModes: [{ id: "ask", name: "Ask" }] },
    configOptions: [{ id: "model", name: "Model", currentValue: "fast", options: [{ value: "fast", name: "Fast" }] } as SessionFacts["configOptions"][number]],
    models: { currentModelId: "m", availableModels: [{ modelId: "m", name: "M" }] },
  };
  const panel = (protocol: ProtocolVersion): string =>
    renderToStaticMarkup(
      createElement(SessionPanel, {
        running: true,
        facts,
        policy: "ask",
        outstanding: [{ frame: out("session/prompt", { sessionId: "s-1", prompt: [] }), ageMs: 5 }],
        fsWrites: [],
        terminals: [],
        onSelectSession: () => {},
        onRequest: () => {},
        onNotify: () => {},
        onPolicy: () => {},
        onSelectFrame: () => {},
        cwd: "/w",
        protocol,
      }),
    );
  /** Every control of the panel that sends a method: [method, enabled, its title]. */
  const controls = (html: string): [string, boolean, string][] =>
    [...html.matchAll(/<(?:button|select)\b([^>]*)>/g)].flatMap(([, attrs]) => {
      const method = /data-method="([^"]+)"/.exec(attrs)?.[1];
      return method ? [[method, !/\sdisabled=""/.test(attrs), /title="([^"]*)"/.exec(attrs)?.[1] ?? ""] as [string, boolean, string]] : [];
    });

  test("every enabled Session-panel control sends a method of the speaking version's schema; v2's missing ones are disabled with the reason", () => {
    for (const version of VERSIONS) {
      const schema = new Set(clientToAgentMethods(version, true).map((m) => m.method));
      const shown = controls(panel(version));
      assert.ok(shown.length >= 9, JSON.stringify(shown));
      for (const [method, enabled, title] of shown) {
        if (method === "session/set_model") continue; // legacy: in no schema, offered in v1 because agents serve it
        if (enabled) assert.ok(schema.has(method), `v${version}: an enabled control sends ${method}, which v${version} lacks`);
        else assert.ok(!schema.has(method) && title.length > 0, `v${version}: ${method} disabled without cause (${title})`);
      }
    }
    const v2 = controls(panel(2));
    assert.deepEqual(v2.filter(([, enabled]) => !enabled).map(([m]) => m).sort(), ["session/load", "session/set_mode", "session/set_model"]);
    assert.match(v2.find(([m]) => m === "session/load")?.[2] ?? "", /ACP v2 has no session\/load: Resume/);
    assert.ok(controls(panel(1)).every(([, enabled]) => enabled), "v1 keeps every control");
    const html = panel(2);
    assert.match(html, /data-testid="session-unavailable"/);
    assert.ok(!panel(1).includes('data-testid="session-unavailable"'));
    // What the panel builds for v2's methods (via the templates' shapes) validates against v2's schema.
    assert.equal(methodUnavailable("session/resume", 2), undefined);
    assert.match(methodUnavailable("session/set_mode", 2) ?? "", /session\/set_config_option/);
    assert.equal(methodUnavailable("session/load", 1), undefined);
  });

  test("the timeline's initialize facts use v2's key names for a v2 initialize, v1's for v1", () => {
    const facts = (version: ProtocolVersion): Record<string, string> => {
      const log = new FrameLog();
      log.spawn();
      const answer = version === 2 ? { protocolVersion: 2, info: { name: "ref", version: "1.0" }, capabilities: {}, authMethods: [] } : { protocolVersion: 1, agentInfo: { name: "ref", version: "1.0" }, agentCapabilities: {}, authMethods: [] };
      log.result(log.request("initialize", initializeParams({ ...CAPS, legacyTerminalAuth: true }, version)), answer);
      return authTimeline(log.frames).find((s) => s.id === "initialize")?.facts ?? {};
    };
    const v2 = facts(2);
    assert.equal(v2["capabilities.auth.terminal"], "true");
    assert.equal(v2['capabilities._meta["terminal-auth"]'], "true");
    assert.equal(v2.agent, "ref 1.0");
    assert.deepEqual(Object.keys(v2).filter((k) => k.startsWith("clientCapabilities")), []);
    const v1 = facts(1);
    assert.equal(v1["clientCapabilities.auth.terminal"], "true");
    assert.equal(v1["clientCapabilities.fs.readTextFile"], "false");
    assert.deepEqual(Object.keys(v1).filter((k) => k.startsWith("capabilities.")), []);
  });
});
