/**
 * Request guards, pure so they can be unit-tested without a server: the per-start token (compared
 * in constant time), the Host header (DNS rebinding), the Origin header (cross-site pages), and
 * where the token cookie may live. Every HTTP request and every WebSocket upgrade passes all of
 * them before anything else runs; `guardRequest` turns one request into pass, redirect or refuse.
 *
 * Why the cookie lives on a host name of its own: cookies are not port-scoped, so a cookie set by
 * `127.0.0.1:3000` is sent to every other server on `127.0.0.1` the browser visits (another local
 * user's service, a container's published port, an untrusted project's dev server), and that
 * server could then drive the playground. So each start picks a browser host
 * `acp-<128 random bits in hex>.localhost` (browsers resolve every `*.localhost` name to loopback
 * themselves, without DNS) and the token cookie is set host-only there and accepted only there.
 * Opening the printed `http://127.0.0.1:PORT/?token=…` redirects to that name, which trades the
 * token for the cookie as before. The label must be unguessable: a page on `127.0.0.1:8765` that
 * knew it could send the browser to `http://<label>.localhost:8765/` — its own server, since the
 * name is loopback and cookies ignore ports — and receive the cookie there. Scripts and the CLI
 * keep sending the token in the `x-acp-playground-token` header on any loopback Host.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { isLoopbackHost } from "./config";
import { GuardError } from "./errors";
import { parseRequestTarget } from "./http-limits";

export const TOKEN_HEADER = "x-acp-playground-token";

export function newToken(): string {
  return randomBytes(24).toString("base64url");
}

/** A fresh `acp-<32 hex>.localhost` name: 128 random bits, so no other page can guess it. */
export function newBrowserHost(): string {
  return `acp-${randomBytes(16).toString("hex")}.localhost`;
}

/** What an earlier start's browser host looks like (to tell the user why it is refused now). */
const BROWSER_HOST_SHAPE = /^acp-[0-9a-f]{32}\.localhost$/;

/**
 * Can a browser reach a server bound to `bindHost` through a `*.localhost` name? Browsers map
 * those names to 127.0.0.1 and ::1 only, so any other bind (127.0.0.2, a non-loopback address)
 * keeps the cookie on the host the request named.
 */
export function browserHostReaches(bindHost: string): boolean {
  return ["127.0.0.1", "localhost", "::1", "[::1]"].includes(bindHost.toLowerCase());
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
  /**
   * The per-start `<label>.localhost` name: the only host the token cookie is set on and accepted
   * from. Undefined when a browser cannot reach the bind through it (see browserHostReaches);
   * then the cookie is set on, and accepted from, whatever accepted host the request named.
   */
  browserHost?: string;
}

/** Is `hostname` a name this server answers to (before the token is looked at)? */
function hostAllowed(hostname: string, policy: GuardPolicy): boolean {
  return policy.allowAnyHost || isLoopbackHost(hostname) || (policy.browserHost !== undefined && hostname === policy.browserHost);
}

/** Throws GuardError(403) for a bad Host or Origin, GuardError(401) for a bad token. */
export function checkRequest(input: GuardInput, policy: GuardPolicy): void {
  if (!input.host) throw new GuardError(403, "missing Host header");
  const { hostname, port } = parseHost(input.host);
  if (!hostAllowed(hostname, policy)) {
    const earlier = BROWSER_HOST_SHAPE.test(hostname) ? " (an address of an earlier start; open the URL printed at start-up)" : " (DNS rebinding?)";
    throw new GuardError(403, `Host ${input.host} is not a loopback name${earlier}`);
  }
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
    if (url.protocol !== "http:" || !hostAllowed(originHost, policy) || originPort !== policy.port) {
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
    if (part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** The facts of one request the guard decides on, as they arrive (nothing parsed yet). */
export interface RequestFacts {
  /** The request target (`req.url`). */
  target: string | undefined;
  host: string | undefined;
  origin: string | undefined;
  /** The `x-acp-playground-token` header. */
  headerToken: string | string[] | undefined;
  /** The `Cookie` header. */
  cookie: string | undefined;
  websocket: boolean;
}

export type GuardDecision =
  | { action: "refuse"; status: 400 | 401 | 403; message: string }
  /** Answer 303 to `location`, setting `setCookie` when present. */
  | { action: "redirect"; location: string; setCookie?: string }
  | { action: "pass"; url: URL };

/** The cookie that carries the token, host-only (no Domain attribute) on the host that set it. */
export function tokenCookie(policy: GuardPolicy): string {
  return `${cookieName(policy.port)}=${policy.token}; HttpOnly; SameSite=Strict; Path=/`;
}

/**
 * Decide one request: refuse it (400 unreadable target, 403 Host/Origin, 401 token), redirect it
 * (a page opened with `?token=`), or pass it on with its parsed URL. Never throws.
 */
export function guardRequest(facts: RequestFacts, policy: GuardPolicy): GuardDecision {
  const url = parseRequestTarget(facts.target);
  if (!url) return { action: "refuse", status: 400, message: "the request target is not a path" };
  const hostname = facts.host ? parseHost(facts.host).hostname : "";
  // A cookie counts only where it may live: on the browser host, or anywhere without one.
  const cookieCounts = policy.browserHost === undefined || hostname === policy.browserHost;
  const queryToken = url.searchParams.get("token");
  const token =
    queryToken ??
    (typeof facts.headerToken === "string" ? facts.headerToken : undefined) ??
    (cookieCounts ? readCookie(facts.cookie, cookieName(policy.port)) : undefined);
  try {
    checkRequest({ host: facts.host, origin: facts.origin, token, websocket: facts.websocket }, policy);
  } catch (error) {
    if (error instanceof GuardError && (error.status === 401 || error.status === 403)) return { action: "refuse", status: error.status, message: error.message };
    throw error;
  }
  if (facts.websocket || queryToken === null) return { action: "pass", url };
  if (policy.browserHost !== undefined && hostname !== policy.browserHost) {
    // Carry the token to the browser host; the cookie is set there and nowhere else.
    return { action: "redirect", location: `http://${policy.browserHost}:${policy.port}${url.pathname}${url.search}` };
  }
  // Trade the URL token for the cookie and drop it from the address bar and history.
  url.searchParams.delete("token");
  return { action: "redirect", location: cleanLocation(url), setCookie: tokenCookie(policy) };
}

/**
 * A same-origin Location for `url`'s path and query. Leading slashes are collapsed: a path such as
 * `//evil.example/` would otherwise be read by the browser as a scheme-relative URL to that host.
 */
export function cleanLocation(url: URL): string {
  return `${url.pathname.replace(/^\/+/, "/")}${url.search}`;
}
