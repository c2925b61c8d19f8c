/**
 * One frame in full, beside its paired request or response: a collapsible JSON tree, pretty JSON
 * or the raw line exactly as it crossed stdio (one at a time, never the same text twice), copy
 * buttons (JSON, raw line, the request+response pair, a link to the frame), and the pair side by
 * side where the pane is wide enough, as tabs where it is not, or in a wide dialog on demand.
 * The out-of-band lanes (HTTP hop, home change, agent-log line) get a summary of their own; a
 * lost request shows what was lost instead of an empty line.
 */
import { useMemo, useState } from "react";
import { errorData } from "../lib/auth-frames";
import { DETAIL_VIEWS, type DetailView } from "../lib/client/ui-prefs";
import { directionLabel, relayMade } from "../lib/fault-notes";
import { laneSummary } from "../lib/lanes";
import type { Frame } from "../lib/wire";
import { CopyButton } from "./CopyButton";
import { ErrorCodeChip } from "./ErrorCodeChip";
import s from "./FrameDetail.module.css";
import { JsonTree } from "./JsonTree";
import { Modal } from "./Modal";

export interface FrameDetailProps {
  frame: Frame;
  pair?: Frame;
  onSelect: (seq: number) => void;
  onClose: () => void;
  /** Offered on auth failures: open the "Why -32000?" diagnosis. */
  onWhy?: () => void;
  /** Offered where an OAuth failure is behind the frame, error or not: open its "Why?". */
  onWhyOAuth?: () => void;
  /** Tree, pretty or raw; the container remembers it. Without it the detail keeps its own. */
  view?: DetailView;
  onViewChange?: (view: DetailView) => void;
  /** The address that opens this run and frame (lib/deep-link.ts), for "copy link". */
  shareUrl?: string;
}

const VIEW_LABELS: Record<DetailView, string> = { tree: "Tree", pretty: "Pretty", raw: "Raw" };

/** Kinds whose `raw` is a line the agent's stdin, stdout or stderr carried (the rest are relay records). */
const STDIO_KINDS: ReadonlySet<Frame["kind"]> = new Set(["request", "response", "error", "notification", "malformed", "too_large", "stderr"]);

export function crossedStdio(frame: Frame): boolean {
  return STDIO_KINDS.has(frame.kind) && !relayMade(frame);
}

/** The frame's JSON value for the tree and pretty views, or undefined when it is not JSON. */
export function frameJson(frame: Frame): unknown {
  if (frame.kind === "lifecycle" && frame.lifecycle) return frame.lifecycle;
  if (frame.kind === "lost" || frame.kind === "stderr" || frame.kind === "malformed" || frame.kind === "too_large" || frame.raw === "") return undefined;
  try {
    return JSON.parse(frame.raw) as unknown;
  } catch {
    return undefined;
  }
}

/** Request first, answer second: the order both columns and "copy pair" use. */
export function orderPair(frame: Frame, pair: Frame | undefined): [Frame, Frame | undefined] {
  if (!pair) return [frame, undefined];
  return frame.kind === "request" ? [frame, pair] : pair.kind === "request" ? [pair, frame] : frame.seq < pair.seq ? [frame, pair] : [pair, frame];
}

function roleOf(f: Frame): string {
  if (f.kind === "request") return "Request";
  if (f.kind === "lost") return "Outcome (lost)";
  if (f.kind === "response" || f.kind === "error") return "Answer";
  return f.kind;
}

function rawLabel(f: Frame): string {
  if (relayMade(f)) return `line the relay injected (${f.bytes} bytes)`;
  if (crossedStdio(f)) return `raw line (${f.bytes} bytes)${f.kind === "stderr" ? ", stderr" : ""}`;
  return `relay record (${f.raw.length} chars; not a stdio line)`;
}

/** What a lost frame stands for: the request that never got its answer, and why. */
function LostBody({ frame, testId }: { frame: Frame; testId: string }) {
  return (
    <div className={s.lost} data-testid={`${testId}-lost`}>
      <b>Nothing crossed stdio: this answer was lost.</b>
      <dl>
        {frame.method ? (
          <>
            <dt>method</dt>
            <dd>
              <code>{frame.method}</code>
            </dd>
          </>
        ) : null}
        {frame.id ? (
          <>
            <dt>id</dt>
            <dd>
              <code>{frame.id.replace(/^[ns]:/, "")}</code>
            </dd>
          </>
        ) : null}
        {frame.pairSeq !== undefined ? (
          <>
            <dt>request</dt>
            <dd>#{frame.pairSeq}, never answered</dd>
          </>
        ) : null}
        <dt>why</dt>
        <dd>{frame.note ?? "the agent exited first"}</dd>
      </dl>
    </div>
  );
}

