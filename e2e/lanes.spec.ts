/**
 * Issue #13 §2 in the browser: a Kimi 2.1.0 prompt on the Offline demo profile shows the HTTP,
 * Home and Agent-log lanes in the frame list among the JSON-RPC frames, each lane can be hidden,
 * and a frame's detail reads as the lane's summary (hop fields, a home file's masked diff).
 */
import { expect, test } from "./fixtures";

test("lanes: http, home and agent-log frames of a prompt are listed, filterable and readable", async ({ pg, page }) => {
  await pg.open();
  await pg.pickProfile("Offline demo");
  await pg.pickAgent("kimi-2.1.0");
  await pg.start();
  await pg.initialize();
  await expect(await pg.sessionNew()).toHaveAttribute("data-kind", "response");
  await page.getByTestId("scenario-select").selectOption("plain");
  await page.getByTestId("prompt-input").fill("hi");
  await page.getByTestId("btn-prompt").click();

  const hop = pg.rows({ kind: "http" }).filter({ hasText: "POST /v1/chat/completions · 200" }).first();
  await expect(hop).toBeVisible({ timeout: 30_000 });
  await expect(pg.rows({ kind: "agent-log" }).filter({ hasText: "wire.jsonl" }).first()).toBeAttached();
  const state = pg.rows({ kind: "home" }).filter({ hasText: "state.json" }).first();
  await expect(state).toBeAttached();

  // The HTTP hop's detail: the fields, never the profile's key.
  const detail = await pg.openDetail(hop);
  await expect(detail.getByTestId("lane-http")).toContainText("model API");
  await expect(detail.getByTestId("lane-summary")).toContainText("POST /v1/chat/completions · 200");
  await expect(detail).not.toContainText("offline-demo-key");
  await page.screenshot({ path: "test-results/lanes-http-detail.png" });

  // A home change's detail: its masked diff.
  await state.scrollIntoViewIfNeeded();
  const homeDetail = await pg.openDetail(state);
  await expect(homeDetail.getByTestId("lane-summary")).toContainText("state.json");

  // Lanes toggle off and on.
  await page.getByTestId("filter-lane-http").uncheck();
  await expect(pg.rows({ kind: "http" })).toHaveCount(0);
  await expect(pg.rows({ kind: "response" }).first()).toBeVisible();
  await page.getByTestId("filter-lane-home").uncheck();
  await page.getByTestId("filter-lane-agent-log").uncheck();
  await expect(pg.rows({ kind: "home" })).toHaveCount(0);
  await expect(pg.rows({ kind: "agent-log" })).toHaveCount(0);
  await page.getByTestId("filter-lane-http").check();
  await expect(pg.rows({ kind: "http" }).first()).toBeVisible();
});
