/**
 * The auth conformance check's rules (issue 15 §3): each rule of ACP's auth surface and of
 * JSON-RPC, as a pure function of recorded frames. A "session" is one agent process the check (or
 * a user) drove: its frames, in order, as the relay recorded them. Rules name the frames that
 * prove their verdict (`evidence`, frame seqs), so a report is something to open, not to believe.
 * Agent-side rules judge what the agent wrote; client-side rules judge what the client (the
 * conformance driver, or the playground's own Guided and Auto flows) wrote.
 * Isomorphic: the CLI, the relay and the browser's Conformance tab all read these.
 */
import { classify, idKey } from "./jsonrpc";
import { KNOWN_ERROR_CODES } from "./error-codes";
import type { Frame } from "./wire";

export type RuleLevel = "MUST" | "SHOULD";
export type RuleVerdict = "pass" | "fail" | "not-applicable";
export type RuleSide = "agent" | "client";

export interface ConformanceSession {
  /** What the driver did differently in this process, e.g. "v1 · auth.terminal". */
  name: string;
  frames: readonly Frame[];
}

export interface RuleOutcome {
  verdict: RuleVerdict;
  /** Seqs of the frames that show the verdict (the offending ones on a fail). */
  evidence: number[];
  /** One sentence: what was checked and what was seen. */
  detail: string;
}

export interface Rule {
  id: string;
  level: RuleLevel;
  side: RuleSide;
  /** The rule, stated; quoted from the SDK schema's descriptions where the spec words it. */
  text: string;
  evaluate(sessions: readonly SessionFacts[]): RuleOutcome;
}

export interface RuleReport extends RuleOutcome {
  id: string;
  level: RuleLevel;
  side: RuleSide;
  text: string;
}

export interface ConformanceSummary {
  pass: number;
  fail: number;
  notApplicable: number;
}

// ── facts derived from one session's frames ─────────────────────────────────

interface Msg {
  frame: Frame;
  /** "out" = client → agent, "in" = agent → client. */
  dir: "in" | "out";
  kind: "request" | "response" | "error" | "notification" | "malformed";
  method?: string;
  id?: string;
  value?: Record<string, unknown>;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: Record<string, unknown>;
}

interface Exchange {
  request: Msg;
  answers: Msg[];
}

export interface SessionFacts {
  name: string;
  msgs: Msg[];
  /** Client requests and agent requests, each with every answer that came back for its id. */
  clientRequests: Exchange[];
  agentRequests: Exchange[];
  /** Answers whose id matched no outstanding request of the other side. */
  strayAnswers: Msg[];
  /** The client killed the process (the check stopped waiting): unanswered requests are not "lost". */
  killedByClient: boolean;
  /** The process exited (or never started) without the client asking: what it held is lost. */
  exitedOnItsOwn: boolean;
  init?: Exchange;
  requestedVersion?: number;
  /** What the initialize answer said (undefined: no usable answer). */
  negotiated?: number;
  clientCaps: Record<string, unknown>;
  agentCaps: Record<string, unknown>;
  authMethods: Record<string, unknown>[];
}

const obj = (v: unknown): Record<string, unknown> | undefined => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

export function sessionFacts(session: ConformanceSession): SessionFacts {
  const msgs: Msg[] = [];
  for (const frame of session.frames) {
    if (frame.dir === "sys" || frame.kind === "stderr") continue;
    if (frame.kind !== "request" && frame.kind !== "response" && frame.kind !== "error" && frame.kind !== "notification" && frame.kind !== "malformed") continue;
    const c = classify(frame.raw);
    const value = obj(c.value);
    msgs.push({
      frame,
      dir: frame.dir,
      kind: c.kind,
      method: c.method,
      id: c.id,
      value,
      params: obj(value?.params),
      result: obj(value?.result),
      error: value && "error" in value ? (obj(value.error) ?? {}) : undefined,
    });
  }
  const pending = { out: new Map<string, Exchange>(), in: new Map<string, Exchange>() };
  const clientRequests: Exchange[] = [];
  const agentRequests: Exchange[] = [];
  const strayAnswers: Msg[] = [];
  const all = new Map<string, Exchange>();
  for (const m of msgs) {
    if (m.kind === "request" && m.id !== undefined) {
      const ex = { request: m, answers: [] };
      (m.dir === "out" ? clientRequests : agentRequests).push(ex);
      pending[m.dir].set(m.id, ex);
      all.set(`${m.dir}|${m.id}`, ex);
    } else if ((m.kind === "response" || m.kind === "error") && m.id !== undefined) {
      const asker = m.dir === "in" ? "out" : "in";
      const open = pending[asker].get(m.id);
      if (open) {
        open.answers.push(m);
        pending[asker].delete(m.id);
      } else {
        const done = all.get(`${asker}|${m.id}`);
        // A second answer to an already answered id: kept on the exchange, so "answered once" sees it.
        if (done) done.answers.push(m);
        else strayAnswers.push(m);
      }
    } else if ((m.kind === "response" || m.kind === "error") && m.id === undefined) strayAnswers.push(m);
  }
  const killedByClient = session.frames.some((f) => f.kind === "lifecycle" && f.lifecycle?.event === "kill_requested");
  const exitedOnItsOwn = !killedByClient && session.frames.some((f) => f.kind === "lifecycle" && (f.lifecycle?.event === "exited" || f.lifecycle?.event === "spawn_error"));
  const init = clientRequests.find((e) => e.request.method === "initialize");
  const params = init?.request.params ?? {};
  const requestedVersion = typeof params.protocolVersion === "number" ? params.protocolVersion : undefined;
  const clientCaps = obj(requestedVersion === 2 ? params.capabilities : params.clientCapabilities) ?? {};
  const answer = init?.answers[0];
  const result = answer?.kind === "response" ? answer.result : undefined;
  const negotiated = typeof result?.protocolVersion === "number" ? result.protocolVersion : undefined;
  const agentCaps = obj(negotiated === 2 ? result?.capabilities : result?.agentCapabilities) ?? {};
  const authMethods = Array.isArray(result?.authMethods) ? (result.authMethods as unknown[]).map((m) => obj(m) ?? {}) : [];
  return { name: session.name, msgs, clientRequests, agentRequests, strayAnswers, killedByClient, exitedOnItsOwn, init, requestedVersion, negotiated, clientCaps, agentCaps, authMethods };
}

