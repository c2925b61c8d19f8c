/**
 * "Why -32000?": the code's meaning (from lib/error-codes.ts explainError, the same reading as the
 * chip, the timeline and the report), the error data, the agent's stderr around the failure and
 * until its exit, the profile's sources, known issues, contradictions and protocol breaches.
 * OAuthDiagnosisPanel is the "Why?" of an OAuth failure that may have no error frame at all (a
 * refused refresh Kimi 2.1.0 answers end_turn): its text, its rule, and links to the hop and file.
 * Opened from a row's or the detail's "Why?" (`reveal`), the panel scrolls itself into view and
 * flashes, because below the timeline it used to open off-screen. Issue and PR numbers in a rule's
 * text link to the rule's own URLs (lib/known-issues.json), in a new tab.
 */
import { Fragment, type ReactNode, useEffect, useRef, useState } from "react";
import { sourceLocation } from "../lib/credential-sources";
import type { Diagnosis } from "../lib/diagnosis";
import type { OAuthWhy } from "../lib/oauth-why";
import { ErrorCodeChip } from "./ErrorCodeChip";

export interface DiagnosisPanelProps {
  diagnosis: Diagnosis;
  onSelect: (seq: number) => void;
  /** The user just asked "Why?": scroll into view, take focus and flash once, then call onRevealed. */
  reveal?: boolean;
  onRevealed?: () => void;
}

const FLASH_MS = 2000;

/** "#1330" and "PR #934" in `text` become links when `links` holds that issue's or PR's URL. */
export function linkRefs(text: string, links: readonly string[]): ReactNode[] {
  return text.split(/((?:PR )?#\d+)/).map((part, i) => {
    const n = /#(\d+)$/.exec(part)?.[1];
    const href = n ? links.find((l) => new RegExp(`/(?:issues|pull)/${n}(?:[/?#]|$)`).test(l)) : undefined;
    return href ? (
      <a key={i} href={href} target="_blank" rel="noopener noreferrer" data-testid="diagnosis-link">
        {part}
      </a>
    ) : (
      <Fragment key={i}>{part}</Fragment>
    );
  });
}

/** Scroll a panel into view and flash it when `reveal` turns on; the flag is handed back at once. */
function useReveal(reveal: boolean | undefined, onRevealed: (() => void) | undefined) {
  const ref = useRef<HTMLElement>(null);
  const [flash, setFlash] = useState(false);
  // Stays true once revealed (a stable state for tests and tools); the flash itself is brief.
  const [revealed, setRevealed] = useState(false);
  useEffect(() => {
    if (!reveal) return;
    const el = ref.current;
    el?.scrollIntoView({ block: "start", behavior: "auto" });
    el?.focus({ preventScroll: true });
    setFlash(true);
    setRevealed(true);
    onRevealed?.();
  }, [reveal, onRevealed]);
  useEffect(() => {
    if (!flash) return;
    const t = setTimeout(() => setFlash(false), FLASH_MS);
    return () => clearTimeout(t);
  }, [flash]);
  return { ref, flash, revealed };
}

