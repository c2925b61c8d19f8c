/**
 * A bounded frame log: keeps the newest frames under a count and a byte budget, and counts what it
 * dropped so the UI can say so. Frames are addressed by seq, which is dense within a run, so
 * "everything after seq N" is an index computation, not a search.
 */
import type { Frame } from "../lib/wire";

export interface RingLimits {
  maxFrames: number;
  maxBytes: number;
}

export class FrameRing {
  private items: (Frame | undefined)[];
  private head = 0; // index of the oldest
  private length = 0;
  private bytes = 0;
  private droppedCount = 0;

  constructor(private readonly limits: RingLimits) {
    if (!(limits.maxFrames > 0)) throw new RangeError("maxFrames must be positive");
    this.items = new Array(Math.min(limits.maxFrames, 1024));
  }

  get size(): number {
    return this.length;
  }

  get dropped(): number {
    return this.droppedCount;
  }

  get byteSize(): number {
    return this.bytes;
  }

  /** Seq of the oldest frame still held, or undefined when empty. */
  get firstSeq(): number | undefined {
    return this.length ? this.items[this.head]?.seq : undefined;
  }

  push(frame: Frame): void {
    const cost = frameCost(frame);
    while (this.length > 0 && (this.length >= this.limits.maxFrames || this.bytes + cost > this.limits.maxBytes)) this.shift();
    if (this.length === this.items.length) this.grow();
    this.items[(this.head + this.length) % this.items.length] = frame;
    this.length++;
    this.bytes += cost;
  }

  /** Frames with seq > afterSeq: at most `limit` of them, and of `maxRawChars` raw characters. */
  since(afterSeq: number, limit = Number.POSITIVE_INFINITY, maxRawChars = Number.POSITIVE_INFINITY): Frame[] {
    const first = this.firstSeq;
    if (first === undefined) return [];
    const skip = Math.max(0, afterSeq - first + 1);
    const out: Frame[] = [];
    let chars = 0;
    for (let i = skip; i < this.length && out.length < limit; i++) {
      const f = this.items[(this.head + i) % this.items.length];
      if (!f) continue;
      chars += f.raw.length;
      // Always at least one frame, however large, so a reader never stalls (the hub clips a tab's copy of it).
      if (chars > maxRawChars && out.length > 0) break;
      out.push(f);
    }
    return out;
  }

  get(seq: number): Frame | undefined {
    const first = this.firstSeq;
    if (first === undefined || seq < first || seq >= first + this.length) return undefined;
    return this.items[(this.head + (seq - first)) % this.items.length];
  }

  all(): Frame[] {
    return this.since(-1);
  }

  private shift(): void {
    const f = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.items.length;
    this.length--;
    if (f) this.bytes -= frameCost(f);
    this.droppedCount++;
  }

  private grow(): void {
    const next = new Array<Frame | undefined>(Math.min(this.items.length * 2, this.limits.maxFrames));
    for (let i = 0; i < this.length; i++) next[i] = this.items[(this.head + i) % this.items.length];
    this.items = next;
    this.head = 0;
  }
}

/** Approximate memory a frame holds: its raw text dominates. */
function frameCost(frame: Frame): number {
  return frame.raw.length * 2 + 200;
}
