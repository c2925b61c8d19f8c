/**
 * The auth debugger: flows (Probe, Guided, Auto), the timeline, "Why -32000?", the terminal login
 * with both command conventions, logout, and the advertisement diff. Props only.
 */
import type { AuthStep } from "../lib/auth-timeline";
import type { Diagnosis } from "../lib/diagnosis";
import type { GuidedStep } from "../lib/guided";
import type { AuthMethodView } from "../lib/selectors";
import { formatCommand, type LoginCommands } from "../lib/terminal-login";
import type { AdvertisementVariant, ServerEvent } from "../lib/wire";
import { AdvertisementDiff } from "./AdvertisementDiff";
import { AuthTimeline } from "./AuthTimeline";
import { DiagnosisPanel } from "./DiagnosisPanel";
import { LoginTerminalView } from "./LoginTerminalView";

export interface AuthPanelProps {
  steps: AuthStep[];
  /** This run is the reconnect after a terminal login in an earlier run (same home). */
  reconnectedFrom?: { runId: string; method: string; exitCode: number | null };
  onSelectRun: (runId: string) => void;
  guided: GuidedStep;
  diagnosis?: Diagnosis;
  flow?: Extract<ServerEvent, { type: "flow" }>;
  terminalMethods: { method: AuthMethodView; commands: LoginCommands }[];
  /** The relay's check of each login command: does the executable exist? */
  loginCheck?: Extract<ServerEvent, { type: "login_check" }>["results"];
  login?: Extract<ServerEvent, { type: "login" }>;
  loginOutput: string;
  loginEpoch: number;
  logoutAdvertised: boolean;
  advDiff?: { variants: AdvertisementVariant[]; running: boolean };
  onProbe: () => void;
  onAuto: () => void;
  onGuided: () => void;
  onLogin: (methodId: string, convention: "spec" | "legacy") => void;
  onLoginInput: (data: string) => void;
  onLoginResize: (cols: number, rows: number) => void;
  onLoginCancel: () => void;
  onLogout: () => void;
  onAdvDiff: () => void;
  onSelect: (seq: number) => void;
}

export function AuthPanel(p: AuthPanelProps) {
  const loginRunning = p.login?.state === "running";
  return (
    <section className="auth-panel" data-testid="auth-panel">
      <div className="button-row">
        <button type="button" className="primary" data-testid="btn-probe" onClick={p.onProbe} title="Fresh process, initialize, session/new. Never authenticates, never runs a login: safe on a real home.">
          Probe
        </button>
        <button type="button" data-testid="btn-auto" onClick={p.onAuto} title="The whole flow, with one remediation and one retry.">
          Auto
        </button>
        <button type="button" data-testid="btn-guided" onClick={p.onGuided} disabled={p.guided.action.kind === "done"}>
          Next: {p.guided.label}
        </button>
      </div>
      <p className="muted small" data-testid="guided-explain">
        {p.guided.explain}
      </p>
      {p.flow ? (
        <div className={`flow flow-${p.flow.state}`} data-testid="flow-status" data-mode={p.flow.mode} data-state={p.flow.state}>
          {p.flow.mode}: {p.flow.message}
        </div>
      ) : null}
      {p.reconnectedFrom ? (
        <div className="flow flow-done" data-testid="reconnected-from" data-run-id={p.reconnectedFrom.runId}>
          Reconnected after the terminal login “{p.reconnectedFrom.method}” in{" "}
          <button type="button" className="link" onClick={() => p.reconnectedFrom && p.onSelectRun(p.reconnectedFrom.runId)}>
            {p.reconnectedFrom.runId}
          </button>{" "}
          exited with code {p.reconnectedFrom.exitCode}: a new agent process in the same home, then initialize and the retried session/new below.
        </div>
      ) : null}
      <AuthTimeline steps={p.steps} onSelect={p.onSelect} />
      {p.diagnosis ? <DiagnosisPanel diagnosis={p.diagnosis} onSelect={p.onSelect} /> : null}

      {p.terminalMethods.length > 0 ? (
        <section className="login" data-testid="login-panel">
          <h4>Terminal login</h4>
          {p.terminalMethods.map(({ method, commands }) => (
            <div key={method.id} className="login-method">
              <div>
                <b>{method.name}</b> <code>{method.id}</code>
              </div>
              {(["spec", "legacy"] as const).map((convention) =>
                commands[convention] ? (
                  <div key={convention} className="login-cmd" data-testid={`login-cmd-${convention}`}>
                    <span className="muted">{convention === "spec" ? "spec (agent command + args):" : 'legacy _meta["terminal-auth"]:'}</span>
                    <code>{formatCommand(commands[convention])}</code>
                    {(() => {
                      const c = p.loginCheck?.find((r) => r.methodId === method.id && r.convention === convention);
                      if (!c) return null;
                      return c.ok ? (
                        <span className="ok small" data-testid={`login-check-${convention}`} data-state="ok">
                          ✓ executable found: {c.resolved}
                        </span>
                      ) : (
                        <span className="problem small" data-testid={`login-check-${convention}`} data-state="failed">
                          ✗ {c.problem}
                        </span>
                      );
                    })()}
                    <button type="button" data-testid={`btn-login-${convention}`} disabled={loginRunning} onClick={() => p.onLogin(method.id, convention)}>
                      Run login
                    </button>
                  </div>
                ) : null,
              )}
            </div>
          ))}
          {p.login ? (
            <div className="login-state" data-testid="login-state" data-state={p.login.state} data-exit-code={p.login.exitCode ?? ""}>
              {p.login.state === "running"
                ? `running: ${p.login.argv?.join(" ") ?? ""}`
                : p.login.state === "exited"
                  ? `exited ${p.login.signal ? `by signal ${p.login.signal}` : `with code ${p.login.exitCode}`}${p.login.exitCode === 0 ? " — reconnecting and retrying session/new" : " — nothing retried"}`
                  : `could not start: ${p.login.message ?? ""} ${p.login.hint ?? ""}`}
              {loginRunning ? (
                <button type="button" className="danger" data-testid="btn-login-cancel" onClick={p.onLoginCancel}>
                  Cancel
                </button>
              ) : null}
            </div>
          ) : null}
          {p.login ? <LoginTerminalView output={p.loginOutput} epoch={p.loginEpoch} onInput={p.onLoginInput} onResize={p.onLoginResize} /> : null}
        </section>
      ) : null}

      <div className="button-row">
        {p.logoutAdvertised ? (
          <button type="button" data-testid="btn-logout" onClick={p.onLogout} title="agentCapabilities.auth.logout is advertised">
            logout
          </button>
        ) : null}
        <button type="button" data-testid="btn-adv-diff" onClick={p.onAdvDiff} title="initialize with none, auth.terminal, legacy _meta, and both">
          Advertisement diff
        </button>
      </div>
      {p.advDiff ? <AdvertisementDiff variants={p.advDiff.variants} running={p.advDiff.running} /> : null}
    </section>
  );
}
