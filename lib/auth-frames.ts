/**
 * Reading the auth-relevant parts of a frame log: which request got which answer, what the client
 * advertised in `initialize`, which auth methods came back. Shared by the auth timeline and the
 * "why -32000?" diagnosis so both read the log the same way. A log may span several runs (a
 * reconnect after a terminal login is a new process), so frames are keyed by run and seq.
 */
import { parseMessage } from "./jsonrpc";
import { type AuthMethodView, classifyAuthMethod } from "./selectors";
import type { ClientCaps, Frame } from "./wire";

export const SESSION_METHODS: readonly string[] = ["session/new", "session/load", "session/resume"];

export { parseMessage };

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

export function isClientRequest(frame: Frame, methods?: readonly string[]): boolean {
  return frame.dir === "out" && frame.kind === "request" && frame.method !== undefined && (methods === undefined || methods.includes(frame.method));
}

export type Outcome =
  | { state: "ok"; answer: Frame; result: Record<string, unknown> | undefined }
  | { state: "failed"; answer: Frame; code?: number; message: string }
  | { state: "pending" };

/** Frames addressed by run and seq, because seq alone repeats across runs. */
export class FrameIndex {
  private readonly bySeq = new Map<string, { frame: Frame; index: number }>();

  constructor(readonly frames: readonly Frame[]) {
    frames.forEach((frame, index) => this.bySeq.set(`${frame.runId}#${frame.seq}`, { frame, index }));
  }

  get(runId: string, seq: number | undefined): Frame | undefined {
    return seq === undefined ? undefined : this.bySeq.get(`${runId}#${seq}`)?.frame;
  }

  indexOf(frame: Frame): number {
    return this.bySeq.get(`${frame.runId}#${frame.seq}`)?.index ?? -1;
  }

  /** The answer of a request: a response, an error, or the relay's `lost` marker. */
  answerOf(request: Frame): Frame | undefined {
    const answer = this.get(request.runId, request.pairSeq);
    return answer && (answer.kind === "response" || answer.kind === "error" || answer.kind === "lost") ? answer : undefined;
  }

  outcome(request: Frame): Outcome {
    const answer = this.answerOf(request);
    if (!answer) return { state: "pending" };
    if (answer.kind === "response") return { state: "ok", answer, result: record(parseMessage(answer)?.result) };
    if (answer.kind === "error") return { state: "failed", answer, code: answer.errorCode, message: answer.errorMessage ?? "" };
    return { state: "failed", answer, message: answer.note ?? "The agent exited before answering." };
  }
}

/** The `error.data` of an error frame, when it has one. */
export function errorData(frame: Frame): unknown {
  return record(parseMessage(frame)?.error)?.data;
}

export function requestParams(frame: Frame): Record<string, unknown> | undefined {
  return record(parseMessage(frame)?.params);
}

/** What an `initialize` request advertised, in the relay's ClientCaps terms. */
export function initializeCaps(request: Frame): ClientCaps {
  // v2 names them `capabilities` and advertises terminal auth as an object (`{}`), v1 as `true`.
  const params = requestParams(request);
  const caps = record(params?.clientCapabilities) ?? record(params?.capabilities) ?? {};
  const fs = record(caps.fs) ?? {};
  return {
    fsRead: fs.readTextFile === true,
    fsWrite: fs.writeTextFile === true,
    terminal: caps.terminal === true,
    authTerminal: record(caps.auth)?.terminal === true || record(record(caps.auth)?.terminal) !== undefined,
    legacyTerminalAuth: record(caps._meta)?.["terminal-auth"] === true,
  };
}

/** The auth methods of one `initialize` answer, classified the way selectors.ts does for the UI. */
export function advertisedMethods(answer: Frame | undefined): AuthMethodView[] {
  const list = record(parseMessage(answer)?.result)?.authMethods;
  if (!Array.isArray(list)) return [];
  return list.map(classifyAuthMethod).filter((m): m is AuthMethodView => m !== undefined);
}

