/**
 * The whole browser ⇄ relay contract: one union of client commands, one union of server events,
 * and the frame record they carry. Nothing else crosses the WebSocket, so this file is the place
 * to read when changing either side. Isomorphic: no DOM, no node:*.
 */

import type { LoginAttempt } from "./auth-timeline";
import type { ConformanceJson } from "./conformance-report";
import type { CredentialSource } from "./credential-sources";
import { ELICITATION_ACTIONS, type ElicitationAction, type ElicitationValue } from "./elicitation";
import { checkOAuthBehaviour, OAUTH_ACTIONS, type OAuthAction, type OAuthBehaviour, type OAuthLabState } from "./oauth-lab";

/** Which way a line crossed the agent's stdio; `sys` is the relay speaking (lifecycle, markers). */
export type Direction = "out" | "in" | "sys";

export type FrameKind =
  | "request"
  | "response"
  | "error"
  | "notification"
  | "malformed" // a stdout/stdin line that is not a JSON-RPC message
  | "too_large" // a line over the relay's limit; only a prefix is kept
  | "stderr"
  | "lifecycle" // spawned, exited, spawn error, killed
  | "lost" // a request that will never get its answer (the agent died first)
  | "divider" // a run boundary: agent, version, profile
  // Out-of-band lanes (issue #13): what the agent does off its stdio, seen by the relay. All use dir "sys".
  | "http" // one HTTP request the agent made to the OAuth emulator or the model server (Frame.http)
  | "home" // a file in the run's home created, changed or deleted (Frame.home)
  | "agent-log"; // one line of the agent's own session record under its home (Frame.agentLog)

/** The frame kinds that do not come from the agent's stdio, in lane order (Agent home · Auth/Model server). */
export const OUT_OF_BAND_KINDS: readonly FrameKind[] = ["http", "home", "agent-log"];

/** Which loopback server an HTTP hop went to. */
export type HopHost = "oauth" | "model";

/**
 * One HTTP request the agent made, as the relay's servers saw it (Frame.http). `path` never carries
 * a query string's secrets (the recorder strips or masks them). `grantType` is the token endpoint's
 * `grant_type` form field (`refresh_token`, `urn:ietf:params:oauth:grant-type:device_code`).
 * `status` is absent when no answer was sent (the connection was dropped or never answered).
 */
export interface HttpHop {
  method: string;
  path: string;
  status?: number;
  ms?: number;
  grantType?: string;
  host: HopHost;
  /** Why there was no normal answer: "dropped", "timeout", "client closed", an emulator behaviour. */
  error?: string;
}

/**
 * What a server reports for one hop (the emulator's and the model server's `onHop` hooks). The relay
 * keeps the HttpHop fields on the frame and puts the whole record, masked and redacted, in `raw`.
 * `request`/`response` are the parsed bodies (form fields, JSON) where small; tokens in them are
 * masked by the recorder, so a hook may pass them as they were.
 */
export interface HttpHopEvent extends HttpHop {
  request?: { headers?: Record<string, string>; body?: unknown };
  response?: { body?: unknown };
  /** Tokens this answer issued (access, refresh, device code): the relay adds them to the run's redactor at once. */
  issued?: string[];
}

/** One field of a masked JSON/TOML diff: secret-looking values are masked (`‹…1a2b›`, length + last 4). */
export interface HomeDiffEntry {
  /** Dotted key path inside the file: `access_token`, `providers.managed:kimi-code.api_key`. */
  key: string;
  op: "add" | "remove" | "change";
  from?: string;
  to?: string;
}

/** A file in the run's home created, changed or deleted (Frame.home). `path` is relative to the home. */
export interface HomeChange {
  op: "create" | "change" | "delete";
  path: string;
  /** One line for the list: `access_token ‹…1a2b› → ""`, `+3 keys`, `412 bytes`. */
  summary: string;
  /** For JSON and TOML files: the changed keys, bounded (HOME_DIFF_MAX entries); absent for other files. */
  diff?: HomeDiffEntry[];
  /** The diff had more entries than it keeps. */
  diffTruncated?: number;
  bytes?: number;
}

/** One line of the agent's own record (Frame.agentLog); `file` is relative to the home. */
export interface AgentLogLine {
  file: string;
  /** 1-based line number in that file. */
  line: number;
}

export interface LifecycleInfo {
  /** `browser_open`: the agent ran the run's BROWSER / xdg-open shim (server/browser-shim.ts); argv is [name, url]. */
  event: "spawned" | "exited" | "spawn_error" | "kill_requested" | "runtime_missing" | "browser_open";
  pid?: number;
  argv?: string[];
  cwd?: string;
  runtime?: string;
  code?: number | null;
  signal?: string | null;
  message?: string;
  hint?: string;
}

/**
 * One recorded line. `raw` is exactly what crossed stdio (secrets redacted), kept before any
 * parsing; everything else is derived from it by the relay so every tab sees the same analysis.
 */
