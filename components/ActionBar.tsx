/** One button per common client→agent step, each sending exactly what the composer template would. */
import type { AuthMethodView } from "../lib/selectors";

export interface ActionBarProps {
  running: boolean;
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

export function ActionBar(p: ActionBarProps) {
  return (
    <div className="action-bar" data-testid="action-bar">
      <button type="button" data-testid="btn-initialize" onClick={p.onInitialize} disabled={!p.running}>
        initialize
      </button>
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
        <button type="button" data-testid="btn-authenticate" onClick={p.onAuthenticate} disabled={!p.running || !p.authMethodId}>
          authenticate
        </button>
      </span>
      <button type="button" data-testid="btn-session-new" onClick={p.onSessionNew} disabled={!p.running}>
        session/new
      </button>
      <span className="group grow">
        <input
          data-testid="prompt-input"
          value={p.promptText}
          placeholder={p.sessionId ? `prompt for ${p.sessionId}` : "prompt text (session/new first)"}
          onChange={(e) => p.onPromptTextChange(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter") p.onPrompt();
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
        <button type="button" data-testid="btn-prompt" onClick={p.onPrompt} disabled={!p.running || !p.sessionId}>
          session/prompt
        </button>
        <button type="button" data-testid="btn-cancel" onClick={p.onCancel} disabled={!p.running || !p.sessionId}>
          session/cancel
        </button>
      </span>
    </div>
  );
}
