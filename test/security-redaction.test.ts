/**
 * Security suite for issue #11 §4–5 (review findings V-6, V-14, V-7): every string derived from a
 * frame is redacted, secrets spelled with `\uXXXX`/percent escapes or split by terminal escape
 * sequences are caught, xterm's automatic answers never become keystrokes, and a copied home is a
 * copy (no symlink lets an agent write through to the original).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { REDACTED, Redactor, StreamRedactor } from "../lib/redact";

const SECRET = "REDTEAM-ENVKEY-q1w2e3r4t5";

/** Every UTF-16 unit as a JSON `\uXXXX` escape, hex in the given case. */
function uEscape(text: string, upper = false): string {
  return Array.from({ length: text.length }, (_, k) => {
    const hex = text.charCodeAt(k).toString(16).padStart(4, "0");
    return `\\u${upper ? hex.toUpperCase() : hex}`;
  }).join("");
}

/** The `text` field of a JSON line, wherever the test put it. */
function textOf(line: string): string {
  const v = JSON.parse(line) as { text?: string; params?: { text?: string } };
  return v.text ?? v.params?.text ?? "";
}

test("V-6: a secret spelled with JSON \\u escapes (partial, full, mixed-case hex, surrogate pairs) is redacted, the line stays valid JSON", () => {
  const r = new Redactor([SECRET]);
  const partial = `{"jsonrpc":"2.0","method":"session/update","params":{"text":"AGENT \\u0052\\u0045${SECRET.slice(2)} end"}}`;
  const full = `{"text":"${uEscape(SECRET)}"}`;
  const mixed = `{"text":"x${uEscape(SECRET.slice(0, 5), true)}${SECRET.slice(5, 9)}${uEscape(SECRET.slice(9))}y"}`;
  const slash = `{"text":"${SECRET.replace("-", "\\u002D")}/a\\/b"}`;
  for (const line of [partial, full, mixed, slash]) {
    assert.ok(textOf(line).includes(SECRET), `test premise: ${line} decodes to the secret`);
    assert.ok(!line.includes(SECRET), "test premise: the line does not hold the plain spelling");
    const out = r.redact(line);
    assert.ok(!textOf(out).includes(SECRET), `decoded secret survives: ${out}`);
    assert.ok(textOf(out).includes(REDACTED), out);
  }
  assert.equal(JSON.parse(r.redact(partial)).params.text, `AGENT ${REDACTED} end`);
  // Other escapes in the same literal stay as they were.
  assert.equal(r.redact(`{"a":"\\u00e9\\n${uEscape(SECRET)}\\t"}`), `{"a":"\\u00e9\\n${REDACTED}\\t"}`);
  // A secret outside the BMP, written as a surrogate pair.
  const astral = "KEY-\u{1F511}-0123456789";
  const ra = new Redactor([astral]);
  const pair = `{"t":"<${uEscape(astral)}>"}`;
  assert.equal(JSON.parse(ra.redact(pair)).t, `<${REDACTED}>`);
  // An escaped backslash is not an escape: "\\\\u0052" is a backslash and the text "u0052".
  assert.equal(r.redact(`{"t":"\\\\u0052EDTEAM"}`), `{"t":"\\\\u0052EDTEAM"}`);
});

test("V-6: percent-encoded spellings (lower/upper hex, every character, + for space) are redacted", () => {
  const r = new Redactor([SECRET, "pass phrase 42!"]);
  const lower = [...SECRET].map((c) => `%${c.charCodeAt(0).toString(16)}`).join("");
  assert.equal(r.redact(`https://x/?k=${lower}&z=1`), `https://x/?k=${REDACTED}&z=1`);
  assert.equal(r.redact(`k=${lower.toUpperCase()}`), `k=${REDACTED}`);
  assert.equal(r.redact(`k=REDTEAM%2dENVKEY%2Dq1w2e3r4t5`), `k=${REDACTED}`);
  assert.equal(r.redact("q=pass+phrase+42%21&x"), `q=${REDACTED}&x`);
  // Text with nothing encoded goes through untouched.
  assert.equal(r.redact("100% done \\u0041"), "100% done \\u0041");
});

