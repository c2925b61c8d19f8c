/**
 * How much disk the run homes take (`<data-dir>/runs`): agents write hundreds of MB of caches per
 * home, so the UI says what the kept runs cost. The walk is asynchronous, bounded (it stops after
 * MAX_ENTRIES and says so) and throttled: a request within MIN_INTERVAL_MS of the last walk is
 * folded into one walk at the end of that interval, however many runs end meanwhile.
 */
import { lstat, readdir } from "node:fs/promises";
import path from "node:path";
import type { RunsDisk } from "../lib/wire";

const MAX_ENTRIES = 200_000;
const MIN_INTERVAL_MS = 5_000;

/** Walk `root` without following links; allocated bytes (blocks), as `du` counts them. */
export async function measureTree(root: string, maxEntries = MAX_ENTRIES): Promise<RunsDisk> {
  let bytes = 0;
  let entries = 0;
  let truncated = false;
  const stack = [root];
  while (stack.length > 0) {
    const dir = stack.pop() as string;
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue; // Removed (a pruned run) while we walked.
    }
    for (const name of names) {
      if (entries >= maxEntries) {
        truncated = true;
        break;
      }
      const full = path.join(dir, name);
      try {
        const st = await lstat(full);
        entries++;
        bytes += st.blocks !== undefined ? st.blocks * 512 : st.size;
        if (st.isDirectory()) stack.push(full);
      } catch {
        // Gone meanwhile.
      }
    }
    if (truncated) break;
  }
  return { bytes, entries, truncated: truncated || undefined, at: Date.now() };
}

export class RunsDiskMeter {
  private last?: RunsDisk;
  private lastStarted = 0;
  private walking = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly root: string,
    private readonly publish: (disk: RunsDisk) => void,
    private readonly minIntervalMs = MIN_INTERVAL_MS,
  ) {}

  get current(): RunsDisk | undefined {
    return this.last;
  }

  /** Ask for a fresh figure: now, or once at the end of the throttle interval. */
  request(): void {
    if (this.timer) return;
    const wait = this.walking ? this.minIntervalMs : Math.max(0, this.lastStarted + this.minIntervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.walk();
    }, wait);
    this.timer.unref();
  }

  private async walk(): Promise<void> {
    if (this.walking) return this.request();
    this.walking = true;
    this.lastStarted = Date.now();
    try {
      this.last = await measureTree(this.root);
      this.publish(this.last);
    } finally {
      this.walking = false;
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
