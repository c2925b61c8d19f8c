/**
 * Remembered UI settings (lib/client/ui-prefs.ts): a round trip through storage, and that whatever
 * storage holds (junk, old versions, wrong types, secrets) costs at most a preference.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { EMPTY_FILTER } from "../lib/filters";
import { afterClear, clearMark, keptMarks, runKey } from "../lib/log-clear";
import { DEFAULT_PANES, groupLayout, looksLikeSecret, MAX_CLEAR_MARKS, type PaneLayout, panesAfter, parsePrefs, type PrefsStorage, PREFS_KEY, PREFS_VERSION, prefOr, readPanes, serializePrefs, UiPrefsStore } from "../lib/client/ui-prefs";
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

const OPEN = { sidebar: false, inspector: false };
const doc = (prefs: Record<string, unknown>): string => JSON.stringify({ v: PREFS_VERSION, prefs });

test("pane sizes and folds survive a reload; the library's layout gives the centre the rest", () => {
  const storage = new MapStorage();
  const panes: PaneLayout = { sizes: { sidebar: 17.5, inspector: 48.25 }, folded: { sidebar: true, inspector: false } };
  new UiPrefsStore(storage).set("panes", panes);
  const restored = prefOr(new UiPrefsStore(storage).get(), "panes", DEFAULT_PANES);
  assert.deepEqual(restored, panes);
  assert.deepEqual(groupLayout(restored), { sidebar: 17.5, centre: 34.25, inspector: 48.25 });
  assert.deepEqual(groupLayout(DEFAULT_PANES), { sidebar: 20, centre: 46, inspector: 34 });
});

test("a corrupt or out-of-range stored pane layout is the default layout, as a whole; other prefs stay", () => {
  const bad: unknown[] = [
    "wide",
    null,
    [],
    { sizes: { sidebar: 20, inspector: 34 } },
    { sizes: { sidebar: 20, inspector: 34 }, folded: { sidebar: "yes", inspector: false } },
    { sizes: { sidebar: 20 }, folded: OPEN },
    { sizes: { sidebar: "20", inspector: 34 }, folded: OPEN },
    { sizes: { sidebar: Number.NaN, inspector: 34 }, folded: OPEN },
    { sizes: { sidebar: 2, inspector: 34 }, folded: OPEN },
    { sizes: { sidebar: 20, inspector: 85 }, folded: OPEN },
    { sizes: { sidebar: -20, inspector: 34 }, folded: OPEN },
    { sizes: { sidebar: 45, inspector: 50 }, folded: OPEN },
  ];
  for (const panes of bad) {
    const read = parsePrefs(doc({ panes, side: "auth" }));
    assert.equal(read.panes, undefined, JSON.stringify(panes));
    assert.deepEqual(prefOr(read, "panes", DEFAULT_PANES), DEFAULT_PANES);
    assert.equal(read.side, "auth");
  }
  // JSON has no NaN or Infinity; a number too big to be a share is out of range like any other.
  assert.equal(readPanes({ sizes: { sidebar: 1e308, inspector: 34 }, folded: OPEN }), undefined);
  // The limits themselves are in range; extra fields are not kept.
  assert.deepEqual(readPanes({ sizes: { sidebar: 5, inspector: 80, centre: 15 }, folded: { ...OPEN, extra: true } }), { sizes: { sidebar: 5, inspector: 80 }, folded: OPEN });
  // Setting an invalid layout forgets the stored one rather than keeping junk.
  const store = new UiPrefsStore(new MapStorage());
  store.set("panes", { sizes: { sidebar: 30, inspector: 30 }, folded: OPEN });
  store.set("panes", { sizes: { sidebar: 60, inspector: 60 }, folded: OPEN });
  assert.equal(store.get().panes, undefined);
});

test("after a drag an open pane takes its new size; a folded one keeps its open size; an impossible change keeps the old sizes", () => {
  const prev: PaneLayout = { sizes: { sidebar: 20, inspector: 34 }, folded: OPEN };
  assert.deepEqual(panesAfter(prev, { sidebar: 22.123, centre: 30, inspector: 47.877 }, OPEN), { sizes: { sidebar: 22.12, inspector: 47.88 }, folded: OPEN });
  // Folded to its rail (2% of the width): the stored size stays the open one, so unfolding restores it.
  assert.deepEqual(panesAfter(prev, { sidebar: 2.1, centre: 61.9, inspector: 36 }, { sidebar: true, inspector: false }), { sizes: { sidebar: 20, inspector: 36 }, folded: { sidebar: true, inspector: false } });
  // A layout without a pane's size, or one the reader would refuse, keeps the previous sizes.
  assert.deepEqual(panesAfter(prev, { centre: 50 }, OPEN), prev);
  assert.deepEqual(panesAfter(prev, { sidebar: 50, centre: 5, inspector: 45 }, OPEN).sizes, prev.sizes);
});

test("Clear marks: keyed by run id and start time, checked field by field, kept only for listed runs", () => {
  const run1 = { runId: "run-1", startedAt: 1764651000123 };
  const run2 = { runId: "run-2", startedAt: 1764651000999 };
  assert.equal(runKey(run1), "run-1@1764651000123");
  const storage = new MapStorage();
  new UiPrefsStore(storage).set("clearMarks", { [runKey(run1)]: 12, [runKey(run2)]: 0 });
  assert.deepEqual(prefOr(new UiPrefsStore(storage).get(), "clearMarks", {}), { "run-1@1764651000123": 12, "run-2@1764651000999": 0 });
  // Malformed keys and seqs that are not counts are dropped; the good mark stays.
  const read = parsePrefs(doc({ clearMarks: { "run-1@5": 3, "run 1@5": 3, "run-2": 4, "run-3@6": -1, "run-4@7": 1.5, "run-5@8": "9", "<img>@9": 1 } }));
  assert.deepEqual(read.clearMarks, { "run-1@5": 3 });
  const many = Object.fromEntries(Array.from({ length: MAX_CLEAR_MARKS + 50 }, (_, i) => [`run-${i}@1`, i]));
  assert.equal(Object.keys(parsePrefs(doc({ clearMarks: many })).clearMarks ?? {}).length, MAX_CLEAR_MARKS);

  const marks = { [runKey(run1)]: 12, [runKey(run2)]: 7 };
  // Both runs listed: the same object (no write needed).
  assert.equal(keptMarks(marks, [run2, run1]), marks);
  // run-1 cleared from the list: its mark goes.
  assert.deepEqual(keptMarks(marks, [run2]), { [runKey(run2)]: 7 });
  // A new server start lists a different run-1 (same id, later start): the old mark must not hide its frames.
  assert.deepEqual(keptMarks(marks, [{ runId: "run-1", startedAt: run1.startedAt + 60_000 }]), {});
  assert.deepEqual(keptMarks({}, []), {});
});
