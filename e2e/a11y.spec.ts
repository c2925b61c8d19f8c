/**
 * Issue #14 §2: the page at 1024, 1280, 1440 and 1920 px. axe-core finds no critical or serious
 * violation on the main view, on every side tab (found through role=tab, so tabs added later are
 * scanned too), with the composer and the fault panel open, and in the Profiles and Matrix dialogs;
 * and the controls a user needs first are inside the viewport and not covered by anything.
 * One server, one page, one run with an error in it; the viewport is resized between passes.
 */
import AxeBuilder from "@axe-core/playwright";
import type { Locator, Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { PlaygroundPage } from "./pages/playground";

const WIDTHS = [
  { width: 1024, height: 768 },
  { width: 1280, height: 720 },
  { width: 1440, height: 900 },
  { width: 1920, height: 1080 },
];

test.describe.configure({ mode: "serial" });

let page: Page;
let pg: PlaygroundPage;
/** Found on the first view (no run yet, empty log), reported by the axe test with the rest. */
const firstView: string[] = [];

test.beforeAll(async ({ browser, server }) => {
  test.setTimeout(60_000);
  // axe-core/playwright needs a page of an explicit context.
  const context = await browser.newContext({ viewport: WIDTHS[0] });
  page = await context.newPage();
  pg = new PlaygroundPage(page, server.url);
  await pg.open();
  firstView.push(...(await seriousViolations("1024px first view, no run yet")));
  // A run with every kind of row the eye scans: requests, answers, stderr and a -32000 error.
  await pg.launch("Logged out", "kimi-0.28.0");
  const err = await pg.sessionNew();
  await expect(err).toHaveAttribute("data-kind", "error");
  await pg.openDetail(err);
});

test.afterAll(async () => {
  await page.context().close();
});

/**
 * Critical and serious violations, one readable line each (rule, count, first targets). `within`
 * limits the scan to the part that changed since the full-page scan at the same width (a side tab,
 * an open dialog): the rest of the page was just scanned, and a whole-page pass costs seconds.
 */
async function seriousViolations(state: string, within?: string): Promise<string[]> {
  // Only violations are reported in detail: serializing every passing node is most of a scan's time.
  const builder = new AxeBuilder({ page }).options({ resultTypes: ["violations"] });
  if (within) builder.include(within);
  const result = await builder.analyze();
  return result.violations
    .filter((v) => v.impact === "critical" || v.impact === "serious")
    .map((v) => `${state}: ${v.impact} ${v.id} ×${v.nodes.length} — ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | ")}`);
}

async function setOpen(details: Locator, open: boolean): Promise<void> {
  if ((await details.evaluate((el) => (el as HTMLDetailsElement).open)) !== open) await details.locator("summary").first().click();
}

/** In the viewport, and the element at its centre is the control itself (nothing lies on top of it). */
async function expectReachable(locator: Locator, what: string): Promise<void> {
  await locator.scrollIntoViewIfNeeded();
  const box = await locator.boundingBox();
  const vp = page.viewportSize();
  expect(box, `${what} has a box`).not.toBeNull();
  if (!box || !vp) return;
  expect(box.x, `${what} left edge`).toBeGreaterThanOrEqual(0);
  expect(box.y, `${what} top edge`).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width, `${what} right edge within ${vp.width}`).toBeLessThanOrEqual(vp.width + 0.5);
  expect(box.y + box.height, `${what} bottom edge within ${vp.height}`).toBeLessThanOrEqual(vp.height + 0.5);
  const onTop = await locator.evaluate((el) => {
    const r = el.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return hit !== null && (hit === el || el.contains(hit));
  });
  expect(onTop, `${what} is not covered`).toBe(true);
}

for (const size of WIDTHS) {
  test(`${size.width}px: key controls are on screen and uncovered; the summary and error chip are readable`, async () => {
    await page.setViewportSize(size);
    await page.getByTestId("tab-detail").click();
    for (const id of ["btn-start", "btn-initialize", "btn-authenticate", "btn-session-new", "btn-prompt", "tab-auth", "btn-manage-profiles"]) {
      await expectReachable(page.getByTestId(id), id);
    }
    const errRow = pg.rows({ kind: "error" }).last();
    const summary = errRow.locator(".c-sum");
    await expectReachable(summary, "the error row's summary");
    // The summary column has room for words, and the chip is never cut ("Authentication rec…").
    expect((await summary.boundingBox())?.width ?? 0).toBeGreaterThanOrEqual(200);
    const chip = errRow.getByTestId("error-chip");
    await expect(chip).toContainText("Authentication required");
    expect(await chip.evaluate((el) => el.scrollWidth <= el.clientWidth + 1 && el.getBoundingClientRect().right <= (el.closest('[role="row"]')?.getBoundingClientRect().right ?? 0) + 1)).toBe(true);
    const composer = page.getByTestId("composer");
    await setOpen(composer, true);
    await expectReachable(page.getByTestId("btn-composer-send"), "composer Send");
    await expectReachable(page.getByTestId("composer-text"), "composer text");
    await setOpen(composer, false);
  });
}

