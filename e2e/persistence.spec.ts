/**
 * Issue #14, "UI settings remembered across reloads" and "any laptop width", the parts the first
 * pass left open: the side panes' sizes and folds, the inspector tab and a run's Clear mark survive
 * a reload of the same server start (a mark whose run is cleared from the list is dropped), a
 * corrupt stored layout costs the layout and nothing else, and the inspector's tab row is one row
 * at 1024 and 1280 px with the selected tab in view and every tab still in the tablist.
 */
import path from "node:path";
import { type Locator, type Page } from "@playwright/test";
import { expect, type PlaygroundServer, startServer, test } from "./fixtures";
import { PlaygroundPage } from "./pages/playground";

const STUB = { id: "stub", label: "Stub agent (fixture)", command: path.resolve("test/fixtures/stub-agent.mjs"), args: [], runtime: "node22" };
const PREFS_KEY = "acp-playground.ui-prefs";

let server: PlaygroundServer;
test.beforeAll(async () => {
  server = await startServer({ agentsJson: { agents: [STUB] } });
});
test.afterAll(async () => server?.stop());

const width = async (locator: Locator): Promise<number> => (await locator.boundingBox())?.width ?? 0;
const storedPrefs = (page: Page): Promise<Record<string, unknown>> => page.evaluate((key) => (JSON.parse(localStorage.getItem(key) ?? "{}") as { prefs?: Record<string, unknown> }).prefs ?? {}, PREFS_KEY);

test("pane sizes, a folded pane, the inspector tab and a run's Clear survive a reload; a mark for a run no longer listed is dropped", async ({ page }) => {
  await page.setViewportSize({ width: 1440, height: 900 });
  const pg = new PlaygroundPage(page, server.url);
  await pg.open();
  await pg.pickAgent("stub");
  await pg.start();
  await pg.initialize();
  const runId = await pg.newestRunId();
  const inspector = page.getByTestId("pane-inspector");
  const sidebar = page.getByTestId("pane-sidebar");

  // Drag the inspector's separator 160 px to the left: the inspector grows by about that much.
  const before = await width(inspector);
  const sep = await page.getByTestId("sep-inspector").boundingBox();
  if (!sep) throw new Error("no inspector separator");
  await page.mouse.move(sep.x + sep.width / 2, sep.y + sep.height / 2);
  await page.mouse.down();
  await page.mouse.move(sep.x + sep.width / 2 - 160, sep.y + sep.height / 2, { steps: 8 });
  await page.mouse.up();
  await expect.poll(() => width(inspector)).toBeGreaterThan(before + 120);
  const resized = await width(inspector);
  const sidebarOpen = await width(sidebar);

  // Fold the setup pane, pick the last inspector tab, clear the run's log.
  await page.getByTestId("toggle-sidebar").click();
  await expect(sidebar).toHaveAttribute("data-state", "collapsed");
  await page.getByTestId("tab-conformance").click();
  const total = Number(((await pg.waitForQuietLog()).split("/")[1] ?? "").trim());
  expect(total).toBeGreaterThan(0);
  await page.getByTestId("btn-log-clear").click();
  await expect(page.getByTestId("log-clear")).toHaveAttribute("data-hidden", String(total));

  await pg.reload();
  await expect(sidebar).toHaveAttribute("data-state", "collapsed");
  await expect(page.getByTestId("toggle-sidebar")).toHaveAttribute("aria-expanded", "false");
  await expect.poll(() => width(inspector)).toBeGreaterThan(resized - 4);
  expect(await width(inspector)).toBeLessThan(resized + 4);
  await expect(page.getByTestId("tab-conformance")).toHaveAttribute("aria-selected", "true");
  await expect(page.getByTestId("side-tabpanel")).toHaveAttribute("data-tab", "conformance");
  // The log came back from the relay, and the Clear mark hides the same frames as before.
  await expect(page.getByTestId("log-clear")).toHaveAttribute("data-hidden", String(total));
  await expect(page.getByTestId("log-empty")).toHaveAttribute("data-reason", "cleared");
  // Unfolding brings back the size the pane had before it was folded.
  await page.getByTestId("toggle-sidebar").click();
  await expect(sidebar).toHaveAttribute("data-state", "open");
  await expect.poll(() => width(sidebar)).toBeGreaterThan(sidebarOpen - 4);
  expect(await width(sidebar)).toBeLessThan(sidebarOpen + 4);

  // The run ends and is cleared from the list: its mark goes too.
  expect(Object.keys((await storedPrefs(page)).clearMarks as Record<string, number>).some((k) => k.startsWith(`${runId}@`))).toBe(true);
  await page.getByTestId("btn-kill").click();
  await expect(pg.runState).not.toHaveAttribute("data-state", "running");
  await page.getByTestId("btn-clear-runs").click();
  await expect(page.locator(`[data-testid="run-item"][data-run-id="${runId}"]`)).toHaveCount(0);
  await expect.poll(async () => (await storedPrefs(page)).clearMarks).toEqual({});
});

