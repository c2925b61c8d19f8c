/**
 * Security suite (issue 7): the relay launches processes, so everything in the README's security
 * model is checked against a real `tsx server.ts` from outside, the way an attacker would reach
 * it — raw HTTP requests and WebSocket upgrades with chosen Host, Origin, token and cookie;
 * crafted commands that try to smuggle a binary, argv or env past the catalog; fs/* requests
 * that try to leave the session's directory; a non-loopback bind; and a grep for every built-in secret over all a client received and all the server logged
 * while an agent did its best to leak them.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { REDACTED } from "../lib/redact";
import type { Frame, ServerEvent } from "../lib/wire";
import {
  cmdline,
  descendants,
  ensureBuild,
  fixtureAgent,
  httpGet,
  NODE22,
  type PlaygroundServer,
  ROOT,
  runServerExpectingExit,
  sleep,
  startRun,
  startServer,
  UpgradeRefusedError,
  WsClient,
} from "./fixtures/server";

const STUB = "stub";
const LEAKY = "leaky";
const TREE = "tree";
const AGENTS = [fixtureAgent(STUB, "stub-agent.mjs"), fixtureAgent(LEAKY, "leaky-agent.mjs", { kimi: true }), fixtureAgent(TREE, "tree-agent.mjs")];

/** The built-in example profiles' secrets (server/profile-store.ts); obviously fake, still secrets. */
const SECRETS = ["sk-example-0000-fake-key-9f3a", "example-access-token-not-real-0000", "example-refresh-token-not-real-0000"];

/** Put in the server's own environment: a child must never inherit it (env allowlist). */
const SERVER_ENV_SECRET = `server-env-secret-${randomBytes(6).toString("hex")}`;

/** Every spelling under which a secret could travel: plain, inside a JSON string, URL-encoded. */
function spellings(secret: string): string[] {
  return [...new Set([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)])];
}

async function expectUpgradeStatus(server: PlaygroundServer, options: Parameters<typeof WsClient.connect>[1], status: number, label: string): Promise<void> {
  await assert.rejects(
    WsClient.connect(server, options),
    (error: unknown) => {
      assert.ok(error instanceof UpgradeRefusedError, `${label}: expected an HTTP refusal, got ${String(error)}`);
      assert.equal(error.status, status, `${label}: WebSocket upgrade status`);
      return true;
    },
    label,
  );
}

async function expectWsOpen(server: PlaygroundServer, options: Parameters<typeof WsClient.connect>[1], label: string): Promise<void> {
  const client = await WsClient.connect(server, options);
  try {
    await client.waitFor(`${label}: hello`, (e) => (e.type === "hello" ? e : undefined), 5000);
  } finally {
    await client.close();
  }
}

function environOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").filter(Boolean);
  } catch {
    return [];
  }
}

/** How the relay says no: an error notice, a failed flow, or an advertisement diff whose every variant failed. */
function refusal(e: ServerEvent): string | undefined {
  if (e.type === "notice" && e.level === "error") return e.message;
  if (e.type === "flow" && e.state === "failed") return e.message;
  if (e.type === "adv_diff" && !e.running && e.variants.length > 0 && e.variants.every((v) => !v.ok)) return e.variants[0].error ?? "refused";
  return undefined;
}

/** Wait for the first event of `type` that arrives after this call. */
function nextEvent<T extends ServerEvent["type"]>(client: WsClient, type: T, timeoutMs = 10_000): Promise<Extract<ServerEvent, { type: T }>> {
  const from = client.events.length;
  return client.waitFor(`a ${type} event`, (e) => (e.type === type && client.events.indexOf(e) >= from ? (e as Extract<ServerEvent, { type: T }>) : undefined), timeoutMs);
}

