/**
 * The offline model: a tiny OpenAI-compatible chat-completions server on 127.0.0.1, so a whole
 * Kimi prompt turn (streamed message chunks, stop reason, usage) runs without the internet or a
 * real key. Replies are deterministic and chosen by a scenario table; the tool scenarios make the
 * agent really call its tools, so permissions, fs/* and terminal/* can be exercised offline.
 * It never logs or echoes request headers: the Authorization header carries the profile's key.
 *
 * Choosing a scenario, most specific first:
 *  1. a `[scenario:NAME]` marker in the prompt (per prompt);
 *  2. the model id `offline-model:NAME` (per profile: it is the profile's "model" field, which
 *     materialize writes into Kimi's config.toml as alias `offline/offline-model:NAME`; Kimi
 *     2.1.0 accepts the colon and sends the id back verbatim as `model` — checked with the real
 *     agent, so no extra profile field or per-scenario base URL is needed);
 *  3. otherwise `plain`.
 * Scenarios: plain, shell, shell-missing, read, write, slow, refusal (see SCENARIOS).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { HttpHopEvent } from "../lib/wire";
import { answerSocket, applySocketTimeouts, parseRequestTarget, SERVER_TIMEOUT_OPTIONS } from "./http-limits";

export const OFFLINE_MODEL_ID = "offline-model";

export interface ModelServer {
  /** Base URL for a provider's `base_url`, e.g. `http://127.0.0.1:41234/v1`. */
  url: string;
  close(): Promise<void>;
  /** Chat-completion requests answered so far (tests use it to prove the agent really called). */
  readonly requests: number;
  /**
   * Sees every request once it is answered (or dropped), for the run's HTTP lane (issue #13).
   * `runTag` comes from the `/run/<tag>` prefix of the base URL a run was given (runScopedUrl);
   * undefined for a request to the bare URL. Settable at any time (server.ts sets it to the hub's).
   */
  onHop?: (runTag: string | undefined, hop: HttpHopEvent) => void;
}

/**
 * A run's own base URL on this server: `http://127.0.0.1:P/run/<tag>/v1`. Kimi appends
 * `/chat/completions` to whatever path its provider's base_url has (the real default,
 * `https://api.kimi.com/coding/v1`, has one too), so the prefix comes back on every request and
 * names the run without any header or token — checked with the real 2.1.0 (test/lanes.test.ts).
 */
export function runScopedUrl(base: string, tag: string): string {
  const url = new URL(base);
  return `${url.origin}/run/${encodeURIComponent(tag)}${url.pathname.replace(/\/+$/, "")}`;
}

const RUN_PREFIX = /^\/run\/([A-Za-z0-9._-]{1,128})(\/.*)?$/;

/** Split `/run/<tag>/v1/x` into the tag and the path the routes know (`/v1/x`). */
export function splitRunPrefix(pathname: string): { tag?: string; path: string } {
  const m = RUN_PREFIX.exec(pathname);
  return m ? { tag: m[1], path: m[2] ?? "/" } : { path: pathname };
}

export interface ModelServerOptions {
  port?: number;
  /** Sees each parsed chat request and the scenario it got, e.g. for a test to read the offered tools. */
  onRequest?: (info: { scenario: string; model: string; request: ChatRequest }) => void;
}

/** One streamed piece of the reply; several of them make the answer. */
export interface ReplyDelta {
  content?: string;
  tool_calls?: {
    index: number;
    id?: string;
    type?: "function";
    function: { name?: string; arguments?: string };
  }[];
}

export interface Reply {
  deltas: ReplyDelta[];
  finishReason: "stop" | "tool_calls" | "content_filter" | "length";
  /** Pause before each chunk, to make streaming and cancellation observable. */
  delayMs?: number;
}

export interface ChatMessage {
  role: string;
  content?: unknown;
  tool_call_id?: string;
  tool_calls?: { id?: string; function?: { name?: string; arguments?: string } }[];
}

export interface ChatTool {
  type?: string;
  function?: { name?: string; description?: string; parameters?: unknown };
}

export interface ChatRequest {
  messages: ChatMessage[];
  model?: unknown;
  stream?: unknown;
  tools?: ChatTool[];
}

export interface ScenarioInput {
  /** Text of the last user message, scenario marker included. */
  prompt: string;
  /** The whole `messages` array, for scenarios that react to tool results. */
  messages: ChatMessage[];
  /** Names of the tools the agent offered in this request. */
  tools: string[];
}

export type Scenario = (input: ScenarioInput) => Reply;

/** Split text into pieces of a few words, keeping the spaces, so the client sees real streaming. */
function wordChunks(text: string, wordsPerChunk: number): string[] {
  const words = text.match(/\S+\s*/g) ?? [text];
  const chunks: string[] = [];
  for (let i = 0; i < words.length; i += wordsPerChunk) chunks.push(words.slice(i, i + wordsPerChunk).join(""));
  return chunks;
}

