/**
 * ACP v2 in the browser (issue 15 §1), against the reference agent (agents/reference/, which
 * answers v1 or v2 as initialize asks), in one run because each agent start costs seconds: pick
 * v2, Guided walks initialize (negotiated 2 shown) → session/new -32000 → auth/login → retry;
 * then logout goes out as auth/logout, the authenticate button sends auth/login, session/new works
 * again; the composer offers v2's methods, and no valid v2 frame gets a schema badge. A second
 * run (no auth) covers the rest in v2: the Session panel's v1-only buttons disabled with a reason,
 * the advertisement diff and the matrix initializing in v2.
 */
import { expect, test } from "./fixtures";

test("ACP v2: negotiated version shown; Guided, logout and the authenticate button speak auth/login and auth/logout", async ({ pg, page }) => {
  await pg.open();
  await pg.pickAgent("reference-agent");
  await page.getByTestId("protocol-select").selectOption("2");
  await pg.start();
  const negotiated = page.getByTestId("protocol-negotiated");
  await expect(negotiated).toHaveAttribute("data-state", "none");

  // Guided, all the way, in v2.
  await page.getByTestId("tab-auth").click();
  const next = page.getByTestId("btn-guided");
  await expect(next).toContainText("initialize");
  await next.click();
  await expect(negotiated).toHaveAttribute("data-state", "negotiated");
  await expect(negotiated).toHaveAttribute("data-version", "2");
  await expect(negotiated).toContainText("negotiated v2");
  await expect(next).toContainText("session/new");
  await next.click();
  await expect(next).toContainText('auth/login "reference-login"');
  await expect(page.getByTestId("guided-explain")).toContainText("auth/login {methodId");
  await next.click();
  await expect(pg.rows({ kind: "response", method: "auth/login" })).toHaveCount(1);
  await expect(next).toContainText("Retry session/new");
  await next.click();
  await expect(next).toContainText("Session created after remediation");
  await expect(next).toBeDisabled();

  // v2 serves auth/logout whenever it advertised methods; then the authenticate button signs in again.
  await page.getByTestId("btn-logout").click();
  await expect(pg.rows({ kind: "response", method: "auth/logout" })).toHaveCount(1);
  await expect(await pg.sessionNew()).toHaveAttribute("data-error-code", "-32000");
  const login = page.getByTestId("btn-authenticate");
  await expect(login).toHaveText(/auth\/login/);
  await login.click();
  await expect(pg.rows({ kind: "response", method: "auth/login" })).toHaveCount(2);
  await expect(await pg.sessionNew()).toHaveAttribute("data-kind", "response");
  await expect(pg.rows({ method: "authenticate" })).toHaveCount(0);
  await expect(pg.rows({ method: "logout" })).toHaveCount(0);

  // The composer speaks the negotiated version: v2's names, not v1's.
  if (!(await page.getByTestId("composer").evaluate((el) => (el as HTMLDetailsElement).open))) await page.getByTestId("composer-toggle").click();
  const templates = page.getByTestId("composer-template");
  await expect(templates.locator("option[value='auth/login']")).toHaveCount(1);
  await expect(templates.locator("option[value='tool_call/cancel']")).toHaveCount(1);
  await expect(templates.locator("option[value='authenticate']")).toHaveCount(0);

  // Every frame is valid v2: no schema badge; and v2's initialize shape went out.
  await expect(pg.rows({ dir: "out", method: "session/new" })).toHaveCount(4);
  await expect(page.getByTestId("violation-badge")).toHaveCount(0);
  const detail = await pg.openDetail(pg.rows({ dir: "out", method: "initialize" }).last());
  await expect(detail).toContainText('"info"');
  await expect(detail).not.toContainText("clientCapabilities");
});

test("ACP v2 beyond auth/login: the Session panel offers only v2's methods, the advertisement diff and the matrix run in v2", async ({ pg, page }) => {
  await pg.open();
  await pg.pickAgent("reference-none");
  await page.getByTestId("protocol-select").selectOption("2");
  await pg.start();
  await pg.initialize();
  await expect(page.getByTestId("protocol-negotiated")).toHaveAttribute("data-version", "2");
  await expect(await pg.sessionNew()).toHaveAttribute("data-kind", "response");

  // Session tab: v2 has no session/load (nor modes): disabled, with the reason said; what stays enabled goes out valid v2.
  await page.getByTestId("tab-session").click();
  const load = page.getByTestId("btn-session-load");
  await expect(load).toBeDisabled();
  await expect(load).toHaveAttribute("data-unavailable", "yes");
  await expect(page.getByTestId("session-unavailable")).toContainText("ACP v2 has no session/load");
  for (const id of ["btn-session-list", "btn-session-resume", "btn-session-close"]) {
    await page.getByTestId(id).click();
    const method = (await page.getByTestId(id).getAttribute("data-method")) ?? "";
    await expect(pg.rows({ dir: "in", method })).toHaveCount(1);
  }
  await expect(pg.rows({ method: "session/load" })).toHaveCount(0);
  await expect(page.getByTestId("violation-badge")).toHaveCount(0);

  // The advertisement diff initializes in v2 and says so.
  await page.getByTestId("tab-auth").click();
  await page.getByTestId("btn-adv-diff").click();
  const diff = page.getByTestId("adv-diff");
  await expect(diff).toHaveAttribute("data-state", "done", { timeout: 30_000 });
  await expect(diff).toHaveAttribute("data-protocol", "2");
  await expect(page.getByTestId("adv-diff-caption")).toContainText("ACP v2 ·");

  // The matrix: its own protocol choice (defaulting to the picked one); the cell speaks v2.
  await page.getByTestId("btn-matrix").click();
  await expect(page.getByTestId("matrix-protocol")).toHaveValue("2");
  for (const box of await page.getByTestId("matrix-agent").all()) if ((await box.getAttribute("data-id")) !== "reference-none") await box.uncheck();
  for (const box of await page.getByTestId("matrix-profile").all()) if ((await box.getAttribute("data-id")) !== "logged-out") await box.uncheck();
  await page.getByTestId("btn-matrix-run").click();
  await expect(page.getByTestId("matrix-grid")).toHaveAttribute("data-state", "done", { timeout: 30_000 });
  await expect(page.getByTestId("matrix-grid")).toHaveAttribute("data-protocol", "2");
  await expect(page.locator('[data-testid="matrix-cell"][data-agent="reference-none"]')).toHaveAttribute("data-protocol", "2");
  await expect(page.getByTestId("matrix-protocol-caption")).toContainText("ACP v2");
});
