/**
 * The request guards and the bind policy: token, Host rebinding, Origin, where the token cookie
 * may live (only on the per-start `<label>.localhost` name), unreadable request targets,
 * non-loopback refusal, switches that take no value.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseConfig } from "../server/config";
import { ConfigError, GuardError } from "../server/errors";
import {
  browserHostReaches,
  checkRequest,
  cleanLocation,
  cookieName,
  type GuardDecision,
  type GuardPolicy,
  guardRequest,
  newBrowserHost,
  parseHost,
  readCookie,
  type RequestFacts,
  tokenMatches,
} from "../server/guard";
import { parseRequestTarget } from "../server/http-limits";

const policy = { token: "secret-token-123", port: 4000, allowAnyHost: false };
const ok = { host: "127.0.0.1:4000", origin: "http://127.0.0.1:4000", token: "secret-token-123", websocket: true };

function status(input: Partial<typeof ok> & Record<string, unknown>): number {
  try {
    checkRequest({ ...ok, ...input } as typeof ok, policy);
    return 200;
  } catch (error) {
    assert.ok(error instanceof GuardError);
    return error.status;
  }
}

test("a good request passes", () => {
  assert.equal(status({}), 200);
  assert.equal(status({ host: "localhost:4000", origin: "http://localhost:4000" }), 200);
  assert.equal(status({ host: "[::1]:4000", origin: "http://[::1]:4000" }), 200);
  assert.equal(status({ origin: undefined }), 200, "non-browser clients send no Origin; the token still applies");
});

test("no token or a wrong one is 401", () => {
  assert.equal(status({ token: undefined }), 401);
  assert.equal(status({ token: "" }), 401);
  assert.equal(status({ token: "secret-token-124" }), 401);
  assert.equal(status({ token: "secret-token-123-longer" }), 401);
});

test("a foreign or null Origin is 403", () => {
  assert.equal(status({ origin: "http://evil.example" }), 403);
  assert.equal(status({ origin: "http://127.0.0.1:5000" }), 403, "another local port is another origin");
  assert.equal(status({ origin: "https://127.0.0.1:4000" }), 403);
  assert.equal(status({ origin: "null" }), 403);
  assert.equal(status({ origin: "not a url" }), 403);
});

test("a rebinding Host is 403, even with the right token", () => {
  assert.equal(status({ host: "evil.example" }), 403);
  assert.equal(status({ host: "evil.example:4000" }), 403);
  assert.equal(status({ host: "127.0.0.1.nip.io:4000" }), 403);
  assert.equal(status({ host: undefined }), 403);
  assert.equal(status({ host: "127.0.0.1:4001" }), 403);
});

test("token comparison is exact", () => {
  assert.equal(tokenMatches("abc", "abc"), true);
  assert.equal(tokenMatches("abc", "abd"), false);
  assert.equal(tokenMatches("abc", undefined), false);
});

test("host and cookie parsing", () => {
  assert.deepEqual(parseHost("[::1]:3000"), { hostname: "::1", port: "3000" });
  assert.deepEqual(parseHost("LOCALHOST"), { hostname: "localhost", port: undefined });
  assert.equal(readCookie(`a=1; ${cookieName(3000)}=tok%2Fx; b=2`, cookieName(3000)), "tok/x");
  assert.equal(readCookie("a=1", cookieName(3000)), undefined);
});

test("a non-loopback bind is refused unless explicitly dangerous", () => {
  assert.throws(() => parseConfig(["--host", "0.0.0.0"], {}), ConfigError);
  assert.throws(() => parseConfig(["--host", "192.168.1.5"], {}), /Refusing to bind/);
  assert.equal(parseConfig(["--host", "0.0.0.0", "--dangerously-bind-non-loopback"], {}).host, "0.0.0.0");
  assert.equal(parseConfig([], {}).host, "127.0.0.1");
});

test("--kimi-oauth-host takes an http(s) URL without credentials and refuses anything else", () => {
  assert.equal(parseConfig(["--kimi-oauth-host", "http://127.0.0.1:9"], {}).kimiOAuthHost, "http://127.0.0.1:9");
  assert.equal(parseConfig([], {}).kimiOAuthHost, undefined);
  for (const bad of ["auth.kimi.com", "ftp://127.0.0.1/", "http://user:pw@127.0.0.1:9"]) {
    assert.throws(() => parseConfig(["--kimi-oauth-host", bad], {}), /--kimi-oauth-host must be an http/);
  }
});

test("config reads port and data dir from flags and env, and rejects nonsense", () => {
  const c = parseConfig(["--port", "0", "--data-dir", "/tmp/x"], {});
  assert.equal(c.port, 0);
  assert.equal(c.dataDir, "/tmp/x");
  assert.equal(parseConfig([], { PORT: "4567", ACP_PLAYGROUND_HOME: "/tmp/y" }).port, 4567);
  assert.equal(parseConfig([], { ACP_PLAYGROUND_HOME: "/tmp/y" }).dataDir, "/tmp/y");
  assert.throws(() => parseConfig(["--port", "70000"], {}), ConfigError);
  assert.throws(() => parseConfig(["--bogus"], {}), /Unknown option/);
  assert.throws(() => parseConfig(["--port"], {}), /needs a value/);
});

const LABEL = "acp-0123456789abcdef0123456789abcdef.localhost";
const labelPolicy: GuardPolicy = { ...policy, browserHost: LABEL };
const COOKIE = `${cookieName(4000)}=secret-token-123`;

function decide(facts: Partial<RequestFacts>, p: GuardPolicy = labelPolicy): GuardDecision {
  return guardRequest({ target: "/", host: "127.0.0.1:4000", origin: undefined, headerToken: undefined, cookie: undefined, websocket: false, ...facts }, p);
}

function statusOf(d: GuardDecision): number {
  return d.action === "refuse" ? d.status : d.action === "redirect" ? 303 : 200;
}

test("V-3: the browser host is acp-<128 random bits>.localhost, fresh at each start, and only 127.0.0.1/::1/localhost binds get one", () => {
  const a = newBrowserHost();
  assert.match(a, /^acp-[0-9a-f]{32}\.localhost$/);
  assert.notEqual(a, newBrowserHost());
  for (const h of ["127.0.0.1", "localhost", "::1", "[::1]"]) assert.equal(browserHostReaches(h), true, h);
  // Browsers map *.localhost to 127.0.0.1 and ::1 only; the cookie can't move to a name that misses the bind.
  for (const h of ["127.0.0.2", "0.0.0.0", "192.168.1.5"]) assert.equal(browserHostReaches(h), false, h);
});

test("V-3: a token in the URL on a shared loopback name goes to the label host, with no cookie set", () => {
  for (const host of ["127.0.0.1:4000", "localhost:4000", "[::1]:4000", "127.0.0.1"]) {
    const d = decide({ host, target: "/runs?x=1&token=secret-token-123" });
    assert.deepEqual(d, { action: "redirect", location: `http://${LABEL}:4000/runs?x=1&token=secret-token-123` }, host);
  }
  // A wrong token goes nowhere.
  assert.equal(statusOf(decide({ target: "/?token=nope" })), 401);
});

test("V-3: on the label host the URL token is traded for a host-only cookie and dropped from the URL", () => {
  const d = decide({ host: `${LABEL}:4000`, target: "/runs?x=1&token=secret-token-123" });
  assert.equal(d.action, "redirect");
  assert.ok(d.action === "redirect");
  assert.equal(d.location, "/runs?x=1");
  assert.equal(d.setCookie, `${COOKIE}; HttpOnly; SameSite=Strict; Path=/`);
  assert.doesNotMatch(d.setCookie ?? "", /domain/i, "host-only");
  // A path that starts with `//` never becomes a scheme-relative Location to another host.
  const evil = decide({ host: `${LABEL}:4000`, target: "//evil.example/x?token=secret-token-123" });
  assert.ok(evil.action === "redirect");
  assert.equal(evil.location, "/evil.example/x");
  assert.equal(cleanLocation(new URL("http://h///a//b?q=1")), "/a//b?q=1");
});

test("V-3: the cookie is accepted on the label host only; the header works on any loopback name", () => {
  assert.equal(statusOf(decide({ host: `${LABEL}:4000`, cookie: COOKIE })), 200);
  assert.equal(statusOf(decide({ host: LABEL, cookie: COOKIE })), 200, "no port in Host");
  assert.equal(statusOf(decide({ host: `${LABEL}:4000`, cookie: COOKIE, websocket: true, origin: `http://${LABEL}:4000` })), 200, "WebSocket from the page");
  for (const host of ["127.0.0.1:4000", "localhost:4000", "[::1]:4000"]) {
    assert.equal(statusOf(decide({ host, cookie: COOKIE })), 401, `cookie at ${host}`);
    assert.equal(statusOf(decide({ host, cookie: COOKIE, websocket: true })), 401, `WebSocket cookie at ${host}`);
    assert.equal(statusOf(decide({ host, headerToken: "secret-token-123" })), 200, `header at ${host}`);
    assert.equal(statusOf(decide({ host, headerToken: "secret-token-123", websocket: true })), 200, `WebSocket header at ${host}`);
  }
  // The query wins over header and cookie, as before.
  assert.equal(statusOf(decide({ host: `${LABEL}:4000`, cookie: COOKIE, target: "/?token=nope" })), 401);
  // A WebSocket's query token is used, never redirected.
  assert.equal(decide({ target: "/ws?token=secret-token-123", websocket: true }).action, "pass");
});

test("V-3: only this start's label is a host name besides the loopback literals (Host and Origin)", () => {
  assert.equal(statusOf(decide({ host: `${LABEL}:4000`, origin: `http://${LABEL}:4000`, headerToken: "secret-token-123" })), 200);
  for (const other of ["foo.localhost", "acp-ffffffffffffffffffffffffffffffff.localhost", `x.${LABEL}`, `${LABEL}.evil.example`, "localhost.localdomain"]) {
    assert.equal(statusOf(decide({ host: `${other}:4000`, headerToken: "secret-token-123" })), 403, `Host ${other}`);
    assert.equal(statusOf(decide({ origin: `http://${other}:4000`, headerToken: "secret-token-123" })), 403, `Origin ${other}`);
  }
  assert.equal(statusOf(decide({ origin: `http://${LABEL}:4001`, headerToken: "secret-token-123" })), 403, "the label on another port");
  assert.equal(statusOf(decide({ origin: `https://${LABEL}:4000`, headerToken: "secret-token-123" })), 403, "https");
  assert.equal(statusOf(decide({ host: `${LABEL}:4001`, headerToken: "secret-token-123" })), 403, "Host port");
  // An earlier start's label is refused with a hint, not a rebinding warning.
  const old = decide({ host: "acp-ffffffffffffffffffffffffffffffff.localhost:4000", headerToken: "secret-token-123" });
  assert.ok(old.action === "refuse" && /earlier start/.test(old.message));
});

test("V-3: without a browser host (127.0.0.2 or a dangerous bind) the cookie stays on the host the request named", () => {
  const d = decide({ host: "127.0.0.2:4000", target: "/?token=secret-token-123" }, policy);
  assert.deepEqual(d, { action: "redirect", location: "/", setCookie: `${COOKIE}; HttpOnly; SameSite=Strict; Path=/` });
  assert.equal(statusOf(decide({ host: "127.0.0.2:4000", cookie: COOKIE }, policy)), 200);
  const open: GuardPolicy = { ...policy, allowAnyHost: true };
  assert.equal(statusOf(decide({ host: "192.168.1.5:4000", cookie: COOKIE }, open)), 200);
  assert.equal(statusOf(decide({ host: "192.168.1.5:4000", target: "/?token=secret-token-123" }, open)), 303);
});

test("V-4: a request target that is not a path is refused 400 by the guard, never thrown", () => {
  for (const target of ["*", "evil", "http://127.0.0.1:4000/", "", undefined]) {
    assert.deepEqual(decide({ target, headerToken: "secret-token-123" }), { action: "refuse", status: 400, message: "the request target is not a path" }, String(target));
  }
  // `//` and `//host/x` are paths here (WHATWG `new URL("//", base)` throws; this never does).
  assert.equal(parseRequestTarget("//")?.pathname, "//");
  assert.equal(parseRequestTarget("//evil.example/x?y=1")?.pathname, "//evil.example/x");
  assert.equal(parseRequestTarget("/\\evil.example/")?.hostname, "request-target.invalid");
  assert.equal(statusOf(decide({ target: "//" })), 401);
  assert.equal(statusOf(decide({ target: "//", headerToken: "secret-token-123" })), 200);
  // A cookie value that is not valid percent-encoding is no token, not an exception.
  assert.equal(readCookie(`${cookieName(4000)}=%E0%A4%A`, cookieName(4000)), undefined);
  assert.equal(statusOf(decide({ host: `${LABEL}:4000`, cookie: `${cookieName(4000)}=%E0%A4%A` })), 401);
});

test("V-9: a switch given a value is refused, whatever the value", () => {
  for (const arg of ["--dangerously-bind-non-loopback=false", "--dangerously-bind-non-loopback=no", "--dangerously-bind-non-loopback=", "--dev=false", "--no-open=0", "--quiet=yes", "--help=1"]) {
    assert.throws(() => parseConfig(["--host", "0.0.0.0", arg], {}), (e: unknown) => e instanceof ConfigError && /takes no value/.test(e.message), arg);
  }
  assert.equal(parseConfig(["--dev", "--quiet", "--no-open"], {}).dev, true);
  assert.equal(parseConfig(["--host", "0.0.0.0", "--dangerously-bind-non-loopback"], {}).host, "0.0.0.0");
  assert.equal(parseConfig(["--port=0"], {}).port, 0, "options that take a value still accept =value");
});
