/**
 * The relay's state: the catalog, the profiles, the runs (one current, earlier ones browsable) and
 * the attached browser tabs; auth flows and evidence live in their own files and reach in through
 * small host interfaces. Frames reach tabs batched per tick, pulled from each run's ring by a
 * per-tab cursor, so a slow tab never makes the server buffer more than the ring holds and a
 * reloaded tab simply starts its cursor at zero.
 */
import { mkdir, readdir, rm } from "node:fs/promises";
import path from "node:path";
import { Redactor } from "../lib/redact";
import { lastOutcomeAnswer } from "../lib/run-outcome";
import { createSchemaChecker, type SchemaChecker } from "../lib/schema-check";
import { type ClientCommand, encodeServerEvent, type FaultConfig, type Frame, type HttpHopEvent, type PermissionPolicy, type RunSummary, type ServerEvent, type ServerInfo } from "../lib/wire";
import { type AgentSlot, AgentSlots } from "./agent-slots";
import { type AuthHost, AuthFlows } from "./auth-flows";
import { agentHomeEnv, Catalog, type CatalogEntry, type ResolvedCommand } from "./catalog";
import { BrowserShim, type BrowserOpen } from "./browser-shim";
import { agentEnv, childEnv } from "./child-env";
import { ClientMethodServer } from "./client-methods";
import { LimitError, PlaygroundError, ProfileError } from "./errors";
import { Evidence } from "./evidence";
import { FaultInjector, NO_FAULTS } from "./faults";
import { encodeFramesBatch } from "./frames-encode";
import { watchRunHome } from "./home-watch";
import type { Logger } from "./logger";
import { expireTokenFile, kimiMainOf } from "./emulated-login";
import type { OAuthEmulator } from "./oauth-emulator";
import { runScopedUrl } from "./model-server";
import { materialize, previewProfile, profileCommand, ProfileStore, runDoctor, type StoredProfile } from "./profiles";
import { userDirectory } from "./paths";
import { ReplayRecording } from "./replay-guard";
import { DEFAULT_OAUTH_BEHAVIOUR } from "../lib/oauth-lab";
import { RunsDiskMeter } from "./runs-disk";
import { ConformanceChecker } from "./conformance-run";
import { lineLimitProblem, Run, type RunListener, type RunOptions } from "./run";

interface Prepared {
  cwd: string;
  resolved?: ResolvedCommand;
  env: Record<string, string>;
  failure?: { message: string; hint?: string; event: "spawn_error" | "runtime_missing" };
}

export interface HubOptions {
  dataDir: string;
  defaultCwd: string;
  version: string;
  modelServerUrl?: string;
  ringFrames: number;
  ringBytes: number;
  maxLineBytes: number;
  /** How many runs (with their logs) to keep browsable. */
  keepRuns: number;
  /** Agent processes alive at once (--max-agents): runs, matrix probes, scratch runs, profile checks. */
  maxAgents?: number;
  /** `npm start -- --agent-cmd …`: catalog entries for this start, listed (and so selected) first. */
  agentCommands?: CatalogEntry[];
  /** The Kimi OAuth emulator (issue #13): the emulated profile logs in against it; the OAuth lab drives it. */
  oauth?: OAuthEmulator;
  /** `--kimi-oauth-host`: where a Kimi agent's own terminal login goes, unless its run uses the emulator. */
  kimiOAuthHost?: string;
  logger: Logger;
}

/** Where a tab's events go; the WebSocket in production, an array in tests. */
export interface Sink {
  /** A string, or a Buffer holding UTF-8 text (a frames batch, server/frames-encode.ts): both go as a text message. */
  send(data: string | Buffer): void;
  readonly bufferedAmount: number;
}

const BATCH_FRAMES = 5000;
/**
 * 1 MiB, not 4: with 64 KB frames the relay spent 395 µs of CPU per frame with 4 MiB batches and
 * 255 µs with 1 MiB (its client 183 → 138 µs), measured by `npm run bench` (issue #16): every batch
 * is one Buffer on the server and one string on the client, and multi-megabyte ones cost GC.
 */
const BATCH_BYTES = 1 << 20;
/** Above this many unsent bytes a tab is lagging: stop feeding it frames until it drains. */
const HIGH_WATER = 16 << 20;
/**
 * A tab's copy of one frame carries at most this many raw characters (the rest is marked
 * `clipped`; the ring keeps the whole line). With HIGH_WATER it bounds a tab's bytes in flight to
 * about 16 + 16 MiB plus headers, where one 60 MiB agent line used to cost 60 MiB per open tab.
 */
const TAB_FRAME_CHARS = 16 << 20;
/**
 * All tabs together: above this many unsent bytes, only a tab whose own buffer is empty (one that
 * reads) is fed, and with small batches and frames. Without it, a big frame × many connections
 * that never read (the review opened 2,000) multiplies past any per-tab bound.
 */
const GLOBAL_IN_FLIGHT = 256 << 20;
const TIGHT_BATCH_BYTES = 256 << 10;
const TIGHT_FRAME_CHARS = 256 << 10;
/** Beyond this many unsent bytes a tab misses other events too; it is resynced (a fresh hello) once it drains. */
const LAG_LIMIT = 48 << 20;
/** No single non-frames event may be larger than this (a huge fs_write diff, say); a notice goes instead. */
const MAX_EVENT_CHARS = 32 << 20;
/** Prefix kept of an imported frame whose raw is over the line limit, as a live too_large frame keeps. */
const IMPORT_PREFIX_CHARS = 4096;
/** How long a start waits for the run it replaces to exit (SIGTERM, then SIGKILL after 2 s). */
const REPLACE_WAIT_MS = 5000;
/** While agents run, the size of their homes is re-measured this often (at most; runs-disk.ts throttles). */
const DISK_EVERY_MS = 30_000;
/** Frames looked at for a run's last outcome answer. */
const OUTCOME_LOOKBACK = 2000;
/** How long a scratch run or profile check waits for a free agent slot before it is refused. */
const SLOT_WAIT_MS = 30_000;

class Subscriber {
  viewRunId?: string;
  /** Per run: the last seq this tab has. */
  readonly cursors = new Map<string, number>();
  /** Events were skipped because the socket was far behind: resync once it drains. */
  lagged = false;
  constructor(readonly sink: Sink) {}

  send(event: ServerEvent): void {
    this.sendText(encodeEvent(event));
  }

  /** Send unless the tab is far behind; then remember to resync it rather than buffer more. */
  sendText(text: string | Buffer): void {
    if (this.sink.bufferedAmount > LAG_LIMIT) {
      this.lagged = true;
      return;
    }
    this.sink.send(text);
  }
}

/** The socket text of an event, or a notice in its place when it alone would be over MAX_EVENT_CHARS. */
function encodeEvent(event: ServerEvent): string {
  const text = encodeServerEvent(event);
  if (text.length <= MAX_EVENT_CHARS || event.type === "frames") return text;
  return encodeServerEvent({
    type: "notice",
    level: "warn",
    message: `A ${event.type} event of ${text.length} characters was not sent to this tab: it is over the ${MAX_EVENT_CHARS}-character limit per event.`,
    hint: event.type === "fs_write" ? "The write itself happened; open the file to see it." : undefined,
  });
}

