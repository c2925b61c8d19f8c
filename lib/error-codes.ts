/**
 * JSON-RPC and ACP error codes with a name and a one-line meaning, so an error row says what went
 * wrong instead of a bare number. -32000 is the one users meet first: ACP's `auth_required`.
 * `explainError` is the one place that decides what one error *frame* means (code + message +
 * data + method): the chip, the auth timeline, "Why -32000?" and the bug report all ask it, so
 * they can never disagree about the same error.
 */
export interface ErrorCodeInfo {
  code: number;
  name: string;
  meaning: string;
  /** Where the code comes from: JSON-RPC itself, ACP's schema, or the server-error range. */
  origin: "json-rpc" | "acp" | "implementation";
}

const KNOWN: ErrorCodeInfo[] = [
  { code: -32700, name: "Parse error", meaning: "The receiver could not parse the line as JSON.", origin: "json-rpc" },
  { code: -32600, name: "Invalid request", meaning: "The JSON is not a valid JSON-RPC request object (or came before initialize).", origin: "json-rpc" },
  { code: -32601, name: "Method not found", meaning: "The receiver does not implement this method.", origin: "json-rpc" },
  { code: -32602, name: "Invalid params", meaning: "The method exists but its params are wrong (or name an unknown auth method).", origin: "json-rpc" },
  { code: -32603, name: "Internal error", meaning: "The receiver failed while handling a valid request.", origin: "json-rpc" },
  { code: -32800, name: "Request cancelled", meaning: "The request was cancelled ($/cancel_request or session/cancel) before it finished.", origin: "acp" },
  { code: -32000, name: "Authentication required", meaning: "ACP auth_required: the agent wants the client to authenticate before this operation.", origin: "acp" },
  { code: -32002, name: "Resource not found", meaning: "ACP resource_not_found: the session or file named in the request does not exist.", origin: "acp" },
  { code: -32022, name: "Unsupported protocol version", meaning: "The peer does not speak the requested ACP protocol version (v2 draft code).", origin: "acp" },
];

const BY_CODE = new Map(KNOWN.map((info) => [info.code, info]));

export function describeErrorCode(code: number): ErrorCodeInfo {
  const known = BY_CODE.get(code);
  if (known) return known;
  if (code <= -32000 && code >= -32099) {
    return { code, name: "Server error", meaning: "Implementation-defined server error (JSON-RPC's reserved -32000…-32099 range).", origin: "implementation" };
  }
  return { code, name: "Implementation-defined error", meaning: "Implementation-defined server error: a code outside JSON-RPC's and ACP's named codes.", origin: "implementation" };
}

export const KNOWN_ERROR_CODES: readonly ErrorCodeInfo[] = KNOWN;

/** What one error answer means, decided once for every view. */
export interface ErrorExplanation extends ErrorCodeInfo {
  /** -32000 read as ACP's auth_required (the agent wants a login before this operation). */
  authRequired: boolean;
  /** A second sentence the views add after the meaning (why this reading, where the gate sits). */
  note?: string;
}

export interface ErrorFacts {
  code: number;
  message?: string;
  data?: unknown;
  /** The method of the request the error answers. */
  method?: string;
}

/** Words with which agents say "log in first" (Gemini: "Gemini API key is missing or not configured."). */
const AUTH_WORDS = /auth|log ?in|sign ?in|api[ _-]?key|credential|token|unauthori[sz]ed|not configured|subscription|account/i;

function dataText(data: unknown): string {
  if (data === undefined || data === null) return "";
  if (typeof data === "string") return data;
  try {
    return JSON.stringify(data);
  } catch {
    return "";
  }
}

/**
 * The meaning of one error. -32000 is ACP's auth_required unless its message and data speak of
 * something else entirely (a bare or empty message still counts as auth_required: ACP reserves the
 * code); then it is only JSON-RPC's generic server-error range and authenticating may not help.
 */
export function explainError(facts: ErrorFacts): ErrorExplanation {
  const info = describeErrorCode(facts.code);
  if (facts.code !== -32000) return { ...info, authRequired: false };
  const message = facts.message ?? "";
  const said = `${message} ${dataText(facts.data)}`;
  const generic = message.trim() === "" || /^(internal|server) error$/i.test(message.trim());
  if (!generic && !AUTH_WORDS.test(said)) {
    return {
      code: facts.code,
      name: "Server error",
      meaning: `JSON-RPC generic server error range (-32000…-32099): the message "${message}" does not say authentication, so this is an implementation-defined server error, not necessarily ACP's auth_required.`,
      origin: "implementation",
      authRequired: false,
    };
  }
  const explanation: ErrorExplanation = { ...info, authRequired: true };
  if (facts.method === "session/prompt") {
    explanation.note = "Refused at prompt time: this agent creates sessions without checking auth (the spec allows it), so a created session was no proof of authentication.";
  } else if (facts.method === "authenticate") {
    explanation.note = "The authenticate call itself was refused: the method ran but found no usable credentials.";
  }
  return explanation;
}

/** The explanation as one line: meaning, then the note. */
export function explainErrorText(facts: ErrorFacts): string {
  const e = explainError(facts);
  return e.note ? `${e.meaning} ${e.note}` : e.meaning;
}

/**
 * What a created session proves, in the words the timeline, Guided and the matrix share: Claude
 * creates sessions logged out and refuses session/prompt with -32000 (ACP lets session/new skip
 * the check), so only an accepted prompt shows the profile passes the agent's auth gate.
 */
export const SESSION_NOT_PROOF = "A created session is not proof of authentication: some agents (Claude) create sessions logged out and refuse session/prompt with -32000. Only an answered prompt shows the profile passes the auth gate.";

/** The matrix's footnote for a set of cell verdicts: undefined when no cell stopped at "session created". */
export function sessionCreatedNote(verdicts: readonly string[]): string | undefined {
  return verdicts.includes("session-created") ? `${SESSION_NOT_PROOF} Run the matrix with --prompt TEXT to add the prompt step.` : undefined;
}
