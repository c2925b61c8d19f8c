/**
 * Frame-list filtering: direction, method, errors only, hiding streamed session/update chunks,
 * lanes (ACP, stderr, and the out-of-band HTTP, Home and Agent-log lanes of issue #13), and a
 * case-insensitive text search over the raw line. Pure, so it runs the same in tests and in the
 * browser, where it must stay well under a frame's budget over 100,000 rows.
 */
import { type Lane, laneOf } from "./lanes";
import type { Frame } from "./wire";

export interface FrameFilter {
  dir: "all" | "out" | "in";
  method: string;
  errorsOnly: boolean;
  hideChunks: boolean;
  text: string;
  /** Lanes whose frames are hidden (lib/lanes.ts); empty shows every lane. */
  hiddenLanes: readonly Lane[];
}

export const EMPTY_FILTER: FrameFilter = { dir: "all", method: "", errorsOnly: false, hideChunks: false, text: "", hiddenLanes: [] };

/** The `session/update` kinds that stream a message piece by piece (hidden here, folded by lib/sequence.ts). */
export const CHUNK_KINDS: ReadonlySet<string> = new Set(["agent_message_chunk", "agent_thought_chunk", "user_message_chunk"]);

export function isErrorFrame(f: Frame): boolean {
  if (f.kind === "http") return f.http?.status === undefined || f.http.status >= 400;
  return f.kind === "error" || f.kind === "malformed" || f.kind === "too_large" || f.kind === "lost" || f.lifecycle?.event === "spawn_error" || f.lifecycle?.event === "runtime_missing";
}

const lowered = new WeakMap<Frame, string>();
function lowerRaw(f: Frame): string {
  let s = lowered.get(f);
  if (s === undefined) {
    s = `${f.raw}\n${f.note ?? ""}`.toLowerCase();
    lowered.set(f, s);
  }
  return s;
}

export function isFilterActive(filter: FrameFilter): boolean {
  return filter.dir !== "all" || filter.method !== "" || filter.errorsOnly || filter.hideChunks || filter.text.trim() !== "" || (filter.hiddenLanes?.length ?? 0) > 0;
}

export function applyFilter(frames: readonly Frame[], filter: FrameFilter): Frame[] {
  if (!isFilterActive(filter)) return frames as Frame[];
  const text = filter.text.trim().toLowerCase();
  const hidden = new Set(filter.hiddenLanes ?? []);
  const out: Frame[] = [];
  for (const f of frames) {
    if (hidden.size > 0 && hidden.has(laneOf(f))) continue;
    if (filter.dir !== "all" && f.dir !== filter.dir) continue;
    if (filter.method && f.method !== filter.method) continue;
    if (filter.errorsOnly && !isErrorFrame(f)) continue;
    if (filter.hideChunks && f.updateKind !== undefined && CHUNK_KINDS.has(f.updateKind)) continue;
    if (text && !lowerRaw(f).includes(text)) continue;
    out.push(f);
  }
  return out;
}

/** Methods seen in a log, for the method filter's options. */
export function methodsOf(frames: readonly Frame[]): string[] {
  const set = new Set<string>();
  for (const f of frames) if (f.method) set.add(f.method);
  return [...set].sort();
}
