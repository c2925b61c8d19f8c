/**
 * UI settings remembered across reloads: the side tab, the filters, the client capability ticks,
 * the scenario, the composer, the theme choice, the sequence view, the agent picker, the frame
 * detail's view, the side panes' sizes and folds, and each run's Clear mark. Framework-free (a store with get/set/subscribe over a Storage-like object) so the
 * node tests drive it with a Map; React reads it through lib/client/use-ui-pref.ts.
 *
 * What is stored is read back as untrusted data: one versioned key, every field checked against its
 * shape on read, anything else (old versions, junk, a field of the wrong type) silently ignored, so
 * a bad entry can cost a preference but never break the page. Secrets, the token, prompt and
 * composer text are never stored; a search text that looks like a key is not remembered either.
 */
import type { FrameFilter } from "../filters";
import { LANES, type Lane } from "../lanes";
import type { ClearMarks } from "../log-clear";
import type { ClientCaps } from "../wire";

export const PREFS_KEY = "acp-playground.ui-prefs";
export const PREFS_VERSION = 1;

export const SIDE_TABS = ["detail", "transcript", "auth", "session", "sequence", "conformance"] as const;
export type SideTab = (typeof SIDE_TABS)[number];
export const THEMES = ["system", "light", "dark"] as const;
/** The theme toggle's choice; "system" follows `prefers-color-scheme`. */
export type ThemeChoice = (typeof THEMES)[number];
export const DETAIL_VIEWS = ["tree", "pretty", "raw"] as const;
export type DetailView = (typeof DETAIL_VIEWS)[number];

/** The workspace's side panes (components/Workspace.tsx); the centre pane takes what they leave. */
export const SIDE_PANES = ["sidebar", "inspector"] as const;
export type SidePaneId = (typeof SIDE_PANES)[number];
/**
 * The side panes as the user left them: each one's open size in % of the workspace (kept while it
 * is folded, so unfolding brings that size back) and whether it is folded to its rail.
 */
export interface PaneLayout {
  sizes: Record<SidePaneId, number>;
  folded: Record<SidePaneId, boolean>;
}
export const DEFAULT_PANES: PaneLayout = { sizes: { sidebar: 20, inspector: 34 }, folded: { sidebar: false, inspector: false } };
/**
 * What a stored layout may hold, in %: each side pane between min and max, both together at most
 * `together`, so the centre always keeps a share. The panes' own px limits apply on top when the
 * layout is restored (the library validates it against the current width).
 */
export const PANE_SIZE = { min: 5, max: 80, together: 90 } as const;
/** A stored Clear mark per listed run at most; runs beyond this many are long gone from the list. */
export const MAX_CLEAR_MARKS = 500;

export interface UiPrefs {
  side: SideTab;
  filter: FrameFilter;
  /** Client capability ticks; stored ones are merged over the caller's defaults. */
  caps: ClientCaps;
  scenario: string;
  composerOpen: boolean;
  /** The composer textarea's height in px, as the user resized it. */
  composerHeight: number;
  theme: ThemeChoice;
  seqWide: boolean;
  agentId: string;
  detailView: DetailView;
  panes: PaneLayout;
  /** Clear marks by run key (lib/log-clear.ts runKey), pruned to the listed runs. */
  clearMarks: ClearMarks;
}
export type PrefKey = keyof UiPrefs;
/** What storage holds: object prefs partially (a field the app adds later keeps its default). */
export type StoredPrefs = { [K in PrefKey]?: K extends "filter" ? Partial<FrameFilter> : K extends "caps" ? Partial<ClientCaps> : UiPrefs[K] };

/** Where prefs live: window.localStorage in the browser, a Map-backed stand-in in tests. */
export interface PrefsStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

const MAX_TEXT = 200;
export const COMPOSER_HEIGHT = { min: 60, max: 900 } as const;

/** One long run of key-like characters with letters and digits: an API key or token pasted into search. */
export function looksLikeSecret(text: string): boolean {
  return /[A-Za-z0-9_\-.+/=]{24,}/.test(text) && /\d/.test(text) && /[A-Za-z]/.test(text);
}

