/**
 * Evidence users can share: JSONL traces (export, import read-only, replay as an agent), the auth
 * matrix (every agent × profile through the probe flow) and the redacted bug-report bundle. Kept
 * apart from the hub because none of it touches a live tab's stream, only finished frames.
 */
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { type ProbeCell, formatJson, formatMarkdown } from "../lib/matrix-report";
import { buildReport } from "../lib/report";
import { exportTrace, parseTrace } from "../lib/trace";
import type { Frame, MatrixCellView, RunSummary, ServerEvent } from "../lib/wire";
import { type Catalog, replayEntry } from "./catalog";
import { PlaygroundError } from "./errors";
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
}

export class Evidence {
  private matrixCells: ProbeCell[] = [];
  private matrixView?: Extract<ServerEvent, { type: "matrix" }>;
  private matrixRunning = false;

  constructor(private readonly host: EvidenceHost) {}

  get matrixState(): Extract<ServerEvent, { type: "matrix" }> | undefined {
    return this.matrixView;
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
    });
  }

  importTrace(text: string, name?: string): Run {
    const trace = parseTrace(text);
    const h = trace.header;
    return this.host.importRun(
      name ?? `Imported trace: ${h.agent.label}`,
      {
        agentId: h.agent.id,
        agentLabel: `${h.agent.label} (imported)`,
        profileName: `${h.profile.kind ?? "unknown"} (imported)`,
        profileKind: h.profile.kind ?? undefined,
        profileSources: h.profile.sources,
        agentInfo: h.agent.info ?? undefined,
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

  async runMatrix(agentIds: string[], profileIds: string[], timeoutMs?: number): Promise<void> {
    if (this.matrixRunning) throw new PlaygroundError("A matrix is already running.", "Wait for it to finish.");
    const agents = agentIds.map((id) => this.host.catalog.get(id));
    const profiles = profileIds.map((id) => {
      const p = this.host.profiles.get(id);
      if (!p) throw new PlaygroundError(`No profile "${id}".`);
      return p;
    });
    const specs = agents.flatMap((agent) => profiles.map((profile) => ({ agent, profile })));
    const cells: MatrixCellView[] = specs.map((s, index) => ({ index, agentId: s.agent.id, profileName: s.profile.name, state: "queued" }));
    const publish = (running: boolean): void => {
      this.matrixView = { type: "matrix", running, total: cells.length, cells: cells.map((c) => ({ ...c })) };
      this.host.emit(this.matrixView);
    };
    this.matrixRunning = true;
    this.matrixCells = [];
    publish(true);
    try {
      this.matrixCells = await runMatrix(
        specs.map((s) => ({ agent: s.agent, profile: s.profile, dataDir: this.host.dataDir, runsDir: this.host.runsDir, modelServerUrl: this.host.modelServerUrl, redact: this.host.redact })),
        {
          concurrency: Math.max(1, Math.min(os.availableParallelism(), 4)),
          timeoutMs,
          onStart: (_cell, i) => {
            cells[i].state = "running";
            publish(true);
          },
          onDone: (result, i) => {
            cells[i] = {
              ...cells[i],
              state: "done",
              verdict: result.verdict,
              ms: result.ms,
              detail: result.detail,
              agentVersion: result.agent.version,
              errorCode: result.sessionNew.error?.code ?? result.initialize.error?.code,
            };
            publish(true);
          },
        },
      );
    } finally {
      this.matrixRunning = false;
      publish(false);
    }
  }

  openMatrixCell(index: number): Run {
    const cell = this.matrixCells[index];
    if (!cell) throw new PlaygroundError(`No matrix cell ${index}.`, "Run the matrix first.");
    return this.host.importRun(
      `Matrix cell: ${cell.agent.id} × ${cell.profile.name}`,
      { agentId: cell.agent.id, agentLabel: `${cell.agent.id} (matrix cell)`, profileName: cell.profile.name, profileKind: cell.profile.kind },
      cell.frames,
      0,
    );
  }

  matrixMarkdown(): string {
    return this.host.redact(formatMarkdown(this.matrixCells, { title: "ACP auth matrix" }));
  }

  matrixJson(): string {
    return this.host.redact(formatJson(this.matrixCells));
  }
}
