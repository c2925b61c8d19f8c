/**
 * The agent's elicitation/create requests waiting for the user (issue 15): a form built from the
 * request's restricted schema, a URL card (the host shown first; the link opens in a new tab only
 * when the user clicks it, and only for http/https), or a flagged card for a mode this client does
 * not know, which can only be declined or cancelled. A URL card stays until the agent's
 * elicitation/complete closes it. Props only; the answer goes to the relay, which checks it again.
 */
import { type ReactNode, useMemo, useState } from "react";
import {
  checkContent,
  contentFromInputs,
  type ElicitationAction,
  type ElicitationField,
  type ElicitationForm,
  type ElicitationItem,
  type ElicitationUrl,
  type ElicitationValue,
  elicitationsOf,
  initialValues,
} from "../lib/elicitation";
import type { Frame } from "../lib/wire";

export interface ElicitationCardsProps {
  frames: readonly Frame[];
  /** Bumps when the log changes (the frames array is mutated in place). */
  version: number;
  /** Answers act on the current, running run only. */
  canAct: boolean;
  onAnswer: (id: string, action: ElicitationAction, content?: Record<string, ElicitationValue>) => void;
  onSelect: (seq: number) => void;
}

/** Open elicitations, and URL ones accepted but not yet completed by the agent. */
export function activeElicitations(frames: readonly Frame[]): ElicitationItem[] {
  return elicitationsOf(frames).filter((i) => i.state === "open" || (i.request.mode === "url" && i.state === "accepted"));
}

export function ElicitationCards(p: ElicitationCardsProps) {
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const items = useMemo(() => activeElicitations(p.frames), [p.frames, p.version]);
  if (items.length === 0) return null;
  return (
    <div className="cards" data-testid="elicitation-cards">
      {items.map((item) => (
        <ElicitationCard key={`${item.runId}#${item.seq}`} item={item} canAct={p.canAct} onAnswer={p.onAnswer} onSelect={p.onSelect} />
      ))}
    </div>
  );
}

function ElicitationCard({ item, canAct, onAnswer, onSelect }: { item: ElicitationItem; canAct: boolean; onAnswer: ElicitationCardsProps["onAnswer"]; onSelect: (seq: number) => void }) {
  const r = item.request;
  const scope = r.scope.requestId !== undefined ? `request ${JSON.stringify(r.scope.requestId)}` : r.scope.sessionId ? `session ${r.scope.sessionId}${r.scope.toolCallId ? `, tool call ${r.scope.toolCallId}` : ""}` : "no scope";
  const answer = (action: ElicitationAction, content?: Record<string, ElicitationValue>): void => onAnswer(item.id, action, content);
  return (
    <div className="card elicitation" data-testid="elicitation-card" data-mode={r.mode} data-state={item.state} data-seq={item.seq}>
      <div>
        <b>{r.mode === "form" ? "The agent asks:" : r.mode === "url" ? "The agent sends you to a page:" : "Elicitation of an unknown mode:"}</b> {r.message || <i className="muted">(no message)</i>}{" "}
        <span className="muted small">({scope})</span>{" "}
        <button type="button" className="link" onClick={() => onSelect(item.seq)}>
          #{item.seq}
        </button>
      </div>
      {r.mode === "form" ? (
        <ElicitationFormView form={r.form} canAct={canAct && item.state === "open"} onAnswer={answer} />
      ) : r.mode === "url" ? (
        <UrlCard url={r.url} state={item.state} canAct={canAct} onAnswer={answer} />
      ) : (
        <>
          <div className="problem" data-testid="elicitation-unknown">
            mode <code>{r.rawMode || "(none)"}</code>: {r.problem}. The playground does not render it as a form or a URL; it can only be declined or cancelled.
          </div>
          <div className="button-row">
            <Decline canAct={canAct} onAnswer={answer} />
          </div>
        </>
      )}
    </div>
  );
}

function Decline({ canAct, onAnswer }: { canAct: boolean; onAnswer: (action: ElicitationAction) => void }) {
  return (
    <>
      <button type="button" className="danger" data-testid="elicitation-decline" disabled={!canAct} onClick={() => onAnswer("decline")}>
        Decline
      </button>
      <button type="button" data-testid="elicitation-cancel" disabled={!canAct} onClick={() => onAnswer("cancel")}>
        Cancel
      </button>
    </>
  );
}

/** The URL, its host first; a link the user opens (new tab, no opener, no referrer), which also answers accept. */
export function UrlCard({ url, state, canAct, onAnswer }: { url: ElicitationUrl; state: string; canAct: boolean; onAnswer?: (action: ElicitationAction) => void }) {
  const open = state === "open";
  return (
    <div className="elicitation-url" data-testid="elicitation-url">
      <div className="url-host" data-testid="elicitation-host">
        {url.host ?? "(no host)"}
      </div>
      <code className="url-full" data-testid="elicitation-url-text">
        {url.url}
      </code>
      {url.problem ? (
        <div className={url.openable ? "notice-inline warn" : "problem"} data-testid="elicitation-url-problem">
          {url.problem}
        </div>
      ) : null}
      <div className="button-row">
        {url.openable ? (
          <a
            className="button primary"
            data-testid="elicitation-open"
            href={url.url}
            target="_blank"
            rel="noopener noreferrer"
            onClick={() => {
              if (open && canAct) onAnswer?.("accept");
            }}
          >
            Open {url.host} in a new tab
          </a>
        ) : null}
        {open && onAnswer ? <Decline canAct={canAct} onAnswer={onAnswer} /> : null}
      </div>
      {state === "accepted" ? (
        <p className="muted small" data-testid="elicitation-waiting">
          Accepted: waiting for the agent&apos;s elicitation/complete, which closes this card.
        </p>
      ) : null}
    </div>
  );
}

