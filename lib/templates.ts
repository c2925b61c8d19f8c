/**
 * Builders for every client→agent message of ACP v1 and of the v2 draft (stable and unstable, plus
 * `session/set_model`, which many v1 agents serve), used by the buttons and as composer templates.
 * One place builds `initialize` from the capability toggles for either version, so what a button
 * sends and what a template shows can never differ. The composer offers the templates of the
 * version the agent answered with (lib/selectors.ts protocolState), since v2 renamed and dropped
 * methods: `authenticate`/`logout` became `auth/login`/`auth/logout`, `session/load` and
 * `session/set_mode` are gone, `tool_call/cancel` and `terminal/cancel` are new.
 */
import type { ProtocolVersion } from "./version";
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
  /** v2's tool_call/cancel and terminal/cancel name one; templates show a placeholder otherwise. */
  toolCallId?: string;
  terminalId?: string;
}

export interface MessageTemplate {
  method: string;
  kind: "request" | "notification";
  /** The method's schema status: stable, only in the unstable schema, or legacy (in no schema, still served). */
  status: "stable" | "unstable" | "legacy";
  /** The protocol versions whose schema has the method (with these params). */
  versions: readonly ProtocolVersion[];
  description: string;
  params: (ctx: TemplateContext) => unknown;
}

export const CLIENT_INFO = { name: "acp-playground", title: "ACP Playground", version: "0.1.0" };

/** v1's `clientCapabilities`: fs and terminal are served by the client; both terminal-auth conventions. */
export function clientCapabilities(caps: ClientCaps): Record<string, unknown> {
  const out: Record<string, unknown> = {
    fs: { readTextFile: caps.fsRead, writeTextFile: caps.fsWrite },
    terminal: caps.terminal,
  };
  if (caps.authTerminal) out.auth = { terminal: true };
  if (caps.legacyTerminalAuth) out._meta = { "terminal-auth": true };
  // Off unless the toggle says so: the relay then serves elicitation/create (forms and URL cards).
  if (caps.elicitation) out.elicitation = { form: {}, url: {} };
  return out;
}

/**
 * v2's `capabilities`, from the same toggles. v2 has no client fs/terminal methods (the agent owns
 * terminals), so those toggles have nothing to say; `auth.terminal` is an object (`{}`) instead of
 * `true`; what v1 advertises beyond that (elicitation, `_meta`) carries over unchanged.
 */
export function clientCapabilitiesV2(caps: ClientCaps): Record<string, unknown> {
  const { fs: _fs, terminal: _terminal, auth, ...rest } = clientCapabilities(caps);
  return auth ? { auth: { terminal: {} }, ...rest } : rest;
}

export function initializeParams(caps: ClientCaps, version: ProtocolVersion = 1): Record<string, unknown> {
  if (version === 2) return { protocolVersion: 2, info: CLIENT_INFO, capabilities: clientCapabilitiesV2(caps) };
  return { protocolVersion: 1, clientCapabilities: clientCapabilities(caps), clientInfo: CLIENT_INFO };
}

const sid = (ctx: TemplateContext): string => ctx.sessionId ?? "<sessionId>";
const V1: readonly ProtocolVersion[] = [1];
const V2: readonly ProtocolVersion[] = [2];
const BOTH: readonly ProtocolVersion[] = [1, 2];