/** One frame's body in the chosen view; a frame that is not JSON shows its raw line whatever the view. */
function FrameBody({ frame, view, testId }: { frame: Frame; view: DetailView; testId: string }) {
  const json = useMemo(() => frameJson(frame), [frame]);
  if (frame.kind === "lost") return <LostBody frame={frame} testId={testId} />;
  const isTree = view === "tree" && json !== null && typeof json === "object";
  const isPretty = !isTree && view !== "raw" && json !== undefined;
  return (
    <div className={s.body} data-testid={`${testId}-body`} data-view={isTree ? "tree" : isPretty ? "pretty" : "raw"}>
      {isTree ? (
        <JsonTree data={json as object} label={`frame #${frame.seq}`} testId={`${testId}-tree`} />
      ) : isPretty ? (
        <pre className={`json ${s.pre}`} data-testid={`${testId}-pretty`}>
          {JSON.stringify(json, null, 2)}
        </pre>
      ) : (
        <>
          <div className="raw-label">
            {rawLabel(frame)}
            {json === undefined && view !== "raw" ? " · not JSON, so shown raw" : ""}
          </div>
          {frame.raw === "" ? (
            <div className="muted" data-testid={`${testId}-raw-empty`}>
              (an empty line)
            </div>
          ) : (
            <pre className={`raw ${s.pre}`} data-testid={`${testId}-raw`}>
              {frame.raw}
            </pre>
          )}
        </>
      )}
      {frame.clipped !== undefined ? (
        <div className="muted" data-testid={`${testId}-clipped`}>
          This tab holds the first {frame.raw.length} of {frame.clipped} characters; the trace export keeps the whole line.
        </div>
      ) : null}
    </div>
  );
}

/** A column's test ids: the section, and the prefix of its body's parts (`<body>-raw`, `<body>-tree`). */
interface ColumnIds {
  section: string;
  body: string;
}

/** A column of the pair: its role, seq and direction, then its body. */
function Column({ frame, selected, view, ids, onSelect }: { frame: Frame; selected: boolean; view: DetailView; ids: ColumnIds; onSelect: (seq: number) => void }) {
  const testId = ids.section;
  return (
    <section className={s.column} data-testid={testId} data-seq={frame.seq} data-role={roleOf(frame)}>
      <h4 className={s.columnHead}>
        {selected ? (
          <span>
            {roleOf(frame)} #{frame.seq}
          </span>
        ) : (
          <button type="button" className="link" data-testid={`${testId}-open`} onClick={() => onSelect(frame.seq)} title="Open this frame">
            {roleOf(frame)} #{frame.seq}
          </button>
        )}
        <span className="muted"> · {directionLabel(frame)}</span>
        {frame.latencyMs !== undefined ? <span className="muted"> · {frame.latencyMs} ms</span> : null}
      </h4>
      {!selected && frame.kind === "lost" ? null : !selected && frame.note ? <div className="note">{frame.note}</div> : null}
      <FrameBody frame={frame} view={view} testId={ids.body} />
    </section>
  );
}

/**
 * The frame and its pair: two columns where the pane is wide (a container query), tabs where it is
 * narrow. `wide` forces the columns (the dialog). Body test ids stay those of the single-column
 * detail: `detail-raw` for the selected frame, `pair-raw` for its pair, inside `detail-pair`.
 */
function PairView({ frame, pair, view, wide, ids, onSelect }: { frame: Frame; pair?: Frame; view: DetailView; wide: boolean; ids: { frame: ColumnIds; pair: ColumnIds }; onSelect: (seq: number) => void }) {
  const [active, setActive] = useState<"frame" | "pair">("frame");
  if (!pair) return <Column frame={frame} selected view={view} ids={ids.frame} onSelect={onSelect} />;
  const [first, second] = orderPair(frame, pair);
  const cols = [first, second].filter((f): f is Frame => f !== undefined);
  const idsOf = (f: Frame) => (f === frame ? ids.frame : ids.pair);
  const isActive = (f: Frame) => (f === frame ? active === "frame" : active === "pair");
  return (
    <div className={`${s.pairWrap}${wide ? ` ${s.forceWide}` : ""}`} data-testid={`${ids.frame.section}-pairview`}>
      <div className={s.pairTabs} role="tablist" aria-label="Request and answer">
        {cols.map((f) => (
          <button
            key={f.seq}
            type="button"
            role="tab"
            aria-selected={isActive(f)}
            className={isActive(f) ? "active" : ""}
            data-testid={`${idsOf(f).section}-tab`}
            onClick={() => setActive(f === frame ? "frame" : "pair")}
          >
            {roleOf(f)} #{f.seq}
          </button>
        ))}
      </div>
      <div className={s.pairGrid} data-active={active}>
        {cols.map((f) => (
          <div key={f.seq} className={f === frame ? s.colFrame : s.colPair}>
            <Column frame={f} selected={f === frame} view={view} ids={idsOf(f)} onSelect={onSelect} />
          </div>
        ))}
      </div>
    </div>
  );
}

