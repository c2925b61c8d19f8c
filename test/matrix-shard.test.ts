/**
 * The matrix past one machine and for many agents (issue 12, part 5): `--shard K/N` slices
 * (deterministic, complete, disjoint, independent of the order given), `merge` (the unsharded
 * matrix back, overlapping or missing shards refused), the auth method types every cell lists in
 * table, JSON and JUnit, and `npm start -- --agent-cmd` parsing (quotes, no shell). The CLI runs
 * are real: `tsx scripts/matrix.ts` against fixture agents in a throwaway data dir.
 */
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import {
  advertisedMethod,
  cellKey,
  formatJunit,
  formatShardJson,
  formatTable,
  mergeShards,
  parseShard,
  type ProbeCell,
  type ShardReport,
  shardSlice,
} from "../lib/matrix-report";
import { MATRIX_MAX_PROMPT, parseClientCommand } from "../lib/wire";
import { parseConfig } from "../server/config";
import { ConfigError } from "../server/errors";
import { type CliResult, fixtureAgentCmd, matrixScratch, runMatrixCli } from "./fixtures/cli";

const GATE = fixtureAgentCmd("prompt-gate-agent.mjs");
const STUB = fixtureAgentCmd("stub-agent.mjs");

const scratch = matrixScratch("acp-matrix-shard-");

function cli(args: string[]): Promise<CliResult> {
  return runMatrixCli(args, { env: { ACP_PLAYGROUND_HOME: scratch.dataDir } });
}

/** A cell as a test needs it: only what the verdict depends on. */
function cell(agent: string, profile: string, verdict: ProbeCell["verdict"] = "session-created"): ProbeCell {
  return {
    agent: { id: agent, name: null, version: null, command: [agent] },
    profile: { name: profile, kind: "logged-out" },
    initialize: { ok: true, ms: 1, protocolVersion: 1, authMethods: [] },
    sessionNew: { ok: verdict === "session-created", ms: 1 },
    verdict,
    ms: 2,
    frames: [],
  };
}

/** What must not differ between a sharded and an unsharded run: everything but times and frames. */
function essence(cells: ProbeCell[]): unknown[] {
  return cells.map((c) => ({
    key: cellKey(c),
    verdict: c.verdict,
    agent: { id: c.agent.id, name: c.agent.name, version: c.agent.version },
    methods: c.initialize.methods,
    authenticate: c.authenticate ? { methodId: c.authenticate.methodId, ok: c.authenticate.ok } : undefined,
    sessionNew: { ok: c.sessionNew.ok, code: c.sessionNew.error?.code },
    prompt: c.prompt ? { ok: c.prompt.ok, code: c.prompt.error?.code, stopReason: c.prompt.stopReason } : undefined,
  }));
}

test("--shard K/N parses 1 ≤ K ≤ N and refuses the rest", () => {
  assert.deepEqual(parseShard("2/4"), { index: 2, count: 4 });
  assert.deepEqual(parseShard(" 1 / 1 "), { index: 1, count: 1 });
  for (const bad of ["0/2", "3/2", "1/0", "a/b", "2", "1/2/3", "-1/2"]) assert.equal(typeof parseShard(bad), "string", bad);
});

test("shard slices are deterministic, disjoint, complete and independent of the order given", () => {
  const agents = ["gemini", "codex", "claude", "kimi-2.1.0", "qwen"];
  const profiles = ["logged-out", "api-key", "oauth"];
  const items = agents.flatMap((a) => profiles.map((p) => ({ a, p })));
  const key = (x: { a: string; p: string }): string[] => [x.a, x.p];
  const shuffled = [...items].reverse().sort((x, y) => (x.p + x.a).length - (y.p + y.a).length);
  for (let n = 1; n <= 7; n++) {
    const seen = new Map<string, number>();
    for (let k = 1; k <= n; k++) {
      const slice = shardSlice(items, key, { index: k, count: n });
      const again = shardSlice(shuffled, key, { index: k, count: n });
      const ids = (s: { a: string; p: string }[]): string[] => s.map((x) => `${x.a}/${x.p}`).sort();
      assert.deepEqual(ids(again), ids(slice), `shard ${k}/${n} depends on the input order`);
      // The slice keeps the order it was given in (the unsharded run's order).
      assert.deepEqual(slice, items.filter((x) => slice.includes(x)));
      for (const x of slice) seen.set(`${x.a}/${x.p}`, (seen.get(`${x.a}/${x.p}`) ?? 0) + 1);
      // Ranks are dealt round-robin: shard sizes differ by at most one.
      assert.ok(Math.abs(slice.length - items.length / n) < 1, `shard ${k}/${n} has ${slice.length} of ${items.length}`);
    }
    assert.equal(seen.size, items.length, `N=${n}: a cell is in no shard`);
    assert.ok([...seen.values()].every((v) => v === 1), `N=${n}: a cell is in two shards`);
  }
  // Rank order is by agent id then profile id, code unit order: shard 1/2 of this list is fixed forever.
  const one = shardSlice(items, key, { index: 1, count: 2 }).map((x) => `${x.a}/${x.p}`);
  assert.deepEqual([...one].sort(), ["claude/api-key", "claude/oauth", "codex/logged-out", "gemini/api-key", "gemini/oauth", "kimi-2.1.0/logged-out", "qwen/api-key", "qwen/oauth"]);
});

