/**
 * The real Kimi Code 2.1.0 against the offline model's tool scenarios, through the relay's Run and
 * ClientMethodServer exactly as the hub wires them. These pin what Kimi actually does when a client
 * advertises fs and terminal: Bash asks permission then runs via terminal/*, Read goes through
 * fs/read_text_file without asking, Write asks then goes through fs/write_text_file; and how a
 * rejection, a refused path and a cancel end the turn.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { Frame } from "../lib/wire";
import type { PermissionPolicy } from "../server/client-methods";
import { type ModelServer, SHELL_COMMAND, startModelServer, WRITE_CONTENT } from "../server/model-server";
import { OFFLINE_DEMO_ID, ProfileStore, type StoredProfile, validateFields } from "../server/profiles";
import { FULL_CAPS, parsed, RunHarness } from "./fixtures/run-harness";

let root: string;
let server: ModelServer;
let store: ProfileStore;
const harnesses: RunHarness[] = [];
let counter = 0;

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), "acp-scenarios-"));
  server = await startModelServer();
  store = new ProfileStore(path.join(root, "data"));
  await store.init();
});
after(async () => {
  await Promise.all(harnesses.map((h) => h.stop()));
  await server.close();
  await rm(root, { recursive: true, force: true });
});

interface Session {
  h: RunHarness;
  cwd: string;
  sessionId: string;
}

async function kimi(opts: { policy?: PermissionPolicy; caps?: unknown; profile?: StoredProfile } = {}): Promise<Session> {
  const cwd = path.join(root, `work-${++counter}`);
  await mkdir(cwd, { recursive: true });
  const profile = opts.profile ?? store.get(OFFLINE_DEMO_ID);
  assert.ok(profile);
  const h = await RunHarness.kimi({ root, cwd, profile, server, policy: opts.policy });
  harnesses.push(h);
  h.start();
  const init = await h.call("initialize", { protocolVersion: 1, clientCapabilities: opts.caps ?? FULL_CAPS, clientInfo: { name: "acp-playground-test", version: "0" } });
  assert.equal(init.error, undefined, JSON.stringify(init.error));
  const session = await h.call("session/new", { cwd, mcpServers: [] });
  assert.equal(typeof session.result?.sessionId, "string", JSON.stringify(session.error));
  return { h, cwd, sessionId: session.result?.sessionId as string };
}

const prompt = (s: Session, text: string): number => s.h.send("session/prompt", { sessionId: s.sessionId, prompt: [{ type: "text", text }] });

function agentText(h: RunHarness, afterSeq = -1): string {
  return h
    .frames()
    .filter((f) => f.seq > afterSeq && f.updateKind === "agent_message_chunk")
    .map((f) => parsed<{ params: { update: { content: { text?: string } } } }>(f).params.update.content.text ?? "")
    .join("");
}

/** The agent→client methods of a turn, in order. */
function calledMethods(h: RunHarness, afterSeq: number): string[] {
  return h.agentRequests().filter((f) => f.seq > afterSeq).map((f) => f.method ?? "?");
}

function toolStatuses(h: RunHarness, afterSeq: number): string[] {
  return h
    .frames()
    .filter((f) => f.seq > afterSeq && (f.updateKind === "tool_call" || f.updateKind === "tool_call_update"))
    .map((f) => parsed<{ params: { update: { status?: string } } }>(f).params.update.status)
    .filter((s): s is string => typeof s === "string");
}

function autoAnswerOf(h: RunHarness, request: Frame): Record<string, unknown> {
  const answer = h.frames().find((f) => f.seq === request.pairSeq);
  assert.ok(answer?.auto, `${request.method} was answered by the relay`);
  return parsed(answer);
}