function withoutMarker(prompt: string): string {
  return prompt.replace(SCENARIO_MARKER, "").replace(/\s+/g, " ").trim();
}

function echoText(prompt: string): string {
  return `Hello from the offline model. You said: "${[...withoutMarker(prompt)].slice(0, 60).join("")}".`;
}

function textReply(text: string, finishReason: Reply["finishReason"] = "stop"): Reply {
  return { deltas: wordChunks(text, 3).map((content) => ({ content })), finishReason };
}

/** The shell scenario's command: harmless, and its output is a marker tests can look for. */
export const SHELL_COMMAND = "echo playground-shell-ok";
/** A command no system has, for the "bad command" path; the agent's shell reports it (exit 127). */
export const MISSING_COMMAND = "playground-no-such-command --version";
export const DEFAULT_READ_PATH = "README.md";
export const DEFAULT_WRITE_PATH = "playground-output.txt";
export const WRITE_CONTENT = "Written by the offline model (scenario write).\n";

/**
 * Tool names per role, first match wins against the request's `tools`. Kimi Code 2.1.0 offers
 * `Bash {command, cwd?, timeout?, …}`, `Read {path, line_offset?, n_lines?, …}` and
 * `Write {path, content, mode?}`; the snake_case names cover agents with other conventions.
 */
const TOOL_NAMES = {
  shell: ["Bash", "Shell", "bash", "shell", "run_shell_command"],
  read: ["Read", "ReadFile", "read_file"],
  write: ["Write", "WriteFile", "write_file"],
} as const;

/**
 * A path named in the prompt, so one scenario serves any file: a token with a slash or a file
 * extension ("notes.txt", "/abs/out.txt"), but not a word ending a sentence ("it.").
 */
function pathInPrompt(prompt: string): string | undefined {
  return withoutMarker(prompt)
    .split(" ")
    .find((token) => /^[\w.~/-]+$/.test(token) && (token.includes("/") || /\w\.\w+$/.test(token)));
}

/** Everything after the last message the user typed: the agent's tool rounds of this turn. */
function turnTail(messages: ChatMessage[]): ChatMessage[] {
  const i = lastUserIndex(messages);
  return i < 0 ? [] : messages.slice(i + 1);
}

let toolCallCounter = 0;

/**
 * A scenario that calls one tool, then, once the tool result is in `messages`, ends the turn
 * with a short text quoting it. Arguments are streamed in two pieces, as real models do.
 */
function toolScenario(role: keyof typeof TOOL_NAMES, args: (prompt: string) => Record<string, unknown>): Scenario {
  return ({ prompt, messages, tools }) => {
    const results = turnTail(messages).filter((m) => m.role === "tool");
    if (results.length > 0) {
      const last = results[results.length - 1];
      const called = turnTail(messages)
        .flatMap((m) => m.tool_calls ?? [])
        .find((c) => c.id === last.tool_call_id)?.function?.name;
      const excerpt = [...contentText(last.content).replace(/\s+/g, " ").trim()].slice(0, 200).join("");
      return textReply(`The ${called ?? "tool"} call came back: "${excerpt}". Done.`);
    }
    const name = TOOL_NAMES[role].find((candidate) => tools.includes(candidate));
    if (!name) return textReply(`The ${role} scenario needs a ${role} tool, but the agent offered ${tools.length > 0 ? tools.join(", ") : "no tools"}.`);
    const json = JSON.stringify(args(prompt));
    const cut = Math.floor(json.length / 2);
    const id = `call_offline_${++toolCallCounter}`;
    return {
      deltas: [
        { content: `Calling ${name}.\n\n` },
        { tool_calls: [{ index: 0, id, type: "function", function: { name, arguments: json.slice(0, cut) } }] },
        { tool_calls: [{ index: 0, function: { arguments: json.slice(cut) } }] },
      ],
      finishReason: "tool_calls",
    };
  };
}

/** Named behaviours; see the file comment for how one is chosen. */
export const SCENARIOS: Record<string, Scenario> = {
  plain: ({ prompt }) => textReply(echoText(prompt)),
  shell: toolScenario("shell", () => ({ command: SHELL_COMMAND })),
  "shell-missing": toolScenario("shell", () => ({ command: MISSING_COMMAND })),
  read: toolScenario("read", (prompt) => ({ path: pathInPrompt(prompt) ?? DEFAULT_READ_PATH })),
  write: toolScenario("write", (prompt) => ({ path: pathInPrompt(prompt) ?? DEFAULT_WRITE_PATH, content: WRITE_CONTENT })),
  // Long enough (about 10 s) to press Cancel in the UI before it ends.
  slow: ({ prompt }) => ({
    deltas: wordChunks(`Streaming slowly. ${echoText(prompt)} Counting: ${Array.from({ length: 90 }, (_, i) => i + 1).join(", ")}.`, 1).map((content) => ({ content })),
    finishReason: "stop",
    delayMs: 100,
  }),
  refusal: () => ({ deltas: [{ content: "I can't help with that." }], finishReason: "content_filter" }),
};

