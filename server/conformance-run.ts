/**
 * Drives one agent through the auth conformance check (issue 15 §3): one fresh agent process per
 * client-capability variant of the advertisement diff and per protocol version, each a relay Run
 * in a fresh logged-out home, so every frame is recorded exactly as the inspector records it.
 * The script per process is fixed and conservative (initialize, session/new, auth/status twice
 * when advertised, providers/list when advertised; in the richest variant also one protocol-driven
 * login, a prompt and a logout), then lib/conformance.ts judges the frames. Used by
 * `npm run conformance` and by the hub's Conformance tab.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { type ConformanceSummary, evaluateConformance, joinSessions, mustFailed, type RuleReport, summarize } from "../lib/conformance";
import { parseMessage } from "../lib/jsonrpc";
import { initializeParams } from "../lib/templates";
import { type ConformanceAgent, toConformanceJson } from "../lib/conformance-report";
import type { ClientCaps, Frame, RunSummary, ServerEvent } from "../lib/wire";
import { ADVERTISEMENT_VARIANTS } from "./auth-flows";
import { agentHomeEnv, Catalog, type CatalogEntry } from "./catalog";
import { BrowserShim } from "./browser-shim";
import { agentEnv, childEnv } from "./child-env";
import { PlaygroundError } from "./errors";
import { sweepGroup, waitDone } from "./probe";
import { materialize, type StoredProfile } from "./profiles";
import { Run, type ClientMethodOutcome } from "./run";

export type ProtocolChoice = 1 | 2;

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** initialize also waits for the agent to start (Qwen, OpenCode, Kimi: seconds on a busy machine), like a matrix probe. */
export const INITIALIZE_TIMEOUT_MS = 30_000;

export interface ConformanceOptions {
  entry: CatalogEntry;
  /** The versions to request in initialize; default both. */
  protocols?: readonly ProtocolChoice[];
  /** The profile every process starts from; the check runs without credentials (a logged-out home). */
  profile: StoredProfile;
  dataDir: string;
  /** Where the fresh homes go; a private temp dir when omitted. */
  runsDir?: string;
  modelServerUrl?: string;
  /** The OAuth lab's emulator, for agents that sign in against it (catalog `oauthLab`). */
  oauth?: { oauthHost(runTag?: string): string; approveNextLogin(runTag: string): void };
  redact: (text: string) => string;
  /** How long one request may go unanswered before the check stops waiting for it. */
  requestTimeoutMs?: number;
  /** The same for initialize, which also waits for the agent to start (default INITIALIZE_TIMEOUT_MS). */
  initializeTimeoutMs?: number;
  /** Processes at once (Kimi: hundreds of MB each). */
  concurrency?: number;
  /** Waits for an agent slot (the hub's limit on concurrent agents); released when the process is gone. */
  slot?: () => Promise<{ release(): void }>;
  /** Where the agent process starts (a command typed on a command line wants the caller's directory). */
  spawnCwd?: string;
  /** Called as each process finishes (progress for the UI). */
  progress?: (done: number, total: number) => void;
  /** Only these advertisement-diff variants (by name, e.g. "none", "both"); default all four. */
  variants?: readonly string[];
}

export interface ConformanceReport {
  agent: ConformanceAgent;
  /** The highest protocol version the agent answered with (null: it never answered initialize). */
  protocolVersion: number | null;
  protocolsChecked: ProtocolChoice[];
  sessions: { name: string; firstSeq: number; lastSeq: number; requested: ProtocolChoice; negotiated: number | null }[];
  rules: RuleReport[];
  summary: ConformanceSummary;
  /** Exit status of the CLI: 1 when a MUST failed. */
  mustFailed: boolean;
}

interface Variant {
  name: string;
  protocol: ProtocolChoice;
  caps: ClientCaps;
  /** The richest variant also logs in, prompts and logs out. */
  full: boolean;
}

