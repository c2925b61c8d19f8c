/**
 * Review V-14 in a real browser: the login terminal's xterm must not answer terminal queries (its
 * answers used to reach the login program as the user's keystrokes, from every open tab), must not
 * open OSC 8 links or write the clipboard, and must still pass real typing through.
 */
import path from "node:path";
import { expect, type PlaygroundServer, startServer, test } from "./fixtures";
import { PlaygroundPage } from "./pages/playground";

let server: PlaygroundServer;
test.afterEach(async () => server?.stop());

test("V-14: xterm's answers to DA/CPR/DECRQSS/DECRQM/colour queries never reach the login program from either open tab; typing still does", async ({ browser }) => {
  server = await startServer({
    agentsJson: { agents: [{ id: "redaction-agent", label: "Redaction agent (fixture)", command: path.resolve("test/fixtures/redaction-agent.mjs"), args: [], runtime: "node22", kimi: true }] },
  });
  const context = await browser.newContext();
  const page = await context.newPage();
  const pg = new PlaygroundPage(page, server.url);
  await pg.launch("API key (example)", "redaction-agent");
  // A second tab on the same playground shows the same login terminal.
  const other = await context.newPage();
  await new PlaygroundPage(other, page.url()).open();
  // From here on, any new page is a popup, any dialog a link confirmation.
  const popups: string[] = [];
  const dialogs: string[] = [];
  context.on("page", (p) => popups.push(p.url()));
  for (const tab of [page, other]) tab.on("dialog", (d) => void d.dismiss().then(() => dialogs.push(d.message())));
  await page.getByTestId("tab-auth").click();
  await other.getByTestId("tab-auth").click();
  await expect(page.getByTestId("login-check-spec")).toHaveAttribute("data-state", "ok");
  await page.getByTestId("btn-login-spec").click();
  for (const tab of [page, other]) {
    await expect(tab.getByTestId("login-output")).toContainText("press enter:", { timeout: 20_000 });
    await expect(tab.getByTestId("login-output")).toContainText("‹redacted›");
    await expect(tab.getByTestId("login-output")).not.toContainText("sk-example-0000-fake-key-9f3a");
  }
  // The OSC 8 link opens nothing when hovered and clicked, and OSC 52 wrote no clipboard.
  // xterm re-renders the spans of a row (cursor blink), so find the link text's place in one go.
  const findLink = () =>
    page.evaluate(() => {
      const rows = document.querySelector('[data-testid="login-terminal"] .xterm-rows');
      const span = [...(rows?.querySelectorAll("span") ?? [])].find((s) => s.textContent?.trim() === "link");
      span?.scrollIntoView({ block: "center" });
      const r = span?.getBoundingClientRect();
      return r ? { x: r.x, y: r.y, width: r.width, height: r.height } : null;
    });
  await expect.poll(findLink, { message: "the OSC 8 text is on screen" }).not.toBeNull();
  const box = await findLink();
  if (box) {
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.waitForTimeout(200);
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  }
  await page.waitForTimeout(300);
  // Real typing still reaches the program, and nothing reached it before: no tab answered a query.
  // The user switches to the first tab and types there (only the focused tab sends input).
  await page.bringToFront();
  await page.getByTestId("login-terminal").click();
  await page.keyboard.press("Enter");
  await expect(page.getByTestId("login-output")).toContainText("bye");
  await expect(page.getByTestId("login-output")).toContainText('input before enter: ""');
  await expect(page.getByTestId("login-state")).toHaveAttribute("data-exit-code", "0");
  expect(popups).toEqual([]);
  expect(dialogs).toEqual([]);
  expect(await page.evaluate(() => navigator.clipboard.readText().catch(() => ""))).not.toContain("pwned");
  await context.close();
});
