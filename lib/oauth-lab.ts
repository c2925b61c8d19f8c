/**
 * The OAuth lab's shared vocabulary: the emulator's switchable behaviours, the device codes it
 * shows, and the one validator every source of a behaviour change passes (CLI flags, the
 * WebSocket command, the panel). Isomorphic, so the relay and the page agree on the shape.
 */

export type OAuthApproval = "manual" | "approve" | "deny" | "expire";
export type OAuthRefreshAnswer = "ok" | "invalid_grant" | "401" | "500" | "drop" | "timeout";
export const OAUTH_APPROVALS: readonly OAuthApproval[] = ["manual", "approve", "deny", "expire"];
export const OAUTH_REFRESH_ANSWERS: readonly OAuthRefreshAnswer[] = ["ok", "invalid_grant", "401", "500", "drop", "timeout"];

/** Everything switchable live. */
export interface OAuthBehaviour {
  /**
   * What happens to a new device code: `manual` waits for the verification page, `approve` is
   * auto-approve (headless runs), `deny` answers access_denied, `expire` answers expired_token.
   */
  approval: OAuthApproval;
  /** Answer `slow_down` to the first poll of each device code (Kimi then adds 5 s to its interval). */
  slowDown: boolean;
  /** `authorization_pending` answers before an automatic decision (approve/deny/expire) lands. */
  pendingPolls: number;
  /** Lifetime of an issued access token, seconds (`expires_in`). */
  accessTokenTtl: number;
  /** Issue a new refresh token on each refresh (and revoke the old one). */
  rotateRefresh: boolean;
  /** How the token endpoint answers a refresh_token grant. */
  refresh: OAuthRefreshAnswer;
  /** The model API answers 401 even to a valid, unexpired token. */
  modelRejects: boolean;
}

export const DEFAULT_OAUTH_BEHAVIOUR: OAuthBehaviour = {
  approval: "manual",
  slowDown: false,
  pendingPolls: 0,
  accessTokenTtl: 900,
  rotateRefresh: true,
  refresh: "ok",
  modelRejects: false,
};

/** Bounds for the numeric behaviours. */
export const OAUTH_BEHAVIOUR_LIMITS = { pendingPolls: [0, 20], accessTokenTtl: [1, 86_400] } as const;

/** Validate a partial behaviour from an untrusted source; the message names the first bad field. */
export function checkOAuthBehaviour(input: unknown): { ok: true; value: Partial<OAuthBehaviour> } | { ok: false; message: string } {
  if (typeof input !== "object" || input === null || Array.isArray(input)) return { ok: false, message: "behaviour must be an object" };
  const out: Partial<OAuthBehaviour> = {};
  for (const [key, value] of Object.entries(input)) {
    switch (key) {
      case "approval":
        if (!OAUTH_APPROVALS.includes(value as OAuthApproval)) return { ok: false, message: `approval must be one of ${OAUTH_APPROVALS.join(", ")}` };
        out.approval = value as OAuthApproval;
        break;
      case "refresh":
        if (!OAUTH_REFRESH_ANSWERS.includes(value as OAuthRefreshAnswer)) return { ok: false, message: `refresh must be one of ${OAUTH_REFRESH_ANSWERS.join(", ")}` };
        out.refresh = value as OAuthRefreshAnswer;
        break;
      case "slowDown":
      case "rotateRefresh":
      case "modelRejects":
        if (typeof value !== "boolean") return { ok: false, message: `${key} must be true or false` };
        out[key] = value;
        break;
      case "pendingPolls":
      case "accessTokenTtl": {
        const [min, max] = OAUTH_BEHAVIOUR_LIMITS[key];
        if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) return { ok: false, message: `${key} must be an integer ${min}-${max}` };
        out[key] = value as number;
        break;
      }
      default:
        return { ok: false, message: `unknown behaviour "${key}"` };
    }
  }
  return { ok: true, value: out };
}

export type OAuthDeviceState = "pending" | "approved" | "denied" | "expired" | "consumed";

/** A device code as the panel lists it (the device_code itself is never shown). */
export interface OAuthPendingDevice {
  userCode: string;
  state: OAuthDeviceState;
  polls: number;
  /** Epoch milliseconds. */
  expiresAt: number;
  runTag?: string;
}

/** One click on a run's tokens, or a decision from the panel. */
export type OAuthAction = "expire_access" | "revoke_refresh" | "approve" | "deny";
export const OAUTH_ACTIONS: readonly OAuthAction[] = ["expire_access", "revoke_refresh", "approve", "deny"];

/** What the panel shows: ServerEvent `oauth_state`. */
export interface OAuthLabState {
  /** The emulator's address (http://127.0.0.1:PORT), or undefined when it is not running. */
  url?: string;
  behaviour: OAuthBehaviour;
  pending: OAuthPendingDevice[];
}
