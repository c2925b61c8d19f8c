/**
 * ACP's auth lifecycle, driven from the relay: terminal logins in a pty (with reconnect-and-retry
 * on success, as the spec asks), the Probe and Auto flows, and the advertisement diff. Everything
 * it sends goes through a Run, so every step is an ordinary, recorded frame the timeline can link.
 * Flows speak the version the agent answered `initialize` with: v2's `auth/login` where v1 has
 * `authenticate`, and never a login request for a terminal method or an empty authMethods.
 */
import { realpathSync, statSync } from "node:fs";
import path from "node:path";
import { apiKeyVarFor } from "../lib/auth-frames";
import type { LoginAttempt } from "../lib/auth-timeline";
import { rankAuthMethods } from "../lib/guided";
import { parseMessage } from "../lib/jsonrpc";
import type { Redactor } from "../lib/redact";
import { type AuthMethodView, authMethods, protocolState } from "../lib/selectors";
import { initializeParams } from "../lib/templates";
import { isNodeRuntime, isScriptPath, type LoginCommand, loginCommands } from "../lib/terminal-login";
import { asProtocolVersion, authVerbs, type ProtocolVersion } from "../lib/version";
import type { AdvertisementVariant, ClientCaps, FlowMode, Frame, ServerEvent } from "../lib/wire";
import type { SpawnSpec } from "./agent-process";
import { whichSync } from "./catalog";
import { envNameProblem, loginEnvProblem } from "./env-policy";
import { EnvPolicyError, LoginCommandError, PlaygroundError } from "./errors";
import type { Logger } from "./logger";
import { LoginTerminal, resolveLoginCommand } from "./login-terminal";
import { userDirectory } from "./paths";
import type { Run } from "./run";

export interface AuthHost {
  current(): Run | undefined;
  /** `extraEnv` is set on top of the profile's env for this run only (an env_var method's values). */
  startRun(agentId: string, cwd: string | undefined, reuseHomeOf?: string, extraEnv?: Record<string, string>): Promise<Run>;
  /** Values typed in the page become secrets: redacted in every frame, log and export from now on. */
  addSecrets(values: readonly string[]): void;
  emit(event: ServerEvent): void;
  markDirty(run: Run): void;
  redactor(): Redactor;
  logger: Logger;
  scratchRun(agentId: string, cwd: string | undefined, n: number): Promise<{ run: Run; cleanup: () => Promise<void> }>;
  /** `--kimi-oauth-host` when `run`'s agent is a Kimi build: its terminal login goes there. */
  kimiOAuthHost?(run: Run): string | undefined;
}

type LoginEvent = Extract<ServerEvent, { type: "login" }>;
type FlowEmit = (state: "running" | "done" | "failed", message: string, verdict?: "ok" | "fail") => void;

/** A flow's status line, about the current run; a finished flow is "ok" unless it says it found a failure. */
function flowEvent(mode: Extract<ServerEvent, { type: "flow" }>["mode"], state: "running" | "done" | "failed", message: string, runId: string | undefined, verdict?: "ok" | "fail"): ServerEvent {
  return { type: "flow", mode, state, message, runId, verdict: verdict ?? (state === "failed" ? "fail" : state === "done" ? "ok" : undefined) };
}

const ENV_VAR_HINT = "An env_var method's variables come from the agent's advertisement: they must be data (an API key), never a variable a program reads as code or as a path.";

/** The client-capability variants the advertisement diff (and the conformance check) initialize under. */
export const ADVERTISEMENT_VARIANTS: { name: AdvertisementVariant["name"]; authTerminal: boolean; legacy: boolean }[] = [
  { name: "none", authTerminal: false, legacy: false },
  { name: "auth.terminal", authTerminal: true, legacy: false },
  { name: "legacy _meta", authTerminal: false, legacy: true },
  { name: "both", authTerminal: true, legacy: true },
];

/** Output kept for a tab that attaches while a login runs. */
const LOGIN_SCROLLBACK = 64 * 1024;

export class AuthFlows {
  private terminal?: LoginTerminal;
  /** The run whose agent advertised the running login: the login lives and dies with it. */
  private loginRunId?: string;
  private last?: LoginEvent;
  private scrollback = "";
  private flowRunning = false;

  constructor(private readonly host: AuthHost) {}

