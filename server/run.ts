/**
 * One agent run = one spawned process and its log. Every line that crosses stdio is stamped
 * (seq, monotonic time, direction), redacted, recorded verbatim into a bounded ring, and only then
 * classified and paired. The run also answers agent→client requests that the playground does not
 * serve (-32601, visibly) and turns requests left open by a dying agent into `lost` frames.
 */
import { performance } from "node:perf_hooks";
import { Correlator } from "../lib/correlate";
import { classify, idFromKey } from "../lib/jsonrpc";
import { settleServedMethod } from "../lib/schema-notes";
import { RELAY_MADE_AUTH_NOTE, RELAY_MADE_JUNK_NOTE } from "../lib/fault-notes";
import { stdoutPromptNote } from "../lib/auth-frames";
import { maskDeep, maskPath } from "../lib/masked-diff";
import { ProtocolTracker } from "../lib/version";
import type { Direction, Frame, FrameKind, HomeChange, HttpHop, HttpHopEvent, LifecycleInfo, RunSummary } from "../lib/wire";
import { AgentProcess, type SpawnSpec } from "./agent-process";
import { LineSplitter, type SplitLine } from "./line-splitter";
import type { FaultInjector } from "./faults";
import { FrameRing, type RingLimits } from "./ring-buffer";

export interface RunOptions {
  runId: string;
  agentId: string;
  agentLabel: string;
  profileId: string;
  profileName: string;
  cwd: string;
  spawn: SpawnSpec;
  runtimeVersion?: string;
  limits: RingLimits & { maxLineBytes: number };
  redact: (text: string) => string;
  /** How the playground answers an agent→client request; `pending` leaves it for the user. */
  serveClientMethod: (method: string, params: unknown, id: string) => ClientMethodOutcome | Promise<ClientMethodOutcome>;
  /** Sees every parsed JSON-RPC message after it is recorded (e.g. to learn session cwds). */
  observe?: (dir: Direction, kind: FrameKind, value: unknown) => void;
  /** The process is gone: release what was served for it (client terminals). */
  onEnd?: () => void;
  /** Catalog and profile facts copied into the summary (diagnosis, login commands). */
  summaryExtra?: Partial<RunSummary>;
  /** Fault injection between client and agent (off unless configured). */
  faults?: FaultInjector;
  /** JSON Schema check of each JSON-RPC frame, when validation is on (read per frame: it can be toggled). */
  schemaCheck?: () => ((frame: Frame, ctx: { requestMethod?: string; value?: unknown; protocolVersion?: 1 | 2 }) => { path: string; message: string }[]) | undefined;
  /** Called after the run's divider, before the agent is spawned (HTTP hops of the home's preparation). */
  beforeSpawn?: () => void;
  /** Make values secrets of the relay's redactor from now on (tokens an OAuth server just issued to this run). */
  addSecrets?: (values: readonly string[]) => void;
}

/** An agent-log frame keeps at most this many characters of its line (a tool result can be megabytes). */
export const AGENT_LOG_LINE_MAX = 16 * 1024;

export type ClientMethodOutcome = { pending: true } | { result: unknown } | { error: { code: number; message: string; data?: unknown } };

export interface RunListener {
  frames(run: Run): void;
  state(run: Run): void;
}

const startedAt = performance.now();
const now = (): number => Math.round((performance.now() - startedAt) * 1000) / 1000;

export class Run {
  readonly ring: FrameRing;
  readonly summary: RunSummary;
  private readonly correlator = new Correlator();
  private seq = 0;
  private nextId = 0;
  /** The ACP version each frame is in, for the schema check: initialize's request and answer switch it. */
  private readonly protocol = new ProtocolTracker();
  /** What the listener last heard, so state() fires only on a change. */
  private reported: { state?: RunSummary["state"]; pendingOut?: number; pendingIn?: number; version?: string; pid?: number } = {};
  /** requestAwait callers, keyed by the request's seq. */
  private readonly waiters = new Map<number, (answer: Frame) => void>();
  private resolveDone!: () => void;
  /** Settles when the process is gone (or never started). */
  readonly done = new Promise<void>((resolve) => {
    this.resolveDone = resolve;
  });
  private process?: AgentProcess;
  private readonly stdout: LineSplitter;
  private readonly stderr: LineSplitter;