const isBool = (v: unknown): v is boolean => typeof v === "boolean";
const shortText = (v: unknown): v is string => typeof v === "string" && v.length <= MAX_TEXT;
function oneOf<T extends string>(list: readonly T[]): (v: unknown) => v is T {
  return (v: unknown): v is T => typeof v === "string" && (list as readonly string[]).includes(v);
}
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The valid fields of a stored filter; the rest of the filter comes from the caller's default. */
function readFilter(v: unknown): Partial<FrameFilter> | undefined {
  if (!isRecord(v)) return undefined;
  const f: Partial<FrameFilter> = {};
  if (oneOf(["all", "out", "in"] as const)(v.dir)) f.dir = v.dir;
  if (shortText(v.method)) f.method = v.method;
  if (isBool(v.errorsOnly)) f.errorsOnly = v.errorsOnly;
  if (isBool(v.hideChunks)) f.hideChunks = v.hideChunks;
  if (shortText(v.text) && !looksLikeSecret(v.text)) f.text = v.text;
  if (Array.isArray(v.hiddenLanes) && v.hiddenLanes.every(oneOf(LANES))) f.hiddenLanes = [...new Set(v.hiddenLanes as Lane[])];
  return f;
}

/** Boolean ticks by name; which names count is decided on use, against the caller's defaults (prefOr). */
function readCaps(v: unknown): Partial<ClientCaps> | undefined {
  if (!isRecord(v)) return undefined;
  const caps: Record<string, boolean> = {};
  for (const [name, value] of Object.entries(v)) if (/^[A-Za-z]{1,40}$/.test(name) && isBool(value)) caps[name] = value;
  return caps as Partial<ClientCaps>;
}

const isPaneSize = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v >= PANE_SIZE.min && v <= PANE_SIZE.max;

/** All or nothing: a stored layout with any field missing, of the wrong type or out of range is the default layout. */
export function readPanes(v: unknown): PaneLayout | undefined {
  if (!isRecord(v) || !isRecord(v.sizes) || !isRecord(v.folded)) return undefined;
  const { sizes, folded } = v;
  const sidebar = sizes.sidebar;
  const inspector = sizes.inspector;
  if (!isPaneSize(sidebar) || !isPaneSize(inspector) || sidebar + inspector > PANE_SIZE.together) return undefined;
  if (!isBool(folded.sidebar) || !isBool(folded.inspector)) return undefined;
  return { sizes: { sidebar, inspector }, folded: { sidebar: folded.sidebar, inspector: folded.inspector } };
}

/**
 * The stored panes after a layout change the user made: an open pane takes its new size (as the
 * library reports it, in %), a folded one keeps its open size; the result is checked like a stored
 * one, and a change that would not pass keeps the previous layout's sizes.
 */
export function panesAfter(prev: PaneLayout, layout: Readonly<Record<string, number>>, folded: Record<SidePaneId, boolean>): PaneLayout {
  const size = (id: SidePaneId): number => (folded[id] || !isPaneSize(layout[id]) ? prev.sizes[id] : Math.round(layout[id] * 100) / 100);
  return readPanes({ sizes: { sidebar: size("sidebar"), inspector: size("inspector") }, folded }) ?? { sizes: prev.sizes, folded: { ...folded } };
}

/** The library's layout (panel id → %) for the stored panes, open sizes; folding is applied after. */
export function groupLayout(panes: PaneLayout): Record<SidePaneId | "centre", number> {
  const { sidebar, inspector } = panes.sizes;
  return { sidebar, centre: Math.round((100 - sidebar - inspector) * 100) / 100, inspector };
}

const RUN_KEY = /^[A-Za-z0-9_.:-]{1,100}@\d{1,16}$/;
/** Field by field: a mark with a malformed run key or a seq that is not a count is dropped, the rest stay. */
function readClearMarks(v: unknown): ClearMarks | undefined {
  if (!isRecord(v)) return undefined;
  const marks: Record<string, number> = {};
  for (const [key, seq] of Object.entries(v).slice(0, MAX_CLEAR_MARKS)) if (RUN_KEY.test(key) && Number.isSafeInteger(seq) && (seq as number) >= 0) marks[key] = seq as number;
  return marks;
}

