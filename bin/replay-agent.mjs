#!/usr/bin/env node
/**
 * Replay as an agent: plays the agent side of a recorded trace over stdio. Each client request is
 * answered with the recorded answer to the next unused recorded request of the same method (ids
 * rewritten), after replaying what the agent sent meanwhile (notifications, its own requests,
 * stderr). Anything that does not match the recording is said on stderr, never hidden.
 * Plain JavaScript on purpose: it runs under any Node without a build step.
 *
 * Usage: replay-agent.mjs <trace.jsonl>   (a playground trace, or bare frame lines)
 */
import { readFileSync } from "node:fs";
import readline from "node:readline";

const file = process.argv[2];
if (!file) {
  process.stderr.write("replay: usage: replay-agent.mjs <trace.jsonl>\n");
  process.exit(2);
}

let frames;
try {
  frames = readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l))
    .filter((f) => typeof f.seq === "number" && typeof f.dir === "string");
} catch (error) {
  process.stderr.write(`replay: cannot read ${file}: ${error.message}\n`);
  process.exit(2);
}

/** One recorded client request, its answer, and what the agent said between them. */
const exchanges = [];
const opening = [];
let window = opening;
const bySeq = new Map(frames.map((f) => [f.seq, f]));
for (const f of frames) {
  if (f.dir === "out" && f.kind === "request") {
    const answer = f.pairSeq !== undefined ? bySeq.get(f.pairSeq) : undefined;
    const ex = { method: f.method, request: f, answer, before: [], used: false };
    exchanges.push(ex);
    window = ex.before;
  } else if (f.dir === "in" && (f.kind === "notification" || f.kind === "request" || f.kind === "stderr" || f.kind === "malformed")) {
    window.push(f);
  }
}

const emit = (f) => {
  if (f.kind === "stderr") process.stderr.write(`${f.raw}\n`);
  else process.stdout.write(`${f.raw}\n`);
};
for (const f of opening) emit(f);
process.stderr.write(`replay: ${exchanges.length} recorded requests from ${file}\n`);

function paramsDiffer(recorded, given) {
  try {
    const a = JSON.parse(recorded.raw).params ?? {};
    const b = given ?? {};
    return Object.keys({ ...a, ...b }).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
  } catch {
    return [];
  }
}

const rl = readline.createInterface({ input: process.stdin });
rl.on("line", (line) => {
  let msg;
  try {
    msg = JSON.parse(line);
  } catch {
    process.stderr.write(`replay: the client sent a non-JSON line: ${line.slice(0, 200)}\n`);
    return;
  }
  if (typeof msg.method !== "string" || msg.id === undefined) return; // notifications and answers need no reply
  const ex = exchanges.find((e) => !e.used && e.method === msg.method);
  if (!ex) {
    process.stderr.write(`replay mismatch: no recorded ${msg.method} request is left to answer\n`);
    process.stdout.write(`${JSON.stringify({ jsonrpc: "2.0", id: msg.id, error: { code: -32603, message: `Replay mismatch: no recorded ${msg.method} left`, data: { replay: file } } })}\n`);
    return;
  }
  ex.used = true;
  const skipped = exchanges.filter((e) => !e.used && e.request.seq < ex.request.seq);
  if (skipped.length) process.stderr.write(`replay mismatch: ${msg.method} answered out of order; recorded earlier requests not yet sent: ${skipped.map((e) => e.method).join(", ")}\n`);
  const differ = paramsDiffer(ex.request, msg.params);
  if (differ.length) process.stderr.write(`replay note: params of ${msg.method} differ from the recording (${differ.join(", ")})\n`);
  for (const f of ex.before) emit(f);
  if (!ex.answer || ex.answer.kind === "lost") {
    process.stderr.write(`replay: the recorded ${msg.method} was never answered (the agent died); not answering\n`);
    return;
  }
  const answer = JSON.parse(ex.answer.raw);
  answer.id = msg.id;
  process.stdout.write(`${JSON.stringify(answer)}\n`);
});
rl.on("close", () => process.exit(0));