/** The method's id in the negotiated version's shape (v1 `id`, v2 `methodId`). */
function methodId(m: Record<string, unknown>): string | undefined {
  const id = m.methodId ?? m.id;
  return typeof id === "string" ? id : undefined;
}

function clientEnabledTerminal(s: SessionFacts): boolean {
  const auth = obj(s.clientCaps.auth);
  return s.requestedVersion === 2 ? auth?.terminal !== undefined && auth?.terminal !== null : auth?.terminal === true;
}

function agentHas(s: SessionFacts, ...pathParts: string[]): boolean {
  let v: unknown = s.agentCaps;
  for (const p of pathParts) v = obj(v)?.[p];
  return v !== undefined && v !== null && v !== false;
}

function answerOf(ex: Exchange): Msg | undefined {
  return ex.answers[0];
}

function errorCode(m: Msg | undefined): number | undefined {
  const code = m?.error?.code;
  return typeof code === "number" ? code : undefined;
}

const seqs = (ms: readonly (Msg | undefined)[]): number[] => [...new Set(ms.flatMap((m) => (m ? [m.frame.seq] : [])))].sort((a, b) => a - b);

const na = (detail: string, evidence: number[] = []): RuleOutcome => ({ verdict: "not-applicable", evidence, detail });
const pass = (detail: string, evidence: number[] = []): RuleOutcome => ({ verdict: "pass", evidence, detail });
const fail = (detail: string, evidence: number[]): RuleOutcome => ({ verdict: "fail", evidence, detail });

/** "in session X: …" for the first offending session, plus how many more. */
function where(bad: { s: SessionFacts; what: string }[]): string {
  const first = bad[0];
  return `${first.what} (${first.s.name})${bad.length > 1 ? `; and ${bad.length - 1} more` : ""}`;
}

/** Run a per-session check over all sessions: fail if any session fails, pass if any passes, else n/a. */
function perSession(sessions: readonly SessionFacts[], check: (s: SessionFacts) => { bad: Msg[]; what?: string; ok?: Msg[]; applies: boolean }, passText: string, naText: string): RuleOutcome {
  const bad: { s: SessionFacts; what: string; msgs: Msg[] }[] = [];
  const ok: Msg[] = [];
  let applies = false;
  for (const s of sessions) {
    const r = check(s);
    if (!r.applies) continue;
    applies = true;
    if (r.bad.length > 0) bad.push({ s, what: r.what ?? "violated", msgs: r.bad });
    else ok.push(...(r.ok ?? []));
  }
  if (bad.length > 0) return fail(where(bad), seqs(bad.flatMap((b) => b.msgs)));
  if (!applies) return na(naText);
  return pass(passText, seqs(ok).slice(0, 12));
}

// ── JSON-RPC basics ─────────────────────────────────────────────────────────

const JSONRPC_PREDEFINED = new Set([-32700, -32600, -32601, -32602, -32603]);
const ACP_CODES = new Set(KNOWN_ERROR_CODES.map((c) => c.code));

function jsonrpcVersion(side: RuleSide): Rule {
  const dir = side === "agent" ? "in" : "out";
  return {
    id: `${side === "agent" ? "" : "client."}jsonrpc.version`,
    level: "MUST",
    side,
    text: `Every message the ${side} writes is a JSON-RPC 2.0 object with "jsonrpc": "2.0".`,
    evaluate: (sessions) =>
      perSession(
        sessions,
        (s) => {
          const mine = s.msgs.filter((m) => m.dir === dir && m.kind !== "malformed");
          const bad = mine.filter((m) => m.value?.jsonrpc !== "2.0");
          return { applies: mine.length > 0, bad, what: `${bad.length} message(s) without "jsonrpc":"2.0", first: ${bad[0]?.frame.raw.slice(0, 80)}`, ok: mine.slice(0, 3) };
        },
        `every ${side} message carries "jsonrpc":"2.0"`,
        `the ${side} wrote no message`,
      ),
  };
}

