/**
 * The offline model: a tiny OpenAI-compatible chat-completions server on 127.0.0.1, so a whole
 * Kimi prompt turn (streamed message chunks, stop reason, usage) runs without the internet or a
 * real key. Replies are deterministic and chosen by a scenario table, so later scenarios (tool
 * calls that exercise permissions, fs/* and terminal/*) are one more entry, not a rewrite.
 * It never logs or echoes request headers: the Authorization header carries the profile's key.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export const OFFLINE_MODEL_ID = "offline-model";

export interface ModelServer {
  /** Base URL for a provider's `base_url`, e.g. `http://127.0.0.1:41234/v1`. */
  url: string;
  close(): Promise<void>;
  /** Chat-completion requests answered so far (tests use it to prove the agent really called). */
  readonly requests: number;
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

export interface ScenarioInput {
  /** Text of the last user message, scenario marker included. */
  prompt: string;
  /** The whole `messages` array, for scenarios that react to tool results. */
  messages: ChatMessage[];
}

export type Scenario = (input: ScenarioInput) => Reply;

interface ChatMessage {
  role: string;
  content?: unknown;
}

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

/**
 * Named behaviours, selected by `[scenario:NAME]` in the prompt. Planned additions (issue 5):
 * shell command, read file, write file — each a `tool_calls` reply on the first request and a
 * plain summary once the tool result comes back in `messages`.
 */
export const SCENARIOS: Record<string, Scenario> = {
  plain: ({ prompt }) => ({ deltas: wordChunks(echoText(prompt), 3).map((content) => ({ content })), finishReason: "stop" }),
  slow: ({ prompt }) => ({
    deltas: wordChunks(`Streaming slowly. ${echoText(prompt)} One, two, three, four, five, six, seven, eight, nine, ten.`, 1).map((content) => ({ content })),
    finishReason: "stop",
    delayMs: 100,
  }),
  refusal: () => ({ deltas: [{ content: "I can't help with that." }], finishReason: "content_filter" }),
};

const SCENARIO_MARKER = /\[scenario:([A-Za-z0-9_-]+)\]/;

export function pickScenario(prompt: string): { name: string; scenario: Scenario } {
  const name = SCENARIO_MARKER.exec(prompt)?.[1] ?? "plain";
  const scenario = SCENARIOS[name];
  // An unknown name must be visible in the reply, not silently become "plain".
  if (!scenario) {
    return {
      name,
      scenario: () => ({ deltas: [{ content: `The offline model has no scenario "${name}". Known: ${Object.keys(SCENARIOS).join(", ")}.` }], finishReason: "stop" }),
    };
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
 * What the user typed last. Kimi sends its reminders as extra user messages after the prompt,
 * so the last user message that still has text once reminders are removed is the prompt.
 */
function lastUserText(messages: ChatMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i].role !== "user") continue;
    const text = contentText(messages[i].content).replace(SYSTEM_REMINDER, "").trim();
    if (text) return text;
  }
  return "";
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

async function chatCompletions(req: IncomingMessage, res: ServerResponse): Promise<void> {
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
  const request = body as { messages: ChatMessage[]; model?: unknown; stream?: unknown };
  const model = typeof request.model === "string" ? request.model : OFFLINE_MODEL_ID;
  const prompt = lastUserText(request.messages);
  const reply = pickScenario(prompt).scenario({ prompt, messages: request.messages });
  const id = `chatcmpl-offline-${++completionCounter}`;
  const created = Math.floor(Date.now() / 1000);
  const usage = usageFor(request.messages, reply);

  if (request.stream !== true) {
    const content = reply.deltas.map((d) => d.content ?? "").join("");
    const toolCalls = reply.deltas.flatMap((d) => d.tool_calls ?? []).map((t) => ({ id: t.id, type: "function", function: { name: t.function.name ?? "", arguments: t.function.arguments ?? "" } }));
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

export async function startModelServer(opts: { port?: number } = {}): Promise<ModelServer> {
  let requests = 0;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const route = `${req.method} ${url.pathname.replace(/\/+$/, "")}`;
    const handle = async (): Promise<void> => {
      if (route === "POST /v1/chat/completions") {
        requests++;
        await chatCompletions(req, res);
      } else if (route === "GET /v1/models") {
        sendJson(res, 200, { object: "list", data: [{ id: OFFLINE_MODEL_ID, object: "model", created: 0, owned_by: "acp-playground" }] });
      } else {
        sendError(res, 404, `the offline model server has no ${req.method} ${url.pathname}`, "not_found_error");
      }
    };
    handle().catch((error: unknown) => {
      if (!res.headersSent) sendError(res, 500, (error as Error).message, "server_error");
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
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
}
