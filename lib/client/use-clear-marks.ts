"use client";
/**
 * The log's Clear marks as a remembered UI setting: a reload of the same server start shows a run
 * cleared as it was (the log itself comes back from the relay), while a mark whose run is no longer
 * listed (cleared from the list, pruned, or from an earlier server start) is dropped once the relay
 * has said which runs exist. Keys and pruning are lib/log-clear.ts; storage is lib/client/ui-prefs.ts.
 */
import { useEffect } from "react";
import { type ClearMarks, keptMarks, runKey } from "../log-clear";
import type { RunSummary } from "../wire";
import { usePref } from "./use-ui-pref";

const NO_MARKS: ClearMarks = {};

export interface ClearMarksView {
  /** The newest hidden seq of a run's log, if it was cleared. */
  markOf: (runId: string | undefined) => number | undefined;
  /** Hide a run's log up to `seq` (only a listed run can be cleared). */
  setMark: (runId: string | undefined, seq: number | undefined) => void;
  /** Show a run's whole log again. */
  unset: (runId: string | undefined) => void;
}

/** `listed`: the relay's run list has arrived (before that, every mark would look orphaned). */
export function useClearMarks(runs: readonly RunSummary[], listed: boolean): ClearMarksView {
  const [marks, setMarks] = usePref("clearMarks", NO_MARKS);
  useEffect(() => {
    if (!listed) return;
    const kept = keptMarks(marks, runs);
    if (kept !== marks) setMarks(kept);
  }, [listed, runs, marks, setMarks]);
  const keyOf = (runId: string | undefined): string | undefined => {
    const run = runId === undefined ? undefined : runs.find((r) => r.runId === runId);
    return run ? runKey(run) : undefined;
  };
  return {
    markOf: (runId) => {
      const key = keyOf(runId);
      return key === undefined ? undefined : marks[key];
    },
    setMark: (runId, seq) => {
      const key = keyOf(runId);
      if (key !== undefined && seq !== undefined) setMarks({ ...marks, [key]: seq });
    },
    unset: (runId) => {
      const key = keyOf(runId);
      if (key !== undefined && key in marks) setMarks(Object.fromEntries(Object.entries(marks).filter(([k]) => k !== key)));
    },
  };
}
