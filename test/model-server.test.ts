/** The offline model must speak the OpenAI chat-completions wire format that Kimi's `kimi` provider reads. */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type ModelServer, pickScenario, SCENARIOS, scenarioFromModel, SHELL_COMMAND, startModelServer, WRITE_CONTENT } from "../server/model-server";

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

test("[scenario:slow] streams many delayed chunks, long enough to cancel", async () => {
  const started = Date.now();
  const res = await fetch(`${server.url}/chat/completions`, {
    method: "POST",
    body: JSON.stringify({ model: "offline-model", stream: true, messages: [{ role: "user", content: "[scenario:slow] go" }] }),
  });
  const reader = res.body!.getReader();
  let text = "";
  while ((text.match(/^data: /gm) ?? []).length < 6) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  // Hanging up mid-stream (what a cancelled agent does) must not break the server.
  await reader.cancel();
  assert.ok(Date.now() - started >= 400, "chunks are paced");
  assert.ok(!text.includes("[DONE]"), "still streaming after half a second");
  const reply = SCENARIOS.slow({ prompt: "[scenario:slow] go", messages: [], tools: [] });
  assert.ok(reply.deltas.length * (reply.delayMs ?? 0) >= 8000, "about ten seconds in all");
});

/** A chat request as Kimi sends it: system prompt, user prompt, reminder, the offered tools. */
function chatBody(prompt: string, extra: { model?: string; tail?: unknown[]; tools?: string[] } = {}): string {
  return JSON.stringify({
    model: extra.model ?? "offline-model",
    stream: false,
    tools: (extra.tools ?? ["Agent", "Bash", "Read", "Write"]).map((name) => ({ type: "function", function: { name, parameters: { type: "object" } } })),
    messages: [
      { role: "system", content: "You are a test." },
      { role: "user", content: prompt },
      { role: "user", content: "<system-reminder>\nToday's date is 2026-01-01.\n</system-reminder>" },
      ...(extra.tail ?? []),
    ],
  });
}

interface Completion {
  choices: { message: { content: string; tool_calls?: { id: string; type: string; function: { name: string; arguments: string } }[] }; finish_reason: string }[];
}

type Message = Completion["choices"][0]["message"] & { finish_reason: string };

async function complete(body: string): Promise<Message> {
  const res = await fetch(`${server.url}/chat/completions`, { method: "POST", body });
  assert.equal(res.status, 200);
  const choice = ((await res.json()) as Completion).choices[0];
  return { ...choice.message, finish_reason: choice.finish_reason };
}

test("tool scenarios call Kimi's Bash, Read and Write with their argument shapes", async () => {
  const shell = await complete(chatBody("[scenario:shell] run it"));
  assert.equal(shell.finish_reason, "tool_calls");
  assert.equal(shell.tool_calls?.length, 1);
  assert.equal(shell.tool_calls?.[0].function.name, "Bash");
  assert.deepEqual(JSON.parse(shell.tool_calls![0].function.arguments), { command: SHELL_COMMAND });
  assert.match(shell.tool_calls![0].id, /^call_offline_\d+$/);

  const read = await complete(chatBody("[scenario:read]"));
  assert.deepEqual(JSON.parse(read.tool_calls![0].function.arguments), { path: "README.md" });
  const sentence = await complete(chatBody("[scenario:read] please read it."));
  assert.deepEqual(JSON.parse(sentence.tool_calls![0].function.arguments), { path: "README.md" }, "a sentence's last word is not a path");
  const readNamed = await complete(chatBody("[scenario:read] please read notes/todo.txt now"));
  assert.deepEqual(JSON.parse(readNamed.tool_calls![0].function.arguments), { path: "notes/todo.txt" });
  const write = await complete(chatBody("[scenario:write] /abs/out.txt"));
  assert.equal(write.tool_calls![0].function.name, "Write");
  assert.deepEqual(JSON.parse(write.tool_calls![0].function.arguments), { path: "/abs/out.txt", content: WRITE_CONTENT });

  // An agent without such a tool gets an explanation, not a call to a tool it does not have.
  const noTool = await complete(chatBody("[scenario:shell]", { tools: ["Read"] }));
  assert.equal(noTool.finish_reason, "stop");
  assert.match(noTool.content, /needs a shell tool, but the agent offered Read/);
});

