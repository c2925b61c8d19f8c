/**
 * Credential profiles: storage safety (modes, atomic writes, masked views), the "mask means
 * unchanged" rule, and that every generated Kimi home is one the bundled Kimi 2.1.0 accepts.
 */
import assert from "node:assert/strict";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { parse as parseToml } from "smol-toml";
import { mask } from "../lib/redact";
import type { ProfileDraft } from "../lib/wire";
import { ProfileError } from "../server/errors";
import { importOAuthToken, materialize, previewProfile, ProfileStore, runDoctor, type StoredProfile } from "../server/profiles";
import { profileScratch } from "./fixtures/profile-scratch";

const scratch = profileScratch("acp-profiles-test-");
const freshStore = scratch.freshStore;

async function modeOf(p: string): Promise<number> {
  return (await stat(p)).mode & 0o777;
}

async function assertNoTempFiles(dir: string): Promise<void> {
  const names = await readdir(dir);
  assert.deepEqual(names.filter((n) => n.startsWith(".") || n.includes(".tmp")), [], `temp files left in ${dir}`);
}

async function expectProfileError(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ProfileError, `expected ProfileError, got ${String(error)}`);
    assert.match(error.message, pattern);
    return true;
  });
}

const REAL_KEY = "sk-live-REALKEY-abcdefghijklmnopqrstuvwxyz";

test("first start creates the built-ins privately, active = Offline demo", async () => {
  const store = await freshStore();
  assert.deepEqual(
    store.list().map((p) => [p.id, p.name, p.kind, p.builtin]),
    [
      ["offline-demo", "Offline demo", "kimi-api-key", true],
      ["api-key-example", "API key (example)", "kimi-api-key", true],
      ["oauth-example", "OAuth (example token)", "kimi-oauth", true],
      ["logged-out", "Logged out", "logged-out", true],
      ["oauth-emulated", "OAuth (emulated)", "kimi-oauth-emulated", true],
    ],
  );
  assert.equal(store.activeId, "offline-demo");
  assert.equal(await modeOf(store.dir), 0o700);
  for (const name of await readdir(store.dir)) assert.equal(await modeOf(path.join(store.dir, name)), 0o600, name);
  assert.equal(await modeOf(store.stateFile), 0o600);
  await assertNoTempFiles(store.dir);
  await assertNoTempFiles(store.dataDir);
  const oauth = store.list().find((p) => p.kind === "kimi-oauth");
  assert.equal(oauth?.expiresAt, 4102444800);
  assert.deepEqual(oauth?.sources, ["config.toml oauth (managed:kimi-code)", "credentials/kimi-code.json"]);
  assert.equal(store.list()[1].fields.apiKey, "sk-…9f3a");
});

test("masked views never contain a secret", async () => {
  const store = await freshStore();
  await store.save({ name: "Real", kind: "kimi-api-key", fields: { provider: "moonshot-ai", model: "kimi-k2.7-code", apiKey: REAL_KEY } });
  await store.save({ name: "Env", kind: "kimi-env", fields: { modelName: "kimi-k2.7-code", apiKey: "env-secret-key-0123456789", baseUrl: "https://proxy.example/v1" } });
  await store.save({
    name: "Generic",
    kind: "generic",
    fields: { env: "OPENAI_API_KEY=sk-openai-secret-value-42\n# comment\nSHORT=abc", files: JSON.stringify([{ path: "creds/token.json", content: '{"token":"file-secret-value-77"}' }]) },
  });
  const secrets = store.secrets();
  for (const s of [REAL_KEY, "env-secret-key-0123456789", "sk-openai-secret-value-42", "example-access-token-not-real-0000", "example-refresh-token-not-real-0000", '{"token":"file-secret-value-77"}']) {
    assert.ok(secrets.includes(s), `secrets() lacks ${s}`);
  }
  const views = JSON.stringify(store.list());
  for (const s of secrets.filter((x) => x.length >= 4)) assert.ok(!views.includes(s), `view leaks ${s}`);
  const generic = store.list().find((p) => p.name === "Generic");
  // Issue #12: only secret values are masked (SHORT is not a secret by its name), see test/agent-profiles.test.ts.
  assert.equal(generic?.fields.env, `OPENAI_API_KEY=${mask("sk-openai-secret-value-42")}\n# comment\nSHORT=abc`);
  assert.deepEqual(generic?.sources, ["env OPENAI_API_KEY", "env SHORT", "file creds/token.json"]);
});

