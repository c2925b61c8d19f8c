/**
 * Issue #2's acceptance, against the real bundled Kimi Code builds with a logged-out profile:
 * initialize advertises the login method, session/new fails -32000 paired with its request,
 * a non-JSON line is shown with the agent's reaction, and a reload brings the whole log back.
 */
import { expect, test } from "./fixtures";

for (const agent of ["kimi-2.1.0", "kimi-0.28.0"]) {
  test(`${agent}, logged out: initialize advertises login, session/new is -32000`, async ({ pg, page }) => {
    await pg.open();
    await pg.pickProfile("Logged out");
    await pg.pickAgent(agent);
    await pg.start();

    const init = await pg.initialize();
    await expect(page.getByTestId("agent-info")).toContainText(agent === "kimi-2.1.0" ? "2.1.0" : "0.28.0");
    const detail = await pg.openDetail(init);
    await detail.getByTestId("detail-view-raw").click(); // the raw line, as it crossed stdio (the tree is the default view)
    await expect(detail.getByTestId("detail-raw")).toContainText("Login with Kimi account");
    await expect(page.getByTestId("auth-method-select")).toContainText("Login with Kimi account");

    const err = await pg.sessionNew();
    await expect(err).toHaveAttribute("data-kind", "error");
    await expect(err).toHaveAttribute("data-error-code", "-32000");
    await expect(err.getByTestId("error-chip")).toContainText("Authentication required");
    const errDetail = await pg.openDetail(err);
    const pairSeq = await err.getAttribute("data-pair-seq");
    await expect(errDetail.getByTestId("detail-pair")).toHaveAttribute("data-seq", pairSeq ?? "missing");
    await expect(errDetail.getByTestId("pair-raw")).toContainText('"method":"session/new"');
    await expect(errDetail).toContainText("ACP auth_required");
    // The request row knows its answer too, and shows latency on the answer.
    await expect(pg.rows({ kind: "request", method: "session/new" }).last()).toHaveAttribute("data-pair-seq", (await err.getAttribute("data-seq")) ?? "");
    await expect(err.locator(".c-lat")).toContainText("ms");
  });
}

test("a non-JSON line is visible, the agent's reaction is shown, and the relay stays up", async ({ pg, page }) => {
  await pg.launch("Logged out", "kimi-2.1.0");
  await pg.sendRaw("{not json");
  const bad = pg.rows({ kind: "malformed", dir: "out" }).last();
  await expect(bad).toBeVisible();
  await expect(bad).toContainText("{not json");
  // Kimi reports the parse failure on stderr and keeps running.
  await expect(pg.rows({ kind: "stderr" }).filter({ hasText: "{not json" }).first()).toBeVisible();
  await expect(pg.runState).toHaveAttribute("data-state", "running");
  await expect(page.getByTestId("connection")).toHaveAttribute("data-state", "open");
  // Still answering afterwards.
  await pg.sessionNew();
});

test("after a reload the whole log of the running agent is back", async ({ pg, page }) => {
  await pg.launch("Logged out", "kimi-2.1.0");
  await pg.sessionNew();
  const count = page.getByTestId("filter-count");
  const before = await pg.waitForQuietLog();
  const seqs = await pg.rows().evaluateAll((rows) => rows.map((r) => r.getAttribute("data-seq")));
  await page.reload();
  await expect(page.getByTestId("connection")).toHaveAttribute("data-state", "open");
  await expect(count).toHaveText(before);
  await expect(pg.runState).toHaveAttribute("data-state", "running");
  const after = await pg.rows().evaluateAll((rows) => rows.map((r) => r.getAttribute("data-seq")));
  expect(after).toEqual(seqs);
  await expect(pg.rows({ kind: "error", method: "session/new" }).last()).toHaveAttribute("data-error-code", "-32000");
});

test("the page works under a strict Content-Security-Policy (nonce scripts, no eval, no inline script)", async ({ pg, page, server }) => {
  const violations: string[] = [];
  page.on("console", (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
  });
  const response = await page.goto(server.url);
  const csp = (await response?.headerValue("content-security-policy")) ?? "";
  expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'/);
  expect(csp).not.toContain("unsafe-eval");
  expect(/script-src[^;]*unsafe-inline/.test(csp)).toBe(false);
  expect(csp).toContain("frame-ancestors 'none'");
  await pg.launch("Logged out", "kimi-2.1.0");
  await pg.sessionNew();
  await page.getByTestId("tab-auth").click();
  await expect(page.getByTestId("auth-timeline")).toBeVisible();
  expect(violations).toEqual([]);
});
