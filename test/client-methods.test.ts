/**
 * The relay's client side of ACP, fed the same messages the run observes: capability gating from
 * `initialize`, sessions learned from session/new|load, fs confinement against `..`, absolute
 * paths and symlink escapes (including a new file in a symlinked directory), line/limit, and the
 * permission policies.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, beforeEach, test } from "node:test";
import { type ClientMethodEvents, ClientMethodServer } from "../server/client-methods";
import type { ClientMethodOutcome } from "../server/run";

let root: string;
let cwd: string;
let extra: string;
let outside: string;

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), "acp-client-methods-"));
  cwd = path.join(root, "work");
  extra = path.join(root, "extra");
  outside = path.join(root, "outside");
  for (const dir of [cwd, extra, outside, path.join(cwd, "sub")]) await mkdir(dir, { recursive: true });
  await writeFile(path.join(cwd, "lines.txt"), "one\ntwo\r\nthree\nfour");
  await writeFile(path.join(extra, "more.txt"), "extra file\n");
  await writeFile(path.join(outside, "secret.txt"), "outside secret\n");
  await symlink(path.join(outside, "secret.txt"), path.join(cwd, "link-out.txt"));
  await symlink(path.join(cwd, "lines.txt"), path.join(cwd, "link-in.txt"));
  await symlink(outside, path.join(cwd, "linkdir"));
  await symlink(path.join(outside, "nothing-yet.txt"), path.join(cwd, "dangling.txt"));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

type Recorded = { type: keyof ClientMethodEvents; e: unknown };
let events: Recorded[];
let servers: ClientMethodServer[] = [];
beforeEach(() => {
  events = [];
});
after(() => {
  for (const s of servers) s.dispose();
  servers = [];
});

function server(caps: unknown = { fs: { readTextFile: true, writeTextFile: true }, terminal: true }): ClientMethodServer {
  const s = new ClientMethodServer({
    redact: (t) => t.replaceAll("sk-secret-42", "‹redacted›"),
    events: {
      fsWrite: (e) => events.push({ type: "fsWrite", e }),
      terminalCreated: (e) => events.push({ type: "terminalCreated", e }),
      terminalOutput: (e) => events.push({ type: "terminalOutput", e }),
      terminalExit: (e) => events.push({ type: "terminalExit", e }),
    },
  });
  servers.push(s);
  s.observe("out", "request", { jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: 1, clientCapabilities: caps } });
  return s;
}

/** Open a session the way the wire does: the request goes out, the response comes in. */
function openSession(s: ClientMethodServer, sessionId: string, id: number, additionalDirectories: string[] = []): void {
  s.observe("out", "request", { jsonrpc: "2.0", id, method: "session/new", params: { cwd, mcpServers: [], additionalDirectories } });
  s.observe("in", "response", { jsonrpc: "2.0", id, result: { sessionId } });
}

async function call(s: ClientMethodServer, method: string, params: unknown): Promise<ClientMethodOutcome> {
  return await s.serve(method, params, "n:99");
}

function errorOf(outcome: ClientMethodOutcome): { code: number; message: string; data?: Record<string, unknown> } {
  assert.ok("error" in outcome, `expected an error, got ${JSON.stringify(outcome)}`);
  return outcome.error as { code: number; message: string; data?: Record<string, unknown> };
}

function resultOf<T = Record<string, unknown>>(outcome: ClientMethodOutcome): T {
  assert.ok("result" in outcome, `expected a result, got ${JSON.stringify(outcome)}`);
  return outcome.result as T;
}

const read = (s: ClientMethodServer, p: string, more: Record<string, unknown> = {}) => call(s, "fs/read_text_file", { sessionId: "s1", path: p, ...more });
const write = (s: ClientMethodServer, p: string, content: string) => call(s, "fs/write_text_file", { sessionId: "s1", path: p, content });

// ─── capabilities and sessions ──────────────────────────────────────────────────────────────────