test("a masked secret sent back means unchanged; a new value replaces it", async () => {
  const store = await freshStore();
  const created = await store.save({ name: "Key", kind: "kimi-api-key", fields: { provider: "moonshot-cn", model: "kimi-k2.7-code", apiKey: REAL_KEY } });
  assert.equal(created.fields.apiKey, mask(REAL_KEY));
  // The browser edits the model and sends the key back as it received it.
  await store.save({ id: created.id, name: "Key", kind: "kimi-api-key", fields: { ...created.fields, model: "kimi-k2.6" } });
  assert.equal(store.get(created.id)?.fields.apiKey, REAL_KEY);
  assert.equal(store.get(created.id)?.fields.model, "kimi-k2.6");
  await store.save({ id: created.id, name: "Key", kind: "kimi-api-key", fields: { ...created.fields, apiKey: "sk-brand-new-key-000000000" } });
  assert.equal(store.get(created.id)?.fields.apiKey, "sk-brand-new-key-000000000");
  // Switching to the env kind keeps the key the browser only saw masked.
  const asEnv = store.list().find((p) => p.id === created.id)!;
  await store.save({ id: created.id, name: "Key", kind: "kimi-env", fields: { modelName: "kimi-k2.7-code", apiKey: asEnv.fields.apiKey } });
  assert.equal(store.get(created.id)?.fields.apiKey, "sk-brand-new-key-000000000");

  // OAuth: the masked token JSON with only expires_at edited keeps both tokens.
  const oauthView = store.list().find((p) => p.id === "oauth-example")!;
  const edited = JSON.parse(String(oauthView.fields.token)) as Record<string, unknown>;
  edited.expires_at = 1900000000;
  await store.save({ id: "oauth-example", name: oauthView.name, kind: "kimi-oauth", fields: { token: JSON.stringify(edited) } });
  const token = JSON.parse(String(store.get("oauth-example")?.fields.token)) as Record<string, unknown>;
  assert.equal(token.access_token, "example-access-token-not-real-0000");
  assert.equal(token.refresh_token, "example-refresh-token-not-real-0000");
  assert.equal(token.expires_at, 1900000000);

  // Generic env: masked lines keep their values, new lines are taken as typed.
  const g = await store.save({ name: "G", kind: "generic", fields: { env: "A_KEY=secret-value-aaaa\nB_KEY=secret-value-bbbb" } });
  await store.save({ id: g.id, name: "G", kind: "generic", fields: { env: `${String(g.fields.env).split("\n")[0]}\nB_KEY=changed-value-bbbb\nC=new` } });
  assert.equal(store.get(g.id)?.fields.env, "A_KEY=secret-value-aaaa\nB_KEY=changed-value-bbbb\nC=new");
});

