/**
 * The auth events beyond the five steps (issue 15), in the Auth tab under the timeline:
 * `auth/status` (a button when the unstable toggle is on) with the state and accounts, each
 * `auth/status_update`, request-scoped URL sign-ins (elicitations outside any session) and the
 * URLs the agent asked its BROWSER / xdg-open shim to open. A state the client does not know is
 * shown as `unknown` (the schema's MUST), with the agent's value beside it. Account labels are
 * shown here only. Every link opens in the user's own new tab on their click, never by the server.
 * Props only.
 */
import { useMemo } from "react";
import { type AuthEvent, authEvents } from "../lib/auth-timeline";
import { agentCapabilitiesOf } from "../lib/selectors";
import type { Frame } from "../lib/wire";
import { UrlCard } from "./ElicitationCards";

export interface AuthStatusCardProps {
  frames: readonly Frame[];
  version: number;
  /** The "unstable" toggle: auth/status is an unstable method. */
  unstable: boolean;
  canAct: boolean;
  onAuthStatus: () => void;
  onSelect: (seq: number) => void;
}

export function AuthStatusCard(p: AuthStatusCardProps) {
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const events = useMemo(() => authEvents(p.frames), [p.frames, p.version]);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const advertised = useMemo(() => {
    // v1's agentCapabilities or v2's capabilities: auth.status is in both.
    const caps = agentCapabilitiesOf(p.frames) as { auth?: { status?: unknown } } | undefined;
    return caps?.auth?.status !== undefined && caps.auth.status !== null;
  }, [p.frames, p.version]);
  const latest = [...events].reverse().find((e): e is Extract<AuthEvent, { kind: "status" }> => e.kind === "status");
  if (!p.unstable && events.length === 0) return null;
  return (
    <section className="auth-events" data-testid="auth-events-panel">
      <h4>Auth status, sign-ins and browser opens</h4>
      {p.unstable ? (
        <div className="button-row">
          <button type="button" data-testid="btn-auth-status" disabled={!p.canAct} onClick={p.onAuthStatus} title="auth/status (unstable): must not change the agent's state">
            auth/status
          </button>
          <span className="muted small" data-testid="auth-status-advertised" data-advertised={advertised ? "yes" : "no"}>
            {advertised ? "agentCapabilities.auth.status advertised" : "the agent did not advertise agentCapabilities.auth.status"}
          </span>
        </div>
      ) : null}
      {latest ? (
        <div className="auth-status" data-testid="auth-status" data-state={latest.state}>
          <span className={`badge ${latest.state === "authenticated" || latest.state === "not_required" ? "badge-ok" : latest.state === "unauthenticated" ? "badge-error" : ""}`} data-testid="auth-status-state">
            {latest.state}
          </span>
          {latest.rawState !== undefined ? (
            <span className="muted small" data-testid="auth-status-raw">
              {" "}
              (the agent sent <code>{latest.rawState}</code>, which clients must treat as unknown)
            </span>
          ) : null}
          {latest.failed ? <div className="problem">{latest.failed}</div> : null}
          {latest.accounts.length > 0 ? (
            <ul className="accounts" data-testid="auth-accounts">
              {latest.accounts.map((a, i) => (
                <li key={i} data-testid="auth-account" data-active={a.active === true ? "yes" : "no"}>
                  <b>{a.label}</b>
                  {a.active ? <span className="badge badge-ok">active</span> : null}
                  {[a.name, a.email, a.organization].filter(Boolean).length > 0 ? <span className="muted"> — {[a.name, a.email, a.organization].filter(Boolean).join(" · ")}</span> : null}
                </li>
              ))}
            </ul>
          ) : (
            <span className="muted small"> no accounts reported</span>
          )}
        </div>
      ) : null}
      {events.length > 0 ? (
        <ol className="timeline" data-testid="auth-events">
          {events.map((e) => (
            <li key={`${e.runId}#${e.seq}#${e.kind}`} className="step" data-testid="auth-event" data-kind={e.kind} data-seq={e.seq}>
              <EventView event={e} onSelect={p.onSelect} />
            </li>
          ))}
        </ol>
      ) : null}
    </section>
  );
}

function EventView({ event: e, onSelect }: { event: AuthEvent; onSelect: (seq: number) => void }) {
  const link = (
    <button type="button" className="link" onClick={() => onSelect(e.seq)}>
      #{e.seq}
    </button>
  );
  switch (e.kind) {
    case "status":
      return (
        <div data-state={e.state}>
          <code>{e.source}</code> → <b>{e.state}</b>
          {e.rawState !== undefined ? <span className="muted"> (sent “{e.rawState}”)</span> : null}
          {e.accounts.length > 0 ? <span className="muted"> · {e.accounts.length} account{e.accounts.length === 1 ? "" : "s"}</span> : null}
          {e.failed ? <span className="problem"> {e.failed}</span> : null} {link}
        </div>
      );
    case "url": {
      const r = e.item.request;
      if (r.mode !== "url") return null;
      return (
        <div data-testid="auth-event-url" data-state={e.item.state}>
          URL sign-in <code>{r.elicitationId}</code> for request {JSON.stringify(r.scope.requestId)}
          {e.beforeSession ? " before any session" : ""}: <b>{e.item.state}</b> {link}
          <div className="muted small">{r.message}</div>
          <UrlCard url={r.url} state={e.item.state === "open" ? "answered-elsewhere" : e.item.state} canAct={false} />
        </div>
      );
    }
    case "browser":
      return (
        <div data-testid="auth-event-browser">
          The agent wants to open <code>{e.url.url}</code> (it ran <code>{e.via}</code>; nothing was opened on the server) {link}
          <UrlCard url={e.url} state="browser" canAct={false} />
        </div>
      );
  }
}
