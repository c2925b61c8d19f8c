/**
 * Issue #13 §1, the built-in OAuth provider for Kimi: the emulator answers the device grant and
 * refresh as both bundled builds call them, the REAL `kimi login` of 0.28.0 and 2.1.0 logs in
 * against it (and fails as Kimi does when denied), every behaviour is observable on the wire, the
 * model API checks the bearer tokens it issued, an `OAuth (emulated)` home is made by that login,
 * and a real prompt after "expire the access token" makes Kimi refresh (and fail once revoked).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { request } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { type Frame, parseClientCommand, type HttpHopEvent } from "../lib/wire";
import { parseConfig } from "../server/config";
import { expireTokenFile, kimiLoginEnv, runKimiLogin, tokenFiles } from "../server/emulated-login";
import { materialize } from "../server/materialize";
import { DEVICE_GRANT, KIMI_CLIENT_ID, OAuthEmulator } from "../server/oauth-emulator";
import { type StoredProfile, validateFields } from "../server/profile-kinds";
import { kimiMainPath } from "../server/profiles";
import { bundledNode } from "../server/runtime";
import { httpGet, startRun, startServer, type PlaygroundServer, WsClient } from "./fixtures/server";

const BUILDS = [
  { name: "2.1.0", main: kimiMainPath("@moonshot-ai/kimi-code") },
  { name: "0.28.0", main: kimiMainPath("kimi-code-0.28.0") },
];

let scratch = "";
before(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), "oauth-emu-"));
});
after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

interface Seen {
  tag: string | undefined;
  hop: HttpHopEvent;
}

async function withEmulator<T>(behaviour: ConstructorParameters<typeof OAuthEmulator>[0], body: (emu: OAuthEmulator, hops: Seen[]) => Promise<T>): Promise<T> {
  const emu = new OAuthEmulator({ port: 0, ...behaviour });
  await emu.start();
  const hops: Seen[] = [];
  emu.onHop((tag, hop) => hops.push({ tag, hop }));
  try {
    return await body(emu, hops);
  } finally {
    await emu.close();
  }
}

let homeCounter = 0;
async function freshHome(): Promise<string> {
  return mkdtemp(path.join(scratch, `home-${++homeCounter}-`));
}

async function form(url: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body: new URLSearchParams(fields).toString() });
  return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
}

/** A device login done over plain HTTP, for the refresh and model API tests. */
async function tokensFor(emu: OAuthEmulator, tag: string): Promise<{ access: string; refresh: string }> {
  emu.approveNextLogin(tag);
  const device = await form(`${emu.oauthHost(tag)}/api/oauth/device_authorization`, { client_id: KIMI_CLIENT_ID });
  const token = await form(`${emu.oauthHost(tag)}/api/oauth/token`, { client_id: KIMI_CLIENT_ID, grant_type: DEVICE_GRANT, device_code: String(device.body.device_code) });
  assert.equal(token.status, 200);
  return { access: String(token.body.access_token), refresh: String(token.body.refresh_token) };
}

// ── the real login of both builds ──────────────────────────────────────────

