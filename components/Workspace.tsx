"use client";
/**
 * The page's three panes (setup sidebar | log | inspector) as resizable, collapsible panels
 * (react-resizable-panels v4), so every laptop width from 1024 px up keeps the log readable: the
 * side panes take a share of the width instead of fixed 280/420 px, can be dragged or moved with
 * the keyboard (the separators are focusable), and fold to a thin rail. Sizes are shares of the
 * window, so they follow a resize; they are not stored: the library restores a stored layout only
 * after the server-rendered one, and a half-restored layout broke the 1024 px view. Takes exactly
 * three children. The whole workspace is the main landmark (the separators must be its direct
 * children, so they could not sit inside one per pane), and each side pane is a region named by
 * its heading.
 */
import { Children, type ReactNode, useState } from "react";
import { Group, Panel, type PanelImperativeHandle, Separator, usePanelRef } from "react-resizable-panels";

export interface WorkspaceProps {
  /** [sidebar, centre, inspector] */
  children: ReactNode;
}

const RAIL = "28px";

interface SidePaneProps {
  id: "sidebar" | "inspector";
  title: string;
  side: "start" | "end";
  defaultSize: string;
  minSize: string;
  maxSize: string;
  children: ReactNode;
}

function SidePane({ id, title, side, defaultSize, minSize, maxSize, children }: SidePaneProps) {
  const ref = usePanelRef();
  const [collapsed, setCollapsed] = useState(false);
  const toggle = (panel: PanelImperativeHandle | null): void => {
    if (!panel) return;
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

export function Workspace({ children }: WorkspaceProps) {
  const [sidebar, centre, inspector] = Children.toArray(children);
  return (
    <Group id="workspace" className="main workspace" role="main" orientation="horizontal">
      <SidePane id="sidebar" title="Setup" side="start" defaultSize="20%" minSize="220px" maxSize="420px">
        {sidebar}
      </SidePane>
      <Separator className="pane-sep" id="sep-sidebar" aria-label="Resize the setup pane" />
      <Panel id="centre" className="pane pane-centre" minSize="380px">
        {centre}
      </Panel>
      <Separator className="pane-sep" id="sep-inspector" aria-label="Resize the inspector pane" />
      <SidePane id="inspector" title="Inspector" side="end" defaultSize="34%" minSize="300px" maxSize="60%">
        {inspector}
      </SidePane>
    </Group>
  );
}