/** The cases run four at a time: each has its own Kimi, cwd and session; they share only the model. */
describe("Kimi 2.1.0 offline tool scenarios", { concurrency: 4 }, () => {
  test("shell: permission request → allow → terminal/* served by the relay → end_turn", async () => {
    const s = await kimi({ policy: "ask" });
    const seq = prompt(s, "[scenario:shell] run it");
    const permission = await s.h.waitFor((f) => f.seq > seq && f.kind === "request" && f.method === "session/request_permission", 30_000, "the permission request");
    const params = parsed<{ params: { toolCall: { title: string }; options: { optionId: string; kind: string }[] } }>(permission).params;
    assert.equal(params.toolCall.title, "Bash");
    assert.deepEqual(params.options.map((o) => o.kind), ["allow_once", "allow_always", "reject_once"]);
    assert.equal(s.h.run.summary.pendingIn, 1, "the card waits for the user");
    s.h.respond(permission, { result: { outcome: { outcome: "selected", optionId: params.options[0].optionId } } });

    const answer = await s.h.answerOf(seq);
    assert.deepEqual(answer.result, { stopReason: "end_turn" });
    assert.deepEqual(calledMethods(s.h, seq), ["session/request_permission", "terminal/create", "terminal/wait_for_exit", "terminal/output", "terminal/release"]);
    const create = parsed<{ params: { command: string; args: string[]; cwd: string; outputByteLimit: number } }>(s.h.agentRequests("terminal/create")[0]).params;
    // Kimi runs its Bash tool as `bash -c "cd <cwd> && <command>"` in a client terminal.
    assert.match(create.command, /bash$/);
    assert.equal(create.args[0], "-c");
    assert.ok(create.args[1].endsWith(SHELL_COMMAND));
    assert.equal(create.cwd, s.cwd);
    assert.equal(create.outputByteLimit, 4 * 1024 * 1024);
    const output = autoAnswerOf(s.h, s.h.agentRequests("terminal/output")[0]) as { result: { output: string; truncated: boolean } };
    assert.deepEqual(output.result, { output: "playground-shell-ok\n", truncated: false, exitStatus: { exitCode: 0, signal: null } });
    assert.equal(toolStatuses(s.h, seq).at(-1), "completed");
    assert.match(agentText(s.h, seq), /The Bash call came back: ".*playground-shell-ok.*"/);
    assert.ok(s.h.events.some((e) => e.type === "terminalOutput" && String(e.data).includes("playground-shell-ok")), "output streamed to the UI");
    assert.equal(s.h.methods.terminalCount, 0, "Kimi released its terminal");
    assert.equal(s.h.run.summary.pendingIn, 0);
  });

  test("shell: reject → the command never runs, the tool fails, the turn still ends end_turn", async () => {
    const s = await kimi({ policy: "ask" });
    const seq = prompt(s, "[scenario:shell] run it");
    const permission = await s.h.waitFor((f) => f.seq > seq && f.method === "session/request_permission" && f.kind === "request", 30_000, "the permission request");
    s.h.respond(permission, { result: { outcome: { outcome: "selected", optionId: "reject" } } });
    const answer = await s.h.answerOf(seq);
    assert.deepEqual(answer.result, { stopReason: "end_turn" });
    assert.deepEqual(calledMethods(s.h, seq), ["session/request_permission"]);
    assert.equal(toolStatuses(s.h, seq).at(-1), "failed");
    assert.match(agentText(s.h, seq), /was not run because the user rejected the approval request/);
    assert.equal(s.h.events.length, 0);
  });

  test("read: Kimi reads through fs/read_text_file without asking; write asks, then fs/write_text_file shows a diff", async () => {
    const s = await kimi({ policy: "allow" });
    await writeFile(path.join(s.cwd, "notes.txt"), "first line\nsecond line\n");
    const readSeq = prompt(s, "[scenario:read] notes.txt");
    assert.deepEqual((await s.h.answerOf(readSeq)).result, { stopReason: "end_turn" });
    const reads = s.h.agentRequests("fs/read_text_file").filter((f) => f.seq > readSeq);
    assert.equal(calledMethods(s.h, readSeq)[0], "fs/read_text_file", "no permission request for Read");
    assert.equal(parsed<{ params: { path: string } }>(reads[0]).params.path, path.join(s.cwd, "notes.txt"));
    assert.deepEqual((autoAnswerOf(s.h, reads[0]) as { result: unknown }).result, { content: "first line\nsecond line\n" });
    // Kimi then probes for AGENTS.md next to the file; a missing one is -32002 and harmless.
    for (const probe of reads.slice(1)) assert.equal((autoAnswerOf(s.h, probe) as { error: { code: number } }).error.code, -32002);
    assert.match(agentText(s.h, readSeq), /The Read call came back: ".*first line.*second line/);

    await writeFile(path.join(s.cwd, "out.txt"), "old text\n");
    const writeSeq = prompt(s, "[scenario:write] out.txt");
    assert.deepEqual((await s.h.answerOf(writeSeq)).result, { stopReason: "end_turn" });
    const methods = calledMethods(s.h, writeSeq);
    assert.deepEqual(methods.slice(0, 2), ["session/request_permission", "fs/write_text_file"]);
    assert.equal(await readFile(path.join(s.cwd, "out.txt"), "utf8"), WRITE_CONTENT);
    assert.deepEqual(
      s.h.events.filter((e) => e.type === "fsWrite"),
      [{ type: "fsWrite", sessionId: s.sessionId, path: path.join(s.cwd, "out.txt"), oldText: "old text\n", newText: WRITE_CONTENT }],
    );
  });

  test("a write outside the cwd: the relay refuses it, Kimi reports the reason, the session goes on", async () => {
    const s = await kimi({ policy: "allow" });
    const target = path.join(root, "outside-of-cwd", "x.txt");
    const seq = prompt(s, `[scenario:write] ${target}`);
    assert.deepEqual((await s.h.answerOf(seq)).result, { stopReason: "end_turn" });
    const write = s.h.agentRequests("fs/write_text_file").find((f) => f.seq > seq);
    assert.ok(write, "Kimi asked the client to write");
    const refused = autoAnswerOf(s.h, write) as { error: { code: number; data: { path: string; reason: string } } };
    assert.equal(refused.error.code, -32602);
    assert.equal(refused.error.data.path, target);
    assert.equal(existsSync(target), false);
    assert.equal(toolStatuses(s.h, seq).at(-1), "failed");
    assert.match(agentText(s.h, seq), /outside the session's cwd/);
    assert.deepEqual((await s.h.call("session/prompt", { sessionId: s.sessionId, prompt: [{ type: "text", text: "still there?" }] })).result, { stopReason: "end_turn" });
  });

  test("per profile: the model id offline-model:shell picks the scenario without a marker", async () => {
    const base = store.get(OFFLINE_DEMO_ID);
    assert.ok(base);
    // The same validation the profile editor applies: the id is a legal model name.
    const fields = validateFields(base.kind, { ...base.fields, model: "offline-model:shell" });
    const s = await kimi({ policy: "allow", profile: { ...base, id: "offline-shell", fields } });
    const seq = prompt(s, "hello");
    assert.deepEqual((await s.h.answerOf(seq)).result, { stopReason: "end_turn" });
    assert.deepEqual(calledMethods(s.h, seq).slice(0, 2), ["session/request_permission", "terminal/create"]);
    assert.match(agentText(s.h, seq), /playground-shell-ok/);
  });

  test("slow stream → session/cancel → cancelled; a pending permission is answered cancelled", async () => {
    const s = await kimi({ policy: "ask" });
    const slow = prompt(s, "[scenario:slow] go");
    await s.h.waitFor((f) => f.seq > slow && f.updateKind === "agent_message_chunk", 30_000, "the first chunk");
    s.h.run.notify("session/cancel", { sessionId: s.sessionId });
    assert.deepEqual((await s.h.answerOf(slow, 5000)).result, { stopReason: "cancelled" });

    const shell = prompt(s, "[scenario:shell] go");
    await s.h.waitFor((f) => f.seq > shell && f.method === "session/request_permission" && f.kind === "request", 30_000, "the permission request");
    s.h.run.notify("session/cancel", { sessionId: s.sessionId });
    assert.deepEqual((await s.h.answerOf(shell, 5000)).result, { stopReason: "cancelled" });
    const permission = s.h.agentRequests("session/request_permission").find((f) => f.seq > shell);
    assert.ok(permission);
    assert.deepEqual((autoAnswerOf(s.h, permission) as { result: unknown }).result, { outcome: { outcome: "cancelled" } });
    assert.equal(s.h.run.summary.pendingIn, 0, "no permission request left pending");
    assert.deepEqual(calledMethods(s.h, shell), ["session/request_permission"]);
  });

  test("without fs and terminal capabilities Kimi runs its tools itself; only the permission reaches the client", async () => {
    const s = await kimi({ policy: "allow", caps: {} });
    const seq = prompt(s, "[scenario:shell] go");
    assert.deepEqual((await s.h.answerOf(seq)).result, { stopReason: "end_turn" });
    assert.deepEqual(calledMethods(s.h, seq), ["session/request_permission"]);
    assert.match(agentText(s.h, seq), /playground-shell-ok/);
  });
});