  constructor(private readonly options: RunOptions, private readonly listener: RunListener) {
    this.ring = new FrameRing(options.limits);
    this.stdout = new LineSplitter({ maxLineBytes: options.limits.maxLineBytes });
    this.stderr = new LineSplitter({ maxLineBytes: Math.min(options.limits.maxLineBytes, 1 << 20) });
    this.summary = {
      runId: options.runId,
      agentId: options.agentId,
      agentLabel: options.agentLabel,
      profileId: options.profileId,
      profileName: options.profileName,
      state: "starting",
      startedAt: Date.now(),
      cwd: options.cwd,
      frameCount: 0,
      dropped: 0,
      counts: { in: 0, out: 0, errors: 0, stderr: 0 },
      pendingOut: 0,
      pendingIn: 0,
      loginAttempts: [],
      ...options.summaryExtra,
    };
  }

  get id(): string {
    return this.options.runId;
  }

  /** What was (or would have been) spawned: the terminal login reuses it, as the spec asks. */
  get spawnSpec(): SpawnSpec {
    return this.options.spawn;
  }

  get alive(): boolean {
    return this.process?.alive ?? false;
  }

  get lastSeq(): number {
    return this.seq - 1;
  }

  /** Record the run divider and spawn the agent. */
  start(): void {
    const o = this.options;
    this.record("sys", "divider", `── ${o.agentLabel} · profile "${o.profileName}" ──`, {
      note: `Run ${o.runId}: agent ${o.agentLabel}, profile ${o.profileName}`,
    });
    o.beforeSpawn?.();
    this.process = new AgentProcess(o.spawn, {
      stdout: (chunk) => this.onAgentLines(this.stdout.push(chunk)),
      stderr: (chunk) => this.onStderr(this.stderr.push(chunk)),
      exit: (code, signal) => this.onExit(code, signal),
      spawnError: (error) => this.onSpawnError(error),
    });
    this.process.start();
    const pid = this.process.pid;
    if (pid !== undefined) {
      this.summary.pid = pid;
      this.summary.state = "running";
      this.lifecycle({ event: "spawned", pid, argv: [o.spawn.file, ...o.spawn.args], cwd: o.spawn.cwd, runtime: o.runtimeVersion });
    }
    this.updatePending();
  }

  /** Load a recorded trace into this (never started) run, to browse it read-only. */
  importFrames(frames: readonly Frame[], dropped: number): void {
    for (const f of frames) {
      // A trace file may come from anywhere (an older build, another machine): the configured
      // secrets are redacted from it like from a live line.
      const frame: Frame = { ...f, runId: this.options.runId, raw: this.options.redact(f.raw) };
      this.redactFields(frame);
      const l = frame.lifecycle;
      if (l) frame.lifecycle = { ...l, argv: l.argv?.map(this.options.redact), cwd: l.cwd === undefined ? undefined : this.options.redact(l.cwd), message: l.message === undefined ? undefined : this.options.redact(l.message) };
      this.ring.push(frame);
      this.seq = f.seq + 1;
      if (f.dir === "in" && f.kind !== "stderr") this.summary.counts.in++;
      if (f.dir === "out") this.summary.counts.out++;
      if (f.kind === "error") this.summary.counts.errors++;
      if (f.kind === "stderr") this.summary.counts.stderr++;
      if (f.dir === "in" && f.method === "initialize" && f.kind === "response") this.readAgentInfo(JSON.parse(f.raw) as unknown);
    }
    this.summary.state = "exited";
    this.summary.imported = true;
    this.summary.frameCount = this.seq;
    // What the trace says its run dropped, plus what this ring could not hold of it.
    this.summary.dropped = dropped + this.ring.dropped;
    this.resolveDone();
    this.listener.frames(this);
    this.listener.state(this);
  }

