/**
 * Security suite, network part (issue 11: V-3, V-4, V-9, V-15): against a real `tsx server.ts`
 * from outside, with raw sockets where an HTTP client would refuse to send the request (`GET //`,
 * a half-sent header block, malformed WebSocket handshakes). Every unreadable request must get a
 * 4xx quickly and leave no socket behind, on the relay and on the offline model server; the token
 * cookie must live only on the per-start `<label>.localhost` name; a switch given a value must
 * stop the server instead of turning on.
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import { ensureBuild, httpGet, type PlaygroundServer, runServerExpectingExit, startServer, waitUntil, WsClient } from "./fixtures/server";

/** The answer to one raw request: the status line's code, the whole text, and whether the server closed. */
interface RawAnswer {
  status: number;
  text: string;
  /** Milliseconds until the first byte of the answer (undefined: none came). */
  answeredMs?: number;
  /** Milliseconds until the server closed the connection (undefined: still open at the deadline). */
  closedMs?: number;
}

/**
 * Write `text` on a fresh connection to 127.0.0.1:`port` and collect what comes back until the
 * server closes or `waitMs` passes; the client never closes first.
 */
function rawRequest(port: number, text: string, waitMs = 2000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const socket = connect(port, "127.0.0.1");
    let received = "";
    let answeredMs: number | undefined;
    const finish = (closedMs?: number): void => {
      clearTimeout(timer);
      socket.destroy();
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(received);
      resolve({ status: m ? Number(m[1]) : 0, text: received, answeredMs, closedMs });
    };
    const timer = setTimeout(() => finish(undefined), waitMs);
    socket.on("data", (d: Buffer) => {
      answeredMs ??= Date.now() - t0;
      received += d.toString("latin1");
    });
    socket.on("close", () => finish(Date.now() - t0));
    socket.on("error", () => undefined);
    socket.write(text);
  });
}

const WS_HEADERS = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

/** A request line plus headers, ready to write. */
function req(line: string, host: string, extra = ""): string {
  return `${line}\r\nHost: ${host}\r\n${extra}\r\n`;
}

/** The offline model server's port, from the server's log line. */
function modelPort(server: PlaygroundServer): number {
  const m = /Offline model server: http:\/\/127\.0\.0\.1:(\d+)\//.exec(server.output());
  assert.ok(m, "the server logs the model server's URL");
  return Number(m[1]);
}

/** The per-start browser host name, from the server's log line. */
function browserHost(server: PlaygroundServer): string {
  const m = /Browser address: http:\/\/(acp-[0-9a-f]{32}\.localhost):(\d+)\//.exec(server.output());
  assert.ok(m, "the server logs its browser address (acp-<32 hex>.localhost)");
  assert.equal(Number(m[2]), server.port);
  return m[1];
}

/** Is the relay (and the model server) still answering normally? */
async function assertHealthy(server: PlaygroundServer, label: string): Promise<void> {
  assert.equal((await httpGet(server, "/api/health", { "x-acp-playground-token": server.token })).status, 200, `${label}: /api/health`);
  const models = await rawRequest(modelPort(server), req("GET /v1/models HTTP/1.1", "127.0.0.1", "Connection: close\r\n"));
  assert.equal(models.status, 200, `${label}: the model server's /v1/models`);
  assert.ok(!/uncaughtException|Invalid URL|Error handling upgrade request/.test(server.output()), `${label}: nothing was thrown outside a handler:\n${server.output()}`);
}

