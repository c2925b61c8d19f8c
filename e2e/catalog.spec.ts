/** Bad input from the catalog and the runtime: each gives a clear message in the UI, never a crash. */
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test as base } from "@playwright/test";
import { type PlaygroundServer, startServer } from "./fixtures";
import { PlaygroundPage } from "./pages/playground";

const test = base;

test.describe("catalog problems", () => {
  let server: PlaygroundServer;
  test.afterEach(async () => server?.stop());

  test("a missing agent binary is reported before and after Start", async ({ page }) => {
    server = await startServer({ agentsJson: { agents: [{ id: "ghost", label: "Ghost agent", command: "definitely-not-installed-acp-agent", args: ["acp"] }] } });
    const pg = new PlaygroundPage(page, server.url);
    await pg.open();
    await pg.pickAgent("ghost");
    await expect(page.getByTestId("agent-problem")).toContainText("was not found");
    await page.getByTestId("btn-start").click();
    await expect(page.getByTestId("notice").last()).toContainText("definitely-not-installed-acp-agent");
    await expect(pg.runState).toHaveAttribute("data-state", "failed");
    await expect(pg.rows({ kind: "lifecycle" }).last()).toContainText("spawn error");
  });

  test("a broken agents.json keeps the built-ins and says what is wrong", async ({ page }) => {
    server = await startServer({ agentsJsonText: "{ this is not json" });
    const pg = new PlaygroundPage(page, server.url);
    await pg.open();
    await expect(page.getByTestId("catalog-error")).toContainText("not valid JSON");
    // The built-ins: both Kimi builds and the reference agent's seven behaviours.
    await expect(page.getByTestId("agent-picker").locator("option")).toHaveCount(2 + 7);
  });

  test("a too-old Node runtime for Kimi is named with the fix", async ({ page }) => {
    // A stand-in runtime that reports an old version, whatever Node this machine has.
    const dir = mkdtempSync(path.join(os.tmpdir(), "old-node-"));
    const fake = path.join(dir, "node");
    writeFileSync(fake, "#!/bin/sh\necho v20.11.1\n", { mode: 0o755 });
    server = await startServer({ env: { ACP_PLAYGROUND_NODE: fake } });
    const pg = new PlaygroundPage(page, server.url);
    await pg.open();
    await expect(page.getByTestId("agent-problem")).toContainText("needs >= 22.19");
    await page.getByTestId("btn-start").click();
    await expect(pg.runState).toHaveAttribute("data-state", "failed");
    await expect(pg.rows({ kind: "lifecycle" }).last()).toContainText("runtime missing");
  });
});
