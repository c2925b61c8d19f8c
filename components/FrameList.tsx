/**
 * The virtualized frame list: one row per recorded line, 100,000 rows stay smooth because only the
 * visible ones exist in the DOM. Filters sit on top; following the tail is on until the user scrolls up.
 */
import { useVirtualizer } from "@tanstack/react-virtual";
import { type KeyboardEvent, type ReactNode, useEffect, useRef, useState } from "react";
import type { FrameFilter } from "../lib/filters";
import { LANE_LABELS, LANES, type Lane, laneSummary } from "../lib/lanes";
import type { Frame } from "../lib/wire";
import { ErrorCodeChip } from "./ErrorCodeChip";
import { PendingElapsed } from "./PendingElapsed";
import { directionLabel, relayMade } from "../lib/fault-notes";

export interface FrameListProps {
  frames: readonly Frame[];
  version: number;
  totalFrames: number;
  filter: FrameFilter;
  methods: string[];
  selectedSeq?: number;
  onFilterChange: (filter: FrameFilter) => void;
  onSelect: (seq: number) => void;
  validation: { enabled: boolean; unstable: boolean };
  onValidationChange: (validation: { enabled: boolean; unstable: boolean }) => void;
  /** Rows that offer the OAuth "Why?" (a prompt answered after a refused refresh, the failed hop): no error row needed. */
  whyRows?: ReadonlyMap<number, string>;
  onWhyOAuth?: (seq: number) => void;
  /** Offered on -32000 error rows: open the "Why -32000?" diagnosis straight from the row. */
  onWhy?: (seq: number) => void;
  /** Shown in place of rows when there are none (components/LogClear.tsx: press Start, clear filters). */
  empty?: ReactNode;
  /** Controls after the count (the run's Clear). */
  toolbarEnd?: ReactNode;
}

const ROW_HEIGHT = 26;
/** A narrow log (a 1024px screen, a wide inspector) shows each row on two lines: the summary gets the whole second. */
const TWO_LINE_HEIGHT = 38;
const TWO_LINE_BELOW_PX = 760;

const DIR_ARROW: Record<Frame["dir"], string> = { out: "→", in: "←", sys: "•" };
const DIR_TITLE: Record<Frame["dir"], string> = { out: "client → agent (stdin)", in: "agent → client (stdout/stderr)", sys: "relay" };

/** The kind badge's text; the out-of-band lanes name where they were seen. */
function kindLabel(kind: Frame["kind"]): string {
  if (kind === "too_large") return "too large";
  if (kind === "malformed") return "non-JSON";
  if (kind === "http") return "HTTP";
  if (kind === "home") return "home";
  if (kind === "agent-log") return "agent log";
  return kind;
}

export function frameSummary(f: Frame): string {
  const lane = laneSummary(f);
  if (lane !== undefined) return lane;
  switch (f.kind) {
    case "lifecycle": {
      const l = f.lifecycle;
      if (!l) return f.raw;
      if (l.event === "spawned") return `spawned pid ${l.pid}${l.runtime ? ` · node ${l.runtime}` : ""} · ${l.argv?.join(" ") ?? ""}`;
      if (l.event === "exited") return `exited ${l.signal ? `by signal ${l.signal}` : `with code ${l.code}`}${l.message ? ` · ${l.message}` : ""}`;
      return `${l.event.replace("_", " ")}: ${l.message ?? ""}${l.hint ? ` — ${l.hint}` : ""}`;
    }
    case "stderr":
    case "malformed":
    case "too_large":
      return f.raw.length > 300 ? `${f.raw.slice(0, 300)}…` : f.raw;
    case "lost":
    case "divider":
      return f.note ?? f.raw;
    case "error":
      return f.errorMessage ?? "";
    default: {
      if (f.updateKind) return f.updateKind;
      return f.raw.length > 200 ? `${f.raw.slice(0, 200)}…` : f.raw;
    }
  }
}

