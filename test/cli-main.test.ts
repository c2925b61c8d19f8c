/**
 * The one main()/exit-status/Ctrl-C frame the CLI scripts share (server/cli-main.ts), run in
 * process against a recording stand-in for `process`: the status main returns, a PlaygroundError's
 * message and hint (2), a bug's stack (2, or the script's own code), and Ctrl-C (abort, then 130).
 * The scripts' own exit codes and wording are checked by the suites that spawn them
 * (matrix, matrix-shard, flow, conformance, isolation, v2).
 */
import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";
import { test } from "node:test";
import { INTERRUPTED_EXIT, isMainModule, onInterrupt, runCli, type CliProcess } from "../server/cli-main";
import { PlaygroundError, UsageError } from "../server/errors";

interface Recorded extends CliProcess {
  err: string;
  code?: number;
  exits: number[];
  listeners: Set<() => void>;
}

function fakeProcess(args: string[] = []): Recorded {
  const rec: Recorded = {
    argv: ["node", "script.ts", ...args],
    err: "",
    exits: [],
    listeners: new Set(),
    writeErr: (text) => {
      rec.err += text;
    },
    setExitCode: (code) => {
      rec.code = code;
    },
    exit: (code) => {
      rec.exits.push(code);
    },
    onSigint: (l) => rec.listeners.add(l),
    offSigint: (l) => rec.listeners.delete(l),
  };
  return rec;
}

test("runCli: main's number is the exit status; main gets the arguments after the script", async () => {
  const proc = fakeProcess(["--agent", "x"]);
  let seen: string[] = [];
  await runCli("demo", async (argv) => ((seen = argv), 1), { proc });
  assert.deepEqual(seen, ["--agent", "x"]);
  assert.equal(proc.code, 1);
  assert.equal(proc.err, "");
});

test("runCli: a PlaygroundError is the user's problem (message, hint, exit 2); anything else a bug (stack, exit 2 or the script's code)", async () => {
  const usage = fakeProcess();
  await runCli("demo", () => Promise.reject(new UsageError("Unknown format \"yaml\".", "Use one of: table, json.")), { proc: usage, unexpectedExit: 1 });
  assert.equal(usage.err, 'demo: Unknown format "yaml".\nUse one of: table, json.\n');
  assert.equal(usage.code, 2);

  const noHint = fakeProcess();
  await runCli("demo", () => Promise.reject(new PlaygroundError("The agent is gone.")), { proc: noHint });
  assert.equal(noHint.err, "demo: The agent is gone.\n");
  assert.equal(noHint.code, 2);

  const bug = new TypeError("x is undefined");
  const matrixLike = fakeProcess();
  await runCli("matrix", () => Promise.reject(bug), { proc: matrixLike });
  assert.equal(matrixLike.err, `matrix: unexpected failure: ${bug.stack}\n`);
  assert.equal(matrixLike.code, 2);
  const flowLike = fakeProcess();
  await runCli("flow", () => Promise.reject(bug), { proc: flowLike, unexpectedExit: 1 });
  assert.equal(flowLike.code, 1);
  const notAnError = fakeProcess();
  await runCli("demo", () => Promise.reject("just a string"), { proc: notAnError });
  assert.equal(notAnError.err, "demo: unexpected failure: just a string\n");
});

test("onInterrupt: the first Ctrl-C aborts (with the message), the second exits 130; dispose gives Ctrl-C back", () => {
  const proc = fakeProcess();
  const interrupt = onInterrupt("\ndemo: interrupted; stopping the agents\n", proc);
  assert.equal(proc.listeners.size, 1);
  assert.equal(interrupt.interrupted, false);
  const sigint = (): void => {
    for (const l of [...proc.listeners]) l();
  };
  sigint();
  assert.equal(interrupt.interrupted, true);
  assert.equal(interrupt.signal.aborted, true);
  assert.equal(proc.err, "\ndemo: interrupted; stopping the agents\n");
  assert.deepEqual(proc.exits, []);
  sigint();
  assert.deepEqual(proc.exits, [INTERRUPTED_EXIT]);
  assert.equal(INTERRUPTED_EXIT, 130);
  assert.equal(proc.err, "\ndemo: interrupted; stopping the agents\n", "the message is said once");
  interrupt.dispose();
  assert.equal(proc.listeners.size, 0);

  const quiet = fakeProcess();
  const silent = onInterrupt(undefined, quiet);
  for (const l of quiet.listeners) l();
  assert.equal(silent.signal.aborted, true);
  assert.equal(quiet.err, "");
});

test("isMainModule: true only for the script node was started with", () => {
  const url = pathToFileURL("/repo/scripts/flow.ts").href;
  assert.equal(isMainModule(url, ["node", "/repo/scripts/flow.ts"]), true);
  assert.equal(isMainModule(url, ["node", "/repo/scripts/../scripts/flow.ts"]), true);
  assert.equal(isMainModule(url, ["node", "/repo/test/flow.test.ts"]), false);
  assert.equal(isMainModule(url, ["node"]), false);
  const spaced = pathToFileURL("/my repo/scripts/flow.ts").href;
  assert.equal(isMainModule(spaced, ["node", "/my repo/scripts/flow.ts"]), true);
});