  /** A run that could not even be spawned (missing runtime, bad catalog): record why. */
  failBeforeSpawn(info: LifecycleInfo): void {
    const o = this.options;
    this.record("sys", "divider", `── ${o.agentLabel} · profile "${o.profileName}" ──`, { note: `Run ${o.runId}` });
    // A home whose login failed: its hops are the evidence.
    o.beforeSpawn?.();
    this.summary.state = "failed";
    this.summary.error = info.message;
    this.summary.endedAt = Date.now();
    this.lifecycle(info);
    this.updatePending();
    this.resolveDone();
  }

  /** Write text verbatim, one line. Malformed text is allowed on purpose. */
  sendRaw(text: string): { ok: boolean; error?: string } {
    if (!this.process?.alive) return { ok: false, error: "The agent is not running. Start or restart it first." };
    // Text with newlines crosses stdio as several lines; record it exactly that way.
    const body = text.endsWith("\n") ? text.slice(0, -1) : text;
    const lines = body.split("\n").map((line) => ({ text: line.endsWith("\r") ? line.slice(0, -1) : line, bytes: Buffer.byteLength(line), crlf: line.endsWith("\r") }));
    // The line limit holds both ways: a client line over it is refused whole, never stored or written.
    const max = this.options.limits.maxLineBytes;
    const over = lines.find((line) => line.bytes > max);
    if (over) return { ok: false, error: `${lineLimitProblem(over.text, max, over.bytes)} Nothing was sent.` };
    if (this.options.faults?.active) {
      for (const line of lines) this.sendWithFaults(line);
      return { ok: true };
    }
    this.onLines("out", lines);
    this.process.write(`${body}\n`);
    return { ok: true };
  }

  /** One client line through the fault injector: every decision is visible on the frame. */
  private sendWithFaults(line: SplitLine): void {
    const faults = this.options.faults;
    if (!faults) return;
    const method = classify(line.text).method;
    const d = faults.out(line.text, method);
    const write = (text: string): void => {
      this.process?.write(`${text}\n`);
      if (faults.killAfter(method)) {
        const timer = setTimeout(() => {
          this.lifecycle({ event: "kill_requested", pid: this.process?.pid, message: `fault injection: SIGKILL right after ${method}` });
          this.process?.kill("SIGKILL");
        }, 20);
        timer.unref();
      }
    };
    switch (d.action) {
      case "pass":
        this.recordLine("out", line);
        write(line.text);
        return;
      case "drop":
        this.recordLine("out", line, false, d.note);
        return;
      case "corrupt":
        this.recordLine("out", { text: d.text, bytes: Buffer.byteLength(d.text), crlf: false }, false, d.note);
        write(d.text);
        return;
      case "delay": {
        this.recordLine("out", line, false, d.note);
        setTimeout(() => write(line.text), d.ms).unref();
        return;
      }
      case "fake-auth": {
        this.recordLine("out", line, false, d.note);
        const id = (classify(line.text).value as { id?: unknown } | undefined)?.id;
        const answer = JSON.stringify({ jsonrpc: "2.0", id: id ?? null, error: { code: -32000, message: "Authentication required" } });
        this.recordLine("in", { text: answer, bytes: Buffer.byteLength(answer), crlf: false }, false, RELAY_MADE_AUTH_NOTE);
        return;
      }
    }
  }

  /** Agent stdout lines, through the fault injector when it is on. */
  private onAgentLines(lines: SplitLine[]): void {
    const faults = this.options.faults;
    if (!faults?.active) {
      this.onLines("in", lines);
      return;
    }
    for (const line of lines) {
      const d = faults.in();
      if (d.action === "pass") this.recordLine("in", line);
      else if (d.action === "drop") this.recordLine("in", line, false, d.note, true);
      else setTimeout(() => this.recordLine("in", line, false, d.note), d.ms).unref();
    }
  }

