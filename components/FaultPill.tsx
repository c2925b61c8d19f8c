/**
 * "Fault injection ON": shown in the header and the status bar for as long as any fault is set, so
 * an error the relay made up is never read as the agent's. Clicking it opens the fault panel.
 */
export interface FaultPillProps {
  /** activeFaults(): one phrase per active setting; the pill is absent when empty. */
  faults: string[];
  testId: string;
  onClick?: () => void;
}

export function FaultPill({ faults, testId, onClick }: FaultPillProps) {
  if (faults.length === 0) return null;
  const title = `The relay is altering traffic: ${faults.join("; ")}. Frames it touched carry an "injected" badge.`;
  return onClick ? (
    <button type="button" className="fault-pill" data-testid={testId} data-state="on" title={title} onClick={onClick}>
      ⚡ Fault injection ON
    </button>
  ) : (
    <span className="fault-pill" data-testid={testId} data-state="on" title={title}>
      ⚡ Fault injection ON
    </span>
  );
}
