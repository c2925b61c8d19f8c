/**
 * `npm run flow`: one agent × one profile driven through a list of steps, headless, for CI and for
 * reproducing an auth journey in one command (issue #13 §4). It is the UI's engine, not a copy: the
 * catalog, the profile store, materialize (a fresh run home), the Run that records every frame, the
 * probe's answer-waiting helpers (server/probe.ts), the login terminal and the "Why?" diagnosis
 * (lib/diagnosis.ts) are the same modules the relay uses. Every frame of every lane becomes one
 * event (jsonl) or one table row, then a summary with one verdict per step.
 * Exit status: 0 it ran (whatever the agent answered), 2 the invocation cannot run, 130 Ctrl-C.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { diagnose, diagnoseLogin, diagnoseOAuth } from "../lib/diagnosis";
import { Redactor } from "../lib/redact";
import { initializeParams } from "../lib/templates";
import { asProtocolVersion, authVerbs, type ProtocolVersion } from "../lib/version";
import type { Frame, HttpHopEvent } from "../lib/wire";
import { agentHomeEnv, Catalog, type CatalogEntry, type ResolvedCommand } from "../server/catalog";
import { agentEnv, childEnv } from "../server/child-env";
import { INTERRUPTED_EXIT, isMainModule, onInterrupt, printUsage, runCli } from "../server/cli-main";
import { PlaygroundError, UnknownAgentError, UsageError } from "../server/errors";
import { dirFlag, formatFlag, protocolFlag, scriptFlags, timeoutFlag } from "../server/script-flags";
import { expireTokenFile, kimiMainOf } from "../server/emulated-login";
import { type HomeWatcher, watchRunHome } from "../server/home-watch";
import { LoginTerminal } from "../server/login-terminal";
import { APPROVALS, type Approval, OAuthEmulator, REFRESH_ANSWERS, type RefreshAnswer } from "../server/oauth-emulator";
import { type ModelServer, startModelServer } from "../server/model-server";
import { AnswerWatch, EXIT_WAIT_MS, parseMessage, PROBE_CAPS, promptStream, RUN_LIMITS, stderrSince, sweepGroup, TERM_GRACE_MS, waitDone } from "../server/probe";
import { materialize, ProfileStore, profileSources, type StoredProfile } from "../server/profiles";
import { Run } from "../server/run";

const FORMATS = ["jsonl", "table"] as const;
type Format = (typeof FORMATS)[number];
/** Headless logins cannot click the verification page: the emulator decides (approve by default). */
const LOGIN_DECISIONS = APPROVALS.filter((a) => a !== "manual");

const USAGE = `Usage: npm run -s flow -- --agent ID --profile NAME --step STEP [--step STEP …] [options]
  --agent ID               a catalog agent, e.g. kimi-2.1.0 or kimi-0.28.0
  --profile NAME           a stored profile, by name or id, e.g. "Offline demo"
  --step STEP              in order; one of:
                             initialize | session/new | session/prompt=TEXT | authenticate=METHOD_ID
                             | logout | login (the terminal login, auto-approved by the OAuth emulator)
  --format F               jsonl (default) | table
  --expire-token           make the home's OAuth access token expired before the agent starts
  --oauth-refresh B        how the OAuth emulator answers a refresh: ${REFRESH_ANSWERS.join(" | ")}
  --oauth-approval A       how it decides a login's device code: ${LOGIN_DECISIONS.join(" | ")} (default approve)
  --timeout MS             per step (default 60000)
  --protocol 1|2           the ACP version initialize asks for (default 1); the steps then speak the
                           agent's answer: in v2, authenticate and logout are sent as auth/login, auth/logout
  --data-dir DIR           profiles and agents.json (default ACP_PLAYGROUND_HOME or ~/.acp-playground)
Exit status: 0 it ran (whatever the agent answered), 2 bad usage (the reason on stderr).
Example: npm run -s flow -- --agent kimi-2.1.0 --profile "Offline demo" --step initialize --step session/new --step "session/prompt=hi"`;
const SEE_HELP = "Run `npm run -s flow -- --help` for the options.";

export type Step =
  | { kind: "initialize" }
  | { kind: "session/new" }
  | { kind: "session/prompt"; text: string }
  | { kind: "authenticate"; methodId: string }
  | { kind: "logout" }
  | { kind: "login" };

interface Args {
  agent?: string;
  profile?: string;
  steps: Step[];
  format: Format;
  expireToken: boolean;
  oauthRefresh?: RefreshAnswer;
  oauthApproval: Approval;
  timeoutMs: number;
  dataDir: string;
  protocol: ProtocolVersion;
  help: boolean;
}

const VALUE_FLAGS = new Set(["agent", "profile", "step", "format", "oauth-refresh", "oauth-approval", "timeout", "data-dir", "protocol"]);
const BOOLEAN_FLAGS = new Set(["expire-token"]);
const STEP_EXAMPLES = 'initialize, session/new, "session/prompt=hi", authenticate=login, logout, login';

