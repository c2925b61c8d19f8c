/**
 * The OAuth emulator's verification page (`verification_uri_complete`), served by the playground
 * origin so it sits behind the same guard (token cookie, Host, Origin) as the UI: the user
 * approves or denies a device code in the browser tab, as with a real provider. Plain HTML with
 * no script (a form POST back to itself), so it needs neither Next nor a nonce.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { OAuthEmulator } from "./oauth-emulator";

export const OAUTH_PAGE_PATH = "/oauth/device";
const MAX_FORM_BYTES = 4096;
const USER_CODE = /^[A-Z0-9-]{1,32}$/;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(res: ServerResponse, status: number, body: string): void {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Kimi device login (emulated)</title>
<style>body{font:15px system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem}code{font-size:1.6rem;letter-spacing:.1em}button{font-size:1rem;padding:.4rem 1.2rem;margin-right:.6rem}</style>
</head><body><h1>Kimi device login <small>(OAuth emulator)</small></h1>${body}</body></html>`;
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    // No script at all; the form may only post back here.
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "content-length": Buffer.byteLength(html),
    // The playground's no-referrer policy would make the browser send `Origin: null` with the
    // form's POST, which the guard refuses; same-origin keeps the real origin on it (and no
    // referrer ever leaves the origin).
    "referrer-policy": "same-origin",
  });
  res.end(html);
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of req) {
    size += (part as Buffer).length;
    if (size > MAX_FORM_BYTES) return undefined;
    parts.push(part as Buffer);
  }
  return new URLSearchParams(Buffer.concat(parts).toString("utf8"));
}

function codeForm(emulator: OAuthEmulator, code: string): string {
  const device = emulator.device(code);
  if (!device) return `<p data-testid="oauth-device-result">Unknown device code <code>${escapeHtml(code)}</code>. It may have expired; start the login again.</p>`;
  if (device.state !== "pending") return `<p>Device code <code data-testid="oauth-device-code">${escapeHtml(device.userCode)}</code></p><p data-testid="oauth-device-result">This code is ${escapeHtml(device.state)}.</p>`;
  return `<p>A Kimi Code login asks for access${device.runTag ? ` (run <b>${escapeHtml(device.runTag)}</b>)` : ""}. Check that the terminal shows this code:</p>
<p><code data-testid="oauth-device-code">${escapeHtml(device.userCode)}</code></p>
<form method="post" action="${OAUTH_PAGE_PATH}"><input type="hidden" name="user_code" value="${escapeHtml(device.userCode)}">
<button type="submit" name="decision" value="approve" data-testid="oauth-device-approve">Approve</button>
<button type="submit" name="decision" value="deny" data-testid="oauth-device-deny">Deny</button></form>
<p><small>Polled ${device.polls} time(s); expires ${new Date(device.expiresAt).toISOString()}.</small></p>`;
}

/** Serve the page if the request is for it; false otherwise. Never throws: errors become a page. */
export function handleOAuthPage(emulator: OAuthEmulator | undefined, pathname: string, search: URLSearchParams, req: IncomingMessage, res: ServerResponse): boolean {
  if (pathname !== OAUTH_PAGE_PATH) return false;
  if (!emulator) {
    page(res, 503, "<p>The OAuth emulator is not running.</p>");
    return true;
  }
  if (req.method === "GET" || req.method === "HEAD") {
    const code = (search.get("user_code") ?? "").trim().toUpperCase();
    if (!code) page(res, 200, `<form method="get" action="${OAUTH_PAGE_PATH}"><label>User code <input name="user_code" data-testid="oauth-device-input" autocomplete="off"></label> <button type="submit">Continue</button></form>`);
    else page(res, USER_CODE.test(code) ? 200 : 400, USER_CODE.test(code) ? codeForm(emulator, code) : "<p>That is not a user code.</p>");
    return true;
  }
  if (req.method !== "POST") {
    res.writeHead(405, { allow: "GET, POST", "content-type": "text/plain; charset=utf-8" });
    res.end("405 Method Not Allowed.\n");
    return true;
  }
  readForm(req)
    .then((form) => {
      const code = (form?.get("user_code") ?? "").trim().toUpperCase();
      const decision = form?.get("decision");
      if (!form || !USER_CODE.test(code) || (decision !== "approve" && decision !== "deny")) {
        page(res, 400, "<p>The form was not understood.</p>");
        return;
      }
      const ok = emulator.decide(code, decision);
      page(
        res,
        ok ? 200 : 409,
        ok
          ? `<p data-testid="oauth-device-result">${decision === "approve" ? "Approved" : "Denied"}: <code>${escapeHtml(code)}</code>. You can close this tab; the terminal continues on its own.</p>`
          : `<p data-testid="oauth-device-result">Device code <code>${escapeHtml(code)}</code> is no longer pending.</p>`,
      );
    })
    .catch(() => {
      if (!res.headersSent) page(res, 400, "<p>The form could not be read.</p>");
      else res.destroy();
    });
  return true;
}
