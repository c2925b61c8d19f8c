/**
 * The browser's state, free of any framework: apply(ServerEvent) in, snapshot out, subscribe for
 * changes. The frame list is append-mostly and can hold 100,000 rows, so it is kept in a mutable
 * array and a version number tells React what changed instead of copying the array per batch.
 */
import type { CatalogEntryView, FaultConfig, Frame, PermissionPolicy, ProfileView, RunSummary, RunsDisk, ServerEvent, ServerInfo } from "./wire";
import type { OAuthLabState } from "./oauth-lab";
import { settleServedMethod } from "./schema-notes";
import { type FlowView, recordFlow } from "./run-scope";

/** `refused`: the server answers but refuses this tab's token (it restarted; the new URL is in its terminal). */
export type ConnectionState = "connecting" | "open" | "closed" | "refused";

export interface Notice {
  id: number;
  level: "info" | "warn" | "error";
  message: string;
  hint?: string;
  at: number;
}

export interface LogView {
  runId?: string;
  frames: readonly Frame[];
  /** Frames the relay's ring dropped before this tab received them. */
  dropped: number;
  /** Bumps on every change of frames or their pairing. */
  version: number;
}

export interface Snapshot {
  connection: ConnectionState;
  server?: ServerInfo;
  catalog: CatalogEntryView[];
  catalogError?: string;
  runs: RunSummary[];
  currentRunId?: string;
  profiles: ProfileView[];
  activeProfileId?: string;
  log: LogView;
  notices: Notice[];
  preview?: Extract<ServerEvent, { type: "profile_preview" }>;
  check?: Extract<ServerEvent, { type: "profile_check" }>;
  /** The answer to this tab's last profile save / duplicate / delete (a new object each time). */
  profileResult?: Extract<ServerEvent, { type: "profile_result" }>;
  permissionPolicy: PermissionPolicy;
  login?: Extract<ServerEvent, { type: "login" }>;
  /** The login terminal's output (bounded), and a counter that bumps when it was reset. */
  loginOutput: string;
  loginEpoch: number;
  /** Each run's newest flow status line (Probe, Auto, env_var, api_key), by run id: shown only with its run. */
  flows: Record<string, FlowView>;
  /** The newest advertisement diff and the run it was asked from; shown only with that run. */
  advDiff?: Extract<ServerEvent, { type: "adv_diff" }> & { runId: string };
  /** The newest conformance check (progress, then its report; the Conformance tab). */
  conformance?: Extract<ServerEvent, { type: "conformance" }>;
  fsWrites: Extract<ServerEvent, { type: "fs_write" }>[];
  clientTerminals: ClientTerminalView[];
  validation: { enabled: boolean; unstable: boolean };
  faults?: FaultConfig;
  /** The OAuth emulator's behaviour and pending device codes (issue #13). */
  oauth?: OAuthLabState;
  loginCheck?: Extract<ServerEvent, { type: "login_check" }>;
  matrix?: Extract<ServerEvent, { type: "matrix" }>;
  /** How much disk the run homes take, from the relay. */
  runsDisk?: RunsDisk;
}

export interface ClientTerminalView {
  runId: string;
  terminalId: string;
  argv: string[];
  cwd: string;
  output: string;
  exited: boolean;
  exitCode?: number | null;
  signal?: string | null;
}

const MAX_LOGIN_OUTPUT = 64 * 1024;
const MAX_TERMINAL_OUTPUT = 64 * 1024;
const MAX_FS_WRITES = 50;

const MAX_NOTICES = 20;

