/**
 * Runs an agent's terminal login (e.g. `kimi acp --login`) in a pseudo-terminal, because login
 * flows are interactive programs that expect a TTY (prompts, device codes, colours), and the
 * browser terminal needs a byte stream it can render and type into. The command is exec'd
 * directly by node-pty, never through a shell, so no argument is ever re-parsed. Output is
 * redacted before anyone sees it; the exit code is the only success signal the spec defines.
 */
import { closeSync, constants as fsConstants, existsSync, openSync, statSync } from "node:fs";
import { constants as osConstants } from "node:os";
import path from "node:path";
import { type IPty, spawn } from "node-pty";
import { type Redactor, StreamRedactor } from "../lib/redact";
import { isNodeRuntime, isScriptPath } from "../lib/terminal-login";
import { whichSync } from "./catalog";
import { LoginCommandError, PtyError } from "./errors";

export interface LoginTerminalOptions {
  argv: string[];
  cwd: string;
  /** The child's whole environment (profile env + method env); nothing is inherited. */
  env: Record<string, string>;
  cols?: number;
  rows?: number;
  /**
   * The Redactor itself, not a redact function: only with the secrets' spellings can a secret split
   * across two pty reads be caught exactly (a function would have to guess with a timer).
   */
  redact: Redactor;
  onData: (text: string) => void;
  onExit: (exitCode: number | null, signal: string | null) => void;
  /** Grace between SIGTERM and SIGKILL on cancel. */
  killGraceMs?: number;
}

const DEFAULT_COLS = 100;
const DEFAULT_ROWS = 30;
const MAX_DIMENSION = 1000;
const DEFAULT_KILL_GRACE_MS = 2000;
function signalName(signal: number | undefined): string | null {
  if (!signal) return null;
  const entry = Object.entries(osConstants.signals).find(([, n]) => n === signal);
  return entry ? entry[0] : `signal ${signal}`;
}

function dimension(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > MAX_DIMENSION) throw new PtyError(`The terminal ${what} ${value} is not an integer between 1 and ${MAX_DIMENSION}.`);
  return value;
}

/**
 * Check that a login command can start, and return the executable's absolute path. Also checks
 * the script of `<node> <script.mjs> …`, because a missing script makes Node print a stack trace
 * that says nothing about which agent install is broken.
 */
export function resolveLoginCommand(argv: readonly string[], cwd: string, env: Record<string, string>): string {
  if (argv.length === 0 || argv[0] === "") throw new LoginCommandError("The login command is empty.", "The auth method gave no command; pick the other convention or another method.");
  try {
    if (!statSync(cwd).isDirectory()) throw new Error("not a directory");
  } catch {
    throw new LoginCommandError(`The working directory ${cwd} of the login does not exist.`, "Start the agent with an existing working directory, then run the login again.");
  }
  const file = whichSync(argv[0], env.PATH ?? "");
  if (!file) {
    throw new LoginCommandError(
      `The login command "${argv[0]}" was not found${argv[0].includes("/") ? "" : " on the child's PATH"} or is not executable.`,
      argv[0].includes("/") ? "Check that the agent is installed (npm install restores the bundled ones)." : "Give an absolute path, or add its directory to PATH in the profile.",
    );
  }
  const script = argv[1];
  if (isNodeRuntime(file) && script !== undefined && isScriptPath(script) && !existsSync(path.resolve(cwd, script))) {
    throw new LoginCommandError(`The login script ${script} does not exist.`, "The agent's install is incomplete; run `npm install` again, or fix the agent's command in agents.json.");
  }
  return file;
}

/**
 * Open the terminal's slave side in this process. node-pty closes the master on the first read
 * that fails with EIO, which happens as soon as the child closes its last descriptor on the
 * terminal. A program that closes stdio before it exits (coreutils do, at exit) is then hung up,
 * killed by SIGHUP between its close() and its exit, and a login that succeeded reads as killed.
 * While this descriptor is open that EIO cannot happen; it is closed once the exit is known.
 */
function holdSlave(pty: IPty): number | undefined {
  const name = (pty as IPty & { ptsName?: unknown }).ptsName;
  if (typeof name !== "string" || !name.startsWith("/dev/")) return undefined;
  try {
    return openSync(name, fsConstants.O_RDWR | fsConstants.O_NOCTTY);
  } catch {
    return undefined; // Without it the race stays, but the login still runs.
  }
}

export class LoginTerminal {
  private pty?: IPty;
  private slaveFd?: number;
  private exited = false;
  private killTimer?: NodeJS.Timeout;
  private readonly redactor: StreamRedactor;

  constructor(private readonly opts: LoginTerminalOptions) {
    this.redactor = new StreamRedactor(opts.redact);
  }

  get pid(): number | undefined {
    return this.pty?.pid;
  }

  get running(): boolean {
    return this.pty !== undefined && !this.exited;
  }

  /** Spawn the command; throws LoginCommandError (with a hint) if it cannot run at all. */
  start(): void {
    if (this.pty) throw new PtyError("This login terminal was already started.", "Create a new LoginTerminal for each attempt.");
    const cols = dimension(this.opts.cols, DEFAULT_COLS, "width");
    const rows = dimension(this.opts.rows, DEFAULT_ROWS, "height");
    const file = resolveLoginCommand(this.opts.argv, this.opts.cwd, this.opts.env);
    // childEnv() defaults TERM to "dumb", right for pipes but wrong here: xterm.js renders colour
    // and cursor movement, and login prompts look broken without them.
    const env = { ...this.opts.env };
    if (!env.TERM || env.TERM === "dumb") env.TERM = "xterm-256color";
    try {
      this.pty = spawn(file, this.opts.argv.slice(1), { name: env.TERM, cols, rows, cwd: this.opts.cwd, env, encoding: "utf8" });
    } catch (error) {
      throw new PtyError(`Could not open a pseudo-terminal for the login: ${(error as Error).message}`, "node-pty may not be built for this platform; run `npm rebuild node-pty`.");
    }
    this.slaveFd = holdSlave(this.pty);
    this.pty.onData((chunk) => this.emit(this.redactor.push(chunk)));
    this.pty.onExit(({ exitCode, signal }) => {
      this.exited = true;
      if (this.slaveFd !== undefined) closeSync(this.slaveFd);
      this.slaveFd = undefined;
      if (this.killTimer) clearTimeout(this.killTimer);
      this.emit(this.redactor.flush());
      const name = signalName(signal);
      this.opts.onExit(name ? null : exitCode, name);
    });
  }

  /** Keyboard input from the browser terminal. */
  write(data: string): void {
    if (this.running) this.pty?.write(data);
  }

  resize(cols: number, rows: number): void {
    if (this.running) this.pty?.resize(dimension(cols, DEFAULT_COLS, "width"), dimension(rows, DEFAULT_ROWS, "height"));
  }

  /**
   * Kill the whole process group (the pty child is a session leader, so its pid is the group id):
   * a login may have started helpers (a browser opener) that must not outlive it.
   */
  cancel(): void {
    const pid = this.pty?.pid;
    if (!this.running || pid === undefined) return;
    const kill = (signal: NodeJS.Signals): void => {
      try {
        process.kill(-pid, signal);
      } catch {
        // The group is gone already, or never formed: fall back to the process itself.
        try {
          process.kill(pid, signal);
        } catch {
          // Already exited; onExit reports it.
        }
      }
    };
    kill("SIGTERM");
    this.killTimer ??= setTimeout(() => {
      if (this.running) kill("SIGKILL");
    }, this.opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
    this.killTimer.unref();
  }

  private emit(text: string): void {
    if (text) this.opts.onData(text);
  }
}
