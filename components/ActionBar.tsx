/**
 * One button per common client→agent step, each sending exactly what the composer template would.
 * A button is disabled until its preconditions hold (no authenticate before initialize advertised a
 * method) and while its own request is in flight, when it shows a spinner and the time waited: a
 * double click sends one request. The composer stays the escape hatch for sending anything anyway.
 */
import type { ReactNode } from "react";
import type { ActionMethod, ActionState } from "../lib/run-scope";
import type { AuthMethodView } from "../lib/selectors";
import { PendingElapsed } from "./PendingElapsed";

export interface ActionBarProps {
  /** The viewed run is the current one and its agent runs. */
  running: boolean;
  /** lib/run-scope.ts actionStates(): enabled, why not, pending since. */
  actions: Record<ActionMethod, ActionState>;
  authMethods: AuthMethodView[];
  authMethodId: string;
  sessionId?: string;
  promptText: string;
  onAuthMethodChange: (id: string) => void;
  onPromptTextChange: (text: string) => void;
  onInitialize: () => void;
  onAuthenticate: () => void;
  onSessionNew: () => void;
  onPrompt: () => void;
  onCancel: () => void;
  /** Offline model scenario for the next prompt ("" = the profile's default). */
  scenario: string;
  onScenarioChange: (scenario: string) => void;
  /** The login verb the negotiated protocol speaks (v1 `authenticate`, v2 its own); labels the button. */
  loginMethod?: string;
  /** The protocol-version choice (ProtocolChoice), shown first in the bar. */
  protocol?: ReactNode;
}

/** The offline model server's scenarios (server/model-server.ts); other models ignore the marker. */
export const SCENARIOS = ["plain", "shell", "shell-missing", "read", "write", "slow", "refusal"];

const CLASS_LABEL: Record<AuthMethodView["class"], string> = {
  agent: "agent",
  terminal: "terminal (spec)",
  "legacy-terminal": 'legacy _meta["terminal-auth"]',
  env_var: "env_var (restart with variables)",
  unknown: "unknown type",
};

const TEST_ID: Record<ActionMethod, string> = {
  initialize: "btn-initialize",
  authenticate: "btn-authenticate",
  "session/new": "btn-session-new",
  "session/prompt": "btn-prompt",
};

function ActionButton({ method, state, onClick, label }: { method: ActionMethod; state: ActionState; onClick: () => void; label?: string }) {
  const pending = state.pendingSince !== undefined;
  return (
    <button
      type="button"
      data-testid={TEST_ID[method]}
      data-state={pending ? "pending" : state.enabled ? "ready" : "blocked"}
      aria-busy={pending ? "true" : undefined}
      onClick={onClick}
      disabled={!state.enabled}
      title={state.reason}
    >
      {label ?? method}
      {pending && state.pendingSince !== undefined ? <PendingElapsed since={state.pendingSince} testId={`${TEST_ID[method]}-pending`} /> : null}
    </button>
  );
}

export function ActionBar(p: ActionBarProps) {
  const a = p.actions;
  return (
    <div className="action-bar" data-testid="action-bar">
      {p.protocol}
      <ActionButton method="initialize" state={a.initialize} onClick={p.onInitialize} />
      <span className="group">
        <select
          data-testid="auth-method-select"
          aria-label="Auth method for authenticate"
          value={p.authMethodId}
          onChange={(e) => p.onAuthMethodChange(e.target.value)}
          disabled={p.authMethods.length === 0}
          title="Methods from the initialize response's authMethods"
        >
          {p.authMethods.length === 0 ? <option value="">(initialize first)</option> : null}
          {p.authMethods.map((m) => (
            <option key={m.id} value={m.id}>
              {m.name} · {CLASS_LABEL[m.class]}
            </option>
          ))}
        </select>
        <ActionButton method="authenticate" state={a.authenticate} onClick={p.onAuthenticate} label={p.loginMethod} />
      </span>
      <ActionButton method="session/new" state={a["session/new"]} onClick={p.onSessionNew} />
      <span className="group grow">
        <input
          data-testid="prompt-input"
          aria-label="Prompt text"
          value={p.promptText}
          placeholder={p.sessionId ? `prompt for ${p.sessionId}` : "prompt text (session/new first)"}
          onChange={(e) => p.onPromptTextChange(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && a["session/prompt"].enabled) p.onPrompt();
          }}
        />
        <select data-testid="scenario-select" aria-label="Offline scenario for the prompt" value={p.scenario} onChange={(e) => p.onScenarioChange(e.target.value)} title="Offline model server scenario: adds [scenario:NAME] to the prompt">
          <option value="">scenario: profile default</option>
          {SCENARIOS.map((s) => (
            <option key={s} value={s}>
              scenario: {s}
            </option>
          ))}
        </select>
        <ActionButton method="session/prompt" state={a["session/prompt"]} onClick={p.onPrompt} />
        <button type="button" data-testid="btn-cancel" onClick={p.onCancel} disabled={!p.running || !p.sessionId} title="Notify session/cancel for the selected session">
          session/cancel
        </button>
      </span>
    </div>
  );
}
