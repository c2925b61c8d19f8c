/** Earlier and current runs; picking one shows its own frames. */
import type { RunSummary } from "../lib/wire";
import { runStateLabel } from "./StatusBar";

export interface RunListProps {
  runs: RunSummary[];
  currentRunId?: string;
  viewRunId?: string;
  onSelect: (runId: string) => void;
  onReplay: (runId: string) => void;
  onImport: (text: string, name: string) => void;
}

export function RunList({ runs, currentRunId, viewRunId, onSelect, onReplay, onImport }: RunListProps) {
  return (
    <section className="panel" data-testid="run-list">
      <h3>Runs</h3>
      {viewRunId ? (
        <div className="run-actions">
          <a href={`/api/runs/${viewRunId}/trace.jsonl`} download data-testid="btn-export-trace">
            Export trace
          </a>
          <a href={`/api/runs/${viewRunId}/report.md`} download data-testid="btn-report">
            Bug report
          </a>
          <button type="button" className="link" data-testid="btn-replay" onClick={() => onReplay(viewRunId)} title="Add an agent that plays back this run's agent side">
            Replay as agent
          </button>
        </div>
      ) : null}
      <label className="run-actions">
        Import trace:{" "}
        <input
          type="file"
          accept=".jsonl,application/x-ndjson,application/json"
          data-testid="import-trace"
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (file) void file.text().then((text) => onImport(text, file.name));
            e.target.value = "";
          }}
        />
      </label>
      {runs.length === 0 ? <p className="muted">No runs yet.</p> : null}
      <ul className="run-list">
        {[...runs].reverse().map((r) => (
          <li key={r.runId}>
            <button
              type="button"
              data-testid="run-item"
              data-run-id={r.runId}
              data-state={r.state}
              className={r.runId === viewRunId ? "selected" : ""}
              onClick={() => onSelect(r.runId)}
            >
              <span>
                {r.runId}
                {r.runId === currentRunId ? " (current)" : ""}
                {r.imported ? " (imported, read-only)" : ""}
              </span>
              <span className="muted">
                {r.agentInfo?.version ? `v${r.agentInfo.version}` : r.agentId} · {r.profileName} · {runStateLabel(r)}
              </span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
