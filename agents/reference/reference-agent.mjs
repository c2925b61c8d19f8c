#!/usr/bin/env node
/**
 * The playground's reference ACP agent: one small program, built only on the SDK's v1 and v2 agent
 * APIs, that shows each auth mechanism of the protocol working as the spec words it, because no
 * real agent implements most of them yet. It answers v1 or v2 as the client's `initialize` asks
 * (the SDK's protocol router), and its auth behaviour is chosen per run on the command line:
 *
 *   --auth none        no auth methods; sessions work at once
 *   --auth agent       an agent method: authenticate (v1) / auth/login (v2) succeeds; session/new is -32000 before
 *   --auth terminal    a terminal method (`--login` appended), advertised only when the client enabled auth.terminal
 *   --auth env_var     an env_var method: succeeds when REFERENCE_AGENT_API_KEY is in the agent's env
 *   --auth status      an agent method plus agentCapabilities.auth.status: auth/status, auth/status_update on change
 *   --auth url         an agent method that signs in against the OAuth lab's emulator through a URL elicitation
 *   --auth providers   no auth; agentCapabilities.providers with providers/list, set, disable
 *   --login            the terminal method's login program: asks a name, records the sign-in in $HOME, exits 0
 *
 * Every prompt turn echoes the prompt's text. State that must outlive a process (the terminal
 * login) lives in $HOME/.acp-reference-agent/; the relay gives each run its own HOME.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { Readable, Writable } from "node:stream";
import { agent as agentV1, methods as v1, RequestError } from "@agentclientprotocol/sdk/unstable";
import { agent as agentV2, agentProtocolRouter, methods as v2, ndJsonStream } from "@agentclientprotocol/sdk/experimental/v2/unstable";

export const BEHAVIOURS = ["none", "agent", "terminal", "env_var", "status", "url", "providers"];
export const NAME = "acp-reference-agent";
export const VERSION = "1.0.0";
export const API_KEY_VAR = "REFERENCE_AGENT_API_KEY";
/** The emulator only serves Kimi's public OAuth client id (server/oauth-emulator.ts). */
const OAUTH_CLIENT_ID = "17e5f671-d194-4dfb-9706-5516cb48c098";
const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

function flag(name) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const stateDir = path.join(process.env.HOME || os.homedir(), ".acp-reference-agent");
const loginFile = path.join(stateDir, "terminal-login.json");

// ── the terminal method's login program ─────────────────────────────────────

async function loginProgram() {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  const answer = await new Promise((resolve) => {
    rl.question("Reference agent sign-in. Your name: ", resolve);
    rl.once("close", () => resolve(undefined));
  });
  rl.close();
  if (answer === undefined) {
    process.stdout.write("\nNo answer: not signed in.\n");
    process.exit(1);
  }
  const label = answer.trim() || "reference-user";
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(loginFile, JSON.stringify({ label, at: new Date().toISOString() }));
  process.stdout.write(`Signed in as ${label}.\n`);
  process.exit(0);
}

// ── the agent ───────────────────────────────────────────────────────────────

const behaviour = flag("--auth") ?? "none";
if (!process.argv.includes("--login") && !BEHAVIOURS.includes(behaviour)) {
  process.stderr.write(`reference agent: --auth must be one of ${BEHAVIOURS.join(", ")}\n`);
  process.exit(2);
}

/** Connection state (one process serves one connection). */
const state = {
  version: 1,
  authenticated: behaviour === "none" || behaviour === "providers",
  account: undefined,
  clientTerminal: false,
  clientUrlElicitation: false,
  lastStatus: undefined,
  sessions: new Map(),
  providers: new Map([["reference-llm", { providerId: "reference-llm", supported: ["openai", "anthropic"], required: true, current: { apiType: "openai", baseUrl: "https://llm.invalid/v1" } }]]),
};
let sessionCounter = 0;
let messageCounter = 0;

function terminalSignedIn() {
  try {
    return JSON.parse(readFileSync(loginFile, "utf8")).label ?? "reference-user";
  } catch {
    return undefined;
  }
}

if (behaviour === "terminal") {
  const label = terminalSignedIn();
  if (label) {
    state.authenticated = true;
    state.account = label;
  }
}

