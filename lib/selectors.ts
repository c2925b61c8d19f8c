/**
 * Facts derived from a run's frames that buttons need: the protocol version the agent answered
 * with, the auth methods it advertised and how each is meant to be run (v1's `{id, type?}` and
 * v2's `{methodId, type}` read into one view), and agent→client requests awaiting an answer.
 */
import { parseMessage } from "./jsonrpc";
import { asProtocolVersion, type ProtocolVersion } from "./version";
import type { Frame } from "./wire";

export type AuthMethodClass = "agent" | "terminal" | "legacy-terminal" | "env_var" | "unknown";

/** One variable of an `env_var` method (Codex): the agent reads it from its own environment. */
export interface AuthEnvVar {
  name: string;
  label?: string;
  optional?: boolean;
  /** False only when the agent says the value is not secret; unknown counts as secret. */
  secret: boolean;
}

export interface AuthMethodView {
  /** v1's `id`, v2's `methodId`: what authenticate / auth/login name. */
  id: string;
  name: string;
  /** Which version's shape the agent sent: v2 methods carry `methodId` and a required `type`. */
  shape?: "v1" | "v2";
  /** The advertised `type` as sent, so an unknown (v2 "other") type is shown, not lost. */
  type?: string;
  description?: string;
  class: AuthMethodClass;
  /** For terminal (spec) methods: args to append to the agent command. */
  args?: string[];
  /** v1 sends a map, v2 a list of `{name, value}`; both end up as a map here. */
  env?: Record<string, string>;
  /** For the legacy `_meta["terminal-auth"]` convention: the full command line. */
  legacy?: { command: string; args: string[]; label?: string; env?: Record<string, string> };
  /** For `type: "env_var"` methods (pre-2026-08 schema, still sent by Codex): the variables it reads. */
  vars?: AuthEnvVar[];
  /** The method's own `_meta`, for the agent-specific extensions lib/auth-frames.ts names. */
  meta?: Record<string, unknown>;
}


/** Classify one advertised auth method the way the spec and the legacy convention read it. */
export function classifyAuthMethod(raw: unknown): AuthMethodView | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const m = raw as Record<string, unknown>;
  // v2 names the id `methodId` and requires `type`; v1 names it `id` and an absent type means agent.
  const v2 = typeof m.methodId === "string" && typeof m.id !== "string";
  const id = v2 ? (m.methodId as string) : m.id;
  if (typeof id !== "string") return undefined;
  const meta = (m._meta as Record<string, unknown> | undefined)?.["terminal-auth"] as Record<string, unknown> | undefined;
  const legacy =
    meta && typeof meta.command === "string"
      ? {
          command: meta.command,
          args: Array.isArray(meta.args) ? meta.args.filter((a): a is string => typeof a === "string") : [],
          label: typeof meta.label === "string" ? meta.label : undefined,
          // Auggie's descriptor carries its own env; the key is left out when there is none.
          ...(typeof meta.env === "object" && meta.env !== null && !Array.isArray(meta.env) ? { env: meta.env as Record<string, string> } : {}),
        }
      : undefined;
  let cls: AuthMethodClass;
  if (m.type === "terminal") cls = "terminal";
  else if ((m.type === undefined && !v2) || m.type === "agent") cls = legacy ? "legacy-terminal" : "agent";
  else if (m.type === "env_var") cls = "env_var";
  else cls = "unknown";
  const vars = Array.isArray(m.vars)
    ? m.vars
        .filter((v): v is Record<string, unknown> => typeof v === "object" && v !== null && typeof (v as Record<string, unknown>).name === "string")
        .map((v): AuthEnvVar => ({ name: v.name as string, label: typeof v.label === "string" ? v.label : undefined, optional: v.optional === true ? true : undefined, secret: v.secret !== false }))
    : undefined;
  const ownMeta = typeof m._meta === "object" && m._meta !== null && !Array.isArray(m._meta) ? (m._meta as Record<string, unknown>) : undefined;
  return {
    id,
    name: typeof m.name === "string" ? m.name : id,
    shape: v2 ? "v2" : "v1",
    type: typeof m.type === "string" ? m.type : undefined,
    description: typeof m.description === "string" ? m.description : undefined,
    class: cls,
    args: Array.isArray(m.args) ? m.args.filter((a): a is string => typeof a === "string") : undefined,
    env: envMap(m.env),
    legacy,
    vars,
    meta: ownMeta,
  };
}

/** v1's `{NAME: value}` or v2's `[{name, value}]`, as one map; anything else is no env. */
function envMap(env: unknown): Record<string, string> | undefined {
  if (Array.isArray(env)) {
    const out: Record<string, string> = {};
    for (const e of env) {
      if (typeof e === "object" && e !== null && typeof (e as { name?: unknown }).name === "string" && typeof (e as { value?: unknown }).value === "string") {
        out[(e as { name: string }).name] = (e as { value: string }).value;
      }
    }
    return out;
  }
  return typeof env === "object" && env !== null ? (env as Record<string, string>) : undefined;
}