export function conformanceVariants(protocols: readonly ProtocolChoice[]): Variant[] {
  return protocols.flatMap((protocol) =>
    ADVERTISEMENT_VARIANTS.map((v) => {
      const full = v.authTerminal && v.legacy;
      return {
        name: `v${protocol} · ${v.name}${full ? " + elicitation" : ""}`,
        protocol,
        // fs and terminal off: the check serves no client file or terminal methods.
        caps: { fsRead: false, fsWrite: false, terminal: false, authTerminal: v.authTerminal, legacyTerminalAuth: v.legacy, elicitation: full },
        full,
      };
    }),
  );
}

/** How the check's client answers agent requests: URL sign-ins accepted, forms declined, permissions cancelled. */
function serveClientMethod(method: string, params: unknown): ClientMethodOutcome {
  const p = (params ?? {}) as Record<string, unknown>;
  if (method === "elicitation/create") return { result: p.mode === "url" ? { action: "accept" } : { action: "decline" } };
  if (method === "session/request_permission") return { result: { outcome: { outcome: "cancelled" } } };
  return { error: { code: -32601, message: "Method not found", data: { method, note: "The conformance check serves no client methods besides elicitation and permission." } } };
}

const RUN_LIMITS = { maxFrames: 20_000, maxBytes: 32 << 20, maxLineBytes: 4 << 20 };

interface SessionRun {
  variant: Variant;
  frames: Frame[];
  command: string[];
}

async function runSession(variant: Variant, opts: ConformanceOptions, runsDir: string, cwd: string, browser: BrowserShim): Promise<SessionRun> {
  const entry = opts.entry;
  const runId = `conformance-${randomBytes(5).toString("hex")}`;
  const timeout = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  let failure: PlaygroundError | undefined;
  let file = entry.command;
  let args = entry.args;
  let runtimeVersion: string | undefined;
  let env: Record<string, string> = {};
  try {
    const resolved = new Catalog(opts.dataDir).resolve(entry, childEnv(process.env).PATH);
    file = resolved.file;
    args = resolved.args;
    runtimeVersion = resolved.runtimeVersion;
    let home = (await materialize(opts.profile, { runsDir, runId, modelServerUrl: opts.modelServerUrl, agentHomeEnv: agentHomeEnv(entry) })).env;
    if (entry.oauthLab && opts.oauth) home = { ...home, KIMI_CODE_OAUTH_HOST: opts.oauth.oauthHost(runId) };
    // The check's processes get the browser launchers too, without a socket: an agent that tries to open
    // a sign-in page gets a refusal instead of a browser started on this machine.
    env = agentEnv(process.env, entry.env, { kind: opts.profile.kind, env: home }, { binDir: browser.binDir, vars: await browser.open(runId, { listen: false }) });
  } catch (error) {
    failure = error instanceof PlaygroundError ? error : new PlaygroundError((error as Error).message);
  }
  const run = new Run(
    {
      runId,
      agentId: entry.id,
      agentLabel: `${entry.label} · ${variant.name}`,
      profileId: opts.profile.id,
      profileName: opts.profile.name,
      cwd,
      spawn: { file, args, cwd: opts.spawnCwd ?? cwd, env },
      runtimeVersion,
      limits: RUN_LIMITS,
      redact: opts.redact,
      serveClientMethod,
    },
    { frames: () => undefined, state: () => undefined },
  );
  const command = [file, ...args].map(opts.redact);
  if (failure) {
    run.failBeforeSpawn({ event: failure.name === "RuntimeMissingError" ? "runtime_missing" : "spawn_error", message: failure.message, hint: failure.hint });
    return { variant, frames: run.ring.all(), command };
  }
  run.start();
  const ask = async (method: string, params: unknown): Promise<Record<string, unknown> | undefined> => {
    if (!run.alive) return undefined;
    try {
      return parseMessage(await run.requestAwait(method, params, method === "initialize" ? (opts.initializeTimeoutMs ?? Math.max(timeout, INITIALIZE_TIMEOUT_MS)) : timeout));
    } catch {
      return undefined; // unanswered in time: the frames show it (answered-in-time)
    }
  };
  try {
    await drive(variant, ask, opts, runId, cwd);
  } finally {
    const pid = run.summary.pid;
    run.kill();
    await waitDone(run, 5_000);
    sweepGroup(pid);
    // The home was the check's own: nothing in it is evidence once the frames are kept.
    await rm(path.join(runsDir, runId), { recursive: true, force: true });
  }
  return { variant, frames: run.ring.all(), command };
}

