/**
 * The virtualized frame list: one row per recorded line, 100,000 rows stay smooth because only the
 * visible ones exist in the DOM. Filters sit on top; following the tail is on until the user scrolls up.
 */
import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useRef, useState } from "react";
import type { FrameFilter } from "../lib/filters";
import { LANE_LABELS, LANES, type Lane, laneSummary } from "../lib/lanes";
import type { Frame } from "../lib/wire";
import { ErrorCodeChip } from "./ErrorCodeChip";

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
}

const ROW_HEIGHT = 26;

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

export function FrameList(p: FrameListProps) {
  const parentRef = useRef<HTMLDivElement>(null);
  const [follow, setFollow] = useState(true);
  const virtualizer = useVirtualizer({
    count: p.frames.length,
    getScrollElement: () => parentRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 20,
  });

  useEffect(() => {
    if (follow && p.frames.length > 0) virtualizer.scrollToIndex(p.frames.length - 1, { align: "end" });
  }, [follow, p.version, p.frames.length, virtualizer]);

  const f = p.filter;
  return (
    <section className="frame-pane">
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
          <input type="checkbox" data-testid="filter-errors" checked={f.errorsOnly} onChange={(e) => p.onFilterChange({ ...f, errorsOnly: e.target.checked })} /> errors only
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
      <div className="frame-header">
        <span className="c-seq">#</span>
        <span className="c-dir">dir</span>
        <span className="c-kind">kind</span>
        <span className="c-method">method</span>
        <span className="c-id">id</span>
        <span className="c-lat">latency</span>
        <span className="c-sum">summary</span>
      </div>
      <div
        ref={parentRef}
        className="frame-list"
        data-testid="frame-list"
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
                className={`frame-row kind-${fr.kind} dir-${fr.dir}${fr.seq === p.selectedSeq ? " selected" : ""}`}
                style={{ transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}
                data-testid="frame-row"
                data-seq={fr.seq}
                data-kind={fr.kind}
                data-dir={fr.dir}
                data-method={fr.method ?? ""}
                data-error-code={fr.errorCode ?? ""}
                data-pair-seq={fr.pairSeq ?? ""}
                onClick={() => p.onSelect(fr.seq)}
              >
                <span className="c-seq">{fr.seq}</span>
                <span className="c-dir" title={DIR_TITLE[fr.dir]}>
                  {DIR_ARROW[fr.dir]}
                </span>
                <span className="c-kind">
                  <span className={`kind-badge kind-${fr.kind}`}>{kindLabel(fr.kind)}</span>
                  {fr.auto ? <span className="auto-badge" title="answered automatically by the relay">auto</span> : null}
                  {fr.injected ? (
                    <span className="injected-badge" data-testid="injected-badge" title={fr.injected}>
                      injected
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
                <span className="c-method">{fr.method ?? fr.http?.method ?? ""}</span>
                <span className="c-id">{fr.id?.replace(/^[ns]:/, "") ?? ""}</span>
                <span className="c-lat">{fr.latencyMs !== undefined ? `${fr.latencyMs.toFixed(fr.latencyMs < 10 ? 1 : 0)} ms` : fr.http?.ms !== undefined ? `${fr.http.ms.toFixed(fr.http.ms < 10 ? 1 : 0)} ms` : fr.kind === "request" && fr.pairSeq === undefined && fr.dir !== "sys" ? "pending" : ""}</span>
                <span className="c-sum">
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
                  {fr.errorCode !== undefined ? <ErrorCodeChip code={fr.errorCode} frame={fr} /> : null} {frameSummary(fr)}
                </span>
              </div>
            );
          })}
        </div>
      </div>
    </section>
  );
}
