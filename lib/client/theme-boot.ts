/**
 * The inline script app/layout.tsx puts in <head>: it applies the stored theme choice before React
 * runs, so a reload in light mode never flashes dark. Not a client module on purpose: the server
 * layout needs the string itself. Reads the one prefs key; junk or any failure means "system".
 */
import { PREFS_KEY } from "./ui-prefs";

/**
 * Reads the stored theme (any failure or junk → "system").
 * Kept tiny and self-contained; it never evaluates what it reads, it only compares strings.
 */
export const THEME_BOOT_SCRIPT = `try{var p=JSON.parse(localStorage.getItem(${JSON.stringify(PREFS_KEY)})||"{}");var t=p&&p.prefs&&p.prefs.theme;document.documentElement.dataset.theme=(t==="light"||t==="dark")?t:"system"}catch(e){document.documentElement.dataset.theme="system"}`;
