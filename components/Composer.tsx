/** The raw JSON composer: sends any text, valid or not, with a template for every client→agent method. */
import { useState } from "react";
import type { MessageTemplate } from "../lib/templates";

export interface ComposerProps {
  templates: readonly MessageTemplate[];
  text: string;
  running: boolean;
  onTextChange: (text: string) => void;
  onPickTemplate: (method: string) => void;
  onSend: (text: string) => void;
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

export function Composer(p: ComposerProps) {
  const [compact, setCompact] = useState(true);
  const [open, setOpen] = useState(false);
  const parsesAsJson = (() => {
    try {
      JSON.parse(p.text);
      return true;
    } catch {
      return false;
    }
  })();
  return (
    <details className="composer" open={open} onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)} data-testid="composer">
      <summary>Raw JSON composer</summary>
      <div className="composer-row">
        <select data-testid="composer-template" value="" onChange={(e) => e.target.value && p.onPickTemplate(e.target.value)}>
          <option value="">Template…</option>
          {p.templates.map((t) => (
            <option key={t.method} value={t.method} title={t.description}>
              {t.method}
              {t.kind === "notification" ? " (notification)" : ""}
              {t.status === "legacy" ? " (legacy)" : ""}
            </option>
          ))}
        </select>
        <label title="Pretty JSON is sent as one compact line, as NDJSON requires">
          <input type="checkbox" checked={compact} onChange={(e) => setCompact(e.target.checked)} /> send as one line
        </label>
        <span className={parsesAsJson ? "muted" : "warn"} data-testid="composer-validity">
          {p.text.trim() === "" ? "" : parsesAsJson ? "valid JSON" : "not JSON — will be sent verbatim"}
        </span>
        <button
          type="button"
          className="primary"
          data-testid="btn-composer-send"
          disabled={!p.running || p.text.length === 0}
          onClick={() => p.onSend(compact ? toWireLine(p.text).line : p.text.replace(/\r?\n/g, " "))}
        >
          Send
        </button>
      </div>
      <textarea data-testid="composer-text" value={p.text} onChange={(e) => p.onTextChange(e.target.value)} spellCheck={false} rows={8} />
    </details>
  );
}
