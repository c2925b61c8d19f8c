/**
 * Create, edit, duplicate, delete and check credential profiles. The browser only ever holds
 * masked secrets: a secret field left at its masked value means "keep the stored one". The relay
 * answers save / duplicate / delete to this tab (profile_result): the form then edits the saved
 * profile (masked), selects the copy, or shows the refusal inside the dialog. Built-in and active
 * profiles cannot be deleted (the relay refuses too); Delete asks first, naming the profile.
 */
import { useEffect, useRef, useState } from "react";
import { Modal } from "./Modal";
import { AGENT_SOURCES, familyOfKind, sourceKey, sourceLocation } from "../lib/credential-sources";
import { PROFILE_KINDS, type ProfileDraft, type ProfileKind, type ProfileView, type ServerEvent } from "../lib/wire";

export interface ProfileManagerProps {
  profiles: ProfileView[];
  activeProfileId?: string;
  preview?: Extract<ServerEvent, { type: "profile_preview" }>;
  check?: Extract<ServerEvent, { type: "profile_check" }>;
  /** The relay's answer to this tab's last save / duplicate / delete; a new object per answer. */
  result?: Extract<ServerEvent, { type: "profile_result" }>;
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

function draftOf(view: ProfileView): ProfileDraft {
  return { id: view.id, name: view.name, kind: view.kind, fields: { ...view.fields } };
}

/** Which profile (or unsaved kind) the form shows: preview and check output belong to one key. */
function keyOf(d: ProfileDraft | undefined): string {
  return d ? (d.id ?? `new:${d.kind}`) : "";
}

/** Why Delete is not offered for this profile, or undefined (the relay applies the same rule). */
export function deleteBlocked(view: ProfileView | undefined, activeProfileId: string | undefined): string | undefined {
  if (!view) return undefined;
  if (view.builtin) return "Built-in profiles cannot be deleted; duplicate it to get one you can.";
  if (view.id === activeProfileId) return "The active profile cannot be deleted; switch to another profile first.";
  return undefined;
}

type Pending = { action: "save" | "duplicate" | "delete"; name: string };
/** A request whose answer is the next new `p.preview` / `p.check` object after `before`. */
type Asked<T> = { key: string; before: T | undefined };

export function ProfileManager(p: ProfileManagerProps) {
  const [editing, setEditing] = useState<ProfileDraft | undefined>();
  const [pending, setPending] = useState<Pending>();
  const [status, setStatus] = useState<{ kind: "saved" | "duplicated" | "deleted"; text: string }>();
  const [error, setError] = useState<{ message: string; hint?: string }>();
  const [previewAsked, setPreviewAsked] = useState<Asked<ProfileManagerProps["preview"]>>();
  const [checkAsked, setCheckAsked] = useState<Asked<ProfileManagerProps["check"]>>();
  const listRef = useRef<HTMLUListElement>(null);
  // Answers that arrived before this dialog opened are not ours to act on.
  const handled = useRef(p.result);
  const opened = useRef(false);
  const active = p.profiles.find((x) => x.id === p.activeProfileId);

  // Opens on the active profile, once; after a delete the form stays empty until the user picks one.
  useEffect(() => {
    if (!opened.current && active) {
      opened.current = true;
      setEditing(draftOf(active));
    }
  }, [active]);

  useEffect(() => {
    const r = p.result;
    if (!r || r === handled.current) return;
    handled.current = r;
    setPending(undefined);
    if (!r.ok) {
      setError({ message: r.error ?? "The relay refused.", hint: r.hint });
      return;
    }
    setError(undefined);
    if (r.action === "delete") {
      setEditing(undefined);
      setStatus({ kind: "deleted", text: `Deleted profile “${pending?.name ?? r.profileId}”.` });
      listRef.current?.focus();
    } else if (r.profile) {
      // Edit the profile as stored: secrets come back masked, never as typed.
      setEditing(draftOf(r.profile));
      setStatus(r.action === "save" ? { kind: "saved", text: `Saved “${r.profile.name}”.` } : { kind: "duplicated", text: `Duplicated as “${r.profile.name}”; you are editing the copy.` });
    }
  }, [p.result, pending]);

  const select = (d: ProfileDraft | undefined): void => {
    setEditing(d);
    setStatus(undefined);
    setError(undefined);
  };
  const setField = (key: string, value: string | boolean): void => {
    setStatus(undefined);
    setEditing((d) => (d ? { ...d, fields: { ...d.fields, [key]: value } } : d));
  };
  const key = keyOf(editing);
  const view = p.profiles.find((x) => x.id === editing?.id);
  const preview = previewAsked && previewAsked.key === key && p.preview !== previewAsked.before ? p.preview : undefined;
  const checkRunning = checkAsked !== undefined && checkAsked.key === key && p.check === checkAsked.before;
  const check = checkAsked && checkAsked.key === key && p.check !== checkAsked.before && p.check?.profileId === editing?.id ? p.check : undefined;

  return (
    <Modal title="Credential profiles" testId="profile-manager" closeTestId="btn-close-profiles" onClose={p.onClose}>
      <div className="modal-body">
        <ul className="profile-list" data-testid="profile-list" ref={listRef} tabIndex={-1} aria-label="Profiles">
          {p.profiles.map((x) => (
            <li key={x.id}>
              <button
                type="button"
                data-testid="profile-item"
                data-profile-id={x.id}
                className={editing?.id === x.id ? "selected" : ""}
                aria-current={editing?.id === x.id ? "true" : undefined}
                onClick={() => select(draftOf(x))}
              >
                <b>{x.name}</b>
                <span className="muted">{KIND_LABELS[x.kind]}</span>
                {x.id === p.activeProfileId ? <span className="pill">active</span> : null}
                {x.builtin ? <span className="pill muted">built-in</span> : null}
              </button>
            </li>
          ))}
          <li>
            <select data-testid="new-profile-kind" aria-label="New profile kind" value="" onChange={(e) => e.target.value && select(emptyDraft(e.target.value as ProfileKind))}>
              <option value="">+ New profile…</option>
              {PROFILE_KINDS.map((k) => (
                <option key={k} value={k}>
                  {KIND_LABELS[k]}
                </option>
              ))}
            </select>
          </li>
        </ul>
        <div className="profile-pane">
          {status ? (
            <div className="profile-status" role="status" data-testid="profile-status" data-state={status.kind}>
              ✓ {status.text}
            </div>
          ) : null}
          {error ? (
            <div className="problem" role="alert" data-testid="profile-error">
              {error.message}
              {error.hint ? <div className="muted">{error.hint}</div> : null}
            </div>
          ) : null}
          {editing ? (
            <ProfileForm
              key={key}
              draft={editing}
              view={view}
              busy={pending?.action}
              deleteBlocked={deleteBlocked(view, p.activeProfileId)}
              preview={preview}
              check={check}
              checkRunning={checkRunning}
              onName={(name) => {
                setStatus(undefined);
                setEditing({ ...editing, name });
              }}
              onField={setField}
              onSave={() => {
                setPending({ action: "save", name: editing.name });
                setError(undefined);
                p.onSave(editing);
              }}
              onPreview={() => {
                setPreviewAsked({ key, before: p.preview });
                p.onPreview(editing);
              }}
              onDuplicate={() => {
                if (!editing.id) return;
                setPending({ action: "duplicate", name: editing.name });
                p.onDuplicate(editing.id);
              }}
              onDelete={() => {
                if (!editing.id) return;
                setPending({ action: "delete", name: view?.name ?? editing.name });
                p.onDelete(editing.id);
              }}
              onCheck={() => {
                if (!editing.id) return;
                setCheckAsked({ key, before: p.check });
                p.onCheck(editing.id);
              }}
              onUse={() => editing.id && p.onSelect(editing.id)}
            />
          ) : (
            <p className="muted pad" data-testid="profile-none">
              Pick a profile on the left, or make one with “+ New profile…”.
            </p>
          )}
        </div>
      </div>
    </Modal>
  );
}

interface ProfileFormProps {
  draft: ProfileDraft;
  view?: ProfileView;
  busy?: Pending["action"];
  /** Why Delete is disabled (built-in or active), shown next to it. */
  deleteBlocked?: string;
  preview?: Extract<ServerEvent, { type: "profile_preview" }>;
  check?: Extract<ServerEvent, { type: "profile_check" }>;
  checkRunning: boolean;
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
  const [revealed, setRevealed] = useState<ReadonlySet<string>>(new Set());
  const [confirming, setConfirming] = useState(false);
  const deleteRef = useRef<HTMLButtonElement>(null);
  const name = p.view?.name ?? d.name;
  const cancelDelete = (): void => {
    setConfirming(false);
    // Back where the user was, not on some other profile's button.
    requestAnimationFrame(() => deleteRef.current?.focus());
  };
  return (
    <form
      className="profile-form"
      data-testid="profile-form"
      data-kind={d.kind}
      data-mode={d.id ? "edit" : "new"}
      data-profile-id={d.id ?? ""}
      onSubmit={(e) => {
        e.preventDefault();
        p.onSave();
      }}
    >
      <h3 data-testid="profile-form-title">
        {d.id ? `Edit “${name}”` : "New"}: {KIND_LABELS[d.kind]}
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
              <span className={f.type === "secret" ? "secret-input" : undefined}>
                <input
                  data-testid={`profile-field-${f.key}`}
                  // A secret is a password field: what the user types is not on screen unless asked for.
                  type={f.type === "secret" && !revealed.has(f.key) ? "password" : "text"}
                  autoComplete={f.type === "secret" ? "new-password" : "off"}
                  spellCheck={false}
                  value={String(d.fields[f.key] ?? "")}
                  placeholder={f.placeholder}
                  onChange={(e) => p.onField(f.key, e.target.value)}
                />
                {f.type === "secret" ? (
                  <button
                    type="button"
                    className="reveal"
                    data-testid={`profile-reveal-${f.key}`}
                    aria-pressed={revealed.has(f.key)}
                    aria-label={`${revealed.has(f.key) ? "Hide" : "Show"} ${f.label}`}
                    title="Shows only what you typed in this form: a saved secret stays masked, the relay never sends it back."
                    onClick={() => setRevealed((r) => (r.has(f.key) ? new Set([...r].filter((k) => k !== f.key)) : new Set([...r, f.key])))}
                  >
                    {revealed.has(f.key) ? "Hide" : "Show"}
                  </button>
                ) : null}
              </span>
            )}
            {f.help ? <small className="muted">{f.help}</small> : null}
          </label>
        ))}
      {p.view?.warning ? <div className="warn">{p.view.warning}</div> : null}
      {p.view?.expiresAt ? <div className="muted" data-testid="token-expiry">Token expires {new Date(p.view.expiresAt * 1000).toISOString()}</div> : null}
      {p.view ? <div className="muted">Sources: {p.view.sources.join(", ") || "none"}</div> : null}
      <AgentSourceList kind={d.kind} view={p.view} />
      {confirming ? (
        <div
          className="confirm"
          role="alertdialog"
          aria-labelledby="profile-delete-question"
          data-testid="profile-delete-confirm"
          onKeyDown={(e) => {
            if (e.key === "Escape") {
              // Esc answers the question; it does not close the whole dialog (no native "cancel").
              e.preventDefault();
              e.stopPropagation();
              cancelDelete();
            }
          }}
        >
          <p id="profile-delete-question">
            Delete profile “{name}”? Its stored secret is removed.
          </p>
          <div className="button-row">
            {/* Cancel has the focus: a stray Enter keeps the profile. */}
            <button type="button" data-testid="btn-profile-delete-cancel" autoFocus onClick={cancelDelete}>
              Cancel
            </button>
            <button
              type="button"
              className="danger"
              data-testid="btn-profile-delete-confirm"
              onClick={() => {
                setConfirming(false);
                p.onDelete();
              }}
            >
              Delete “{name}”
            </button>
          </div>
        </div>
      ) : (
        <div className="button-row">
          <button type="submit" className="primary" data-testid="btn-profile-save" disabled={p.busy === "save"}>
            {p.busy === "save" ? "Saving…" : "Save"}
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
                <button
                  type="button"
                  data-testid="btn-profile-check"
                  onClick={p.onCheck}
                  disabled={p.checkRunning}
                  aria-describedby="profile-check-note"
                  title="Run the bundled kimi doctor against the generated home"
                >
                  Validate config (kimi doctor)
                </button>
              ) : null}
              <button type="button" data-testid="btn-profile-duplicate" onClick={p.onDuplicate} disabled={p.busy === "duplicate"}>
                Duplicate
              </button>
              <button
                type="button"
                className="danger"
                ref={deleteRef}
                data-testid="btn-profile-delete"
                disabled={p.deleteBlocked !== undefined || p.busy === "delete"}
                aria-describedby={p.deleteBlocked ? "profile-delete-reason" : undefined}
                title={p.deleteBlocked}
                onClick={() => setConfirming(true)}
              >
                Delete
              </button>
            </>
          ) : null}
        </div>
      )}
      {d.id && p.deleteBlocked ? (
        <div className="muted small" id="profile-delete-reason" data-testid="profile-delete-reason">
          {p.deleteBlocked}
        </div>
      ) : null}
      {d.id && (familyOfKind(d.kind) === undefined || familyOfKind(d.kind) === "kimi") ? (
        <div className="muted small" id="profile-check-note">
          Validate config: validates config syntax; does not test the key.
        </div>
      ) : null}
      {p.checkRunning ? (
        <div className="muted" data-testid="profile-check-running" role="status">
          <span className="spinner" aria-hidden="true" /> Running kimi doctor…
        </div>
      ) : null}
      {p.check ? (
        // Neutral unless it failed: a passing doctor says the files parse, not that the key works.
        <div className={p.check.ok ? "check-result" : "problem"} data-testid="profile-check-result" data-state={p.check.ok ? "ok" : "failed"}>
          kimi doctor exit {p.check.exitCode}
          {p.check.ok ? " — config syntax is valid; the key was not tested" : " — the config did not validate"}
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
