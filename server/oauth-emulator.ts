/**
 * The OAuth lab's auth server: Kimi's device authorization grant (RFC 8628) and refresh, exactly
 * as both bundled builds call them, plus the managed model API behind a bearer check, on
 * 127.0.0.1. It lets a user watch and break a real `kimi login` and a real token refresh offline.
 *
 * FINDING (for helper "lanes", checked in both bundles and by real runs of `kimi login`):
 * Kimi ACCEPTS A PATH PREFIX in KIMI_CODE_OAUTH_HOST and KIMI_CODE_BASE_URL. Both builds
 * (2.1.0 main.mjs oauth.ts region, 0.28.0 likewise) build URLs by string concatenation:
 * `${oauthHost.replace(/\/$/, "")}/api/oauth/device_authorization`, `…/api/oauth/token`, and
 * `${baseUrl}/models`, `${baseUrl}/chat/completions`. So every run gets its own prefix:
 *   oauth host  http://127.0.0.1:<port>/run/<runTag>
 *   base URL    http://127.0.0.1:<port>/run/<runTag>/coding/v1
 * and `kimi login` persists both into config.toml, so later `kimi acp` runs of that home call
 * the same prefixed URLs with no environment. Each hop is attributed by that prefix (`runTag`);
 * a request without a prefix falls back to the run that owns the token or device code it carries.
 * Caveat: the token slot name (credentials/kimi-code-env-<hash>.json) hashes host + base URL, so
 * the prefix is part of the home: a home logged in under /run/A keeps calling /run/A.
 *
 * MEASURED with the real builds (test/oauth-emulator.test.ts), for the diagnosis:
 *  - `kimi login` against the emulator: 2.1.0 ≈ 2.6-4.7 s, 0.28.0 ≈ 4-7 s (start-up dominates).
 *  - deny → both exit 1, 2.1.0 prints "Login cancelled: Authorization denied: <description>".
 *  - expired_token → the login does not write a token; 0.28.0 asks for a NEW device code at once.
 *  - slow_down → Kimi adds 5 s to its 1 s interval (second poll ≥ 5 s later).
 *  - expires_at in the past → the next model request refreshes (grant_type=refresh_token), the
 *    rotated pair is written back to the token slot, the prompt succeeds.
 *  - refresh answered invalid_grant (revoked) → both blank the slot to access_token "" (logged
 *    out). 2.1.0 still answers that prompt with stopReason "end_turn" and no agent_message_chunk:
 *    the failure is HIDDEN from the client's answer (the hop, the blanked token file and the
 *    agent's own log show it). 0.28.0 answers the prompt with -32000 "Authentication required".
 *  - refresh answered 500 (retryable) on 2.1.0: the prompt still ended "end_turn" (seen once).
 *
 * Hooks (contract of lib/wire.ts): `onHop((runTag, hop: HttpHopEvent) => …)` for every request,
 * `hop.path` WITHOUT the /run/<tag> prefix, `hop.grantType` the raw grant_type, `hop.issued` the
 * tokens/device code the answer issued (add them to the run's redactor), no `status` + `error`
 * when no answer was sent (refresh behaviour drop/timeout). The relay's runTag is the run id.
 *
 * Endpoints (relative to the optional /run/<runTag> prefix):
 *   POST /api/oauth/device_authorization   form client_id            → device_code, user_code, …
 *   POST /api/oauth/token                  form grant_type=device_code | refresh_token
 *   GET  /coding/v1/models                 bearer                    → the managed model list
 *   POST /coding/v1/chat/completions       bearer                    → the offline model's SSE
 * The verification page itself is served by the playground origin (server.ts), which calls
 * `decide()`; this server only names it in `verification_uri_complete`.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { answerSocket, applySocketTimeouts, parseRequestTarget, SERVER_TIMEOUT_OPTIONS } from "./http-limits";
import { checkOAuthBehaviour, DEFAULT_OAUTH_BEHAVIOUR, OAUTH_APPROVALS, OAUTH_REFRESH_ANSWERS, type OAuthApproval, type OAuthBehaviour, type OAuthDeviceState, type OAuthPendingDevice, type OAuthRefreshAnswer } from "../lib/oauth-lab";
import type { HttpHopEvent } from "../lib/wire";
import { chatCompletions, splitRunPrefix } from "./model-server";

/** Kimi Code's public OAuth client id (same in 0.28.0 and 2.1.0). */
export const KIMI_CLIENT_ID = "17e5f671-d194-4dfb-9706-5516cb48c098";
export const DEFAULT_OAUTH_PORT = 3978;
export const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
/** The managed model Kimi selects after login; the offline model answers it with its `plain` scenario. */
export const EMULATED_MODEL_ID = "kimi-for-coding";
const MODEL_BASE = "/coding/v1";