export function describeMethodClass(method: AuthMethodView): string {
  switch (method.class) {
    case "agent":
      return method.shape === "v2" ? "agent (auth/login)" : "agent (authenticate)";
    case "terminal":
      return method.legacy ? "terminal (spec), also legacy _meta[\"terminal-auth\"]" : "terminal (spec)";
    case "legacy-terminal":
      return "legacy _meta[\"terminal-auth\"]";
    case "env_var":
      return `env_var (${(method.vars ?? []).map((v) => v.name).join(", ") || "no variables named"})`;
    case "unknown":
      return "unknown type";
  }
}

export interface InitializeExchange {
  /** Missing when the request scrolled out of the frame buffer but its answer did not. */
  request?: Frame;
  answer?: Frame;
  /** What the client advertised; undefined when neither the request nor a fallback says. */
  caps?: ClientCaps;
  methods: AuthMethodView[];
}

/**
 * Every `initialize` of the log with what the client advertised and what came back. An answer
 * whose request is gone is judged by `fallbackCaps` (the caps the relay is configured to send).
 */
export function initializeExchanges(index: FrameIndex, fallbackCaps?: ClientCaps): InitializeExchange[] {
  const out: InitializeExchange[] = [];
  for (const f of index.frames) {
    if (isClientRequest(f, ["initialize"])) {
      const answer = index.answerOf(f);
      out.push({ request: f, answer, caps: initializeCaps(f), methods: answer?.kind === "response" ? advertisedMethods(answer) : [] });
    } else if (f.dir === "in" && f.kind === "response" && f.method === "initialize" && index.get(f.runId, f.pairSeq) === undefined) {
      out.push({ answer: f, caps: fallbackCaps, methods: advertisedMethods(f) });
    }
  }
  return out;
}

// ─── Agent-specific extensions ──────────────────────────────────────────────────────────────────

export type AuthExtensionKind = "api-key-meta" | "gateway-meta" | "meta-terminal" | "terminal-auth-env";

/**
 * A shape an agent added to its auth method beyond the ACP spec. Each names the agent that
 * introduced it, because it is that agent's convention, not the protocol: a client that relies on
 * it works with that agent only.
 */
export interface AuthExtension {
  kind: AuthExtensionKind;
  /** The agent whose extension this is. */
  agent: string;
  title: string;
  detail: string;
  /** meta-terminal: the args to append to the agent's command; terminal-auth-env: the variables. */
  args?: string[];
  env?: Record<string, string>;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((a): a is string => typeof a === "string") : [];
}

/** The agent-specific extensions an advertised method carries, in a fixed order. */
export function authExtensions(method: AuthMethodView): AuthExtension[] {
  const out: AuthExtension[] = [];
  const meta = method.meta ?? {};
  if (meta["api-key"] !== undefined) {
    const provider = record(meta["api-key"])?.provider;
    out.push({
      kind: "api-key-meta",
      agent: "Gemini CLI",
      title: 'authenticate carries the key in _meta["api-key"]',
      detail: `Gemini CLI's extension, not the ACP spec: authenticate {methodId:"${method.id}", _meta:{"api-key": "<key>"}} hands the agent an API key${typeof provider === "string" ? ` (provider "${provider}")` : ""}. The playground sends it from the profile or from a masked field, and redacts it in every frame.`,
    });
  }
  if (meta.gateway !== undefined) {
    out.push({
      kind: "gateway-meta",
      agent: "Gemini CLI",
      title: "authenticate carries _meta.gateway {baseUrl, headers}",
      detail: `Gemini CLI's extension, not the ACP spec: authenticate {methodId:"${method.id}", _meta:{gateway:{baseUrl, headers}}} points the agent at an API gateway; header values are treated as secrets.`,
    });
  }
  if (method.class === "agent" && meta.type === "terminal") {
    const args = strings(meta.args);
    out.push({
      kind: "meta-terminal",
      agent: "Qwen Code",
      title: '_meta.type "terminal" on an untyped method',
      detail: `Qwen Code's extension, not the ACP spec: the method has no type (so the spec reads it as an agent method), but its own _meta says "terminal" with args ${JSON.stringify(args)}. The playground offers it as a terminal login of the agent's own command plus those args, under the same checks as any advertised login.`,
      args,
    });
  }
  // A typed terminal method has a spec `env` of its own (Kimi mirrors it into the descriptor); only
  // a legacy-only descriptor that brings variables is the extension.
  const legacyEnv = method.class === "legacy-terminal" ? method.legacy?.env : undefined;
  if (legacyEnv && Object.keys(legacyEnv).length > 0) {
    out.push({
      kind: "terminal-auth-env",
      agent: "Auggie",
      title: '_meta["terminal-auth"] descriptor with its own env',
      detail: `Auggie's addition to the legacy convention, not the ACP spec: the descriptor sets ${Object.keys(legacyEnv).join(", ")} for the login. Those variables pass the playground's env policy before the login runs.`,
      env: legacyEnv,
    });
  }
  return out;
}