test("axe: no critical or serious violation on any tab, panel or dialog at 1024, 1280, 1440 and 1920 px, and in the dark palette", async () => {
  test.setTimeout(150_000);
  const found: string[] = [...firstView];
  const composer = page.getByTestId("composer");
  const faults = page.getByTestId("fault-panel");
  for (const size of WIDTHS) {
    await page.setViewportSize(size);
    // The whole page: the frame detail open, the composer and the fault panel unfolded.
    const tabs = page.getByTestId("side-tabs").getByRole("tab");
    await tabs.first().click();
    await setOpen(composer, true);
    await setOpen(faults, true);
    found.push(...(await seriousViolations(`${size.width}px main view, composer + fault panel open`)));
    await setOpen(composer, false);
    await setOpen(faults, false);

    // Every inspector tab, whoever added it (the frame detail has its own small tablist: not these).
    const count = await tabs.count();
    expect(count).toBeGreaterThanOrEqual(5);
    for (let i = 1; i < count; i++) {
      const tab = tabs.nth(i);
      await tab.click();
      await expect(tab).toHaveAttribute("aria-selected", "true");
      found.push(...(await seriousViolations(`${size.width}px tab ${(await tab.getAttribute("data-testid")) ?? i}`, '[data-testid="pane-inspector"]')));
    }
    await tabs.first().click();

    for (const [button, dialog] of [
      ["btn-manage-profiles", "profile-manager"],
      ["btn-matrix", "matrix-view"],
    ]) {
      await page.getByTestId(button).click();
      await expect(page.getByTestId(dialog)).toBeVisible();
      found.push(...(await seriousViolations(`${size.width}px dialog ${dialog}`, `[data-testid="${dialog}"]`)));
      await page.keyboard.press("Escape");
      await expect(page.getByTestId(dialog)).toHaveCount(0);
    }
  }
  // The dark palette is its own set of colours: scan it too, once, at a common laptop width.
  await page.setViewportSize(WIDTHS[2]);
  await page.emulateMedia({ colorScheme: "dark" });
  try {
    const tabs = page.getByTestId("side-tabs").getByRole("tab");
    await setOpen(composer, true);
    found.push(...(await seriousViolations(`dark ${WIDTHS[2].width}px main view, composer open`)));
    await setOpen(composer, false);
    for (let i = 1; i < (await tabs.count()); i++) {
      await tabs.nth(i).click();
      found.push(...(await seriousViolations(`dark ${WIDTHS[2].width}px tab ${(await tabs.nth(i).getAttribute("data-testid")) ?? i}`, '[data-testid="pane-inspector"]')));
    }
    await tabs.first().click();
  } finally {
    await page.emulateMedia({ colorScheme: null });
  }
  expect(found, found.join("\n")).toEqual([]);
});

test("side panes fold to a rail and unfold; the log gets the room", async () => {
  await page.setViewportSize(WIDTHS[0]);
  const log = page.getByTestId("frame-list");
  const before = (await log.boundingBox())?.width ?? 0;
  for (const pane of ["inspector", "sidebar"]) {
    await page.getByTestId(`toggle-${pane}`).click();
    await expect(page.getByTestId(`pane-${pane}`)).toHaveAttribute("data-state", "collapsed");
    await expect(page.getByTestId(`toggle-${pane}`)).toHaveAttribute("aria-expanded", "false");
  }
  await expect.poll(async () => (await log.boundingBox())?.width ?? 0).toBeGreaterThan(before + 400);
  for (const pane of ["inspector", "sidebar"]) {
    await page.getByTestId(`toggle-${pane}`).click();
    await expect(page.getByTestId(`pane-${pane}`)).toHaveAttribute("data-state", "open");
  }
  await expectReachable(page.getByTestId("btn-start"), "btn-start after unfolding");
});

test("theme: system follows prefers-color-scheme, the header toggle overrides it, and a reload keeps the choice", async () => {
  const background = (): Promise<string> => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const DARK = "rgb(15, 17, 21)";
  const LIGHT = "rgb(246, 247, 249)";
  // The radios are visually hidden inside their labels: a user clicks the label.
  const choose = (name: string): Promise<void> => page.getByTestId("theme-toggle").getByTitle(`${name} theme`).click();
  await choose("System");
  await page.emulateMedia({ colorScheme: "light" });
  expect(await background()).toBe(LIGHT);
  await page.emulateMedia({ colorScheme: "dark" });
  expect(await background()).toBe(DARK);
  await choose("Light");
  await expect(page.getByTestId("theme-toggle")).toHaveAttribute("data-state", "light");
  expect(await background()).toBe(LIGHT);
  // The choice is applied before the first paint after a reload (the OS still prefers dark).
  await page.reload();
  expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe("light");
  expect(await background()).toBe(LIGHT);
  await expect(page.getByRole("radio", { name: "Light" })).toBeChecked();
  await choose("System");
  await expect(page.getByRole("radio", { name: "System" })).toBeChecked();
  await page.emulateMedia({ colorScheme: null });
});