function answeredOnce(side: RuleSide): Rule {
  const asker = side === "agent" ? "client" : "agent";
  return {
    id: `${side === "agent" ? "" : "client."}jsonrpc.answered-once`,
    level: "MUST",
    side,
    text: `The ${side} answers every ${asker} request exactly once (a response or an error with the request's id); it never answers twice, and never leaves a request unanswered when it exits.`,
    evaluate: (sessions) =>
      perSession(
        sessions,
        (s) => {
          const exchanges = side === "agent" ? s.clientRequests : s.agentRequests;
          const twice = exchanges.filter((e) => e.answers.length > 1);
          // Unanswered when the process ended on its own: the agent died holding a request.
          const never = side === "agent" && s.exitedOnItsOwn ? exchanges.filter((e) => e.answers.length === 0) : [];
          const bad = [...twice.flatMap((e) => [e.request, ...e.answers]), ...never.map((e) => e.request)];
          const what = twice.length ? `${twice[0].request.method} (id ${twice[0].request.id}) was answered ${twice[0].answers.length} times` : `${never[0]?.request.method} was never answered before the ${side} exited`;
          return { applies: exchanges.length > 0, bad, what, ok: exchanges.slice(0, 4).flatMap((e) => [e.request, ...e.answers]) };
        },
        `each ${asker} request got exactly one answer`,
        `no ${asker} request was sent`,
      ),
  };
}

function idsEchoed(side: RuleSide): Rule {
  const dir = side === "agent" ? "in" : "out";
  return {
    id: `${side === "agent" ? "" : "client."}jsonrpc.ids-echoed`,
    level: "MUST",
    side,
    text: `Every response or error the ${side} writes carries the id of an outstanding request, unchanged (same value and type); null only for a parse error or an invalid request.`,
    evaluate: (sessions) =>
      perSession(
        sessions,
        (s) => {
          const answers = s.msgs.filter((m) => m.dir === dir && (m.kind === "response" || m.kind === "error"));
          const bad = s.strayAnswers.filter((m) => m.dir === dir && !(m.id === "null" && (errorCode(m) === -32700 || errorCode(m) === -32600)));
          return { applies: answers.length > 0, bad, what: `an answer with id ${bad[0]?.id ?? "(none)"} matches no outstanding request`, ok: answers.slice(0, 4) };
        },
        `every ${side} answer echoes a request id`,
        `the ${side} wrote no answer`,
      ),
  };
}

const errorObject: Rule = {
  id: "jsonrpc.error-object",
  level: "MUST",
  side: "agent",
  text: 'An error response\'s "error" is an object with an integer "code" and a string "message", and a response has exactly one of "result" and "error".',
  evaluate: (sessions) =>
    perSession(
      sessions,
      (s) => {
        const answers = s.msgs.filter((m) => m.dir === "in" && m.id !== undefined && m.kind !== "request" && m.value && ("error" in m.value || "result" in m.value));
        const bad = answers.filter((m) => {
          const v = m.value ?? {};
          if ("error" in v && "result" in v) return true;
          if (!("error" in v)) return false;
          const e = obj(v.error);
          return !e || !Number.isInteger(e.code) || typeof e.message !== "string";
        });
        return { applies: answers.some((m) => m.value && "error" in m.value), bad, what: `malformed error: ${bad[0]?.frame.raw.slice(0, 100)}`, ok: answers.filter((m) => m.kind === "error").slice(0, 4) };
      },
      "every error object has an integer code and a message",
      "the agent sent no error",
    ),
};

const errorCodeRange: Rule = {
  id: "jsonrpc.error-code-range",
  level: "MUST",
  side: "agent",
  text: "Error codes in JSON-RPC's reserved range -32768…-32000 are the predefined ones (-32700, -32600…-32603) or implementation-defined server errors (-32099…-32000).",
  evaluate: (sessions) =>
    perSession(
      sessions,
      (s) => {
        const errors = s.msgs.filter((m) => m.dir === "in" && m.kind === "error");
        const bad = errors.filter((m) => {
          const c = errorCode(m) as number;
          return c >= -32768 && c <= -32000 && !JSONRPC_PREDEFINED.has(c) && !(c >= -32099);
        });
        return { applies: errors.length > 0, bad, what: `error code ${errorCode(bad[0])} is reserved by JSON-RPC`, ok: errors.slice(0, 4) };
      },
      "every error code is allowed by JSON-RPC",
      "the agent sent no error",
    ),
};

