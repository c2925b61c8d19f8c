/**
 * Owns one agent child process. Deliberately thin: it spawns without a shell, hands raw stdout and
 * stderr chunks to its listener, writes bytes to stdin, and reports exit. It does not parse: the
 * run decides what a line means, so nothing here can drop or reshape what the agent said.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { killAllMarked, markerEnv, newRunMarker, sweepMarked } from "./process-marker";

// Next.js augments ProcessEnv with a required NODE_ENV; a child env is a plain string map.
type ChildEnv = NodeJS.ProcessEnv;

export interface AgentProcessEvents {
  stdout(chunk: Buffer): void;
  stderr(chunk: Buffer): void;
  /** Streams are drained and the process is gone. */
  exit(code: number | null, signal: NodeJS.Signals | null): void;
  spawnError(error: Error): void;
}

export interface SpawnSpec {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

export class AgentProcess {
  private child?: ChildProcessWithoutNullStreams;
  private exited = false;
  /** In the agent's environment, so its descendants that leave the group (setsid) are found. */
  private readonly marker = newRunMarker();

  constructor(private readonly spec: SpawnSpec, private readonly events: AgentProcessEvents) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get alive(): boolean {
    return this.child !== undefined && !this.exited;
  }

  start(): void {
    const child: ChildProcessWithoutNullStreams = spawn(this.spec.file, this.spec.args, {
      cwd: this.spec.cwd,
      env: { ...this.spec.env, ...markerEnv(this.marker) } as ChildEnv,
      shell: false,
      stdio: ["pipe", "pipe", "pipe"],
      // Own process group, so kill() reaches grandchildren (e.g. tools the agent started).
      detached: true,
      windowsHide: true,
    });
    this.child = child;
    child.stdout.on("data", (chunk: Buffer) => this.events.stdout(chunk));
    child.stderr.on("data", (chunk: Buffer) => this.events.stderr(chunk));
    // A dead agent's stdin raises EPIPE; the exit event tells the story, so swallow it here.
    child.stdin.on("error", () => undefined);
    child.on("error", (error: Error) => {
      if (child.pid === undefined && !this.exited) {
        this.exited = true;
        this.events.spawnError(error);
      }
    });
    // The run ends with the agent: what it left behind (daemons, setsid'd tools) ends too. This also
    // lets 'close' come when such a process held the agent's stdout open.
    child.on("exit", () => sweepMarked(this.marker, 2000));
    child.on("close", (code: number | null, signal: NodeJS.Signals | null) => {
      if (this.exited) return;
      this.exited = true;
      this.events.exit(code, signal);
    });
  }

  /** Write bytes to stdin; false when the process is gone. */
  write(data: string): boolean {
    if (!this.child || this.exited || this.child.stdin.destroyed) return false;
    this.child.stdin.write(data);
    return true;
  }

  /**
   * SIGKILL every process this spawn left behind, wherever it went (setsid, double fork); settles
   * once the scan is done. For the relay's exit: no grace timer of kill() would outlive it.
   */
  sweepNow(): Promise<void> {
    return killAllMarked(this.marker).then(
      () => undefined,
      () => undefined,
    );
  }

  /** Kill the whole process group; escalate to SIGKILL if it lingers. */
  kill(signal: NodeJS.Signals = "SIGTERM", graceMs = 2000): void {
    const child = this.child;
    if (!child || this.exited || child.pid === undefined) return;
    const pid = child.pid;
    const send = (sig: NodeJS.Signals): void => {
      try {
        process.kill(-pid, sig);
      } catch {
        try {
          child.kill(sig);
        } catch {
          /* already gone */
        }
      }
    };
    // ACP agents exit when stdin closes, and some (Kimi 0.28.0) ignore SIGTERM: close it first.
    child.stdin.end();
    send(signal);
    if (signal !== "SIGKILL") {
      sweepMarked(this.marker, graceMs);
      const timer = setTimeout(() => {
        if (!this.exited) send("SIGKILL");
      }, graceMs);
      timer.unref();
    } else void killAllMarked(this.marker).catch(() => undefined);
  }
}
