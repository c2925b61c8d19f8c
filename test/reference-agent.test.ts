/**
 * The reference agent (agents/reference/) in each auth behaviour, driven by the SDK's own v1 and
 * v2 client APIs over stdio: it is the playground's ground truth for mechanisms no real agent
 * implements yet, so each one is checked end to end here, on both protocol versions.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable, Writable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { client as clientV1, ndJsonStream as ndV1, RequestError } from "@agentclientprotocol/sdk/unstable";
import { client as clientV2, ndJsonStream as ndV2 } from "@agentclientprotocol/sdk/experimental/v2/unstable";
import { builtinEntries, REFERENCE_AGENT, REFERENCE_BEHAVIOURS } from "../server/catalog";
import { OAuthEmulator } from "../server/oauth-emulator";
import { bundledNode } from "../server/runtime";

const NODE = bundledNode().path;
let home: string;
const children: ChildProcess[] = [];

before(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), "ref-agent-"));
});
after(async () => {
  for (const c of children) c.kill("SIGKILL");
  await rm(home, { recursive: true, force: true });
});

function start(behaviour: string, env: Record<string, string> = {}): ChildProcess {
  const child = spawn(NODE, [REFERENCE_AGENT, "--auth", behaviour], { env: { ...process.env, REFERENCE_AGENT_API_KEY: "", KIMI_CODE_OAUTH_HOST: "", HOME: home, ...env }, stdio: ["pipe", "pipe", "inherit"] });
  children.push(child);
  return child;
}

function streams(child: ChildProcess): [WritableStream<Uint8Array>, ReadableStream<Uint8Array>] {
  return [Writable.toWeb(child.stdin!) as WritableStream<Uint8Array>, Readable.toWeb(child.stdout!) as ReadableStream<Uint8Array>];
}

interface Seen {
  notifications: { method: string; params: unknown }[];
  elicitations: Record<string, unknown>[];
}

function v1(behaviour: string, env: Record<string, string> = {}, onElicit?: (p: Record<string, unknown>) => unknown) {
  const seen: Seen = { notifications: [], elicitations: [] };
  const app = clientV1({ name: "reference-test" })
    .onNotification("*", ({ method, params }) => {
      seen.notifications.push({ method, params });
    })
    .onRequest("*", ({ method, params }) => {
      if (method !== "elicitation/create") throw RequestError.methodNotFound(method);
      seen.elicitations.push(params as Record<string, unknown>);
      return onElicit?.(params as Record<string, unknown>) ?? { action: "cancel" };
    });
  const connection = app.connect(ndV1(...streams(start(behaviour, env))));
  return { agent: connection.agent, seen, close: () => connection.close() };
}

async function code(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 0;
  } catch (error) {
    return (error as RequestError).code;
  }
}

describe("the reference agent", { concurrency: 4 }, () => {
test("catalog: one fixed built-in entry per behaviour, under the bundled Node", () => {
  const entries = builtinEntries().filter((e) => e.command === REFERENCE_AGENT);
  assert.deepEqual(
    entries.map((e) => [e.id, e.args.join(" "), e.runtime]),
    REFERENCE_BEHAVIOURS.map((b) => [b.id, `--auth ${b.behaviour}`, "node22"]),
  );
  assert.equal(entries.find((e) => e.id === "reference-url")?.oauthLab, true);
});

test("v1 agent method: session/new is -32000 until authenticate, then a prompt echoes; logout gates again", async () => {
  const { agent, seen, close } = v1("agent");
  const init = await agent.request("initialize", { protocolVersion: 1, clientCapabilities: {} });
  assert.equal(init.protocolVersion, 1);
  assert.deepEqual(init.authMethods?.map((m) => ("id" in m ? m.id : "")), ["reference-login"]);
  assert.deepEqual(init.agentCapabilities?.auth?.logout, {});
  assert.equal(await code(agent.request("session/new", { cwd: home, mcpServers: [] })), -32000);
  assert.deepEqual(await agent.request("authenticate", { methodId: "reference-login" }), {});
  const { sessionId } = await agent.request("session/new", { cwd: home, mcpServers: [] });
  const answer = await agent.request("session/prompt", { sessionId, prompt: [{ type: "text", text: "hello there" }] });
  assert.equal(answer.stopReason, "end_turn");
  const chunk = seen.notifications.find((n) => n.method === "session/update") as { params: { update: { content: { text: string } } } };
  assert.equal(chunk.params.update.content.text, "echo: hello there");
  await agent.request("logout", {});
  assert.equal(await code(agent.request("session/new", { cwd: home, mcpServers: [] })), -32000);
  close();
});

test("v1 terminal method: advertised only with auth.terminal; authenticate refuses it; the --login program signs the next process in", async () => {
  const plain = v1("terminal");
  assert.deepEqual((await plain.agent.request("initialize", { protocolVersion: 1, clientCapabilities: {} })).authMethods, []);
  plain.close();
  const { agent, close } = v1("terminal");
  const init = await agent.request("initialize", { protocolVersion: 1, clientCapabilities: { auth: { terminal: true } } });
  assert.deepEqual(init.authMethods, [{ type: "terminal", id: "reference-terminal-login", name: "Sign in in a terminal", description: "Runs this agent with --login: it asks your name.", args: ["--login"] }]);
  assert.equal(await code(agent.request("authenticate", { methodId: "reference-terminal-login" })), -32602);
  assert.equal(await code(agent.request("session/new", { cwd: home, mcpServers: [] })), -32000);
  close();
  // The spec's terminal flow: the same program with the method's args appended, in a terminal.
  const login = spawn(NODE, [REFERENCE_AGENT, "--auth", "terminal", "--login"], { env: { ...process.env, HOME: home }, stdio: ["pipe", "pipe", "inherit"] });
  let out = "";
  login.stdout.on("data", (d: Buffer) => {
    out += d.toString();
    if (out.includes("Your name:")) login.stdin.end("alice\n");
  });
  const exitCode = await new Promise<number | null>((resolve) => login.on("exit", resolve));
  assert.equal(exitCode, 0);
  assert.match(out, /Signed in as alice/);
  const again = v1("terminal");
  await again.agent.request("initialize", { protocolVersion: 1, clientCapabilities: { auth: { terminal: true } } });
  assert.match((await again.agent.request("session/new", { cwd: home, mcpServers: [] })).sessionId, /^reference-session-/);
  await again.agent.request("logout", {});
  again.close();
});

test("v1 env_var method: authenticate succeeds only with the variable in the agent's env", async () => {
  const without = v1("env_var");
  const init = await without.agent.request("initialize", { protocolVersion: 1, clientCapabilities: {} });
  assert.deepEqual((init.authMethods?.[0] as unknown as { type: string; vars: { name: string }[] }).vars.map((v) => v.name), ["REFERENCE_AGENT_API_KEY"]);
  assert.equal(await code(without.agent.request("authenticate", { methodId: "reference-api-key" })), -32000);
  without.close();
  const withKey = v1("env_var", { REFERENCE_AGENT_API_KEY: "rk-test" });
  await withKey.agent.request("initialize", { protocolVersion: 1, clientCapabilities: {} });
  assert.deepEqual(await withKey.agent.request("authenticate", { methodId: "reference-api-key" }), {});
  assert.ok((await withKey.agent.request("session/new", { cwd: home, mcpServers: [] })).sessionId);
  withKey.close();
});

test("v1 status: auth/status answers without -32000 or side effects; auth/status_update on each change only", async () => {
  const { agent, seen, close } = v1("status");
  const init = await agent.request("initialize", { protocolVersion: 1, clientCapabilities: {} });
  assert.deepEqual(init.agentCapabilities?.auth?.status, {});
  assert.equal((await agent.request("auth/status", {})).state, "unauthenticated");
  assert.equal((await agent.request("auth/status", {})).state, "unauthenticated");
  assert.equal(seen.notifications.length, 0);
  await agent.request("authenticate", { methodId: "reference-login" });
  const status = await agent.request("auth/status", {});
  assert.equal(status.state, "authenticated");
  assert.equal(status.accounts?.[0].active, true);
  await agent.request("logout", {});
  assert.deepEqual(
    seen.notifications.filter((n) => n.method === "auth/status_update").map((n) => (n.params as { state: string }).state),
    ["authenticated", "unauthenticated"],
  );
  close();
});

test("v1 providers: list, set (headers kept, not echoed), disable", async () => {
  const { agent, close } = v1("providers");
  const init = await agent.request("initialize", { protocolVersion: 1, clientCapabilities: {} });
  assert.deepEqual(init.agentCapabilities?.providers, {});
  const listed = await agent.request("providers/list", {});
  assert.equal(listed.providers[0].providerId, "reference-llm");
  await agent.request("providers/set", { providerId: "reference-llm", apiType: "anthropic", baseUrl: "http://127.0.0.1:9/v1", headers: { authorization: "Bearer secret-header" } });
  const after = await agent.request("providers/list", {});
  assert.deepEqual(after.providers[0].current, { apiType: "anthropic", baseUrl: "http://127.0.0.1:9/v1" });
  assert.doesNotMatch(JSON.stringify(after), /secret-header/);
  await agent.request("providers/disable", { providerId: "reference-llm" });
  assert.equal((await agent.request("providers/list", {})).providers[0].current, null);
  assert.equal(await code(agent.request("auth/status", {})), -32601);
  close();
});

test("v1 URL elicitation: elicitation/create (url, scoped to the authenticate request) before any session, elicitation/complete after the emulated sign-in", async () => {
  const oauth = new OAuthEmulator({ port: 0, behaviour: { approval: "approve" } });
  await oauth.start();
  try {
    const noCap = v1("url", { KIMI_CODE_OAUTH_HOST: oauth.oauthHost("ref") });
    assert.deepEqual((await noCap.agent.request("initialize", { protocolVersion: 1, clientCapabilities: {} })).authMethods, []);
    noCap.close();
    const { agent, seen, close } = v1("url", { KIMI_CODE_OAUTH_HOST: oauth.oauthHost("ref") }, () => ({ action: "accept" }));
    const init = await agent.request("initialize", { protocolVersion: 1, clientCapabilities: { elicitation: { url: {} } } });
    assert.equal(init.authMethods?.[0] && "id" in init.authMethods[0] ? init.authMethods[0].id : "", "reference-oauth");
    assert.deepEqual(await agent.request("authenticate", { methodId: "reference-oauth" }), {});
    const [elicit] = seen.elicitations;
    assert.equal(elicit.mode, "url");
    assert.equal(elicit.requestId, 1);
    assert.match(String(elicit.url), /\/oauth\/device\?user_code=/);
    assert.equal(elicit.sessionId, undefined);
    const complete = seen.notifications.find((n) => n.method === "elicitation/complete");
    assert.deepEqual(complete?.params, { elicitationId: elicit.elicitationId });
    assert.ok((await agent.request("session/new", { cwd: home, mcpServers: [] })).sessionId);
    close();
  } finally {
    await oauth.close();
  }
});

test("v2: the same program answers v2 shapes; auth/login, auth/logout, auth/status and a state-update turn", async () => {
  const updates: { update: { sessionUpdate: string; state?: string; content?: { text: string } } }[] = [];
  const app = clientV2({ name: "reference-test" }).onNotification("*", ({ method, params }) => {
    if (method === "session/update") updates.push(params as (typeof updates)[number]);
  });
  const connection = app.connect(ndV2(...streams(start("status"))));
  const agent = connection.agent;
  const init = await agent.request("initialize", { protocolVersion: 2, info: { name: "reference-test", version: "1" }, capabilities: {} });
  assert.equal(init.protocolVersion, 2);
  assert.equal(init.info.name, "acp-reference-agent");
  assert.deepEqual(init.capabilities?.auth?.status, {});
  assert.deepEqual(init.authMethods?.map((m) => [m.type, m.methodId]), [["agent", "reference-login"]]);
  assert.equal(await code(agent.request("session/new", { cwd: home })), -32000);
  assert.equal((await agent.request("auth/status", {})).state, "unauthenticated");
  await agent.request("auth/login", { methodId: "reference-login" });
  const { sessionId } = await agent.request("session/new", { cwd: home });
  const { messageId } = await agent.request("session/prompt", { sessionId, prompt: [{ type: "text", text: "v2 hi" }] });
  assert.ok(messageId);
  for (let i = 0; i < 50 && !updates.some((u) => u.update.state === "idle"); i++) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(
    updates.map((u) => u.update.sessionUpdate + (u.update.state ? `:${u.update.state}` : "")),
    ["state_update:running", "agent_message_chunk", "state_update:idle"],
  );
  assert.equal(updates[1].update.content?.text, "echo: v2 hi");
  await agent.request("auth/logout", {});
  assert.equal((await agent.request("auth/status", {})).state, "unauthenticated");
  connection.close();
});
});
