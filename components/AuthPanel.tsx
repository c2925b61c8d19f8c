/**
 * The auth debugger: flows (Probe, Guided, Auto), the timeline, "Why -32000?", every advertised
 * method with its shape (env_var forms, agent-specific `_meta` extensions labelled as that agent's),
 * the terminal login with both command conventions, logout, and the advertisement diff. Props only.
 * Typed secrets live in this component's state until submitted, then are cleared: the relay keeps
 * them and never sends them back.
 */
import { type ReactNode, useState } from "react";
import { apiKeyVarFor, authExtensions, describeMethodClass } from "../lib/auth-frames";
import type { AuthStep } from "../lib/auth-timeline";
import type { Diagnosis } from "../lib/diagnosis";
import type { GuidedStep } from "../lib/guided";
import type { OAuthWhy } from "../lib/oauth-why";
import type { AuthMethodView } from "../lib/selectors";
import { formatCommand, type LoginCommands } from "../lib/terminal-login";
import type { AdvertisementVariant, ServerEvent } from "../lib/wire";
import { flowVerdict, type FlowView } from "../lib/run-scope";
import { AdvertisementDiff } from "./AdvertisementDiff";
import { AuthTimeline } from "./AuthTimeline";
import { DiagnosisPanel, OAuthDiagnosisPanel } from "./DiagnosisPanel";
import { LoginTerminalView } from "./LoginTerminalView";