// Each login has its own emulator and home, and most of its time is Kimi's poll interval or a
// deliberate wait: three at a time side by side (more Kimi starts at once slow each start-up down
// on two cores), the two longest waits (expire, slow_down) first.
describe("the real `kimi login` against the emulator", { concurrency: 3 }, () => {
  test("expire: the device code answers expired_token and Kimi (2.1.0) asks for a new code or gives up; no token is written", async () => {
    await withEmulator({ behaviour: { approval: "expire" } }, async (emu, hops) => {
      const home = await freshHome();
      // Kimi keeps asking for new codes until it is stopped: 12 s leaves room for its start-up next
      // to the other logins and still covers two device codes (the first expires at its first poll).
      const result = await runKimiLogin({ main: BUILDS[0].main, home, homeEnv: { HOME: home }, oauthHost: emu.oauthHost("exp"), baseUrl: emu.baseUrl("exp"), timeoutMs: 12_000 });
      const expired = hops.filter((h) => (h.hop.response?.body as { error?: string } | undefined)?.error === "expired_token");
      assert.ok(expired.length >= 1, JSON.stringify(hops.map((h) => h.hop.path)));
      // Kimi answers an expired code by asking for a new one (it keeps the login going).
      assert.ok(hops.filter((h) => h.hop.path === "/api/oauth/device_authorization").length >= 2);
      assert.notEqual(result.exitCode, 0);
      assert.deepEqual(await tokenFiles(home), []);
    });
  });

  test("slow_down: the first poll is answered slow_down, Kimi waits about 5 s more, then logs in", async () => {
    await withEmulator({ behaviour: { approval: "approve", slowDown: true } }, async (emu, hops) => {
      const home = await freshHome();
      const times: number[] = [];
      emu.onHop((_tag, hop) => {
        if (hop.path === "/api/oauth/token") times.push(Date.now());
      });
      const result = await runKimiLogin({ main: BUILDS[0].main, home, homeEnv: { HOME: home }, oauthHost: emu.oauthHost("slow"), baseUrl: emu.baseUrl("slow") });
      assert.equal(result.exitCode, 0, result.output);
      const polls = hops.filter((h) => h.hop.path === "/api/oauth/token");
      assert.equal((polls[0].hop.response?.body as { error?: string }).error, "slow_down");
      assert.equal(polls[1].hop.status, 200);
      assert.ok(times[1] - times[0] >= 5000, `second poll after ${times[1] - times[0]} ms`);
    });
  });

  test("N pending polls: authorization_pending N times, then the automatic approval", async () => {
    await withEmulator({ behaviour: { approval: "approve", pendingPolls: 2 } }, async (emu, hops) => {
      const home = await freshHome();
      const result = await runKimiLogin({ main: BUILDS[0].main, home, homeEnv: { HOME: home }, oauthHost: emu.oauthHost("pend"), baseUrl: emu.baseUrl("pend") });
      assert.equal(result.exitCode, 0, result.output);
      const answers = hops.filter((h) => h.hop.path === "/api/oauth/token").map((h) => (h.hop.response?.body as { error?: string }).error ?? h.hop.status);
      assert.deepEqual(answers, ["authorization_pending", "authorization_pending", 200]);
    });
  });

  test("manual approval: the code waits for decide() (the verification page), and the login finishes after it", async () => {
    await withEmulator({ behaviour: { approval: "manual" } }, async (emu) => {
      const home = await freshHome();
      const login = runKimiLogin({ main: BUILDS[0].main, home, homeEnv: { HOME: home }, oauthHost: emu.oauthHost("page"), baseUrl: emu.baseUrl("page") });
      let code: string | undefined;
      // Up to 30 s for Kimi to start and ask for its code (it shares two cores with the other logins).
      for (let i = 0; i < 300 && !code; i++) {
        code = emu.pendingDevices()[0]?.userCode;
        if (!code) await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(code, "a pending device code");
      assert.equal(emu.pendingDevices()[0].runTag, "page");
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal((await tokenFiles(home)).length, 0, "nothing before the decision");
      assert.equal(emu.decide(code, "approve"), true);
      const result = await login;
      assert.equal(result.exitCode, 0, result.output);
      assert.equal(emu.decide(code, "approve"), false, "a decided code cannot be decided again");
    });
  });

  for (const build of BUILDS) {
    test(`real \`kimi login\` of ${build.name}, auto-approved, writes Kimi's scoped token slot and config (run prefix honoured)`, async () => {
      await withEmulator({ behaviour: { approval: "approve" } }, async (emu, hops) => {
        const home = await freshHome();
        const tag = `login-${build.name.replace(/\./g, "-")}`;
        const result = await runKimiLogin({ main: build.main, home, homeEnv: { HOME: home }, oauthHost: emu.oauthHost(tag), baseUrl: emu.baseUrl(tag) });
        assert.equal(result.exitCode, 0, result.output);
        assert.match(result.output, /Logged in to managed:kimi-code/);
        const config = await readFile(path.join(home, "config.toml"), "utf8");
        assert.match(config, new RegExp(`oauth_host = "${emu.oauthHost(tag).replace(/[.]/g, "\\.")}"`));
        assert.match(config, new RegExp(`base_url = "${emu.baseUrl(tag).replace(/[.]/g, "\\.")}"`));
        const files = await tokenFiles(home);
        assert.equal(files.length, 1);
        assert.match(path.basename(files[0]), /^kimi-code-env-[0-9a-f]{16}\.json$/);
        const token = JSON.parse(await readFile(files[0], "utf8")) as Record<string, unknown>;
        assert.match(String(token.access_token), /^at_/);
        assert.match(String(token.refresh_token), /^rt_/);
        assert.equal(token.expires_in, 900);
        // Every hop came back under the run's prefix, which the emulator strips from `path`.
        assert.deepEqual(
          hops.map((h) => [h.tag, h.hop.method, h.hop.path, h.hop.status]),
          [
            [tag, "POST", "/api/oauth/device_authorization", 200],
            [tag, "POST", "/api/oauth/token", 200],
            [tag, "GET", "/coding/v1/models", 200],
          ],
        );
        assert.equal(hops[1].hop.grantType, DEVICE_GRANT);
        // The issued secrets are announced for the redactor.
        assert.ok(hops[1].hop.issued?.includes(String(token.access_token)));
        assert.ok(hops[1].hop.issued?.includes(String(token.refresh_token)));
      });
    });

    test(`deny: ${build.name}'s \`kimi login\` exits non-zero with Kimi's own "denied" message`, async () => {
      await withEmulator({ behaviour: { approval: "deny" } }, async (emu, hops) => {
        const home = await freshHome();
        const result = await runKimiLogin({ main: build.main, home, homeEnv: { HOME: home }, oauthHost: emu.oauthHost("deny"), baseUrl: emu.baseUrl("deny") });
        assert.notEqual(result.exitCode, 0);
        assert.match(result.output, /denied/i);
        assert.deepEqual(await tokenFiles(home), []);
        const poll = hops.find((h) => h.hop.path === "/api/oauth/token");
        assert.equal(poll?.hop.status, 400);
        assert.equal((poll?.hop.response?.body as { error?: string }).error, "access_denied");
      });
    });
  }
});

// ── refresh and the model API, on the wire ─────────────────────────────────

test("refresh: ok rotates (old refresh token refused after), no-rotate keeps it, revoked → invalid_grant", async () => {
  await withEmulator({}, async (emu) => {
    const t = await tokensFor(emu, "r1");
    const token = (refresh: string): Promise<{ status: number; body: Record<string, unknown> }> =>
      form(`${emu.oauthHost("r1")}/api/oauth/token`, { client_id: KIMI_CLIENT_ID, grant_type: "refresh_token", refresh_token: refresh });
    const first = await token(t.refresh);
    assert.equal(first.status, 200);
    assert.notEqual(first.body.refresh_token, t.refresh);
    assert.equal((await token(t.refresh)).body.error, "invalid_grant", "a rotated refresh token is spent");
    emu.behaviour = { rotateRefresh: false };
    const kept = await token(String(first.body.refresh_token));
    assert.equal(kept.body.refresh_token, first.body.refresh_token);
    assert.equal(emu.revokeRefresh({ runTag: "r1" }) >= 1, true);
    const revoked = await token(String(first.body.refresh_token));
    assert.equal(revoked.status, 400);
    assert.equal(revoked.body.error, "invalid_grant");
  });
});

test("refresh answers switchable: invalid_grant 400, 401, 500, drop (socket destroyed, no status), timeout (no answer)", async () => {
  await withEmulator({}, async (emu, hops) => {
    const t = await tokensFor(emu, "r2");
    const url = `${emu.oauthHost("r2")}/api/oauth/token`;
    const fields = { client_id: KIMI_CLIENT_ID, grant_type: "refresh_token", refresh_token: t.refresh };
    emu.behaviour = { refresh: "invalid_grant" };
    assert.deepEqual([(await form(url, fields)).status, (await form(url, fields)).body.error], [400, "invalid_grant"]);
    emu.behaviour = { refresh: "401" };
    assert.equal((await form(url, fields)).status, 401);
    emu.behaviour = { refresh: "500" };
    assert.equal((await form(url, fields)).status, 500);
    emu.behaviour = { refresh: "drop" };
    await assert.rejects(form(url, fields));
    emu.behaviour = { refresh: "timeout" };
    await assert.rejects(fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields).toString(), signal: AbortSignal.timeout(800) }));
    await new Promise((r) => setTimeout(r, 100));
    const last = hops.slice(-2).map((h) => [h.hop.status, h.hop.error, h.hop.grantType]);
    assert.deepEqual(last, [
      [undefined, "connection dropped", "refresh_token"],
      [undefined, "no answer", "refresh_token"],
    ]);
  });
});

