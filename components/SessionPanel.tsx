/**
 * Everything about sessions beyond the first prompt: pick a session, list / load / resume / close /
 * delete it, switch mode and config options (and the model, which many agents serve), the permission policy, the
 * requests still outstanding in each direction (with $/cancel_request), and what the relay served
 * for the agent: file writes as diffs and client terminals with their output. Props only.
 * Buttons say what they do, with the ACP method as secondary text; delete asks first; an agent
 * that offers the mode both as `modes` and as a config option gets one Mode group that names the
 * method each picker sends. A method the connection's protocol version lacks (v2 has no
 * session/load, session/set_mode or session/set_model) stays visible but disabled, with the reason.
 */
import { useState } from "react";
import type { Outstanding, SessionFacts } from "../lib/session-state";
import type { ClientTerminalView } from "../lib/store";
import { methodUnavailable } from "../lib/templates";
import type { ProtocolVersion } from "../lib/version";
import type { PermissionPolicy, ServerEvent } from "../lib/wire";

export interface SessionPanelProps {
  running: boolean;
  facts: SessionFacts;
  selectedSessionId?: string;
  policy: PermissionPolicy;
  outstanding: Outstanding[];
  fsWrites: Extract<ServerEvent, { type: "fs_write" }>[];
  terminals: ClientTerminalView[];
  onSelectSession: (id: string) => void;
  onRequest: (method: string, params: unknown) => void;
  onNotify: (method: string, params: unknown) => void;
  onPolicy: (policy: PermissionPolicy) => void;
  onSelectFrame: (seq: number) => void;
  cwd: string;
  /** The version the connection speaks (default 1): buttons for methods it lacks are disabled. */
  protocol?: ProtocolVersion;
}

