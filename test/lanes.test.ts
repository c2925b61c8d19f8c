/**
 * Issue #13 §2, "every hop on one timeline": the HTTP, Home and Agent-log lanes. Unit tests pin
 * the masked JSON/TOML diffs (a blanked token is visible as `""`, never the token), the masking
 * and redaction of hop records (an issued token is redacted from the moment it is issued), the
 * wire and trace round trips of the new kinds; the end-to-end test runs the real server and the
 * real Kimi 2.1.0 on the Offline demo profile and finds all three lanes in seq order among the
 * JSON-RPC frames of the run.
 */
import assert from "node:assert/strict";
import { appendFile, mkdir, mkdtemp, rename, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { applyFilter, EMPTY_FILTER, isErrorFrame } from "../lib/filters";
import { httpSummary, homeSummary, laneOf } from "../lib/lanes";
import { diffSummary, maskedDiff, maskPath, parseStructured } from "../lib/masked-diff";
import { Redactor, REDACTED } from "../lib/redact";
import { exportTrace, parseTrace } from "../lib/trace";
import { decodeServerEvent, encodeServerEvent, type Frame, type HomeChange } from "../lib/wire";
import { AgentLogTail } from "../server/agent-log-tail";
import { HomeWatcher } from "../server/home-watch";
import { runScopedUrl, splitRunPrefix, startModelServer } from "../server/model-server";
import { Run } from "../server/run";
import { httpGet, type PlaygroundServer, startRun, startServer, waitUntil, WsClient } from "./fixtures/server";

const ACCESS = "eyJhbGciOiJIUzI1NiJ9.access-token-value-1a2b";
const REFRESH = "refresh-token-value-with-enough-length-9z8y";

/** A Run that is never spawned: just its recorder, with a live redactor like the hub's. */
function recorder(): { run: Run; secrets: Set<string> } {
  const secrets = new Set<string>(["offline-demo-key"]);
  let redactor = new Redactor(secrets);
  const run = new Run(
    {
      runId: "run-1",
      agentId: "a",
      agentLabel: "A",
      profileId: "p",
      profileName: "P",
      cwd: "/",
      spawn: { file: "", args: [], cwd: "/", env: {} },
      limits: { maxFrames: 1000, maxBytes: 1 << 20, maxLineBytes: 1 << 20 },
      redact: (text) => redactor.redact(text),
      serveClientMethod: () => ({ pending: true }),
      addSecrets: (values) => {
        for (const v of values) secrets.add(v);
        redactor = new Redactor(secrets);
      },
    },
    { frames: () => undefined, state: () => undefined },
  );
  return { run, secrets };
}

function frames(run: Run): Frame[] {
  return run.ring.since(-1);
}

test("home diff: a token file blanked to access_token \"\" shows the old masked value → \"\", never the token", () => {
  const before = parseStructured(JSON.stringify({ access_token: ACCESS, refresh_token: REFRESH, expires_at: 100, token_type: "Bearer" }), "json");
  const after = parseStructured(JSON.stringify({ access_token: "", refresh_token: REFRESH, expires_at: 100, token_type: "Bearer" }), "json");
  const { entries, truncated } = maskedDiff(before, after);
  assert.equal(truncated, 0);
  assert.equal(entries.length, 1);
  assert.equal(entries[0].key, "access_token");
  assert.equal(entries[0].op, "change");
  assert.equal(entries[0].to, '""');
  assert.match(entries[0].from ?? "", /^‹.*…1a2b, 44 chars›$/);
  const summary = diffSummary(entries);
  assert.match(summary, /^access_token ‹.*…1a2b, 44 chars› → ""$/);
  assert.ok(!JSON.stringify(entries).includes(ACCESS) && !summary.includes(ACCESS));
  // A created token file lists its keys with secrets masked and the rest readable.
  const created = maskedDiff(undefined, before).entries;
  assert.deepEqual(created.map((e) => e.key).sort(), ["access_token", "expires_at", "refresh_token", "token_type"]);
  assert.equal(created.find((e) => e.key === "token_type")?.to, '"Bearer"');
  assert.equal(created.find((e) => e.key === "expires_at")?.to, "100");
  assert.ok(!JSON.stringify(created).includes(REFRESH));
});

test("home diff: TOML config keys are dotted, api_key masked, oauth table readable", () => {
  const a = parseStructured('default_model = "x"\n[providers."managed:kimi-code"]\ntype = "kimi"\napi_key = "sk-secret-value-123456"\n', "toml");
  const b = parseStructured('default_model = "y"\n[providers."managed:kimi-code"]\ntype = "kimi"\napi_key = ""\noauth = { storage = "file", key = "oauth/kimi-code" }\n', "toml");
  const { entries } = maskedDiff(a, b);
  const by = new Map(entries.map((e) => [e.key, e]));
  assert.equal(by.get("default_model")?.from, '"x"');
  assert.equal(by.get("default_model")?.to, '"y"');
  assert.match(by.get("providers.managed:kimi-code.api_key")?.from ?? "", /^‹sk-…3456, 22 chars›$/);
  assert.equal(by.get("providers.managed:kimi-code.api_key")?.to, '""');
  // `key` alone is a storage name, not a credential: readable.
  assert.equal(by.get("providers.managed:kimi-code.oauth.key")?.to, '"oauth/kimi-code"');
  assert.ok(!JSON.stringify(entries).includes("sk-secret-value-123456"));
  // Bounded: a huge change keeps HOME_DIFF_MAX entries and counts the rest.
  const big = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, i]));
  const bounded = maskedDiff({}, big);
  assert.equal(bounded.entries.length + bounded.truncated, 100);
  assert.ok(bounded.entries.length <= 40);
});

