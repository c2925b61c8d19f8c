/**
 * providers/list, providers/set and providers/disable (unstable, issue 15): the agent's LLM
 * providers from its last providers/list answer, a form to configure one, a button to disable one
 * that is not required. Header values are secrets: typed into password fields, sent once to the
 * relay (which composes providers/set and makes every value a secret of the run's redactor before
 * the frame exists), then cleared here. What the page shows of them afterwards is the recorded,
 * redacted frame. Props only.
 */
import { useMemo, useState } from "react";
import { parseMessage } from "../lib/jsonrpc";
import type { Frame } from "../lib/wire";

export interface ProviderView {
  providerId: string;
  supported: string[];
  required: boolean;
  current?: { apiType: string; baseUrl: string };
}

export interface ProvidersPanelProps {
  frames: readonly Frame[];
  version: number;
  canAct: boolean;
  onList: () => void;
  onDisable: (providerId: string) => void;
  onSet: (p: { providerId: string; apiType: string; baseUrl: string; headers: Record<string, string> }) => void;
  onSelect: (seq: number) => void;
}

/** The well-known protocols (LlmProtocol); an agent may list others, which are kept as they are. */
const KNOWN_PROTOCOLS = ["anthropic", "openai", "azure", "vertex", "bedrock"];

/** The providers of the last answered providers/list, and the seq of that answer. */
export function providersOf(frames: readonly Frame[]): { seq: number; providers: ProviderView[] } | undefined {
  for (let i = frames.length - 1; i >= 0; i--) {
    const f = frames[i];
    if (f.dir !== "in" || f.kind !== "response" || f.method !== "providers/list") continue;
    const list = (parseMessage(f)?.result as { providers?: unknown } | undefined)?.providers;
    if (!Array.isArray(list)) return { seq: f.seq, providers: [] };
    const providers = list.flatMap((raw): ProviderView[] => {
      if (typeof raw !== "object" || raw === null) return [];
      const r = raw as Record<string, unknown>;
      if (typeof r.providerId !== "string") return [];
      const cur = r.current as { apiType?: unknown; baseUrl?: unknown } | null | undefined;
      return [
        {
          providerId: r.providerId,
          supported: Array.isArray(r.supported) ? r.supported.filter((s): s is string => typeof s === "string") : [],
          required: r.required === true,
          ...(cur && typeof cur.apiType === "string" && typeof cur.baseUrl === "string" ? { current: { apiType: cur.apiType, baseUrl: cur.baseUrl } } : {}),
        },
      ];
    });
    return { seq: f.seq, providers };
  }
  return undefined;
}

/** The header names (and the redacted values the log holds) of the last providers/set per provider. */
export function sentHeaders(frames: readonly Frame[]): Map<string, { seq: number; headers: [string, string][] }> {
  const out = new Map<string, { seq: number; headers: [string, string][] }>();
  for (const f of frames) {
    if (f.dir !== "out" || f.kind !== "request" || f.method !== "providers/set") continue;
    const params = parseMessage(f)?.params as { providerId?: unknown; headers?: unknown } | undefined;
    if (typeof params?.providerId !== "string") continue;
    const headers = typeof params.headers === "object" && params.headers !== null ? Object.entries(params.headers).map(([k, v]): [string, string] => [k, typeof v === "string" ? v : ""]) : [];
    out.set(params.providerId, { seq: f.seq, headers });
  }
  return out;
}

