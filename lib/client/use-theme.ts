"use client";
/**
 * The colour theme: "system" follows prefers-color-scheme, "light" and "dark" override it. The
 * choice is a remembered UI pref (lib/client/ui-prefs.ts); here it is applied as
 * <html data-theme="…">, which app/globals.css keys its palette on. app/layout.tsx sets the same
 * attribute before the first paint (lib/client/theme-boot.ts), so a reload in light mode never flashes dark.
 */
import { useEffect } from "react";
import type { ThemeChoice } from "./ui-prefs";
import { usePref } from "./use-ui-pref";

export function useTheme(): [ThemeChoice, (theme: ThemeChoice) => void] {
  const [theme, setTheme] = usePref("theme", "system");
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  return [theme, setTheme];
}

