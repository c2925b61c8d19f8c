/**
 * Issue 11 §3 in the browser (V-13): a matrix with an agent that never answers can be cancelled
 * from the grid's Cancel button; cells arrive as per-cell deltas and the grid ends with every cell
 * "timed out" (cancelled) within seconds, not after the per-cell timeout.
 */
import path from "node:path";
import { expect, test } from "@playwright/test";
import { NODE22 } from "../test/fixtures/server";
import { type PlaygroundServer, startServer } from "./fixtures";
import { PlaygroundPage } from "./pages/playground";

let server: PlaygroundServer;
test.afterEach(async () => server?.stop());

test("a hanging matrix is cancelled from the grid's Cancel button", async ({ page }) => {
  const hang = { id: "hang", label: "Hang (fixture)", command: NODE22, args: [path.resolve("test/fixtures/hang-agent.mjs")] };
  server = await startServer({ agentsJson: { agents: [hang] } });
  const pg = new PlaygroundPage(page, server.url);
  await pg.open();
  await page.getByTestId("btn-matrix").click();
  for (const box of await page.locator('[data-testid="matrix-agent"]').all()) if ((await box.getAttribute("data-id")) !== "hang") await box.uncheck();
  await page.getByTestId("btn-matrix-run").click();
  const grid = page.getByTestId("matrix-grid");
  await expect(grid).toHaveAttribute("data-state", "running");
  await expect(page.locator('[data-testid="matrix-cell"][data-state="running"]').first()).toBeVisible();
  await page.getByTestId("matrix-cancel").click();
  await expect(grid).toHaveAttribute("data-state", "done", { timeout: 10_000 });
  await expect(page.getByTestId("matrix-cancel")).toHaveCount(0);
  const cells = page.locator('[data-testid="matrix-cell"]');
  const n = await cells.count();
  expect(n).toBeGreaterThan(0);
  for (let i = 0; i < n; i++) await expect(cells.nth(i)).toHaveAttribute("data-verdict", "timed-out");
});
