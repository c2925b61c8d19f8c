/**
 * The raw JSON composer: sends any text, valid or not, with a template for every client→agent
 * method. Ctrl/Cmd+Enter sends. It folds away, and its textarea is resizable but capped, so it never
 * pushes the frame list off the screen; the container remembers whether it is open and its height.
 */
import { useEffect, useRef, useState } from "react";
import type { MessageTemplate } from "../lib/templates";
import s from "./Composer.module.css";

export interface ComposerProps {
  templates: readonly MessageTemplate[];
  text: string;
  running: boolean;
  onTextChange: (text: string) => void;
  onPickTemplate: (method: string) => void;
  onSend: (text: string) => void;
  /** Open or folded; without it the composer keeps its own state (folded). */
  open?: boolean;
  onOpenChange?: (open: boolean) => void;
  /** The textarea's height in px, as the user last resized it. */
  height?: number;
  onHeightChange?: (height: number) => void;
}

/** Pretty JSON has newlines, which would split one message into several NDJSON lines; send it compact. */
export function toWireLine(text: string): { line: string; compacted: boolean } {
  try {
    const value = JSON.parse(text) as unknown;
    const line = JSON.stringify(value);
    return { line, compacted: line !== text };
  } catch {
    return { line: text, compacted: false };
  }
}

/** Ctrl+Enter, or Cmd+Enter on a Mac, sends; plain Enter is a newline. */
export function isSendShortcut(e: { key: string; ctrlKey: boolean; metaKey: boolean; altKey: boolean; shiftKey: boolean }): boolean {
  return e.key === "Enter" && (e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey;
}

export function Composer(p: ComposerProps) {
  const [compact, setCompact] = useState(true);
  const [ownOpen, setOwnOpen] = useState(false);
  const open = p.open ?? ownOpen;
  const area = useRef<HTMLTextAreaElement>(null);
  const onHeightChange = p.onHeightChange;
  // Remember a drag of the resize handle (not every layout pass): report when the height settles.
  useEffect(() => {
    const el = area.current;
    if (!el || !onHeightChange || typeof ResizeObserver === "undefined") return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let last = el.offsetHeight;
    const observer = new ResizeObserver(() => {
      const h = el.offsetHeight;
      if (h === 0 || h === last) return;
      last = h;
      clearTimeout(timer);
      timer = setTimeout(() => onHeightChange(h), 300);
    });
    observer.observe(el);
    return () => {
      observer.disconnect();
      clearTimeout(timer);
    };
  }, [onHeightChange, open]);
  const parsesAsJson = (() => {
    try {
      JSON.parse(p.text);
      return true;
    } catch {
      return false;
    }
  })();
  const canSend = p.running && p.text.length > 0;
  const send = () => {
    if (canSend) p.onSend(compact ? toWireLine(p.text).line : p.text.replace(/\r?\n/g, " "));
  };
  return (
    <details
      className={`composer ${s.composer}`}
      open={open}
      onToggle={(e) => {
        const next = (e.target as HTMLDetailsElement).open;
        if (next === open) return;
        if (p.onOpenChange) p.onOpenChange(next);
        else setOwnOpen(next);
      }}
      data-testid="composer"
      data-state={open ? "open" : "closed"}
    >
      <summary data-testid="composer-toggle">Raw JSON composer</summary>
      <div className={`composer-row ${s.row}`}>
        <select data-testid="composer-template" aria-label="Message template" value="" onChange={(e) => e.target.value && p.onPickTemplate(e.target.value)}>
          <option value="">Template…</option>
          {p.templates.map((t) => (
            <option key={t.method} value={t.method} title={t.description}>
              {t.method}
              {t.kind === "notification" ? " (notification)" : ""}
              {t.status === "legacy" ? " (legacy)" : t.status === "unstable" ? " (unstable)" : ""}
            </option>
          ))}
        </select>
        <label className={s.nowrap} title="Pretty JSON is sent as one compact line, as NDJSON requires">
          <input type="checkbox" data-testid="composer-compact" checked={compact} onChange={(e) => setCompact(e.target.checked)} /> send as one line
        </label>
        <span className={`${parsesAsJson ? "muted" : "warn"} ${s.validity}`} data-testid="composer-validity">
          {p.text.trim() === "" ? "" : parsesAsJson ? "valid JSON" : "not JSON — will be sent verbatim"}
        </span>
        <button type="button" className={`primary ${s.send}`} data-testid="btn-composer-send" disabled={!canSend} onClick={send} title="Send (Ctrl+Enter or ⌘+Enter)">
          Send <kbd className={s.kbd}>Ctrl+↵</kbd>
        </button>
      </div>
      <label className={s.label} htmlFor="composer-text">
        Message to write to the agent&apos;s stdin (one line; Ctrl+Enter or ⌘+Enter sends)
      </label>
      <textarea
        id="composer-text"
        ref={area}
        className={s.text}
        data-testid="composer-text"
        value={p.text}
        onChange={(e) => p.onTextChange(e.target.value)}
        onKeyDown={(e) => {
          if (!isSendShortcut(e)) return;
          e.preventDefault();
          send();
        }}
        spellCheck={false}
        rows={6}
        style={p.height ? { height: p.height } : undefined}
      />
    </details>
  );
}
