/**
 * The headless auth matrix, run as CI runs it: `tsx scripts/matrix.ts` as a child process against
 * both bundled Kimi builds and the built-in example profiles in a throwaway data dir. The verdicts
 * must be the ones ../shared/docs/kimi-code.md records (including the #1330 bug on 0.28.0);
 * --expect must fail loudly on a deliberate mismatch; the JUnit file must be well-formed XML.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import type { ProbeCell } from "../lib/matrix-report";
import { type CliResult, runMatrixCli } from "./fixtures/cli";

/** The table of kimi-code.md, plus OAuth (accepted by both builds: the token file is what 0.28.0's gate reads). */
const KIMI_EXPECTATIONS = {
  "kimi-0.28.0": { "API key (example)": "auth-required", "OAuth (example token)": "session-created", "Logged out": "auth-required" },
  "kimi-2.1.0": { "API key (example)": "session-created", "OAuth (example token)": "session-created", "Logged out": "auth-required" },
} as const;

let work: string;
let dataDir: string;
/** TMPDIR of the CLI, so the test can see that every temporary home is gone afterwards. */
let childTmp: string;

before(async () => {
  work = await mkdtemp(path.join(tmpdir(), "acp-matrix-test-"));
  dataDir = path.join(work, "data");
  childTmp = path.join(work, "tmp");
  await mkdir(childTmp);
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

function cli(args: string[]): Promise<CliResult> {
  return runMatrixCli(args, { env: { TMPDIR: childTmp, ACP_PLAYGROUND_HOME: dataDir } });
}

/**
 * Enough of an XML parser to catch a broken file: one root, every tag closed in order, quoted
 * attributes, no raw `<` or stray `&` in text. Returns how often each element name occurs.
 */
function checkXml(xml: string): Map<string, number> {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, "");
  const counts = new Map<string, number>();
  const stack: string[] = [];
  let roots = 0;
  let last = 0;
  for (const m of body.matchAll(/<[^>]*>/g)) {
    const text = body.slice(last, m.index);
    assert.doesNotMatch(text, /<|&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/, `bad text before ${m[0]}`);
    last = m.index + m[0].length;
    const tag = m[0];
    const close = /^<\/([A-Za-z_][\w.-]*)\s*>$/.exec(tag);
    if (close) {
      assert.equal(stack.pop(), close[1], `closing ${tag} out of order`);
      continue;
    }
    const open = /^<([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"<]*")*)\s*(\/?)>$/.exec(tag);
    assert.ok(open, `malformed tag ${tag}`);
    if (stack.length === 0) roots++;
    counts.set(open[1], (counts.get(open[1]) ?? 0) + 1);
    if (open[3] !== "/") stack.push(open[1]);
  }
  assert.equal(body.slice(last).trim(), "", "text after the root element");
  assert.deepEqual(stack, [], "unclosed elements");
  assert.equal(roots, 1, "exactly one root element");
  return counts;
}

test("both Kimi builds × API key / OAuth / logged out give the verdicts of kimi-code.md", async () => {
  const expectFile = path.join(work, "expect.json");
  await writeFile(expectFile, JSON.stringify(KIMI_EXPECTATIONS, null, 2));
  const profiles = ["API key (example)", "OAuth (example token)", "Logged out"];
  const args = ["--agent", "kimi-2.1.0", "--agent", "kimi-0.28.0", ...profiles.flatMap((p) => ["--profile", p])];
  const run = await cli([...args, "--format", "json", "--concurrency", "2", "--expect", expectFile]);
  assert.equal(run.code, 0, run.stderr);
  const cells = JSON.parse(run.stdout) as ProbeCell[];
  assert.equal(cells.length, 6);
  const table: string[] = [];
  for (const cell of cells) {
    const agentId = cell.agent.id as keyof typeof KIMI_EXPECTATIONS;
    const expected = KIMI_EXPECTATIONS[agentId][cell.profile.name as keyof (typeof KIMI_EXPECTATIONS)[typeof agentId]];
    assert.equal(cell.verdict, expected, `${agentId} × ${cell.profile.name}: ${cell.detail ?? ""}`);
    assert.equal(cell.agent.name, "Kimi Code CLI");
    assert.equal(cell.agent.version, agentId.slice("kimi-".length));
    assert.deepEqual(cell.initialize.authMethods, ["login"]);
    assert.equal(cell.initialize.protocolVersion, 1);
    if (cell.verdict === "auth-required") {
      assert.equal(cell.sessionNew.error?.code, -32000);
      assert.equal(cell.sessionNew.error?.message, "Authentication required");
    } else assert.match(cell.sessionNew.sessionId ?? "", /\S/);
    // The cell carries its full trace: the initialize and session/new exchange and the kill.
    assert.ok(cell.frames.some((f) => f.kind === "request" && f.method === "session/new"));
    assert.ok(cell.frames.some((f) => f.lifecycle?.event === "exited"));
    table.push(`${agentId} × ${cell.profile.name}: ${cell.verdict} (${cell.ms} ms)`);
  }
  // Secrets of the example profiles never reach the output.
  assert.equal(run.stdout.includes("sk-example-0000-fake-key-9f3a"), false);
  assert.equal(run.stdout.includes("example-access-token-not-real-0000"), false);
  // Piped, not a terminal: no progress output at all.
  assert.equal(run.stderr, "");
  // Every probe removed its temporary home and working directory (tsx keeps its own cache there).
  assert.deepEqual((await readdir(childTmp)).filter((name) => name.startsWith("acp-")), []);
  process.stdout.write(`# matrix CLI, 6 Kimi cells at concurrency 2: ${run.ms} ms\n# ${table.join("\n# ")}\n`);
});

test("--expect exits 1 and names the cell on a deliberate mismatch; JUnit output is well-formed", async () => {
  const expectFile = path.join(work, "wrong.json");
  // 0.28.0 refusing the API-key home is the #1330 bug; expecting a session must fail.
  await writeFile(expectFile, JSON.stringify({ "kimi-0.28.0": { "API key (example)": "session-created", "Logged out": "auth-required" } }));
  const out = path.join(work, "matrix.xml");
  const run = await cli(["--agent", "kimi-0.28.0", "--profile", "API key (example)", "--profile", "Logged out", "--format", "junit", "--out", out, "--expect", expectFile, "--concurrency", "2"]);
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stderr, /1 cell\(s\) differ/);
  assert.match(run.stderr, /kimi-0\.28\.0 × API key \(example\): expected session-created, got auth-required/);
  assert.equal(run.stdout, "", "with --out nothing goes to stdout");
  const xml = await readFile(out, "utf8");
  const counts = checkXml(xml);
  assert.equal(counts.get("testsuites"), 1);
  assert.equal(counts.get("testcase"), 2);
  assert.equal(counts.get("failure"), 1);
  assert.match(xml, /<testsuite [^>]*tests="2" failures="1"/);
  assert.match(xml, /<testcase classname="kimi-0\.28\.0" name="API key \(example\)" time="[\d.]+">\s*<failure type="verdict-mismatch"/);
});

