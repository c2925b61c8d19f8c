/**
 * "Why -32000?": everything the playground can say about one auth failure on one screen — what
 * the code means (ACP's auth_required or merely JSON-RPC's generic server-error range), the
 * error's data, the agent's stderr around it, which credential sources the profile provides
 * (names only), matching known issues, and contradictions in the agent's own answers. Known
 * issues are data (known-issues.json) so a new one is a JSON edit, not a code change. Isomorphic.
 */
import { errorData, FrameIndex, initializeExchanges, isClientRequest, PROMPT_METHODS, SESSION_METHODS, STDOUT_PROMPT_NOTE, stdoutPrompts } from "./auth-frames";
import { explainError, explainErrorText } from "./error-codes";
import knownIssuesFile from "./known-issues.json";
import { describeRange, versionInRange, type VersionRange } from "./version";
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

const GATED_METHODS: readonly string[] = [...SESSION_METHODS, "authenticate"];

/**
 * Error frames the panel explains: -32000 on any request (a session request, authenticate, or a
 * prompt: Claude gates session/prompt, not session/new), and any error answering authenticate (an
 * unknown method id is -32602, a missing handler -32601, Codex's unset variable -32603).
 */
export function authFailures(frames: readonly Frame[]): Frame[] {
  return frames.filter(
    (f) => f.dir === "in" && f.kind === "error" && f.errorCode !== undefined && f.method !== undefined && (f.errorCode === -32000 || (GATED_METHODS.includes(f.method) && f.method === "authenticate")),
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
    if (!isClientRequest(f, ["authenticate"])) return;
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
    if (!isClientRequest(f, ["authenticate"])) return;
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
}

/** Evidence lines when every condition of the rule holds, undefined otherwise. */
function matchRule(rule: KnownIssueRule, ctx: RuleContext): string[] | undefined {
  const evidence: string[] = [];
  const { agent, profile, failure, stderr } = rule.when;
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

  const ctx: RuleContext = { failure, agentNames, version, kimi: input.agent.kimi === true, profile: input.profile, stderr: stderrAround };
  const rules: MatchedRule[] = [];
  for (const rule of input.rules ?? knownIssues()) {
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
