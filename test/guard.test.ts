/** The request guards and the bind policy: token, Host rebinding, Origin, non-loopback refusal. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseConfig } from "../server/config";
import { ConfigError, GuardError } from "../server/errors";
import { checkRequest, cookieName, parseHost, readCookie, tokenMatches } from "../server/guard";

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
