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
  const caps = record(requestParams(request)?.clientCapabilities) ?? {};
  const fs = record(caps.fs) ?? {};
  return {
    fsRead: fs.readTextFile === true,
    fsWrite: fs.writeTextFile === true,
    terminal: caps.terminal === true,
    authTerminal: record(caps.auth)?.terminal === true,
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
      return "agent (authenticate)";
    case "terminal":
      return method.legacy ? "terminal (spec), also legacy _meta[\"terminal-auth\"]" : "terminal (spec)";
    case "legacy-terminal":
      return "legacy _meta[\"terminal-auth\"]";
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
