/** A modal dialog frame: backdrop, title bar with a close button, and the body. Props only. */
import type { ReactNode } from "react";

export interface ModalProps {
  title: string;
  testId: string;
  closeTestId: string;
  onClose: () => void;
  children: ReactNode;
}

export function Modal({ title, testId, closeTestId, onClose, children }: ModalProps) {
  return (
    <div className="modal-backdrop" data-testid={testId} role="dialog" aria-label={title}>
      <div className="modal">
        <header>
          <h2>{title}</h2>
          <button type="button" data-testid={closeTestId} onClick={onClose} aria-label="Close">
            ×
          </button>
        </header>
        {children}
      </div>
    </div>
  );
}