export class PlaygroundStore {
  private snapshot: Snapshot = {
    connection: "connecting",
    catalog: [],
    runs: [],
    profiles: [],
    log: { frames: [], dropped: 0, version: 0 },
    notices: [],
    permissionPolicy: "ask",
    loginOutput: "",
    loginEpoch: 0,
    flows: {},
    fsWrites: [],
    clientTerminals: [],
    validation: { enabled: true, unstable: false },
  };
  private readonly listeners = new Set<() => void>();
  private frames: Frame[] = [];
  private bySeq = new Map<number, Frame>();
  private noticeId = 0;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): Snapshot => this.snapshot;

  /** Look a frame up by seq in the viewed run (pairs, links). */
  frame(seq: number | undefined): Frame | undefined {
    return seq === undefined ? undefined : this.bySeq.get(seq);
  }

  setConnection(connection: ConnectionState): void {
    if (connection !== this.snapshot.connection) this.update({ connection });
  }

  addNotice(level: Notice["level"], message: string, hint?: string): void {
    const notices = [...this.snapshot.notices, { id: ++this.noticeId, level, message, hint, at: Date.now() }].slice(-MAX_NOTICES);
    this.update({ notices });
  }

  dismissNotice(id: number): void {
    this.update({ notices: this.snapshot.notices.filter((n) => n.id !== id) });
  }

  apply(event: ServerEvent): void {
    switch (event.type) {
      case "hello":
        this.frames = [];
        this.bySeq = new Map();
        this.update({
          server: event.server,
          catalog: event.catalog,
          catalogError: event.catalogError,
          runs: event.runs,
          currentRunId: event.currentRunId,
          profiles: event.profiles,
          activeProfileId: event.activeProfileId,
          permissionPolicy: event.permissionPolicy,
          login: event.login,
          validation: event.validation,
          faults: event.faults,
          matrix: event.matrix,
          runsDisk: event.runsDisk,
          log: { runId: event.viewRunId, frames: this.frames, dropped: 0, version: this.snapshot.log.version + 1 },
        });
        return;
      case "frames":
        this.applyFrames(event);
        return;
      case "run": {
        const runs = this.snapshot.runs.some((r) => r.runId === event.run.runId)
          ? this.snapshot.runs.map((r) => (r.runId === event.run.runId ? event.run : r))
          : [...this.snapshot.runs, event.run];
        this.update({ runs, currentRunId: event.current ? event.run.runId : this.snapshot.currentRunId });
        return;
      }
      case "catalog":
        this.update({ catalog: event.catalog, catalogError: event.catalogError });
        return;
      case "runs_disk":
        this.update({ runsDisk: event.disk });
        return;
      case "profiles":
        this.update({ profiles: event.profiles, activeProfileId: event.activeProfileId });
        return;
      case "profile_preview":
        this.update({ preview: event });
        return;
      case "profile_check":
        this.update({ check: event });
        return;
      case "profile_result":
        this.update({ profileResult: event });
        return;
      case "notice":
        this.addNotice(event.level, event.message, event.hint);
        return;
      case "login":
        this.update({ login: event });
        return;
      case "login_output":
        this.update(
          event.reset
            ? { loginOutput: event.data, loginEpoch: this.snapshot.loginEpoch + 1 }
            : { loginOutput: (this.snapshot.loginOutput + event.data).slice(-MAX_LOGIN_OUTPUT) },
        );
        return;
      case "flow":
        // A line that names no run is a flow starting its fresh run: kept under "" until that run exists.
        this.update({ flows: recordFlow(this.snapshot.flows, event, event.runId ?? "", event.runId === undefined ? (this.snapshot.currentRunId ?? "") : undefined) });
        return;
      case "adv_diff":
        this.update({ advDiff: { ...event, runId: event.runId ?? this.snapshot.currentRunId ?? "" } });
        return;
      case "conformance":
        this.update({ conformance: event });
        return;
      case "runs_removed": {
        const gone = new Set(event.runIds);
        const flows = Object.fromEntries(Object.entries(this.snapshot.flows).filter(([id]) => !gone.has(id)));
        const patch: Partial<Snapshot> = { runs: this.snapshot.runs.filter((r) => !gone.has(r.runId)), flows };
        if (this.snapshot.currentRunId !== undefined && gone.has(this.snapshot.currentRunId)) patch.currentRunId = undefined;
        if (this.snapshot.log.runId !== undefined && gone.has(this.snapshot.log.runId)) {
          // The viewed run is gone: its frames go too (the relay sends the run this tab views now).
          this.frames = [];
          this.bySeq = new Map();
          patch.log = { runId: undefined, frames: this.frames, dropped: 0, version: this.snapshot.log.version + 1 };
        }
        if (this.snapshot.advDiff && gone.has(this.snapshot.advDiff.runId)) patch.advDiff = undefined;
        this.update(patch);
        return;
      }
      case "permission_policy":
        this.update({ permissionPolicy: event.policy });
        return;
      case "fs_write":
        this.update({ fsWrites: [...this.snapshot.fsWrites, event].slice(-MAX_FS_WRITES) });
        return;
      case "client_terminal":
        this.applyTerminal(event);
        return;
      case "matrix":
        this.update({ matrix: event });
        return;
      case "matrix_cell": {
        // A delta: one cell of the running matrix changed.
        const m = this.snapshot.matrix;
        if (!m || event.index < 0 || event.index >= m.cells.length) return;
        const cells = m.cells.slice();
        cells[event.index] = event.cell;
        this.update({ matrix: { ...m, cells } });
        return;
      }
      case "login_check":
        this.update({ loginCheck: event });
        return;
      case "faults":
        this.update({ faults: event.faults });
        return;
      case "oauth_state":
        this.update({ oauth: { url: event.url, behaviour: event.behaviour, pending: event.pending } });
        return;
      case "validation":
        this.update({ validation: { enabled: event.enabled, unstable: event.unstable } });
        return;
    }
  }

  private applyTerminal(event: Extract<ServerEvent, { type: "client_terminal" }>): void {
    const list = this.snapshot.clientTerminals;
    const found = list.find((t) => t.runId === event.runId && t.terminalId === event.terminalId);
    const base: ClientTerminalView = found ?? { runId: event.runId, terminalId: event.terminalId, argv: event.argv ?? [], cwd: event.cwd ?? "", output: "", exited: false };
    const next: ClientTerminalView = {
      ...base,
      output: event.data ? (base.output + event.data).slice(-MAX_TERMINAL_OUTPUT) : base.output,
      exited: base.exited || event.exited === true,
      exitCode: event.exited ? event.exitCode : base.exitCode,
      signal: event.exited ? event.signal : base.signal,
    };
    this.update({ clientTerminals: found ? list.map((t) => (t === found ? next : t)) : [...list, next].slice(-20) });
  }

  private applyFrames(event: Extract<ServerEvent, { type: "frames" }>): void {
    const log = this.snapshot.log;
    let dropped = log.dropped;
    if (event.reset || event.runId !== log.runId) {
      this.frames = [];
      this.bySeq = new Map();
      dropped = 0;
    }
    dropped += event.dropped ?? 0;
    for (const frame of event.frames) {
      if (this.bySeq.has(frame.seq)) continue;
      this.frames.push(frame);
      this.bySeq.set(frame.seq, frame);
      // An answer names its request; mark the request so both rows link to each other.
      if (frame.pairSeq !== undefined && frame.kind !== "request") {
        const req = this.bySeq.get(frame.pairSeq);
        if (req) {
          req.pairSeq = frame.seq;
          settleServedMethod(req, frame);
        }
      }
    }
    this.update({ log: { runId: event.runId, frames: this.frames, dropped, version: log.version + 1 } });
  }

  private update(patch: Partial<Snapshot>): void {
    this.snapshot = { ...this.snapshot, ...patch };
    for (const listener of this.listeners) listener();
  }
}