/** The advertised methods, in v1 (`id`) or v2 (`methodId`, `type` required) shape. */
function authMethods() {
  const list = [];
  switch (behaviour) {
    case "agent":
    case "status":
      list.push({ type: "agent", id: "reference-login", name: "Sign in (reference agent)", description: "authenticate succeeds at once; session/new is auth_required before it." });
      break;
    case "terminal":
      // The spec: advertise a terminal method only when the client enabled its terminal auth capability.
      if (state.clientTerminal) list.push({ type: "terminal", id: "reference-terminal-login", name: "Sign in in a terminal", description: "Runs this agent with --login: it asks your name.", args: ["--login"] });
      break;
    case "env_var":
      list.push({ type: "env_var", id: "reference-api-key", name: "API key from the environment", description: `Reads ${API_KEY_VAR} from the agent's environment.`, vars: [{ name: API_KEY_VAR, label: "Reference API key" }] });
      break;
    case "url":
      if (state.clientUrlElicitation) list.push({ type: "agent", id: "reference-oauth", name: "Sign in with the OAuth lab (browser)", description: "Opens the OAuth lab's sign-in page through a URL elicitation." });
      break;
  }
  if (state.version === 2) {
    return list.map(({ id, type, env, ...rest }) => ({ type, methodId: id, ...rest, ...(env ? { env: Object.entries(env).map(([name, value]) => ({ name, value })) } : {}) }));
  }
  // v1: an agent method carries no `type`.
  return list.map(({ type, ...rest }) => (type === "agent" ? rest : { type, ...rest }));
}

function statusNow() {
  if (behaviour === "none" || behaviour === "providers") return { state: "not_required" };
  if (!state.authenticated) return { state: "unauthenticated" };
  return { state: "authenticated", accounts: [{ label: state.account ?? "reference-user", active: true, email: "reference@example.invalid" }] };
}

/** auth/status_update, only when the agent advertises auth.status and the status really changed. */
async function statusChanged(client) {
  if (behaviour !== "status") return;
  const now = statusNow();
  const key = JSON.stringify(now);
  if (key === state.lastStatus) return;
  state.lastStatus = key;
  await client.notify(v1.client.auth.statusUpdate, now);
}

async function login(methodId, client, requestId) {
  const known = authMethods().map((m) => m.id ?? m.methodId);
  if (!known.includes(methodId)) throw RequestError.invalidParams({ methodId }, `unknown auth method "${methodId}"`);
  if (behaviour === "terminal") {
    // A terminal method is run by the client as a program; it is never passed to authenticate.
    throw RequestError.invalidParams({ methodId }, "a terminal method is not passed to authenticate: run the agent with its args in a terminal");
  }
  if (behaviour === "env_var") {
    if (!process.env[API_KEY_VAR]) throw RequestError.authRequired({ missing: API_KEY_VAR }, `${API_KEY_VAR} is not set in the agent's environment`);
    state.account = "api-key";
  }
  if (behaviour === "url") state.account = await urlSignIn(client, requestId);
  state.authenticated = true;
  state.account ??= "reference-user";
  await statusChanged(client);
  return {};
}

async function logout(client) {
  state.authenticated = behaviour === "none" || behaviour === "providers";
  state.account = undefined;
  if (behaviour === "terminal") rmSync(loginFile, { force: true });
  await statusChanged(client);
  return {};
}