  /** The login state for a tab that attaches now. */
  state(): LoginEvent | undefined {
    return this.last;
  }

  /**
   * Run a terminal auth method of the current run's agent. Resolves with the exit code; on exit 0
   * the agent is reconnected (a new process in the same home) and initialize + session/new retried.
   */
  async startLogin(methodId: string, convention: "spec" | "legacy", cols?: number, rows?: number): Promise<number | null> {
    const run = this.host.current();
    if (!run) throw new PlaygroundError("Start the agent and send initialize first.", "The login command comes from the agent's authMethods.");
    // The auth methods of a replay come from a recorded trace: never run a command taken from one.
    if (run.summary.replay) {
      throw new PlaygroundError(
        "replayed trace: the playground does not run login commands taken from a recording.",
        "A replay plays back what an agent said; to try a login, start the real agent.",
      );
    }
    if (this.terminal?.running) throw new PlaygroundError("A login is already running.", "Finish or cancel it first.");
    const method = authMethods(run.ring.all()).find((m) => m.id === methodId);
    if (!method) throw new PlaygroundError(`The agent did not advertise an auth method "${methodId}".`, "Send initialize and pick a method from its authMethods.");
    const spawn = run.spawnSpec;
    const commands = loginCommands(method, [spawn.file, ...spawn.args]);
    const command = commands[convention];
    if (!command) {
      throw new PlaygroundError(
        `Method "${methodId}" has no ${convention === "spec" ? "spec terminal (type: terminal)" : 'legacy _meta["terminal-auth"]'} command.`,
        convention === "spec" ? "Try the legacy convention, or authenticate for an agent-type method." : "Try the spec convention.",
      );
    }
    // The spec: method env overrides same-named variables of the agent's launch configuration.
    const env = { ...spawn.env, ...command.env };
    // --kimi-oauth-host (the test suite's closed loopback port): a Kimi login whose run is not on the
    // emulator goes there instead of Kimi's auth server. Only the login: the agent's own env, and so
    // how it reads its token file, stays exactly the profile's.
    const oauthHost = this.host.kimiOAuthHost?.(run);
    if (oauthHost !== undefined && env.KIMI_CODE_OAUTH_HOST === undefined) env.KIMI_CODE_OAUTH_HOST = oauthHost;
    const attempt: LoginAttempt = { method: methodId, convention, argv: command.argv.map((a) => this.host.redactor().redact(a)), exitCode: null, startedAt: Date.now() };
    // What the agent advertised is data: its env passes the env policy and its program must be the agent's own.
    const problem = loginCommandProblem(command, spawn);
    if (problem) {
      const message = this.host.redactor().redact(problem);
      this.publish({ type: "login", state: "failed", runId: run.id, convention, argv: attempt.argv, message, hint: LOGIN_POLICY_HINT });
      throw new LoginCommandError(message, LOGIN_POLICY_HINT);
    }
    this.scrollback = "";
    return new Promise<number | null>((resolve, reject) => {
      const terminal = new LoginTerminal({
        argv: command.argv,
        cwd: spawn.cwd,
        env,
        cols,
        rows,
        redact: this.host.redactor(),
        onData: (data) => {
          this.scrollback = (this.scrollback + data).slice(-LOGIN_SCROLLBACK);
          this.host.emit({ type: "login_output", data });
        },
        onExit: (exitCode, signal) => {
          attempt.exitCode = exitCode;
          attempt.signal = signal;
          attempt.endedAt = Date.now();
          this.host.markDirty(run);
          this.publish({ type: "login", state: "exited", runId: run.id, convention, argv: attempt.argv, exitCode, signal });
          this.host.logger.info(`${run.id}: login (${convention}) exited ${signal ? `by ${signal}` : `with code ${exitCode}`}`);
          if (exitCode === 0) {
            this.reconnectAndRetry(run).then(
              () => resolve(exitCode),
              (error: unknown) => reject(error),
            );
          } else resolve(exitCode);
        },
      });
      try {
        terminal.start();
      } catch (error) {
        const e = error as PlaygroundError;
        this.publish({ type: "login", state: "failed", runId: run.id, convention, argv: attempt.argv, message: e.message, hint: e.hint });
        reject(error);
        return;
      }
      this.terminal = terminal;
      this.loginRunId = run.id;
      run.summary.loginAttempts.push(attempt);
      this.host.markDirty(run);
      this.host.emit({ type: "login_output", data: "", reset: true });
      this.publish({ type: "login", state: "running", runId: run.id, convention, argv: attempt.argv });
    });
  }