const INLINE_IDS = { frame: { section: "detail-frame", body: "detail" }, pair: { section: "detail-pair", body: "pair" } };
const WIDE_IDS = { frame: { section: "wide-frame", body: "wide-detail" }, pair: { section: "wide-pair", body: "wide-pair" } };

export function FrameDetail({ frame, pair, onSelect, onClose, onWhy, onWhyOAuth, view: viewProp, onViewChange, shareUrl }: FrameDetailProps) {
  const [ownView, setOwnView] = useState<DetailView>("tree");
  const [wideOpen, setWideOpen] = useState(false);
  const view = viewProp ?? ownView;
  const setView = (v: DetailView) => (onViewChange ? onViewChange(v) : setOwnView(v));
  // Parsed once per frame, not per render: the container re-renders on every batch of frames.
  const json = useMemo(() => frameJson(frame), [frame]);
  const [req, answer] = orderPair(frame, pair);
  const pairCopyable = answer !== undefined && crossedStdio(req) && crossedStdio(answer);
  return (
    <aside className={`frame-detail ${s.detail}`} data-testid="frame-detail" data-seq={frame.seq} data-view={view}>
      <header>
        <b>
          #{frame.seq} <span data-testid="detail-direction">{directionLabel(frame)}</span> · {frame.kind}
          {frame.method ? ` · ${frame.method}` : ""}
        </b>
        <button type="button" data-testid="btn-detail-close" onClick={onClose} aria-label="Close detail">
          ×
        </button>
      </header>
      <div className="meta muted">
        {new Date(frame.wall).toISOString()} · t={frame.t.toFixed(3)} ms
        {frame.latencyMs !== undefined ? ` · latency ${frame.latencyMs} ms` : ""}
      </div>
      <div className={s.toolbar} data-testid="detail-toolbar">
        <div className={s.segmented} role="radiogroup" aria-label="Show the frame as">
          {DETAIL_VIEWS.map((v) => (
            <button key={v} type="button" role="radio" aria-checked={view === v} className={view === v ? "active" : ""} data-testid={`detail-view-${v}`} onClick={() => setView(v)}>
              {VIEW_LABELS[v]}
            </button>
          ))}
        </div>
        {json !== undefined ? <CopyButton label="JSON" testId="detail-copy-json" text={() => JSON.stringify(json, null, 2)} title="Copy this frame as pretty JSON" /> : null}
        {frame.kind !== "lost" ? (
          <CopyButton label="raw" testId="detail-copy-raw" text={() => frame.raw} title={crossedStdio(frame) ? "Copy the raw line exactly as it crossed stdio" : "Copy the relay's record of this frame"} />
        ) : null}
        {pairCopyable ? (
          <CopyButton label="pair" testId="detail-copy-pair" text={() => `${req.raw}\n${answer?.raw ?? ""}\n`} title="Copy the request and its answer as two NDJSON lines" />
        ) : null}
        {shareUrl ? <CopyButton label="link" testId="detail-copy-link" text={() => shareUrl} title="Copy a link that opens this run and frame (the token is not in it)" /> : null}
        {pair ? (
          <button type="button" data-testid="btn-detail-wide" onClick={() => setWideOpen(true)} title="Open the request and its answer side by side in a wide view">
            ⤢ side by side
          </button>
        ) : null}
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
      {frame.note && frame.kind !== "lost" ? <div className="note" data-testid="frame-note">{frame.note}</div> : null}
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
      <PairView key={`${frame.seq}:${pair?.seq}`} frame={frame} pair={pair} view={view} wide={false} ids={INLINE_IDS} onSelect={onSelect} />
      {!pair && frame.kind === "request" && frame.dir !== "sys" ? <div className="muted">No answer yet.</div> : null}
      {wideOpen && pair ? (
        <Modal title={`#${req.seq} ${req.method ?? req.kind} and its answer`} testId="detail-wide" closeTestId="btn-detail-wide-close" onClose={() => setWideOpen(false)}>
          <div className={s.wideBody}>
            <PairView frame={frame} pair={pair} view={view} wide ids={WIDE_IDS} onSelect={onSelect} />
          </div>
        </Modal>
      ) : null}
    </aside>
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
