/**
 * The auth lifecycle of a run as five steps (spawn → initialize → session → remediation →
 * retry), each linked to the frames that prove it. Derived only from the frame log plus the
 * terminal-login attempts the relay ran (those happen in a pty, not on the agent's stdio), so the
 * same log always gives the same timeline. A step nobody reached is `pending`, or `skipped` when
 * a later step happened anyway or the flow no longer needs it. Isomorphic.
 */
import { advertisedMethods, authExtensions, describeMethodClass, errorData, FrameIndex, initializeCaps, isClientRequest, type Outcome, PROMPT_METHODS, requestParams, SESSION_METHODS, STDOUT_PROMPT_NOTE, stdoutPrompts } from "./auth-frames";
import { type ElicitationItem, elicitationsOf, type ElicitationUrl, urlOf } from "./elicitation";
import { describeErrorCode, explainError } from "./error-codes";
import type { AuthMethodView } from "./selectors";
import { LOGIN_METHODS, LOGOUT_METHODS } from "./version";
import type { Frame } from "./wire";

export type AuthStepId = "spawn" | "initialize" | "session" | "remediation" | "retry";
export type AuthStepState = "pending" | "ok" | "failed" | "skipped";

export interface AuthStep {
  id: AuthStepId;
  state: AuthStepState;
  title: string;
  detail: string;
  /** Seqs of the frames behind this step, in log order; they belong to `runId`. */
  frameSeqs: number[];
  facts?: Record<string, string>;
  /** The run the frames belong to (a retry after a reconnect lives in a new run). */
  runId?: string;
  /** initialize only: every advertised auth method, classified. */
  methods?: AuthMethodView[];
}

/** One terminal login the relay ran in a pty; its exit code is the only success signal there is. */
export type LoginAttempt = {
  method: string;
  convention: "spec" | "legacy";
  argv: string[];
  exitCode: number | null;
  signal?: string | null;
  /** Epoch milliseconds, comparable with Frame.wall. */
  startedAt: number;
  endedAt?: number;
};

type Action =
  | { kind: "authenticate" | "logout"; pos: number; request: Frame; outcome: Outcome }
  | { kind: "login"; pos: number; login: LoginAttempt };

const SPAWN_EVENTS = new Set(["spawned", "spawn_error", "runtime_missing"]);

function describeFailure(outcome: Extract<Outcome, { state: "failed" }>): string {
  if (outcome.code === undefined) return outcome.message;
  const data = errorData(outcome.answer);
  // error.data is part of the explanation (Codex: "CODEX_API_KEY is not set"; Qwen: its authMethods).
  const shown = data === undefined ? "" : ` (error.data: ${clipText(JSON.stringify(data), 300)})`;
  return `${outcome.code} ${outcome.message || describeErrorCode(outcome.code).name}${shown}`;
}

