/**
 * Agent→client requests waiting for the user: permission requests get their options as buttons,
 * and show what would run (the command, the file an edit touches, the agent's own description)
 * because a tool title such as "Bash" alone cannot be approved knowingly.
 */
import { permissionDetails } from "../lib/selectors";
import type { Frame } from "../lib/wire";

export interface PermissionCardsProps {
  pending: Frame[];
  onAnswer: (id: string, result: unknown) => void;
  onReject: (id: string) => void;
  onSelect: (seq: number) => void;
}

const MAX_INPUT_CHARS = 600;

function clip(text: string): string {
  return text.length > MAX_INPUT_CHARS ? `${text.slice(0, MAX_INPUT_CHARS)}… (${text.length} chars)` : text;
}

/**
 * What a permission request's toolCall says will happen, line by line: `rawInput` (a command is
 * shown as the command line), then its content (text, diffs by path, terminals) and locations.
 */
export function permissionInput(toolCall: unknown): string[] {
  if (typeof toolCall !== "object" || toolCall === null) return [];
  const t = toolCall as { rawInput?: unknown; content?: unknown; locations?: unknown };
  const lines: string[] = [];
  const raw = t.rawInput;
  if (raw !== undefined && raw !== null) {
    const command = typeof raw === "object" ? (raw as { command?: unknown }).command : undefined;
    if (typeof command === "string") lines.push(`$ ${command}`);
    else if (Array.isArray(command) && command.every((c) => typeof c === "string")) lines.push(`$ ${command.join(" ")}`);
    else lines.push(typeof raw === "string" ? raw : JSON.stringify(raw));
  }
  if (Array.isArray(t.content)) {
    for (const c of t.content as { type?: unknown; content?: { type?: unknown; text?: unknown }; path?: unknown; terminalId?: unknown }[]) {
      if (c?.type === "content" && c.content?.type === "text" && typeof c.content.text === "string") lines.push(c.content.text);
      else if (c?.type === "diff" && typeof c.path === "string") lines.push(`edit ${c.path}`);
      else if (c?.type === "terminal" && typeof c.terminalId === "string") lines.push(`terminal ${c.terminalId}`);
    }
  }
  if (Array.isArray(t.locations)) {
    for (const l of t.locations as { path?: unknown; line?: unknown }[]) if (typeof l?.path === "string") lines.push(`at ${l.path}${typeof l.line === "number" ? `:${l.line}` : ""}`);
  }
  return [...new Set(lines.map((l) => clip(l.trim())).filter(Boolean))];
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
        const input = permissionInput(d.toolCall);
        const id = f.id;
        return (
          <div key={f.seq} className="card permission" data-testid="permission-card" data-seq={f.seq}>
            <div>
              <b>Permission requested:</b> {d.title}{" "}
              <button type="button" className="link" onClick={() => onSelect(f.seq)}>
                #{f.seq}
              </button>
            </div>
            {input.length ? (
              <pre className="permission-input" data-testid="permission-input">
                {input.join("\n")}
              </pre>
            ) : (
              <div className="muted small" data-testid="permission-input-none">
                The agent sent no input or description for this tool call; open #{f.seq} for the whole request.
              </div>
            )}
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
