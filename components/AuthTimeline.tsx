/** The run's auth lifecycle as five steps, each with its state and links to the frames behind it. */
import type { AuthStep } from "../lib/auth-timeline";

export interface AuthTimelineProps {
  steps: AuthStep[];
  onSelect: (seq: number) => void;
}

const ICON: Record<AuthStep["state"], string> = { ok: "✓", failed: "✗", pending: "…", skipped: "–" };

export function AuthTimeline({ steps, onSelect }: AuthTimelineProps) {
  return (
    <ol className="timeline" data-testid="auth-timeline">
      {steps.map((step) => (
        <li key={step.id} className={`step step-${step.state}`} data-testid="auth-step" data-step={step.id} data-state={step.state}>
          <div className="step-head">
            <span className="step-icon">{ICON[step.state]}</span> <b>{step.title}</b>
          </div>
          <div className="step-detail">{step.detail}</div>
          {step.methods && step.methods.length > 0 ? (
            <ul className="methods">
              {step.methods.map((m) => (
                <li key={m.id} data-testid="auth-method" data-class={m.class}>
                  <code>{m.id}</code> “{m.name}” — {m.class === "terminal" ? "terminal (spec)" : m.class === "legacy-terminal" ? 'legacy _meta["terminal-auth"]' : m.class}
                </li>
              ))}
            </ul>
          ) : null}
          {step.facts ? (
            <dl className="facts">
              {Object.entries(step.facts).map(([k, v]) => (
                <div key={k}>
                  <dt>{k}</dt>
                  <dd>{v}</dd>
                </div>
              ))}
            </dl>
          ) : null}
          {step.frameSeqs.length > 0 ? (
            <div className="step-frames">
              frames:{" "}
              {step.frameSeqs.map((seq) => (
                <button key={seq} type="button" className="link" onClick={() => onSelect(seq)}>
                  #{seq}
                </button>
              ))}
            </div>
          ) : null}
        </li>
      ))}
    </ol>
  );
}
