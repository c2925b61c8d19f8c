/**
 * The relay's client methods against an independent ACP implementation: the SDK-built agent in
 * fixtures/sdk-agent.ts calls fs/*, terminal/* and session/request_permission through the same Run
 * and ClientMethodServer the hub uses. Covers what Kimi's scenarios do not reach: line/limit from
 * the wire, refusals surfacing in the agent, ungated capabilities, and a reject mid-turn.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import type { PermissionPolicy } from "../server/client-methods";
import { FULL_CAPS, parsed, RunHarness } from "./fixtures/run-harness";
import { SDK_TERMINAL_MARKER, SDK_WRITE_CONTENT } from "./fixtures/sdk-agent";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const tsx = path.join(repo, "node_modules", ".bin", "tsx");
const fixture = path.join(repo, "test", "fixtures", "sdk-agent.ts");

let root: string;
const harnesses: RunHarness[] = [];
let counter = 0;

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), "acp-sdk-agent-"));
  await writeFile(path.join(root, "outside.txt"), "outside\n");
});
after(async () => {
  await Promise.all(harnesses.map((h) => h.stop()));
  await rm(root, { recursive: true, force: true });
});

async function sdkAgent(opts: { policy?: PermissionPolicy; caps?: unknown } = {}): Promise<{ h: RunHarness; cwd: string; sessionId: string }> {
  const cwd = path.join(root, `work-${++counter}`);
  await mkdir(cwd);
  await writeFile(path.join(cwd, "input.txt"), "one\ntwo\nthree\n");
  const h = new RunHarness({ cwd, file: tsx, args: [fixture], env: { PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ""}`, HOME: root }, policy: opts.policy });
  harnesses.push(h);
  h.start();
  const init = await h.call("initialize", { protocolVersion: 1, clientCapabilities: opts.caps ?? FULL_CAPS });
  assert.equal(init.error, undefined, JSON.stringify(init.error));
  const session = await h.call("session/new", { cwd, mcpServers: [] });
  return { h, cwd, sessionId: session.result?.sessionId as string };
}

function text(h: RunHarness, afterSeq: number): string {
  return h
    .frames()
    .filter((f) => f.seq > afterSeq && f.updateKind === "agent_message_chunk")
    .map((f) => parsed<{ params: { update: { content: { text: string } } } }>(f).params.update.content.text)
    .join("");
}

describe("SDK agent ⇄ relay client methods", { concurrency: true }, () => {
  test("every client method, served by the relay, in one turn", async () => {
    const { h, cwd, sessionId } = await sdkAgent({ policy: "allow" });
    const answer = await h.call("session/prompt", { sessionId, prompt: [{ type: "text", text: "" }] });
    assert.deepEqual(answer.result, { stopReason: "end_turn" });
    assert.deepEqual(
      h.agentRequests().map((f) => f.method),
      ["session/request_permission", "fs/read_text_file", "fs/write_text_file", "terminal/create", "terminal/wait_for_exit", "terminal/output", "terminal/release"],
    );
    assert.equal(text(h, answer.frame.pairSeq ?? -1), `SDK agent (fs rw, terminal yes)\npermission: yes\nread: "two\\n"\nwrite: ok\nterminal: exit 0 "${SDK_TERMINAL_MARKER}\\n"\n`);
    assert.equal(await readFile(path.join(cwd, "output.txt"), "utf8"), SDK_WRITE_CONTENT);
    assert.deepEqual(h.events.map((e) => e.type), ["fsWrite", "terminalCreated", "terminalOutput", "terminalExit"]);
    assert.equal(h.methods.terminalCount, 0);
    assert.ok(h.frames().filter((f) => f.dir === "out" && f.kind !== "request" && f.kind !== "notification").every((f) => f.auto), "all answered by the relay");
  });

  test("refused paths, a missing command and a missing file reach the agent as clear errors; the turn goes on", async () => {
    const { h, sessionId } = await sdkAgent({ policy: "allow" });
    const steps = ["read:../outside.txt", `write:${path.join(root, "escape.txt")}`, "terminal:playground-no-such-command", "read:missing.txt", "read"];
    const answer = await h.call("session/prompt", { sessionId, prompt: [{ type: "text", text: steps.join(" ") }] });
    assert.deepEqual(answer.result, { stopReason: "end_turn" });
    const said = text(h, answer.frame.pairSeq ?? -1).split("\n");
    assert.match(said[1], /^read: error -32602 Invalid params: '\.\.' leads outside.*"reason"/);
    assert.match(said[2], /^write: error -32602 Invalid params: the path is outside the session's cwd/);
    assert.match(said[3], /^terminal: error -32602 Invalid params: cannot run "playground-no-such-command": command not found/);
    assert.match(said[4], /^read: error -32002 Resource not found/);
    assert.equal(said[5], 'read: "two\\n"', "the run continues after the errors");
  });

  test("capabilities the client did not advertise are -32601 for the agent", async () => {
    const { h, sessionId } = await sdkAgent({ policy: "allow", caps: { fs: { readTextFile: true } } });
    const answer = await h.call("session/prompt", { sessionId, prompt: [{ type: "text", text: "read write terminal" }] });
    const said = text(h, answer.frame.pairSeq ?? -1).split("\n");
    assert.equal(said[0], "SDK agent (fs r-, terminal no)");
    assert.equal(said[1], 'read: "two\\n"');
    assert.match(said[2], /^write: error -32601 Method not found .*fs\.writeTextFile/);
    assert.match(said[3], /^terminal: error -32601 Method not found .*clientCapabilities\.terminal/);
  });

  test("ask: the user's reject stops the turn; a cancel answers the pending request cancelled", async () => {
    const { h, sessionId } = await sdkAgent({ policy: "ask" });
    const first = h.send("session/prompt", { sessionId, prompt: [{ type: "text", text: "permission write" }] });
    const card = await h.waitFor((f) => f.seq > first && f.method === "session/request_permission" && f.kind === "request");
    h.respond(card, { result: { outcome: { outcome: "selected", optionId: "no" } } });
    assert.deepEqual((await h.answerOf(first)).result, { stopReason: "end_turn" });
    assert.match(text(h, first), /permission: no\n$/);
    assert.equal(h.agentRequests("fs/write_text_file").length, 0);

    const second = h.send("session/prompt", { sessionId, prompt: [{ type: "text", text: "permission write" }] });
    await h.waitFor((f) => f.seq > second && f.method === "session/request_permission" && f.kind === "request");
    h.run.notify("session/cancel", { sessionId });
    assert.deepEqual((await h.answerOf(second)).result, { stopReason: "cancelled" });
    assert.equal(h.run.summary.pendingIn, 0);
  });
});
