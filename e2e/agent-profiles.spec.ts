/**
 * Issue #12 §2 in the browser: a profile kind per agent, made in the form, shows only masked
 * secrets (in the field, the preview and on the WebSocket), names the agent's credential sources
 * with the ones it sets marked; a generic profile's non-secret values stay readable.
 */
import { expect, test } from "./fixtures";

const CODEX_KEY = "sk-proj-e2e-FAKE-codex-9Wm4Pz8Rt6Lx";

test("a Codex API-key profile made in the form shows its key masked, its variable as a source, and nothing leaks", async ({ pg, page, received }) => {
  await pg.open();
  await page.getByTestId("btn-manage-profiles").click();
  await page.getByTestId("new-profile-kind").selectOption("codex-api-key");
  await expect(page.getByTestId("profile-form")).toHaveAttribute("data-kind", "codex-api-key");
  // Labelled controls with help that names the sources.
  await expect(page.getByTestId("profile-agent-sources")).toHaveAttribute("data-family", "codex");
  await expect(page.getByTestId("profile-agent-sources")).toContainText("CODEX_API_KEY");
  await expect(page.getByTestId("profile-agent-sources")).toContainText("~/.codex/auth.json");
  await page.getByTestId("profile-name").fill("Codex key");
  await page.getByTestId("profile-field-envVar").selectOption("OPENAI_API_KEY");
  await page.getByTestId("profile-field-apiKey").fill(CODEX_KEY);
  await page.getByTestId("btn-profile-save").click();

  const item = page.getByTestId("profile-item").filter({ hasText: "Codex key" });
  await expect(item).toBeVisible();
  await expect(item).toContainText("Codex API key");
  await item.click();
  const field = page.getByTestId("profile-field-apiKey");
  await expect(field).toHaveValue(/…/);
  await expect(field).not.toHaveValue(CODEX_KEY);
  await expect(page.getByTestId("profile-field-envVar")).toHaveValue("OPENAI_API_KEY");
  await expect(page.locator('[data-testid="profile-agent-source"][data-source="env OPENAI_API_KEY"]')).toHaveAttribute("data-set", "yes");
  await expect(page.locator('[data-testid="profile-agent-source"][data-source="env CODEX_API_KEY"]')).toHaveAttribute("data-set", "no");
  // Kimi's doctor does not judge a Codex profile, so it is not offered.
  await expect(page.getByTestId("btn-profile-check")).toHaveCount(0);

  await page.getByTestId("btn-profile-preview").click();
  await expect(page.getByTestId("profile-preview")).toContainText("OPENAI_API_KEY=sk-");
  await expect(page.getByTestId("profile-preview")).not.toContainText(CODEX_KEY);

  const html = await page.content();
  const values = await page.evaluate(() => [...document.querySelectorAll("input, textarea")].map((e) => (e as HTMLInputElement).value).join("\n"));
  expect(html).not.toContain(CODEX_KEY);
  expect(values).not.toContain(CODEX_KEY);
  expect(received.length).toBeGreaterThan(0);
  for (const msg of received) expect(msg).not.toContain(CODEX_KEY);
  await page.screenshot({ path: test.info().outputPath("codex-api-key-profile.png"), fullPage: true });
});

test("a generic profile masks the key but keeps the model id readable, and offers the secret / not-secret name lists", async ({ pg, page, received }) => {
  const key = "sk-e2e-generic-FAKE-2Lx9Wm4Pz8Rt";
  await pg.open();
  await page.getByTestId("btn-manage-profiles").click();
  await page.getByTestId("new-profile-kind").selectOption("generic");
  await page.getByTestId("profile-name").fill("Generic model");
  await page.getByTestId("profile-field-env").fill(`OPENAI_API_KEY=${key}\nOPENAI_MODEL=gpt-4o-mini`);
  await expect(page.getByTestId("profile-field-secretNames")).toBeVisible();
  await expect(page.getByTestId("profile-field-plainNames")).toBeVisible();
  await page.getByTestId("btn-profile-save").click();
  const item = page.getByTestId("profile-item").filter({ hasText: "Generic model" });
  await expect(item).toBeVisible();
  await item.click();
  const env = page.getByTestId("profile-field-env");
  await expect(env).toHaveValue(/OPENAI_MODEL=gpt-4o-mini/);
  await expect(env).toHaveValue(/OPENAI_API_KEY=sk-…/);
  await expect(env).not.toHaveValue(new RegExp(key));
  for (const msg of received) expect(msg).not.toContain(key);
});