const errorCodeKnown: Rule = {
  id: "jsonrpc.error-code-known",
  level: "SHOULD",
  side: "agent",
  text: "Error codes are ones ACP names (-32700, -32600, -32601, -32602, -32603, -32800, -32000, -32002, v2's -32022), so a client can act on them.",
  evaluate: (sessions) =>
    perSession(
      sessions,
      (s) => {
        const errors = s.msgs.filter((m) => m.dir === "in" && m.kind === "error");
        const bad = errors.filter((m) => !ACP_CODES.has(errorCode(m) as number));
        return { applies: errors.length > 0, bad, what: `error code ${errorCode(bad[0])} (${bad[0]?.method ?? answerMethod(s, bad[0])}) is not one ACP names`, ok: errors.slice(0, 4) };
      },
      "every error code is one ACP names",
      "the agent sent no error",
    ),
};

function answerMethod(s: SessionFacts, m: Msg | undefined): string {
  if (!m) return "";
  return s.clientRequests.find((e) => e.answers.includes(m))?.request.method ?? "unpaired";
}

const stdoutClean: Rule = {
  id: "transport.stdout-acp-only",
  level: "MUST",
  side: "agent",
  text: "The agent MUST NOT write anything to its stdout that is not a valid ACP message (logs go to stderr).",
  evaluate: (sessions) =>
    perSession(
      sessions,
      (s) => {
        const mine = s.msgs.filter((m) => m.dir === "in");
        // A JSON object that is a broken JSON-RPC message is other rules' business; this one is about lines that are no message at all.
        const bad = mine.filter((m) => m.kind === "malformed" && m.value === undefined);
        return { applies: mine.length > 0, bad, what: `${bad.length} non-ACP stdout line(s), first: ${JSON.stringify(bad[0]?.frame.raw.slice(0, 80))}`, ok: mine.slice(0, 2) };
      },
      "every stdout line is a JSON-RPC message",
      "the agent wrote nothing",
    ),
};

const answeredInTime: Rule = {
  id: "jsonrpc.answered-in-time",
  level: "SHOULD",
  side: "agent",
  text: "The agent answers each request within the check's timeout instead of holding it (e.g. waiting for a browser it cannot open).",
  evaluate: (sessions) =>
    perSession(
      sessions,
      (s) => {
        const bad = s.clientRequests.filter((e) => e.answers.length === 0).map((e) => e.request);
        return { applies: s.clientRequests.length > 0, bad, what: `${bad[0]?.method} got no answer before the check gave up`, ok: s.clientRequests.slice(0, 3).map((e) => e.answers[0]) as Msg[] };
      },
      "every request was answered in time",
      "no request was sent",
    ),
};

// ── initialize and version negotiation ──────────────────────────────────────

const initializeVersion: Rule = {
  id: "initialize.protocol-version",
  level: "MUST",
  side: "agent",
  text: "initialize is answered with an integer protocolVersion: the requested one when the agent supports it, else the latest it supports.",
  evaluate: (sessions) => {
    const answered = sessions.filter((s) => s.init && answerOf(s.init)?.kind === "response");
    if (answered.length === 0) return na("no initialize was answered");
    const bad: { s: SessionFacts; what: string; msgs: Msg[] }[] = [];
    const supported = new Set(answered.filter((s) => s.negotiated === s.requestedVersion).map((s) => s.negotiated));
    for (const s of answered) {
      const answer = answerOf(s.init as Exchange) as Msg;
      if (s.negotiated === undefined || !Number.isInteger(s.negotiated)) bad.push({ s, what: `protocolVersion ${JSON.stringify(answer.result?.protocolVersion)} is not an integer`, msgs: [answer] });
      else if (s.requestedVersion !== undefined && s.negotiated !== s.requestedVersion && supported.has(s.requestedVersion)) bad.push({ s, what: `asked for v${s.requestedVersion}, which it answers elsewhere, but got v${s.negotiated}`, msgs: [s.init?.request as Msg, answer] });
    }
    if (bad.length) return fail(where(bad), seqs(bad.flatMap((b) => b.msgs)));
    return pass(`answered ${answered.map((s) => `v${s.requestedVersion}→v${s.negotiated}`).filter((v, i, a) => a.indexOf(v) === i).join(", ")}`, seqs(answered.map((s) => answerOf(s.init as Exchange))).slice(0, 8));
  },
};

const authMethodShape: Rule = {
  id: "initialize.auth-method-shape",
  level: "MUST",
  side: "agent",
  text: "Each authMethods entry has the negotiated version's required fields: v1 `id` and `name`; v2 `type`, `methodId` and `name`.",
  evaluate: (sessions) =>
    perSession(
      sessions,
      (s) => {
        const answer = s.init && answerOf(s.init);
        if (!answer || s.authMethods.length === 0) return { applies: false, bad: [] };
        const broken = s.authMethods.filter((m) => typeof m.name !== "string" || (s.negotiated === 2 ? typeof m.type !== "string" || typeof m.methodId !== "string" : typeof m.id !== "string"));
        return { applies: true, bad: broken.length ? [answer] : [], what: `auth method ${String(JSON.stringify(broken[0])).slice(0, 100)} lacks a v${s.negotiated} field`, ok: [answer] };
      },
      "every advertised auth method is well formed",
      "no auth method was advertised",
    ),
};

// ── section 8: auth ─────────────────────────────────────────────────────────

