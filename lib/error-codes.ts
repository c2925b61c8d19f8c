/**
 * JSON-RPC and ACP error codes with a name and a one-line meaning, so an error row says what went
 * wrong instead of a bare number. -32000 is the one users meet first: ACP's `auth_required`.
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