export interface Frame {
  seq: number;
  runId: string;
  /** Monotonic milliseconds since the relay started; use for latency, never for wall time. */
  t: number;
  /** Wall clock, epoch milliseconds, for display and exports. */
  wall: number;
  dir: Direction;
  kind: FrameKind;
  raw: string;
  /** Byte length of the original line (before truncation of too-large lines). */
  bytes: number;
  method?: string;
  /** JSON-RPC id rendered as a stable key: `n:3`, `s:abc`, `null`. */
  id?: string;
  errorCode?: number;
  errorMessage?: string;
  /** For responses/errors/lost: seq of the paired request. For requests: seq of the answer once known. */
  pairSeq?: number;
  /** On the answer: milliseconds between request and answer. */
  latencyMs?: number;
  /** The relay produced this frame itself (auto-answers), not the user. */
  auto?: boolean;
  lifecycle?: LifecycleInfo;
  /** Human note: why a line is malformed, what a divider names, why a request was lost. */
  note?: string;
  /** `session/update` discriminator, so filters need not parse. */
  updateKind?: string;
  /** Set when fault injection touched this frame: what it did. */
  injected?: string;
  /** JSON Schema violations against the SDK's ACP schema, when validation is on. */
  violations?: { path: string; message: string }[];
  /** Schema remarks that are not violations: a method no schema lists that the agent served (lib/schema-notes.ts). */
  schemaNotes?: { path: string; message: string }[];
  /** kind "http": the hop's summary fields; `raw` is the whole HttpHopEvent as one JSON line, masked and redacted. */
  http?: HttpHop;
  /** kind "home": what changed in the run's home; `raw` is the HomeChange as one JSON line. */
  home?: HomeChange;
  /** kind "agent-log": where the line came from; `raw` is the line itself, redacted (bounded). */
  agentLog?: AgentLogLine;
  /**
   * Set only on a tab's copy: `raw` is a prefix of this many characters' line, cut to the relay's
   * per-tab budget. The relay's ring (and every export) keeps the whole line.
   */
  clipped?: number;
}

export type RunState = "starting" | "running" | "exited" | "failed";

export interface RunSummary {
  runId: string;
  agentId: string;
  agentLabel: string;
  profileId: string;
  profileName: string;
  state: RunState;
  pid?: number;
  exitCode?: number | null;
  signal?: string | null;
  startedAt: number;
  endedAt?: number;
  cwd: string;
  /** From the `initialize` result, once seen. */
  agentInfo?: { name: string; title?: string; version: string };
  frameCount: number;
  dropped: number;
  counts: { in: number; out: number; errors: number; stderr: number };
  /** Outstanding requests, both directions. */
  pendingOut: number;
  pendingIn: number;
  error?: string;
  /** Terminal logins run for this run's agent (they happen in a pty, not on stdio). */
  loginAttempts: LoginAttempt[];
  /** Catalog facts the diagnosis needs. */
  agentVersion?: string;
  kimi?: boolean;
  profileKind?: ProfileKind;
  profileSources?: string[];
  /** The argv the relay ran (redacted), for the terminal-login commands. */
  argv?: string[];
  /** Where a reconnect after a login reused the home of an earlier run. */
  homeFrom?: string;
  /** Imported trace: read-only, no process. */
  imported?: boolean;
  /** Where a run without a process came from: "imported from <file>", "matrix cell <agent> × <profile>". */
  origin?: string;
  /** The agent plays back a recorded trace: no terminal, file or login is run for it. Set by the relay only. */
  replay?: boolean;
  /** The last answer to session/new, session/prompt or authenticate (lib/run-outcome.ts), for the run list. */
  lastAnswer?: { method: string; errorCode?: number };
}

/** How much disk `<data-dir>/runs` (every run's home) takes, measured by the relay in the background. */
export interface RunsDisk {
  bytes: number;
  /** Files and directories counted; the walk stops at a bound and says so. */
  entries: number;
  truncated?: boolean;
  at: number;
}

export type FlowMode = "probe" | "auto";

/** Fault injection between client and agent; counts are "every Nth line", 0 = off. */
export interface FaultConfig {
  enabled: boolean;
  delayOutMs: number;
  delayInMs: number;
  dropOutEvery: number;
  dropInEvery: number;
  corruptOutEvery: number;
  /** Answer the Nth session/new of a run with -32000 from the relay. */
  forceAuthOnSessionNew: number;
  /** Kill the agent right after a request with this method is written ("" = off). */
  killOnMethod: string;
  junkEveryMs: number;
}

/** One auth-matrix cell as the browser sees it (its frames stay on the server until opened). */
export interface MatrixCellView {
  index: number;
  agentId: string;
  profileName: string;
  state: "queued" | "running" | "done";
  verdict?: string;
  ms?: number;
  detail?: string;
  agentVersion?: string | null;
  errorCode?: number;
  /** The advertised auth methods with their types (agent / terminal / legacy / env_var / other). */
  methods?: { id: string; type: string; vars?: string[] }[];
  /** The env_var method the probe authenticated with (the profile supplied its variables). */
  authenticated?: string;
  /** The protocolVersion the agent answered initialize with. */
  protocolVersion?: number;
}

/** The matrix's optional prompt step: at most this many characters of text. */
export const MATRIX_MAX_PROMPT = 4000;

