/**
 * One auth-matrix cell: spawn an agent with a profile, send `initialize` then `session/new`, kill
 * it, and say what happened as one verdict. It drives the same Run the UI uses, so a cell's frames
 * are exactly what the inspector would have recorded, and a CI failure can be opened as a trace.
 * Every probe gets a fresh home and working directory and removes both, whatever the outcome; an
 * existing home is always copied, never used in place, because a probe must not change anyone's
 * credentials.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { advertisedMethod, type AdvertisedMethod, type ProbeCell, type ProbeError, type Verdict } from "../lib/matrix-report";
import { Redactor } from "../lib/redact";
import { initializeParams } from "../lib/templates";
import { asProtocolVersion, authVerbs, type ProtocolVersion } from "../lib/version";
import type { ClientCaps, Frame } from "../lib/wire";
import { agentHomeEnv, Catalog, type CatalogEntry, type ResolvedCommand } from "./catalog";
import { agentEnv, childEnv } from "./child-env";
import { PlaygroundError } from "./errors";
import { homeSecrets, materialize, type StoredProfile, validateFields } from "./profiles";
import { Run, type RunListener } from "./run";

export type { ProbeCell, ProbeError, Verdict } from "../lib/matrix-report";

export const DEFAULT_PROBE_TIMEOUT_MS = 30_000;

/** What the probe advertises: both terminal-auth conventions, so agents show every auth method they have. */
export const PROBE_CAPS: ClientCaps = { fsRead: false, fsWrite: false, terminal: false, authTerminal: true, legacyTerminalAuth: true };

/** An existing agent home to copy, e.g. from `--profile-dir NAME=PATH`. */
export interface ExistingHomeProfile {
  existingHome: string;
  /** Shown in the matrix; defaults to the directory's name. */
  name?: string;
}

export interface ProbeOptions {
  agent: CatalogEntry;
  profile: StoredProfile | ExistingHomeProfile;
  /** The playground data dir: agents.json there names user agents (and their fix hints). */
  dataDir: string;
  /** Where the probe's fresh home goes (`<runsDir>/<runId>/home`); a private temp dir when omitted. */
  runsDir?: string;
  /** The offline model server, for profiles that point at it. */
  modelServerUrl?: string;
  /**
   * Where the agent process starts. Default: the session's fresh temp directory, as the UI does;
   * a command typed on a command line wants the caller's directory, so its relative paths work.
   */
  spawnCwd?: string;
  /** The whole cell, spawn to verdict. */
  timeoutMs?: number;
  redact: (text: string) => string;
  /** Aborting kills the agent at once; the cell ends as timed-out with detail "cancelled". */
  signal?: AbortSignal;
  /**
   * A prompt step after session/new (`--prompt`): session/prompt with this text, so gates that an
   * agent enforces only at prompt time (Claude: -32000 on session/prompt) show in the verdict.
   */
  prompt?: string;
  /** What initialize asks for (default 1); the probe then speaks the version the agent answers with. */
  protocolVersion?: ProtocolVersion;
}

export const RUN_LIMITS = { maxFrames: 100_000, maxBytes: 256 << 20, maxLineBytes: 64 << 20 };
/**
 * How long an agent gets after SIGTERM before the probe SIGKILLs what is left of its group. Longer
 * than AgentProcess's own 2 s escalation on purpose: Kimi runs the user's login shell (`bash -l`)
 * around session/new, and a shell killed with SIGKILL skips its exit traps; pyenv's rehash lock,
 * for one, then stays behind and stalls every later login shell. SIGTERM lets them clean up.
 */
export const TERM_GRACE_MS = 2_500;
/** SIGKILL cannot be ignored; this only bounds the wait for the exit event. */
export const EXIT_WAIT_MS = 5_000;
const DETAIL_MAX = 400;

type Outcome = { kind: "answer"; frame: Frame } | { kind: "exited" } | { kind: "timeout" } | { kind: "aborted" };

