/**
 * Request guards, pure so they can be unit-tested without a server: the per-start token (compared
 * in constant time), the Host header (DNS rebinding) and the Origin header (cross-site pages).
 * Every HTTP request and every WebSocket upgrade passes all three before anything else runs.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { isLoopbackHost } from "./config";
import { GuardError } from "./errors";

export const TOKEN_HEADER = "x-acp-playground-token";

export function newToken(): string {
  return randomBytes(24).toString("base64url");
}

/** Cookie names are per port: two playgrounds on one host must not overwrite each other's token. */
export function cookieName(port: number): string {
  return `acp_playground_${port}`;
}

/** Constant-time comparison; hashing first makes the lengths equal so length leaks nothing either. */
export function tokenMatches(expected: string, given: string | undefined | null): boolean {
  if (typeof given !== "string" || given.length === 0) return false;
  const a = createHash("sha256").update(expected).digest();
  const b = createHash("sha256").update(given).digest();
  return timingSafeEqual(a, b);
}

/** Split a Host header into hostname and port, understanding `[::1]:3000`. */
export function parseHost(host: string): { hostname: string; port?: string } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(host) ?? /^([^:]+)(?::(\d+))?$/.exec(host);
  if (!m) return { hostname: "" };
  return { hostname: m[1].toLowerCase(), port: m[2] };
}

export interface GuardInput {
  host: string | undefined;
  origin: string | undefined;
  /** Token from the query, the header or the cookie, whichever is present. */
  token: string | undefined;
  /** Is this a WebSocket upgrade (stricter Origin rules apply)? */
  websocket: boolean;
}

export interface GuardPolicy {
  token: string;
  port: number;
  /** Allow non-loopback Host names (only with the dangerous bind flag). */
  allowAnyHost: boolean;
}

/** Throws GuardError(403) for a bad Host or Origin, GuardError(401) for a bad token. */
export function checkRequest(input: GuardInput, policy: GuardPolicy): void {
  if (!input.host) throw new GuardError(403, "missing Host header");
  const { hostname, port } = parseHost(input.host);
  if (!policy.allowAnyHost && !isLoopbackHost(hostname)) throw new GuardError(403, `Host ${input.host} is not a loopback name (DNS rebinding?)`);
  if (port !== undefined && Number(port) !== policy.port) throw new GuardError(403, `Host port ${port} is not this server's port`);
  if (input.origin !== undefined) {
    if (input.origin === "null") throw new GuardError(403, "Origin null is refused");
    let url: URL;
    try {
      url = new URL(input.origin);
    } catch {
      throw new GuardError(403, `Origin ${input.origin} is not a URL`);
    }
    const originPort = url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
    const originHost = url.hostname.replace(/^\[|\]$/g, "");
    if (url.protocol !== "http:" || (!policy.allowAnyHost && !isLoopbackHost(originHost)) || originPort !== policy.port) {
      throw new GuardError(403, `Origin ${input.origin} is not this playground`);
    }
  }
  if (!tokenMatches(policy.token, input.token)) throw new GuardError(401, "missing or wrong token; open the URL printed at start-up");
}

/** Read a cookie value without a library: the header is tiny and the format fixed. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}