/** A matrix is a bounded job: at most this many cells (agents × profiles, duplicates removed)… */
export const MATRIX_MAX_CELLS = 64;
/** …and at most this long per cell, so a hanging agent blocks the matrix for minutes, not hours. */
export const MATRIX_MAX_TIMEOUT_MS = 120_000;
export const MATRIX_MIN_TIMEOUT_MS = 1_000;

/** Why a matrix of these ids cannot run (too many cells, bad timeout), or undefined when it can. */
export function matrixProblem(agentIds: readonly string[], profileIds: readonly string[], timeoutMs?: number): string | undefined {
  const cells = new Set(agentIds).size * new Set(profileIds).size;
  if (cells > MATRIX_MAX_CELLS) return `the matrix asks for ${cells} cells (agents × profiles); at most ${MATRIX_MAX_CELLS} run at once — pick fewer agents or profiles`;
  if (timeoutMs !== undefined && (!Number.isInteger(timeoutMs) || timeoutMs < MATRIX_MIN_TIMEOUT_MS || timeoutMs > MATRIX_MAX_TIMEOUT_MS)) {
    return `matrix timeoutMs must be an integer from ${MATRIX_MIN_TIMEOUT_MS} to ${MATRIX_MAX_TIMEOUT_MS} (per cell), not ${JSON.stringify(timeoutMs)}`;
  }
  return undefined;
}
export type PermissionPolicy = "ask" | "allow" | "reject";

export interface AdvertisementVariant {
  name: "none" | "auth.terminal" | "legacy _meta" | "both";
  clientCapabilities: Record<string, unknown>;
  ok: boolean;
  error?: string;
  authMethods?: unknown[];
  /** v1's `agentCapabilities`, v2's `capabilities` (same field here; `protocolVersion` says which). */
  agentCapabilities?: unknown;
  /** The protocolVersion the agent answered this variant's initialize with. */
  protocolVersion?: number;
  ms?: number;
}

export interface CatalogEntryView {
  id: string;
  label: string;
  /** argv as the relay will run it, for display only; the browser can never change it. */
  argv: string[];
  builtin: boolean;
  /** Why this entry cannot start right now (missing binary, wrong Node), or undefined if it can. */
  problem?: string;
  version?: string;
  /** Plays back a recorded trace instead of running a real agent. */
  replay?: boolean;
}

export type ProfileKind =
  | "kimi-api-key"
  | "kimi-oauth"
  | "kimi-oauth-emulated"
  | "kimi-env"
  | "gemini-api-key"
  | "gemini-oauth"
  | "claude-api-key"
  | "claude-credentials"
  | "codex-api-key"
  | "codex-auth-json"
  | "qwen-openai"
  | "copilot-token"
  | "logged-out"
  | "existing-home"
  | "generic";

/** A profile as the browser may see it: every secret already masked (`sk-…9f3a`). */
export interface ProfileView {
  id: string;
  name: string;
  kind: ProfileKind;
  builtin: boolean;
  /** Kind-specific fields, secrets masked. */
  fields: Record<string, string | boolean | null>;
  /** Credential sources present, names only: `config.toml api_key`, `credentials/kimi-code.json`, `env KIMI_MODEL_API_KEY`. */
  sources: string[];
  /** The agent this kind is for, and every source it reads, marked with whether this profile sets it (lib/credential-sources.ts). */
  agentSources?: { label: string; sources: CredentialSource[] };
  /** For OAuth: the token's `expires_at` in epoch seconds. */
  expiresAt?: number;
  warning?: string;
}

/** A profile draft as the browser sends it. Secret fields left as their masked value mean "unchanged". */
export interface ProfileDraft {
  id?: string;
  name: string;
  kind: ProfileKind;
  fields: Record<string, string | boolean | null>;
}

export interface ClientCaps {
  fsRead: boolean;
  fsWrite: boolean;
  terminal: boolean;
  authTerminal: boolean;
  legacyTerminalAuth: boolean;
  /** Advertise clientCapabilities.elicitation {form, url} (issue 15); absent = off. */
  elicitation?: boolean;
}

export interface ServerInfo {
  version: string;
  dataDir: string;
  defaultCwd: string;
  modelServerUrl?: string;
  limits: { ringFrames: number; maxLineBytes: number };
}

