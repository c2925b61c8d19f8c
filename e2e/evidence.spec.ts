/**
 * Issue #6's acceptance in the browser: a recorded Kimi trace replayed as an agent drives the core
 * flow without Kimi, export→import round-trips, the matrix grid runs and exports, a crafted bad
 * frame is flagged by the schema check, and the bug report never holds a configured secret.
 */
import path from "node:path";
import { expect, test as base } from "@playwright/test";
import { test } from "./fixtures";
import { type PlaygroundServer, startServer } from "./fixtures";
import { PlaygroundPage } from "./pages/playground";

const API_KEY_EXAMPLE = "sk-example-0000-fake-key-9f3a";

base.describe("replay", () => {
  let server: PlaygroundServer;
  base.afterEach(async () => server?.stop());

  base("a recorded Kimi trace replayed as an agent drives the core flow without spawning Kimi", async ({ page }) => {
    const trace = path.resolve("test/fixtures/traces/kimi-2.1.0-logged-out.jsonl");
    server = await startServer({ agentsJson: { agents: [{ id: "replay-kimi", label: "Replay: Kimi 2.1.0 logged out", replay: trace }] } });
    const pg = new PlaygroundPage(page, server.url);
    await pg.open();
    await pg.pickProfile("Logged out");
    await pg.pickAgent("replay-kimi");
    await pg.start();
    const spawned = pg.rows({ kind: "lifecycle" }).first();
    await expect(spawned).toContainText("replay-agent.mjs");
    await expect(spawned).not.toContainText("kimi-code");
    const init = await pg.initialize();
    const detail = await pg.openDetail(init);
    await detail.getByTestId("detail-view-raw").click(); // the tree is the default view
    await expect(detail.getByTestId("detail-raw")).toContainText("Login with Kimi account");
    const err = await pg.sessionNew();
    await expect(err).toHaveAttribute("data-error-code", "-32000");
    // A request the recording does not have is reported, not hidden.
    await page.getByTestId("btn-session-new").click();
    await expect(pg.rows({ kind: "stderr" }).filter({ hasText: "replay mismatch" }).first()).toBeVisible();
  });
});

test("export a run's trace and import it back: the same frames, read-only", async ({ pg, page }) => {
  await pg.launch("Logged out", "kimi-2.1.0");
  await pg.sessionNew();
  const runId = await page.getByTestId("run-item").first().getAttribute("data-run-id");
  // Fetched by the page itself: the token cookie lives on its acp-….localhost name only.
  const response = await pg.fetchText(`/api/runs/${runId}/trace.jsonl`);
  expect(response.status).toBe(200);
  const text = response.text;
  const exported = text.trim().split("\n").slice(1).map((l) => JSON.parse(l) as { seq: number; raw: string });
  await page.getByTestId("import-trace").setInputFiles({ name: "trace.jsonl", mimeType: "application/x-ndjson", buffer: Buffer.from(text) });
  await expect(page.getByTestId("run-item").first()).toContainText("imported");
  await expect(page.getByTestId("filter-count")).toHaveText(`${exported.length} / ${exported.length}`);
  const rows = await pg.rows().evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-seq"))));
  expect(rows).toEqual(exported.map((f) => f.seq).slice(0, rows.length));
  await expect(pg.rows({ kind: "error", method: "session/new" }).last()).toHaveAttribute("data-error-code", "-32000");
  await expect(page.getByTestId("btn-initialize")).toBeDisabled();
});

test("the auth matrix grid runs, exports Markdown and opens a cell's frames", async ({ pg, page }) => {
  await pg.open();
  await page.getByTestId("btn-matrix").click();
  for (const id of ["offline-demo", "oauth-example"]) await page.locator(`[data-testid="matrix-profile"][data-id="${id}"]`).uncheck();
  await page.getByTestId("btn-matrix-run").click();
  const grid = page.getByTestId("matrix-grid");
  await expect(grid).toHaveAttribute("data-state", "done", { timeout: 90_000 });
  const cell = (agent: string, profile: string) => page.locator(`[data-testid="matrix-cell"][data-agent="${agent}"][data-profile="${profile}"]`);
  await expect(cell("kimi-0.28.0", "API key (example)")).toHaveAttribute("data-verdict", "auth-required");
  await expect(cell("kimi-2.1.0", "API key (example)")).toHaveAttribute("data-verdict", "session-created");
  await expect(cell("kimi-2.1.0", "Logged out")).toHaveAttribute("data-verdict", "auth-required");
  const md = (await pg.fetchText("/api/matrix.md")).text;
  expect(md).toContain("kimi-0.28.0");
  expect(md).toContain("auth required");
  expect(md).not.toContain(API_KEY_EXAMPLE);
  await cell("kimi-0.28.0", "API key (example)").click();
  await expect(page.getByTestId("run-item").first()).toContainText("imported");
  await expect(pg.rows({ kind: "error", method: "session/new" }).last()).toHaveAttribute("data-error-code", "-32000");
});

test("a crafted bad frame is flagged by the schema check, with its JSON path", async ({ pg, page }) => {
  await pg.launch("Logged out", "kimi-2.1.0");
  await pg.sendRaw('{"jsonrpc":"2.0","id":99,"method":"session/new","params":{"mcpServers":[]}}');
  const bad = pg.rows({ dir: "out", method: "session/new" }).last();
  await expect(bad.getByTestId("violation-badge")).toBeVisible();
  await pg.openDetail(bad);
  await expect(page.getByTestId("detail-violations")).toContainText("cwd");
  // The agent's own frames pass.
  await expect(pg.rows({ kind: "response", method: "initialize" }).getByTestId("violation-badge")).toHaveCount(0);
});

test("the bug report of a run with a profile secret in its frames does not contain it", async ({ pg, page }) => {
  await pg.launch("API key (example)", "kimi-0.28.0");
  await pg.sessionNew();
  // Someone pastes the key into a raw message: the agent gets it, the log and the report must not show it.
  await pg.sendRaw(`{"jsonrpc":"2.0","id":50,"method":"authenticate","params":{"methodId":"${API_KEY_EXAMPLE}"}}`);
  await expect(pg.rows({ dir: "out", method: "authenticate" }).last()).toContainText("‹redacted›");
  const runId = await page.getByTestId("run-item").first().getAttribute("data-run-id");
  const report = (await pg.fetchText(`/api/runs/${runId}/report.md`)).text;
  expect(report).toContain("## Auth timeline");
  expect(report).toContain("#1330");
  expect(report).toContain("‹redacted›");
  expect(report).not.toContain(API_KEY_EXAMPLE);
  const trace = (await pg.fetchText(`/api/runs/${runId}/trace.jsonl`)).text;
  expect(trace).not.toContain(API_KEY_EXAMPLE);
});
