/**
 * Facts derived from a run's frames that buttons need: the auth methods the agent advertised and
 * how each is meant to be run, and agent→client requests awaiting an answer.
 */
import { parseMessage } from "./jsonrpc";
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
  id: string;
  name: string;
  description?: string;
  class: AuthMethodClass;
  /** For terminal (spec) methods: args to append to the agent command. */
  args?: string[];
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
  if (typeof m.id !== "string") return undefined;
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
  else if (m.type === undefined || m.type === "agent") cls = legacy ? "legacy-terminal" : "agent";
  else if (m.type === "env_var") cls = "env_var";
  else cls = "unknown";
  const vars = Array.isArray(m.vars)
    ? m.vars
        .filter((v): v is Record<string, unknown> => typeof v === "object" && v !== null && typeof (v as Record<string, unknown>).name === "string")
        .map((v): AuthEnvVar => ({ name: v.name as string, label: typeof v.label === "string" ? v.label : undefined, optional: v.optional === true ? true : undefined, secret: v.secret !== false }))
    : undefined;
  const ownMeta = typeof m._meta === "object" && m._meta !== null && !Array.isArray(m._meta) ? (m._meta as Record<string, unknown>) : undefined;
  return {
    id: m.id,
    name: typeof m.name === "string" ? m.name : m.id,
    description: typeof m.description === "string" ? m.description : undefined,
    class: cls,
    args: Array.isArray(m.args) ? m.args.filter((a): a is string => typeof a === "string") : undefined,
    env: typeof m.env === "object" && m.env !== null ? (m.env as Record<string, string>) : undefined,
    legacy,
    vars,
    meta: ownMeta,
  };
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