/** Browser → relay. */
export type ClientCommand =
  | { type: "start"; agentId: string; profileId?: string; cwd?: string }
  | { type: "restart" }
  | { type: "kill" }
  /** Written verbatim (plus a newline) to the agent's stdin. */
  | { type: "send_raw"; text: string }
  /** The relay assigns the id, so buttons never collide with each other. */
  | { type: "request"; method: string; params: unknown }
  | { type: "notify"; method: string; params: unknown }
  /** Answer an agent→client request. */
  | { type: "respond"; id: string; result?: unknown; error?: { code: number; message: string; data?: unknown } }
  | { type: "select_run"; runId: string }
  /** `agentId`: the agent picked in the page; a running agent is restarted as that one with the new profile. */
  | { type: "profile_select"; profileId: string; agentId?: string }
  /** Remove every ended run from the list (the running one stays). */
  | { type: "clear_runs" }
  | { type: "profile_save"; draft: ProfileDraft }
  | { type: "profile_delete"; profileId: string }
  | { type: "profile_duplicate"; profileId: string }
  | { type: "profile_preview"; draft: ProfileDraft }
  | { type: "profile_check"; profileId: string }
  /** Run a terminal auth method of the current run's agent in a pty, under one convention. */
  | { type: "login_start"; methodId: string; convention: "spec" | "legacy"; cols?: number; rows?: number }
  | { type: "login_input"; data: string }
  | { type: "login_resize"; cols: number; rows: number }
  | { type: "login_cancel" }
  /**
   * An `env_var` auth method (Codex): restart the agent with the method's variables set, then send
   * authenticate. `values` are typed in the page; an omitted variable takes the profile's value.
   * The values stay on the server: they go into the run's env and the redactor, never back out.
   */
  | { type: "auth_env_start"; methodId: string; values?: Record<string, string> }
  /**
   * Gemini CLI's extension: authenticate with `_meta["api-key"]` (typed, or from the profile's
   * variable when omitted) and/or `_meta.gateway {baseUrl, headers}`. Same secrecy as auth_env_start.
   */
  | { type: "auth_key_start"; methodId: string; apiKey?: string; gateway?: { baseUrl: string; headers?: Record<string, string> } }
  /** `protocolVersion`: what initialize asks for (default 1); the agent's answer decides what the flow speaks. */
  | { type: "flow"; mode: FlowMode; agentId: string; cwd?: string; caps: ClientCaps; protocolVersion?: 1 | 2 }
  /** `protocolVersion`: the version each variant's initialize asks for (default 1), in that version's shape. */
  | { type: "adv_diff"; agentId: string; cwd?: string; protocolVersion?: 1 | 2 }
  /** The auth conformance check of a catalog agent (issue 15 §3); results come back as `conformance`. */
  | { type: "conformance_run"; agentId: string; protocolVersion?: 1 | 2 }
  | { type: "set_permission_policy"; policy: PermissionPolicy }
  /** Browse a JSONL trace read-only, as a run of its own. */
  | { type: "import_trace"; text: string; name?: string }
  /** Register a catalog entry that plays back the agent side of this run. */
  | { type: "replay_run"; runId: string }
  /** Agent and profile ids are deduplicated; cells and the per-cell timeout are capped (MATRIX_MAX_*). */
  | { type: "matrix_run"; agentIds: string[]; profileIds: string[]; timeoutMs?: number; prompt?: string; protocolVersion?: 1 | 2 }
  /** Stop the running matrix: its probes' agents are killed, queued cells end as cancelled. */
  | { type: "matrix_cancel" }
  /** Open one matrix cell's recorded frames as a read-only run. */
  | { type: "matrix_open"; index: number }
  | { type: "set_validation"; enabled: boolean; unstable: boolean }
  | { type: "set_faults"; faults: FaultConfig }
  /** Does each terminal-login command of the current run exist and can it run? */
  | { type: "login_check" }
  /** Change the OAuth emulator's behaviour live (lib/oauth-lab.ts checkOAuthBehaviour bounds it). */
  | { type: "oauth_behaviour"; behaviour: Partial<OAuthBehaviour> }
  /**
   * One click in the OAuth lab: expire the current run's access token, revoke its refresh token,
   * or approve/deny a pending device code (`userCode`, as on the verification page).
   */
  | { type: "oauth_action"; action: OAuthAction; userCode?: string }
  /** The user's answer to an agent's elicitation/create; the relay checks content against the request's schema, then answers. */
  | { type: "elicitation_answer"; id: string; action: ElicitationAction; content?: Record<string, ElicitationValue> }
  /**
   * providers/set (unstable): the relay composes the request. Header values are secrets: they join
   * the run's redactor before the frame is written, and the browser never gets them back.
   */
  | { type: "providers_set"; providerId: string; apiType: string; baseUrl: string; headers: Record<string, string> };