function age(ms: number): string {
  return ms < 1000 ? `${ms} ms` : ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 60_000)} min`;
}

interface SessionAction {
  label: string;
  method: string;
  testId: string;
  needsSession: boolean;
  danger?: boolean;
}

const ACTIONS: SessionAction[] = [
  { label: "List sessions", method: "session/list", testId: "btn-session-list", needsSession: false },
  { label: "Load", method: "session/load", testId: "btn-session-load", needsSession: true },
  { label: "Resume", method: "session/resume", testId: "btn-session-resume", needsSession: true },
  { label: "Close", method: "session/close", testId: "btn-session-close", needsSession: true },
  { label: "Delete…", method: "session/delete", testId: "btn-session-delete", needsSession: true, danger: true },
];

export function SessionPanel(p: SessionPanelProps) {
  const sid = p.selectedSessionId ?? p.facts.sessionId;
  const ids = [...new Set([...(sid ? [sid] : []), ...p.facts.knownSessions])];
  const [confirmDelete, setConfirmDelete] = useState<string>();
  const params = (method: string): Record<string, unknown> | undefined => {
    if (method === "session/list") return { cwd: p.cwd };
    if (!sid) return undefined;
    return method === "session/load" || method === "session/resume" ? { sessionId: sid, cwd: p.cwd, mcpServers: [] } : { sessionId: sid };
  };
  const modeOption = p.facts.configOptions.find((o) => o.category === "mode" || o.id === "mode");
  const protocol = p.protocol ?? 1;
  const why = (method: string): string | undefined => methodUnavailable(method, protocol);
  // Every control shown whose method this version lacks, with the reason, said once under the buttons.
  const shownMethods = [...ACTIONS.map((a) => a.method), ...(p.facts.modes ? ["session/set_mode"] : []), ...(p.facts.models ? ["session/set_model"] : [])];
  const unavailable = shownMethods.flatMap((m) => {
    const reason = why(m);
    return reason ? [{ method: m, reason }] : [];
  });
  return (
    <section className="session-panel" data-testid="session-panel">
      <h4>Session</h4>
      <div className="row">
        <select data-testid="session-select" aria-label="Session" value={sid ?? ""} onChange={(e) => p.onSelectSession(e.target.value)}>
          {ids.length === 0 ? <option value="">(no session yet: press List sessions to load sessions)</option> : null}
          {ids.map((id) => (
            <option key={id} value={id}>
              {id}
            </option>
          ))}
        </select>
      </div>
      {ids.length === 0 ? (
        <p className="muted small" data-testid="session-hint">
          {p.running ? "Press List sessions to load the agent's sessions, or create one with session/new." : "Start an agent, then press List sessions to load its sessions."}
        </p>
      ) : null}
      <div className="row session-actions">
        {ACTIONS.map((a) => (
          <button
            key={a.method}
            type="button"
            className={`labelled${a.danger ? " danger" : ""}`}
            data-testid={a.testId}
            data-method={a.method}
            data-unavailable={why(a.method) ? "yes" : undefined}
            title={why(a.method) ?? `Sends ${a.method}`}
            disabled={!p.running || why(a.method) !== undefined || (a.needsSession && !sid) || (a.danger === true && confirmDelete !== undefined)}
            onClick={() => {
              if (a.method === "session/delete") {
                setConfirmDelete(sid);
                return;
              }
              const x = params(a.method);
              if (x) p.onRequest(a.method, x);
            }}
          >
            {a.label}
            <small className="method-name">{a.method}</small>
          </button>
        ))}
      </div>
      {unavailable.length > 0 ? (
        <ul className="muted small" data-testid="session-unavailable" data-protocol={protocol}>
          {unavailable.map((u) => (
            <li key={u.method} data-method={u.method}>
              <code>{u.method}</code>: {u.reason}
            </li>
          ))}
        </ul>
      ) : null}
      {confirmDelete ? (
        <div className="confirm" role="alertdialog" aria-labelledby="session-delete-question" data-testid="session-delete-confirm">
          <p id="session-delete-question">
            Delete session <code>{confirmDelete}</code>? The agent removes it and its history (session/delete).
          </p>
          <div className="button-row">
            <button type="button" data-testid="btn-session-delete-cancel" autoFocus onClick={() => setConfirmDelete(undefined)}>
              Cancel
            </button>
            <button
              type="button"
              className="danger"
              data-testid="btn-session-delete-confirm"
              onClick={() => {
                p.onRequest("session/delete", { sessionId: confirmDelete });
                setConfirmDelete(undefined);
              }}
            >
              Delete session
            </button>
          </div>
        </div>
      ) : null}
      {p.facts.listed.length ? (
        <ul className="muted small" data-testid="session-listed">
          {p.facts.listed.map((s) => (
            <li key={s.sessionId}>
              <button type="button" className="link" onClick={() => p.onSelectSession(s.sessionId)}>
                {s.sessionId}
              </button>{" "}
              {s.title ?? ""} {s.updatedAt ?? ""}
            </li>
          ))}
        </ul>
      ) : null}

      {p.facts.modes && modeOption ? (
        <p className="muted small" data-testid="mode-explainer">
          This agent offers the session mode two ways: the <code>modes</code> list (changed with session/set_mode) and the “{modeOption.name}” config option (changed with
          session/set_config_option). Both set the same mode; each picker below names the method it sends.
        </p>
      ) : null}
      {p.facts.modes ? (
        <label className="field">
          <span>
            Mode <small className="method-name">via session/set_mode</small>
          </span>
          <select data-testid="mode-select" data-method="session/set_mode" title={why("session/set_mode")} value={p.facts.modes.currentModeId} disabled={!p.running || !sid || why("session/set_mode") !== undefined} onChange={(e) => sid && p.onRequest("session/set_mode", { sessionId: sid, modeId: e.target.value })}>
            {p.facts.modes.availableModes.map((m) => (
              <option key={m.id} value={m.id} title={m.description}>
                {m.name}
              </option>
            ))}
          </select>
        </label>
      ) : null}
      {p.facts.configOptions.map((o) => (
        <label key={o.id} className="field">
          <span>
            {o.name} <small className="method-name">via session/set_config_option{o.category ? ` (${o.category})` : ""}</small>
          </span>
          <select
            data-testid="config-select"
            data-method="session/set_config_option"
            data-config-id={o.id}
            value={String(o.currentValue ?? "")}
            disabled={!p.running || !sid}
            onChange={(e) => sid && p.onRequest("session/set_config_option", { sessionId: sid, configId: o.id, value: e.target.value })}
          >
            {o.options.map((x) => (
              <option key={x.value} value={x.value} title={x.description}>
                {x.name}
              </option>
            ))}
          </select>
        </label>
      ))}
      {p.facts.models ? (
        <label className="field">
          <span title="session/set_model is not in the stable ACP v1 schema, but Kimi, Claude, Gemini and Qwen all serve it; the session's answer listed these models">Model (session/set_model — served by the agent, not in the stable schema)</span>
          <select data-testid="model-select" data-method="session/set_model" title={why("session/set_model")} value={p.facts.models.currentModelId ?? ""} disabled={!p.running || !sid || why("session/set_model") !== undefined} onChange={(e) => sid && p.onRequest("session/set_model", { sessionId: sid, modelId: e.target.value })}>
            {p.facts.models.availableModels.map((m) => (
              <option key={m.modelId} value={m.modelId}>
                {m.name}
              </option>
            ))}
          </select>
        </label>
      ) : null}

      <label className="field">
        <span>Permission requests</span>
        <select data-testid="permission-policy" value={p.policy} onChange={(e) => p.onPolicy(e.target.value as PermissionPolicy)}>
          <option value="ask">ask (show a card)</option>
          <option value="allow">always allow</option>
          <option value="reject">always reject</option>
        </select>
      </label>

      <h4>Outstanding requests ({p.outstanding.length})</h4>
      <ul className="outstanding" data-testid="outstanding">
        {p.outstanding.map(({ frame, ageMs }) => (
          <li key={frame.seq} data-testid="outstanding-item" data-dir={frame.dir} data-method={frame.method}>
            <button type="button" className="link" onClick={() => p.onSelectFrame(frame.seq)}>
              {frame.dir === "out" ? "→" : "←"} {frame.method} #{frame.id?.replace(/^[ns]:/, "")}
            </button>{" "}
            {age(ageMs)}{" "}
            {frame.dir === "out" && frame.id ? (
              <button type="button" data-testid="btn-cancel-request" data-method="$/cancel_request" onClick={() => p.onNotify("$/cancel_request", { requestId: frame.id?.startsWith("n:") ? Number(frame.id.slice(2)) : frame.id?.slice(2) })}>
                $/cancel_request
              </button>
            ) : null}
          </li>
        ))}
      </ul>

      {p.fsWrites.length ? (
        <>
          <h4>Files written by the agent (fs/write_text_file)</h4>
          {p.fsWrites.map((w, i) => (
            <div key={`${w.path}-${i}`} className="fs-write" data-testid="fs-write">
              <div className="muted small">
                {w.path} {w.oldText === null ? "(new file)" : ""}
              </div>
              <pre>
                {(w.oldText ?? "").split("\n").filter((l) => l !== "" && !w.newText.split("\n").includes(l)).map((l, j) => (
                  <div key={`d${j}`} className="diff-del">- {l}</div>
                ))}
                {w.newText.split("\n").filter((l) => l !== "" && !(w.oldText ?? "").split("\n").includes(l)).map((l, j) => (
                  <div key={`a${j}`} className="diff-add">+ {l}</div>
                ))}
              </pre>
            </div>
          ))}
        </>
      ) : null}
      {p.terminals.length ? (
        <>
          <h4>Client terminals (terminal/*)</h4>
          {p.terminals.map((t) => (
            <div key={`${t.runId}-${t.terminalId}`} className="client-term" data-testid="client-terminal" data-exited={t.exited}>
              <div className="muted small">
                {t.terminalId}: {t.argv.join(" ")} {t.exited ? `→ exit ${t.exitCode ?? t.signal}` : "(running)"}
              </div>
              <pre>{t.output}</pre>
            </div>
          ))}
        </>
      ) : null}
    </section>
  );
}