test("HTTP lane: a hop is masked and redacted, and the tokens it issued are redacted from then on", () => {
  const { run, secrets } = recorder();
  const hop = run.recordHop({
    method: "POST",
    path: "/api/oauth/token?code=abcdef123456",
    host: "oauth",
    status: 200,
    ms: 34.26,
    grantType: "refresh_token",
    request: { headers: { authorization: "Bearer offline-demo-key" }, body: { grant_type: "refresh_token", refresh_token: REFRESH } },
    response: { body: { access_token: ACCESS, refresh_token: REFRESH, expires_in: 900, token_type: "Bearer" } },
    issued: [ACCESS, REFRESH],
  });
  assert.ok(secrets.has(ACCESS) && secrets.has(REFRESH), "issued tokens become redactor secrets");
  assert.equal(hop.kind, "http");
  assert.equal(hop.dir, "sys");
  assert.deepEqual(hop.http, { method: "POST", path: `/api/oauth/token?code=${hop.http?.path.split("code=")[1]}`, host: "oauth", status: 200, ms: 34.3, grantType: "refresh_token" });
  assert.ok(!hop.http?.path.includes("abcdef123456"), "a secret query parameter is masked");
  for (const secret of [ACCESS, REFRESH, "offline-demo-key"]) assert.ok(!hop.raw.includes(secret), `raw leaks ${secret}`);
  const record = JSON.parse(hop.raw) as { response: { body: Record<string, string> }; request: { headers: Record<string, string> } };
  assert.match(record.response.body.access_token, /^‹.*, 44 chars›$/);
  assert.equal(record.response.body.token_type, "Bearer");
  assert.match(record.request.headers.authorization, /^Bearer ‹/);
  assert.equal(httpSummary(hop), "POST " + hop.http?.path + " · 200 · 34 ms · refresh_token");
  // The issued token now appears elsewhere (the agent echoes it on stderr, a log line): redacted there too.
  const log = run.recordAgentLog("sessions/x/logs/kimi-code.log", 3, `refresh ok token=${ACCESS}`);
  assert.equal(log.raw, `refresh ok token=${REDACTED}`);
  assert.deepEqual(log.agentLog, { file: "sessions/x/logs/kimi-code.log", line: 3 });
  // A dropped connection has no status and says why.
  const dropped = run.recordHop({ method: "POST", path: "/api/oauth/token", host: "oauth", ms: 30000, error: "dropped", grantType: "refresh_token" });
  assert.equal(dropped.http?.status, undefined);
  assert.equal(httpSummary(dropped), "POST /api/oauth/token · no answer (dropped) · 30000 ms · refresh_token");
  assert.deepEqual(frames(run).map((f) => f.seq), [0, 1, 2]);
});