/** Every template of both versions; `templatesFor` picks one version's. */
export const ALL_TEMPLATES: readonly MessageTemplate[] = [
  { method: "initialize", kind: "request", status: "stable", versions: V1, description: "Negotiate the protocol version and capabilities. Must come first.", params: (c) => initializeParams(c.caps, 1) },
  { method: "initialize", kind: "request", status: "stable", versions: V2, description: "Negotiate the protocol version (v2: info and capabilities). Must come first.", params: (c) => initializeParams(c.caps, 2) },
  { method: "authenticate", kind: "request", status: "stable", versions: V1, description: "Authenticate with an agent-type method from initialize's authMethods (never a terminal method).", params: (c) => ({ methodId: c.authMethodId ?? "<methodId>" }) },
  { method: "logout", kind: "request", status: "stable", versions: V1, description: "Log out (only when agentCapabilities.auth.logout is advertised).", params: () => ({}) },
  { method: "auth/login", kind: "request", status: "stable", versions: V2, description: "v2's authenticate: log in with a non-terminal method from authMethods (only when authMethods is non-empty).", params: (c) => ({ methodId: c.authMethodId ?? "<methodId>" }) },
  { method: "auth/logout", kind: "request", status: "stable", versions: V2, description: "v2's logout: every agent that advertises authMethods must serve it.", params: () => ({}) },
  { method: "session/new", kind: "request", status: "stable", versions: BOTH, description: "Create a session; may fail with -32000 when auth is required.", params: (c) => ({ cwd: c.cwd, mcpServers: [] }) },
  { method: "session/load", kind: "request", status: "stable", versions: V1, description: "Load a session; the agent replays its history first.", params: (c) => ({ sessionId: sid(c), cwd: c.cwd, mcpServers: [] }) },
  { method: "session/resume", kind: "request", status: "stable", versions: BOTH, description: "Resume a session without replaying history.", params: (c) => ({ sessionId: sid(c), cwd: c.cwd, mcpServers: [] }) },
  { method: "session/list", kind: "request", status: "stable", versions: BOTH, description: "List sessions (sessionCapabilities.list).", params: (c) => ({ cwd: c.cwd }) },
  { method: "session/close", kind: "request", status: "stable", versions: BOTH, description: "Close a session (sessionCapabilities.close).", params: (c) => ({ sessionId: sid(c) }) },
  { method: "session/delete", kind: "request", status: "stable", versions: BOTH, description: "Delete a session (sessionCapabilities.delete).", params: (c) => ({ sessionId: sid(c) }) },
  { method: "session/set_mode", kind: "request", status: "stable", versions: V1, description: "Switch the session mode to one of the advertised modes.", params: (c) => ({ sessionId: sid(c), modeId: "<modeId>" }) },
  { method: "session/set_config_option", kind: "request", status: "stable", versions: V1, description: "Set a config option (e.g. the model) from configOptions.", params: (c) => ({ sessionId: sid(c), configId: "<configId>", value: "<value>" }) },
  { method: "session/set_config_option", kind: "request", status: "stable", versions: V2, description: "Set a config option (v2: the value is typed, id or boolean).", params: (c) => ({ sessionId: sid(c), configId: "<configId>", type: "id", value: "<value>" }) },
  { method: "session/prompt", kind: "request", status: "stable", versions: BOTH, description: "Send a user prompt; the answer streams as session/update.", params: (c) => ({ sessionId: sid(c), prompt: [{ type: "text", text: c.promptText ?? "Hello" }] }) },
  { method: "session/cancel", kind: "notification", status: "stable", versions: BOTH, description: "Cancel the running prompt turn; it ends with stopReason cancelled.", params: (c) => ({ sessionId: sid(c) }) },
  { method: "$/cancel_request", kind: "notification", status: "stable", versions: BOTH, description: "Ask the agent to cancel one outstanding request.", params: (c) => ({ requestId: c.requestId ?? 0 }) },
  // v2: the agent owns tool calls and terminals; the client asks it to cancel one that advertises capabilities.cancel.
  { method: "tool_call/cancel", kind: "request", status: "stable", versions: V2, description: "Cancel one tool call (only when it advertises capabilities.cancel); the agent confirms with a tool_call_update.", params: (c) => ({ sessionId: sid(c), toolCallId: c.toolCallId ?? "<toolCallId>" }) },
  { method: "terminal/cancel", kind: "request", status: "stable", versions: V2, description: "Cancel one agent-run terminal (only when it advertises capabilities.cancel); the agent confirms with a terminal_update.", params: (c) => ({ sessionId: sid(c), terminalId: c.terminalId ?? "<terminalId>" }) },
  // Unstable in both versions (behind the "unstable" toggle on the agent side; the composer always offers them).
  { method: "auth/status", kind: "request", status: "unstable", versions: BOTH, description: "Ask the auth state and accounts (agentCapabilities.auth.status); must not change state.", params: () => ({}) },
  { method: "providers/list", kind: "request", status: "unstable", versions: BOTH, description: "List the agent's LLM providers (agentCapabilities.providers).", params: () => ({}) },
  { method: "providers/set", kind: "request", status: "unstable", versions: BOTH, description: "Configure a provider; its headers are secrets.", params: () => ({ providerId: "<providerId>", apiType: "openai", baseUrl: "https://api.example.invalid/v1", headers: {} }) },
  { method: "providers/disable", kind: "request", status: "unstable", versions: BOTH, description: "Disable a provider.", params: () => ({ providerId: "<providerId>" }) },
  { method: "session/fork", kind: "request", status: "unstable", versions: BOTH, description: "Fork a session into a new one (sessionCapabilities.fork).", params: (c) => ({ sessionId: sid(c), cwd: c.cwd, mcpServers: [] }) },
  { method: "session/archive", kind: "request", status: "unstable", versions: BOTH, description: "Archive a session (sessionCapabilities.archive).", params: (c) => ({ sessionId: sid(c) }) },
  { method: "session/unarchive", kind: "request", status: "unstable", versions: BOTH, description: "Unarchive a session (sessionCapabilities.archive).", params: (c) => ({ sessionId: sid(c) }) },
  { method: "session/status", kind: "request", status: "unstable", versions: BOTH, description: "Ask a session's status (sessionCapabilities.status).", params: (c) => ({ sessionId: sid(c) }) },
  { method: "session/set_title", kind: "request", status: "unstable", versions: BOTH, description: "Rename a session (sessionCapabilities.title).", params: (c) => ({ sessionId: sid(c), title: "<title>" }) },
  { method: "mcp/message", kind: "notification", status: "unstable", versions: BOTH, description: "MCP-over-ACP: a provider's message for an inner MCP request the agent made (the agent sends mcp/message requests to the client).", params: () => ({ serverId: "<serverId>", requestId: "<mcpRequestId>", method: "notifications/progress" }) },
  { method: "session/set_model", kind: "request", status: "legacy", versions: V1, description: "The model switch agents serve outside the stable schema (Kimi, Claude, Gemini, Qwen): not in ACP v1, but answered when the session listed models.", params: (c) => ({ sessionId: sid(c), modelId: "<modelId>" }) },
];

