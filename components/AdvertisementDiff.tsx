"use client";
/**
 * initialize under four client-capability variants (none / auth.terminal / legacy _meta / both):
 * the verdict first ("authMethods identical in all 4 variants" or what differs), captioned with the
 * agent and run it was asked from, then the table, which opens wide in a dialog (the side pane is
 * too narrow for four columns) and can hide the rows where every variant agrees.
 */
import { useState } from "react";
import { advDiffRows, advDiffVerdict } from "../lib/run-scope";
import type { AdvertisementVariant } from "../lib/wire";
import { Modal } from "./Modal";

export interface AdvertisementDiffProps {
  variants: AdvertisementVariant[];
  running: boolean;
  /** runCaption() of the run it was asked from: "run-7 · Kimi Code 0.28.0 · API key (example)". */
  caption: string;
  /** The ACP version each initialize asked for (v2: `capabilities`, not `clientCapabilities`). */
  protocolVersion?: 1 | 2;
}

function DiffTable({ variants, onlyDiffs }: { variants: AdvertisementVariant[]; onlyDiffs: boolean }) {
  const rows = advDiffRows(variants).filter((r) => !onlyDiffs || r.differs);
  return (
    <table className="adv-diff-table" data-testid="adv-diff-table">
      <thead>
        <tr>
          <th scope="col">client sent →</th>
          {variants.map((v) => (
            <th key={v.name} scope="col" data-testid="adv-variant" data-variant={v.name}>
              {v.name}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.length === 0 ? (
          <tr>
            <td colSpan={variants.length + 1} className="muted">
              No differences: every row is the same in all {variants.length} variants.
            </td>
          </tr>
        ) : null}
        {rows.map((r) => (
          <tr key={r.key} className={r.differs ? "differs" : ""} data-testid="adv-row" data-differs={r.differs ? "yes" : "no"}>
            <th scope="row">{r.key}</th>
            {r.values.map((v, i) => (
              <td key={variants[i].name} data-testid={r.key === "authMethods" ? "adv-methods" : undefined}>
                {v}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function AdvertisementDiff({ variants, running, caption: runCaption, protocolVersion = 1 }: AdvertisementDiffProps) {
  const [open, setOpen] = useState(false);
  const answered = [...new Set(variants.flatMap((v) => (v.protocolVersion === undefined ? [] : [v.protocolVersion])))];
  // The version asked for, and what the agent answered when that differs (it decides).
  const version = `ACP v${protocolVersion}${answered.length > 0 && answered.some((v) => v !== protocolVersion) ? ` (answered v${answered.join("/v")})` : ""}`;
  const caption = `${version} · ${runCaption}`;
  const [onlyDiffs, setOnlyDiffs] = useState(true);
  if (running) {
    return (
      <p className="muted" data-testid="adv-diff" data-state="running" data-protocol={protocolVersion}>
        <span className="spinner" aria-hidden="true" /> Running initialize four times ({caption})…
      </p>
    );
  }
  if (variants.length === 0) return null;
  const verdict = advDiffVerdict(variants);
  const toggle = (
    <label className="inline-toggle">
      <input type="checkbox" data-testid="adv-only-diffs" checked={onlyDiffs} onChange={(e) => setOnlyDiffs(e.target.checked)} /> only differences
    </label>
  );
  return (
    <section className="adv-diff" data-testid="adv-diff" data-state="done" data-identical={verdict.identical ? "yes" : "no"} data-protocol={protocolVersion}>
      <h4>Advertisement diff</h4>
      <p className="muted small" data-testid="adv-diff-caption">
        {caption}
      </p>
      <p className={`verdict ${verdict.identical ? "verdict-same" : "verdict-differs"}`} data-testid="adv-diff-verdict">
        {verdict.text}
      </p>
      <div className="button-row">
        <button type="button" data-testid="btn-adv-diff-open" onClick={() => setOpen(true)}>
          Open side by side…
        </button>
      </div>
      {open ? (
        <Modal title={`Advertisement diff · ${caption}`} testId="adv-diff-modal" closeTestId="adv-diff-close" onClose={() => setOpen(false)}>
          <div className="adv-diff pad">
            <p className={`verdict ${verdict.identical ? "verdict-same" : "verdict-differs"}`} data-testid="adv-diff-modal-verdict">
              {verdict.text}
            </p>
            {toggle}
            <div className="adv-diff-scroll">
              <DiffTable variants={variants} onlyDiffs={onlyDiffs} />
            </div>
          </div>
        </Modal>
      ) : null}
    </section>
  );
}
