/**
 * "Why -32000?": everything the playground can say about one auth failure on one screen — what
 * the code means (ACP's auth_required or merely JSON-RPC's generic server-error range), the
 * error's data, the agent's stderr around it, which credential sources the profile provides
 * (names only), matching known issues, and contradictions in the agent's own answers. Known
 * issues are data (known-issues.json) so a new one is a JSON edit, not a code change. Isomorphic.
 */
import { errorData, FrameIndex, initializeExchanges, isClientRequest, PROMPT_METHODS, SESSION_METHODS, STDOUT_PROMPT_NOTE, stdoutPrompts } from "./auth-frames";
import { explainError, explainErrorText } from "./error-codes";
import { relayMade } from "./fault-notes";
import knownIssuesFile from "./known-issues.json";
import { describeRange, LOGIN_METHODS, versionInRange, type VersionRange } from "./version";
import { type AgentFamily, type CredentialSource, sourcesFor } from "./credential-sources";
import { type ClientCaps, type Frame, PROFILE_KINDS, type ProfileKind } from "./wire";

// ─── Known-issue rules ─────────────────────────────────────────────────────────────────────────

export interface KnownIssueRule {
  id: string;
  title: string;
  explanation: string;
  suggestions: string[];
  links: string[];
  fixedIn?: string;
  when: {
    agent?: { name?: string; kimi?: boolean; version?: VersionRange };
    profile?: { kinds?: ProfileKind[]; sourcesPresent?: string[]; sourcesAbsent?: string[] };
    failure?: { codes?: number[]; methods?: string[]; message?: string };
    stderr?: string;
    /**
     * What the out-of-band lanes showed (issue #13): how the last token refresh before the failure
     * ended, whether a token file was blanked, and (for diagnoseOAuth) whether the prompt was
     * answered normally although it failed (`hidden`).
     */
    oauth?: { refresh?: RefreshOutcome[]; blanked?: boolean; hidden?: boolean };
  };
}

/** known-issues.json (or a rule list given to diagnose) does not have the documented shape. */
export class KnownIssuesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

type Json = Record<string, unknown>;

function obj(value: unknown, where: string): Json {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new KnownIssuesError(`${where} must be an object.`);
  return value as Json;
}

function optional<T>(value: Json, key: string, where: string, check: (v: unknown, w: string) => T): T | undefined {
  return value[key] === undefined ? undefined : check(value[key], `${where}.${key}`);
}

function text(value: unknown, where: string): string {
  if (typeof value !== "string" || value.length === 0) throw new KnownIssuesError(`${where} must be a non-empty string.`);
  return value;
}

function pattern(value: unknown, where: string): string {
  const source = text(value, where);
  try {
    new RegExp(source, "i");
  } catch (error) {
    throw new KnownIssuesError(`${where} is not a valid regular expression: ${(error as Error).message}`);
  }
  return source;
}

function list<T>(check: (v: unknown, w: string) => T): (value: unknown, where: string) => T[] {
  return (value, where) => {
    if (!Array.isArray(value)) throw new KnownIssuesError(`${where} must be an array.`);
    return value.map((v, i) => check(v, `${where}[${i}]`));
  };
}

function integer(value: unknown, where: string): number {
  if (typeof value !== "number" || !Number.isInteger(value)) throw new KnownIssuesError(`${where} must be an integer.`);
  return value;
}

function range(value: unknown, where: string): VersionRange {
  const r = obj(value, where);
  const out: VersionRange = {};
  for (const key of Object.keys(r)) {
    if (key !== "lt" && key !== "lte" && key !== "gt" && key !== "gte" && key !== "eq") throw new KnownIssuesError(`${where}.${key} is not a version bound (lt, lte, gt, gte, eq).`);
    out[key] = text(r[key], `${where}.${key}`);
  }
  return out;
}

const KINDS: readonly ProfileKind[] = PROFILE_KINDS;

function kind(value: unknown, where: string): ProfileKind {
  if (typeof value !== "string" || !KINDS.includes(value as ProfileKind)) throw new KnownIssuesError(`${where} must be one of ${KINDS.join(", ")}.`);
  return value as ProfileKind;
}

