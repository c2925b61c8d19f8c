#!/usr/bin/env node
/**
 * Replay as an agent: plays the agent side of a recorded trace over stdio. Each client request is
 * answered with the recorded answer to the next unused recorded request of the same method (ids
 * rewritten), after replaying what the agent sent meanwhile (notifications, its own requests,
 * stderr). Anything that does not match the recording is said on stderr, never hidden.
 *
 * A trace is evidence, not a program: of the recorded agent→client requests only permission
 * requests (which ask the user and touch nothing) are sent again. terminal/*, fs/* and every
 * other request are held back: this agent already knows what happened next from the recording,
 * so it says on stderr what it held back and what the real client answered then. The relay
 * refuses such requests from a replay anyway (server/replay-guard.ts); this is the first line.
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

/** The only agent→client requests sent again: they ask the user and change nothing. */
const REISSUED = new Set(["session/request_permission"]);
const NOTE_MAX = 2000;

/** A recorded stdout line as a request to hold back: {method, id}, or undefined to send it. */
function heldBack(line) {
  let msg;
  try {
    msg = JSON.parse(line);
  } catch {
    return undefined; // not JSON: the relay records it as malformed and serves nothing
  }
  if (typeof msg !== "object" || msg === null || Array.isArray(msg) || !("id" in msg) || typeof msg.method !== "string") return undefined;
  return REISSUED.has(msg.method) ? undefined : { method: msg.method, id: msg.id };
}

function recordedAnswerOf(f) {
  const answer = typeof f.pairSeq === "number" ? bySeq.get(f.pairSeq) : undefined;
  if (!answer || answer.dir !== "out" || typeof answer.raw !== "string") return "none recorded";
  const text = answer.raw.length > NOTE_MAX ? `${answer.raw.slice(0, NOTE_MAX)}… (${answer.raw.length} chars)` : answer.raw;
  return text.replace(/[\r\n]+/g, " ");
}

const emit = (f) => {
  const raw = typeof f.raw === "string" ? f.raw : "";
  if (f.kind === "stderr") {
    process.stderr.write(`${raw}\n`);
    return;
  }
  // One recorded frame may hold several lines; each is judged on its own, as the relay will read it.
  for (const line of raw.split("\n")) {
    const held = heldBack(line);
    if (!held) {
      process.stdout.write(`${line}\n`);
      continue;
    }
    process.stderr.write(
      `replay: held back the recorded ${held.method} request (id ${JSON.stringify(held.id)}): a replayed trace does not make the playground run commands or read or write files. Recorded answer: ${recordedAnswerOf(f)}\n`,
    );
  }
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
  let answer;
  try {
    answer = JSON.parse(ex.answer.raw);
  } catch {
    answer = undefined;
  }
  if (typeof answer !== "object" || answer === null || Array.isArray(answer)) {
    process.stderr.write(`replay mismatch: the recorded answer to ${msg.method} is not a JSON-RPC response; answering with an error\n`);
    process.stdout.write(`${JSON.stringify({ jsonrpc: "2.0", id: msg.id, error: { code: -32603, message: `Replay mismatch: the recorded ${msg.method} answer is not a response`, data: { replay: file } } })}\n`);
    return;
  }
  // As recorded (quirks included), but never with a method: a crafted "answer" must not smuggle a request.
  delete answer.method;
  answer.id = msg.id;
  process.stdout.write(`${JSON.stringify(answer)}\n`);
});
rl.on("close", () => process.exit(0));
