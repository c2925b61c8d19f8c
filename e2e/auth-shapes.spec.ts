/**
 * Issue 12 §3 in the browser, against the real codex-acp 0.16.0 (installed by the test set-up,
 * test/fixtures/third-party.ts): the auth panel shows Codex's env_var methods with their variables,
 * a value typed into the masked field restarts the agent with it set, authenticate succeeds and a
 * session is created — and the typed value appears nowhere in the DOM or in anything the server
 * sends to the page (it crosses the socket once, in the page's own auth_env_start command).
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { installThirdParty, RegistryUnreachableError, type ThirdPartyInstall } from "../test/fixtures/third-party";
import { type PlaygroundServer, recordSocketTraffic, startServer } from "./fixtures";
import { PlaygroundPage } from "./pages/playground";

const TYPED = "sk-e2e-playwright-codex-7d41be";

test.describe("auth method shapes: Codex env_var", () => {
  let install: ThirdPartyInstall | undefined;
  let skip = "";
  let server: PlaygroundServer | undefined;
  let fakeHome = "";

  test.beforeAll(async () => {
    test.setTimeout(30 * 60_000); // the first install on a machine downloads the pinned agents
    try {
      install = await installThirdParty();
    } catch (error) {
      if (!(error instanceof RegistryUnreachableError)) throw error;
      skip = error.message;
      process.stderr.write(`SKIP real third-party agents: ${skip}\n`);
    }
  });

  test.afterEach(async () => {
    await server?.stop();
    if (fakeHome) rmSync(fakeHome, { recursive: true, force: true });
  });

  test("typed masked CODEX_API_KEY → restart → authenticate → session; the value is nowhere in the DOM or the server's messages", async ({ page }) => {
    test.skip(skip !== "", skip);
    test.setTimeout(240_000);
    const codex = (install as ThirdPartyInstall).byId.codex;
    fakeHome = mkdtempSync(path.join(os.tmpdir(), "acp-e2e-auth-shapes-"));
    server = await startServer({ agentsJson: { agents: [codex] }, env: { HOME: fakeHome, NEXT_TELEMETRY_DISABLED: "1" } });
    const received: string[] = [];
    const sent: string[] = [];
    page.on("websocket", (ws) => {
      recordSocketTraffic(ws, received);
      ws.on("framesent", (f) => sent.push(typeof f.payload === "string" ? f.payload : f.payload.toString()));
    });
    const pg = new PlaygroundPage(page, server.url);
    await pg.launch("Logged out", "codex");
    const refused = await pg.sessionNew();
    await expect(refused).toHaveAttribute("data-error-code", "-32000");

    await page.getByTestId("tab-auth").click();
    const rows = page.getByTestId("auth-method-row");
    await expect(rows).toHaveCount(3);
    const row = page.locator('[data-testid="auth-method-row"][data-method-id="codex-api-key"]');
    await expect(row).toHaveAttribute("data-class", "env_var");
    await expect(row.getByTestId("auth-method-class")).toHaveText("env_var (CODEX_API_KEY)");
    // Guided prefers the env_var method (typed) over ChatGPT's browser login, and waits for the value.
    await expect(page.getByTestId("btn-guided")).toContainText('Fill in CODEX_API_KEY for "codex-api-key"');

    await page.getByTestId("auth-methods").screenshot({ path: path.join(test.info().outputDir, "env-var-form.png") });
    const form = page.locator('[data-testid="env-var-form"][data-method-id="codex-api-key"]');
    const input = form.getByTestId("env-var-input");
    await expect(input).toHaveAttribute("type", "password");
    await expect(form.getByTestId("env-var-source")).toHaveAttribute("data-source", "missing");
    await expect(form.getByTestId("btn-env-var")).toBeDisabled();
    await input.fill(TYPED);
    await expect(form.getByTestId("env-var-source")).toHaveAttribute("data-source", "typed");
    const before = await pg.newestRunId();
    await form.getByTestId("btn-env-var").click();
    // The page forgets the value as soon as it is sent.
    await expect(input).toHaveValue("");

    await expect(page.getByTestId("flow-status")).toHaveAttribute("data-mode", "env_var");
    await expect(page.getByTestId("flow-status")).toHaveAttribute("data-state", "done", { timeout: 120_000 });
    await pg.waitForNewRun(before);
    await expect(pg.rows({ kind: "response", method: "authenticate" })).toHaveCount(1);
    await expect(pg.rows({ kind: "response", method: "session/new" })).toHaveCount(1);
    await expect(page.locator('[data-testid="auth-step"][data-step="remediation"]')).toHaveAttribute("data-state", "ok");
    await expect(page.locator('[data-testid="auth-step"][data-step="remediation"]')).toContainText("reads CODEX_API_KEY from its own environment");
    await page.screenshot({ path: path.join(test.info().outputDir, "env-var-auth.png"), fullPage: false });

    // Nowhere in the DOM (markup and every input's live value) …
    expect(await page.content()).not.toContain(TYPED);
    const values = await page.locator("input, textarea").evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value));
    expect(values.join("\n")).not.toContain(TYPED);
    // … nor in anything the server sent; the page sent it once, in its own command.
    expect(received.length).toBeGreaterThan(0);
    expect(received.filter((m) => m.includes(TYPED))).toEqual([]);
    expect(sent.filter((m) => m.includes(TYPED)).map((m) => JSON.parse(m).type)).toEqual(["auth_env_start"]);
  });

  test("Claude creates the session logged out; the prompt's -32000 is diagnosed, and its set_model is served, not a schema ✗", async ({ page }) => {
    test.skip(skip !== "", skip);
    test.setTimeout(240_000);
    const claude = (install as ThirdPartyInstall).byId.claude;
    fakeHome = mkdtempSync(path.join(os.tmpdir(), "acp-e2e-auth-shapes-"));
    server = await startServer({ agentsJson: { agents: [claude] }, env: { HOME: fakeHome, NEXT_TELEMETRY_DISABLED: "1" } });
    const pg = new PlaygroundPage(page, server.url);
    await pg.launch("Logged out", "claude");
    const created = await pg.sessionNew();
    await expect(created).toHaveAttribute("data-kind", "response");

    // The model picker is generic: Claude serves session/set_model; the request is info, not ✗.
    await page.getByTestId("tab-session").click();
    const select = page.getByTestId("model-select");
    await expect(page.locator("label.field", { has: select })).toContainText("served by the agent, not in the stable schema");
    await expect(page.locator("label.field", { has: select })).not.toContainText("Kimi's legacy");
    await select.selectOption("haiku");
    await expect(pg.rows({ kind: "response", method: "session/set_model" })).toHaveCount(1);
    const setModel = pg.rows({ kind: "request", method: "session/set_model" });
    await expect(setModel.getByTestId("schema-note-badge")).toBeVisible();
    await expect(setModel.getByTestId("violation-badge")).toHaveCount(0);

    await page.getByTestId("btn-prompt").click();
    const refused = page.locator('[data-testid="frame-row"][data-dir="in"][data-method="session/prompt"]').last();
    await expect(refused).toHaveAttribute("data-error-code", "-32000", { timeout: 60_000 });
    await expect(refused.getByTestId("error-chip")).toHaveAttribute("data-auth-required", "true");
    await pg.openDetail(refused);
    await page.getByTestId("btn-why").click();
    const d = page.getByTestId("diagnosis");
    await expect(d).toBeVisible();
    await expect(d).toContainText("session/prompt");
    await expect(page.getByTestId("diagnosis-meaning")).toContainText("Refused at prompt time");
    await expect(page.locator('[data-testid="contradiction"][data-id="session-created-prompt-gated"]')).toBeVisible();
    await expect(page.locator('[data-testid="auth-step"][data-step="session"]')).toHaveAttribute("data-state", "failed");
    await expect(page.locator('[data-testid="auth-step"][data-step="session"]')).toContainText("no proof of authentication");
    await page.screenshot({ path: path.join(test.info().outputDir, "claude-prompt-gate.png"), fullPage: false });
  });
});
