/**
 * Issue #14 in the browser, the profiles manager and its neighbours: after Save the form edits the
 * saved profile (secret masked, "Saved"), secrets are password fields with a reveal toggle, Delete
 * asks and names the profile (Cancel focused), the active profile's Delete is disabled with its
 * reason, Duplicate selects the copy and switching clears the preview; "Why?" on the -32000 row of
 * the #1330 repro opens the diagnosis in view with the issue linked; a matrix cell opened twice is
 * one run.
 */
import type { Locator, Page } from "@playwright/test";
import { expect, test } from "./fixtures";

const SECRET = "sk-e2e-ux-FAKE-3Kp9Vw2Qz7Lm5Tx8";

/** A built-in profile's list item, by id: the worker's server is shared, and other spec files add profiles whose names contain "Logged out". */
const builtin = (page: Page, id: string): Locator => page.locator(`[data-testid="profile-item"][data-profile-id="${id}"]`);

test("profiles: save → edit mode masked and Saved, reveal shows only what was typed, Delete asks and names it, the active one is protected", async ({ pg, page, received }) => {
  await pg.open();
  await page.getByTestId("btn-manage-profiles").click();
  await page.getByTestId("new-profile-kind").selectOption("kimi-api-key");
  await page.getByTestId("profile-name").fill("UX key");
  await page.getByTestId("profile-field-provider").selectOption("moonshot-ai");
  await page.getByTestId("profile-field-model").fill("kimi-k2.7-code");
  const key = page.getByTestId("profile-field-apiKey");
  await key.fill(SECRET);
  await expect(key).toHaveAttribute("type", "password");
  await page.getByTestId("profile-reveal-apiKey").click();
  await expect(key).toHaveAttribute("type", "text");
  await expect(key).toHaveValue(SECRET);
  await page.getByTestId("profile-reveal-apiKey").click();
  await expect(key).toHaveAttribute("type", "password");

  await page.getByTestId("btn-profile-save").click();
  await expect(page.getByTestId("profile-status")).toHaveAttribute("data-state", "saved");
  await expect(page.getByTestId("profile-status")).toContainText("Saved “UX key”");
  const form = page.getByTestId("profile-form");
  await expect(form).toHaveAttribute("data-mode", "edit");
  await expect(page.getByTestId("profile-form-title")).toContainText("Edit “UX key”");
  await expect(key).toHaveValue(/…/);
  await expect(key).toHaveAttribute("type", "password");
  // Revealing a saved secret shows its mask: the relay never sends the key back.
  await page.getByTestId("profile-reveal-apiKey").click();
  await expect(key).not.toHaveValue(SECRET);
  // A second Save updates the same profile: no duplicate-name error, still one item.
  await page.getByTestId("btn-profile-save").click();
  await expect(page.getByTestId("profile-status")).toContainText("Saved “UX key”");
  await expect(page.getByTestId("profile-error")).toHaveCount(0);
  await expect(page.getByTestId("profile-item").filter({ hasText: "UX key" })).toHaveCount(1);

  // Preview belongs to the profile it was asked for: switching clears it.
  await page.getByTestId("btn-profile-preview").click();
  await expect(page.getByTestId("profile-preview")).toContainText("config.toml");
  await builtin(page, "logged-out").click();
  await expect(page.getByTestId("profile-preview")).toHaveCount(0);
  await page.getByTestId("profile-item").filter({ hasText: "UX key" }).click();

  // Delete asks, naming the profile, with Cancel focused; Esc answers "no" and keeps the dialog.
  await page.getByTestId("btn-profile-delete").click();
  const confirm = page.getByTestId("profile-delete-confirm");
  await expect(confirm).toContainText("Delete profile “UX key”? Its stored secret is removed.");
  await expect(page.getByTestId("btn-profile-delete-cancel")).toBeFocused();
  await page.keyboard.press("Escape");
  await expect(confirm).toHaveCount(0);
  await expect(page.getByTestId("profile-manager")).toBeVisible();
  await expect(page.getByTestId("profile-item").filter({ hasText: "UX key" })).toHaveCount(1);
  await page.getByTestId("btn-profile-delete").click();
  await page.getByTestId("btn-profile-delete-confirm").click();
  await expect(page.getByTestId("profile-item").filter({ hasText: "UX key" })).toHaveCount(0);
  await expect(page.getByTestId("profile-status")).toContainText("Deleted profile “UX key”");
  await expect(page.getByTestId("profile-list")).toBeFocused();

  // Built-in: Delete disabled with its reason. Duplicate selects the copy; made active, it is protected too.
  await builtin(page, "logged-out").click();
  await expect(page.getByTestId("btn-profile-delete")).toBeDisabled();
  await expect(page.getByTestId("profile-delete-reason")).toContainText("Built-in");
  await page.getByTestId("btn-profile-duplicate").click();
  await expect(page.getByTestId("profile-form-title")).toContainText("Edit “Logged out (copy)”");
  await expect(page.getByTestId("btn-profile-delete")).toBeEnabled();
  await page.getByTestId("btn-profile-use").click();
  await expect(page.getByTestId("profile-item").filter({ hasText: "Logged out (copy)" })).toContainText("active");
  await expect(page.getByTestId("btn-profile-delete")).toBeDisabled();
  await expect(page.getByTestId("profile-delete-reason")).toContainText("active profile cannot be deleted");

  // Validate config: named for what it does, neutral when it passes.
  await builtin(page, "offline-demo").click();
  const check = page.getByTestId("btn-profile-check");
  await expect(check).toHaveText("Validate config (kimi doctor)");
  await expect(page.locator("#profile-check-note")).toContainText("validates config syntax; does not test the key");
  await check.click();
  const result = page.getByTestId("profile-check-result");
  await expect(result).toHaveAttribute("data-state", "ok", { timeout: 30_000 });
  await expect(result).toHaveClass("check-result");
  await page.getByTestId("profile-item").filter({ hasText: "Logged out (copy)" }).click();
  await expect(result).toHaveCount(0);
  for (const msg of received) expect(msg).not.toContain(SECRET);
  // The worker's server is shared with later spec files: leave Offline demo active again.
  await builtin(page, "offline-demo").click();
  await page.getByTestId("btn-profile-use").click();
  await expect(builtin(page, "offline-demo")).toContainText("active");
});

