/**
 * The run as a sequence diagram: lanes Playground · Agent · Agent home · Auth server · Model API,
 * one row per frame or HTTP hop (lib/sequence.ts builds them). Rows are virtualized like the frame
 * list, so 1,000 arrows scroll smoothly; lane headers stay above the scroller, labels are clipped to
 * their arrow's span (full text in the tooltip), so nothing overlaps however long the run gets.
 * Each row is a button: a click (or Enter) selects its frame, ↑/↓/Home/End move between rows.
 */
import { useVirtualizer } from "@tanstack/react-virtual";
import { type CSSProperties, type KeyboardEvent, useEffect, useMemo, useRef, useState } from "react";
import {
  type ArrowCategory,
  CATEGORIES,
  categoryCounts,
  filterArrows,
  type Lane,
  LANES,
  laneCounts,
  rowOfSeq,
  type SeqArrow,
  type SequenceFilter,
  visibleLanes,
} from "../lib/sequence";

export interface SequenceDiagramProps {
  /** Every row of the run, unfiltered (lib/sequence.ts buildSequence). */
  arrows: readonly SeqArrow[];
  /** The log's version, so following the tail reacts to new frames. */
  version: number;
  filter: SequenceFilter;
  onFilterChange: (filter: SequenceFilter) => void;
  selectedSeq?: number;
  onSelect: (seq: number) => void;
  /** Drawn across the centre column rather than in the side pane. */
  wide: boolean;
  onToggleWide: () => void;
}

const ROW_HEIGHT = 28;

function latencyText(a: SeqArrow): string {
  if (a.latencyMs !== undefined) return `${a.latencyMs.toFixed(a.latencyMs < 10 ? 1 : 0)} ms`;
  if (a.state === "pending") return "pending";
  return "";
}

function toggle<T>(list: readonly T[], item: T): T[] {
  return list.includes(item) ? list.filter((x) => x !== item) : [...list, item];
}

/**
 * Geometry of one row on the lanes strip, as percentages of its width. A row holds one glyph, so its
 * text may run from the glyph's left edge to the strip's right end without meeting another label;
 * beyond that it is cut with an ellipsis (the full text is the row's tooltip).
 */
function glyph(a: SeqArrow, lanes: readonly Lane[]) {
  const n = lanes.length;
  const at = (lane: Lane) => lanes.indexOf(lane);
  const from = at(a.from);
  const to = at(a.to);
  if (a.shape === "note" || from === to) {
    const left = (from / n) * 100;
    return { kind: "note" as const, style: { left: `calc(${left}% + 3px)`, minWidth: `calc(${100 / n}% - 6px)`, maxWidth: `calc(${100 - left}% - 6px)` } };
  }
  const lo = Math.min(from, to);
  const span = Math.abs(to - from);
  const left = ((lo + 0.5) / n) * 100;
  return {
    kind: "arrow" as const,
    right: to > from,
    style: { left: `${left}%`, width: `${(span / n) * 100}%` },
    label: { left: `${left}%`, maxWidth: `${100 - left}%` },
  };
}

