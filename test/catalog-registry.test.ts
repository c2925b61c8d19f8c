/**
 * Catalog entries in the ACP Registry's `agent.json` format (issue 12, part 5): `distribution.npx`
 * { package, args, env } next to the playground's own format in agents.json, resolved to a package
 * that is already installed (`<data-dir>/node_modules`, then the playground's node_modules; nothing
 * is downloaded at run time), a missing or mismatched package reported per entry with the command
 * that installs it. Then the matrix CLI on such entries: a local package wrapping a fixture agent,
 * and (when the pinned third-party cache can be installed) the seven real agents of
 * docs/other-agents.md written exactly as the README's agents.json.
 */
import assert from "node:assert/strict";
import { chmod, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { ProbeCell } from "../lib/matrix-report";
import { Catalog, parseCatalogFile } from "../server/catalog";
import { AgentBinaryError, CatalogError } from "../server/errors";
import { parsePackageSpec } from "../server/registry-entry";
import { bundledNode } from "../server/runtime";
import { ProfileStore } from "../server/profiles";
import { type CliResult, runMatrixCli } from "./fixtures/cli";
import { thirdPartyOrSkip } from "./fixtures/third-party";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The seven agents of docs/other-agents.md in registry form: the README's ready agents.json. */
const SEVEN_AGENTS = {
  agents: [
    { id: "gemini", name: "Gemini CLI", version: "0.61.0", distribution: { npx: { package: "@google/gemini-cli@0.61.0", args: ["--acp"] } } },
    { id: "qwen-code", name: "Qwen Code", version: "0.24.4", distribution: { npx: { package: "@qwen-code/qwen-code@0.24.4", args: ["--acp"] } } },
    { id: "claude-acp", name: "Claude Agent", version: "0.23.1", distribution: { npx: { package: "@zed-industries/claude-agent-acp@0.23.1" } } },
    { id: "codex-acp", name: "Codex", version: "0.16.0", distribution: { npx: { package: "@zed-industries/codex-acp@0.16.0" } } },
    { id: "opencode", name: "OpenCode", version: "1.18.33", distribution: { npx: { package: "opencode-ai@1.18.33", args: ["acp"] } } },
    { id: "github-copilot", name: "GitHub Copilot CLI", version: "1.0.102", distribution: { npx: { package: "@github/copilot@1.0.102", args: ["--acp"] } } },
    { id: "auggie", name: "Auggie", version: "0.36.0", distribution: { npx: { package: "@augmentcode/auggie@0.36.0", args: ["--acp"] } } },
  ],
};

let work: string;

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), "acp-catalog-registry-"));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A fake npm package in `<dir>/node_modules/<name>` whose bin is `binSource`. */
async function fakePackage(dir: string, name: string, version: string, bin: Record<string, string>, files: Record<string, string>): Promise<string> {
  const pkgDir = path.join(dir, "node_modules", name);
  await mkdir(pkgDir, { recursive: true });
  await writeFile(path.join(pkgDir, "package.json"), JSON.stringify({ name, version, bin }));
  for (const [file, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(pkgDir, file)), { recursive: true });
    await writeFile(path.join(pkgDir, file), content);
    await chmod(path.join(pkgDir, file), 0o755);
  }
  return pkgDir;
}

/** Everything the matrix CLI child writes under its HOME stays in this temp dir, whatever the agents do. */
function isolatedHome(home: string): Record<string, string> {
  return { HOME: home, XDG_CONFIG_HOME: path.join(home, ".config"), XDG_DATA_HOME: path.join(home, ".local", "share"), XDG_STATE_HOME: path.join(home, ".local", "state"), XDG_CACHE_HOME: path.join(home, ".cache") };
}

function matrix(dataDir: string, args: string[], env: Record<string, string>, timeoutMs = 240_000): Promise<CliResult> {
  return runMatrixCli(["--data-dir", dataDir, ...args], { env, timeoutMs });
}