/** Relay → browser. */
export type ServerEvent =
  | {
      type: "hello";
      server: ServerInfo;
      catalog: CatalogEntryView[];
      catalogError?: string;
      runs: RunSummary[];
      currentRunId?: string;
      viewRunId?: string;
      profiles: ProfileView[];
      activeProfileId: string;
      permissionPolicy: PermissionPolicy;
      login?: Extract<ServerEvent, { type: "login" }>;
      validation: { enabled: boolean; unstable: boolean };
      faults: FaultConfig;
      matrix?: Extract<ServerEvent, { type: "matrix" }>;
      runsDisk?: RunsDisk;
    }
  /** Frames of `runId` in seq order. `reset` means: forget what you had for this run first. */
  | { type: "frames"; runId: string; frames: Frame[]; reset?: boolean; dropped?: number }
  | { type: "run"; run: RunSummary; current: boolean }
  | { type: "runs_disk"; disk: RunsDisk }
  | { type: "catalog"; catalog: CatalogEntryView[]; catalogError?: string }
  | { type: "profiles"; profiles: ProfileView[]; activeProfileId: string }
  | { type: "profile_preview"; files: { path: string; content: string; mode: string }[]; env: Record<string, string>; error?: string }
  | { type: "profile_check"; profileId: string; ok: boolean; exitCode: number | null; output: string }
  /** To the tab that asked: what its profile_save / _duplicate / _delete produced (the saved view, masked) or why it was refused. */
  | { type: "profile_result"; action: "save" | "duplicate" | "delete"; ok: boolean; profile?: ProfileView; profileId?: string; created?: boolean; error?: string; hint?: string }
  | { type: "notice"; level: "info" | "warn" | "error"; message: string; hint?: string }
  | { type: "login"; state: "running" | "exited" | "failed"; runId?: string; convention?: "spec" | "legacy"; argv?: string[]; exitCode?: number | null; signal?: string | null; message?: string; hint?: string }
  | { type: "login_output"; data: string; reset?: boolean }
  /** `runId`: the run the line is about; `verdict`: what the flow found (a finished Probe can still find a failure). */
  | { type: "flow"; mode: FlowMode | "env_var" | "api_key"; state: "running" | "done" | "failed"; message: string; runId?: string; verdict?: "ok" | "fail" }
  /** `runId`: the run the diff was asked from (its agent and profile); the page shows it with that run only. */
  | { type: "adv_diff"; agentId: string; variants: AdvertisementVariant[]; running?: boolean; runId?: string; protocolVersion?: 1 | 2 }
  /** The conformance check: progress, then the report; `runId` is the listed run holding its frames (evidence seqs point into it). */
  | { type: "conformance"; state: "running" | "done" | "failed"; agentId: string; progress?: { done: number; total: number }; runId?: string; report?: ConformanceJson; message?: string }
  /** Runs no longer listed (Clear, pruning): every tab drops them. */
  | { type: "runs_removed"; runIds: string[] }
  | { type: "permission_policy"; policy: PermissionPolicy }
  /** The whole matrix: in `hello`, when a matrix starts and when it ends. */
  | { type: "matrix"; running: boolean; total: number; cells: MatrixCellView[]; protocolVersion?: 1 | 2 }
  /** One cell changed while the matrix runs (a delta, not the whole matrix again). */
  | { type: "matrix_cell"; index: number; cell: MatrixCellView }
  | { type: "validation"; enabled: boolean; unstable: boolean }
  | { type: "faults"; faults: FaultConfig }
  | { type: "login_check"; runId: string; results: { methodId: string; convention: "spec" | "legacy"; ok: boolean; resolved?: string; problem?: string }[] }
  /** The agent wrote a file through fs/write_text_file; old and new text for a diff. */
  | { type: "fs_write"; runId: string; sessionId: string; path: string; oldText: string | null; newText: string }
  /** A client terminal (terminal/create) the relay runs for the agent: creation, output, exit. */
  /** The OAuth emulator's behaviour and pending device codes: in answer to a change, and whenever they change. */
  | ({ type: "oauth_state" } & OAuthLabState)
  | { type: "client_terminal"; runId: string; terminalId: string; argv?: string[]; cwd?: string; data?: string; exited?: boolean; exitCode?: number | null; signal?: string | null }

export const WS_PATH = "/ws";

/** A JSON object whose values are all strings (at most 32 entries), or undefined. */
function stringRecord(value: unknown): Record<string, string> | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const entries = Object.entries(value);
  if (entries.length > 32 || !entries.every(([, v]) => typeof v === "string")) return undefined;
  return Object.fromEntries(entries) as Record<string, string>;
}

