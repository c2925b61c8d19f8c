/**
 * Issue 12 §1 and §4: no agent ever touches the server user's home, and an agent's process life
 * follows its run. The real third-party agents from npm (test/fixtures/third-party.ts, installed
 * into a per-machine cache, never by `npm install`) run under a real server whose own HOME (and
 * XDG directories) is a FAKE home full of dotfiles — never the machine's real one — and the fake
 * home must be byte-identical afterwards: every file and directory with its size, mode, mtime and
 * content hash. Codex proves the credential side: an `authenticate` with its env_var method in one
 * run writes `auth.json` into that run's home only, and a "Logged out" run after it is still
 * logged out. The login terminal and a matrix probe get the run's home too (read from
 * /proc/<pid>/environ).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { initializeParams } from "../lib/templates";
import type { Frame, ServerEvent } from "../lib/wire";
import { cmdline, descendants, fixtureAgent, killGroup, type PlaygroundServer, processAlive, ROOT, serverNodePid, sleep, startRun, startServer, treeEntries, waitUntil, WsClient } from "./fixtures/server";
import { type ThirdPartyInstall, thirdPartyOrSkip } from "./fixtures/third-party";

const CAPS = { fsRead: false, fsWrite: false, terminal: false, authTerminal: true, legacyTerminalAuth: true };
/** A made-up key: Codex stores it without checking it (offline, nothing can be checked). */
const CODEX_KEY = "sk-isolation-test-0123456789abcdef";

// ── the fake user home ──────────────────────────────────────────────────────

/** A home that looks lived in: shell files, git config, and an agent's own login (which a logged-out run must not see). */
function makeFakeHome(): string {
  const home = mkdtempSync(path.join(os.tmpdir(), "acp-fake-home-"));
  const files: Record<string, string> = {
    ".bashrc": "export EDITOR=vi\n",
    ".profile": "# login shell\n",
    ".gitconfig": "[user]\n\tname = Fake User\n",
    ".config/git/ignore": "*.swp\n",
    ".local/share/keep.txt": "data\n",
    ".cache/keep.txt": "cache\n",
    ".codex/auth.json": JSON.stringify({ OPENAI_API_KEY: "sk-the-users-real-codex-login" }),
    ".codex/config.toml": 'model = "users-own-model"\n',
    ".gemini/settings.json": JSON.stringify({ security: { auth: { selectedType: "gemini-api-key" } } }),
    ".claude.json": JSON.stringify({ userID: "fake" }),
    ".qwen/settings.json": "{}\n",
    ".copilot/config.json": "{}\n",
  };
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(home, rel)), { recursive: true });
    writeFileSync(path.join(home, rel), content, { mode: 0o600 });
  }
  return home;
}

/** Every entry under `root`: type, size, mode, mtime and (for files) a content hash, sorted. */
function snapshot(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    const full = path.join(root, rel);
    const st = lstatSync(full);
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isDirectory()) {
      out.push(`${rel || "."}\tdir\t${mode}\t${st.mtimeMs}`);
      for (const name of readdirSync(full).sort()) walk(rel ? `${rel}/${name}` : name);
    } else if (st.isSymbolicLink()) out.push(`${rel}\tlink\t${readlinkSync(full)}\t${st.mtimeMs}`);
    else out.push(`${rel}\tfile\t${st.size}\t${mode}\t${st.mtimeMs}\t${createHash("sha256").update(readFileSync(full)).digest("hex")}`);
  };
  walk("");
  return out;
}

function fakeHomeEnv(home: string): Record<string, string> {
  // A user with XDG set: a relay that passed these through would send agents straight into the fake home.
  return {
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, ".config"),
    XDG_DATA_HOME: path.join(home, ".local", "share"),
    XDG_STATE_HOME: path.join(home, ".local", "state"),
    XDG_CACHE_HOME: path.join(home, ".cache"),
    // The relay must not pass these on either (they are not in the allowlist).
    CODEX_HOME: path.join(home, ".codex"),
    CLAUDE_CONFIG_DIR: path.join(home, ".claude"),
    NEXT_TELEMETRY_DISABLED: "1",
  };
}