test("validation: each bad input is a ProfileError with a hint, and the stored file is untouched", async () => {
  const store = await freshStore();
  const file = path.join(store.dir, "api-key-example.json");
  const original = await readFile(file, "utf8");
  const base: ProfileDraft = { id: "api-key-example", name: "API key (example)", kind: "kimi-api-key", fields: { provider: "moonshot-cn", model: "kimi-k2.7-code", apiKey: "sk-…9f3a" } };
  const unreadable = path.join(scratch.root, "no-such-dir");
  const cases: [ProfileDraft, RegExp][] = [
    [{ ...base, name: "  " }, /name is empty/],
    [{ ...base, name: "offline DEMO" }, /already exists/],
    [{ ...base, fields: { ...base.fields, apiKey: "" } }, /API key is empty/],
    [{ ...base, fields: { ...base.fields, apiKey: "sk-with space" } }, /space or line break/],
    [{ ...base, fields: { ...base.fields, apiKey: "sk-…0000" } }, /masked value/],
    [{ ...base, fields: { ...base.fields, provider: "custom", baseUrl: "" } }, /needs a base URL/],
    [{ ...base, fields: { ...base.fields, provider: "custom", baseUrl: "ftp://x.example/v1" } }, /http:\/\/ or https:\/\//],
    [{ ...base, fields: { ...base.fields, provider: "nope" } }, /Unknown provider/],
    [{ ...base, kind: "kimi-oauth", fields: { token: "{not json" } }, /not a JSON object/],
    [{ ...base, kind: "kimi-oauth", fields: { token: '{"access_token":""}' } }, /no access_token/],
    [{ ...base, kind: "kimi-oauth", fields: { token: '{"access_token":"x","expires_at":"soon"}' } }, /expires_at must be a number/],
    [{ ...base, kind: "existing-home", fields: { path: unreadable } }, /cannot be read/],
    [{ ...base, kind: "existing-home", fields: { path: "relative/dir" } }, /not an absolute path/],
    [{ ...base, kind: "existing-home", fields: { path: file } }, /not a directory/],
    [{ ...base, kind: "generic", fields: { env: "GOOD=1\nexport BAD=2" } }, /line 2 is not KEY=VALUE/],
    [{ ...base, kind: "generic", fields: { env: "KIMI_CODE_HOME=/x" } }, /playground sets itself/],
    [{ ...base, kind: "generic", fields: { files: "{" } }, /not valid JSON/],
    [{ ...base, kind: "generic", fields: { files: '[{"path":"../escape","content":"x"}]' } }, /inside the agent's home/],
    [{ ...base, kind: "kimi-env", fields: { modelName: "m", apiKey: "" } }, /KIMI_MODEL_API_KEY is empty/],
    [{ ...base, id: "does-not-exist" }, /no profile "does-not-exist"/],
  ];
  for (const [draft, pattern] of cases) {
    await assert.rejects(store.save(draft), (error: unknown) => {
      assert.ok(error instanceof ProfileError, `expected ProfileError for ${pattern}, got ${String(error)}`);
      assert.match(error.message, pattern);
      assert.ok(error.hint === undefined || error.hint.length > 0);
      return true;
    });
  }
  assert.equal(await readFile(file, "utf8"), original);
  assert.equal(store.get("api-key-example")?.fields.apiKey, "sk-example-0000-fake-key-9f3a");
  await assertNoTempFiles(store.dir);
});

test("duplicate, activate, remove, and reload from disk", async () => {
  const store = await freshStore();
  const copy = await store.duplicate("api-key-example");
  assert.equal(copy.name, "API key (example) (copy)");
  assert.equal(copy.builtin, false);
  assert.equal((await store.duplicate("api-key-example")).name, "API key (example) (copy 2)");
  await store.setActive(copy.id);
  const reloaded = new ProfileStore(store.dataDir);
  await reloaded.init();
  assert.equal(reloaded.activeId, copy.id);
  assert.equal(reloaded.get(copy.id)?.fields.apiKey, "sk-example-0000-fake-key-9f3a");
  // The active profile is protected: switch away, then remove it.
  await expectProfileError(reloaded.remove(copy.id), /active profile/);
  await reloaded.setActive("offline-demo");
  await reloaded.remove(copy.id);
  assert.equal(reloaded.activeId, "offline-demo");
  assert.equal(reloaded.get(copy.id), undefined);
  await expectProfileError(reloaded.setActive(copy.id), /no profile/);
  // A crash between temp write and rename leaves a temp file; the next start sweeps it.
  await writeFile(path.join(reloaded.dir, ".x.json.abc.tmp"), "partial", { mode: 0o600 });
  await new ProfileStore(store.dataDir).init();
  await assertNoTempFiles(reloaded.dir);
});

test("importOAuthToken reads and normalizes a Kimi token file", async () => {
  const file = path.join(scratch.root, "kimi-code.json");
  await writeFile(file, JSON.stringify({ expires_at: 4102444800, access_token: "imported-access-token-1234", extra: 1 }));
  const token = JSON.parse(await importOAuthToken(file)) as Record<string, unknown>;
  assert.deepEqual(token, { access_token: "imported-access-token-1234", expires_at: 4102444800 });
  await expectProfileError(importOAuthToken(path.join(scratch.root, "missing.json")), /Cannot read/);
  const store = await freshStore();
  const view = await store.save({ name: "Imported", kind: "kimi-oauth", fields: { importFrom: file } });
  assert.equal(view.fields.importFrom, undefined);
  assert.match(String(store.get(view.id)?.fields.token), /imported-access-token-1234/);
});

interface Materialized {
  name: string;
  profile: StoredProfile;
  home: string;
  env: Record<string, string>;
}

test("every kind materializes a fresh private home that kimi doctor 2.1.0 accepts", async () => {
  const store = await freshStore();
  const runsDir = path.join(scratch.root, "runs");
  const modelServerUrl = "http://127.0.0.1:9/v1";

  // An existing home to copy: a logged-in OAuth home produced by the playground itself.
  const source = await materialize(store.get("oauth-example")!, { runsDir, runId: "source-home", modelServerUrl });
  await mkdir(path.join(source.home, "logs"));
  await writeFile(path.join(source.home, "logs", "kimi-code.log"), "old log\n");

  const drafts: ProfileDraft[] = [
    { name: "moonshot-ai", kind: "kimi-api-key", fields: { provider: "moonshot-ai", model: "kimi-k2.7-code", apiKey: REAL_KEY } },
    { name: "custom", kind: "kimi-api-key", fields: { provider: "custom", baseUrl: "http://localhost:8080/v1", model: "my/model", apiKey: REAL_KEY } },
    { name: "env", kind: "kimi-env", fields: { modelName: "kimi-k2.7-code", apiKey: "env-secret-key-0123456789", baseUrl: "https://proxy.example/v1" } },
    { name: "copied", kind: "existing-home", fields: { path: source.home, inPlace: false } },
    { name: "in place", kind: "existing-home", fields: { path: source.home, inPlace: true } },
    { name: "generic", kind: "generic", fields: { env: "EXTRA=generic-secret-1234", files: JSON.stringify([{ path: "config.toml", content: 'default_model = ""\n' }, { path: "a/b/c.txt", content: "hello", mode: "0644" }]) } },
  ];
  for (const d of drafts) await store.save(d);

  const made: Materialized[] = [];
  for (const profile of store.list().map((v) => store.get(v.id)!)) {
    // Its home is made by a real `kimi login` against the emulator: test/oauth-emulator.test.ts.
    if (profile.kind === "kimi-oauth-emulated") continue;
    const runId = `run-${profile.id}`;
    const { home, env, files } = await materialize(profile, { runsDir, runId, modelServerUrl });
    made.push({ name: profile.name, profile, home, env });
    assert.equal(env.KIMI_CODE_HOME, home);
    if (profile.fields.inPlace === true) {
      assert.equal(home, source.home);
      assert.deepEqual(files, []);
      continue;
    }
    assert.equal(home, path.join(runsDir, runId, "home"));
    assert.equal(await modeOf(home), 0o700, `${profile.name}: home mode`);
    for (const f of files) assert.equal((await modeOf(path.join(home, f.path))).toString(8).padStart(4, "0"), f.mode, `${profile.name}: ${f.path}`);
    // The same profile twice must not share a home.
    await expectProfileError(materialize(profile, { runsDir, runId, modelServerUrl }), /already exists/);
  }

  const byName = new Map(made.map((m) => [m.name, m]));
  const offline = JSON.parse(JSON.stringify(parseToml(await readFile(path.join(byName.get("Offline demo")!.home, "config.toml"), "utf8"))));
  assert.deepEqual(offline, {
    default_model: "offline/offline-model",
    providers: { offline: { type: "kimi", base_url: modelServerUrl, api_key: "offline-demo-key" } },
    models: { "offline/offline-model": { provider: "offline", model: "offline-model", max_context_size: 262144 } },
  });
  const apiKeyHome = byName.get("API key (example)")!.home;
  assert.equal(
    await readFile(path.join(apiKeyHome, "config.toml"), "utf8"),
    [
      'default_model = "moonshot-cn/kimi-k2.7-code"',
      "",
      "[providers.moonshot-cn]",
      'type = "kimi"',
      'base_url = "https://api.moonshot.cn/v1"',
      'api_key = "sk-example-0000-fake-key-9f3a"',
      "",
      '[models."moonshot-cn/kimi-k2.7-code"]',
      'provider = "moonshot-cn"',
      'model = "kimi-k2.7-code"',
      "max_context_size = 262144",
      // Kimi appends "\n" to smol-toml's output, which already ends in one.
      "",
      "",
    ].join("\n"),
  );
  await assert.rejects(stat(path.join(apiKeyHome, "credentials")));
  const oauthHome = byName.get("OAuth (example token)")!.home;
  assert.equal(await modeOf(path.join(oauthHome, "credentials")), 0o700);
  assert.equal(await modeOf(path.join(oauthHome, "credentials", "kimi-code.json")), 0o600);
  const oauthConfig = parseToml(await readFile(path.join(oauthHome, "config.toml"), "utf8")) as { providers: Record<string, { oauth?: unknown }> };
  assert.deepEqual({ ...(oauthConfig.providers["managed:kimi-code"].oauth as object) }, { storage: "file", key: "oauth/kimi-code" });
  assert.deepEqual(await readdir(byName.get("Logged out")!.home), []);
  const envHome = byName.get("env")!.home;
  // HOME and the XDG directories point into the run's home too (issue 12 §1).
  assert.deepEqual(byName.get("env")!.env, {
    KIMI_MODEL_NAME: "kimi-k2.7-code",
    KIMI_MODEL_API_KEY: "env-secret-key-0123456789",
    KIMI_MODEL_BASE_URL: "https://proxy.example/v1",
    KIMI_CODE_HOME: envHome,
    HOME: envHome,
    XDG_CONFIG_HOME: path.join(envHome, ".config"),
    XDG_DATA_HOME: path.join(envHome, ".local", "share"),
    XDG_STATE_HOME: path.join(envHome, ".local", "state"),
    XDG_CACHE_HOME: path.join(envHome, ".cache"),
  });
  const copied = byName.get("copied")!.home;
  assert.equal(await readFile(path.join(copied, "logs", "kimi-code.log"), "utf8"), "old log\n");
  assert.equal(await modeOf(path.join(copied, "credentials", "kimi-code.json")), 0o600);
  assert.equal(byName.get("generic")!.env.EXTRA, "generic-secret-1234");
  assert.equal(await readFile(path.join(byName.get("generic")!.home, "a/b/c.txt"), "utf8"), "hello");

  const started = Date.now();
  // Two at a time: each doctor is a full Kimi start-up, and more in parallel only thrash a small machine.
  const results: { m: Materialized; r: Awaited<ReturnType<typeof runDoctor>> }[] = [];
  const queue = [...made];
  await Promise.all(
    [0, 1].map(async () => {
      for (let m = queue.shift(); m; m = queue.shift()) results.push({ m, r: await runDoctor(m.home, m.env) });
    }),
  );
  for (const { m, r } of results) {
    assert.equal(r.exitCode, 0, `${m.name}: kimi doctor said\n${r.output}`);
    assert.ok(r.ok);
    assert.match(r.output, /All checked config files are valid/);
  }
  process.stdout.write(`# kimi doctor on ${results.length} homes: ${Date.now() - started} ms\n`);
});

test("runDoctor reports a broken home as not ok", async () => {
  const home = path.join(scratch.root, "broken-home");
  await mkdir(home, { recursive: true });
  await writeFile(path.join(home, "config.toml"), "[providers.x]\ntype = 5\n");
  const r = await runDoctor(home, {});
  assert.equal(r.ok, false);
  assert.equal(r.exitCode, 1);
  assert.match(r.output, /providers\.x\.type/);
});

test("preview shows what materialize writes, with secrets masked", async () => {
  const store = await freshStore();
  const runsDir = path.join(scratch.root, "runs-preview");
  for (const view of store.list()) {
    const profile = store.get(view.id)!;
    // Written by a real `kimi login`, so its preview describes the files (test/oauth-emulator.test.ts).
    if (profile.kind === "kimi-oauth-emulated") continue;
    const preview = await previewProfile(profile, { modelServerUrl: "http://127.0.0.1:9/v1" });
    const { home, env } = await materialize(profile, { runsDir, runId: `p-${profile.id}`, modelServerUrl: "http://127.0.0.1:9/v1" });
    // Whole token JSON documents are secrets too, but the preview masks the tokens inside them.
    const secrets = store.secrets().filter((s) => s.length >= 4 && !s.includes("\n"));
    for (const file of preview.files) {
      const written = await readFile(path.join(home, file.path), "utf8");
      let expected = written;
      // Replace raw secrets by their masks, longest first, the way the preview shows them.
      for (const s of [...secrets].sort((a, b) => b.length - a.length)) expected = expected.split(s).join(mask(s));
      assert.equal(file.content, expected, `${view.name}: ${file.path}`);
      for (const s of secrets) assert.ok(!file.content.includes(s), `${view.name}: preview leaks ${s}`);
    }
    assert.deepEqual(Object.keys(preview.env).sort(), Object.keys(env).sort());
  }
  // A draft that sends masks back previews the stored secrets (masked), not the masks of masks.
  const draft: ProfileDraft = { id: "api-key-example", name: "API key (example)", kind: "kimi-api-key", fields: store.list()[1].fields };
  const preview = await previewProfile(draft, { store });
  assert.match(preview.files[0].content, /api_key = "sk-…9f3a"/);
  await expectProfileError(previewProfile({ ...draft, fields: { ...draft.fields, apiKey: "" } }, { store }), /API key is empty/);
});
