/**
 * Evidence users can share: JSONL traces (export, import read-only, replay as an agent), the auth
 * matrix (every agent × profile through the probe flow) and the redacted bug-report bundle. Kept
 * apart from the hub because none of it touches a live tab's stream, only finished frames.
 */
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { errorCode, type ProbeCell, formatJson, formatMarkdown } from "../lib/matrix-report";
import { buildReport } from "../lib/report";
import { exportTrace, parseTrace } from "../lib/trace";
import type { ProtocolVersion } from "../lib/version";
import { type Frame, type MatrixCellView, matrixProblem, type RunSummary, type ServerEvent } from "../lib/wire";
import { type Catalog, replayEntry } from "./catalog";
import { LimitError, PlaygroundError } from "./errors";
import { runMatrix } from "./matrix";
import type { ProfileStore } from "./profiles";
import type { Run } from "./run";
import { bundledNode } from "./runtime";

export interface EvidenceHost {
  run(runId: string): Run | undefined;
  /** Create a listed, read-only run holding imported frames; returns it. */
  importRun(label: string, summary: Partial<RunSummary>, frames: readonly Frame[], dropped: number): Run;
  catalog: Catalog;
  profiles: ProfileStore;
  emit(event: ServerEvent): void;
  redact(text: string): string;
  version: string;
  dataDir: string;
  runsDir: string;
  modelServerUrl?: string;
  /** A slot of the relay's agent budget for one matrix probe (waits its turn; rejects when aborted). */
  agentSlot(signal?: AbortSignal): Promise<{ release(): void }>;
  /** The most probes a matrix runs at once (never more than the agent budget). */
  maxAgents: number;
}

export class Evidence {
  private matrixCells: ProbeCell[] = [];
  /** The cells as tabs see them; the whole list goes out only in hello and at start/end. */
  private matrixViewCells?: MatrixCellView[];
  private matrixAbort?: AbortController;
  private matrixProtocol: ProtocolVersion = 1;
  /** Matrix cell index → the run its frames were opened in (server/hub.ts matrix_open). */
  private readonly cellRuns = new Map<number, string>();

  constructor(private readonly host: EvidenceHost) {}

  get matrixState(): Extract<ServerEvent, { type: "matrix" }> | undefined {
    const cells = this.matrixViewCells;
    return cells ? { type: "matrix", running: this.matrixAbort !== undefined, total: cells.length, cells: cells.map((c) => ({ ...c })), protocolVersion: this.matrixProtocol } : undefined;
  }

  private mustRun(runId: string): Run {
    const run = this.host.run(runId);
    if (!run) throw new PlaygroundError(`No run ${runId}; it may have been pruned.`, "Pick a run from the run list.");
    return run;
  }

  traceOf(runId: string): string {
    const run = this.mustRun(runId);
    const s = run.summary;
    return exportTrace(
      {
        playgroundVersion: this.host.version,
        agent: { id: s.agentId, label: s.agentLabel, info: s.agentInfo ?? null },
        profile: { kind: s.profileKind ?? null, sources: s.profileSources ?? [] },
        frames: run.ring.all(),
        dropped: run.ring.dropped,
      },
      { redact: this.host.redact },
    );
  }

  reportOf(runId: string): string {
    const run = this.mustRun(runId);
    let agentNode: string | undefined;
    try {
      agentNode = bundledNode().version;
    } catch {
      agentNode = "missing";
    }
    return buildReport({
      environment: { os: `${os.type()} ${os.release()} ${os.arch()}`, serverNode: process.version, agentNode, playground: this.host.version },
      run: run.summary,
      frames: run.ring.all(),
      loginRuns: run.summary.loginAttempts,
      matrix: this.matrixCells.length ? this.matrixCells : undefined,
      redact: this.host.redact,
      // A report is pasted into public issues: local paths name the user.
      paths: { "<data>": this.host.dataDir, "<tmp>": os.tmpdir(), "<home>": os.homedir() },
    });
  }

  importTrace(text: string, name?: string): Run {
    const trace = parseTrace(text);
    const h = trace.header;
    // Seqs are dense from 0 and a ring drops its oldest, so no more frames can have been dropped than precede the first one kept.
    const firstSeq = trace.frames[0]?.seq ?? 0;
    if (h.dropped > firstSeq) {
      throw new LimitError(`The trace's header says ${h.dropped} frames were dropped, but its first frame is seq ${firstSeq}: at most ${firstSeq} can have been dropped before it.`, "The header was edited or the file is not a playground trace; export it again.");
    }
    return this.host.importRun(
      name ?? `Imported trace: ${h.agent.label}`,
      {
        agentId: h.agent.id,
        agentLabel: `${h.agent.label} (imported)`,
        profileName: `${h.profile.kind ?? "unknown"} (imported)`,
        profileKind: h.profile.kind ?? undefined,
        profileSources: h.profile.sources,
        agentInfo: h.agent.info ?? undefined,
        origin: `imported from ${name ?? "a trace"}`,
      },
      trace.frames,
      h.dropped,
    );
  }

