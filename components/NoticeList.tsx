"use client";
/**
 * Errors and notices from the relay, each with what to do about it. They sit at the bottom right,
 * clear of the tab bars. While a modal dialog is open they are rendered inside it (a portal into
 * the open <dialog>): the dialog is in the top layer and makes everything else inert, so a notice
 * outside it could be neither seen nor dismissed. Info and warnings leave by themselves after a
 * while (not while the pointer or focus is on them); errors stay until dismissed.
 */
import { useEffect, useState } from "react";
import { createPortal } from "react-dom";
import type { Notice } from "../lib/store";

export interface NoticeListProps {
  notices: Notice[];
  onDismiss: (id: number) => void;
}

/** How long a notice that is not an error stays, in ms. */
export const NOTICE_TTL_MS: Record<Notice["level"], number | undefined> = { info: 8000, warn: 15000, error: undefined };

/** The topmost open modal dialog, followed as dialogs open and close. */
function useOpenDialog(): HTMLDialogElement | null {
  const [dialog, setDialog] = useState<HTMLDialogElement | null>(null);
  useEffect(() => {
    const find = (): void => {
      const open = [...document.querySelectorAll<HTMLDialogElement>("dialog[open]")];
      setDialog(open.at(-1) ?? null);
    };
    find();
    const observer = new MutationObserver(find);
    observer.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["open"] });
    return () => observer.disconnect();
  }, []);
  return dialog;
}

function NoticeItem({ notice, onDismiss }: { notice: Notice; onDismiss: (id: number) => void }) {
  const [held, setHeld] = useState(false);
  const ttl = NOTICE_TTL_MS[notice.level];
  useEffect(() => {
    if (ttl === undefined || held) return;
    const timer = setTimeout(() => onDismiss(notice.id), Math.max(1000, notice.at + ttl - Date.now()));
    return () => clearTimeout(timer);
  }, [ttl, held, notice.id, notice.at, onDismiss]);
  return (
    <div
      className={`notice notice-${notice.level}`}
      data-testid="notice"
      data-level={notice.level}
      role={notice.level === "error" ? "alert" : undefined}
      onMouseEnter={() => setHeld(true)}
      onMouseLeave={() => setHeld(false)}
      onFocus={() => setHeld(true)}
      onBlur={() => setHeld(false)}
    >
      <div className="notice-text">
        <b>{notice.message}</b>
        {notice.hint ? <div className="notice-hint">{notice.hint}</div> : null}
      </div>
      <button type="button" className="icon-btn" onClick={() => onDismiss(notice.id)} aria-label="Dismiss">
        ×
      </button>
    </div>
  );
}

export function NoticeList({ notices, onDismiss }: NoticeListProps) {
  const dialog = useOpenDialog();
  if (notices.length === 0) return null;
  const list = (
    <div className="notices" role="status" aria-live="polite" data-testid="notices" data-host={dialog ? "dialog" : "page"}>
      {notices.slice(-4).map((n) => (
        <NoticeItem key={n.id} notice={n} onDismiss={onDismiss} />
      ))}
    </div>
  );
  return dialog ? createPortal(list, dialog) : list;
}