/** Parse a ClientCommand without trusting its shape; returns an error message on failure. */
export function parseClientCommand(text: string): { ok: true; command: ClientCommand } | { ok: false; error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, error: "command is not JSON" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, error: "command must be a JSON object" };
  }
  const record = value as Record<string, unknown>;
  const type = record.type;
  const str = (key: string): boolean => typeof record[key] === "string";
  switch (type) {
    case "start":
      if (!str("agentId")) return { ok: false, error: "start needs agentId" };
      if (record.profileId !== undefined && !str("profileId")) return { ok: false, error: "profileId must be a string" };
      if (record.cwd !== undefined && !str("cwd")) return { ok: false, error: "cwd must be a string" };
      // Anything else (command, args, env) is ignored on purpose: only catalog entries run.
      return {
        ok: true,
        command: {
          type,
          agentId: record.agentId as string,
          profileId: record.profileId as string | undefined,
          cwd: record.cwd as string | undefined,
        },
      };
    case "restart":
    case "kill":
      return { ok: true, command: { type } };
    case "send_raw":
      return str("text") ? { ok: true, command: { type, text: record.text as string } } : { ok: false, error: "send_raw needs text" };
    case "request":
    case "notify":
      return str("method")
        ? { ok: true, command: { type, method: record.method as string, params: record.params } }
        : { ok: false, error: `${type} needs a method` };
    case "respond": {
      if (!str("id")) return { ok: false, error: "respond needs id" };
      const error = record.error as { code?: unknown; message?: unknown; data?: unknown } | undefined;
      if (error !== undefined && (typeof error !== "object" || typeof error.code !== "number" || typeof error.message !== "string")) {
        return { ok: false, error: "respond.error needs code and message" };
      }
      return {
        ok: true,
        command: {
          type,
          id: record.id as string,
          result: record.result,
          error: error ? { code: error.code as number, message: error.message as string, data: error.data } : undefined,
        },
      };
    }
    case "login_start": {
      if (!str("methodId")) return { ok: false, error: "login_start needs methodId" };
      if (record.convention !== "spec" && record.convention !== "legacy") return { ok: false, error: 'login_start convention must be "spec" or "legacy"' };
      return { ok: true, command: { type, methodId: record.methodId as string, convention: record.convention, cols: num(record.cols), rows: num(record.rows) } };
    }
    case "auth_env_start": {
      if (!str("methodId")) return { ok: false, error: "auth_env_start needs methodId" };
      const values = stringRecord(record.values);
      if (record.values !== undefined && !values) return { ok: false, error: "auth_env_start values must map names to strings" };
      return { ok: true, command: { type, methodId: record.methodId as string, values } };
    }
    case "auth_key_start": {
      if (!str("methodId")) return { ok: false, error: "auth_key_start needs methodId" };
      if (record.apiKey !== undefined && !str("apiKey")) return { ok: false, error: "auth_key_start apiKey must be a string" };
      let gateway: { baseUrl: string; headers?: Record<string, string> } | undefined;
      if (record.gateway !== undefined) {
        const g = record.gateway as Record<string, unknown> | null;
        const headers = g && g.headers !== undefined ? stringRecord(g.headers) : undefined;
        if (!g || typeof g !== "object" || typeof g.baseUrl !== "string" || (g.headers !== undefined && !headers)) return { ok: false, error: "auth_key_start gateway needs baseUrl and string headers" };
        gateway = { baseUrl: g.baseUrl, headers };
      }
      return { ok: true, command: { type, methodId: record.methodId as string, apiKey: record.apiKey as string | undefined, gateway } };
    }
    case "login_input":
      return str("data") ? { ok: true, command: { type, data: record.data as string } } : { ok: false, error: "login_input needs data" };
    case "login_resize": {
      const cols = num(record.cols);
      const rows = num(record.rows);
      return cols && rows ? { ok: true, command: { type, cols, rows } } : { ok: false, error: "login_resize needs cols and rows" };
    }
    case "login_cancel":
    case "login_check":
      return { ok: true, command: { type } };
    case "flow": {
      if (record.mode !== "probe" && record.mode !== "auto") return { ok: false, error: 'flow mode must be "probe" or "auto"' };
      if (!str("agentId")) return { ok: false, error: "flow needs agentId" };
      const caps = parseCaps(record.caps);
      if (!caps) return { ok: false, error: "flow needs caps" };
      if (record.protocolVersion !== undefined && record.protocolVersion !== 1 && record.protocolVersion !== 2) return { ok: false, error: "flow protocolVersion must be 1 or 2" };
      return { ok: true, command: { type, mode: record.mode, agentId: record.agentId as string, cwd: str("cwd") ? (record.cwd as string) : undefined, caps, protocolVersion: record.protocolVersion } };
    }
    case "adv_diff":
      if (!str("agentId")) return { ok: false, error: "adv_diff needs agentId" };
      if (record.protocolVersion !== undefined && record.protocolVersion !== 1 && record.protocolVersion !== 2) return { ok: false, error: "adv_diff protocolVersion must be 1 or 2" };
      return { ok: true, command: { type, agentId: record.agentId as string, cwd: str("cwd") ? (record.cwd as string) : undefined, protocolVersion: record.protocolVersion } };
    case "conformance_run":
      if (!str("agentId")) return { ok: false, error: "conformance_run needs agentId" };
      if (record.protocolVersion !== undefined && record.protocolVersion !== 1 && record.protocolVersion !== 2) return { ok: false, error: "conformance_run protocolVersion must be 1 or 2" };
      return { ok: true, command: { type, agentId: record.agentId as string, protocolVersion: record.protocolVersion } };
    case "set_permission_policy":
      return record.policy === "ask" || record.policy === "allow" || record.policy === "reject"
        ? { ok: true, command: { type, policy: record.policy } }
        : { ok: false, error: 'policy must be "ask", "allow" or "reject"' };
    case "import_trace":
      return str("text") ? { ok: true, command: { type, text: record.text as string, name: str("name") ? (record.name as string) : undefined } } : { ok: false, error: "import_trace needs text" };
    case "replay_run":
      return str("runId") ? { ok: true, command: { type, runId: record.runId as string } } : { ok: false, error: "replay_run needs runId" };
    case "matrix_run": {
      const ids = (v: unknown): string[] | undefined => (Array.isArray(v) && v.every((x) => typeof x === "string") ? (v as string[]) : undefined);
      const agentIds = ids(record.agentIds);
      const profileIds = ids(record.profileIds);
      if (!agentIds?.length || !profileIds?.length) return { ok: false, error: "matrix_run needs agentIds and profileIds" };
      if (record.timeoutMs !== undefined && typeof record.timeoutMs !== "number") return { ok: false, error: "matrix timeoutMs must be a number" };
      const timeoutMs = record.timeoutMs as number | undefined;
      const problem = matrixProblem(agentIds, profileIds, timeoutMs);
      if (problem) return { ok: false, error: problem };
      // The prompt is text sent to the agent, like any prompt typed in the composer; bounded, never a command.
      if (record.prompt !== undefined && (typeof record.prompt !== "string" || record.prompt.length > MATRIX_MAX_PROMPT)) {
        return { ok: false, error: `matrix prompt must be a string of at most ${MATRIX_MAX_PROMPT} characters` };
      }
      const prompt = typeof record.prompt === "string" && record.prompt.trim() !== "" ? record.prompt : undefined;
      if (record.protocolVersion !== undefined && record.protocolVersion !== 1 && record.protocolVersion !== 2) return { ok: false, error: "matrix protocolVersion must be 1 or 2" };
      return { ok: true, command: { type, agentIds: [...new Set(agentIds)], profileIds: [...new Set(profileIds)], timeoutMs, prompt, protocolVersion: record.protocolVersion } };
    }
    case "matrix_cancel":
    case "clear_runs":
      return { ok: true, command: { type } };
    case "matrix_open":
      return typeof record.index === "number" && Number.isInteger(record.index) ? { ok: true, command: { type, index: record.index } } : { ok: false, error: "matrix_open needs index" };
    case "set_validation":
      return typeof record.enabled === "boolean" ? { ok: true, command: { type, enabled: record.enabled, unstable: record.unstable === true } } : { ok: false, error: "set_validation needs enabled" };
    case "oauth_behaviour": {
      const checked = checkOAuthBehaviour(record.behaviour);
      return checked.ok ? { ok: true, command: { type, behaviour: checked.value } } : { ok: false, error: `oauth_behaviour: ${checked.message}` };
    }
    case "oauth_action": {
      if (!OAUTH_ACTIONS.includes(record.action as OAuthAction)) return { ok: false, error: `oauth_action needs action: one of ${OAUTH_ACTIONS.join(", ")}` };
      const action = record.action as OAuthAction;
      if (action === "approve" || action === "deny") {
        if (typeof record.userCode !== "string" || !/^[A-Z0-9-]{1,32}$/i.test(record.userCode)) return { ok: false, error: `oauth_action ${action} needs a userCode` };
        return { ok: true, command: { type, action, userCode: record.userCode } };
      }
      return { ok: true, command: { type, action } };
    }
    case "elicitation_answer": {
      if (!str("id")) return { ok: false, error: "elicitation_answer needs id" };
      if (!ELICITATION_ACTIONS.includes(record.action as ElicitationAction)) return { ok: false, error: `elicitation_answer action must be one of ${ELICITATION_ACTIONS.join(", ")}` };
      const content = record.content;
      if (content !== undefined && (typeof content !== "object" || content === null || Array.isArray(content))) return { ok: false, error: "elicitation_answer content must be an object" };
      // Its values are checked against the request's schema by the relay (lib/elicitation.ts checkContent).
      return { ok: true, command: { type, id: record.id as string, action: record.action as ElicitationAction, content: content as Record<string, ElicitationValue> | undefined } };
    }
    case "providers_set": {
      if (!str("providerId") || !str("apiType") || !str("baseUrl")) return { ok: false, error: "providers_set needs providerId, apiType and baseUrl" };
      const headers = record.headers === undefined ? {} : stringRecord(record.headers);
      if (!headers) return { ok: false, error: "providers_set headers must map at most 32 names to strings" };
      return { ok: true, command: { type, providerId: record.providerId as string, apiType: record.apiType as string, baseUrl: record.baseUrl as string, headers } };
    }
    case "set_faults": {
      const faults = parseFaults(record.faults);
      return typeof faults === "string" ? { ok: false, error: faults } : { ok: true, command: { type, faults } };
    }
    case "select_run":
      return str("runId") ? { ok: true, command: { type, runId: record.runId as string } } : { ok: false, error: "select_run needs runId" };
    case "profile_select":
      if (!str("profileId")) return { ok: false, error: "profile_select needs profileId" };
      if (record.agentId !== undefined && !str("agentId")) return { ok: false, error: "agentId must be a string" };
      return { ok: true, command: { type, profileId: record.profileId as string, agentId: record.agentId as string | undefined } };
    case "profile_delete":
    case "profile_duplicate":
    case "profile_check":
      return str("profileId")
        ? { ok: true, command: { type, profileId: record.profileId as string } }
        : { ok: false, error: `${type} needs profileId` };
    case "profile_save":
    case "profile_preview": {
      const draft = parseDraft(record.draft);
      return typeof draft === "string" ? { ok: false, error: draft } : { ok: true, command: { type, draft } };
    }
    default:
      return { ok: false, error: `unknown command type ${JSON.stringify(type)}` };
  }
}