function clipText(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Is this failure ACP's auth_required? Asked of lib/error-codes.ts, as every view does. */
function isAuthRequired(outcome: Outcome, method: string | undefined): boolean {
  return outcome.state === "failed" && outcome.code !== undefined && explainError({ code: outcome.code, message: outcome.message, data: errorData(outcome.answer), method }).authRequired;
}

function loginState(login: LoginAttempt): AuthStepState {
  if (login.exitCode === null && !login.signal && login.endedAt === undefined) return "pending";
  return login.exitCode === 0 ? "ok" : "failed";
}

function describeLogin(login: LoginAttempt): string {
  const how = `${login.convention === "spec" ? "spec" : "legacy _meta"} terminal login "${login.method}"`;
  if (loginState(login) === "pending") return `${how} is running`;
  if (login.signal) return `${how} was stopped by ${login.signal}`;
  return `${how} exited with code ${login.exitCode ?? "unknown"}`;
}

function actionState(action: Action): AuthStepState {
  return action.kind === "login" ? loginState(action.login) : action.outcome.state;
}

function describeAction(action: Action, terminalIds: ReadonlySet<string>, methods: readonly AuthMethodView[] = []): string {
  if (action.kind === "login") return describeLogin(action.login);
  const id = methodIdOf(action.request);
  const method = methods.find((m) => m.id === id);
  const meta = action.kind === "authenticate" ? requestParams(action.request)?._meta : undefined;
  const extras: string[] = [];
  if (method?.class === "env_var") extras.push(`an env_var method: the agent reads ${(method.vars ?? []).map((v) => v.name).join(", ")} from its own environment`);
  if (typeof meta === "object" && meta !== null && "api-key" in meta) extras.push('with _meta["api-key"], Gemini CLI\'s extension');
  if (typeof meta === "object" && meta !== null && "gateway" in meta) extras.push("with _meta.gateway, Gemini CLI's extension");
  // v2 renamed them: the request's own method (authenticate or auth/login, logout or auth/logout) names the step.
  const verb = action.request.method ?? action.kind;
  const what = action.kind === "authenticate" ? `${verb}("${id}")${extras.length ? ` (${extras.join("; ")})` : ""}` : verb;
  const o = action.outcome;
  const text = o.state === "ok" ? `${what} succeeded` : o.state === "pending" ? `${what} is waiting for an answer` : `${what} failed: ${describeFailure(o)}`;
  // Worth saying, because it is the mistake clients make with Kimi: its only method is a terminal one.
  return action.kind === "authenticate" && terminalIds.has(id) ? `${text} ("${id}" is a terminal method; the spec says to run its login, not to authenticate it)` : text;
}

function methodIdOf(request: Frame): string {
  try {
    const id = (JSON.parse(request.raw) as { params?: { methodId?: unknown } }).params?.methodId;
    return typeof id === "string" ? id : "?";
  } catch {
    return "?";
  }
}

function sessionIdOf(outcome: Outcome): string | undefined {
  const id = outcome.state === "ok" ? outcome.result?.sessionId : undefined;
  return typeof id === "string" ? id : undefined;
}

/** The run shared by every frame of a step, if there is exactly one. */
function runOf(frames: Frame[]): string | undefined {
  const runs = new Set(frames.map((f) => f.runId));
  return runs.size === 1 ? [...runs][0] : undefined;
}

function step(id: AuthStepId, title: string, state: AuthStepState, detail: string, frames: Frame[] = [], facts?: Record<string, string>): AuthStep {
  const s: AuthStep = { id, state, title, detail, frameSeqs: frames.map((f) => f.seq) };
  if (facts && Object.keys(facts).length > 0) s.facts = facts;
  const runId = runOf(frames);
  if (runId !== undefined) s.runId = runId;
  return s;
}

/** Frames of a request and its answer, in log order. */
function exchange(index: FrameIndex, request: Frame): Frame[] {
  const answer = index.answerOf(request);
  return answer ? [request, answer] : [request];
}

function sessionFacts(request: Frame, outcome: Outcome): Record<string, string> {
  const facts: Record<string, string> = { method: request.method ?? "?" };
  if (outcome.state === "ok") {
    const sessionId = sessionIdOf(outcome);
    if (sessionId) facts.sessionId = sessionId;
  } else if (outcome.state === "failed") {
    if (outcome.code !== undefined) {
      const data = errorData(outcome.answer);
      facts.code = String(outcome.code);
      facts.codeName = explainError({ code: outcome.code, message: outcome.message, data, method: request.method }).name;
      if (data !== undefined) facts["error.data"] = clipText(JSON.stringify(data), 300);
    }
    if (outcome.message) facts.message = outcome.message;
  }
  return facts;
}

function describeSession(request: Frame, outcome: Outcome): string {
  const method = request.method ?? "session request";
  if (outcome.state === "ok") return `${method} created session ${sessionIdOf(outcome) ?? "(no sessionId in the answer)"}.`;
  if (outcome.state === "pending") return `${method} is waiting for an answer.`;
  const gated = isAuthRequired(outcome, request.method) ? " The agent's auth gate refused it (ACP auth_required)." : "";
  return `${method} failed: ${describeFailure(outcome)}.${gated}`;
}

/** What a guided flow would do next after a refused session, from what the agent advertised. */
function nextRemediation(methods: AuthMethodView[], logoutAdvertised: boolean): string {
  const options: string[] = [];
  for (const m of methods) {
    if (m.class === "env_var") options.push(`set ${(m.vars ?? []).map((v) => v.name).join(" + ")}, restart, then authenticate("${m.id}")`);
    else if (m.class === "agent" && m.meta?.type === "terminal") options.push(`the terminal login "${m.id}" (Qwen Code's _meta.type "terminal" extension) or authenticate("${m.id}")`);
    else if (m.class === "agent") options.push(`${m.shape === "v2" ? "auth/login" : "authenticate"}("${m.id}")`);
    else if (m.class === "terminal" || m.class === "legacy-terminal") options.push(`the terminal login "${m.id}"`);
  }
  if (options.length === 0) return logoutAdvertised ? "The agent advertised no auth method; only logout is available." : "The agent advertised no auth method the playground can run.";
  return `Next: ${options.join(" or ")}.`;
}

export function authTimeline(frames: readonly Frame[], opts: { loginRuns?: LoginAttempt[] } = {}): AuthStep[] {
  const index = new FrameIndex(frames);

  // Remediation actions, placed in log order. A login has no frame of its own: it sits before the
  // first frame recorded after it started.
  const actions: Action[] = [];
  frames.forEach((f, pos) => {
    if (isClientRequest(f, LOGIN_METHODS)) actions.push({ kind: "authenticate", pos, request: f, outcome: index.outcome(f) });
    else if (isClientRequest(f, LOGOUT_METHODS)) actions.push({ kind: "logout", pos, request: f, outcome: index.outcome(f) });
  });
  for (const login of opts.loginRuns ?? []) {
    const after = frames.findIndex((f) => f.wall >= login.startedAt);
    actions.push({ kind: "login", pos: after < 0 ? frames.length : after - 0.5, login });
  }
  actions.sort((a, b) => a.pos - b.pos || (a.kind === "login" && b.kind === "login" ? a.login.startedAt - b.login.startedAt : 0));
  const boundary = actions[0]?.pos ?? Number.POSITIVE_INFINITY;

  const sessionRequests = frames.map((f, pos) => ({ f, pos })).filter(({ f }) => isClientRequest(f, SESSION_METHODS));
  const before = sessionRequests.filter(({ pos }) => pos < boundary);
  const retries = sessionRequests.filter(({ pos }) => pos > boundary);
  const anchor = before[0]?.pos ?? Math.min(boundary, frames.length);

  // ── spawn: the last process start before the first session request.
  let spawnPos = -1;
  for (let i = Math.ceil(anchor) - 1; i >= 0; i--) {
    if (frames[i].kind === "lifecycle" && frames[i].lifecycle && SPAWN_EVENTS.has(frames[i].lifecycle?.event ?? "")) {
      spawnPos = i;
      break;
    }
  }
  // ── initialize: the last one sent after that start and before the first session request.
  let initPos = -1;
  for (let i = Math.ceil(anchor) - 1; i > spawnPos; i--) {
    if (isClientRequest(frames[i], ["initialize"])) {
      initPos = i;
      break;
    }
  }
  const reached = {
    initialize: initPos >= 0,
    session: before.length > 0,
    remediation: actions.length > 0,
    retry: retries.length > 0,
  };

  const steps: AuthStep[] = [];

  // spawn
  if (spawnPos >= 0) {
    const f = frames[spawnPos];
    const info = f.lifecycle ?? { event: "spawned" as const };
    const facts: Record<string, string> = {};
    if (info.pid !== undefined) facts.pid = String(info.pid);
    if (info.argv) facts.argv = info.argv.join(" ");
    if (info.cwd) facts.cwd = info.cwd;
    if (info.runtime) facts.runtime = info.runtime;
    if (info.event === "spawned") {
      steps.push(step("spawn", "Spawn the agent", "ok", `Started pid ${info.pid ?? "?"}${info.runtime ? ` under Node ${info.runtime}` : ""}.`, [f], facts));
    } else {
      const why = info.event === "runtime_missing" ? "The runtime the agent needs is missing" : "The agent could not be spawned";
      steps.push(step("spawn", "Spawn the agent", "failed", [`${why}: ${info.message ?? "no reason given"}.`, info.hint].filter(Boolean).join(" "), [f], facts));
    }
  } else {
    const later = reached.initialize || reached.session || reached.remediation || reached.retry;
    steps.push(step("spawn", "Spawn the agent", later ? "skipped" : "pending", later ? "No process start in this log (it may have scrolled out of the frame buffer)." : "The agent has not been started."));
  }

  // initialize
  let methods: AuthMethodView[] = [];
  let logoutAdvertised = false;
  if (initPos >= 0) {
    const request = frames[initPos];
    const caps = initializeCaps(request);
    const outcome = index.outcome(request);
    // v2 sends `capabilities` (no client fs or terminal: the agent owns those) and `info`.
    const sent = requestParams(request);
    const facts: Record<string, string> =
      sent?.protocolVersion === 2
        ? {
            "capabilities.auth.terminal": String(caps.authTerminal),
            'capabilities._meta["terminal-auth"]': String(caps.legacyTerminalAuth),
          }
        : {
            "clientCapabilities.auth.terminal": String(caps.authTerminal),
            'clientCapabilities._meta["terminal-auth"]': String(caps.legacyTerminalAuth),
            "clientCapabilities.fs.readTextFile": String(caps.fsRead),
            "clientCapabilities.fs.writeTextFile": String(caps.fsWrite),
            "clientCapabilities.terminal": String(caps.terminal),
          };
    let state: AuthStepState = outcome.state;
    let detail: string;
    if (outcome.state === "ok") {
      methods = advertisedMethods(outcome.answer);
      const result = outcome.result ?? {};
      const info = (result.agentInfo ?? result.info) as { name?: unknown; version?: unknown } | undefined;
      if (typeof info?.name === "string") facts.agent = `${info.name}${typeof info.version === "string" ? ` ${info.version}` : ""}`;
      if (result.protocolVersion !== undefined) facts.protocolVersion = String(result.protocolVersion);
      if (result.protocolVersion === 2) {
        // v2: advertising any authMethods means the agent MUST serve auth/login and auth/logout.
        logoutAdvertised = methods.length > 0;
        facts["auth/logout"] = logoutAdvertised ? "served (authMethods is non-empty)" : "not offered (no authMethods)";
      } else {
        const agentCaps = result.agentCapabilities as { auth?: { logout?: unknown } } | undefined;
        logoutAdvertised = agentCaps?.auth?.logout !== undefined && agentCaps.auth.logout !== null;
        facts["agentCapabilities.auth.logout"] = logoutAdvertised ? "advertised" : "absent";
      }
      for (const m of methods) {
        const ext = authExtensions(m).map((e) => `${e.agent}'s extension: ${e.title}`);
        facts[`authMethod ${m.id}`] = [describeMethodClass(m), ...ext].join("; ");
      }
      detail =
        methods.length === 0
          ? "Answered; the agent advertised no auth methods."
          : `Answered with ${methods.length} auth method${methods.length === 1 ? "" : "s"}: ${methods.map((m) => `${m.id} (${describeMethodClass(m)})`).join(", ")}.`;
    } else if (outcome.state === "failed") {
      detail = `initialize failed: ${describeFailure(outcome)}.`;
      state = "failed";
    } else {
      detail = "Sent; waiting for the agent's answer.";
    }
    const s = step("initialize", "initialize", state, detail, exchange(index, request), facts);
    s.methods = methods;
    steps.push(s);
  } else {
    const later = reached.session || reached.remediation || reached.retry;
    steps.push(step("initialize", "initialize", later ? "skipped" : "pending", later ? "No initialize before the session request: the agent may refuse anything else first." : "Not sent yet."));
  }

  // session
  let sessionState: AuthStepState;
  // The first request that failed with -32000 but was sent *after* the session was created: Claude
  // creates sessions logged out and gates session/prompt instead.
  const promptGate = (() => {
    const last = before[before.length - 1];
    if (!last || index.outcome(last.f).state !== "ok") return undefined;
    for (let i = last.pos + 1; i < Math.min(boundary, frames.length); i++) {
      const f = frames[i];
      if (f.runId !== last.f.runId || !isClientRequest(f, PROMPT_METHODS)) continue;
      const o = index.outcome(f);
      if (isAuthRequired(o, f.method)) return { request: f, outcome: o as Extract<Outcome, { state: "failed" }> };
    }
    return undefined;
  })();
  const prompted = before.length > 0 && frames.some((f, pos) => pos > before[before.length - 1].pos && isClientRequest(f, PROMPT_METHODS));
  if (before.length > 0) {
    const last = before[before.length - 1].f;
    const outcome = index.outcome(last);
    sessionState = promptGate ? "failed" : outcome.state;
    const facts = sessionFacts(last, outcome);
    let detail = describeSession(last, outcome);
    if (before.length > 1) {
      facts.attempts = String(before.length);
      const first = index.outcome(before[0].f);
      facts.first = first.state === "failed" ? describeFailure(first) : first.state;
      detail += ` (${before.length} attempts; showing the last.)`;
    }
    const gateFrames: Frame[] = [];
    if (promptGate) {
      detail += ` But ${promptGate.request.method} was then refused with ${describeFailure(promptGate.outcome)}: this agent checks auth at prompt time, so a created session was no proof of authentication.`;
      facts.gate = `${promptGate.request.method} (prompt-time auth gate)`;
      gateFrames.push(...exchange(index, promptGate.request));
    } else if (outcome.state === "ok" && !prompted) {
      detail += " A created session is not yet proof of authentication: some agents (Claude) check auth only at session/prompt.";
    }
    steps.push(step("session", last.method ?? "session/new", sessionState, detail, [...before.flatMap(({ f }) => exchange(index, f)), ...gateFrames], facts));
  } else {
    sessionState = reached.remediation || reached.retry ? "skipped" : "pending";
    steps.push(step("session", "session/new", sessionState, sessionState === "skipped" ? "No session was requested before the remediation." : "No session/new, session/load or session/resume sent yet."));
  }

  // remediation
  const terminalIds = new Set(methods.filter((m) => m.class === "terminal").map((m) => m.id));
  if (actions.length > 0) {
    const last = actions[actions.length - 1];
    const facts: Record<string, string> = {};
    actions.forEach((a, i) => {
      facts[`${i + 1}. ${a.kind === "login" ? `login ${a.login.method} (${a.login.convention})` : a.kind === "logout" ? "logout" : `authenticate ${methodIdOf(a.request)}`}`] = describeAction(a, terminalIds, methods);
    });
    const actionFrames = actions.flatMap((a) => (a.kind === "login" ? [] : exchange(index, a.request)));
    let detail = actions.length === 1 ? `${capitalize(describeAction(last, terminalIds, methods))}.` : `${actions.length} actions; the last: ${describeAction(last, terminalIds, methods)}.`;
    // Gemini's oauth-personal: authenticate never answers because the agent prompts on stdout.
    const prompts = stdoutPrompts(frames.slice(Math.ceil(last.pos)));
    if (prompts.length > 0) {
      detail += ` Protocol breach: ${STDOUT_PROMPT_NOTE} (frame${prompts.length === 1 ? "" : "s"} ${prompts.map((f) => `#${f.seq}`).join(", ")}).`;
      facts["stdout prompt"] = prompts.map((f) => `#${f.seq}`).join(", ");
    }
    steps.push(step("remediation", "Remediation", actionState(last), detail, [...actionFrames, ...prompts], facts));
  } else if (sessionState === "ok") {
    steps.push(step("remediation", "Remediation", "skipped", "Not needed: the session was created without authenticating."));
  } else {
    let detail = "Nothing to remedy yet.";
    if (sessionState === "failed") {
      const lastSession = before.length > 0 ? before[before.length - 1].f : undefined;
      const code = promptGate ? promptGate.outcome : lastSession ? index.outcome(lastSession) : undefined;
      const notAuth = code?.state === "failed" && !isAuthRequired(code, promptGate ? promptGate.request.method : lastSession?.method) ? ` The failure is not auth_required${code.code === undefined ? "" : ` (code ${code.code})`}, so authenticating may not help.` : "";
      detail = `${nextRemediation(methods, logoutAdvertised)}${notAuth}`;
    }
    steps.push(step("remediation", "Remediation", "pending", detail));
  }

  // retry
  const lastAction = actions[actions.length - 1];
  if (retries.length > 0 && lastAction !== undefined && retries[retries.length - 1].pos > lastAction.pos) {
    const lastRetry = retries[retries.length - 1];
    const outcome = index.outcome(lastRetry.f);
    const facts = sessionFacts(lastRetry.f, outcome);
    // A reconnect is a fresh process (and its initialize) between the remediation and the retry.
    const reconnect = frames.filter((f, pos) => pos > boundary && pos < lastRetry.pos && ((f.kind === "lifecycle" && SPAWN_EVENTS.has(f.lifecycle?.event ?? "")) || isClientRequest(f, ["initialize"])));
    const spawn = reconnect.find((f) => f.kind === "lifecycle");
    facts.reconnected = spawn ? `yes, pid ${spawn.lifecycle?.pid ?? "?"}` : "no (same process)";
    if (retries.length > 1) facts.attempts = String(retries.length);
    let detail = describeSession(lastRetry.f, outcome);
    if (lastAction.kind === "logout" && outcome.state === "failed" && outcome.code === -32000) detail += " That is logout's expected effect.";
    if (lastAction.kind === "login" && !spawn) detail += " The spec asks for a new agent process after a terminal login; this retry reused the old one, which may still hold the old auth state.";
    const attempts = retries.filter(({ pos }) => pos > lastAction.pos).map(({ f }) => f);
    const retryFrames = [...reconnect, ...attempts].sort((a, b) => index.indexOf(a) - index.indexOf(b)).flatMap((f) => (f.kind === "lifecycle" ? [f] : exchange(index, f)));
    steps.push(step("retry", "Reconnect and retry", outcome.state, detail, retryFrames, facts));
  } else if (lastAction !== undefined) {
    const earlier = retries.length > 0 ? ` An earlier retry came before the last remediation (${retries.length} so far).` : "";
    const how = lastAction.kind === "login" ? "reconnect (new agent process + initialize), then session/new" : "session/new";
    steps.push(step("retry", "Reconnect and retry", "pending", `Next: ${how}.${earlier}`));
  } else if (sessionState === "ok") {
    steps.push(step("retry", "Reconnect and retry", "skipped", "Not needed: the first session request succeeded."));
  } else {
    steps.push(step("retry", "Reconnect and retry", "pending", "Comes after a remediation."));
  }
  return steps;
}

function capitalize(text: string): string {
  return text.length > 0 ? text[0].toUpperCase() + text.slice(1) : text;
}

// ── Auth events beyond the five steps (issue 15): auth/status, URL sign-ins, browser opens ──────

/** The states a client may act on; anything else an agent sends reads as `unknown` (the schema's MUST). */
export type KnownAuthState = "authenticated" | "unauthenticated" | "not_required" | "unknown";
const KNOWN_AUTH_STATES: readonly KnownAuthState[] = ["authenticated", "unauthenticated", "not_required", "unknown"];

/** An `auth/status` state as the client must treat it, with the agent's own value when it was not a known one. */
export function authStateOf(raw: unknown): { state: KnownAuthState; raw?: string } {
  const known = KNOWN_AUTH_STATES.find((s) => s === raw);
  if (known) return { state: known };
  return { state: "unknown", raw: typeof raw === "string" ? raw : JSON.stringify(raw) ?? "(none)" };
}

/** One account of an auth status, display only (labels are not identifiers and are not logged anywhere else). */
export interface AuthAccountView {
  label: string;
  active?: boolean;
  name?: string;
  email?: string;
  organization?: string;
}

export type AuthEvent =
  /** An answered auth/status request, or an auth/status_update notification. */
  | { kind: "status"; seq: number; runId: string; source: "auth/status" | "auth/status_update"; state: KnownAuthState; rawState?: string; accounts: AuthAccountView[]; failed?: string }
  /** A request-scoped URL elicitation (a sign-in outside any session). */
  | { kind: "url"; seq: number; runId: string; item: ElicitationItem; beforeSession: boolean }
  /** The agent ran its BROWSER / xdg-open shim: it wants this URL opened. */
  | { kind: "browser"; seq: number; runId: string; via: string; url: ElicitationUrl };

function accountsOf(value: unknown): AuthAccountView[] {
  if (!Array.isArray(value)) return [];
  const text = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
  return value.flatMap((a): AuthAccountView[] => {
    if (typeof a !== "object" || a === null || typeof (a as { label?: unknown }).label !== "string") return [];
    const r = a as Record<string, unknown>;
    const out: AuthAccountView = { label: r.label as string };
    if (typeof r.active === "boolean") out.active = r.active;
    for (const k of ["name", "email", "organization"] as const) if (text(r[k]) !== undefined) out[k] = text(r[k]);
    return [out];
  });
}

/** The auth events of a log, in log order. */
export function authEvents(frames: readonly Frame[]): AuthEvent[] {
  const index = new FrameIndex(frames);
  const events: AuthEvent[] = [];
  const sessionAt = new Map<string, number>();
  for (const f of frames) {
    if (f.dir === "in" && f.kind === "response" && f.method !== undefined && SESSION_METHODS.includes(f.method) && !sessionAt.has(f.runId)) sessionAt.set(f.runId, f.seq);
  }
  for (const f of frames) {
    if (isClientRequest(f, ["auth/status"])) {
      const o = index.outcome(f);
      if (o.state === "pending") continue;
      if (o.state === "failed") {
        const gate = o.code === -32000 ? " — the schema says auth/status MUST NOT fail with auth_required (-32000)" : "";
        events.push({ kind: "status", seq: o.answer.seq, runId: f.runId, source: "auth/status", state: "unknown", accounts: [], failed: `${o.code ?? ""} ${o.message}`.trim() + gate });
        continue;
      }
      const { state, raw } = authStateOf(o.result?.state);
      events.push({ kind: "status", seq: o.answer.seq, runId: f.runId, source: "auth/status", state, ...(raw !== undefined ? { rawState: raw } : {}), accounts: accountsOf(o.result?.accounts) });
    } else if (f.dir === "in" && f.kind === "notification" && f.method === "auth/status_update") {
      const params = requestParams(f);
      const { state, raw } = authStateOf(params?.state);
      events.push({ kind: "status", seq: f.seq, runId: f.runId, source: "auth/status_update", state, ...(raw !== undefined ? { rawState: raw } : {}), accounts: accountsOf(params?.accounts) });
    } else if (f.kind === "lifecycle" && f.lifecycle?.event === "browser_open") {
      const [via, url] = f.lifecycle.argv ?? [];
      if (typeof url === "string") events.push({ kind: "browser", seq: f.seq, runId: f.runId, via: via ?? "xdg-open", url: urlOf(url) });
    }
  }
  for (const item of elicitationsOf(frames)) {
    if (item.request.mode !== "url" || item.request.scope.requestId === undefined) continue;
    const session = sessionAt.get(item.runId);
    events.push({ kind: "url", seq: item.seq, runId: item.runId, item, beforeSession: session === undefined || session > item.seq });
  }
  const pos = (e: AuthEvent): number => {
    const f = index.get(e.runId, e.seq);
    return f ? index.indexOf(f) : Number.POSITIVE_INFINITY;
  };
  return events.sort((a, b) => pos(a) - pos(b));
}
