/**
 * Runs the auth matrix: many probes, a bounded number at a time (each one is a whole agent
 * process, and Kimi spends most of its ~2 s start-up on CPU), results in the order asked for.
 * Also reads the expectations file CI uses to turn a matrix into a pass/fail. The renderings
 * live in lib/matrix-report so the UI can export exactly what the CLI prints.
 */
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { type Comparison, compareCells, type Expectations, isVerdict, type ProbeCell, VERDICTS } from "../lib/matrix-report";
import { ExpectationsError } from "./errors";
import { DEFAULT_PROBE_TIMEOUT_MS, probe, type ProbeOptions } from "./probe";

export {
  type Comparison,
  cellKey,
  compareCells,
  type Expectations,
  formatJson,
  formatJunit,
  formatMarkdown,
  formatTable,
  type Mismatch,
  type ProbeCell,
  type Verdict,
  VERDICTS,
} from "../lib/matrix-report";

/** A cell to run: everything a probe needs except the timeout, which the matrix sets for all. */
export type MatrixCell = Omit<ProbeOptions, "timeoutMs" | "signal">;

export interface MatrixOptions {
  /** Probes running at once; default: the machine's CPU count. */
  concurrency?: number;
  /** Per cell; default 30 s. */
  timeoutMs?: number;
  /** Aborting stops the matrix: running probes kill their agents, queued cells end as cancelled. */
  signal?: AbortSignal;
  /** Held around each probe (the relay's --max-agents budget); may wait, rejects when aborted. */
  acquire?: (signal?: AbortSignal) => Promise<{ release(): void }>;
  onStart?: (cell: MatrixCell, index: number) => void;
  onDone?: (result: ProbeCell, index: number) => void;
  /** Replaceable for tests of the scheduling itself. */
  probe?: (options: ProbeOptions) => Promise<ProbeCell>;
}

export async function runMatrix(cells: readonly MatrixCell[], opts: MatrixOptions = {}): Promise<ProbeCell[]> {
  const concurrency = Math.max(1, Math.floor(opts.concurrency ?? os.availableParallelism()));
  const run = opts.probe ?? probe;
  const results: ProbeCell[] = new Array(cells.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < cells.length) {
      const index = next++;
      let slot: { release(): void } | undefined;
      try {
        if (!opts.signal?.aborted) slot = await opts.acquire?.(opts.signal);
      } catch {
        // Cancelled while waiting for a slot: the cell never starts.
      }
      if (opts.signal?.aborted) {
        slot?.release();
        results[index] = cancelledCell(cells[index]);
        opts.onDone?.(results[index], index);
        continue;
      }
      try {
        opts.onStart?.(cells[index], index);
        const result = await run({ ...cells[index], timeoutMs: opts.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS, signal: opts.signal });
        results[index] = result;
        opts.onDone?.(result, index);
      } finally {
        slot?.release();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, cells.length) }, worker));
  return results;
}

/** A cell the matrix never started because it was cancelled first: timed out, detail "cancelled" (as a cancelled probe). */
function cancelledCell(cell: MatrixCell): ProbeCell {
  const p = cell.profile;
  const profile = "existingHome" in p ? { name: p.name ?? path.basename(p.existingHome), kind: "existing-home" as const } : { name: p.name, kind: p.kind };
  return {
    agent: { id: cell.agent.id, name: null, version: null, command: [cell.agent.command, ...cell.agent.args].map(cell.redact) },
    profile,
    initialize: { ok: false, ms: null, requestedProtocolVersion: cell.protocolVersion ?? 1, protocolVersion: null, authMethods: [] },
    sessionNew: { ok: false, ms: null },
    verdict: "timed-out",
    detail: "cancelled",
    ms: 0,
    frames: [],
  };
}

export const EXPECTATIONS_EXAMPLE = '{ "kimi-0.28.0": { "API key (example)": "auth-required" } }';

/** Validate an expectations document: agent id → profile name → verdict. */
export function parseExpectations(text: string, file = "the expectations file"): Expectations {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ExpectationsError(`${file} is not valid JSON: ${(error as Error).message}`, `Write it as ${EXPECTATIONS_EXAMPLE}.`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ExpectationsError(`${file} must be a JSON object mapping agent ids to profiles.`, `e.g. ${EXPECTATIONS_EXAMPLE}`);
  }
  const out: Expectations = {};
  for (const [agentId, profiles] of Object.entries(value)) {
    if (typeof profiles !== "object" || profiles === null || Array.isArray(profiles)) {
      throw new ExpectationsError(`${file}: "${agentId}" must map profile names to verdicts.`, `e.g. ${EXPECTATIONS_EXAMPLE}`);
    }
    out[agentId] = {};
    for (const [profileName, verdict] of Object.entries(profiles as Record<string, unknown>)) {
      if (!isVerdict(verdict)) {
        throw new ExpectationsError(`${file}: "${agentId}" × "${profileName}" expects ${JSON.stringify(verdict)}, which is not a verdict.`, `Use one of: ${VERDICTS.join(", ")}.`);
      }
      out[agentId][profileName] = verdict;
    }
  }
  return out;
}

export async function readExpectations(file: string): Promise<Expectations> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new ExpectationsError(`Cannot read the expectations file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`, "Check the path given to --expect.");
  }
  return parseExpectations(text, file);
}

/** Compare a matrix with the expectations file CI keeps next to its workflow. */
export async function compareExpectations(results: readonly ProbeCell[], expectFile: string): Promise<Comparison> {
  return compareCells(results, await readExpectations(expectFile));
}
