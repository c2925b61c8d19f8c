/**
 * A copy button with a confirmation tick: the Clipboard API where the page may use it, else a
 * hidden-textarea `execCommand("copy")` (plain-http hosts other than localhost, older browsers).
 * `data-state` (idle | copied | failed) is what the tests wait on; a failure says so in the button.
 */
import { useEffect, useRef, useState } from "react";

export interface CopyButtonProps {
  /** The text to copy, computed on click (a pair or a whole payload need not be built per render). */
  text: () => string;
  label: string;
  testId: string;
  title?: string;
}

function fallbackCopy(text: string): boolean {
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.appendChild(area);
  area.select();
  try {
    return document.execCommand("copy");
  } catch {
    return false;
  } finally {
    area.remove();
  }
}

export async function copyText(text: string): Promise<boolean> {
  if (typeof navigator !== "undefined" && navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // Permission refused or the document lost focus: try the old way.
    }
  }
  return fallbackCopy(text);
}

export function CopyButton({ text, label, testId, title }: CopyButtonProps) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  return (
    <button
      type="button"
      className="copy-button"
      data-testid={testId}
      data-state={state}
      aria-live="polite"
      title={title ?? `Copy ${label}`}
      onClick={async () => {
        const ok = await copyText(text());
        setState(ok ? "copied" : "failed");
        clearTimeout(timer.current);
        timer.current = setTimeout(() => setState("idle"), 1600);
      }}
    >
      {state === "copied" ? "✓ copied" : state === "failed" ? "✗ copy failed" : `Copy ${label}`}
    </button>
  );
}
