/**
 * Agent Auth that opens a browser (issue 15): registry agents log in by running `$BROWSER <url>`
 * or `xdg-open <url>`, which on the relay's machine would open a browser nobody sees, or fail.
 * Every run gets instead, first on its PATH, launchers named xdg-open, open, sensible-browser,
 * x-www-browser and www-browser, and BROWSER naming one; each runs bin/xdg-open.mjs under the
 * server's own Node (no shell), which hands the URL to this relay over the run's own unix socket.
 * The relay records it on that run (a `browser_open` lifecycle frame, redacted like any frame) and
 * the page shows a card whose button opens it in the user's tab. Nothing is ever opened or run on
 * the server. The socket is the run's only channel: it carries no token and names no other run.
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The names agents run to open a URL (xdg-utils, macOS, Debian's alternatives) plus BROWSER's own. */
export const SHIM_NAMES = ["xdg-open", "open", "sensible-browser", "x-www-browser", "www-browser", "browser"] as const;

/** The variable the launchers read to find their run's socket. */
export const SOCKET_VAR = "ACP_PLAYGROUND_OPEN_SOCKET";

/** What bin/xdg-open.mjs sends, one JSON line: the name it ran as and the URL. */
export interface BrowserOpen {
  via: string;
  url: string;
}

/** Longest line a launcher may send: a URL of at most 8 KiB plus its envelope. */
const MAX_LINE = 16 * 1024;
/** URLs one run may hand over; an agent that loops gets refused, not a flood of cards. */
const MAX_OPENS_PER_RUN = 50;
/** Sockets held at once; the oldest run's goes first (its agent has long exited or been pruned). */
const MAX_SOCKETS = 32;

export const SHIM_SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "bin", "xdg-open.mjs");

/** A launcher: the server's Node runs the shim script (the kernel reads the `#!`, no shell). */
function launcherText(nodePath: string): string {
  // A `#!` line ends at the first blank on Linux: such a Node path is found through PATH instead.
  const interpreter = /\s/.test(nodePath) ? "/usr/bin/env node" : nodePath;
  return `#!${interpreter}\n// ACP Playground: hands the URL to the playground instead of opening a browser (server/browser-shim.ts).\nimport(${JSON.stringify(pathToFileURL(SHIM_SCRIPT).href)});\n`;
}

export class BrowserShim {
  private readonly servers = new Map<string, { server: net.Server; opens: number }>();
  private disposed = false;

  private constructor(
    /** Private directory holding `bin/` (the launchers) and the runs' sockets. */
    readonly dir: string,
    private readonly onOpen: (runId: string, open: BrowserOpen) => void,
  ) {}

  /** Make the launchers (once per server start) in a private temporary directory. */
  static async create(onOpen: (runId: string, open: BrowserOpen) => void, nodePath = process.execPath): Promise<BrowserShim> {
    // Under the system's temp dir, not the data dir: a unix socket path must stay under ~100 bytes.
    const dir = await mkdtemp(path.join(os.tmpdir(), "acp-open-"));
    await chmod(dir, 0o700);
    const bin = path.join(dir, "bin");
    await mkdir(bin, { mode: 0o700 });
    const text = launcherText(nodePath);
    for (const name of SHIM_NAMES) {
      const file = path.join(bin, name);
      await writeFile(file, text, { mode: 0o700 });
    }
    return new BrowserShim(dir, onOpen);
  }

  get binDir(): string {
    return path.join(this.dir, "bin");
  }

  /** The socket of a run (a name made of its id, which the relay chose: `run-12`, `scratch-…`). */
  socketOf(runId: string): string {
    return path.join(this.dir, `${runId.replace(/[^A-Za-z0-9_-]/g, "_")}.sock`);
  }

  /**
   * Listen on `runId`'s socket and return the variables its agent gets: BROWSER and the socket.
   * PATH is the caller's to prefix with `binDir` (server/child-env.ts withBrowserShim).
   */
  async open(runId: string, opts: { listen?: boolean } = {}): Promise<Record<string, string>> {
    // An unlisted run (a throwaway probe) gets the launchers but no socket: they refuse, and open nothing.
    if (opts.listen === false) return { BROWSER: path.join(this.binDir, "browser") };
    const socket = this.socketOf(runId);
    if (!this.servers.has(runId) && !this.disposed) {
      while (this.servers.size >= MAX_SOCKETS) {
        const oldest = this.servers.keys().next().value;
        if (oldest === undefined) break;
        this.close(oldest);
      }
      await rm(socket, { force: true });
      const entry = { server: net.createServer((conn) => this.serve(runId, entry, conn)), opens: 0 };
      this.servers.set(runId, entry);
      await new Promise<void>((resolve, reject) => {
        entry.server.once("error", reject);
        entry.server.listen(socket, () => {
          entry.server.off("error", reject);
          resolve();
        });
      });
      await chmod(socket, 0o600);
      entry.server.unref();
    }
    return { BROWSER: path.join(this.binDir, "browser"), [SOCKET_VAR]: socket };
  }

  private serve(runId: string, entry: { opens: number }, conn: net.Socket): void {
    conn.setEncoding("utf8");
    conn.setTimeout(5000, () => conn.destroy());
    let buffer = "";
    const answer = (text: string): void => {
      conn.end(`${text}\n`);
    };
    conn.on("data", (chunk: string) => {
      buffer += chunk;
      if (buffer.length > MAX_LINE) {
        answer("the message is too long");
        return;
      }
      const end = buffer.indexOf("\n");
      if (end < 0) return;
      const line = buffer.slice(0, end);
      buffer = "";
      let open: BrowserOpen | undefined;
      try {
        const value = JSON.parse(line) as Partial<BrowserOpen>;
        if (typeof value.url === "string" && value.url.length > 0 && typeof value.via === "string") open = { via: value.via.slice(0, 64), url: value.url };
      } catch {
        open = undefined;
      }
      if (!open) return answer("not a URL message");
      if (entry.opens >= MAX_OPENS_PER_RUN) return answer(`this run already handed over ${MAX_OPENS_PER_RUN} URLs`);
      entry.opens++;
      this.onOpen(runId, open);
      answer("ok");
    });
    conn.on("error", () => conn.destroy());
  }

  /** Stop listening for a run (its socket file goes too). */
  close(runId: string): void {
    const entry = this.servers.get(runId);
    if (!entry) return;
    this.servers.delete(runId);
    entry.server.close();
  }

  /** Close every socket and remove the directory (server shutdown). */
  async dispose(): Promise<void> {
    this.disposed = true;
    for (const runId of [...this.servers.keys()]) this.close(runId);
    await rm(this.dir, { recursive: true, force: true });
  }
}