export function SequenceDiagram(p: SequenceDiagramProps) {
  const bodyRef = useRef<HTMLDivElement>(null);
  const [follow, setFollow] = useState(true);
  const [active, setActive] = useState(0);
  const lanes = useMemo(() => visibleLanes(p.filter), [p.filter]);
  const rows = useMemo(() => filterArrows(p.arrows, p.filter), [p.arrows, p.filter, p.version]);
  const perLane = useMemo(() => laneCounts(p.arrows), [p.arrows, p.version]);
  const perCategory = useMemo(() => categoryCounts(p.arrows), [p.arrows, p.version]);
  const t0 = p.arrows.length > 0 ? p.arrows[0].t : 0;
  const selectedRow = rowOfSeq(rows, p.selectedSeq);

  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => bodyRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });

  useEffect(() => {
    if (follow && rows.length > 0) virtualizer.scrollToIndex(rows.length - 1, { align: "end" });
  }, [follow, p.version, rows.length, virtualizer]);

  // Coming back to the diagram (or opening it wide) shows the selected frame, not the tail.
  useEffect(() => {
    if (selectedRow >= 0) {
      setFollow(false);
      setActive(selectedRow);
      virtualizer.scrollToIndex(selectedRow, { align: "center" });
    }
    // Only on mount: later selections come from clicks on rows already in view.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  // Switching a filter keeps the selected arrow in view: the rows around it change, the place does not.
  useEffect(() => {
    if (!follow && selectedRow >= 0) virtualizer.scrollToIndex(selectedRow, { align: "center" });
    // Only when the filter changes, not on every new frame.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [p.filter]);

  const focusRow = (index: number) => {
    const i = Math.max(0, Math.min(rows.length - 1, index));
    setActive(i);
    setFollow(false);
    virtualizer.scrollToIndex(i, { align: "auto" });
    // The row exists once the virtualizer has rendered it; focus it on the next frame.
    requestAnimationFrame(() => bodyRef.current?.querySelector<HTMLElement>(`[data-index="${i}"]`)?.focus());
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const page = Math.max(1, Math.floor((bodyRef.current?.clientHeight ?? ROW_HEIGHT * 10) / ROW_HEIGHT) - 1);
    const moves: Record<string, number> = { ArrowDown: active + 1, ArrowUp: active - 1, PageDown: active + page, PageUp: active - page, Home: 0, End: rows.length - 1 };
    if (e.key in moves && rows.length > 0) {
      e.preventDefault();
      focusRow(moves[e.key]);
    }
  };

  const f = p.filter;
  const lanesStyle = { "--seq-lanes": lanes.length } as CSSProperties;
  return (
    <section className={`seq${p.wide ? " seq-wide" : ""}`} data-testid="sequence-diagram" data-rows={rows.length} data-wide={p.wide ? "true" : "false"}>
      <div className="seq-toolbar" role="toolbar" aria-label="Sequence diagram filters">
        <span className="seq-chip-group" aria-label="Lanes">
          {LANES.map((l) => {
            const on = !f.hiddenLanes.includes(l.id);
            return (
              <button
                key={l.id}
                type="button"
                className={`seq-chip lane-${l.id}${on ? " on" : ""}`}
                data-testid={`seq-filter-${l.id}`}
                data-state={on ? "on" : "off"}
                aria-pressed={on}
                title={on ? `Hide the ${l.label} lane and every arrow touching it` : `Show the ${l.label} lane`}
                onClick={() => p.onFilterChange({ ...f, hiddenLanes: toggle(f.hiddenLanes, l.id) })}
              >
                {l.label} <span className="seq-chip-n">{perLane[l.id]}</span>
              </button>
            );
          })}
        </span>
        <span className="seq-chip-group" aria-label="Kinds">
          {CATEGORIES.map((c) => {
            const on = !f.hiddenCategories.includes(c.id);
            return (
              <button
                key={c.id}
                type="button"
                className={`seq-chip cat-${c.id}${on ? " on" : ""}`}
                data-testid={`seq-filter-kind-${c.id}`}
                data-state={on ? "on" : "off"}
                aria-pressed={on}
                onClick={() => p.onFilterChange({ ...f, hiddenCategories: toggle<ArrowCategory>(f.hiddenCategories, c.id) })}
              >
                {c.label} <span className="seq-chip-n">{perCategory[c.id]}</span>
              </button>
            );
          })}
        </span>
        <label>
          <input type="checkbox" data-testid="seq-errors-only" checked={f.errorsOnly} onChange={(e) => p.onFilterChange({ ...f, errorsOnly: e.target.checked })} /> errors only
        </label>
        <label title="Keep the newest arrow in view">
          <input type="checkbox" data-testid="seq-follow" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> follow
        </label>
        <span className="muted" data-testid="seq-count">
          {rows.length} / {p.arrows.length} rows
        </span>
        <button type="button" className="seq-wide-toggle" data-testid="seq-toggle-wide" aria-pressed={p.wide} onClick={p.onToggleWide}>
          {p.wide ? "Back to the frame list" : "Open full width"}
        </button>
      </div>
      <div className="seq-header seq-grid" style={lanesStyle} aria-hidden="true">
        <span className="seq-c-time">time</span>
        <span className="seq-c-seq">#</span>
        <span className="seq-lanes">
          {lanes.map((id, i) => {
            const label = LANES.find((l) => l.id === id)?.label ?? id;
            return (
              <span key={id} className={`seq-lane-label lane-${id}`} style={{ left: `${(i / lanes.length) * 100}%`, width: `${100 / lanes.length}%` }} title={label}>
                {label}
              </span>
            );
          })}
        </span>
        <span className="seq-c-lat">latency</span>
      </div>
      <div
        ref={bodyRef}
        className="seq-body"
        data-testid="seq-body"
        role="group"
        aria-label={`Sequence of ${rows.length} arrows; arrow keys move between them, Enter opens one`}
        onKeyDown={onKeyDown}
        onWheel={(e) => {
          if (e.deltaY < 0) setFollow(false);
        }}
      >
        {rows.length === 0 ? <p className="muted pad">{p.arrows.length === 0 ? "No frames yet: start an agent." : "Every arrow is filtered out."}</p> : null}
        <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {virtualizer.getVirtualItems().map((item) => {
            const a = rows[item.index];
            const g = glyph(a, lanes);
            const selected = p.selectedSeq !== undefined && (a.seq === p.selectedSeq || (a.lastSeq !== undefined && p.selectedSeq >= a.seq && p.selectedSeq <= a.lastSeq));
            const lat = latencyText(a);
            return (
              <button
                key={a.key}
                type="button"
                className={`seq-row seq-grid shape-${a.shape} cat-${a.category} state-${a.state} from-${a.from} to-${a.to}${selected ? " selected" : ""}`}
                style={{ ...lanesStyle, transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}
                data-index={item.index}
                data-testid="seq-arrow"
                data-seq={a.seq}
                data-from={a.from}
                data-to={a.to}
                data-state={a.state}
                data-kind={a.category}
                data-shape={a.shape}
                data-count={a.count ?? ""}
                aria-current={selected ? "true" : undefined}
                title={a.title}
                tabIndex={item.index === (active < rows.length ? active : 0) ? 0 : -1}
                onFocus={() => setActive(item.index)}
                onClick={() => {
                  // Inspecting an arrow stops following the tail, so new frames do not scroll it away.
                  setFollow(false);
                  setActive(item.index);
                  p.onSelect(a.seq);
                }}
              >
                <span className="seq-c-time">+{((a.t - t0) / 1000).toFixed(3)}s</span>
                <span className="seq-c-seq">{a.seq}</span>
                <span className="seq-lanes">
                  {a.shape === "divider" ? null : lanes.map((id, i) => <span key={id} className="seq-lifeline" style={{ left: `${((i + 0.5) / lanes.length) * 100}%` }} />)}
                  {a.shape === "divider" ? (
                    <span className="seq-divider">{a.label}</span>
                  ) : g.kind === "note" ? (
                    <span className="seq-note" style={g.style}>
                      {a.label}
                    </span>
                  ) : (
                    <>
                      <span className="seq-label" style={g.label}>
                        {a.label}
                      </span>
                      <span className={`seq-line ${g.right ? "to-right" : "to-left"}`} style={g.style} />
                    </>
                  )}
                </span>
                <span className="seq-c-lat">{lat}</span>
              </button>
            );
          })}
        </div>
      </div>
    </section>
  );
}
