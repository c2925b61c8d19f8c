/** "Why -32000?": the code's meaning, the error data, the agent's stderr, the profile's sources, known issues, contradictions. */
import type { Diagnosis } from "../lib/diagnosis";
import { ErrorCodeChip } from "./ErrorCodeChip";

export interface DiagnosisPanelProps {
  diagnosis: Diagnosis;
  onSelect: (seq: number) => void;
}

export function DiagnosisPanel({ diagnosis: d, onSelect }: DiagnosisPanelProps) {
  return (
    <section className="diagnosis" data-testid="diagnosis" data-code={d.code}>
      <h4>
        Why {d.code}?{" "}
        <button type="button" className="link" onClick={() => onSelect(d.failureSeq)}>
          #{d.failureSeq} {d.method}
        </button>
      </h4>
      <div>
        <ErrorCodeChip code={d.code} /> “{d.message}”
      </div>
      <p className="muted">{d.codeMeaning}</p>
      {d.errorData !== undefined ? (
        <>
          <div className="label">error.data</div>
          <pre>{JSON.stringify(d.errorData, null, 2)}</pre>
        </>
      ) : (
        <div className="muted">The error carries no data.</div>
      )}
      <div className="label">Credential sources of the profile (names only)</div>
      <div data-testid="diagnosis-sources">{d.sources.length ? d.sources.join(" · ") : "none: the agent has no credentials to find"}</div>
      {d.rules.length > 0 ? (
        <>
          <div className="label">Known issues that match</div>
          {d.rules.map((r) => (
            <div key={r.id} className="rule" data-testid="diagnosis-rule" data-rule-id={r.id}>
              <b>{r.title}</b>
              <p>{r.explanation}</p>
              {r.fixedIn ? <p>Fixed in {r.fixedIn}.</p> : null}
              {r.suggestions.length ? (
                <ul>
                  {r.suggestions.map((s) => (
                    <li key={s}>{s}</li>
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
          <div className="label">Agent stderr around the failure</div>
          <pre data-testid="diagnosis-stderr">{d.stderrAround.map((l) => l.text).join("\n")}</pre>
        </>
      ) : null}
    </section>
  );
}