test("registry entries parse next to the playground's own format: id, name + version as label, npx package, args, env", () => {
  const entries = parseCatalogFile(
    JSON.stringify({
      agents: [
        { id: "mine", label: "My agent", command: "my-agent", args: ["--acp"] },
        ...SEVEN_AGENTS.agents,
        { id: "with-env", name: "With env", distribution: { npx: { package: "some-agent", args: ["acp"], env: { SOME_AGENT_LOG: "debug" } } } },
      ],
    }),
    "/data/agents.json",
  );
  assert.equal(entries.length, 9);
  assert.deepEqual(entries[0], { id: "mine", label: "My agent", command: "my-agent", args: ["--acp"], env: {}, runtime: undefined, builtin: false, kimi: false });
  const gemini = entries[1];
  assert.equal(gemini.id, "gemini");
  assert.equal(gemini.label, "Gemini CLI 0.61.0");
  assert.deepEqual(gemini.npx, { name: "@google/gemini-cli", version: "0.61.0" });
  assert.deepEqual(gemini.args, ["--acp"]);
  assert.equal(gemini.version, "0.61.0");
  assert.deepEqual(entries[4].npx, { name: "@zed-industries/codex-acp", version: "0.16.0" });
  assert.deepEqual(entries[4].args, []);
  assert.deepEqual(entries[8].env, { SOME_AGENT_LOG: "debug" });
  assert.deepEqual(entries[8].npx, { name: "some-agent" });
  assert.deepEqual(parsePackageSpec("@scope/pkg"), { name: "@scope/pkg" });
  assert.deepEqual(parsePackageSpec("pkg@latest"), { name: "pkg" });
  assert.equal(parsePackageSpec("../../etc/passwd"), undefined);
  assert.equal(parsePackageSpec("pkg@1.0.0 && rm -rf /"), undefined);
});

test("registry entries that cannot run here are refused with the reason: binary/uvx only, a bad package, bad args", () => {
  const parse = (agent: unknown): unknown => parseCatalogFile(JSON.stringify({ agents: [agent] }), "/data/agents.json");
  assert.throws(
    () => parse({ id: "bin-only", name: "Binary", distribution: { binary: { "linux-x86_64": { archive: "https://example.invalid/a.tgz", cmd: "./a" } } } }),
    (e: unknown) => e instanceof CatalogError && /only "distribution\.npx" can run here \(this entry has: binary\)/.test(e.message) && /command/.test(e.hint ?? ""),
  );
  assert.throws(() => parse({ id: "bad-pkg", distribution: { npx: { package: "not a package" } } }), (e: unknown) => e instanceof CatalogError && /npm package name/.test(e.message));
  assert.throws(() => parse({ id: "bad-args", distribution: { npx: { package: "ok", args: "--acp" } } }), (e: unknown) => e instanceof CatalogError && /args must be an array of strings/.test(e.message));
  assert.throws(() => parse({ id: "bad-env", distribution: { npx: { package: "ok", env: { N: 1 } } } }), (e: unknown) => e instanceof CatalogError && /env must be an object of strings/.test(e.message));
  assert.throws(() => parse({ id: "bad-dist", distribution: "npx" }), (e: unknown) => e instanceof CatalogError && /"distribution" must be an object/.test(e.message));
});

test("distribution.npx resolves to an installed package only: missing → a clear error with the install command; wrong version refused; JavaScript bins run on Node 22", async () => {
  const dataDir = path.join(work, "resolve");
  await mkdir(dataDir, { recursive: true });
  await writeFile(
    path.join(dataDir, "agents.json"),
    JSON.stringify({
      agents: [
        { id: "missing", name: "Missing", distribution: { npx: { package: "@example/not-installed-agent@1.2.3", args: ["--acp"] } } },
        { id: "js-agent", name: "JS agent", distribution: { npx: { package: "@example/js-agent@2.0.0", args: ["--acp"] } } },
        { id: "old-pin", name: "Old pin", distribution: { npx: { package: "@example/js-agent@1.0.0" } } },
        { id: "native", name: "Native", distribution: { npx: { package: "native-agent", args: ["acp"] } } },
      ],
    }),
  );
  await fakePackage(dataDir, "@example/js-agent", "2.0.0", { "js-agent": "cli.js", other: "other.js" }, { "cli.js": "#!/usr/bin/env node\n", "other.js": "" });
  await fakePackage(dataDir, "native-agent", "0.1.0", { "native-agent-bin": "bin/agent" }, { "bin/agent": "#!/bin/sh\necho native\n" });
  const catalog = new Catalog(dataDir);
  assert.equal(catalog.error, undefined);
  assert.throws(
    () => catalog.resolve(catalog.get("missing"), "/usr/bin"),
    (e: unknown) =>
      e instanceof AgentBinaryError &&
      /needs the npm package @example\/not-installed-agent@1\.2\.3, which is not installed/.test(e.message) &&
      e.message.includes(path.join(dataDir, "node_modules")) &&
      (e.hint ?? "").includes(`npm install --prefix ${JSON.stringify(dataDir)} @example/not-installed-agent@1.2.3`),
  );
  const js = catalog.resolve(catalog.get("js-agent"), "/usr/bin");
  assert.equal(js.file, bundledNode().path);
  assert.deepEqual(js.args, [path.join(dataDir, "node_modules", "@example", "js-agent", "cli.js"), "--acp"]);
  assert.throws(() => catalog.resolve(catalog.get("old-pin"), "/usr/bin"), (e: unknown) => e instanceof AgentBinaryError && /pins @example\/js-agent@1\.0\.0, but .* holds 2\.0\.0/.test(e.message));
  const native = catalog.resolve(catalog.get("native"), "/usr/bin");
  assert.equal(native.file, path.join(dataDir, "node_modules", "native-agent", "bin", "agent"));
  assert.deepEqual(native.args, ["acp"]);
  // The UI's agent picker shows the problem on the entry; the other entries keep working.
  const views = catalog.views("/usr/bin");
  assert.match(views.find((v) => v.id === "missing")?.problem ?? "", /npm install --prefix/);
  assert.equal(views.find((v) => v.id === "js-agent")?.problem, undefined);
});