test("home lane frames: fields redacted, a secret under an innocent key never shown", () => {
  const { run } = recorder();
  const change: HomeChange = { op: "change", path: "config.toml", summary: 'note "offline-demo-key"', diff: [{ key: "note", op: "change", from: '"a"', to: '"offline-demo-key"' }] };
  const f = run.recordHome(change);
  assert.equal(f.kind, "home");
  assert.ok(!JSON.stringify(f).includes("offline-demo-key"));
  assert.equal(f.home?.diff?.[0].to, `"${REDACTED}"`);
  assert.equal(laneOf(f), "home");
  assert.equal(homeSummary(f), `change config.toml: note "${REDACTED}"`);
});

test("wire and trace: the new kinds survive encode/decode and export/import", () => {
  const { run } = recorder();
  run.recordHop({ method: "GET", path: "/v1/models", host: "model", status: 200, ms: 1.2 });
  run.recordHome({ op: "delete", path: "credentials/kimi-code.json", summary: "was 300 bytes", diff: [{ key: "access_token", op: "remove", from: "‹…1a2b, 44 chars›" }] });
  run.recordAgentLog("sessions/a/b/agents/main/wire.jsonl", 7, '{"type":"turn.ended"}');
  const all = frames(run);
  const decoded = decodeServerEvent(encodeServerEvent({ type: "frames", runId: "run-1", frames: all }));
  assert.equal(decoded.type, "frames");
  if (decoded.type === "frames") assert.deepEqual(decoded.frames, all);
  const text = exportTrace({ playgroundVersion: "t", agent: { id: "a", label: "A", info: null }, profile: { kind: null, sources: [] }, frames: all });
  const back = parseTrace(text);
  assert.deepEqual(back.frames, JSON.parse(JSON.stringify(all)) as Frame[]);
  assert.deepEqual(back.frames.map((f) => f.kind), ["http", "home", "agent-log"]);
  // A hand-edited trace with a broken lane field is refused with its line, not crashed on.
  const broken = text.replace('"host":"model"', '"host":"elsewhere"');
  assert.throws(() => parseTrace(broken), /line 2: the frame's "http"/);
});

test("model server: a run's /run/<tag> prefix names it on every hop; the bare URL still works", async () => {
  assert.equal(runScopedUrl("http://127.0.0.1:5/v1", "run-3"), "http://127.0.0.1:5/run/run-3/v1");
  assert.deepEqual(splitRunPrefix("/run/run-3/v1/models"), { tag: "run-3", path: "/v1/models" });
  assert.deepEqual(splitRunPrefix("/v1/models"), { path: "/v1/models" });
  const server = await startModelServer();
  const hops: [string | undefined, string, number | undefined][] = [];
  server.onHop = (tag, hop) => hops.push([tag, `${hop.method} ${hop.path}`, hop.status]);
  try {
    const scoped = runScopedUrl(server.url, "run-3");
    assert.equal((await fetch(`${scoped}/models`)).status, 200);
    assert.equal((await fetch(`${server.url}/models`)).status, 200);
    const chat = await fetch(`${scoped}/chat/completions`, { method: "POST", headers: { authorization: "Bearer k-123456789" }, body: JSON.stringify({ messages: [{ role: "user", content: "hi" }] }) });
    assert.equal(chat.status, 200);
    await chat.text();
    await waitUntil("three hops", () => hops.length === 3);
    assert.deepEqual(hops, [
      ["run-3", "GET /v1/models", 200],
      [undefined, "GET /v1/models", 200],
      ["run-3", "POST /v1/chat/completions", 200],
    ]);
  } finally {
    await server.close();
  }
});

test("home watcher: create, change (blanked token), delete, noise skipped, symlink not followed, logs tailed", async () => {
  const root = await mkdtemp(path.join(tmpdir(), "lanes-home-"));
  const homes: HomeChange[] = [];
  const lines: [string, number, string][] = [];
  try {
    await writeFile(path.join(root, "config.toml"), 'default_model = "a"\n');
    await mkdir(path.join(root, "logs"));
    await writeFile(path.join(root, "logs", "kimi-code.log"), "old line before the run\n");
    const watcher = new HomeWatcher(root, { recordHome: (c) => homes.push(c), recordAgentLog: (f, n, t) => lines.push([f, n, t]) }, { pollMs: 60_000 });
    await watcher.start();
    await mkdir(path.join(root, "credentials"), { mode: 0o700 });
    const token = path.join(root, "credentials", "kimi-code-env-0123456789abcdef.json");
    // Written atomically, as Kimi does: a temp file renamed into place (the temp file is noise).
    await writeFile(`${token}.tmp`, JSON.stringify({ access_token: ACCESS, refresh_token: REFRESH, expires_at: 1 }));
    await rename(`${token}.tmp`, token);
    await mkdir(path.join(root, "cache"));
    await writeFile(path.join(root, "cache", "blob.json"), "{}");
    await symlink("/etc/passwd", path.join(root, "link.json"));
    await appendFile(path.join(root, "logs", "kimi-code.log"), "refresh failed: invalid_grant\npartial");
    await watcher.scan();
    await writeFile(token, JSON.stringify({ access_token: "", refresh_token: REFRESH, expires_at: 1 }));
    await appendFile(path.join(root, "logs", "kimi-code.log"), " line done\n");
    await watcher.scan();
    await rm(token);
    await watcher.stop();
    const rel = "credentials/kimi-code-env-0123456789abcdef.json";
    const ops = homes.map((h) => `${h.op} ${h.path}`);
    // Only the explicit scans look (the poll is a minute away); one walk is breadth first: the home's own entries before those of its directories.
    assert.deepEqual(ops, ["create link.json", `create ${rel}`, `change ${rel}`, `delete ${rel}`], JSON.stringify(homes, null, 1));
    const blanked = homes[2];
    assert.match(blanked.summary, /^access_token ‹.*…1a2b, 44 chars› → ""$/);
    assert.equal(homes[0].summary, "a symbolic link (not followed)");
    assert.ok(!JSON.stringify(homes).includes(ACCESS) && !JSON.stringify(homes).includes(REFRESH));
    assert.ok(!JSON.stringify(homes).includes("root:"), "the link target was not read");
    assert.deepEqual(lines, [
      ["logs/kimi-code.log", 1, "refresh failed: invalid_grant"],
      ["logs/kimi-code.log", 2, "partial line done"],
    ]);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test("agent-log tail: bounded per run, one closing line says so", async () => {
  const root = await mkdtemp(path.join(tmpdir(), "lanes-tail-"));
  try {
    const got: string[] = [];
    const tail = new AgentLogTail(root, (_f, _n, t) => got.push(t), 3);
    await writeFile(path.join(root, "w.jsonl"), "a\nb\n\nc\nd\ne\n");
    await tail.poke("w.jsonl", 12);
    assert.deepEqual(got, ["a", "b", "c", "(the agent-log lane stops here: 3 lines recorded for this run)"]);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test("filters: each lane can be hidden; a failed hop counts as an error", () => {
  const { run } = recorder();
  run.recordHop({ method: "POST", path: "/api/oauth/token", host: "oauth", status: 400, grantType: "refresh_token" });
  run.recordHome({ op: "create", path: "device_id", summary: "36 bytes" });
  run.recordAgentLog("logs/kimi-code.log", 1, "hello");
  run.recordHop({ method: "GET", path: "/v1/models", host: "model", status: 200 });
  const all = frames(run);
  const kinds = (hidden: typeof EMPTY_FILTER.hiddenLanes) => applyFilter(all, { ...EMPTY_FILTER, hiddenLanes: hidden }).map((f) => f.kind);
  assert.deepEqual(kinds([]), ["http", "home", "agent-log", "http"]);
  assert.deepEqual(kinds(["http"]), ["home", "agent-log"]);
  assert.deepEqual(kinds(["home", "agent-log"]), ["http", "http"]);
  assert.deepEqual(applyFilter(all, { ...EMPTY_FILTER, errorsOnly: true }).map((f) => f.http?.status), [400]);
  assert.equal(isErrorFrame(all[3]), false);
});

test("HTTP URL masking keeps ordinary parameters", () => {
  assert.equal(maskPath("/v1/models?limit=5"), "/v1/models?limit=5");
  assert.match(maskPath("/x?access_token=abcdefghijklmnop&a=1"), /^\/x\?access_token=‹.*, 16 chars›&a=1$/);
});

// ── end to end: real server, real Kimi 2.1.0, Offline demo ───────────────

let server: PlaygroundServer;
before(async () => {
  server = await startServer({ readyTimeoutMs: 120_000 });
});
after(async () => {
  await server?.stop();
});

test("e2e: a Kimi 2.1.0 prompt on Offline demo records http, home and agent-log frames in seq order with the JSON-RPC frames", { timeout: 180_000 }, async () => {
  const client = await WsClient.connect(server);
  try {
    const { runId } = await startRun(client, "kimi-2.1.0", "offline-demo");
    const answerTo = async (method: string, params: unknown): Promise<Frame> => {
      const seen = client.framesOf(runId).length;
      client.send({ type: "request", method, params });
      const req = await client.waitForFrame(`${method} request`, (f) => f.kind === "request" && f.method === method && f.dir === "out", runId);
      return client.waitFor(`${method} answer`, () => client.framesOf(runId).slice(seen).find((f) => f.pairSeq === req.seq && (f.kind === "response" || f.kind === "error")), 60_000);
    };
    const init = await answerTo("initialize", { protocolVersion: 1, clientCapabilities: {} });
    assert.equal(init.kind, "response");
    const session = await answerTo("session/new", { cwd: server.dataDir, mcpServers: [] });
    assert.equal(session.kind, "response", session.raw);
    const sessionId = (JSON.parse(session.raw) as { result: { sessionId: string } }).result.sessionId;
    const prompt = await answerTo("session/prompt", { sessionId, prompt: [{ type: "text", text: "hi" }] });
    assert.equal(prompt.kind, "response", prompt.raw);
    // The lanes are polled: wait for the wire.jsonl line that ends the turn.
    await waitUntil("the turn's end in the agent-log lane", () => client.framesOf(runId).some((f) => f.kind === "agent-log" && f.raw.includes('"turn.ended"')), 10_000);
    const all = client.framesOf(runId);
    for (let i = 1; i < all.length; i++) assert.ok(all[i].seq > all[i - 1].seq, "frames in seq order");
    const hops = all.filter((f) => f.kind === "http");
    const chat = hops.find((f) => f.http?.path === "/v1/chat/completions");
    assert.ok(chat, `an http frame for the model request, got ${JSON.stringify(hops.map((h) => h.http))}`);
    assert.equal(chat.http?.status, 200);
    assert.equal(chat.http?.host, "model");
    assert.equal(chat.runId, runId);
    // The hop sits between the prompt request and its answer, like the agent made it.
    const promptReq = all.find((f) => f.seq === prompt.pairSeq);
    assert.ok(promptReq && promptReq.seq < chat.seq && chat.seq < prompt.seq, "the model hop is inside the prompt turn");
    assert.ok(!chat.raw.includes("offline-demo-key"), "the profile's key is not in the hop");
    const homes = all.filter((f) => f.kind === "home");
    assert.ok(homes.some((f) => f.home?.op === "create" && /agents\/main\/wire\.jsonl$/.test(f.home.path)), `wire.jsonl created, got ${homes.map((f) => `${f.home?.op} ${f.home?.path}`).join(", ")}`);
    assert.ok(homes.some((f) => f.home?.path.endsWith("state.json")), "the session state file is on the home lane");
    assert.ok(!homes.some((f) => f.home?.path.includes(".index-dirty") || f.home?.path.startsWith("cache/")), "noise is skipped");
    const logs = all.filter((f) => f.kind === "agent-log");
    const wire = logs.filter((f) => f.agentLog?.file.endsWith("agents/main/wire.jsonl"));
    assert.ok(wire.length >= 5, `wire.jsonl lines, got ${wire.length}`);
    assert.ok(wire.some((f) => f.raw.includes('"turn.prompt"')));
    assert.ok(!JSON.stringify(all).includes("offline-demo-key"), "no frame carries the profile's key");
    // The run's trace carries the lanes, and an import of it shows them again.
    const trace = await httpGet(server, `/api/runs/${runId}/trace.jsonl`, { "x-acp-playground-token": server.token });
    assert.equal(trace.status, 200);
    const exported = parseTrace(trace.body).frames;
    for (const kind of ["http", "home", "agent-log"]) assert.ok(exported.some((f) => f.kind === kind), `the trace holds ${kind} frames`);
    client.send({ type: "import_trace", text: trace.body, name: "lanes.jsonl" });
    const imported = await client.waitFor("the imported run", (e) => (e.type === "run" && e.run.imported ? e.run : undefined));
    await waitUntil("the imported frames", () => client.framesOf(imported.runId).some((f) => f.kind === "agent-log"));
    const back = client.framesOf(imported.runId);
    assert.deepEqual(back.find((f) => f.kind === "http")?.http, chat.http);
    process.stdout.write(`# e2e lanes: ${all.length} frames: ${hops.length} http, ${homes.length} home, ${logs.length} agent-log (${wire.length} from wire.jsonl)\n`);
  } finally {
    client.send({ type: "kill" });
    await client.close();
  }
});

for (const agent of ["kimi-2.1.0", "kimi-0.28.0"]) test(`e2e: OAuth (emulated) on ${agent}: the home's real login and the prompt's model call are hops of the run, its log lines on the agent-log lane, tokens never shown`, { timeout: 180_000 }, async () => {
  const client = await WsClient.connect(server, { keepRaw: true });
  try {
    const { runId } = await startRun(client, agent, "oauth-emulated");
    const answerTo = async (method: string, params: unknown): Promise<Frame> => {
      const seen = client.framesOf(runId).length;
      client.send({ type: "request", method, params });
      const req = await client.waitForFrame(`${method} request`, (f) => f.kind === "request" && f.method === method && f.dir === "out", runId);
      return client.waitFor(`${method} answer`, () => client.framesOf(runId).slice(seen).find((f) => f.pairSeq === req.seq && (f.kind === "response" || f.kind === "error")), 60_000);
    };
    await answerTo("initialize", { protocolVersion: 1, clientCapabilities: {} });
    const session = await answerTo("session/new", { cwd: server.dataDir, mcpServers: [] });
    assert.equal(session.kind, "response", session.raw);
    const sessionId = (JSON.parse(session.raw) as { result: { sessionId: string } }).result.sessionId;
    const prompt = await answerTo("session/prompt", { sessionId, prompt: [{ type: "text", text: "hi" }] });
    assert.equal(prompt.kind, "response", prompt.raw);
    await waitUntil("the model hop", () => client.framesOf(runId).some((f) => f.kind === "http" && f.http?.path.endsWith("/chat/completions")), 10_000);
    const all = client.framesOf(runId);
    const spawned = all.find((f) => f.kind === "lifecycle" && f.lifecycle?.event === "spawned");
    assert.ok(spawned);
    const hops = all.filter((f) => f.kind === "http");
    const line = (f: Frame): string => `${f.http?.method} ${f.http?.path} ${f.http?.status} ${f.http?.grantType ?? ""}`.trim();
    const login = hops.filter((f) => f.seq < spawned.seq).map(line);
    assert.ok(login.some((l) => l.startsWith("POST /api/oauth/device_authorization 200")), `the login's hops before the spawn: ${login.join(" | ")}`);
    assert.ok(login.some((l) => l.startsWith("POST /api/oauth/token 200") && l.endsWith("device_code")), login.join(" | "));
    const chat = hops.find((f) => f.http?.path.endsWith("/chat/completions"));
    assert.equal(chat?.http?.status, 200);
    // Every token the emulator issued is redacted, in frames and in every message a tab got.
    const tokenHop = hops.find((f) => f.http?.path === "/api/oauth/token" && f.http.status === 200);
    const body = (JSON.parse(tokenHop?.raw ?? "{}") as { response?: { body?: { access_token?: string } } }).response?.body;
    assert.match(body?.access_token ?? "", /^‹/, "the access token is masked in the hop");
    assert.ok(!client.rawMessages.some((m) => /"access_token":"(?!‹)[^"]{12,}/.test(m)), "no unmasked access token reached the tab");
    await waitUntil("the agent's own log lines", () => client.framesOf(runId).some((f) => f.kind === "agent-log" && f.agentLog?.file.startsWith("sessions/")), 10_000);
    const logs = client.framesOf(runId).filter((f) => f.kind === "agent-log");
    process.stdout.write(`# e2e oauth lanes (${agent}): ${logs.length} agent-log lines from ${[...new Set(logs.map((f) => f.agentLog?.file.replace(/session_[\w-]+|wd_[\w-]+|[0-9a-f-]{36}|[0-9a-f]{32}/g, "…")))].join(", ")}\n`);
    process.stdout.write(`# e2e oauth lanes (${agent}): ${hops.length} http frames (${login.length} before the spawn): ${hops.map(line).join(" | ")}\n`);
  } finally {
    client.send({ type: "kill" });
    await client.close();
  }
});

test("e2e: a refused refresh on Kimi 2.1.0 is one timeline: expiry in the home, the 400 refresh hop, the token file blanked to access_token \"\"", { timeout: 180_000 }, async () => {
  const client = await WsClient.connect(server, { keepRaw: true });
  try {
    const { runId } = await startRun(client, "kimi-2.1.0", "oauth-emulated");
    const answerTo = async (method: string, params: unknown): Promise<Frame> => {
      const seen = client.framesOf(runId).length;
      client.send({ type: "request", method, params });
      const req = await client.waitForFrame(`${method} request`, (f) => f.kind === "request" && f.method === method && f.dir === "out", runId);
      return client.waitFor(`${method} answer`, () => client.framesOf(runId).slice(seen).find((f) => f.pairSeq === req.seq && (f.kind === "response" || f.kind === "error")), 90_000);
    };
    await answerTo("initialize", { protocolVersion: 1, clientCapabilities: {} });
    const session = await answerTo("session/new", { cwd: server.dataDir, mcpServers: [] });
    const sessionId = (JSON.parse(session.raw) as { result: { sessionId: string } }).result.sessionId;
    client.send({ type: "oauth_behaviour", behaviour: { refresh: "invalid_grant" } });
    client.send({ type: "oauth_action", action: "expire_access" });
    await waitUntil("the expiry in the home lane", () => client.framesOf(runId).some((f) => f.kind === "home" && f.home?.diff?.some((d) => d.key === "expires_at")), 10_000);
    const prompt = await answerTo("session/prompt", { sessionId, prompt: [{ type: "text", text: "hi" }] });
    await waitUntil("the blanked token in the home lane", () => client.framesOf(runId).some((f) => f.kind === "home" && f.home?.diff?.some((d) => d.key === "access_token" && d.to === '""')), 15_000);
    const all = client.framesOf(runId);
    const refresh = all.find((f) => f.kind === "http" && f.http?.grantType === "refresh_token");
    assert.ok(refresh, "the refresh hop is recorded");
    assert.equal(refresh.http?.status, 400);
    const blanked = all.find((f) => f.kind === "home" && f.home?.diff?.some((d) => d.key === "access_token" && d.to === '""'));
    assert.ok(blanked && refresh.seq < blanked.seq, "the token file is blanked after the refused refresh");
    assert.match(blanked.home?.summary ?? "", /access_token ‹.*, \d+ chars› → ""/);
    assert.ok(!client.rawMessages.some((m) => /"(access|refresh)_token":"(?!‹)[^"]{12,}/.test(m)), "no unmasked token reached the tab");
    process.stdout.write(`# e2e refused refresh: prompt answered ${prompt.kind}; refresh hop #${refresh.seq} ${refresh.http?.status}; blanked #${blanked.seq}: ${blanked.home?.path}: ${blanked.home?.summary}\n`);
  } finally {
    client.send({ type: "oauth_behaviour", behaviour: { refresh: "ok" } });
    client.send({ type: "kill" });
    await client.close();
  }
});
