/**
 * Issue 15 §1, v1 parts: elicitation's restricted schema read into a form and answers checked
 * against it (lib/elicitation.ts); the relay serving elicitation/create with the user's answer
 * (not -32601) only when the client advertised it; the capability in initialize only with the
 * toggle; providers/set header values redacted in every frame, stderr line, export and log; and
 * every run's BROWSER / xdg-open handing the URL to the run instead of opening anything.
 */
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { authEvents, authStateOf } from "../lib/auth-timeline";
import { checkContent, contentFromInputs, elicitationsOf, formOf, initialValues, parseElicitation, urlOf } from "../lib/elicitation";
import { REDACTED } from "../lib/redact";
import { clientCapabilities, initializeParams } from "../lib/templates";
import type { ClientCaps, Frame } from "../lib/wire";
import { fixtureAgent, httpGet, type PlaygroundServer, ROOT, startRun, startServer, WsClient } from "./fixtures/server";

const SCHEMA = {
  type: "object",
  properties: {
    name: { type: "string", title: "Display name", minLength: 2 },
    email: { type: "string", format: "email" },
    plan: { type: "string", oneOf: [{ const: "free", title: "Free" }, { const: "pro", title: "Pro" }] },
    region: { type: "string", enum: ["eu", "us"] },
    seats: { type: "integer", minimum: 1, maximum: 50, default: 5 },
    ratio: { type: "number", maximum: 1 },
    newsletter: { type: "boolean", default: true },
    tags: { type: "array", items: { type: "string", enum: ["a", "b"] }, maxItems: 1 },
    when: { type: "string", format: "date" },
    code: { type: "string", pattern: "^[A-Z]{3}$" },
    avatar: { type: "_image" },
  },
  required: ["name", "email", "plan"],
};

test("schema → form: every restricted property type becomes its field, unknown types stay flagged", () => {
  const form = formOf(SCHEMA);
  const kinds = Object.fromEntries(form.fields.map((f) => [f.name, f.kind]));
  assert.deepEqual(kinds, { name: "string", email: "string", plan: "enum", region: "enum", seats: "integer", ratio: "number", newsletter: "boolean", tags: "multi", when: "string", code: "string", avatar: "unknown" });
  const plan = form.fields.find((f) => f.name === "plan");
  assert.ok(plan?.kind === "enum" && plan.required);
  assert.deepEqual(plan.options, [{ value: "free", title: "Free" }, { value: "pro", title: "Pro" }]);
  const email = form.fields.find((f) => f.name === "email");
  assert.ok(email?.kind === "string" && email.format === "email" && email.required);
  assert.equal(form.fields.find((f) => f.name === "name")?.title, "Display name");
  assert.deepEqual(initialValues(form), { name: "", email: "", plan: "", region: "", seats: "5", ratio: "", newsletter: true, tags: [], when: "", code: "" });
});

test("answers are checked against the schema: required, formats, bounds, choices, unknown keys; numbers parsed from inputs", () => {
  const form = formOf(SCHEMA);
  const good = contentFromInputs(form, { ...initialValues(form), name: "Ada", email: "ada@example.test", plan: "pro", seats: "7", when: "2026-02-28", code: "ABC" });
  const ok = checkContent(form, good);
  assert.ok(ok.ok, JSON.stringify(ok));
  assert.deepEqual(ok.content, { name: "Ada", email: "ada@example.test", plan: "pro", seats: 7, newsletter: true, when: "2026-02-28", code: "ABC" });
  const bad = checkContent(form, { name: "A", email: "nope", plan: "gold", seats: 7.5, ratio: 2, tags: ["a", "b"], when: "2026-02-30", code: "abc", extra: 1 });
  assert.ok(!bad.ok);
  assert.deepEqual(Object.keys(bad.problems).sort(), ["code", "email", "extra", "name", "plan", "ratio", "seats", "tags", "when"]);
  assert.match(bad.problems.seats, /whole number/);
  // The relay does not run an agent's regular expression.
  const relay = checkContent(form, { name: "Ada", email: "ada@example.test", plan: "free", code: "abc" }, { checkPattern: false });
  assert.ok(relay.ok);
  const empty = checkContent(form, {});
  assert.ok(!empty.ok);
  assert.deepEqual(Object.keys(empty.problems).sort(), ["email", "name", "plan"]);
  // A required property of an unknown type cannot be answered with accept.
  const needsAvatar = formOf({ ...SCHEMA, required: ["avatar"] });
  const r = checkContent(needsAvatar, {});
  assert.ok(!r.ok && /cannot fill in/.test(r.problems.avatar));
});

