/**
 * Issue #13 §2: the sequence diagram of a real Kimi 2.1.0 run on the offline model server. Arrows
 * per frame on the right lanes, a click opens the frame's detail, lane and kind filters take arrows
 * away, the keyboard moves between rows, and a run of more than 100 rows stays readable full width
 * at 1440 px; with the OAuth (emulated) profile, an expired token's refresh is a hop to the Auth
 * server lane (the README's screenshot is that view: UPDATE_SCREENSHOT=1 writes docs/sequence-diagram.png).
 */
import path from "node:path";
import { expect, test } from "./fixtures";
import type { PlaygroundPage } from "./pages/playground";

const arrowSel = '[data-testid="seq-arrow"]';

async function offlineSession(pg: PlaygroundPage): Promise<void> {
  await pg.open();
  await pg.pickProfile("Offline demo");
  await pg.pickAgent("kimi-2.1.0");
  await pg.start();
  await pg.initialize();
  await expect(await pg.sessionNew()).toHaveAttribute("data-kind", "response");
}

test("sequence diagram: lanes per frame, click → detail, lane and kind filters, keyboard, 100+ rows full width", async ({ pg, page }) => {
  test.setTimeout(300_000);
  await page.setViewportSize({ width: 1440, height: 900 });
  await offlineSession(pg);

  // The side-pane tab: initialize goes Playground → Agent and comes back Agent → Playground with its latency.
  await page.getByTestId("tab-sequence").click();
  const diagram = page.getByTestId("sequence-diagram");
  await expect(diagram).toBeVisible();
  await expect(diagram).toHaveAttribute("data-wide", "false");
  const init = diagram.locator(`${arrowSel}[data-from="playground"][data-to="agent"][data-shape="call"]`, { hasText: "initialize" }).first();
  await expect(init).toHaveAttribute("data-state", "ok");
  const initSeq = Number(await init.getAttribute("data-seq"));
  const answer = diagram.locator(`${arrowSel}[data-from="agent"][data-to="playground"][data-shape="return"]`, { hasText: "initialize ✓" }).first();
  await expect(answer).toBeVisible();
  await expect(answer.locator(".seq-c-lat")).toHaveText(/\d ms$/);
  const sessionNew = diagram.locator(`${arrowSel}[data-from="playground"][data-to="agent"]`, { hasText: "session/new" });
  await expect(sessionNew).toHaveCount(1);
  // The spawn is a note on the Agent lane.
  await expect(diagram.locator(`${arrowSel}[data-kind="lifecycle"][data-from="agent"][data-to="agent"]`).first()).toContainText("spawned pid");

  // Click → the frame detail shows that frame (the same selection as the frame list).
  await init.click();
  await expect(page.getByTestId("frame-detail")).toHaveAttribute("data-seq", String(initSeq));
  await expect(page.locator(`[data-testid="frame-row"][data-seq="${initSeq}"]`)).toHaveClass(/selected/);

  // Back on the tab, the selected arrow is marked; switching the Playground lane off takes its arrows away.
  await page.getByTestId("tab-sequence").click();
  await expect(diagram.locator(`${arrowSel}[data-seq="${initSeq}"]`)).toHaveAttribute("aria-current", "true");
  // (A run's divider spans every lane, so it stays.)
  const touchesPlayground = diagram.locator(`${arrowSel}:not([data-shape="divider"])[data-from="playground"], ${arrowSel}:not([data-shape="divider"])[data-to="playground"]`);
  expect(await touchesPlayground.count()).toBeGreaterThan(2);
  const before = Number(await diagram.getAttribute("data-rows"));
  await page.getByTestId("seq-filter-playground").click();
  await expect(page.getByTestId("seq-filter-playground")).toHaveAttribute("data-state", "off");
  await expect(touchesPlayground).toHaveCount(0);
  await expect(diagram.locator(".seq-header .lane-playground")).toHaveCount(0);
  const rowsNow = async () => Number(await diagram.getAttribute("data-rows"));
  expect(await rowsNow()).toBeLessThan(before);
  await expect(diagram.locator(`${arrowSel}[data-kind="lifecycle"]`).first()).toBeVisible();
  await page.getByTestId("seq-filter-playground").click();
  // (The agent keeps writing its home and log after an answer, so rows only grow.)
  await expect.poll(rowsNow).toBeGreaterThanOrEqual(before);
  await page.screenshot({ path: test.info().outputPath("sequence-side-pane.png") });

  // Full width: the diagram takes the centre, the side pane keeps its tabs; prompt until the run has 100+ rows.
  await page.getByTestId("seq-toggle-wide").click();
  await expect(diagram).toHaveAttribute("data-wide", "true");
  await expect(page.locator(".center [data-testid=sequence-diagram]")).toBeVisible();
  await page.getByTestId("tab-transcript").click();
  const stops = page.getByTestId("stop-reason");
  for (let i = 0; i < 40 && (await rowsNow()) < 100; i++) {
    await page.getByTestId("prompt-input").fill(`Question ${i + 1}: how does the refresh hop reach the auth server?`);
    await page.getByTestId("btn-prompt").click();
    await expect(stops).toHaveCount(i + 1, { timeout: 60_000 });
  }
  const rows = await rowsNow();
  expect(rows).toBeGreaterThanOrEqual(100);

  // A prompt's streamed answer is one arrow per burst, not one per chunk.
  await page.getByTestId("seq-filter-kind-rpc").click();
  await page.getByTestId("seq-filter-kind-stderr").click();
  await page.getByTestId("seq-filter-kind-lifecycle").click();
  const shown = diagram.locator(arrowSel);
  await expect(shown.first()).toBeVisible();
  expect(await diagram.locator(`${arrowSel}:not([data-shape="divider"]):not([data-kind="chunks"]):not([data-kind="http"]):not([data-kind="home"]):not([data-kind="agent-log"])`).count()).toBe(0);
  const counts = await diagram.locator(`${arrowSel}[data-kind="chunks"]`).evaluateAll((els) => els.map((e) => Number(e.getAttribute("data-count"))));
  expect(Math.max(...counts)).toBeGreaterThan(1);
  for (const id of ["rpc", "stderr", "lifecycle"]) await page.getByTestId(`seq-filter-kind-${id}`).click();
  await expect.poll(rowsNow).toBeGreaterThanOrEqual(rows);

  // Keyboard: Home reaches the first row, End the last, Enter opens the focused one.
  await page.getByTestId("seq-follow").uncheck();
  await diagram.locator(arrowSel).first().focus();
  await page.keyboard.press("Home");
  await expect(diagram.locator(`${arrowSel}[data-index="0"]`)).toBeFocused();
  await page.keyboard.press("ArrowDown");
  await expect(diagram.locator(`${arrowSel}[data-index="1"]`)).toBeFocused();
  const total = await rowsNow();
  await page.keyboard.press("End");
  // End scrolls the virtualized list first; the last row takes focus once it is rendered.
  await expect.poll(async () => Number(await diagram.locator(`${arrowSel}:focus`).getAttribute("data-index"))).toBeGreaterThanOrEqual(total - 1);
  await page.keyboard.press("Home");
  const initRow = diagram.locator(`${arrowSel}[data-seq="${initSeq}"]`).first();
  await initRow.focus();
  await page.keyboard.press("ArrowDown");
  const next = diagram.locator(`${arrowSel}:focus`);
  const nextSeq = await next.getAttribute("data-seq");
  await page.keyboard.press("Enter");
  // Full width keeps the diagram in view while the side pane shows the frame.
  await expect(page.getByTestId("frame-detail")).toHaveAttribute("data-seq", nextSeq ?? "");
  await expect(diagram).toBeVisible();

  // Readable at 100+ rows: lane labels visible, no label wider than its box (ellipsis, never overlap).
  for (const lane of ["Playground", "Agent", "Agent home", "Auth server", "Model API"]) await expect(diagram.locator(".seq-header .seq-lane-label", { hasText: new RegExp(`^${lane}$`) })).toBeVisible();
  const overflow = await diagram.locator(".seq-label, .seq-note").evaluateAll((els) =>
    els.filter((e) => {
      const r = e.getBoundingClientRect();
      const lanes = e.closest(".seq-lanes")?.getBoundingClientRect();
      return lanes !== undefined && (r.left < lanes.left - 1 || r.right > lanes.right + 1);
    }).length,
  );
  expect(overflow).toBe(0);
  // The README's picture: the start of the run, where every lane has its first arrows.
  await diagram.locator(`${arrowSel}:focus`).press("Home");
  await expect(diagram.locator(`${arrowSel}[data-index="0"]`)).toBeFocused();
  await diagram.locator(`${arrowSel}:focus`).evaluate((e) => (e as HTMLElement).blur());
  const shot = await page.screenshot({ path: test.info().outputPath("sequence-diagram.png") });
  expect(shot.length).toBeGreaterThan(10_000);
});