/** A tab's copy of a frame whose raw is over `max` characters: a prefix, marked with the full length. */
function clipForTab(frame: Frame, max: number): Frame {
  if (frame.raw.length <= max) return frame;
  // Never split a surrogate pair: the half would make the raw ill-formed on the wire.
  const code = frame.raw.charCodeAt(max - 1);
  const cut = code >= 0xd800 && code <= 0xdbff ? max - 1 : max;
  const note = `This tab received the first ${cut} of ${frame.raw.length} characters (the per-tab limit); the relay keeps the whole line — export the trace to get it.`;
  return { ...frame, raw: frame.raw.slice(0, cut), clipped: frame.raw.length, note: frame.note ? `${frame.note}; ${note}` : note };
}

/** Hops held for a run not yet listed: at most this many per run, for the newest few run ids. */
const EARLY_HOPS_MAX = 200;
const EARLY_HOP_RUNS = 4;

export class Hub {
  readonly catalog: Catalog;
  readonly profiles: ProfileStore;
  private readonly runs: Run[] = [];
  private current?: Run;
  private readonly subscribers = new Set<Subscriber>();
  private redactor = new Redactor([]);
  /** Every secret configured since this server started: a deleted profile's secrets stay redacted. */
  private readonly everSecrets = new Set<string>();
  private readonly slots: AgentSlots;
  /** Starts run one at a time: each waits for the one before it (V-5: 50 at once left 38 agents). */
  private startQueue: Promise<unknown> = Promise.resolve();
  private flushScheduled = false;
  private lagTimer?: NodeJS.Timeout;
  private readonly dirtyRuns = new Set<Run>();
  private runCounter = 0;
  /** Per run: the env its profile home gave the agent (HOME, XDG, KIMI_CODE_HOME…), so a reconnect can reuse it. */
  private readonly homes = new Map<string, Record<string, string>>();
  /** Per run: the run whose directory holds its home (itself, or the first run of a reuse chain). */
  private readonly homeOwner = new Map<string, string>();
  private readonly clientMethods = new Map<Run, ClientMethodServer>();
  /** HTTP hops of runs not listed yet, by run id (recordHop). */
  private readonly earlyHops = new Map<string, HttpHopEvent[]>();
  private permissionPolicy: PermissionPolicy = "ask";
  private readonly auth: AuthFlows;
  readonly evidence: Evidence;
  private validation = { enabled: true, unstable: false };
  private faults: FaultConfig = NO_FAULTS;
  private junkTimer?: NodeJS.Timeout;
  private checker?: SchemaChecker;
  /** The size of <data>/runs for the run list, measured in the background (server/runs-disk.ts). */
  private readonly disk: RunsDiskMeter;
  private diskTimer?: NodeJS.Timeout;
  /** Every run's BROWSER / xdg-open, which hand URLs to the page instead of opening them here (server/browser-shim.ts). */
  private browserShim?: BrowserShim;

  constructor(private readonly options: HubOptions) {
    this.catalog = new Catalog(options.dataDir);
    if (options.agentCommands?.length) this.catalog.setStartup(options.agentCommands);
    this.profiles = new ProfileStore(options.dataDir);
    this.auth = new AuthFlows(this.loginHost());
    this.slots = new AgentSlots(options.maxAgents ?? 4);
    this.disk = new RunsDiskMeter(this.runsDir, (disk) => this.broadcast({ type: "runs_disk", disk }));
    options.oauth?.onChange(() => this.broadcast(this.oauthState()));
    this.evidence = new Evidence({
      run: (runId) => this.runs.find((r) => r.id === runId),
      importRun: (label, summary, frames, dropped) => this.importRun(label, summary, frames, dropped),
      catalog: this.catalog,
      profiles: this.profiles,
      emit: (event) => this.broadcast(event),
      redact: this.redact,
      version: options.version,
      dataDir: options.dataDir,
      runsDir: this.runsDir,
      modelServerUrl: options.modelServerUrl,
      agentSlot: (signal) => this.slots.wait("matrix", { signal }),
      maxAgents: this.slots.max,
    });
  }

  /** The Conformance tab's check (server/conformance-run.ts), made on first use. */
  private conformance?: ConformanceChecker;
  private conformanceChecker(): ConformanceChecker {
    this.conformance ??= new ConformanceChecker({
      entry: (agentId) => this.catalog.get(agentId),
      profile: () => this.profiles.get("logged-out") ?? (this.profiles.activeProfile as StoredProfile),
      dataDir: this.options.dataDir,
      runsDir: this.runsDir,
      modelServerUrl: this.options.modelServerUrl,
      oauth: this.options.oauth,
      redact: this.redact,
      slot: () => this.slots.wait("scratch", { timeoutMs: SLOT_WAIT_MS }),
      importRun: (label, summary, frames) => this.importRun(label, summary, frames, 0),
      emit: (event) => this.broadcast(event),
    });
    return this.conformance;
  }

  /** The schema checker, built on first use (Ajv compiles the SDK's schema once). */
  private schemaCheck = (): SchemaChecker | undefined => {
    if (!this.validation.enabled) return undefined;
    this.checker ??= createSchemaChecker({ unstable: this.validation.unstable });
    return this.checker;
  };

