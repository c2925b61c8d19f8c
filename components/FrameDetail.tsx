/** One frame in full: pretty JSON, the raw line exactly as it crossed stdio, and its paired request or response. */
import type { Frame } from "../lib/wire";
import { errorData } from "../lib/auth-frames";
import { ErrorCodeChip } from "./ErrorCodeChip";

export interface FrameDetailProps {
  frame: Frame;
  pair?: Frame;
  onSelect: (seq: number) => void;
  onClose: () => void;
  /** Offered on auth failures: open the "Why -32000?" diagnosis. */
  onWhy?: () => void;
}

function pretty(raw: string): string | undefined {
  try {
    return JSON.stringify(JSON.parse(raw), null, 2);
  } catch {
    return undefined;
  }
}

function FrameBody({ frame, testId }: { frame: Frame; testId: string }) {
  const p = frame.kind === "lifecycle" && frame.lifecycle ? JSON.stringify(frame.lifecycle, null, 2) : pretty(frame.raw);
  return (
    <div data-testid={testId}>
      {p ? <pre className="json" data-testid={`${testId}-pretty`}>{p}</pre> : null}
      <div className="raw-label">raw line ({frame.bytes} bytes)</div>
      <pre className="raw" data-testid={`${testId}-raw`}>
        {frame.raw}
      </pre>
    </div>
  );
}

export function FrameDetail({ frame, pair, onSelect, onClose, onWhy }: FrameDetailProps) {
  return (
    <aside className="frame-detail" data-testid="frame-detail" data-seq={frame.seq}>
      <header>
        <b>
          #{frame.seq} {frame.dir === "out" ? "client → agent" : frame.dir === "in" ? "agent → client" : "relay"} · {frame.kind}
          {frame.method ? ` · ${frame.method}` : ""}
        </b>
        <button type="button" onClick={onClose} aria-label="Close detail">
          ×
        </button>
      </header>
      <div className="meta muted">
        {new Date(frame.wall).toISOString()} · t={frame.t.toFixed(3)} ms
        {frame.latencyMs !== undefined ? ` · latency ${frame.latencyMs} ms` : ""}
      </div>
      {frame.errorCode !== undefined ? (
        <div className="detail-error">
          <ErrorCodeChip code={frame.errorCode} frame={frame} expanded />
          {frame.errorMessage ? <div>message: “{frame.errorMessage}”</div> : null}
          {(() => {
            const data = errorData(frame);
            return data === undefined ? null : (
              <div data-testid="detail-error-data">
                error.data: <code>{JSON.stringify(data)}</code>
              </div>
            );
          })()}
          {onWhy ? (
            <button type="button" className="primary" data-testid="btn-why" onClick={onWhy}>
              Why {frame.errorCode}?
            </button>
          ) : null}
        </div>
      ) : null}
      {frame.note ? <div className="note" data-testid="frame-note">{frame.note}</div> : null}
      {frame.injected ? <div className="warn" data-testid="frame-injected">{frame.injected}</div> : null}
      {frame.schemaNotes?.length ? (
        <div className="muted" data-testid="detail-schema-notes">
          {frame.schemaNotes.map((v) => (
            <div key={v.message}>ⓘ {v.message}</div>
          ))}
        </div>
      ) : null}
      {frame.violations?.length ? (
        <div className="problem" data-testid="detail-violations">
          Schema violations (ACP v1 JSON Schema):
          <ul>
            {frame.violations.map((v) => (
              <li key={`${v.path}|${v.message}`}>
                <code>{v.path || "/"}</code> {v.message}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      <FrameBody frame={frame} testId="detail" />
      {pair ? (
        <section className="pair" data-testid="detail-pair" data-seq={pair.seq}>
          <h4>
            <button type="button" className="link" onClick={() => onSelect(pair.seq)}>
              Paired {pair.kind === "request" ? "request" : pair.kind === "lost" ? "outcome" : "answer"} #{pair.seq}
            </button>
          </h4>
          {pair.note && pair.kind === "lost" ? <div className="note">{pair.note}</div> : null}
          <FrameBody frame={pair} testId="pair" />
        </section>
      ) : frame.kind === "request" ? (
        <div className="muted">No answer yet.</div>
      ) : null}
    </aside>
  );
}