test("sequence diagram, OAuth (emulated): an expired token shows the refresh hop Agent → Auth server and its answer", async ({ pg, page }) => {
  test.setTimeout(300_000);
  await page.setViewportSize({ width: 1440, height: 900 });
  await pg.open();
  await pg.pickProfile("OAuth (emulated)");
  await pg.pickAgent("kimi-2.1.0");
  await pg.start();
  await pg.initialize();
  await pg.sessionNew();
  await page.getByTestId("tab-sequence").click();
  await page.getByTestId("seq-toggle-wide").click();
  const diagram = page.getByTestId("sequence-diagram");
  await expect(diagram).toHaveAttribute("data-wide", "true");
  await page.getByTestId("tab-transcript").click();
  const stops = page.getByTestId("stop-reason");
  const prompt = async (text: string) => {
    const n = await stops.count();
    await page.getByTestId("prompt-input").fill(text);
    await page.getByTestId("btn-prompt").click();
    await expect(stops).toHaveCount(n + 1, { timeout: 60_000 });
  };
  await prompt("What is in the token file?");
  await page.getByTestId("oauth-lab-panel").locator("summary").click();
  await page.getByTestId("oauth-expire-access").click();
  await expect(page.getByTestId("notice").filter({ hasText: "expired" })).toBeVisible();
  await pg.dismissNotices();
  await prompt("And after the access token expired?");
  // Enough turns that the run is past 100 rows: the refresh must stay findable in a long run.
  const rowsNow = async () => Number(await diagram.getAttribute("data-rows"));
  for (let i = 0; i < 30 && (await rowsNow()) < 100; i++) await prompt(`Turn ${i + 3}: still fine?`);
  expect(await rowsNow()).toBeGreaterThanOrEqual(100);

  // Only HTTP: the Auth server lane holds the refresh, the Model API lane the completions.
  for (const id of ["rpc", "chunks", "stderr", "lifecycle", "home", "agent-log"]) await page.getByTestId(`seq-filter-kind-${id}`).click();
  const refresh = diagram.locator(`${arrowSel}[data-kind="http"][data-from="agent"][data-to="auth"]`, { hasText: "refresh_token" }).first();
  await expect(refresh).toHaveAttribute("data-state", "ok");
  const seq = await refresh.getAttribute("data-seq");
  const answer = diagram.locator(`${arrowSel}[data-seq="${seq}"][data-from="auth"][data-to="agent"]`);
  await expect(answer).toHaveAttribute("data-shape", "return");
  await expect(answer.locator(".seq-label")).toHaveText(/^200/);
  await expect(answer.locator(".seq-c-lat")).toHaveText(/ms$/);
  await expect(diagram.locator(`${arrowSel}[data-kind="http"][data-to="model"]`).first()).toBeVisible();
  await refresh.click();
  await expect(page.getByTestId("frame-detail")).toHaveAttribute("data-seq", seq ?? "");
  await expect(page.getByTestId("frame-detail")).toContainText("refresh_token");

  // Every kind back: the selected hop stays in view among the frames around it.
  for (const id of ["rpc", "chunks", "stderr", "lifecycle", "home", "agent-log"]) await page.getByTestId(`seq-filter-kind-${id}`).click();
  await expect(diagram.locator(`${arrowSel}[data-seq="${seq}"][data-to="auth"]`)).toBeInViewport();
  await expect(diagram.locator(`${arrowSel}[aria-current="true"]`).first()).toBeVisible();
  const shot = await page.screenshot({ path: test.info().outputPath("sequence-diagram-oauth.png") });
  expect(shot.length).toBeGreaterThan(10_000);
  if (process.env.UPDATE_SCREENSHOT === "1") await page.screenshot({ path: path.resolve("docs/sequence-diagram.png") });
});