/** The templates of one protocol version, in a stable order. */
export function templatesFor(version: ProtocolVersion): readonly MessageTemplate[] {
  return version === 2 ? V2_TEMPLATES : V1_TEMPLATES;
}

const V1_TEMPLATES = ALL_TEMPLATES.filter((t) => t.versions.includes(1));
const V2_TEMPLATES = ALL_TEMPLATES.filter((t) => t.versions.includes(2));

/** v1's templates: what the composer offered before v2 existed, and still the default. */
export const TEMPLATES: readonly MessageTemplate[] = V1_TEMPLATES;

/**
 * A request a panel built in v1's terms, in the negotiated version's: v2 renamed the auth requests
 * and types a config option's value (`type: "id"` for a value id). Everything else is the same in
 * both, or has no v2 counterpart and goes out as is, for the schema check to name.
 */
export function adaptRequest(method: string, params: unknown, version: ProtocolVersion): { method: string; params: unknown } {
  if (version !== 2) return { method, params };
  if (method === "authenticate") return { method: "auth/login", params };
  if (method === "logout") return { method: "auth/logout", params };
  if (method === "session/set_config_option" && typeof params === "object" && params !== null && !("type" in params) && typeof (params as { value?: unknown }).value === "string") {
    return { method, params: { ...params, type: "id" } };
  }
  return { method, params };
}

/** Why a v1 method a panel offers has no place in v2, naming what v2 has instead. */
const NOT_IN_V2: Record<string, string> = {
  "session/load": "ACP v2 has no session/load: Resume (session/resume) reattaches a session without replaying its history.",
  "session/set_mode": "ACP v2 has no session/set_mode (nor session modes): a v2 agent offers its mode as a config option, set with session/set_config_option.",
  "session/set_model": "session/set_model is in no ACP schema, and v2 has no counterpart: a v2 agent offers its model as a config option, set with session/set_config_option.",
  authenticate: "ACP v2 renamed authenticate to auth/login.",
  logout: "ACP v2 renamed logout to auth/logout.",
};

/**
 * Why a panel's button must not send `method` on a connection speaking `version`, or undefined
 * when it may: the templates say which versions have each method (a test holds them to the
 * schemas), so a v1-only method is refused in v2 with what v2 offers instead. A method no
 * template knows is not judged here (the schema check names it when it goes out).
 */
export function methodUnavailable(method: string, version: ProtocolVersion): string | undefined {
  const known = ALL_TEMPLATES.filter((t) => t.method === method);
  if (known.length === 0 || known.some((t) => t.versions.includes(version))) return undefined;
  return (version === 2 ? NOT_IN_V2[method] : undefined) ?? `${method} is not a method of ACP v${version}.`;
}

/** The full JSON-RPC text a template produces, pretty-printed for the composer. */
export function renderTemplate(template: MessageTemplate, ctx: TemplateContext): string {
  const msg: Record<string, unknown> = { jsonrpc: "2.0" };
  if (template.kind === "request") msg.id = ctx.nextId;
  msg.method = template.method;
  msg.params = template.params(ctx);
  return JSON.stringify(msg, null, 2);
}
