/**
 * The relay's state: the catalog, the profiles, the runs (one current, earlier ones browsable) and
 * the attached browser tabs. Frames reach tabs batched per tick, pulled from each run's ring by a
 * per-tab cursor, so a slow tab never makes the server buffer more than the ring holds and a
 * reloaded tab simply starts its cursor at zero.
 */
import { existsSync, statSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { Redactor } from "../lib/redact";
import type { ClientCommand, Frame, ServerEvent, ServerInfo } from "../lib/wire";
import { type CatalogEntry, Catalog } from "./catalog";
import { childEnv } from "./child-env";
import { PlaygroundError, ProfileError } from "./errors";
import type { Logger } from "./logger";
import { materialize, previewProfile, ProfileStore, runDoctor } from "./profiles";
import { type ClientMethodOutcome, Run } from "./run";

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
  logger: Logger;
}

/** Where a tab's events go; the WebSocket in production, an array in tests. */
export interface Sink {
  send(data: string): void;
  readonly bufferedAmount: number;
}

const BATCH_FRAMES = 5000;
const BATCH_BYTES = 4 << 20;
/** Above this many unsent bytes a tab is lagging: stop feeding it until it drains. */
const HIGH_WATER = 16 << 20;

class Subscriber {
  viewRunId?: string;
  /** Per run: the last seq this tab has. */
  readonly cursors = new Map<string, number>();
  constructor(readonly sink: Sink) {}

  send(event: ServerEvent): void {
    this.sink.send(JSON.stringify(event));
  }
}

export class Hub {
  readonly catalog: Catalog;
  readonly profiles: ProfileStore;
  private readonly runs: Run[] = [];
  private current?: Run;
  private readonly subscribers = new Set<Subscriber>();
  private redactor = new Redactor([]);
  private flushScheduled = false;
  private lagTimer?: NodeJS.Timeout;
  private readonly dirtyRuns = new Set<Run>();
  private runCounter = 0;

  constructor(private readonly options: HubOptions) {
    this.catalog = new Catalog(options.dataDir);
    this.profiles = new ProfileStore(options.dataDir);
  }

  get runsDir(): string {
    return path.join(this.options.dataDir, "runs");
  }

  async init(): Promise<void> {
    await mkdir(this.options.dataDir, { recursive: true, mode: 0o700 });
    // Homes of an earlier start are stale by definition: each run builds its own.
    await rm(this.runsDir, { recursive: true, force: true });
    await mkdir(this.runsDir, { recursive: true, mode: 0o700 });
    await this.profiles.init();
    this.refreshSecrets();
    const err = this.catalog.error;
    if (err) this.options.logger.warn(`agent catalog: ${err.message}${err.hint ? ` ${err.hint}` : ""}`);
  }

  /** Every configured secret, for everything that leaves the server (frames, logs, exports). */
  redact = (text: string): string => this.redactor.redact(text);