test("V-14: the stream redactor catches a secret split by SGR, cursor moves, OSC or C0 controls, in any chunking, and keeps the sequences", () => {
  const secret = "REDTEAM-ACCESS-TOKEN-a1b2c3d4e5f6";
  const splitters = ["\x1b[0m", "\x1b[1;31m", "\x1b[2C\x1b[2D", "\x1b]0;title\x07", "\x1b]8;;http://x/\x1b\\", "\x00", "\x1b(B"];
  for (const sep of splitters) {
    const text = `token: ${secret.slice(0, 7)}${sep}${secret.slice(7, 20)}${sep}${secret.slice(20)} done\r\n`;
    for (const size of [1, 2, 3, 5, 7, 1000]) {
      const s = new StreamRedactor([secret]);
      let out = "";
      for (let k = 0; k < text.length; k += size) out += s.push(text.slice(k, k + size));
      out += s.flush();
      // eslint-disable-next-line no-control-regex
      const visible = out.replace(/\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[ -/]*[0-~]|[\x00-\x08\x0b\x0c\x0e-\x1f]/g, "");
      assert.equal(visible, `token: ${REDACTED} done\r\n`, `${JSON.stringify(sep)} in chunks of ${size}: ${JSON.stringify(out)}`);
      assert.equal(out.split(sep).length - 1, 2, `the sequence ${JSON.stringify(sep)} is kept`);
    }
  }
  // The one-shot redactor applies the same rule to stderr or terminal lines.
  assert.equal(new Redactor([secret]).redact(`x ${secret.slice(0, 4)}\x1b[0m${secret.slice(4)} y`), `x ${REDACTED}\x1b[0m y`);
  // An unfinished escape sequence at a chunk's end is held, not emitted half.
  const s = new StreamRedactor([secret]);
  assert.equal(s.push("ok \x1b["), "ok ");
  assert.equal(s.push("0m fine"), "\x1b[0m fine");
});

// ── end to end: a real server, a fixture agent, the WebSocket and the exports ──

const API_KEY = "sk-example-0000-fake-key-9f3a";

/** Every spelling the key could take in what a client or an export receives. */
function leakForms(secret: string): string[] {
  const forms = new Set([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret), uEscape(secret), uEscape(secret, true), `${uEscape(secret.slice(0, 2))}${secret.slice(2)}`]);
  // The same, once more JSON-escaped, as they would sit inside an exported frame's raw string.
  for (const f of [...forms]) forms.add(JSON.stringify(f).slice(1, -1));
  return [...forms];
}

