/**
 * The frame log's own notes: "Clear" for a run's log (it hides, never deletes: "N earlier frames
 * hidden · show"), and the empty states that say what to do instead of a blank pane: press Start,
 * clear the filters, or wait for new frames after a Clear. Props only.
 */
import s from "./LogClear.module.css";

export interface LogClearProps {
  /** Frames the Clear mark hides in the viewed run. */
  hidden: number;
  /** Frames a Clear would hide now. */
  visible: number;
  onClear: () => void;
  onShow: () => void;
}

export function LogClear({ hidden, visible, onClear, onShow }: LogClearProps) {
  return (
    <span className={`log-clear ${s.bar}`} data-testid="log-clear" data-hidden={hidden}>
      {hidden > 0 ? (
        <span className="muted" data-testid="log-hidden">
          {hidden} earlier frame{hidden === 1 ? "" : "s"} hidden ·{" "}
          <button type="button" className="link" data-testid="btn-log-show" onClick={onShow}>
            show
          </button>
        </span>
      ) : null}{" "}
      <button type="button" data-testid="btn-log-clear" disabled={visible === 0} onClick={onClear} title="Hide this run's frames up to now (nothing is deleted: the trace export and “show” keep them)">
        Clear
      </button>
    </span>
  );
}

export type EmptyReason = "no-run" | "filtered" | "cleared";

export interface EmptyLogProps {
  reason: EmptyReason;
  /** The agent Start would launch. */
  agentLabel?: string;
  hidden: number;
  onClearFilters: () => void;
  onShow: () => void;
}

/** Why the log shows nothing; undefined when it shows something. */
export function emptyReason(total: number, visible: number, shown: number): EmptyReason | undefined {
  if (shown > 0) return undefined;
  if (total === 0) return "no-run";
  if (visible === 0) return "cleared";
  return "filtered";
}

export function EmptyLog({ reason, agentLabel, hidden, onClearFilters, onShow }: EmptyLogProps) {
  return (
    <div className={`log-empty ${s.empty}`} data-testid="log-empty" data-reason={reason} role="status">
      {reason === "no-run" ? (
        <>
          Press <b>Start</b> to launch {agentLabel ? <b>{agentLabel}</b> : "the agent"}; every line it exchanges shows up here.
        </>
      ) : reason === "filtered" ? (
        <>
          No frames match —{" "}
          <button type="button" data-testid="btn-clear-filters" onClick={onClearFilters}>
            Clear filters
          </button>
        </>
      ) : (
        <>
          Log cleared: {hidden} earlier frame{hidden === 1 ? "" : "s"} hidden; new frames appear here.{" "}
          <button type="button" className="link" data-testid="btn-log-show-empty" onClick={onShow}>
            show them
          </button>
        </>
      )}
    </div>
  );
}
