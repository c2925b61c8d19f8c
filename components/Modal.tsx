"use client";
/**
 * A modal dialog on the native <dialog> element opened with showModal(): the browser puts it in the
 * top layer and makes the page behind it inert, so focus moves in and cannot land behind it. On top
 * of that: Tab and Shift+Tab wrap inside (the browser would otherwise hand focus to its own UI),
 * Esc and a click on the backdrop close it through `onClose`, focus returns to the control that
 * opened it, and the dialog is named by its title. Props only; the caller decides when it exists.
 */
import { type MouseEvent, type ReactNode, useEffect, useId, useRef } from "react";

export interface ModalProps {
  title: string;
  testId: string;
  closeTestId: string;
  onClose: () => void;
  children: ReactNode;
}

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';

/** Tab and Shift+Tab wrap between the dialog's first and last rendered focusable controls. */
function trapTab(dialog: HTMLDialogElement, e: KeyboardEvent): void {
  if (e.key !== "Tab") return;
  // Rendered ones only (getClientRects, not offsetParent: the notices inside a dialog are position: fixed).
  const items = [...dialog.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => el.getClientRects().length > 0 || el === document.activeElement);
  if (items.length === 0) return;
  const first = items[0];
  const last = items[items.length - 1];
  if (e.shiftKey && document.activeElement === first) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && document.activeElement === last) {
    e.preventDefault();
    first.focus();
  }
}

export function Modal({ title, testId, closeTestId, onClose, children }: ModalProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!dialog.open) dialog.showModal();
    return () => {
      if (dialog.open) dialog.close();
      // The opener may have gone (a re-render replaced it): then focus stays where the browser puts it.
      if (opener?.isConnected) opener.focus();
    };
  }, []);

  // A DOM listener, not React's onKeyDown: the notices portalled into the dialog belong to another
  // React tree, so their key events bubble through the DOM here but never reach React's handler.
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const onKey = (e: KeyboardEvent): void => trapTab(dialog, e);
    dialog.addEventListener("keydown", onKey);
    return () => dialog.removeEventListener("keydown", onKey);
  }, []);

  // A click whose point lies outside the dialog's box landed on its ::backdrop.
  const backdropClose = (e: MouseEvent<HTMLDialogElement>): void => {
    if (e.target !== e.currentTarget) return;
    const r = e.currentTarget.getBoundingClientRect();
    if (e.clientX < r.left || e.clientX > r.right || e.clientY < r.top || e.clientY > r.bottom) onClose();
  };

  return (
    <dialog
      ref={ref}
      className="modal"
      data-testid={testId}
      aria-labelledby={titleId}
      aria-modal="true"
      onCancel={(e) => {
        // Esc: let React state close it (the effect's cleanup closes the element).
        e.preventDefault();
        onClose();
      }}
      onClick={backdropClose}
    >
      <div className="modal-head">
        <h2 id={titleId}>{title}</h2>
        <button type="button" className="icon-btn" data-testid={closeTestId} onClick={onClose} aria-label={`Close ${title}`} title="Close (Esc)">
          ×
        </button>
      </div>
      {children}
    </dialog>
  );
}
