/**
 * A `frames` batch as the bytes the socket sends: the same text as lib/wire.ts encodeServerEvent,
 * built straight into one Buffer. Concatenating the raw lines into one string and handing that to
 * the socket cost the relay twice per byte at 64 KB frames (the rope was flattened to measure its
 * UTF-8 length, then encoded again while writing, and the multi-megabyte string went to the old
 * generation): the CPU profile's largest items after GC (README, Performance). Here each raw line
 * is UTF-8-encoded once, into its place.
 */
import { type Frame, rawTravelsVerbatim, type ServerEvent } from "../lib/wire";

type FramesEvent = Extract<ServerEvent, { type: "frames" }>;

const NEWLINE = 0x0a;

export function encodeFramesBatch(event: FramesEvent): Buffer {
  const frames = event.frames;
  const header: Partial<Frame>[] = new Array<Partial<Frame>>(frames.length);
  const raws: string[] = [];
  let rawBytes = 0;
  for (let i = 0; i < frames.length; i++) {
    const frame = frames[i];
    if (!rawTravelsVerbatim(frame.raw)) {
      header[i] = frame;
      continue;
    }
    const { raw, ...rest } = frame;
    header[i] = rest;
    raws.push(raw);
    rawBytes += Buffer.byteLength(raw, "utf8") + 1;
  }
  const head = JSON.stringify({ ...event, frames: header });
  const headBytes = Buffer.byteLength(head, "utf8");
  const out = Buffer.allocUnsafe(headBytes + rawBytes);
  let at = out.write(head, 0, headBytes, "utf8");
  for (const raw of raws) {
    out[at++] = NEWLINE;
    at += out.write(raw, at, "utf8");
  }
  return at === out.length ? out : out.subarray(0, at);
}
