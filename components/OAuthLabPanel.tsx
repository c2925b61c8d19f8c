/**
 * The OAuth lab: the Kimi OAuth emulator's behaviours, switchable live, its pending device codes
 * (approve/deny here or on the verification page), and the two one-click token faults for the
 * current run. Props only; every control is labelled and has a data-testid.
 */
import { useEffect, useState } from "react";
import { OAUTH_APPROVALS, OAUTH_BEHAVIOUR_LIMITS, OAUTH_REFRESH_ANSWERS, type OAuthAction, type OAuthApproval, type OAuthBehaviour, type OAuthLabState, type OAuthRefreshAnswer } from "../lib/oauth-lab";

export interface OAuthLabPanelProps {
  state: OAuthLabState;
  /** The current run uses the OAuth (emulated) profile: the token buttons apply to it. */
  emulatedRun: boolean;
  onBehaviour: (change: Partial<OAuthBehaviour>) => void;
  onAction: (action: OAuthAction, userCode?: string) => void;
}

const APPROVAL_LABELS: Record<OAuthApproval, string> = {
  manual: "ask me (verification page)",
  approve: "approve automatically",
  deny: "deny (access_denied)",
  expire: "let the code expire (expired_token)",
};

const REFRESH_LABELS: Record<OAuthRefreshAnswer, string> = {
  ok: "ok (new tokens)",
  invalid_grant: "400 invalid_grant",
  "401": "401 unauthorized",
  "500": "500 server error",
  drop: "drop the connection",
  timeout: "never answer",
};

export function OAuthLabPanel({ state, emulatedRun, onBehaviour, onAction }: OAuthLabPanelProps) {
  // A local draft, so quick edits do not fight the relay's echo (as in FaultPanel).
  const [b, setDraft] = useState(state.behaviour);
  useEffect(() => setDraft(state.behaviour), [state.behaviour]);
  const change = (next: Partial<OAuthBehaviour>): void => {
    setDraft({ ...b, ...next });
    onBehaviour(next);
  };
  const number = (key: "pendingPolls" | "accessTokenTtl", raw: string): void => {
    const [min, max] = OAUTH_BEHAVIOUR_LIMITS[key];
    const n = Math.floor(Number(raw));
    if (Number.isFinite(n)) change({ [key]: Math.min(max, Math.max(min, n)) });
  };
  return (
    <details className="panel oauth-lab" data-testid="oauth-lab-panel">
      <summary>OAuth lab {state.url ? <small className="muted">{state.url}</small> : <small className="muted">(emulator not running)</small>}</summary>
      <label className="field">
        <span>New device codes</span>
        <select data-testid="oauth-approval" value={b.approval} onChange={(e) => change({ approval: e.target.value as OAuthApproval })}>
          {OAUTH_APPROVALS.map((a) => (
            <option key={a} value={a}>
              {APPROVAL_LABELS[a]}
            </option>
          ))}
        </select>
      </label>
      <label className="field inline">
        <span>authorization_pending answers first</span>
        <input type="number" data-testid="oauth-pending-polls" min={OAUTH_BEHAVIOUR_LIMITS.pendingPolls[0]} max={OAUTH_BEHAVIOUR_LIMITS.pendingPolls[1]} value={b.pendingPolls} onChange={(e) => number("pendingPolls", e.target.value)} style={{ width: 70 }} />
      </label>
      <label>
        <input type="checkbox" data-testid="oauth-slow-down" checked={b.slowDown} onChange={(e) => change({ slowDown: e.target.checked })} /> answer slow_down to the first poll
      </label>
      <label className="field inline">
        <span>access-token lifetime</span>
        <input type="number" data-testid="oauth-token-ttl" min={OAUTH_BEHAVIOUR_LIMITS.accessTokenTtl[0]} max={OAUTH_BEHAVIOUR_LIMITS.accessTokenTtl[1]} value={b.accessTokenTtl} onChange={(e) => number("accessTokenTtl", e.target.value)} style={{ width: 90 }} />
        <small className="muted">s</small>
      </label>
      <label>
        <input type="checkbox" data-testid="oauth-rotate" checked={b.rotateRefresh} onChange={(e) => change({ rotateRefresh: e.target.checked })} /> rotate refresh tokens
      </label>
      <label className="field">
        <span>Refresh answer</span>
        <select data-testid="oauth-refresh" value={b.refresh} onChange={(e) => change({ refresh: e.target.value as OAuthRefreshAnswer })}>
          {OAUTH_REFRESH_ANSWERS.map((r) => (
            <option key={r} value={r}>
              {REFRESH_LABELS[r]}
            </option>
          ))}
        </select>
      </label>
      <label>
        <input type="checkbox" data-testid="oauth-model-401" checked={b.modelRejects} onChange={(e) => change({ modelRejects: e.target.checked })} /> model API answers 401 to valid tokens
      </label>
      <div className="row">
        <button type="button" data-testid="oauth-expire-access" disabled={!emulatedRun} title={emulatedRun ? "expires_at in the past in the run's token file, and the old token refused" : "Start Kimi with the OAuth (emulated) profile first"} onClick={() => onAction("expire_access")}>
          Expire the access token
        </button>
        <button type="button" data-testid="oauth-revoke-refresh" disabled={!emulatedRun} title={emulatedRun ? "the next refresh is answered invalid_grant" : "Start Kimi with the OAuth (emulated) profile first"} onClick={() => onAction("revoke_refresh")}>
          Revoke the refresh token
        </button>
      </div>
      <div data-testid="oauth-pending">
        {state.pending.length === 0 ? (
          <p className="muted small">No device code is waiting.</p>
        ) : (
          <ul>
            {state.pending.map((d) => (
              <li key={d.userCode} data-testid={`oauth-pending-${d.userCode}`}>
                <code>{d.userCode}</code> {d.runTag ? <small className="muted">run {d.runTag}</small> : null}{" "}
                <button type="button" data-testid={`oauth-approve-${d.userCode}`} aria-label={`Approve ${d.userCode}`} onClick={() => onAction("approve", d.userCode)}>
                  Approve
                </button>{" "}
                <button type="button" data-testid={`oauth-deny-${d.userCode}`} aria-label={`Deny ${d.userCode}`} onClick={() => onAction("deny", d.userCode)}>
                  Deny
                </button>
              </li>
            ))}
          </ul>
        )}
      </div>
    </details>
  );
}
