/**
 * Folds a run's frames into a readable conversation: user prompts, agent and thought text, tool
 * calls (merged with their updates: status, kind, locations, content, diffs), plans, available
 * commands, mode / config / session-info / usage updates and stop reasons. Unknown update kinds
 * are kept raw and flagged, never dropped. History replayed by session/load is marked as replay.
 * Each frame is redacted by the relay, but joining chunks can spell a secret no single chunk held;
 * a caller that knows the secrets (the server; the browser does not) passes `redact`, and the
 * joined text is redacted again.
 */
import { parseMessage } from "./jsonrpc";
import type { Frame } from "./wire";

export interface ToolCallView {
  toolCallId: string;
  title: string;
  kind?: string;
  status?: string;
  locations: string[];
  content: { type: string; text?: string; path?: string; oldText?: string | null; newText?: string; terminalId?: string }[];
  rawInput?: unknown;
}

export type TranscriptEntry =
  | { type: "user"; seq: number; text: string; replay: boolean }
  | { type: "agent" | "thought"; seq: number; text: string; replay: boolean }
  | { type: "tool"; seq: number; tool: ToolCallView; updates: number[]; replay: boolean }
  | { type: "plan"; seq: number; entries: { content: string; priority?: string; status?: string }[]; replay: boolean }
  | { type: "info"; seq: number; kind: string; text: string; replay: boolean }
  | { type: "unknown"; seq: number; kind: string; raw: string; replay: boolean }
  | { type: "stop"; seq: number; stopReason: string };

const KNOWN_INFO = new Set(["available_commands_update", "current_mode_update", "config_option_update", "session_info_update", "usage_update", "notice", "compaction_update", "compaction_summary_chunk", "user_message_chunk"]);


function blockText(block: unknown): string {
  const b = (block ?? {}) as Record<string, unknown>;
  if (b.type === "text" && typeof b.text === "string") return b.text;
  if (b.type === "resource_link") return `[${String(b.name ?? b.uri)}]`;
  return `[${String(b.type ?? "content")}]`;
}

function toolContent(list: unknown): ToolCallView["content"] {
  if (!Array.isArray(list)) return [];
  return list.map((c: Record<string, unknown>) => {
    if (c.type === "diff") return { type: "diff", path: String(c.path ?? ""), oldText: (c.oldText as string | null | undefined) ?? null, newText: String(c.newText ?? "") };
    if (c.type === "terminal") return { type: "terminal", terminalId: String(c.terminalId ?? "") };
    return { type: String(c.type ?? "content"), text: blockText(c.content) };
  });
}

function infoText(kind: string, u: Record<string, unknown>): string {
  switch (kind) {
    case "available_commands_update":
      return `commands: ${Array.isArray(u.availableCommands) ? u.availableCommands.map((c: Record<string, unknown>) => `/${String(c.name)}`).join(" ") : ""}`;
    case "current_mode_update":
      return `mode → ${String(u.currentModeId)}`;
    case "config_option_update":
      return `config options: ${Array.isArray(u.configOptions) ? u.configOptions.map((o: Record<string, unknown>) => `${String(o.id)}=${String(o.currentValue)}`).join(", ") : ""}`;
    case "session_info_update":
      return `session info: ${[u.title ? `title “${String(u.title)}”` : "", u.updatedAt ? `updated ${String(u.updatedAt)}` : ""].filter(Boolean).join(", ")}`;
    case "usage_update": {
      const cost = u.cost as { amount?: number; currency?: string } | undefined;
      return `usage: ${String(u.used)} / ${String(u.size)} tokens${cost ? `, ${cost.amount} ${cost.currency}` : ""}`;
    }
    case "notice":
      return `notice (${String(u.severity)}): ${String(u.title)}${u.description ? ` — ${String(u.description)}` : ""}`;
    default:
      return kind;
  }
}