  /** Resolve every terminal-login command of the current run without running it. */
  checkLogins(): Extract<ServerEvent, { type: "login_check" }> | undefined {
    const run = this.host.current();
    if (!run) return undefined;
    const spawn = run.spawnSpec;
    const results: Extract<ServerEvent, { type: "login_check" }>["results"] = [];
    for (const method of authMethods(run.ring.all())) {
      const commands = loginCommands(method, [spawn.file, ...spawn.args]);
      for (const convention of ["spec", "legacy"] as const) {
        const command = commands[convention];
        if (!command) continue;
        try {
          const problem = loginCommandProblem(command, spawn);
          if (problem) throw new LoginCommandError(problem, LOGIN_POLICY_HINT);
          const resolved = resolveLoginCommand(command.argv, spawn.cwd, { ...spawn.env, ...command.env });
          results.push({ methodId: method.id, convention, ok: true, resolved: this.host.redactor().redact(resolved) });
        } catch (error) {
          const e = error as PlaygroundError;
          results.push({ methodId: method.id, convention, ok: false, problem: this.host.redactor().redact(`${e.message}${e.hint ? ` ${e.hint}` : ""}`) });
        }
      }
    }
    return { type: "login_check", runId: run.id, results };
  }

  input(data: string): void {
    this.terminal?.write(data);
  }

  resize(cols: number, rows: number): void {
    this.terminal?.resize(cols, rows);
  }

  cancel(): void {
    this.terminal?.cancel();
  }

  /**
   * A login ends with its run (issue 12 §4): when that run ends, or another run becomes current
   * (unless it is the reconnect of that very login, which reuses its home), the pty is killed and
   * the login's state is no longer offered to tabs as if it belonged to the new run.
   */
  runEnded(runId: string): void {
    if (this.terminal?.running && this.loginRunId === runId) this.terminal.cancel();
  }

  runBecameCurrent(runId: string, homeFrom: string | undefined): void {
    const loginRun = this.loginRunId ?? this.last?.runId;
    if (loginRun === undefined || loginRun === runId || homeFrom === loginRun) return;
    if (this.terminal?.running) this.terminal.cancel();
    this.last = undefined;
    this.loginRunId = undefined;
    this.scrollback = "";
  }

  get loginScrollback(): string {
    return this.scrollback;
  }

  private publish(event: LoginEvent): void {
    this.last = event;
    this.host.emit(event);
  }

  /** The spec's terminal flow: a new agent process in the same home, initialize, then retry. */
  private async reconnectAndRetry(previous: Run): Promise<Frame | undefined> {
    const init = lastInitializeParams(previous) ?? initializeParams(DEFAULT_CAPS);
    const run = await this.host.startRun(previous.summary.agentId, previous.summary.cwd, previous.id);
    const initAnswer = await run.requestAwait("initialize", init);
    if (initAnswer.kind !== "response") return initAnswer;
    return run.requestAwait("session/new", { cwd: run.summary.cwd, mcpServers: [] });
  }

  /**
   * Probe: a fresh run, initialize, session/new — never authenticates, never runs a login, so it
   * is safe on a real home. Auto: the same, then one remediation and one retry.
   */
  async flow(mode: FlowMode, agentId: string, cwd: string | undefined, caps: ClientCaps, protocol: ProtocolVersion = 1): Promise<void> {
    if (this.flowRunning) throw new PlaygroundError("A flow is already running.", "Wait for it to finish.");
    this.flowRunning = true;
    // Until its fresh run exists, the flow's line is about no run (the page shows it as starting).
    let started = false;
    const emit: FlowEmit = (state, message, verdict) => this.host.emit(flowEvent(mode, state, message, started ? this.host.current()?.id : undefined, verdict));
    try {
      emit("running", "starting a fresh agent process");
      const run = await this.host.startRun(agentId, cwd);
      started = true;
      if (!run.alive) {
        emit("failed", run.summary.error ?? "the agent did not start");
        return;
      }
      const init = await run.requestAwait("initialize", initializeParams(caps, protocol));
      if (init.kind !== "response") {
        emit("failed", `initialize failed: ${describeAnswer(init)}`);
        return;
      }
      const session = await run.requestAwait("session/new", { cwd: run.summary.cwd, mcpServers: [] });
      if (session.kind === "response") {
        emit("done", "session created: no authentication needed");
        return;
      }
      if (mode === "probe" || session.errorCode !== -32000) {
        emit(session.errorCode === -32000 ? "done" : "failed", `session/new: ${describeAnswer(session)}`, "fail");
        return;
      }
      await this.remediate(run, emit);
    } catch (error) {
      emit("failed", (error as Error).message);
    } finally {
      this.flowRunning = false;
    }
  }

