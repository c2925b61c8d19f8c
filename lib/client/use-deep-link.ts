"use client";
/**
 * Opens the run and frame a link names (lib/deep-link.ts), then keeps the address bar's fragment on
 * the run and frame in view, so a reload or a copied address comes back to the same place. The
 * token redirect keeps the fragment, so `http://…/?token=…#run=run-3&frame=12` works on first open.
 *
 * Order of events on load: the relay's hello lists the runs; a named run that is not the viewed one
 * is asked for (select_run) once; its frames stream in, and the frame opens when it has arrived. A
 * run the server does not have (a restart forgets runs) or a frame that never comes gets a notice.
 */
import { useEffect, useRef } from "react";
import { type DeepLink, deepLinkUrl, formatDeepLink, parseDeepLink } from "../deep-link";

/** How long to wait for a named frame after its run is in view before saying it is not there. */
const FRAME_WAIT_MS = 5000;

export interface DeepLinkHost {
  /** The relay's hello has arrived: the run list is complete. */
  ready: boolean;
  runIds: readonly string[];
  viewRunId?: string;
  selectedSeq?: number;
  /** Bumps when frames arrive. */
  version: number;
  hasFrame: (seq: number) => boolean;
  selectRun: (runId: string) => void;
  /** `reload`: the page was reloaded (the fragment is our own), so keep the remembered side tab. */
  openFrame: (runId: string, seq: number, reload: boolean) => void;
  notify: (message: string, hint?: string) => void;
}

function wasReload(): boolean {
  const nav = performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming | undefined;
  return nav?.type === "reload";
}

export function useDeepLink(host: DeepLinkHost): { shareUrl: (link: DeepLink) => string } {
  // undefined: not read yet; null: nothing pending (followed, or there was no link).
  const pending = useRef<DeepLink | null | undefined>(undefined);
  const asked = useRef(false);
  const viewedAt = useRef<number | undefined>(undefined);
  const { ready, runIds, viewRunId, selectedSeq, version, hasFrame, selectRun, openFrame, notify } = host;

  useEffect(() => {
    if (pending.current === undefined) pending.current = parseDeepLink(window.location.hash, window.location.search) ?? null;
    const link = pending.current;
    if (!link || !ready) return;
    const runId = link.runId ?? viewRunId;
    if (runId === undefined) return;
    if (link.runId !== undefined && !runIds.includes(link.runId)) {
      pending.current = null;
      notify(`The link names ${link.runId}, which this server does not have.`, "Runs live until the server restarts; a trace export keeps one for good.");
      return;
    }
    if (viewRunId !== runId) {
      if (!asked.current) {
        asked.current = true;
        selectRun(runId);
      }
      return;
    }
    if (link.frameSeq === undefined) {
      pending.current = null;
      return;
    }
    if (hasFrame(link.frameSeq)) {
      pending.current = null;
      openFrame(runId, link.frameSeq, wasReload());
      return;
    }
    // Not here yet: frames may still be streaming in. Give up (and say so) if it never comes.
    viewedAt.current ??= Date.now();
    const timer = setTimeout(() => {
      if (pending.current !== link) return;
      pending.current = null;
      notify(`Frame #${link.frameSeq} is not in ${runId}'s log.`);
    }, Math.max(0, FRAME_WAIT_MS - (Date.now() - viewedAt.current)));
    return () => clearTimeout(timer);
  }, [ready, runIds, viewRunId, version, hasFrame, selectRun, openFrame, notify]);

  // Once the link is followed, the fragment mirrors what is in view (replaceState: no history spam).
  useEffect(() => {
    if (pending.current !== null || viewRunId === undefined) return;
    const hash = formatDeepLink({ runId: viewRunId, frameSeq: selectedSeq });
    if (window.location.hash !== hash) window.history.replaceState(window.history.state, "", `${window.location.pathname}${window.location.search}${hash}`);
  }, [viewRunId, selectedSeq, version]);

  return { shareUrl: (link) => (typeof window === "undefined" ? "" : deepLinkUrl(window.location, link)) };
}
