/**
 * Classifies one raw stdio line as a JSON-RPC request, response, error, notification, or a
 * malformed line. Pure and total: any string in, a classification out, never a throw, because a
 * non-JSON line from an agent is evidence to show, not a reason to crash.
 */
import type { Frame, FrameKind } from "./wire";

export interface Classified {
  kind: Extract<FrameKind, "request" | "response" | "error" | "notification" | "malformed">;
  method?: string;
  id?: string;
  errorCode?: number;
  errorMessage?: string;
  updateKind?: string;
  /** Why the line is malformed. */
  note?: string;
  /** The parsed value, when the line was JSON. */
  value?: unknown;
}

export type JsonRpcId = string | number | null;

/** A stable string key for a JSON-RPC id, so 1 and "1" never pair with each other. */
export function idKey(id: unknown): string | undefined {
  if (typeof id === "number") return `n:${id}`;
  if (typeof id === "string") return `s:${id}`;
  if (id === null) return "null";
  return undefined;
}

/** The inverse of idKey, for building a response to a request we recorded. */
export function idFromKey(key: string): JsonRpcId {
  if (key === "null") return null;
  if (key.startsWith("n:")) return Number(key.slice(2));
  if (key.startsWith("s:")) return key.slice(2);
  throw new RangeError(`not an id key: ${key}`);
}

export function classify(raw: string): Classified {
  const trimmed = raw.trim();
  if (trimmed.length === 0) return { kind: "malformed", note: "empty line" };
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch (error) {
    return { kind: "malformed", note: `not JSON: ${(error as Error).message}` };
  }
  if (Array.isArray(value)) return { kind: "malformed", value, note: "JSON-RPC batch (arrays are not supported by ACP)" };
  if (typeof value !== "object" || value === null) return { kind: "malformed", value, note: "JSON, but not an object" };
  const msg = value as Record<string, unknown>;
  const notes: string[] = [];
  if (msg.jsonrpc !== "2.0") notes.push('missing "jsonrpc":"2.0"');
  const hasId = "id" in msg;
  const id = hasId ? idKey(msg.id) : undefined;
  if (hasId && id === undefined) return { kind: "malformed", value, note: "id must be a string, number or null" };

  if (typeof msg.method === "string") {
    const params = msg.params as Record<string, unknown> | undefined;
    const update = params && typeof params === "object" ? (params.update as Record<string, unknown> | undefined) : undefined;
    const updateKind = msg.method === "session/update" && update && typeof update.sessionUpdate === "string" ? update.sessionUpdate : undefined;
    const base = { method: msg.method, value, updateKind, note: notes.length ? notes.join("; ") : undefined };
    return hasId ? { kind: "request", id, ...base } : { kind: "notification", ...base };
  }
  if ("error" in msg) {
    const err = msg.error as Record<string, unknown> | null;
    if (typeof err !== "object" || err === null || typeof err.code !== "number") {
      return { kind: "malformed", value, id, note: "error member must be an object with a numeric code" };
    }
    return {
      kind: "error",
      id,
      value,
      errorCode: err.code,
      errorMessage: typeof err.message === "string" ? err.message : undefined,
      note: notes.length ? notes.join("; ") : undefined,
    };
  }
  if ("result" in msg) {
    if (!hasId) notes.push("response without id");
    return { kind: "response", id, value, note: notes.length ? notes.join("; ") : undefined };
  }
  return { kind: "malformed", value, id, note: "neither a request, a notification nor a response" };
}

/** The JSON object of a recorded frame, or undefined for non-JSON lines: views read frames with this. */
export function parseMessage(frame: Frame | undefined): Record<string, unknown> | undefined {
  if (!frame) return undefined;
  try {
    const value: unknown = JSON.parse(frame.raw);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
