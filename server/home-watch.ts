/**
 * The Home lane (issue #13): the run's agent home watched while the agent runs, each file created,
 * changed or deleted recorded as a frame, with a masked diff of JSON and TOML files, so a token
 * blanked to `access_token: ""` after a refused refresh is visible on the timeline, and next to
 * the HTTP hop that caused it.
 *
 * A bounded poll rather than fs.watch: the relay runs on Node 20, where recursive fs.watch on
 * Linux is new and misses files in directories created between events; a walk of a Kimi home
 * after a prompt (13 files) takes about 2.6 ms of async I/O, the walk is capped at MAX_ENTRIES,
 * the next poll waits at least 20 times as long as the last walk took (a big home costs at most
 * ~5% of a core), and the result is the same on every platform. Symlinks are never followed or read:
 * the home may link outside itself. Noise is skipped (caches, Kimi's `.index-dirty` markers,
 * temp files); log files (`*.jsonl`, `*.log`) get create/delete frames only: their lines are the
 * Agent-log lane's (server/agent-log-tail.ts), which this watcher feeds.
 */
import { constants as fsConstants } from "node:fs";
import { lstat, open, readdir } from "node:fs/promises";
import path from "node:path";
import { diffSummary, formatOf, maskedDiff, parseStructured } from "../lib/masked-diff";
import type { HomeChange } from "../lib/wire";
import { AgentLogTail, isAgentLog } from "./agent-log-tail";

export const POLL_MS = 250;
/** Files and directories looked at per walk; a bigger home is watched in part, and says so once. */
export const MAX_ENTRIES = 2000;
/** JSON/TOML files larger than this are not read (no diff, sizes only). */
export const MAX_DIFF_FILE_BYTES = 256 * 1024;
/** Home frames per second at most; the rest are counted into one "not recorded" frame. */
export const MAX_CHANGES_PER_SECOND = 40;

/** Directories whose contents are not the agent's state but its caches. */
const NOISE_DIRS = new Set(["cache", ".cache", "node_modules", ".npm", "tmp", ".tmp", ".index-dirty", "__pycache__", ".git"]);
/** Atomic-write temp files and editor droppings. */
const NOISE_FILE = /(\.tmp(\.\d+)?|\.swp|~|\.lock|\.tmp-[\w-]+)$|^\.#|\.\d{6,}\.tmp$/i;

export function isNoise(rel: string): boolean {
  const parts = rel.split("/");
  if (parts.slice(0, -1).some((p) => NOISE_DIRS.has(p))) return true;
  return NOISE_FILE.test(parts.at(-1) ?? "");
}

/** Files whose every line is an event: the home lane only notes that they exist. */
function isLineFile(rel: string): boolean {
  return /\.(jsonl|log)$/i.test(rel);
}

interface Seen {
  size: number;
  mtimeMs: number;
  ino: number;
  link: boolean;
}

export interface HomeWatchSink {
  recordHome(change: HomeChange): void;
  recordAgentLog(file: string, line: number, text: string): void;
}

export interface HomeWatchOptions {
  pollMs?: number;
  maxEntries?: number;
  maxPerSecond?: number;
}

export class HomeWatcher {
  private seen = new Map<string, Seen>();
  /** Parsed JSON/TOML content at the last walk, to diff the next version against. */
  private readonly parsed = new Map<string, unknown>();
  private timer?: NodeJS.Timeout;
  private scanning?: Promise<void>;
  private stopped = false;
  private capped = false;
  private windowStart = 0;
  private inWindow = 0;
  private suppressed = 0;
  readonly tail: AgentLogTail;

  constructor(
    readonly root: string,
    private readonly sink: HomeWatchSink,
    private readonly opts: HomeWatchOptions = {},
  ) {
    this.tail = new AgentLogTail(root, (file, line, text) => sink.recordAgentLog(file, line, text));
  }

  /** Take the baseline (what the home holds before the agent starts: no frames), then poll. */
  async start(): Promise<void> {
    const now = await this.walk();
    for (const [rel, s] of now) {
      if (s.link) continue;
      if (isAgentLog(rel)) this.tail.baseline(rel, s.size);
      else if (formatOf(rel) && s.size <= MAX_DIFF_FILE_BYTES) this.parsed.set(rel, await this.read(rel));
    }
    this.seen = now;
    this.schedule();
  }

  /** One walk now (tests; the end of a run). */
  scan(): Promise<void> {
    this.scanning ??= this.scanOnce().finally(() => {
      this.scanning = undefined;
    });
    return this.scanning;
  }

