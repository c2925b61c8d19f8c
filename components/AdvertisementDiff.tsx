/** initialize under four client-capability variants, side by side: which authMethods and agentCapabilities each got. */
import type { AdvertisementVariant } from "../lib/wire";

export interface AdvertisementDiffProps {
  variants: AdvertisementVariant[];
  running: boolean;
}

/** Flatten to dotted paths, so differences between variants can be marked per leaf. */
function flatten(value: unknown, prefix = "", out: Record<string, string> = {}): Record<string, string> {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) out[prefix || "(root)"] = "{}";
    for (const [k, v] of entries) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else out[prefix || "(root)"] = JSON.stringify(value);
  return out;
}

function methodLabel(m: unknown): string {
  const r = (m ?? {}) as Record<string, unknown>;
  const meta = (r._meta as Record<string, unknown> | undefined)?.["terminal-auth"] ? ' +_meta["terminal-auth"]' : "";
  return `${String(r.id)} (${typeof r.type === "string" ? r.type : "agent"}${meta})`;
}

export function AdvertisementDiff({ variants, running }: AdvertisementDiffProps) {
  if (running) return <p className="muted" data-testid="adv-diff" data-state="running">Running initialize four times…</p>;
  if (variants.length === 0) return null;
  const flat = variants.map((v) => flatten(v.agentCapabilities ?? {}));
  const keys = [...new Set(flat.flatMap((f) => Object.keys(f)))].sort();
  const methodsText = variants.map((v) => (v.ok ? (v.authMethods ?? []).map(methodLabel).join(", ") || "(none)" : `error: ${v.error}`));
  return (
    <table className="adv-diff" data-testid="adv-diff" data-state="done">
      <thead>
        <tr>
          <th>client sent</th>
          {variants.map((v) => (
            <th key={v.name} data-testid="adv-variant" data-variant={v.name}>
              {v.name}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        <tr className={new Set(methodsText).size > 1 ? "differs" : ""}>
          <td>authMethods</td>
          {methodsText.map((t, i) => (
            <td key={variants[i].name} data-testid="adv-methods">
              {t}
            </td>
          ))}
        </tr>
        {keys.map((k) => {
          const vals = flat.map((f) => f[k] ?? "—");
          return (
            <tr key={k} className={new Set(vals).size > 1 ? "differs" : ""}>
              <td>{k}</td>
              {vals.map((v, i) => (
                <td key={variants[i].name}>{v}</td>
              ))}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
