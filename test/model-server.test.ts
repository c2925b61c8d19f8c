/** The offline model must speak the OpenAI chat-completions wire format that Kimi's `kimi` provider reads. */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type ModelServer, startModelServer } from "../server/model-server";

let server: ModelServer;
before(async () => {
  server = await startModelServer();
});
after(async () => {
  await server.close();
});

interface Chunk {
  id: string;
  object: string;
  choices: { index: number; delta: { role?: string; content?: string }; finish_reason: string | null }[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

async function streamChat(prompt: string | unknown[]): Promise<{ events: string[]; chunks: Chunk[]; contentType: string | null }> {
  const res = await fetch(`${server.url}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer sk-should-never-echo-1234" },
    body: JSON.stringify({
      model: "offline-model",
      stream: true,
      messages: [
        { role: "system", content: "You are a test." },
        { role: "user", content: prompt },
        { role: "user", content: "<system-reminder>\nToday's date is 2026-01-01.\n</system-reminder>" },
      ],
    }),
  });
  assert.equal(res.status, 200);
  const text = await res.text();
  assert.ok(!text.includes("sk-should-never-echo"), "the Authorization header must never be echoed");
  assert.ok(text.endsWith("data: [DONE]\n\n"));
  const events = text.split("\n\n").filter(Boolean);
  for (const e of events) assert.match(e, /^data: /);
  const chunks = events.filter((e) => e !== "data: [DONE]").map((e) => JSON.parse(e.slice(6)) as Chunk);
  return { events, chunks, contentType: res.headers.get("content-type") };
}

test("stream:true answers SSE chunks, a stop chunk with usage, then [DONE]", async () => {
  const before = server.requests;
  const { events, chunks, contentType } = await streamChat("hi there");
  assert.equal(server.requests, before + 1);
  assert.equal(contentType, "text/event-stream");
  assert.equal(events.at(-1), "data: [DONE]");
  assert.ok(chunks.length >= 4, `several chunks, got ${chunks.length}`);
  for (const c of chunks) {
    assert.equal(c.object, "chat.completion.chunk");
    assert.equal(c.id, chunks[0].id);
    assert.equal(c.choices[0].index, 0);
  }
  const last = chunks.at(-1)!;
  assert.equal(last.choices[0].finish_reason, "stop");
  assert.ok(last.usage && last.usage.total_tokens === last.usage.prompt_tokens + last.usage.completion_tokens);
  for (const c of chunks.slice(0, -1)) assert.equal(c.choices[0].finish_reason, null);
  const text = chunks.map((c) => c.choices[0].delta.content ?? "").join("");
  // The reminder message Kimi appends after the prompt is not what the user said.
  assert.equal(text, 'Hello from the offline model. You said: "hi there".');
});

test("array content parts and the 60-character cut", async () => {
  const long = "x".repeat(100);
  const { chunks } = await streamChat([{ type: "text", text: long }]);
  const text = chunks.map((c) => c.choices[0].delta.content ?? "").join("");
  assert.equal(text, `Hello from the offline model. You said: "${"x".repeat(60)}".`);
});

test("[scenario:refusal] ends with content_filter", async () => {
  const { chunks } = await streamChat("[scenario:refusal] please");
  assert.equal(chunks.at(-1)!.choices[0].finish_reason, "content_filter");
});

test("[scenario:slow] streams many delayed chunks", async () => {
  const started = Date.now();
  const { chunks } = await streamChat("[scenario:slow] go");
  assert.ok(chunks.length > 10);
  assert.ok(Date.now() - started >= 1000);
});

test("stream:false answers one chat.completion", async () => {
  const res = await fetch(`${server.url}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "offline-model", messages: [{ role: "user", content: "ping" }] }),
  });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { object: string; choices: { message: { role: string; content: string }; finish_reason: string }[]; usage: unknown };
  assert.equal(body.object, "chat.completion");
  assert.equal(body.choices[0].message.role, "assistant");
  assert.equal(body.choices[0].message.content, 'Hello from the offline model. You said: "ping".');
  assert.equal(body.choices[0].finish_reason, "stop");
  assert.ok(body.usage);
});

test("malformed JSON is a 400 JSON error; unknown paths are 404", async () => {
  const bad = await fetch(`${server.url}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
  assert.equal(bad.status, 400);
  assert.equal(typeof ((await bad.json()) as { error: { message: string } }).error.message, "string");
  const noMessages = await fetch(`${server.url}/chat/completions`, { method: "POST", body: "{}" });
  assert.equal(noMessages.status, 400);
  const missing = await fetch(`${server.url}/embeddings`, { method: "POST", body: "{}" });
  assert.equal(missing.status, 404);
  assert.ok(((await missing.json()) as { error: unknown }).error);
});

test("GET /v1/models lists the offline model", async () => {
  const res = await fetch(`${server.url}/models`);
  const body = (await res.json()) as { data: { id: string }[] };
  assert.deepEqual(body.data.map((m) => m.id), ["offline-model"]);
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
});
