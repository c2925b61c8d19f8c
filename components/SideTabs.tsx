/**
 * The inspector's tabs as a real ARIA tablist (WAI-ARIA APG "tabs with automatic activation"):
 * one tab in the Tab order (roving tabindex), ←/→/Home/End move and select, and the panel is a
 * tabpanel labelled by its tab, so a screen reader announces "Auth tab, 4 of 5, selected".
 * Props only; the caller keeps which tab is open. A new tab is one more entry in `tabs`.
 *
 * The row never wraps: when the pane is too narrow for every tab it scrolls sideways instead, with
 * the selected tab kept in view (on select, on arrow keys, when the pane is resized, and when a
 * remembered tab is restored) and a fade on the side that has more. Every tab keeps its full name as
 * both its text and its accessible name, and stays in the tablist for keyboard and screen-reader
 * users; shortened labels were the alternative, but a visible label that is not part of the
 * accessible name fails WCAG 2.5.3 (axe's label-content-name-mismatch) and the names get cryptic.
 */
import { type KeyboardEvent, type ReactNode, type WheelEvent, useEffect, useRef, useState } from "react";

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

/** The fade's width (app/globals.css --tabs-fade): a revealed tab lands clear of it. */
const REVEAL_MARGIN = 28;

type Overflow = "none" | "start" | "end" | "both";

/** Which sides of the row have tabs scrolled out of view. */
function overflowOf(list: HTMLElement): Overflow {
  const start = list.scrollLeft > 1;
  const end = list.scrollLeft + list.clientWidth < list.scrollWidth - 1;
  return start && end ? "both" : start ? "start" : end ? "end" : "none";
}

/**
 * Scroll the row (only the row: scrollIntoView would also scroll the pane and the page) so `tab` is
 * fully in view and clear of the fades; the row's start padding sits under the pane's fold button.
 */
function reveal(list: HTMLElement, tab: HTMLElement): void {
  const row = list.getBoundingClientRect();
  const box = tab.getBoundingClientRect();
  const start = row.left + (parseFloat(getComputedStyle(list).paddingLeft) || 0) + REVEAL_MARGIN;
  const end = row.right - REVEAL_MARGIN;
  if (box.left < start && list.scrollLeft > 0) list.scrollLeft -= start - box.left;
  else if (box.right > end && list.scrollLeft + list.clientWidth < list.scrollWidth) list.scrollLeft += box.right - end;
}

export function SideTabs<T extends string>({ tabs, active, onSelect, label, children }: SideTabsProps<T>) {
  const listRef = useRef<HTMLDivElement>(null);
  const [overflow, setOverflow] = useState<Overflow>("none");
  const current = tabs.find((t) => t.id === active);
  const activeTab = (): HTMLElement | null => listRef.current?.querySelector<HTMLElement>('[role="tab"][aria-selected="true"]') ?? null;
  // The selected tab in view whenever it changes (a click, a key, a restored setting, "Why?" opening Auth).
  useEffect(() => {
    const list = listRef.current;
    const tab = activeTab();
    if (list && tab) reveal(list, tab);
  }, [active]);
  // The pane was resized or folded open: keep the selected tab in view and the fades right.
  useEffect(() => {
    const list = listRef.current;
    if (!list || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(() => {
      const tab = activeTab();
      if (tab) reveal(list, tab);
      setOverflow(overflowOf(list));
    });
    observer.observe(list);
    return () => observer.disconnect();
  }, []);
  // A mouse wheel scrolls the row sideways (a row has nothing to scroll up or down).
  const onWheel = (e: WheelEvent<HTMLDivElement>): void => {
    const list = e.currentTarget;
    if (Math.abs(e.deltaY) > Math.abs(e.deltaX) && list.scrollWidth > list.clientWidth) list.scrollLeft += e.deltaY;
  };
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
      <div className="tabs" role="tablist" aria-label={label} ref={listRef} data-testid="side-tabs" data-overflow={overflow} onScroll={(e) => setOverflow(overflowOf(e.currentTarget))} onWheel={onWheel}>
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