/** Validate a rules file; throws KnownIssuesError naming the first bad field. */
export function parseKnownIssues(value: unknown): KnownIssueRule[] {
  const file = obj(value, "known issues");
  const rules = list((raw, where): KnownIssueRule => {
    const r = obj(raw, where);
    const when = obj(r.when ?? {}, `${where}.when`);
    const agent = optional(when, "agent", `${where}.when`, obj);
    const profile = optional(when, "profile", `${where}.when`, obj);
    const failure = optional(when, "failure", `${where}.when`, obj);
    const rule: KnownIssueRule = {
      id: text(r.id, `${where}.id`),
      title: text(r.title, `${where}.title`),
      explanation: text(r.explanation, `${where}.explanation`),
      suggestions: optional(r, "suggestions", where, list(text)) ?? [],
      links: optional(r, "links", where, list(text)) ?? [],
      when: {},
    };
    const fixedIn = optional(r, "fixedIn", where, text);
    if (fixedIn !== undefined) rule.fixedIn = fixedIn;
    if (agent) {
      const w = `${where}.when.agent`;
      const kimi = optional(agent, "kimi", w, (v, ww) => {
        if (typeof v !== "boolean") throw new KnownIssuesError(`${ww} must be true or false.`);
        return v;
      });
      rule.when.agent = { name: optional(agent, "name", w, pattern), kimi, version: optional(agent, "version", w, range) };
    }
    if (profile) {
      const w = `${where}.when.profile`;
      rule.when.profile = {
        kinds: optional(profile, "kinds", w, list(kind)),
        sourcesPresent: optional(profile, "sourcesPresent", w, list(text)),
        sourcesAbsent: optional(profile, "sourcesAbsent", w, list(text)),
      };
    }
    if (failure) {
      const w = `${where}.when.failure`;
      rule.when.failure = { codes: optional(failure, "codes", w, list(integer)), methods: optional(failure, "methods", w, list(text)), message: optional(failure, "message", w, pattern) };
    }
    const stderr = optional(when, "stderr", `${where}.when`, pattern);
    if (stderr !== undefined) rule.when.stderr = stderr;
    const oauth = optional(when, "oauth", `${where}.when`, obj);
    if (oauth) {
      const w = `${where}.when.oauth`;
      const flag = (v: unknown, ww: string): boolean => {
        if (typeof v !== "boolean") throw new KnownIssuesError(`${ww} must be true or false.`);
        return v;
      };
      const outcome = (v: unknown, ww: string): RefreshOutcome => {
        if (typeof v !== "string" || !(REFRESH_OUTCOMES as readonly string[]).includes(v)) throw new KnownIssuesError(`${ww} must be one of ${REFRESH_OUTCOMES.join(", ")}.`);
        return v as RefreshOutcome;
      };
      rule.when.oauth = { refresh: optional(oauth, "refresh", w, list(outcome)), blanked: optional(oauth, "blanked", w, flag), hidden: optional(oauth, "hidden", w, flag) };
    }
    return rule;
  })(file.rules, "known issues.rules");
  const ids = new Set<string>();
  for (const rule of rules) {
    if (ids.has(rule.id)) throw new KnownIssuesError(`known issues: rule id "${rule.id}" is used twice.`);
    ids.add(rule.id);
  }
  return rules;
}

let shipped: KnownIssueRule[] | undefined;

/** The rules of lib/known-issues.json, validated once. */
export function knownIssues(): KnownIssueRule[] {
  shipped ??= parseKnownIssues(knownIssuesFile);
  return shipped;
}

// ─── Failures ──────────────────────────────────────────────────────────────────────────────────

const GATED_METHODS: readonly string[] = [...SESSION_METHODS, ...LOGIN_METHODS];

/**
 * Error frames the panel explains: -32000 on any request (a session request, authenticate, or a
 * prompt: Claude gates session/prompt, not session/new), and any error answering authenticate (an
 * unknown method id is -32602, a missing handler -32601, Codex's unset variable -32603).
 */
export function authFailures(frames: readonly Frame[]): Frame[] {
  return frames.filter(
    (f) => f.dir === "in" && f.kind === "error" && f.errorCode !== undefined && f.method !== undefined && (f.errorCode === -32000 || (GATED_METHODS.includes(f.method) && LOGIN_METHODS.includes(f.method))),
  );
}

// ─── Contradictions ────────────────────────────────────────────────────────────────────────────

export type ContradictionId = "authenticated-but-gated" | "advertised-method-rejected" | "new-gated-resume-not" | "terminal-without-capability" | "session-created-prompt-gated" | "stdout-prompt";

export interface Contradiction {
  id: ContradictionId;
  title: string;
  detail: string;
  runId: string;
  frameSeqs: number[];
}