export interface AuthPanelProps {
  steps: AuthStep[];
  /** This run is the reconnect after a terminal login in an earlier run (same home). */
  reconnectedFrom?: { runId: string; method: string; exitCode: number | null };
  onSelectRun: (runId: string) => void;
  guided: GuidedStep;
  diagnosis?: Diagnosis;
  /** "Why?" was just clicked: the diagnosis scrolls into view and flashes (DiagnosisPanel). */
  revealDiagnosis?: boolean;
  onDiagnosisRevealed?: () => void;
  /** The viewed run's flow status line (lib/run-scope.ts flowFor): never another run's. */
  flow?: FlowView;
  /** runCaption() of the viewed run: labels every block of evidence here with its run. */
  runCaption?: string;
  terminalMethods: { method: AuthMethodView; commands: LoginCommands }[];
  /** The relay's check of each login command: does the executable exist? */
  loginCheck?: Extract<ServerEvent, { type: "login_check" }>["results"];
  login?: Extract<ServerEvent, { type: "login" }>;
  loginOutput: string;
  loginEpoch: number;
  logoutAdvertised: boolean;
  /** Only when it was asked from the viewed run; `caption` names that run, agent and profile. */
  advDiff?: { variants: AdvertisementVariant[]; running: boolean; caption: string; protocolVersion?: 1 | 2 };
  onProbe: () => void;
  onAuto: () => void;
  onGuided: () => void;
  onLogin: (methodId: string, convention: "spec" | "legacy") => void;
  onLoginInput: (data: string) => void;
  onLoginResize: (cols: number, rows: number) => void;
  onLoginCancel: () => void;
  onLogout: () => void;
  onAdvDiff: () => void;
  /** Every method the agent advertised (for the env_var and extension forms). */
  methods?: AuthMethodView[];
  /** Variable names the viewed run's profile sets (names only). */
  profileEnv?: string[];
  /** The forms act on the current run only. */
  canAct?: boolean;
  /** env_var: restart with these typed values (omitted names take the profile's), then authenticate. */
  onEnvVar?: (methodId: string, values: Record<string, string>) => void;
  /** Gemini's _meta extensions: a typed key (undefined = the profile's) and/or a gateway. */
  onApiKey?: (methodId: string, apiKey: string | undefined, gateway?: { baseUrl: string; headers?: Record<string, string> }) => void;
  onSelect: (seq: number) => void;
  /** The newest OAuth failure of the run (a refused refresh or login), shown even without an error frame. */
  oauthWhy?: OAuthWhy;
  /** Its "Why?" is open. */
  oauthWhyOpen?: boolean;
  onWhyOAuth?: () => void;
  oauthLabelOf?: (seq: number) => string;
  /** Auth events beyond the five steps (AuthStatusCard, ProvidersPanel), shown under the timeline. */
  children?: ReactNode;
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
        <button type="button" data-testid="btn-guided" onClick={p.onGuided} disabled={p.guided.action.kind === "done" || (p.guided.action.kind === "env_var" && p.guided.action.needsInput)}>
          Next: {p.guided.label}
        </button>
      </div>
      <p className="muted small" data-testid="guided-explain">
        {p.guided.explain}
      </p>
      {p.flow ? (
        <div
          className={`flow flow-${p.flow.state} verdict-${flowVerdict(p.flow)}`}
          data-testid="flow-status"
          data-mode={p.flow.mode}
          data-state={p.flow.state}
          data-verdict={flowVerdict(p.flow)}
          data-run-id={p.flow.runId}
          role="status"
        >
          <span className="flow-run muted small" data-testid="flow-run">
            {p.runCaption ?? p.flow.runId}
          </span>{" "}
          <b>{p.flow.mode === "probe" ? "Probe" : p.flow.mode === "auto" ? "Auto" : p.flow.mode}</b>: {p.flow.message}
          {p.flow.movedTo ? (
            <>
              {" "}
              — continued in{" "}
              <button type="button" className="link" data-testid="flow-moved-to" onClick={() => p.flow?.movedTo && p.onSelectRun(p.flow.movedTo)}>
                {p.flow.movedTo}
              </button>
            </>
          ) : null}
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
      {/* Above the timeline: an OAuth failure the client was not told of is the first thing to read. */}
      {p.oauthWhy ? (
        <div className={`notice-inline ${p.oauthWhy.hidden ? "warn" : ""}`} data-testid="oauth-why-notice" data-hidden={p.oauthWhy.hidden ? "yes" : "no"}>
          {p.oauthWhy.headline}.{" "}
          {p.onWhyOAuth ? (
            <button type="button" className="primary" data-testid="btn-why-oauth" onClick={p.onWhyOAuth}>
              Why?
            </button>
          ) : null}
        </div>
      ) : null}
      {p.oauthWhy && p.oauthWhyOpen ? <OAuthDiagnosisPanel why={p.oauthWhy} labelOf={p.oauthLabelOf ?? ((seq) => `#${seq}`)} onSelect={p.onSelect} /> : null}
      <AuthTimeline steps={p.steps} onSelect={p.onSelect} />
      {p.children}
      {p.diagnosis ? <DiagnosisPanel diagnosis={p.diagnosis} onSelect={p.onSelect} reveal={p.revealDiagnosis} onRevealed={p.onDiagnosisRevealed} /> : null}

      {p.methods && p.methods.length > 0 ? (
        <MethodForms methods={p.methods} profileEnv={p.profileEnv ?? []} canAct={p.canAct !== false} onEnvVar={p.onEnvVar} onApiKey={p.onApiKey} />
      ) : null}

      {p.terminalMethods.length > 0 ? (
        <section className="login" data-testid="login-panel">
          <h4>Terminal login</h4>
          {p.terminalMethods.map(({ method, commands }) => (
            <div key={method.id} className="login-method">
              <div>
                <b>{method.name}</b> <code>{method.id}</code>
              </div>
              {authExtensions(method)
                .filter((e) => e.kind === "meta-terminal" || e.kind === "terminal-auth-env")
                .map((e) => (
                  <div key={e.kind} className="muted small extension" data-testid="login-extension" data-kind={e.kind}>
                    <span className="badge">{e.agent}&apos;s extension, not the ACP spec</span> {e.title}
                    {e.env ? (
                      <>
                        {" "}
                        — env: <code>{Object.keys(e.env).join(", ")}</code> (checked against the env policy before the login runs)
                      </>
                    ) : null}
                  </div>
                ))}
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
            <div className="login-state" data-testid="login-state" data-state={p.login.state} data-exit-code={p.login.exitCode ?? ""} data-run-id={p.login.runId ?? ""}>
              <span className="muted small">{p.login.runId ?? ""} login · </span>
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
          {p.login ? <LoginTerminalView output={p.loginOutput} epoch={p.loginEpoch} onInput={p.onLoginInput} onResize={p.onLoginResize} active={loginRunning} /> : null}
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
      {p.advDiff ? <AdvertisementDiff variants={p.advDiff.variants} running={p.advDiff.running} caption={p.advDiff.caption} protocolVersion={p.advDiff.protocolVersion} /> : null}
    </section>
  );
}

interface MethodFormsProps {
  methods: AuthMethodView[];
  profileEnv: string[];
  canAct: boolean;
  onEnvVar?: AuthPanelProps["onEnvVar"];
  onApiKey?: AuthPanelProps["onApiKey"];
}

/** Each advertised method's shape, and a form for the ones the playground completes with a value. */
function MethodForms({ methods, profileEnv, canAct, onEnvVar, onApiKey }: MethodFormsProps) {
  return (
    <section className="auth-methods" data-testid="auth-methods">
      <h4>Advertised auth methods</h4>
      {methods.map((m) => {
        const extensions = authExtensions(m);
        return (
          <div key={m.id} className="auth-method" data-testid="auth-method-row" data-method-id={m.id} data-class={m.class}>
            <div>
              <b>{m.name}</b> <code>{m.id}</code> — <span data-testid="auth-method-class">{describeMethodClass(m)}</span>
            </div>
            {m.description ? <div className="muted small">{m.description}</div> : null}
            {extensions.map((e) => (
              <div key={e.kind} className="muted small extension" data-testid="auth-extension" data-kind={e.kind} data-agent={e.agent}>
                <span className="badge">{e.agent}&apos;s extension, not the ACP spec</span> <b>{e.title}</b>: {e.detail}
              </div>
            ))}
            {m.class === "env_var" ? <EnvVarForm method={m} profileEnv={profileEnv} canAct={canAct} onSubmit={onEnvVar} /> : null}
            {extensions.some((e) => e.kind === "api-key-meta" || e.kind === "gateway-meta") ? <ApiKeyForm method={m} profileEnv={profileEnv} canAct={canAct} onSubmit={onApiKey} /> : null}
          </div>
        );
      })}
    </section>
  );
}

function EnvVarForm({ method, profileEnv, canAct, onSubmit }: { method: AuthMethodView; profileEnv: string[]; canAct: boolean; onSubmit?: AuthPanelProps["onEnvVar"] }) {
  const vars = method.vars ?? [];
  const [typed, setTyped] = useState<Record<string, string>>({});
  const missing = vars.filter((v) => !v.optional && !profileEnv.includes(v.name) && !typed[v.name]);
  return (
    <form
      className="env-var-form"
      data-testid="env-var-form"
      data-method-id={method.id}
      autoComplete="off"
      onSubmit={(e) => {
        e.preventDefault();
        const values = Object.fromEntries(Object.entries(typed).filter(([, v]) => v.length > 0));
        // The page forgets the values once they are sent: the relay keeps them, redacted everywhere.
        setTyped({});
        onSubmit?.(method.id, values);
      }}
    >
      {vars.map((v) => {
        const fromProfile = profileEnv.includes(v.name);
        const id = `env-${method.id}-${v.name}`;
        return (
          <div key={v.name} className="env-var-row">
            <label htmlFor={id}>
              <code>{v.name}</code>
              {v.label ? ` (${v.label})` : ""}
              {v.optional ? " — optional" : ""}
            </label>{" "}
            <input
              id={id}
              data-testid="env-var-input"
              data-var={v.name}
              type={v.secret ? "password" : "text"}
              autoComplete="off"
              spellCheck={false}
              placeholder={fromProfile ? "from the profile (leave empty)" : "type the value"}
              value={typed[v.name] ?? ""}
              onChange={(e) => setTyped({ ...typed, [v.name]: e.target.value })}
            />{" "}
            <span className="muted small" data-testid="env-var-source" data-source={typed[v.name] ? "typed" : fromProfile ? "profile" : "missing"}>
              {typed[v.name] ? "typed (masked)" : fromProfile ? "the profile sets it" : "not set by the profile"}
            </span>
          </div>
        );
      })}
      <button type="submit" data-testid="btn-env-var" disabled={!canAct || missing.length > 0 || !onSubmit} title="Restart the agent with these variables set, then send authenticate">
        Restart with {vars.map((v) => v.name).join(", ")} and authenticate
      </button>
    </form>
  );
}

function ApiKeyForm({ method, profileEnv, canAct, onSubmit }: { method: AuthMethodView; profileEnv: string[]; canAct: boolean; onSubmit?: AuthPanelProps["onApiKey"] }) {
  const [key, setKey] = useState("");
  const [baseUrl, setBaseUrl] = useState("");
  const [header, setHeader] = useState("");
  const [headerValue, setHeaderValue] = useState("");
  const hasKey = method.meta?.["api-key"] !== undefined;
  const hasGateway = method.meta?.gateway !== undefined;
  const fromVar = hasKey ? apiKeyVarFor(method, profileEnv) : undefined;
  const ready = (hasKey && (key.length > 0 || fromVar !== undefined)) || (hasGateway && baseUrl.length > 0);
  return (
    <form
      className="api-key-form"
      data-testid="api-key-form"
      data-method-id={method.id}
      autoComplete="off"
      onSubmit={(e) => {
        e.preventDefault();
        const gateway = hasGateway && baseUrl ? { baseUrl, headers: header && headerValue ? { [header]: headerValue } : undefined } : undefined;
        setKey("");
        setHeaderValue("");
        onSubmit?.(method.id, hasKey && key ? key : undefined, gateway);
      }}
    >
      {hasKey ? (
        <div>
          <label htmlFor={`key-${method.id}`}>_meta[&quot;api-key&quot;]</label>{" "}
          <input id={`key-${method.id}`} data-testid="api-key-input" type="password" autoComplete="off" placeholder={fromVar ? `from the profile's ${fromVar} (leave empty)` : "type the key"} value={key} onChange={(e) => setKey(e.target.value)} />
        </div>
      ) : null}
      {hasGateway ? (
        <div>
          <label htmlFor={`gw-${method.id}`}>_meta.gateway baseUrl</label>{" "}
          <input id={`gw-${method.id}`} data-testid="gateway-url-input" type="url" autoComplete="off" value={baseUrl} onChange={(e) => setBaseUrl(e.target.value)} />{" "}
          <label htmlFor={`gwh-${method.id}`}>header</label>{" "}
          <input id={`gwh-${method.id}`} data-testid="gateway-header-name" type="text" autoComplete="off" value={header} onChange={(e) => setHeader(e.target.value)} />{" "}
          <label htmlFor={`gwv-${method.id}`}>value</label>{" "}
          <input id={`gwv-${method.id}`} data-testid="gateway-header-value" type="password" autoComplete="off" value={headerValue} onChange={(e) => setHeaderValue(e.target.value)} />
        </div>
      ) : null}
      <button type="submit" data-testid="btn-api-key" disabled={!canAct || !ready || !onSubmit}>
        authenticate “{method.id}” with _meta
      </button>
    </form>
  );
}