  /** A junk line "on stdout" from the fault injector: classified like any other, marked injected. */
  injectJunk(): void {
    const text = `⚡ injected junk line ${new Date().toISOString()} (not JSON)`;
    this.recordLine("in", { text, bytes: Buffer.byteLength(text), crlf: false }, false, RELAY_MADE_JUNK_NOTE);
  }

  request(method: string, params: unknown): { ok: boolean; error?: string; id?: string } {
    const id = this.nextId++;
    const msg: Record<string, unknown> = { jsonrpc: "2.0", id, method };
    if (params !== undefined) msg.params = params;
    return { ...this.sendRaw(JSON.stringify(msg)), id: `n:${id}` };
  }

  /**
   * Send a request and wait for its answer frame (response, error, or `lost` when the agent dies).
   * Flows (probe, auto) use this; the frames are recorded exactly as for a button press.
   */
  requestAwait(method: string, params: unknown, timeoutMs = 30_000): Promise<Frame> {
    const sent = this.request(method, params);
    if (!sent.ok || !sent.id) return Promise.reject(new Error(sent.error ?? "not sent"));
    const requestSeq = this.lastSeq;
    return new Promise<Frame>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(requestSeq);
        reject(new Error(`${method} got no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(requestSeq, (frame) => {
        clearTimeout(timer);
        resolve(frame);
      });
    });
  }

  notify(method: string, params: unknown): { ok: boolean; error?: string } {
    const msg: Record<string, unknown> = { jsonrpc: "2.0", method };
    if (params !== undefined) msg.params = params;
    return this.sendRaw(JSON.stringify(msg));
  }

  respond(id: string, answer: { result?: unknown; error?: { code: number; message: string; data?: unknown } }): { ok: boolean; error?: string } {
    if (!this.correlator.peek("in", id)) return { ok: false, error: `No outstanding agent request with id ${id}.` };
    return this.sendRaw(JSON.stringify(answerMessage(id, answer)));
  }

  /** SIGKILL what the agent left behind (the relay is exiting); settles once the scan is done. */
  sweepNow(): Promise<void> {
    return this.process?.sweepNow() ?? Promise.resolve();
  }

  kill(): void {
    if (!this.process?.alive) return;
    this.lifecycle({ event: "kill_requested", pid: this.process.pid, message: "SIGTERM to the agent's process group (SIGKILL after 2 s)" });
    this.process.kill("SIGTERM");
  }

  private onLines(dir: Direction, lines: SplitLine[], auto = false): void {
    for (const line of lines) this.recordLine(dir, line, auto);
  }

  private onStderr(lines: SplitLine[]): void {
    for (const line of lines) {
      this.summary.counts.stderr++;
      this.record("in", "stderr", line.text, { bytes: line.bytes, note: line.tooLarge ? "stderr line over 1 MiB; prefix kept" : undefined });
    }
  }

  private recordLine(dir: Direction, line: SplitLine, auto = false, injected?: string, unpaired = false): void {
    if (dir === "in") this.summary.counts.in++;
    else this.summary.counts.out++;
    if (line.tooLarge) {
      this.record(dir, "too_large", line.text, {
        bytes: line.bytes,
        note: `Frame too large: ${line.bytes} bytes exceed the ${this.options.limits.maxLineBytes}-byte line limit; only the first ${Buffer.byteLength(line.text)} bytes are kept.`,
      });
      return;
    }
    // The relay acts on the real line (a request is answered with its real id); what is recorded
    // and shown comes from the redacted one.
    const c = classify(line.text);
    const shown = this.options.redact(line.text);
    const tainted = shown !== line.text;
    // A JSON.parse error quotes the line it failed on, so a malformed line's note comes from the redacted text.
    const note = tainted && c.kind === "malformed" ? classify(shown).note : c.note;
    const frame = this.record(dir, c.kind, line.text, {
      bytes: line.bytes,
      method: c.method,
      id: c.id,
      errorCode: c.errorCode,
      errorMessage: c.errorMessage,
      updateKind: c.updateKind,
      // An interactive prompt on stdout (Gemini's OAuth login) is a protocol breach worth naming.
      note: withPromptNote(line.crlf ? joinNotes(note, "line ended with CRLF") : note, dir === "in" && c.kind === "malformed" ? stdoutPromptNote(shown) : undefined),
      auto: auto || undefined,
      injected,
    }, false, shown);
    if (unpaired) {
      this.redactLineFields(frame, tainted);
      this.commit(frame);
      return;
    }
    // The paired request's real method: it picks the schema an answer is checked against.
    let requestMethod: string | undefined;
    if (c.kind === "request" && c.id !== undefined && c.method) {
      const clash = this.correlator.request(dir, c.id, frame.seq, frame.t, c.method);
      if (clash !== undefined) frame.note = joinNotes(frame.note, `duplicate id: request #${clash} with the same id is still pending`);
      if (dir === "out") this.bumpNextId(c.id);
    } else if ((c.kind === "response" || c.kind === "error") && c.id !== undefined) {
      const pair = this.correlator.answer(dir, c.id, frame.t);
      if (pair) {
        requestMethod = pair.method;
        frame.pairSeq = pair.requestSeq;
        frame.latencyMs = pair.latencyMs;
        const req = this.ring.get(pair.requestSeq);
        // The request's recorded method is already redacted; the correlator keeps the real one.
        frame.method = req?.method ?? this.options.redact(pair.method);
        if (req) {
          req.pairSeq = frame.seq;
          settleServedMethod(req, frame);
        }
        if (pair.method === "initialize" && c.kind === "response") this.readAgentInfo(c.value);
      } else {
        frame.note = joinNotes(frame.note, "no outstanding request with this id");
      }
    }
    if (c.kind === "error") this.summary.counts.errors++;
    const protocolVersion = this.protocol.versionOf(dir, c.kind, requestMethod ?? c.method, c.value);
    const check = this.options.schemaCheck?.();
    if (check) {
      const violations = check(frame, { requestMethod, value: c.value, protocolVersion });
      if (violations.length) frame.violations = violations;
    }
    this.redactLineFields(frame, tainted);
    this.commit(frame);
    this.updatePending();
    if (c.value !== undefined && c.kind !== "malformed") this.options.observe?.(dir, c.kind, c.value);
    if (dir === "in" && c.kind === "request" && c.id !== undefined && c.method) this.serve(c.id, c.method, (c.value as { params?: unknown }).params);
    if (dir === "out" && c.kind === "notification" && c.method === "session/cancel") this.cancelPermissions((c.value as { params?: { sessionId?: unknown } }).params?.sessionId);
  }

  /** Answer what the playground serves itself; leave the rest (permission cards) to the user. */
  private serve(id: string, method: string, params: unknown): void {
    let outcome: ClientMethodOutcome | Promise<ClientMethodOutcome>;
    try {
      outcome = this.options.serveClientMethod(method, params, id);
    } catch (error) {
      outcome = { error: { code: -32603, message: `Internal error: ${(error as Error).message}` } };
    }
    if (outcome instanceof Promise) {
      outcome.then(
        (o) => this.answerAuto(id, o),
        (error: unknown) => this.answerAuto(id, { error: { code: -32603, message: `Internal error: ${(error as Error).message}` } }),
      );
    } else this.answerAuto(id, outcome);
  }

  private answerAuto(id: string, outcome: ClientMethodOutcome): void {
    // The user (or a cancel) may have answered meanwhile; a request is answered once.
    if ("pending" in outcome || !this.process?.alive || !this.correlator.peek("in", id)) return;
    const line = JSON.stringify(answerMessage(id, outcome));
    this.onLines("out", [{ text: line, bytes: Buffer.byteLength(line), crlf: false }], true);
    this.process.write(`${line}\n`);
  }

  /** After session/cancel the spec requires every pending permission request to be answered `cancelled`. */
  private cancelPermissions(sessionId: unknown): void {
    for (const p of this.correlator.outstanding()) {
      if (p.dir !== "in" || p.method !== "session/request_permission") continue;
      const req = this.ring.get(p.seq);
      const params = req ? (JSON.parse(req.raw) as { params?: { sessionId?: unknown } }).params : undefined;
      if (params?.sessionId === sessionId) this.answerAuto(p.id, { result: { outcome: { outcome: "cancelled" } } });
    }
  }

  private bumpNextId(id: string): void {
    if (id.startsWith("n:")) {
      const n = Number(id.slice(2));
      if (Number.isInteger(n) && n >= this.nextId) this.nextId = n + 1;
    }
  }

  /** The summary's agentInfo comes from the parsed (unredacted) answer, so it is redacted here. */
  private readAgentInfo(value: unknown): void {
    // v1 names it agentInfo, v2 info.
    const result = (value as { result?: { agentInfo?: { name?: unknown; title?: unknown; version?: unknown }; info?: { name?: unknown; title?: unknown; version?: unknown } } }).result;
    const info = result?.agentInfo ?? result?.info;
    const redact = this.options.redact;
    if (info && typeof info.name === "string") {
      this.summary.agentInfo = {
        name: redact(info.name),
        title: typeof info.title === "string" ? redact(info.title) : undefined,
        version: typeof info.version === "string" ? redact(info.version) : "?",
      };
    }
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.onLines("in", this.stdout.end());
    this.onStderr(this.stderr.end());
    const lost = this.correlator.drain();
    const why = signal ? `signal ${signal}` : `exit code ${code}`;
    for (const p of lost) {
      this.record("sys", "lost", "", {
        method: p.method,
        id: p.id,
        pairSeq: p.seq,
        note:
          p.dir === "out"
            ? `No response: the agent exited (${why}) while ${p.method} was pending.`
            : `Never answered: the agent exited (${why}) before the client answered ${p.method}.`,
      });
      const req = this.ring.get(p.seq);
      if (req) req.pairSeq = this.lastSeq;
    }
    this.summary.state = "exited";
    this.summary.exitCode = code;
    this.summary.signal = signal;
    this.summary.endedAt = Date.now();
    this.lifecycle({ event: "exited", pid: this.summary.pid, code, signal, message: lost.length ? `${lost.length} request(s) left unanswered` : undefined });
    this.updatePending();
    this.options.onEnd?.();
    this.resolveDone();
  }

  private onSpawnError(error: Error): void {
    const code = (error as NodeJS.ErrnoException).code;
    this.summary.state = "failed";
    this.summary.error = error.message;
    this.summary.endedAt = Date.now();
    this.lifecycle({
      event: "spawn_error",
      argv: [this.options.spawn.file, ...this.options.spawn.args],
      cwd: this.options.spawn.cwd,
      message: error.message,
      hint:
        code === "ENOENT"
          ? "The agent binary or the working directory does not exist. Check the catalog entry and the working directory."
          : code === "EACCES"
            ? "The agent binary is not executable (chmod +x) or the working directory is not accessible."
            : undefined,
    });
    this.updatePending();
    this.resolveDone();
  }

  // ── out-of-band lanes (issue #13): stamped and redacted like every other frame ──

  /**
   * One HTTP request the agent made to the OAuth emulator or the model server. Tokens the answer
   * issued become secrets of the redactor first, so not even this frame carries them; the record
   * is then masked (values under secret-looking keys, the bearer header, secret query parameters)
   * and redacted. `raw` is the whole masked record, one JSON line.
   */
  recordHop(hop: HttpHopEvent): Frame {
    const issued = (hop.issued ?? []).filter((v) => typeof v === "string" && v.length > 0);
    if (issued.length) this.options.addSecrets?.(issued);
    const { issued: _issued, ...rest } = hop;
    const record = maskDeep({ ...rest, path: maskPath(hop.path), ...(hop.ms !== undefined ? { ms: Math.round(hop.ms * 10) / 10 } : {}) }) as HttpHopEvent;
    const http: HttpHop = { method: record.method, path: record.path, host: record.host };
    if (record.status !== undefined) http.status = record.status;
    if (record.ms !== undefined) http.ms = record.ms;
    if (record.grantType !== undefined) http.grantType = record.grantType;
    if (record.error !== undefined) http.error = record.error;
    return this.record("sys", "http", JSON.stringify(record), { http });
  }

  /** A file in the run's home created, changed or deleted (server/home-watch.ts found it, already masked). */
  recordHome(change: HomeChange): Frame {
    return this.record("sys", "home", JSON.stringify(change), { home: change });
  }

  /** One line of the agent's own record under its home (server/agent-log-tail.ts), cut to AGENT_LOG_LINE_MAX. */
  recordAgentLog(file: string, line: number, text: string): Frame {
    const cut = text.length > AGENT_LOG_LINE_MAX;
    return this.record("sys", "agent-log", cut ? text.slice(0, AGENT_LOG_LINE_MAX) : text, {
      bytes: Buffer.byteLength(text),
      agentLog: { file, line },
      note: cut ? `line of ${text.length} characters; the first ${AGENT_LOG_LINE_MAX} are kept` : undefined,
    });
  }

  /** The agent ran its BROWSER / xdg-open shim (server/browser-shim.ts): the URL it wants opened, for the user's card. */
  recordBrowserOpen(via: string, url: string): void {
    this.lifecycle({ event: "browser_open", pid: this.summary.pid, argv: [via, url], message: `The agent wants to open ${url}` });
  }

  private lifecycle(info: LifecycleInfo): void {
    const redacted: LifecycleInfo = { ...info, argv: info.argv?.map((a) => this.options.redact(a)), message: info.message ? this.options.redact(info.message) : undefined };
    this.record("sys", "lifecycle", JSON.stringify(redacted), { lifecycle: redacted, note: info.hint });
  }

  /**
   * Stamp, redact and store a frame, then tell the listener. `shown` is the line already redacted
   * (recordLine redacts it first, to classify what is shown); without it every field is redacted here.
   */
  private record(dir: Direction, kind: FrameKind, raw: string, extra: Partial<Frame> = {}, commit = true, shown?: string): Frame {
    const text = shown ?? this.options.redact(raw);
    const frame: Frame = {
      seq: this.seq++,
      runId: this.options.runId,
      t: now(),
      wall: Date.now(),
      dir,
      kind,
      raw: text,
      bytes: extra.bytes ?? Buffer.byteLength(raw),
    };
    // Only defined fields: a frame is serialized for every tab, so absent beats `undefined`.
    for (const key in extra) {
      const value = extra[key as keyof Frame];
      if (value !== undefined) (frame as unknown as Record<string, unknown>)[key] = value;
    }
    if (shown === undefined) this.redactFields(frame);
    if (commit) this.commit(frame);
    return frame;
  }

  /**
   * The fields of a stdio line's frame, before it is stored. A string decoded from the line (method,
   * id, a key, an error message) can hold a secret only if the line held one in some spelling the
   * redactor knows, i.e. only if redacting the line changed it — so an untouched line skips the
   * work, which keeps the hot path at one regex scan. Two exceptions are always handled: a numeric
   * id is rendered by the relay (`1e3` becomes `n:1000`), and schema messages may quote anything.
   */
  private redactLineFields(frame: Frame, tainted: boolean): void {
    if (tainted) {
      this.redactFields(frame);
      return;
    }
    const redact = this.options.redact;
    if (frame.id !== undefined && frame.id.startsWith("n:")) frame.id = redact(frame.id);
    if (frame.injected !== undefined) frame.injected = redact(frame.injected);
    if (frame.violations) frame.violations = frame.violations.map((v) => ({ path: redact(v.path), message: redact(v.message) }));
  }

  /**
   * Redact every string a frame carries besides `raw`: method, id, schema messages and the rest are
   * decoded from the line (a secret in an object key, an id, a method or an escaped string comes
   * out of JSON.parse plain), or were copied from another frame (an answer's method). Frames the
   * relay writes itself (stderr, lifecycle, lost) and imported ones always pass here.
   */
  private redactFields(frame: Frame): void {
    const redact = this.options.redact;
    if (frame.method !== undefined) frame.method = redact(frame.method);
    if (frame.id !== undefined) frame.id = redact(frame.id);
    if (frame.updateKind !== undefined) frame.updateKind = redact(frame.updateKind);
    if (frame.errorMessage !== undefined) frame.errorMessage = redact(frame.errorMessage);
    if (frame.note !== undefined) frame.note = redact(frame.note);
    if (frame.injected !== undefined) frame.injected = redact(frame.injected);
    if (frame.violations) frame.violations = frame.violations.map((v) => ({ path: redact(v.path), message: redact(v.message) }));
    if (frame.http) {
      const h = frame.http;
      frame.http = { ...h, method: redact(h.method), path: redact(h.path), ...(h.grantType !== undefined ? { grantType: redact(h.grantType) } : {}), ...(h.error !== undefined ? { error: redact(h.error) } : {}) };
    }
    if (frame.home) {
      const h = frame.home;
      frame.home = {
        ...h,
        path: redact(h.path),
        summary: redact(h.summary),
        ...(h.diff ? { diff: h.diff.map((d) => ({ key: redact(d.key), op: d.op, ...(d.from !== undefined ? { from: redact(d.from) } : {}), ...(d.to !== undefined ? { to: redact(d.to) } : {}) })) } : {}),
      };
    }
    if (frame.agentLog) frame.agentLog = { file: redact(frame.agentLog.file), line: frame.agentLog.line };
  }

  private commit(frame: Frame): void {
    if (frame.pairSeq !== undefined && frame.kind !== "request") {
      const waiter = this.waiters.get(frame.pairSeq);
      if (waiter) {
        this.waiters.delete(frame.pairSeq);
        queueMicrotask(() => waiter(frame));
      }
    }
    this.ring.push(frame);
    this.summary.frameCount = this.seq;
    this.summary.dropped = this.ring.dropped;
    this.listener.frames(this);
  }

  /** Tell the listener when anything the status bar shows has changed; cheap to call per frame. */
  private updatePending(): void {
    this.summary.pendingOut = this.correlator.count("out");
    this.summary.pendingIn = this.correlator.count("in");
    const s = this.summary;
    const r = this.reported;
    // Field comparisons, not a string key: this runs for every frame.
    if (r.state !== s.state || r.pendingOut !== s.pendingOut || r.pendingIn !== s.pendingIn || r.version !== s.agentInfo?.version || r.pid !== s.pid) {
      this.reported = { state: s.state, pendingOut: s.pendingOut, pendingIn: s.pendingIn, version: s.agentInfo?.version, pid: s.pid };
      this.listener.state(this);
    }
  }
}

/** Why a client line is over the relay's line limit, or undefined when it is not. */
export function lineLimitProblem(text: string, maxLineBytes: number, bytes?: number): string | undefined {
  const size = bytes ?? Buffer.byteLength(text);
  if (size <= maxLineBytes) return undefined;
  return `The line is ${size} bytes, over the relay's ${maxLineBytes}-byte line limit (--max-line-bytes).`;
}

function answerMessage(id: string, answer: { result?: unknown; error?: { code: number; message: string; data?: unknown } }): Record<string, unknown> {
  const base = { jsonrpc: "2.0", id: idFromKey(id) };
  return answer.error ? { ...base, error: answer.error } : { ...base, result: answer.result ?? {} };
}

function withPromptNote(note: string | undefined, prompt: string | undefined): string | undefined {
  return prompt ? joinNotes(note, prompt) : note;
}

function joinNotes(first: string | undefined, second: string): string {
  return first ? `${first}; ${second}` : second;
}
