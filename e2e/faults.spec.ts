/**
 * Fault injection from the UI against the real Kimi 2.1.0: a forced -32000 on session/new that the
 * agent never saw, junk lines on stdout, and a kill right after a request, each marked injected.
 */
import { expect, test } from "./fixtures";
import type { PlaygroundPage } from "./pages/playground";

async function enableFaults(pg: PlaygroundPage, set: Record<string, string>): Promise<void> {
  const panel = pg.page.getByTestId("fault-panel");
  if (!(await panel.evaluate((el) => (el as HTMLDetailsElement).open))) await panel.locator("summary").click();
  for (const [key, value] of Object.entries(set)) await pg.page.getByTestId(`fault-${key}`).fill(value);
  await pg.page.getByTestId("fault-enabled").check();
  await expect(panel).toHaveAttribute("data-state", "on");
}

async function disableFaults(pg: PlaygroundPage): Promise<void> {
  await pg.page.getByTestId("fault-enabled").uncheck();
  await expect(pg.page.getByTestId("fault-panel")).toHaveAttribute("data-state", "off");
}

test("the Nth session/new is answered -32000 by the relay; the agent never saw it; the next one works", async ({ pg }) => {
  await pg.open();
  await enableFaults(pg, { forceAuthOnSessionNew: "1" });
  await pg.pickProfile("OAuth (example token)");
  await pg.pickAgent("kimi-2.1.0");
  await pg.start();
  await pg.initialize();
  const forced = await pg.sessionNew();
  await expect(forced).toHaveAttribute("data-error-code", "-32000");
  await expect(forced.getByTestId("injected-badge")).toBeVisible();
  await expect(pg.rows({ dir: "out", method: "session/new" }).last().getByTestId("injected-badge")).toBeVisible();
  await pg.page.getByTestId("btn-session-new").click();
  await expect(pg.rows({ dir: "in", method: "session/new", kind: "response" })).toHaveCount(1);
  await disableFaults(pg);
});

test("junk lines on stdout and a kill right after a request: both visible, the pending request is marked lost", async ({ pg }) => {
  await pg.open();
  await enableFaults(pg, { forceAuthOnSessionNew: "0", junkEveryMs: "200", killOnMethod: "session/new" });
  // With a token, Kimi takes ~200 ms to create a session: the kill lands while it is pending.
  await pg.pickProfile("OAuth (example token)");
  await pg.pickAgent("kimi-2.1.0");
  await pg.start();
  await expect(pg.rows({ kind: "malformed", dir: "in" }).first().getByTestId("injected-badge")).toBeVisible();
  await pg.initialize();
  await pg.page.getByTestId("btn-session-new").click();
  await expect(pg.runState).toHaveAttribute("data-state", "exited", { timeout: 15_000 });
  await expect(pg.runState).toContainText("SIGKILL");
  const lost = pg.rows({ kind: "lost", method: "session/new" });
  await expect(lost).toHaveCount(1);
  await expect(lost).toContainText("agent exited");
  await disableFaults(pg);
});
