/**
 * The terminal manager behind terminal/*: byte limits that keep the newest output on a character
 * boundary, the kill/release distinction the spec draws, clear errors for commands that cannot
 * run, and no process surviving dispose().
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { TerminalManager, type TerminalManagerOptions } from "../server/client-terminals";
import { ClientMethodError } from "../server/errors";

let cwd: string;
before(async () => {
  cwd = await mkdtemp(path.join(tmpdir(), "acp-terminals-"));
});
after(async () => {
  await rm(cwd, { recursive: true, force: true });
});

const node = process.execPath;
const managers: TerminalManager[] = [];
after(() => {
  for (const m of managers) m.dispose();
});

type Events = { output: { terminalId: string; data: string }[]; exits: { terminalId: string; exitCode: number | null; signal: string | null }[]; created: { terminalId: string; argv: string[]; cwd: string }[] };

function manager(opts: Partial<TerminalManagerOptions> = {}): { m: TerminalManager; events: Events } {
  const events: Events = { output: [], exits: [], created: [] };
  const m = new TerminalManager({
    redact: (s) => s.replaceAll("sk-secret-123", "‹redacted›"),
    events: { terminalOutput: (e) => events.output.push(e), terminalExit: (e) => events.exits.push(e), terminalCreated: (e) => events.created.push(e) },
    ...opts,
  });
  managers.push(m);
  return { m, events };
}

const js = (code: string): { command: string; args: string[] } => ({ command: node, args: ["-e", code] });
const spec = (code: string, extra: { outputByteLimit?: number; env?: Record<string, string> } = {}) => ({ sessionId: "s1", cwd, env: extra.env ?? {}, outputByteLimit: extra.outputByteLimit, ...js(code) });

/** Alive and not a zombie: a zombie is dead, only not yet reaped by its (re)parent. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

async function until(check: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

test("output is captured, streamed as events, and the exit status is reported", async () => {
  const { m, events } = manager();
  const code = "process.stdout.write('out sk-secret-123\\n'); process.stderr.write('err\\n'); process.exitCode = 3";
  const id = await m.create(spec(code));
  assert.deepEqual(await m.waitForExit(id), { exitCode: 3, signal: null });
  const out = m.output(id);
  assert.equal(out.truncated, false);
  assert.deepEqual(out.exitStatus, { exitCode: 3, signal: null });
  // stdout and stderr share one buffer; the agent's own command output is not redacted for it.
  assert.match(out.output, /out sk-secret-123\n/);
  assert.match(out.output, /err\n/);
  const streamed = events.output.filter((e) => e.terminalId === id).map((e) => e.data).join("");
  assert.match(streamed, /out ‹redacted›\n/, "what the UI sees is redacted");
  assert.deepEqual(events.exits, [{ terminalId: id, exitCode: 3, signal: null }]);
  assert.deepEqual(events.created, [{ terminalId: id, argv: [node, "-e", code.replace("sk-secret-123", "‹redacted›")], cwd }]);
});

test("the environment is the allowlist plus the agent's pairs, never the relay's secrets", async () => {
  const { m } = manager({ baseEnv: { PATH: process.env.PATH, HOME: "/home/x", RELAY_TOKEN: "sk-relay" } });
  const id = await m.create(spec("process.stdout.write(JSON.stringify({h: process.env.HOME, t: process.env.RELAY_TOKEN ?? null, f: process.env.FOO}))", { env: { FOO: "bar" } }));
  await m.waitForExit(id);
  assert.deepEqual(JSON.parse(m.output(id).output), { h: "/home/x", t: null, f: "bar" });
});

test("outputByteLimit keeps the newest bytes and says truncated", async () => {
  const { m } = manager();
  const id = await m.create(spec("process.stdout.write('0123456789abcdef')", { outputByteLimit: 6 }));
  await m.waitForExit(id);
  assert.deepEqual(m.output(id), { output: "abcdef", truncated: true, exitStatus: { exitCode: 0, signal: null } });

  const whole = await m.create(spec("process.stdout.write('abc')", { outputByteLimit: 3 }));
  await m.waitForExit(whole);
  assert.equal(m.output(whole).truncated, false, "exactly at the limit is not truncated");
});

test("truncation from the start lands on a UTF-8 character boundary", async () => {
  const { m } = manager();
  // "€" is 3 bytes: 10 newest bytes of 5 euros cut one in half, which must be dropped whole.
  const euros = await m.create(spec("process.stdout.write('€€€€€')", { outputByteLimit: 10 }));
  await m.waitForExit(euros);
  assert.deepEqual({ ...m.output(euros), exitStatus: undefined }, { output: "€€€", truncated: true, exitStatus: undefined });
  // 4-byte characters, written one byte at a time so chunk boundaries split characters; the 9
  // newest bytes start with the 3 continuation bytes of the first emoji (the worst case).
  const emoji = await m.create(spec("const b = Buffer.from('a😀b😀c'); (async () => { for (const x of b) { process.stdout.write(Buffer.from([x])); await new Promise(r => setTimeout(r, 1)); } })()", { outputByteLimit: 9 }));
  await m.waitForExit(emoji);
  const out = m.output(emoji);
  assert.equal(out.output, "b😀c");
  assert.equal(out.truncated, true);
  assert.ok(!out.output.includes("\uFFFD"));
});

test("a partial character at the end is held back until it completes", async () => {
  const { m } = manager();
  const id = await m.create(spec("process.stdout.write(Buffer.from([0x61, 0xe2, 0x82])); setTimeout(() => process.stdout.write(Buffer.from([0xac])), 300)"));
  await until(() => m.output(id).output === "a");
  assert.equal(m.output(id).output, "a");
  await m.waitForExit(id);
  assert.equal(m.output(id).output, "a€");
});

test("the total output budget caps every terminal even without outputByteLimit", async () => {
  const { m } = manager({ maxTerminals: 2, maxTotalOutputBytes: 32 });
  const id = await m.create(spec("process.stdout.write('x'.repeat(100) + 'END')"));
  await m.waitForExit(id);
  const out = m.output(id);
  assert.equal(Buffer.byteLength(out.output), 16);
  assert.ok(out.output.endsWith("END"));
  assert.equal(out.truncated, true);
});

test("kill stops the command and keeps the id valid; release invalidates it", async () => {
  const { m } = manager();
  const id = await m.create(spec("console.log('started'); setInterval(() => {}, 1000)"));
  await until(() => m.output(id).output.includes("started"));
  m.kill(id);
  assert.deepEqual(await m.waitForExit(id), { exitCode: null, signal: "SIGTERM" });
  assert.match(m.output(id).output, /started/);
  assert.deepEqual(m.output(id).exitStatus, { exitCode: null, signal: "SIGTERM" });
  m.kill(id); // killing an exited terminal is harmless
  m.release(id);
  assert.throws(() => m.output(id), (e: unknown) => e instanceof ClientMethodError && e.code === -32002 && (e.data as { terminalId: string }).terminalId === id);
  assert.throws(() => m.release(id), ClientMethodError);
  assert.equal(m.size, 0);
});

test("kill escalates to SIGKILL when SIGTERM is ignored", async () => {
  const { m } = manager({ killGraceMs: 200 });
  const id = await m.create(spec("process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000)"));
  await until(() => m.output(id).output.includes("ready"));
  m.kill(id);
  assert.deepEqual(await m.waitForExit(id), { exitCode: null, signal: "SIGKILL" });
});

test("release of a running terminal kills its whole process group", async () => {
  const { m } = manager();
  const id = await m.create({ sessionId: "s1", cwd, env: {}, command: "/bin/sh", args: ["-c", "sleep 30 & echo $!; wait"] });
  await until(() => /\d+\n/.test(m.output(id).output));
  const grandchild = Number(m.output(id).output.trim());
  const leader = m.pidOf(id)!;
  assert.ok(alive(grandchild) && alive(leader));
  m.release(id);
  assert.throws(() => m.output(id), ClientMethodError);
  assert.ok(await until(() => !alive(grandchild) && !alive(leader)), "sh and its sleep are gone");
});

test("the exit is reported even when a background child keeps the pipes open", async () => {
  const { m } = manager();
  const started = Date.now();
  const id = await m.create({ sessionId: "s1", cwd, env: {}, command: "/bin/sh", args: ["-c", "sleep 30 & echo $!"] });
  assert.deepEqual(await m.waitForExit(id), { exitCode: 0, signal: null });
  assert.ok(Date.now() - started < 5000);
  const orphan = Number(m.output(id).output.trim());
  assert.ok(alive(orphan));
  m.release(id);
  assert.ok(await until(() => !alive(orphan)), "release still reaches the group");
});

test("a command that does not exist is a clear error, not a crash", async () => {
  const { m, events } = manager();
  await assert.rejects(
    m.create({ sessionId: "s1", cwd, env: {}, command: "playground-no-such-command", args: [] }),
    (e: unknown) => e instanceof ClientMethodError && e.code === -32602 && /command not found/.test(e.message) && (e.data as { code: string }).code === "ENOENT",
  );
  assert.equal(m.size, 0);
  assert.equal(events.created.length, 0);
  await assert.rejects(m.create({ sessionId: "s1", cwd: path.join(cwd, "missing-dir"), env: {}, command: node, args: ["-v"] }), (e: unknown) => e instanceof ClientMethodError && /working directory .* does not exist/.test(e.message));
  await assert.rejects(m.create({ sessionId: "s1", cwd, env: {}, command: "bad\0name", args: [] }), (e: unknown) => e instanceof ClientMethodError && e.code === -32602);
});

test("unknown ids and other sessions' terminals are resource-not-found", async () => {
  const { m } = manager();
  assert.throws(() => m.output("term-404"), (e: unknown) => e instanceof ClientMethodError && e.code === -32002);
  await assert.rejects(m.waitForExit("term-404"), ClientMethodError);
  const id = await m.create(spec("1"));
  assert.throws(() => m.output(id, "another-session"), (e: unknown) => e instanceof ClientMethodError && e.code === -32002);
  assert.doesNotThrow(() => m.output(id, "s1"));
});

test("the number of live terminals is capped; releasing frees a slot", async () => {
  const { m } = manager({ maxTerminals: 2 });
  const a = await m.create(spec("1"));
  await m.create(spec("1"));
  await assert.rejects(m.create(spec("1")), (e: unknown) => e instanceof ClientMethodError && (e.data as { limit: number }).limit === 2);
  m.release(a);
  await m.create(spec("1"));
});

test("dispose kills every terminal's process group and refuses new ones", async () => {
  const { m } = manager();
  const ids = await Promise.all([1, 2, 3].map(() => m.create({ sessionId: "s1", cwd, env: {}, command: "/bin/sh", args: ["-c", "sleep 30 & echo $!; wait"] })));
  await until(() => ids.every((id) => /\d+\n/.test(m.output(id).output)));
  const pids = ids.flatMap((id) => [m.pidOf(id)!, Number(m.output(id).output.trim())]);
  assert.ok(pids.every(alive));
  m.dispose();
  assert.equal(m.size, 0);
  assert.ok(await until(() => pids.every((pid) => !alive(pid))), `still alive: ${pids.filter(alive).join(", ")}`);
  await assert.rejects(m.create(spec("1")), ClientMethodError);
});