describe("security", { timeout: 120_000 }, () => {
  let a: PlaygroundServer;
  let b: PlaygroundServer;

  before(async () => {
    await ensureBuild();
    [a, b] = await Promise.all([startServer({ agents: AGENTS, env: { ACP_SUITE_SERVER_SECRET: SERVER_ENV_SECRET } }), startServer()]);
  });
  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  test("token absent, wrong, or of another start → 401 on the page, the API and the WebSocket", async () => {
    const cases: { label: string; token: string | null }[] = [
      { label: "absent", token: null },
      { label: "empty", token: "" },
      { label: "wrong", token: randomBytes(24).toString("base64url") },
      { label: "another server's", token: b.token },
    ];
    for (const { label, token } of cases) {
      const query = token === null ? "" : `?token=${encodeURIComponent(token)}`;
      for (const p of ["/", "/api/health", "/favicon.ico", "/_next/static/chunks/main.js"]) {
        assert.equal((await httpGet(a, `${p}${query}`)).status, 401, `${label} token, GET ${p}`);
      }
      if (token) {
        assert.equal((await httpGet(a, "/", { "x-acp-playground-token": token })).status, 401, `${label} token in the header`);
        // On the per-start acp-….localhost name, the only host where a cookie is read at all.
        assert.equal((await httpGet(a, "/", { host: new URL(a.browserOrigin).host, cookie: `acp_playground_${a.port}=${token}` })).status, 401, `${label} token in the cookie`);
      }
      await expectUpgradeStatus(a, { token }, 401, `${label} token`);
    }
    // Another server's cookie, under its own name, opens nothing here either.
    assert.equal((await httpGet(a, "/", { host: new URL(a.browserOrigin).host, cookie: `acp_playground_${b.port}=${b.token}` })).status, 401);
    // And a's token is worth nothing on b.
    assert.equal((await httpGet(b, `/?token=${a.token}`)).status, 401);
    await expectUpgradeStatus(b, { token: a.token }, 401, "a's token on b");
    // The 401 tells a human what to do.
    assert.match((await httpGet(a, "/")).body, /token printed in the terminal/);
  });

  test("the token of an earlier start on the same port is refused after a restart", async () => {
    const first = await startServer();
    const { port, token } = first;
    await first.stop();
    const second = await startServer({ extraArgs: ["--port", String(port)] });
    try {
      assert.equal(second.port, port);
      assert.notEqual(second.token, token);
      assert.equal((await httpGet(second, `/?token=${token}`)).status, 401, "old token in the query");
      assert.equal((await httpGet(second, "/", { cookie: `acp_playground_${port}=${token}` })).status, 401, "old cookie (same name: same port)");
      // Also where the new start accepts cookies at all: its own acp-….localhost name.
      const label = new URL(String((await httpGet(second, `/?token=${second.token}`)).headers.location)).host;
      assert.equal((await httpGet(second, "/", { host: label, cookie: `acp_playground_${port}=${token}` })).status, 401, "old cookie on the new label host");
      assert.equal((await httpGet(second, "/", { host: label, cookie: `acp_playground_${port}=${second.token}` })).status, 200, "the new cookie there");
      await expectUpgradeStatus(second, { token }, 401, "old token on the WebSocket");
      await expectWsOpen(second, {}, "the new token");
    } finally {
      await second.stop();
    }
  });

  test("the right token opens the page (traded for an HttpOnly SameSite=Strict cookie) and the WebSocket", async () => {
    // Issue 11 (V-3): the printed URL first moves to the per-start acp-….localhost name, and only
    // that name gets the cookie (test/security-network.test.ts checks the details).
    const moved = await httpGet(a, `/?token=${a.token}`);
    assert.equal(moved.status, 303);
    assert.equal(moved.headers["set-cookie"], undefined, "no cookie on 127.0.0.1");
    const label = new URL(String(moved.headers.location));
    assert.match(label.hostname, /^acp-[0-9a-f]{32}\.localhost$/);
    const first = await httpGet(a, `/?token=${a.token}`, { host: label.host });
    assert.equal(first.status, 303);
    assert.equal(first.headers.location, "/", "the token leaves the address bar");
    const cookie = String(first.headers["set-cookie"]);
    assert.match(cookie, new RegExp(`acp_playground_${a.port}=`));
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    const page = await httpGet(a, "/", { host: label.host, cookie: `acp_playground_${a.port}=${a.token}` });
    assert.equal(page.status, 200);
    assert.equal(page.headers["x-frame-options"], "DENY");
    assert.equal((await httpGet(a, "/api/health", { "x-acp-playground-token": a.token })).status, 200);
    await expectWsOpen(a, {}, "the right token");
  });

  test("WebSocket Origin: foreign or null → 403; absent (non-browser client) or our own → allowed", async () => {
    for (const origin of ["http://evil.example", "null", `http://evil.example:${a.port}`, `http://127.0.0.1:${b.port}`, `https://127.0.0.1:${a.port}`, `http://127.0.0.1:${a.port}@evil.example`, "file://"]) {
      await expectUpgradeStatus(a, { origin }, 403, `Origin ${origin}`);
      assert.equal((await httpGet(a, `/?token=${a.token}`, { origin })).status, 403, `page with Origin ${origin}`);
    }
    // The guard refuses on Origin before it looks at the token.
    await expectUpgradeStatus(a, { origin: "http://evil.example", token: null }, 403, "foreign Origin without a token");
    await expectWsOpen(a, {}, "no Origin, right token");
    await expectWsOpen(a, { origin: `http://127.0.0.1:${a.port}` }, "our own Origin");
    await expectUpgradeStatus(a, { token: null }, 401, "no Origin, no token");
  });

  test("Host rebinding names → 403 even with the right token", async () => {
    const hosts = [`evil.example:${a.port}`, "evil.example", `127.0.0.1.nip.io:${a.port}`, `localhost.evil.example:${a.port}`, `127.0.0.1:${b.port}`, `0.0.0.0:${a.port}`, `[::ffff:7f00:1]:${a.port}`];
    for (const host of hosts) {
      assert.equal((await httpGet(a, `/?token=${a.token}`, { host })).status, 403, `page with Host ${host}`);
      assert.equal((await httpGet(a, "/api/health", { host, "x-acp-playground-token": a.token })).status, 403, `API with Host ${host}`);
      await expectUpgradeStatus(a, { host }, 403, `WebSocket with Host ${host}`);
    }
    assert.equal((await httpGet(a, "/api/health", { host: `localhost:${a.port}`, "x-acp-playground-token": a.token })).status, 200, "localhost is loopback");
  });

  // Regression: the Host/Origin checks were once only on for three literal bind names, so a
  // loopback bind such as 127.0.0.2 silently turned them off.
  test("a loopback --host other than 127.0.0.1 keeps the Host and Origin checks", async () => {
    const other = await startServer({ extraArgs: ["--host", "127.0.0.2"] });
    try {
      assert.equal(other.address, "127.0.0.2");
      assert.equal((await httpGet(other, "/api/health", { "x-acp-playground-token": other.token })).status, 200, "its own Host is fine");
      assert.equal((await httpGet(other, "/api/health", { host: `evil.example:${other.port}`, "x-acp-playground-token": other.token })).status, 403, "Host evil.example");
      await expectUpgradeStatus(other, { host: `evil.example:${other.port}` }, 403, "WebSocket with Host evil.example");
      await expectUpgradeStatus(other, { origin: `http://evil.example:${other.port}` }, 403, "WebSocket with Origin evil.example");
    } finally {
      await other.stop();
    }
  });

  test("crafted commands cannot run a binary outside the catalog, nor pass argv or env", async () => {
    const marker = path.join(os.tmpdir(), `pwned-${randomBytes(6).toString("hex")}`);
    const pwnedBefore = existsSync("/tmp/pwned");
    const client = await WsClient.connect(a);
    const shells = (): number[] => descendants(a.pid).filter((p) => {
      const argv = cmdline(p) ?? [];
      return argv[0] === "/bin/sh" || argv[0] === "sh" || argv.some((x) => x.includes("touch") || x.includes(marker));
    });
    try {
      await client.waitFor("hello", (e) => (e.type === "hello" ? e : undefined));
      // Ids that are not catalog entries, however they are spelled.
      for (const agentId of ["../../bin/sh", "/bin/sh", "sh", `${STUB}/../../../../bin/sh`, "kimi-2.1.0/../../../bin/sh", "", " stub"]) {
        for (const command of [{ type: "start", agentId }, { type: "adv_diff", agentId }, { type: "flow", mode: "probe", agentId, caps: { fsRead: false, fsWrite: false, terminal: false, authTerminal: false, legacyTerminalAuth: false } }]) {
          const from = client.events.length;
          client.sendJson(command);
          const why = await client.waitFor(`a refusal of ${command.type} ${JSON.stringify(agentId)}`, (e) => (client.events.indexOf(e) >= from ? refusal(e) : undefined), 10_000);
          assert.match(why, /No agent .* in the catalog/, `${command.type} ${JSON.stringify(agentId)} refused because it is not in the catalog`);
        }
      }
      assert.ok(!client.events.some((e) => e.type === "run" && !["kimi-2.1.0", "kimi-0.28.0", STUB, LEAKY, TREE].includes(e.run.agentId)), "no run of a non-catalog agent");

      // A catalog id plus smuggled command, argv and env: the extras are ignored.
      const smuggled = {
        command: "/bin/sh",
        file: "/bin/sh",
        args: ["-c", `touch ${marker}`],
        argv: ["/bin/sh", "-c", `touch ${marker}`],
        spawn: { file: "/bin/sh", args: ["-c", `touch ${marker}`], env: { PWNED: "1" } },
        env: { PWNED: "1", LD_PRELOAD: "/nonexistent/pwn.so", NODE_OPTIONS: `--require ${marker}.js` },
        shell: true,
      };
      const seenRuns = new Set<string>();
      for (const e of client.events) if (e.type === "run") seenRuns.add(e.run.runId);
      client.sendJson({ type: "start", agentId: STUB, ...smuggled });
      const run = await client.waitFor("the stub run", (e) => (e.type === "run" && e.run.agentId === STUB && !seenRuns.has(e.run.runId) ? e.run : undefined));
      const spawned = await client.waitForFrame("spawned", (f) => f.kind === "lifecycle" && f.lifecycle?.event === "spawned", run.runId);
      const stubScript = path.join(ROOT, "test", "fixtures", "stub-agent.mjs");
      assert.deepEqual(spawned.lifecycle?.argv, [NODE22, stubScript], "argv is the catalog's");
      const pid = spawned.lifecycle?.pid ?? -1;
      assert.deepEqual(cmdline(pid), [NODE22, stubScript], "the process runs the catalog's argv");
      const env = environOf(pid);
      assert.ok(env.length > 0, "the agent's environment is readable");
      for (const name of ["PWNED", "LD_PRELOAD", "NODE_OPTIONS", "ACP_SUITE_SERVER_SECRET"]) {
        assert.ok(!env.some((kv) => kv.startsWith(`${name}=`)), `${name} did not reach the agent`);
      }
      assert.ok(!env.some((kv) => kv.includes(SERVER_ENV_SECRET)), "the server's own environment did not reach the agent");

      // The same against a built-in agent, as the issue's example has it.
      client.sendJson({ type: "start", agentId: "kimi-2.1.0", ...smuggled });
      const kimi = await client.waitFor("the kimi run", (e) => (e.type === "run" && e.run.agentId === "kimi-2.1.0" ? e.run : undefined));
      const kimiSpawned = await client.waitForFrame("kimi spawned", (f) => f.kind === "lifecycle" && (f.lifecycle?.event === "spawned" || f.lifecycle?.event === "runtime_missing" || f.lifecycle?.event === "spawn_error"), kimi.runId);
      if (kimiSpawned.lifecycle?.event === "spawned") {
        const argv = kimiSpawned.lifecycle.argv ?? [];
        assert.match(argv[1] ?? "", /@moonshot-ai[/\\]kimi-code[/\\]dist[/\\]main\.mjs$/);
        assert.equal(argv[2], "acp");
        assert.equal(argv.length, 3);
        const kimiEnv = environOf(kimiSpawned.lifecycle.pid ?? -1);
        assert.ok(!kimiEnv.some((kv) => kv.startsWith("PWNED=") || kv.startsWith("LD_PRELOAD=") || kv.startsWith("NODE_OPTIONS=")), "no smuggled env in Kimi");
      }
      client.send({ type: "kill" });
      await sleep(500);
      assert.deepEqual(shells(), [], "no shell among the server's processes");
      assert.ok(!existsSync(marker), `${marker} was not created`);
      assert.equal(existsSync("/tmp/pwned"), pwnedBefore, "/tmp/pwned was not created");
    } finally {
      await client.close();
    }
  });

  test("fs/* requests are confined to the session's directory: no path traversal, no symlink escape", async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "acp-pg-fs-"));
    const cwd = path.join(root, "project");
    const outside = path.join(root, "outside");
    mkdirSync(cwd);
    mkdirSync(outside);
    writeFileSync(path.join(cwd, "inside.txt"), "inside");
    writeFileSync(path.join(outside, "secret.txt"), "outside-secret");
    symlinkSync(outside, path.join(cwd, "link-dir"));
    symlinkSync(path.join(outside, "secret.txt"), path.join(cwd, "link-file.txt"));
    const client = await WsClient.connect(a);
    try {
      const { runId } = await startRun(client, TREE);
      let n = 0;
      const ask = async (method: string, params: Record<string, unknown>): Promise<{ client: { content?: string } | null; error: { code: number; message: string } | null }> => {
        const id = `ask-${++n}`;
        client.send({ type: "send_raw", text: JSON.stringify({ jsonrpc: "2.0", id, method: "_test/ask", params: { method, params: { sessionId: "tree-1", ...params } } }) });
        const answer = await client.waitForFrame(`the answer to ${method} ${JSON.stringify(params)}`, (f) => f.kind === "response" && f.id === `s:${id}`, runId);
        return (JSON.parse(answer.raw) as { result: { client: { content?: string } | null; error: { code: number; message: string } | null } }).result;
      };
      const rpcAnswer = (id: string, method: string, params: unknown): Promise<Frame> => {
        client.send({ type: "send_raw", text: JSON.stringify({ jsonrpc: "2.0", id, method, params }) });
        return client.waitForFrame(`the answer to ${method}`, (f) => f.kind === "response" && f.id === `s:${id}`, runId);
      };
      await rpcAnswer("init", "initialize", { protocolVersion: 1, clientCapabilities: { fs: { readTextFile: true, writeTextFile: true } } });
      await rpcAnswer("new", "session/new", { cwd, mcpServers: [] });

      // Positive control: a file inside the session directory is served.
      const inside = await ask("fs/read_text_file", { path: path.join(cwd, "inside.txt") });
      assert.equal(inside.client?.content, "inside", "a file inside the session directory is readable");

      const escapes = [
        path.join(outside, "secret.txt"),
        `${cwd}/../outside/secret.txt`,
        path.join(cwd, "link-dir", "secret.txt"),
        path.join(cwd, "link-file.txt"),
        "/etc/hostname",
        "inside.txt",
      ];
      for (const p of escapes) {
        const r = await ask("fs/read_text_file", { path: p });
        assert.ok(r.error, `reading ${p} is refused`);
        assert.ok(!JSON.stringify(r).includes("outside-secret"), `${p}: nothing of the outside file comes back`);
      }
      for (const p of [path.join(outside, "written.txt"), `${cwd}/../outside/written.txt`, path.join(cwd, "link-dir", "written.txt"), path.join(cwd, "link-file.txt")]) {
        const r = await ask("fs/write_text_file", { path: p, content: "pwned" });
        assert.ok(r.error, `writing ${p} is refused`);
      }
      assert.equal(readFileSync(path.join(outside, "secret.txt"), "utf8"), "outside-secret", "the file behind the symlink is untouched");
      assert.ok(!existsSync(path.join(outside, "written.txt")), "nothing was written outside");
      const received = client.framesOf(runId).map((f) => f.raw).join("\n");
      assert.ok(!received.includes("outside-secret"), "the outside file's content never reached the client");
      client.send({ type: "kill" });
    } finally {
      await client.close();
      rmSync(root, { recursive: true, force: true });
    }
  });

  test("a non-loopback --host makes the server exit with code 2 and a clear error", async () => {
    const results = await Promise.all([runServerExpectingExit(["--host", "0.0.0.0"]), runServerExpectingExit(["--host", "192.0.2.10"])]);
    for (const [i, host] of ["0.0.0.0", "192.0.2.10"].entries()) {
      const r = results[i];
      assert.equal(r.code, 2, `--host ${host}: exit code`);
      assert.ok(!r.ready, `--host ${host}: never ready`);
      assert.match(r.output, new RegExp(`Refusing to bind ${host.replace(/\./g, "\\.")}`));
      assert.match(r.output, /--dangerously-bind-non-loopback/);
    }
  });

  test("no configured secret reaches a WebSocket client or the server log, however an agent leaks it", async () => {
    const client = await WsClient.connect(a, { keepRaw: true });
    const runIds: string[] = [];
    try {
      await client.waitFor("hello", (e) => (e.type === "hello" ? e : undefined));
      // An agent that dumps its env and home files to stderr and stdout in every shape.
      for (const profileId of ["offline-demo", "api-key-example", "oauth-example", "logged-out"]) {
        const { runId } = await startRun(client, LEAKY, profileId);
        runIds.push(runId);
        client.send({ type: "request", method: "initialize", params: { protocolVersion: 1, clientCapabilities: {} } });
        client.send({ type: "send_raw", text: JSON.stringify({ jsonrpc: "2.0", id: "leak", method: "_test/leak", params: {} }) });
        await client.waitForFrame(`the leak answer under ${profileId}`, (f) => f.kind === "response" && f.id === "s:leak", runId);
      }
      // The real Kimi Code with the example key and token: initialize and session/new.
      for (const profileId of ["api-key-example", "oauth-example"]) {
        const { runId } = await startRun(client, "kimi-2.1.0", profileId);
        runIds.push(runId);
        client.send({ type: "request", method: "initialize", params: { protocolVersion: 1, clientCapabilities: { fs: { readTextFile: false, writeTextFile: false }, terminal: false } } });
        await client.waitForFrame(`kimi initialize under ${profileId}`, (f) => (f.kind === "response" || f.kind === "error") && f.method === "initialize", runId, 30_000);
        client.send({ type: "request", method: "session/new", params: { cwd: a.dataDir, mcpServers: [] } });
        await client.waitForFrame(`kimi session/new under ${profileId}`, (f) => (f.kind === "response" || f.kind === "error" || f.kind === "lost") && f.method === "session/new", runId, 30_000);
      }
      client.send({ type: "kill" });
      // The profile manager's views: list, preview of the stored profiles.
      const hello = client.events.find((e) => e.type === "hello");
      assert.ok(hello && hello.type === "hello");
      for (const p of hello.profiles) {
        const preview = nextEvent(client, "profile_preview");
        client.send({ type: "profile_preview", draft: { id: p.id, name: p.name, kind: p.kind, fields: p.fields } });
        await preview;
      }
      await sleep(300);

      // A tab that opens later receives every run's whole log again.
      const late = await WsClient.connect(a, { keepRaw: true });
      try {
        for (const runId of runIds) {
          late.send({ type: "select_run", runId });
          await late.waitFor(`the log of ${runId}`, (e) => (e.type === "frames" && e.runId === runId ? e : undefined));
        }
        await sleep(500);

        const received = [...client.rawMessages, ...late.rawMessages].join("\n");
        const log = a.output();
        for (const secret of SECRETS) {
          for (const form of spellings(secret)) {
            assert.ok(!received.includes(form), `a WebSocket client received ${secret} (as ${form})`);
            assert.ok(!log.includes(form), `the server log contains ${secret} (as ${form})`);
          }
        }
        assert.ok(!received.includes(SERVER_ENV_SECRET) && !log.includes(SERVER_ENV_SECRET));
        // The leak attempts were real: the frames show where a secret was cut out.
        const leakyFrames: Frame[] = runIds.slice(1, 3).flatMap((id) => client.framesOf(id));
        for (const kind of ["stderr", "notification", "malformed", "error", "response"] as const) {
          assert.ok(leakyFrames.some((f) => f.kind === kind && f.raw.includes(REDACTED)), `a redacted ${kind} frame shows the leak was attempted`);
        }
      } finally {
        await late.close();
      }
    } finally {
      await client.close();
    }
  });
});
