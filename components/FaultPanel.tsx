/**
 * Fault injection controls: what the relay does to lines between client and agent. Props only. The
 * header and status bar carry a "Fault injection ON" pill while any setting is active; clicking it
 * opens this panel (`open`) and brings it into view.
 */
import { useEffect, useRef, useState } from "react";
import { activeFaults } from "../lib/fault-notes";
import type { FaultConfig } from "../lib/wire";

export interface FaultPanelProps {
  faults: FaultConfig;
  onChange: (faults: FaultConfig) => void;
  /** Controlled open state (the pill opens it); uncontrolled when omitted. */
  open?: boolean;
  onToggle?: (open: boolean) => void;
}

const NUMBERS: { key: keyof FaultConfig; label: string; unit: string }[] = [
  { key: "delayOutMs", label: "delay client → agent", unit: "ms" },
  { key: "delayInMs", label: "delay agent → client", unit: "ms" },
  { key: "dropOutEvery", label: "drop every Nth client line", unit: "N" },
  { key: "dropInEvery", label: "drop every Nth agent line", unit: "N" },
  { key: "corruptOutEvery", label: "corrupt every Nth client line", unit: "N" },
  { key: "forceAuthOnSessionNew", label: "answer the Nth session/new with -32000", unit: "N" },
  { key: "junkEveryMs", label: "junk line on stdout every", unit: "ms" },
];

export function FaultPanel({ faults: fromRelay, onChange: send, open, onToggle }: FaultPanelProps) {
  const ref = useRef<HTMLDetailsElement>(null);
  useEffect(() => {
    if (open) ref.current?.scrollIntoView({ block: "nearest" });
  }, [open]);
  // Edits build on the local draft, not on the last broadcast, so quick successive edits never
  // overwrite each other while the relay's echo is still in flight.
  const [faults, setDraft] = useState(fromRelay);
  useEffect(() => setDraft(fromRelay), [fromRelay]);
  const onChange = (next: FaultConfig): void => {
    setDraft(next);
    send(next);
  };
  return (
    <details
      ref={ref}
      className="panel faults"
      data-testid="fault-panel"
      data-state={faults.enabled ? "on" : "off"}
      open={open}
      onToggle={onToggle ? (e) => onToggle((e.currentTarget as HTMLDetailsElement).open) : undefined}
    >
      <summary>
        Fault injection{" "}
        {activeFaults(faults).length > 0 ? <b className="fault-pill small">ON · {activeFaults(faults).length} active</b> : faults.enabled ? "(on, nothing set)" : ""}
      </summary>
      <label>
        <input type="checkbox" data-testid="fault-enabled" checked={faults.enabled} onChange={(e) => onChange({ ...faults, enabled: e.target.checked })} /> enabled
      </label>
      {NUMBERS.map((n) => (
        <label key={n.key} className="field inline">
          <span>{n.label}</span>
          <input
            type="number"
            min={0}
            data-testid={`fault-${n.key}`}
            value={faults[n.key] as number}
            onChange={(e) => onChange({ ...faults, [n.key]: Math.max(0, Math.floor(Number(e.target.value) || 0)) })}
            style={{ width: 80 }}
          />
          <small className="muted">{n.unit}</small>
        </label>
      ))}
      <label className="field">
        <span>kill the agent right after this request (method)</span>
        <input data-testid="fault-killOnMethod" value={faults.killOnMethod} placeholder="e.g. session/prompt" onChange={(e) => onChange({ ...faults, killOnMethod: e.target.value.trim() })} />
      </label>
      <p className="muted small">Affected frames carry an “injected” badge saying what was done.</p>
    </details>
  );
}
