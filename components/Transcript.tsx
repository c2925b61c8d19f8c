/**
 * The conversation as text beside the frames: prompts, replies, thoughts, tool calls with their
 * status, locations, content and diffs, plans and session updates. Every item links to its frame;
 * unknown update kinds are shown raw and flagged; replayed history (session/load) is marked.
 */
import type { TranscriptEntry } from "../lib/transcript";

export interface TranscriptProps {
  entries: TranscriptEntry[];
  onSelect: (seq: number) => void;
}

function Diff({ oldText, newText }: { oldText: string | null | undefined; newText: string }) {
  const before = (oldText ?? "").split("\n");
  const after = newText.split("\n");
  return (
    <pre className="diff" data-testid="transcript-diff">
      {before.filter((l) => !after.includes(l)).map((l, i) => (
        <div key={`d${i}`} className="diff-del">- {l}</div>
      ))}
      {after.filter((l) => !before.includes(l)).map((l, i) => (
        <div key={`a${i}`} className="diff-add">+ {l}</div>
      ))}
    </pre>
  );
}

export function Transcript({ entries, onSelect }: TranscriptProps) {
  return (
    <section className="transcript" data-testid="transcript">
      {entries.length === 0 ? <p className="muted">No conversation yet. Create a session and send a prompt.</p> : null}
      {entries.map((e) => {
        const replay = "replay" in e && e.replay ? <span className="pill replay" data-testid="replay-mark">replay</span> : null;
        const key = `${e.seq}-${e.type}`;
        const select = () => onSelect(e.seq);
        switch (e.type) {
          case "stop":
            return (
              <div key={key} className="t-item t-stop" onClick={select}>
                <span className="muted" data-testid="stop-reason" data-stop-reason={e.stopReason}>
                  turn ended: {e.stopReason}
                </span>
              </div>
            );
          case "user":
          case "agent":
          case "thought":
            return (
              <div key={key} className={`t-item t-${e.type}`} data-testid={`transcript-${e.type}`} data-replay={e.replay} onClick={select}>
                <span className="t-role">{e.type}</span> {replay} <span className="t-text">{e.text}</span>
              </div>
            );
          case "tool":
            return (
              <div key={key} className={`t-item t-tool status-${e.tool.status ?? "pending"}`} data-testid="transcript-tool" data-status={e.tool.status ?? ""} data-replay={e.replay} onClick={select}>
                <span className="t-role">tool</span> {replay} <b>{e.tool.title}</b>{" "}
                <span className="muted">
                  {e.tool.kind ?? ""} · {e.tool.status ?? "pending"}
                  {e.updates.length ? ` · ${e.updates.length} update(s)` : ""}
                </span>
                {e.tool.locations.length ? <div className="muted small">{e.tool.locations.join(", ")}</div> : null}
                {e.tool.content.map((c, i) =>
                  c.type === "diff" ? (
                    <div key={i}>
                      <div className="muted small">{c.path}</div>
                      <Diff oldText={c.oldText} newText={c.newText ?? ""} />
                    </div>
                  ) : c.type === "terminal" ? (
                    <div key={i} className="muted small">
                      terminal {c.terminalId}
                    </div>
                  ) : (
                    <pre key={i} className="tool-out">
                      {c.text}
                    </pre>
                  ),
                )}
              </div>
            );
          case "plan":
            return (
              <div key={key} className="t-item t-plan" data-testid="transcript-plan" onClick={select}>
                <span className="t-role">plan</span> {replay}
                <ul>
                  {e.entries.map((p, i) => (
                    <li key={i}>
                      [{p.status ?? "?"}] {p.content} {p.priority ? <span className="muted">({p.priority})</span> : null}
                    </li>
                  ))}
                </ul>
              </div>
            );
          case "info":
            return (
              <div key={key} className="t-item t-info muted small" data-testid="transcript-info" data-kind={e.kind} onClick={select}>
                {replay} {e.text}
              </div>
            );
          case "unknown":
            return (
              <div key={key} className="t-item t-unknown" data-testid="transcript-unknown" data-kind={e.kind} onClick={select}>
                <span className="warn">unknown update “{e.kind}”</span>
                <pre>{e.raw}</pre>
              </div>
            );
        }
      })}
    </section>
  );
}