test("client methods are served only when initialize advertised them", async () => {
  const none = server({});
  openSession(none, "s1", 1);
  for (const [method, capability] of [
    ["fs/read_text_file", "fs.readTextFile"],
    ["fs/write_text_file", "fs.writeTextFile"],
    ["terminal/create", "terminal"],
    ["terminal/output", "terminal"],
  ] as const) {
    const err = errorOf(await call(none, method, { sessionId: "s1", path: path.join(cwd, "x.txt"), content: "", command: "true", terminalId: "t" }));
    assert.equal(err.code, -32601, method);
    assert.equal(err.data?.method, method);
    assert.match(String(err.data?.note), new RegExp(`clientCapabilities\\.${capability.replace(".", "\\.")}`));
  }
  assert.equal(existsSync(path.join(cwd, "x.txt")), false);

  const readOnly = server({ fs: { readTextFile: true } });
  openSession(readOnly, "s1", 1);
  assert.deepEqual(resultOf(await read(readOnly, path.join(cwd, "lines.txt"))), { content: "one\ntwo\r\nthree\nfour" });
  assert.equal(errorOf(await write(readOnly, path.join(cwd, "x.txt"), "x")).code, -32601);
  assert.deepEqual(readOnly.advertised, { readTextFile: true, writeTextFile: false, terminal: false, elicitationForm: false, elicitationUrl: false });
});

test("other methods are -32601 with the method named", async () => {
  const err = errorOf(await call(server(), "mcp/message", {}));
  assert.equal(err.code, -32601);
  assert.equal(err.message, "Method not found");
  assert.equal(err.data?.method, "mcp/message");
  assert.equal(typeof err.data?.note, "string");
});

test("sessions are learned from session/new responses and session/load|resume requests", async () => {
  const s = server();
  const unknown = errorOf(await read(s, path.join(cwd, "lines.txt")));
  assert.equal(unknown.code, -32002);
  assert.deepEqual(unknown.data?.sessionId, "s1");

  // A failed session/new teaches nothing; its id must not be mistaken for a later one's.
  s.observe("out", "request", { jsonrpc: "2.0", id: 5, method: "session/new", params: { cwd, mcpServers: [] } });
  s.observe("in", "error", { jsonrpc: "2.0", id: 5, error: { code: -32000, message: "Authentication required" } });
  s.observe("in", "response", { jsonrpc: "2.0", id: 5, result: { sessionId: "s1" } });
  assert.equal(s.knownSessions.size, 0);

  s.observe("out", "request", { jsonrpc: "2.0", id: "x", method: "session/load", params: { sessionId: "loaded", cwd, mcpServers: [] } });
  assert.deepEqual(resultOf(await call(s, "fs/read_text_file", { sessionId: "loaded", path: path.join(cwd, "lines.txt"), limit: 1 })), { content: "one\n" });

  openSession(s, "s1", 6, [extra]);
  assert.deepEqual(s.knownSessions.get("s1"), { cwd, additionalDirectories: [extra] });
});

// ─── fs/read_text_file ──────────────────────────────────────────────────────────────────────────

test("read: line (1-based) and limit slice the file, keeping line endings", async () => {
  const s = server();
  openSession(s, "s1", 1);
  const file = path.join(cwd, "lines.txt");
  const content = async (more: Record<string, unknown>) => resultOf<{ content: string }>(await read(s, file, more)).content;
  assert.equal(await content({}), "one\ntwo\r\nthree\nfour");
  assert.equal(await content({ line: 2 }), "two\r\nthree\nfour");
  assert.equal(await content({ line: 2, limit: 2 }), "two\r\nthree\n");
  assert.equal(await content({ limit: 1 }), "one\n");
  assert.equal(await content({ line: 4, limit: 10 }), "four");
  assert.equal(await content({ line: 9 }), "");
  assert.equal(await content({ limit: 0 }), "");
  assert.equal(await content({ line: null, limit: null }), "one\ntwo\r\nthree\nfour");
  for (const bad of [{ line: 0 }, { line: 1.5 }, { limit: -1 }, { line: "2" }]) {
    const err = errorOf(await read(s, file, bad));
    assert.equal(err.code, -32602, JSON.stringify(bad));
    assert.equal(err.data?.field, Object.keys(bad)[0]);
  }
});

test("read: missing file is -32002 with its path and uri; a directory is invalid", async () => {
  const s = server();
  openSession(s, "s1", 1);
  const missing = path.join(cwd, "nope.txt");
  const err = errorOf(await read(s, missing));
  assert.equal(err.code, -32002);
  assert.equal(err.data?.path, missing);
  assert.equal(err.data?.uri, `file://${missing}`);
  assert.equal(errorOf(await read(s, path.join(cwd, "sub"))).code, -32602);
  assert.equal(errorOf(await call(s, "fs/read_text_file", { sessionId: "s1" })).data?.field, "path");
});