/** The row index a key moves the cursor to, or undefined for keys the grid does not handle. */
export function nextRowIndex(key: string, from: number, count: number, pageRows: number): number | undefined {
  if (count === 0) return undefined;
  const clamp = (i: number): number => Math.max(0, Math.min(count - 1, i));
  switch (key) {
    case "ArrowDown":
      return clamp(from + 1);
    case "ArrowUp":
      return clamp(from - 1);
    case "PageDown":
      return clamp(from + pageRows);
    case "PageUp":
      return clamp(from - pageRows);
    case "Home":
      return 0;
    case "End":
      return count - 1;
    default:
      return undefined;
  }
}

export function FrameList(p: FrameListProps) {
  const parentRef = useRef<HTMLDivElement>(null);
  const [follow, setFollow] = useState(true);
  // The keyboard cursor (APG grid with aria-activedescendant): a row seq, so filters and new frames
  // do not move it. The grid element keeps DOM focus, so virtualization can unmount rows freely.
  const [cursorSeq, setCursorSeq] = useState<number>();
  const [twoLine, setTwoLine] = useState(false);
  const rowHeight = twoLine ? TWO_LINE_HEIGHT : ROW_HEIGHT;
  const virtualizer = useVirtualizer({
    count: p.frames.length,
    getScrollElement: () => parentRef.current,
    estimateSize: () => rowHeight,
    // Two-line rows show fewer per screen: render as many around them as one-line rows would.
    overscan: twoLine ? 40 : 20,
  });
  useEffect(() => {
    const el = parentRef.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setTwoLine(el.clientWidth < TWO_LINE_BELOW_PX));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  useEffect(() => virtualizer.measure(), [rowHeight, virtualizer]);
  // A click (or another view) that opens a frame puts the cursor there too.
  useEffect(() => {
    if (p.selectedSeq !== undefined) setCursorSeq(p.selectedSeq);
  }, [p.selectedSeq]);

  const onGridKey = (e: KeyboardEvent<HTMLDivElement>): void => {
    if (e.target !== e.currentTarget) return; // keys inside a row's own button stay with it
    const count = p.frames.length;
    const at = cursorSeq === undefined ? -1 : p.frames.findIndex((fr) => fr.seq === cursorSeq);
    if ((e.key === "Enter" || e.key === " ") && at >= 0) {
      e.preventDefault();
      p.onSelect(p.frames[at].seq);
      return;
    }
    const top = Math.floor((parentRef.current?.scrollTop ?? 0) / rowHeight);
    const pageRows = Math.max(1, Math.floor((parentRef.current?.clientHeight ?? rowHeight) / rowHeight) - 1);
    const next = nextRowIndex(e.key, at < 0 ? top - (e.key === "ArrowDown" ? 1 : 0) : at, count, pageRows);
    if (next === undefined) return;
    e.preventDefault();
    setFollow(e.key === "End");
    setCursorSeq(p.frames[next].seq);
    virtualizer.scrollToIndex(next, { align: "auto" });
  };
  const cursorShown = cursorSeq !== undefined && virtualizer.getVirtualItems().some((item) => p.frames[item.index]?.seq === cursorSeq);

  useEffect(() => {
    if (follow && p.frames.length > 0) virtualizer.scrollToIndex(p.frames.length - 1, { align: "end" });
  }, [follow, p.version, p.frames.length, virtualizer]);

  const f = p.filter;
  return (
    <section className={`frame-pane${twoLine ? " two-line" : ""}`} aria-label="Frame log">
      <div className="filters" data-testid="filters">
        <select data-testid="filter-dir" aria-label="Direction filter" value={f.dir} onChange={(e) => p.onFilterChange({ ...f, dir: e.target.value as FrameFilter["dir"] })}>
          <option value="all">both directions</option>
          <option value="out">→ client to agent</option>
          <option value="in">← agent to client</option>
        </select>
        <select data-testid="filter-method" aria-label="Method filter" value={f.method} onChange={(e) => p.onFilterChange({ ...f, method: e.target.value })}>
          <option value="">all methods</option>
          {p.methods.map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </select>
        <label>
          <input type="checkbox" data-testid="filter-errors" checked={f.errorsOnly} onChange={(e) => p.onFilterChange({ ...f, errorsOnly: e.target.checked })} title="JSON-RPC errors plus non-JSON and too-large lines, lost requests, failed spawns and HTTP errors (the status bar counts JSON-RPC errors only)" /> errors &amp; non-JSON
        </label>
        <label>
          <input type="checkbox" data-testid="filter-hide-chunks" checked={f.hideChunks} onChange={(e) => p.onFilterChange({ ...f, hideChunks: e.target.checked })} /> hide
          chunks
        </label>
        <span className="lane-toggles" data-testid="filter-lanes" title="Show or hide a lane: the agent's stdio, and what it did off it (HTTP to the auth and model servers, its home, its own log)">
          {LANES.map((lane: Lane) => (
            <label key={lane}>
              <input
                type="checkbox"
                data-testid={`filter-lane-${lane}`}
                checked={!f.hiddenLanes.includes(lane)}
                onChange={(e) => p.onFilterChange({ ...f, hiddenLanes: e.target.checked ? f.hiddenLanes.filter((l) => l !== lane) : [...f.hiddenLanes, lane] })}
              />{" "}
              {LANE_LABELS[lane]}
            </label>
          ))}
        </span>
        <input data-testid="filter-text" placeholder="search raw text" value={f.text} onChange={(e) => p.onFilterChange({ ...f, text: e.target.value })} />
        <span className="muted" data-testid="filter-count">
          {p.frames.length} / {p.totalFrames}
        </span>
        {p.toolbarEnd}
        <label title="Check each frame against the ACP JSON Schema shipped with the SDK">
          <input type="checkbox" data-testid="toggle-validation" checked={p.validation.enabled} onChange={(e) => p.onValidationChange({ ...p.validation, enabled: e.target.checked })} /> schema check
        </label>
        <label title="Validate against the SDK's unstable schema (methods and fields not yet stable)">
          <input
            type="checkbox"
            data-testid="toggle-unstable-schema"
            checked={p.validation.unstable}
            disabled={!p.validation.enabled}
            onChange={(e) => p.onValidationChange({ ...p.validation, unstable: e.target.checked })}
          />{" "}
          unstable
        </label>
        <label title="Keep the newest frame in view">
          <input type="checkbox" data-testid="follow" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> follow
        </label>
      </div>
      <div className="frame-header" aria-hidden="true">
        <span className="c-seq">#</span>
        <span className="c-dir">dir</span>
        <span className="c-kind">kind</span>
        <span className="c-method">method</span>
        <span className="c-id">id</span>
        <span className="c-lat">latency</span>
        <span className="c-sum">summary</span>
      </div>
      {p.frames.length === 0 ? p.empty : null}
      <div
        ref={parentRef}
        className={`frame-list${twoLine ? " two-line" : ""}`}
        data-testid="frame-list"
        data-rows={twoLine ? "two-line" : "one-line"}
        // An empty log is no grid (a grid without rows is invalid ARIA) and no Tab stop.
        role={p.frames.length > 0 ? "grid" : undefined}
        aria-label={p.frames.length > 0 ? "Frames (arrow keys move, Enter opens the detail)" : undefined}
        aria-rowcount={p.frames.length > 0 ? p.frames.length : undefined}
        aria-colcount={p.frames.length > 0 ? 7 : undefined}
        aria-activedescendant={cursorShown ? `frame-row-${cursorSeq}` : undefined}
        tabIndex={p.frames.length > 0 ? 0 : undefined}
        onKeyDown={onGridKey}
        onFocus={(e) => {
          // First focus: the cursor starts on the open frame, else on the top visible row.
          if (e.target !== e.currentTarget || cursorSeq !== undefined || p.frames.length === 0) return;
          const open = p.frames.findIndex((fr) => fr.seq === p.selectedSeq);
          const top = Math.min(p.frames.length - 1, Math.ceil((parentRef.current?.scrollTop ?? 0) / rowHeight));
          setCursorSeq(p.frames[open >= 0 ? open : top].seq);
        }}
        onWheel={(e) => {
          if (e.deltaY < 0) setFollow(false);
        }}
      >
        <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {virtualizer.getVirtualItems().map((item) => {
            const fr = p.frames[item.index];
            return (
              <div
                key={fr.seq}
                id={`frame-row-${fr.seq}`}
                role="row"
                aria-rowindex={item.index + 1}
                aria-selected={fr.seq === cursorSeq}
                className={`frame-row kind-${fr.kind} dir-${fr.dir}${fr.seq === p.selectedSeq ? " selected" : ""}${fr.seq === cursorSeq ? " cursor" : ""}`}
                style={{ transform: `translateY(${item.start}px)`, height: rowHeight }}
                data-testid="frame-row"
                data-seq={fr.seq}
                data-kind={fr.kind}
                data-dir={fr.dir}
                data-method={fr.method ?? ""}
                data-error-code={fr.errorCode ?? ""}
                data-pair-seq={fr.pairSeq ?? ""}
                onClick={() => {
                  setCursorSeq(fr.seq);
                  p.onSelect(fr.seq);
                }}
              >
                <span role="gridcell" className="c-seq">{fr.seq}</span>
                <span role="gridcell" className="c-dir" title={relayMade(fr) ? directionLabel(fr) : DIR_TITLE[fr.dir]}>
                  {DIR_ARROW[fr.dir]}
                </span>
                <span role="gridcell" className="c-kind">
                  <span className={`kind-badge kind-${fr.kind}`}>{kindLabel(fr.kind)}</span>
                  {fr.auto ? <span className="auto-badge" title="answered automatically by the relay">auto</span> : null}
                  {fr.injected ? (
                    <span className="injected-badge" data-testid="injected-badge" data-origin={relayMade(fr) ? "relay" : "agent"} title={fr.injected}>
                      {relayMade(fr) ? "relay-made" : "injected"}
                    </span>
                  ) : null}
                  {fr.violations?.length ? (
                    <span className="violation-badge" data-testid="violation-badge" title={fr.violations.map((v) => `${v.path}: ${v.message}`).join("\n")}>
                      schema ✗{fr.violations.length}
                    </span>
                  ) : null}
                  {fr.schemaNotes?.length ? (
                    <span className="schema-note-badge" data-testid="schema-note-badge" title={fr.schemaNotes.map((v) => v.message).join("\n")}>
                      not in stable schema
                    </span>
                  ) : null}
                </span>
                <span role="gridcell" className="c-method">{fr.method ?? fr.http?.method ?? ""}</span>
                <span role="gridcell" className="c-id">{fr.id?.replace(/^[ns]:/, "") ?? ""}</span>
                <span role="gridcell" className="c-lat">{fr.latencyMs !== undefined ? `${fr.latencyMs.toFixed(fr.latencyMs < 10 ? 1 : 0)} ms` : fr.http?.ms !== undefined ? `${fr.http.ms.toFixed(fr.http.ms < 10 ? 1 : 0)} ms` : fr.kind === "request" && fr.pairSeq === undefined && fr.dir !== "sys" ? <PendingElapsed since={fr.wall} /> : ""}</span>
                <span role="gridcell" className="c-sum">
                  {p.whyRows?.has(fr.seq) && p.onWhyOAuth ? (
                    <button
                      type="button"
                      className="why-inline"
                      data-testid="btn-why-oauth"
                      title="An OAuth failure is behind this row: explain it"
                      onClick={(e) => {
                        e.stopPropagation();
                        p.onWhyOAuth?.(fr.seq);
                      }}
                    >
                      Why?
                    </button>
                  ) : null}
                  {fr.kind === "error" && fr.errorCode === -32000 && p.onWhy ? (
                    <button
                      type="button"
                      className="why-inline"
                      data-testid="btn-why-row"
                      title="Why -32000? Open the diagnosis for this error"
                      aria-label={`Why? Diagnose the -32000 of frame ${fr.seq}`}
                      onClick={(e) => {
                        e.stopPropagation();
                        p.onWhy?.(fr.seq);
                      }}
                    >
                      Why?
                    </button>
                  ) : null}
                  {fr.errorCode !== undefined ? <ErrorCodeChip code={fr.errorCode} frame={fr} /> : null}{" "}
                  <span className="sum-text" title={fr.kind === "error" || fr.kind === "lost" || fr.kind === "lifecycle" ? frameSummary(fr) : undefined}>
                    {frameSummary(fr)}
                  </span>
                </span>
              </div>
            );
          })}
        </div>
      </div>
    </section>
  );
}
