/** Page object for the playground: every selector is a data-testid, every wait a data-state. */
import { expect, type Locator, type Page } from "@playwright/test";

export class PlaygroundPage {
  constructor(readonly page: Page, readonly url: string) {}

  /** Open the printed URL: it redirects to the per-start `acp-….localhost` name, which holds the cookie. */
  async open(): Promise<void> {
    await this.page.goto(this.url);
    await expect(this.page.getByTestId("connection")).toHaveAttribute("data-state", "open");
    await expect(this.page.getByTestId("agent-picker").locator("option").first()).toBeAttached();
  }

  /**
   * GET a path of the playground from inside the page, the way the UI's own links do: same origin,
   * so the browser sends the token cookie. (Playwright's `page.request` runs in Node, which neither
   * resolves the page's `acp-….localhost` name nor would be sent that cookie at 127.0.0.1.)
   */
  async fetchText(pathAndQuery: string): Promise<{ status: number; text: string }> {
    return this.page.evaluate(async (p) => {
      const response = await fetch(p, { credentials: "same-origin" });
      return { status: response.status, text: await response.text() };
    }, pathAndQuery);
  }

  /** The newest run's id (the run list shows newest first), or "" before any run. */
  async newestRunId(): Promise<string> {
    const first = this.page.getByTestId("run-item").first();
    return (await first.count()) ? ((await first.getAttribute("data-run-id")) ?? "") : "";
  }

  /** Wait until a run newer than `before` is listed and its agent is running. */
  async waitForNewRun(before: string): Promise<void> {
    await expect.poll(() => this.newestRunId()).not.toBe(before);
    await expect(this.runState).toHaveAttribute("data-state", "running");
  }

  /** Pick a profile; with an agent running, switching restarts it, so wait for that run too. */
  async pickProfile(name: string): Promise<void> {
    const picker = this.page.getByTestId("profile-picker");
    const value = await picker.locator("option", { hasText: name }).first().getAttribute("value");
    if (!value) throw new Error(`no profile named ${name}`);
    if ((await picker.inputValue()) === value) return;
    const restarts = (await this.runState.getAttribute("data-state")) === "running";
    const before = await this.newestRunId();
    await picker.selectOption(value);
    await expect(picker).toHaveValue(value);
    if (restarts) await this.waitForNewRun(before);
  }

  async pickAgent(id: string): Promise<void> {
    await this.page.getByTestId("agent-picker").selectOption(id);
  }

  /** Open the page, pick a profile and an agent, start it and (by default) send initialize. */
  async launch(profile: string, agent: string, opts: { initialize?: boolean } = {}): Promise<void> {
    await this.open();
    await this.pickProfile(profile);
    await this.pickAgent(agent);
    await this.start();
    if (opts.initialize !== false) await this.initialize();
  }

  /** Start a run and wait until the agent process is running. */
  async start(): Promise<void> {
    const before = await this.newestRunId();
    await this.page.getByTestId("btn-start").click();
    await this.waitForNewRun(before);
  }

  get runState(): Locator {
    return this.page.getByTestId("run-state");
  }

  rows(filter: { kind?: string; dir?: string; method?: string } = {}): Locator {
    let sel = '[data-testid="frame-row"]';
    if (filter.kind) sel += `[data-kind="${filter.kind}"]`;
    if (filter.dir) sel += `[data-dir="${filter.dir}"]`;
    if (filter.method) sel += `[data-method="${filter.method}"]`;
    return this.page.locator(sel);
  }

  async initialize(): Promise<Locator> {
    await this.page.getByTestId("btn-initialize").click();
    const row = this.rows({ kind: "response", method: "initialize" }).last();
    await expect(row).toBeVisible();
    return row;
  }

  async sessionNew(): Promise<Locator> {
    await this.page.getByTestId("btn-session-new").click();
    const row = this.page.locator('[data-testid="frame-row"][data-dir="in"][data-method="session/new"]').last();
    await expect(row).toBeVisible();
    return row;
  }

  async openDetail(row: Locator): Promise<Locator> {
    await row.click();
    const detail = this.page.getByTestId("frame-detail");
    await expect(detail).toBeVisible();
    return detail;
  }

  async sendRaw(text: string): Promise<void> {
    const composer = this.page.getByTestId("composer");
    if (!(await composer.evaluate((el) => (el as HTMLDetailsElement).open))) await composer.locator("summary").click();
    await this.page.getByTestId("composer-text").fill(text);
    await this.page.getByTestId("btn-composer-send").click();
  }

  /**
   * Wait until the log stops growing for `quietMs`. The home and agent-log lanes record what an
   * agent writes a poll later than its answer, so a count taken right after an answer can still grow.
   */
  async waitForQuietLog(quietMs = 1500, timeoutMs = 20_000): Promise<string> {
    const count = this.page.getByTestId("filter-count");
    const deadline = Date.now() + timeoutMs;
    let last = (await count.textContent()) ?? "";
    let since = Date.now();
    while (Date.now() < deadline) {
      await this.page.waitForTimeout(250);
      const now = (await count.textContent()) ?? "";
      if (now !== last) {
        last = now;
        since = Date.now();
      } else if (Date.now() - since >= quietMs) return now;
    }
    throw new Error(`the log kept growing for ${timeoutMs} ms (last count ${last})`);
  }

  async filterText(text: string): Promise<void> {
    await this.page.getByTestId("filter-text").fill(text);
  }

  /**
   * Close every notice. Info notices also close themselves, and closing one re-indexes the rest, so
   * a list taken up front can point at a button that is gone: close the first until none is left,
   * each click short, retried as a whole.
   */
  async dismissNotices(): Promise<void> {
    const dismiss = this.page.locator('[data-testid="notice"] button[aria-label="Dismiss"]');
    await expect(async () => {
      if ((await dismiss.count()) > 0) await dismiss.first().click({ timeout: 1000 });
      await expect(dismiss).toHaveCount(0, { timeout: 500 });
    }).toPass({ timeout: 20_000 });
  }

  /** Reload the tab (same server start) and wait until it is connected again. */
  async reload(): Promise<void> {
    await this.page.reload();
    await expect(this.page.getByTestId("connection")).toHaveAttribute("data-state", "open");
  }
}
