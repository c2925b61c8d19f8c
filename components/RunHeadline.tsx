"use client";
/**
 * The first thing to read: the viewed run (agent, profile, state, how long it has run) and its last
 * error with "Why?". It sits at the top of the centre column, so a -32000 is never only a red row
 * somewhere in the log, and whether you look at the current run or an earlier one is never in doubt.
 */
import { useEffect, useState } from "react";
import "./run-scope.css";
import { explainError } from "../lib/error-codes";
import { outcomeBadges } from "../lib/run-outcome";
import { formatElapsed, runCaption, runStateText } from "../lib/run-scope";
import type { Frame, RunSummary } from "../lib/wire";

export interface RunHeadlineProps {
  run?: RunSummary;
  /** The viewed run is the current one. */
  current: boolean;
  /** lib/run-scope.ts lastError() of the viewed run. */
  lastError?: Frame;
  /** The error was made by the relay's fault injection, not the agent. */
  lastErrorInjected?: boolean;
  onWhy?: (seq: number) => void;
  onShowFrame: (seq: number) => void;
  onBackToCurrent?: () => void;
}

function useNow(ticking: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!ticking) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [ticking]);
  return now;
}

export function RunHeadline({ run, current, lastError, lastErrorInjected, onWhy, onShowFrame, onBackToCurrent }: RunHeadlineProps) {
  const live = run?.state === "running" || run?.state === "starting";
  const now = useNow(live);
  if (!run) {
    return (
      <section className="run-headline" data-testid="run-headline" data-state="none">
        <p className="run-headline-empty">No run yet: pick an agent and a profile in the sidebar, then press Start.</p>
      </section>
    );
  }
  const elapsed = run.imported ? undefined : formatElapsed((live ? now : (run.endedAt ?? now)) - run.startedAt);
  const failed = lastError !== undefined;
  return (
    <section className={`run-headline ${failed ? "has-error" : ""}`} data-testid="run-headline" data-state={run.state} data-run-id={run.runId} data-error={failed ? "yes" : "no"}>
      <div className="run-headline-top">
        <h2 className="run-headline-title" data-testid="run-headline-title">
          {runCaption(run)}
        </h2>
        <span className={`badge state-${run.state}`} data-testid="run-headline-state">
          {runStateText(run)}
          {elapsed ? ` · ${live ? "" : "ran "}${elapsed}` : ""}
        </span>
        {outcomeBadges(run)
          .filter((b) => b.kind === "answer")
          .map((b) => (
            <span key={b.kind} className={`badge badge-${b.tone}`} data-testid="run-headline-outcome">
              {b.text}
            </span>
          ))}
        {!current ? (
          <span className="run-headline-old" data-testid="run-headline-old">
            earlier run
            {onBackToCurrent ? (
              <>
                {" · "}
                <button type="button" className="link" data-testid="btn-back-to-current" onClick={onBackToCurrent}>
                  back to the current run
                </button>
              </>
            ) : null}
          </span>
        ) : null}
      </div>
      {lastError ? (
        <div className="run-headline-error" data-testid="run-headline-error" data-seq={lastError.seq} data-error-code={lastError.errorCode ?? ""} role="alert">
          <span className="run-headline-error-code">{lastError.kind === "lost" ? "no answer" : (lastError.errorCode ?? "error")}</span>
          <span className="run-headline-error-text">
            {lastError.method ? <code>{lastError.method}</code> : null}{" "}
            {lastError.kind === "lost" ? (lastError.note ?? "the agent exited while it was pending") : (lastError.errorMessage ?? (lastError.errorCode !== undefined ? explainError({ code: lastError.errorCode }).name : ""))}
            {lastErrorInjected ? <b className="fault-pill small"> made by fault injection</b> : null}
          </span>
          <button type="button" className="link" data-testid="btn-headline-frame" onClick={() => onShowFrame(lastError.seq)}>
            frame #{lastError.seq}
          </button>
          {onWhy && lastError.kind === "error" ? (
            <button type="button" className="primary" data-testid="btn-headline-why" onClick={() => onWhy(lastError.seq)}>
              Why {lastError.errorCode}?
            </button>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