/** Relays the Run's frame callbacks to whoever waits for one particular answer. */
export class AnswerWatch implements RunListener {
  private cursor = -1;
  private waiting?: { requestSeq: number; resolve: (frame: Frame) => void };

  frames(run: Run): void {
    for (const frame of run.ring.since(this.cursor)) {
      this.cursor = frame.seq;
      const w = this.waiting;
      if (w && (frame.kind === "response" || frame.kind === "error") && frame.pairSeq === w.requestSeq) {
        this.waiting = undefined;
        w.resolve(frame);
      }
    }
  }

  state(): void {}

  answerTo(requestSeq: number): Promise<Frame> {
    return new Promise((resolve) => {
      this.waiting = { requestSeq, resolve };
    });
  }
}

export function asStoredProfile(profile: StoredProfile | ExistingHomeProfile): StoredProfile {
  if ("existingHome" in profile) {
    const fields = validateFields("existing-home", { path: profile.existingHome, inPlace: false });
    const name = profile.name ?? path.basename(String(fields.path));
    return { id: "existing-home", name, kind: "existing-home", builtin: false, fields, createdAt: 0, updatedAt: 0 };
  }
  if (profile.kind === "existing-home" && profile.fields.inPlace === true) return { ...profile, fields: { ...profile.fields, inPlace: false } };
  return profile;
}

export function parseMessage(frame: Frame): { result?: Record<string, unknown>; error?: ProbeError } {
  try {
    const msg = JSON.parse(frame.raw) as { result?: unknown; error?: { code?: unknown; message?: unknown; data?: unknown } };
    if (frame.kind === "error" && msg.error) {
      const e: ProbeError = { code: Number(msg.error.code), message: typeof msg.error.message === "string" ? msg.error.message : "" };
      if (msg.error.data !== undefined) e.data = msg.error.data;
      return { error: e };
    }
    return { result: typeof msg.result === "object" && msg.result !== null ? (msg.result as Record<string, unknown>) : {} };
  } catch {
    return { result: {} };
  }
}

function clip(text: string): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length > DETAIL_MAX ? `${oneLine.slice(0, DETAIL_MAX - 1)}…` : oneLine;
}

/**
 * What the agent wrote to stderr since `afterSeq`, as one line: Kimi explains a failed auth gate
 * only there, sometimes as one JSON line, sometimes as a multi-line inspect dump.
 */
export function stderrSince(frames: Frame[], afterSeq: number): string | undefined {
  const text = frames
    .filter((f) => f.seq > afterSeq && f.kind === "stderr")
    .map((f) => f.raw.trim())
    .filter(Boolean)
    .join(" ");
  return text || undefined;
}

/** What the agent streamed for a prompt: how many session/update notifications, and its message text. */
export function promptStream(frames: Frame[], afterSeq: number): { updates: number; text: string } {
  let updates = 0;
  let text = "";
  for (const f of frames) {
    if (f.seq <= afterSeq || f.dir !== "in" || f.kind !== "notification" || f.method !== "session/update") continue;
    updates++;
    try {
      const update = (JSON.parse(f.raw) as { params?: { update?: { sessionUpdate?: unknown; content?: { type?: unknown; text?: unknown } } } }).params?.update;
      if (update?.sessionUpdate === "agent_message_chunk" && update.content?.type === "text" && typeof update.content.text === "string") text += update.content.text;
    } catch {
      // A broken line is already a parse-error frame; it carries no text to show.
    }
  }
  return { updates, text: text.trim() };
}

export function exitText(run: Run): string {
  const s = run.summary;
  if (s.state === "failed") return `could not start: ${s.error ?? "unknown error"}`;
  return s.signal ? `the agent was killed by ${s.signal}` : `the agent exited with code ${s.exitCode}`;
}

export function waitDone(run: Run, ms: number): Promise<void> {
  return Promise.race([run.done, new Promise<void>((resolve) => setTimeout(resolve, ms).unref())]);
}

