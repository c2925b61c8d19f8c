/**
 * Earlier and current runs; picking one shows its own frames. Each item names its agent (one label
 * everywhere), profile, start time and outcome (the last answer that says whether the agent let the
 * user in, and how the process ended, or where a run without a process came from); the header says
 * how much disk the kept runs' homes take, and Clear drops every ended run.
 */
import { formatBytes, outcomeBadges } from "../lib/run-outcome";
import { agentNameParts, clearableRunIds, runOrigin, startTime } from "../lib/run-scope";
import type { RunsDisk, RunSummary } from "../lib/wire";

export interface RunListProps {
  runs: RunSummary[];
  runsDisk?: RunsDisk;
  currentRunId?: string;
  viewRunId?: string;
  onSelect: (runId: string) => void;
  onReplay: (runId: string) => void;
  onImport: (text: string, name: string) => void;
  /** Remove every ended run (the running one stays). */
  onClear?: () => void;
  /** Open the bug-report preview (ReportPreview) instead of downloading straight away. */
  onReport?: (runId: string) => void;
}

export function RunList({ runs, runsDisk, currentRunId, viewRunId, onSelect, onReplay, onImport, onClear, onReport }: RunListProps) {
  const clearable = clearableRunIds(runs, currentRunId).length;
  return (
    <section className="panel" data-testid="run-list">
      <h3>
        Runs{" "}
        {runsDisk ? (
          <span
            className="muted run-disk"
            data-testid="runs-disk"
            data-bytes={runsDisk.bytes}
            title={`Disk taken by the kept runs' homes (agents' caches included), measured ${new Date(runsDisk.at).toLocaleTimeString()}; pruned runs take theirs along.`}
          >
            · runs use {formatBytes(runsDisk.bytes)}
            {runsDisk.truncated ? "+" : ""}
          </span>
        ) : null}
        {onClear ? (
          <button type="button" className="link run-clear" data-testid="btn-clear-runs" disabled={clearable === 0} onClick={onClear} title="Remove every ended run and its home; the running agent's run stays">
            Clear{clearable > 0 ? ` (${clearable})` : ""}
          </button>
        ) : null}
      </h3>
      {viewRunId ? (
        <div className="run-actions">
          <a href={`/api/runs/${viewRunId}/trace.jsonl`} download data-testid="btn-export-trace">
            Export trace
          </a>
          {onReport ? (
            <button type="button" className="link" data-testid="btn-report" onClick={() => onReport(viewRunId)} title="Preview the redacted bug report, then copy or download it">
              Bug report…
            </button>
          ) : (
            <a href={`/api/runs/${viewRunId}/report.md`} download data-testid="btn-report">
              Bug report
            </a>
          )}
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
      {runs.length === 0 ? <p className="muted" data-testid="runs-empty">No runs yet: pick an agent and press Start.</p> : null}
      <ul className="run-list">
        {[...runs].reverse().map((r) => (
          <li key={r.runId}>
            <button
              type="button"
              data-testid="run-item"
              data-run-id={r.runId}
              data-state={r.state}
              className={r.runId === viewRunId ? "selected" : ""}
              aria-current={r.runId === viewRunId ? "true" : undefined}
              onClick={() => onSelect(r.runId)}
            >
              <span>
                <span data-testid="run-item-agent">{agentNameParts(r).label}</span>
                {agentNameParts(r).version ? <span data-testid="run-item-version"> {agentNameParts(r).version}</span> : null}
                <span className="muted">
                  {" "}
                  · {r.runId}
                  {r.runId === currentRunId ? " (current)" : ""}
                </span>
                <span className="muted run-item-time" data-testid="run-item-time" title={new Date(r.startedAt).toLocaleString()}>
                  {" "}
                  · {startTime(r.startedAt)}
                </span>
              </span>
              {r.imported ? (
                <span className="muted small" data-testid="run-item-origin">
                  {runOrigin(r)} (read-only)
                </span>
              ) : null}
              <span className="run-item-meta">
                <span className="muted" data-testid="run-item-profile">
                  {r.profileName || "no profile"}
                </span>
                {outcomeBadges(r).map((b) => (
                  <span key={b.kind} className={`badge badge-${b.tone}`} data-testid={`run-item-${b.kind === "answer" ? "answer" : "outcome"}`}>
                    {b.text}
                  </span>
                ))}
              </span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