  private async remediate(run: Run, emit: FlowEmit): Promise<void> {
    const methods = authMethods(run.ring.all());
    // Offline first: a variable or key the profile already has beats a browser login that never answers here.
    const ranked = rankAuthMethods(methods, profileEnvOf(run));
    const best = ranked[0];
    if (best?.how === "env_var") {
      await this.envVarFlow(run, best.method, {}, emit);
      return;
    }
    if (best?.how === "api_key") {
      await this.keyFlow(run, best.method, undefined, undefined, emit);
      return;
    }
    if (best?.how === "env_var-typed") {
      const typed = best;
      emit("failed", `auth required; the only offline method is the env_var method "${typed?.method.id}", which needs ${typed?.vars.join(", ")}: type ${typed?.vars.length === 1 ? "it" : "them"} in the env_var form (Auto does not start a browser login that never answers here)`);
      return;
    }
    // Only an agent-type method the agent advertised: rankAuthMethods never ranks a terminal one here.
    const agentMethod = best && (best.how === "authenticate" || best.how === "authenticate-key") ? best.method : undefined;
    if (agentMethod) {
      const login = authVerbs(speaking(run)).login;
      emit("running", `${login} with "${agentMethod.id}"`);
      const auth = await run.requestAwait(login, { methodId: agentMethod.id });
      if (auth.kind !== "response") {
        emit("failed", `${login}: ${describeAnswer(auth)}`);
        return;
      }
      const retry = await run.requestAwait("session/new", { cwd: run.summary.cwd, mcpServers: [] });
      emit(retry.kind === "response" ? "done" : "failed", `retry session/new: ${describeAnswer(retry)}`);
      return;
    }
    const terminalRank = ranked.find((r) => r.how === "terminal");
    const terminal = terminalRank?.method;
    if (!terminal) {
      emit("failed", "auth required, but the agent advertised no method the playground can run");
      return;
    }
    const convention = terminalRank.convention ?? "spec";
    emit("running", `terminal login "${terminal.id}" (${convention} convention); answer it in the terminal below`);
    const code = await this.startLogin(terminal.id, convention);
    if (code !== 0) {
      emit("failed", `the login exited with code ${code}; nothing to retry`);
      return;
    }
    const retried = this.host.current();
    const answer = retried ? lastAnswer(retried, "session/new") : undefined;
    emit(answer?.kind === "response" ? "done" : "failed", `after login, reconnect and retry session/new: ${answer ? describeAnswer(answer) : "no answer"}`);
  }

  /**
   * An `env_var` method (Codex): restart the agent in the same home with the method's variables
   * set — typed values, else the profile's — then initialize, authenticate and session/new. The
   * names come from the agent's advertisement, so each must pass the env policy (an agent that
   * advertises NODE_OPTIONS is refused); the values become secrets before anything is sent.
   */
  async envVarAuthenticate(methodId: string, typed: Readonly<Record<string, string>> = {}): Promise<void> {
    const run = this.authRun();
    const method = authMethods(run.ring.all()).find((m) => m.id === methodId && m.class === "env_var");
    if (!method) throw new PlaygroundError(`The agent did not advertise an env_var method "${methodId}".`, "Send initialize and pick an env_var method from its authMethods.");
    await this.exclusive("env_var", (emit) => this.envVarFlow(run, method, typed, emit));
  }