test("model API: 401 without a token, with an unknown one, once expired, and when told to reject; 200 with a valid one", async () => {
  await withEmulator({}, async (emu) => {
    const t = await tokensFor(emu, "m1");
    const models = (token?: string): Promise<number> => fetch(`${emu.baseUrl("m1")}/models`, { headers: token ? { authorization: `Bearer ${token}` } : {} }).then((r) => r.status);
    assert.equal(await models(), 401);
    assert.equal(await models("at_not-issued"), 401);
    assert.equal(await models(t.access), 200);
    emu.behaviour = { modelRejects: true };
    assert.equal(await models(t.access), 401);
    emu.behaviour = { modelRejects: false };
    const chat = await fetch(`${emu.baseUrl("m1")}/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${t.access}`, "content-type": "application/json" }, body: JSON.stringify({ messages: [{ role: "user", content: "hi" }], stream: false }) });
    assert.equal(chat.status, 200);
    assert.match(JSON.stringify(await chat.json()), /offline model/);
    emu.expireAccess({ runTag: "m1" });
    assert.equal(await models(t.access), 401);
  });
});

test("robust: junk targets, bad forms, unknown client_id, huge bodies and upgrades get a 4xx, never a hang", async () => {
  await withEmulator({}, async (emu) => {
    const raw = (text: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const socket = connect(emu.port, "127.0.0.1", () => socket.end(text));
        let out = "";
        socket.on("data", (d) => (out += d.toString()));
        socket.on("close", () => resolve(out));
        socket.on("error", reject);
        socket.setTimeout(5000, () => reject(new Error("no answer")));
      });
    assert.match(await raw("GET // HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"), /^HTTP\/1\.1 4\d\d/);
    assert.match(await raw("GET http://evil.example/ HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"), /^HTTP\/1\.1 400/);
    assert.match(await raw("GET /ws HTTP/1.1\r\nhost: x\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\n"), /^HTTP\/1\.1 404/);
    assert.equal((await form(`${emu.oauthHost()}/api/oauth/device_authorization`, { client_id: "someone-else" })).status, 401);
    assert.equal((await form(`${emu.oauthHost()}/api/oauth/token`, { client_id: KIMI_CLIENT_ID, grant_type: "password" })).status, 400);
    assert.equal((await form(`${emu.oauthHost()}/api/oauth/token`, { client_id: KIMI_CLIENT_ID, grant_type: DEVICE_GRANT, device_code: "nope" })).body.error, "invalid_grant");
    const big = await fetch(`${emu.oauthHost()}/api/oauth/token`, { method: "POST", body: "x".repeat(64 * 1024) });
    assert.equal(big.status, 413);
    assert.equal((await fetch(`${emu.oauthHost()}/nothing`)).status, 404);
    // Still serving after all that.
    assert.equal((await form(`${emu.oauthHost()}/api/oauth/device_authorization`, { client_id: KIMI_CLIENT_ID })).status, 200);
  });
});

