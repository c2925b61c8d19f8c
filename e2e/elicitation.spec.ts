/**
 * Issue 15 §1 in the browser, with the elicitation fixture agent (test/fixtures/elicit-agent.mjs):
 * a form elicitation filled in and accepted; a request-scoped URL sign-in card with its host and a
 * new-tab link, closed by elicitation/complete; auth/status behind the unstable toggle with its
 * state and accounts on the auth timeline; the providers panel keeping header values masked; and
 * the card for a URL the agent handed to its xdg-open. One server for the file.
 */
import { expect, test } from "@playwright/test";
import { fixtureAgent } from "../test/fixtures/server";
import { type PlaygroundServer, recordSocketTraffic, startServer } from "./fixtures";
import { PlaygroundPage } from "./pages/playground";

const HEADER_SECRET = "Bearer sk-e2e-provider-51c0ffee";

test.describe("elicitation, auth status, providers, browser logins", () => {
  let server: PlaygroundServer;

  test.beforeAll(async () => {
    server = await startServer({ agentsJson: { agents: [fixtureAgent("elicit", "elicit-agent.mjs")] } });
  });
  test.afterAll(async () => {
    await server?.stop();
  });

  /** Open the page, advertise elicitation, start the fixture and initialize. */
  async function launch(pg: PlaygroundPage): Promise<void> {
    await pg.open();
    await pg.pickAgent("elicit");
    await pg.page.getByTestId("cap-elicitation").check();
    await pg.start();
    const init = await pg.initialize();
    await expect(init).toBeVisible();
  }

  test("form elicitation filled and accepted; URL sign-in card with its host, closed by elicitation/complete", async ({ page }) => {
    test.setTimeout(60_000);
    const pg = new PlaygroundPage(page, server.url);
    await launch(pg);
    await pg.sessionNew();
    await page.getByTestId("prompt-input").fill("show me the form");
    await page.getByTestId("btn-prompt").click();

    const card = page.locator('[data-testid="elicitation-card"][data-mode="form"]');
    await expect(card).toHaveAttribute("data-state", "open");
    await expect(card.locator('[data-testid="elicitation-field"][data-name="avatar"]')).toHaveAttribute("data-kind", "unknown");
    const field = (name: string) => card.locator(`[data-testid="elicitation-field"][data-name="${name}"] [data-testid="elicitation-input"]`);
    await field("name").fill("A");
    await field("email").fill("not-an-email");
    await card.getByTestId("elicitation-accept").click();
    // Checked in the page first: nothing is sent while a field is wrong.
    await expect(card.getByTestId("elicitation-problem")).toHaveCount(3);
    await field("name").fill("Ada Lovelace");
    await field("email").fill("ada@example.test");
    await field("plan").selectOption("pro");
    await field("seats").fill("12");
    await card.getByTestId("elicitation-accept").click();
    await expect(card).toHaveCount(0);
    const answer = pg.rows({ dir: "out", method: "elicitation/create" }).last();
    await expect(answer).toHaveAttribute("data-kind", "response");
    // The agent echoes what it got as an agent message.
    await page.getByTestId("tab-transcript").click();
    await expect(page.getByTestId("side-tabpanel")).toContainText('"name":"Ada Lovelace"');

    // authenticate "browser": a request-scoped URL elicitation before any session of its own.
    await page.getByTestId("auth-method-select").selectOption("browser");
    await page.getByTestId("btn-authenticate").click();
    const url = page.locator('[data-testid="elicitation-card"][data-mode="url"]');
    await expect(url).toHaveAttribute("data-state", "open");
    await expect(url.getByTestId("elicitation-host")).toHaveText("login.example.test");
    const link = url.getByTestId("elicitation-open");
    await expect(link).toHaveAttribute("target", "_blank");
    await expect(link).toHaveAttribute("rel", "noopener noreferrer");
    await expect(link).toHaveAttribute("href", "https://login.example.test/device?user_code=WXYZ-1234");
    // The user's click opens the tab (aborted here: the network is loopback only) and accepts.
    await page.context().route("https://login.example.test/**", (route) => route.abort());
    const popup = page.waitForEvent("popup");
    await link.click();
    await (await popup).close();
    // The agent's elicitation/complete closes the card.
    await expect(pg.rows({ dir: "in", method: "elicitation/complete" })).toHaveCount(1);
    await expect(url).toHaveCount(0);

    await page.getByTestId("tab-auth").click();
    const event = page.locator('[data-testid="auth-event"][data-kind="url"] [data-testid="auth-event-url"]');
    await expect(event).toHaveAttribute("data-state", "completed");
    await expect(page.locator('[data-testid="auth-event"][data-kind="status"]')).toHaveCount(1);
  });

  test("auth/status behind the unstable toggle; providers panel masked; the xdg-open card", async ({ page }) => {
    test.setTimeout(60_000);
    const received: string[] = [];
    page.on("websocket", (ws) => recordSocketTraffic(ws, received));
    const pg = new PlaygroundPage(page, server.url);
    await launch(pg);
    await page.getByTestId("tab-auth").click();
    await expect(page.getByTestId("btn-auth-status")).toHaveCount(0);
    // Controlled by the relay's answer (set_validation → validation), so click and wait for it.
    await page.getByTestId("toggle-unstable-schema").click();
    await expect(page.getByTestId("toggle-unstable-schema")).toBeChecked();
    await page.getByTestId("btn-auth-status").click();
    await expect(page.getByTestId("auth-status")).toHaveAttribute("data-state", "unauthenticated");

    // xdg-open in the agent's environment is the playground's: a card, nothing opened on the server.
    await page.getByTestId("auth-method-select").selectOption("xdg");
    await page.getByTestId("btn-authenticate").click();
    const browser = page.getByTestId("auth-event-browser");
    await expect(browser).toContainText("The agent wants to open https://login.example.test/device?user_code=WXYZ-1234");
    await expect(browser.getByTestId("elicitation-host")).toHaveText("login.example.test");
    await expect(browser.getByTestId("elicitation-open")).toHaveAttribute("target", "_blank");

    // Sign in through the URL card, then auth/status shows the account; logout's "_revoked" reads as unknown.
    await page.getByTestId("auth-method-select").selectOption("browser");
    await page.getByTestId("btn-authenticate").click();
    // The first test follows the link into a tab; here only its answer matters, so the tab is not opened.
    await page.evaluate(() => document.addEventListener("click", (e) => (e.target as Element | null)?.closest('[data-testid="elicitation-open"]') && e.preventDefault(), true));
    await page.locator('[data-testid="elicitation-card"][data-mode="url"]').getByTestId("elicitation-open").click();
    await expect(page.getByTestId("auth-status")).toHaveAttribute("data-state", "authenticated");
    await expect(page.getByTestId("auth-account")).toContainText("Example Pro");
    await page.getByTestId("btn-auth-status").click();
    await expect(page.locator('[data-testid="auth-event"][data-kind="status"]')).toHaveCount(3);

    // Providers: list, then set with a secret header; the page never gets the value back.
    await page.getByTestId("btn-providers-list").click();
    await expect(page.locator('[data-testid="provider"][data-provider="main"]')).toBeVisible();
    await page.getByTestId("provider-id").fill("gateway");
    await page.getByTestId("provider-base-url").fill("https://gateway.example.test/v1");
    const value = page.getByTestId("provider-header-value").first();
    await expect(value).toHaveAttribute("type", "password");
    await value.fill(HEADER_SECRET);
    await page.getByTestId("btn-providers-set").click();
    await expect(value).toHaveValue("");
    await expect(pg.rows({ dir: "in", method: "providers/set" })).toHaveCount(1);
    await page.getByTestId("btn-providers-list").click();
    const gateway = page.locator('[data-testid="provider"][data-provider="gateway"]');
    await expect(gateway.getByTestId("provider-header")).toHaveText("Authorization: ‹redacted›");
    await page.getByTestId("btn-auth-status").scrollIntoViewIfNeeded();
    expect(await page.content()).not.toContain("sk-e2e-provider-51c0ffee");
    expect(received.join("\n")).not.toContain("sk-e2e-provider-51c0ffee");

    // logout: the agent's auth/status_update says "_revoked", which the page must show as unknown.
    await page.getByTestId("btn-logout").click();
    await expect(page.getByTestId("auth-status")).toHaveAttribute("data-state", "unknown");
    await expect(page.getByTestId("auth-status-raw")).toContainText("_revoked");
  });
});