test("merge joins shards in the plan's order and refuses overlapping, missing or foreign shards", () => {
  const plan = ["b × p1", "a × p1", "b × p2", "a × p2"];
  const all = [cell("b", "p1"), cell("a", "p1", "auth-required"), cell("b", "p2"), cell("a", "p2", "prompt-refused")];
  const s1 = all.filter((_, i) => i % 2 === 0);
  const s2 = all.filter((_, i) => i % 2 === 1);
  const file = (k: number, cells: ProbeCell[], n = 2, p = plan): { name: string; text: string } => ({ name: `shard-${k}.json`, text: formatShardJson({ index: k, count: n }, p, cells) });
  const ok = mergeShards([file(2, s2), file(1, s1)]);
  assert.ok(ok.ok);
  assert.deepEqual(ok.cells.map(cellKey), plan);
  assert.deepEqual(ok.cells.map((c) => c.verdict), all.map((c) => c.verdict));

  const refused = (files: { name: string; text: string }[], pattern: RegExp): void => {
    const r = mergeShards(files);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.problem, pattern);
  };
  refused([file(1, s1)], /Shard 2\/2 is missing/);
  refused([file(1, s1), file(1, s1)], /Shard 1\/2 is given twice/);
  refused([file(1, s1), file(2, [...s2, all[0]])], /"b × p1" is in both shard-1\.json and shard-2\.json/);
  refused([file(1, s1), file(2, s2.slice(1))], /No shard has the cell "a × p1"/);
  refused([file(1, s1), file(2, s2, 3)], /split the matrix differently/);
  refused([file(1, s1), file(2, s2, 2, [...plan].reverse())], /different matrices/);
  refused([file(1, s1), { name: "plain.json", text: JSON.stringify(all) }], /plain\.json is not a shard report \(it is the JSON of an unsharded run\)/);
  refused([], /needs the shard reports/);
  const report = JSON.parse(file(1, s1).text) as ShardReport;
  assert.equal(report.shard.index, 1);
  assert.deepEqual(report.plan, plan);
});

test("method types: agent, terminal, legacy _meta[\"terminal-auth\"] and env_var (with its variables)", () => {
  assert.deepEqual(advertisedMethod({ id: "chatgpt", name: "ChatGPT" }), { id: "chatgpt", type: "agent" });
  assert.deepEqual(advertisedMethod({ id: "claude-login", type: "terminal", args: ["--cli"] }), { id: "claude-login", type: "terminal" });
  assert.deepEqual(advertisedMethod({ id: "copilot-login", _meta: { "terminal-auth": { command: "copilot", args: ["login"] } } }), { id: "copilot-login", type: "legacy" });
  assert.deepEqual(advertisedMethod({ id: "codex-api-key", type: "env_var", vars: [{ name: "CODEX_API_KEY" }] }), { id: "codex-api-key", type: "env_var", vars: ["CODEX_API_KEY"] });
  assert.deepEqual(advertisedMethod({ id: "x", type: "quantum" }), { id: "x", type: "other" });
  assert.equal(advertisedMethod({ name: "no id" }), undefined);
  const c = cell("codex", "Logged out");
  c.initialize.methods = [advertisedMethod({ id: "chatgpt" }), advertisedMethod({ id: "codex-api-key", type: "env_var", vars: [{ name: "CODEX_API_KEY" }] })].filter((m) => m !== undefined);
  c.initialize.authMethods = ["chatgpt", "codex-api-key"];
  assert.match(formatTable([c]), /AUTH METHODS[\s\S]*chatgpt \(agent\), codex-api-key \(env_var: CODEX_API_KEY\)/);
  assert.match(formatJunit([c]), /auth methods: chatgpt \(agent\), codex-api-key \(env_var: CODEX_API_KEY\)/);
});