  /**
   * Gemini CLI's extension: authenticate with `_meta["api-key"]` (typed, else the profile's
   * variable for the provider it names) and/or `_meta.gateway {baseUrl, headers}`.
   */
  async keyAuthenticate(methodId: string, apiKey?: string, gateway?: { baseUrl: string; headers?: Record<string, string> }): Promise<void> {
    const run = this.authRun();
    const method = authMethods(run.ring.all()).find((m) => m.id === methodId);
    if (!method || (method.meta?.["api-key"] === undefined && method.meta?.gateway === undefined)) {
      throw new PlaygroundError(`The agent did not advertise "${methodId}" with _meta["api-key"] or _meta.gateway.`, "Those are Gemini CLI's extensions; other methods run through authenticate or a terminal login.");
    }
    await this.exclusive("api_key", (emit) => this.keyFlow(run, method, apiKey, gateway, emit));
  }

  private authRun(): Run {
    const run = this.host.current();
    if (!run) throw new PlaygroundError("Start the agent and send initialize first.", "The auth methods come from the agent's initialize answer.");
    if (run.summary.replay) throw new PlaygroundError("replayed trace: the playground does not authenticate a recording.", "Start the real agent to try a login.");
    return run;
  }

  private async exclusive(mode: "env_var" | "api_key", body: (emit: FlowEmit) => Promise<void>): Promise<void> {
    if (this.flowRunning) throw new PlaygroundError("A flow is already running.", "Wait for it to finish.");
    this.flowRunning = true;
    const emit: FlowEmit = (state, message, verdict) => this.host.emit(flowEvent(mode, state, message, this.host.current()?.id, verdict));
    try {
      await body(emit);
    } catch (error) {
      emit("failed", this.host.redactor().redact((error as Error).message));
      throw error;
    } finally {
      this.flowRunning = false;
    }
  }

  private async envVarFlow(run: Run, method: AuthMethodView, typed: Readonly<Record<string, string>>, emit: FlowEmit): Promise<void> {
    const values = envVarValues(method, typed, run.spawnSpec.env);
    this.host.addSecrets(Object.values(values));
    const names = Object.keys(values).join(", ");
    emit("running", `restarting the agent with ${names} set (${Object.keys(typed).length > 0 ? "typed" : "from the profile"}), then ${authVerbs(speaking(run)).login} "${method.id}"`);
    const init = lastInitializeParams(run) ?? initializeParams(DEFAULT_CAPS);
    const next = await this.host.startRun(run.summary.agentId, run.summary.cwd, run.id, values);
    if (!next.alive) {
      emit("failed", next.summary.error ?? "the agent did not restart");
      return;
    }
    const initAnswer = await next.requestAwait("initialize", init);
    if (initAnswer.kind !== "response") {
      emit("failed", `initialize failed: ${describeAnswer(initAnswer)}`);
      return;
    }
    await this.authenticateThenSession(next, { methodId: method.id }, `${authVerbs(speaking(next)).login} "${method.id}"`, emit);
  }

  private async keyFlow(run: Run, method: AuthMethodView, typedKey: string | undefined, gateway: { baseUrl: string; headers?: Record<string, string> } | undefined, emit: FlowEmit): Promise<void> {
    const meta: Record<string, unknown> = {};
    let from = "";
    if (method.meta?.["api-key"] !== undefined) {
      const fromVar = typedKey === undefined ? apiKeyVarFor(method, Object.keys(run.spawnSpec.env)) : undefined;
      const key = typedKey ?? (fromVar ? run.spawnSpec.env[fromVar] : undefined);
      if (key) {
        meta["api-key"] = key;
        from = typedKey !== undefined ? "a typed key" : `the profile's ${fromVar}`;
      }
    }
    if (gateway) {
      if (!/^https?:\/\/[^\s]+$/i.test(gateway.baseUrl)) throw new PlaygroundError("The gateway baseUrl must be an http(s) URL.", "For example https://gateway.example/v1");
      meta.gateway = { baseUrl: gateway.baseUrl, headers: gateway.headers ?? {} };
      from = from ? `${from} and a gateway` : "a gateway";
    }
    if (Object.keys(meta).length === 0) throw new PlaygroundError(`No key for "${method.id}": type one, or use a profile that sets ${(method.meta?.["api-key"] !== undefined ? "GEMINI_API_KEY" : "a gateway")}.`);
    // Secret before it is sent: the recorded authenticate frame shows it redacted.
    this.host.addSecrets([typeof meta["api-key"] === "string" ? meta["api-key"] : "", ...Object.values(gateway?.headers ?? {})].filter((v) => v.length > 0));
    await this.authenticateThenSession(run, { methodId: method.id, _meta: meta }, `${authVerbs(speaking(run)).login} "${method.id}" with ${from} (Gemini CLI's _meta extension)`, emit);
  }