export function parseStep(text: string): Step {
  const eq = text.indexOf("=");
  const name = eq === -1 ? text : text.slice(0, eq);
  const value = eq === -1 ? undefined : text.slice(eq + 1);
  const noValue = (kind: "initialize" | "session/new" | "logout" | "login"): Step => {
    if (value !== undefined) throw new UsageError(`The step ${kind} takes no value ("${text}").`, `Steps: ${STEP_EXAMPLES}.`);
    return { kind };
  };
  switch (name) {
    case "initialize":
    case "session/new":
    case "logout":
    case "login":
      return noValue(name);
    case "session/prompt":
      if (value === undefined || value.trim() === "") throw new UsageError(`The step session/prompt needs the text to send ("${text}").`, 'e.g. --step "session/prompt=Say hello"');
      return { kind: "session/prompt", text: value };
    case "authenticate":
      if (value === undefined || value.trim() === "") throw new UsageError(`The step authenticate needs a method id ("${text}").`, "e.g. --step authenticate=login (the ids are in initialize's authMethods).");
      return { kind: "authenticate", methodId: value.trim() };
    default:
      throw new UsageError(`Unknown step "${text}".`, `Steps: ${STEP_EXAMPLES}.`);
  }
}

export function parseArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): Args {
  const args: Args = {
    steps: [],
    format: "jsonl",
    expireToken: false,
    oauthApproval: "approve",
    timeoutMs: 60_000,
    dataDir: path.resolve(env.ACP_PLAYGROUND_HOME ?? path.join(os.homedir(), ".acp-playground")),
    protocol: 1,
    help: false,
  };
  const flags = scriptFlags(argv, { switches: BOOLEAN_FLAGS, options: VALUE_FLAGS }, `Options start with --; give each step as --step STEP. ${SEE_HELP}`, SEE_HELP);
  for (const { name, value } of flags) {
    if (name === "help") {
      args.help = true;
      continue;
    }
    if (value === true) {
      args.expireToken = true;
      continue;
    }
    switch (name) {
      case "agent":
        if (args.agent !== undefined) throw new UsageError("--agent is given twice; a flow drives one agent.", SEE_HELP);
        args.agent = value;
        break;
      case "profile":
        if (args.profile !== undefined) throw new UsageError("--profile is given twice; a flow uses one profile.", SEE_HELP);
        args.profile = value;
        break;
      case "step":
        args.steps.push(parseStep(value));
        break;
      case "format":
        args.format = formatFlag(value, FORMATS);
        break;
      case "oauth-refresh":
        if (!(REFRESH_ANSWERS as readonly string[]).includes(value)) throw new UsageError(`Unknown --oauth-refresh behaviour "${value}".`, `Use one of: ${REFRESH_ANSWERS.join(", ")}.`);
        args.oauthRefresh = value as RefreshAnswer;
        break;
      case "oauth-approval":
        if (!(LOGIN_DECISIONS as readonly string[]).includes(value)) throw new UsageError(`Unknown --oauth-approval decision "${value}".`, `Use one of: ${LOGIN_DECISIONS.join(", ")}.`);
        args.oauthApproval = value as Approval;
        break;
      case "timeout":
        args.timeoutMs = timeoutFlag(value, 1000, SEE_HELP);
        break;
      case "data-dir":
        args.dataDir = dirFlag(value);
        break;
      case "protocol":
        args.protocol = protocolFlag(value, SEE_HELP);
        break;
    }
  }
  if (!args.help) {
    if (args.agent === undefined) throw new UsageError("--agent is required.", `e.g. --agent kimi-2.1.0. ${SEE_HELP}`);
    if (args.profile === undefined) throw new UsageError("--profile is required.", `e.g. --profile "Offline demo". ${SEE_HELP}`);
    if (args.steps.length === 0) throw new UsageError("Give at least one --step.", `Steps: ${STEP_EXAMPLES}.`);
  }
  return args;
}

// ─── Events ────────────────────────────────────────────────────────────────────────────────────

/** One line of the jsonl output; `lane` says which lane of the sequence diagram it belongs to. */
export type FlowEvent = { lane: string; seq?: number; wall?: number } & Record<string, unknown>;

export interface StepResult {
  step: string;
  ok: boolean;
  ms?: number;
  code?: number | string;
  message?: string;
  [key: string]: unknown;
}

const ACP_KINDS = new Set(["request", "response", "error", "notification", "malformed", "too_large", "lost"]);