export type Approval = OAuthApproval;
export type RefreshAnswer = OAuthRefreshAnswer;
export const APPROVALS = OAUTH_APPROVALS;
export const REFRESH_ANSWERS = OAUTH_REFRESH_ANSWERS;
export type { OAuthBehaviour };
export const DEFAULT_BEHAVIOUR = DEFAULT_OAUTH_BEHAVIOUR;
export const checkBehaviour = checkOAuthBehaviour;

/** A hop being answered: the shared HttpHopEvent (lib/wire.ts) plus the run it belongs to. */
interface HopDraft extends HttpHopEvent {
  runTag?: string;
  /** Why the answer was not a normal one, in words; reported as `error` on a non-2xx answer. */
  note?: string;
}

/** What a hop listener receives (kept as a name for scripts/flow.ts). */
export type OAuthHop = HttpHopEvent;

export type HopListener = (runTag: string | undefined, hop: HttpHopEvent) => void;

export type DeviceState = OAuthDeviceState;
export type PendingDevice = OAuthPendingDevice;

interface DeviceRecord extends PendingDevice {
  deviceCode: string;
  slowedDown: boolean;
}

interface TokenRecord {
  runTag?: string;
  expiresAt: number;
  revoked: boolean;
}

const DEVICE_CODE_TTL_S = 600;
const MAX_FORM_BYTES = 16 * 1024;
/** Device codes and tokens kept at most; the oldest go first (a loop of logins must not grow memory). */
const MAX_RECORDS = 2000;

function secret(prefix: string): string {
  return `${prefix}${randomBytes(24).toString("base64url")}`;
}

/** A user code like Kimi's (`ABCD-EFGH`), from an alphabet without look-alikes. */
function userCode(): string {
  const alphabet = "BCDFGHJKLMNPQRSTVWXZ";
  const bytes = randomBytes(8);
  const chars = [...bytes].map((b) => alphabet[b % alphabet.length]);
  return `${chars.slice(0, 4).join("")}-${chars.slice(4).join("")}`;
}

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.set(key, value);
  if (map.size > MAX_RECORDS) map.delete(map.keys().next().value as string);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), "cache-control": "no-store" });
  res.end(text);
}

class BodyTooLarge extends RangeError {}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of req) {
    const buf = part as Buffer;
    size += buf.length;
    if (size > MAX_FORM_BYTES) throw new BodyTooLarge("request body too large");
    parts.push(buf);
  }
  return new URLSearchParams(Buffer.concat(parts).toString("utf8"));
}

export interface OAuthEmulatorOptions {
  port?: number;
  /** When `port` is busy, listen on a free one instead of failing (the default port, not one the user asked for). */
  fallbackToFree?: boolean;
  behaviour?: Partial<OAuthBehaviour>;
}

export class OAuthEmulator {
  private server?: Server;
  private portNumber = 0;
  private current: OAuthBehaviour;
  private readonly devices = new Map<string, DeviceRecord>();
  private readonly byUserCode = new Map<string, DeviceRecord>();
  private readonly accessTokens = new Map<string, TokenRecord>();
  private readonly refreshTokens = new Map<string, TokenRecord>();
  private readonly hopListeners = new Set<HopListener>();
  private readonly changeListeners = new Set<() => void>();
  /** Responses held open by the `timeout` refresh answer; closed when the emulator stops. */
  private readonly held = new Set<ServerResponse>();
  /** Run tags whose next device code is approved at once, whatever `approval` says (the profile's own login). */
  private readonly approveNext = new Set<string>();
  /** Where `verification_uri_complete` points (the playground origin); set once it listens. */
  verificationBase = "";
  /** Refresh grants answered, by outcome (tests read it to prove Kimi really refreshed). */
  readonly refreshCount = { total: 0, ok: 0 };

  constructor(private readonly options: OAuthEmulatorOptions = {}) {
    this.current = { ...DEFAULT_BEHAVIOUR, ...options.behaviour };
  }

  get port(): number {
    return this.portNumber;
  }

  /** The oauth host for a run (`KIMI_CODE_OAUTH_HOST`), with its own prefix when a tag is given. */
  oauthHost(runTag?: string): string {
    return `http://127.0.0.1:${this.portNumber}${runTag ? `/run/${encodeURIComponent(runTag)}` : ""}`;
  }

