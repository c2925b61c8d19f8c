/**
 * Lossless newline framing for a byte stream. Splits on "\n" only, keeps a trailing "\r" out of
 * the line but reports it, keeps empty lines, and never loses a byte silently: a line longer than
 * the limit is reported as too large with its prefix and true size, and the rest of it is skipped.
 */

export interface SplitLine {
  /** The line's text without the terminator (UTF-8 decoded). */
  text: string;
  /** Bytes of the line as it crossed the pipe, terminator excluded. */
  bytes: number;
  crlf: boolean;
  /** Set when the line exceeded the limit: `text` is only a prefix. */
  tooLarge?: boolean;
}

export interface LineSplitterOptions {
  maxLineBytes: number;
  /** How much of a too-large line to keep for display. */
  keepPrefixBytes?: number;
}

export class LineSplitter {
  private chunks: Buffer[] = [];
  private size = 0;
  /** Inside an over-long line: count bytes, keep only the prefix. */
  private overflow = false;
  private overflowBytes = 0;
  private prefix: Buffer = Buffer.alloc(0);
  private readonly maxLineBytes: number;
  private readonly keepPrefixBytes: number;

  constructor(options: LineSplitterOptions) {
    if (!(options.maxLineBytes > 0)) throw new RangeError("maxLineBytes must be positive");
    this.maxLineBytes = options.maxLineBytes;
    this.keepPrefixBytes = Math.min(options.keepPrefixBytes ?? 4096, options.maxLineBytes);
  }

  push(chunk: Buffer): SplitLine[] {
    const out: SplitLine[] = [];
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl === -1 ? chunk.length : nl;
      this.append(chunk.subarray(start, end));
      if (nl === -1) break;
      out.push(this.take());
      start = nl + 1;
    }
    return out;
  }

  /** Emit what is left when the stream ends (a last line without a newline). */
  end(): SplitLine[] {
    if (this.size === 0 && !this.overflow) return [];
    return [this.take()];
  }

  private append(part: Buffer): void {
    if (part.length === 0) return;
    if (this.overflow) {
      this.overflowBytes += part.length;
      return;
    }
    if (this.size + part.length > this.maxLineBytes) {
      const all = Buffer.concat([...this.chunks, part]);
      this.prefix = Buffer.from(all.subarray(0, this.keepPrefixBytes));
      this.overflow = true;
      this.overflowBytes = all.length;
      this.chunks = [];
      this.size = 0;
      return;
    }
    this.chunks.push(part);
    this.size += part.length;
  }

  private take(): SplitLine {
    if (this.overflow) {
      const line: SplitLine = { text: this.prefix.toString("utf8"), bytes: this.overflowBytes, crlf: false, tooLarge: true };
      this.overflow = false;
      this.overflowBytes = 0;
      this.prefix = Buffer.alloc(0);
      return line;
    }
    let buf = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.size);
    this.chunks = [];
    this.size = 0;
    const bytes = buf.length;
    const crlf = bytes > 0 && buf[bytes - 1] === 0x0d;
    if (crlf) buf = buf.subarray(0, bytes - 1);
    return { text: buf.toString("utf8"), bytes, crlf };
  }
}