test("the matrix CLI runs a registry entry: a local package wrapping a fixture agent, with --prompt", async () => {
  const dataDir = path.join(work, "cli");
  await mkdir(dataDir, { recursive: true });
  const fixture = path.join(root, "test", "fixtures", "prompt-gate-agent.mjs");
  await fakePackage(dataDir, "@example/gate-agent", "1.0.0", { "gate-agent": "index.mjs" }, { "index.mjs": `#!/usr/bin/env node\nimport ${JSON.stringify(fixture)};\n` });
  await writeFile(path.join(dataDir, "agents.json"), JSON.stringify({ agents: [{ id: "gate", name: "Gate agent", version: "1.0.0", distribution: { npx: { package: "@example/gate-agent@1.0.0" } } }] }));
  const r = await matrix(dataDir, ["--agent", "gate", "--profile", "Logged out", "--prompt", "hi", "--format", "json"], {});
  assert.equal(r.code, 0, r.stderr);
  const [cell] = JSON.parse(r.stdout) as ProbeCell[];
  assert.equal(cell.verdict, "prompt-refused", cell.detail);
  assert.equal(cell.agent.name, "prompt-gate-agent");
  assert.ok(cell.agent.command.some((a) => a.endsWith(path.join("@example", "gate-agent", "index.mjs"))), cell.agent.command.join(" "));
  const missing = await matrix(dataDir, ["--agent", "nope"], {});
  assert.equal(missing.code, 2);
});

test("the seven real agents as the README's registry agents.json: every one resolves and answers initialize; Claude: session created, prompt refused; Codex authenticates with an env_var method", async (t) => {
  const { install, skip } = await thirdPartyOrSkip();
  if (skip || !install) {
    t.skip(`real third-party agents: ${skip}`);
    return;
  }
  const dataDir = path.join(work, "real");
  const home = path.join(work, "real-home");
  await mkdir(dataDir, { recursive: true });
  await mkdir(home, { recursive: true });
  // The test cache is the installed package tree: linked in as <data-dir>/node_modules, the first place looked.
  await symlink(path.join(install.dir, "node_modules"), path.join(dataDir, "node_modules"));
  await writeFile(path.join(dataDir, "agents.json"), JSON.stringify(SEVEN_AGENTS, null, 2));
  const store = new ProfileStore(dataDir);
  await store.init();
  await store.save({ name: "Codex key", kind: "generic", fields: { env: "CODEX_API_KEY=sk-codex-test-0000", files: "" } });
  const env = isolatedHome(home);
  const ids = SEVEN_AGENTS.agents.map((a) => a.id);
  const r = await matrix(dataDir, [...ids.flatMap((id) => ["--agent", id]), "--profile", "Logged out", "--prompt", "hi", "--timeout", "30000", "--concurrency", "2", "--format", "json"], env, 400_000);
  assert.equal(r.code, 0, r.stderr);
  const cells = JSON.parse(r.stdout) as ProbeCell[];
  const byId = new Map(cells.map((c) => [c.agent.id, c]));
  for (const id of ids) assert.equal(byId.get(id)?.initialize.ok, true, `${id}: ${byId.get(id)?.detail}`);
  const claude = byId.get("claude-acp");
  assert.equal(claude?.verdict, "prompt-refused", claude?.detail);
  assert.equal(claude?.prompt?.error?.code, -32000);
  assert.deepEqual(byId.get("codex-acp")?.initialize.methods?.map((m) => m.type), ["agent", "env_var", "env_var"]);
  assert.deepEqual(byId.get("github-copilot")?.initialize.methods?.map((m) => m.type), ["legacy"]);

  const codex = await matrix(dataDir, ["--agent", "codex-acp", "--profile", "Codex key", "--format", "json"], env);
  assert.equal(codex.code, 0, codex.stderr);
  const [keyed] = JSON.parse(codex.stdout) as ProbeCell[];
  assert.equal(keyed.authenticate?.methodId, "codex-api-key");
  assert.equal(keyed.authenticate?.ok, true, keyed.detail);
  assert.equal(keyed.verdict, "session-created", keyed.detail);
  assert.ok(!JSON.stringify(keyed).includes("sk-codex-test-0000"), "the key reached the recorded frames");
  // Whatever the agents did, the CLI's HOME stayed empty: the probes ran in their own homes.
  assert.deepEqual(await readdir(home), []);
});