/** Each field's reader: the value when it has the right shape, else undefined (the field is dropped). */
const READERS: { [K in PrefKey]-?: (v: unknown) => StoredPrefs[K] | undefined } = {
  side: (v) => (oneOf(SIDE_TABS)(v) ? v : undefined),
  filter: readFilter,
  caps: readCaps,
  scenario: (v) => (shortText(v) ? v : undefined),
  composerOpen: (v) => (isBool(v) ? v : undefined),
  composerHeight: (v) => (typeof v === "number" && Number.isFinite(v) ? Math.round(Math.min(COMPOSER_HEIGHT.max, Math.max(COMPOSER_HEIGHT.min, v))) : undefined),
  theme: (v) => (oneOf(THEMES)(v) ? v : undefined),
  seqWide: (v) => (isBool(v) ? v : undefined),
  agentId: (v) => (shortText(v) ? v : undefined),
  detailView: (v) => (oneOf(DETAIL_VIEWS)(v) ? v : undefined),
  panes: readPanes,
  clearMarks: readClearMarks,
};

function readField<K extends PrefKey>(key: K, value: unknown, into: StoredPrefs): void {
  const read = READERS[key](value) as StoredPrefs[K] | undefined;
  if (read !== undefined) into[key] = read;
}

/** Parse what the storage held: the valid fields of a current-version document, else nothing. */
export function parsePrefs(text: string | null): StoredPrefs {
  if (text === null) return {};
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return {};
  }
  if (!isRecord(doc) || doc.v !== PREFS_VERSION || !isRecord(doc.prefs)) return {};
  const out: StoredPrefs = {};
  for (const key of Object.keys(READERS) as PrefKey[]) if (key in doc.prefs) readField(key, doc.prefs[key], out);
  return out;
}

/** The stored document for a set of prefs (only valid fields go in). */
export function serializePrefs(prefs: StoredPrefs): string {
  return JSON.stringify({ v: PREFS_VERSION, prefs: parsePrefs(JSON.stringify({ v: PREFS_VERSION, prefs })) });
}

/**
 * A pref's effective value: the stored one, or the fallback. Object prefs (filter, caps) are merged
 * over the fallback, so a field added to the app later keeps its default for old stored documents;
 * caps only take names the fallback knows.
 */
export function prefOr<K extends PrefKey>(prefs: StoredPrefs, key: K, fallback: UiPrefs[K]): UiPrefs[K] {
  const stored = prefs[key];
  if (stored === undefined) return fallback;
  if (key === "caps") {
    const base = fallback as unknown as Record<string, boolean>;
    const merged: Record<string, boolean> = { ...base };
    for (const [name, value] of Object.entries(stored as Record<string, boolean>)) if (name in base) merged[name] = value;
    return merged as unknown as UiPrefs[K];
  }
  if (key === "filter") return { ...(fallback as FrameFilter), ...(stored as Partial<FrameFilter>) } as UiPrefs[K];
  return stored as UiPrefs[K];
}

/** The prefs store: one snapshot object (a new one per change, for useSyncExternalStore), written through. */
export class UiPrefsStore {
  private prefs: StoredPrefs;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly storage: PrefsStorage | undefined, private readonly key = PREFS_KEY) {
    this.prefs = parsePrefs(this.read());
  }

  private read(): string | null {
    try {
      return this.storage?.getItem(this.key) ?? null;
    } catch {
      // Storage can be disabled (privacy settings) or throw on access: no prefs, no failure.
      return null;
    }
  }

  get = (): StoredPrefs => this.prefs;

  set<K extends PrefKey>(key: K, value: UiPrefs[K]): void {
    const next: StoredPrefs = { ...this.prefs };
    readField(key, value, next);
    if (READERS[key](value) === undefined) delete next[key];
    this.prefs = next;
    try {
      this.storage?.setItem(this.key, serializePrefs(next));
    } catch {
      // A full or disabled storage keeps the pref for this page only.
    }
    for (const listener of this.listeners) listener();
  }

  /** Forget every remembered setting. */
  reset(): void {
    this.prefs = {};
    try {
      this.storage?.removeItem(this.key);
    } catch {
      // Nothing stored, nothing to forget.
    }
    for (const listener of this.listeners) listener();
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };
}
