/**
 * The auth matrix: pick agents × profiles, run the probe flow on each, read the verdict grid. Each
 * cell lists the auth method types the agent advertised; an optional prompt adds a session/prompt
 * step, because a created session is not proof of authentication (Claude refuses at prompt time).
 */
import { useState } from "react";
import { Modal } from "./Modal";
import { type CatalogEntryView, MATRIX_MAX_CELLS, MATRIX_MAX_PROMPT, type MatrixCellView, type ProfileView, type ServerEvent } from "../lib/wire";

export interface MatrixViewProps {
  catalog: CatalogEntryView[];
  profiles: ProfileView[];
  matrix?: Extract<ServerEvent, { type: "matrix" }>;
  /** prompt: the optional prompt step's text (undefined: initialize and session/new only); protocolVersion: what initialize asks for. */
  onRun: (agentIds: string[], profileIds: string[], prompt?: string, protocolVersion?: 1 | 2) => void;
  /** The version picked in the Connect panel: the matrix's default. */
  protocol?: 1 | 2;
  /** Stop the running matrix (its probes' agents are killed). */
  onCancel: () => void;
  onOpenCell: (index: number) => void;
  onClose: () => void;
}

const VERDICT_LABEL: Record<string, string> = {
  "session-created": "session created",
  "prompt-answered": "session created, prompt answered",
  "prompt-refused": "session created, prompt refused",
  "prompt-error": "session created, prompt failed",
  "auth-required": "auth required (-32000)",
  error: "other error",
  "initialize-failed": "initialize failed",
  crashed: "crashed",
  "timed-out": "timed out",
};

function cellText(c: MatrixCellView): string {
  if (c.state !== "done") return c.state === "running" ? "running…" : "queued";
  const label = VERDICT_LABEL[c.verdict ?? ""] ?? c.verdict ?? "?";
  const coded = (c.verdict === "error" || c.verdict === "prompt-refused" || c.verdict === "prompt-error") && c.errorCode !== undefined;
  return c.verdict === "error" && coded ? `error ${c.errorCode}` : coded ? `${label} (${c.errorCode})` : label;
}

/** "7/12": finished cells of the matrix (done, whatever the verdict). */
export function matrixProgress(cells: readonly Pick<MatrixCellView, "state">[]): { done: number; total: number } {
  return { done: cells.filter((c) => c.state === "done").length, total: cells.length };
}

/** "agent ×2, env_var": the advertised method types of a cell, counted. */
function methodTypes(c: MatrixCellView): string | undefined {
  if (!c.methods) return undefined;
  if (c.methods.length === 0) return "no auth methods";
  const counts = new Map<string, number>();
  for (const m of c.methods) counts.set(m.type, (counts.get(m.type) ?? 0) + 1);
  return [...counts].map(([type, n]) => (n > 1 ? `${type} ×${n}` : type)).join(", ");
}

function methodsTitle(c: MatrixCellView): string {
  const list = (c.methods ?? []).map((m) => `${m.id}: ${m.type}${m.vars?.length ? ` (${m.vars.join(", ")})` : ""}`);
  return [c.detail, c.protocolVersion !== undefined ? `answered protocolVersion ${c.protocolVersion}` : undefined, list.length ? `auth methods: ${list.join("; ")}` : undefined, c.authenticated ? `authenticated with ${c.authenticated} (env_var from the profile)` : undefined].filter(Boolean).join("\n");
}

