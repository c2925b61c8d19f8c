/**
 * Credential profiles on disk: one JSON file per profile under `<dataDir>/profiles` (dir 0700,
 * files 0600) plus the active id in `<dataDir>/state.json`. Every write is atomic (temp file in
 * the same directory, fsync, rename), because these files hold real keys and a crash must never
 * leave half a key or a world-readable copy behind. The browser only ever gets masked views.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, open, readdir, readFile, rename, rm, unlink } from "node:fs/promises";
import path from "node:path";
import type { ProfileDraft, ProfileView } from "../lib/wire";
import { ProfileError } from "./errors";
import {
  importOAuthToken,
  PROFILE_KINDS,
  profileSecrets,
  restoreSecrets,
  type StoredProfile,
  toView,
  validateFields,
  validateName,
} from "./profile-kinds";

export const OFFLINE_DEMO_ID = "offline-demo";

const ID_RE = /^[a-z0-9][a-z0-9-]{0,63}$/;
const TEMP_SUFFIX = ".tmp";

/** Fake but well-formed credentials, so every kind can be tried without a real account. */
/** The built-in profile of the OAuth lab (issue #13); tests and the flow CLI find it by this name. */
export const OAUTH_EMULATED_ID = "oauth-emulated";
export const OAUTH_EMULATED_NAME = "OAuth (emulated)";

function builtinProfiles(now: number): StoredProfile[] {
  const make = (id: string, name: string, kind: StoredProfile["kind"], fields: StoredProfile["fields"], order: number): StoredProfile => ({
    id,
    name,
    kind,
    builtin: true,
    fields,
    createdAt: now + order,
    updatedAt: now + order,
  });
  return [
    // Not a secret: the offline model server accepts any key; it is only there because Kimi wants one.
    make(OFFLINE_DEMO_ID, "Offline demo", "kimi-api-key", { provider: "offline", baseUrl: null, model: "offline-model", apiKey: "offline-demo-key" }, 0),
    make("api-key-example", "API key (example)", "kimi-api-key", { provider: "moonshot-cn", baseUrl: null, model: "kimi-k2.7-code", apiKey: "sk-example-0000-fake-key-9f3a" }, 1),
    make(
      "oauth-example",
      "OAuth (example token)",
      "kimi-oauth",
      {
        token: JSON.stringify(
          {
            access_token: "example-access-token-not-real-0000",
            refresh_token: "example-refresh-token-not-real-0000",
            expires_at: 4102444800,
            scope: "kimi-code",
            token_type: "Bearer",
            expires_in: 900,
          },
          null,
          2,
        ),
      },
      2,
    ),
    make("logged-out", "Logged out", "logged-out", {}, 3),
    // No secrets at all: each run's home is made by the real `kimi login` against the OAuth emulator.
    make(OAUTH_EMULATED_ID, OAUTH_EMULATED_NAME, "kimi-oauth-emulated", { loggedOut: false }, 4),
  ];
}

/**
 * Write `content` to `file` so that readers see either the old file or the whole new one, and the
 * secret never exists with looser permissions than `mode`.
 */