/** Validated here rather than in server/faults.ts so the contract file stays self-contained. */
function parseFaults(value: unknown): FaultConfig | string {
  if (typeof value !== "object" || value === null) return "faults must be an object";
  const v = value as Record<string, unknown>;
  const ints = ["delayOutMs", "delayInMs", "dropOutEvery", "dropInEvery", "corruptOutEvery", "forceAuthOnSessionNew", "junkEveryMs"] as const;
  for (const k of ints) if (!Number.isInteger(v[k]) || (v[k] as number) < 0 || (v[k] as number) > 600_000) return `faults.${k} must be an integer from 0 to 600000`;
  if (typeof v.enabled !== "boolean") return "faults.enabled must be a boolean";
  if (typeof v.killOnMethod !== "string") return "faults.killOnMethod must be a string";
  return {
    enabled: v.enabled,
    delayOutMs: v.delayOutMs as number,
    delayInMs: v.delayInMs as number,
    dropOutEvery: v.dropOutEvery as number,
    dropInEvery: v.dropInEvery as number,
    corruptOutEvery: v.corruptOutEvery as number,
    forceAuthOnSessionNew: v.forceAuthOnSessionNew as number,
    killOnMethod: v.killOnMethod,
    junkEveryMs: v.junkEveryMs as number,
  };
}

