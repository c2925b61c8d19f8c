/** The run's auth lifecycle as five steps, each with its state and links to the frames behind it. */
import { authExtensions, describeMethodClass } from "../lib/auth-frames";
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
                  <code>{m.id}</code> “{m.name}” — {describeMethodClass(m)}
                  {authExtensions(m).map((e) => (
                    <span key={e.kind} className="badge extension" data-testid="timeline-extension" data-kind={e.kind} title={e.detail}>
                      {" "}
                      {e.agent}&apos;s extension: {e.title}
                    </span>
                  ))}
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