test("behaviours: one validator for CLI flags and the WebSocket command; bounded and typed", () => {
  const c = parseConfig(["--oauth-port", "0", "--oauth-approval", "deny", "--oauth-refresh", "drop", "--oauth-token-ttl", "5", "--oauth-slow-down", "--oauth-no-rotate", "--oauth-model-401"], {});
  assert.equal(c.oauthPort, 0);
  assert.deepEqual(c.oauthBehaviour, { approval: "deny", refresh: "drop", accessTokenTtl: 5, slowDown: true, rotateRefresh: false, modelRejects: true });
  assert.equal(parseConfig([], {}).oauthPort, 3978);
  assert.throws(() => parseConfig(["--oauth-refresh", "maybe"], {}), /refresh must be one of/);
  assert.throws(() => parseConfig(["--oauth-token-ttl", "0"], {}), /accessTokenTtl/);
  assert.throws(() => parseConfig(["--oauth-port", "70000"], {}), /oauth-port/);
  assert.equal(parseClientCommand(JSON.stringify({ type: "oauth_behaviour", behaviour: { refresh: "500", pendingPolls: 3 } })).ok, true);
  for (const bad of [{ refresh: "teapot" }, { pendingPolls: 99 }, { pendingPolls: 1.5 }, { slowDown: "yes" }, { nope: 1 }, []]) {
    assert.equal(parseClientCommand(JSON.stringify({ type: "oauth_behaviour", behaviour: bad })).ok, false, JSON.stringify(bad));
  }
  assert.equal(parseClientCommand(JSON.stringify({ type: "oauth_action", action: "approve" })).ok, false, "approve needs a userCode");
  assert.equal(parseClientCommand(JSON.stringify({ type: "oauth_action", action: "revoke_refresh" })).ok, true);
  assert.equal(parseClientCommand(JSON.stringify({ type: "oauth_action", action: "rm -rf" })).ok, false);
});

