/** The bottom bar: which agent, which process, what state, how many frames. Stable data-state for tests. */
import type { ConnectionState } from "../lib/store";
import type { RunSummary } from "../lib/wire";

export interface StatusBarProps {
  run?: RunSummary;
  connection: ConnectionState;
  shownFrames: number;
  dropped: number;
}

export function runStateLabel(run: RunSummary): string {
  if (run.state === "exited") return run.signal ? `exited (signal ${run.signal})` : `exited (code ${run.exitCode})`;
  if (run.state === "failed") return "failed to start";
  return run.state;
}

export function StatusBar({ run, connection, shownFrames, dropped }: StatusBarProps) {
  return (
    <footer className="status-bar" data-testid="status-bar">
      <span data-testid="relay-state" data-state={connection}>
        relay: {connection}
      </span>
      {run ? (
        <>
          <span data-testid="agent-info">
            {run.agentInfo ? `${run.agentInfo.title ?? run.agentInfo.name} ${run.agentInfo.version}` : run.agentLabel}
          </span>
          <span>profile: {run.profileName}</span>
          <span data-testid="pid">pid {run.pid ?? "—"}</span>
          <span data-testid="run-state" data-state={run.state} data-exit-code={run.exitCode ?? ""} className={`run-state state-${run.state}`}>
            {runStateLabel(run)}
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