/** The Frame field that holds an out-of-band kind's own record: "agent-log" → agentLog. */
function recordKey(kind: string): string {
  return kind.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/**
 * A frame as an event. ACP, stderr and lifecycle frames have fixed shapes; every other kind (http,
 * home, agent-log, and any lane added later) is mapped generically: its record's fields are spread
 * into the event, so a new lane flows through without a change here.
 */
export function frameEvent(f: Frame): FlowEvent {
  const base = { seq: f.seq, wall: f.wall };
  if (ACP_KINDS.has(f.kind)) {
    const e: FlowEvent = { lane: "acp", ...base, dir: f.dir, kind: f.kind, raw: f.raw };
    if (f.method) e.method = f.method;
    if (f.updateKind) e.update = f.updateKind;
    if (f.errorCode !== undefined) e.code = f.errorCode;
    if (f.latencyMs !== undefined) e.ms = f.latencyMs;
    if (f.note && f.kind !== "request" && f.kind !== "response") e.note = f.note;
    return e;
  }
  if (f.kind === "stderr") return { lane: "stderr", ...base, text: f.raw };
  if (f.kind === "lifecycle" || f.kind === "divider") {
    const e: FlowEvent = { lane: "lifecycle", ...base, event: f.lifecycle?.event ?? f.kind, text: f.raw };
    if (f.lifecycle?.code !== undefined) e.code = f.lifecycle.code;
    if (f.lifecycle?.signal) e.signal = f.lifecycle.signal;
    if (f.lifecycle?.message) e.message = f.lifecycle.message;
    return e;
  }
  const record = (f as unknown as Record<string, unknown>)[recordKey(f.kind)];
  const fields = typeof record === "object" && record !== null && !Array.isArray(record) ? (record as Record<string, unknown>) : {};
  return { lane: f.kind, ...base, ...fields, raw: f.raw };
}

// ─── Rendering ─────────────────────────────────────────────────────────────────────────────────

function oneLine(text: string, max: number): string {
  const s = text.replace(/\s+/g, " ").trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function eventDetail(e: FlowEvent): string {
  const str = (v: unknown): string => (v === undefined || v === null ? "" : String(v));
  switch (e.lane) {
    case "acp":
      return `${e.dir === "out" ? "→" : e.dir === "in" ? "←" : "·"} ${e.kind}${e.method ? ` ${str(e.method)}` : ""}${e.update ? ` ${str(e.update)}` : ""}${e.code !== undefined ? ` ${str(e.code)}` : ""}${e.ms !== undefined ? ` (${Math.round(Number(e.ms))} ms)` : ""}  ${str(e.raw)}`;
    case "stderr":
      return str(e.text);
    case "lifecycle":
      return `${str(e.event)}: ${str(e.text)}`;
    case "http":
      return `${str(e.method)} ${str(e.path)} → ${e.status === undefined ? str(e.error) || "no answer" : str(e.status)}${e.ms !== undefined ? ` (${str(e.ms)} ms)` : ""}${e.grantType ? ` grant_type=${str(e.grantType)}` : ""}`;
    case "home":
      return `${str(e.op)} ${str(e.path)}: ${str(e.summary)}`;
    case "agent-log":
      return `${str(e.file)}:${str(e.line)} ${str(e.raw)}`;
    case "diagnosis":
      return `${e.rule ? `[${str(e.rule)}] ` : ""}${str(e.text)}`;
    default:
      return str(e.raw ?? JSON.stringify(e));
  }
}

export function renderTable(events: readonly FlowEvent[], steps: readonly StepResult[]): string {
  const width = 160;
  const rows = events.map((e, i) => ({ n: String(i + 1), lane: e.lane, detail: oneLine(eventDetail(e), width) }));
  const laneW = Math.max(4, ...rows.map((r) => r.lane.length));
  const nW = Math.max(1, ...rows.map((r) => r.n.length));
  const out = [`${"#".padStart(nW)}  ${"lane".padEnd(laneW)}  detail`, `${"-".repeat(nW)}  ${"-".repeat(laneW)}  ${"-".repeat(40)}`];
  for (const r of rows) out.push(`${r.n.padStart(nW)}  ${r.lane.padEnd(laneW)}  ${r.detail}`);
  out.push("", "step                          result");
  for (const s of steps) {
    const extra = s.ok
      ? [s.stopReason !== undefined ? `stopReason ${String(s.stopReason)}` : "", s.text !== undefined ? `reply "${oneLine(String(s.text), 80)}"` : "", s.sessionId ? `session ${String(s.sessionId)}` : ""].filter(Boolean).join(" · ")
      : `${String(s.code)} ${oneLine(s.message ?? "", 100)}`;
    out.push(`${oneLine(s.step, 28).padEnd(28)}  ${s.ok ? "ok" : "FAILED"}${extra ? `  ${extra}` : ""}`);
  }
  return `${out.join("\n")}\n`;
}

// ─── The engine ────────────────────────────────────────────────────────────────────────────────

function stepName(step: Step): string {
  if (step.kind === "session/prompt") return `session/prompt=${step.text}`;
  if (step.kind === "authenticate") return `authenticate=${step.methodId}`;
  return step.kind;
}

/** Expire the home's OAuth access token (server/emulated-login.ts, as the UI's one-click does); the path relative to the home. */
async function expireToken(home: string): Promise<string | undefined> {
  const file = await expireTokenFile(home);
  return file === undefined ? undefined : path.relative(home, file);
}

interface FlowOptions {
  agent: CatalogEntry;
  profile: StoredProfile;
  steps: Step[];
  dataDir: string;
  timeoutMs: number;
  /** What initialize asks for; the agent's answer (`speaking`) decides what later steps send. */
  protocol?: ProtocolVersion;
  expireToken: boolean;
  emulator: OAuthEmulator;
  /** The offline model server (API-key profiles); its hops join the HTTP lane too. */
  modelServer: ModelServer;
  redact: (text: string) => string;
  /** The redactor as of now, for the login terminal's exact stream redaction (its lines go through `redact` again). */
  redactor: () => Redactor;
  /** Tokens the emulator issued become secrets at once (Run's addSecrets). */
  addSecrets: (values: readonly string[]) => void;
  signal: AbortSignal;
}

/** A redactor whose secrets can grow while the flow runs (tokens issued by the emulator). */
class LiveRedactor {
  private readonly secrets: Set<string>;
  private redactor: Redactor;
  constructor(initial: Iterable<string>) {
    this.secrets = new Set(initial);
    this.redactor = new Redactor(this.secrets);
  }
  add = (values: readonly string[]): void => {
    const before = this.secrets.size;
    for (const v of values) this.secrets.add(v);
    if (this.secrets.size !== before) this.redactor = new Redactor(this.secrets);
  };
  redact = (text: string): string => this.redactor.redact(text);
  current = (): Redactor => this.redactor;
}

type Waited = { kind: "answer"; frame: Frame } | { kind: "exited" } | { kind: "timeout" } | { kind: "aborted" };

/** Runs the steps; frames of every process (and login) are collected in order. */
class Flow {
  readonly events: FlowEvent[] = [];
  readonly steps: StepResult[] = [];
  /** Every frame of every process of the flow, for the diagnosis (which looks across runs). */
  private readonly frames: Frame[] = [];
  private run?: Run;
  private watch?: AnswerWatch;
  private cursor = -1;
  private home?: { home: string; env: Record<string, string> };
  private resolved?: ResolvedCommand;
  private runsDir = "";
  private cwd = "";
  private sessionId?: string;
  private initialized = false;
  /** The version the agent answered initialize with: authenticate/logout go out as its names. */
  private speaking: ProtocolVersion = 1;
  private runCount = 0;
  /** The user's steps done so far (automatic ones are not counted). */
  private ran = 0;
  private readonly flowId = randomBytes(4).toString("hex");

  private readonly offHop: () => void;
  /** One watcher for the flow's home: every process of the flow shares it (login, restarts). */
  private watcher?: HomeWatcher;
  private readonly saidContradictions = new Set<string>();

  constructor(private readonly o: FlowOptions) {
    // Every request the agent (or its login) makes to the emulator, on the same ordered log.
    // The flow owns both servers: every hop they serve is this flow's agent's.
    const offEmulator = o.emulator.onHop((_tag, hop) => this.recordHop(hop));
    o.modelServer.onHop = (_tag, hop) => this.recordHop(hop);
    this.offHop = () => {
      offEmulator();
      o.modelServer.onHop = undefined;
    };
  }

  async execute(): Promise<void> {
    this.runsDir = await mkdtemp(path.join(os.tmpdir(), "acp-flow-"));
    this.cwd = await mkdtemp(path.join(os.tmpdir(), "acp-flow-cwd-"));
    try {
      this.resolved = new Catalog(this.o.dataDir).resolve(this.o.agent, childEnv(process.env).PATH);
      // An "OAuth (emulated)" profile logs in here, for real, against this flow's own emulator.
      if (this.o.profile.kind === "kimi-oauth-emulated") this.note("materialize: running the real `kimi login` against the flow's OAuth emulator");
      const home = await materialize(this.o.profile, {
        runsDir: this.runsDir,
        runId: `flow-${this.flowId}`,
        modelServerUrl: this.o.modelServer.url,
        agentHomeEnv: agentHomeEnv(this.o.agent),
        oauth: this.o.emulator,
        kimiMain: kimiMainOf(this.o.agent),
      });
      this.home = { home: home.home, env: agentEnv(process.env, this.o.agent.env, { kind: this.o.profile.kind, env: home.env }) };
      // The Home and Agent-log lanes: changes land on whichever process of the flow is current.
      this.watcher = await watchRunHome(
        {
          recordHome: (change) => {
            if (this.run) this.run.recordHome(change);
            else this.events.push({ lane: "home", wall: Date.now(), ...change });
          },
          recordAgentLog: (file, line, text) => {
            if (this.run) this.run.recordAgentLog(file, line, text);
            else this.events.push({ lane: "agent-log", wall: Date.now(), file, line, raw: this.o.redact(text) });
          },
        },
        this.home.env,
      );
      if (this.o.expireToken) {
        const file = await expireToken(home.home);
        // With a login step the token arrives later; it is expired right after that login.
        if (file) this.note(`expired the access token in ${file} (expires_at set in the past)`);
        else if (!this.o.steps.some((st) => st.kind === "login")) this.note("--expire-token: the home holds no OAuth token file to expire");
      }
      for (const step of this.o.steps) {
        if (this.o.signal.aborted) break;
        this.steps.push(await this.step(step));
        this.ran++;
        this.flush();
      }
    } catch (error) {
      if (!(error instanceof PlaygroundError)) throw error;
      this.note(`the flow could not go on: ${error.message}${error.hint ? ` ${error.hint}` : ""}`);
      for (const step of this.o.steps.slice(this.ran)) this.steps.push({ step: stepName(step), ok: false, code: "not-run", message: error.message });
    } finally {
      await this.stopAgent();
      await this.watcher?.scan();
      await this.watcher?.stop();
      this.offHop();
      this.flush();
      await rm(this.runsDir, { recursive: true, force: true });
      await rm(this.cwd, { recursive: true, force: true });
    }
  }

  private recordHop(event: HttpHopEvent): void {
    if (event.issued?.length) this.o.addSecrets(event.issued);
    if (this.run) this.run.recordHop(event);
    else {
      // No process yet (the emulated profile's login in materialize): the same fields, redacted.
      const { issued: _issued, request: _request, response: _response, ...hop } = event;
      this.events.push({ lane: "http", wall: Date.now(), ...hop, path: this.o.redact(hop.path), ...(hop.error !== undefined ? { error: this.o.redact(hop.error) } : {}) });
    }
  }

  private note(text: string): void {
    this.events.push({ lane: "lifecycle", wall: Date.now(), event: "flow", text: this.o.redact(text) });
  }

  /** Move frames recorded since the last flush into the event list. */
  private flush(): void {
    if (!this.run) return;
    for (const f of this.run.ring.since(this.cursor)) {
      this.cursor = f.seq;
      this.frames.push(f);
      this.events.push(frameEvent(f));
    }
  }

  private startAgent(): Run {
    if (!this.home || !this.resolved) throw new PlaygroundError("The agent has no home yet.");
    this.flush();
    const watch = new AnswerWatch();
    const runId = `flow-${this.flowId}-${++this.runCount}`;
    const run = new Run(
      {
        runId,
        agentId: this.o.agent.id,
        agentLabel: this.o.agent.label,
        profileId: this.o.profile.id,
        profileName: this.o.profile.name,
        cwd: this.cwd,
        spawn: { file: this.resolved.file, args: this.resolved.args, cwd: this.cwd, env: this.home.env },
        runtimeVersion: this.resolved.runtimeVersion,
        limits: RUN_LIMITS,
        redact: this.o.redact,
        addSecrets: this.o.addSecrets,
        // Headless: nobody is there to click a permission card; every agent→client request gets a visible -32601.
        serveClientMethod: (method) => ({ error: { code: -32601, message: "Method not found", data: { method, note: "The flow runner serves no client methods." } } }),
        summaryExtra: { agentVersion: this.o.agent.version, kimi: this.o.agent.kimi, profileKind: this.o.profile.kind, profileSources: profileSources(this.o.profile) },
      },
      watch,
    );
    this.run = run;
    this.watch = watch;
    this.cursor = -1;
    this.initialized = false;
    this.sessionId = undefined;
    run.start();
    return run;
  }

  private async stopAgent(): Promise<void> {
    const run = this.run;
    if (!run) return;
    run.kill();
    await waitDone(run, TERM_GRACE_MS);
    sweepGroup(run.summary.pid);
    await waitDone(run, EXIT_WAIT_MS);
    // What the process wrote on its way out belongs to it.
    await this.watcher?.scan();
    this.flush();
  }

  private async ask(method: string, params: unknown): Promise<{ waited: Waited; requestSeq: number; run: Run }> {
    let run = this.run;
    if (!run || (!run.alive && run.summary.state !== "starting")) run = this.startAgent();
    const watch = this.watch as AnswerWatch;
    const sent = run.request(method, params);
    if (!sent.ok) return { waited: { kind: "exited" }, requestSeq: run.lastSeq, run };
    const requestSeq = run.lastSeq;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const waited = await Promise.race([
      watch.answerTo(requestSeq).then((frame): Waited => ({ kind: "answer", frame })),
      run.done.then((): Waited => ({ kind: "exited" })),
      new Promise<Waited>((resolve) => {
        timer = setTimeout(() => resolve({ kind: "timeout" }), this.o.timeoutMs);
        onAbort = () => resolve({ kind: "aborted" });
        this.o.signal.addEventListener("abort", onAbort, { once: true });
      }),
    ]);
    if (timer) clearTimeout(timer);
    if (onAbort) this.o.signal.removeEventListener("abort", onAbort);
    return { waited, requestSeq, run };
  }

  /** A step that got no answer: why, as a failed step. */
  private unanswered(name: string, waited: Waited, run: Run, requestSeq: number): StepResult {
    if (waited.kind === "timeout") return { step: name, ok: false, code: "timeout", message: `no answer within ${this.o.timeoutMs} ms` };
    if (waited.kind === "aborted") return { step: name, ok: false, code: "cancelled", message: "interrupted" };
    const why = stderrSince(run.ring.all(), requestSeq);
    const s = run.summary;
    const exit = s.state === "failed" ? `could not start: ${s.error ?? "unknown error"}` : s.signal ? `the agent was killed by ${s.signal}` : `the agent exited with code ${String(s.exitCode)}`;
    return { step: name, ok: false, code: "exited", message: this.o.redact(`${exit}${why ? `; stderr: ${why}` : ""}`) };
  }

  /** Make sure the current process has been initialized (a fresh one after a login or a crash). */
  private async ensureInitialized(): Promise<StepResult | undefined> {
    if (this.initialized && this.run?.alive) return undefined;
    const r = await this.initialize("initialize (automatic)");
    return r.ok ? undefined : r;
  }

  private async initialize(name: string): Promise<StepResult> {
    const { waited, requestSeq, run } = await this.ask("initialize", initializeParams(PROBE_CAPS, this.o.protocol ?? 1));
    if (waited.kind !== "answer") return this.unanswered(name, waited, run, requestSeq);
    const msg = parseMessage(waited.frame);
    if (msg.error) return this.failed(name, waited.frame, msg.error);
    this.initialized = true;
    const result = msg.result ?? {};
    this.speaking = asProtocolVersion(result.protocolVersion) ?? this.o.protocol ?? 1;
    // v1 names a method's id `id`, v2 `methodId`.
    const methods = Array.isArray(result.authMethods) ? result.authMethods.map((m) => (typeof m === "object" && m !== null ? String((m as { id?: unknown; methodId?: unknown }).id ?? (m as { methodId?: unknown }).methodId) : "?")) : [];
    return { step: name, ok: true, ms: waited.frame.latencyMs, protocolVersion: result.protocolVersion, agent: run.summary.agentInfo, authMethods: methods };
  }

  /** A step answered with a JSON-RPC error, plus its diagnosis events. */
  private failed(name: string, frame: Frame, error: { code: number; message: string; data?: unknown }): StepResult {
    this.flush();
    this.diagnoseFailure(frame);
    const r: StepResult = { step: name, ok: false, ms: frame.latencyMs, code: error.code, message: error.message };
    if (error.data !== undefined) r.data = error.data;
    return r;
  }

  private diagnosisInput(): { agent: { id: string; version?: string; kimi?: boolean }; profile: { kind: StoredProfile["kind"]; sources: string[] } } {
    return { agent: { id: this.o.agent.id, version: this.o.agent.version, kimi: this.o.agent.kimi }, profile: { kind: this.o.profile.kind, sources: profileSources(this.o.profile) } };
  }

  private diagnoseFailure(frame: Frame): void {
    const d = diagnose({ frames: this.frames, ...this.diagnosisInput(), clientCaps: PROBE_CAPS, failureSeq: frame.seq });
    if (!d) return;
    if (d.rules.length === 0) {
      this.events.push({ lane: "diagnosis", wall: Date.now(), seq: frame.seq, rule: null, text: `${d.method} failed with ${d.code} ${d.message}: ${d.codeMeaning}`, evidence: d.stderrAround.map((l) => `stderr #${l.seq}`) });
    }
    for (const rule of d.rules) {
      this.events.push({ lane: "diagnosis", wall: Date.now(), seq: frame.seq, rule: rule.id, text: `${rule.title}. ${rule.explanation}`, evidence: rule.evidence, links: rule.links });
    }
    for (const c of d.contradictions) {
      // The detectors look at the whole log: say each contradiction once.
      const key = `${c.id}:${c.runId}:${c.frameSeqs.join(",")}`;
      if (this.saidContradictions.has(key)) continue;
      this.saidContradictions.add(key);
      this.events.push({ lane: "diagnosis", wall: Date.now(), rule: `contradiction:${c.id}`, text: `${c.title}. ${c.detail}`, frames: c.frameSeqs });
    }
  }

  /** After a prompt: failures the client never saw (refresh refused, model 401) read from the other lanes. */
  private diagnoseHidden(run: Run, promptSeq: number): void {
    for (const d of diagnoseOAuth({ frames: this.frames, ...this.diagnosisInput(), prompt: { runId: run.id, seq: promptSeq } })) {
      const e: FlowEvent = { lane: "diagnosis", wall: Date.now(), seq: promptSeq, rule: d.rule, text: d.text, evidence: d.evidence, frames: d.frameSeqs };
      if (d.links?.length) e.links = d.links;
      this.events.push(e);
    }
  }

  private async step(step: Step): Promise<StepResult> {
    const name = stepName(step);
    switch (step.kind) {
      case "initialize":
        return this.initialize(name);
      case "session/new": {
        const pre = await this.ensureInitialized();
        if (pre) return { ...pre, step: name };
        const { waited, requestSeq, run } = await this.ask("session/new", { cwd: this.cwd, mcpServers: [] });
        if (waited.kind !== "answer") return this.unanswered(name, waited, run, requestSeq);
        const msg = parseMessage(waited.frame);
        if (msg.error) return this.failed(name, waited.frame, msg.error);
        const id = msg.result?.sessionId;
        if (typeof id !== "string") return { step: name, ok: false, ms: waited.frame.latencyMs, code: "no-session-id", message: "session/new answered without a sessionId" };
        this.sessionId = id;
        return { step: name, ok: true, ms: waited.frame.latencyMs, sessionId: id };
      }
      case "session/prompt": {
        if (!this.sessionId || !this.run?.alive) {
          const made = await this.step({ kind: "session/new" });
          if (!made.ok) return { ...made, step: name, message: `no session to prompt in: ${made.message ?? ""}` };
          this.steps.push({ ...made, step: "session/new (automatic)" });
        }
        const { waited, requestSeq, run } = await this.ask("session/prompt", { sessionId: this.sessionId, prompt: [{ type: "text", text: step.text }] });
        // Out-of-band lanes (http, home, agent-log) may trail the answer by a few ms.
        await new Promise((resolve) => setTimeout(resolve, 300));
        await this.watcher?.scan();
        this.flush();
        const streamed = promptStream(run.ring.all(), requestSeq);
        let result: StepResult;
        if (waited.kind !== "answer") result = this.unanswered(name, waited, run, requestSeq);
        else {
          const msg = parseMessage(waited.frame);
          if (msg.error) result = this.failed(name, waited.frame, msg.error);
          else {
            const stopReason = msg.result?.stopReason;
            result = { step: name, ok: true, ms: waited.frame.latencyMs, stopReason: typeof stopReason === "string" ? stopReason : null, text: this.o.redact(streamed.text), updates: streamed.updates };
          }
        }
        this.diagnoseHidden(run, requestSeq);
        return result;
      }
      case "authenticate": {
        const pre = await this.ensureInitialized();
        if (pre) return { ...pre, step: name };
        const { waited, requestSeq, run } = await this.ask(authVerbs(this.speaking).login, { methodId: step.methodId });
        if (waited.kind !== "answer") return this.unanswered(name, waited, run, requestSeq);
        const msg = parseMessage(waited.frame);
        if (msg.error) return this.failed(name, waited.frame, msg.error);
        return { step: name, ok: true, ms: waited.frame.latencyMs };
      }
      case "logout": {
        const pre = await this.ensureInitialized();
        if (pre) return { ...pre, step: name };
        const { waited, requestSeq, run } = await this.ask(authVerbs(this.speaking).logout, {});
        if (waited.kind !== "answer") return this.unanswered(name, waited, run, requestSeq);
        const msg = parseMessage(waited.frame);
        if (msg.error) return this.failed(name, waited.frame, msg.error);
        return { step: name, ok: true, ms: waited.frame.latencyMs };
      }
      case "login":
        return this.login(name);
    }
  }

  /**
   * The terminal login, as the UI's Auth tab runs it (server/login-terminal.ts, a real pty), with
   * the agent's command + `--login` (the spec's convention). Kimi reads its config once at start,
   * so the agent is restarted on the same home afterwards, as the UI's "reconnect after login" does.
   */
  private async login(name: string): Promise<StepResult> {
    if (!this.home || !this.resolved) throw new PlaygroundError("The agent has no home yet.");
    // As in the UI, a login belongs to a run: its hops land on that run's timeline.
    if (!this.run?.alive) this.startAgent();
    const loginEnv = { ...this.home.env, ...this.loginOverrides() };
    const argv = [this.resolved.file, ...this.resolved.args, "--login"];
    this.note(`login: running ${argv.map((a) => path.basename(a)).join(" ")} in a terminal`);
    const started = Date.now();
    let pending = "";
    const lines: string[] = [];
    // Each finished line of the terminal becomes an event in time order with the run's frames.
    const take = (final: boolean): void => {
      // eslint-disable-next-line no-control-regex
      const parts = pending.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").split(/\r?\n|\r/);
      pending = final ? "" : (parts.pop() ?? "");
      const done = parts.map((l) => l.trim()).filter(Boolean);
      if (done.length === 0) return;
      this.flush();
      for (const line of done) {
        lines.push(line);
        this.events.push({ lane: "lifecycle", wall: Date.now(), event: "login-output", text: this.o.redact(line) });
      }
    };
    const outcome = await new Promise<{ code: number | null; signal: string | null } | "timeout">((resolve) => {
      const terminal = new LoginTerminal({
        argv,
        cwd: this.cwd,
        env: loginEnv,
        redact: this.o.redactor(),
        onData: (text) => {
          pending += text;
          take(false);
        },
        onExit: (code, signal) => resolve({ code, signal }),
      });
      try {
        terminal.start();
      } catch (error) {
        pending += (error as Error).message;
        resolve({ code: null, signal: "spawn-error" });
        return;
      }
      setTimeout(() => {
        if (!terminal.running) return;
        terminal.cancel();
        resolve("timeout");
      }, this.o.timeoutMs).unref();
    });
    take(true);
    const ms = Date.now() - started;
    // The agent started before the login read the old home; the next step gets a fresh process.
    await this.stopAgent();
    this.run = undefined;
    if (outcome === "timeout" || outcome.code !== 0) {
      const why = diagnoseLogin(this.frames);
      if (why) this.events.push({ lane: "diagnosis", wall: Date.now(), rule: why.rule, text: why.text, evidence: why.evidence, frames: why.frameSeqs });
    }
    if (outcome === "timeout") return { step: name, ok: false, ms, code: "timeout", message: `the login did not finish within ${this.o.timeoutMs} ms` };
    if (outcome.code !== 0) {
      return { step: name, ok: false, ms, code: outcome.signal ?? `exit ${String(outcome.code)}`, message: this.o.redact(lines.slice(-3).join(" ") || "the login failed") };
    }
    if (this.o.expireToken) {
      const file = await expireToken(this.home.home);
      this.note(file ? `expired the new access token in ${file} (expires_at set in the past)` : "--expire-token: the login wrote no token file to expire");
    }
    return { step: name, ok: true, ms };
  }

  /** Environment the login terminal needs to reach the emulator (the advertised method carries none). */
  private loginOverrides(): Record<string, string> {
    return { KIMI_CODE_OAUTH_HOST: this.o.emulator.oauthHost(this.flowId), KIMI_CODE_BASE_URL: this.o.emulator.baseUrl(this.flowId) };
  }
}

// ─── main ──────────────────────────────────────────────────────────────────────────────────────

function pickProfile(store: ProfileStore, wanted: string): StoredProfile {
  const all = store.list();
  const view = all.find((p) => p.id === wanted) ?? all.find((p) => p.name.toLowerCase() === wanted.toLowerCase());
  const profile = view ? store.get(view.id) : undefined;
  if (!profile) throw new UsageError(`No profile named "${wanted}" in ${store.dir}.`, `Known profiles: ${all.map((p) => `"${p.name}"`).join(", ")}.`);
  return profile;
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv, process.env);
  if (args.help) return printUsage(USAGE);
  const catalog = new Catalog(args.dataDir);
  let agent: CatalogEntry;
  try {
    agent = catalog.get(args.agent as string);
  } catch (error) {
    if (error instanceof UnknownAgentError) throw new UsageError(error.message, error.hint);
    throw error;
  }
  const store = new ProfileStore(args.dataDir);
  await store.init();
  const profile = pickProfile(store, args.profile as string);
  const live = new LiveRedactor(store.secrets());
  const redact = live.redact;

  const interrupt = onInterrupt();
  let modelServer: ModelServer | undefined;
  // Its own emulator on a free port: a flow never shares device codes or tokens with a running playground.
  const emulator = new OAuthEmulator({ port: 0, behaviour: { approval: args.oauthApproval, refresh: args.oauthRefresh ?? "ok" } });
  try {
    await emulator.start();
    modelServer = await startModelServer({ port: 0 });
    const flow = new Flow({
      agent,
      profile,
      steps: args.steps,
      dataDir: args.dataDir,
      timeoutMs: args.timeoutMs,
      protocol: args.protocol,
      expireToken: args.expireToken,
      emulator,
      modelServer,
      redact,
      redactor: live.current,
      addSecrets: live.add,
      signal: interrupt.signal,
    });
    await flow.execute();
    const summary = { lane: "summary", agent: agent.id, profile: profile.name, steps: flow.steps };
    const text = args.format === "table" ? renderTable(flow.events, flow.steps) : `${[...flow.events, summary].map((e) => JSON.stringify(e)).join("\n")}\n`;
    // Every line once more through the redactor: a secret must not leave by any path.
    process.stdout.write(text.split("\n").map(redact).join("\n"));
    return interrupt.interrupted ? INTERRUPTED_EXIT : 0;
  } finally {
    interrupt.dispose();
    await modelServer?.close();
    await emulator.close();
  }
}

// A bug (not a PlaygroundError) exits 1 here: 2 stays "the invocation cannot run".
if (isMainModule(import.meta.url)) void runCli("flow", main, { unexpectedExit: 1 });
