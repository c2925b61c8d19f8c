/**
 * Issue #14, the profiles manager and its neighbours, below the UI: built-in and active profiles
 * cannot be deleted; save / duplicate / delete are answered to the asking tab (profile_result) with
 * the saved profile masked, and a second save of a new draft is a visible refusal, not a hidden
 * notice; reopening a matrix cell shows its run again instead of adding one; the bug report puts
 * placeholders for local paths and labels a malformed outgoing line by its direction; the small
 * pure helpers of the UI (issue links, permission input, matrix progress, Delete's reason).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { isValidElement, type ReactElement } from "react";
import { linkRefs } from "../components/DiagnosisPanel";
import { matrixProgress } from "../components/MatrixView";
import { permissionInput } from "../components/PermissionCards";
import { deleteBlocked } from "../components/ProfileManager";
import { buildReport, placeholderPaths } from "../lib/report";
import type { Frame, ProfileDraft, RunSummary, ServerEvent } from "../lib/wire";
import { ProfileError } from "../server/errors";
import { profileCommand, type ProfileCommandHooks } from "../server/profiles";
import { profileScratch } from "./fixtures/profile-scratch";
import { fixtureAgent, startServer, WsClient } from "./fixtures/server";

const scratch = profileScratch("acp-profiles-ux-test-");
const KEY = "sk-ux-FAKE-7Hq2Lx9Wm4Pz8Rt6";

async function refused(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ProfileError, `expected ProfileError, got ${String(error)}`);
    assert.match(error.message, pattern);
    return true;
  });
}

test("the store refuses to delete a built-in or the active profile, and says which", async () => {
  const store = await scratch.freshStore();
  await refused(store.remove("api-key-example"), /“API key \(example\)” is a built-in profile/);
  await refused(store.remove("offline-demo"), /built-in/);
  const copy = await store.duplicate("api-key-example");
  await store.setActive(copy.id);
  await refused(store.remove(copy.id), /“API key \(example\) \(copy\)” is the active profile/);
  assert.ok(store.get(copy.id), "a refused delete keeps the profile");
  await store.setActive("offline-demo");
  await store.remove(copy.id);
  assert.equal(store.get(copy.id), undefined);
});

test("profileCommand: save answers the masked view (created), a second new save of the same name is a refusal in the answer", async () => {
  const store = await scratch.freshStore();
  let changed = 0;
  const hooks: ProfileCommandHooks = { inUse: () => false, changed: () => void changed++, removed: async () => undefined, redact: (t) => t };
  const draft: ProfileDraft = { name: "UX key", kind: "kimi-api-key", fields: { provider: "moonshot-ai", model: "kimi-k2.7-code", apiKey: KEY } };
  const saved = await profileCommand(store, { type: "profile_save", draft }, hooks);
  assert.equal(saved.ok, true);
  assert.equal(saved.created, true);
  assert.ok(saved.profile?.id, "the answer carries the saved profile's id");
  assert.ok(!JSON.stringify(saved).includes(KEY), "the answer never carries the secret");
  assert.match(String(saved.profile?.fields.apiKey), /…/);
  const again = await profileCommand(store, { type: "profile_save", draft }, hooks);
  assert.equal(again.ok, false);
  assert.equal(again.action, "save");
  assert.match(again.error ?? "", /A profile named "UX key" already exists/);
  // Saving the answer's profile (edit mode: id + masked key) updates it and keeps the stored key.
  const edited = await profileCommand(store, { type: "profile_save", draft: { ...draft, id: saved.profile?.id, fields: { ...saved.profile?.fields, model: "kimi-k3" } } }, hooks);
  assert.equal(edited.ok, true);
  assert.equal(edited.created, false);
  assert.equal(store.get(saved.profile?.id ?? "")?.fields.apiKey, KEY);
  const dup = await profileCommand(store, { type: "profile_duplicate", profileId: saved.profile?.id ?? "" }, hooks);
  assert.equal(dup.profile?.name, "UX key (copy)");
  const builtin = await profileCommand(store, { type: "profile_delete", profileId: "oauth-example" }, hooks);
  assert.equal(builtin.ok, false);
  assert.match(builtin.error ?? "", /built-in/);
  assert.match(builtin.hint ?? "", /Duplicate/);
  const busy = await profileCommand(store, { type: "profile_delete", profileId: dup.profileId ?? "" }, { ...hooks, inUse: () => true });
  assert.match(busy.error ?? "", /in use by the running agent/);
  const gone = await profileCommand(store, { type: "profile_delete", profileId: dup.profileId ?? "" }, hooks);
  assert.equal(gone.ok, true);
  assert.equal(changed, 4, "every successful change refreshes the list; refusals do not");
});

test("the UI's Delete reason matches the relay's rule", () => {
  const view = { id: "x", name: "X", kind: "kimi-api-key" as const, builtin: false, fields: {}, sources: [] };
  assert.equal(deleteBlocked(view, "other"), undefined);
  assert.match(deleteBlocked(view, "x") ?? "", /active profile/);
  assert.match(deleteBlocked({ ...view, builtin: true }, "other") ?? "", /Built-in/);
});

function frame(seq: number, over: Partial<Frame>): Frame {
  return { seq, runId: "run-1", t: 1000 + seq, dir: "sys", kind: "stderr", raw: "", ...over } as Frame;
}

test("bug report: local paths become <home>, <data>, <tmp>; a malformed outgoing line is labelled Sent (not JSON)", () => {
  const home = "/home/ana";
  const data = "/home/ana/.acp-playground";
  const run = { runId: "run-1", agentId: "kimi-0.28.0", agentLabel: "Kimi", profileId: "p", profileName: "P", state: "exited", startedAt: 0, cwd: `${home}/src/app`, frameCount: 3, dropped: 0, counts: { in: 1, out: 1, errors: 1, stderr: 1 }, pendingOut: 0, pendingIn: 0, loginAttempts: [], argv: [`${data}/runs/run-1/node`, "/tmp/x/kimi.mjs"] } as RunSummary;
  const frames: Frame[] = [
    frame(0, { dir: "out", kind: "malformed", raw: '{"jsonrpc":"2.0","id":1,"method":"initialize"' }),
    frame(1, { dir: "sys", kind: "stderr", raw: `error reading ${home}/.config/kimi` }),
    frame(2, { dir: "in", kind: "error", raw: '{"jsonrpc":"2.0","id":2,"error":{"code":-32603,"message":"boom at /tmp/x/kimi.mjs:1"}}', errorCode: -32603, errorMessage: "boom", id: "n:2", method: "session/new" }),
  ];
  const md = buildReport({ environment: { os: "linux", serverNode: "v20", playground: "t" }, run, frames, redact: (t) => t, paths: { "<data>": data, "<tmp>": "/tmp", "<home>": home } });
  assert.ok(!md.includes(home), `no home path left:\n${md}`);
  assert.ok(!md.includes("/tmp/"), "no temp path left");
  assert.match(md, /<data>\/runs\/run-1\/node/, "the data dir (under the home) reads <data>, not <home>/.acp-playground");
  assert.match(md, /<tmp>\/x\/kimi\.mjs/);
  assert.match(md, /### #0 malformed[^\n]*\nSent \(not JSON\):/);
  assert.match(md, /### #2 error session\/new[^\n]*\n(?:>[^\n]*\n)*Answer:/);
  // Whole paths only: a sibling that merely starts with the same text is left alone; the root never.
  assert.equal(placeholderPaths("/home/anabel and /home/ana/x and /home/ana", { "<home>": "/home/ana", "<root>": "/" }), "/home/anabel and <home>/x and <home>");
});

test("issue refs link to the rule's URLs; permission input shows the command; matrix progress counts done cells", () => {
  const links = ["https://github.com/MoonshotAI/kimi-code/issues/1330", "https://github.com/MoonshotAI/kimi-code/pull/934"];
  const parts = linkRefs("kimi-code issue #1330: fixed in 0.29.0 (PR #934); see #77", links);
  type Anchor = ReactElement<{ href: string; rel: string; target: string; children: string }>;
  const anchors = parts.filter((p): p is Anchor => isValidElement(p) && typeof (p.props as { href?: unknown }).href === "string");
  assert.deepEqual(
    anchors.map((a) => [a.props.children, a.props.href, a.props.rel, a.props.target]),
    [
      ["#1330", links[0], "noopener noreferrer", "_blank"],
      ["PR #934", links[1], "noopener noreferrer", "_blank"],
    ],
    "#77 has no URL, so it stays text",
  );
  assert.deepEqual(permissionInput({ title: "Bash", rawInput: { command: "echo playground-shell-ok" } }), ["$ echo playground-shell-ok"]);
  assert.deepEqual(
    permissionInput({ title: "Bash", content: [{ type: "content", content: { type: "text", text: "echo playground-shell-ok" } }, { type: "diff", path: "/w/a.txt" }], locations: [{ path: "/w/a.txt", line: 3 }] }),
    ["echo playground-shell-ok", "edit /w/a.txt", "at /w/a.txt:3"],
  );
  assert.deepEqual(permissionInput({ title: "Bash" }), []);
  assert.deepEqual(matrixProgress([{ state: "done" }, { state: "running" }, { state: "queued" }, { state: "done" }]), { done: 2, total: 4 });
});

test("over the wire: profile_result goes to the asking tab; a matrix cell reopened shows the same run", { timeout: 60_000 }, async () => {
  const server = await startServer({ agents: [fixtureAgent("stub", "stub-agent.mjs")] });
  const client = await WsClient.connect(server);
  try {
    const resultAfter = async (mark: number, what: string): Promise<Extract<ServerEvent, { type: "profile_result" }>> =>
      client.waitFor(what, (e) => (e.type === "profile_result" && client.events.indexOf(e) >= mark ? e : undefined));
    const draft: ProfileDraft = { name: "Wire key", kind: "kimi-api-key", fields: { provider: "moonshot-ai", model: "m", apiKey: KEY } };
    let mark = client.events.length;
    client.send({ type: "profile_save", draft });
    const saved = await resultAfter(mark, "the save's answer");
    assert.equal(saved.ok, true);
    assert.match(String(saved.profile?.fields.apiKey), /…/);
    mark = client.events.length;
    client.send({ type: "profile_save", draft });
    const twice = await resultAfter(mark, "the second save's answer");
    assert.equal(twice.ok, false);
    assert.match(twice.error ?? "", /already exists/);
    mark = client.events.length;
    client.send({ type: "profile_delete", profileId: "offline-demo" });
    const active = await resultAfter(mark, "the refused delete");
    assert.match(active.error ?? "", /built-in/);
    assert.equal(client.events.slice(mark).filter((e) => e.type === "notice").length, 0, "refusals are answered in the dialog, not as page notices");

    client.send({ type: "matrix_run", agentIds: ["stub"], profileIds: ["logged-out"] });
    await client.waitFor("the finished matrix", (e) => (e.type === "matrix" && !e.running && e.cells.every((c) => c.state === "done") ? e : undefined), 40_000);
    const runIds = (): Set<string> => new Set(client.events.flatMap((e) => (e.type === "run" ? [e.run.runId] : e.type === "hello" ? e.runs.map((r) => r.runId) : [])));
    const before = runIds().size;
    client.send({ type: "matrix_open", index: 0 });
    const opened = await client.waitFor("the cell's run", (e) => (e.type === "run" && e.run.origin?.startsWith("matrix cell stub × Logged out") ? e.run : undefined));
    assert.equal(runIds().size, before + 1);
    mark = client.events.length;
    client.send({ type: "matrix_open", index: 0 });
    client.send({ type: "matrix_open", index: 0 });
    // The reopened cell's frames are sent again (reset) for the same run; no new run appears.
    await client.waitFor("the same run's frames again", (e) => (e.type === "frames" && e.runId === opened.runId && e.reset && client.events.indexOf(e) >= mark ? true : undefined));
    assert.equal(runIds().size, before + 1, "reopening adds no run");
  } finally {
    await client.close();
    await server.stop();
  }
});