// ── helpers ────────────────────────────────────────────────────────────────

function environOf(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of readFileSync(`/proc/${pid}/environ`, "utf8").split("\0")) {
    const i = pair.indexOf("=");
    if (i > 0) out[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return out;
}

function isAnswer(method: string) {
  return (f: Frame): boolean => f.dir === "in" && f.method === method && (f.kind === "response" || f.kind === "error");
}

async function ask(client: WsClient, runId: string, method: string, params: unknown, timeoutMs: number): Promise<Frame | undefined> {
  const before = client.framesOf(runId).filter(isAnswer(method)).length;
  client.send({ type: "request", method, params });
  try {
    await waitUntil(`${method} answer in ${runId}`, () => client.framesOf(runId).filter(isAnswer(method)).length > before, timeoutMs, 100);
  } catch {
    return undefined;
  }
  return client.framesOf(runId).filter(isAnswer(method)).at(-1);
}

async function killRun(client: WsClient, runId: string): Promise<void> {
  client.send({ type: "kill" });
  await client.waitForRun(`${runId} to end`, (r) => r.runId === runId && r.state !== "running" && r.state !== "starting", 30_000);
}

async function saveProfile(client: WsClient, name: string, kind: string, fields: Record<string, string>): Promise<string> {
  client.send({ type: "profile_save", draft: { name, kind, fields } } as never);
  return client.waitFor(`profile ${name}`, (e: ServerEvent) => (e.type === "profiles" ? e.profiles.find((p) => p.name === name)?.id : undefined), 10_000);
}

function assertInsideRunHome(env: Record<string, string>, dataDir: string, runId: string, names: string[]): void {
  const home = path.join(dataDir, "runs", runId, "home");
  assert.equal(env.HOME, home, `HOME of ${runId}`);
  for (const name of names) assert.ok(env[name]?.startsWith(`${home}/`) || env[name] === home, `${name}=${env[name]} is not inside ${home}`);
}

const XDG = ["XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"];
/** The agents' own home variables, as server/run-home.ts knows them. */
const OWN_HOME: Record<string, string[]> = { codex: ["CODEX_HOME"], claude: ["CLAUDE_CONFIG_DIR"], gemini: ["GEMINI_CLI_HOME"], qwen: ["QWEN_HOME"], copilot: ["COPILOT_HOME"], opencode: [], auggie: [] };

/** The live process of a run: its spawned pid (a Node loader may exec a native child; those share its env). */
function agentPids(pid: number): number[] {
  return [pid, ...descendants(pid)].filter(processAlive);
}

// ── the real agents ─────────────────────────────────────────────────────────

const tp = await thirdPartyOrSkip();
const install = tp.install as ThirdPartyInstall;

// The parts below each start their own server (or CLI) with their own fake home and data dir, and
// the fixture parts mostly wait on the relay's own timers (the disk meter's walks, SIGKILL 2 s after
// SIGTERM, a quiet start queue): the parts run side by side, the real agents' among them. Inside a
// part the tests share one client and run in order (concurrency 1: a describe inherits its parent's).
describe("issue 12: isolation", { concurrency: true }, () => {
  describe("issue 12: real third-party agents never touch the server user's home", { skip: tp.skip, concurrency: 1 }, () => {
    let fakeHome: string;
    let server: PlaygroundServer;
    let client: WsClient;
    let before0: string[];
    const notes: string[] = [];

    before(async () => {
      fakeHome = makeFakeHome();
      before0 = snapshot(fakeHome);
      server = await startServer({ agents: install.agents, env: fakeHomeEnv(fakeHome), extraArgs: ["--keep-runs", "40"], readyTimeoutMs: 120_000 });
      client = await WsClient.connect(server);
    });

    after(async () => {
      await client?.close();
      await server?.stop();
      if (notes.length) process.stderr.write(`${notes.join("\n")}\n`);
      rmSync(fakeHome, { recursive: true, force: true });
    });

    test("§1: every real agent runs with HOME, XDG and its own home variables inside its run home, and the server user's HOME stays byte-identical", { timeout: 900_000 }, async () => {
      for (const agent of install.agents) {
        const t0 = Date.now();
        const { runId, pid } = await startRun(client, agent.id, "logged-out");
        assert.ok(pid > 0, `${agent.id} spawned`);
        // Every process of the agent (a loader and the native binary it starts) has the run's home.
        await sleep(300);
        for (const p of agentPids(pid)) assertInsideRunHome(environOf(p), server.dataDir, runId, [...XDG, ...(OWN_HOME[agent.id] ?? [])]);
        const init = await ask(client, runId, "initialize", initializeParams(CAPS), 90_000);
        const session = init?.kind === "response" ? await ask(client, runId, "session/new", { cwd: os.tmpdir(), mcpServers: [] }, 60_000) : undefined;
        await killRun(client, runId);
        const home = path.join(server.dataDir, "runs", runId, "home");
        notes.push(`${agent.id}: initialize ${init ? (init.kind === "error" ? init.errorCode : "ok") : "no answer"}, session/new ${session ? (session.kind === "error" ? session.errorCode : "ok") : "-"}, ${Date.now() - t0} ms, run home ${duKb(home)} kB`);
        assert.ok(init, `${agent.id} answered initialize`);
      }
      assert.deepEqual(snapshot(fakeHome), before0, "the server user's HOME changed");
    });

    test("§1: Codex authenticate (env_var method) in run A writes only A's home; a Logged out run B is still logged out", { timeout: 300_000 }, async () => {
      const codex = install.byId.codex;
      const keyProfile = await saveProfile(client, "Codex key", "generic", { env: `CODEX_API_KEY=${CODEX_KEY}` });
      const a = await startRun(client, codex.id, keyProfile);
      const initA = await ask(client, a.runId, "initialize", initializeParams(CAPS), 60_000);
      assert.equal(initA?.kind, "response", "codex initialize");
      const auth = await ask(client, a.runId, "authenticate", { methodId: "codex-api-key" }, 60_000);
      assert.equal(auth?.kind, "response", `authenticate with codex-api-key: ${auth?.raw}`);
      const authFile = path.join(server.dataDir, "runs", a.runId, "home", ".codex", "auth.json");
      assert.ok(existsSync(authFile), "auth.json is in run A's CODEX_HOME");
      assert.ok(readFileSync(authFile, "utf8").includes(CODEX_KEY), "run A's auth.json holds the key");
      await killRun(client, a.runId);

      const b = await startRun(client, codex.id, "logged-out");
      const initB = await ask(client, b.runId, "initialize", initializeParams(CAPS), 60_000);
      assert.equal(initB?.kind, "response");
      const sessionB = await ask(client, b.runId, "session/new", { cwd: os.tmpdir(), mcpServers: [] }, 60_000);
      assert.equal(sessionB?.kind, "error", `a logged-out Codex run must not create a session: ${sessionB?.raw}`);
      assert.equal(sessionB?.errorCode, -32000, "auth required");
      // Logout in the logged-out run reaches only its own home.
      await ask(client, b.runId, "logout", {}, 30_000);
      await killRun(client, b.runId);
      assert.ok(existsSync(authFile), "run B's logout did not delete run A's login");
      assert.deepEqual(snapshot(fakeHome), before0, "the server user's HOME changed");
    });
  });

  /** Starts the current run's spec terminal login "login" and returns the pid of its process once that runs. */
  async function startTerminalLogin(client: WsClient, server: PlaygroundServer): Promise<number> {
    client.send({ type: "login_start", methodId: "login", convention: "spec" });
    let loginPid = 0;
    await waitUntil("the login process", () => {
      loginPid = descendants(serverNodePid(server)).find((p) => (cmdline(p) ?? []).includes("--login")) ?? 0;
      return loginPid > 0;
    }, 15_000);
    return loginPid;
  }

  function duKb(dir: string): number {
    return Math.round(treeEntries(dir).reduce((bytes, e) => bytes + e.stat.size, 0) / 1024);
  }

  // ── the login terminal and a matrix probe (fixture agents: no install needed) ──

  describe("issue 12: a login terminal and a matrix probe get the run's home", { concurrency: 1 }, () => {
    let fakeHome: string;
    let server: PlaygroundServer;
    let client: WsClient;

    before(async () => {
      fakeHome = makeFakeHome();
      server = await startServer({ agents: [fixtureAgent("login", "login-agent.mjs"), fixtureAgent("hang", "hang-agent.mjs")], env: fakeHomeEnv(fakeHome) });
      client = await WsClient.connect(server);
    });

    after(async () => {
      await client?.close();
      await server?.stop();
      rmSync(fakeHome, { recursive: true, force: true });
    });

    test("§1: the terminal login's process has the run's HOME and XDG directories", { timeout: 60_000 }, async () => {
      const { runId } = await startRun(client, "login", "logged-out");
      const init = await ask(client, runId, "initialize", initializeParams(CAPS), 15_000);
      assert.equal(init?.kind, "response");
      const loginPid = await startTerminalLogin(client, server);
      assertInsideRunHome(environOf(loginPid), server.dataDir, runId, XDG);
      client.send({ type: "login_cancel" } as never);
    });

    test("§1: a matrix probe's agent has its probe home, not the server user's", { timeout: 60_000 }, async () => {
      client.send({ type: "matrix_run", agentIds: ["hang"], profileIds: ["logged-out"], timeoutMs: 30_000 });
      let probePid = 0;
      await waitUntil("the probe's agent", () => {
        probePid = descendants(serverNodePid(server)).find((p) => (cmdline(p) ?? []).some((a) => a.endsWith("hang-agent.mjs"))) ?? 0;
        return probePid > 0;
      }, 15_000);
      const env = environOf(probePid);
      client.send({ type: "matrix_cancel" });
      assert.notEqual(env.HOME, fakeHome);
      assert.match(env.HOME ?? "", new RegExp(`^${escapeRe(path.join(server.dataDir, "runs"))}/probe-[0-9a-f]+/home$`));
      for (const name of XDG) assert.ok(env[name]?.startsWith(`${env.HOME}/`), `${name}=${env[name]}`);
    });

    test("§1: the advertisement diff's scratch runs have their own homes", { timeout: 60_000 }, async () => {
      // Free the agent slots: the login test's run and the probe.
      client.send({ type: "kill" });
      await waitUntil("the other agents to be gone", () => !descendants(serverNodePid(server)).some((p) => (cmdline(p) ?? []).some((a) => a.endsWith("hang-agent.mjs") || a.endsWith("login-agent.mjs")) && !(cmdline(p) ?? []).includes("--login")), 15_000);
      client.send({ type: "adv_diff", agentId: "hang" });
      let pids: number[] = [];
      await waitUntil("the scratch agents", () => {
        pids = descendants(serverNodePid(server)).filter((p) => (cmdline(p) ?? []).some((a) => a.endsWith("hang-agent.mjs")));
        return pids.length === 4;
      }, 15_000);
      const homes = pids.map((p) => environOf(p));
      for (const env of homes) {
        assert.match(env.HOME ?? "", new RegExp(`^${escapeRe(path.join(server.dataDir, "runs"))}/scratch-[0-9a-z]+-\\d/home$`));
        for (const name of XDG) assert.ok(env[name]?.startsWith(`${env.HOME}/`), `${name}=${env[name]}`);
      }
      assert.equal(new Set(homes.map((e) => e.HOME)).size, 4, "each scratch run has its own home");
      // The diff waits 30 s per variant for an agent that never answers; the server's stop ends them.
    });
  });

  // ── §2 disk: run homes (caches included) go with their runs, and the UI is told the size ──

  describe("issue 12 §2: disk stays bounded", { concurrency: 1 }, () => {
    let server: PlaygroundServer;
    let client: WsClient;

    before(async () => {
      server = await startServer({ agents: [fixtureAgent("stub", "stub-agent.mjs")], extraArgs: ["--keep-runs", "2"] });
      client = await WsClient.connect(server);
    });

    after(async () => {
      await client?.close();
      await server?.stop();
    });

    test("§2: a pruned run's home goes with every cache under it, and runs_disk reports the size of <data>/runs", { timeout: 60_000 }, async () => {
      const first = await startRun(client, "stub", "logged-out");
      // What an agent writes under its HOME (Copilot unpacks ~240 MB into ~/.cache/copilot).
      const cache = path.join(server.dataDir, "runs", first.runId, "home", ".cache", "agent", "blob");
      mkdirSync(path.dirname(cache), { recursive: true });
      writeFileSync(cache, Buffer.alloc(3 << 20, 7));
      await killRun(client, first.runId);
      const measured = await client.waitFor("a runs_disk figure with the cache", (e) => (e.type === "runs_disk" && e.disk.bytes >= 3 << 20 ? e.disk : undefined), 20_000);
      assert.ok(measured.entries >= 4);
      await startRun(client, "stub", "logged-out");
      await startRun(client, "stub", "logged-out");
      await waitUntil("the first run's directory to be removed", () => !existsSync(path.join(server.dataDir, "runs", first.runId)), 10_000);
      await client.waitFor("a runs_disk figure without it", (e) => (e.type === "runs_disk" && e.disk.at > measured.at && e.disk.bytes < 3 << 20 ? true : undefined), 20_000);
    });
  });

  // ── units: the agents the relay knows, agents.json homeEnv, the disk meter, the outcome badges ──

  describe("issue 12 units", { concurrency: 1 }, () => {
    test("§1: each known agent is recognised by its package or program, and every home variable it gets is one the relay owns", async () => {
      const { recognizeAgent, KNOWN_AGENT_HOMES, XDG_HOME_DIRS } = await import("../server/run-home");
      const { RELAY_ENV } = await import("../server/env-policy");
      const { agentHomeEnv } = await import("../server/catalog");
      for (const known of KNOWN_AGENT_HOMES) for (const name of Object.keys(known.homeEnv)) assert.ok(RELAY_ENV.has(name), `${name} is in RELAY_ENV`);
      for (const name of Object.keys(XDG_HOME_DIRS)) assert.ok(RELAY_ENV.has(name), `${name} is in RELAY_ENV`);
      assert.equal(recognizeAgent(["/x/node_modules/@zed-industries/codex-acp/bin/codex-acp.js"])?.name, "Codex");
      assert.equal(recognizeAgent(["npx", "@zed-industries/claude-agent-acp@0.23.1"])?.name, "Claude Agent");
      assert.equal(recognizeAgent(["/usr/local/bin/gemini", "--acp"])?.name, "Gemini CLI");
      assert.equal(recognizeAgent(["node", "/opt/qwen/node_modules/@qwen-code/qwen-code/cli-entry.js", "--acp"])?.name, "Qwen Code");
      assert.equal(recognizeAgent(["kimi", "acp"]), undefined);
      // A plain argument that happens to be a program name is not a recognition.
      assert.equal(recognizeAgent(["my-agent", "--model", "gemini"]), undefined);
      assert.deepEqual(agentHomeEnv({ command: "codex-acp", args: [] }), { CODEX_HOME: ".codex" });
      assert.deepEqual(agentHomeEnv({ command: "codex-acp", args: [], homeEnv: { CODEX_HOME: "state/codex" } }), { CODEX_HOME: "state/codex" });
    });

    test("§1: agents.json homeEnv names home directories only, each inside the run's HOME", async () => {
      const { parseCatalogFile } = await import("../server/catalog");
      const { CatalogError } = await import("../server/errors");
      const parse = (homeEnv: unknown) => parseCatalogFile(JSON.stringify({ agents: [{ id: "a", command: "a", homeEnv }] }), "agents.json");
      assert.deepEqual(parse({ MY_AGENT_HOME: ".my-agent", XDG_RUNTIME_DIR: "run" })[0].homeEnv, { MY_AGENT_HOME: ".my-agent", XDG_RUNTIME_DIR: "run" });
      for (const bad of [{ NODE_OPTIONS: "x" }, { HOME: "." }, { LD_PRELOAD: "x" }, { MY_HOME: "/etc" }, { MY_HOME: "../.." }, { MY_HOME: "~/.x" }, { MY_HOME: 5 }, ["MY_HOME"]]) {
        assert.throws(() => parse(bad), CatalogError, JSON.stringify(bad));
      }
    });

    test("§1: a run home gets HOME and XDG inside it; only the agent's own directories are made", async () => {
      const { runHomeEnv } = await import("../server/run-home");
      const home = mkdtempSync(path.join(os.tmpdir(), "acp-run-home-"));
      try {
        const env = await runHomeEnv(home, { CODEX_HOME: ".codex" }, { create: true });
        assert.deepEqual(env, {
          HOME: home,
          XDG_CONFIG_HOME: path.join(home, ".config"),
          XDG_DATA_HOME: path.join(home, ".local/share"),
          XDG_STATE_HOME: path.join(home, ".local/state"),
          XDG_CACHE_HOME: path.join(home, ".cache"),
          CODEX_HOME: path.join(home, ".codex"),
        });
        assert.deepEqual(readdirSync(home), [".codex"]);
        assert.equal(lstatSync(path.join(home, ".codex")).mode & 0o777, 0o700);
        // In place (an existing home): nothing is made, a missing agent directory is left to the agent.
        const inPlace = await runHomeEnv(home, { QWEN_HOME: ".qwen" }, { create: false });
        assert.equal(inPlace.QWEN_HOME, undefined);
        assert.deepEqual(readdirSync(home), [".codex"]);
      } finally {
        rmSync(home, { recursive: true, force: true });
      }
    });

    test("§1: an existing home is the agent's HOME (only the directory it names); a copied one lives in the run home", async () => {
      const { materialize } = await import("../server/materialize");
      const named = mkdtempSync(path.join(os.tmpdir(), "acp-existing-home-"));
      const runsDir = mkdtempSync(path.join(os.tmpdir(), "acp-existing-runs-"));
      try {
        writeFileSync(path.join(named, "config.toml"), "");
        mkdirSync(path.join(named, ".codex"));
        const before = snapshot(named);
        const profile = { id: "e", name: "Existing", kind: "existing-home" as const, builtin: false, createdAt: 0, updatedAt: 0 };
        const inPlace = await materialize({ ...profile, fields: { path: named, inPlace: true } }, { runsDir, runId: "run-1", agentHomeEnv: { CODEX_HOME: ".codex", QWEN_HOME: ".qwen" } });
        assert.equal(inPlace.env.HOME, named);
        assert.equal(inPlace.env.KIMI_CODE_HOME, named);
        assert.equal(inPlace.env.XDG_CONFIG_HOME, path.join(named, ".config"));
        assert.equal(inPlace.env.CODEX_HOME, path.join(named, ".codex"));
        assert.equal(inPlace.env.QWEN_HOME, undefined, "a missing agent directory is not made in a home used in place");
        assert.deepEqual(snapshot(named), before, "nothing is written to a home used in place");
        const copied = await materialize({ ...profile, fields: { path: named, inPlace: false } }, { runsDir, runId: "run-2", agentHomeEnv: { CODEX_HOME: ".codex" } });
        assert.equal(copied.env.HOME, path.join(runsDir, "run-2", "home"));
        assert.equal(copied.env.CODEX_HOME, path.join(runsDir, "run-2", "home", ".codex"));
        assert.ok(existsSync(path.join(runsDir, "run-2", "home", "config.toml")));
      } finally {
        rmSync(named, { recursive: true, force: true });
        rmSync(runsDir, { recursive: true, force: true });
      }
    });

    test("§2: the disk meter counts allocated bytes, bounded, and throttles its walks", async () => {
      const { measureTree, RunsDiskMeter } = await import("../server/runs-disk");
      const root = mkdtempSync(path.join(os.tmpdir(), "acp-runs-disk-"));
      try {
        mkdirSync(path.join(root, "run-1", "home", ".cache"), { recursive: true });
        writeFileSync(path.join(root, "run-1", "home", ".cache", "blob"), Buffer.alloc(1 << 20, 1));
        const m = await measureTree(root);
        assert.ok(m.bytes >= 1 << 20, `${m.bytes} bytes`);
        assert.equal(m.entries, 4);
        const bounded = await measureTree(root, 2);
        assert.equal(bounded.truncated, true);
        const seen: number[] = [];
        const meter = new RunsDiskMeter(root, (d) => seen.push(d.bytes), 300);
        for (let i = 0; i < 20; i++) meter.request();
        await sleep(100);
        for (let i = 0; i < 20; i++) meter.request();
        await sleep(600);
        meter.dispose();
        assert.equal(seen.length, 2, "40 requests, two walks");
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });

    test("§4: run outcome badges: the last answer that gates the user, and how the process ended", async () => {
      const { outcomeBadges, formatBytes } = await import("../lib/run-outcome");
      const text = (run: Parameters<typeof outcomeBadges>[0]) => outcomeBadges(run).map((b) => b.text);
      assert.deepEqual(text({ state: "running", lastAnswer: { method: "session/new" } }), ["session created", "running"]);
      assert.deepEqual(text({ state: "exited", exitCode: null, signal: "SIGTERM", lastAnswer: { method: "session/new", errorCode: -32000 } }), ["session/new -32000", "killed"]);
      assert.deepEqual(text({ state: "exited", exitCode: 0 }), ["exit 0"]);
      assert.deepEqual(text({ state: "exited", exitCode: 3, lastAnswer: { method: "session/prompt", errorCode: -32000 } }), ["session/prompt -32000", "exit 3"]);
      assert.deepEqual(text({ state: "failed", error: "spawn ENOENT" }), ["did not start"]);
      assert.equal(formatBytes(312_400_000), "312 MB");
      assert.equal(formatBytes(8192), "8.2 kB");
    });
  });

  function escapeRe(s: string): string {
    return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }

  test("§1: the matrix CLI's probe agent gets its temporary home, not the user's", { timeout: 90_000 }, async () => {
    const fakeHome = makeFakeHome();
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "acp-matrix-cli-"));
    writeFileSync(path.join(dataDir, "agents.json"), JSON.stringify({ agents: [fixtureAgent("hang", "hang-agent.mjs")] }));
    const tsx = path.join(ROOT, "node_modules", ".bin", "tsx");
    const child = spawn(tsx, ["scripts/matrix.ts", "--data-dir", dataDir, "--agent", "hang", "--profile", "Logged out", "--timeout", "20000"], {
      cwd: ROOT,
      env: { ...process.env, ...fakeHomeEnv(fakeHome), PATH: `${path.join(ROOT, "node_modules", ".bin")}${path.delimiter}${process.env.PATH ?? ""}` },
      stdio: "ignore",
      detached: true,
    });
    try {
      let probePid = 0;
      await waitUntil("the CLI's probe agent", () => {
        probePid = descendants(child.pid ?? -1).find((p) => (cmdline(p) ?? []).some((a) => a.endsWith("hang-agent.mjs"))) ?? 0;
        return probePid > 0;
      }, 30_000);
      const env = environOf(probePid);
      assert.notEqual(env.HOME, fakeHome);
      assert.match(env.HOME ?? "", new RegExp(`^${escapeRe(os.tmpdir())}/acp-(probe|matrix)-[^/]+/probe-[0-9a-f]+/home$`));
      for (const name of XDG) assert.ok(env[name]?.startsWith(`${env.HOME}/`), `${name}=${env[name]}`);
    } finally {
      killGroup(child.pid);
      rmSync(fakeHome, { recursive: true, force: true });
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  // ── §4 process life (fixture agents) ─────────────────────────────────────────

  describe("issue 12 §4: an agent's process life follows its run", { concurrency: 1 }, () => {
    let server: PlaygroundServer;
    let client: WsClient;

    before(async () => {
      server = await startServer({ agents: [fixtureAgent("stub", "stub-agent.mjs"), fixtureAgent("login", "login-agent.mjs")], extraArgs: ["--keep-runs", "60", "--max-agents", "8"] });
      client = await WsClient.connect(server);
    });

    after(async () => {
      await client?.close();
      await server?.stop();
    });

    /** Every live agent process of the server (its fixture scripts), by pid. */
    const liveAgents = (script: string): number[] =>
      descendants(serverNodePid(server)).filter((p) => (cmdline(p) ?? []).some((a) => a.endsWith(script)) && !(cmdline(p) ?? []).includes("--login"));

    test("§4: switching profile never restarts an agent the user has killed", { timeout: 60_000 }, async () => {
      const { runId } = await startRun(client, "stub", "logged-out");
      await killRun(client, runId);
      const runsBefore = client.events.filter((e) => e.type === "run").map((e) => (e as Extract<ServerEvent, { type: "run" }>).run.runId);
      client.send({ type: "profile_select", profileId: "offline-demo" });
      await client.waitFor("the profile switch", (e) => (e.type === "profiles" && e.activeProfileId === "offline-demo" ? true : undefined), 10_000);
      await sleep(1500);
      const runsAfter = client.events.filter((e) => e.type === "run").map((e) => (e as Extract<ServerEvent, { type: "run" }>).run.runId);
      assert.deepEqual([...new Set(runsAfter)], [...new Set(runsBefore)], "no new run was started");
      assert.deepEqual(liveAgents("stub-agent.mjs"), [], "no agent is alive");
      client.send({ type: "profile_select", profileId: "logged-out" });
      await client.waitFor("the switch back", (e) => (e.type === "profiles" && e.activeProfileId === "logged-out" ? true : undefined), 10_000);
    });

    test("§4: profile_select and start sent together, many times, leave only the current run's agent alive, and Kill reaches it", { timeout: 180_000 }, async () => {
      await startRun(client, "stub", "logged-out");
      const profiles = ["offline-demo", "logged-out"];
      for (let i = 0; i < 25; i++) {
        client.send({ type: "profile_select", profileId: profiles[i % 2] });
        client.send({ type: "start", agentId: "stub", profileId: profiles[(i + 1) % 2] });
        if (i % 5 === 4) await sleep(50);
      }
      // Quiet: no run event for 2 s means the queue has drained.
      let lastEvents = -1;
      await waitUntil("the start queue to drain", () => {
        const n = client.events.filter((e) => e.type === "run").length;
        const quiet = n === lastEvents;
        lastEvents = n;
        return quiet;
      }, 150_000, 2000);
      await sleep(2500); // replaced agents get SIGKILL 2 s after SIGTERM
      const current = [...client.events].reverse().find((e): e is Extract<ServerEvent, { type: "run" }> => e.type === "run" && e.current)?.run;
      assert.ok(current?.pid, "there is a current run with a process");
      assert.deepEqual(liveAgents("stub-agent.mjs"), [current.pid], "the only alive agent is the current run's");
      client.send({ type: "kill" });
      await waitUntil("Kill to reach the agent", () => liveAgents("stub-agent.mjs").length === 0, 10_000);
    });

    test("§4: a terminal login ends with its run; the new run never shows its result", { timeout: 60_000 }, async () => {
      const a = await startRun(client, "login", "logged-out");
      assert.equal((await ask(client, a.runId, "initialize", initializeParams(CAPS), 15_000))?.kind, "response");
      const loginPid = await startTerminalLogin(client, server);
      const b = await startRun(client, "stub", "logged-out");
      await waitUntil("the login process to die with its run", () => !processAlive(loginPid), 10_000);
      await sleep(300);
      const logins = client.events.filter((e): e is Extract<ServerEvent, { type: "login" }> => e.type === "login");
      assert.ok(logins.every((e) => e.runId === a.runId), "every login event names the login's own run");
      // A tab that connects now is not offered the old login as the current run's.
      const fresh = await WsClient.connect(server);
      const hello = fresh.events.find((e): e is Extract<ServerEvent, { type: "hello" }> => e.type === "hello");
      await fresh.close();
      assert.notEqual(hello?.login?.runId, b.runId);
      assert.ok(hello?.login === undefined || hello.login.state !== "running", "no login is reported running");
    });
  });
});
