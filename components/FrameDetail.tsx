/**
 * One frame in full: pretty JSON, the raw line exactly as it crossed stdio, and its paired request
 * or response. The out-of-band lanes (HTTP hop, home change, agent-log line) get a summary of
 * their own above the raw record: the hop's fields, the masked diff of a JSON/TOML file.
 */
import { laneSummary } from "../lib/lanes";
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
  /** Offered where an OAuth failure is behind the frame, error or not: open its "Why?". */
  onWhyOAuth?: () => void;
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

/** The lane's own view: one summary line, then the hop's fields or the file's masked diff. */
function LaneBody({ frame }: { frame: Frame }) {
  const summary = laneSummary(frame);
  if (summary === undefined) return null;
  const h = frame.http;
  const home = frame.home;
  return (
    <section className="lane-detail" data-testid="lane-detail" data-lane={frame.kind}>
      <div className="lane-summary" data-testid="lane-summary">
        {summary}
      </div>
      {h ? (
        <dl className="lane-fields" data-testid="lane-http">
          <dt>server</dt>
          <dd>{h.host === "oauth" ? "auth server (OAuth emulator)" : "model API"}</dd>
          <dt>request</dt>
          <dd>
            {h.method} <code>{h.path}</code>
          </dd>
          <dt>status</dt>
          <dd>{h.status ?? `no answer${h.error ? ` (${h.error})` : ""}`}</dd>
          {h.ms !== undefined ? (
            <>
              <dt>latency</dt>
              <dd>{h.ms} ms</dd>
            </>
          ) : null}
          {h.grantType ? (
            <>
              <dt>grant type</dt>
              <dd>{h.grantType}</dd>
            </>
          ) : null}
        </dl>
      ) : null}
      {home?.diff?.length ? (
        <table className="lane-diff" data-testid="home-diff">
          <tbody>
            {home.diff.map((d) => (
              <tr key={`${d.op}|${d.key}`} data-op={d.op}>
                <td>{d.op === "add" ? "+" : d.op === "remove" ? "−" : "~"}</td>
                <td>
                  <code>{d.key}</code>
                </td>
                <td>{d.from ?? ""}</td>
                <td>{d.op === "change" ? "→" : ""}</td>
                <td>{d.to ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {home?.diffTruncated ? <div className="muted">…and {home.diffTruncated} more keys</div> : null}
      {frame.agentLog ? (
        <div className="muted" data-testid="lane-agent-log">
          {frame.agentLog.file}, line {frame.agentLog.line}
        </div>
      ) : null}
    </section>
  );
}

export function FrameDetail({ frame, pair, onSelect, onClose, onWhy, onWhyOAuth }: FrameDetailProps) {
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
      {onWhyOAuth ? (
        <button type="button" className="primary" data-testid="btn-why-oauth" onClick={onWhyOAuth}>
          Why? (OAuth)
        </button>
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
      <LaneBody frame={frame} />
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