  private async authenticateThenSession(run: Run, params: Record<string, unknown>, what: string, emit: FlowEmit): Promise<void> {
    emit("running", what);
    const auth = await run.requestAwait(authVerbs(speaking(run)).login, params);
    if (auth.kind !== "response") {
      emit("failed", `${what}: ${describeAnswer(auth)}`);
      return;
    }
    const session = await run.requestAwait("session/new", { cwd: run.summary.cwd, mcpServers: [] });
    emit(session.kind === "response" ? "done" : "failed", `${what} succeeded; session/new: ${describeAnswer(session)}${session.kind === "response" ? " (a created session is not proof of authentication until a prompt is accepted)" : ""}`);
  }

  /**
   * initialize under each client-capability variant, each in a fresh throwaway process, in the
   * protocol version asked for: v2's shape (`capabilities.auth.terminal: {}`, `info`) for 2. The
   * variant's capabilities are what was sent; the agent's come from v1's `agentCapabilities` or
   * v2's `capabilities`, whichever version it answered with.
   */
  async advertisementDiff(agentId: string, cwd: string | undefined, runId?: string, protocol: ProtocolVersion = 1): Promise<void> {
    this.host.emit({ type: "adv_diff", agentId, variants: [], running: true, runId, protocolVersion: protocol });
    const variants = await Promise.all(
      ADVERTISEMENT_VARIANTS.map(async (v, n): Promise<AdvertisementVariant> => {
        const caps: ClientCaps = { ...DEFAULT_CAPS, authTerminal: v.authTerminal, legacyTerminalAuth: v.legacy };
        const params = initializeParams(caps, protocol);
        const clientCaps = (protocol === 2 ? params.capabilities : params.clientCapabilities) as Record<string, unknown>;
        const started = Date.now();
        let scratch: { run: Run; cleanup: () => Promise<void> } | undefined;
        try {
          scratch = await this.host.scratchRun(agentId, cwd, n);
          const answer = await scratch.run.requestAwait("initialize", params, 30_000);
          const result = parseResult(answer);
          if (answer.kind !== "response" || !result) return { name: v.name, clientCapabilities: clientCaps, ok: false, error: describeAnswer(answer), ms: Date.now() - started };
          const answered = asProtocolVersion(result.protocolVersion);
          return {
            name: v.name,
            clientCapabilities: clientCaps,
            ok: true,
            authMethods: Array.isArray(result.authMethods) ? result.authMethods : [],
            agentCapabilities: answered === 2 ? result.capabilities : result.agentCapabilities,
            protocolVersion: typeof result.protocolVersion === "number" ? result.protocolVersion : undefined,
            ms: Date.now() - started,
          };
        } catch (error) {
          return { name: v.name, clientCapabilities: clientCaps, ok: false, error: (error as Error).message, ms: Date.now() - started };
        } finally {
          await scratch?.cleanup();
        }
      }),
    );
    this.host.emit({ type: "adv_diff", agentId, variants, runId, protocolVersion: protocol });
  }
}

const LOGIN_POLICY_HINT = "The playground runs only the agent's own program (or its Node runtime with a script) for an advertised login, with data-only variables; run anything else yourself in a terminal.";

function realFile(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return path.resolve(file);
  }
}

/**
 * Why an advertised terminal login may not run, or undefined. Its env passes the env policy
 * (NODE_OPTIONS, LD_PRELOAD, PATH … are refused; the run's own home variables may be repeated).
 * Its program must be the agent's own executable: the spec convention is that by construction
 * (agent argv + args); a legacy `_meta["terminal-auth"]` command names any program, so it must
 * resolve to the same file as the agent's, and when that is a Node runtime its first argument
 * must be an existing script given by absolute path — never an option such as `-e` or `--import`.
 * An agent that can run code can do all that itself; this keeps an agent that only *speaks* ACP
 * (a proxy, a replay, a remote agent) from turning one click on "Run login" into `/bin/sh -c …`.
 */