const terminalGated: Rule = {
  id: "auth.terminal-only-when-enabled",
  level: "MUST",
  side: "agent",
  text: "Agents MUST advertise a `terminal` auth method only when the client enabled its terminal authentication capability (v1 clientCapabilities.auth.terminal, v2 capabilities.auth.terminal).",
  evaluate: (sessions) =>
    perSession(
      sessions,
      (s) => {
        const answer = s.init && answerOf(s.init);
        if (!answer || answer.kind !== "response" || clientEnabledTerminal(s)) return { applies: false, bad: [] };
        const terminal = s.authMethods.filter((m) => m.type === "terminal");
        return { applies: true, bad: terminal.length ? [s.init?.request as Msg, answer] : [], what: `terminal method "${methodId(terminal[0] ?? {})}" advertised to a client without auth.terminal`, ok: [answer] };
      },
      "no terminal method reached a client that did not enable terminal auth",
      "every initialize enabled terminal auth",
    ),
};

const v2LoginLogout: Rule = {
  id: "auth.v2-login-logout-supported",
  level: "MUST",
  side: "agent",
  text: "v2: supplying one or more `authMethods` means the agent MUST support both `auth/login` and `auth/logout`.",
  evaluate: (sessions) =>
    perSession(
      sessions,
      (s) => {
        if (s.negotiated !== 2 || s.authMethods.length === 0) return { applies: false, bad: [] };
        const calls = s.clientRequests.filter((e) => e.request.method === "auth/login" || e.request.method === "auth/logout");
        if (calls.length === 0) return { applies: false, bad: [] };
        const bad = calls.filter((e) => errorCode(answerOf(e)) === -32601);
        return { applies: true, bad: bad.flatMap((e) => [e.request, answerOf(e) as Msg]), what: `${bad[0]?.request.method} answered -32601 though authMethods is not empty`, ok: calls.flatMap((e) => [e.request, ...e.answers]) };
      },
      "auth/login and auth/logout are served",
      "no v2 session advertised auth methods (or none was called)",
    ),
};

function statusCalls(s: SessionFacts): Exchange[] {
  return s.clientRequests.filter((e) => e.request.method === "auth/status");
}

const statusNotAuthRequired: Rule = {
  id: "auth.status-not-auth-required",
  level: "MUST",
  side: "agent",
  text: "Agents MUST NOT reject `auth/status` with `auth_required` (-32000), since clients call it to learn whether authentication is required.",
  evaluate: (sessions) =>
    perSession(
      sessions,
      (s) => {
        const calls = statusCalls(s).filter((e) => e.answers.length > 0);
        const bad = calls.filter((e) => errorCode(answerOf(e)) === -32000);
        return { applies: calls.length > 0, bad: bad.flatMap((e) => [e.request, answerOf(e) as Msg]), what: "auth/status answered -32000", ok: calls.flatMap((e) => e.answers) };
      },
      "auth/status never answered -32000",
      "auth/status was not called (the agent does not advertise auth.status)",
    ),
};

/** The fields of an auth status that are its state. */
function statusKey(m: Msg | undefined): string {
  if (!m) return "none";
  if (m.kind === "error") return `error ${errorCode(m)}`;
  return JSON.stringify({ state: m.result?.state, accounts: m.result?.accounts ?? [] });
}

function outcomeKey(m: Msg | undefined): string {
  if (!m) return "none";
  return m.kind === "error" ? `error ${errorCode(m)}` : "ok";
}

const statusNoSideEffect: Rule = {
  id: "auth.status-no-state-change",
  level: "MUST",
  side: "agent",
  text: "`auth/status` MUST NOT change any agent state: asking twice gives the same answer, session/new behaves the same before and after, and no auth/status_update follows it.",
  evaluate: (sessions) =>
    perSession(
      sessions,
      (s) => {
        const calls = statusCalls(s).filter((e) => e.answers.length > 0);
        if (calls.length < 2) return { applies: false, bad: [] };
        const bad: Msg[] = [];
        let what = "";
        // Consecutive auth/status calls with nothing but reads between them must agree.
        for (let i = 1; i < calls.length; i++) {
          const a = calls[i - 1];
          const b = calls[i];
          const between = s.clientRequests.filter((e) => e.request.frame.seq > a.request.frame.seq && e.request.frame.seq < b.request.frame.seq && e.request.method !== "auth/status" && e.request.method !== "session/new");
          if (between.length) continue;
          if (statusKey(answerOf(a)) !== statusKey(answerOf(b))) {
            bad.push(a.request, answerOf(a) as Msg, b.request, answerOf(b) as Msg);
            what = `two auth/status calls in a row disagree: ${statusKey(answerOf(a))} then ${statusKey(answerOf(b))}`;
          }
          const update = s.msgs.find((m) => m.dir === "in" && m.method === "auth/status_update" && m.frame.seq > a.request.frame.seq && m.frame.seq < (answerOf(b) as Msg).frame.seq);
          if (update) {
            bad.push(a.request, update);
            what ||= "auth/status was followed by an auth/status_update with no other request between";
          }
        }
        // session/new right before and right after the status calls must come out the same.
        const news = s.clientRequests.filter((e) => e.request.method === "session/new" && e.answers.length > 0);
        const first = calls[0].request.frame.seq;
        const last = calls[calls.length - 1].request.frame.seq;
        const before = [...news].reverse().find((e) => e.request.frame.seq < first);
        const after = news.find((e) => e.request.frame.seq > last);
        const onlyStatusBetween = before && after && !s.clientRequests.some((e) => e.request.frame.seq > before.request.frame.seq && e.request.frame.seq < after.request.frame.seq && e.request.method !== "auth/status");
        if (before && after && onlyStatusBetween && outcomeKey(answerOf(before)) !== outcomeKey(answerOf(after))) {
          bad.push(answerOf(before) as Msg, ...calls.map((e) => e.request), answerOf(after) as Msg);
          what ||= `session/new went from ${outcomeKey(answerOf(before))} to ${outcomeKey(answerOf(after))} across auth/status`;
        }
        return { applies: true, bad, what, ok: calls.flatMap((e) => e.answers) };
      },
      "repeated auth/status calls agree and leave session/new as it was",
      "auth/status was not called twice in a row",
    ),
};