export async function writeFileAtomic(file: string, content: string, mode = 0o600): Promise<void> {
  const dir = path.dirname(file);
  const temp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString("hex")}${TEMP_SUFFIX}`);
  const handle = await open(temp, "wx", mode);
  try {
    try {
      await handle.writeFile(content, "utf8");
      // The process umask may have narrowed the mode further, never widened it; make it exact.
      await handle.chmod(mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  // Make the rename itself durable; not every filesystem allows syncing a directory.
  try {
    const dirHandle = await open(dir, "r");
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  } catch {
    // Best effort.
  }
}

function slug(name: string): string {
  const s = name
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40)
    .replace(/-+$/, "");
  return s || "profile";
}

function parseStored(text: string, file: string): StoredProfile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ProfileError(`${file} is not valid JSON: ${(error as Error).message}`, "Fix or delete the file; the other profiles still load.");
  }
  const p = value as Partial<StoredProfile> | null;
  if (
    typeof p !== "object" ||
    p === null ||
    typeof p.id !== "string" ||
    !ID_RE.test(p.id) ||
    typeof p.name !== "string" ||
    !PROFILE_KINDS.includes(p.kind as StoredProfile["kind"]) ||
    typeof p.fields !== "object" ||
    p.fields === null
  ) {
    throw new ProfileError(`${file} is not a profile (needs id, name, kind and fields).`, "Fix or delete the file; the other profiles still load.");
  }
  if (`${p.id}.json` !== path.basename(file)) throw new ProfileError(`${file} holds profile id "${p.id}", which does not match its file name.`, "Rename the file to <id>.json or fix the id.");
  return {
    id: p.id,
    name: p.name,
    kind: p.kind as StoredProfile["kind"],
    builtin: p.builtin === true,
    fields: p.fields,
    createdAt: typeof p.createdAt === "number" ? p.createdAt : 0,
    updatedAt: typeof p.updatedAt === "number" ? p.updatedAt : 0,
  };
}

export class ProfileStore {
  private readonly profiles = new Map<string, StoredProfile>();
  private active = OFFLINE_DEMO_ID;
  private loadProblems: ProfileError[] = [];
  /** Saves, deletes and activations run one at a time so name checks and state writes cannot race. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly dataDir: string) {}

  get dir(): string {
    return path.join(this.dataDir, "profiles");
  }

  get stateFile(): string {
    return path.join(this.dataDir, "state.json");
  }

  /** Profile files that could not be loaded; the rest of the store works without them. */
  get problems(): readonly ProfileError[] {
    return this.loadProblems;
  }

  async init(): Promise<void> {
    await mkdir(this.dataDir, { recursive: true, mode: 0o700 });
    let entries: string[] | undefined;
    try {
      entries = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    if (entries === undefined) {
      await mkdir(this.dir, { mode: 0o700 });
      await chmod(this.dir, 0o700);
      for (const profile of builtinProfiles(Date.now())) {
        await this.writeProfile(profile);
        this.profiles.set(profile.id, profile);
      }
      await this.writeState(OFFLINE_DEMO_ID);
      this.active = OFFLINE_DEMO_ID;
      return;
    }
    // Someone may have loosened it by hand; these files hold keys.
    await chmod(this.dir, 0o700);
    this.profiles.clear();
    this.loadProblems = [];
    for (const name of entries.sort()) {
      const file = path.join(this.dir, name);
      // Leftovers of a write interrupted by a crash: the rename never happened, so they are garbage.
      if (name.startsWith(".") && name.endsWith(TEMP_SUFFIX)) {
        await rm(file, { force: true });
        continue;
      }
      if (!name.endsWith(".json")) continue;
      try {
        const profile = parseStored(await readFile(file, "utf8"), file);
        this.profiles.set(profile.id, profile);
      } catch (error) {
        this.loadProblems.push(error instanceof ProfileError ? error : new ProfileError(`${file}: ${(error as Error).message}`));
      }
    }
    let activeId: unknown;
    try {
      activeId = (JSON.parse(await readFile(this.stateFile, "utf8")) as { activeId?: unknown }).activeId;
    } catch {
      activeId = undefined;
    }
    this.active = typeof activeId === "string" && this.profiles.has(activeId) ? activeId : this.fallbackActive();
  }

  private fallbackActive(): string {
    if (this.profiles.has(OFFLINE_DEMO_ID)) return OFFLINE_DEMO_ID;
    return this.sorted()[0]?.id ?? "";
  }

  private sorted(): StoredProfile[] {
    return [...this.profiles.values()].sort((a, b) => a.createdAt - b.createdAt || a.name.localeCompare(b.name));
  }

  list(): ProfileView[] {
    const now = Date.now();
    return this.sorted().map((p) => toView(p, now));
  }

  get(id: string): StoredProfile | undefined {
    return this.profiles.get(id);
  }

  view(id: string): ProfileView | undefined {
    const profile = this.profiles.get(id);
    return profile ? toView(profile) : undefined;
  }

  get activeId(): string {
    return this.active;
  }

  /** The active profile; undefined only when every profile file failed to load. */
  get activeProfile(): StoredProfile | undefined {
    return this.profiles.get(this.active);
  }

  setActive(id: string): Promise<void> {
    return this.serial(async () => {
      this.require(id);
      await this.writeState(id);
      this.active = id;
    });
  }

  /**
   * Turn a browser draft into a complete, valid profile without storing it: masks sent back are
   * replaced by the stored secrets, an OAuth `importFrom` path is read. Used by save and preview.
   */
  async resolveDraft(draft: ProfileDraft): Promise<StoredProfile> {
    if (!PROFILE_KINDS.includes(draft.kind)) throw new ProfileError(`Unknown profile kind "${String(draft.kind)}".`, `Use one of: ${PROFILE_KINDS.join(", ")}.`);
    const name = validateName(draft.name);
    const previous = draft.id ? this.profiles.get(draft.id) : undefined;
    if (draft.id && !previous) throw new ProfileError(`There is no profile "${draft.id}" to update.`, "It may have been deleted in another tab; reload the profile list.");
    const clash = [...this.profiles.values()].find((p) => p.id !== draft.id && p.name.toLowerCase() === name.toLowerCase());
    if (clash) throw new ProfileError(`A profile named "${clash.name}" already exists.`, "Pick another name, or edit that profile instead.");
    const fields = restoreSecrets(draft.kind, draft.fields, previous);
    if (draft.kind === "kimi-oauth" && typeof fields.importFrom === "string" && fields.importFrom.trim() !== "") {
      fields.token = await importOAuthToken(fields.importFrom);
    }
    const now = Date.now();
    return {
      id: previous?.id ?? "",
      name,
      kind: draft.kind,
      builtin: previous?.builtin ?? false,
      fields: validateFields(draft.kind, fields),
      createdAt: previous?.createdAt ?? now,
      updatedAt: now,
    };
  }

  save(draft: ProfileDraft): Promise<ProfileView> {
    return this.serial(async () => {
      const profile = await this.resolveDraft(draft);
      if (!profile.id) profile.id = this.newId(profile.name);
      await this.writeProfile(profile);
      this.profiles.set(profile.id, profile);
      return toView(profile);
    });
  }

  remove(id: string): Promise<void> {
    return this.serial(async () => {
      const problem = this.deleteProblem(id);
      if (problem) throw problem;
      await unlink(this.fileOf(id));
      this.profiles.delete(id);
    });
  }

  /**
   * Why `id` may not be deleted, or undefined when it may. Built-in profiles are the examples the
   * README and the tests rely on; the active one is what the next run (and a profile switch) uses,
   * and deleting it silently moved "active" to another profile, so both are refused outright.
   */
  deleteProblem(id: string): ProfileError | undefined {
    const profile = this.require(id);
    if (profile.builtin) return new ProfileError(`“${profile.name}” is a built-in profile and cannot be deleted.`, "Duplicate it to get an editable copy you can delete.");
    if (this.active === id) return new ProfileError(`“${profile.name}” is the active profile and cannot be deleted.`, "Switch to another profile in the header first.");
    if (this.profiles.size === 1) return new ProfileError("This is the last profile.", "Create or duplicate another profile first; a run always needs one.");
    return undefined;
  }

  duplicate(id: string): Promise<ProfileView> {
    return this.serial(async () => {
      const source = this.require(id);
      const names = new Set([...this.profiles.values()].map((p) => p.name.toLowerCase()));
      let name = `${source.name} (copy)`;
      for (let n = 2; names.has(name.toLowerCase()); n++) name = `${source.name} (copy ${n})`;
      const now = Date.now();
      const copy: StoredProfile = { ...source, id: this.newId(name), name, builtin: false, fields: { ...source.fields }, createdAt: now, updatedAt: now };
      await this.writeProfile(copy);
      this.profiles.set(copy.id, copy);
      return toView(copy);
    });
  }

  /** Every secret of every profile, for the relay's redactor. */
  secrets(): string[] {
    return [...new Set([...this.profiles.values()].flatMap(profileSecrets))];
  }

  private require(id: string): StoredProfile {
    const profile = this.profiles.get(id);
    if (!profile) throw new ProfileError(`There is no profile "${id}".`, "It may have been deleted in another tab; reload the profile list.");
    return profile;
  }

  private newId(name: string): string {
    for (;;) {
      const id = `${slug(name)}-${randomBytes(3).toString("hex")}`;
      if (!this.profiles.has(id)) return id;
    }
  }

  private fileOf(id: string): string {
    if (!ID_RE.test(id)) throw new ProfileError(`"${id}" is not a valid profile id.`);
    return path.join(this.dir, `${id}.json`);
  }

  private async writeProfile(profile: StoredProfile): Promise<void> {
    await writeFileAtomic(this.fileOf(profile.id), `${JSON.stringify(profile, null, 2)}\n`);
  }

  private async writeState(activeId: string): Promise<void> {
    await writeFileAtomic(this.stateFile, `${JSON.stringify({ activeId }, null, 2)}\n`);
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(() => task());
    this.queue = run.catch(() => undefined);
    return run;
  }
}