test("read: confined to cwd and additionalDirectories, refusing .., absolute and symlink escapes", async () => {
  const s = server();
  openSession(s, "s1", 1, [extra]);
  // Inside: plain, through an inside symlink, a harmless "..", and an additional directory.
  assert.equal(resultOf<{ content: string }>(await read(s, path.join(cwd, "link-in.txt"), { limit: 1 })).content, "one\n");
  assert.equal(resultOf<{ content: string }>(await read(s, `${cwd}/sub/../lines.txt`, { limit: 1 })).content, "one\n");
  assert.equal(resultOf<{ content: string }>(await read(s, path.join(extra, "more.txt"))).content, "extra file\n");

  const refused = async (p: string, reason: RegExp) => {
    const err = errorOf(await read(s, p));
    assert.equal(err.code, -32602, p);
    assert.equal(err.message.startsWith("Invalid params"), true);
    assert.equal(err.data?.path, p);
    assert.match(String(err.data?.reason), reason, p);
  };
  await refused(`${cwd}/../outside/secret.txt`, /'\.\.' leads outside/);
  await refused(path.join(outside, "secret.txt"), /outside the session's cwd/);
  await refused("/etc/passwd", /outside the session's cwd/);
  await refused(path.join(cwd, "link-out.txt"), /symlink leads outside/);
  await refused(path.join(cwd, "linkdir", "secret.txt"), /symlink leads outside/);
  await refused("lines.txt", /must be absolute/);
  // A sibling whose name starts like the cwd is not inside it.
  await refused(`${cwd}-evil/x.txt`, /outside/);
});

// ─── fs/write_text_file ─────────────────────────────────────────────────────────────────────────

test("write: creates and overwrites inside, reporting old and new text for a diff", async () => {
  const s = server();
  openSession(s, "s1", 1);
  const file = path.join(cwd, "new.txt");
  assert.deepEqual(resultOf(await write(s, file, "first sk-secret-42\n")), {});
  assert.equal(await readFile(file, "utf8"), "first sk-secret-42\n", "the file gets the real content");
  assert.deepEqual(resultOf(await write(s, file, "second\n")), {});
  assert.equal(await readFile(file, "utf8"), "second\n");
  assert.deepEqual(events, [
    { type: "fsWrite", e: { sessionId: "s1", path: file, oldText: null, newText: "first ‹redacted›\n" } },
    { type: "fsWrite", e: { sessionId: "s1", path: file, oldText: "first ‹redacted›\n", newText: "second\n" } },
  ]);
  // Missing parent directories inside the cwd are created, as agents expect.
  const nested = path.join(cwd, "deep", "er", "file.txt");
  resultOf(await write(s, nested, "nested"));
  assert.equal(await readFile(nested, "utf8"), "nested");
  // Writing through an inside symlink writes its target.
  resultOf(await write(s, path.join(cwd, "sub", "..", "link-in.txt"), "one\ntwo\r\nthree\nfour"));
  assert.equal(errorOf(await call(s, "fs/write_text_file", { sessionId: "s1", path: file })).data?.field, "content");
});

test("write: refuses .., outside paths and every symlink escape, touching nothing", async () => {
  const s = server();
  openSession(s, "s1", 1);
  const refused = async (p: string, reason: RegExp) => {
    const err = errorOf(await write(s, p, "pwned"));
    assert.equal(err.code, -32602, p);
    assert.equal(err.data?.path, p);
    assert.match(String(err.data?.reason), reason, p);
  };
  await refused(`${cwd}/../outside/new.txt`, /'\.\.' leads outside/);
  await refused(path.join(outside, "new.txt"), /outside the session's cwd/);
  // An existing symlink to a file outside.
  await refused(path.join(cwd, "link-out.txt"), /symlink leads outside/);
  // A new file in a symlinked directory that points outside.
  await refused(path.join(cwd, "linkdir", "created.txt"), /symlink leads outside/);
  await refused(path.join(cwd, "linkdir", "a", "b", "created.txt"), /symlink leads outside/);
  // A dangling symlink: the write would create its target outside.
  await refused(path.join(cwd, "dangling.txt"), /dangling symlink/);
  assert.equal(await readFile(path.join(outside, "secret.txt"), "utf8"), "outside secret\n");
  for (const f of ["new.txt", "created.txt", "a", "nothing-yet.txt"]) assert.equal(existsSync(path.join(outside, f)), false, f);
  assert.equal(errorOf(await call(s, "fs/write_text_file", { sessionId: "nobody", path: path.join(cwd, "x"), content: "" })).code, -32002);
  assert.deepEqual(events, []);
});

// ─── terminals through the server ───────────────────────────────────────────────────────────────

test("terminal/*: cwd is confined, defaults to the session cwd, and errors are JSON-RPC errors", async () => {
  const s = server();
  openSession(s, "s1", 1);
  const created = resultOf<{ terminalId: string }>(await call(s, "terminal/create", { sessionId: "s1", command: process.execPath, args: ["-e", "process.stdout.write(process.cwd())"], env: [{ name: "A", value: "1" }], outputByteLimit: 1000 }));
  assert.deepEqual(resultOf(await call(s, "terminal/wait_for_exit", { sessionId: "s1", terminalId: created.terminalId })), { exitCode: 0, signal: null });
  assert.deepEqual(resultOf(await call(s, "terminal/output", { sessionId: "s1", terminalId: created.terminalId })), { output: cwd, truncated: false, exitStatus: { exitCode: 0, signal: null } });
  assert.deepEqual(resultOf(await call(s, "terminal/kill", { sessionId: "s1", terminalId: created.terminalId })), {});
  assert.deepEqual(resultOf(await call(s, "terminal/release", { sessionId: "s1", terminalId: created.terminalId })), {});
  assert.equal(errorOf(await call(s, "terminal/output", { sessionId: "s1", terminalId: created.terminalId })).code, -32002);
  assert.equal(s.terminalCount, 0);
  assert.deepEqual(events.map((e) => e.type), ["terminalCreated", "terminalOutput", "terminalExit"]);

  const outsideCwd = errorOf(await call(s, "terminal/create", { sessionId: "s1", command: "true", cwd: path.join(cwd, "linkdir") }));
  assert.equal(outsideCwd.code, -32602);
  assert.match(String(outsideCwd.data?.reason), /symlink leads outside/);
  const missing = errorOf(await call(s, "terminal/create", { sessionId: "s1", command: "playground-no-such-command" }));
  assert.equal(missing.code, -32602);
  assert.match(missing.message, /playground-no-such-command.*command not found/);
  assert.equal(errorOf(await call(s, "terminal/create", { sessionId: "s1", command: "true", env: [{ name: "A" }] })).data?.field, "env");
  assert.equal(errorOf(await call(s, "terminal/create", { sessionId: "nobody", command: "true" })).code, -32002);
  assert.equal(errorOf(await call(s, "terminal/wait_for_exit", { sessionId: "s1", terminalId: "term-404" })).code, -32002);
});

// ─── permissions ────────────────────────────────────────────────────────────────────────────────

const kimiOptions = [
  { optionId: "approve_once", name: "Approve once", kind: "allow_once" },
  { optionId: "approve_always", name: "Approve for this session", kind: "allow_always" },
  { optionId: "reject", name: "Reject", kind: "reject_once" },
];

test("permission policies: ask leaves it pending, allow and reject pick an option", async () => {
  const s = server();
  const ask = (options: unknown) => s.serve("session/request_permission", { sessionId: "s1", toolCall: { toolCallId: "t" }, options }, "n:1");
  assert.equal(s.permissionPolicy, "ask");
  assert.deepEqual(ask(kimiOptions), { pending: true });

  s.setPermissionPolicy("allow");
  assert.equal(s.permissionPolicy, "allow");
  assert.deepEqual(ask(kimiOptions), { result: { outcome: { outcome: "selected", optionId: "approve_once" } } });
  assert.deepEqual(ask([kimiOptions[1], kimiOptions[2]]), { result: { outcome: { outcome: "selected", optionId: "approve_always" } } }, "allow_always when there is no allow_once");
  assert.deepEqual(ask([kimiOptions[2]]), { pending: true }, "nothing to allow with: the user decides");

  s.setPermissionPolicy("reject");
  assert.deepEqual(ask(kimiOptions), { result: { outcome: { outcome: "selected", optionId: "reject" } } });
  assert.deepEqual(ask([{ optionId: "never", name: "Never", kind: "reject_always" }, { optionId: "no", name: "No", kind: "reject_once" }]), { result: { outcome: { outcome: "selected", optionId: "no" } } });
  assert.deepEqual(ask([kimiOptions[0]]), { pending: true });
  assert.deepEqual(ask(undefined), { pending: true });
});
