"use client";
/**
 * React's view of the remembered UI settings (lib/client/ui-prefs.ts): `usePref(key, fallback)` is
 * a drop-in for `useState(fallback)` that survives reloads. The server render and the first client
 * render use the fallback (no hydration mismatch); the stored value follows right after.
 */
import { useCallback, useMemo, useSyncExternalStore } from "react";
import { prefOr, type PrefKey, type StoredPrefs, UiPrefsStore, type UiPrefs } from "./ui-prefs";

let shared: UiPrefsStore | undefined;
const EMPTY: StoredPrefs = {};

/** The page's one prefs store over localStorage (none during the server render). */
export function uiPrefsStore(): UiPrefsStore | undefined {
  if (typeof window === "undefined") return undefined;
  if (!shared) {
    let storage: Storage | undefined;
    try {
      storage = window.localStorage;
    } catch {
      storage = undefined;
    }
    shared = new UiPrefsStore(storage);
  }
  return shared;
}

const noop = (): (() => void) => () => undefined;

/** `fallback` must be a stable value (a module constant): it is part of the memo key. */
export function usePref<K extends PrefKey>(key: K, fallback: UiPrefs[K]): [UiPrefs[K], (value: UiPrefs[K]) => void] {
  const store = uiPrefsStore();
  const prefs = useSyncExternalStore(store?.subscribe ?? noop, store?.get ?? (() => EMPTY), () => EMPTY);
  const set = useCallback((value: UiPrefs[K]) => uiPrefsStore()?.set(key, value), [key]);
  const stored = prefs[key];
  // One object per stored value: filter and caps feed memoized views over the whole log.
  const value = useMemo(() => prefOr({ [key]: stored }, key, fallback), [key, stored, fallback]);
  return [value, set];
}