const statusUpdateChangesOnly: Rule = {
  id: "auth.status-update-on-change",
  level: "SHOULD",
  side: "agent",
  text: "Agents that advertise `auth.status` SHOULD only send `auth/status_update` when the reported status differs from the last one sent on the connection.",
  evaluate: (sessions) =>
    perSession(
      sessions,
      (s) => {
        const updates = s.msgs.filter((m) => m.dir === "in" && m.method === "auth/status_update");
        if (updates.length === 0) return { applies: false, bad: [] };
        const bad: Msg[] = [];
        for (let i = 1; i < updates.length; i++) {
          if (JSON.stringify(updates[i].params) === JSON.stringify(updates[i - 1].params)) bad.push(updates[i - 1], updates[i]);
        }
        return { applies: true, bad, what: "two identical auth/status_update in a row", ok: updates };
      },
      "every auth/status_update reported a change",
      "no auth/status_update was sent",
    ),
};

const statusCapability: Rule = {
  id: "auth.status-capability",
  level: "SHOULD",
  side: "agent",
  text: "An agent that advertises `auth.status` serves `auth/status`; only such an agent sends `auth/status_update`.",
  evaluate: (sessions) =>
    perSession(
      sessions,
      (s) => {
        const advertised = agentHas(s, "auth", "status");
        const updates = s.msgs.filter((m) => m.dir === "in" && m.method === "auth/status_update");
        const calls = statusCalls(s);
        if (!advertised && updates.length === 0) return { applies: false, bad: [] };
        if (!advertised) return { applies: true, bad: updates, what: "auth/status_update sent without advertising auth.status" };
        const missing = calls.filter((e) => errorCode(answerOf(e)) === -32601);
        return { applies: true, bad: missing.flatMap((e) => [e.request, answerOf(e) as Msg]), what: "auth.status advertised but auth/status answered -32601", ok: calls.flatMap((e) => e.answers) };
      },
      "auth.status is advertised and served together",
      "the agent neither advertises auth.status nor sends auth/status_update",
    ),
};

const logoutCapability: Rule = {
  id: "auth.logout-capability",
  level: "SHOULD",
  side: "agent",
  text: "A v1 agent that advertises `agentCapabilities.auth.logout` serves `logout`.",
  evaluate: (sessions) =>
    perSession(
      sessions,
      (s) => {
        const calls = s.clientRequests.filter((e) => e.request.method === "logout" && e.answers.length > 0);
        if (s.negotiated !== 1 || !agentHas(s, "auth", "logout") || calls.length === 0) return { applies: false, bad: [] };
        const bad = calls.filter((e) => errorCode(answerOf(e)) === -32601);
        return { applies: true, bad: bad.flatMap((e) => [e.request, answerOf(e) as Msg]), what: "logout answered -32601 though auth.logout is advertised", ok: calls.flatMap((e) => e.answers) };
      },
      "logout is served",
      "logout was not advertised or not called",
    ),
};

const elicitationCapability: Rule = {
  id: "elicitation.capability",
  level: "SHOULD",
  side: "agent",
  text: "The agent sends `elicitation/create` only in a mode the client advertised in clientCapabilities.elicitation (form, url).",
  evaluate: (sessions) =>
    perSession(
      sessions,
      (s) => {
        const creates = s.agentRequests.filter((e) => e.request.method === "elicitation/create").map((e) => e.request);
        if (creates.length === 0) return { applies: false, bad: [] };
        const el = obj(s.clientCaps.elicitation);
        const bad = creates.filter((m) => {
          const mode = m.params?.mode;
          return typeof mode !== "string" || !el || obj(el[mode]) === undefined;
        });
        return { applies: true, bad, what: `elicitation/create mode ${String(bad[0]?.params?.mode)} that the client did not advertise`, ok: creates };
      },
      "every elicitation used an advertised mode",
      "the agent sent no elicitation",
    ),
};

