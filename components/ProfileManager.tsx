/**
 * Create, edit, duplicate, delete and check credential profiles. The browser only ever holds
 * masked secrets: a secret field left at its masked value means "keep the stored one".
 */
import { useEffect, useState } from "react";
import { Modal } from "./Modal";
import { AGENT_SOURCES, familyOfKind, sourceKey, sourceLocation } from "../lib/credential-sources";
import { PROFILE_KINDS, type ProfileDraft, type ProfileKind, type ProfileView, type ServerEvent } from "../lib/wire";

export interface ProfileManagerProps {
  profiles: ProfileView[];
  activeProfileId?: string;
  preview?: Extract<ServerEvent, { type: "profile_preview" }>;
  check?: Extract<ServerEvent, { type: "profile_check" }>;
  onClose: () => void;
  onSave: (draft: ProfileDraft) => void;
  onDelete: (id: string) => void;
  onDuplicate: (id: string) => void;
  onPreview: (draft: ProfileDraft) => void;
  onCheck: (id: string) => void;
  onSelect: (id: string) => void;
}

interface FieldSpec {
  key: string;
  label: string;
  type: "text" | "secret" | "textarea" | "checkbox" | "select";
  options?: string[];
  placeholder?: string;
  help?: string;
  showIf?: (fields: ProfileDraft["fields"]) => boolean;
}

export const KIND_LABELS: Record<ProfileKind, string> = {
  "kimi-api-key": "Kimi API key",
  "kimi-oauth": "Kimi OAuth token",
  "kimi-oauth-emulated": "Kimi OAuth (emulated)",
  "kimi-env": "Kimi environment variables",
  "gemini-api-key": "Gemini API key",
  "gemini-oauth": "Gemini OAuth (oauth_creds.json)",
  "claude-api-key": "Claude API key",
  "claude-credentials": "Claude credentials (.credentials.json)",
  "codex-api-key": "Codex API key",
  "codex-auth-json": "Codex auth.json",
  "qwen-openai": "Qwen (OpenAI-compatible key + URL + model)",
  "copilot-token": "Copilot GitHub token",
  "logged-out": "Logged out (empty home)",
  "existing-home": "Existing home directory",
  generic: "Generic (env + files)",
};