// The cases share one server but no state: each opens its own sockets and checks what it sent.
// Most of their time is the server's own timers (headers timeout, keep-alive), so they run side by side.
describe("security: network", { timeout: 180_000, concurrency: true }, () => {
  let a: PlaygroundServer;

  before(async () => {
    await ensureBuild();
    a = await startServer();
    // The log lines this suite reads follow the ready line.
    await waitUntil("the model server's log line", () => a.output().includes("Offline model server:"));
  });
  after(async () => {
    await a?.stop();
  });

  test("V-4: request targets that do not parse (GET //, *, absolute) get a 4xx within 2 s on the relay and the model server, HTTP and Upgrade", async () => {
    const host = `127.0.0.1:${a.port}`;
    const auth = `x-acp-playground-token: ${a.token}\r\n`;
    const model = modelPort(a);
    const cases: { label: string; port: number; text: string }[] = [
      { label: "relay GET // (no token)", port: a.port, text: req("GET // HTTP/1.1", host) },
      { label: "relay GET // (token)", port: a.port, text: req("GET // HTTP/1.1", host, auth) },
      { label: "relay GET //evil.example/x (token)", port: a.port, text: req("GET //evil.example/x HTTP/1.1", host, auth) },
      { label: "relay GET *", port: a.port, text: req("GET * HTTP/1.1", host, auth) },
      { label: "relay GET relative", port: a.port, text: req("GET evil HTTP/1.1", host, auth) },
      { label: "relay upgrade //", port: a.port, text: req("GET // HTTP/1.1", host, WS_HEADERS) },
      { label: "relay upgrade // (token)", port: a.port, text: req("GET // HTTP/1.1", host, auth + WS_HEADERS) },
      { label: "relay upgrade *", port: a.port, text: req("GET * HTTP/1.1", host, auth + WS_HEADERS) },
      { label: "model GET //", port: model, text: req("GET // HTTP/1.1", `127.0.0.1:${model}`) },
      { label: "model POST //", port: model, text: req("POST // HTTP/1.1", `127.0.0.1:${model}`, "content-length: 0\r\n") },
      { label: "model GET *", port: model, text: req("GET * HTTP/1.1", `127.0.0.1:${model}`) },
      { label: "model upgrade //", port: model, text: req("GET // HTTP/1.1", `127.0.0.1:${model}`, WS_HEADERS) },
    ];
    const answers = await Promise.all(cases.map((c) => rawRequest(c.port, c.text)));
    for (const [i, c] of cases.entries()) {
      const r = answers[i];
      assert.ok(r.answeredMs !== undefined, `${c.label}: answered within 2 s`);
      // An authenticated `//` reaches Next, which answers with a redirect to the single-slash path.
      const ok = (r.status >= 400 && r.status < 500) || (r.status === 308 && /\r\nlocation: \/(?!\/)/i.test(r.text));
      assert.ok(ok, `${c.label}: a 4xx (got ${r.status}: ${r.text.split("\r\n")[0]})`);
    }
    // A redirect never sends the browser to another host: `//evil.example/x` stays a path here.
    const traded = await rawRequest(a.port, req(`GET //evil.example/x?token=${a.token} HTTP/1.1`, `${browserHost(a)}:${a.port}`));
    assert.equal(traded.status, 303);
    assert.match(traded.text, /\r\nlocation: \/evil\.example\/x\r\n/i);
    await assertHealthy(a, "after the unreadable requests");
  });

  test("V-4: 200 `GET //` requests are all answered and no socket is held afterwards (relay and model server)", async () => {
    const N = 200;
    const model = modelPort(a);
    const t0 = Date.now();
    // The client never closes: every socket must be answered and then closed by the server
    // (at once for a 400, after the keep-alive timeout for a 401 on an otherwise good request).
    const answers = await Promise.all([
      ...Array.from({ length: N }, () => rawRequest(a.port, req("GET // HTTP/1.1", `127.0.0.1:${a.port}`), 12_000)),
      ...Array.from({ length: N }, () => rawRequest(model, req("GET // HTTP/1.1", `127.0.0.1:${model}`), 12_000)),
    ]);
    const relay = answers.slice(0, N);
    const modelAnswers = answers.slice(N);
    assert.equal(relay.filter((r) => r.status >= 400 && r.status < 500).length, N, "every relay `GET //` got a 4xx");
    assert.equal(modelAnswers.filter((r) => r.status >= 400 && r.status < 500).length, N, "every model-server `GET //` got a 4xx");
    const held = answers.filter((r) => r.closedMs === undefined).length;
    assert.equal(held, 0, `sockets still open 12 s later: ${held} of ${2 * N}`);
    const slowest = Math.max(...answers.map((r) => r.answeredMs ?? Infinity));
    assert.ok(slowest < 5000, `the slowest of ${2 * N} answers took ${slowest} ms`);
    process.stdout.write(`# ${2 * N} GET // answered, slowest answer ${slowest} ms, all closed by the server within ${Date.now() - t0} ms\n`);
    await assertHealthy(a, `after ${N} GET // on each server`);
  });

  test("V-4: a client that never finishes its headers is disconnected by the headers timeout (relay and model server)", async () => {
    const model = modelPort(a);
    const [relay, modelAnswer] = await Promise.all([
      rawRequest(a.port, `GET / HTTP/1.1\r\nHost: 127.0.0.1:${a.port}\r\nX-Slow: 1\r\n`, 20_000),
      rawRequest(model, `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:${model}\r\n`, 20_000),
    ]);
    for (const [label, r] of [["relay", relay], ["model server", modelAnswer]] as const) {
      assert.ok(r.closedMs !== undefined, `${label}: the half-sent request was dropped within 20 s`);
      assert.ok(r.closedMs >= 9_000, `${label}: not before the headers timeout (${r.closedMs} ms)`);
    }
    await assertHealthy(a, "after the slow clients");
  });

  test("V-4: malformed WebSocket upgrades get a 4xx and a close (bad key, wrong version, not GET, no token)", async () => {
    const host = `127.0.0.1:${a.port}`;
    const auth = `x-acp-playground-token: ${a.token}\r\n`;
    const cases: { label: string; text: string; status: number }[] = [
      { label: "bad Sec-WebSocket-Key", text: req("GET /ws HTTP/1.1", host, `${auth}Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: not-a-key\r\nSec-WebSocket-Version: 13\r\n`), status: 400 },
      { label: "no Sec-WebSocket-Key", text: req("GET /ws HTTP/1.1", host, `${auth}Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n`), status: 400 },
      { label: "Sec-WebSocket-Version 99", text: req("GET /ws HTTP/1.1", host, `${auth}Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 99\r\n`), status: 400 },
      { label: "Upgrade: h2c", text: req("GET /ws HTTP/1.1", host, `${auth}Upgrade: h2c\r\nConnection: Upgrade\r\n`), status: 400 },
      { label: "POST", text: req("POST /ws HTTP/1.1", host, `${auth}${WS_HEADERS}content-length: 0\r\n`), status: 405 },
      { label: "no token", text: req("GET /ws HTTP/1.1", host, WS_HEADERS), status: 401 },
      { label: "foreign Host", text: req("GET /ws HTTP/1.1", `evil.example:${a.port}`, auth + WS_HEADERS), status: 403 },
    ];
    const answers = await Promise.all(cases.map((c) => rawRequest(a.port, c.text)));
    for (const [i, c] of cases.entries()) {
      assert.equal(answers[i].status, c.status, `${c.label}: status (got ${answers[i].text.split("\r\n")[0]})`);
      assert.ok(answers[i].closedMs !== undefined, `${c.label}: the server closed the socket within 2 s`);
    }
    const model = modelPort(a);
    const modelUpgrade = await rawRequest(model, req("GET /v1/models HTTP/1.1", `127.0.0.1:${model}`, WS_HEADERS));
    assert.ok(modelUpgrade.status >= 400 && modelUpgrade.status < 500 && modelUpgrade.closedMs !== undefined, `model server upgrade: 4xx and closed (got ${modelUpgrade.status})`);
    await assertHealthy(a, "after the malformed upgrades");
  });

  test("V-15: an authenticated WebSocket upgrade on a path other than /ws gets 404 and a close in production", async () => {
    const host = `127.0.0.1:${a.port}`;
    const auth = `x-acp-playground-token: ${a.token}\r\n`;
    // Next's request handler adds an upgrade listener of its own on its first request; load the
    // page so it has, and prove that listener never sees an upgrade (it would log, or answer).
    assert.equal((await httpGet(a, "/", { "x-acp-playground-token": a.token })).status, 200);
    for (const p of ["/ws/", "/_next/webpack-hmr", "/_next/hmr", "/", "/api/health", "*"]) {
      const r = await rawRequest(a.port, req(`GET ${p} HTTP/1.1`, host, auth + WS_HEADERS));
      assert.equal(r.status, p === "*" ? 400 : 404, `upgrade on ${p}: status (got ${r.text.split("\r\n")[0] || "no answer"})`);
      assert.ok(r.closedMs !== undefined, `upgrade on ${p}: closed within 2 s`);
    }
    // /ws itself still upgrades.
    const ok = await rawRequest(a.port, req("GET /ws HTTP/1.1", host, auth + WS_HEADERS), 1000);
    assert.equal(ok.status, 101);
    assert.doesNotMatch(a.output(), /Error handling upgrade request|uncaughtException/, "Next's own upgrade handler never ran");
  });

  test("V-3: the token cookie is set only on the per-start <label>.localhost name, and a cookie at 127.0.0.1 is refused", async () => {
    // The printed URL, opened as printed, must not leave a cookie on 127.0.0.1 (every server there would get it).
    const printed = await httpGet(a, `/?token=${a.token}`);
    assert.equal(printed.headers["set-cookie"], undefined, "GET /?token= on 127.0.0.1 sets no cookie");
    const label = browserHost(a);
    const cookie = `acp_playground_${a.port}=${a.token}`;
    const hdr = { "x-acp-playground-token": a.token };

    // Opening the printed URL on any loopback name carries the token to the label host, setting no cookie.
    for (const host of [`127.0.0.1:${a.port}`, `localhost:${a.port}`, `[::1]:${a.port}`, "127.0.0.1"]) {
      const r = await httpGet(a, `/runs?x=1&token=${a.token}`, { host });
      assert.equal(r.status, 303, `Host ${host}: redirected`);
      assert.equal(r.headers["set-cookie"], undefined, `Host ${host}: no cookie is set on a shared loopback name`);
      assert.equal(r.headers.location, `http://${label}:${a.port}/runs?x=1&token=${a.token}`, `Host ${host}: to the label host`);
    }
    // On the label host the token is traded for a host-only cookie and leaves the URL.
    const traded = await httpGet(a, `/?token=${a.token}`, { host: `${label}:${a.port}` });
    assert.equal(traded.status, 303);
    assert.equal(traded.headers.location, "/");
    const setCookie = String(traded.headers["set-cookie"]);
    assert.match(setCookie, new RegExp(`^${cookie}; `));
    assert.match(setCookie, /; HttpOnly/);
    assert.match(setCookie, /; SameSite=Strict/);
    assert.match(setCookie, /; Path=\//);
    assert.doesNotMatch(setCookie, /domain=/i, "host-only: no Domain attribute");
    // A wrong token on the label host sets nothing.
    const wrong = await httpGet(a, "/?token=wrong", { host: `${label}:${a.port}` });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers["set-cookie"], undefined);

    // The cookie opens the page and the API on the label host only.
    assert.equal((await httpGet(a, "/", { host: `${label}:${a.port}`, cookie })).status, 200, "cookie on the label host");
    assert.equal((await httpGet(a, "/api/health", { host: label, cookie })).status, 200, "cookie on the label host without a port");
    for (const host of [`127.0.0.1:${a.port}`, `localhost:${a.port}`, `[::1]:${a.port}`]) {
      assert.equal((await httpGet(a, "/", { host, cookie })).status, 401, `the cookie is refused on ${host}`);
      assert.equal((await httpGet(a, "/api/health", { host, cookie })).status, 401, `the cookie is refused on ${host} (API)`);
      assert.equal((await httpGet(a, "/api/health", { host, ...hdr })).status, 200, `the header still works on ${host}`);
    }
    // The same for the WebSocket: the cookie upgrades only on the label host (with its Origin).
    const upgrade = (host: string, extra: string): Promise<RawAnswer> => rawRequest(a.port, req("GET /ws HTTP/1.1", host, extra + WS_HEADERS), 1000);
    assert.equal((await upgrade(`${label}:${a.port}`, `Cookie: ${cookie}\r\nOrigin: http://${label}:${a.port}\r\n`)).status, 101, "WS: cookie + Origin on the label host");
    assert.equal((await upgrade(`127.0.0.1:${a.port}`, `Cookie: ${cookie}\r\nOrigin: http://127.0.0.1:${a.port}\r\n`)).status, 401, "WS: cookie on 127.0.0.1");
    assert.equal((await upgrade(`127.0.0.1:${a.port}`, `Cookie: ${cookie}\r\n`)).status, 401, "WS: cookie on 127.0.0.1, no Origin");
    // Other *.localhost names (another label, another start's label, a lookalike) are not loopback names here.
    for (const other of ["foo.localhost", `acp-${"0".repeat(32)}.localhost`, `${label}.evil.example`, `x.${label}`]) {
      assert.equal((await httpGet(a, "/api/health", { host: `${other}:${a.port}`, ...hdr })).status, 403, `Host ${other}`);
      assert.equal((await httpGet(a, "/api/health", { origin: `http://${other}:${a.port}`, ...hdr })).status, 403, `Origin ${other}`);
      assert.equal((await upgrade(`${other}:${a.port}`, `Cookie: ${cookie}\r\n`)).status, 403, `WS Host ${other}`);
    }
    await assert.rejects(WsClient.connect(a, { origin: `http://foo.localhost:${a.port}` }), /403/);
    // The label host's own Origin is accepted on HTTP and WS.
    assert.equal((await httpGet(a, "/api/health", { origin: `http://${label}:${a.port}`, ...hdr })).status, 200);
    const client = await WsClient.connect(a, { origin: `http://${label}:${a.port}`, host: `${label}:${a.port}` });
    await client.close();
    // The ready line keeps its format (scripts parse it).
    assert.match(a.output(), new RegExp(`ACP Playground ready: http://127\\.0\\.0\\.1:${a.port}/\\?token=${a.token}\\n`));
  });

  test("V-9: a boolean flag given a value (--dangerously-bind-non-loopback=false, --dev=…, …) is refused with exit 2", async () => {
    const cases = [
      ["--host", "0.0.0.0", "--dangerously-bind-non-loopback=false"],
      ["--dangerously-bind-non-loopback=no"],
      ["--dev=false"],
      ["--no-open=0"],
      ["--quiet=yes"],
      ["--help=1"],
    ];
    // Two at a time: each is a tsx start (the config is parsed before Next loads, so they are quick).
    const results: Awaited<ReturnType<typeof runServerExpectingExit>>[] = [];
    for (let i = 0; i < cases.length; i += 2) results.push(...(await Promise.all(cases.slice(i, i + 2).map((args) => runServerExpectingExit(args)))));
    for (const [i, args] of cases.entries()) {
      const r = results[i];
      const flag = args[args.length - 1];
      assert.equal(r.code, 2, `${args.join(" ")}: exit code (output: ${r.output})`);
      assert.ok(!r.ready, `${args.join(" ")}: never ready`);
      assert.match(r.output, new RegExp(`--${flag.slice(2).split("=")[0]} takes no value`), `${args.join(" ")}: says why`);
      assert.doesNotMatch(r.output, /0\.0\.0\.0:\d+/, `${args.join(" ")}: never listened on 0.0.0.0`);
    }
  });
});
