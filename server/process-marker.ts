/**
 * Finds every process started for a run, even the ones that left its process group. A kill of the
 * group misses a command that ran `setsid` or double-forked: it is re-parented to init and has a
 * group and session of its own, so neither ancestry nor the group leads to it any more. What it
 * keeps is its environment, which every child inherits across fork, exec and setsid. So each
 * spawn gets `ACP_PLAYGROUND_RUN=<random>` and the sweep kills every process whose
 * /proc/<pid>/environ carries that value.
 *
 * Limits (Linux only; elsewhere the sweep finds nothing and the group kill is all there is): a
 * process that exec's itself with a cleaned environment (`env -i`), one whose environ cannot be
 * read (another user's, a setuid or non-dumpable process), or one started by a system service on
 * its behalf (systemd-run, at, a container daemon) is not found. The value is random per spawn,
 * so nothing outside the run can guess it to be swept, and the sweep never signals the relay.
 */
import { randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";

export const RUN_MARKER_ENV = "ACP_PLAYGROUND_RUN";

/** A fresh, unguessable marker value. */
export function newRunMarker(): string {
  return randomBytes(12).toString("hex");
}

/** The environment entry that carries `marker`, to layer last over a child's env (it wins). */
export function markerEnv(marker: string): Record<string, string> {
  return { [RUN_MARKER_ENV]: marker };
}

/**
 * Pids of live processes whose environment holds the marker: `marker` exactly, or (with
 * `prefix`) any value that starts with `marker/` — a run-wide marker covering each spawn's own.
 */
export async function markedProcesses(marker: string, opts: { prefix?: boolean } = {}): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir("/proc");
  } catch {
    return [];
  }
  const exact = `${RUN_MARKER_ENV}=${marker}`;
  const pids = names.filter((n) => /^\d+$/.test(n)).map(Number).filter((pid) => pid !== process.pid && pid !== process.ppid);
  const hits = await Promise.all(
    pids.map(async (pid) => {
      try {
        const env = (await readFile(`/proc/${pid}/environ`, "latin1")).split("\0");
        return env.some((kv) => kv === exact || (opts.prefix === true && kv.startsWith(`${exact}/`))) ? pid : undefined;
      } catch {
        return undefined; // gone meanwhile, or not ours to read
      }
    }),
  );
  return hits.filter((pid): pid is number => pid !== undefined);
}

/** Signal every process carrying the marker; resolves with the pids signalled. */
export async function killMarked(marker: string, signal: NodeJS.Signals, opts: { prefix?: boolean } = {}): Promise<number[]> {
  const pids = await markedProcesses(marker, opts);
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      /* exited between the scan and the signal */
    }
  }
  return pids;
}

/**
 * SIGKILL every marked process, scanning again while any is found: one may have forked between a
 * scan and its signal. A few rounds suffice (a killed process forks no more); resolves with the
 * number signalled.
 */
export async function killAllMarked(marker: string, opts: { prefix?: boolean } = {}): Promise<number> {
  let total = 0;
  for (let round = 0; round < 5; round++) {
    const pids = await killMarked(marker, "SIGKILL", opts);
    if (pids.length === 0) break;
    total += pids.length;
  }
  return total;
}

/**
 * SIGTERM every marked process, then SIGKILL whatever still carries the marker after `graceMs`
 * (SIGKILL at once when `graceMs` is 0). Fire and forget: a sweep never throws.
 */
export function sweepMarked(marker: string, graceMs: number, opts: { prefix?: boolean } = {}): void {
  const kill = (): void => void killAllMarked(marker, opts).catch(() => undefined);
  if (graceMs <= 0) {
    kill();
    return;
  }
  void killMarked(marker, "SIGTERM", opts)
    .then((pids) => {
      if (pids.length === 0) return;
      const timer = setTimeout(kill, graceMs);
      timer.unref();
    })
    .catch(() => undefined);
}