const FIELDS: Record<ProfileKind, FieldSpec[]> = {
  "kimi-api-key": [
    { key: "provider", label: "Provider", type: "select", options: ["moonshot-cn", "moonshot-ai", "custom", "offline"], help: "offline = the playground's local model server" },
    { key: "baseUrl", label: "Base URL", type: "text", placeholder: "https://api.example.com/v1", showIf: (f) => f.provider === "custom" },
    { key: "model", label: "Model id", type: "text", placeholder: "kimi-k2.7-code" },
    { key: "apiKey", label: "API key", type: "secret", placeholder: "sk-…" },
  ],
  "kimi-oauth": [
    { key: "token", label: "Token JSON (credentials/kimi-code.json)", type: "textarea", placeholder: '{"access_token":"…","refresh_token":"…","expires_at":4102444800}' },
    { key: "importFrom", label: "…or import from a file", type: "text", placeholder: "~/.kimi-code/credentials/kimi-code.json" },
  ],
  // Each run's home is made by the real `kimi login` against the playground's OAuth emulator.
  "kimi-oauth-emulated": [
    {
      key: "loggedOut",
      label: "Start logged out (log in from the Auth tab)",
      type: "checkbox",
      help: "The run gets the emulator's overrides but no login: the terminal login in the Auth tab then runs the device flow, approved on the verification page.",
    },
  ],
  "kimi-env": [
    { key: "modelName", label: "KIMI_MODEL_NAME", type: "text" },
    { key: "apiKey", label: "KIMI_MODEL_API_KEY", type: "secret" },
    { key: "baseUrl", label: "KIMI_MODEL_BASE_URL (optional)", type: "text" },
  ],
  "gemini-api-key": [{ key: "apiKey", label: "GEMINI_API_KEY", type: "secret", placeholder: "AIza…", help: "Set as GEMINI_API_KEY; .gemini/settings.json selects the gemini-api-key auth type." }],
  "gemini-oauth": [
    {
      key: "creds",
      label: "oauth_creds.json content",
      type: "textarea",
      placeholder: '{"access_token":"ya29.…","refresh_token":"1//…","token_type":"Bearer","expiry_date":1767225600000}',
      help: "Written to .gemini/oauth_creds.json (0600) with .gemini/settings.json selecting oauth-personal. access_token, refresh_token and id_token are secret.",
    },
  ],
  "claude-api-key": [{ key: "apiKey", label: "ANTHROPIC_API_KEY", type: "secret", placeholder: "sk-ant-…", help: "Set as ANTHROPIC_API_KEY in the agent's environment." }],
  "claude-credentials": [
    {
      key: "credentials",
      label: ".credentials.json content",
      type: "textarea",
      placeholder: '{"claudeAiOauth":{"accessToken":"sk-ant-oat01-…","refreshToken":"sk-ant-ort01-…","expiresAt":1767225600000}}',
      help: "Written to .claude/.credentials.json (0600), where Claude Code keeps its login on Linux. accessToken and refreshToken are secret.",
    },
  ],
  "codex-api-key": [
    { key: "envVar", label: "Variable", type: "select", options: ["CODEX_API_KEY", "OPENAI_API_KEY"], help: "codex-api-key reads CODEX_API_KEY, openai-api-key reads OPENAI_API_KEY (Codex's env_var auth methods)." },
    { key: "apiKey", label: "API key", type: "secret", placeholder: "sk-…" },
  ],
  "codex-auth-json": [
    {
      key: "authJson",
      label: "auth.json content",
      type: "textarea",
      placeholder: '{"auth_mode":"apikey","OPENAI_API_KEY":"sk-…"}',
      help: "Written to .codex/auth.json (0600), as Codex's own authenticate writes it. OPENAI_API_KEY and the tokens are secret.",
    },
  ],
  "qwen-openai": [
    { key: "apiKey", label: "OPENAI_API_KEY", type: "secret", placeholder: "sk-…" },
    { key: "baseUrl", label: "OPENAI_BASE_URL", type: "text", placeholder: "https://dashscope.aliyuncs.com/compatible-mode/v1" },
    { key: "model", label: "OPENAI_MODEL", type: "text", placeholder: "qwen3-coder-plus", help: "Qwen Code needs all three variables; .qwen/settings.json selects the openai auth type. Only the key is secret." },
  ],
  "copilot-token": [
    { key: "envVar", label: "Variable", type: "select", options: ["COPILOT_GITHUB_TOKEN", "GH_TOKEN", "GITHUB_TOKEN"], help: "Copilot CLI reads COPILOT_GITHUB_TOKEN, then GH_TOKEN, then GITHUB_TOKEN." },
    { key: "token", label: "GitHub token", type: "secret", placeholder: "github_pat_…" },
  ],
  "logged-out": [],
  "existing-home": [
    { key: "path", label: "Directory", type: "text", placeholder: "/home/me/.kimi-code" },
    { key: "inPlace", label: "Use in place (do not copy)", type: "checkbox", help: "The agent itself may write there: a token refresh rotates the refresh token." },
  ],
  generic: [
    // Data only: the relay refuses anything a loader, runtime or shell reads as code (server/env-policy.ts).
    { key: "env", label: "Environment (KEY=VALUE per line)", type: "textarea", placeholder: "OPENAI_API_KEY=sk-…\n(data only: NODE_OPTIONS, LD_*, PATH, BASH_ENV, PYTHON*… are refused)" },
    {
      key: "files",
      label: 'Files (JSON: [{"path":"…","content":"…","mode":"0600"}])',
      type: "textarea",
      help: 'A file\'s content is secret unless its entry says "secret": false (do that for a plain settings file, e.g. one naming a model).',
    },
    {
      key: "secretNames",
      label: "Also secret (variable names)",
      type: "text",
      placeholder: "MY_ENDPOINT_URL",
      help: "Values of variables whose name holds KEY, TOKEN, SECRET, PASSWORD, PASS, CREDENTIAL, AUTH, COOKIE, SESSION or PRIVATE are secret (masked here, ‹redacted› in frames); the rest (model ids, URLs) stay verbatim. List more names here.",
    },
    { key: "plainNames", label: "Not secret (variable names)", type: "text", placeholder: "GOOGLE_GENAI_USE_AUTH_MODE", help: "Names the rule above would treat as secret but are not; their values are shown and recorded verbatim." },
  ],
};

