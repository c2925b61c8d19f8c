/**
 * "Clear" for a run's log without losing anything: the view hides the frames up to a mark (the
 * newest seq when Clear was pressed) and says how many it hides; the store, the relay's ring and
 * every export keep them. Marks are per run, so clearing one run never hides another's frames.
 * They are a UI setting remembered across reloads (lib/client/ui-prefs.ts), keyed by run id and
 * start time: run ids start again at run-1 with each server start, and a mark must never hide the
 * frames of a different run that happens to reuse the id.
 */
import type { Frame, RunSummary } from "./wire";

/** Run key (runKey) → the newest seq hidden in that run's log. */
export type ClearMarks = Readonly<Record<string, number>>;

type RunIdentity = Pick<RunSummary, "runId" | "startedAt">;

/** The key a run's mark is stored under: its id and start time. */
export function runKey(run: RunIdentity): string {
  return `${run.runId}@${Math.trunc(run.startedAt)}`;
}

/**
 * The marks of runs still listed: a mark for a run that was cleared from the list, pruned, or
 * belonged to an earlier server start is dropped. The same object when nothing is dropped, so a
 * caller can skip the write.
 */
export function keptMarks(marks: ClearMarks, runs: readonly RunIdentity[]): ClearMarks {
  const listed = new Set(runs.map(runKey));
  const kept = Object.entries(marks).filter(([key]) => listed.has(key));
  return kept.length === Object.keys(marks).length ? marks : Object.fromEntries(kept);
}

/** The mark for clearing `frames` now: the newest seq, or undefined for an empty log. */
export function clearMark(frames: readonly Frame[]): number | undefined {
  return frames.at(-1)?.seq;
}

/**
 * The frames after the mark and how many the mark hides. The log is in seq order (the store
 * appends), so the cut is a binary search and the visible part a slice: cheap at 100,000 rows.
 */
export function afterClear(frames: readonly Frame[], mark: number | undefined): { visible: readonly Frame[]; hidden: number } {
  if (mark === undefined || frames.length === 0) return { visible: frames, hidden: 0 };
  let lo = 0;
  let hi = frames.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (frames[mid].seq <= mark) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? { visible: frames, hidden: 0 } : { visible: frames.slice(lo), hidden: lo };
}