  private refreshSecrets(): void {
    this.redactor = new Redactor(this.profiles.secrets());
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
    this.catalog.reload();
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
    });
    this.schedule();
    return {
      command: (cmd) => this.command(sub, cmd),
      detach: () => {
        this.subscribers.delete(sub);
      },
    };
  }

  private catalogErrorText(): string | undefined {
    const err = this.catalog.error;
    return err ? `${err.message}${err.hint ? ` ${err.hint}` : ""}` : undefined;
  }

  private broadcast(event: ServerEvent): void {
    for (const sub of this.subscribers) sub.send(event);
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
    for (const run of this.dirtyRuns) this.broadcast({ type: "run", run: run.summary, current: run === this.current });
    this.dirtyRuns.clear();
    let more = false;
    let lagging = false;
    for (const sub of this.subscribers) {
      const run = this.runs.find((r) => r.id === sub.viewRunId);
      if (!run) continue;
      if (sub.sink.bufferedAmount > HIGH_WATER) {
        lagging = true;
        continue;
      }
      const cursor = sub.cursors.get(run.id) ?? -1;
      if (cursor >= run.lastSeq) continue;
      const first = run.ring.firstSeq ?? cursor + 1;
      const dropped = Math.max(0, first - cursor - 1);
      const frames = takeBatch(run.ring.since(cursor, BATCH_FRAMES));
      if (frames.length === 0) continue;
      sub.cursors.set(run.id, frames[frames.length - 1].seq);
      sub.send({ type: "frames", runId: run.id, frames, reset: cursor === -1, dropped: dropped || undefined });
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
          await this.startRun(last.summary.agentId, undefined, last.summary.cwd);
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
          await this.profiles.setActive(cmd.profileId);
          this.broadcast({ type: "profiles", profiles: this.profiles.list(), activeProfileId: this.profiles.activeId });
          const last = this.current ?? this.runs.at(-1);
          // One click: switching a profile restarts the agent in a fresh home built from it.
          if (last) await this.startRun(last.summary.agentId, cmd.profileId, last.summary.cwd);
          return;
        }
        case "profile_save":
          await this.profiles.save(cmd.draft);
          this.afterProfilesChanged();
          return;
        case "profile_duplicate":
          await this.profiles.duplicate(cmd.profileId);
          this.afterProfilesChanged();
          return;
        case "profile_delete": {
          if (this.current?.alive && this.current.summary.profileId === cmd.profileId) {
            throw new ProfileError("This profile is in use by the running agent.", "Kill the agent or switch to another profile first.");
          }
          await this.profiles.remove(cmd.profileId);
          this.afterProfilesChanged();
          return;
        }
        case "profile_preview": {
          try {
            const p = await previewProfile(cmd.draft, { modelServerUrl: this.options.modelServerUrl, store: this.profiles });
            sub.send({ type: "profile_preview", files: p.files, env: p.env });
          } catch (error) {
            sub.send({ type: "profile_preview", files: [], env: {}, error: (error as Error).message });
          }
          return;
        }
        case "profile_check": {
          const profile = this.profiles.get(cmd.profileId);
          if (!profile) throw new ProfileError(`No profile "${cmd.profileId}".`);
          const runId = `check-${Date.now().toString(36)}`;
          const home = await materialize(profile, { runsDir: this.runsDir, runId, modelServerUrl: this.options.modelServerUrl });
          try {
            const result = await runDoctor(home.home, home.env);
            sub.send({ type: "profile_check", profileId: cmd.profileId, ok: result.ok, exitCode: result.exitCode, output: this.redact(result.output) });
          } finally {
            await rm(path.join(this.runsDir, runId), { recursive: true, force: true });
          }
          return;
        }
      }
    } catch (error) {
      this.notice(sub, error);
    }
  }

  private afterProfilesChanged(): void {
    this.refreshSecrets();
    this.broadcast({ type: "profiles", profiles: this.profiles.list(), activeProfileId: this.profiles.activeId });
  }

  private requireCurrent(): Run {
    if (!this.current) throw new PlaygroundError("No agent has been started yet.", "Pick an agent and press Start.");
    return this.current;
  }

  private check(result: { ok: boolean; error?: string }): void {
    if (!result.ok) throw new PlaygroundError(result.error ?? "failed");
  }

  // ── runs ────────────────────────────────────────────────────────────────

  async startRun(agentId: string, profileId?: string, cwdIn?: string): Promise<Run> {
    const entry = this.catalog.get(agentId);
    const pid = profileId ?? this.profiles.activeId;
    const profile = this.profiles.get(pid);
    if (!profile) throw new ProfileError(`No profile "${pid}".`, "Pick one from the profile list, or create it first.");
    if (profileId && profileId !== this.profiles.activeId) {
      await this.profiles.setActive(profileId);
      this.broadcast({ type: "profiles", profiles: this.profiles.list(), activeProfileId: this.profiles.activeId });
    }
    if (this.current?.alive) this.current.kill();

    const runId = `run-${++this.runCounter}`;
    const cwd = path.resolve(cwdIn?.trim() || this.options.defaultCwd);
    const searchPath = childEnv(process.env).PATH;
    let spawnSpec: { file: string; args: string[]; runtimeVersion?: string } | undefined;
    let failure: { message: string; hint?: string; event: "spawn_error" | "runtime_missing" } | undefined;
    try {
      spawnSpec = this.catalog.resolve(entry, searchPath);
    } catch (error) {
      const e = error as PlaygroundError;
      failure = { message: e.message, hint: e.hint, event: e.name === "RuntimeMissingError" ? "runtime_missing" : "spawn_error" };
    }
    if (!failure && !isDirectory(cwd)) {
      failure = { message: `The working directory ${cwd} does not exist or is not a directory.`, hint: "Enter an existing absolute path.", event: "spawn_error" };
    }
    let env: Record<string, string> = {};
    if (!failure) {
      try {
        const home = await materialize(profile, { runsDir: this.runsDir, runId, modelServerUrl: this.options.modelServerUrl });
        env = childEnv(process.env, entry.env, home.env);
      } catch (error) {
        const e = error as PlaygroundError;
        failure = { message: `Profile "${profile.name}" could not be prepared: ${e.message}`, hint: e.hint, event: "spawn_error" };
      }
    }

    const run = new Run(
      {
        runId,
        agentId: entry.id,
        agentLabel: entry.label,
        profileId: profile.id,
        profileName: profile.name,
        cwd,
        spawn: { file: spawnSpec?.file ?? entry.command, args: spawnSpec?.args ?? entry.args, cwd, env },
        runtimeVersion: spawnSpec?.runtimeVersion,
        limits: { maxFrames: this.options.ringFrames, maxBytes: this.options.ringBytes, maxLineBytes: this.options.maxLineBytes },
        redact: this.redact,
        serveClientMethod: (method) => serveClientMethod(entry, method),
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
    const previous = this.current;
    this.current = run;
    if (previous) this.dirtyRuns.add(previous);
    for (const sub of this.subscribers) sub.viewRunId = run.id;
    await this.prune();
    if (failure) {
      run.failBeforeSpawn({ event: failure.event, message: failure.message, hint: failure.hint });
      this.notice(undefined, new PlaygroundError(failure.message, failure.hint));
    } else {
      this.options.logger.info(`${runId}: starting ${entry.id} with profile "${profile.name}" in ${cwd}`);
      run.start();
    }
    this.dirtyRuns.add(run);
    this.schedule();
    return run;
  }

  private async prune(): Promise<void> {
    while (this.runs.length > this.options.keepRuns) {
      const old = this.runs.shift();
      if (!old) break;
      old.kill();
      await rm(path.join(this.runsDir, old.id), { recursive: true, force: true });
    }
  }

  /** Kill every agent; called on SIGINT/SIGTERM. */
  shutdown(): void {
    for (const run of this.runs) run.kill();
  }

  async waitForAgents(timeoutMs: number): Promise<void> {
    await Promise.race([Promise.all(this.runs.map((r) => r.done)), new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
  }

  /** For tests and exports: the frames of a run. */
  framesOf(runId: string): Frame[] {
    return this.runs.find((r) => r.id === runId)?.ring.all() ?? [];
  }
}

/** Agent→client requests the playground answers itself; permission cards wait for the user. */
function serveClientMethod(_entry: CatalogEntry, method: string): ClientMethodOutcome {
  if (method === "session/request_permission") return { pending: true };
  return {
    error: {
      code: -32601,
      message: "Method not found",
      data: { method, note: "ACP Playground does not serve this client method yet; it answered automatically." },
    },
  };
}

function takeBatch(frames: Frame[]): Frame[] {
  let bytes = 0;
  for (let i = 0; i < frames.length; i++) {
    bytes += frames[i].raw.length;
    if (bytes > BATCH_BYTES && i > 0) return frames.slice(0, i);
  }
  return frames;
}

function isDirectory(p: string): boolean {
  try {
    return existsSync(p) && statSync(p).isDirectory();
  } catch {
    return false;
  }
}