/** The device flow against the OAuth lab's emulator, the user sent to its page by a URL elicitation. */
async function urlSignIn(client, requestId) {
  const host = (process.env.ACP_REFERENCE_OAUTH_HOST || process.env.KIMI_CODE_OAUTH_HOST || "").replace(/\/$/, "");
  if (!host) throw RequestError.internalError({ missing: "KIMI_CODE_OAUTH_HOST" }, "no OAuth lab emulator is known to this run (the relay sets KIMI_CODE_OAUTH_HOST)");
  const post = async (p, form) => {
    const res = await fetch(`${host}${p}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(form) });
    return { status: res.status, body: await res.json().catch(() => ({})) };
  };
  const device = await post("/api/oauth/device_authorization", { client_id: OAUTH_CLIENT_ID });
  if (device.status !== 200) throw RequestError.internalError({ status: device.status }, "the OAuth emulator refused the device authorization");
  const elicitationId = `reference-signin-${Date.now().toString(36)}`;
  // Scoped to the authenticate request: the spec's "auth phase before any session".
  const answer = await client.request(v1.client.elicitation.create, {
    mode: "url",
    requestId,
    elicitationId,
    url: device.body.verification_uri_complete,
    message: `Sign in to the reference agent: open the page and approve code ${device.body.user_code}.`,
  });
  if (answer.action !== "accept") throw RequestError.authRequired({ action: answer.action }, `sign-in ${answer.action === "decline" ? "declined" : "cancelled"}`);
  const deadline = Date.now() + (device.body.expires_in ?? 300) * 1000;
  let interval = (device.body.interval ?? 1) * 1000;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, interval));
    const token = await post("/api/oauth/token", { client_id: OAUTH_CLIENT_ID, grant_type: DEVICE_GRANT, device_code: device.body.device_code });
    if (token.status === 200) {
      await client.notify(v1.client.elicitation.complete, { elicitationId });
      return "oauth-lab-user";
    }
    const error = token.body.error;
    if (error === "slow_down") interval += 5000;
    else if (error !== "authorization_pending") {
      await client.notify(v1.client.elicitation.complete, { elicitationId });
      throw RequestError.authRequired({ error }, `sign-in failed: ${error}`);
    }
  }
  await client.notify(v1.client.elicitation.complete, { elicitationId });
  throw RequestError.authRequired({ error: "expired_token" }, "sign-in timed out");
}

function newSession(cwd) {
  if (!state.authenticated) throw RequestError.authRequired(undefined, "sign in first");
  const sessionId = `reference-session-${++sessionCounter}`;
  state.sessions.set(sessionId, { cwd });
  return sessionId;
}

function promptText(prompt) {
  return prompt.map((b) => (b.type === "text" ? b.text : `[${b.type}]`)).join(" ");
}

function agentCapabilitiesV1() {
  const caps = { loadSession: false, promptCapabilities: {}, auth: behaviour === "none" || behaviour === "providers" ? {} : { logout: {} } };
  if (behaviour === "status") caps.auth.status = {};
  if (behaviour === "providers") caps.providers = {};
  return caps;
}

function providerList() {
  return { providers: [...state.providers.values()] };
}

function setProvider(params) {
  const p = state.providers.get(params.providerId);
  if (!p) throw RequestError.invalidParams({ providerId: params.providerId }, "unknown provider");
  // Header values (authorization) are kept, never echoed back.
  p.current = { apiType: params.apiType, baseUrl: params.baseUrl };
  p.headerNames = Object.keys(params.headers ?? {});
  return {};
}

function disableProvider(params) {
  const p = state.providers.get(params.providerId);
  if (!p) throw RequestError.invalidParams({ providerId: params.providerId }, "unknown provider");
  if (p.required) p.current = null;
  else state.providers.delete(params.providerId);
  return {};
}

function providersOnly(method) {
  if (behaviour !== "providers") throw RequestError.methodNotFound(method);
}

function statusOnly(method) {
  if (behaviour !== "status") throw RequestError.methodNotFound(method);
}

const appV1 = agentV1({ name: NAME })
  .onRequest(v1.agent.initialize, ({ params }) => {
    state.version = 1;
    state.clientTerminal = params.clientCapabilities?.auth?.terminal === true;
    state.clientUrlElicitation = params.clientCapabilities?.elicitation?.url != null;
    return { protocolVersion: 1, agentCapabilities: agentCapabilitiesV1(), authMethods: authMethods(), agentInfo: { name: NAME, title: `Reference agent (${behaviour})`, version: VERSION } };
  })
  .onRequest(v1.agent.authenticate, ({ params, client, requestId }) => login(params.methodId, client, requestId))
  .onRequest(v1.agent.logout, ({ client }) => logout(client))
  .onRequest(v1.agent.auth.status, () => {
    statusOnly("auth/status");
    return statusNow();
  })
  .onRequest(v1.agent.providers.list, () => {
    providersOnly("providers/list");
    return providerList();
  })
  .onRequest(v1.agent.providers.set, ({ params }) => {
    providersOnly("providers/set");
    return setProvider(params);
  })
  .onRequest(v1.agent.providers.disable, ({ params }) => {
    providersOnly("providers/disable");
    return disableProvider(params);
  })
  .onRequest(v1.agent.session.new, ({ params }) => ({ sessionId: newSession(params.cwd) }))
  .onRequest(v1.agent.session.prompt, async ({ params, client }) => {
    if (!state.sessions.has(params.sessionId)) throw RequestError.sessionNotFound(params.sessionId);
    if (!state.authenticated) throw RequestError.authRequired(undefined, "sign in first");
    await client.notify(v1.client.session.update, { sessionId: params.sessionId, update: { sessionUpdate: "agent_message_chunk", content: { type: "text", text: `echo: ${promptText(params.prompt)}` } } });
    return { stopReason: "end_turn" };
  })
  .onNotification(v1.agent.session.cancel, () => undefined);

const appV2 = agentV2({ name: NAME })
  .onRequest(v2.agent.initialize, ({ params }) => {
    state.version = 2;
    state.clientTerminal = params.capabilities?.auth?.terminal != null;
    state.clientUrlElicitation = params.capabilities?.elicitation?.url != null;
    const capabilities = { session: {}, auth: {} };
    if (behaviour === "status") capabilities.auth.status = {};
    if (behaviour === "providers") capabilities.providers = {};
    return { protocolVersion: 2, info: { name: NAME, title: `Reference agent (${behaviour})`, version: VERSION }, capabilities, authMethods: authMethods() };
  })
  // v2: advertising any auth method means supporting both auth/login and auth/logout.
  .onRequest(v2.agent.auth.login, ({ params, client, requestId }) => login(params.methodId, client, requestId))
  .onRequest(v2.agent.auth.logout, ({ client }) => logout(client))
  .onRequest(v2.agent.auth.status, () => {
    statusOnly("auth/status");
    return statusNow();
  })
  .onRequest(v2.agent.providers.list, () => {
    providersOnly("providers/list");
    return providerList();
  })
  .onRequest(v2.agent.providers.set, ({ params }) => {
    providersOnly("providers/set");
    return setProvider(params);
  })
  .onRequest(v2.agent.providers.disable, ({ params }) => {
    providersOnly("providers/disable");
    return disableProvider(params);
  })
  .onRequest(v2.agent.session.new, ({ params }) => ({ sessionId: newSession(params.cwd) }))
  .onRequest(v2.agent.session.prompt, async ({ params, client }) => {
    if (!state.sessions.has(params.sessionId)) throw RequestError.sessionNotFound(params.sessionId);
    if (!state.authenticated) throw RequestError.authRequired(undefined, "sign in first");
    const messageId = `reference-message-${++messageCounter}`;
    const sessionId = params.sessionId;
    // v2: the response only acknowledges the prompt; the turn is reported through state updates.
    setTimeout(() => {
      void (async () => {
        await client.notify(v2.client.session.update, { sessionId, update: { sessionUpdate: "state_update", state: "running" } });
        await client.notify(v2.client.session.update, { sessionId, update: { sessionUpdate: "agent_message_chunk", messageId: `${messageId}-reply`, content: { type: "text", text: `echo: ${promptText(params.prompt)}` } } });
        await client.notify(v2.client.session.update, { sessionId, update: { sessionUpdate: "state_update", state: "idle", stopReason: "end_turn" } });
      })().catch(() => undefined);
    }, 0);
    return { messageId };
  })
  .onNotification(v2.agent.session.cancel, () => undefined);

if (process.argv.includes("--login")) {
  await loginProgram();
} else {
  const stream = ndJsonStream(Writable.toWeb(process.stdout), Readable.toWeb(process.stdin));
  const connection = agentProtocolRouter().withV1(appV1).withV2(appV2).connect(stream);
  // An ACP agent's life is its stdio: exit once the client hangs up.
  void connection.closed.then(() => process.exit(0));
}
