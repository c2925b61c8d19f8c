/**
 * The Conformance tab (issue 15 §3): the button runs the check on the selected agent through the
 * relay, every rule shows its verdict, a broken MUST reads as a fail, and a rule's frame link
 * opens that very frame in the check's run. Its own server, so the catalog can hold an agent
 * built to break a rule (test/fixtures/rule-breakers.mjs) next to the reference agent.
 */
import path from "node:path";
import { ROOT } from "../test/fixtures/server";
import { expect, startServer, test, type PlaygroundServer } from "./fixtures";
import { PlaygroundPage } from "./pages/playground";

const BREAKER = path.join(ROOT, "test", "fixtures", "rule-breakers.mjs");
let server: PlaygroundServer;

test.beforeAll(async () => {
  server = await startServer({ agentsJson: { agents: [{ id: "breaks-terminal", label: "Breaks the terminal rule", command: process.execPath, args: [BREAKER, "--break", "terminal-always"] }] } });
});
test.afterAll(async () => {
  await server?.stop();
});

test("Conformance tab: a check per agent, verdicts per rule, frame links that open the evidence", async ({ page }) => {
  const pg = new PlaygroundPage(page, server.url);
  await pg.open();
  await page.getByTestId("tab-conformance").click();
  const view = page.getByTestId("conformance-view");
  await expect(view).toHaveAttribute("data-state", "idle");

  // The reference agent's terminal behaviour passes: its terminal method reaches only clients that enabled it.
  await pg.pickAgent("reference-terminal");
  await page.getByTestId("conformance-protocol").selectOption("1");
  await page.getByTestId("btn-conformance-run").click();
  await expect(view).toHaveAttribute("data-state", "done", { timeout: 20_000 });
  await expect(page.getByTestId("conformance-report")).toHaveAttribute("data-must-failed", "no");
  const gated = page.locator('[data-testid="conformance-rule"][data-rule="auth.terminal-only-when-enabled"]');
  await expect(gated).toHaveAttribute("data-verdict", "pass");
  await expect(page.getByTestId("conformance-caption")).toContainText("acp-reference-agent 1.0.0");
  const firstRun = (await view.getAttribute("data-run")) ?? "";
  expect(firstRun).not.toBe("");

  // An agent built to break it: the rule fails, the summary says a MUST is broken.
  await pg.pickAgent("breaks-terminal");
  await page.getByTestId("btn-conformance-run").click();
  // The breaker answers fast enough that "running" can come and go between two polls, so the
  // second check is told from the first by its agent and its run, not by catching the spinner.
  await expect(view).toHaveAttribute("data-agent", "breaks-terminal");
  await expect(view).not.toHaveAttribute("data-run", firstRun, { timeout: 20_000 });
  await expect(view).toHaveAttribute("data-state", "done", { timeout: 20_000 });
  await expect(page.getByTestId("conformance-report")).toHaveAttribute("data-must-failed", "yes");
  await expect(page.getByTestId("conformance-summary")).toContainText("1 MUST rule broken");
  await expect(gated).toHaveAttribute("data-verdict", "fail");
  await expect(gated.getByTestId("conformance-verdict")).toHaveText("fail");
  await expect(gated.getByTestId("conformance-detail")).toContainText('terminal method "term" advertised to a client without auth.terminal');
  // Failures come first.
  await expect(page.getByTestId("conformance-rule").first()).toHaveAttribute("data-verdict", "fail");

  // The evidence link opens the initialize answer that advertised the terminal method.
  const link = gated.getByTestId("conformance-evidence").last();
  const seq = await link.getAttribute("data-seq");
  await link.click();
  const detail = page.getByTestId("frame-detail");
  await expect(detail).toHaveAttribute("data-seq", seq ?? "");
  await expect(detail).toContainText("authMethods");
  await expect(page.getByTestId("side-tabpanel")).toHaveAttribute("data-tab", "detail");
});