function emptyDraft(kind: ProfileKind): ProfileDraft {
  const fields: ProfileDraft["fields"] = {};
  for (const f of FIELDS[kind]) fields[f.key] = f.type === "checkbox" ? false : f.type === "select" ? (f.options?.[0] ?? "") : "";
  return { name: "", kind, fields };
}

export function ProfileManager(p: ProfileManagerProps) {
  const [editing, setEditing] = useState<ProfileDraft | undefined>();
  const active = p.profiles.find((x) => x.id === p.activeProfileId);

  useEffect(() => {
    if (!editing && active) setEditing({ id: active.id, name: active.name, kind: active.kind, fields: { ...active.fields } });
  }, [editing, active]);

  const edit = (view: ProfileView): void => setEditing({ id: view.id, name: view.name, kind: view.kind, fields: { ...view.fields } });
  const setField = (key: string, value: string | boolean): void => setEditing((d) => (d ? { ...d, fields: { ...d.fields, [key]: value } } : d));

  return (
    <Modal title="Credential profiles" testId="profile-manager" closeTestId="btn-close-profiles" onClose={p.onClose}>
      <div className="modal-body">
        <ul className="profile-list">
          {p.profiles.map((x) => (
            <li key={x.id}>
              <button type="button" data-testid="profile-item" data-profile-id={x.id} className={editing?.id === x.id ? "selected" : ""} onClick={() => edit(x)}>
                <b>{x.name}</b>
                <span className="muted">{KIND_LABELS[x.kind]}</span>
                {x.id === p.activeProfileId ? <span className="pill">active</span> : null}
              </button>
            </li>
          ))}
          <li>
            <select data-testid="new-profile-kind" value="" onChange={(e) => e.target.value && setEditing(emptyDraft(e.target.value as ProfileKind))}>
              <option value="">+ New profile…</option>
              {PROFILE_KINDS.map((k) => (
                <option key={k} value={k}>
                  {KIND_LABELS[k]}
                </option>
              ))}
            </select>
          </li>
        </ul>
        {editing ? (
          <ProfileForm
            draft={editing}
            view={p.profiles.find((x) => x.id === editing.id)}
            preview={p.preview}
            check={p.check?.profileId === editing.id ? p.check : undefined}
            onName={(name) => setEditing({ ...editing, name })}
            onField={setField}
            onSave={() => p.onSave(editing)}
            onPreview={() => p.onPreview(editing)}
            onDuplicate={() => editing.id && p.onDuplicate(editing.id)}
            onDelete={() => {
              if (editing.id) {
                p.onDelete(editing.id);
                setEditing(undefined);
              }
            }}
            onCheck={() => editing.id && p.onCheck(editing.id)}
            onUse={() => editing.id && p.onSelect(editing.id)}
          />
        ) : null}
      </div>
    </Modal>
  );
}

interface ProfileFormProps {
  draft: ProfileDraft;
  view?: ProfileView;
  preview?: Extract<ServerEvent, { type: "profile_preview" }>;
  check?: Extract<ServerEvent, { type: "profile_check" }>;
  onName: (name: string) => void;
  onField: (key: string, value: string | boolean) => void;
  onSave: () => void;
  onPreview: () => void;
  onDuplicate: () => void;
  onDelete: () => void;
  onCheck: () => void;
  onUse: () => void;
}

