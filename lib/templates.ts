/**
 * Builders for every client→agent message of ACP v1 (plus `session/set_model`, which many agents serve), used
 * by the buttons and as composer templates. One place builds `initialize` from the capability
 * toggles, so what a button sends and what a template shows can never differ.
 */
import type { ClientCaps } from "./wire";

export interface TemplateContext {
  cwd: string;
  sessionId?: string;
  authMethodId?: string;
  caps: ClientCaps;
  /** Id to put in a composer template; buttons let the relay choose. */
  nextId: number;
  promptText?: string;
  requestId?: number | string;
}

export interface MessageTemplate {
  method: string;
  kind: "request" | "notification";
  /** The schema status of the method: stable v1, or a legacy method kept for agents that still serve it. */
  status: "stable" | "legacy";
  description: string;
  params: (ctx: TemplateContext) => unknown;
}

export const CLIENT_INFO = { name: "acp-playground", title: "ACP Playground", version: "0.1.0" };

export function clientCapabilities(caps: ClientCaps): Record<string, unknown> {
  const out: Record<string, unknown> = {
    fs: { readTextFile: caps.fsRead, writeTextFile: caps.fsWrite },
    terminal: caps.terminal,
  };
  if (caps.authTerminal) out.auth = { terminal: true };
  if (caps.legacyTerminalAuth) out._meta = { "terminal-auth": true };
  return out;
}

export function initializeParams(caps: ClientCaps): Record<string, unknown> {
  return { protocolVersion: 1, clientCapabilities: clientCapabilities(caps), clientInfo: CLIENT_INFO };
}

const sid = (ctx: TemplateContext): string => ctx.sessionId ?? "<sessionId>";

export const TEMPLATES: readonly MessageTemplate[] = [
  { method: "initialize", kind: "request", status: "stable", description: "Negotiate the protocol version and capabilities. Must come first.", params: (c) => initializeParams(c.caps) },
  { method: "authenticate", kind: "request", status: "stable", description: "Authenticate with an agent-type method from initialize's authMethods.", params: (c) => ({ methodId: c.authMethodId ?? "<methodId>" }) },
  { method: "logout", kind: "request", status: "stable", description: "Log out (only when agentCapabilities.auth.logout is advertised).", params: () => ({}) },
  { method: "session/new", kind: "request", status: "stable", description: "Create a session; may fail with -32000 when auth is required.", params: (c) => ({ cwd: c.cwd, mcpServers: [] }) },
  { method: "session/load", kind: "request", status: "stable", description: "Load a session; the agent replays its history first.", params: (c) => ({ sessionId: sid(c), cwd: c.cwd, mcpServers: [] }) },
  { method: "session/resume", kind: "request", status: "stable", description: "Resume a session without replaying history.", params: (c) => ({ sessionId: sid(c), cwd: c.cwd, mcpServers: [] }) },
  { method: "session/list", kind: "request", status: "stable", description: "List sessions (sessionCapabilities.list).", params: (c) => ({ cwd: c.cwd }) },
  { method: "session/close", kind: "request", status: "stable", description: "Close a session (sessionCapabilities.close).", params: (c) => ({ sessionId: sid(c) }) },
  { method: "session/delete", kind: "request", status: "stable", description: "Delete a session (sessionCapabilities.delete).", params: (c) => ({ sessionId: sid(c) }) },
  { method: "session/set_mode", kind: "request", status: "stable", description: "Switch the session mode to one of the advertised modes.", params: (c) => ({ sessionId: sid(c), modeId: "<modeId>" }) },
  { method: "session/set_config_option", kind: "request", status: "stable", description: "Set a config option (e.g. the model) from configOptions.", params: (c) => ({ sessionId: sid(c), configId: "<configId>", value: "<value>" }) },
  { method: "session/prompt", kind: "request", status: "stable", description: "Send a user prompt; the answer streams as session/update.", params: (c) => ({ sessionId: sid(c), prompt: [{ type: "text", text: c.promptText ?? "Hello" }] }) },
  { method: "session/cancel", kind: "notification", status: "stable", description: "Cancel the running prompt turn; it ends with stopReason cancelled.", params: (c) => ({ sessionId: sid(c) }) },
  { method: "$/cancel_request", kind: "notification", status: "stable", description: "Ask the agent to cancel one outstanding request.", params: (c) => ({ requestId: c.requestId ?? 0 }) },
  { method: "session/set_model", kind: "request", status: "legacy", description: "The model switch agents serve outside the stable schema (Kimi, Claude, Gemini, Qwen): not in ACP v1, but answered when the session listed models.", params: (c) => ({ sessionId: sid(c), modelId: "<modelId>" }) },
];

/** The full JSON-RPC text a template produces, pretty-printed for the composer. */
export function renderTemplate(template: MessageTemplate, ctx: TemplateContext): string {
  const msg: Record<string, unknown> = { jsonrpc: "2.0" };
  if (template.kind === "request") msg.id = ctx.nextId;
  msg.method = template.method;
  msg.params = template.params(ctx);
  return JSON.stringify(msg, null, 2);
}