  /** Save the run as a trace and add a catalog entry that plays its agent side back. */
  async replayRun(runId: string): Promise<string> {
    const run = this.mustRun(runId);
    const dir = path.join(this.host.dataDir, "traces");
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, `${runId}-${Date.now().toString(36)}.jsonl`);
    await writeFile(file, this.traceOf(runId), { mode: 0o600 });
    const id = `replay-${runId}`;
    this.host.catalog.addEphemeral(replayEntry(id, `Replay of ${run.summary.agentInfo ? `${run.summary.agentInfo.name} ${run.summary.agentInfo.version}` : run.summary.agentLabel} (${runId})`, file));
    return id;
  }

  /** `protocolVersion`: what each probe's initialize asks for (default 1), as `npm run matrix --protocol`. */
  async runMatrix(agentIdsIn: string[], profileIdsIn: string[], timeoutMs?: number, prompt?: string, protocolVersion?: ProtocolVersion): Promise<void> {
    if (this.matrixAbort) throw new PlaygroundError("A matrix is already running.", "Wait for it to finish, or cancel it.");
    // The wire checks these too; the relay checks again for any other caller.
    const agentIds = [...new Set(agentIdsIn)];
    const profileIds = [...new Set(profileIdsIn)];
    const problem = matrixProblem(agentIds, profileIds, timeoutMs);
    if (problem) throw new LimitError(`Cannot run the matrix: ${problem}.`);
    const agents = agentIds.map((id) => this.host.catalog.get(id));
    const profiles = profileIds.map((id) => {
      const p = this.host.profiles.get(id);
      if (!p) throw new PlaygroundError(`No profile "${id}".`);
      return p;
    });
    const specs = agents.flatMap((agent) => profiles.map((profile) => ({ agent, profile })));
    const cells: MatrixCellView[] = specs.map((s, index) => ({ index, agentId: s.agent.id, profileName: s.profile.name, state: "queued" }));
    const abort = new AbortController();
    this.matrixAbort = abort;
    this.matrixViewCells = cells;
    this.matrixProtocol = protocolVersion ?? 1;
    this.matrixCells = [];
    this.cellRuns.clear();
    const publishAll = (): void => {
      const view = this.matrixState;
      if (view) this.host.emit(view);
    };
    // Per cell, a delta: re-sending the whole matrix per cell made 400 cells cost 802 events of up to 117 KB.
    const publishCell = (i: number): void => this.host.emit({ type: "matrix_cell", index: i, cell: { ...cells[i] } });
    publishAll();
    try {
      this.matrixCells = await runMatrix(
        specs.map((s) => ({ agent: s.agent, profile: s.profile, dataDir: this.host.dataDir, runsDir: this.host.runsDir, modelServerUrl: this.host.modelServerUrl, redact: this.host.redact, prompt, protocolVersion })),
        {
          concurrency: Math.max(1, Math.min(os.availableParallelism(), 4, this.host.maxAgents)),
          timeoutMs,
          signal: abort.signal,
          acquire: (signal) => this.host.agentSlot(signal),
          onStart: (_cell, i) => {
            cells[i].state = "running";
            publishCell(i);
          },
          onDone: (result, i) => {
            cells[i] = {
              ...cells[i],
              state: "done",
              verdict: result.verdict,
              ms: result.ms,
              detail: result.detail,
              agentVersion: result.agent.version,
              errorCode: errorCode(result),
              methods: result.initialize.methods,
              authenticated: result.authenticate?.ok ? result.authenticate.methodId : undefined,
              protocolVersion: result.initialize.protocolVersion ?? undefined,
            };
            publishCell(i);
          },
        },
      );
    } finally {
      this.matrixAbort = undefined;
      publishAll();
    }
  }

  /** Stop the running matrix: probes kill their agents at once, queued cells end as cancelled. */
  cancelMatrix(): void {
    if (!this.matrixAbort) throw new PlaygroundError("No matrix is running.");
    this.matrixAbort.abort();
  }

  /** Reopening a cell shows the run made the first time (while it is kept), not one more copy. */
  openMatrixCell(index: number): Run {
    const cell = this.matrixCells[index];
    if (!cell) throw new PlaygroundError(`No matrix cell ${index}.`, "Run the matrix first.");
    const opened = this.cellRuns.get(index);
    const kept = opened ? this.host.run(opened) : undefined;
    if (kept) return kept;
    const run = this.host.importRun(
      `Matrix cell: ${cell.agent.id} × ${cell.profile.name}`,
      {
        agentId: cell.agent.id,
        // The catalog's label, as every other run shows the agent (an --agent-cmd cell has only its command line).
        agentLabel: `${this.host.catalog.list().find((e) => e.id === cell.agent.id)?.label ?? cell.agent.id} (matrix cell)`,
        agentInfo: cell.agent.name && cell.agent.version ? { name: cell.agent.name, version: cell.agent.version } : undefined,
        profileName: cell.profile.name,
        profileKind: cell.profile.kind,
        origin: `matrix cell ${cell.agent.id} × ${cell.profile.name}`,
      },
      cell.frames,
      0,
    );
    this.cellRuns.set(index, run.id);
    return run;
  }

  matrixMarkdown(): string {
    return this.host.redact(formatMarkdown(this.matrixCells, { title: "ACP auth matrix" }));
  }

  matrixJson(): string {
    return this.host.redact(formatJson(this.matrixCells));
  }
}
