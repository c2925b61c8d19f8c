"use client";
/**
 * The page's three panes (setup sidebar | log | inspector) as resizable, collapsible panels
 * (react-resizable-panels v4), so every laptop width from 1024 px up keeps the log readable: the
 * side panes take a share of the width instead of fixed 280/420 px, can be dragged or moved with
 * the keyboard (the separators are focusable), and fold to a thin rail. Sizes are shares of the
 * window, so they follow a resize. The caller keeps the panes as the user left them (`panes`, a
 * remembered UI setting): the server render and the first client render use the defaults, and the
 * stored layout is applied through the group's imperative API once it arrives, which validates it
 * against the current width (the panes' px limits win). Only changes the user makes (drag, keyboard,
 * the fold buttons) are reported back, never a window resize or the restore itself, so a narrow
 * window does not overwrite the sizes chosen at a wide one. Takes exactly three children. The
 * whole workspace is the main landmark (the separators must be its direct children, so they could
 * not sit inside one per pane), and each side pane is a region named by its heading.
 */
import { Children, type ReactNode, type RefObject, useEffect, useState } from "react";
import { Group, type Layout, type LayoutChangedMeta, Panel, type PanelImperativeHandle, Separator, useGroupRef, usePanelRef } from "react-resizable-panels";
import { DEFAULT_PANES, groupLayout, type PaneLayout, panesAfter, SIDE_PANES, type SidePaneId } from "../lib/client/ui-prefs";

export interface WorkspaceProps {
  /** [sidebar, centre, inspector] */
  children: ReactNode;
  /** The side panes' sizes and folds to show (the defaults until the remembered ones are known). */
  panes: PaneLayout;
  /** The user resized or folded a pane. */
  onPanesChange: (panes: PaneLayout) => void;
}

const RAIL = "28px";

interface SidePaneProps {
  id: SidePaneId;
  panelRef: RefObject<PanelImperativeHandle | null>;
  title: string;
  side: "start" | "end";
  defaultSize: string;
  minSize: string;
  maxSize: string;
  /** The fold button was pressed: the pane is about to fold (true) or unfold. */
  onFold: (folded: boolean) => void;
  children: ReactNode;
}

function SidePane({ id, panelRef: ref, title, side, defaultSize, minSize, maxSize, onFold, children }: SidePaneProps) {
  const [collapsed, setCollapsed] = useState(false);
  const toggle = (panel: PanelImperativeHandle | null): void => {
    if (!panel) return;
    onFold(!panel.isCollapsed());
    if (panel.isCollapsed()) panel.expand();
    else panel.collapse();
  };
  // The arrow points the way the pane will move.
  const arrow = (side === "start") === collapsed ? "›" : "‹";
  const label = `${collapsed ? "Show" : "Hide"} the ${title.toLowerCase()} pane`;
  return (
    <Panel
      id={id}
      panelRef={ref}
      className={`pane pane-${id}${collapsed ? " collapsed" : ""}`}
      defaultSize={defaultSize}
      minSize={minSize}
      maxSize={maxSize}
      collapsible
      collapsedSize={RAIL}
      onResize={() => setCollapsed(ref.current?.isCollapsed() ?? false)}
      data-testid={`pane-${id}`}
      data-state={collapsed ? "collapsed" : "open"}
    >
      <section className="pane-inner" aria-labelledby={`pane-title-${id}`}>
        <div className="pane-head">
          <h2 id={`pane-title-${id}`} className="sr-only">
            {title}
          </h2>
          <button type="button" className="icon-btn pane-toggle" data-testid={`toggle-${id}`} aria-label={label} title={label} aria-expanded={!collapsed} aria-controls={`pane-body-${id}`} onClick={() => toggle(ref.current)}>
            {arrow}
          </button>
        </div>
        <div className="pane-body" id={`pane-body-${id}`} hidden={collapsed}>
          {children}
        </div>
      </section>
    </Panel>
  );
}

const pct = (n: number): string => `${n}%`;

export function Workspace({ children, panes, onPanesChange }: WorkspaceProps) {
  const [sidebar, centre, inspector] = Children.toArray(children);
  const groupRef = useGroupRef();
  const sidebarRef = usePanelRef();
  const inspectorRef = usePanelRef();
  const refs: Record<SidePaneId, RefObject<PanelImperativeHandle | null>> = { sidebar: sidebarRef, inspector: inspectorRef };
  const foldedNow = (): Record<SidePaneId, boolean> => ({ sidebar: sidebarRef.current?.isCollapsed() ?? false, inspector: inspectorRef.current?.isCollapsed() ?? false });

  // Show `panes` when the group shows something else (the remembered layout arriving after the first render).
  useEffect(() => {
    const group = groupRef.current;
    if (!group) return;
    const shown = group.getLayout();
    const want = groupLayout(panes);
    const folded = foldedNow();
    // A folded pane that should be open, or an open one not at its size (also when it is about to fold: unfolding brings that size back).
    if (SIDE_PANES.some((id) => (folded[id] ? !panes.folded[id] : Math.abs((shown[id] ?? 0) - want[id]) > 0.5))) group.setLayout(want);
    for (const id of SIDE_PANES) {
      const panel = refs[id].current;
      if (panel && panes.folded[id] !== panel.isCollapsed()) {
        if (panes.folded[id]) panel.collapse();
        else panel.expand();
      }
    }
  }, [panes]);

  // A drag or a separator key: the sizes asked for (before the width's limits) are what is kept.
  const onLayoutChanged = (layout: Layout, meta: LayoutChangedMeta): void => {
    if (meta.isUserInteraction) onPanesChange(panesAfter(panes, meta.requestedLayout ?? layout, foldedNow()));
  };
  // Folding keeps the pane's open size, so unfolding (now or after a reload) brings it back.
  const onFold = (id: SidePaneId, folded: boolean): void => onPanesChange({ sizes: panes.sizes, folded: { ...foldedNow(), [id]: folded } });

  return (
    <Group id="workspace" groupRef={groupRef} className="main workspace" role="main" orientation="horizontal" onLayoutChanged={onLayoutChanged}>
      <SidePane id="sidebar" panelRef={sidebarRef} title="Setup" side="start" defaultSize={pct(DEFAULT_PANES.sizes.sidebar)} minSize="220px" maxSize="420px" onFold={(f) => onFold("sidebar", f)}>
        {sidebar}
      </SidePane>
      <Separator className="pane-sep" id="sep-sidebar" data-testid="sep-sidebar" aria-label="Resize the setup pane" />
      <Panel id="centre" className="pane pane-centre" minSize="380px">
        {centre}
      </Panel>
      <Separator className="pane-sep" id="sep-inspector" data-testid="sep-inspector" aria-label="Resize the inspector pane" />
      <SidePane id="inspector" panelRef={inspectorRef} title="Inspector" side="end" defaultSize={pct(DEFAULT_PANES.sizes.inspector)} minSize="300px" maxSize="60%" onFold={(f) => onFold("inspector", f)}>
        {inspector}
      </SidePane>
    </Group>
  );
}
