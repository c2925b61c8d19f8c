/**
 * The Agent-log lane (issue #13): the agent's own account of a turn, tailed from its home, one
 * frame per line, because a turn can fail there and nowhere else (a refused refresh is logged, the
 * client sees only an empty answer). Kimi keeps it under `sessions/<workdir-hash>/<session-id>/`:
 * `agents/main/wire.jsonl` (one event per line, ~20 per prompt turn) and `logs/kimi-code.log`,
 * plus an engine log at `<home>/logs/kimi-code.log` — seen in runs of both 2.1.0 and 0.28.0
 * (test/lanes.test.ts).
 *
 * Fed by the home watcher (server/home-watch.ts) with each file's new size; reads only the new
 * bytes, never more than READ_MAX per look, keeps a partial last line until it is finished, and
 * stops after MAX_LINES lines per run (one frame says so). Lines are redacted by the run when
 * recorded, and cut to its AGENT_LOG_LINE_MAX.
 */
import { constants as fsConstants } from "node:fs";
import { open } from "node:fs/promises";
import path from "node:path";

/** Bytes read per file per look; a faster writer is caught up on the next polls. */
export const READ_MAX = 1 << 20;
/** Lines recorded per run at most. */
export const MAX_LINES = 20_000;
/** A partial line held longer than this is recorded as it is (a writer that never ends its line). */
const PARTIAL_MAX = 256 * 1024;

/** The agent's own records under its home: 2.1.0's wire.jsonl and every build's `logs/*.log`. */
export function isAgentLog(rel: string): boolean {
  return /(^|\/)agents\/[^/]+\/wire\.jsonl$/.test(rel) || /(^|\/)logs\/[^/]+\.log$/.test(rel);
}

interface Tailed {
  offset: number;
  lines: number;
  partial: string;
}

export class AgentLogTail {
  private readonly files = new Map<string, Tailed>();
  private total = 0;
  private full = false;

  constructor(
    readonly root: string,
    private readonly onLine: (file: string, line: number, text: string) => void,
    private readonly maxLines = MAX_LINES,
  ) {}

  /** A file that existed before the run (a reused home): only what is written from now on is new. */
  baseline(rel: string, size: number): void {
    this.files.set(rel, { offset: size, lines: 0, partial: "" });
  }

  forget(rel: string): void {
    this.files.delete(rel);
  }

  /** The file is now `size` bytes: record its new complete lines. */
  async poke(rel: string, size: number): Promise<void> {
    if (this.full) return;
    let t = this.files.get(rel);
    if (!t) {
      t = { offset: 0, lines: 0, partial: "" };
      this.files.set(rel, t);
    }
    // Truncated or replaced by a shorter file: start over from its beginning.
    if (size < t.offset) {
      t.offset = 0;
      t.partial = "";
    }
    if (size === t.offset) return;
    const want = Math.min(size - t.offset, READ_MAX);
    let handle;
    let chunk: Buffer;
    try {
      handle = await open(path.join(this.root, rel), fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
      chunk = Buffer.alloc(want);
      const { bytesRead } = await handle.read(chunk, 0, want, t.offset);
      chunk = chunk.subarray(0, bytesRead);
    } catch {
      return;
    } finally {
      await handle?.close();
    }
    // Cut at the last complete UTF-8 character, so a multi-byte one split by the read is kept whole.
    let end = chunk.length;
    if (end < want || t.offset + end < size) {
      let back = end - 1;
      while (back >= 0 && back > end - 4 && (chunk[back] & 0xc0) === 0x80) back--;
      if (back >= 0 && chunk[back] >= 0xc0) end = back;
    }
    t.offset += end;
    const text = t.partial + chunk.subarray(0, end).toString("utf8");
    const lines = text.split("\n");
    t.partial = lines.pop() ?? "";
    if (t.partial.length > PARTIAL_MAX) {
      lines.push(t.partial);
      t.partial = "";
    }
    for (const raw of lines) {
      const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
      t.lines++;
      if (line.trim() === "") continue;
      if (++this.total > this.maxLines) {
        this.full = true;
        this.onLine(rel, t.lines, `(the agent-log lane stops here: ${this.maxLines} lines recorded for this run)`);
        return;
      }
      this.onLine(rel, t.lines, line);
    }
  }
}
