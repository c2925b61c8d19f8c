/**
 * Issue 12, part 5 in the browser: `npm start -- --agent-cmd "<command line>"` lists (and selects)
 * that agent first; the matrix dialog's prompt step shows "session created, prompt refused" for an
 * agent with Claude's gate, and each cell lists the auth method types the agent advertised.
 */
import path from "node:path";
import { expect, test } from "@playwright/test";
import { type PlaygroundServer, startServer } from "./fixtures";
import { PlaygroundPage } from "./pages/playground";

const NODE22 = path.resolve("node_modules/.bin/node");
const GATE = `${NODE22} ${path.resolve("test/fixtures/prompt-gate-agent.mjs")}`;

let server: PlaygroundServer;
test.afterEach(async () => server?.stop());

test("--agent-cmd is selected first; the matrix prompt step shows 'session created, prompt refused' and the method types", async ({ page }) => {
  server = await startServer({ extraArgs: ["--agent-cmd", GATE] });
  const pg = new PlaygroundPage(page, server.url);
  await pg.open();
  await expect(page.getByTestId("agent-picker")).toHaveValue("cmd-1");
  await expect(page.getByTestId("agent-picker").locator("option").first()).toHaveText(GATE);

  await page.getByTestId("btn-matrix").click();
  for (const box of await page.getByTestId("matrix-agent").all()) if ((await box.getAttribute("data-id")) !== "cmd-1") await box.uncheck();
  for (const box of await page.getByTestId("matrix-profile").all()) if ((await box.getAttribute("data-id")) !== "logged-out") await box.uncheck();
  await expect(page.getByTestId("matrix-prompt")).toBeDisabled();
  await page.getByTestId("matrix-prompt-on").check();
  await page.getByLabel("Matrix prompt text").fill("Say hello");
  await page.getByTestId("btn-matrix-run").click();
  const cell = page.locator('[data-testid="matrix-cell"][data-agent="cmd-1"][data-profile="Logged out"]');
  await expect(cell).toHaveAttribute("data-state", "done", { timeout: 30_000 });
  await expect(cell).toHaveAttribute("data-verdict", "prompt-refused");
  await expect(cell).toContainText("session created, prompt refused (-32000)");
  await expect(cell.getByTestId("matrix-cell-methods")).toHaveText(/agent, terminal, legacy, env_var/);
  await expect(cell).toHaveAttribute("title", /fixture-api-key: env_var \(FIXTURE_API_KEY\)/);
  await page.getByTestId("matrix-view").screenshot({ path: test.info().outputPath("matrix-prompt.png") });
  const json = JSON.parse((await pg.fetchText("/api/matrix.json")).text) as { verdict: string; prompt?: { error?: { code: number } } }[];
  expect(json[0].verdict).toBe("prompt-refused");
  expect(json[0].prompt?.error?.code).toBe(-32000);
});