test("#1330 repro: the -32000 row's Why? opens the diagnosis scrolled into view, with #1330 and PR #934 as links", async ({ pg, page }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  await pg.launch("API key (example)", "kimi-0.28.0");
  const err = await pg.sessionNew();
  await expect(err).toHaveAttribute("data-error-code", "-32000");
  await err.getByTestId("btn-why-row").click();
  const d = page.getByTestId("diagnosis");
  await expect(d).toHaveAttribute("data-revealed", "yes");
  await expect(d).toBeInViewport();
  await expect(d).toBeFocused();
  const issue = d.locator('a[href="https://github.com/MoonshotAI/kimi-code/issues/1330"]').first();
  await expect(issue).toHaveText("#1330");
  await expect(issue).toHaveAttribute("target", "_blank");
  await expect(issue).toHaveAttribute("rel", "noopener noreferrer");
  await expect(d.locator('a[href="https://github.com/MoonshotAI/kimi-code/pull/934"]').first()).toHaveText("PR #934");
});

test("matrix: progress counts cells, and a cell opened twice is one run labelled matrix cell", async ({ pg, page }) => {
  await pg.open();
  await page.getByTestId("btn-matrix").click();
  for (const box of await page.getByTestId("matrix-agent").all()) if ((await box.getAttribute("data-id")) !== "kimi-0.28.0") await box.uncheck();
  for (const box of await page.getByTestId("matrix-profile").all()) if ((await box.getAttribute("data-id")) !== "logged-out") await box.uncheck();
  await page.getByTestId("btn-matrix-run").click();
  await expect(page.getByTestId("matrix-grid")).toHaveAttribute("data-state", "done", { timeout: 40_000 });
  await expect(page.getByTestId("matrix-progress")).toContainText("1/1");
  const cell = page.locator('[data-testid="matrix-cell"][data-agent="kimi-0.28.0"][data-profile="Logged out"]');
  await cell.click();
  const runs = page.getByTestId("run-item");
  await expect(runs.first()).toContainText("matrix cell kimi-0.28.0 × Logged out");
  // Counted by label, not by the whole list: the worker's shared server keeps only 12 runs, so
  // the list's length can drop by one while older runs are pruned.
  const cellRuns = runs.filter({ hasText: "matrix cell kimi-0.28.0 × Logged out" });
  await expect(cellRuns).toHaveCount(1);
  const runId = await runs.first().getAttribute("data-run-id");
  await page.getByTestId("btn-matrix").click();
  await cell.click();
  await page.getByTestId("btn-matrix").click();
  await cell.click();
  await expect(pg.rows({ kind: "error", method: "session/new" }).last()).toHaveAttribute("data-error-code", "-32000");
  await expect(cellRuns).toHaveCount(1);
  await expect(runs.first()).toHaveAttribute("data-run-id", runId ?? "");
});
