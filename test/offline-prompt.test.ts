/**
 * End to end without the internet: the offline model server, a profile materialized into a fresh
 * home, and the real bundled Kimi Code speaking ACP over stdio. Also pins the auth-gate behaviour
 * the playground exists to show (issue #1330: 0.28.0 refuses an API-key home, 2.1.0 accepts it).
 */
import assert from "node:assert/strict";
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { type ModelServer, startModelServer } from "../server/model-server";
import { kimiMainPath, materialize, ProfileStore } from "../server/profiles";
import { bundledNode } from "../server/runtime";

interface RpcMessage {
  jsonrpc: "2.0";
  id?: number;
  method?: string;
  params?: { sessionId?: string; update?: { sessionUpdate?: string; content?: { type?: string; text?: string } } };
  result?: Record<string, unknown>;
  error?: { code: number; message: string };
}

/** Just enough of an ACP client: newline-delimited JSON-RPC over the child's stdio. */
class Agent {
  readonly messages: RpcMessage[] = [];
  stderr = "";
  private nextId = 0;
  private buffer = "";
  private readonly waiting = new Map<number, (m: RpcMessage) => void>();

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (data: string) => {
      this.buffer += data;
      for (let i = this.buffer.indexOf("\n"); i >= 0; i = this.buffer.indexOf("\n")) {
        const line = this.buffer.slice(0, i);
        this.buffer = this.buffer.slice(i + 1);
        if (!line.trim()) continue;
        const message = JSON.parse(line) as RpcMessage;
        this.messages.push(message);
        if (message.id !== undefined && message.method === undefined) this.waiting.get(message.id)?.(message);
      }
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (data: string) => {
      this.stderr += data;
    });
  }

  request(method: string, params: unknown, timeoutMs = 30_000): Promise<RpcMessage> {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${method} timed out; stderr:\n${this.stderr}`)), timeoutMs);
      this.waiting.set(id, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      this.child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id, method, params })}\n`);
    });
  }

  /**
   * Closing stdin is how an ACP client says goodbye, and both builds exit on it at once. Signals
   * are the fallback only: Kimi 0.28.0 catches SIGTERM ("draining harness") and never exits.
   */
  async stop(): Promise<void> {
    const exited = new Promise<boolean>((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) resolve(true);
      else this.child.once("exit", () => resolve(true));
    });
    const within = (ms: number): Promise<boolean> => Promise.race([exited, new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms).unref())]);
    this.child.stdin.end();
    if (await within(3000)) return;
    this.child.kill("SIGTERM");
    if (await within(3000)) return;
    this.child.kill("SIGKILL");
    await exited;
  }
}

let root: string;
let server: ModelServer;
let store: ProfileStore;
const agents: Agent[] = [];

before(async () => {
  root = await mkdtemp(path.join(tmpdir(), "acp-offline-test-"));
  server = await startModelServer();
  store = new ProfileStore(path.join(root, "data"));
  await store.init();
});
after(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await server.close();
  await rm(root, { recursive: true, force: true });
});

let runs = 0;
async function startAgent(profileId: string, pkg = "@moonshot-ai/kimi-code"): Promise<Agent> {
  const profile = store.get(profileId);
  assert.ok(profile, profileId);
  const runId = `run-${++runs}`;
  const { home, env } = await materialize(profile, { runsDir: path.join(root, "runs"), runId, modelServerUrl: server.url });
  // Only these variables reach the agent, as in the relay; the cast satisfies Next's ProcessEnv typing.
  const childEnv: Record<string, string> = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: path.dirname(home), KIMI_DISABLE_TELEMETRY: "1", ...env };
  const child = spawn(bundledNode().path, [kimiMainPath(pkg), "acp"], { cwd: root, env: childEnv as NodeJS.ProcessEnv, stdio: ["pipe", "pipe", "pipe"] });
  const agent = new Agent(child);
  agents.push(agent);
  const init = await agent.request("initialize", { protocolVersion: 1, clientCapabilities: {} });
  assert.equal(init.error, undefined, JSON.stringify(init.error));
  return agent;
}

test("Kimi 2.1.0 runs a whole prompt turn against the offline model", async () => {
  const started = Date.now();
  const agent = await startAgent("offline-demo");
  const session = await agent.request("session/new", { cwd: root, mcpServers: [] });
  assert.equal(session.error, undefined, JSON.stringify(session.error));
  const sessionId = session.result?.sessionId;
  assert.equal(typeof sessionId, "string");
  const before = server.requests;
  const answer = await agent.request("session/prompt", { sessionId, prompt: [{ type: "text", text: "hi" }] });
  assert.deepEqual(answer.result, { stopReason: "end_turn" });
  assert.equal(server.requests, before + 1);
  const chunks = agent.messages.filter((m) => m.method === "session/update" && m.params?.sessionId === sessionId && m.params?.update?.sessionUpdate === "agent_message_chunk");
  assert.ok(chunks.length >= 2, `several chunks, got ${chunks.length}`);
  assert.equal(chunks.map((m) => m.params?.update?.content?.text ?? "").join(""), 'Hello from the offline model. You said: "hi".');
  process.stdout.write(`# offline prompt turn (spawn → end_turn): ${Date.now() - started} ms, ${chunks.length} chunks\n`);

  // The refusal scenario maps to ACP's refusal stop reason.
  const refused = await agent.request("session/prompt", { sessionId, prompt: [{ type: "text", text: "[scenario:refusal] no" }] });
  assert.deepEqual(refused.result, { stopReason: "refusal" });
});

test("auth gate: 2.1.0 refuses a logged-out home, 0.28.0 refuses an API-key home (#1330) but takes the OAuth one", async () => {
  const params = { cwd: root, mcpServers: [] };
  const cases: [profileId: string, pkg: string, passes: boolean][] = [
    ["logged-out", "@moonshot-ai/kimi-code", false],
    ["api-key-example", "kimi-code-0.28.0", false],
    ["oauth-example", "kimi-code-0.28.0", true],
  ];
  const answers = await Promise.all(cases.map(async ([id, pkg]) => (await startAgent(id, pkg)).request("session/new", params)));
  answers.forEach((answer, i) => {
    const [id, pkg, passes] = cases[i];
    if (passes) assert.equal(typeof answer.result?.sessionId, "string", `${pkg} ${id}: ${JSON.stringify(answer.error)}`);
    else assert.deepEqual(answer.error, { code: -32000, message: "Authentication required" }, `${pkg} ${id}`);
  });
});