export function MatrixView(p: MatrixViewProps) {
  const [agents, setAgents] = useState<string[]>(p.catalog.filter((c) => !c.problem && !c.replay).map((c) => c.id));
  const [profiles, setProfiles] = useState<string[]>(p.profiles.map((x) => x.id));
  const [withPrompt, setWithPrompt] = useState(false);
  const [prompt, setPrompt] = useState("Say hello in five words.");
  const [protocol, setProtocol] = useState<1 | 2>(p.protocol ?? 1);
  const toggle = (list: string[], id: string): string[] => (list.includes(id) ? list.filter((x) => x !== id) : [...list, id]);
  const m = p.matrix;
  const agentIds = m ? [...new Set(m.cells.map((c) => c.agentId))] : [];
  const profileNames = m ? [...new Set(m.cells.map((c) => c.profileName))] : [];
  const progress = m ? matrixProgress(m.cells) : undefined;
  const cellCount = agents.length * profiles.length;
  const tooMany = cellCount > MATRIX_MAX_CELLS;
  return (
    <Modal title="Auth matrix" testId="matrix-view" closeTestId="btn-close-matrix" onClose={p.onClose}>
      <div className="matrix-body">
        <div className="matrix-pick">
          <fieldset>
            <legend>Agents</legend>
            {p.catalog.map((c) => (
              <label key={c.id}>
                <input type="checkbox" data-testid="matrix-agent" data-id={c.id} checked={agents.includes(c.id)} onChange={() => setAgents(toggle(agents, c.id))} /> {c.label}
              </label>
            ))}
          </fieldset>
          <fieldset>
            <legend>Profiles</legend>
            {p.profiles.map((x) => (
              <label key={x.id}>
                <input type="checkbox" data-testid="matrix-profile" data-id={x.id} checked={profiles.includes(x.id)} onChange={() => setProfiles(toggle(profiles, x.id))} /> {x.name}
              </label>
            ))}
          </fieldset>
          <fieldset>
            <legend>Protocol</legend>
            <label>
              ACP version{" "}
              <select data-testid="matrix-protocol" aria-label="Matrix protocol version" value={protocol} onChange={(e) => setProtocol(e.target.value === "2" ? 2 : 1)}>
                <option value="1">v1</option>
                <option value="2">v2 (draft)</option>
              </select>
            </label>
          </fieldset>
          <fieldset>
            <legend>Prompt step</legend>
            <label>
              <input type="checkbox" data-testid="matrix-prompt-on" checked={withPrompt} onChange={(e) => setWithPrompt(e.target.checked)} /> send session/prompt after session/new
            </label>
            <label className="matrix-prompt">
              <span className="small muted">Prompt text</span>
              <input
                type="text"
                data-testid="matrix-prompt"
                aria-label="Matrix prompt text"
                value={prompt}
                maxLength={MATRIX_MAX_PROMPT}
                disabled={!withPrompt}
                onChange={(e) => setPrompt(e.target.value)}
              />
            </label>
          </fieldset>
          <div className="button-row">
            <button type="button" className="primary" data-testid="btn-matrix-run" disabled={m?.running || cellCount === 0 || tooMany} onClick={() => p.onRun(agents, profiles, withPrompt && prompt.trim() ? prompt : undefined, protocol)}>
              Run {cellCount} {cellCount === 1 ? "probe" : "probes"}
            </button>
            {m?.running ? (
              <button type="button" data-testid="matrix-cancel" onClick={p.onCancel}>
                Cancel
              </button>
            ) : null}
            {m && !m.running ? (
              <>
                <a href="/api/matrix.md" download data-testid="matrix-export-md">
                  Markdown
                </a>
                <a href="/api/matrix.json" download data-testid="matrix-export-json">
                  JSON
                </a>
              </>
            ) : null}
          </div>
          {tooMany ? (
            <p className="warn small" data-testid="matrix-too-many">
              At most {MATRIX_MAX_CELLS} probes per matrix: pick fewer agents or profiles.
            </p>
          ) : null}
          <p className="muted small">
            Each cell: spawn, initialize, session/new{withPrompt ? ", session/prompt" : ""}, close. It authenticates only through an env_var method whose variables the
            profile supplies. Click a finished cell for its frames.
          </p>
        </div>
        {m ? (
          <div className="matrix-result">
            {progress ? (
              <div className="matrix-progress" data-testid="matrix-progress" data-done={progress.done} data-total={progress.total} role="status">
                <progress max={progress.total} value={progress.done} aria-label="Matrix progress" /> {progress.done}/{progress.total} {m.running ? "probes finished" : "probes"}
              </div>
            ) : null}
            <p className="muted small" data-testid="matrix-protocol-caption" data-protocol={m.protocolVersion ?? 1}>
              initialize asked for ACP v{m.protocolVersion ?? 1}; each cell speaks the version its agent answered.
            </p>
            <table className="matrix-grid" data-testid="matrix-grid" data-state={m.running ? "running" : "done"} data-protocol={m.protocolVersion ?? 1}>
              <thead>
                <tr>
                  <th>profile \ agent</th>
                  {agentIds.map((a) => (
                    <th key={a}>{a}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {profileNames.map((pn) => (
                  <tr key={pn}>
                    <th>{pn}</th>
                    {agentIds.map((a) => {
                      const c = m.cells.find((x) => x.agentId === a && x.profileName === pn);
                      if (!c) return <td key={a} />;
                      return (
                        <td key={a}>
                          <button
                            type="button"
                            className={`cell verdict-${c.verdict ?? c.state}`}
                            data-testid="matrix-cell"
                            data-agent={a}
                            data-profile={pn}
                            data-state={c.state}
                            data-verdict={c.verdict ?? ""}
                            data-protocol={c.protocolVersion ?? ""}
                            disabled={c.state !== "done"}
                            title={[`matrix cell ${a} × ${pn}: click to open its frames (the same run each time)`, methodsTitle(c)].filter(Boolean).join("\n")}
                            onClick={() => p.onOpenCell(c.index)}
                          >
                            {cellText(c)}
                            {c.state === "done" ? <span className="cell-ms"> · {c.ms ?? "?"} ms</span> : null}
                            {methodTypes(c) ? (
                              <span className="cell-methods small muted" data-testid="matrix-cell-methods">
                                {" "}
                                · {methodTypes(c)}
                                {c.authenticated ? ` · authenticated ${c.authenticated}` : ""}
                              </span>
                            ) : null}
                          </button>
                        </td>
                      );
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </div>
    </Modal>
  );
}