type Ask = (method: string, params: unknown) => Promise<Record<string, unknown> | undefined>;

const obj = (v: unknown): Record<string, unknown> | undefined => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

/** The fixed script of one process. */
async function drive(variant: Variant, ask: Ask, opts: ConformanceOptions, runId: string, cwd: string): Promise<void> {
  const init = obj((await ask("initialize", initializeParams(variant.caps, variant.protocol)))?.result);
  if (!init) return;
  const v = init.protocolVersion;
  if (v !== 1 && v !== 2) return;
  const caps = obj(v === 2 ? init.capabilities : init.agentCapabilities) ?? {};
  const auth = obj(caps.auth) ?? {};
  const methods = (Array.isArray(init.authMethods) ? init.authMethods : []).map((m) => obj(m) ?? {});
  const newSession = (): Promise<Record<string, unknown> | undefined> => ask("session/new", { cwd, mcpServers: [] });
  const first = await newSession();
  if (auth.status != null) {
    await ask("auth/status", {});
    await ask("auth/status", {});
    await newSession();
  }
  if (caps.providers != null) await ask("providers/list", {});
  if (!variant.full) return;
  let session = obj(first?.result)?.sessionId;
  if (methods.length > 0) {
    // Only a method whose login the protocol drives: never a terminal one (a client MUST NOT), never a legacy terminal-auth descriptor.
    const pick = methods.find((m) => (v === 2 ? m.type === "agent" : m.type === undefined || m.type === "agent" || m.type === "env_var") && obj(m._meta)?.["terminal-auth"] === undefined);
    const id = pick && (v === 2 ? pick.methodId : pick.id);
    if (typeof id === "string" && session === undefined) {
      if (opts.entry.oauthLab) opts.oauth?.approveNextLogin(runId);
      const login = await ask(v === 2 ? "auth/login" : "authenticate", { methodId: id });
      if (login?.result !== undefined) session = obj((await newSession())?.result)?.sessionId;
      if (auth.status != null) await ask("auth/status", {});
    }
  }
  if (typeof session === "string") await ask("session/prompt", { sessionId: session, prompt: [{ type: "text", text: "conformance check" }] });
  if (v === 1 && auth.logout != null) await ask("logout", {});
  if (v === 2 && methods.length > 0) await ask("auth/logout", {});
}

/** A small pool: `limit` sessions at once, results in variant order. */
async function pool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>, done?: () => void): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]);
      done?.();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

export async function runConformance(opts: ConformanceOptions): Promise<{ report: ConformanceReport; frames: Frame[] }> {
  const protocols = [...(opts.protocols ?? [1, 2])];
  const variants = conformanceVariants(protocols).filter((v) => !opts.variants || opts.variants.includes(v.name.replace(/^v\d · /, "").replace(/ \+ elicitation$/, "")));
  const ownRunsDir = opts.runsDir === undefined ? await mkdtemp(path.join(tmpdir(), "acp-conformance-")) : undefined;
  const runsDir = opts.runsDir ?? (ownRunsDir as string);
  const cwd = await mkdtemp(path.join(tmpdir(), "acp-conformance-cwd-"));
  const browser = await BrowserShim.create(() => undefined);
  let finished = 0;
  try {
    const runs = await pool(
      variants,
      opts.concurrency ?? 2,
      async (variant) => {
        const slot = await opts.slot?.();
        try {
          return await runSession(variant, opts, runsDir, cwd, browser);
        } finally {
          slot?.release();
        }
      },
      () => opts.progress?.(++finished, variants.length),
    );
    const { sessions, frames } = joinSessions(runs.map((r) => ({ name: r.variant.name, frames: r.frames })));
    const rules = evaluateConformance(sessions);
    const info = agentInfo(frames);
    const negotiated = sessions.map((s) => negotiatedOf(s.frames));
    const versions = negotiated.filter((n): n is number => n !== null);
    const report: ConformanceReport = {
      agent: { id: opts.entry.id, name: info.name, version: info.version ?? opts.entry.version ?? null, command: runs[0]?.command ?? [] },
      protocolVersion: versions.length ? Math.max(...versions) : null,
      protocolsChecked: protocols,
      sessions: sessions.map((s, i) => ({ name: s.name, firstSeq: s.frames[0]?.seq ?? 0, lastSeq: s.frames[s.frames.length - 1]?.seq ?? 0, requested: runs[i].variant.protocol, negotiated: negotiated[i] })),
      rules,
      summary: summarize(rules),
      mustFailed: mustFailed(rules),
    };
    return { report, frames };
  } finally {
    await browser.dispose();
    await rm(cwd, { recursive: true, force: true });
    if (ownRunsDir) await rm(ownRunsDir, { recursive: true, force: true });
  }
}

