/**
 * The frame the CLI scripts (`npm run matrix`, `flow`, `conformance`) run their main() in, so the
 * three keep one contract: main's number is the exit status; a PlaygroundError is the user's
 * problem (its message and hint on stderr, exit 2); anything else is a bug (its stack, exit 2, or
 * the script's own code); the first Ctrl-C stops the agents and the second leaves at once with 130.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PlaygroundError } from "./errors";

/** The shell's status for "killed by SIGINT": what every script exits with after Ctrl-C. */
export const INTERRUPTED_EXIT = 130;

/** What runCli and onInterrupt touch of the process; a test passes its own. */
export interface CliProcess {
  argv: readonly string[];
  writeErr(text: string): void;
  setExitCode(code: number): void;
  exit(code: number): void;
  onSigint(listener: () => void): void;
  offSigint(listener: () => void): void;
}

const realProcess: CliProcess = {
  argv: process.argv,
  writeErr: (text) => void process.stderr.write(text),
  setExitCode: (code) => {
    process.exitCode = code;
  },
  exit: (code) => process.exit(code),
  onSigint: (listener) => void process.on("SIGINT", listener),
  offSigint: (listener) => void process.off("SIGINT", listener),
};

export interface CliOptions {
  /** Exit status for an error that is not a PlaygroundError (a bug); default 2. */
  unexpectedExit?: number;
  proc?: CliProcess;
}

/**
 * Run `main(argv)` (argv without node and the script) and turn its outcome into the exit status;
 * stderr lines start with `name:`. Resolves once the status is set (never rejects).
 */
export function runCli(name: string, main: (argv: string[]) => Promise<number>, opts: CliOptions = {}): Promise<void> {
  const proc = opts.proc ?? realProcess;
  return main(proc.argv.slice(2)).then(
    (code) => proc.setExitCode(code),
    (error: unknown) => {
      if (error instanceof PlaygroundError) {
        proc.writeErr(`${name}: ${error.message}\n${error.hint ? `${error.hint}\n` : ""}`);
        proc.setExitCode(2);
      } else {
        proc.writeErr(`${name}: unexpected failure: ${(error as Error).stack ?? String(error)}\n`);
        proc.setExitCode(opts.unexpectedExit ?? 2);
      }
    },
  );
}

export interface Interrupt {
  /** Aborted by the first Ctrl-C: hand it to whatever runs agents so they stop. */
  readonly signal: AbortSignal;
  /** Whether Ctrl-C came; main then returns INTERRUPTED_EXIT. */
  readonly interrupted: boolean;
  /** Give Ctrl-C back to Node's default (call in main's `finally`). */
  dispose(): void;
}

/**
 * Catch Ctrl-C while agents run: the first aborts `signal` (and writes `message`, if any, so the
 * wait for the agents to stop is explained); the second exits at once with 130.
 */
export function onInterrupt(message?: string, proc: CliProcess = realProcess): Interrupt {
  const controller = new AbortController();
  let interrupted = false;
  const listener = (): void => {
    if (interrupted) return proc.exit(INTERRUPTED_EXIT);
    interrupted = true;
    if (message) proc.writeErr(message);
    controller.abort();
  };
  proc.onSigint(listener);
  return {
    signal: controller.signal,
    get interrupted() {
      return interrupted;
    },
    dispose: () => proc.offSigint(listener),
  };
}

/** `--help`: the usage on stdout, exit 0. */
export function printUsage(usage: string): number {
  process.stdout.write(`${usage}\n`);
  return 0;
}

/** Whether the module at `moduleUrl` is the script node was started with (not imported by a test). */
export function isMainModule(moduleUrl: string, argv: readonly string[] = process.argv): boolean {
  return argv[1] !== undefined && path.resolve(argv[1]) === path.resolve(fileURLToPath(moduleUrl));
}
