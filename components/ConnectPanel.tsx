/** Agent picker, working directory and client-capability toggles, plus start / restart / kill. */
import type { CatalogEntryView, ClientCaps } from "../lib/wire";

export interface ConnectPanelProps {
  catalog: CatalogEntryView[];
  catalogError?: string;
  agentId: string;
  cwd: string;
  caps: ClientCaps;
  running: boolean;
  onAgentChange: (id: string) => void;
  onCwdChange: (cwd: string) => void;
  onCapsChange: (caps: ClientCaps) => void;
  onStart: () => void;
  onRestart: () => void;
  onKill: () => void;
}

const CAP_LABELS: { key: keyof ClientCaps; label: string; testId: string; title: string }[] = [
  { key: "fsRead", label: "fs.readTextFile", testId: "cap-fs-read", title: "clientCapabilities.fs.readTextFile" },
  { key: "fsWrite", label: "fs.writeTextFile", testId: "cap-fs-write", title: "clientCapabilities.fs.writeTextFile" },
  { key: "terminal", label: "terminal", testId: "cap-terminal", title: "clientCapabilities.terminal" },
  { key: "authTerminal", label: "auth.terminal", testId: "cap-auth-terminal", title: "clientCapabilities.auth.terminal (spec terminal auth)" },
  { key: "legacyTerminalAuth", label: '_meta["terminal-auth"]', testId: "cap-legacy-terminal-auth", title: 'clientCapabilities._meta["terminal-auth"] (legacy Zed convention)' },
  { key: "elicitation", label: "elicitation", testId: "cap-elicitation", title: "clientCapabilities.elicitation {form, url}: the playground then answers elicitation/create with a form or a URL card" },
];

export function ConnectPanel(props: ConnectPanelProps) {
  const entry = props.catalog.find((e) => e.id === props.agentId);
  return (
    <section className="panel" data-testid="connect-panel">
      <h3>Agent</h3>
      <label className="field">
        <span>Agent</span>
        <select data-testid="agent-picker" value={props.agentId} onChange={(e) => props.onAgentChange(e.target.value)}>
          {props.catalog.map((e) => (
            <option key={e.id} value={e.id}>
              {e.label}
              {e.problem ? " (unavailable)" : ""}
            </option>
          ))}
        </select>
      </label>
      {entry ? (
        <div className="argv muted" title="What the relay runs; the browser cannot change it" data-testid="agent-argv">
          {entry.argv.join(" ")}
        </div>
      ) : null}
      {entry?.problem ? (
        <div className="problem" data-testid="agent-problem">
          {entry.problem}
        </div>
      ) : null}
      {props.catalogError ? (
        <div className="problem" data-testid="catalog-error">
          agents.json: {props.catalogError}
        </div>
      ) : null}
      <label className="field">
        <span>Working directory</span>
        <input data-testid="cwd-input" value={props.cwd} onChange={(e) => props.onCwdChange(e.target.value)} spellCheck={false} />
      </label>
      <fieldset className="caps">
        <legend>Client capabilities sent in initialize</legend>
        {CAP_LABELS.map((c) => (
          <label key={c.key} title={c.title}>
            <input
              type="checkbox"
              data-testid={c.testId}
              checked={props.caps[c.key] === true}
              onChange={(e) => props.onCapsChange({ ...props.caps, [c.key]: e.target.checked })}
            />{" "}
            <code>{c.label}</code>
          </label>
        ))}
      </fieldset>
      <div className="button-row">
        <button type="button" className="primary" data-testid="btn-start" onClick={props.onStart} title={props.running ? "Stops the running agent and starts the picked one as a new run, in a fresh home" : "Starts the picked agent as a new run"}>
          Start
        </button>
        <button type="button" data-testid="btn-restart" onClick={props.onRestart}>
          Restart
        </button>
        <button type="button" className="danger" data-testid="btn-kill" onClick={props.onKill} disabled={!props.running}>
          Kill
        </button>
      </div>
    </section>
  );
}
