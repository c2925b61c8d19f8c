/**
 * Issue 12 in the browser: the run list names each run's agent, profile and outcome (not just a
 * version), and its header says how much disk the kept runs' homes take (measured by the relay
 * in the background, so the test waits for the figure).
 */
import path from "node:path";
import { expect, test as base } from "@playwright/test";
import { fixtureAgent } from "../test/fixtures/server";
import { type PlaygroundServer, startServer } from "./fixtures";
import { PlaygroundPage } from "./pages/playground";

const test = base;

test.describe("run list: agent, profile, outcome and disk", () => {
  let server: PlaygroundServer;
  test.afterEach(async () => server?.stop());

  test("each run item names its agent, profile and outcome; the header shows the runs' disk use", async ({ page }) => {
    server = await startServer({
      agentsJson: { agents: [fixtureAgent("login", "login-agent.mjs", { label: "Login fixture" }), fixtureAgent("stub", "stub-agent.mjs", { label: "Stub fixture" })] },
    });
    const pg = new PlaygroundPage(page, server.url);
    await pg.launch("Logged out", "login");
    const err = await pg.sessionNew();
    await expect(err).toHaveAttribute("data-error-code", "-32000");

    const item = page.getByTestId("run-item").first();
    await expect(item.getByTestId("run-item-agent")).toHaveText("Login fixture");
    await expect(item.getByTestId("run-item-profile")).toHaveText("Logged out");
    await expect(item.getByTestId("run-item-answer")).toHaveText("session/new -32000");
    await expect(item.getByTestId("run-item-outcome")).toHaveText("running");

    await page.getByTestId("btn-kill").click();
    await expect(item.getByTestId("run-item-outcome")).toHaveText("killed");

    // The disk figure is measured in the background after a run ends.
    const disk = page.getByTestId("runs-disk");
    await expect(disk).toContainText(/runs use \d/);
    // The start-up figure is of an empty runs directory; the run's home (its directories) counts once measured.
    await expect.poll(async () => Number(await disk.getAttribute("data-bytes")), { timeout: 20_000 }).toBeGreaterThan(0);
    await expect(disk).toContainText(/runs use \d+(\.\d)? kB/);

    await pg.pickAgent("stub");
    await pg.start();
    await pg.initialize();
    const second = page.getByTestId("run-item").first();
    await expect(second.getByTestId("run-item-agent")).toHaveText("Stub fixture");
    await expect(second).toContainText("(current)");
    await expect(page.getByTestId("run-item").nth(1).getByTestId("run-item-outcome")).toHaveText("killed");
    await page.screenshot({ path: path.join(test.info().outputDir, "run-list.png"), fullPage: false });
  });
});
