/**
 * Security suite for issue #11 section 1, "what the browser sends is data, never code" (findings
 * V-1, I7–I11, I15, V-15's cwd): the env policy for profiles and advertised logins, the rules for
 * files a profile writes into a home, and the one check for a working directory from the browser.
 * Unit tests import the policy lazily so the end-to-end tests below still run (and fail for the
 * right reason) against a build that predates it; the end-to-end tests drive a real `tsx
 * server.ts` over the WebSocket and look at the spawned agent's /proc/<pid>/environ.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { Frame, ServerEvent } from "../lib/wire";
import { ensureBuild, fixtureAgent, NODE22, type PlaygroundServer, sleep, startServer, WsClient } from "./fixtures/server";

const STUB = "stub";
const META = "meta-login";

function environOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").filter(Boolean);
  } catch {
    return [];
  }
}

/** NODE_OPTIONS that, if Node ever loads it, writes its pid into `marker`. */
function nodeOptionsPayload(marker: string): string {
  return `--import=data:text/javascript,${encodeURIComponent(`import("node:fs").then((fs) => fs.writeFileSync(${JSON.stringify(marker)}, String(process.pid)))`)}`;
}

/** The first error notice that arrives after `from` (an index into client.events). */
function errorNoticeAfter(client: WsClient, from: number, what: string, timeoutMs = 10_000): Promise<Extract<ServerEvent, { type: "notice" }>> {
  return client.waitFor(what, (e) => (e.type === "notice" && e.level === "error" && client.events.indexOf(e) >= from ? e : undefined), timeoutMs);
}

/** A profile_save refusal reaches only the tab that asked, as a failed profile_result (shown inside the dialog). */
async function saveRefusalAfter(client: WsClient, from: number, what: string, timeoutMs = 10_000): Promise<{ message: string; hint?: string }> {
  const result = await client.waitFor(what, (e) => (e.type === "profile_result" && e.action === "save" && client.events.indexOf(e) >= from ? e : undefined), timeoutMs);
  assert.equal(result.ok, false, `${what}: the save was refused`);
  return { message: result.error ?? "", hint: result.hint };
}

/** Catch what a throwing call threw, so the test can look at its type and message. */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  assert.fail("expected a refusal, but the call returned");
}

// ─── Unit: the policy itself ───────────────────────────────────────────────────────────────────