/** Kill whatever is left of the agent's process group (tools it started), even after it exited. */
export function sweepGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // ESRCH: the group is already empty.
  }
}

export async function probe(opts: ProbeOptions): Promise<ProbeCell> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const profile = asStoredProfile(opts.profile);
  // An existing home brings secrets no profile knows about; they must not reach the frames either.
  const homeRedactor = profile.kind === "existing-home" ? new Redactor(homeSecrets(String(profile.fields.path))) : undefined;
  const redact = homeRedactor ? (text: string) => opts.redact(homeRedactor.redact(text)) : opts.redact;
  const runId = `probe-${randomBytes(5).toString("hex")}`;
  let ownRunsDir: string | undefined;
  let cwd: string | undefined;
  const watch = new AnswerWatch();
  const started = performance.now();
  const cell: ProbeCell = {
    agent: { id: opts.agent.id, name: null, version: null, command: [opts.agent.command, ...opts.agent.args].map(redact) },
    profile: { name: profile.name, kind: profile.kind },
    initialize: { ok: false, ms: null, requestedProtocolVersion: opts.protocolVersion ?? 1, protocolVersion: null, authMethods: [] },
    sessionNew: { ok: false, ms: null },
    verdict: "crashed",
    ms: 0,
    frames: [],
  };
  let run: Run | undefined;
  const finish = (verdict: Verdict, detail?: string): void => {
    cell.verdict = verdict;
    cell.ms = Math.round(performance.now() - started);
    if (detail) cell.detail = clip(redact(detail));
  };

  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    if (opts.runsDir === undefined) ownRunsDir = await mkdtemp(path.join(tmpdir(), "acp-probe-"));
    const runsDir = opts.runsDir ?? (ownRunsDir as string);
    cwd = await mkdtemp(path.join(tmpdir(), "acp-probe-cwd-"));
    let resolved: ResolvedCommand | undefined;
    let failure: PlaygroundError | undefined;
    let env: Record<string, string> = {};
    /** The variables the profile itself supplies: only these can complete an env_var method. */
    let profileEnv: Record<string, string> = {};
    try {
      resolved = new Catalog(opts.dataDir).resolve(opts.agent, childEnv(process.env).PATH);
      cell.agent.command = [resolved.file, ...resolved.args].map(redact);
      const home = await materialize(profile, { runsDir, runId, modelServerUrl: opts.modelServerUrl, agentHomeEnv: agentHomeEnv(opts.agent) });
      // The same layering as a run's (server/child-env.ts): the probe's agent gets the probe's home, never the server user's.
      env = agentEnv(process.env, opts.agent.env, { kind: profile.kind, env: home.env });
      profileEnv = home.env;
    } catch (error) {
      failure = error instanceof PlaygroundError ? error : new PlaygroundError((error as Error).message);
    }
    run = new Run(
      {
        runId,
        agentId: opts.agent.id,
        agentLabel: opts.agent.label,
        profileId: profile.id,
        profileName: profile.name,
        cwd,
        spawn: { file: resolved?.file ?? opts.agent.command, args: resolved?.args ?? opts.agent.args, cwd: opts.spawnCwd ?? cwd, env },
        runtimeVersion: resolved?.runtimeVersion,
        limits: RUN_LIMITS,
        redact,
        // Nobody is there to click a permission card; every agent→client request gets a visible -32601.
        serveClientMethod: (method) => ({ error: { code: -32601, message: "Method not found", data: { method, note: "The auth-matrix probe serves no client methods." } } }),
      },
      watch,
    );
    if (failure) {
      run.failBeforeSpawn({ event: failure.name === "RuntimeMissingError" ? "runtime_missing" : "spawn_error", message: failure.message, hint: failure.hint });
      finish("crashed", `could not start: ${failure.message}${failure.hint ? ` ${failure.hint}` : ""}`);
      return cell;
    }

    const stop = new Promise<Outcome>((resolve) => {
      timer = setTimeout(() => resolve({ kind: "timeout" }), timeoutMs);
      onAbort = () => resolve({ kind: "aborted" });
      if (opts.signal?.aborted) onAbort();
      else opts.signal?.addEventListener("abort", onAbort, { once: true });
    });
    const current = run;
    const exited = current.done.then((): Outcome => ({ kind: "exited" }));
    const ask = async (method: string, params: unknown): Promise<{ outcome: Outcome; requestSeq: number }> => {
      const sent = current.request(method, params);
      if (!sent.ok) return { outcome: { kind: "exited" }, requestSeq: current.lastSeq };
      const requestSeq = current.lastSeq;
      const answer = watch.answerTo(requestSeq).then((frame): Outcome => ({ kind: "answer", frame }));
      return { outcome: await Promise.race([answer, exited, stop]), requestSeq };
    };
    const notAnswered = (outcome: Outcome, step: string, requestSeq: number): void => {
      if (outcome.kind === "timeout") finish("timed-out", `no answer to ${step} within ${timeoutMs} ms`);
      else if (outcome.kind === "aborted") finish("timed-out", "cancelled");
      else {
        const why = stderrSince(current.ring.all(), requestSeq);
        finish("crashed", `${exitText(current)} before answering ${step}${why ? `; stderr: ${why}` : ""}`);
      }
    };

    current.start();
    const init = await ask("initialize", initializeParams(PROBE_CAPS, opts.protocolVersion ?? 1));
    if (init.outcome.kind !== "answer") {
      notAnswered(init.outcome, "initialize", init.requestSeq);
      return cell;
    }
    const initFrame = init.outcome.frame;
    cell.initialize.ms = initFrame.latencyMs ?? null;
    const initMsg = parseMessage(initFrame);
    cell.agent.name = current.summary.agentInfo?.name ?? null;
    cell.agent.version = current.summary.agentInfo?.version ?? null;
    if (initMsg.error) {
      cell.initialize.error = initMsg.error;
      finish("initialize-failed", `initialize failed: ${initMsg.error.code} ${initMsg.error.message}`);
      return cell;
    }
    const result = initMsg.result ?? {};
    const version = typeof result.protocolVersion === "number" ? result.protocolVersion : null;
    cell.initialize.protocolVersion = version;
    const methods: AdvertisedMethod[] = Array.isArray(result.authMethods) ? result.authMethods.flatMap((m: unknown) => advertisedMethod(m) ?? []) : [];
    cell.initialize.authMethods = methods.map((m) => m.id);
    cell.initialize.methods = methods;
    const speaking = asProtocolVersion(version);
    if (!speaking) {
      finish("initialize-failed", `the agent answered protocolVersion ${JSON.stringify(result.protocolVersion)}; this client speaks ACP v1 and v2`);
      return cell;
    }
    const login = authVerbs(speaking).login;
    cell.initialize.ok = true;

    // An env_var method the profile can complete: its variables were in the agent's environment
    // from the spawn (materialize put them there), so it is exercised with `authenticate` now.
    const envMethod = methods.find((m) => m.type === "env_var" && (m.vars?.length ?? 0) > 0 && (m.vars ?? []).every((v) => (profileEnv[v] ?? "") !== ""));
    if (envMethod) {
      const vars = envMethod.vars ?? [];
      cell.authenticate = { methodId: envMethod.id, vars, ok: false, ms: null };
      const auth = await ask(login, { methodId: envMethod.id });
      if (auth.outcome.kind !== "answer") {
        notAnswered(auth.outcome, login, auth.requestSeq);
        return cell;
      }
      cell.authenticate.ms = auth.outcome.frame.latencyMs ?? null;
      const authMsg = parseMessage(auth.outcome.frame);
      if (authMsg.error) {
        cell.authenticate.error = authMsg.error;
        const why = stderrSince(current.ring.all(), auth.requestSeq);
        finish(authMsg.error.code === -32000 ? "auth-required" : "error", `${login} ${envMethod.id} (env_var ${vars.join(", ")}): ${authMsg.error.code} ${authMsg.error.message}${why ? `; stderr: ${why}` : ""}`);
        return cell;
      }
      cell.authenticate.ok = true;
    }

    const session = await ask("session/new", { cwd, mcpServers: [] });
    if (session.outcome.kind !== "answer") {
      notAnswered(session.outcome, "session/new", session.requestSeq);
      return cell;
    }
    const sessionFrame = session.outcome.frame;
    cell.sessionNew.ms = sessionFrame.latencyMs ?? null;
    const sessionMsg = parseMessage(sessionFrame);
    if (sessionMsg.error) {
      cell.sessionNew.error = sessionMsg.error;
      const why = stderrSince(current.ring.all(), session.requestSeq);
      const text = `session/new: ${sessionMsg.error.code} ${sessionMsg.error.message}${why ? `; stderr: ${why}` : ""}`;
      finish(sessionMsg.error.code === -32000 ? "auth-required" : "error", text);
      return cell;
    }
    const sessionId = sessionMsg.result?.sessionId;
    if (typeof sessionId === "string") cell.sessionNew.sessionId = sessionId;
    cell.sessionNew.ok = true;
    if (opts.prompt === undefined || typeof sessionId !== "string") {
      finish("session-created", typeof sessionId === "string" ? undefined : "session/new answered without a sessionId");
      return cell;
    }

    // The prompt step: a created session is not proof of authentication.
    cell.prompt = { ok: false, ms: null, updates: 0 };
    const turn = await ask("session/prompt", { sessionId, prompt: [{ type: "text", text: opts.prompt }] });
    const streamed = promptStream(current.ring.all(), turn.requestSeq);
    cell.prompt.updates = streamed.updates;
    if (streamed.text) cell.prompt.text = clip(redact(streamed.text));
    if (turn.outcome.kind !== "answer") {
      notAnswered(turn.outcome, "session/prompt", turn.requestSeq);
      return cell;
    }
    cell.prompt.ms = turn.outcome.frame.latencyMs ?? null;
    const turnMsg = parseMessage(turn.outcome.frame);
    if (turnMsg.error) {
      cell.prompt.error = turnMsg.error;
      const why = stderrSince(current.ring.all(), turn.requestSeq);
      const data = turnMsg.error.data !== undefined ? ` ${JSON.stringify(turnMsg.error.data)}` : "";
      finish(
        turnMsg.error.code === -32000 ? "prompt-refused" : "prompt-error",
        `session created, then session/prompt: ${turnMsg.error.code} ${turnMsg.error.message}${data}${why ? `; stderr: ${why}` : ""}`,
      );
      return cell;
    }
    cell.prompt.ok = true;
    const stopReason = turnMsg.result?.stopReason;
    if (typeof stopReason === "string") cell.prompt.stopReason = stopReason;
    finish("prompt-answered", `stopReason ${typeof stopReason === "string" ? stopReason : "(none)"}${cell.prompt.text ? `; the agent said: ${cell.prompt.text}` : ""}`);
    return cell;
  } finally {
    if (timer) clearTimeout(timer);
    if (onAbort) opts.signal?.removeEventListener("abort", onAbort);
    if (run) {
      run.kill();
      await waitDone(run, TERM_GRACE_MS);
      sweepGroup(run.summary.pid);
      await waitDone(run, EXIT_WAIT_MS);
      cell.frames = run.ring.all();
    }
    if (ownRunsDir) await rm(ownRunsDir, { recursive: true, force: true });
    else if (opts.runsDir) await rm(path.join(opts.runsDir, runId), { recursive: true, force: true });
    if (cwd) await rm(cwd, { recursive: true, force: true });
  }
}