test("after the tool result comes back, the scenario ends the turn quoting it", async () => {
  const tail = [
    { role: "assistant", content: "Calling Bash.", tool_calls: [{ id: "call_1", type: "function", function: { name: "Bash", arguments: "{}" } }] },
    { role: "tool", tool_call_id: "call_1", content: "playground-shell-ok\n" },
    { role: "user", content: "<system-reminder>\nsomething\n</system-reminder>" },
  ];
  const done = await complete(chatBody("[scenario:shell] run it", { tail }));
  assert.equal(done.finish_reason, "stop");
  assert.equal(done.tool_calls, undefined);
  assert.equal(done.content, 'The Bash call came back: "playground-shell-ok". Done.');
});

test("streamed tool calls arrive in pieces that join to valid JSON", async () => {
  const res = await fetch(`${server.url}/chat/completions`, { method: "POST", body: chatBody("[scenario:write] a.txt").replace('"stream":false', '"stream":true') });
  const chunks = (await res.text())
    .split("\n\n")
    .filter((e) => e.startsWith("data: {"))
    .map((e) => JSON.parse(e.slice(6)) as { choices: { delta: { tool_calls?: { index: number; function: { name?: string; arguments?: string } }[] }; finish_reason: string | null }[] });
  const calls = chunks.flatMap((c) => c.choices[0].delta.tool_calls ?? []);
  assert.ok(calls.length >= 2);
  assert.equal(calls[0].function.name, "Write");
  assert.deepEqual(JSON.parse(calls.map((c) => c.function.arguments ?? "").join("")), { path: "a.txt", content: WRITE_CONTENT });
  assert.equal(chunks.at(-1)!.choices[0].finish_reason, "tool_calls");
});

test("the model id offline-model:NAME picks the scenario per profile; a prompt marker wins", async () => {
  assert.equal(scenarioFromModel("offline-model:shell"), "shell");
  assert.equal(scenarioFromModel("offline-model"), undefined);
  assert.equal(pickScenario("hi", "offline-model:read").name, "read");
  assert.equal(pickScenario("[scenario:plain] hi", "offline-model:read").name, "plain");
  assert.equal(pickScenario("hi").name, "plain");
  const byModel = await complete(chatBody("hello", { model: "offline-model:shell" }));
  assert.equal(byModel.tool_calls?.[0].function.name, "Bash");
  const unknown = await complete(chatBody("hello", { model: "offline-model:nope" }));
  assert.match(unknown.content, /no scenario "nope"/);
});

test("onRequest sees each request with its scenario and the offered tools", async () => {
  const seen: { scenario: string; model: string; tools: string[] }[] = [];
  const observed = await startModelServer({ onRequest: ({ scenario, model, request }) => seen.push({ scenario, model, tools: (request.tools ?? []).map((t) => t.function?.name ?? "") }) });
  try {
    await fetch(`${observed.url}/chat/completions`, { method: "POST", body: chatBody("[scenario:refusal] x", { model: "offline-model:shell" }) });
    assert.deepEqual(seen, [{ scenario: "refusal", model: "offline-model:shell", tools: ["Agent", "Bash", "Read", "Write"] }]);
  } finally {
    await observed.close();
  }
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

test("GET /v1/models lists the offline model and one id per scenario", async () => {
  const res = await fetch(`${server.url}/models`);
  const body = (await res.json()) as { data: { id: string }[] };
  assert.deepEqual(body.data.map((m) => m.id), ["offline-model", ...Object.keys(SCENARIOS).map((n) => `offline-model:${n}`)]);
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
});