const SCENARIO_MARKER = /\[scenario:([A-Za-z0-9_-]+)\]/;
const SCENARIO_MODEL = /^offline-model:([A-Za-z0-9_-]+)$/;

/** The scenario a model id names (`offline-model:shell` → `shell`), if any. */
export function scenarioFromModel(model: string): string | undefined {
  return SCENARIO_MODEL.exec(model)?.[1];
}

export function pickScenario(prompt: string, model = OFFLINE_MODEL_ID): { name: string; scenario: Scenario } {
  const name = SCENARIO_MARKER.exec(prompt)?.[1] ?? scenarioFromModel(model) ?? "plain";
  const scenario = SCENARIOS[name];
  // An unknown name must be visible in the reply, not silently become "plain".
  if (!scenario) {
    return { name, scenario: () => textReply(`The offline model has no scenario "${name}". Known: ${Object.keys(SCENARIOS).join(", ")}.`) };
  }
  return { name, scenario };
}

/** Text of a message's content, whether a plain string or an array of typed parts. */
function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => (typeof part === "object" && part !== null && (part as { type?: unknown }).type === "text" ? String((part as { text?: unknown }).text ?? "") : ""))
      .join("");
  }
  return "";
}

/** Harness text Kimi wraps in these tags (the date, plan mode) is not what the user typed. */
const SYSTEM_REMINDER = /<system-reminder>[\s\S]*?<\/system-reminder>/g;

/**
 * Index of what the user typed last. Kimi sends its reminders as extra user messages after the
 * prompt, so the last user message that still has text once reminders are removed is the prompt.
 */
function lastUserIndex(messages: ChatMessage[]): number {
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i].role === "user" && contentText(messages[i].content).replace(SYSTEM_REMINDER, "").trim()) return i;
  }
  return -1;
}

function lastUserText(messages: ChatMessage[]): string {
  const i = lastUserIndex(messages);
  return i < 0 ? "" : contentText(messages[i].content).replace(SYSTEM_REMINDER, "").trim();
}

function toolNames(tools: unknown): string[] {
  if (!Array.isArray(tools)) return [];
  return tools.map((t) => (t as ChatTool)?.function?.name).filter((n): n is string => typeof n === "string");
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, message: string, type: string): void {
  sendJson(res, status, { error: { message, type, code: null, param: null } });
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of req) {
    const buf = part as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new RangeError("request body too large");
    parts.push(buf);
  }
  return Buffer.concat(parts).toString("utf8");
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Rough token counts: the client only displays them, so 4 characters per token is enough. */
function usageFor(messages: ChatMessage[], reply: Reply): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
  const promptChars = messages.reduce((n, m) => n + contentText(m.content).length, 0);
  const replyChars = reply.deltas.reduce((n, d) => n + (d.content?.length ?? 0) + (d.tool_calls?.reduce((k, t) => k + (t.function.arguments?.length ?? 0), 0) ?? 0), 0);
  const prompt_tokens = Math.max(1, Math.ceil(promptChars / 4));
  const completion_tokens = Math.max(1, Math.ceil(replyChars / 4));
  return { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
}

let completionCounter = 0;

