/**
 * The matrix's prompt step and env_var probing (issue 12, part 5), run for real: the matrix CLI on
 * the bundled Kimi builds (the offline model server answers Kimi's prompt), a fixture agent with
 * Claude's gate (sessions created logged out, session/prompt refused with -32000), and the server
 * started with `--agent-cmd`, whose entry is listed first and runs a matrix with a prompt over the wire.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ProbeCell } from "../lib/matrix-report";
import type { MatrixCellView, ServerEvent } from "../lib/wire";
import { fixtureAgentCmd, matrixScratch, runMatrixCli } from "./fixtures/cli";
import { startServer, WsClient } from "./fixtures/server";

const GATE = fixtureAgentCmd("prompt-gate-agent.mjs");

const scratch = matrixScratch("acp-matrix-prompt-");

async function matrix(args: string[]): Promise<ProbeCell[]> {
  const { code, stdout, stderr } = await runMatrixCli(["--format", "json", ...args], { env: { ACP_PLAYGROUND_HOME: scratch.dataDir }, timeoutMs: 180_000 });
  assert.equal(code, 0, stderr);
  return JSON.parse(stdout) as ProbeCell[];
}

test("--prompt on the bundled Kimi builds: Offline demo's prompt is answered offline; 0.28.0 refuses the API-key session before any prompt", async () => {
  const [answered] = await matrix(["--agent", "kimi-2.1.0", "--profile", "Offline demo", "--prompt", "Say hello"]);
  assert.equal(answered.verdict, "prompt-answered", answered.detail);
  assert.equal(answered.prompt?.ok, true);
  assert.equal(answered.prompt?.stopReason, "end_turn");
  assert.ok((answered.prompt?.updates ?? 0) > 0, "no session/update streamed");
  assert.ok(answered.prompt?.text, "no agent_message_chunk text");
  assert.deepEqual(answered.initialize.methods?.map((m) => m.type), ["terminal"]);

  const [refused] = await matrix(["--agent", "kimi-0.28.0", "--profile", "API key (example)", "--prompt", "Say hello"]);
  assert.equal(refused.verdict, "auth-required", refused.detail);
  assert.equal(refused.sessionNew.error?.code, -32000);
  assert.equal(refused.prompt, undefined, "a refused session must not reach the prompt step");
});

test("--prompt on an agent that creates sessions logged out and refuses prompts with -32000: \"session created, prompt refused\"", async () => {
  const cells = await matrix(["--agent-cmd", GATE, "--profile", "Logged out", "--prompt", "hi"]);
  const [c] = cells;
  assert.equal(c.verdict, "prompt-refused", c.detail);
  assert.equal(c.sessionNew.ok, true);
  assert.equal(c.prompt?.error?.code, -32000);
  assert.match(c.detail ?? "", /session created, then session\/prompt: -32000 Authentication required/);
  // Every method type a cell can list, in the agent's order.
  assert.deepEqual(c.initialize.methods, [
    { id: "browser-login", type: "agent" },
    { id: "cli-login", type: "terminal" },
    { id: "legacy-login", type: "legacy" },
    { id: "fixture-api-key", type: "env_var", vars: ["FIXTURE_API_KEY"] },
  ]);
  assert.equal(c.authenticate, undefined, "the Logged out profile supplies no variable, so nothing may be authenticated");
  // Without the prompt step the same agent looks fine: that is why the step exists.
  const [plain] = await matrix(["--agent-cmd", GATE, "--profile", "Logged out"]);
  assert.equal(plain.verdict, "session-created");
  assert.equal(plain.prompt, undefined);
});

test("a profile that supplies an env_var method's variable: the probe authenticates with that method, then the prompt is answered", async () => {
  const [c] = await matrix(["--agent-cmd", GATE, "--profile", "Fixture key", "--prompt", "hi"]);
  assert.deepEqual(c.authenticate && { methodId: c.authenticate.methodId, vars: c.authenticate.vars, ok: c.authenticate.ok }, { methodId: "fixture-api-key", vars: ["FIXTURE_API_KEY"], ok: true });
  assert.equal(c.verdict, "prompt-answered", c.detail);
  assert.equal(c.prompt?.text, "hello from the gate");
  const sent = c.frames.filter((f) => f.dir === "out" && f.kind === "request").map((f) => f.method);
  assert.deepEqual(sent, ["initialize", "authenticate", "session/new", "session/prompt"]);
  // The key is a secret of the profile: the recorded frames never carry it.
  assert.ok(!JSON.stringify(c).includes("fixture-key-0001"));
});

test("npm start -- --agent-cmd: the entry is listed first, runs, and its matrix cell with a prompt shows the types and the refusal", async () => {
  const server = await startServer({ extraArgs: ["--agent-cmd", GATE] });
  const client = await WsClient.connect(server);
  try {
    const hello = await client.waitFor("hello", (e) => (e.type === "hello" ? e : undefined));
    assert.equal(hello.catalog[0].id, "cmd-1");
    assert.equal(hello.catalog[0].label, GATE);
    assert.equal(hello.catalog[0].problem, undefined);
    const loggedOut = hello.profiles.find((p) => p.name === "Logged out");
    assert.ok(loggedOut);
    client.send({ type: "matrix_run", agentIds: ["cmd-1"], profileIds: [loggedOut.id], prompt: "hi" });
    const done = await client.waitFor("the finished matrix", (e: ServerEvent) => (e.type === "matrix" && !e.running && e.cells.every((c) => c.state === "done") ? e : undefined), 60_000);
    const cell: MatrixCellView = done.cells[0];
    assert.equal(cell.verdict, "prompt-refused", cell.detail);
    assert.equal(cell.errorCode, -32000);
    assert.deepEqual(cell.methods?.map((m) => m.type), ["agent", "terminal", "legacy", "env_var"]);
  } finally {
    await client.close();
    await server.stop();
  }
});