test("the inspector tab row is one row at 1024 and 1280 px, keeps the selected tab in view, and a corrupt stored layout gives the default panes", async ({ page }) => {
  // An out-of-range layout (the panes would leave the log nothing) is ignored as a whole.
  await page.addInitScript((key) => {
    localStorage.setItem(key, JSON.stringify({ v: 1, prefs: { side: "conformance", panes: { sizes: { sidebar: 70, inspector: 60 }, folded: { sidebar: false, inspector: true } } } }));
  }, PREFS_KEY);
  const pg = new PlaygroundPage(page, server.url);
  for (const viewport of [{ width: 1024, height: 768 }, { width: 1280, height: 800 }]) {
    await page.setViewportSize(viewport);
    await pg.open();
    await expect(page.getByTestId("pane-inspector")).toHaveAttribute("data-state", "open");
    // The defaults: the inspector takes 34% (at least its 300 px), the log keeps the most room.
    const inspectorWidth = await width(page.getByTestId("pane-inspector"));
    expect(inspectorWidth).toBeGreaterThanOrEqual(299);
    expect(inspectorWidth).toBeLessThan(viewport.width * 0.36);
    // The remembered tab is the last one: it is selected and scrolled into view.
    const list = page.getByTestId("side-tabs");
    const tabs = list.getByRole("tab");
    await expect(tabs).toHaveCount(6);
    await expect(page.getByTestId("tab-conformance")).toHaveAttribute("aria-selected", "true");
    const row = await list.boundingBox();
    if (!row) throw new Error("no tab row");
    const boxes = await tabs.evaluateAll((els) => els.map((el) => el.getBoundingClientRect().toJSON() as DOMRect));
    // One row: every tab at the same top, and the row no taller than one tab (plus its rule).
    for (const box of boxes) expect(Math.abs(box.top - boxes[0].top)).toBeLessThan(1);
    expect(row.height).toBeLessThan(boxes[0].height + 4);
    const inView = async (testId: string): Promise<void> => {
      await expect
        .poll(async () => {
          const tab = await page.getByTestId(testId).boundingBox();
          return !!tab && tab.x >= row.x && tab.x + tab.width <= row.x + row.width + 0.5;
        })
        .toBe(true);
      // Not covered: the tab itself is what a click at its centre hits.
      expect(await page.getByTestId(testId).evaluate((el) => {
        const r = el.getBoundingClientRect();
        return el.contains(document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2));
      })).toBe(true);
    };
    await inView("tab-conformance");
    // Keys still walk the tablist, and the row follows the selection both ways.
    await page.getByTestId("tab-conformance").focus();
    await page.keyboard.press("Home");
    await expect(page.getByTestId("tab-detail")).toBeFocused();
    await expect(page.getByTestId("tab-detail")).toHaveAttribute("aria-selected", "true");
    await inView("tab-detail");
    await page.keyboard.press("ArrowLeft");
    await expect(page.getByTestId("tab-conformance")).toHaveAttribute("aria-selected", "true");
    await inView("tab-conformance");
    // Every tab keeps its full name (text and accessible name alike).
    for (const name of ["Frame", "Transcript", "Session", "Auth", "Sequence", "Conformance"]) await expect(list.getByRole("tab", { name, exact: true })).toHaveCount(1);
  }
});