test("V-6/V-14 end to end: a secret in a request's method, id and keys, \\u-escaped in a session/update, and split by escape sequences in the login pty reaches no client and no export", { timeout: 90_000 }, async () => {
  const { startServer, startRun, WsClient, httpGet, fixtureAgent, waitUntil } = await import("./fixtures/server");
  const { buildTranscript } = await import("../lib/transcript");
  const server = await startServer({ agents: [fixtureAgent("redaction", "redaction-agent.mjs", { kimi: true })] });
  const client = await WsClient.connect(server, { keepRaw: true });
  try {
    const { runId } = await startRun(client, "redaction", "api-key-example");
    client.send({ type: "set_validation", enabled: true, unstable: false });
    client.send({ type: "send_raw", text: JSON.stringify({ jsonrpc: "2.0", id: "init", method: "initialize", params: { protocolVersion: 1, clientCapabilities: { auth: { terminal: true } } } }) });
    await client.waitForFrame("the initialize answer", (f) => f.kind === "response" && f.id === "s:init", runId);
    client.send({ type: "send_raw", text: JSON.stringify({ jsonrpc: "2.0", id: "leak", method: "_test/leak-fields", params: {} }) });
    await client.waitForFrame("the leak's error answer", (f) => f.kind === "error" && f.id === "s:leak", runId);
    // The relay's own -32601 answer to the agent's request comes after it.
    await client.waitForFrame("the relay's answer to the agent request", (f) => f.dir === "out" && f.auto === true, runId);

    client.send({ type: "login_start", methodId: "login", convention: "spec" });
    const loginText = (): string => client.events.map((e) => (e.type === "login_output" ? e.data : "")).join("");
    await waitUntil("the login prompt", () => loginText().includes("press enter"), 20_000);
    client.send({ type: "login_input", data: "\r" });
    await client.waitFor("the login's exit", (e) => (e.type === "login" && e.state === "exited" ? e : undefined), 20_000);

    const headers = { "x-acp-playground-token": server.token };
    const trace = await httpGet(server, `/api/runs/${runId}/trace.jsonl`, headers);
    const report = await httpGet(server, `/api/runs/${runId}/report.md`, headers);
    assert.equal(trace.status, 200, trace.body.slice(0, 200));
    assert.equal(report.status, 200, report.body.slice(0, 200));

    // The leaks were real, and were cut out where they were.
    const frames = client.framesOf(runId);
    const agentRequest = frames.find((f) => f.dir === "in" && f.kind === "request");
    assert.ok(agentRequest, "the agent's request was recorded");
    assert.equal(agentRequest.method, `x/${REDACTED}`);
    assert.equal(agentRequest.id, `s:id-${REDACTED}`);
    assert.ok(frames.some((f) => f.kind === "notification" && f.method === `_leak/${REDACTED}`), "the notification's method is redacted");
    const agentText = buildTranscript(frames)
      .filter((e) => e.type === "agent")
      .map((e) => (e.type === "agent" ? e.text : ""))
      .join("");
    assert.equal(agentText, `AGENT ${REDACTED} ${REDACTED} `, "the transcript shows the escaped secrets redacted");
    assert.ok(loginText().includes(REDACTED), `the login output shows the key redacted: ${JSON.stringify(loginText())}`);
    const run = client.events.findLast((e) => e.type === "run" && e.run.runId === runId);
    assert.ok(run && run.type === "run" && run.run.agentInfo?.title === `title ${REDACTED}`, "agentInfo in the run summary is redacted");

    const places: [string, string][] = [
      ["WebSocket", client.rawMessages.join("\n")],
      ["trace.jsonl", trace.body],
      ["report.md", report.body],
      ["server log", server.output()],
    ];
    for (const [where, text] of places) {
      for (const form of leakForms(API_KEY)) assert.ok(!text.includes(form), `${where} holds the key as ${form}`);
      // Decoded, as a view would show it: the key must not appear either.
      assert.ok(!decodeAll(text).includes(API_KEY), `${where} holds the key once its escapes are decoded`);
    }
  } finally {
    await client.close();
    await server.stop();
  }
});

