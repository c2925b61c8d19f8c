/**
 * The terminals behind ACP's terminal/* client methods: real child processes the relay spawns for
 * an agent, without a shell and in their own process group, so a kill reaches everything the
 * command started. Output is kept as bytes (stdout and stderr in arrival order) under a byte
 * budget that drops the oldest bytes first, because the agent wants the end of a long build log,
 * and it is streamed (redacted) to the UI as it arrives. Nothing here outlives the run: dispose()
 * kills every process group, and every process that left its group (`setsid`, a double fork) is
 * found by the run marker in its environment (server/process-marker.ts) and killed too.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { StringDecoder } from "node:string_decoder";
import { childEnv } from "./child-env";
import { ClientMethodError } from "./errors";
import { killAllMarked, markerEnv, newRunMarker, sweepMarked } from "./process-marker";

export interface TerminalEvents {
  terminalOutput(e: { terminalId: string; data: string }): void;
  terminalExit(e: { terminalId: string; exitCode: number | null; signal: string | null }): void;
  terminalCreated(e: { terminalId: string; argv: string[]; cwd: string }): void;
}

export interface TerminalManagerOptions {
  redact: (text: string) => string;
  events: TerminalEvents;
  /** Terminals created and not yet released; a runaway agent must not fork-bomb the relay. */
  maxTerminals?: number;
  /** Bytes retained over all terminals; each terminal gets an equal share as its ceiling. */
  maxTotalOutputBytes?: number;
  /** Between SIGTERM and SIGKILL on terminal/kill. */
  killGraceMs?: number;
  /** Base environment the allowlist is taken from (tests pass their own). */
  baseEnv?: Readonly<Record<string, string | undefined>>;
}

export interface CreateTerminalSpec {
  sessionId: string;
  command: string;
  args: string[];
  /** Variables the agent asked for, layered over the allowlisted base environment. */
  env: Record<string, string>;
  /** Already confined by the caller. */
  cwd: string;
  outputByteLimit?: number;
}

export interface ExitStatus {
  exitCode: number | null;
  signal: string | null;
}

export interface TerminalOutput {
  output: string;
  truncated: boolean;
  exitStatus?: ExitStatus;
}

export const DEFAULT_MAX_TERMINALS = 16;
export const DEFAULT_MAX_TOTAL_OUTPUT_BYTES = 64 * 1024 * 1024;
const EXIT_DRAIN_MS = 200;

interface Terminal {
  id: string;
  sessionId: string;
  child: ChildProcess;
  pid: number;
  limit: number;
  chunks: Buffer[];
  bytes: number;
  truncated: boolean;
  exit?: ExitStatus;
  /** Both pipes are closed: nothing in the process group can still be writing. */
  closed: boolean;
  reported?: boolean;
  exited: Promise<ExitStatus>;
  killTimer?: NodeJS.Timeout;
  settleTimer?: NodeJS.Timeout;
}