test("URL mode shows the real host and offers only http(s); unknown modes are not read as known ones", () => {
  assert.deepEqual(urlOf("https://login.example.test/device?x=1"), { url: "https://login.example.test/device?x=1", host: "login.example.test", openable: true });
  assert.equal(urlOf("javascript:alert(1)").openable, false);
  assert.equal(urlOf("file:///etc/passwd").openable, false);
  const tricky = urlOf("https://bank.example@evil.test/login");
  assert.equal(tricky.host, "evil.test");
  assert.match(tricky.problem ?? "", /really goes to evil\.test/);
  const u = parseElicitation({ mode: "url", elicitationId: "e1", url: "https://x.test", message: "go", requestId: 4 });
  assert.ok(u.mode === "url" && u.scope.requestId === 4 && u.elicitationId === "e1");
  const unknown = parseElicitation({ mode: "_wizard", message: "?", sessionId: "s" });
  assert.ok(unknown.mode === "unknown" && unknown.rawMode === "_wizard" && /implementation-specific/.test(unknown.problem));
  assert.equal(authStateOf("_revoked").state, "unknown");
  assert.equal(authStateOf("not_required").state, "not_required");
});

test("clientCapabilities.elicitation is advertised only when the toggle is on", () => {
  const caps: ClientCaps = { fsRead: false, fsWrite: false, terminal: false, authTerminal: true, legacyTerminalAuth: false };
  assert.equal("elicitation" in clientCapabilities(caps), false);
  assert.equal("elicitation" in clientCapabilities({ ...caps, elicitation: false }), false);
  assert.deepEqual(clientCapabilities({ ...caps, elicitation: true }).elicitation, { form: {}, url: {} });
  assert.deepEqual((initializeParams({ ...caps, elicitation: true }).clientCapabilities as Record<string, unknown>).elicitation, { form: {}, url: {} });
});

