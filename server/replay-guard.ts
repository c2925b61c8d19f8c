/**
 * A trace is evidence, not a program. When the agent of a run is a replay (its catalog entry plays
 * back a recorded trace), the relay serves none of the client methods that reach the machine:
 * no terminal/* (processes), no fs/write_text_file (files), no fs/read_text_file (it would read
 * the user's real files for a stranger's recording). Each is refused visibly, as a JSON-RPC error
 * that says why and shows what the real client answered when the trace was recorded. Only
 * session/request_permission is still served: it asks the user and touches nothing.
 *
 * The replay agent (bin/replay-agent.mjs) already holds these requests back; this is the relay's
 * own line, for a replay agent that sends them anyway (an edited script, a line it did not parse
 * as we do). Whether a run is a replay comes from the catalog entry the relay built
 * (server/catalog.ts `replay`), never from the trace or the browser.
 */
import { readFile } from "node:fs/promises";
import { idKey } from "../lib/jsonrpc";
import type { ClientMethodOutcome } from "./run";

export const REPLAY_REFUSAL = "replayed trace: the playground does not run commands or write files for a recording";

/** The only agent→client method a replay run is served. */
const SERVED_FOR_REPLAY = new Set(["session/request_permission"]);

export function servedForReplay(method: string): boolean {
  return SERVED_FOR_REPLAY.has(method);
}

type RecordedAnswer = { result: unknown } | { error: unknown };

interface TraceLine {
  seq?: unknown;
  dir?: unknown;
  raw?: unknown;
  pairSeq?: unknown;
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The recorded client answers of one trace, keyed by `method id-key` of the agent's request. */
export class ReplayRecording {
  private answers?: Promise<Map<string, RecordedAnswer>>;

  constructor(readonly traceFile: string) {}

  /** What the recorded client answered to the agent's request `method` with id key `id`. */
  async answerTo(method: string, id: string): Promise<RecordedAnswer | undefined> {
    this.answers ??= this.load();
    return (await this.answers).get(`${method} ${id}`);
  }

  /** The refusal a replay run gets for `method`, with the recorded answer when there is one. */
  async refuse(method: string, id: string): Promise<ClientMethodOutcome> {
    let recorded: RecordedAnswer | undefined;
    try {
      recorded = await this.answerTo(method, id);
    } catch {
      recorded = undefined; // the trace went away: the refusal stands without it
    }
    return {
      error: {
        code: -32603,
        message: REPLAY_REFUSAL,
        data: {
          method,
          reason: "replay",
          trace: this.traceFile,
          recordedAnswer: recorded ?? null,
          note: recorded
            ? "This run plays back a recorded trace; recordedAnswer is what the real client answered when it was recorded."
            : "This run plays back a recorded trace; the recording holds no answer to this request.",
        },
      },
    };
  }

  private async load(): Promise<Map<string, RecordedAnswer>> {
    const frames = (await readFile(this.traceFile, "utf8"))
      .split("\n")
      .map((line) => parseObject(line) as TraceLine | undefined)
      .filter((f): f is TraceLine => f !== undefined && typeof f.seq === "number" && typeof f.raw === "string");
    const bySeq = new Map(frames.map((f) => [f.seq as number, f]));
    const answers = new Map<string, RecordedAnswer>();
    for (const f of frames) {
      if (f.dir !== "in") continue;
      // Method and id come from the line itself: that is what a replay agent would send.
      const msg = parseObject(f.raw as string);
      const key = msg ? idKey(msg.id) : undefined;
      if (!msg || typeof msg.method !== "string" || key === undefined) continue;
      const answer = typeof f.pairSeq === "number" ? bySeq.get(f.pairSeq) : undefined;
      const reply = answer && answer.dir === "out" ? parseObject(answer.raw as string) : undefined;
      if (!reply) continue;
      const k = `${msg.method} ${key}`;
      if (answers.has(k)) continue; // the first recording of a reused id is the one replayed first
      if ("error" in reply) answers.set(k, { error: reply.error });
      else if ("result" in reply) answers.set(k, { result: reply.result });
    }
    return answers;
  }
}