  /** A listed, read-only run holding frames from a trace or a matrix cell. */
  private importRun(label: string, summary: Partial<RunSummary>, frames: readonly Frame[], dropped: number): Run {
    const runId = `run-${++this.runCounter}`;
    const run = new Run(
      {
        runId,
        agentId: summary.agentId ?? "imported",
        agentLabel: summary.agentLabel ?? label,
        profileId: "",
        profileName: summary.profileName ?? "",
        cwd: "",
        spawn: { file: "", args: [], cwd: "", env: {} },
        // The limits of a live run's ring: an imported trace or matrix cell is held no bigger than the run it records.
        limits: { maxFrames: this.options.ringFrames, maxBytes: this.options.ringBytes, maxLineBytes: this.options.maxLineBytes },
        redact: this.redact,
        serveClientMethod: () => ({ pending: true }),
        summaryExtra: { ...summary, argv: [] },
      },
      {
        frames: () => this.schedule(),
        state: (r) => {
          this.dirtyRuns.add(r);
          this.schedule();
        },
      },
    );
    this.runs.push(run);
    // Only frames the ring can keep are looked at: the newest ringFrames, as a live run would hold.
    const kept = frames.length > this.options.ringFrames ? frames.slice(frames.length - this.options.ringFrames) : frames;
    let clipped = 0;
    const max = this.options.maxLineBytes;
    run.importFrames(
      kept.map((f) => {
        if (f.raw.length <= max) return f;
        clipped++;
        return { ...f, kind: "too_large", raw: f.raw.slice(0, IMPORT_PREFIX_CHARS), note: `Frame too large: ${f.raw.length} characters exceed the ${max}-byte line limit; only the first ${IMPORT_PREFIX_CHARS} are kept.` };
      }),
      dropped + (frames.length - kept.length),
    );
    // An imported run or matrix cell shows its outcome in the run list like a live one.
    run.summary.lastAnswer = lastOutcomeAnswer(kept);
    const notKept = frames.length - kept.length + run.ring.dropped;
    if (notKept > 0 || clipped > 0) {
      this.broadcast({
        type: "notice",
        level: "warn",
        message: `${label}: kept ${run.ring.size} of ${frames.length} frames${notKept ? ` (the oldest ${notKept} are over the ring's ${this.options.ringFrames}-frame / ${this.options.ringBytes}-byte limit)` : ""}${clipped ? `; ${clipped} frame(s) over the ${max}-byte line limit kept as a prefix` : ""}.`,
        hint: "An imported run is bounded like a live one.",
      });
    }
    for (const sub of this.subscribers) sub.viewRunId = run.id;
    void this.prune();
    return run;
  }

  get runsDir(): string {
    return path.join(this.options.dataDir, "runs");
  }

  /** Where replay_run writes its trace copies (server/evidence.ts). */
  private get tracesDir(): string {
    return path.join(this.options.dataDir, "traces");
  }

  async init(): Promise<void> {
    await mkdir(this.options.dataDir, { recursive: true, mode: 0o700 });
    // Homes of an earlier start are stale by definition: each run builds its own.
    await rm(this.runsDir, { recursive: true, force: true });
    await mkdir(this.runsDir, { recursive: true, mode: 0o700 });
    // Replay copies belong to runs of an earlier start, which are gone too.
    await rm(this.tracesDir, { recursive: true, force: true });
    this.disk.request();
    // Agents fill their homes while they run (Copilot unpacks ~240 MB): re-measure now and then.
    this.diskTimer = setInterval(() => {
      if (this.runs.some((r) => r.alive)) this.disk.request();
    }, DISK_EVERY_MS);
    this.diskTimer.unref();
    await this.profiles.init();
    this.browserShim = await BrowserShim.create((runId, open) => this.browserOpened(runId, open));
    this.refreshSecrets();
    const err = this.catalog.error;
    if (err) this.options.logger.warn(`agent catalog: ${err.message}${err.hint ? ` ${err.hint}` : ""}`);
    for (const view of this.catalog.views(childEnv(process.env).PATH).filter((v) => this.options.agentCommands?.some((a) => a.id === v.id))) {
      this.options.logger.info(`--agent-cmd ${view.id}: ${view.label}${view.problem ? ` — ${view.problem}` : ""}`);
    }
  }

  /** Every configured secret, for everything that leaves the server (frames, logs, exports). */
  redact = (text: string): string => this.redactor.redact(text);


  private refreshSecrets(): void {
    for (const secret of this.profiles.secrets()) this.everSecrets.add(secret);
    this.redactor = new Redactor([...this.everSecrets]);
    this.options.logger.setRedactor(this.redact);
  }

  serverInfo(): ServerInfo {
    return {
      version: this.options.version,
      dataDir: this.options.dataDir,
      defaultCwd: this.options.defaultCwd,
      modelServerUrl: this.options.modelServerUrl,
      limits: { ringFrames: this.options.ringFrames, maxLineBytes: this.options.maxLineBytes },
    };
  }

  // ── tabs ────────────────────────────────────────────────────────────────

  attach(sink: Sink): { command(cmd: ClientCommand): Promise<void>; detach(): void } {
    const sub = new Subscriber(sink);
    this.subscribers.add(sub);
    sub.viewRunId = this.current?.id ?? this.runs.at(-1)?.id;
    this.welcome(sub);
    this.schedule();
    return {
      command: (cmd) => this.command(sub, cmd),
      detach: () => {
        this.subscribers.delete(sub);
      },
    };
  }

  /** Everything a tab needs to start over: on attach, and after it lagged so far that events were skipped. */
  private welcome(sub: Subscriber): void {
    this.catalog.reload();
    sub.cursors.clear();
    sub.send({
      type: "hello",
      server: this.serverInfo(),
      catalog: this.catalog.views(childEnv(process.env).PATH),
      catalogError: this.catalogErrorText(),
      runs: this.runs.map((r) => r.summary),
      currentRunId: this.current?.id,
      viewRunId: sub.viewRunId,
      profiles: this.profiles.list(),
      activeProfileId: this.profiles.activeId,
      permissionPolicy: this.permissionPolicy,
      login: this.auth.state(),
      runsDisk: this.disk.current,
      validation: this.validation,
      faults: this.faults,
      matrix: this.evidence.matrixState,
    });
    // A reloaded tab gets the login terminal's recent output back, like the frame log.
    if (this.auth.loginScrollback) sub.send({ type: "login_output", data: this.auth.loginScrollback, reset: true });
    if (this.options.oauth) sub.send(this.oauthState());
  }

  /** The OAuth lab panel's view of the emulator. */
  private oauthState(): Extract<ServerEvent, { type: "oauth_state" }> {
    const oauth = this.options.oauth;
    return { type: "oauth_state", url: oauth ? oauth.oauthHost() : undefined, behaviour: oauth ? oauth.behaviour : DEFAULT_OAUTH_BEHAVIOUR, pending: oauth ? oauth.pendingDevices() : [] };
  }

  /**
   * "Expire the access token" / "revoke the refresh token" for the current run: its prefix is the
   * run that made its home (a restarted run keeps its home's tokens). Expiry is made real twice:
   * the token file's expires_at is set in the past (what Kimi reads to decide on a refresh) and
   * the emulator rejects the old access token (what a running agent that cached it meets).
   */
  private async oauthAction(sub: Subscriber, cmd: Extract<ClientCommand, { type: "oauth_action" }>): Promise<void> {
    const oauth = this.options.oauth;
    if (!oauth) throw new PlaygroundError("The OAuth emulator is not running.", "Start the playground without disabling it (--oauth-port).");
    if (cmd.action === "approve" || cmd.action === "deny") {
      if (!oauth.decide(cmd.userCode ?? "", cmd.action)) throw new PlaygroundError(`No pending device code ${cmd.userCode ?? ""}.`, "It may have expired or been decided already.");
      return;
    }
    const run = this.current;
    if (!run || run.summary.profileKind !== "kimi-oauth-emulated") throw new PlaygroundError("The current run does not use an OAuth (emulated) profile.", "Start Kimi with the profile \"OAuth (emulated)\" first.");
    const owner = this.homeOwner.get(run.id) ?? run.id;
    if (cmd.action === "revoke_refresh") {
      const n = oauth.revokeRefresh({ runTag: owner });
      sub.send({ type: "notice", level: "info", message: `Revoked ${n} refresh token(s) of ${owner}: the next refresh is answered invalid_grant.` });
      return;
    }
    const home = this.homes.get(run.id)?.KIMI_CODE_HOME;
    const file = home ? await expireTokenFile(home) : undefined;
    const n = oauth.expireAccess({ runTag: owner });
    sub.send({ type: "notice", level: "info", message: `Access token of ${owner} expired (${file ? `expires_at rewritten in ${path.basename(file)}` : "no token file found"}; ${n} token(s) now refused by the model API). The next prompt makes Kimi refresh.` });
  }

  private catalogErrorText(): string | undefined {
    const err = this.catalog.error;
    return err ? `${err.message}${err.hint ? ` ${err.hint}` : ""}` : undefined;
  }

  private broadcast(event: ServerEvent): void {
    if (this.subscribers.size === 0) return;
    // Encoded once for every tab, not once per tab.
    const text = encodeEvent(event);
    let lagged = false;
    for (const sub of this.subscribers) {
      sub.sendText(text);
      lagged ||= sub.lagged;
    }
    if (lagged) this.schedule();
  }

  private notice(sub: Subscriber | undefined, error: unknown): void {
    const e = error instanceof PlaygroundError ? error : undefined;
    const message = this.redact(e ? e.message : (error as Error).message ?? String(error));
    const event: ServerEvent = { type: "notice", level: "error", message, hint: e?.hint };
    this.options.logger.warn(`${message}${e?.hint ? ` (${e.hint})` : ""}`);
    if (sub) sub.send(event);
    else this.broadcast(event);
  }

  private schedule(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Send every tab what it has not seen yet, within a per-tick budget. */
  private flush(): void {
    for (const run of this.dirtyRuns) {
      // The run list names the outcome: the last answer that says whether the agent let the user in.
      if (!run.summary.imported) run.summary.lastAnswer = lastOutcomeAnswer(run.ring.since(Math.max(-1, run.lastSeq - OUTCOME_LOOKBACK), OUTCOME_LOOKBACK, Number.MAX_SAFE_INTEGER));
      this.broadcast({ type: "run", run: run.summary, current: run === this.current });
    }
    this.dirtyRuns.clear();
    let more = false;
    let lagging = false;
    let inFlight = 0;
    for (const sub of this.subscribers) inFlight += sub.sink.bufferedAmount;
    for (const sub of this.subscribers) {
      const buffered = sub.sink.bufferedAmount;
      const tight = inFlight > GLOBAL_IN_FLIGHT;
      if (buffered > HIGH_WATER || (tight && buffered > 0)) {
        lagging = true;
        continue;
      }
      if (sub.lagged) {
        // It missed events while far behind: start it over (its frames come again from the ring).
        sub.lagged = false;
        this.welcome(sub);
      }
      const run = this.runs.find((r) => r.id === sub.viewRunId);
      if (!run) continue;
      const cursor = sub.cursors.get(run.id) ?? -1;
      if (cursor >= run.lastSeq) continue;
      const first = run.ring.firstSeq ?? cursor + 1;
      const dropped = Math.max(0, first - cursor - 1);
      // since() returns at least one frame however large; the tab's copy of it is clipped to its budget.
      const frames = run.ring.since(cursor, BATCH_FRAMES, tight ? TIGHT_BATCH_BYTES : BATCH_BYTES).map((f) => clipForTab(f, tight ? TIGHT_FRAME_CHARS : TAB_FRAME_CHARS));
      if (frames.length === 0) continue;
      sub.cursors.set(run.id, frames[frames.length - 1].seq);
      sub.sendText(encodeFramesBatch({ type: "frames", runId: run.id, frames, reset: cursor === -1, dropped: dropped || undefined }));
      inFlight += sub.sink.bufferedAmount - buffered;
      if (frames[frames.length - 1].seq < run.lastSeq) more = true;
    }
    if (more) this.schedule();
    else if (lagging && !this.lagTimer) {
      this.lagTimer = setTimeout(() => {
        this.lagTimer = undefined;
        this.schedule();
      }, 20);
    }
  }

  // ── commands ────────────────────────────────────────────────────────────

  private async command(sub: Subscriber, cmd: ClientCommand): Promise<void> {
    try {
      switch (cmd.type) {
        case "start":
          await this.startRun(cmd.agentId, cmd.profileId, cmd.cwd);
          return;
        case "restart": {
          const last = this.current ?? this.runs.at(-1);
          if (!last) throw new PlaygroundError("Nothing to restart yet.", "Pick an agent and press Start.");
          // A restart is a new process in the same home (sessions survive); Start builds a fresh one.
          const sameProfile = last.summary.profileId === this.profiles.activeId && this.homes.has(last.id);
          await this.startRun(last.summary.agentId, undefined, last.summary.cwd, { reuseHomeOf: sameProfile ? last.id : undefined });
          return;
        }
        case "kill":
          if (!this.current?.alive) throw new PlaygroundError("No agent is running.");
          this.current.kill();
          return;
        case "send_raw":
          this.check(this.requireCurrent().sendRaw(cmd.text));
          return;
        case "request":
          this.check(this.requireCurrent().request(cmd.method, cmd.params));
          return;
        case "notify":
          this.check(this.requireCurrent().notify(cmd.method, cmd.params));
          return;
        case "respond":
          this.check(this.requireCurrent().respond(cmd.id, { result: cmd.result, error: cmd.error }));
          return;
        case "select_run": {
          if (!this.runs.some((r) => r.id === cmd.runId)) throw new PlaygroundError(`No run ${cmd.runId}; it may have been pruned.`);
          sub.viewRunId = cmd.runId;
          sub.cursors.delete(cmd.runId);
          this.schedule();
          return;
        }
        case "profile_select": {
          const profile = this.profiles.get(cmd.profileId);
          if (!profile) throw new ProfileError(`No profile "${cmd.profileId}".`, "Pick one from the profile list.");
          const restarted = await this.switchProfile(cmd.profileId, cmd.agentId);
          // Every tab says what happened: this one why it did (or did not) start a run, the others that it moved.
          const what = restarted ? `restarted ${restarted.summary.agentLabel} with it as ${restarted.id}` : "nothing was running, so no agent was started";
          sub.send({ type: "notice", level: "info", message: `Profile "${profile.name}": ${what}.`, hint: restarted ? undefined : "Press Start to run the picked agent with it." });
          for (const other of this.subscribers) {
            if (other !== sub) other.send({ type: "notice", level: "info", message: `Another tab switched the profile to "${profile.name}"${restarted ? ` and ${what}; this tab now shows ${restarted.id}` : ""}.` });
          }
          return;
        }
        case "profile_save":
        case "profile_duplicate":
        case "profile_delete":
          // Answered to this tab (server/profile-commands.ts): the dialog shows the result or the refusal.
          sub.send(
            await profileCommand(this.profiles, cmd, {
              inUse: (id) => this.current?.alive === true && this.current.summary.profileId === id,
              changed: () => this.afterProfilesChanged(),
              removed: (id) => this.scrubHomesOf(id),
              redact: this.redact,
            }),
          );
          return;
        case "profile_preview": {
          try {
            const p = await previewProfile(cmd.draft, { modelServerUrl: this.options.modelServerUrl, store: this.profiles });
            sub.send({ type: "profile_preview", files: p.files, env: p.env });
          } catch (error) {
            sub.send({ type: "profile_preview", files: [], env: {}, error: (error as Error).message });
          }
          return;
        }
        case "login_start":
          await this.auth.startLogin(cmd.methodId, cmd.convention, cmd.cols, cmd.rows);
          return;
        case "auth_env_start":
          await this.auth.envVarAuthenticate(cmd.methodId, cmd.values);
          return;
        case "auth_key_start":
          await this.auth.keyAuthenticate(cmd.methodId, cmd.apiKey, cmd.gateway);
          return;
        case "login_input":
          this.checkLine(cmd.data);
          this.auth.input(cmd.data);
          return;
        case "login_resize":
          this.auth.resize(cmd.cols, cmd.rows);
          return;
        case "login_cancel":
          this.auth.cancel();
          return;
        case "oauth_behaviour":
          if (!this.options.oauth) throw new PlaygroundError("The OAuth emulator is not running.");
          this.options.oauth.behaviour = cmd.behaviour;
          return;
        case "oauth_action":
          await this.oauthAction(sub, cmd);
          return;
        case "login_check": {
          const result = this.auth.checkLogins();
          if (result) sub.send(result);
          return;
        }
        case "flow":
          await this.auth.flow(cmd.mode, cmd.agentId, cmd.cwd, cmd.caps, cmd.protocolVersion);
          return;
        case "conformance_run":
          await this.conformanceChecker().run(cmd.agentId, cmd.protocolVersion);
          return;
        case "adv_diff":
          await this.auth.advertisementDiff(cmd.agentId, cmd.cwd, this.current?.id, cmd.protocolVersion);
          return;
        case "set_permission_policy":
          this.permissionPolicy = cmd.policy;
          if (this.current) this.clientMethods.get(this.current)?.setPermissionPolicy(cmd.policy);
          this.broadcast({ type: "permission_policy", policy: cmd.policy });
          return;
        case "import_trace":
          this.evidence.importTrace(cmd.text, cmd.name);
          return;
        case "replay_run": {
          const id = await this.evidence.replayRun(cmd.runId);
          this.broadcast({ type: "catalog", catalog: this.catalog.views(childEnv(process.env).PATH), catalogError: this.catalogErrorText() });
          this.broadcast({ type: "notice", level: "info", message: `Added agent "${id}": it plays back ${cmd.runId}'s agent side.`, hint: "Pick it in the agent list and press Start. A replay is evidence, not a program: the playground runs no command, reads or writes no file and runs no login for it." });
          return;
        }
        case "matrix_run":
          await this.evidence.runMatrix(cmd.agentIds, cmd.profileIds, cmd.timeoutMs, cmd.prompt, cmd.protocolVersion);
          return;
        case "matrix_cancel":
          this.evidence.cancelMatrix();
          return;
        case "clear_runs":
          await this.clearRuns();
          return;
        case "matrix_open": {
          // A cell opened before is shown again in its run (no new run per click).
          const run = this.evidence.openMatrixCell(cmd.index);
          sub.viewRunId = run.id;
          sub.cursors.delete(run.id);
          this.schedule();
          return;
        }
        case "set_validation":
          if (cmd.unstable !== this.validation.unstable) this.checker = undefined;
          this.validation = { enabled: cmd.enabled, unstable: cmd.unstable };
          this.broadcast({ type: "validation", ...this.validation });
          return;
        case "set_faults":
          this.setFaults(cmd.faults);
          return;
        case "elicitation_answer":
          this.answerElicitation(cmd);
          return;
        case "providers_set":
          this.providersSet(cmd);
          return;
        case "profile_check": {
          const profile = this.profiles.get(cmd.profileId);
          if (!profile) throw new ProfileError(`No profile "${cmd.profileId}".`);
          const runId = `check-${Date.now().toString(36)}`;
          const slot = await this.slots.wait("check", { timeoutMs: SLOT_WAIT_MS });
          try {
            const home = await materialize(profile, { runsDir: this.runsDir, runId, modelServerUrl: this.options.modelServerUrl, oauth: this.options.oauth });
            const result = await runDoctor(home.home, home.env);
            sub.send({ type: "profile_check", profileId: cmd.profileId, ok: result.ok, exitCode: result.exitCode, output: this.redact(result.output) });
          } finally {
            slot.release();
            await rm(path.join(this.runsDir, runId), { recursive: true, force: true });
          }
          return;
        }
      }
    } catch (error) {
      this.notice(sub, error);
    }
  }

  private setFaults(faults: FaultConfig): void {
    this.faults = faults;
    if (this.junkTimer) clearInterval(this.junkTimer);
    this.junkTimer = undefined;
    if (faults.enabled && faults.junkEveryMs > 0) {
      this.junkTimer = setInterval(() => {
        if (this.current?.alive) this.current.injectJunk();
      }, faults.junkEveryMs);
      this.junkTimer.unref();
    }
    this.broadcast({ type: "faults", faults });
    this.options.logger.info(`fault injection ${faults.enabled ? `on: ${JSON.stringify(faults)}` : "off"}`);
  }

  private afterProfilesChanged(): void {
    this.refreshSecrets();
    this.broadcast({ type: "profiles", profiles: this.profiles.list(), activeProfileId: this.profiles.activeId });
  }

  private requireCurrent(): Run {
    if (!this.current) throw new PlaygroundError("No agent has been started yet.", "Pick an agent and press Start.");
    return this.current;
  }

  /** Keystrokes and lines from a tab obey the same line limit as the agent's output. */
  private checkLine(text: string): void {
    const problem = lineLimitProblem(text, this.options.maxLineBytes);
    if (problem) throw new LimitError(problem, "Nothing was sent. Send less at once, or restart the server with a larger --max-line-bytes.");
  }

  private check(result: { ok: boolean; error?: string }): void {
    if (!result.ok) throw new PlaygroundError(result.error ?? "failed");
  }

  // ── runs ────────────────────────────────────────────────────────────────

  /**
   * Start a run: one at a time, each after the one before it has finished starting (and the run it
   * replaced has exited), within the --max-agents budget.
   */
  startRun(agentId: string, profileId?: string, cwdIn?: string, opts: { reuseHomeOf?: string; extraEnv?: Record<string, string> } = {}): Promise<Run> {
    const started = this.startQueue.then(() => this.startRunNow(agentId, profileId, cwdIn, opts));
    this.startQueue = started.catch(() => undefined);
    return started;
  }

  /**
   * One click: switching a profile restarts a running agent in a fresh home built from it. Decided
   * in the start queue, at its turn: a start sent at the same moment has launched (and is the one
   * restarted) or not, and an agent the user killed stays killed (issue 12 §4).
   */
  private switchProfile(profileId: string, pickedAgentId?: string): Promise<Run | undefined> {
    const switched = this.startQueue.then(async () => {
      await this.profiles.setActive(profileId);
      this.broadcast({ type: "profiles", profiles: this.profiles.list(), activeProfileId: this.profiles.activeId });
      const running = this.current?.alive ? this.current : undefined;
      // The agent picked in the page, so the picker and the running agent agree (issue 14 §1).
      return running ? this.startRunNow(pickedAgentId ?? running.summary.agentId, profileId, running.summary.cwd, {}) : undefined;
    });
    this.startQueue = switched.catch(() => undefined);
    return switched;
  }

  private async startRunNow(agentId: string, profileId: string | undefined, cwdIn: string | undefined, opts: { reuseHomeOf?: string; extraEnv?: Record<string, string> }): Promise<Run> {
    const entry = this.catalog.get(agentId);
    const pid = profileId ?? this.profiles.activeId;
    const profile = this.profiles.get(pid);
    if (!profile) throw new ProfileError(`No profile "${pid}".`, "Pick one from the profile list, or create it first.");
    if (profileId && profileId !== this.profiles.activeId) {
      await this.profiles.setActive(profileId);
      this.broadcast({ type: "profiles", profiles: this.profiles.list(), activeProfileId: this.profiles.activeId });
    }
    // Refuse before killing anything; the run this one replaces does not count against the limit.
    const replaced = this.current?.alive ? this.current : undefined;
    this.slots.check(replaced ? 1 : 0);
    if (replaced) {
      replaced.kill();
      await settleWithin(replaced.done, REPLACE_WAIT_MS);
    }
    const slot = this.slots.take("run");
    let run: Run;
    let prepared: Prepared;
    try {
      ({ run, prepared } = await this.createListedRun(entry, profile, cwdIn, opts));
    } catch (error) {
      slot.release();
      throw error;
    }
    // The slot is free again only when the process is gone (or never started).
    void run.done.then(() => slot.release());
    // The home's baseline, before the spawn; awaited before the check below, so nothing awaits between that check and the launch.
    await this.watchLanes(run, prepared);
    // A run pruned (or replaced) while this start awaited never launches: nobody could see or stop it.
    if (!this.runs.includes(run) || this.current !== run) {
      run.failBeforeSpawn({ event: "spawn_error", message: "Not started: the run was pruned or replaced before its agent launched." });
      return run;
    }
    this.launch(run, prepared);
    this.dirtyRuns.add(run);
    this.schedule();
    return run;
  }

  /**
   * The Home and Agent-log lanes (issue #13): the run's home watched from before the agent starts
   * (so every file it writes is a `create`) until it has exited (a last look, then no more).
   */
  private async watchLanes(run: Run, prepared: Prepared): Promise<void> {
    if (prepared.failure) return;
    try {
      const watcher = await watchRunHome(run, prepared.env);
      if (watcher) void run.done.then(() => watcher.stop());
    } catch (error) {
      this.options.logger.warn(`${run.id}: the home lane is off: ${this.redact((error as Error).message)}`);
    }
  }

  /**
   * One HTTP request an agent made to the model server or the OAuth emulator, recorded on the run
   * its `/run/<tag>` prefix names: the run itself or, when a later run reuses its home (restart,
   * reconnect after a login), the newest run living in that home. Requests without a tag, or for
   * a run no longer listed, are not recorded anywhere.
   */
  recordHop = (tag: string | undefined, hop: HttpHopEvent): void => {
    // Issued tokens are secrets from this moment, whether or not a run records the hop.
    const issued = (hop.issued ?? []).filter((v) => typeof v === "string" && v.length > 0);
    if (issued.length) this.addSecrets(issued);
    if (!tag) return;
    let target: Run | undefined;
    for (const run of this.runs) if (run.id === tag || this.homeOwner.get(run.id) === tag) target = run;
    if (target) {
      target.recordHop(hop);
      return;
    }
    // The run's home is being prepared (the emulated profile's real `kimi login` runs before the
    // run is listed): held, bounded, and recorded right after the run's divider (flushEarlyHops).
    const n = /^run-\d+$/.test(tag) ? Number(tag.slice(4)) : Number.NaN;
    if (!(n > this.runCounter - EARLY_HOP_RUNS && n <= this.runCounter)) return;
    const held = this.earlyHops.get(tag) ?? [];
    if (held.length < EARLY_HOPS_MAX) held.push(hop);
    this.earlyHops.set(tag, held);
  };

  /** Hops a run made before it was listed (its home's login), now recorded on it, in order. */
  private flushEarlyHops(runId: string): void {
    const held = this.earlyHops.get(runId);
    this.earlyHops.delete(runId);
    // Tags of runs that will never be listed (their start failed) go too.
    for (const tag of this.earlyHops.keys()) if (Number(tag.slice(4)) <= this.runCounter - EARLY_HOP_RUNS) this.earlyHops.delete(tag);
    const run = this.runs.find((r) => r.id === runId);
    if (held && run) for (const hop of held) run.recordHop({ ...hop, issued: undefined });
  }

  /** Values that become secrets of the redactor at once (issued tokens, typed keys); kept until the server stops. */
  private addSecrets(values: readonly string[]): void {
    for (const value of values) if (value.length > 0) this.everSecrets.add(value);
    this.redactor = new Redactor([...this.everSecrets]);
  }

  /** Prepare the home, build the run with its client-method server, list it as current and prune. */
  private async createListedRun(entry: CatalogEntry, profile: StoredProfile, cwdIn: string | undefined, opts: { reuseHomeOf?: string; extraEnv?: Record<string, string> }): Promise<{ run: Run; prepared: Prepared }> {
    const runId = `run-${++this.runCounter}`;
    const prepared = await this.prepare(entry, profile, runId, cwdIn, opts.reuseHomeOf);
    // An env_var auth method's values (auth-flows.ts checked the names against the env policy):
    // for this process only, never stored with the home.
    if (opts.extraEnv && !prepared.failure) prepared.env = { ...prepared.env, ...opts.extraEnv };
    const clientMethods = new ClientMethodServer({
      redact: this.redact,
      // Commands the agent runs (terminal/create) get the allowlist of the agent's env: its run HOME.
      terminals: { baseEnv: prepared.env },
      events: {
        fsWrite: (e) => this.broadcast({ type: "fs_write", runId, ...e }),
        terminalCreated: (e) => this.broadcast({ type: "client_terminal", runId, terminalId: e.terminalId, argv: e.argv, cwd: e.cwd }),
        terminalOutput: (e) => this.broadcast({ type: "client_terminal", runId, terminalId: e.terminalId, data: e.data }),
        terminalExit: (e) => this.broadcast({ type: "client_terminal", runId, terminalId: e.terminalId, exitCode: e.exitCode, signal: e.signal, exited: true }),
      },
      // A replayed trace is evidence, not a program: the relay runs and writes nothing for it.
      replay: entry.replay !== undefined ? new ReplayRecording(entry.replay) : undefined,
    });
    clientMethods.setPermissionPolicy(this.permissionPolicy);
    const run = this.createRun(entry, profile, runId, prepared, {
      beforeSpawn: () => this.flushEarlyHops(runId),
      serveClientMethod: (method, params, id) => clientMethods.serve(method, params, id),
      observe: (dir, kind, value) => clientMethods.observe(dir, kind, value),
      onEnd: () => clientMethods.dispose(),
    });
    this.clientMethods.set(run, clientMethods);
    if (opts.reuseHomeOf) run.summary.homeFrom = opts.reuseHomeOf;
    this.homeOwner.set(runId, (opts.reuseHomeOf && this.homeOwner.get(opts.reuseHomeOf)) || runId);
    this.runs.push(run);
    const previous = this.current;
    this.current = run;
    // A terminal login belongs to its run: it ends with it, and a new run never shows its result.
    this.auth.runBecameCurrent(run.id, opts.reuseHomeOf);
    void run.done.then(() => {
      this.auth.runEnded(run.id);
      this.disk.request();
    });
    if (previous) this.dirtyRuns.add(previous);
    for (const sub of this.subscribers) sub.viewRunId = run.id;
    await this.prune();
    return { run, prepared };
  }

  /** Resolve the command, check the cwd and build the home: everything a spawn needs, or why not. */
  private async prepare(entry: CatalogEntry, profile: StoredProfile, runId: string, cwdIn: string | undefined, reuseHomeOf?: string): Promise<Prepared> {
    const searchPath = childEnv(process.env).PATH;
    // The browser's cwd must be an existing absolute directory; it is never resolved against the server's cwd.
    let cwd = cwdIn?.trim() ? cwdIn : this.options.defaultCwd;
    try {
      cwd = userDirectory(cwd);
    } catch (error) {
      const e = error as PlaygroundError;
      return { cwd, env: {}, failure: { message: e.message, hint: e.hint, event: "spawn_error" } };
    }
    try {
      const resolved = this.catalog.resolve(entry, searchPath);
      let homeEnv = reuseHomeOf ? this.homes.get(reuseHomeOf) : undefined;
      if (!homeEnv) {
        try {
          // The run's own prefix on the model server names it on every request (the HTTP lane, issue #13).
          const modelServerUrl = this.options.modelServerUrl ? runScopedUrl(this.options.modelServerUrl, runId) : undefined;
          homeEnv = (await materialize(profile, { runsDir: this.runsDir, runId, modelServerUrl, agentHomeEnv: agentHomeEnv(entry), oauth: this.options.oauth, kimiMain: kimiMainOf(entry) })).env;
        } catch (error) {
          const e = error as PlaygroundError;
          return { cwd, env: {}, failure: { message: `Profile "${profile.name}" could not be prepared: ${e.message}`, hint: e.hint, event: "spawn_error" } };
        }
      }
      // The reference agent's URL sign-in talks to the OAuth lab's emulator under the run's own prefix.
      if (entry.oauthLab && this.options.oauth) homeEnv = { ...homeEnv, KIMI_CODE_OAUTH_HOST: this.options.oauth.oauthHost(runId) };
      this.homes.set(runId, homeEnv);
      // The profile's variables pass the env policy again here, so an older profile file cannot bypass it.
      const browser = this.browserShim ? { binDir: this.browserShim.binDir, vars: await this.browserShim.open(runId, { listen: runId.startsWith("run-") }) } : undefined;
      return { cwd, resolved, env: agentEnv(process.env, entry.env, { kind: profile.kind, env: homeEnv }, browser) };
    } catch (error) {
      const e = error as PlaygroundError;
      return { cwd, env: {}, failure: { message: e.message, hint: e.hint, event: e.name === "RuntimeMissingError" ? "runtime_missing" : "spawn_error" } };
    }
  }

  /** A Run wired to this hub's limits, redactor and listener; not yet started or listed. */
  private createRun(entry: CatalogEntry, profile: StoredProfile, runId: string, prepared: Prepared, extra: Partial<RunOptions>, listener?: RunListener): Run {
    const file = prepared.resolved?.file ?? entry.command;
    const args = prepared.resolved?.args ?? entry.args;
    return new Run(
      {
        runId,
        agentId: entry.id,
        agentLabel: entry.label,
        profileId: profile.id,
        profileName: profile.name,
        cwd: prepared.cwd,
        spawn: { file, args, cwd: prepared.cwd, env: prepared.env },
        runtimeVersion: prepared.resolved?.runtimeVersion,
        limits: { maxFrames: this.options.ringFrames, maxBytes: this.options.ringBytes, maxLineBytes: this.options.maxLineBytes },
        redact: this.redact,
        serveClientMethod: (method) => ({ error: { code: -32601, message: "Method not found", data: { method } } }),
        schemaCheck: this.schemaCheck,
        faults: new FaultInjector(() => this.faults),
        addSecrets: (values) => this.addSecrets(values),
        summaryExtra: {
          agentVersion: entry.version,
          kimi: entry.kimi,
          // From the catalog entry the relay built, never from a trace or the browser.
          replay: entry.replay !== undefined ? true : undefined,
          profileKind: profile.kind,
          profileSources: this.profiles.view(profile.id)?.sources ?? [],
          argv: [file, ...args].map(this.redact),
        },
        ...extra,
      },
      listener ?? {
        frames: () => this.schedule(),
        state: (r) => {
          this.dirtyRuns.add(r);
          this.schedule();
        },
      },
    );
  }

  private launch(run: Run, prepared: Prepared): void {
    if (prepared.failure) {
      run.failBeforeSpawn({ event: prepared.failure.event, message: prepared.failure.message, hint: prepared.failure.hint });
      this.notice(undefined, new PlaygroundError(prepared.failure.message, prepared.failure.hint));
    } else {
      this.options.logger.info(`${run.id}: starting ${run.summary.agentId} with profile "${run.summary.profileName}" in ${run.summary.cwd}`);
      run.start();
    }
  }

  // ── auth: terminal login, flows, advertisement diff ─────────────────────

  private loginHost(): AuthHost {
    return {
      current: () => this.current,
      startRun: (agentId, cwd, reuseHomeOf, extraEnv) => this.startRun(agentId, undefined, cwd, { reuseHomeOf, extraEnv }),
      addSecrets: (values) => this.addSecrets(values),
      emit: (event) => this.broadcast(event),
      markDirty: (run) => {
        this.dirtyRuns.add(run);
        this.schedule();
      },
      redactor: () => this.redactor,
      logger: this.options.logger,
      scratchRun: (agentId, cwd, n) => this.scratchRun(agentId, cwd, n),
      kimiOAuthHost: (run) => {
        const host = this.options.kimiOAuthHost;
        if (!host) return undefined;
        try {
          return this.catalog.get(run.summary.agentId).kimi ? host : undefined;
        } catch {
          return undefined;
        }
      },
    };
  }

  /** A throwaway run for the advertisement diff: fresh home, not listed, removed afterwards. */
  private async scratchRun(agentId: string, cwd: string | undefined, n: number): Promise<{ run: Run; cleanup: () => Promise<void> }> {
    const entry = this.catalog.get(agentId);
    const profile = this.profiles.activeProfile;
    if (!profile) throw new ProfileError("No active profile.");
    const runId = `scratch-${Date.now().toString(36)}-${n}`;
    const slot = await this.slots.wait("scratch", { timeoutMs: SLOT_WAIT_MS });
    let run: Run;
    try {
      const prepared = await this.prepare(entry, profile, runId, cwd);
      if (prepared.failure) throw new PlaygroundError(prepared.failure.message, prepared.failure.hint);
      run = this.createRun(entry, profile, runId, prepared, {}, { frames: () => undefined, state: () => undefined });
    } catch (error) {
      slot.release();
      this.homes.delete(runId);
      await rm(path.join(this.runsDir, runId), { recursive: true, force: true });
      throw error;
    }
    void run.done.then(() => slot.release());
    run.start();
    return {
      run,
      cleanup: async () => {
        run.kill();
        await run.done;
        this.homes.delete(runId);
        await rm(path.join(this.runsDir, runId), { recursive: true, force: true });
        this.disk.request();
      },
    };
  }

  /** Clear in the run list: every run but the current live one goes, as pruning would take it. */
  private async clearRuns(): Promise<void> {
    const keep = this.current?.alive ? this.current : undefined;
    const gone = this.runs.filter((r) => r !== keep);
    // An ended current run goes too: nothing is current until the next Start.
    if (!keep) this.current = undefined;
    await this.dropRuns(gone);
    this.broadcast({ type: "runs_removed", runIds: gone.map((r) => r.id) });
    for (const sub of this.subscribers) {
      if (this.runs.some((r) => r.id === sub.viewRunId)) continue;
      // A tab that viewed a cleared run now views the running one, from its first frame.
      sub.viewRunId = keep?.id;
      if (keep) sub.cursors.delete(keep.id);
    }
    this.schedule();
  }

  private async prune(): Promise<void> {
    const over = this.runs.slice(0, Math.max(0, this.runs.length - this.options.keepRuns));
    await this.dropRuns(over);
    if (over.length > 0) this.broadcast({ type: "runs_removed", runIds: over.map((r) => r.id) });
  }

  /** Unlist runs, killing what still runs and removing homes no later run lives in. */
  private async dropRuns(runs: readonly Run[]): Promise<void> {
    for (const old of runs) {
      if (!this.runs.includes(old)) continue;
      this.runs.splice(this.runs.indexOf(old), 1);
      this.dirtyRuns.delete(old);
      old.kill();
      this.clientMethods.delete(old);
      // A later run may live in this run's home (restart, reconnect after a login): keep it then.
      const owner = this.homeOwner.get(old.id) ?? old.id;
      this.homes.delete(old.id);
      this.homeOwner.delete(old.id);
      await this.removeTracesOf(old.id);
      if ([...this.homeOwner.values()].includes(owner)) continue;
      // The whole run directory goes: the profile's files and every cache the agent wrote under HOME.
      await rm(path.join(this.runsDir, owner), { recursive: true, force: true });
      this.disk.request();
    }
  }

  /** replay_run's copies of a run (`<runId>-<stamp>.jsonl`) go with the run. */
  private async removeTracesOf(runId: string): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.tracesDir);
    } catch {
      return;
    }
    for (const name of names) if (name.startsWith(`${runId}-`)) await rm(path.join(this.tracesDir, name), { force: true });
    // Its replay entry (server/evidence.ts replayRun) would only fail now: it goes too.
    if (this.catalog.removeEphemeral(`replay-${runId}`)) {
      this.broadcast({ type: "catalog", catalog: this.catalog.views(childEnv(process.env).PATH), catalogError: this.catalogErrorText() });
    }
  }

  /**
   * A deleted profile's homes: every run home materialized from it is removed (its secrets are on
   * disk there), and reconnects can no longer reuse it. The running agent's profile cannot be
   * deleted (the caller refuses that), so what is scrubbed is only homes of runs that ended, or
   * are ending after a kill: those get a bounded wait for their exit first.
   */
  private async scrubHomesOf(profileId: string): Promise<void> {
    const runs = this.runs.filter((r) => r.summary.profileId === profileId && this.homeOwner.has(r.id));
    await Promise.all(runs.map((r) => settleWithin(r.done, REPLACE_WAIT_MS)));
    const owners = new Set(runs.map((r) => this.homeOwner.get(r.id) ?? r.id));
    for (const r of runs) this.homes.delete(r.id);
    for (const owner of owners) await rm(path.join(this.runsDir, owner), { recursive: true, force: true });
  }

  /** A URL the agent of `runId` asked its browser shim to open: a card on that run, never a browser here. */
  private browserOpened(runId: string, open: BrowserOpen): void {
    this.runs.find((r) => r.id === runId)?.recordBrowserOpen(open.via, open.url);
  }

  /** The answer to an elicitation, checked against its request by the run's client-method server, then written. */
  private answerElicitation(cmd: Extract<ClientCommand, { type: "elicitation_answer" }>): void {
    const run = this.requireCurrent();
    const methods = this.clientMethods.get(run);
    if (!methods) throw new PlaygroundError("This run has no client side to answer from.");
    const result = methods.answerElicitation(cmd.id, cmd.action, cmd.content);
    this.check(run.respond(cmd.id, { result }));
  }

  /**
   * providers/set composed here: every header value becomes a secret of the redactor before the
   * frame exists, so the log, stderr, the agent's files, logs and exports show it redacted.
   */
  private providersSet(cmd: Extract<ClientCommand, { type: "providers_set" }>): void {
    const run = this.requireCurrent();
    const short = Object.entries(cmd.headers).filter(([, v]) => v.length < 4 && v.length > 0);
    if (short.length > 0) throw new PlaygroundError(`Header ${short.map(([k]) => k).join(", ")}: values under 4 characters cannot be redacted reliably, so they are not sent.`, "Header values are treated as secrets.");
    this.addSecrets(Object.values(cmd.headers));
    this.check(run.request("providers/set", { providerId: cmd.providerId, apiType: cmd.apiType, baseUrl: cmd.baseUrl, headers: cmd.headers }));
  }

  /**
   * Kill every agent, login terminal and client terminal; called on SIGINT/SIGTERM. Resolves once
   * the agents have exited (or `graceMs` passed) and every process any run left behind has been
   * swept: the relay exits right after, so no kill may be left to a timer or a pending scan (on a
   * loaded machine a /proc scan takes long enough for a plain exit to leave `sleep`s behind).
   */
  async shutdown(graceMs: number): Promise<void> {
    void this.browserShim?.dispose();
    this.auth.cancel();
    this.disk.dispose();
    if (this.diskTimer) clearInterval(this.diskTimer);
    // Runs that ended earlier were swept when their agent exited; only the live ones need it now.
    const live = this.runs.filter((r) => r.alive);
    const terminals: Promise<void>[] = [];
    for (const run of this.runs) {
      run.kill();
      const methods = this.clientMethods.get(run);
      if (methods) terminals.push(methods.dispose());
    }
    await Promise.all([...terminals, settleWithin(Promise.all(live.map((r) => r.done)), graceMs)]);
    await Promise.all(live.map((r) => r.sweepNow()));
  }

}

/** Wait for `promise`, but no longer than `ms`. */
function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  return Promise.race([promise.then(() => undefined), new Promise<void>((resolve) => setTimeout(resolve, ms).unref())]);
}