export function ProvidersPanel(p: ProvidersPanelProps) {
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const listed = useMemo(() => providersOf(p.frames), [p.frames, p.version]);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const sent = useMemo(() => sentHeaders(p.frames), [p.frames, p.version]);
  const [providerId, setProviderId] = useState("");
  const [apiType, setApiType] = useState("openai");
  const [baseUrl, setBaseUrl] = useState("");
  const [rows, setRows] = useState<{ name: string; value: string }[]>([{ name: "Authorization", value: "" }]);
  const headers = Object.fromEntries(rows.filter((r) => r.name.trim() !== "").map((r) => [r.name.trim(), r.value]));
  const ready = p.canAct && providerId.trim() !== "" && apiType.trim() !== "" && baseUrl.trim() !== "";
  return (
    <section className="providers-panel" data-testid="providers-panel">
      <h4>Providers (unstable)</h4>
      <div className="button-row">
        <button type="button" data-testid="btn-providers-list" disabled={!p.canAct} onClick={p.onList}>
          providers/list
        </button>
        {listed ? (
          <button type="button" className="link" onClick={() => p.onSelect(listed.seq)}>
            #{listed.seq}
          </button>
        ) : null}
      </div>
      {listed ? (
        <ul className="providers" data-testid="providers-list">
          {listed.providers.map((pr) => {
            const mine = sent.get(pr.providerId);
            return (
              <li key={pr.providerId} data-testid="provider" data-provider={pr.providerId} data-enabled={pr.current ? "yes" : "no"}>
                <b>{pr.providerId}</b> {pr.required ? <span className="badge">required</span> : null}{" "}
                {pr.current ? (
                  <span>
                    <code>{pr.current.apiType}</code> · <code>{pr.current.baseUrl}</code>
                  </span>
                ) : (
                  <span className="muted">disabled</span>
                )}
                <div className="muted small">supports {pr.supported.map((s) => (KNOWN_PROTOCOLS.includes(s) ? s : `${s} (not a well-known protocol)`)).join(", ") || "nothing listed"}</div>
                {mine && mine.headers.length > 0 ? (
                  <div className="small" data-testid="provider-headers">
                    headers sent (as the log holds them):{" "}
                    {mine.headers.map(([k, v]) => (
                      <code key={k} data-testid="provider-header">
                        {k}: {v}{" "}
                      </code>
                    ))}
                  </div>
                ) : null}
                <div className="button-row">
                  <button type="button" className="link" onClick={() => setProviderId(pr.providerId)}>
                    configure
                  </button>
                  {/* The schema: clients must not call providers/disable for a required provider. */}
                  <button type="button" className="danger" data-testid="btn-provider-disable" disabled={!p.canAct || pr.required || !pr.current} title={pr.required ? "required: it cannot be disabled" : undefined} onClick={() => p.onDisable(pr.providerId)}>
                    Disable
                  </button>
                </div>
              </li>
            );
          })}
        </ul>
      ) : (
        <p className="muted small">No providers/list answer yet.</p>
      )}
      <form
        className="provider-form"
        data-testid="provider-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (!ready) return;
          p.onSet({ providerId: providerId.trim(), apiType: apiType.trim(), baseUrl: baseUrl.trim(), headers });
          // The values went to the relay once; the page keeps none of them.
          setRows((r) => r.map((row) => ({ ...row, value: "" })));
        }}
      >
        <label className="field">
          <span>Provider id</span>
          <input data-testid="provider-id" value={providerId} onChange={(e) => setProviderId(e.target.value)} list="provider-ids" spellCheck={false} />
          <datalist id="provider-ids">{listed?.providers.map((pr) => <option key={pr.providerId} value={pr.providerId} />)}</datalist>
        </label>
        <label className="field">
          <span>apiType</span>
          <input data-testid="provider-api-type" value={apiType} onChange={(e) => setApiType(e.target.value)} list="provider-protocols" spellCheck={false} />
          <datalist id="provider-protocols">{KNOWN_PROTOCOLS.map((k) => <option key={k} value={k} />)}</datalist>
        </label>
        <label className="field">
          <span>baseUrl</span>
          <input data-testid="provider-base-url" value={baseUrl} onChange={(e) => setBaseUrl(e.target.value)} placeholder="https://…" spellCheck={false} />
        </label>
        <fieldset className="provider-headers">
          <legend>Headers (values are secrets: sent once, redacted everywhere)</legend>
          {rows.map((row, i) => (
            <div className="row" key={i}>
              <input aria-label={`Header ${i + 1} name`} data-testid="provider-header-name" value={row.name} onChange={(e) => setRows((r) => r.map((x, j) => (j === i ? { ...x, name: e.target.value } : x)))} spellCheck={false} />
              <input
                aria-label={`Header ${i + 1} value`}
                type="password"
                autoComplete="off"
                data-testid="provider-header-value"
                value={row.value}
                onChange={(e) => setRows((r) => r.map((x, j) => (j === i ? { ...x, value: e.target.value } : x)))}
              />
            </div>
          ))}
          <button type="button" className="link" data-testid="provider-header-add" onClick={() => setRows((r) => [...r, { name: "", value: "" }])}>
            add a header
          </button>
        </fieldset>
        <button type="submit" className="primary" data-testid="btn-providers-set" disabled={!ready}>
          providers/set
        </button>
      </form>
    </section>
  );
}