test("the login child gets the overrides and the run's home only: no server environment, no PATH (no browser opened)", () => {
  const env = kimiLoginEnv({ home: "/h", homeEnv: { HOME: "/h", XDG_CONFIG_HOME: "/h/.config" }, oauthHost: "http://127.0.0.1:1/run/x", baseUrl: "http://127.0.0.1:1/run/x/coding/v1" });
  assert.deepEqual(Object.keys(env).sort(), ["HOME", "KIMI_CODE_BASE_URL", "KIMI_CODE_HOME", "KIMI_CODE_OAUTH_HOST", "KIMI_DISABLE_TELEMETRY", "PATH", "XDG_CONFIG_HOME"]);
  assert.equal(env.PATH, "");
});

test("the overrides are the relay's: a profile cannot set KIMI_CODE_OAUTH_HOST, KIMI_OAUTH_HOST or KIMI_CODE_BASE_URL", () => {
  for (const name of ["KIMI_CODE_OAUTH_HOST", "KIMI_OAUTH_HOST", "KIMI_CODE_BASE_URL"]) {
    assert.throws(() => validateFields("generic", { env: `${name}=http://127.0.0.1:1/evil`, files: "" }), new RegExp(name));
  }
});

// ── OAuth (emulated) homes and a real prompt ──────────────────────────────

interface Rpc {
  id?: number;
  method?: string;
  result?: Record<string, unknown>;
  error?: { code: number; message: string };
  params?: { update?: { sessionUpdate?: string; content?: { text?: string } } };
}

