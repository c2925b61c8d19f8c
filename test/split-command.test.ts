/**
 * The `--agent-cmd` splitter: it stands in for a shell that never runs, so it must agree with sh
 * on quoting and must keep everything else ($VAR, globs) literal.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { CommandLineError, joinCommandLine, splitCommandLine } from "../lib/split-command";

test("splits on whitespace runs and ignores leading and trailing blanks", () => {
  assert.deepEqual(splitCommandLine("  node  agent.mjs\t--acp \n"), ["node", "agent.mjs", "--acp"]);
  assert.deepEqual(splitCommandLine(""), []);
  assert.deepEqual(splitCommandLine("   "), []);
});

test("single quotes keep everything literal, backslashes included", () => {
  assert.deepEqual(splitCommandLine(`node '/my agents/a b.mjs' 'it\\s $HOME'`), ["node", "/my agents/a b.mjs", "it\\s $HOME"]);
});

test('double quotes allow \\" \\\\ \\$ and \\` escapes, other backslashes stay', () => {
  assert.deepEqual(splitCommandLine(`say "a \\"quoted\\" word" "C:\\dir" "\\$x \\\\"`), ["say", 'a "quoted" word', "C:\\dir", "$x \\"]);
});

test("quotes glue onto adjacent text and an empty pair is an empty argument", () => {
  assert.deepEqual(splitCommandLine(`--name="Kimi Code" pre'fix'post "" ''`), ["--name=Kimi Code", "prefixpost", "", ""]);
});

test("a backslash outside quotes escapes the next character; backslash-newline continues the line", () => {
  assert.deepEqual(splitCommandLine("a\\ b c\\\\d \\'e"), ["a b", "c\\d", "'e"]);
  assert.deepEqual(splitCommandLine("node \\\n  agent.mjs"), ["node", "agent.mjs"]);
  assert.deepEqual(splitCommandLine('"line\\\ncontinued"'), ["linecontinued"]);
});

test("no shell expansion: variables, globs and operators are plain text", () => {
  assert.deepEqual(splitCommandLine("echo $HOME *.mjs ~ | wc"), ["echo", "$HOME", "*.mjs", "~", "|", "wc"]);
});

test("unicode passes through untouched", () => {
  assert.deepEqual(splitCommandLine("agent --greeting 'こんにちは 👋'"), ["agent", "--greeting", "こんにちは 👋"]);
});

test("unterminated quotes and a trailing backslash are errors with a position", () => {
  assert.throws(() => splitCommandLine("node 'agent.mjs"), (e: unknown) => e instanceof CommandLineError && e.offset === 5 && /single quote/.test(e.message));
  assert.throws(() => splitCommandLine('node "agent.mjs'), (e: unknown) => e instanceof CommandLineError && e.offset === 5 && /double quote/.test(e.message));
  assert.throws(() => splitCommandLine("node agent\\"), (e: unknown) => e instanceof CommandLineError && /backslash/.test(e.message));
});

test("joinCommandLine quotes only what needs it and round-trips through the splitter", () => {
  const argv = ["/usr/bin/node", "my agent.mjs", "it's", "", "--x=1", "$HOME", 'say "hi"'];
  const line = joinCommandLine(argv);
  assert.equal(line.startsWith("/usr/bin/node 'my agent.mjs' "), true);
  assert.deepEqual(splitCommandLine(line), argv);
});
