/** Agent→client requests waiting for the user: permission requests get their options as buttons. */
import { permissionDetails } from "../lib/selectors";
import type { Frame } from "../lib/wire";

export interface PermissionCardsProps {
  pending: Frame[];
  onAnswer: (id: string, result: unknown) => void;
  onReject: (id: string) => void;
  onSelect: (seq: number) => void;
}

export function PermissionCards({ pending, onAnswer, onReject, onSelect }: PermissionCardsProps) {
  if (pending.length === 0) return null;
  return (
    <div className="cards">
      {pending.map((f) => {
        if (f.method !== "session/request_permission" || !f.id) {
          return (
            <div key={f.seq} className="card" data-testid="pending-request">
              <b>{f.method}</b> from the agent is waiting (#{f.seq}).{" "}
              <button type="button" onClick={() => f.id && onReject(f.id)}>
                Answer -32601
              </button>
            </div>
          );
        }
        const d = permissionDetails(f);
        const id = f.id;
        return (
          <div key={f.seq} className="card permission" data-testid="permission-card" data-seq={f.seq}>
            <div>
              <b>Permission requested:</b> {d.title}{" "}
              <button type="button" className="link" onClick={() => onSelect(f.seq)}>
                #{f.seq}
              </button>
            </div>
            <div className="button-row">
              {d.options.map((o) => (
                <button
                  type="button"
                  key={o.optionId}
                  data-testid="permission-option"
                  data-option-kind={o.kind}
                  className={o.kind.startsWith("allow") ? "primary" : "danger"}
                  onClick={() => onAnswer(id, { outcome: { outcome: "selected", optionId: o.optionId } })}
                >
                  {o.name}
                </button>
              ))}
              <button type="button" onClick={() => onAnswer(id, { outcome: { outcome: "cancelled" } })}>
                cancelled
              </button>
            </div>
          </div>
        );
      })}
    </div>
  );
}
