"use client";
/**
 * A spinner and the time a request has been waiting ("⟳ 2.4 s"), ticking on its own so the rest of
 * the page does not re-render every few hundred milliseconds. Used on pending rows and on buttons.
 */
import { useEffect, useState } from "react";
import { formatElapsed } from "../lib/run-scope";

export interface PendingElapsedProps {
  /** Wall clock (epoch ms) the request went out. */
  since: number;
  testId?: string;
}

export function PendingElapsed({ since, testId = "pending-elapsed" }: PendingElapsedProps) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, []);
  return (
    <span className="pending-elapsed" data-testid={testId} role="status" aria-label={`pending for ${formatElapsed(now - since)}`}>
      <span className="spinner" aria-hidden="true" />
      {formatElapsed(now - since)}
    </span>
  );
}