/** A minimal ACP client over the agent's stdio. */
function acp(main: string, env: Record<string, string>, cwd: string): { request: (method: string, params: unknown, timeoutMs?: number) => Promise<Rpc>; messages: Rpc[]; stderr: () => string; stop: () => Promise<void> } {
  const childEnv: Record<string, string> = { PATH: process.env.PATH ?? "", KIMI_DISABLE_TELEMETRY: "1", ...env };
  const child = spawn(bundledNode().path, [main, "acp"], { env: childEnv as NodeJS.ProcessEnv, cwd, stdio: "pipe" });
  const messages: Rpc[] = [];
  const waiting = new Map<number, (m: Rpc) => void>();
  let buffer = "";
  let stderr = "";
  let next = 0;
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    buffer += d;
    for (let i = buffer.indexOf("\n"); i >= 0; i = buffer.indexOf("\n")) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      if (!line.trim()) continue;
      const m = JSON.parse(line) as Rpc;
      messages.push(m);
      if (m.id !== undefined && m.method === undefined) waiting.get(m.id)?.(m);
    }
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  return {
    messages,
    stderr: () => stderr,
    request: (method, params, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const id = ++next;
        const timer = setTimeout(() => reject(new Error(`${method} timed out\n${stderr}`)), timeoutMs);
        waiting.set(id, (m) => {
          clearTimeout(timer);
          resolve(m);
        });
        child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id, method, params })}\n`);
      }),
    stop: async () => {
      const exited = new Promise((r) => child.once("exit", r));
      child.stdin.end();
      const t = setTimeout(() => child.kill("SIGKILL"), 4000);
      await exited;
      clearTimeout(t);
    },
  };
}

const EMULATED: StoredProfile = { id: "oauth-emulated", name: "OAuth (emulated)", kind: "kimi-oauth-emulated", builtin: true, fields: { loggedOut: false }, createdAt: 0, updatedAt: 0 };

// Both builds' homes, agents and emulators are their own: the two run side by side.
describe("OAuth (emulated) homes and a real prompt", { concurrency: true }, () => {
  for (const build of BUILDS) {
    test(`OAuth (emulated) on ${build.name}: the home is the real login's; prompt ok; "expire the access token" → the next prompt refreshes; revoked → refresh answered invalid_grant`, { timeout: 240_000 }, async () => {
      await withEmulator({ behaviour: { approval: "manual" } }, async (emu, hops) => {
        const runsDir = await mkdtemp(path.join(scratch, "runs-"));
        const runId = `emu-${build.name.replace(/\./g, "-")}`;
        const t0 = Date.now();
        const home = await materialize(EMULATED, { runsDir, runId, oauth: emu, kimiMain: build.main });
        const loginMs = Date.now() - t0;
        assert.equal(home.env.KIMI_CODE_OAUTH_HOST, emu.oauthHost(runId));
        assert.equal(home.env.KIMI_CODE_BASE_URL, emu.baseUrl(runId));
        const [slot] = await tokenFiles(home.home);
        assert.match(path.basename(slot), /^kimi-code-env-[0-9a-f]{16}\.json$/);
        assert.ok(
          (await readdir(home.home)).includes("config.toml"),
          "config.toml written by kimi login",
        );
        // The relay's own login is approved even though the user's approval is "manual".
        assert.equal(hops.filter((h) => h.tag === runId && h.hop.path === "/api/oauth/token")[0].hop.status, 200);

        const cwd = await mkdtemp(path.join(scratch, "cwd-"));
        const agent = acp(build.main, home.env, cwd);
        try {
          assert.ok((await agent.request("initialize", { protocolVersion: 1, clientCapabilities: {} })).result);
          const created = await agent.request("session/new", { cwd, mcpServers: [] });
          assert.ok(created.result, JSON.stringify(created.error));
          const sessionId = String(created.result?.sessionId);
          const prompt = (text: string): Promise<Rpc> => agent.request("session/prompt", { sessionId, prompt: [{ type: "text", text }] }, 120_000);

          const first = await prompt("hello");
          assert.equal(first.result?.stopReason, "end_turn", JSON.stringify(first));
          assert.equal(emu.refreshCount.total, 0, "a fresh token is not refreshed");

          // One click: the token slot's expires_at in the past (and the old token refused server-side).
          const before = JSON.parse(await readFile(slot, "utf8")) as Record<string, unknown>;
          await expireTokenFile(home.home);
          emu.expireAccess({ runTag: runId });
          const second = await prompt("again");
          assert.equal(second.result?.stopReason, "end_turn", JSON.stringify(second));
          const refreshes = hops.filter((h) => h.tag === runId && h.hop.grantType === "refresh_token");
          assert.ok(refreshes.length >= 1, "the emulator saw a refresh_token grant");
          assert.equal(refreshes[0].hop.status, 200);
          const afterRefresh = JSON.parse(await readFile(slot, "utf8")) as Record<string, unknown>;
          assert.notEqual(afterRefresh.access_token, before.access_token, "Kimi wrote the new access token back");
          assert.notEqual(afterRefresh.refresh_token, before.refresh_token, "and the rotated refresh token");

          // Revoke + expire: the refresh is refused; what the client sees is recorded for the report.
          emu.revokeRefresh({ runTag: runId });
          await expireTokenFile(home.home);
          emu.expireAccess({ runTag: runId });
          const third = await prompt("once more").catch((e: Error) => ({ error: { code: 0, message: e.message } }) as Rpc);
          const refused = hops.filter((h) => h.tag === runId && h.hop.grantType === "refresh_token").slice(1);
          assert.ok(refused.length >= 1, "Kimi tried to refresh");
          assert.equal(refused[0].hop.status, 400);
          assert.equal((refused[0].hop.response?.body as { error?: string }).error, "invalid_grant");
          const answer = third.error ? `error ${third.error.code} ${third.error.message}` : `stopReason ${String(third.result?.stopReason)}`;
          const text = agent.messages
            .filter((m) => m.params?.update?.sessionUpdate === "agent_message_chunk")
            .map((m) => m.params?.update?.content?.text ?? "")
            .join("");
          const tokenAfter = JSON.parse(await readFile(slot, "utf8").catch(() => "{}")) as Record<string, unknown>;
          process.stdout.write(`# ${build.name}: login ${loginMs} ms; revoked refresh → client saw ${answer}; token file access_token ${JSON.stringify(tokenAfter.access_token === "" ? "" : "(kept)")}; last text ${JSON.stringify(text.slice(-120))}\n`);
        } finally {
          await agent.stop();
        }
      });
    });
  }
});

// ── through the playground server ─────────────────────────────────────────

let server: PlaygroundServer | undefined;
after(async () => {
  await server?.stop();
});