export function DiagnosisPanel({ diagnosis: d, onSelect, reveal, onRevealed }: DiagnosisPanelProps) {
  const { ref, flash, revealed } = useReveal(reveal, onRevealed);
  return (
    <section
      ref={ref}
      tabIndex={-1}
      aria-label={`Why ${d.code}?`}
      className={`diagnosis${flash ? " flash" : ""}`}
      data-testid="diagnosis"
      data-code={d.code}
      data-revealed={revealed ? "yes" : "no"}
    >
      <h4>
        Why {d.code}?{" "}
        <button type="button" className="link" onClick={() => onSelect(d.failureSeq)}>
          #{d.failureSeq} {d.method}
        </button>
      </h4>
      <div>
        <ErrorCodeChip code={d.code} message={d.message} data={d.errorData} method={d.method} /> “{d.message}”
      </div>
      <p className="muted" data-testid="diagnosis-meaning">
        {d.codeMeaning}
      </p>
      {d.errorData !== undefined ? (
        <>
          <div className="label">error.data</div>
          <pre data-testid="diagnosis-error-data">{JSON.stringify(d.errorData, null, 2)}</pre>
        </>
      ) : (
        <div className="muted">The error carries no data.</div>
      )}
      <div className="label">Credential sources of the profile (names only)</div>
      <div data-testid="diagnosis-sources">{d.sources.length ? d.sources.join(" · ") : "none: the agent has no credentials to find"}</div>
      {d.agentSources ? (
        <ul data-testid="diagnosis-agent-sources">
          {d.agentSources.sources.map((s) => (
            <li key={`${s.via} ${s.where}`} data-testid="diagnosis-agent-source" data-set={s.set ? "yes" : "no"}>
              {d.agentSources?.label} reads {d.agentSources ? sourceLocation(d.agentSources.family, s) : s.where} ({s.name}): {s.set ? "set by this profile" : "not set by this profile"}
            </li>
          ))}
        </ul>
      ) : null}
      {d.rules.length > 0 ? (
        <>
          <div className="label">Known issues that match</div>
          {d.rules.map((r) => (
            <div key={r.id} className="rule" data-testid="diagnosis-rule" data-rule-id={r.id}>
              <b>{linkRefs(r.title, r.links)}</b>
              <p>{linkRefs(r.explanation, r.links)}</p>
              {r.fixedIn ? <p>Fixed in {r.fixedIn}.</p> : null}
              {r.suggestions.length ? (
                <ul>
                  {r.suggestions.map((s) => (
                    <li key={s}>{linkRefs(s, r.links)}</li>
                  ))}
                </ul>
              ) : null}
              {r.evidence.length ? <div className="muted">evidence: {r.evidence.join("; ")}</div> : null}
            </div>
          ))}
        </>
      ) : (
        <div className="muted">No known-issue rule matches.</div>
      )}
      {d.contradictions.length > 0 ? (
        <>
          <div className="label">Contradictions</div>
          {d.contradictions.map((c) => (
            <div key={c.id} className="contradiction" data-testid="contradiction" data-id={c.id}>
              <b>{c.title}</b> — {c.detail}{" "}
              {c.frameSeqs.map((seq) => (
                <button key={seq} type="button" className="link" onClick={() => onSelect(seq)}>
                  #{seq}
                </button>
              ))}
            </div>
          ))}
        </>
      ) : null}
      {d.stderrAround.length > 0 ? (
        <>
          <div className="label">Agent stderr around the failure (and until the agent exited)</div>
          <pre data-testid="diagnosis-stderr">{d.stderrAround.map((l) => l.text).join("\n")}</pre>
        </>
      ) : null}
    </section>
  );
}

export interface OAuthDiagnosisPanelProps {
  why: OAuthWhy;
  /** A short label for a linked frame (its kind and what it names), e.g. "http POST /api/oauth/token → 400". */
  labelOf: (seq: number) => string;
  onSelect: (seq: number) => void;
}

export function OAuthDiagnosisPanel({ why, labelOf, onSelect }: OAuthDiagnosisPanelProps) {
  return (
    <section className="diagnosis" data-testid="diagnosis-oauth" data-hidden={why.hidden ? "yes" : "no"}>
      <h4>
        Why?{" "}
        {why.promptSeq !== undefined ? (
          <button type="button" className="link" onClick={() => why.promptSeq !== undefined && onSelect(why.promptSeq)}>
            #{why.promptSeq} session/prompt
          </button>
        ) : (
          "terminal login"
        )}
      </h4>
      <p className={why.hidden ? "warn" : "muted"}>{why.headline}.</p>
      {why.findings.map((f) => (
        <div key={f.rule} className="rule" data-testid="oauth-finding" data-rule-id={f.rule}>
          <p data-testid="oauth-finding-text">{f.text}</p>
          <div className="muted">
            rule: <code>{f.rule}</code>
            {f.evidence.length ? ` · evidence: ${f.evidence.join("; ")}` : ""}
          </div>
          {f.frameSeqs.length ? (
            <div>
              {f.frameSeqs.map((seq) => (
                <button key={seq} type="button" className="link oauth-link" data-testid="oauth-finding-link" data-seq={seq} onClick={() => onSelect(seq)}>
                  #{seq} {labelOf(seq)}
                </button>
              ))}
            </div>
          ) : null}
          {f.links?.length ? (
            <ul>
              {f.links.map((l) => (
                <li key={l}>
                  <a href={l} target="_blank" rel="noopener noreferrer">
                    {l}
                  </a>
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ))}
    </section>
  );
}
