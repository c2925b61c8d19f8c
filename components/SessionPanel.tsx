/**
 * Everything about sessions beyond the first prompt: pick a session, list / load / resume / close /
 * delete it, switch mode and config options (and the model, which many agents serve), the permission policy, the
 * requests still outstanding in each direction (with $/cancel_request), and what the relay served
 * for the agent: file writes as diffs and client terminals with their output. Props only.
 */
import type { Outstanding, SessionFacts } from "../lib/session-state";
import type { ClientTerminalView } from "../lib/store";
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
}

function age(ms: number): string {
  return ms < 1000 ? `${ms} ms` : ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 60_000)} min`;
}

export function SessionPanel(p: SessionPanelProps) {
  const sid = p.selectedSessionId ?? p.facts.sessionId;
  const ids = [...new Set([...(sid ? [sid] : []), ...p.facts.knownSessions])];
  const withSession = (method: string, extra: Record<string, unknown> = {}) => () => sid && p.onRequest(method, { sessionId: sid, ...extra });
  return (
    <section className="session-panel" data-testid="session-panel">
      <h4>Session</h4>
      <div className="row">
        <select data-testid="session-select" value={sid ?? ""} onChange={(e) => p.onSelectSession(e.target.value)}>
          {ids.length === 0 ? <option value="">(no session yet)</option> : null}
          {ids.map((id) => (
            <option key={id} value={id}>
              {id}
            </option>
          ))}
        </select>
      </div>
      <div className="row">
        <button type="button" data-testid="btn-session-list" disabled={!p.running} onClick={() => p.onRequest("session/list", { cwd: p.cwd })}>
          list
        </button>
        <button type="button" data-testid="btn-session-load" disabled={!p.running || !sid} onClick={withSession("session/load", { cwd: p.cwd, mcpServers: [] })}>
          load
        </button>
        <button type="button" data-testid="btn-session-resume" disabled={!p.running || !sid} onClick={withSession("session/resume", { cwd: p.cwd, mcpServers: [] })}>
          resume
        </button>
        <button type="button" data-testid="btn-session-close" disabled={!p.running || !sid} onClick={withSession("session/close")}>
          close
        </button>
        <button type="button" className="danger" data-testid="btn-session-delete" disabled={!p.running || !sid} onClick={withSession("session/delete")}>
          delete
        </button>
      </div>
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

      {p.facts.modes ? (
        <label className="field">
          <span>Mode (session/set_mode)</span>
          <select data-testid="mode-select" value={p.facts.modes.currentModeId} disabled={!p.running || !sid} onChange={(e) => sid && p.onRequest("session/set_mode", { sessionId: sid, modeId: e.target.value })}>
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
            {o.name} (session/set_config_option{o.category ? `, ${o.category}` : ""})
          </span>
          <select
            data-testid="config-select"
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
          <select data-testid="model-select" value={p.facts.models.currentModelId ?? ""} disabled={!p.running || !sid} onChange={(e) => sid && p.onRequest("session/set_model", { sessionId: sid, modelId: e.target.value })}>
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
              <button type="button" data-testid="btn-cancel-request" onClick={() => p.onNotify("$/cancel_request", { requestId: frame.id?.startsWith("n:") ? Number(frame.id.slice(2)) : frame.id?.slice(2) })}>
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