test("server: the emulator starts with the playground; oauth_behaviour changes it live; the verification page approves in the browser's origin", { timeout: 120_000 }, async () => {
  server = await startServer({ extraArgs: ["--oauth-port", "0"] });
  const client = await WsClient.connect(server);
  try {
    const initial = await client.waitFor("oauth_state", (e) => (e.type === "oauth_state" ? e : undefined));
    const emuUrl = initial.url ?? "";
    assert.match(emuUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(new URL(emuUrl).port, String(server.port));
    assert.equal(initial.behaviour.approval, "manual");
    client.send({ type: "oauth_behaviour", behaviour: { refresh: "500", accessTokenTtl: 60 } });
    const changed = await client.waitFor("changed state", (e) => (e.type === "oauth_state" && e.behaviour.refresh === "500" ? e : undefined));
    assert.equal(changed.behaviour.accessTokenTtl, 60);
    client.sendJson({ type: "oauth_behaviour", behaviour: { refresh: "teapot" } });
    await client.waitFor("a refusal", (e) => (e.type === "notice" && /refresh must be one of/.test(e.message) ? e : undefined));

    // A device code, as Kimi asks for it; the answer points at the playground's page.
    const device = await form(`${emuUrl}/api/oauth/device_authorization`, { client_id: KIMI_CLIENT_ID });
    const complete = new URL(String(device.body.verification_uri_complete));
    assert.equal(complete.origin, server.browserOrigin);
    assert.equal(complete.pathname, "/oauth/device");
    const pending = await client.waitFor("pending code", (e) => (e.type === "oauth_state" && e.pending.length === 1 ? e.pending[0] : undefined));
    assert.equal(pending.userCode, complete.searchParams.get("user_code"));

    // The page is behind the guard: no token, no page.
    assert.equal((await httpGet(server, `${complete.pathname}${complete.search}`)).status, 401);
    const shown = await httpGet(server, `${complete.pathname}${complete.search}`, { "x-acp-playground-token": server.token });
    assert.equal(shown.status, 200);
    assert.match(shown.body, /data-testid="oauth-device-approve"/);
    assert.doesNotMatch(shown.body, /<script/i);

    // Approve as the page's form does (same origin).
    const posted = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const body = new URLSearchParams({ user_code: pending.userCode, decision: "approve" }).toString();
      const req = request(
        { host: server?.address, port: server?.port, path: "/oauth/device", method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(body), "x-acp-playground-token": server?.token ?? "", origin: server?.origin ?? "" } },
        (res) => {
          let text = "";
          res.on("data", (d) => (text += d));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on("error", reject);
      req.end(body);
    });
    assert.equal(posted.status, 200, posted.body);
    assert.match(posted.body, /Approved/);
    const token = await form(`${emuUrl}/api/oauth/token`, { client_id: KIMI_CLIENT_ID, grant_type: DEVICE_GRANT, device_code: String(device.body.device_code) });
    assert.equal(token.status, 200);
  } finally {
    await client.close();
  }
});

