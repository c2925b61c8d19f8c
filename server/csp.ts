/**
 * A strict Content-Security-Policy per page request: scripts only with this request's nonce (Next
 * reads the nonce from the request's CSP header and stamps it on its own script tags), no inline
 * script, no eval, no plugins, no framing, and network access to this origin only.
 */
import { randomBytes } from "node:crypto";

export function contentSecurityPolicy(nonce: string, dev: boolean): string {
  return [
    "default-src 'self'",
    // Dev mode (React Refresh) needs eval; production never gets it.
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    // React sets style attributes (virtual list positions, xterm sizes); no script can ride on them.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

export function newNonce(): string {
  return randomBytes(16).toString("base64");
}