function ElicitationFormView({ form, canAct, onAnswer }: { form: ElicitationForm; canAct: boolean; onAnswer: (action: ElicitationAction, content?: Record<string, ElicitationValue>) => void }) {
  const [values, setValues] = useState<Record<string, ElicitationValue>>(() => initialValues(form));
  const [problems, setProblems] = useState<Record<string, string>>({});
  const set = (name: string, value: ElicitationValue): void => setValues((v) => ({ ...v, [name]: value }));
  const submit = (): void => {
    const checked = checkContent(form, contentFromInputs(form, values));
    if (!checked.ok) {
      setProblems(checked.problems);
      return;
    }
    setProblems({});
    onAnswer("accept", checked.content);
  };
  return (
    <form
      className="elicitation-form"
      data-testid="elicitation-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      {form.title ? <h4>{form.title}</h4> : null}
      {form.description ? <p className="muted small">{form.description}</p> : null}
      {form.fields.map((f) => (
        <FieldView key={f.name} field={f} value={values[f.name]} problem={problems[f.name]} onChange={(v) => set(f.name, v)} />
      ))}
      {problems[""] ? <div className="problem">{problems[""]}</div> : null}
      <div className="button-row">
        <button type="submit" className="primary" data-testid="elicitation-accept" disabled={!canAct}>
          Accept
        </button>
        <Decline canAct={canAct} onAnswer={onAnswer} />
      </div>
    </form>
  );
}

function FieldView({ field: f, value, problem, onChange }: { field: ElicitationField; value: ElicitationValue | undefined; problem?: string; onChange: (v: ElicitationValue) => void }) {
  const id = `elicit-${f.name}`;
  const text = (
    <>
      {f.title}
      {f.required ? <b aria-hidden="true"> *</b> : null} <small className="muted">{f.kind === "unknown" ? f.type : f.kind === "string" && f.format ? f.format : f.kind}</small>
    </>
  );
  // A group of checkboxes has no single control to label.
  const label = f.kind === "multi" || f.kind === "unknown" ? <span>{text}</span> : <label htmlFor={id}>{text}</label>;
  const describe = problem ? `${id}-problem` : undefined;
  let input: ReactNode;
  switch (f.kind) {
    case "unknown":
      return (
        <div className="field elicitation-field" data-testid="elicitation-field" data-name={f.name} data-kind="unknown">
          {label}
          <div className="problem" data-testid="elicitation-field-unknown">
            type <code>{f.type}</code> is not one this client knows: not rendered as an input{f.required ? "; it is required, so the form cannot be accepted" : " and left out of the answer"}.
          </div>
        </div>
      );
    case "boolean":
      input = <input id={id} type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked)} data-testid="elicitation-input" />;
      break;
    case "enum":
      input = (
        <select id={id} value={typeof value === "string" ? value : ""} onChange={(e) => onChange(e.target.value)} data-testid="elicitation-input" aria-required={f.required} aria-describedby={describe} aria-invalid={problem ? true : undefined}>
          <option value="">{f.required ? "— choose —" : "(none)"}</option>
          {f.options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.title}
            </option>
          ))}
        </select>
      );
      break;
    case "multi": {
      const chosen = Array.isArray(value) ? value : [];
      input = (
        <span className="row" role="group" aria-label={f.title} data-testid="elicitation-input">
          {f.options.map((o) => (
            <label key={o.value}>
              <input type="checkbox" checked={chosen.includes(o.value)} onChange={(e) => onChange(e.target.checked ? [...chosen, o.value] : chosen.filter((c) => c !== o.value))} /> {o.title}
            </label>
          ))}
        </span>
      );
      break;
    }
    case "number":
    case "integer":
      input = (
        <input
          id={id}
          type="number"
          step={f.kind === "integer" ? 1 : "any"}
          min={f.minimum}
          max={f.maximum}
          value={typeof value === "string" || typeof value === "number" ? value : ""}
          onChange={(e) => onChange(e.target.value)}
          aria-required={f.required}
          aria-describedby={describe}
          aria-invalid={problem ? true : undefined}
          data-testid="elicitation-input"
        />
      );
      break;
    default:
      input = (
        <input
          id={id}
          type={f.format === "email" ? "email" : f.format === "uri" ? "url" : f.format === "date" ? "date" : "text"}
          placeholder={f.format === "date-time" ? "2026-12-02T10:00:00Z" : undefined}
          value={typeof value === "string" ? value : ""}
          minLength={f.minLength}
          maxLength={f.maxLength}
          onChange={(e) => onChange(e.target.value)}
          aria-required={f.required}
          aria-describedby={describe}
          aria-invalid={problem ? true : undefined}
          spellCheck={false}
          data-testid="elicitation-input"
        />
      );
  }
  return (
    <div className="field elicitation-field" data-testid="elicitation-field" data-name={f.name} data-kind={f.kind}>
      {label}
      {f.description ? <small className="muted">{f.description}</small> : null}
      {input}
      {problem ? (
        <small className="field-problem" id={describe} data-testid="elicitation-problem" role="alert">
          {f.title} {problem}
        </small>
      ) : null}
    </div>
  );
}