export function buildTranscript(frames: readonly Frame[], options: { redact?: (text: string) => string } = {}): TranscriptEntry[] {
  const out: TranscriptEntry[] = [];
  const tools = new Map<string, Extract<TranscriptEntry, { type: "tool" }>>();
  /** Seq of a session/load request whose answer has not come yet: updates meanwhile are replay. */
  let loadingSeq: number | undefined;
  for (const f of frames) {
    if (f.dir === "out" && f.kind === "request" && f.method === "session/load") loadingSeq = f.seq;
    if (f.dir === "in" && (f.kind === "response" || f.kind === "error") && f.pairSeq === loadingSeq) loadingSeq = undefined;
    const replay = loadingSeq !== undefined;

    if (f.dir === "out" && f.kind === "request" && f.method === "session/prompt") {
      const prompt = (parseMessage(f)?.params as { prompt?: unknown[] } | undefined)?.prompt;
      out.push({ type: "user", seq: f.seq, text: Array.isArray(prompt) ? prompt.map(blockText).join("") : "", replay });
      continue;
    }
    if (f.dir === "in" && f.kind === "response" && f.method === "session/prompt") {
      const stop = (parseMessage(f)?.result as { stopReason?: unknown } | undefined)?.stopReason;
      out.push({ type: "stop", seq: f.seq, stopReason: typeof stop === "string" ? stop : "?" });
      continue;
    }
    if (f.dir !== "in" || f.method !== "session/update" || f.kind !== "notification") continue;
    const u = ((parseMessage(f)?.params as { update?: Record<string, unknown> } | undefined)?.update ?? {}) as Record<string, unknown>;
    const kind = f.updateKind ?? String(u.sessionUpdate ?? "");
    if (kind === "agent_message_chunk" || kind === "agent_thought_chunk" || kind === "user_message_chunk") {
      const type = kind === "agent_message_chunk" ? "agent" : kind === "agent_thought_chunk" ? "thought" : "user";
      const text = blockText(u.content);
      const last = out[out.length - 1];
      if (last && last.type === type && last.replay === replay) last.text += text;
      else out.push(type === "user" ? { type, seq: f.seq, text, replay } : { type, seq: f.seq, text, replay });
    } else if (kind === "tool_call" || kind === "tool_call_update") {
      const id = String(u.toolCallId ?? "");
      let entry = tools.get(id);
      if (!entry) {
        entry = { type: "tool", seq: f.seq, tool: { toolCallId: id, title: String(u.title ?? id), locations: [], content: [] }, updates: [], replay };
        tools.set(id, entry);
        out.push(entry);
      } else entry.updates.push(f.seq);
      const t = entry.tool;
      if (typeof u.title === "string") t.title = u.title;
      if (typeof u.kind === "string") t.kind = u.kind;
      if (typeof u.status === "string") t.status = u.status;
      if (Array.isArray(u.locations)) t.locations = u.locations.map((l: Record<string, unknown>) => `${String(l.path)}${l.line ? `:${String(l.line)}` : ""}`);
      if (u.content !== undefined && u.content !== null) t.content = toolContent(u.content);
      if (u.rawInput !== undefined) t.rawInput = u.rawInput;
    } else if (kind === "plan") {
      const entries = Array.isArray(u.entries) ? u.entries.map((e: Record<string, unknown>) => ({ content: String(e.content ?? ""), priority: e.priority as string | undefined, status: e.status as string | undefined })) : [];
      out.push({ type: "plan", seq: f.seq, entries, replay });
    } else if (KNOWN_INFO.has(kind)) {
      out.push({ type: "info", seq: f.seq, kind, text: infoText(kind, u), replay });
    } else {
      out.push({ type: "unknown", seq: f.seq, kind: kind || "(no sessionUpdate)", raw: f.raw, replay });
    }
  }
  const redact = options.redact;
  if (redact) for (const e of out) if (e.type === "user" || e.type === "agent" || e.type === "thought") e.text = redact(e.text);
  return out;
}
