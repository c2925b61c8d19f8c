/**
 * What both of our HTTP servers (the playground and the offline model server) do before any route
 * runs: bound how long a client may hold a socket without finishing a request, parse the request
 * target without ever throwing, and answer a raw socket (an upgrade) with a status and close it.
 * A request that cannot be read is answered 4xx at once: a socket that gets no answer is held
 * until the client gives up, and enough of them exhaust the process.
 */
import { type Server, STATUS_CODES } from "node:http";
import { Socket } from "node:net";
import type { Duplex } from "node:stream";

/** The whole header block must arrive within this (slowloris). */
export const HEADERS_TIMEOUT_MS = 10_000;
/** The whole request (headers and body) must arrive within this. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** An idle keep-alive connection is closed after this. */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** A socket with no traffic at all in either direction is closed after this. */
export const IDLE_SOCKET_TIMEOUT_MS = 120_000;
/** An upgrade that is not turned into a WebSocket (or refused) within this is dropped. */
export const UPGRADE_TIMEOUT_MS = 10_000;

/**
 * Options for `createServer`. Node checks the headers and request timeouts on an interval (30 s by
 * default), so the interval is shortened for them to mean what they say.
 */
export const SERVER_TIMEOUT_OPTIONS = {
  headersTimeout: HEADERS_TIMEOUT_MS,
  requestTimeout: REQUEST_TIMEOUT_MS,
  keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
  connectionsCheckingInterval: 1_000,
} as const;

/** The timeouts `createServer`'s options do not cover. */
export function applySocketTimeouts(server: Server): void {
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.timeout = IDLE_SOCKET_TIMEOUT_MS;
}

/**
 * The request target as a URL, or undefined when it is not an origin-form path (`/…`). Only the
 * path and query are taken from it, glued to a fixed base so that a target such as `//` or
 * `//evil.example/x` stays a path instead of becoming a host (WHATWG `new URL("//", base)`
 * throws, which once escaped the request handler and left the socket without an answer).
 */
export function parseRequestTarget(target: string | undefined): URL | undefined {
  if (typeof target !== "string" || !target.startsWith("/")) return undefined;
  try {
    const url = new URL(`http://request-target.invalid${target}`);
    return url.hostname === "request-target.invalid" ? url : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Answer a raw socket (an upgrade request nobody accepted) with `status` and close it. Node takes
 * its own error and timeout listeners off an upgrade socket, so this adds both: a client that
 * resets must not become an uncaught error, and one that never reads must not hold the socket.
 */
export function answerSocket(socket: Duplex, status: number, message: string): void {
  guardUpgradeSocket(socket);
  const body = `${status} ${STATUS_CODES[status] ?? ""}: ${message}.\n`;
  if (socket.writable) {
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}\r\nconnection: close\r\ncontent-type: text/plain; charset=utf-8\r\ncache-control: no-store\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  } else {
    socket.destroy();
  }
}

const guarded = new WeakSet<Duplex>();

/** Give an upgrade socket an error listener and a deadline (once per socket). */
export function guardUpgradeSocket(socket: Duplex): void {
  if (guarded.has(socket)) return;
  guarded.add(socket);
  socket.on("error", () => socket.destroy());
  // The ws library resets this to 0 once the handshake completes, so only a stalled upgrade hits it.
  if (socket instanceof Socket) socket.setTimeout(UPGRADE_TIMEOUT_MS, () => socket.destroy());
}