/** One chat-completions request, answered; exported so the OAuth emulator serves the same model behind its bearer check. */
export async function chatCompletions(req: IncomingMessage, res: ServerResponse, onRequest: ModelServerOptions["onRequest"]): Promise<void> {
  let body: unknown;
  try {
    body = JSON.parse(await readBody(req));
  } catch (error) {
    sendError(res, error instanceof RangeError ? 413 : 400, error instanceof RangeError ? error.message : `request body is not valid JSON: ${(error as Error).message}`, "invalid_request_error");
    return;
  }
  if (typeof body !== "object" || body === null || !Array.isArray((body as { messages?: unknown }).messages)) {
    sendError(res, 400, "request body must be an object with a `messages` array", "invalid_request_error");
    return;
  }
  const request = body as ChatRequest;
  const model = typeof request.model === "string" ? request.model : OFFLINE_MODEL_ID;
  const prompt = lastUserText(request.messages);
  const picked = pickScenario(prompt, model);
  onRequest?.({ scenario: picked.name, model, request });
  const reply = picked.scenario({ prompt, messages: request.messages, tools: toolNames(request.tools) });
  const id = `chatcmpl-offline-${++completionCounter}`;
  const created = Math.floor(Date.now() / 1000);
  const usage = usageFor(request.messages, reply);

  if (request.stream !== true) {
    const content = reply.deltas.map((d) => d.content ?? "").join("");
    // Streamed pieces of one call share an index; the whole message carries them joined.
    const byIndex = new Map<number, { id?: string; type: "function"; function: { name: string; arguments: string } }>();
    for (const t of reply.deltas.flatMap((d) => d.tool_calls ?? [])) {
      const call = byIndex.get(t.index) ?? { type: "function", function: { name: "", arguments: "" } };
      call.id ??= t.id;
      call.function.name += t.function.name ?? "";
      call.function.arguments += t.function.arguments ?? "";
      byIndex.set(t.index, call);
    }
    const toolCalls = [...byIndex.values()];
    sendJson(res, 200, {
      id,
      object: "chat.completion",
      created,
      model,
      choices: [{ index: 0, message: { role: "assistant", content, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) }, finish_reason: reply.finishReason }],
      usage,
    });
    return;
  }

  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  let closed = false;
  res.on("close", () => {
    closed = true;
  });
  const send = (choice: Record<string, unknown>, extra: Record<string, unknown> = {}): void => {
    res.write(`data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices: [{ index: 0, ...choice }], ...extra })}\n\n`);
  };
  send({ delta: { role: "assistant", content: "" }, finish_reason: null });
  for (const delta of reply.deltas) {
    if (reply.delayMs) await sleep(reply.delayMs);
    // The client cancelled (session/cancel aborts the fetch): stop instead of writing into the void.
    if (closed) return;
    send({ delta, finish_reason: null });
  }
  send({ delta: {}, finish_reason: reply.finishReason }, { usage });
  res.end("data: [DONE]\n\n");
}

export async function startModelServer(opts: ModelServerOptions = {}): Promise<ModelServer> {
  let requests = 0;
  // Assigned once listening; requests only arrive after that.
  let self: ModelServer | undefined;
  const server = createServer(SERVER_TIMEOUT_OPTIONS, (req, res) => {
    const url = parseRequestTarget(req.url);
    if (!url) {
      // `GET //` once threw here, outside any catch, and the socket never got an answer.
      res.setHeader("connection", "close");
      sendError(res, 400, "the request target is not a path", "invalid_request_error");
      return;
    }
    const { tag, path: pathname } = splitRunPrefix(url.pathname);
    const route = `${req.method} ${pathname.replace(/\/+$/, "")}`;
    // The HTTP lane: one hop per request, reported when the answer is finished or the socket closed.
    const started = performance.now();
    let asked: Record<string, unknown> | undefined;
    const authorization = req.headers.authorization;
    res.once("close", () => {
      const hop: HttpHopEvent = { method: req.method ?? "?", path: `${pathname}${url.search}`, host: "model", ms: performance.now() - started };
      if (res.writableFinished) hop.status = res.statusCode;
      else hop.error = res.headersSent ? `stream cut after ${res.statusCode}` : "no answer";
      if (authorization !== undefined || asked) hop.request = { ...(authorization !== undefined ? { headers: { authorization } } : {}), ...(asked ? { body: asked } : {}) };
      try {
        self?.onHop?.(tag, hop);
      } catch {
        // A recorder's failure must never break the model's answer path.
      }
    });
    const handle = async (): Promise<void> => {
      if (route === "POST /v1/chat/completions") {
        requests++;
        // The hop names the model and scenario, never the conversation (it can be megabytes).
        await chatCompletions(req, res, (info) => {
          asked = { model: info.model, scenario: info.scenario, messages: info.request.messages.length, stream: info.request.stream === true };
          opts.onRequest?.(info);
        });
      } else if (route === "GET /v1/models") {
        const ids = [OFFLINE_MODEL_ID, ...Object.keys(SCENARIOS).map((name) => `${OFFLINE_MODEL_ID}:${name}`)];
        sendJson(res, 200, { object: "list", data: ids.map((id) => ({ id, object: "model", created: 0, owned_by: "acp-playground" })) });
      } else {
        sendError(res, 404, `the offline model server has no ${req.method} ${url.pathname}`, "not_found_error");
      }
    };
    handle().catch((error: unknown) => {
      if (!res.headersSent) sendError(res, 500, (error as Error).message, "server_error");
      else res.destroy();
    });
  });
  applySocketTimeouts(server);
  // No WebSockets here: an upgrade request is answered, not left hanging.
  server.on("upgrade", (_req, socket) => answerSocket(socket, 404, "the offline model server has no WebSocket"));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  self = {
    url: `http://127.0.0.1:${port}/v1`,
    get requests() {
      return requests;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        // Streams held open by a client (a slow scenario) must not keep close() waiting forever.
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
  return self;
}