test("--agent-cmd runs any ACP agent without a shell: session created, crashed, timed out", async () => {
  const run = await cli([
    "--agent-cmd",
    `"${process.execPath}" test/fixtures/stub-agent.mjs`,
    "--agent-cmd",
    `"${process.execPath}" -e 'process.stderr.write("boom\\n"); process.exit(3)'`,
    "--agent-cmd",
    `"${process.execPath}" -e "setTimeout(() => {}, 60000)"`,
    "--profile",
    "Logged out",
    "--timeout",
    "1500",
    "--format",
    "json",
  ]);
  assert.equal(run.code, 0, run.stderr);
  const cells = JSON.parse(run.stdout) as ProbeCell[];
  assert.deepEqual(
    cells.map((c) => c.verdict),
    ["session-created", "crashed", "timed-out"],
  );
  assert.equal(cells[0].agent.name, "stub-agent");
  assert.equal(cells[0].sessionNew.sessionId, "stub-session-1");
  assert.match(cells[1].detail ?? "", /exited with code 3 before answering initialize; stderr: boom/);
  assert.match(cells[2].detail ?? "", /no answer to initialize within 1500 ms/);
  assert.ok(cells[2].frames.some((f) => f.lifecycle?.event === "exited"), "the hung agent was killed");
});

test("bad invocations exit 2 and say what to do", async () => {
  const cases: [string[], RegExp][] = [
    [["--agent", "kimi-9.9.9"], /No agent "kimi-9\.9\.9" in the catalog\.\nPick one of: kimi-2\.1\.0, kimi-0\.28\.0/],
    [["--agent", "kimi-2.1.0", "--profile", "Nope"], /No profile named "Nope".*\nKnown profiles: "Offline demo", "API key \(example\)"/],
    [["--frobnicate"], /Unknown option --frobnicate\.\nRun `npm run matrix -- --help`/],
    [["--format", "yaml"], /Unknown format "yaml"\.\nUse one of: table, json, markdown, junit/],
    [["--agent-cmd", "node 'unterminated"], /Unterminated single quote/],
    [["--agent-cmd", "cat | head"], /contains "\|", but agents run without a shell/],
    [["--profile-dir", "home=/definitely/not/here"], /--profile-dir home=\/definitely\/not\/here: .*cannot be read/],
    [["--expect", "/definitely/not/here.json"], /Cannot read the expectations file/],
  ];
  const runs = await Promise.all(cases.map(([args]) => cli(args)));
  runs.forEach((run, i) => {
    assert.equal(run.code, 2, `${cases[i][0].join(" ")}: ${run.stderr}`);
    assert.match(run.stderr, cases[i][1]);
    assert.equal(run.stdout, "");
  });
});