  /** The managed provider's base URL for a run (`KIMI_CODE_BASE_URL`). */
  baseUrl(runTag?: string): string {
    return `${this.oauthHost(runTag)}${MODEL_BASE}`;
  }

  get behaviour(): OAuthBehaviour {
    return { ...this.current };
  }

  set behaviour(next: Partial<OAuthBehaviour>) {
    this.current = { ...this.current, ...next };
    this.changed();
  }

  /** Every request served, once answered (or dropped / left unanswered), with the run it belongs to. */
  onHop(listener: HopListener): () => void {
    this.hopListeners.add(listener);
    return () => this.hopListeners.delete(listener);
  }

  /** Called whenever the behaviour or the device-code list changes (the hub broadcasts the state). */
  onChange(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  pendingDevices(): PendingDevice[] {
    const now = Date.now();
    return [...this.devices.values()]
      .filter((d) => d.state === "pending" && d.expiresAt > now)
      .map(({ userCode: code, state, polls, expiresAt, runTag }) => ({ userCode: code, state, polls, expiresAt, runTag }));
  }

  device(code: string): PendingDevice | undefined {
    const d = this.byUserCode.get(code.trim().toUpperCase());
    return d && { userCode: d.userCode, state: d.state, polls: d.polls, expiresAt: d.expiresAt, runTag: d.runTag };
  }

  /** The verification page's decision; false when the code is unknown or no longer pending. */
  decide(code: string, decision: "approve" | "deny"): boolean {
    const d = this.byUserCode.get(code.trim().toUpperCase());
    if (!d || d.state !== "pending" || d.expiresAt <= Date.now()) return false;
    d.state = decision === "approve" ? "approved" : "denied";
    this.changed();
    return true;
  }

  /**
   * Approve the next device code requested under this run's prefix without asking: the relay's
   * own login that makes an `OAuth (emulated)` home is not the flow under test, so it must not
   * wait for a page or obey a deny/expire/slow_down behaviour meant for the user's login.
   */
  approveNextLogin(runTag: string): void {
    this.approveNext.add(runTag);
  }

  /** "Revoke the refresh token": every refresh token of the run (or the given one) stops working. */
  revokeRefresh(filter: { runTag?: string; token?: string }): number {
    let n = 0;
    for (const [token, rec] of this.refreshTokens) {
      if ((filter.token !== undefined && token === filter.token) || (filter.token === undefined && rec.runTag === filter.runTag)) {
        if (!rec.revoked) n++;
        rec.revoked = true;
      }
    }
    return n;
  }

  /** "Expire the access token" on the server side: the model API answers 401 to it from now on. */
  expireAccess(filter: { runTag?: string; token?: string }): number {
    let n = 0;
    for (const [token, rec] of this.accessTokens) {
      if ((filter.token !== undefined && token === filter.token) || (filter.token === undefined && rec.runTag === filter.runTag)) {
        rec.expiresAt = Math.min(rec.expiresAt, Date.now() - 1);
        n++;
      }
    }
    return n;
  }

  async start(): Promise<void> {
    const server = createServer(SERVER_TIMEOUT_OPTIONS, (req, res) => {
      const started = Date.now();
      const url = parseRequestTarget(req.url);
      if (!url) {
        res.setHeader("connection", "close");
        sendJson(res, 400, { error: "invalid_request", error_description: "the request target is not a path" });
        return;
      }
      const { tag: runTag, path: rest } = splitRunPrefix(url.pathname);
      const hop: HopDraft = { method: req.method ?? "?", path: rest, host: rest.startsWith(MODEL_BASE) ? "model" : "oauth", runTag };
      const authorization = req.headers.authorization;
      if (authorization !== undefined) hop.request = { ...hop.request, headers: { authorization } };
      // Reported once the answer is finished or the socket closed: a stream when it ends, a
      // dropped or unanswered request without a status.
      res.once("close", () => {
        const { runTag: tag, note, ...event } = hop;
        event.ms = Date.now() - started;
        if (res.writableFinished) event.status = res.statusCode;
        else event.error = note ?? (res.headersSent ? `stream cut after ${res.statusCode}` : "no answer");
        if (event.status !== undefined && event.status >= 300 && note) event.error = note;
        for (const listener of this.hopListeners) {
          try {
            listener(tag, event);
          } catch {
            // A subscriber's bug must not break the auth server.
          }
        }
      });
      this.route(req, res, rest, hop).catch((error: unknown) => {
        if (!res.headersSent) this.send(res, hop, error instanceof BodyTooLarge ? 413 : 500, { error: "server_error", error_description: (error as Error).message });
        else res.destroy();
      });
    });
    applySocketTimeouts(server);
    server.on("upgrade", (_req, socket) => answerSocket(socket, 404, "the OAuth emulator has no WebSocket"));
    const listen = (port: number): Promise<void> =>
      new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, "127.0.0.1", () => {
          server.off("error", reject);
          resolve();
        });
      });
    try {
      await listen(this.options.port ?? DEFAULT_OAUTH_PORT);
    } catch (error) {
      // Another playground (or a test server) holds the default port: any port works, since each
      // run's home is logged in against the address of its own start.
      if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE" || !this.options.fallbackToFree) throw error;
      await listen(0);
    }
    this.server = server;
    this.portNumber = (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    for (const res of this.held) res.destroy();
    this.held.clear();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Answer JSON and keep the body on the hop (the recorder masks the tokens in it). */
  private send(res: ServerResponse, hop: HopDraft, status: number, body: Record<string, unknown>): void {
    hop.response = { body };
    sendJson(res, status, body);
  }

  private changed(): void {
    for (const listener of this.changeListeners) {
      try {
        listener();
      } catch {
        // as for hops
      }
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse, rest: string, hop: HopDraft): Promise<void> {
    const route = `${req.method} ${rest.replace(/\/+$/, "")}`;
    if (route === "POST /api/oauth/device_authorization") return this.deviceAuthorization(req, res, hop);
    if (route === "POST /api/oauth/token") return this.token(req, res, hop);
    if (route === `GET ${MODEL_BASE}/models` || route === `POST ${MODEL_BASE}/chat/completions`) {
      if (!this.bearerOk(req, res, hop)) return;
      if (route.startsWith("GET")) {
        this.send(res, hop, 200, {
          object: "list",
          data: [{ id: EMULATED_MODEL_ID, object: "model", owned_by: "acp-playground", context_length: 262144, display_name: "Kimi for Coding (emulated)", supports_tool_use: true }],
        });
        return;
      }
      return chatCompletions(req, res, undefined);
    }
    this.send(res, hop, 404, { error: "not_found", error_description: `the OAuth emulator has no ${req.method} ${rest}` });
  }

  private bearerOk(req: IncomingMessage, res: ServerResponse, hop: HopDraft): boolean {
    const auth = req.headers.authorization;
    const token = typeof auth === "string" && /^Bearer /i.test(auth) ? auth.slice(7).trim() : "";
    const rec = token ? this.accessTokens.get(token) : undefined;
    hop.runTag ??= rec?.runTag;
    const reason = !rec ? "unknown access token" : rec.expiresAt <= Date.now() ? "access token expired" : this.current.modelRejects ? "model API set to reject valid tokens" : undefined;
    if (reason) {
      hop.note = reason;
      this.send(res, hop, 401, { error: { message: `Unauthorized: ${reason}`, type: "invalid_authentication_error" } });
      return false;
    }
    return true;
  }

  private async deviceAuthorization(req: IncomingMessage, res: ServerResponse, hop: HopDraft): Promise<void> {
    const form = await readForm(req);
    if (form.get("client_id") !== KIMI_CLIENT_ID) {
      hop.note = "unknown client_id";
      this.send(res, hop, 401, { error: "invalid_client", error_description: "unknown client_id" });
      return;
    }
    const record: DeviceRecord = {
      deviceCode: secret("dc_"),
      userCode: userCode(),
      state: "pending",
      polls: 0,
      expiresAt: Date.now() + DEVICE_CODE_TTL_S * 1000,
      runTag: hop.runTag,
      slowedDown: false,
    };
    if (hop.runTag && this.approveNext.delete(hop.runTag)) {
      record.state = "approved";
      record.slowedDown = true;
    }
    remember(this.devices, record.deviceCode, record);
    remember(this.byUserCode, record.userCode, record);
    const base = this.verificationBase || this.oauthHost();
    hop.issued = [record.deviceCode];
    this.send(res, hop, 200, {
      device_code: record.deviceCode,
      user_code: record.userCode,
      verification_uri: `${base}/oauth/device`,
      verification_uri_complete: `${base}/oauth/device?user_code=${encodeURIComponent(record.userCode)}`,
      expires_in: DEVICE_CODE_TTL_S,
      interval: 1,
    });
    this.changed();
  }

  private issue(runTag: string | undefined, scope: string): Record<string, unknown> {
    const ttl = this.current.accessTokenTtl;
    const access = secret("at_");
    const refresh = secret("rt_");
    remember(this.accessTokens, access, { runTag, expiresAt: Date.now() + ttl * 1000, revoked: false });
    remember(this.refreshTokens, refresh, { runTag, expiresAt: Number.POSITIVE_INFINITY, revoked: false });
    return { access_token: access, refresh_token: refresh, expires_in: ttl, scope, token_type: "Bearer" };
  }

  private async token(req: IncomingMessage, res: ServerResponse, hop: HopDraft): Promise<void> {
    const form = await readForm(req);
    const grant = form.get("grant_type") ?? "";
    if (grant) hop.grantType = grant;
    if (form.get("client_id") !== KIMI_CLIENT_ID) {
      hop.note = "unknown client_id";
      this.send(res, hop, 401, { error: "invalid_client", error_description: "unknown client_id" });
      return;
    }
    if (grant === DEVICE_GRANT) return this.pollDevice(form, res, hop);
    if (grant === "refresh_token") return this.refresh(form, req, res, hop);
    hop.note = "unsupported grant";
    this.send(res, hop, 400, { error: "unsupported_grant_type", error_description: `grant_type "${grant}" is not supported` });
  }

  private pollDevice(form: URLSearchParams, res: ServerResponse, hop: HopDraft): void {
    const d = this.devices.get(form.get("device_code") ?? "");
    const fail = (error: string, description: string): void => {
      hop.note = error;
      this.send(res, hop, 400, { error, error_description: description });
    };
    if (!d) return fail("invalid_grant", "unknown device_code");
    hop.runTag ??= d.runTag;
    d.polls++;
    if (d.state === "pending" && d.expiresAt <= Date.now()) d.state = "expired";
    if (this.current.slowDown && !d.slowedDown && d.state === "pending") {
      d.slowedDown = true;
      return fail("slow_down", "polling too fast; add 5 seconds to the interval");
    }
    // An automatic decision lands after the configured number of pending answers.
    if (d.state === "pending" && this.current.approval !== "manual" && d.polls > this.current.pendingPolls) {
      d.state = this.current.approval === "approve" ? "approved" : this.current.approval === "deny" ? "denied" : "expired";
      this.changed();
    }
    switch (d.state) {
      case "pending":
        return fail("authorization_pending", "the user has not approved the device yet");
      case "denied":
        return fail("access_denied", "the user denied the device");
      case "expired":
        return fail("expired_token", "the device code expired");
      case "consumed":
        return fail("invalid_grant", "the device code was already used");
      case "approved": {
        d.state = "consumed";
        this.changed();
        const answer = this.issue(d.runTag, "kimi-code");
        hop.issued = [answer.access_token as string, answer.refresh_token as string];
        this.send(res, hop, 200, answer);
      }
    }
  }

  private refresh(form: URLSearchParams, req: IncomingMessage, res: ServerResponse, hop: HopDraft): void {
    this.refreshCount.total++;
    const presented = form.get("refresh_token") ?? "";
    const rec = this.refreshTokens.get(presented);
    hop.runTag ??= rec?.runTag;
    switch (this.current.refresh) {
      case "drop":
        hop.note = "connection dropped";
        req.socket.destroy();
        return;
      case "timeout":
        hop.note = "no answer";
        this.held.add(res);
        res.on("close", () => this.held.delete(res));
        return;
      case "500":
        hop.note = "server error";
        this.send(res, hop, 500, { error: "server_error", error_description: "the emulator was told to fail refreshes with 500" });
        return;
      case "401":
        hop.note = "unauthorized";
        this.send(res, hop, 401, { error: "invalid_client", error_description: "the emulator was told to answer refreshes with 401" });
        return;
      case "invalid_grant":
        hop.note = "invalid_grant (forced)";
        this.send(res, hop, 400, { error: "invalid_grant", error_description: "the emulator was told to refuse refreshes" });
        return;
      case "ok":
        break;
    }
    if (!rec || rec.revoked) {
      hop.note = rec ? "refresh token revoked" : "unknown refresh token";
      this.send(res, hop, 400, { error: "invalid_grant", error_description: hop.note });
      return;
    }
    const answer = this.issue(rec.runTag, "kimi-code");
    if (this.current.rotateRefresh) rec.revoked = true;
    else {
      // Not rotating: the client keeps the refresh token it has.
      this.refreshTokens.delete(answer.refresh_token as string);
      answer.refresh_token = presented;
    }
    this.refreshCount.ok++;
    hop.issued = this.current.rotateRefresh ? [answer.access_token as string, answer.refresh_token as string] : [answer.access_token as string];
    this.send(res, hop, 200, answer);
  }
}
