/**
 * Issue #4's acceptance with the real bundled Kimi builds: the auth timeline, the "why -32000?"
 * diagnosis naming #1330, Probe's promise never to authenticate or log in, the terminal login in
 * the browser terminal (offline it fails and changes no credentials), and the advertisement diff.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect, type PlaygroundServer, startServer, test } from "./fixtures";
import { PlaygroundPage } from "./pages/playground";

test("API key + 0.28.0: Probe marks session/new failed and the diagnosis names #1330 and its fix", async ({ pg, page }) => {
  await pg.open();
  await pg.pickProfile("API key (example)");
  await pg.pickAgent("kimi-0.28.0");
  await page.getByTestId("tab-auth").click();
  await page.getByTestId("btn-probe").click();
  await expect(page.getByTestId("flow-status")).toHaveAttribute("data-state", "done", { timeout: 30_000 });
  await expect(page.locator('[data-testid="auth-step"][data-step="spawn"]')).toHaveAttribute("data-state", "ok");
  await expect(page.locator('[data-testid="auth-step"][data-step="initialize"]')).toHaveAttribute("data-state", "ok");
  await expect(page.locator('[data-testid="auth-step"][data-step="session"]')).toHaveAttribute("data-state", "failed");
  const rule = page.locator('[data-testid="diagnosis-rule"][data-rule-id="kimi-code-1330"]');
  await expect(rule).toBeVisible();
  await expect(rule).toContainText("#1330");
  await expect(rule).toContainText("0.29.0");
  await expect(page.getByTestId("diagnosis-sources")).toContainText("config.toml");
  // Probe never authenticates and never runs a login.
  await expect(pg.rows({ method: "authenticate" })).toHaveCount(0);
  await expect(page.getByTestId("login-state")).toHaveCount(0);
  expect(await pg.rows({ dir: "out", kind: "request" }).evaluateAll((rows) => rows.map((r) => r.getAttribute("data-method")))).toEqual(["initialize", "session/new"]);
});

test("the -32000 row offers 'Why?' and opens the diagnosis", async ({ pg, page }) => {
  await pg.launch("Logged out", "kimi-2.1.0");
  const err = await pg.sessionNew();
  await pg.openDetail(err);
  await page.getByTestId("btn-why").click();
  const d = page.getByTestId("diagnosis");
  await expect(d).toBeVisible();
  await expect(d).toContainText("auth_required");
  // 2.1.0 prints the gate's reason on stderr; the diagnosis shows it.
  await expect(page.getByTestId("diagnosis-stderr")).toContainText("no provider configured");
});

test("OAuth profile: the timeline is all green", async ({ pg, page }) => {
  await pg.open();
  await pg.pickProfile("OAuth (example token)");
  await pg.pickAgent("kimi-2.1.0");
  await page.getByTestId("tab-auth").click();
  await page.getByTestId("btn-probe").click();
  await expect(page.getByTestId("flow-status")).toHaveAttribute("data-state", "done", { timeout: 30_000 });
  await expect(page.locator('[data-testid="auth-step"][data-step="session"]')).toHaveAttribute("data-state", "ok");
  await expect(page.locator('[data-testid="auth-step"][data-state="failed"]')).toHaveCount(0);
  await expect(page.locator('[data-testid="auth-step"][data-state="pending"]')).toHaveCount(0);
  await expect(page.getByTestId("diagnosis")).toHaveCount(0);
});

test("Kimi 2.1.0's terminal login runs in the browser terminal; offline it exits non-zero and writes no credentials", async ({ pg, page, server }) => {
  await pg.launch("Logged out", "kimi-2.1.0");
  await pg.sessionNew();
  const profileFile = path.join(server.dataDir, "profiles", "logged-out.json");
  const before = readFileSync(profileFile, "utf8");
  await page.getByTestId("tab-auth").click();
  await expect(page.getByTestId("login-cmd-spec")).toContainText("acp --login");
  await expect(page.getByTestId("login-cmd-legacy")).toContainText("main.mjs login");
  // Before running anything, the relay says whether each command's executable exists.
  await expect(page.getByTestId("login-check-spec")).toHaveAttribute("data-state", "ok");
  await expect(page.getByTestId("login-check-legacy")).toHaveAttribute("data-state", "ok");
  await page.getByTestId("btn-login-spec").click();
  await expect(page.getByTestId("login-state")).toHaveAttribute("data-state", "exited", { timeout: 60_000 });
  const code = await page.getByTestId("login-state").getAttribute("data-exit-code");
  expect(code).not.toBe("0");
  expect(code).not.toBe("");
  await expect(page.getByTestId("login-state")).toContainText(`with code ${code}`);
  await expect(page.getByTestId("login-output")).toContainText("Login failed");
  // The suite's server sends Kimi's own login to a closed loopback port (--kimi-oauth-host), never to auth.kimi.com.
  await expect(page.getByTestId("login-output")).toContainText("127.0.0.1:9");
  await expect(page.locator('[data-testid="auth-step"][data-step="remediation"]')).toHaveAttribute("data-state", "failed");
  // The profile is untouched and the run's home (where the login ran) gained no token.
  expect(readFileSync(profileFile, "utf8")).toBe(before);
  const runId = await page.getByTestId("run-item").first().getAttribute("data-run-id");
  const home = path.join(server.dataDir, "runs", runId ?? "missing", "home");
  expect(existsSync(home)).toBe(true);
  expect(existsSync(path.join(home, "credentials", "kimi-code.json"))).toBe(false);
  // A reload brings the login's state and output back, like the frame log.
  await page.reload();
  await page.getByTestId("tab-auth").click();
  await expect(page.getByTestId("login-state")).toHaveAttribute("data-exit-code", code ?? "missing");
  await expect(page.getByTestId("login-output")).toContainText("Login failed");
});

test("the advertisement diff renders four variants for Kimi", async ({ pg, page }) => {
  await pg.open();
  await pg.pickProfile("Logged out");
  await pg.pickAgent("kimi-2.1.0");
  await page.getByTestId("tab-auth").click();
  await page.getByTestId("btn-adv-diff").click();
  const diff = page.getByTestId("adv-diff");
  await expect(diff).toHaveAttribute("data-state", "done", { timeout: 60_000 });
  // The verdict comes first; the table opens wide, every row shown once "only differences" is off.
  await expect(page.getByTestId("adv-diff-verdict")).not.toBeEmpty();
  await page.getByTestId("btn-adv-diff-open").click();
  await page.getByTestId("adv-only-diffs").uncheck();
  await expect(page.getByTestId("adv-variant")).toHaveCount(4);
  await expect(page.getByTestId("adv-methods").first()).toContainText("login (terminal");
});

test("Guided mode walks one step per click and says what the next step sends", async ({ pg, page }) => {
  await pg.open();
  await pg.pickProfile("Logged out");
  await pg.pickAgent("kimi-2.1.0");
  // Earlier tests in this worker may have left an agent running: guided starts from nothing.
  if (await page.getByTestId("btn-kill").isEnabled()) {
    await page.getByTestId("btn-kill").click();
    await expect(pg.runState).toHaveAttribute("data-state", "exited");
  }
  await page.getByTestId("tab-auth").click();
  const next = page.getByTestId("btn-guided");
  await expect(next).toContainText("Start the agent");
  await next.click();
  await expect(next).toContainText("Send initialize");
  await expect(page.getByTestId("guided-explain")).toContainText("protocolVersion 1");
  await next.click();
  await expect(next).toContainText("Send session/new");
  await next.click();
  await expect(next).toContainText("Run the terminal login");
  await expect(page.getByTestId("guided-explain")).toContainText("--login");
  await expect(page.locator('[data-testid="auth-step"][data-step="session"]')).toHaveAttribute("data-state", "failed");
  // Guided never sent authenticate for a terminal method (the spec forbids it).
  await expect(pg.rows({ method: "authenticate" })).toHaveCount(0);
});

test("Auto runs the whole flow: the remediation is the terminal login, which fails offline, so nothing is retried", async ({ pg, page }) => {
  await pg.open();
  await pg.pickProfile("Logged out");
  await pg.pickAgent("kimi-2.1.0");
  await page.getByTestId("tab-auth").click();
  await page.getByTestId("btn-auto").click();
  await expect(page.getByTestId("flow-status")).toHaveAttribute("data-state", "failed", { timeout: 60_000 });
  await expect(page.getByTestId("flow-status")).toContainText("login exited with code");
  await expect(page.locator('[data-testid="auth-step"][data-step="remediation"]')).toHaveAttribute("data-state", "failed");
  await expect(page.getByTestId("login-state")).toHaveAttribute("data-state", "exited");
});

test.describe("a terminal login that succeeds", () => {
  let server: PlaygroundServer;
  test.afterEach(async () => server?.stop());

  test("exit 0 → the playground reconnects in the same home, initializes and the retried session/new succeeds", async ({ page }) => {
    server = await startServer({
      agentsJson: { agents: [{ id: "login-agent", label: "Login agent (fixture)", command: path.resolve("test/fixtures/login-agent.mjs"), args: [], runtime: "node22" }] },
    });
    const pg = new PlaygroundPage(page, server.url);
    await pg.launch("Logged out", "login-agent");
    await expect(await pg.sessionNew()).toHaveAttribute("data-error-code", "-32000");
    await page.getByTestId("tab-auth").click();
    await expect(page.getByTestId("login-check-spec")).toHaveAttribute("data-state", "ok");
    await page.getByTestId("btn-login-spec").click();
    await expect(page.getByTestId("login-state")).toHaveAttribute("data-state", "running");
    await expect(page.getByTestId("login-output")).toContainText("who are you?");
    // Type into the browser terminal, as a user would.
    await page.getByTestId("login-terminal").click();
    await page.keyboard.type("playwright");
    await page.keyboard.press("Enter");
    await expect(page.getByTestId("login-state")).toHaveAttribute("data-exit-code", "0");
    await expect(page.getByTestId("login-output")).toContainText("logged in as playwright");
    // A new run (reconnect) answers the retried session/new.
    await expect(page.getByTestId("run-item")).toHaveCount(2);
    await expect(pg.rows({ dir: "in", method: "session/new", kind: "response" })).toHaveCount(1, { timeout: 20_000 });
    await expect(page.getByTestId("reconnected-from")).toContainText("exited with code 0");
    await expect(page.locator('[data-testid="auth-step"][data-step="session"]')).toHaveAttribute("data-state", "ok");
    await expect(page.locator('[data-testid="auth-step"][data-state="failed"]')).toHaveCount(0);
    // The run that logged in keeps its own story: gated, then the login that exited 0.
    await page.getByTestId("reconnected-from").getByRole("button").click();
    await expect(page.locator('[data-testid="auth-step"][data-step="session"]')).toHaveAttribute("data-state", "failed");
    await expect(page.locator('[data-testid="auth-step"][data-step="remediation"]')).toHaveAttribute("data-state", "ok");
  });
});