export interface ProtocolState {
  /** What the last `initialize` asked for. */
  requested?: number;
  /** What the agent answered with; absent until it answered. */
  negotiated?: number;
  /** The version everything after speaks: the answer when the playground speaks it, else the request's, else 1. */
  speaking: ProtocolVersion;
}

/** The protocol version of the last `initialize` exchange: the agent's answer decides. */
export function protocolState(frames: readonly Frame[]): ProtocolState {
  for (let i = frames.length - 1; i >= 0; i--) {
    const f = frames[i];
    if (f.dir !== "out" || f.kind !== "request" || f.method !== "initialize") continue;
    const requested = (parseMessage(f)?.params as { protocolVersion?: unknown } | undefined)?.protocolVersion;
    const answer = f.pairSeq !== undefined ? frames.find((a) => a.seq === f.pairSeq) : undefined;
    const negotiated = answer?.kind === "response" ? (parseMessage(answer)?.result as { protocolVersion?: unknown } | undefined)?.protocolVersion : undefined;
    return {
      requested: typeof requested === "number" ? requested : undefined,
      negotiated: typeof negotiated === "number" ? negotiated : undefined,
      speaking: asProtocolVersion(negotiated) ?? asProtocolVersion(requested) ?? 1,
    };
  }
  return { speaking: 1 };
}

/** The last answered `initialize` of the log. */
export function lastInitialize(frames: readonly Frame[]): { frame: Frame; result?: Record<string, unknown> } | undefined {
  for (let i = frames.length - 1; i >= 0; i--) {
    const f = frames[i];
    if (f.dir === "in" && f.method === "initialize" && (f.kind === "response" || f.kind === "error")) {
      return { frame: f, result: parseMessage(f)?.result as Record<string, unknown> | undefined };
    }
  }
  return undefined;
}

export function authMethods(frames: readonly Frame[]): AuthMethodView[] {
  const list = lastInitialize(frames)?.result?.authMethods;
  if (!Array.isArray(list)) return [];
  return list.map(classifyAuthMethod).filter((m): m is AuthMethodView => m !== undefined);
}

/** Agent→client requests that nobody answered yet, oldest first. */
export function pendingAgentRequests(frames: readonly Frame[]): Frame[] {
  return frames.filter((f) => f.dir === "in" && f.kind === "request" && f.pairSeq === undefined);
}

export interface PermissionOption {
  optionId: string;
  name: string;
  kind: string;
}

export function permissionDetails(frame: Frame): { title: string; options: PermissionOption[]; toolCall?: unknown } {
  const params = parseMessage(frame)?.params as { toolCall?: { title?: unknown }; options?: unknown } | undefined;
  const options = Array.isArray(params?.options)
    ? params.options
        .filter((o): o is Record<string, unknown> => typeof o === "object" && o !== null && typeof (o as Record<string, unknown>).optionId === "string")
        .map((o) => ({ optionId: o.optionId as string, name: typeof o.name === "string" ? o.name : (o.optionId as string), kind: typeof o.kind === "string" ? o.kind : "" }))
    : [];
  const title = typeof params?.toolCall?.title === "string" ? params.toolCall.title : "Tool call";
  return { title, options, toolCall: params?.toolCall };
}

/**
 * v2: the newest tool call and terminal the agent currently lets the client cancel — the latest
 * `tool_call_update` / `terminal_update` for it carries `capabilities.cancel` and it is not final —
 * so the tool_call/cancel and terminal/cancel templates name a real id. The client MUST NOT send
 * either for one that does not advertise it.
 */
export function cancellable(frames: readonly Frame[]): { toolCallId?: string; terminalId?: string } {
  const seen = new Set<string>();
  const out: { toolCallId?: string; terminalId?: string } = {};
  for (let i = frames.length - 1; i >= 0 && (out.toolCallId === undefined || out.terminalId === undefined); i--) {
    const f = frames[i];
    if (f.dir !== "in" || (f.updateKind !== "tool_call_update" && f.updateKind !== "terminal_update")) continue;
    const update = (parseMessage(f)?.params as { update?: Record<string, unknown> } | undefined)?.update;
    const terminal = f.updateKind === "terminal_update";
    const id = update?.[terminal ? "terminalId" : "toolCallId"];
    if (typeof id !== "string" || seen.has(`${f.updateKind}:${id}`)) continue;
    seen.add(`${f.updateKind}:${id}`);
    const caps = update?.capabilities as { cancel?: unknown } | null | undefined;
    const final = terminal ? update?.exitStatus !== undefined && update?.exitStatus !== null : update?.status === "completed" || update?.status === "failed";
    if (!caps || caps.cancel === undefined || caps.cancel === null || final) continue;
    if (terminal) out.terminalId ??= id;
    else out.toolCallId ??= id;
  }
  return out;
}

/** The agent's capabilities from the last answered initialize: v1's `agentCapabilities`, v2's `capabilities`. */
export function agentCapabilitiesOf(frames: readonly Frame[]): Record<string, unknown> | undefined {
  const result = lastInitialize(frames)?.result;
  const caps = result?.agentCapabilities ?? result?.capabilities;
  return typeof caps === "object" && caps !== null ? (caps as Record<string, unknown>) : undefined;
}
