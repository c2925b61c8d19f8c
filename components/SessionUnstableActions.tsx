/**
 * The unstable session methods (issue 15) as buttons in the Session tab, shown only while the
 * "unstable" toggle is on: session/fork, archive, unarchive, status and set_title on the selected
 * session. The answers are frames like any other; the composer has the same methods as templates.
 * Props only.
 */
import { useState } from "react";

export interface SessionUnstableActionsProps {
  sessionId?: string;
  cwd: string;
  canAct: boolean;
  onRequest: (method: string, params: unknown) => void;
}

export function SessionUnstableActions(p: SessionUnstableActionsProps) {
  const [title, setTitle] = useState("");
  const sid = p.sessionId;
  const can = p.canAct && sid !== undefined;
  const actions: { method: string; label: string; params: () => unknown }[] = [
    { method: "session/fork", label: "Fork", params: () => ({ sessionId: sid, cwd: p.cwd, mcpServers: [] }) },
    { method: "session/archive", label: "Archive", params: () => ({ sessionId: sid }) },
    { method: "session/unarchive", label: "Unarchive", params: () => ({ sessionId: sid }) },
    { method: "session/status", label: "Status", params: () => ({ sessionId: sid }) },
  ];
  return (
    <section className="session-unstable" data-testid="session-unstable">
      <h4>Unstable session methods</h4>
      <div className="row">
        {actions.map((a) => (
          <button key={a.method} type="button" className="labelled" data-testid={`btn-${a.method.replace("/", "-")}`} disabled={!can} onClick={() => p.onRequest(a.method, a.params())}>
            {a.label} <small className="method-name">{a.method}</small>
          </button>
        ))}
      </div>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          if (can && title.trim() !== "") p.onRequest("session/set_title", { sessionId: sid, title });
        }}
      >
        <input aria-label="New session title" data-testid="session-title-input" value={title} onChange={(e) => setTitle(e.target.value)} placeholder="title" />
        <button type="submit" data-testid="btn-session-set_title" disabled={!can || title.trim() === ""}>
          Set title <small className="method-name">session/set_title</small>
        </button>
      </form>
    </section>
  );
}
