/** Earlier and current runs; picking one shows its own frames. */
import type { RunSummary } from "../lib/wire";
import { runStateLabel } from "./StatusBar";

export interface RunListProps {
  runs: RunSummary[];
  currentRunId?: string;
  viewRunId?: string;
  onSelect: (runId: string) => void;
}

export function RunList({ runs, currentRunId, viewRunId, onSelect }: RunListProps) {
  return (
    <section className="panel" data-testid="run-list">
      <h3>Runs</h3>
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
