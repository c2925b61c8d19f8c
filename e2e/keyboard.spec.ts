/**
 * Issue #14 §2, by keyboard alone: the skip link leads to the run's actions, Tab reaches the frame
 * list (an ARIA grid), arrow keys, Home/End and PageUp/PageDown move its cursor, Enter opens the
 * frame's detail; the inspector tabs move with arrow keys; a dialog takes focus, keeps it, closes
 * on Esc or a backdrop click and gives focus back to the button that opened it.
 */
import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures";

const activeTestId = (page: Page): Promise<string | null> => page.evaluate(() => document.activeElement?.getAttribute("data-testid") ?? null);

test("keyboard only: skip link, frame grid, inspector tabs and dialogs", async ({ pg, page }) => {
  // On a freshly loaded page the skip link is the first Tab stop, and it lands on the actions.
  await pg.open();
  await page.keyboard.press("Tab");
  expect(await activeTestId(page)).toBe("skip-link");
  await expect(page.getByTestId("skip-link")).toBeInViewport();
  await page.keyboard.press("Enter");
  expect(await page.evaluate(() => document.activeElement?.id)).toBe("main");

  // Notices: a profile switch says what it did in a notice (nothing started, or the agent
  // restarted). It sits clear of the tab bar; a dialog opened over it takes it in, and there it can
  // still be dismissed.
  const picker = page.getByTestId("profile-picker");
  const pickAnotherProfile = async (): Promise<void> => {
    const current = await picker.inputValue();
    const values = await picker.locator("option").evaluateAll((opts) => opts.map((o) => (o as HTMLOptionElement).value));
    await picker.selectOption(values.find((v) => v !== current) ?? current);
  };
  await pickAnotherProfile();
  const notice = page.locator('[data-testid="notice"]:not([data-level="error"])').last();
  await expect(notice).toBeVisible();
  const text = (await notice.locator("b").textContent()) ?? "";
  const noticeBox = await notice.boundingBox();
  const tabsBox = await page.getByTestId("side-tabs").boundingBox();
  expect(noticeBox && tabsBox && (noticeBox.y >= tabsBox.y + tabsBox.height || noticeBox.y + noticeBox.height <= tabsBox.y), "the notice does not cover the tab bar").toBe(true);
  await page.getByTestId("btn-manage-profiles").click();
  const inDialog = page.getByTestId("profile-manager").getByTestId("notice").filter({ hasText: text });
  await expect(inDialog).toHaveCount(1);
  const dismiss = inDialog.getByRole("button", { name: "Dismiss" });
  expect(await dismiss.evaluate((b) => {
    const r = b.getBoundingClientRect();
    return document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2) === b;
  }), "the notice is above the dialog").toBe(true);
  await dismiss.click();
  await expect(inDialog).toHaveCount(0);
  await page.keyboard.press("Escape");
  // A notice that is not an error leaves by itself (one under the pointer waits, so the pointer moves away).
  await page.mouse.move(10, 300);
  await pickAnotherProfile();
  const later = page.locator('[data-testid="notice"]:not([data-level="error"])').last();
  await expect(later).toBeVisible();
  const laterText = (await later.locator("b").textContent()) ?? "";
  await expect(page.getByTestId("notice").filter({ hasText: laterText })).toHaveCount(0, { timeout: 20_000 });

  await pg.launch("Logged out", "kimi-0.28.0");
  await pg.sessionNew();
  // The home and agent-log lanes add rows a poll after the answer: count once the log is still.
  await pg.waitForQuietLog();
  const grid = page.getByRole("grid");
  const rowCount = Number(await grid.getAttribute("aria-rowcount"));
  expect(rowCount).toBeGreaterThan(5);
  // From the actions, Tab walks on to the frame grid.
  await page.locator("#main").focus();

  // Tab on from the actions reaches the frame grid.
  let reached = false;
  for (let i = 0; i < 60 && !reached; i++) {
    await page.keyboard.press("Tab");
    reached = (await activeTestId(page)) === "frame-list";
  }
  expect(reached, "Tab reaches the frame list").toBe(true);

  const cursor = page.locator('[role="row"][aria-selected="true"]');
  const cursorSeq = async (): Promise<number> => Number(await cursor.getAttribute("data-seq"));
  await page.keyboard.press("Home");
  await expect(cursor).toHaveAttribute("aria-rowindex", "1");
  await expect(grid).toHaveAttribute("aria-activedescendant", `frame-row-${await cursorSeq()}`);
  await page.keyboard.press("ArrowDown");
  await page.keyboard.press("ArrowDown");
  await expect(cursor).toHaveAttribute("aria-rowindex", "3");
  await page.keyboard.press("ArrowUp");
  await expect(cursor).toHaveAttribute("aria-rowindex", "2");
  await page.keyboard.press("End");
  await expect(cursor).toHaveAttribute("aria-rowindex", String(rowCount));
  await page.keyboard.press("PageUp");
  expect(Number(await cursor.getAttribute("aria-rowindex"))).toBeLessThan(rowCount);
  await page.keyboard.press("PageDown");
  await expect(cursor).toHaveAttribute("aria-rowindex", String(rowCount));
  await page.keyboard.press("Home");
  await page.keyboard.press("ArrowDown");
  const seq = await cursorSeq();
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("frame-detail")).toHaveAttribute("data-seq", String(seq));
  // Focus stays in the grid after opening, so the next arrow keeps browsing.
  expect(await activeTestId(page)).toBe("frame-list");

  // Inspector tabs: arrows move and select, Home/End jump.
  await page.getByTestId("tab-detail").focus();
  await page.keyboard.press("ArrowRight");
  await expect(page.getByTestId("tab-transcript")).toHaveAttribute("aria-selected", "true");
  expect(await activeTestId(page)).toBe("tab-transcript");
  await expect(page.getByTestId("side-tabpanel")).toHaveAttribute("aria-labelledby", "tab-transcript");
  await page.keyboard.press("End");
  const tabs = page.getByTestId("side-tabs").getByRole("tab");
  const last = tabs.last();
  await expect(last).toHaveAttribute("aria-selected", "true");
  await page.keyboard.press("ArrowRight");
  await expect(tabs.first()).toHaveAttribute("aria-selected", "true");
  await page.keyboard.press("ArrowLeft");
  await expect(last).toHaveAttribute("aria-selected", "true");
  await page.keyboard.press("Home");
  await expect(page.getByTestId("tab-detail")).toHaveAttribute("aria-selected", "true");

  // Dialogs: focus moves in and stays in; Esc closes and focus returns to the opener.
  for (const [button, dialog] of [
    ["btn-manage-profiles", "profile-manager"],
    ["btn-matrix", "matrix-view"],
  ]) {
    await page.getByTestId(button).focus();
    await page.keyboard.press("Enter");
    const dlg = page.getByTestId(dialog);
    await expect(dlg).toBeVisible();
    await expect(dlg).toHaveAttribute("aria-modal", "true");
    await expect(page.getByRole("dialog", { name: (await dlg.locator("h2").first().textContent()) ?? "" })).toBeVisible();
    const inside = (): Promise<boolean> => dlg.evaluate((d) => d.contains(document.activeElement));
    expect(await inside(), `${dialog}: focus moved in`).toBe(true);
    // Shift+Tab from the first control wraps to the last, Tab from the last back to the first.
    const first = await activeTestId(page);
    await page.keyboard.press("Shift+Tab");
    expect(await inside(), `${dialog}: Shift+Tab stays in`).toBe(true);
    expect(await activeTestId(page)).not.toBe(first);
    await page.keyboard.press("Tab");
    expect(await activeTestId(page), `${dialog}: Tab from the last control wraps to the first`).toBe(first);
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press("Tab");
      expect(await inside(), `${dialog}: focus stays in after ${i + 1} Tab presses`).toBe(true);
    }
    await page.keyboard.press("Escape");
    await expect(dlg).toHaveCount(0);
    expect(await activeTestId(page)).toBe(button);
  }

  // A click on the backdrop (outside the dialog's box) closes it too.
  await page.getByTestId("btn-matrix").click();
  await expect(page.getByTestId("matrix-view")).toBeVisible();
  await page.mouse.click(5, 5);
  await expect(page.getByTestId("matrix-view")).toHaveCount(0);
});