describe("env policy (unit)", () => {
  test("V-1: every class of code-loading variable is refused by a generic profile, naming the variable and why", async () => {
    const { parseEnvText } = await import("../server/profile-kinds");
    const { EnvPolicyError, ProfileError } = await import("../server/errors");
    const classes: Record<string, string[]> = {
      "runtime or package manager": ["NODE_OPTIONS", "NODE_EXTRA_CA_CERTS", "NPM_CONFIG_NODE_OPTIONS", "ELECTRON_RUN_AS_NODE", "PYTHONSTARTUP", "PYTHONWARNINGS", "PERL5OPT", "PERL5DB", "PERLLIB", "RUBYOPT", "RUBYLIB", "GEM_SPEC_CACHE", "BUNDLE_GEMFILE", "JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "GOFLAGS"],
      "dynamic loader": ["LD_PRELOAD", "LD_AUDIT", "DYLD_INSERT_LIBRARIES", "GLIBC_TUNABLES", "GCONV_PATH"],
      "search path": ["PATH", "NODE_PATH", "PYTHONPATH", "CLASSPATH", "MANPATH", "CDPATH"],
      shell: ["BASH_ENV", "ENV", "SHELLOPTS", "BASHOPTS", "PS4", "PS1", "PROMPT_COMMAND", "IFS", "ZDOTDIR", "BASH_XTRACEFD", "INPUTRC"],
      "tool that starts a program": ["GIT_SSH_COMMAND", "GIT_SSH", "GIT_EXEC_PATH", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_COUNT", "GIT_ASKPASS", "SSH_ASKPASS", "EDITOR", "VISUAL", "PAGER", "BROWSER", "LESSOPEN", "KUBECONFIG"],
      "home and config location": ["XDG_CONFIG_HOME", "XDG_DATA_HOME", "JAVA_HOME", "CLAUDE_CONFIG_DIR", "TMPDIR", "SHELL"],
      "program or options by name": ["PUPPETEER_EXECUTABLE_PATH", "FOO_COMMAND", "CLAUDE_CODE_EXECUTABLE", "MY_TOOL_BIN", "CHROME_FLAGS", "MAVEN_OPTS", "ELECTRON_EXTRA_LAUNCH_ARGS", "X_HELPER"],
      "system library": ["OPENSSL_CONF", "OPENSSL_MODULES", "MALLOC_CHECK_"],
      "file written anywhere": ["SSLKEYLOGFILE", "HISTFILE"],
      locale: ["LANG", "LC_ALL", "LANGUAGE"],
      "outside the pattern": ["_JAVA_OPTIONS", "npm_config_node_options", "Path", "1X", "BASH_FUNC_x%%"],
    };
    for (const [label, names] of Object.entries(classes)) {
      for (const name of names) {
        const error = thrown(() => parseEnvText(`OK_KEY=1\n${name}=x`));
        assert.ok(error instanceof ProfileError, `${name} (${label}): a ProfileError, shown where profile_save errors are`);
        assert.match(error.message, /line 2/, `${name}: the message says which line`);
        if (name.includes("%") || name === "1X") continue; // not even KEY=VALUE: the old syntax error
        assert.ok(error instanceof EnvPolicyError, `${name} (${label}): refused by the env policy, got ${error.message}`);
        assert.equal(error.subject, name);
        assert.ok(error.message.includes(name), `${name}: the message names the variable`);
        assert.match(error.message, /may not set: .{20,}/, `${name}: the message says why`);
        assert.ok(typeof error.hint === "string" && error.hint.length > 0, `${name}: a hint`);
      }
    }
    // The relay's own home variables keep their original, specific refusal.
    for (const name of ["KIMI_CODE_HOME", "HOME"]) assert.match(thrown(() => parseEnvText(`${name}=/etc`)).message, /playground sets itself/);
    // The reasons are the class, not a generic "forbidden".
    assert.match(thrown(() => parseEnvText("NODE_OPTIONS=--require x")).message, /runtime/);
    assert.match(thrown(() => parseEnvText("LD_PRELOAD=/x.so")).message, /loader/);
    assert.match(thrown(() => parseEnvText("BASH_ENV=/x")).message, /shell/);
    assert.match(thrown(() => parseEnvText("PATH=/x")).message, /search path/);
  });

  test("V-1: data variables pass the generic pattern; other kinds set only the variables they declare", async () => {
    const { parseEnvText } = await import("../server/profile-kinds");
    const { checkProfileEnv, envNameProblem, GENERIC_ENV_NAME } = await import("../server/env-policy");
    const ok = ["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_CLOUD_PROJECT", "GITHUB_TOKEN", "HTTPS_PROXY", "NO_PROXY", "KIMI_MODEL_NAME", "A", "GOOD"];
    for (const name of ok) {
      assert.equal(envNameProblem(name), undefined, `${name} is data`);
      assert.deepEqual(parseEnvText(`${name}=v`), { [name]: "v" });
    }
    assert.ok(GENERIC_ENV_NAME.test("X".repeat(128)) && !GENERIC_ENV_NAME.test("X".repeat(129)), "at most 128 characters");
    checkProfileEnv("kimi-env", { KIMI_MODEL_NAME: "m", KIMI_MODEL_API_KEY: "k", KIMI_MODEL_BASE_URL: "http://x", KIMI_CODE_HOME: "/h" });
    assert.match(thrown(() => checkProfileEnv("kimi-api-key", { OPENAI_API_KEY: "x" })).message, /kimi-api-key profile sets only no variables/);
    assert.match(thrown(() => checkProfileEnv("kimi-env", { NODE_OPTIONS: "x" })).message, /NODE_OPTIONS.*kimi-env profile sets only KIMI_MODEL_NAME/);
    assert.match(thrown(() => checkProfileEnv("generic", { LD_PRELOAD: "/x.so" })).message, /LD_PRELOAD/);
  });

  test("V-1: the spawn checks a home's env again and the catalog cannot override the relay's home variables", async () => {
    const { agentEnv } = await import("../server/child-env");
    const { EnvPolicyError } = await import("../server/errors");
    const { planHome, runDoctor } = await import("../server/materialize");
    // A home env that somehow carries NODE_OPTIONS (a profile file from an older build): refused at the spawn.
    assert.ok(thrown(() => agentEnv(process.env, {}, { kind: "generic", env: { NODE_OPTIONS: "--require /x", KIMI_CODE_HOME: "/h" } })) instanceof EnvPolicyError);
    assert.ok(thrown(() => agentEnv(process.env, {}, { kind: "kimi-api-key", env: { LD_PRELOAD: "/x.so", KIMI_CODE_HOME: "/h" } })) instanceof EnvPolicyError);
    // The catalog is trusted (KIMI_DISABLE_TELEMETRY stays), but the home is the relay's.
    const env = agentEnv({ PATH: "/usr/bin", HOME: "/root" }, { KIMI_DISABLE_TELEMETRY: "1", KIMI_CODE_HOME: "/etc", HOME: "/etc", CODEX_HOME: "/root/.codex" }, { kind: "kimi-api-key", env: { KIMI_CODE_HOME: "/runs/run-1/home", HOME: "/runs/run-1/home" } });
    assert.equal(env.KIMI_CODE_HOME, "/runs/run-1/home");
    // Issue 12: HOME is the run's home too, never the server user's (/root) nor the catalog's.
    assert.equal(env.HOME, "/runs/run-1/home", "the catalog does not move HOME");
    assert.equal(env.CODEX_HOME, undefined, "the catalog does not set an agent's home variable");
    assert.equal(env.KIMI_DISABLE_TELEMETRY, "1");
    // planHome (preview, doctor, materialize) refuses a stored generic profile with NODE_OPTIONS.
    assert.ok(thrown(() => planHome({ kind: "generic", fields: { env: "NODE_OPTIONS=--require /x", files: "" } })) instanceof EnvPolicyError);
    // The doctor is a spawn too.
    assert.ok(thrown(() => runDoctor("/nonexistent-home", { NODE_OPTIONS: "--require /x" })) instanceof EnvPolicyError);
  });

  test("V-1: profile files are data: no shell start-up file, no config naming a program, never executable", async () => {
    const { parseFilesText } = await import("../server/profile-kinds");
    const { EnvPolicyError } = await import("../server/errors");
    const one = (p: string, content = "x", mode?: string): string => JSON.stringify([{ path: p, content, ...(mode ? { mode } : {}) }]);
    const refused: [string, RegExp][] = [
      [".bashrc", /shell/],
      [".profile", /shell/],
      [".bash_profile", /shell/],
      [".bash_login", /shell/],
      [".bash_logout", /shell/],
      [".zshenv", /shell/],
      [".zprofile", /shell/],
      [".zshrc", /shell/],
      [".zlogin", /shell/],
      [".kshrc", /shell/],
      [".cshrc", /shell/],
      [".tcshrc", /shell/],
      [".login", /shell/],
      [".xprofile", /shell/],
      [".inputrc", /shell/],
      ["./.BASHRC", /shell/],
      [".config/fish/config.fish", /shell/],
      [".gitconfig", /git/],
      [".config/git/config", /git/],
      [".ssh/config", /ssh/],
      [".ssh/authorized_keys", /ssh/],
      [".npmrc", /runtime/],
      [".pythonrc", /runtime/],
      [".local/lib/python3.12/site-packages/evil.pth", /runtime/],
      [".local/lib/python3.12/site-packages/usercustomize.py", /runtime/],
      [".vimrc", /editor/],
      [".config/autostart/x.desktop", /desktop/],
      ["mcp.json", /MCP servers/],
      ["plugins/installed.json", /plugins/],
    ];
    for (const [p, why] of refused) {
      const error = thrown(() => parseFilesText(one(p)));
      assert.ok(error instanceof EnvPolicyError, `${p}: refused by the policy (got ${error.message})`);
      assert.match(error.message, /File #1 \(.+\) may not be written into the agent's home/, `${p}: says which file`);
      assert.match(error.message, why, `${p}: says why`);
    }
    // Config that names a program for the agent (Kimi's config.toml hooks and MCP, a JSON mcpServers).
    assert.match(thrown(() => parseFilesText(one("config.toml", '[[hooks]]\nevent = "SessionStart"\ncommand = "id > /tmp/x"\n'))).message, /names a program.*"hooks"/);
    assert.match(thrown(() => parseFilesText(one("settings.json", '{"mcpServers":{"x":{"command":"sh"}}}'))).message, /names a program/);
    // Never executable, never set-id.
    for (const mode of ["0755", "0700", "0744", "0711", "4600", "2600"]) assert.match(thrown(() => parseFilesText(one("credentials/token.json", "{}", mode))).message, /mode/, `mode ${mode}`);
    // Still outside the home: refused as before.
    for (const p of ["../escape", "/etc/passwd", "a/../../x"]) assert.match(thrown(() => parseFilesText(one(p))).message, /inside the agent's home/);
    // Plain credentials and config are fine, 0600 by default, 0644 allowed.
    const ok = parseFilesText(JSON.stringify([{ path: "config.toml", content: 'default_model = "m"\n[providers.p]\napi_key = "k"\n' }, { path: "credentials/token.json", content: '{"token":"t"}', mode: "0644" }, { path: "notes.txt", content: "command: not parsed, opaque" }]));
    assert.deepEqual(ok.map((f) => `${f.path} ${f.mode}`), ["config.toml 0600", "credentials/token.json 0644", "notes.txt 0600"]);
  });

  test("I10/V-15: a working directory must be an absolute existing directory; never resolved against the server's cwd", async () => {
    const { userDirectory } = await import("../server/paths");
    const { WorkingDirectoryError } = await import("../server/errors");
    const root = mkdtempSync(path.join(os.tmpdir(), "acp-pg-cwd-"));
    try {
      writeFileSync(path.join(root, "file"), "x");
      const cases: [string, RegExp][] = [
        ["../..", /"\.\.\/\.\." is a relative path; the playground does not resolve it against the server's own directory/],
        ["workspace", /relative path/],
        ["./", /relative path/],
        ["", /empty/],
        ["   ", /empty/],
        [`${root}/a\0b`, /NUL/],
        [path.join(root, "missing"), /does not exist/],
        [path.join(root, "file"), /is not a directory/],
      ];
      for (const [input, re] of cases) {
        const error = thrown(() => userDirectory(input));
        assert.ok(error instanceof WorkingDirectoryError, `${JSON.stringify(input)}: a WorkingDirectoryError`);
        assert.match(error.message, re, JSON.stringify(input));
        assert.ok(error instanceof Error && typeof (error as { hint?: string }).hint === "string", "with a hint");
      }
      assert.equal(userDirectory(root), root);
      assert.equal(userDirectory(`${root}/./sub/..`), root, "an absolute path is normalized");
      assert.equal(userDirectory("~"), os.homedir(), "~ is the user's home, not the server's cwd");
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test("I15: an advertised login's env passes the policy and its program must be the agent's own", async () => {
    const { loginCommandProblem } = await import("../server/auth-flows");
    const { loginEnvProblem } = await import("../server/env-policy");
    const { loginCommands } = await import("../lib/terminal-login");
    const { classifyAuthMethod } = await import("../lib/selectors");
    const cwd = mkdtempSync(path.join(os.tmpdir(), "acp-pg-login-"));
    const script = path.join(cwd, "main.mjs");
    writeFileSync(script, "");
    const spawn = { file: NODE22, args: [script, "acp"], cwd, env: { PATH: "/usr/bin:/bin", KIMI_CODE_HOME: "/runs/run-1/home" } };
    const problem = (argv: string[], env: Record<string, string> = {}, s = spawn): string | undefined => loginCommandProblem({ argv, env }, s);
    try {
      // Allowed: the spec command (agent argv + args), Kimi's legacy script under the agent's Node, the same home repeated.
      assert.equal(problem([NODE22, script, "acp", "--login"], { KIMI_CODE_HOME: "/runs/run-1/home" }), undefined);
      assert.equal(problem([NODE22, script, "login"]), undefined);
      // A bare `node <cli.js>` (Claude Code's adapter) is run with the agent's own runtime, which is allowed.
      const claude = classifyAuthMethod({ id: "c", name: "C", _meta: { "terminal-auth": { command: "node", args: [script, "/login"] } } });
      assert.ok(claude);
      const legacy = loginCommands(claude, [NODE22, script, "acp"]).legacy;
      assert.deepEqual(legacy?.argv, [NODE22, script, "/login"]);
      assert.equal(problem(legacy?.argv ?? []), undefined);
      // Refused: another program, the agent's Node with an option instead of a script, a relative or missing script.
      assert.match(problem(["/bin/sh", "-c", "id"]) ?? "", /\/bin\/sh is not the agent's own program/);
      assert.match(problem(["sh", "-c", "id"]) ?? "", /not the agent's own program/);
      assert.match(problem([NODE22, "-e", "1"]) ?? "", /Node runtime with "-e", not with a script/);
      assert.match(problem([NODE22, "--import=data:text/javascript,1", script]) ?? "", /not with a script/);
      assert.match(problem([NODE22, "main.mjs"]) ?? "", /not with a script given by absolute path/);
      assert.match(problem([NODE22, path.join(cwd, "missing.mjs")]) ?? "", /does not exist/);
      // Env: the deny-list applies; the run's home may only be repeated, not moved.
      assert.match(problem([NODE22, script, "login"], { NODE_OPTIONS: "--require /x" }) ?? "", /NODE_OPTIONS.*runtime/);
      assert.match(problem([NODE22, script, "login"], { LD_PRELOAD: "/x.so" }) ?? "", /LD_PRELOAD/);
      assert.match(loginEnvProblem({ KIMI_CODE_HOME: "/home/me/.kimi-code" }, spawn.env) ?? "", /KIMI_CODE_HOME/);
      assert.match(loginEnvProblem({ HOME: "/root" }, spawn.env) ?? "", /HOME/);
      // The login's working directory is checked like any other.
      assert.match(problem([NODE22, script, "login"], {}, { ...spawn, cwd: "." }) ?? "", /relative path/);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});

// ─── End to end: a real server over the WebSocket ──────────────────────────────────────────────

describe("env policy (end to end)", { timeout: 180_000 }, () => {
  let server: PlaygroundServer;
  let client: WsClient;
  const markerDir = mkdtempSync(path.join(os.tmpdir(), "acp-pg-markers-"));

  before(async () => {
    await ensureBuild();
    server = await startServer({ agents: [fixtureAgent(STUB, "stub-agent.mjs"), fixtureAgent(META, "meta-login-agent.mjs", { env: { META_MARKER_DIR: markerDir } })] });
    client = await WsClient.connect(server);
    await client.waitFor("hello", (e) => (e.type === "hello" ? e : undefined));
  });
  after(async () => {
    await client?.close();
    await server?.stop();
    rmSync(markerDir, { recursive: true, force: true });
  });

  test("V-1: profile_save of a generic profile with NODE_OPTIONS / LD_PRELOAD / PATH / BASH_ENV is refused, with the variable and the reason", async () => {
    const marker = path.join(markerDir, "save");
    const cases: [string, string, RegExp][] = [
      ["NODE_OPTIONS", nodeOptionsPayload(marker), /runtime/],
      ["LD_PRELOAD", "/tmp/pwn.so", /loader/],
      ["PATH", "/tmp/evil-bin", /search path/],
      ["BASH_ENV", "/tmp/evil.sh", /shell/],
    ];
    for (const [name, value, why] of cases) {
      const from = client.events.length;
      client.send({ type: "profile_save", draft: { name: `evil ${name}`, kind: "generic", fields: { env: `OPENAI_API_KEY=sk-x\n${name}=${value}`, files: "" } } });
      const notice = await saveRefusalAfter(client, from, `the refusal of ${name}`);
      assert.ok(notice.message.includes(name), `the message names ${name}: ${notice.message}`);
      assert.match(notice.message, /Environment line 2 sets .* which a profile may not set/);
      assert.match(notice.message, why);
      assert.ok(notice.hint, "with a hint");
    }
    await sleep(300);
    const last = [...client.events].reverse().find((e): e is Extract<ServerEvent, { type: "profiles" }> => e.type === "profiles");
    assert.ok(!last?.profiles.some((p) => p.name.startsWith("evil ")), "no such profile was stored");
    assert.ok(!existsSync(marker));
  });

  test("V-1: a profile file from an older build with NODE_OPTIONS never reaches the spawned agent", async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "acp-pg-oldprofile-"));
    const marker = path.join(dataDir, `node-options-ran-${randomBytes(4).toString("hex")}`);
    mkdirSync(path.join(dataDir, "profiles"), { mode: 0o700 });
    writeFileSync(path.join(dataDir, "agents.json"), JSON.stringify({ agents: [fixtureAgent(STUB, "stub-agent.mjs")] }));
    const old = { id: "old-generic", name: "Old generic", kind: "generic", builtin: false, fields: { env: `NODE_OPTIONS=${nodeOptionsPayload(marker)}\nLD_PRELOAD=/nonexistent/pwn.so`, files: "" }, createdAt: 0, updatedAt: 0 };
    writeFileSync(path.join(dataDir, "profiles", "old-generic.json"), JSON.stringify(old), { mode: 0o600 });
    const other = await startServer({ extraArgs: ["--data-dir", dataDir] });
    const c = await WsClient.connect(other);
    try {
      await c.waitFor("hello", (e) => (e.type === "hello" ? e : undefined));
      const from = c.events.length;
      c.send({ type: "start", agentId: STUB, profileId: "old-generic" });
      const run = await c.waitFor("the run", (e) => (e.type === "run" && e.run.agentId === STUB ? e.run : undefined));
      const first = await c.waitForFrame("spawned or refused", (f: Frame) => f.kind === "lifecycle" && (f.lifecycle?.event === "spawned" || f.lifecycle?.event === "spawn_error"), run.runId, 20_000);
      if (first.lifecycle?.event === "spawned") {
        const env = environOf(first.lifecycle.pid ?? -1);
        assert.ok(!env.some((kv) => kv.startsWith("NODE_OPTIONS=") || kv.startsWith("LD_PRELOAD=")), `NODE_OPTIONS/LD_PRELOAD reached the agent: ${env.filter((kv) => /^(NODE_OPTIONS|LD_PRELOAD)=/.test(kv)).join(" ")}`);
      }
      const notice = await errorNoticeAfter(c, from, "the refusal of the stored profile");
      assert.match(notice.message, /NODE_OPTIONS/);
      assert.match(notice.message, /may not set/);
      await sleep(1000);
      assert.ok(!existsSync(marker), "the NODE_OPTIONS payload never ran");
    } finally {
      await c.close();
      await other.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test("V-1: a generic profile's .bashrc, .profile and .gitconfig files are refused, each by name", async () => {
    for (const [file, content] of [
      [".bashrc", "id > /tmp/pwned-bashrc\n"],
      [".profile", "id > /tmp/pwned-profile\n"],
      [".gitconfig", "[core]\n\tfsmonitor = id > /tmp/pwned-git\n"],
    ]) {
      const from = client.events.length;
      client.send({ type: "profile_save", draft: { name: `evil file ${file}`, kind: "generic", fields: { env: "", files: JSON.stringify([{ path: file, content }]) } } });
      const notice = await saveRefusalAfter(client, from, `the refusal of ${file}`);
      assert.match(notice.message, new RegExp(`File #1 \\(${file.replace(".", "\\.")}\\) may not be written into the agent's home`));
    }
  });

  test("I10/V-15: start with a relative cwd (../..) or a nonexistent one is refused with a message", async () => {
    for (const [cwd, re] of [
      ["../..", /relative path/],
      [path.join(markerDir, "does-not-exist"), /does not exist/],
    ] as const) {
      const from = client.events.length;
      client.send({ type: "start", agentId: STUB, cwd });
      const notice = await errorNoticeAfter(client, from, `the refusal of cwd ${cwd}`);
      assert.match(notice.message, re);
      const run = [...client.events.slice(from)].reverse().find((e): e is Extract<ServerEvent, { type: "run" }> => e.type === "run" && e.run.agentId === STUB);
      if (run) assert.ok(!client.framesOf(run.run.runId).some((f) => f.kind === "lifecycle" && f.lifecycle?.event === "spawned"), `no agent was spawned in ${cwd}`);
    }
  });

  test("I15: a login advertised by the agent runs only the agent's own program, and its env passes the policy", async () => {
    const from = client.events.length;
    client.send({ type: "start", agentId: META });
    const run = await client.waitFor("the meta-login run", (e) => (e.type === "run" && e.run.agentId === META && client.events.indexOf(e) >= from ? e.run : undefined));
    await client.waitForFrame("spawned", (f) => f.kind === "lifecycle" && f.lifecycle?.event === "spawned", run.runId);
    client.send({ type: "request", method: "initialize", params: { protocolVersion: 1, clientCapabilities: { _meta: { "terminal-auth": true } } } });
    await client.waitForFrame("initialize answered", (f) => f.dir === "in" && f.kind === "response", run.runId);

    // The check shown next to each command in the UI says why, before anyone clicks.
    const checkFrom = client.events.length;
    client.send({ type: "login_check" });
    const check = await client.waitFor("login_check", (e) => (e.type === "login_check" && client.events.indexOf(e) >= checkFrom ? e : undefined));
    const result = (id: string, convention: "spec" | "legacy") => check.results.find((r) => r.methodId === id && r.convention === convention);
    assert.equal(result("sh", "legacy")?.ok, false);
    assert.match(result("sh", "legacy")?.problem ?? "", /not the agent's own program/);
    assert.match(result("node-e", "legacy")?.problem ?? "", /not with a script/);
    assert.match(result("env", "spec")?.problem ?? "", /NODE_OPTIONS/);

    for (const [methodId, convention, re] of [
      ["sh", "legacy", /\/bin\/sh is not the agent's own program/],
      ["node-e", "legacy", /Node runtime with "-e"/],
      ["env", "spec", /NODE_OPTIONS/],
    ] as const) {
      const at = client.events.length;
      client.send({ type: "login_start", methodId, convention });
      const notice = await errorNoticeAfter(client, at, `the refusal of login ${methodId}`);
      assert.match(notice.message, re, `${methodId}: ${notice.message}`);
    }
    await sleep(1500);
    for (const name of ["sh", "node-e", "env"]) assert.ok(!existsSync(path.join(markerDir, name)), `the ${name} login never ran`);
    client.send({ type: "kill" });

    // Kimi's real advertisement (spec args + legacy main.mjs, its own KIMI_CODE_HOME repeated) still passes.
    const kimiFrom = client.events.length;
    client.send({ type: "start", agentId: "kimi-2.1.0" });
    const kimi = await client.waitFor("the kimi run", (e) => (e.type === "run" && e.run.agentId === "kimi-2.1.0" && client.events.indexOf(e) >= kimiFrom ? e.run : undefined));
    await client.waitForFrame("kimi spawned", (f) => f.kind === "lifecycle" && f.lifecycle?.event === "spawned", kimi.runId, 30_000);
    client.send({ type: "request", method: "initialize", params: { protocolVersion: 1, clientCapabilities: { _meta: { "terminal-auth": true } } } });
    await client.waitForFrame("kimi initialize answered", (f) => f.dir === "in" && f.kind === "response", kimi.runId, 60_000);
    const kimiCheckFrom = client.events.length;
    client.send({ type: "login_check" });
    const kimiCheck = await client.waitFor("kimi login_check", (e) => (e.type === "login_check" && client.events.indexOf(e) >= kimiCheckFrom ? e : undefined));
    assert.deepEqual(
      kimiCheck.results.map((r) => `${r.methodId} ${r.convention} ${r.ok ? "ok" : r.problem}`),
      ["login spec ok", "login legacy ok"],
    );
    client.send({ type: "kill" });
  });
});