/** The variable names a profile sets, from its credential sources (`env NAME`, names only). */
export function profileEnvNames(sources: readonly string[]): string[] {
  return sources.filter((s) => s.startsWith("env ")).map((s) => s.slice(4).trim()).filter((n) => n.length > 0);
}

// ─── Prompt-time gates and stdout breaches ─────────────────────────────────────────────────────

/** Requests an agent may gate lazily, after a session exists (Claude refuses the prompt, not session/new). */
export const PROMPT_METHODS: readonly string[] = ["session/prompt"];

export const STDOUT_PROMPT_NOTE = "the agent printed an interactive prompt on stdout; ACP reserves stdout for JSON-RPC — it is waiting for input the client cannot give";

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

/**
 * The note for a non-JSON stdout line that reads like an interactive prompt ("… authorize the
 * application:", "Enter the authorization code:", "Continue? (y/n)"), or undefined.
 */
export function stdoutPromptNote(line: string): string | undefined {
  const text = line.replace(ANSI, "").trim();
  if (text.length === 0 || text.length > 400 || text.startsWith("{")) return undefined;
  const asks = /[:?]$/.test(text) || /\((y\/n|yes\/no)\)|\[(y\/n|Y\/n|y\/N)\]/i.test(text) || /^(enter|paste|type|press|please (visit|enter|open|paste))\b/i.test(text);
  return asks ? STDOUT_PROMPT_NOTE : undefined;
}

/** Non-JSON lines the agent wrote to stdout that read like interactive prompts. */
export function stdoutPrompts(frames: readonly Frame[]): Frame[] {
  return frames.filter((f) => f.dir === "in" && f.kind === "malformed" && (f.note?.includes(STDOUT_PROMPT_NOTE) || stdoutPromptNote(f.raw) !== undefined));
}

/** Where Gemini's `_meta["api-key"]` value comes from in a profile, by the provider it names. */
export const API_KEY_VARS: Record<string, readonly string[]> = { google: ["GEMINI_API_KEY", "GOOGLE_API_KEY"] };

/** The profile variable that can feed a method's `_meta["api-key"]`, if the profile sets one. */
export function apiKeyVarFor(method: AuthMethodView, profileEnv: readonly string[]): string | undefined {
  const meta = record(method.meta?.["api-key"]);
  if (method.meta?.["api-key"] === undefined) return undefined;
  const provider = typeof meta?.provider === "string" ? meta.provider : "google";
  return (API_KEY_VARS[provider] ?? []).find((name) => profileEnv.includes(name));
}

/** Variable names a method's description asks for (Qwen: "Requires setting the `OPENAI_API_KEY` environment variable"). */
export function describedVars(method: AuthMethodView): string[] {
  return [...(method.description ?? "").matchAll(/`([A-Z][A-Z0-9_]{2,})`/g)].map((m) => m[1]);
}