const elicitationComplete: Rule = {
  id: "elicitation.complete-known",
  level: "SHOULD",
  side: "agent",
  text: "`elicitation/complete` names the elicitationId of an earlier URL-mode `elicitation/create` on the connection.",
  evaluate: (sessions) =>
    perSession(
      sessions,
      (s) => {
        const completes = s.msgs.filter((m) => m.dir === "in" && m.method === "elicitation/complete");
        if (completes.length === 0) return { applies: false, bad: [] };
        const bad = completes.filter((c) => !s.msgs.some((m) => m.dir === "in" && m.method === "elicitation/create" && m.frame.seq < c.frame.seq && m.params?.mode === "url" && m.params?.elicitationId === c.params?.elicitationId));
        return { applies: true, bad, what: `elicitation/complete for unknown id ${String(bad[0]?.params?.elicitationId)}`, ok: completes };
      },
      "every elicitation/complete closes a known URL elicitation",
      "the agent sent no elicitation/complete",
    ),
};

// ── client side ─────────────────────────────────────────────────────────────

const clientNoTerminalAuthenticate: Rule = {
  id: "client.no-terminal-authenticate",
  level: "MUST",
  side: "client",
  text: "The client MUST NOT pass a `terminal` auth method to `authenticate` (v1) or `auth/login` (v2); it runs it as a program instead.",
  evaluate: (sessions) =>
    perSession(
      sessions,
      (s) => {
        const terminalIds = new Set(s.authMethods.filter((m) => m.type === "terminal").map(methodId));
        const calls = s.clientRequests.filter((e) => e.request.method === "authenticate" || e.request.method === "auth/login").map((e) => e.request);
        if (calls.length === 0) return { applies: false, bad: [] };
        const bad = calls.filter((m) => terminalIds.has(m.params?.methodId as string));
        return { applies: true, bad, what: `${bad[0]?.method} with terminal method "${String(bad[0]?.params?.methodId)}"`, ok: calls };
      },
      "no terminal method was passed to authenticate or auth/login",
      "the client never called authenticate or auth/login",
    ),
};

const clientNoLoginWithoutMethods: Rule = {
  id: "client.v2-no-login-without-methods",
  level: "MUST",
  side: "client",
  text: "v2: clients MUST NOT call `auth/login` or `auth/logout` when `authMethods` was omitted or empty.",
  evaluate: (sessions) =>
    perSession(
      sessions,
      (s) => {
        const calls = s.clientRequests.filter((e) => e.request.method === "auth/login" || e.request.method === "auth/logout").map((e) => e.request);
        if (calls.length === 0) return { applies: false, bad: [] };
        return { applies: true, bad: s.authMethods.length === 0 ? calls : [], what: `${calls[0].method} after an initialize without authMethods`, ok: calls };
      },
      "auth/login and auth/logout only followed a non-empty authMethods",
      "the client never called auth/login or auth/logout",
    ),
};

const V1_ONLY = new Set(["authenticate", "logout", "session/load", "session/set_mode"]);
const V2_ONLY = new Set(["auth/login", "auth/logout", "tool_call/cancel", "terminal/cancel"]);

const clientNegotiatedVersion: Rule = {
  id: "client.speaks-negotiated-version",
  level: "MUST",
  side: "client",
  text: "The client sends initialize first, in the requested version's shape (v1 clientCapabilities/clientInfo, v2 info/capabilities), and afterwards speaks the version the agent answered: no v1-only method on v2, no v2-only method on v1.",
  evaluate: (sessions) =>
    perSession(
      sessions,
      (s) => {
        const reqs = s.clientRequests.map((e) => e.request);
        if (reqs.length === 0) return { applies: false, bad: [] };
        const bad: Msg[] = [];
        let what = "";
        if (reqs[0].method !== "initialize") {
          bad.push(reqs[0]);
          what = `the first request is ${reqs[0].method}, not initialize`;
        }
        const init = s.init?.request;
        if (init && s.requestedVersion === 2 && !obj(init.params?.info)) {
          bad.push(init);
          what ||= "a v2 initialize without info";
        }
        if (init && s.requestedVersion === 1 && (init.params?.capabilities !== undefined || init.params?.info !== undefined)) {
          bad.push(init);
          what ||= "a v1 initialize in v2's shape";
        }
        if (s.negotiated !== undefined) {
          const wrong = reqs.filter((m) => (s.negotiated === 2 ? V1_ONLY : V2_ONLY).has(m.method ?? ""));
          if (wrong.length) {
            bad.push(...wrong);
            what ||= `${wrong[0].method} on a v${s.negotiated} connection`;
          }
        }
        return { applies: true, bad, what, ok: init ? [init] : [] };
      },
      "initialize came first and every later request belongs to the negotiated version",
      "the client sent no request",
    ),
};

