/** Errors and notices from the relay, each with what to do about it. */
import type { Notice } from "../lib/store";

export interface NoticeListProps {
  notices: Notice[];
  onDismiss: (id: number) => void;
}

export function NoticeList({ notices, onDismiss }: NoticeListProps) {
  if (notices.length === 0) return null;
  return (
    <div className="notices" role="status">
      {notices.slice(-4).map((n) => (
        <div key={n.id} className={`notice notice-${n.level}`} data-testid="notice" data-level={n.level}>
          <div>
            <b>{n.message}</b>
            {n.hint ? <div className="notice-hint">{n.hint}</div> : null}
          </div>
          <button type="button" onClick={() => onDismiss(n.id)} aria-label="Dismiss">
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
