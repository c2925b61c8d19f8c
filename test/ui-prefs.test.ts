/**
 * Remembered UI settings (lib/client/ui-prefs.ts): a round trip through storage, and that whatever
 * storage holds (junk, old versions, wrong types, secrets) costs at most a preference.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { EMPTY_FILTER } from "../lib/filters";
import { afterClear, clearMark } from "../lib/log-clear";
import { looksLikeSecret, parsePrefs, type PrefsStorage, PREFS_KEY, PREFS_VERSION, prefOr, serializePrefs, UiPrefsStore } from "../lib/client/ui-prefs";
import type { ClientCaps, Frame } from "../lib/wire";

class MapStorage implements PrefsStorage {
  readonly map = new Map<string, string>();
  getItem(key: string): string | null {
    return this.map.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.map.set(key, value);
  }
  removeItem(key: string): void {
    this.map.delete(key);
  }
}

const CAPS: ClientCaps = { fsRead: false, fsWrite: false, terminal: false, authTerminal: true, legacyTerminalAuth: true };

test("a set pref survives a new store over the same storage (a reload)", () => {
  const storage = new MapStorage();
  const a = new UiPrefsStore(storage);
  a.set("side", "auth");
  a.set("filter", { ...EMPTY_FILTER, dir: "in", errorsOnly: true, text: "session/new", hiddenLanes: ["http"] });
  a.set("caps", { ...CAPS, fsRead: true });
  a.set("composerOpen", true);
  a.set("composerHeight", 240);
  a.set("theme", "light");
  a.set("agentId", "kimi-2.1.0");
  const b = new UiPrefsStore(storage);
  assert.equal(prefOr(b.get(), "side", "detail"), "auth");
  assert.deepEqual(prefOr(b.get(), "filter", EMPTY_FILTER), { ...EMPTY_FILTER, dir: "in", errorsOnly: true, text: "session/new", hiddenLanes: ["http"] });
  assert.equal(prefOr(b.get(), "caps", CAPS).fsRead, true);
  assert.equal(prefOr(b.get(), "composerOpen", false), true);
  assert.equal(prefOr(b.get(), "composerHeight", 0), 240);
  assert.equal(prefOr(b.get(), "theme", "system"), "light");
  assert.equal(prefOr(b.get(), "agentId", ""), "kimi-2.1.0");
  // One versioned key.
  assert.deepEqual([...storage.map.keys()], [PREFS_KEY]);
  assert.equal(JSON.parse(storage.map.get(PREFS_KEY) ?? "").v, PREFS_VERSION);
});

test("junk, another version or a non-object reads as no prefs", () => {
  for (const text of [null, "", "not json", "[]", "42", '{"v":0,"prefs":{"side":"auth"}}', '{"v":2,"prefs":{"side":"auth"}}', '{"v":1}', '{"v":1,"prefs":[1]}']) {
    assert.deepEqual(parsePrefs(text), {}, String(text));
  }
});

test("each field is checked on read: a wrong one is dropped, the others stay", () => {
  const stored = JSON.stringify({
    v: PREFS_VERSION,
    prefs: {
      side: "evil",
      theme: "dark",
      composerOpen: "yes",
      composerHeight: 1e9,
      scenario: "x".repeat(500),
      seqWide: true,
      detailView: "raw",
      filter: { dir: "sideways", method: "initialize", errorsOnly: 1, hiddenLanes: ["http", "nope"] },
      caps: { fsRead: true, terminal: "on", "bad key": true },
      token: "abc",
    },
  });
  const p = parsePrefs(stored);
  assert.equal(p.side, undefined);
  assert.equal(p.theme, "dark");
  assert.equal(p.composerOpen, undefined);
  assert.equal(p.composerHeight, 900, "clamped to the cap");
  assert.equal(p.scenario, undefined);
  assert.equal(p.seqWide, true);
  assert.equal(p.detailView, "raw");
  assert.deepEqual(p.filter, { method: "initialize" });
  assert.deepEqual(p.caps, { fsRead: true });
  assert.equal((p as Record<string, unknown>).token, undefined);
});

test("stored caps only set ticks the app knows; a filter field added later keeps its default", () => {
  const caps = prefOr({ caps: { fsRead: true, madeUp: true } as Partial<ClientCaps> }, "caps", CAPS);
  assert.deepEqual(caps, { ...CAPS, fsRead: true });
  assert.deepEqual(prefOr({ filter: { dir: "out" } }, "filter", EMPTY_FILTER), { ...EMPTY_FILTER, dir: "out" });
});

test("a search text that looks like a key or token is never written", () => {
  const storage = new MapStorage();
  const s = new UiPrefsStore(storage);
  s.set("filter", { ...EMPTY_FILTER, text: "sk-proj-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c" });
  assert.ok(!(storage.map.get(PREFS_KEY) ?? "").includes("4f9a8b7c6d5e"));
  assert.equal(new UiPrefsStore(storage).get().filter?.text, undefined);
  assert.ok(looksLikeSecret("ghp_0123456789abcdefABCDEF0123456789"));
  assert.ok(!looksLikeSecret("session/new"));
  assert.ok(!looksLikeSecret("Authentication required -32000"));
});

test("a throwing or missing storage never breaks the page", () => {
  const broken: PrefsStorage = {
    getItem: () => {
      throw new Error("denied");
    },
    setItem: () => {
      throw new Error("quota");
    },
    removeItem: () => {
      throw new Error("denied");
    },
  };
  const s = new UiPrefsStore(broken);
  s.set("side", "session");
  assert.equal(s.get().side, "session", "kept for this page");
  s.reset();
  assert.deepEqual(new UiPrefsStore(undefined).get(), {});
});

test("subscribers hear each change, with a new snapshot object", () => {
  const s = new UiPrefsStore(new MapStorage());
  const before = s.get();
  let calls = 0;
  const off = s.subscribe(() => calls++);
  s.set("seqWide", true);
  assert.equal(calls, 1);
  assert.notEqual(s.get(), before);
  off();
  s.set("seqWide", false);
  assert.equal(calls, 1);
});

test("serialize writes only valid fields", () => {
  const doc = JSON.parse(serializePrefs({ side: "auth", theme: "neon" as "dark" })) as { prefs: Record<string, unknown> };
  assert.deepEqual(doc.prefs, { side: "auth" });
});

function frame(seq: number): Frame {
  return { seq, runId: "run-1", t: seq, wall: seq, dir: "in", kind: "notification", raw: "{}", bytes: 2 };
}

test("Clear hides the frames up to the mark and counts them; later frames show", () => {
  const frames = [1, 2, 3, 5, 8].map(frame);
  assert.equal(clearMark(frames), 8);
  assert.equal(clearMark([]), undefined);
  assert.deepEqual(afterClear(frames, undefined), { visible: frames, hidden: 0 });
  const cut = afterClear(frames, 3);
  assert.deepEqual(cut.visible.map((f) => f.seq), [5, 8]);
  assert.equal(cut.hidden, 3);
  assert.deepEqual(afterClear(frames, 8), { visible: [], hidden: 5 });
  assert.deepEqual(afterClear(frames, 0).hidden, 0);
  assert.deepEqual(afterClear(frames, 4).visible.map((f) => f.seq), [5, 8]);
});
