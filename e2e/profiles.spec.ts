/**
 * Issue #3's acceptance with the real bundled Kimi builds: #1330 reproduced on 0.28.0 and shown
 * fixed on 2.1.0, OAuth works on 0.28.0, and the offline demo runs a whole prompt turn. Every test
 * checks that the profile's secret never reached the page: not in the DOM, not on the WebSocket.
 */
import { expect, test } from "./fixtures";
import type { PlaygroundPage } from "./pages/playground";

const API_KEY_EXAMPLE = "sk-example-0000-fake-key-9f3a";
const OAUTH_EXAMPLE_ACCESS = "example-access-token-not-real-0000";
const OAUTH_EXAMPLE_REFRESH = "example-refresh-token-not-real-0000";

async function expectNoSecret(pg: PlaygroundPage, received: string[], secrets: string[]): Promise<void> {
  const html = await pg.page.content();
  const text = await pg.page.evaluate(() => document.body.innerText);
  const values = await pg.page.evaluate(() => [...document.querySelectorAll("input, textarea")].map((e) => (e as HTMLInputElement).value).join("\n"));
  expect(received.length).toBeGreaterThan(0);
  for (const secret of secrets) {
    expect(html).not.toContain(secret);
    expect(text).not.toContain(secret);
    expect(values).not.toContain(secret);
    for (const msg of received) expect(msg).not.toContain(secret);
  }
}

test("#1330: an API-key profile fails session/new on 0.28.0 and works on 2.1.0", async ({ pg, page, received }) => {
  await pg.launch("API key (example)", "kimi-0.28.0");
  const err = await pg.sessionNew();
  await expect(err).toHaveAttribute("data-error-code", "-32000");

  await pg.pickAgent("kimi-2.1.0");
  await pg.start();
  await pg.initialize();
  const ok = await pg.sessionNew();
  await expect(ok).toHaveAttribute("data-kind", "response");
  await expect(page.getByTestId("prompt-input")).toHaveAttribute("placeholder", /prompt for /);
  // The earlier run stays browsable with its own frames.
  await page.locator('[data-testid="run-item"]').nth(1).click();
  await expect(page.getByTestId("viewing-old-run")).toBeVisible();
  await expect(pg.rows({ kind: "error", method: "session/new" }).last()).toHaveAttribute("data-error-code", "-32000");
  await expectNoSecret(pg, received, [API_KEY_EXAMPLE]);
});

test("the OAuth example profile creates a session on 0.28.0", async ({ pg, received }) => {
  await pg.launch("OAuth (example token)", "kimi-0.28.0");
  const ok = await pg.sessionNew();
  await expect(ok).toHaveAttribute("data-kind", "response");
  await expectNoSecret(pg, received, [OAUTH_EXAMPLE_ACCESS, OAUTH_EXAMPLE_REFRESH]);
});

test("logged out is -32000 on both builds", async ({ pg }) => {
  await pg.open();
  await pg.pickProfile("Logged out");
  for (const agent of ["kimi-0.28.0", "kimi-2.1.0"]) {
    await pg.pickAgent(agent);
    await pg.start();
    await pg.initialize();
    await expect(await pg.sessionNew()).toHaveAttribute("data-error-code", "-32000");
  }
});

test("offline demo + 2.1.0: a prompt streams the reply into the transcript and ends with end_turn", async ({ pg, page, received }) => {
  await pg.launch("Offline demo", "kimi-2.1.0");
  await expect(await pg.sessionNew()).toHaveAttribute("data-kind", "response");
  await page.getByTestId("prompt-input").fill("Say hello to the playground");
  await page.getByTestId("btn-prompt").click();
  await page.getByTestId("tab-transcript").click();
  await expect(page.getByTestId("stop-reason")).toHaveAttribute("data-stop-reason", "end_turn", { timeout: 60_000 });
  await expect(page.getByTestId("transcript-agent").last()).toContainText("offline");
  await expect(page.getByTestId("transcript-user").last()).toContainText("Say hello to the playground");
  expect(await pg.rows({ method: "session/update" }).count()).toBeGreaterThan(0);
  await expectNoSecret(pg, received, ["offline-demo-key"]);
});

test("a new API-key profile made in the form is masked everywhere and switching restarts the agent", async ({ pg, page, received }) => {
  const secret = "sk-e2e-unique-7Hq2Lx9Wm4Pz8Rt6";
  await pg.open();
  await pg.pickAgent("kimi-2.1.0");
  await pg.start();
  await page.getByTestId("btn-manage-profiles").click();
  await page.getByTestId("new-profile-kind").selectOption("kimi-api-key");
  await page.getByTestId("profile-name").fill("My key");
  await page.getByTestId("profile-field-provider").selectOption("moonshot-ai");
  await page.getByTestId("profile-field-model").fill("kimi-k2.7-code");
  await page.getByTestId("profile-field-apiKey").fill(secret);
  await page.getByTestId("btn-profile-save").click();
  const item = page.getByTestId("profile-item").filter({ hasText: "My key" });
  await expect(item).toBeVisible();
  // The browser's own input still holds what the user typed; clear it before checking the page.
  await item.click();
  await expect(page.getByTestId("profile-field-apiKey")).not.toHaveValue(secret);
  await expect(page.getByTestId("profile-field-apiKey")).toHaveValue(/…/);
  await page.getByTestId("btn-profile-preview").click();
  await expect(page.getByTestId("profile-preview")).toContainText("config.toml");
  await page.getByTestId("btn-profile-check").click();
  await expect(page.getByTestId("profile-check-result")).toHaveAttribute("data-state", "ok", { timeout: 30_000 });
  await page.getByTestId("btn-close-profiles").click();
  const before = await pg.newestRunId();
  await pg.pickProfile("My key");
  expect(await pg.newestRunId()).not.toBe(before);
  await expect(pg.runState).toHaveAttribute("data-state", "running");
  await expect(page.getByTestId("status-bar")).toContainText("profile: My key");
  await expectNoSecret(pg, received, [secret]);
});