function ProfileForm(p: ProfileFormProps) {
  const d = p.draft;
  return (
    <form
      className="profile-form"
      data-testid="profile-form"
      data-kind={d.kind}
      onSubmit={(e) => {
        e.preventDefault();
        p.onSave();
      }}
    >
      <h3>
        {d.id ? "Edit" : "New"}: {KIND_LABELS[d.kind]}
      </h3>
      <label className="field">
        <span>Name</span>
        <input data-testid="profile-name" value={d.name} onChange={(e) => p.onName(e.target.value)} required />
      </label>
      {FIELDS[d.kind]
        .filter((f) => !f.showIf || f.showIf(d.fields))
        .map((f) => (
          <label key={f.key} className={`field${f.type === "checkbox" ? " inline" : ""}`}>
            <span>{f.label}</span>
            {f.type === "select" ? (
              <select data-testid={`profile-field-${f.key}`} value={String(d.fields[f.key] ?? "")} onChange={(e) => p.onField(f.key, e.target.value)}>
                {f.options?.map((o) => (
                  <option key={o} value={o}>
                    {o}
                  </option>
                ))}
              </select>
            ) : f.type === "checkbox" ? (
              <input type="checkbox" data-testid={`profile-field-${f.key}`} checked={d.fields[f.key] === true} onChange={(e) => p.onField(f.key, e.target.checked)} />
            ) : f.type === "textarea" ? (
              <textarea data-testid={`profile-field-${f.key}`} value={String(d.fields[f.key] ?? "")} placeholder={f.placeholder} onChange={(e) => p.onField(f.key, e.target.value)} rows={5} spellCheck={false} />
            ) : (
              <input
                data-testid={`profile-field-${f.key}`}
                type="text"
                autoComplete="off"
                spellCheck={false}
                value={String(d.fields[f.key] ?? "")}
                placeholder={f.placeholder}
                onChange={(e) => p.onField(f.key, e.target.value)}
              />
            )}
            {f.help ? <small className="muted">{f.help}</small> : null}
          </label>
        ))}
      {p.view?.warning ? <div className="warn">{p.view.warning}</div> : null}
      {p.view?.expiresAt ? <div className="muted" data-testid="token-expiry">Token expires {new Date(p.view.expiresAt * 1000).toISOString()}</div> : null}
      {p.view ? <div className="muted">Sources: {p.view.sources.join(", ") || "none"}</div> : null}
      <AgentSourceList kind={d.kind} view={p.view} />
      <div className="button-row">
        <button type="submit" className="primary" data-testid="btn-profile-save">
          Save
        </button>
        <button type="button" data-testid="btn-profile-preview" onClick={p.onPreview}>
          Preview files
        </button>
        {d.id ? (
          <>
            <button type="button" data-testid="btn-profile-use" onClick={p.onUse}>
              Use
            </button>
            {familyOfKind(d.kind) === undefined || familyOfKind(d.kind) === "kimi" ? (
              <button type="button" data-testid="btn-profile-check" onClick={p.onCheck} title="Run the bundled kimi doctor against the generated home">
                Check
              </button>
            ) : null}
            <button type="button" data-testid="btn-profile-duplicate" onClick={p.onDuplicate}>
              Duplicate
            </button>
            <button type="button" className="danger" data-testid="btn-profile-delete" onClick={p.onDelete}>
              Delete
            </button>
          </>
        ) : null}
      </div>
      {p.check ? (
        <div className={p.check.ok ? "ok" : "problem"} data-testid="profile-check-result" data-state={p.check.ok ? "ok" : "failed"}>
          kimi doctor exit {p.check.exitCode}
          <pre>{p.check.output}</pre>
        </div>
      ) : null}
      {p.preview ? (
        <div className="preview" data-testid="profile-preview">
          {p.preview.error ? <div className="problem">{p.preview.error}</div> : null}
          {p.preview.files.map((f) => (
            <div key={f.path}>
              <div className="muted">
                {f.path} ({f.mode})
              </div>
              <pre>{f.content}</pre>
            </div>
          ))}
          {Object.keys(p.preview.env).length ? <pre>{Object.entries(p.preview.env).map(([k, v]) => `${k}=${v}`).join("\n")}</pre> : null}
        </div>
      ) : null}
    </form>
  );
}

/**
 * Every credential source the kind's agent reads, by name, marked with whether this profile sets
 * it (from the saved view; an unsaved draft lists the sources, all still unset).
 */
function AgentSourceList({ kind, view }: { kind: ProfileKind; view?: ProfileView }) {
  const family = familyOfKind(kind);
  if (!family) return null;
  const saved = view?.kind === kind ? view.agentSources : undefined;
  const sources = saved?.sources ?? AGENT_SOURCES[family].sources.map((s) => ({ ...s, set: false }));
  return (
    <div className="agent-sources" data-testid="profile-agent-sources" data-family={family}>
      <div className="label">Where {AGENT_SOURCES[family].label} looks for credentials</div>
      <ul>
        {sources.map((s) => (
          <li key={sourceKey(s)} data-testid="profile-agent-source" data-source={sourceKey(s)} data-set={s.set ? "yes" : "no"}>
            <code>{sourceLocation(family, s)}</code> {s.name}
            {s.secret ? <span className="muted"> (secret)</span> : null}
            {s.set ? <span className="pill">set by this profile</span> : null}
          </li>
        ))}
      </ul>
    </div>
  );
}