  /** A last walk, so what the agent wrote just before it exited is recorded, then no more. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.scanning;
    await this.scanOnce();
  }

  private schedule(delayMs = this.opts.pollMs ?? POLL_MS): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const started = performance.now();
      void this.scan().finally(() => this.schedule(Math.max(this.opts.pollMs ?? POLL_MS, (performance.now() - started) * 20)));
    }, delayMs);
    this.timer.unref();
  }

  private async walk(): Promise<Map<string, Seen>> {
    const max = this.opts.maxEntries ?? MAX_ENTRIES;
    const out = new Map<string, Seen>();
    let entries = 0;
    const dirs = [""];
    while (dirs.length > 0) {
      const rel = dirs.shift() as string;
      let list;
      try {
        list = await readdir(path.join(this.root, rel), { withFileTypes: true });
      } catch {
        continue; // Removed while walking, or unreadable: seen as gone.
      }
      for (const entry of list) {
        if (++entries > max) {
          if (!this.capped) {
            this.capped = true;
            this.emit({ op: "change", path: ".", summary: `the home holds more than ${max} entries; only the first ${max} are watched` });
          }
          return out;
        }
        const child = rel ? `${rel}/${entry.name}` : entry.name;
        if (entry.isDirectory()) {
          if (!NOISE_DIRS.has(entry.name)) dirs.push(child);
          continue;
        }
        if (isNoise(child)) continue;
        try {
          const st = await lstat(path.join(this.root, child));
          out.set(child, { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, link: st.isSymbolicLink() });
        } catch {
          // Gone between readdir and lstat: the next walk sees it as deleted, or never saw it.
        }
      }
    }
    return out;
  }

  /** A JSON/TOML file's parsed content, bounded; undefined when unreadable, too large or not parseable. */
  private async read(rel: string): Promise<unknown> {
    const format = formatOf(rel);
    if (!format) return undefined;
    let handle;
    try {
      // Read through a descriptor opened without following a link swapped in since the walk.
      handle = await open(path.join(this.root, rel), fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
      const st = await handle.stat();
      if (!st.isFile() || st.size > MAX_DIFF_FILE_BYTES) return undefined;
      const text = (await handle.readFile()).toString("utf8");
      return parseStructured(text, format);
    } catch {
      return undefined;
    } finally {
      await handle?.close();
    }
  }

  private async scanOnce(): Promise<void> {
    const now = await this.walk();
    for (const [rel, s] of now) {
      const old = this.seen.get(rel);
      if (old && old.size === s.size && old.mtimeMs === s.mtimeMs && old.ino === s.ino) continue;
      if (isAgentLog(rel) && !s.link) await this.tail.poke(rel, s.size);
      if (old && isLineFile(rel)) continue; // a log grew: the agent-log lane has it
      await this.fileChanged(rel, old ? "change" : "create", s);
    }
    for (const [rel, s] of this.seen) {
      if (now.has(rel)) continue;
      const before = this.parsed.get(rel);
      this.parsed.delete(rel);
      this.tail.forget(rel);
      if (formatOf(rel) && before !== undefined && !s.link) {
        const { entries, truncated } = maskedDiff(before, undefined);
        this.emit({ op: "delete", path: rel, summary: `was ${s.size} bytes`, diff: entries, ...(truncated ? { diffTruncated: truncated } : {}) });
      } else this.emit({ op: "delete", path: rel, summary: `was ${s.size} bytes` });
    }
    this.seen = now;
  }

  private async fileChanged(rel: string, op: "create" | "change", s: Seen): Promise<void> {
    const old = this.seen.get(rel);
    const sizes = op === "create" ? `${s.size} bytes` : `${old?.size ?? 0} → ${s.size} bytes`;
    if (s.link) {
      this.emit({ op, path: rel, summary: "a symbolic link (not followed)", bytes: s.size });
      return;
    }
    if (!formatOf(rel) || isLineFile(rel)) {
      this.emit({ op, path: rel, summary: isAgentLog(rel) ? `${sizes} · lines in the agent-log lane` : sizes, bytes: s.size });
      return;
    }
    const before = this.parsed.get(rel);
    const after = await this.read(rel);
    if (after === undefined) {
      this.parsed.delete(rel);
      this.emit({ op, path: rel, summary: s.size > MAX_DIFF_FILE_BYTES ? `${sizes} (too large to diff)` : `${sizes} (not parseable now)`, bytes: s.size });
      return;
    }
    this.parsed.set(rel, after);
    const { entries, truncated } = maskedDiff(op === "create" ? undefined : before, after);
    // Rewritten with the same content (Kimi rewrites its token file whole): say so rather than stay silent.
    if (op === "change" && entries.length === 0) {
      this.emit({ op, path: rel, summary: `rewritten, same content (${s.size} bytes)`, bytes: s.size, diff: [] });
      return;
    }
    const summary = diffSummary(entries, truncated);
    this.emit({ op, path: rel, summary, diff: entries, bytes: s.size, ...(truncated ? { diffTruncated: truncated } : {}) });
  }

  /** Rate-bounded: past MAX_CHANGES_PER_SECOND in a second, changes are counted and named in one frame. */
  private emit(change: HomeChange): void {
    const now = Date.now();
    if (now - this.windowStart >= 1000) {
      if (this.suppressed > 0) {
        this.sink.recordHome({ op: "change", path: ".", summary: `${this.suppressed} more change(s) not recorded (over ${this.opts.maxPerSecond ?? MAX_CHANGES_PER_SECOND} per second)` });
        this.suppressed = 0;
      }
      this.windowStart = now;
      this.inWindow = 0;
    }
    if (++this.inWindow > (this.opts.maxPerSecond ?? MAX_CHANGES_PER_SECOND)) {
      this.suppressed++;
      return;
    }
    this.sink.recordHome(change);
  }
}

/**
 * Watch a run's agent home for the Home and Agent-log lanes: the agent's own home variable when it
 * has one (KIMI_CODE_HOME), else the run's HOME. Resolves once the baseline is taken, so start
 * the agent after it; `stop()` at the run's end.
 */
export async function watchRunHome(sink: HomeWatchSink, env: Readonly<Record<string, string>>, opts: HomeWatchOptions = {}): Promise<HomeWatcher | undefined> {
  const root = env.KIMI_CODE_HOME ?? env.HOME;
  if (!root) return undefined;
  const watcher = new HomeWatcher(root, sink, opts);
  await watcher.start();
  return watcher;
}