// ── a real relay ──────────────────────────────────────────────────────────
describe("a real relay", () => {

  const PROVIDER_SECRET = "Bearer sk-provider-9f3a-77c1-secret";
  let server: PlaygroundServer;
  let fakeBin: string;
  const marker = path.join(os.tmpdir(), `acp-real-xdg-open-ran-${process.pid}`);

  before(async () => {
    // A "real" xdg-open early on the server's PATH: if an agent's xdg-open reached it, the marker would appear.
    fakeBin = mkdtempSync(path.join(os.tmpdir(), "acp-fake-xdg-"));
    for (const name of ["xdg-open", "sensible-browser"]) {
      writeFileSync(path.join(fakeBin, name), `#!/bin/sh\ntouch ${marker}\n`);
      chmodSync(path.join(fakeBin, name), 0o755);
    }
    server = await startServer({
      agents: [fixtureAgent("elicit", "elicit-agent.mjs"), fixtureAgent("elicit-browser-env", "elicit-agent.mjs", { args: [path.join(ROOT, "test", "fixtures", "elicit-agent.mjs"), "--browser-env"] })],
      env: { PATH: `${fakeBin}:${path.join(ROOT, "node_modules", ".bin")}:${process.env.PATH ?? ""}` },
    });
  });
  after(async () => {
    await server?.stop();
    rmSync(fakeBin, { recursive: true, force: true });
    rmSync(marker, { force: true });
  });

  const initialize = (client: WsClient, runId: string, elicitation: boolean): Promise<Frame> => {
    client.send({ type: "request", method: "initialize", params: initializeParams({ fsRead: false, fsWrite: false, terminal: false, authTerminal: false, legacyTerminalAuth: false, elicitation }) });
    return client.waitForFrame("initialize answer", (f) => f.dir === "in" && f.method === "initialize" && f.kind === "response", runId);
  };

  async function sessionWith(client: WsClient, runId: string): Promise<string> {
    client.send({ type: "request", method: "session/new", params: { cwd: process.cwd(), mcpServers: [] } });
    const answer = await client.waitForFrame("session/new answer", (f) => f.dir === "in" && f.method === "session/new" && f.kind === "response", runId);
    return (JSON.parse(answer.raw) as { result: { sessionId: string } }).result.sessionId;
  }

  test("the relay answers elicitation/create -32601 without the capability, and with it waits for the user and writes the checked answer", { timeout: 60_000 }, async () => {
    const client = await WsClient.connect(server);
    try {
      let { runId } = await startRun(client, "elicit");
      await initialize(client, runId, false);
      let sessionId = await sessionWith(client, runId);
      client.send({ type: "request", method: "session/prompt", params: { sessionId, prompt: [{ type: "text", text: "form please" }] } });
      const refused = await client.waitForFrame("the relay's refusal", (f) => f.dir === "out" && f.kind === "error" && f.method === "elicitation/create", runId);
      assert.equal(refused.errorCode, -32601);
      assert.match(refused.raw, /elicitation\.form/);

      ({ runId } = await startRun(client, "elicit"));
      await initialize(client, runId, true);
      sessionId = await sessionWith(client, runId);
      client.send({ type: "request", method: "session/prompt", params: { sessionId, prompt: [{ type: "text", text: "form please" }] } });
      const request = await client.waitForFrame("the form elicitation", (f) => f.dir === "in" && f.kind === "request" && f.method === "elicitation/create", runId);
      assert.ok(request.id);
      // An answer that does not fit the schema is refused by the relay and the request stays open.
      client.send({ type: "elicitation_answer", id: request.id, action: "accept", content: { name: "A", email: "not-an-email", plan: "pro" } });
      const notice = await client.waitFor("the refusal notice", (e) => (e.type === "notice" && /does not fit the form/.test(e.message) ? e : undefined));
      assert.match(notice.message, /email must be an email address/);
      assert.equal(client.framesOf(runId).filter((f) => f.dir === "out" && f.method === "elicitation/create").length, 0, "nothing was written for the refused answer");
      client.send({ type: "elicitation_answer", id: request.id, action: "accept", content: { name: "Ada", email: "ada@example.test", plan: "pro", seats: 3 } });
      const answer = await client.waitForFrame("the written answer", (f) => f.dir === "out" && f.method === "elicitation/create" && (f.kind === "response" || f.kind === "error"), runId);
      assert.equal(answer.kind, "response");
      assert.deepEqual(JSON.parse(answer.raw).result, { action: "accept", content: { name: "Ada", email: "ada@example.test", plan: "pro", seats: 3 } });
      await client.waitForFrame("the agent's echo", (f) => f.method === "session/update" && f.raw.includes("elicitation answer") && f.raw.includes("Ada"), runId);
      const items = elicitationsOf(client.framesOf(runId));
      assert.equal(items.length, 1);
      assert.equal(items[0].state, "accepted");

      // A request-scoped URL sign-in: accepted by the user, closed by elicitation/complete, on the auth timeline.
      client.send({ type: "request", method: "authenticate", params: { methodId: "browser" } });
      const url = await client.waitForFrame("the URL elicitation", (f) => f.dir === "in" && f.kind === "request" && f.method === "elicitation/create" && f.raw.includes('"url"'), runId);
      client.send({ type: "elicitation_answer", id: url.id ?? "", action: "accept" });
      await client.waitForFrame("elicitation/complete", (f) => f.method === "elicitation/complete", runId);
      await client.waitForFrame("authenticate's answer", (f) => f.dir === "in" && f.method === "authenticate" && f.kind === "response", runId);
      const frames = client.framesOf(runId);
      const events = authEvents(frames);
      const signIn = events.find((e) => e.kind === "url");
      assert.ok(signIn?.kind === "url" && signIn.item.state === "completed" && signIn.item.action === "accept");
      const update = events.find((e) => e.kind === "status" && e.source === "auth/status_update");
      assert.ok(update?.kind === "status" && update.state === "authenticated" && update.accounts[0].label === "Example Pro");
    } finally {
      await client.close();
    }
  });

  test("providers/set header values are secrets: redacted in every frame, the agent's stderr, the exports and the server log", { timeout: 60_000 }, async () => {
    const client = await WsClient.connect(server, { keepRaw: true });
    try {
      const { runId } = await startRun(client, "elicit");
      await initialize(client, runId, false);
      client.send({ type: "providers_set", providerId: "main", apiType: "openai", baseUrl: "https://llm.example.test/v1", headers: { Authorization: PROVIDER_SECRET, "X-Team": "team-4821" } });
      const sent = await client.waitForFrame("providers/set", (f) => f.dir === "out" && f.method === "providers/set" && f.kind === "request", runId);
      assert.deepEqual(JSON.parse(sent.raw).params.headers, { Authorization: REDACTED, "X-Team": REDACTED });
      const stderr = await client.waitForFrame("the agent's stderr line", (f) => f.kind === "stderr" && f.raw.includes("providers/set main"), runId);
      assert.ok(stderr.raw.includes(`Authorization=${REDACTED}`), stderr.raw);
      await client.waitForFrame("its answer", (f) => f.dir === "in" && f.method === "providers/set" && f.kind === "response", runId);
      // Too short to redact: refused, nothing sent.
      client.send({ type: "providers_set", providerId: "main", apiType: "openai", baseUrl: "https://x.test", headers: { "X-Short": "abc" } });
      await client.waitFor("the refusal", (e) => (e.type === "notice" && /under 4 characters/.test(e.message) ? e : undefined));
      const headers = { "x-acp-playground-token": server.token };
      const trace = await httpGet(server, `/api/runs/${runId}/trace.jsonl`, headers);
      const report = await httpGet(server, `/api/runs/${runId}/report.md`, headers);
      assert.equal(trace.status, 200);
      for (const [where, text] of [
        ["socket", client.rawMessages.join("\n")],
        ["trace export", trace.body],
        ["report export", report.body],
        ["server log", server.output()],
      ] as const) {
        assert.ok(!text.includes("sk-provider-9f3a-77c1-secret"), `${where} holds the header value`);
        assert.ok(!text.includes("team-4821"), `${where} holds the X-Team value`);
      }
      assert.ok(trace.body.includes("providers/set"));
    } finally {
      await client.close();
    }
  });

  test("the reference agent's URL sign-in against the OAuth lab emulator, and its auth/status, through the relay", { timeout: 60_000 }, async () => {
    const client = await WsClient.connect(server);
    try {
      client.send({ type: "oauth_behaviour", behaviour: { approval: "approve" } });
      let { runId } = await startRun(client, "reference-url");
      await initialize(client, runId, true);
      client.send({ type: "request", method: "authenticate", params: { methodId: "reference-oauth" } });
      const url = await client.waitForFrame("the URL elicitation", (f) => f.dir === "in" && f.kind === "request" && f.method === "elicitation/create", runId);
      client.send({ type: "elicitation_answer", id: url.id ?? "", action: "accept" });
      const signedIn = await client.waitForFrame("authenticate's answer", (f) => f.dir === "in" && f.method === "authenticate" && f.kind !== "request", runId, 30_000);
      assert.equal(signedIn.kind, "response", signedIn.raw);
      const signIn = authEvents(client.framesOf(runId)).find((e) => e.kind === "url");
      assert.ok(signIn?.kind === "url" && signIn.item.state === "completed" && signIn.beforeSession && signIn.item.request.mode === "url" && signIn.item.request.url.openable);

      ({ runId } = await startRun(client, "reference-status"));
      await initialize(client, runId, false);
      client.send({ type: "request", method: "auth/status", params: {} });
      await client.waitForFrame("auth/status answer", (f) => f.dir === "in" && f.method === "auth/status" && f.kind === "response", runId);
      client.send({ type: "request", method: "authenticate", params: { methodId: "reference-login" } });
      await client.waitForFrame("auth/status_update", (f) => f.method === "auth/status_update", runId);
      const states = authEvents(client.framesOf(runId)).flatMap((e) => (e.kind === "status" ? [`${e.source}:${e.state}`] : []));
      assert.ok(states.includes("auth/status_update:authenticated"), states.join());
    } finally {
      client.send({ type: "oauth_behaviour", behaviour: { approval: "manual" } });
      await client.close();
    }
  });

  test("every run's xdg-open and BROWSER hand the URL to the run: a card on the auth timeline, nothing opened on the server", { timeout: 60_000 }, async () => {
    const client = await WsClient.connect(server);
    try {
      for (const agent of ["elicit", "elicit-browser-env"]) {
        const { runId } = await startRun(client, agent);
        await initialize(client, runId, false);
        client.send({ type: "request", method: "authenticate", params: { methodId: "xdg" } });
        const answer = await client.waitForFrame("authenticate's answer", (f) => f.dir === "in" && f.method === "authenticate" && (f.kind === "response" || f.kind === "error"), runId);
        assert.equal(answer.kind, "response", answer.raw);
        const open = client.framesOf(runId).find((f) => f.kind === "lifecycle" && f.lifecycle?.event === "browser_open");
        assert.ok(open, "a browser_open frame on the run");
        assert.deepEqual(open.lifecycle?.argv, [agent === "elicit" ? "xdg-open" : "browser", "https://login.example.test/device?user_code=WXYZ-1234"]);
        const card = authEvents(client.framesOf(runId)).find((e) => e.kind === "browser");
        assert.ok(card?.kind === "browser" && card.url.openable && card.url.host === "login.example.test");
      }
      assert.equal(existsSync(marker), false, "the xdg-open further down PATH never ran");
    } finally {
      await client.close();
    }
  });
});
