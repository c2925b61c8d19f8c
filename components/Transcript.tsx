/** The conversation as text: user prompts, the agent's streamed reply, tool calls and stop reasons. */
import type { TranscriptItem } from "../lib/selectors";

export interface TranscriptProps {
  items: TranscriptItem[];
  onSelect: (seq: number) => void;
}

export function Transcript({ items, onSelect }: TranscriptProps) {
  return (
    <section className="transcript" data-testid="transcript">
      {items.length === 0 ? <p className="muted">No conversation yet. Create a session and send a prompt.</p> : null}
      {items.map((item) => (
        <div key={`${item.seq}-${item.role}`} className={`t-item t-${item.role}`} data-testid={`transcript-${item.role}`} onClick={() => onSelect(item.seq)}>
          {item.role === "stop" ? (
            <span className="muted" data-testid="stop-reason" data-stop-reason={item.text}>
              turn ended: {item.text}
            </span>
          ) : (
            <>
              <span className="t-role">{item.role}</span> <span className="t-text">{item.text}</span>
            </>
          )}
        </div>
      ))}
    </section>
  );
}
