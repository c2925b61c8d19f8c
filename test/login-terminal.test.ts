/**
 * Terminal login: the command lines of both conventions (pure), and the pty runner on real
 * programs — Kimi 2.1.0's own `acp --login` (offline it must fail and leave no token behind),
 * keyboard input, redaction of secrets split across reads, and cancel killing the process group.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { REDACTED, Redactor } from "../lib/redact";
import { authMethods, classifyAuthMethod } from "../lib/selectors";
import { formatCommand, isNodeRuntime, loginCommands } from "../lib/terminal-login";
import { childEnv } from "../server/child-env";
import { LoginCommandError } from "../server/errors";
import { LoginTerminal, type LoginTerminalOptions } from "../server/login-terminal";
import { kimiMainPath } from "../server/materialize";
import { bundledNode } from "../server/runtime";
import { KIMI_LOGIN_METHOD, loadFrames } from "./fixtures/frames";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

describe("login commands", () => {
  const agentArgv = ["/opt/node22/bin/node", "/opt/kimi/dist/main.mjs", "acp"];

  test("Kimi's method: the spec's agent argv + args, the legacy command under the agent's Node", () => {
    const method = classifyAuthMethod(KIMI_LOGIN_METHOD);
    assert.ok(method);
    const { spec, legacy } = loginCommands(method, agentArgv);
    assert.deepEqual(spec, { argv: [...agentArgv, "--login"], env: { KIMI_CODE_HOME: "/home/kimi" } });
    assert.deepEqual(legacy, { argv: ["/opt/node22/bin/node", "/opt/kimi/dist/main.mjs", "login"], env: { KIMI_CODE_HOME: "/home/kimi" } });
  });

  test("the method recorded from Kimi 2.1.0 gives both conventions", () => {
    const [method] = authMethods(loadFrames("kimi-2.1.0-oauth"));
    const { spec, legacy } = loginCommands(method, ["node22", "<repo>/node_modules/@moonshot-ai/kimi-code/dist/main.mjs", "acp"]);
    assert.deepEqual(spec?.argv.slice(-2), ["acp", "--login"]);
    assert.deepEqual(legacy?.argv, ["node22", "<repo>/node_modules/@moonshot-ai/kimi-code/dist/main.mjs", "login"]);
    assert.match(spec?.env.KIMI_CODE_HOME ?? "", /home$/);
  });

  test("a legacy binary runs as is; a script runs as is when the agent is not Node", () => {
    const binary = classifyAuthMethod({ id: "l", name: "L", _meta: { "terminal-auth": { command: "/usr/bin/claude", args: ["login"] } } });
    assert.ok(binary);
    assert.deepEqual(loginCommands(binary, agentArgv), { legacy: { argv: ["/usr/bin/claude", "login"], env: {} } });
    const script = classifyAuthMethod({ id: "l", name: "L", _meta: { "terminal-auth": { command: "/opt/x/cli.js", args: [] } } });
    assert.ok(script);
    assert.deepEqual(loginCommands(script, ["/usr/bin/python3", "agent.py"]).legacy?.argv, ["/opt/x/cli.js"]);
  });

  test("agent and unknown methods have no command; a terminal method without legacy only the spec one", () => {
    for (const raw of [{ id: "a", name: "A" }, { id: "u", type: "env_var", name: "U" }]) {
      const m = classifyAuthMethod(raw);
      assert.ok(m);
      assert.deepEqual(loginCommands(m, agentArgv), {});
    }
    const m = classifyAuthMethod({ id: "t", type: "terminal", name: "T" });
    assert.ok(m);
    assert.deepEqual(loginCommands(m, agentArgv), { spec: { argv: agentArgv, env: {} } });
  });

  test("redact hides secrets in argv and env for display; formatCommand quotes for reading", () => {
    const m = classifyAuthMethod({ id: "t", type: "terminal", name: "T", args: ["--token", "sk-secret-123"], env: { API_KEY: "sk-secret-123", MODE: "a b" } });
    assert.ok(m);
    const redactor = new Redactor(["sk-secret-123"]);
    const { spec } = loginCommands(m, agentArgv, (s) => redactor.redact(s));
    assert.ok(spec);
    assert.deepEqual(spec.argv.slice(-2), ["--token", REDACTED]);
    assert.equal(spec.env.API_KEY, REDACTED);
    assert.equal(formatCommand(spec), `API_KEY='${REDACTED}' MODE='a b' /opt/node22/bin/node /opt/kimi/dist/main.mjs acp --token '${REDACTED}'`);
    assert.equal(formatCommand({ argv: ["echo", "it's"], env: {} }), `echo 'it'\\''s'`);
  });

  test("isNodeRuntime", () => {
    for (const yes of ["node", "/usr/bin/node", "node22", "nodejs", "C:\\node\\node.exe"]) assert.ok(isNodeRuntime(yes), yes);
    for (const no of ["/usr/bin/nodemon", "deno", "/opt/node/bin/python", "kimi"]) assert.ok(!isNodeRuntime(no), no);
  });
});

describe("LoginTerminal", () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), "acp-login-test-"));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  interface Result {
    output: string;
    exitCode: number | null;
    signal: string | null;
    ms: number;
  }

  /** Start a terminal and collect everything until it exits. */
  function run(opts: Partial<LoginTerminalOptions> & { argv: string[] }, onStart?: (t: LoginTerminal, output: () => string) => void, timeoutMs = 60_000): Promise<Result> {
    const started = Date.now();
    let output = "";
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no exit after ${timeoutMs} ms; output:\n${output}`)), timeoutMs);
      const terminal = new LoginTerminal({
        cwd: root,
        env: childEnv(process.env),
        redact: new Redactor([]),
        ...opts,
        onData: (text) => {
          output += text;
        },
        onExit: (exitCode, signal) => {
          clearTimeout(timer);
          resolve({ output, exitCode, signal, ms: Date.now() - started });
        },
      });
      terminal.start();
      onStart?.(terminal, () => output);
    });
  }

  function gone(pid: number): boolean {
    try {
      process.kill(pid, 0);
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === "ESRCH";
    }
    // A zombie waiting for a reaper that is not us still answers signal 0; it no longer runs.
    try {
      return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
    } catch {
      return true;
    }
  }

  /** A loopback port that was free a moment ago, so a connection to it is refused. */
  async function closedPort(): Promise<number> {
    const srv = createServer();
    await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
    const { port } = srv.address() as { port: number };
    await new Promise<void>((resolve) => srv.close(() => resolve()));
    return port;
  }

  async function until(check: () => boolean, ms = 5000): Promise<void> {
    const end = Date.now() + ms;
    while (!check()) {
      if (Date.now() > end) throw new Error("condition not met in time");
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  test("Kimi 2.1.0 spec login offline: output arrives, exits non-zero, no token written", async () => {
    const home = path.join(root, "kimi-home");
    const [method] = authMethods(loadFrames("kimi-2.1.0-logged-out-no-caps"));
    const { spec } = loginCommands(method, [bundledNode().path, kimiMainPath(), "acp"]);
    assert.ok(spec);
    assert.deepEqual(spec.argv.slice(2), ["acp", "--login"]);
    // The recorded method env points at the recording's home; this run gets its own fresh one.
    // Its OAuth host is a loopback port nobody listens on: no test may reach (or even resolve) auth.kimi.com.
    const env = childEnv({ ...process.env, HOME: root }, { KIMI_DISABLE_TELEMETRY: "1" }, spec.env, { KIMI_CODE_HOME: home, KIMI_CODE_OAUTH_HOST: `http://127.0.0.1:${await closedPort()}` });
    const result = await run({ argv: spec.argv, env });
    process.stdout.write(`# kimi acp --login offline: exit ${result.exitCode} signal ${result.signal} after ${result.ms} ms\n# output: ${JSON.stringify(result.output)}\n`);
    assert.ok(result.output.length > 0, "some output");
    assert.match(result.output, /Login failed/);
    assert.match(result.output, /127\.0\.0\.1/, "the login went to the loopback host it was given");
    assert.equal(result.signal, null);
    assert.equal(typeof result.exitCode, "number");
    assert.notEqual(result.exitCode, 0);
    assert.ok(!existsSync(path.join(home, "credentials", "kimi-code.json")), "no token file");
    process.stdout.write(`# home afterwards: ${existsSync(home) ? JSON.stringify(readdirSync(home, { recursive: true })) : "(not created)"}\n`);
  });

  test("keyboard input reaches the program; exit 0 is reported", async () => {
    const result = await run({ argv: ["/usr/bin/head", "-n", "1"] }, (t) => t.write("hello from the browser\r"));
    assert.equal(result.exitCode, 0);
    assert.equal(result.signal, null);
    assert.match(result.output, /hello from the browser/);
  });

  test("a program that closes its terminal before it exits still reports its own exit code", async () => {
    // coreutils close stdio at exit; a pty that hangs up as soon as the child lets go of the
    // terminal would turn this clean exit into "killed by SIGHUP", i.e. a failed login.
    // A shell is the program under test here (Node would not do: libuv reopens its terminal).
    const result = await run({ argv: ["/bin/sh", "-c", "echo bye; exec 0<&- 1>&- 2>&-; sleep 0.2; exit 3"] });
    assert.equal(result.signal, null);
    assert.equal(result.exitCode, 3);
    assert.match(result.output, /bye/);
  });

  test("a secret split across two writes is redacted, however long the pause between them", async () => {
    // The pause is longer than any hold a timer-based guess would use: the Redactor knows the
    // secret's spellings, so the unfinished prefix waits for its end however late that comes.
    const script = 'process.stdout.write("token: sk-split-"); setTimeout(() => process.stdout.write("secret-42 ok\\n"), 300)';
    const result = await run({ argv: [process.execPath, "-e", script], redact: new Redactor(["sk-split-secret-42"]) });
    assert.equal(result.exitCode, 0);
    assert.ok(!result.output.includes("sk-split"), result.output);
    assert.match(result.output, new RegExp(`token: ${REDACTED} ok`));
  });

  test("cancel() kills a long-running process; its pid is gone", async () => {
    let pid = 0;
    const result = await run({ argv: ["/bin/sleep", "30"] }, (t) => {
      pid = t.pid ?? 0;
      setTimeout(() => t.cancel(), 200);
    });
    assert.ok(pid > 0);
    assert.equal(result.exitCode, null);
    assert.equal(result.signal, "SIGTERM");
    assert.ok(result.ms < 5000, `${result.ms} ms`);
    await until(() => gone(pid));
  });

  test("cancel() kills the whole process group, grandchildren included", async () => {
    // A shell here is the program under test (it forks a grandchild), not a way to run a command.
    let grandchild = 0;
    let pid = 0;
    const result = await run({ argv: ["/bin/sh", "-c", "trap '' HUP; sleep 30 & echo child=$!; wait"] }, (t, output) => {
      pid = t.pid ?? 0;
      void until(() => /child=\d+/.test(output())).then(() => {
        grandchild = Number(/child=(\d+)/.exec(output())?.[1]);
        t.cancel();
      });
    });
    assert.equal(result.signal, "SIGTERM");
    assert.ok(grandchild > 0);
    await until(() => gone(pid) && gone(grandchild));
  });

  test("cancel() escalates to SIGKILL when SIGTERM is ignored", async () => {
    const script = 'process.on("SIGTERM", () => {}); console.log("ready"); setInterval(() => {}, 1000)';
    const result = await run({ argv: [process.execPath, "-e", script], killGraceMs: 300 }, (t, output) => {
      void until(() => output().includes("ready")).then(() => t.cancel());
    });
    assert.equal(result.signal, "SIGKILL");
  });

  test("a missing executable, script or working directory is a LoginCommandError with a hint", () => {
    const make = (argv: string[], cwd = root): LoginTerminal => new LoginTerminal({ argv, cwd, env: childEnv(process.env), redact: new Redactor([]), onData: () => undefined, onExit: () => undefined });
    const expectError = (t: LoginTerminal, re: RegExp): void =>
      assert.throws(() => t.start(), (e: unknown) => e instanceof LoginCommandError && re.test(e.message) && typeof e.hint === "string" && e.hint.length > 0);
    expectError(make(["/nonexistent/kimi", "login"]), /\/nonexistent\/kimi" was not found/);
    expectError(make(["no-such-login-tool-xyz"]), /not found on the child's PATH/);
    expectError(make([bundledNode().path, "/nonexistent/dist/main.mjs", "login"]), /login script \/nonexistent\/dist\/main\.mjs does not exist/);
    expectError(make(["/bin/true"], path.join(root, "missing-dir")), /working directory/);
    expectError(make([]), /empty/);
  });

  test("node-pty loads and runs under Node 22 as well (the relay's Node may be 20 or 22)", () => {
    const out = execFileSync(
      bundledNode().path,
      ["--import", "tsx", "-e", 'Promise.all([import("./server/login-terminal.ts"), import("./lib/redact.ts")]).then(([{ LoginTerminal }, { Redactor }]) => { const t = new LoginTerminal({ argv: ["/bin/echo", "pty-ok"], cwd: ".", env: { PATH: "/usr/bin:/bin" }, redact: new Redactor([]), onData: (d) => process.stdout.write(d), onExit: (c) => process.stdout.write(`exit=${c}`) }); t.start(); })'],
      { cwd: repo, encoding: "utf8", timeout: 30_000 },
    );
    assert.match(out, /pty-ok/);
    assert.match(out, /exit=0/);
    assert.match(process.version, /^v(20|22)\./);
  });
});
