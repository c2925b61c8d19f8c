/**
 * The inspector's tabs as a real ARIA tablist (WAI-ARIA APG "tabs with automatic activation"):
 * one tab in the Tab order (roving tabindex), ←/→/Home/End move and select, and the panel is a
 * tabpanel labelled by its tab, so a screen reader announces "Auth tab, 4 of 5, selected".
 * Props only; the caller keeps which tab is open. A new tab is one more entry in `tabs`.
 */
import { type KeyboardEvent, type ReactNode, useRef } from "react";

export interface SideTab<T extends string> {
  id: T;
  label: ReactNode;
  /** What a screen reader hears when `label` carries a symbol (e.g. "Auth, an auth error"). */
  ariaLabel?: string;
}

export interface SideTabsProps<T extends string> {
  tabs: readonly SideTab<T>[];
  active: T;
  onSelect: (id: T) => void;
  label: string;
  children: ReactNode;
}

export function SideTabs<T extends string>({ tabs, active, onSelect, label, children }: SideTabsProps<T>) {
  const listRef = useRef<HTMLDivElement>(null);
  const current = tabs.find((t) => t.id === active);
  const move = (e: KeyboardEvent<HTMLButtonElement>, index: number): void => {
    const last = tabs.length - 1;
    const next = e.key === "ArrowRight" ? (index === last ? 0 : index + 1) : e.key === "ArrowLeft" ? (index === 0 ? last : index - 1) : e.key === "Home" ? 0 : e.key === "End" ? last : -1;
    if (next < 0) return;
    e.preventDefault();
    onSelect(tabs[next].id);
    listRef.current?.querySelectorAll<HTMLButtonElement>('[role="tab"]')[next]?.focus();
  };
  return (
    <>
      <div className="tabs" role="tablist" aria-label={label} ref={listRef} data-testid="side-tabs">
        {tabs.map((t, i) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            id={`tab-${t.id}`}
            data-testid={`tab-${t.id}`}
            aria-selected={t.id === active}
            aria-controls="side-tabpanel"
            aria-label={t.ariaLabel}
            tabIndex={t.id === active ? 0 : -1}
            className={t.id === active ? "active" : ""}
            onClick={() => onSelect(t.id)}
            onKeyDown={(e) => move(e, i)}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div className="tabpanel" role="tabpanel" id="side-tabpanel" aria-labelledby={`tab-${active}`} data-testid="side-tabpanel" data-tab={active}>
        {/* The open view's name as the outline's next level (panels use h4 for their parts). */}
        <h3 className="sr-only">{current ? (current.ariaLabel ?? (typeof current.label === "string" ? current.label : current.id)) : active}</h3>
        {children}
      </div>
    </>
  );
}