const clientPermissionCancelled: Rule = {
  id: "client.cancelled-permission",
  level: "MUST",
  side: "client",
  text: "After the client sends `session/cancel`, it MUST answer the session's pending `session/request_permission` requests with outcome `cancelled`.",
  evaluate: (sessions) =>
    perSession(
      sessions,
      (s) => {
        const cancels = s.msgs.filter((m) => m.dir === "out" && m.method === "session/cancel");
        const bad: Msg[] = [];
        let applies = false;
        for (const c of cancels) {
          for (const e of s.agentRequests) {
            if (e.request.method !== "session/request_permission" || e.request.params?.sessionId !== c.params?.sessionId || e.request.frame.seq > c.frame.seq) continue;
            const answer = answerOf(e);
            if (answer && answer.frame.seq < c.frame.seq) continue;
            applies = true;
            const outcome = obj(answer?.result?.outcome)?.outcome;
            if (answer && outcome !== "cancelled") bad.push(c, e.request, answer);
          }
        }
        return { applies, bad, what: "a permission pending at session/cancel was answered other than cancelled" };
      },
      "pending permissions were answered cancelled",
      "no permission was pending when the client cancelled",
    ),
};

const clientLogoutCapability: Rule = {
  id: "client.logout-only-when-advertised",
  level: "SHOULD",
  side: "client",
  text: "v1: the client calls `logout` only when the agent advertised `agentCapabilities.auth.logout`; `auth/status` and `providers/*` only when the agent advertised `auth.status` / `providers`.",
  evaluate: (sessions) =>
    perSession(
      sessions,
      (s) => {
        const calls = s.clientRequests.map((e) => e.request).filter((m) => (m.method === "logout" && s.negotiated === 1) || m.method === "auth/status" || m.method?.startsWith("providers/"));
        if (calls.length === 0) return { applies: false, bad: [] };
        const bad = calls.filter((m) => (m.method === "logout" && !agentHas(s, "auth", "logout")) || (m.method === "auth/status" && !agentHas(s, "auth", "status")) || (m.method?.startsWith("providers/") && !agentHas(s, "providers")));
        return { applies: true, bad, what: `${bad[0]?.method} without the agent advertising it`, ok: calls };
      },
      "capability-gated methods were called only when advertised",
      "the client called no capability-gated method",
    ),
};

export const RULES: readonly Rule[] = [
  jsonrpcVersion("agent"),
  answeredOnce("agent"),
  idsEchoed("agent"),
  errorObject,
  errorCodeRange,
  stdoutClean,
  initializeVersion,
  authMethodShape,
  terminalGated,
  v2LoginLogout,
  statusNotAuthRequired,
  statusNoSideEffect,
  answeredInTime,
  errorCodeKnown,
  statusUpdateChangesOnly,
  statusCapability,
  logoutCapability,
  elicitationCapability,
  elicitationComplete,
  jsonrpcVersion("client"),
  answeredOnce("client"),
  idsEchoed("client"),
  clientNoTerminalAuthenticate,
  clientNoLoginWithoutMethods,
  clientNegotiatedVersion,
  clientPermissionCancelled,
  clientLogoutCapability,
];

/** Evaluate the rules (of one side, or both) over the sessions. */
export function evaluateConformance(sessions: readonly ConformanceSession[], opts: { side?: RuleSide; rules?: readonly Rule[] } = {}): RuleReport[] {
  const facts = sessions.map(sessionFacts);
  return (opts.rules ?? RULES)
    .filter((r) => !opts.side || r.side === opts.side)
    .map((r) => {
      let outcome: RuleOutcome;
      try {
        outcome = r.evaluate(facts);
      } catch (error) {
        // A rule that cannot read these frames says so instead of passing silently.
        outcome = { verdict: "fail", evidence: [], detail: `the rule could not be evaluated: ${(error as Error).message}` };
      }
      return { id: r.id, level: r.level, side: r.side, text: r.text, ...outcome };
    });
}

export function summarize(reports: readonly RuleReport[]): ConformanceSummary {
  return {
    pass: reports.filter((r) => r.verdict === "pass").length,
    fail: reports.filter((r) => r.verdict === "fail").length,
    notApplicable: reports.filter((r) => r.verdict === "not-applicable").length,
  };
}

/** True when a MUST failed: the CLI's exit status 1. */
export function mustFailed(reports: readonly RuleReport[]): boolean {
  return reports.some((r) => r.level === "MUST" && r.verdict === "fail");
}

/** The frames of several runs as one log with unique, increasing seqs (answers re-paired to the new seqs). */
export function joinSessions(runs: readonly { name: string; frames: readonly Frame[] }[]): { sessions: ConformanceSession[]; frames: Frame[] } {
  const frames: Frame[] = [];
  const sessions: ConformanceSession[] = [];
  let next = 0;
  for (const run of runs) {
    const map = new Map<number, number>();
    for (const f of run.frames) map.set(f.seq, next++);
    const renumbered = run.frames.map((f) => ({ ...f, seq: map.get(f.seq) as number, pairSeq: f.pairSeq === undefined ? undefined : map.get(f.pairSeq) }));
    frames.push(...renumbered);
    sessions.push({ name: run.name, frames: renumbered });
  }
  return { sessions, frames };
}