export function loginCommandProblem(command: LoginCommand, spawn: SpawnSpec): string | undefined {
  try {
    userDirectory(spawn.cwd, "The login's working directory");
  } catch (error) {
    return (error as Error).message;
  }
  const envProblem = loginEnvProblem(command.env, spawn.env);
  if (envProblem) return envProblem;
  const agentArgv = [spawn.file, ...spawn.args];
  if (agentArgv.every((a, i) => command.argv[i] === a)) return undefined; // the agent's own command line plus args
  const [program, first] = command.argv;
  if (!program) return undefined; // resolveLoginCommand says "empty"
  const file = whichSync(program, spawn.env.PATH ?? "");
  if (!file) return undefined; // resolveLoginCommand says it was not found
  if (realFile(file) !== realFile(spawn.file)) {
    return `The login command ${program} is not the agent's own program (${spawn.file}).`;
  }
  if (!isNodeRuntime(file)) return undefined;
  if (first === undefined || first.startsWith("-") || !isScriptPath(first) || !path.isAbsolute(first)) {
    return `The login command runs the agent's Node runtime with ${first === undefined ? "no script" : `"${first}"`}, not with a script given by absolute path.`;
  }
  try {
    if (!statSync(first).isFile()) throw new Error("not a file");
  } catch {
    return `The login script ${first} does not exist.`;
  }
  return undefined;
}

/** The version the run's agent answered initialize with: what every later request speaks. */
function speaking(run: Run): ProtocolVersion {
  return protocolState(run.ring.all()).speaking;
}

/** Variable names the run's environment has (the profile's and the catalog's; the relay passes no secrets of its own). */
function profileEnvOf(run: Run): string[] {
  return Object.keys(run.spawnSpec.env);
}

/**
 * The values an env_var method gets: typed ones, else the run's (the profile's). Every name comes
 * from the agent and must pass the env policy; a typed name the method does not ask for is refused.
 */
export function envVarValues(method: AuthMethodView, typed: Readonly<Record<string, string>>, runEnv: Readonly<Record<string, string>>): Record<string, string> {
  const vars = method.vars ?? [];
  if (vars.length === 0) throw new PlaygroundError(`The env_var method "${method.id}" names no variables.`);
  for (const name of Object.keys(typed)) {
    if (!vars.some((v) => v.name === name)) throw new EnvPolicyError(name, `The env_var method "${method.id}" does not ask for ${name}.`, ENV_VAR_HINT);
  }
  const values: Record<string, string> = {};
  for (const v of vars) {
    const why = envNameProblem(v.name);
    if (why) throw new EnvPolicyError(v.name, `The agent's env_var method "${method.id}" asks for ${v.name}, which the playground does not set: ${why}.`, ENV_VAR_HINT);
    const value = typed[v.name] !== undefined && typed[v.name] !== "" ? typed[v.name] : runEnv[v.name];
    if (value === undefined || value === "") {
      if (v.optional) continue;
      throw new PlaygroundError(`No value for ${v.name}: type it in the form, or use a profile that sets it.`, `The env_var method "${method.id}" reads ${v.name} from the agent's environment.`);
    }
    if (value.length > 8192 || /[\0\n\r]/.test(value)) throw new PlaygroundError(`The value for ${v.name} is not a single line of at most 8192 characters.`);
    values[v.name] = value;
  }
  return values;
}

const DEFAULT_CAPS: ClientCaps = { fsRead: false, fsWrite: false, terminal: false, authTerminal: true, legacyTerminalAuth: true };

function parseResult(frame: Frame): Record<string, unknown> | undefined {
  return parseMessage(frame)?.result as Record<string, unknown> | undefined;
}

function describeAnswer(frame: Frame): string {
  if (frame.kind === "response") return "ok";
  if (frame.kind === "error") return `${frame.errorCode} ${frame.errorMessage ?? ""}`.trim();
  return frame.note ?? frame.kind;
}

function lastAnswer(run: Run, method: string): Frame | undefined {
  const frames = run.ring.all();
  for (let i = frames.length - 1; i >= 0; i--) {
    const f = frames[i];
    if (f.dir === "in" && f.method === method && (f.kind === "response" || f.kind === "error")) return f;
  }
  return undefined;
}

/** Re-initialize with the same capabilities the user chose for the run that logged in. */
function lastInitializeParams(run: Run): unknown {
  const frames = run.ring.all();
  for (let i = frames.length - 1; i >= 0; i--) {
    const f = frames[i];
    if (f.dir === "out" && f.kind === "request" && f.method === "initialize") return parseMessage(f)?.params;
  }
  return undefined;
}
