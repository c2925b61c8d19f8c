/**
 * The headless flow runner (issue #13 §4), run as CI runs it: `tsx scripts/flow.ts` as a child
 * process against a throwaway data dir. Bad usage exits 2 with the reason; real runs drive the
 * bundled Kimi builds against the offline model server and the flow's own OAuth emulator, and the
 * jsonl must carry every lane, a summary per step, and a "Why?" line for the failures (issue #13 §3).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { diagnoseOAuth, KnownIssuesError, parseKnownIssues } from "../lib/diagnosis";
import type { Frame } from "../lib/wire";
import { type CliResult, matrixScratch, runScriptCli } from "./fixtures/cli";

const scratch = matrixScratch("acp-flow-test-");
const KIMI_TIMEOUT = 180_000;

type Event = { lane: string } & Record<string, unknown>;
type StepResult = { step: string; ok: boolean; code?: number | string; message?: string; stopReason?: string; text?: string };

function flow(args: string[]): Promise<CliResult> {
  return runScriptCli("scripts/flow.ts", args, { env: { ACP_PLAYGROUND_HOME: scratch.dataDir, TMPDIR: scratch.work }, timeoutMs: KIMI_TIMEOUT });
}

function parse(result: CliResult): { events: Event[]; steps: StepResult[] } {
  assert.equal(result.code, 0, `flow exited ${result.code}; stderr:\n${result.stderr}`);
  const lines = result.stdout.trim().split("\n");
  const events = lines.map((line, i) => {
    try {
      return JSON.parse(line) as Event;
    } catch {
      assert.fail(`line ${i + 1} is not JSON: ${line.slice(0, 200)}`);
    }
  });
  for (const e of events) assert.equal(typeof e.lane, "string", `an event without a lane: ${JSON.stringify(e).slice(0, 200)}`);
  const summary = events[events.length - 1];
  assert.equal(summary.lane, "summary", "the last line is the summary");
  return { events: events.slice(0, -1), steps: summary.steps as StepResult[] };
}

const diagnosisText = (events: Event[]): string =>
  events
    .filter((e) => e.lane === "diagnosis")
    .map((e) => `[${String(e.rule)}] ${String(e.text)}`)
    .join("\n");

// Every flow is its own CLI process with its own runs directory, cwd, emulator and model server
// (the shared data dir is only read): two at a time, so one flow's waits (Kimi's poll interval,
// its refresh retries) overlap the other's work.
describe("the flow CLI", { concurrency: 2 }, () => {
  test("flow: bad usage exits 2 with the reason, before any agent starts", async () => {
    const cases: { args: string[]; reason: RegExp }[] = [
      { args: ["--agent", "no-such-agent", "--profile", "Offline demo", "--step", "initialize"], reason: /No agent "no-such-agent"/ },
      { args: ["--agent", "kimi-2.1.0", "--profile", "No such profile", "--step", "initialize"], reason: /No profile named "No such profile"/ },
      { args: ["--agent", "kimi-2.1.0", "--profile", "Offline demo", "--step", "session/dance"], reason: /Unknown step "session\/dance"/ },
      { args: ["--agent", "kimi-2.1.0", "--profile", "Offline demo", "--step", "session/prompt="], reason: /session\/prompt needs the text/ },
      { args: ["--agent", "kimi-2.1.0", "--profile", "Offline demo", "--step", "initialize", "--oauth-refresh", "maybe"], reason: /Unknown --oauth-refresh behaviour "maybe"/ },
      { args: ["--agent", "kimi-2.1.0", "--profile", "Offline demo", "--step", "initialize", "--format", "xml"], reason: /Unknown format "xml"/ },
      { args: ["--agent", "kimi-2.1.0", "--profile", "Offline demo"], reason: /at least one --step/ },
      { args: ["--profile", "Offline demo", "--step", "initialize"], reason: /--agent is required/ },
    ];
    for (const c of cases) {
      const r = await flow(c.args);
      assert.equal(r.code, 2, `${c.args.join(" ")}: exit ${r.code}\n${r.stderr}`);
      assert.match(r.stderr, c.reason, c.args.join(" "));
      assert.equal(r.stdout, "", "nothing on stdout when the flow cannot run");
    }
  });

  test("flow: the offline demo on kimi-2.1.0 — initialize, session/new, prompt: three ok steps, end_turn, the reply, every lane", { timeout: KIMI_TIMEOUT }, async () => {
    const { events, steps } = parse(await flow(["--agent", "kimi-2.1.0", "--profile", "Offline demo", "--step", "initialize", "--step", "session/new", "--step", "session/prompt=hi", "--format", "jsonl"]));
    assert.deepEqual(
      steps.map((s) => [s.step, s.ok]),
      [
        ["initialize", true],
        ["session/new", true],
        ["session/prompt=hi", true],
      ],
    );
    assert.equal(steps[2].stopReason, "end_turn");
    assert.match(String(steps[2].text), /Hello from the offline model\. You said: "hi"/);
    const lanes = new Set(events.map((e) => e.lane));
    for (const lane of ["acp", "lifecycle", "http", "home", "agent-log"]) assert.ok(lanes.has(lane), `lane ${lane} missing: ${[...lanes].join(", ")}`);
    const acp = events.filter((e) => e.lane === "acp");
    assert.ok(acp.some((e) => e.dir === "out" && typeof e.raw === "string" && (e.raw as string).includes('"method":"session/prompt"')), "the prompt request is on the acp lane, raw");
    const chat = events.find((e) => e.lane === "http" && e.path === "/v1/chat/completions");
    assert.ok(chat, "the model call is on the http lane");
    assert.equal(chat.method, "POST");
    assert.equal(chat.status, 200);
    assert.equal(typeof chat.ms, "number");
    const home = events.find((e) => e.lane === "home");
    assert.ok(home && typeof home.op === "string" && typeof home.path === "string" && typeof home.summary === "string", "home events carry op, path, summary");
    // The profile's key never leaves, in any spelling.
    assert.doesNotMatch(JSON.stringify(events), /offline-demo-key/);
  });

  test("flow: kimi-0.28.0 with the API key example — session/new fails -32000 and the diagnosis names issue #1330; the table renders", { timeout: KIMI_TIMEOUT }, async () => {
    const { events, steps } = parse(await flow(["--agent", "kimi-0.28.0", "--profile", "API key (example)", "--step", "initialize", "--step", "session/new"]));
    assert.equal(steps[0].ok, true);
    assert.deepEqual({ step: steps[1].step, ok: steps[1].ok, code: steps[1].code }, { step: "session/new", ok: false, code: -32000 });
    assert.equal(steps[1].message, "Authentication required");
    const diagnosis = events.find((e) => e.lane === "diagnosis" && e.rule === "kimi-code-1330");
    assert.ok(diagnosis, `no #1330 diagnosis:\n${diagnosisText(events)}`);
    assert.match(String(diagnosis.text), /#1330/);
    assert.doesNotMatch(JSON.stringify(events), /sk-example-0000-fake-key-9f3a/, "the example key is redacted");

    const table = await flow(["--agent", "kimi-0.28.0", "--profile", "API key (example)", "--step", "session/new", "--format", "table"]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^ *# +lane +detail$/m, "a header row");
    assert.match(table.stdout, /acp +← error session\/new/);
    assert.match(table.stdout, /diagnosis +\[kimi-code-1330\]/);
    assert.match(table.stdout, /^session\/new +FAILED +-32000 Authentication required$/m);
  });

  test("flow: login through the emulator (auto-approved), then a prompt on kimi-2.1.0", { timeout: KIMI_TIMEOUT }, async () => {
    const { events, steps } = parse(await flow(["--agent", "kimi-2.1.0", "--profile", "Logged out", "--step", "login", "--step", "session/new", "--step", "session/prompt=hi"]));
    assert.deepEqual(
      steps.map((s) => [s.step, s.ok]),
      [
        ["login", true],
        ["session/new", true],
        ["session/prompt=hi", true],
      ],
    );
    assert.equal(steps[2].stopReason, "end_turn");
    assert.match(String(steps[2].text), /You said: "hi"/);
    const http = events.filter((e) => e.lane === "http").map((e) => `${String(e.method)} ${String(e.path)} ${String(e.status)}`);
    assert.ok(http.includes("POST /api/oauth/device_authorization 200"), http.join("\n"));
    assert.ok(events.some((e) => e.lane === "http" && e.grantType === "urn:ietf:params:oauth:grant-type:device_code" && e.status === 200), "the device-code poll");
    assert.ok(events.some((e) => e.lane === "http" && e.host === "model" && String(e.path).endsWith("/chat/completions") && e.status === 200), "the prompt reached the emulated model API");
    assert.ok(events.some((e) => e.lane === "home" && e.op === "create" && /^credentials\/kimi-code-env-[0-9a-f]{16}\.json$/.test(String(e.path))), "the login wrote the scoped token slot");
    // Tokens the emulator issued never appear: home diffs mask them, every line is redacted.
    assert.doesNotMatch(JSON.stringify(events), /"(at|rt)_[A-Za-z0-9_-]{20,}"/);
  });

  for (const agent of ["kimi-2.1.0", "kimi-0.28.0"]) {
    test(`flow: ${agent}, expired token and a refused refresh (invalid_grant) — the diagnosis explains it from the http hop and the token file`, { timeout: KIMI_TIMEOUT }, async () => {
      const { events, steps } = parse(
        await flow(["--agent", agent, "--profile", "Logged out", "--expire-token", "--oauth-refresh", "invalid_grant", "--step", "login", "--step", "session/new", "--step", "session/prompt=hi", "--step", "session/new"]),
      );
      const refresh = events.find((e) => e.lane === "http" && e.grantType === "refresh_token");
      assert.ok(refresh, "the refresh hop is on the http lane");
      assert.equal(refresh.status, 400);
      const prompt = steps.find((s) => s.step === "session/prompt=hi");
      assert.ok(prompt);
      const why = diagnosisText(events);
      if (agent === "kimi-2.1.0") {
        // 2.1.0 hides the failure: end_turn, no reply, no error.
        assert.equal(prompt.ok, true);
        assert.equal(prompt.stopReason, "end_turn");
        assert.equal(prompt.text, "");
        assert.match(why, /\[oauth-refresh-failed-hidden\][^\n]*hidden from the client/);
        assert.match(why, /\[kimi-refresh-failure-hidden\]/);
      } else {
        // 0.28.0 tells the client: -32000 on the prompt.
        assert.equal(prompt.ok, false);
        assert.equal(prompt.code, -32000);
        assert.match(why, /\[oauth-refresh-failed\][^\n]*The client sees the error/);
      }
      // Both point at the hop and the blanked token file.
      assert.match(why, /http hop #\d+ \([^)]*\/api\/oauth\/token → 400\)/);
      assert.match(why, /credentials\/kimi-code-env-[0-9a-f]{16}\.json \(home #\d+: access_token blanked to ""\)/);
      // The next session/new is refused, and "Why?" names the refused refresh as the cause.
      const last = steps[steps.length - 1];
      assert.deepEqual({ step: last.step, ok: last.ok, code: last.code }, { step: "session/new", ok: false, code: -32000 });
      assert.match(why, /\[kimi-refresh-refused-logged-out\]/);
    });
  }

  test('flow: the built-in "OAuth (emulated)" profile logs in for real, --expire-token + --oauth-refresh ok → one refresh, the reply, the rotated token file', { timeout: KIMI_TIMEOUT }, async () => {
    const { events, steps } = parse(await flow(["--agent", "kimi-2.1.0", "--profile", "OAuth (emulated)", "--expire-token", "--oauth-refresh", "ok", "--step", "session/prompt=hi"]));
    const prompt = steps.find((s) => s.step === "session/prompt=hi");
    assert.ok(prompt?.ok, JSON.stringify(steps));
    assert.match(String(prompt.text), /You said: "hi"/);
    const refreshes = events.filter((e) => e.lane === "http" && e.grantType === "refresh_token");
    assert.equal(refreshes.length, 1, "exactly one refresh");
    assert.equal(refreshes[0].status, 200);
    assert.ok(
      events.some((e) => e.lane === "home" && e.op === "change" && /^credentials\/kimi-code-env-/.test(String(e.path)) && /access_token ‹[^›]+› → ‹/.test(String(e.summary))),
      "the refreshed token was written back (masked)",
    );
    assert.match(diagnosisText(events), /\[oauth-refresh-ok\] the refresh of the expired access token succeeded/);
    assert.doesNotMatch(JSON.stringify(events), /"(at|rt)_[A-Za-z0-9_-]{20,}"/);
  });

  test("flow: kimi-0.28.0, expired token and a refresh answered 500 — three attempts, end_turn with no reply: the diagnosis says the failure is hidden", { timeout: KIMI_TIMEOUT }, async () => {
    const { events, steps } = parse(await flow(["--agent", "kimi-0.28.0", "--profile", "OAuth (emulated)", "--expire-token", "--oauth-refresh", "500", "--step", "session/prompt=hi", "--step", "session/new"]));
    const prompt = steps.find((s) => s.step === "session/prompt=hi");
    assert.deepEqual({ ok: prompt?.ok, stopReason: prompt?.stopReason, text: prompt?.text }, { ok: true, stopReason: "end_turn", text: "" });
    const refreshes = events.filter((e) => e.lane === "http" && e.grantType === "refresh_token");
    assert.deepEqual(
      refreshes.map((e) => e.status),
      [500, 500, 500],
      "5xx is retried: three attempts",
    );
    const why = diagnosisText(events);
    assert.match(why, /\[oauth-refresh-failed-hidden\] the refresh of the expired access token failed after 3 attempts [^\n]*→ 500[^\n]*The failure is hidden from the client/);
    assert.match(why, /\[kimi-refresh-failure-hidden\]/);
    assert.match(why, /the agent's log [^\n]*kimi-code\.log:\d+ \(agent-log #\d+\)/, "points at the agent's own log line");
    // A 5xx does not log the home out: the token file keeps its token, the next session/new passes.
    assert.equal(steps[steps.length - 1].ok, true);
    assert.ok(!events.some((e) => e.lane === "home" && /access_token[^;]*→ ""/.test(String(e.summary))), "the token was not blanked");
  });
});

test("diagnoseOAuth: a refused refresh under an end_turn is hidden — it names the hop, the blanked file and the log line; a bad oauth rule is refused", () => {
  let seq = 0;
  const f = (kind: Frame["kind"], dir: Frame["dir"], raw: string, extra: Partial<Frame> = {}): Frame => ({ seq: seq++, runId: "r1", t: seq, wall: seq, dir, kind, raw, bytes: raw.length, ...extra });
  const request = f("request", "out", '{"jsonrpc":"2.0","id":2,"method":"session/prompt","params":{}}', { method: "session/prompt", id: "n:2" });
  const frames: Frame[] = [
    request,
    f("http", "sys", "{}", { http: { method: "POST", path: "/api/oauth/token", status: 400, grantType: "refresh_token", host: "oauth", error: "invalid_grant" } }),
    f("response", "in", '{"jsonrpc":"2.0","id":2,"result":{"stopReason":"end_turn"}}', { method: "session/prompt", id: "n:2", pairSeq: request.seq }),
    f("home", "sys", "{}", { home: { op: "change", path: "credentials/kimi-code-env-0123456789abcdef.json", summary: 'access_token ‹at_…1a2b, 35 chars› → ""', diff: [{ key: "access_token", op: "change", from: "‹at_…1a2b›", to: "" }] } }),
    f("agent-log", "sys", '{"turnId":0,"outcome":"failed","errorMessage":"OAuthUnauthorizedError: refused"}', { agentLog: { file: "sessions/x/agents/main/wire.jsonl", line: 19 } }),
  ];
  const findings = diagnoseOAuth({ frames, agent: { id: "kimi-2.1.0", version: "2.1.0", kimi: true }, profile: { kind: "kimi-oauth-emulated", sources: [] }, prompt: { runId: "r1", seq: request.seq } });
  const hidden = findings.find((x) => x.rule === "oauth-refresh-failed-hidden");
  assert.ok(hidden, JSON.stringify(findings));
  assert.match(hidden.text, /→ 400 invalid_grant/);
  assert.match(hidden.text, /end_turn with an empty reply/);
  assert.match(hidden.text, /hidden from the client/);
  assert.match(hidden.text, /http hop #1 /);
  assert.match(hidden.text, /credentials\/kimi-code-env-0123456789abcdef\.json \(home #3: access_token blanked to ""\)/);
  assert.match(hidden.text, /wire\.jsonl:19 \(agent-log #4\)/);
  assert.ok(findings.some((x) => x.rule === "kimi-refresh-failure-hidden"), "the known-issue rule matched");
  // Answered with an error instead: not hidden, and the hidden-only rule stays out.
  frames[2] = f("error", "in", '{"jsonrpc":"2.0","id":2,"error":{"code":-32000,"message":"Authentication required"}}', { method: "session/prompt", pairSeq: request.seq, errorCode: -32000, errorMessage: "Authentication required" });
  const seen = diagnoseOAuth({ frames, agent: { id: "kimi-0.28.0", version: "0.28.0", kimi: true }, profile: { kind: "kimi-oauth-emulated", sources: [] }, prompt: { runId: "r1", seq: request.seq } });
  assert.ok(seen.some((x) => x.rule === "oauth-refresh-failed" && /The client sees the error/.test(x.text)), JSON.stringify(seen));
  assert.ok(!seen.some((x) => x.rule === "kimi-refresh-failure-hidden"));
  assert.throws(() => parseKnownIssues({ rules: [{ id: "x", title: "t", explanation: "e", when: { oauth: { refresh: ["sometimes"] } } }] }), KnownIssuesError);
});