function initAnswer(frames: readonly Frame[]): Record<string, unknown> | undefined {
  const f = frames.find((x) => x.dir === "in" && x.kind === "response" && x.method === "initialize");
  return obj(parseMessage(f)?.result);
}

function negotiatedOf(frames: readonly Frame[]): number | null {
  const v = initAnswer(frames)?.protocolVersion;
  return typeof v === "number" ? v : null;
}

/** The agent's name and version from its first initialize answer (v1 agentInfo, v2 info). */
function agentInfo(frames: readonly Frame[]): { name: string | null; version: string | null } {
  for (const f of frames) {
    if (f.dir !== "in" || f.kind !== "response" || f.method !== "initialize") continue;
    const r = obj(parseMessage(f)?.result);
    const i = obj(r?.agentInfo) ?? obj(r?.info);
    if (i) return { name: typeof i.name === "string" ? i.name : null, version: typeof i.version === "string" ? i.version : null };
  }
  return { name: null, version: null };
}

// ── the Conformance tab: the same check, run by the hub ────────────────────

export interface ConformanceHost {
  entry(agentId: string): CatalogEntry;
  /** The check's profile: the built-in Logged out one (no credentials). */
  profile(): StoredProfile;
  dataDir: string;
  runsDir: string;
  modelServerUrl?: string;
  oauth?: ConformanceOptions["oauth"];
  redact(text: string): string;
  slot(): Promise<{ release(): void }>;
  /** Lists the check's frames as one read-only run, so evidence links open real frames. */
  importRun(label: string, summary: Partial<RunSummary>, frames: readonly Frame[]): { id: string };
  emit(event: ServerEvent): void;
}

export class ConformanceChecker {
  private running = false;

  constructor(private readonly host: ConformanceHost) {}

  async run(agentId: string, protocol?: ProtocolChoice): Promise<void> {
    const emit = (e: Omit<Extract<ServerEvent, { type: "conformance" }>, "type" | "agentId">): void => this.host.emit({ type: "conformance", agentId, ...e });
    if (this.running) throw new PlaygroundError("A conformance check is already running.", "Wait for it to finish.");
    this.running = true;
    try {
      const entry = this.host.entry(agentId);
      if (entry.replay !== undefined) throw new PlaygroundError("A replay is a recording, not an agent: there is nothing to check live.", "Pick the agent the trace was recorded from.");
      const protocols: ProtocolChoice[] = protocol ? [protocol] : [1, 2];
      emit({ state: "running", progress: { done: 0, total: conformanceVariants(protocols).length } });
      const { report, frames } = await runConformance({
        entry,
        protocols,
        profile: this.host.profile(),
        dataDir: this.host.dataDir,
        runsDir: this.host.runsDir,
        modelServerUrl: this.host.modelServerUrl,
        oauth: this.host.oauth,
        redact: (t) => this.host.redact(t),
        slot: () => this.host.slot(),
        progress: (done, total) => emit({ state: "running", progress: { done, total } }),
      });
      const run = this.host.importRun(`Conformance: ${entry.label}`, { agentId: entry.id, agentLabel: `${entry.label} (conformance check)`, profileName: this.host.profile().name, origin: `conformance check of ${entry.id}` }, frames);
      emit({ state: "done", runId: run.id, report: toConformanceJson(report, frames) });
    } catch (error) {
      emit({ state: "failed", message: (error as Error).message });
      throw error;
    } finally {
      this.running = false;
    }
  }
}