function methodIdOf(request: Frame): string | undefined {
  try {
    const id = (JSON.parse(request.raw) as { params?: { methodId?: unknown } }).params?.methodId;
    return typeof id === "string" ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Places where the agent's answers disagree with each other or with the spec. Each detector looks
 * within one run: a new process may legitimately see a different auth state (after a login).
 */
export function findContradictions(frames: readonly Frame[], clientCaps?: ClientCaps): Contradiction[] {
  const index = new FrameIndex(frames);
  const out: Contradiction[] = [];
  const seqs = (...fs: (Frame | undefined)[]): number[] => fs.filter((f): f is Frame => f !== undefined).map((f) => f.seq);

  // (a) authenticate said yes, the very next session request in that process still fails.
  frames.forEach((f, pos) => {
    if (!isClientRequest(f, LOGIN_METHODS)) return;
    const auth = index.outcome(f);
    if (auth.state !== "ok") return;
    const next = frames.slice(pos + 1).find((g) => g.runId === f.runId && isClientRequest(g, SESSION_METHODS));
    if (!next) return;
    const retry = index.outcome(next);
    if (retry.state !== "failed") return;
    out.push({
      id: "authenticated-but-gated",
      title: "authenticate succeeded, but the next session request still fails",
      detail: `authenticate("${methodIdOf(f) ?? "?"}") returned a result, then ${next.method} failed with ${retry.code ?? "no code"} ${retry.message}. After a successful authenticate the spec expects session/new to pass the auth gate.`,
      runId: f.runId,
      frameSeqs: seqs(f, auth.answer, next, retry.answer),
    });
  });

  // (b) authenticate refused a method id the agent itself advertised.
  const exchanges = initializeExchanges(index, clientCaps);
  const at = (e: (typeof exchanges)[number]): number => index.indexOf((e.request ?? e.answer) as Frame);
  frames.forEach((f, pos) => {
    if (!isClientRequest(f, LOGIN_METHODS)) return;
    const outcome = index.outcome(f);
    if (outcome.state !== "failed" || (outcome.code !== -32601 && outcome.code !== -32602)) return;
    const init = [...exchanges].reverse().find((e) => e.answer?.kind === "response" && e.answer.runId === f.runId && at(e) < pos);
    const id = methodIdOf(f);
    const method = init?.methods.find((m) => m.id === id);
    // The spec forbids authenticate for a typed terminal method, so refusing one is correct.
    if (!init || !method || method.class === "terminal") return;
    const why = outcome.code === -32601 ? "does not implement authenticate at all" : "calls the id invalid";
    out.push({
      id: "advertised-method-rejected",
      title: `authenticate("${id}") was refused although initialize advertised it`,
      detail: `initialize listed "${id}" (${method.class === "agent" ? "an agent method, which is run through authenticate" : method.class === "legacy-terminal" ? "a legacy _meta terminal-auth method, which decodes as an agent method" : "a method of an unknown type"}), but the agent answered ${outcome.code} and so ${why}.`,
      runId: f.runId,
      frameSeqs: seqs(init.answer, f, outcome.answer),
    });
  });

  // (c) the gate applies to session/new but not to session/resume (or load) in the same process.
  const byRun = new Map<string, { gated?: Frame[]; passed?: Frame[] }>();
  for (const f of frames) {
    if (!isClientRequest(f, SESSION_METHODS)) continue;
    const o = index.outcome(f);
    const entry = byRun.get(f.runId) ?? {};
    if (f.method === "session/new" && o.state === "failed" && o.code === -32000) entry.gated ??= [f, o.answer];
    if (f.method !== "session/new" && o.state === "ok") entry.passed ??= [f, o.answer];
    byRun.set(f.runId, entry);
  }
  for (const [runId, { gated, passed }] of byRun) {
    if (!gated || !passed) continue;
    const method = passed[0].method ?? "session/resume";
    out.push({
      id: "new-gated-resume-not",
      title: `session/new is gated, but ${method} is not`,
      detail: `session/new failed with -32000 while ${method} succeeded in the same process. Either the gate is missing on ${method} or it is wrong on session/new.`,
      runId,
      frameSeqs: seqs(...[...gated, ...passed].sort((a, b) => index.indexOf(a) - index.indexOf(b))),
    });
  }

  // (e) a session was created, then the prompt in it was refused with auth_required.
  for (const f of frames) {
    if (!isClientRequest(f, PROMPT_METHODS)) continue;
    const o = index.outcome(f);
    if (o.state !== "failed" || o.code !== -32000) continue;
    const pos = index.indexOf(f);
    const created = frames.slice(0, pos).reverse().find((g) => g.runId === f.runId && isClientRequest(g, SESSION_METHODS) && index.outcome(g).state === "ok");
    if (!created) continue;
    out.push({
      id: "session-created-prompt-gated",
      title: `${created.method} succeeded, but ${f.method} was refused with -32000`,
      detail: `The agent created a session without checking auth (the spec allows that: session/new "may" return auth_required) and refused ${f.method} instead. A created session is not proof of authentication; log in, then prompt again.`,
      runId: f.runId,
      frameSeqs: seqs(created, index.answerOf(created), f, o.answer),
    });
    break;
  }

  // (f) the agent prompts on stdout, where only JSON-RPC may go (Gemini's oauth-personal).
  const prompts = stdoutPrompts(frames);
  if (prompts.length > 0) {
    out.push({
      id: "stdout-prompt",
      title: "Protocol breach: an interactive prompt on stdout",
      detail: `${STDOUT_PROMPT_NOTE.charAt(0).toUpperCase()}${STDOUT_PROMPT_NOTE.slice(1)}. The request it answers stays pending until the agent is killed. Use a method the client can complete (an API key, an env_var method, a terminal login).`,
      runId: prompts[0].runId,
      frameSeqs: seqs(...prompts),
    });
  }

  // (d) a typed terminal method offered to a client that did not say it can run one.
  for (const e of exchanges) {
    if (!e.caps || e.caps.authTerminal || e.answer?.kind !== "response") continue;
    const terminal = e.methods.filter((m) => m.class === "terminal");
    if (terminal.length === 0) continue;
    out.push({
      id: "terminal-without-capability",
      title: "A terminal auth method was offered although the client did not advertise auth.terminal",
      detail: `initialize did not send clientCapabilities.auth.terminal: true${e.request ? "" : " (judged by the relay's configured caps: the request scrolled out)"}, yet the agent offered ${terminal.map((m) => `"${m.id}"`).join(", ")} of type "terminal". The spec lets agents advertise terminal methods only to clients that set it.`,
      runId: e.answer.runId,
      frameSeqs: seqs(e.request, e.answer),
    });
  }
  return out;
}

// ─── Diagnosis ─────────────────────────────────────────────────────────────────────────────────

/** A rule that matched: its text, plus why it matched. */
export interface MatchedRule extends Omit<KnownIssueRule, "when"> {
  /** Why it matched, one line per condition, e.g. "agent version 0.28.0 is <= 0.28.0". */
  evidence: string[];
}

export interface Diagnosis {
  failureSeq: number;
  failureRunId: string;
  method: string;
  code: number;
  message: string;
  codeMeaning: string;
  errorData?: unknown;
  /** Stderr lines of the same run within ±5 frames or ±2 s of the failure, and after it until the exit; already redacted. */
  stderrAround: { seq: number; text: string }[];
  /** Credential source names of the profile; never values. */
  sources: string[];
  /** Every source the agent reads (by the profile kind's agent, else the agent's name), marked set or not. */
  agentSources?: { family: AgentFamily; label: string; sources: CredentialSource[] };
  rules: MatchedRule[];
  contradictions: Contradiction[];
}

export interface DiagnoseInput {
  frames: readonly Frame[];
  /** The catalog entry that ran: id, the version the catalog knows, whether it is a Kimi build. */
  agent: { id: string; version?: string; kimi?: boolean };
  profile: { kind: ProfileKind; sources: string[] };
  /** What the relay is configured to advertise; used only when the initialize request is gone. */
  clientCaps?: ClientCaps;
  /** Explain this failure (seq of the error frame) instead of the latest one. */
  failureSeq?: number;
  /** Rules to match instead of known-issues.json (tests, user-supplied rules). */
  rules?: readonly KnownIssueRule[];
}

const STDERR_FRAMES = 5;
const STDERR_MS = 2000;
/** At most this many stderr lines in a diagnosis (an agent can print a lot before it exits). */
const STDERR_MAX_LINES = 200;

/** The meaning, from the one function every view asks (lib/error-codes.ts). */
function codeMeaning(failure: Frame): string {
  const code = failure.errorCode ?? 0;
  const text = explainErrorText({ code, message: failure.errorMessage, data: errorData(failure), method: failure.method });
  return code === -32000 ? text : `${describeName(code)}: ${text}`;
}

function describeName(code: number): string {
  return explainError({ code }).name;
}

interface RuleContext {
  failure: Frame;
  agentNames: string[];
  version?: { value: string; from: string };
  kimi: boolean;
  profile: DiagnoseInput["profile"];
  stderr: { seq: number; text: string }[];
  /** The OAuth lanes before the failure (refresh hops, token files). */
  oauth: OAuthEvidence;
}

/** Evidence for the rule's agent conditions, or undefined when one does not hold. */
function agentEvidence(agent: KnownIssueRule["when"]["agent"], ctx: Pick<RuleContext, "agentNames" | "version" | "kimi">): string[] | undefined {
  const evidence: string[] = [];
  if (agent?.name !== undefined) {
    const re = new RegExp(agent.name, "i");
    const hit = ctx.agentNames.find((n) => re.test(n));
    if (hit === undefined) return undefined;
    evidence.push(`agent "${hit}" matches /${agent.name}/i`);
  }
  if (agent?.kimi !== undefined) {
    if (ctx.kimi !== agent.kimi) return undefined;
    evidence.push(agent.kimi ? "the catalog marks the agent as a Kimi Code build" : "the catalog does not mark the agent as a Kimi Code build");
  }
  if (agent?.version !== undefined) {
    if (!ctx.version || !versionInRange(ctx.version.value, agent.version)) return undefined;
    evidence.push(`agent version ${ctx.version.value} (${ctx.version.from}) is ${describeRange(agent.version)}`);
  }
  return evidence;
}

/** Evidence lines when every condition of the rule holds, undefined otherwise. */
function matchRule(rule: KnownIssueRule, ctx: RuleContext): string[] | undefined {
  const { agent, profile, failure, stderr, oauth } = rule.when;
  const evidence = agentEvidence(agent, ctx);
  if (!evidence) return undefined;
  if (oauth !== undefined) {
    // An error frame is, by definition, not hidden from the client.
    if (oauth.hidden === true) return undefined;
    if (oauth.refresh !== undefined) {
      if (!ctx.oauth.refresh || !oauth.refresh.includes(ctx.oauth.refresh.outcome)) return undefined;
      evidence.push(`the last token refresh before it (http #${ctx.oauth.refresh.frame.seq}) ended ${ctx.oauth.refresh.outcome}`);
    }
    if (oauth.blanked !== undefined) {
      if ((ctx.oauth.blanked !== undefined) !== oauth.blanked) return undefined;
      if (ctx.oauth.blanked) evidence.push(`${ctx.oauth.blanked.home?.path ?? "the token file"} was blanked (home #${ctx.oauth.blanked.seq})`);
    }
  }
  if (profile?.kinds !== undefined) {
    if (!profile.kinds.includes(ctx.profile.kind)) return undefined;
    evidence.push(`profile kind ${ctx.profile.kind}`);
  }
  for (const source of profile?.sourcesPresent ?? []) {
    if (!ctx.profile.sources.includes(source)) return undefined;
    evidence.push(`profile provides ${source}`);
  }
  for (const source of profile?.sourcesAbsent ?? []) {
    if (ctx.profile.sources.includes(source)) return undefined;
    evidence.push(`profile has no ${source}`);
  }
  const code = ctx.failure.errorCode;
  const method = ctx.failure.method ?? "";
  if (failure?.codes !== undefined) {
    if (code === undefined || !failure.codes.includes(code)) return undefined;
  }
  if (failure?.methods !== undefined && !failure.methods.includes(method)) return undefined;
  if (failure?.codes !== undefined || failure?.methods !== undefined) evidence.push(`${method} failed with ${code}`);
  if (failure?.message !== undefined) {
    if (!new RegExp(failure.message, "i").test(ctx.failure.errorMessage ?? "")) return undefined;
    evidence.push(`error message matches /${failure.message}/i`);
  }
  if (stderr !== undefined) {
    const re = new RegExp(stderr, "i");
    const line = ctx.stderr.find((l) => re.test(l.text));
    if (!line) return undefined;
    evidence.push(`stderr #${line.seq} matches /${stderr}/i`);
  }
  return evidence;
}

/** The built-in rule for an error the relay's fault injection made up (lib/fault-notes.ts). */
export const FAULT_INJECTION_RULE_ID = "fault-injection";

function injectionRule(failure: Frame): MatchedRule {
  return {
    id: FAULT_INJECTION_RULE_ID,
    title: `This ${failure.errorCode ?? "error"} was fabricated by fault injection: the relay answered, the agent never saw the request`,
    explanation:
      "Fault injection is on, with \"answer the Nth session/new with -32000\". The relay wrote this error in the agent's place, so it says nothing about the agent, the profile or its credentials. The agent's own behaviour shows only in requests the relay let through.",
    suggestions: ["Turn fault injection off in the sidebar (or set the session/new count to 0), then send session/new again.", "Compare with the next session/new: the relay lets it through to the agent."],
    links: [],
    evidence: [`frame #${failure.seq} is marked injected: "${failure.injected ?? ""}"`],
  };
}

/**
 * Explain one auth failure (the latest, or `failureSeq`). Undefined when the log has none: the
 * panel only opens on a failure.
 */
export function diagnose(input: DiagnoseInput): Diagnosis | undefined {
  const failures = authFailures(input.frames);
  // "Why <code>?" on any error frame explains that frame, even one that is not an auth failure.
  const failure =
    input.failureSeq === undefined
      ? failures[failures.length - 1]
      : [...input.frames].reverse().find((f) => f.seq === input.failureSeq && f.dir === "in" && f.kind === "error" && f.errorCode !== undefined);
  if (!failure) return undefined;
  const index = new FrameIndex(input.frames);
  const pos = index.indexOf(failure);

  // Stderr near the failure, and, once the process has exited, everything it wrote after the
  // failure until the exit: Gemini flushes its stderr (with the failed request) only when it stops.
  const exitPos = input.frames.findIndex((f, i) => i > pos && f.runId === failure.runId && f.kind === "lifecycle" && f.lifecycle?.event === "exited");
  const stderrAround = input.frames
    .map((f, i) => ({ f, i }))
    .filter(
      ({ f, i }) =>
        f.kind === "stderr" && f.runId === failure.runId && (Math.abs(i - pos) <= STDERR_FRAMES || Math.abs(f.t - failure.t) <= STDERR_MS || (exitPos > 0 && i > pos && i < exitPos)),
    )
    .slice(0, STDERR_MAX_LINES)
    .map(({ f }) => ({ seq: f.seq, text: f.raw }));

  // What the agent said about itself in the initialize this failure happened after.
  const init = initializeExchanges(index)
    .filter((e) => e.answer?.kind === "response" && e.answer.runId === failure.runId && index.indexOf(e.answer) < pos)
    .pop();
  const agentInfo = (() => {
    try {
      const info = (JSON.parse(init?.answer?.raw ?? "{}") as { result?: { agentInfo?: { name?: unknown; title?: unknown; version?: unknown } } }).result?.agentInfo;
      return info ?? {};
    } catch {
      return {};
    }
  })();
  const agentNames = [input.agent.id, agentInfo.name, agentInfo.title].filter((n): n is string => typeof n === "string" && n.length > 0);
  const version =
    typeof agentInfo.version === "string" ? { value: agentInfo.version, from: "from initialize" } : input.agent.version ? { value: input.agent.version, from: "from the catalog" } : undefined;

  const ctx: RuleContext = { failure, agentNames, version, kimi: input.agent.kimi === true, profile: input.profile, stderr: stderrAround, oauth: oauthEvidence(input.frames.slice(0, pos)) };
  // A -32000 the relay fabricated says nothing about the agent: name the injection, match no agent rule.
  const rules: MatchedRule[] = relayMade(failure) ? [injectionRule(failure)] : [];
  for (const rule of relayMade(failure) ? [] : (input.rules ?? knownIssues())) {
    const evidence = matchRule(rule, ctx);
    if (!evidence) continue;
    const matched: MatchedRule = { id: rule.id, title: rule.title, explanation: rule.explanation, suggestions: rule.suggestions, links: rule.links, evidence };
    if (rule.fixedIn !== undefined) matched.fixedIn = rule.fixedIn;
    rules.push(matched);
  }

  const code = failure.errorCode ?? 0;
  const message = failure.errorMessage ?? "";
  const diagnosis: Diagnosis = {
    failureSeq: failure.seq,
    failureRunId: failure.runId,
    method: failure.method ?? "?",
    code,
    message,
    codeMeaning: codeMeaning(failure),
    stderrAround,
    sources: [...input.profile.sources],
    rules,
    contradictions: findContradictions(input.frames, input.clientCaps),
  };
  const data = errorData(failure);
  if (data !== undefined) diagnosis.errorData = data;
  const known = sourcesFor(input.profile.kind, input.profile.sources, agentNames);
  if (known) diagnosis.agentSources = known;
  return diagnosis;
}

// ─── OAuth: failures the client never sees ─────────────────────────────────────────────────────
//
// Kimi refreshes its access token lazily, inside session/prompt, over HTTP (docs/kimi-code.md). A
// refused refresh never reaches the ACP pipe as an error: the builds end the turn normally. What
// shows it is on the other lanes: the http hop to the token endpoint, the token file in the home
// (blanked: `access_token: ""`), the agent's own log. These functions read those lanes.

export type RefreshOutcome = "ok" | "refused" | "unauthorized" | "server-error" | "no-answer";
export const REFRESH_OUTCOMES: readonly RefreshOutcome[] = ["ok", "refused", "unauthorized", "server-error", "no-answer"];

/** What the out-of-band lanes say about the OAuth state over some frames. */
export interface OAuthEvidence {
  /** The last refresh_token grant in the window, and how it ended. */
  refresh?: { outcome: RefreshOutcome; frame: Frame; attempts: number };
  /** A token file changed to an empty access_token: Kimi's "logged out" marker. */
  blanked?: Frame;
  /** A token file deleted. */
  deleted?: Frame;
  /** Chat-completions hops in the window, and the first one the model API refused. */
  modelCalls: number;
  modelRejected?: Frame;
  /** The agent's own log lines that name an auth or refresh failure. */
  logLines: Frame[];
}

const TOKEN_FILE = /^credentials\/kimi-code[^/]*\.json$/;
/**
 * An agent-log line that reports a failed turn or token fetch, in either build's words (2.1.0
 * wire.jsonl events, 0.28.0 kimi-code.log lines). Long lines (a system prompt) are never it.
 */
const AUTH_LOG_LINE = /"outcome":"failed"|"reason":"failed"|token fetch failed|turn failed|requires login|login_required|OAuthUnauthorizedError|re-login required/;
const LOG_LINE_MAX = 2000;

function refreshOutcome(frame: Frame): RefreshOutcome {
  const status = frame.http?.status;
  if (status === undefined) return "no-answer";
  if (status >= 200 && status < 300) return "ok";
  if (status === 401 || status === 403) return "unauthorized";
  if (status >= 500 || status === 429) return "server-error";
  return "refused";
}

/** Read the OAuth evidence out of a run of frames (already cut to the window that matters). */
export function oauthEvidence(frames: readonly Frame[]): OAuthEvidence {
  const out: OAuthEvidence = { modelCalls: 0, logLines: [] };
  let attempts = 0;
  for (const f of frames) {
    if (f.kind === "http" && f.http) {
      if (f.http.grantType?.endsWith("device_code") && f.http.status === 200) {
        // A new login: what earlier refreshes did to the old token no longer applies.
        attempts = 0;
        out.refresh = undefined;
        out.blanked = undefined;
        out.deleted = undefined;
      } else if (f.http.grantType === "refresh_token") {
        attempts++;
        out.refresh = { outcome: refreshOutcome(f), frame: f, attempts };
      } else if (f.http.host === "model" && /chat\/completions$/.test(f.http.path)) {
        out.modelCalls++;
        if ((f.http.status === 401 || f.http.status === 403) && !out.modelRejected) out.modelRejected = f;
      }
    } else if (f.kind === "home" && f.home && TOKEN_FILE.test(f.home.path)) {
      if (f.home.op === "delete") out.deleted = f;
      else if (f.home.diff?.some((d) => d.key === "access_token" && (d.to === "" || d.to === '""'))) out.blanked = f;
      else if (/access_token[^,;]*→\s*""/.test(f.home.summary)) out.blanked = f;
    } else if (f.kind === "agent-log" && f.raw.length <= LOG_LINE_MAX && AUTH_LOG_LINE.test(f.raw)) {
      out.logLines.push(f);
    }
  }
  return out;
}

function describeRefresh(r: NonNullable<OAuthEvidence["refresh"]>): string {
  const h = r.frame.http;
  const answer = h?.status === undefined ? `no answer${h?.error && h.error !== "no answer" ? ` (${h.error})` : ""}` : `${h.status}${h.error ? ` ${h.error}` : ""}`;
  const tries = r.attempts > 1 ? ` after ${r.attempts} attempts` : "";
  return `the refresh of the expired access token ${r.outcome === "ok" ? "succeeded" : "failed"}${tries} (http #${r.frame.seq}: ${h?.method ?? "POST"} ${h?.path ?? "/api/oauth/token"} grant_type=refresh_token → ${answer})`;
}

function pointers(ev: OAuthEvidence): { text: string; seqs: number[] } {
  const parts: string[] = [];
  const seqs: number[] = [];
  if (ev.refresh) {
    parts.push(`the http hop #${ev.refresh.frame.seq} (${ev.refresh.frame.http?.path ?? "token endpoint"} → ${ev.refresh.frame.http?.status ?? "no answer"})`);
    seqs.push(ev.refresh.frame.seq);
  }
  const file = ev.blanked ?? ev.deleted;
  if (file?.home) {
    parts.push(`the file ${file.home.path} (home #${file.seq}: ${ev.blanked ? 'access_token blanked to ""' : "deleted"})`);
    seqs.push(file.seq);
  }
  const log = ev.logLines[0];
  if (log) {
    parts.push(`the agent's log ${log.agentLog?.file ?? ""}${log.agentLog ? `:${log.agentLog.line}` : ""} (agent-log #${log.seq})`);
    seqs.push(log.seq);
  }
  return { text: parts.join("; "), seqs };
}

/** The known-issue rules with an `oauth` condition, matched against OAuth evidence instead of an error frame. */
function oauthRuleMatches(rule: KnownIssueRule, ctx: { agentNames: string[]; version?: { value: string; from: string }; kimi: boolean; ev: OAuthEvidence; hidden?: boolean }): string[] | undefined {
  const cond = rule.when.oauth;
  if (!cond) return undefined;
  const evidence = agentEvidence(rule.when.agent, ctx);
  if (!evidence) return undefined;
  if (cond.refresh !== undefined) {
    if (!ctx.ev.refresh || !cond.refresh.includes(ctx.ev.refresh.outcome)) return undefined;
    evidence.push(`refresh at http #${ctx.ev.refresh.frame.seq} ended ${ctx.ev.refresh.outcome}`);
  }
  if (cond.hidden !== undefined) {
    if (ctx.hidden !== cond.hidden) return undefined;
    evidence.push(cond.hidden ? "the prompt was answered without an error" : "the prompt was answered with an error");
  }
  if (cond.blanked !== undefined) {
    if ((ctx.ev.blanked !== undefined) !== cond.blanked) return undefined;
    if (ctx.ev.blanked) evidence.push(`token file blanked at home #${ctx.ev.blanked.seq}`);
  }
  return evidence;
}

export interface OAuthDiagnoseInput {
  frames: readonly Frame[];
  agent: DiagnoseInput["agent"];
  profile: DiagnoseInput["profile"];
  /** The session/prompt request to explain: its run and seq. */
  prompt: { runId: string; seq: number };
  rules?: readonly KnownIssueRule[];
}

/** One finding about a prompt's OAuth hops (refresh, model API), read from the out-of-band lanes. */
export interface OAuthFinding {
  /** A known-issues.json rule id, or a built-in id (`oauth-…`). */
  rule: string;
  text: string;
  evidence: string[];
  frameSeqs: number[];
  links?: string[];
}

function agentNamesOf(frames: readonly Frame[], runId: string, before: number, agent: DiagnoseInput["agent"]): { names: string[]; version?: { value: string; from: string } } {
  const init = frames.slice(0, before).reverse().find((f) => f.runId === runId && f.kind === "response" && f.method === "initialize");
  let info: { name?: unknown; title?: unknown; version?: unknown } = {};
  try {
    info = (JSON.parse(init?.raw ?? "{}") as { result?: { agentInfo?: typeof info } }).result?.agentInfo ?? {};
  } catch {
    // no agentInfo: the catalog's facts are used
  }
  const names = [agent.id, info.name, info.title].filter((n): n is string => typeof n === "string" && n.length > 0);
  const version = typeof info.version === "string" ? { value: info.version, from: "from initialize" } : agent.version ? { value: agent.version, from: "from the catalog" } : undefined;
  return { names, version };
}

/**
 * Explain what a session/prompt did to the OAuth state and whether the client was told: the
 * refresh hop, the token file, the model calls, the agent's log, in the frames from the prompt
 * to the next prompt of the same run. Empty when the prompt touched no OAuth lane.
 */
export function diagnoseOAuth(input: OAuthDiagnoseInput): OAuthFinding[] {
  const frames = input.frames;
  const pos = frames.findIndex((f) => f.runId === input.prompt.runId && f.seq === input.prompt.seq && isClientRequest(f, ["session/prompt"]));
  if (pos < 0) return [];
  const request = frames[pos];
  const nextPrompt = frames.findIndex((f, i) => i > pos && f.runId === request.runId && isClientRequest(f, ["session/prompt"]));
  const window = frames.slice(pos + 1, nextPrompt < 0 ? undefined : nextPrompt);
  const answer = window.find((f) => f.runId === request.runId && (f.kind === "response" || f.kind === "error") && f.pairSeq === request.seq);
  let reply = "";
  let stopReason: string | undefined;
  for (const f of window) {
    if (answer && f.seq > answer.seq && f.runId === answer.runId) break;
    if (f.runId !== request.runId || f.kind !== "notification" || f.updateKind !== "agent_message_chunk") continue;
    try {
      const text = (JSON.parse(f.raw) as { params?: { update?: { content?: { text?: unknown } } } }).params?.update?.content?.text;
      if (typeof text === "string") reply += text;
    } catch {
      // a broken line carries no text
    }
  }
  if (answer?.kind === "response") {
    try {
      const r = (JSON.parse(answer.raw) as { result?: { stopReason?: unknown } }).result?.stopReason;
      if (typeof r === "string") stopReason = r;
    } catch {
      // no stopReason to quote
    }
  }
  const ev = oauthEvidence(window);
  const answered = answer?.kind === "response";
  const said = answered ? `session/prompt answered stopReason ${stopReason ?? "(none)"} with ${reply.trim() ? `the reply "${reply.trim().slice(0, 80)}"` : "an empty reply"}` : answer ? `session/prompt failed with ${answer.errorCode ?? "?"} ${answer.errorMessage ?? ""}`.trim() : "session/prompt got no answer";
  const where = pointers(ev);
  const findings: OAuthFinding[] = [];
  const { names, version } = agentNamesOf(frames, request.runId, pos, input.agent);
  const ctx = { agentNames: names, version, kimi: input.agent.kimi === true, ev, hidden: answer?.kind !== "error" };

  const failedRefresh = ev.refresh && ev.refresh.outcome !== "ok" ? ev.refresh : undefined;
  if (failedRefresh) {
    // Unanswered (the client gave up first) is hidden too: no answer says why.
    const hidden = answer?.kind !== "error";
    const base = `${describeRefresh(failedRefresh)}; ${said}.`;
    const text = hidden
      ? `${base} The failure is hidden from the client: nothing on the ACP pipe reports it. It shows only in ${where.text}.`
      : `${base} The client sees the error; the cause is ${where.text}.`;
    findings.push({ rule: hidden ? "oauth-refresh-failed-hidden" : "oauth-refresh-failed", text, evidence: [`http #${failedRefresh.frame.seq}`, ...where.seqs.filter((s) => s !== failedRefresh.frame.seq).map((s) => `#${s}`)], frameSeqs: where.seqs });
  } else if (ev.refresh?.outcome === "ok") {
    findings.push({ rule: "oauth-refresh-ok", text: `${describeRefresh(ev.refresh)}; ${said}.`, evidence: [`http #${ev.refresh.frame.seq}`], frameSeqs: [ev.refresh.frame.seq] });
  }
  if (ev.modelRejected) {
    findings.push({
      rule: "oauth-model-rejected",
      text: `The model API refused the access token (http #${ev.modelRejected.seq}: ${ev.modelRejected.http?.path ?? ""} → ${ev.modelRejected.http?.status ?? ""}); ${said}.${answered ? " The client is not told why." : ""}`,
      evidence: [`http #${ev.modelRejected.seq}`],
      frameSeqs: [ev.modelRejected.seq],
    });
  }
  if (!ev.refresh && ev.modelCalls === 0 && answered && !reply.trim() && input.agent.kimi === true) {
    // No refresh, no model call, and still end_turn: the agent had no token to call with.
    const before = oauthEvidence(frames.slice(0, pos));
    const cause = before.refresh && before.refresh.outcome !== "ok" ? ` Earlier, ${describeRefresh(before.refresh)}${before.blanked?.home ? `, and ${before.blanked.home.path} was blanked (home #${before.blanked.seq})` : ""}.` : "";
    findings.push({
      rule: "oauth-no-model-call",
      text: `${said}, without a single request to the model API: the agent had no usable token and ended the turn silently. The failure is hidden from the client.${cause}`,
      evidence: before.refresh ? [`http #${before.refresh.frame.seq}`] : [],
      frameSeqs: before.refresh ? [before.refresh.frame.seq] : [],
    });
  }
  if (findings.length === 0) return findings;
  for (const rule of input.rules ?? knownIssues()) {
    const evidence = oauthRuleMatches(rule, ctx);
    if (!evidence) continue;
    findings.push({ rule: rule.id, text: `${rule.title}. ${rule.explanation}`, evidence, frameSeqs: where.seqs, links: rule.links });
  }
  return findings;
}

/**
 * Why a terminal login failed, from its device-code poll on the HTTP lane: the last
 * device_code grant before the end of `frames`, when it was refused. Undefined when the login's
 * hops show no refusal (the login may have failed before it reached the server).
 */
export function diagnoseLogin(frames: readonly Frame[]): OAuthFinding | undefined {
  const poll = [...frames].reverse().find((f) => f.kind === "http" && f.http?.grantType?.endsWith("device_code"));
  const h = poll?.http;
  if (!poll || !h || h.status === 200) return undefined;
  const said = h.error ?? (h.status === undefined ? "no answer" : String(h.status));
  const denied = /access_denied/.test(said);
  const expired = /expired_token/.test(said);
  const codes = frames.filter((f) => f.kind === "http" && f.http?.path.endsWith("/api/oauth/device_authorization") && f.http.status === 200).length;
  const again = codes > 1 ? ` Kimi asked for ${codes} device codes: it starts a new device login each time one expires, so the login only ends when one is approved or denied (or the terminal is closed).` : "";
  const what = denied
    ? "the authorization server answered access_denied: the device code was denied on the verification page (or by the emulator's behaviour), so Kimi stopped polling it and wrote no token"
    : expired
      ? "the authorization server answered expired_token: the device code expired before anyone approved it, so Kimi stopped polling it and wrote no token"
      : `the device-code poll was answered ${said}`;
  return {
    rule: denied ? "oauth-login-denied" : expired ? "oauth-login-expired" : "oauth-login-failed",
    text: `The terminal login failed: ${what} (http #${poll.seq}: ${h.method} ${h.path} grant_type=device_code → ${h.status ?? "no answer"}).${again} The home stays logged out; session/new will answer -32000 until a login succeeds.`,
    evidence: [`http #${poll.seq}`],
    frameSeqs: [poll.seq],
  };
}
