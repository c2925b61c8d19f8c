/**
 * The bug report, shown before it leaves the page: the redacted Markdown in a read-only box, with
 * "Copy to clipboard" (for pasting into an issue) and "Download". Reading it first is the point:
 * the user sees exactly what they are about to share. `load` fetches the text (props only here).
 */
import { useEffect, useRef, useState } from "react";
import { Modal } from "./Modal";

export interface ReportPreviewProps {
  runId: string;
  /** Where Download points: the relay's report route for the run. */
  href: string;
  load: () => Promise<string>;
  onClose: () => void;
}

type Loaded = { state: "loading" } | { state: "ready"; text: string } | { state: "failed"; message: string };

const COPIED_MS = 2000;

export function ReportPreview({ runId, href, load, onClose }: ReportPreviewProps) {
  const [loaded, setLoaded] = useState<Loaded>({ state: "loading" });
  const [copied, setCopied] = useState<"yes" | "failed">();
  const boxRef = useRef<HTMLTextAreaElement>(null);
  // One load per opened run; `load` is a fresh closure on every parent render.
  const loadRef = useRef(load);
  loadRef.current = load;

  useEffect(() => {
    let live = true;
    loadRef.current().then(
      (text) => live && setLoaded({ state: "ready", text }),
      (error: unknown) => live && setLoaded({ state: "failed", message: error instanceof Error ? error.message : String(error) }),
    );
    return () => {
      live = false;
    };
  }, [runId]);

  useEffect(() => {
    if (!copied) return;
    const t = setTimeout(() => setCopied(undefined), COPIED_MS);
    return () => clearTimeout(t);
  }, [copied]);

  const copy = async (): Promise<void> => {
    if (loaded.state !== "ready") return;
    try {
      await navigator.clipboard.writeText(loaded.text);
      setCopied("yes");
    } catch {
      // No clipboard permission (an http origin other than loopback): select it for Ctrl+C instead.
      boxRef.current?.select();
      setCopied("failed");
    }
  };

  return (
    <Modal title={`Bug report: ${runId}`} testId="report-preview" closeTestId="btn-close-report" onClose={onClose}>
      <div className="report-preview">
        <p className="muted small">Secrets are replaced by ‹redacted› and local paths by &lt;home&gt;, &lt;data&gt; and &lt;tmp&gt;. Read it before you share it.</p>
        {loaded.state === "loading" ? (
          <p className="muted" role="status" data-testid="report-loading">
            <span className="spinner" aria-hidden="true" /> Building the report…
          </p>
        ) : loaded.state === "failed" ? (
          <div className="problem" role="alert" data-testid="report-error">
            {loaded.message}
          </div>
        ) : (
          <textarea ref={boxRef} className="report-text" data-testid="report-text" aria-label="Report (Markdown)" readOnly value={loaded.text} spellCheck={false} />
        )}
        <div className="button-row">
          <button type="button" className="primary" data-testid="btn-report-copy" disabled={loaded.state !== "ready"} onClick={() => void copy()}>
            Copy to clipboard
          </button>
          <a href={href} download className="button" data-testid="btn-report-download">
            Download
          </a>
          <span role="status" className="muted small" data-testid="report-copied" data-state={copied ?? ""}>
            {copied === "yes" ? "✓ Copied" : copied === "failed" ? "Copy is blocked here: the text is selected, press Ctrl+C" : ""}
          </span>
        </div>
      </div>
    </Modal>
  );
}
