/**
 * The bottom bar: which run, agent and process, what state, how many frames, and whether fault
 * injection is altering traffic. Stable data-state for tests. A run without a process (an imported
 * trace, a matrix cell) says where it came from instead of an exit code it never had.
 */
import { agentName, runStateText } from "../lib/run-scope";
import type { ConnectionState } from "../lib/store";
import type { RunSummary } from "../lib/wire";
import { FaultPill } from "./FaultPill";

export interface StatusBarProps {
  run?: RunSummary;
  connection: ConnectionState;
  shownFrames: number;
  dropped: number;
  /** activeFaults(): the pill stays while any is set. */
  faults?: string[];
}

export function StatusBar({ run, connection, shownFrames, dropped, faults = [] }: StatusBarProps) {
  return (
    <footer className="status-bar" data-testid="status-bar">
      <span data-testid="relay-state" data-state={connection}>
        relay: {connection}
      </span>
      <FaultPill faults={faults} testId="status-fault-pill" />
      {run ? (
        <>
          <span data-testid="status-run-id">{run.runId}</span>
          <span data-testid="agent-info">{agentName(run)}</span>
          <span>profile: {run.profileName || "—"}</span>
          <span data-testid="pid">pid {run.pid ?? "—"}</span>
          <span data-testid="run-state" data-state={run.state} data-exit-code={run.exitCode ?? ""} data-imported={run.imported ? "yes" : "no"} className={`run-state state-${run.state}`}>
            {runStateText(run)}
          </span>
          <span data-testid="frame-counts">
            ↑{run.counts.out} ↓{run.counts.in} · {run.counts.errors} errors · {run.counts.stderr} stderr · pending ↑{run.pendingOut} ↓{run.pendingIn}
          </span>
          <span>
            {shownFrames} shown
            {dropped > 0 || run.dropped > 0 ? <b className="dropped"> · {Math.max(dropped, run.dropped)} dropped by the buffer limit</b> : null}
          </span>
        </>
      ) : (
        <span data-testid="run-state" data-state="none">no agent started</span>
      )}
    </footer>
  );
}
