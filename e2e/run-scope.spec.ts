/**
 * Issue #14 §1 in the browser: evidence is shown with its own run only (a new run opens no old
 * frame; flow lines and the advertisement diff leave with their run and come back with it), a
 * failed Probe reads as a failure, a profile switch starts no run when nothing runs and restarts
 * the picked agent when one does, action buttons wait for their preconditions and their own
 * request (a double click sends one initialize, with a spinner while it is pending), fault
 * injection is announced everywhere and named by the diagnosis, and the run list shows outcome,
 * time and Clear, and an old tab learns that the server restarted. Fixture agents only (test/fixtures/login-agent.mjs, stub-agent.mjs): fast and offline.
 */
import { expect, test } from "@playwright/test";
import { fixtureAgent } from "../test/fixtures/server";
import { type PlaygroundServer, startServer } from "./fixtures";
import { PlaygroundPage } from "./pages/playground";

let server: PlaygroundServer;
let restarted: PlaygroundServer | undefined;

test.beforeAll(async () => {
  server = await startServer({
    agentsJson: { agents: [fixtureAgent("login", "login-agent.mjs", { label: "Login fixture" }), fixtureAgent("stub", "stub-agent.mjs", { label: "Stub fixture" })] },
  });
});
test.afterAll(async () => {
  await server?.stop();
  await restarted?.stop();
});

async function setFaults(pg: PlaygroundPage, set: Record<string, string>, enabled: boolean): Promise<void> {
  const panel = pg.page.getByTestId("fault-panel");
  if (!(await panel.evaluate((el) => (el as HTMLDetailsElement).open))) await panel.locator("summary").click();
  for (const [key, value] of Object.entries(set)) await pg.page.getByTestId(`fault-${key}`).fill(value);
  if (enabled) await pg.page.getByTestId("fault-enabled").check();
  else await pg.page.getByTestId("fault-enabled").uncheck();
  await expect(panel).toHaveAttribute("data-state", enabled ? "on" : "off");
}

test("a new run opens no frame of the old one; authenticate waits for initialize; the run list shows outcome, time and Clear", async ({ page }) => {
  const pg = new PlaygroundPage(page, server.url);
  await pg.launch("Logged out", "login");
  const err = await pg.sessionNew();
  await expect(err).toHaveAttribute("data-error-code", "-32000");
  await pg.openDetail(err);
  // The headline names the run and its last error first.
  const headline = page.getByTestId("run-headline");
  await expect(headline).toHaveAttribute("data-error", "yes");
  await expect(page.getByTestId("run-headline-error")).toHaveAttribute("data-error-code", "-32000");
  await expect(page.getByTestId("run-headline-title")).toContainText("Login fixture 1.0.0 · Logged out");

  await pg.pickAgent("stub");
  await pg.start();
  // Before initialize the stub advertised nothing: authenticate cannot send the old run's "login".
  await expect(page.getByTestId("btn-authenticate")).toBeDisabled();
  await pg.initialize();
  await expect(page.getByTestId("btn-authenticate")).toBeEnabled();
  await pg.sessionNew();
  // The new run has a frame with the old selection's seq, yet nothing opens by itself.
  await expect(page.getByTestId("frame-detail")).toHaveCount(0);
  await expect(page.getByTestId("run-headline")).toHaveAttribute("data-error", "no");

  const items = page.getByTestId("run-item");
  await expect(items.first().getByTestId("run-item-answer")).toHaveText("session created");
  await expect(items.nth(1).getByTestId("run-item-answer")).toHaveText("session/new -32000");
  await expect(items.nth(1).getByTestId("run-item-outcome")).toHaveText("killed");
  await expect(items.first().getByTestId("run-item-time")).toHaveText(/\d\d:\d\d:\d\d/);

  await page.getByTestId("btn-clear-runs").click();
  await expect(items).toHaveCount(1);
  await expect(items.first()).toContainText("(current)");
});

test("Probe's -32000 is a failure; its line and the advertisement diff stay with their run; a login takes the caret", async ({ page }) => {
  const pg = new PlaygroundPage(page, server.url);
  await pg.open();
  await pg.pickAgent("login");
  await page.getByTestId("tab-auth").click();
  const before = await pg.newestRunId();
  await page.getByTestId("btn-probe").click();
  const flow = page.getByTestId("flow-status");
  await expect(flow).toHaveAttribute("data-state", "done");
  await expect(flow).toHaveAttribute("data-verdict", "fail");
  await expect(flow).toHaveClass(/verdict-fail/);
  const probeRun = await pg.newestRunId();
  expect(probeRun).not.toBe(before);
  await expect(flow).toHaveAttribute("data-run-id", probeRun);
  await expect(page.getByTestId("flow-run")).toContainText(probeRun);

  await page.getByTestId("btn-adv-diff").click();
  const diff = page.getByTestId("adv-diff");
  await expect(diff).toHaveAttribute("data-state", "done");
  await expect(page.getByTestId("adv-diff-verdict")).toContainText("authMethods identical in all 4 variants");
  await expect(page.getByTestId("adv-diff-caption")).toContainText(`${probeRun} · Login fixture`);

  // A terminal login that waits for an answer takes the caret: "answer it in the terminal below" holds.
  await page.getByTestId("btn-login-spec").click();
  await expect(page.getByTestId("login-state")).toHaveAttribute("data-state", "running");
  await expect(page.getByTestId("login-terminal")).toHaveAttribute("data-active", "yes");
  await expect.poll(() => page.evaluate(() => document.querySelector('[data-testid="login-terminal"]')?.contains(document.activeElement) ?? false)).toBe(true);
  await page.getByTestId("btn-login-cancel").click();
  await expect(page.getByTestId("login-state")).toHaveAttribute("data-state", "exited");

  // A new run: neither the Probe line nor the diff is shown with it.
  await pg.pickAgent("stub");
  await pg.start();
  await expect(flow).toHaveCount(0);
  await expect(diff).toHaveCount(0);

  // Back to the probe's run: its evidence comes back with it.
  await page.locator(`[data-testid="run-item"][data-run-id="${probeRun}"]`).click();
  await expect(flow).toHaveAttribute("data-verdict", "fail");
  await expect(diff).toHaveAttribute("data-state", "done");
});

