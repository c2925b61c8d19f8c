/**
 * Issue #13 §1 in a real browser: a device code is approved on the verification page the
 * playground serves (behind its token cookie), as a user does with a real provider, and the OAuth
 * lab panel lists the waiting code and switches the emulator's behaviour live.
 */
import { KIMI_CLIENT_ID } from "../server/oauth-emulator";
import { WsClient } from "../test/fixtures/server";
import { expect, test } from "./fixtures";

async function post(url: string, fields: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields).toString() });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

test("a device code is approved on the verification page in the browser tab; the panel listed it first", async ({ pg }) => {
  await pg.open();
  const panel = pg.page.getByTestId("oauth-lab-panel");
  await panel.locator("summary").click();
  const emuUrl = ((await panel.locator("summary small").textContent()) ?? "").trim();
  expect(emuUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

  // What Kimi's login asks for.
  const device = await post(`${emuUrl}/api/oauth/device_authorization`, { client_id: KIMI_CLIENT_ID });
  const userCode = String(device.body.user_code);
  await expect(pg.page.getByTestId(`oauth-pending-${userCode}`)).toBeVisible();
  const poll = (): Promise<{ status: number; body: Record<string, unknown> }> =>
    post(`${emuUrl}/api/oauth/token`, { client_id: KIMI_CLIENT_ID, grant_type: "urn:ietf:params:oauth:grant-type:device_code", device_code: String(device.body.device_code) });
  expect((await poll()).body.error).toBe("authorization_pending");

  // The tab opens verification_uri_complete (the browser's own playground origin) and approves.
  await pg.page.goto(String(device.body.verification_uri_complete));
  await expect(pg.page.getByTestId("oauth-device-code")).toHaveText(userCode);
  await pg.page.getByTestId("oauth-device-approve").click();
  await expect(pg.page.getByTestId("oauth-device-result")).toContainText("Approved");
  const token = await poll();
  expect(token.status).toBe(200);
  expect(String(token.body.access_token)).toMatch(/^at_/);
});

test("behaviours switch live from the panel and survive a reload (the relay holds them)", async ({ pg }) => {
  await pg.open();
  const panel = pg.page.getByTestId("oauth-lab-panel");
  await panel.locator("summary").click();
  await pg.page.getByTestId("oauth-refresh").selectOption("invalid_grant");
  await pg.page.getByTestId("oauth-slow-down").check();
  await pg.page.getByTestId("oauth-token-ttl").fill("30");
  // The token buttons need a run of the OAuth (emulated) profile.
  await expect(pg.page.getByTestId("oauth-expire-access")).toBeDisabled();
  await pg.page.waitForTimeout(500);
  await pg.open();
  await pg.page.getByTestId("oauth-lab-panel").locator("summary").click();
  await expect(pg.page.getByTestId("oauth-refresh")).toHaveValue("invalid_grant");
  await expect(pg.page.getByTestId("oauth-slow-down")).toBeChecked();
  await expect(pg.page.getByTestId("oauth-token-ttl")).toHaveValue("30");
  // Put it back for other tests of this worker's server.
  await pg.page.getByTestId("oauth-refresh").selectOption("ok");
  await pg.page.getByTestId("oauth-slow-down").uncheck();
  await pg.page.getByTestId("oauth-token-ttl").fill("900");
});

for (const agent of ["kimi-2.1.0", "kimi-0.28.0"]) {
  test(`${agent}: the terminal login from the Auth tab runs against the emulator; the code is approved on the page; the retried session/new succeeds`, async ({ pg, page, server }) => {
    test.setTimeout(180_000);
    // A logged-out emulated profile: the run gets the emulator's overrides, the login is the user's.
    const ws = await WsClient.connect(server);
    try {
      const hello = await ws.waitFor("hello", (e) => (e.type === "hello" ? e : undefined));
      if (!hello.profiles.some((p) => p.name === "Login lab (logged out)")) {
        ws.send({ type: "profile_save", draft: { name: "Login lab (logged out)", kind: "kimi-oauth-emulated", fields: { loggedOut: true } } });
        await ws.waitFor("saved", (e) => (e.type === "profiles" && e.profiles.some((p) => p.name === "Login lab (logged out)") ? e : undefined));
      }
      ws.send({ type: "oauth_behaviour", behaviour: { approval: "manual", slowDown: false, pendingPolls: 0 } });
    } finally {
      await ws.close();
    }
    await pg.launch("Login lab (logged out)", agent);
    await expect(await pg.sessionNew()).toHaveAttribute("data-error-code", "-32000");
    await page.getByTestId("tab-auth").click();
    await expect(page.getByTestId("login-check-spec")).toHaveAttribute("data-state", "ok");
    await page.getByTestId("btn-login-spec").click();
    // Kimi prints the verification URL in the browser terminal: the playground's own page.
    await expect(page.getByTestId("login-output")).toContainText("/oauth/device?user_code=", { timeout: 60_000 });
    const output = (await page.getByTestId("login-output").textContent()) ?? "";
    const url = /(http:\/\/\S+\/oauth\/device\?user_code=[A-Z0-9-]+)/.exec(output)?.[1];
    expect(url).toBeTruthy();
    const verify = await page.context().newPage();
    await verify.goto(String(url));
    await verify.getByTestId("oauth-device-approve").click();
    await expect(verify.getByTestId("oauth-device-result")).toContainText("Approved");
    await verify.close();
    await expect(page.getByTestId("login-state")).toHaveAttribute("data-exit-code", "0", { timeout: 60_000 });
    // The playground reconnects in the same home and retries session/new: now it is created.
    await expect(pg.rows({ dir: "in", method: "session/new", kind: "response" })).toHaveCount(1, { timeout: 30_000 });
  });
}
