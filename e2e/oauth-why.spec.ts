/**
 * Issue #13 §3 in a real browser: after the refresh token is revoked and the access token expired,
 * the next prompt's refresh is refused. Kimi 2.1.0 answers that prompt end_turn with an empty
 * reply (no error row at all), 0.28.0 answers -32000; on both, a "Why?" entry point appears without
 * needing an error row and explains the refused refresh from the HTTP hop and the token file.
 */
import { expect, test } from "./fixtures";

for (const agent of ["kimi-2.1.0", "kimi-0.28.0"]) {
  test(`${agent}: a refused refresh gets a "Why?" on the prompt's answer and in the Auth tab, naming the token hop and the file`, async ({ pg, page }) => {
    test.setTimeout(240_000);
    await page.setViewportSize({ width: 1440, height: 900 });
    await pg.open();
    await pg.pickProfile("OAuth (emulated)");
    await pg.pickAgent(agent);
    await pg.start();
    await pg.initialize();
    await expect(await pg.sessionNew()).toHaveAttribute("data-kind", "response");
    const answers = pg.rows({ dir: "in", method: "session/prompt" });
    const prompt = async (text: string) => {
      const n = await answers.count();
      await page.getByTestId("prompt-input").fill(text);
      await page.getByTestId("btn-prompt").click();
      await expect(answers).toHaveCount(n + 1, { timeout: 90_000 });
    };
    await prompt("Hello before anything expires");
    await expect(answers.first()).toHaveAttribute("data-kind", "response");
    // A prompt that went well offers no OAuth "Why?".
    await expect(page.getByTestId("btn-why-oauth")).toHaveCount(0);

    const lab = page.getByTestId("oauth-lab-panel");
    await lab.locator("summary").click();
    await page.getByTestId("oauth-revoke-refresh").click();
    await page.getByTestId("oauth-expire-access").click();
    await expect(page.getByTestId("notice").filter({ hasText: "expired" })).toBeVisible();
    await pg.dismissNotices();

    await prompt("And after the refresh token was revoked?");
    const answer = answers.last();
    if (agent === "kimi-2.1.0") {
      // The hidden case: no error row, the turn just ends.
      await expect(answer).toHaveAttribute("data-kind", "response");
      await expect(pg.rows({ kind: "error" })).toHaveCount(0);
    } else {
      await expect(answer).toHaveAttribute("data-error-code", "-32000");
    }
    // The refused refresh hop is on the timeline.
    await expect(page.locator('[data-testid="frame-row"][data-kind="http"]', { hasText: "/api/oauth/token" }).last()).toBeVisible({ timeout: 30_000 });

    // The entry point sits on the prompt's answer row itself.
    const why = answer.getByTestId("btn-why-oauth");
    await expect(why).toBeVisible({ timeout: 30_000 });
    await why.click();
    await expect(page.getByTestId("tab-auth")).toHaveClass(/active/);
    const notice = page.getByTestId("oauth-why-notice");
    const panel = page.getByTestId("diagnosis-oauth");
    await expect(panel).toBeVisible();
    const first = panel.getByTestId("oauth-finding").first();
    if (agent === "kimi-2.1.0") {
      await expect(notice).toContainText("A token refresh failed and the agent did not tell the client");
      await expect(panel).toHaveAttribute("data-hidden", "yes");
      await expect(first).toHaveAttribute("data-rule-id", "oauth-refresh-failed-hidden");
      await expect(first).toContainText("hidden from the client");
      await expect(first).toContainText("empty reply");
      // It names the blanked token file.
      await expect(panel.getByTestId("oauth-finding-link").filter({ hasText: /home .*credentials\/kimi-code/ }).first()).toBeVisible();
      await expect(first).toContainText('access_token blanked to ""');
    } else {
      await expect(notice).toContainText("A token refresh failed");
      await expect(first).toHaveAttribute("data-rule-id", "oauth-refresh-failed");
      await expect(first).toContainText("-32000");
      await expect(first).toContainText("The client sees the error");
    }
    await expect(first).toContainText("grant_type=refresh_token");
    const hop = panel.getByTestId("oauth-finding-link").filter({ hasText: "/api/oauth/token" }).first();
    await expect(hop).toBeVisible();
    if (agent === "kimi-2.1.0") {
      await panel.scrollIntoViewIfNeeded();
      await page.screenshot({ path: "/tmp/pw-why/why-hidden.png" });
    }

    // The link selects the hop: the Frame tab shows it.
    const hopSeq = await hop.getAttribute("data-seq");
    await hop.click();
    await expect(page.getByTestId("frame-detail")).toHaveAttribute("data-seq", String(hopSeq));
    // The hop's own row offers the same "Why?" (it failed: 4xx or no answer).
    await expect(page.locator(`[data-testid="frame-row"][data-seq="${hopSeq}"]`).getByTestId("btn-why-oauth")).toBeVisible();
  });
}