function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** Length of `buf` without a trailing partial UTF-8 character (it completes with the next chunk). */
function completeEnd(buf: Buffer): number {
  // A character is at most 4 bytes, so only the last 3 can start an unfinished one.
  for (let back = 1; back <= Math.min(3, buf.length); back++) {
    const byte = buf[buf.length - back];
    if ((byte & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead byte
    const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return need > back ? buf.length - back : buf.length;
  }
  return buf.length;
}

/** Offset of the first character start, skipping continuation bytes left by a cut from the start. */
function completeStart(buf: Buffer): number {
  let i = 0;
  while (i < buf.length && i < 3 && (buf[i] & 0xc0) === 0x80) i++;
  return i;
}

export class TerminalManager {
  private readonly terminals = new Map<string, Terminal>();
  private readonly maxTerminals: number;
  private readonly perTerminalCeiling: number;
  private readonly killGraceMs: number;
  private nextId = 1;
  private disposed = false;
  /** This manager's (= this run's) marker; each terminal carries `<marker>/<terminal id>`. */
  private readonly marker = newRunMarker();

  constructor(private readonly options: TerminalManagerOptions) {
    this.maxTerminals = options.maxTerminals ?? DEFAULT_MAX_TERMINALS;
    this.perTerminalCeiling = Math.floor((options.maxTotalOutputBytes ?? DEFAULT_MAX_TOTAL_OUTPUT_BYTES) / this.maxTerminals);
    this.killGraceMs = options.killGraceMs ?? 2000;
  }

  /** Terminals not yet released (running or exited). */
  get size(): number {
    return this.terminals.size;
  }

  /** The pid (and process group id) of a terminal's command; for the UI and for tests. */
  pidOf(terminalId: string): number | undefined {
    return this.terminals.get(terminalId)?.pid;
  }

  /** Spawn the command; resolves once it runs, rejects with a ClientMethodError when it cannot. */
  async create(spec: CreateTerminalSpec): Promise<string> {
    if (this.disposed) throw new ClientMethodError(-32603, "Internal error: the run has ended; no new terminals", { reason: "run ended" });
    if (this.terminals.size >= this.maxTerminals) {
      throw new ClientMethodError(-32603, `Internal error: too many terminals (limit ${this.maxTerminals})`, {
        reason: "terminal limit reached",
        limit: this.maxTerminals,
        note: "Release terminals with terminal/release before creating more.",
      });
    }
    const id = `term-${this.nextId++}`;
    const refuse = (reason: string, code?: string): ClientMethodError => {
      const command = this.options.redact(spec.command);
      return new ClientMethodError(-32602, `Invalid params: cannot run "${command}": ${reason}`, { command, reason, ...(code ? { code } : {}) });
    };
    let child: ChildProcess;
    try {
      child = spawn(spec.command, spec.args, {
        cwd: spec.cwd,
        // The marker goes last: the agent's own pairs cannot remove or change it.
        env: childEnv(this.options.baseEnv ?? process.env, spec.env, markerEnv(this.markerOf(id))) as NodeJS.ProcessEnv,
        shell: false,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
        windowsHide: true,
      });
    } catch (error) {
      // Node refuses some arguments synchronously (a NUL byte in the command or an argument).
      throw refuse((error as Error).message, errnoCode(error));
    }
    // 'spawn' or 'error' comes first; only then is it known whether the command exists.
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", resolve);
      child.once("error", (error: NodeJS.ErrnoException) => {
        // spawn says ENOENT for a missing cwd too; tell the two apart for the user.
        const reason =
          error.code === "ENOENT"
            ? existsSync(spec.cwd)
              ? "command not found (neither a path nor on PATH)"
              : `the working directory ${spec.cwd} does not exist`
            : error.code === "EACCES"
              ? "command is not executable"
              : error.message;
        reject(refuse(reason, error.code));
      });
    });
    const pid = child.pid as number;
    const requested = spec.outputByteLimit;
    const terminal: Terminal = {
      id,
      sessionId: spec.sessionId,
      child,
      pid,
      limit: requested === undefined ? this.perTerminalCeiling : Math.min(requested, this.perTerminalCeiling),
      chunks: [],
      bytes: 0,
      truncated: false,
      closed: false,
      exited: new Promise<ExitStatus>((resolve) => {
        const settle = (): void => {
          if (!terminal.exit) return;
          if (terminal.settleTimer) clearTimeout(terminal.settleTimer);
          if (terminal.killTimer) clearTimeout(terminal.killTimer);
          if (terminal.reported) return;
          terminal.reported = true;
          this.options.events.terminalExit({ terminalId: id, exitCode: terminal.exit.exitCode, signal: terminal.exit.signal });
          resolve(terminal.exit);
        };
        child.once("exit", (code: number | null, signal: NodeJS.Signals | null) => {
          terminal.exit = { exitCode: code, signal };
          // Wait for the pipes to drain so the last output is readable once the exit is reported;
          // but a background grandchild holding them open must not delay the exit for ever.
          terminal.settleTimer = setTimeout(settle, EXIT_DRAIN_MS);
        });
        child.once("close", () => {
          terminal.closed = true;
          settle();
        });
      }),
    };
    // Errors after a successful spawn (e.g. a failed kill) must not crash the relay.
    child.on("error", () => undefined);
    this.terminals.set(id, terminal);
    this.options.events.terminalCreated({ terminalId: id, argv: [spec.command, ...spec.args].map((a) => this.options.redact(a)), cwd: spec.cwd });
    for (const stream of [child.stdout, child.stderr]) {
      // One decoder per pipe: a character split across two chunks of one pipe is joined again.
      const decoder = new StringDecoder("utf8");
      stream?.on("data", (chunk: Buffer) => {
        this.append(terminal, chunk);
        const text = decoder.write(chunk);
        if (text) this.options.events.terminalOutput({ terminalId: id, data: this.options.redact(text) });
      });
    }
    return id;
  }

  output(terminalId: string, sessionId?: string): TerminalOutput {
    const t = this.get(terminalId, sessionId);
    const all = Buffer.concat(t.chunks, t.bytes);
    const start = t.truncated ? completeStart(all) : 0;
    const text = all.subarray(start, completeEnd(all)).toString("utf8");
    return t.exit ? { output: text, truncated: t.truncated, exitStatus: { ...t.exit } } : { output: text, truncated: t.truncated };
  }

  async waitForExit(terminalId: string, sessionId?: string): Promise<ExitStatus> {
    return { ...(await this.get(terminalId, sessionId).exited) };
  }

  /** Stop the command; the id stays valid so its output and exit status can still be read. */
  kill(terminalId: string, sessionId?: string): void {
    this.terminate(this.get(terminalId, sessionId), "SIGTERM");
  }

  /** Kill if running and forget the terminal: the id is invalid afterwards. */
  release(terminalId: string, sessionId?: string): void {
    const t = this.get(terminalId, sessionId);
    this.terminate(t, "SIGTERM");
    this.terminals.delete(terminalId);
    t.chunks = [];
    t.bytes = 0;
  }

  /**
   * The run has ended: SIGKILL every process group at once, since no one will read them, and
   * every process of any terminal (released ones included) that escaped its group. The promise
   * settles once the sweep is done; callers that cannot wait may ignore it.
   */
  dispose(): Promise<void> {
    this.disposed = true;
    for (const t of this.terminals.values()) this.terminate(t, "SIGKILL");
    this.terminals.clear();
    return killAllMarked(this.marker, { prefix: true }).then(
      () => undefined,
      () => undefined,
    );
  }

  private markerOf(terminalId: string): string {
    return `${this.marker}/${terminalId}`;
  }

  private get(terminalId: string, sessionId: string | undefined): Terminal {
    const t = this.terminals.get(terminalId);
    // A terminal of another session is as unknown to this one as a released one.
    if (!t || (sessionId !== undefined && t.sessionId !== sessionId)) {
      throw new ClientMethodError(-32002, `Resource not found: no terminal "${terminalId}"${sessionId !== undefined ? ` in session ${sessionId}` : ""}`, { terminalId, ...(sessionId !== undefined ? { sessionId } : {}) });
    }
    return t;
  }

  private append(t: Terminal, chunk: Buffer): void {
    t.chunks.push(chunk);
    t.bytes += chunk.length;
    // Drop from the front; a cut through a character is repaired when the text is read.
    while (t.bytes > t.limit && t.chunks.length > 0) {
      t.truncated = true;
      const first = t.chunks[0];
      const excess = t.bytes - t.limit;
      if (first.length <= excess) {
        t.chunks.shift();
        t.bytes -= first.length;
      } else {
        t.chunks[0] = first.subarray(excess);
        t.bytes -= excess;
      }
    }
  }

  private terminate(t: Terminal, signal: NodeJS.Signals): void {
    // Processes that left the group are found by their marker, whether or not the pipes closed.
    if (signal === "SIGKILL") void killAllMarked(this.markerOf(t.id)).catch(() => undefined);
    else sweepMarked(this.markerOf(t.id), this.killGraceMs);
    // The leader may be gone while a background child still holds the pipes: signal the group
    // until they close; after that the group id may belong to someone else.
    if (t.closed) return;
    const send = (sig: NodeJS.Signals): void => {
      try {
        process.kill(-t.pid, sig);
      } catch {
        try {
          t.child.kill(sig);
        } catch {
          /* already gone */
        }
      }
    };
    send(signal);
    if (signal !== "SIGKILL" && !t.killTimer) {
      t.killTimer = setTimeout(() => {
        if (!t.closed) send("SIGKILL");
      }, this.killGraceMs);
      t.killTimer.unref();
    }
  }
}