/** Undo `\uXXXX` (and doubled `\\uXXXX`) escapes everywhere, as a JSON viewer would. */
function decodeAll(text: string): string {
  let out = text;
  for (let k = 0; k < 2; k++) out = out.replace(/\\+u([0-9a-fA-F]{4})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  return out;
}

test("V-14: the login terminal's xterm answers no terminal query (DA, DSR/CPR, DECRQM, DECRQSS, XTGETTCAP, window reports) and drops OSC 8/52, yet renders output", async () => {
  const { guardTerminalParser, isColorQuery, acceptTerminalInput } = await import("../lib/terminal-guard");
  const mod = (await import("@xterm/xterm")) as unknown as { Terminal?: typeof import("@xterm/xterm").Terminal; default?: { Terminal: typeof import("@xterm/xterm").Terminal } };
  const Terminal = mod.Terminal ?? mod.default?.Terminal;
  assert.ok(Terminal, "xterm loads in Node (the parser needs no DOM)");
  const queries = ["\x1b[c", "\x1b[0c", "\x1b[>c", "\x1b[=c", "\x1b[5n", "\x1b[6n", "\x1b[?6n", "\x1b[?1$p", "\x1b[4$p", "\x1bP$qm\x1b\\", "\x1bP+q544e\x1b\\", "\x1b[>q", "\x1b[14t", "\x1b[18t", "\x1b[21t"];
  const write = (t: InstanceType<NonNullable<typeof Terminal>>, data: string): Promise<void> => new Promise((resolve) => t.write(data, resolve));

  // Premise: an unguarded xterm answers these on onData, which the view used to send as keystrokes.
  const bare = new Terminal({ allowProposedApi: true });
  const bareAnswers: string[] = [];
  bare.onData((d) => bareAnswers.push(d));
  await write(bare, queries.join(""));
  assert.ok(bareAnswers.length >= 5, `test premise: xterm answers queries (${JSON.stringify(bareAnswers)})`);
  bare.dispose();

  const t = new Terminal({ allowProposedApi: true, cols: 80, rows: 5 });
  guardTerminalParser(t.parser);
  const answers: string[] = [];
  t.onData((d) => answers.push(d));
  await write(t, `${queries.join("")}\x1b[31mred\x1b[0m \x1b]8;;https://example.invalid/\x07link\x1b]8;;\x07 \x1b]52;c;cHduZWQ=\x07ok`);
  assert.deepEqual(answers, [], "no answer reached onData");
  assert.equal(t.buffer.active.getLine(0)?.translateToString(true), "red link ok", "ordinary output still renders");
  t.dispose();

  assert.equal(isColorQuery("11;?"), true);
  assert.equal(isColorQuery("4;1;?"), true);
  assert.equal(isColorQuery("11;rgb:00/00/00"), false);
  // Only the tab being typed in forwards input.
  assert.equal(acceptTerminalInput({ documentVisible: true, focusInTerminal: true }), true);
  assert.equal(acceptTerminalInput({ documentVisible: false, focusInTerminal: true }), false);
  assert.equal(acceptTerminalInput({ documentVisible: true, focusInTerminal: false }), false);
});

test("V-7: a copied existing home dereferences its symlinks (inside and outside the source), so an agent's rewrite never reaches the originals; the preview says so", async () => {
  const fs = await import("node:fs");
  const os = await import("node:os");
  const path = await import("node:path");
  const { materialize, previewProfile } = await import("../server/materialize");
  const { ProfileError } = await import("../server/errors");
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "acp-v7-"));
  try {
    // A dotfile-managed home: the credentials dir and config.toml live elsewhere.
    const realCreds = path.join(root, "real-creds");
    fs.mkdirSync(realCreds);
    fs.writeFileSync(path.join(realCreds, "kimi-code.json"), '{"access_token":"ORIGINAL"}', { mode: 0o600 });
    fs.writeFileSync(path.join(root, "real-config.toml"), 'default_model = "original"\n', { mode: 0o600 });
    const source = path.join(root, "home");
    fs.mkdirSync(source);
    fs.symlinkSync(realCreds, path.join(source, "credentials"));
    fs.symlinkSync(path.join(root, "real-config.toml"), path.join(source, "config.toml"));
    fs.writeFileSync(path.join(source, "plain.txt"), "plain");
    fs.symlinkSync("plain.txt", path.join(source, "inside-link.txt"));
    fs.symlinkSync(path.join(root, "nowhere"), path.join(source, "dangling"));
    fs.symlinkSync(source, path.join(source, "loop"));

    const now = Date.now();
    const profile = { id: "copied", name: "copied home", kind: "existing-home" as const, builtin: false, fields: { path: source, inPlace: false }, createdAt: now, updatedAt: now };
    const runsDir = path.join(root, "runs");
    const { home } = await materialize(profile, { runsDir, runId: "run-v7" });

    // Nothing in the run's home is a symlink; the linked content is there.
    const walk = (dir: string): string[] => fs.readdirSync(dir).flatMap((n) => {
      const p = path.join(dir, n);
      const st = fs.lstatSync(p);
      assert.ok(!st.isSymbolicLink(), `${p} is a symlink in the copied home`);
      return st.isDirectory() ? [p, ...walk(p)] : [p];
    });
    const copied = walk(home).map((p) => path.relative(home, p)).sort();
    assert.deepEqual(copied, ["config.toml", "credentials", "credentials/kimi-code.json", "inside-link.txt", "plain.txt"]);
    assert.equal(fs.readFileSync(path.join(home, "credentials", "kimi-code.json"), "utf8"), '{"access_token":"ORIGINAL"}');
    assert.equal(fs.statSync(path.join(home, "credentials", "kimi-code.json")).mode & 0o777, 0o600, "modes are kept");

    // The agent rotates its token and rewrites its config, as Kimi does.
    fs.writeFileSync(path.join(home, "credentials", "kimi-code.json"), '{"access_token":"ROTATED-BY-AGENT"}');
    fs.writeFileSync(path.join(home, "config.toml"), 'default_model = "ROTATED-BY-AGENT"\n');
    fs.writeFileSync(path.join(home, "credentials", "new.json"), "{}");
    assert.equal(fs.readFileSync(path.join(realCreds, "kimi-code.json"), "utf8"), '{"access_token":"ORIGINAL"}', "the original credentials are unchanged");
    assert.equal(fs.readFileSync(path.join(root, "real-config.toml"), "utf8"), 'default_model = "original"\n', "the original config is unchanged");
    assert.ok(!fs.existsSync(path.join(realCreds, "new.json")), "nothing new appeared in the original");

    // The preview names every link and what happens to it.
    const preview = await previewProfile(profile);
    const line = (p: string): string => preview.files.filter((f) => f.path === p).map((f) => f.content).join(" | ");
    assert.match(line("credentials"), /symlink to .*real-creds, outside the copied home: its content is copied/);
    assert.match(line("config.toml"), /symlink to .*real-config\.toml, outside the copied home/);
    assert.match(line("dangling"), /not copied: dangling symlink/);
    assert.match(line("loop"), /not copied: symlink loop/);

    // A link into a big tree fails clearly instead of filling the disk.
    const { copyHome } = await import("../server/home-copy");
    await assert.rejects(copyHome(source, undefined, { maxEntries: 3 }), (e: unknown) => e instanceof ProfileError && /more than 3 files/.test(e.message));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("V-6 (S4): a secret split across two agent_message_chunks is redacted in the joined transcript text when the builder knows the secrets", async () => {
  const { buildTranscript } = await import("../lib/transcript");
  const r = new Redactor([SECRET]);
  const chunk = (seq: number, text: string) => ({
    seq,
    runId: "r",
    t: seq,
    wall: seq,
    dir: "in" as const,
    kind: "notification" as const,
    method: "session/update",
    updateKind: "agent_message_chunk",
    bytes: 0,
    raw: r.redact(JSON.stringify({ jsonrpc: "2.0", method: "session/update", params: { sessionId: "s", update: { sessionUpdate: "agent_message_chunk", content: { type: "text", text } } } })),
  });
  const frames = [chunk(1, `key ${SECRET.slice(0, 9)}`), chunk(2, `${SECRET.slice(9)} end`)];
  assert.ok(frames.every((f) => !f.raw.includes(REDACTED)), "test premise: no single chunk holds the secret");
  const joined = (e: ReturnType<typeof buildTranscript>[number]): string => (e.type === "agent" ? e.text : "");
  assert.equal(joined(buildTranscript(frames)[0]), `key ${SECRET} end`, "premise: joining spells the secret");
  assert.equal(joined(buildTranscript(frames, { redact: (t) => r.redact(t) })[0]), `key ${REDACTED} end`);
});