test("a profile switch starts no run when nothing runs, and restarts the picked agent when one does", async ({ page }) => {
  const pg = new PlaygroundPage(page, server.url);
  await pg.open();
  await pg.pickAgent("login");
  await pg.start();
  await page.getByTestId("btn-kill").click();
  await expect(pg.runState).not.toHaveAttribute("data-state", "running");
  const count = await page.getByTestId("run-item").count();

  const picker = page.getByTestId("profile-picker");
  const current = await picker.inputValue();
  const values = await picker.locator("option").evaluateAll((opts) => opts.map((o) => (o as HTMLOptionElement).value));
  const [other, third] = values.filter((v) => v !== current);
  await picker.selectOption(other);
  await expect(page.getByTestId("notice").filter({ hasText: "nothing was running, so no agent was started" })).toBeVisible();
  await expect(page.getByTestId("run-item")).toHaveCount(count);

  // With an agent running, the switch restarts the agent shown in the picker, and says so.
  await pg.start();
  await pg.pickAgent("stub");
  const before = await pg.newestRunId();
  await picker.selectOption(third);
  await pg.waitForNewRun(before);
  await expect(page.getByTestId("run-item").first().getByTestId("run-item-agent")).toHaveText("Stub fixture");
  await expect(page.getByTestId("notice").filter({ hasText: "restarted Stub fixture with it" })).toBeVisible();
  await expect(page.getByTestId("agent-picker")).toHaveValue("stub");
});

test("double-clicked initialize sends one request and shows it pending; fault injection is announced and named by Why", async ({ page }) => {
  const pg = new PlaygroundPage(page, server.url);
  await pg.open();
  await setFaults(pg, { delayOutMs: "3000", forceAuthOnSessionNew: "1" }, true);
  await expect(page.getByTestId("fault-pill")).toBeVisible();
  await expect(page.getByTestId("status-fault-pill")).toBeVisible();
  await pg.pickAgent("login");
  await pg.start();

  await page.getByTestId("btn-initialize").dblclick();
  // Pending for the injected delay: disabled, with a spinner and the time waited.
  await expect(page.locator('[data-testid="btn-initialize"][data-state="pending"]:disabled [data-testid="btn-initialize-pending"]')).toBeVisible();
  await expect(pg.rows({ kind: "response", method: "initialize" })).toHaveCount(1);
  await expect(pg.rows({ dir: "out", kind: "request", method: "initialize" })).toHaveCount(1);
  await expect(page.getByTestId("btn-initialize")).toHaveAttribute("data-state", "ready");

  const forged = await pg.sessionNew();
  await expect(forged).toHaveAttribute("data-error-code", "-32000");
  await expect(forged.getByTestId("injected-badge")).toHaveAttribute("data-origin", "relay");
  const detail = await pg.openDetail(forged);
  await expect(detail.getByTestId("detail-direction")).toHaveText(/^relay/);
  await page.getByTestId("btn-headline-why").click();
  await expect(page.locator('[data-testid="diagnosis-rule"][data-rule-id="fault-injection"]')).toContainText("fabricated by fault injection");

  await setFaults(pg, {}, false);
  await expect(page.getByTestId("fault-pill")).toHaveCount(0);
  await expect(page.getByTestId("status-fault-pill")).toHaveCount(0);
});

// Last in the file: it stops the file's server and starts another on the same port.
test("after a server restart the old tab says the server restarted and where the new URL is", async ({ page }) => {
  const pg = new PlaygroundPage(page, server.url);
  await pg.open();
  await server.stop();
  await expect(page.getByTestId("connection")).toHaveAttribute("data-state", "closed");
  // The same port, a new token and browser address: the old tab's cookie and host are refused.
  restarted = await startServer({ extraArgs: ["--port", String(server.port)] });
  await expect(page.getByTestId("connection")).toHaveAttribute("data-state", "refused");
  await expect(page.getByTestId("notice").filter({ hasText: "The server restarted" })).toContainText("new URL printed in the terminal");
});