function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isInteger(value) && value > 0 && value < 10_000_000 ? value : undefined;
}

function parseCaps(value: unknown): ClientCaps | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const c = value as Record<string, unknown>;
  const keys = ["fsRead", "fsWrite", "terminal", "authTerminal", "legacyTerminalAuth"] as const;
  if (!keys.every((k) => typeof c[k] === "boolean")) return undefined;
  return { fsRead: c.fsRead as boolean, fsWrite: c.fsWrite as boolean, terminal: c.terminal as boolean, authTerminal: c.authTerminal as boolean, legacyTerminalAuth: c.legacyTerminalAuth as boolean, ...(typeof c.elicitation === "boolean" ? { elicitation: c.elicitation } : {}) };
}

export const PROFILE_KINDS: readonly ProfileKind[] = [
  "kimi-api-key",
  "kimi-oauth",
  "kimi-oauth-emulated",
  "kimi-env",
  "gemini-api-key",
  "gemini-oauth",
  "claude-api-key",
  "claude-credentials",
  "codex-api-key",
  "codex-auth-json",
  "qwen-openai",
  "copilot-token",
  "logged-out",
  "existing-home",
  "generic",
];

function parseDraft(value: unknown): ProfileDraft | string {
  if (typeof value !== "object" || value === null) return "profile draft must be an object";
  const d = value as Record<string, unknown>;
  if (typeof d.name !== "string") return "profile needs a name";
  if (typeof d.kind !== "string" || !PROFILE_KINDS.includes(d.kind as ProfileKind)) return `unknown profile kind ${JSON.stringify(d.kind)}`;
  if (d.id !== undefined && typeof d.id !== "string") return "profile id must be a string";
  const fields: Record<string, string | boolean | null> = {};
  if (typeof d.fields === "object" && d.fields !== null) {
    for (const [k, v] of Object.entries(d.fields as Record<string, unknown>)) {
      if (typeof v === "string" || typeof v === "boolean" || v === null) fields[k] = v;
      else return `profile field ${k} must be a string, boolean or null`;
    }
  }
  return { id: d.id as string | undefined, name: d.name, kind: d.kind as ProfileKind, fields };
}

/**
 * The text of one ServerEvent on the socket. A `frames` batch is its JSON header, with each frame
 * minus `raw`, followed by every raw line after a "\n". A raw line is a stdio line, so it has no
 * "\n" and needs no escaping: escaping every raw byte into JSON and unescaping it again was the
 * relay's largest per-frame cost (README, Performance). A raw that cannot go verbatim (one with a
 * "\n", from an imported trace, or with a lone surrogate) stays in the header, JSON-escaped.
 * Every other event is plain JSON, which never holds a bare "\n".
 */
export function encodeServerEvent(event: ServerEvent): string {
  if (event.type !== "frames") return JSON.stringify(event);
  const header: Partial<Frame>[] = new Array<Partial<Frame>>(event.frames.length);
  let tail = "";
  for (let i = 0; i < event.frames.length; i++) {
    const frame = event.frames[i];
    if (!rawTravelsVerbatim(frame.raw)) {
      header[i] = frame;
      continue;
    }
    const { raw, ...rest } = frame;
    header[i] = rest;
    tail += "\n";
    tail += raw;
  }
  return JSON.stringify({ ...event, frames: header }) + tail;
}

/** May this raw go after a frames batch's header as is? (server/frames-encode.ts writes the same batch as bytes.) */
export function rawTravelsVerbatim(raw: string): boolean {
  return !raw.includes("\n") && raw.isWellFormed();
}

export class WireDecodeError extends Error {
  override readonly name = "WireDecodeError";
}

/** The inverse of encodeServerEvent; throws WireDecodeError (or SyntaxError) on a broken message. */
export function decodeServerEvent(text: string): ServerEvent {
  let at = text.indexOf("\n");
  if (at === -1) return JSON.parse(text) as ServerEvent;
  const event = JSON.parse(text.slice(0, at)) as ServerEvent;
  if (event.type !== "frames") throw new WireDecodeError(`a ${event.type} event carries raw lines`);
  for (const frame of event.frames) {
    if (typeof frame.raw === "string") continue;
    if (at === -1) throw new WireDecodeError(`frame ${frame.seq} has no raw line`);
    const next = text.indexOf("\n", at + 1);
    frame.raw = text.slice(at + 1, next === -1 ? text.length : next);
    at = next;
  }
  if (at !== -1) throw new WireDecodeError("more raw lines than frames");
  return event;
}