test("npm start -- --agent-cmd: repeatable, split without a shell (quotes kept, $VAR literal), shell syntax refused", () => {
  const config = parseConfig(["--agent-cmd", `node "my agent.mjs" --name 'a b' $HOME`, "--agent-cmd=/usr/bin/env FOO=1 agent --acp", "--port", "0"], { INIT_CWD: "/somewhere" });
  assert.deepEqual(
    config.agentCommands.map((e) => ({ id: e.id, command: e.command, args: e.args, label: e.label })),
    [
      { id: "cmd-1", command: "node", args: ["my agent.mjs", "--name", "a b", "$HOME"], label: `node "my agent.mjs" --name 'a b' $HOME` },
      { id: "cmd-2", command: "/usr/bin/env", args: ["FOO=1", "agent", "--acp"], label: "/usr/bin/env FOO=1 agent --acp" },
    ],
  );
  // A relative command is where the user typed npm start, not the playground's directory.
  assert.equal(parseConfig(["--agent-cmd", "./bin/agent --acp"], { INIT_CWD: "/home/me/src" }).agentCommands[0].command, "/home/me/src/bin/agent");
  assert.deepEqual(parseConfig([], {}).agentCommands, []);
  assert.throws(() => parseConfig(["--agent-cmd", "agent --acp | tee log"], {}), (e: unknown) => e instanceof ConfigError && /without a shell/.test(e.message));
  assert.throws(() => parseConfig(["--agent-cmd", `agent "unclosed`], {}), (e: unknown) => e instanceof ConfigError && /Unterminated double quote/.test(e.message));
  assert.throws(() => parseConfig(["--agent-cmd", "  "], {}), (e: unknown) => e instanceof ConfigError && /empty command line/.test(e.message));
  assert.throws(() => parseConfig(["--agent-cmd"], {}), (e: unknown) => e instanceof ConfigError && /needs a value/.test(e.message));
});

test("CLI: shard 1/2 and 2/2 merged equal the unsharded run (table, JSON, JUnit); a missing or repeated shard is refused", async () => {
  const common = ["--agent-cmd", GATE, "--agent-cmd", STUB, "--profile", "Logged out", "--profile", "Fixture key", "--profile", "API key (example)", "--prompt", "hi", "--concurrency", "2"];
  const whole = await cli([...common, "--format", "json"]);
  assert.equal(whole.code, 0, whole.stderr);
  const unsharded = JSON.parse(whole.stdout) as ProbeCell[];
  assert.equal(unsharded.length, 6);
  const files: string[] = [];
  for (const k of [1, 2]) {
    const out = path.join(scratch.work, `shard-${k}.json`);
    const r = await cli([...common, "--shard", `${k}/2`, "--format", "json", "--out", out]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(await readFile(out, "utf8")) as ShardReport;
    assert.equal(report.shard.index, k);
    assert.equal(report.cells.length, 3, `shard ${k}/2 ran ${report.cells.length} cells`);
    assert.deepEqual(report.plan, unsharded.map(cellKey));
    files.push(out);
  }
  const merged = await cli(["merge", files[1], files[0], "--format", "json"]);
  assert.equal(merged.code, 0, merged.stderr);
  assert.deepEqual(essence(JSON.parse(merged.stdout) as ProbeCell[]), essence(unsharded));
  const table = await cli(["merge", ...files]);
  assert.equal(table.code, 0, table.stderr);
  // The protocol line, the column heads, six cells.
  assert.equal(table.stdout.trim().split("\n").length, 8);
  assert.equal(table.stdout.split("\n")[0], "Protocol requested: v1");
  const expect = path.join(scratch.work, "expect.json");
  await writeFile(expect, JSON.stringify({ [GATE]: { "Logged out": "prompt-refused", "Fixture key": "prompt-answered" } }));
  const junit = await cli(["merge", ...files, "--format", "junit", "--expect", expect]);
  assert.equal(junit.code, 0, junit.stderr);
  assert.equal((junit.stdout.match(/<testcase /g) ?? []).length, 6);
  assert.match(junit.stdout, /failures="0"/);

  const missing = await cli(["merge", files[0]]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /merge refused: Shard 2\/2 is missing/);
  const twice = await cli(["merge", files[0], files[0], files[1]]);
  assert.equal(twice.code, 2);
  assert.match(twice.stderr, /Shard 1\/2 is given twice/);
  const bad = await cli([...common, "--shard", "3/2"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /K must be from 1 to N/);
});

test("matrix_run over the wire: a prompt is bounded text (never a command); blank means no prompt step", () => {
  const run = (prompt: unknown): ReturnType<typeof parseClientCommand> => parseClientCommand(JSON.stringify({ type: "matrix_run", agentIds: ["a"], profileIds: ["p"], prompt }));
  const ok = run("Say hello");
  assert.ok(ok.ok && ok.command.type === "matrix_run" && ok.command.prompt === "Say hello");
  const blank = run("   ");
  assert.ok(blank.ok && blank.command.type === "matrix_run" && blank.command.prompt === undefined);
  assert.equal(run("x".repeat(MATRIX_MAX_PROMPT + 1)).ok, false);
  assert.equal(run(42).ok, false);
});
