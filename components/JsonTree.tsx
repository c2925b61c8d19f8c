/**
 * A collapsible, type-coloured JSON tree (react-json-view-lite: role=tree, arrow keys, only open
 * nodes rendered, so a 1 MB session/load stays usable). Opens three levels deep; "expand all" and
 * "collapse" re-seed every node. Strings longer than STRING_LIMIT are cut with "… (+N chars)" until
 * "full strings" is on: the Pretty and Raw views always hold the whole text.
 */
import { useCallback, useMemo, useState } from "react";
import { JsonView } from "react-json-view-lite";
import s from "./JsonTree.module.css";

export const STRING_LIMIT = 160;
const DEFAULT_DEPTH = 3;

export interface JsonTreeProps {
  data: object;
  /** The tree's accessible name, e.g. "frame #12". */
  label: string;
  testId: string;
}

/** The library does not export its StyleProps type; its prop type carries it. */
const STYLE: NonNullable<Parameters<typeof JsonView>[0]["style"]> = {
  container: s.container,
  basicChildStyle: s.node,
  childFieldsContainer: s.children,
  label: s.label,
  clickableLabel: `${s.label} ${s.clickable}`,
  nullValue: s.null,
  undefinedValue: s.null,
  stringValue: s.string,
  booleanValue: s.boolean,
  numberValue: s.number,
  otherValue: s.other,
  punctuation: s.punctuation,
  collapseIcon: `${s.icon} ${s.collapse}`,
  expandIcon: `${s.icon} ${s.expand}`,
  collapsedContent: s.collapsed,
  noQuotesForStringValues: false,
  quotesForFieldNames: true,
  ariaLables: { collapseJson: "collapse", expandJson: "expand" },
  stringifyStringValues: true,
};

/** A copy of `value` with long strings cut, and how many were cut. */
export function truncateStrings(value: unknown, limit = STRING_LIMIT): { value: unknown; cut: number } {
  let cut = 0;
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") {
      if (v.length <= limit) return v;
      cut++;
      return `${v.slice(0, limit)}… (+${v.length - limit} chars)`;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return { value: walk(value), cut };
}

export function JsonTree({ data, label, testId }: JsonTreeProps) {
  // A new object per click, so a second "expand all" re-opens nodes closed by hand in between.
  const [seed, setSeed] = useState({ depth: DEFAULT_DEPTH });
  const [fullStrings, setFullStrings] = useState(false);
  const cutView = useMemo(() => truncateStrings(data), [data]);
  // A new function re-seeds every node's open state (the library watches its identity).
  const shouldExpand = useCallback((level: number) => level < seed.depth, [seed]);
  const shown = fullStrings || cutView.cut === 0 ? data : (cutView.value as object);
  return (
    <div className={s.wrap} data-testid={testId}>
      <div className={s.toolbar}>
        <button type="button" data-testid={`${testId}-expand-all`} onClick={() => setSeed({ depth: Number.POSITIVE_INFINITY })}>
          expand all
        </button>
        <button type="button" data-testid={`${testId}-collapse-all`} onClick={() => setSeed({ depth: 1 })}>
          collapse
        </button>
        {cutView.cut > 0 ? (
          <label title={`Strings over ${STRING_LIMIT} characters are cut in the tree; Pretty and Raw show them whole`}>
            <input type="checkbox" data-testid={`${testId}-full-strings`} checked={fullStrings} onChange={(e) => setFullStrings(e.target.checked)} /> full strings ({cutView.cut} cut)
          </label>
        ) : null}
      </div>
      <JsonView data={shown} style={STYLE} shouldExpandNode={shouldExpand} clickToExpandNode aria-label={`JSON tree of ${label}`} />
    </div>
  );
}