test("server: built-in `OAuth (emulated)` on kimi-2.1.0 — one click \"expire the access token\" → the next prompt's refresh shows as an http frame; \"revoke\" → invalid_grant", { timeout: 180_000 }, async () => {
  server ??= await startServer({ extraArgs: ["--oauth-port", "0"] });
  const client = await WsClient.connect(server);
  try {
    const hello = await client.waitFor("hello", (e) => (e.type === "hello" ? e : undefined));
    // The server may be shared with the test above, which left refresh at 500.
    client.send({ type: "oauth_behaviour", behaviour: { refresh: "ok", accessTokenTtl: 900 } });
    await client.waitFor("reset", (e) => (e.type === "oauth_state" && e.behaviour.refresh === "ok" ? e : undefined));
    const profile = hello.profiles.find((p) => p.name === "OAuth (emulated)");
    assert.equal(profile?.kind, "kimi-oauth-emulated");
    // Before a run, the token buttons are refused with a reason.
    client.send({ type: "oauth_action", action: "expire_access" });
    await client.waitFor("refusal", (e) => (e.type === "notice" && /does not use an OAuth \(emulated\) profile/.test(e.message) ? e : undefined));

    const { runId } = await startRun(client, "kimi-2.1.0", profile?.id);
    const rpc = async (id: number, method: string, params: unknown, timeoutMs = 60_000): Promise<Frame> => {
      client.send({ type: "send_raw", text: JSON.stringify({ jsonrpc: "2.0", id, method, params }) });
      return client.waitForFrame(`answer to ${method}`, (f) => f.dir === "in" && f.kind === "response" && f.raw.includes(`"id":${id}`), runId, timeoutMs);
    };
    await rpc(1, "initialize", { protocolVersion: 1, clientCapabilities: {} });
    const created = JSON.parse((await rpc(2, "session/new", { cwd: server.dataDir, mcpServers: [] })).raw) as { result?: { sessionId?: string } };
    const sessionId = created.result?.sessionId;
    assert.ok(sessionId, "session/new succeeded on the login's home");
    const prompt = (id: number, text: string): Promise<Frame> => rpc(id, "session/prompt", { sessionId, prompt: [{ type: "text", text }] }, 120_000);
    assert.match((await prompt(3, "hello")).raw, /end_turn/);

    client.send({ type: "oauth_action", action: "expire_access" });
    await client.waitFor("expired", (e) => (e.type === "notice" && /Access token of .* expired \(expires_at rewritten in kimi-code-env-[0-9a-f]{16}\.json/.test(e.message) ? e : undefined));
    assert.match((await prompt(4, "again")).raw, /end_turn/);
    const refresh = await client.waitForFrame("refresh hop", (f) => f.kind === "http" && f.http?.grantType === "refresh_token", runId, 10_000);
    assert.equal(refresh.http?.status, 200);
    assert.equal(refresh.http?.host, "oauth");

    client.send({ type: "oauth_action", action: "revoke_refresh" });
    await client.waitFor("revoked", (e) => (e.type === "notice" && /Revoked [1-9]\d* refresh token/.test(e.message) ? e : undefined));
    client.send({ type: "oauth_action", action: "expire_access" });
    await prompt(5, "once more");
    const refused = await client.waitForFrame("refused refresh", (f) => f.kind === "http" && f.http?.grantType === "refresh_token" && f.http?.status === 400, runId, 10_000);
    assert.match(refused.raw, /invalid_grant/);
    // No issued token ever reaches the browser in clear.
    for (const f of client.framesOf(runId).filter((x) => x.kind === "http")) assert.doesNotMatch(f.raw, /"(at|rt|dc)_[A-Za-z0-9_-]{20,}"/);
  } finally {
    await client.close();
  }
});

test("server: the Auth tab's terminal login (kimi-2.1.0, spec `--login`) runs against the run's emulator prefix; approving its code logs in", { timeout: 180_000 }, async () => {
  server ??= await startServer({ extraArgs: ["--oauth-port", "0"] });
  const client = await WsClient.connect(server);
  try {
    client.send({ type: "oauth_behaviour", behaviour: { approval: "manual", refresh: "ok" } });
    const { runId } = await startRun(client, "kimi-2.1.0", "oauth-emulated");
    client.send({ type: "send_raw", text: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: 1, clientCapabilities: { terminal: true, _meta: { "terminal-auth": true } } } }) });
    await client.waitForFrame("initialize answer", (f) => f.dir === "in" && f.kind === "response" && f.raw.includes('"id":1'), runId, 30_000);
    // Already logged in (the profile's own login), `acp --login` would only say so: log out first
    // (2.1.0's ACP logout deletes the token slot and the managed provider).
    client.send({ type: "send_raw", text: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "logout", params: {} }) });
    const loggedOut = await client.waitForFrame("logout answer", (f) => f.dir === "in" && f.kind === "response" && f.raw.includes('"id":2'), runId, 30_000);
    assert.doesNotMatch(loggedOut.raw, /"error"/);
    client.send({ type: "login_start", methodId: "login", convention: "spec", cols: 100, rows: 30 });
    // The login's device code arrives under THIS run's prefix: the overrides reached the terminal.
    const pending = await client.waitFor("the terminal login's device code", (e) => (e.type === "oauth_state" ? e.pending.find((d) => d.runTag === runId) : undefined), 60_000).catch((error: Error) => {
      const seen = client.events.filter((e) => e.type === "login" || e.type === "login_output" || e.type === "notice" || e.type === "oauth_state");
      throw new Error(`${error.message}\n${JSON.stringify(seen).slice(0, 4000)}`);
    });
    await client.waitFor("code shown in the terminal", (e) => (e.type === "login_output" && e.data.includes(pending.userCode) ? e : undefined), 30_000);
    client.send({ type: "oauth_action", action: "approve", userCode: pending.userCode });
    const exited = await client.waitFor("login exit", (e) => (e.type === "login" && e.state !== "running" ? e : undefined), 60_000);
    assert.equal(exited.exitCode, 0, JSON.stringify(exited));
  } finally {
    await client.close();
  }
});
