/**
 * Issue #14 §3, the inspector comforts, against the real server and a stub agent: copy buttons put
 * the exact stdio line on the clipboard, the JSON tree folds, the pair opens side by side, a lost
 * frame says what was lost, settings survive a reload, a #run=…&frame=… link opens that frame
 * (through the token redirect, in a fresh browser context), Ctrl+Enter sends, Clear hides and
 * "show" restores, and the empty log says what to do.
 */
import path from "node:path";
import { type Page } from "@playwright/test";
import { expect, type PlaygroundServer, startServer, test } from "./fixtures";
import { PlaygroundPage } from "./pages/playground";

const STUB = { id: "stub", label: "Stub agent (fixture)", command: path.resolve("test/fixtures/stub-agent.mjs"), args: [], runtime: "node22" };

let server: PlaygroundServer;
test.beforeAll(async () => {
  server = await startServer({ agentsJson: { agents: [STUB] } });
});
test.afterAll(async () => server?.stop());
test.use({ permissions: ["clipboard-read", "clipboard-write"] });

/** Open the page, start the stub (its run becomes current) and initialize it. */
async function started(page: Page): Promise<PlaygroundPage> {
  const pg = new PlaygroundPage(page, server.url);
  await pg.open();
  await pg.pickAgent("stub");
  await pg.start();
  await pg.initialize();
  return pg;
}

const clipboard = (page: Page): Promise<string> => page.evaluate(() => navigator.clipboard.readText());

test("frame detail: tree folds, copy raw/pair are the exact lines, the pair opens side by side, a lost frame says what was lost, Ctrl+Enter sends", async ({ page }) => {
  const pg = new PlaygroundPage(page, server.url);
  await pg.open();
  // Before any run: the empty log says what to do.
  await expect(page.getByTestId("log-empty")).toHaveAttribute("data-reason", "no-run");
  await pg.pickAgent("stub");
  await expect(page.getByTestId("log-empty")).toContainText("Press Start to launch Stub agent (fixture)");
  // The picked agent as an agents.json entry: command and args from the catalog, no env.
  await page.getByTestId("btn-copy-agents-json").click();
  await expect(page.getByTestId("btn-copy-agents-json")).toHaveAttribute("data-state", "copied");
  const entry = JSON.parse(await clipboard(page)) as { agents: { id: string; command: string; args: string[]; env?: unknown }[] };
  expect(entry.agents[0]).toMatchObject({ id: "stub" });
  expect(entry.agents[0].args.join(" ")).toContain("stub-agent.mjs");
  expect(entry.agents[0].env).toBeUndefined();
  await pg.start();
  const answer = await pg.initialize();
  const detail = await pg.openDetail(answer);

  // Tree by default, three levels open: result.agentInfo.name is visible; collapse hides it, expand all brings it back.
  const tree = detail.getByTestId("detail-tree");
  await expect(tree.getByRole("tree")).toBeVisible();
  await expect(tree).toContainText('"stub-agent"');
  await tree.getByTestId("detail-tree-collapse-all").click();
  await expect(tree).not.toContainText('"stub-agent"');
  await tree.getByTestId("detail-tree-expand-all").click();
  await expect(tree).toContainText('"stub-agent"');
  // One node by hand: its expander toggles aria-expanded.
  const agentInfo = tree.getByRole("treeitem").filter({ hasText: '"agentInfo"' }).last();
  const expander = agentInfo.getByRole("button").first();
  await expect(expander).toHaveAttribute("aria-expanded", "true");
  await expander.click();
  await expect(expander).toHaveAttribute("aria-expanded", "false");
  await expect(tree).not.toContainText('"stub-agent"');

  // One view at a time: no raw block under the tree.
  await expect(detail.getByTestId("detail-raw")).toHaveCount(0);
  await detail.getByTestId("detail-view-raw").click();
  const rawLine = (await detail.getByTestId("detail-raw").textContent()) ?? "";
  expect(rawLine).toContain('"agentInfo":{"name":"stub-agent"');
  await expect(detail.getByTestId("detail-tree")).toHaveCount(0);

  // Copy raw: exactly that line (the stub wrote it in two pieces; the relay reassembled it).
  await detail.getByTestId("detail-copy-raw").click();
  await expect(detail.getByTestId("detail-copy-raw")).toHaveAttribute("data-state", "copied");
  expect(await clipboard(page)).toBe(rawLine);
  // Copy pair: request line, then answer line.
  await detail.getByTestId("detail-copy-pair").click();
  await expect(detail.getByTestId("detail-copy-pair")).toHaveAttribute("data-state", "copied");
  const [reqLine, ansLine] = (await clipboard(page)).split("\n");
  expect(JSON.parse(reqLine)).toMatchObject({ method: "initialize" });
  expect(ansLine).toBe(rawLine);

  // The pair side by side, request on the left.
  await detail.getByTestId("btn-detail-wide").click();
  const wide = page.getByTestId("detail-wide");
  await expect(wide.getByTestId("wide-pair")).toBeVisible();
  await expect(wide.getByTestId("wide-frame")).toBeVisible();
  const left = await wide.getByTestId("wide-pair").boundingBox();
  const right = await wide.getByTestId("wide-frame").boundingBox();
  expect(left && right && left.x + left.width <= right.x && Math.abs(left.y - right.y) < 4).toBe(true);
  await expect(wide.getByTestId("wide-pair")).toContainText('"method":"initialize"');
  await page.getByTestId("btn-detail-wide-close").click();
  await expect(wide).toHaveCount(0);

  // Ctrl+Enter sends from the labelled textarea: a request that kills the stub, so its answer is lost.
  await page.getByTestId("composer-toggle").click();
  const text = page.getByLabel(/Message to write to the agent/);
  await text.fill('{"jsonrpc":"2.0","id":77,"method":"_test/crash"}');
  await text.press("Control+Enter");
  await expect(pg.rows({ dir: "out", method: "_test/crash" })).toHaveCount(1);
  const lost = pg.rows({ kind: "lost" });
  await expect(lost).toHaveCount(1);
  const lostDetail = await pg.openDetail(lost);
  await expect(lostDetail.getByTestId("detail-lost")).toContainText("_test/crash");
  await expect(lostDetail.getByTestId("detail-lost")).toContainText("Nothing crossed stdio");
  // The lost frame's own column has no raw box (its pair, the request, keeps its line).
  await expect(lostDetail.getByTestId("detail-frame").locator('[data-testid$="-raw"], [data-testid$="-raw-empty"]')).toHaveCount(0);
  await expect(lostDetail.getByTestId("detail-pair")).toHaveAttribute("data-seq", (await lost.getAttribute("data-pair-seq")) ?? "");
});

test("settings survive a reload: side tab, filters, capability ticks, composer, detail view", async ({ page }) => {
  const pg = new PlaygroundPage(page, server.url);
  await pg.open();
  await page.getByTestId("tab-session").click();
  await page.getByTestId("filter-dir").selectOption("in");
  await page.getByTestId("filter-errors").check();
  await pg.filterText("agentInfo");
  await page.getByTestId("cap-fs-read").check();
  await page.getByTestId("composer-toggle").click();
  await expect(page.getByTestId("composer")).toHaveAttribute("data-state", "open");
  await page.reload();
  await expect(page.getByTestId("connection")).toHaveAttribute("data-state", "open");
  await expect(page.getByTestId("tab-session")).toHaveAttribute("aria-selected", "true");
  await expect(page.getByTestId("filter-dir")).toHaveValue("in");
  await expect(page.getByTestId("filter-errors")).toBeChecked();
  await expect(page.getByTestId("filter-text")).toHaveValue("agentInfo");
  await expect(page.getByTestId("cap-fs-read")).toBeChecked();
  await expect(page.getByTestId("cap-fs-write")).not.toBeChecked();
  await expect(page.getByTestId("composer")).toHaveAttribute("data-state", "open");
  // Junk in storage costs the prefs, not the page.
  await page.evaluate(() => localStorage.setItem("acp-playground.ui-prefs", "{not json"));
  await page.reload();
  await expect(page.getByTestId("connection")).toHaveAttribute("data-state", "open");
  await expect(page.getByTestId("filter-dir")).toHaveValue("all");
  await expect(page.getByTestId("tab-detail")).toHaveAttribute("aria-selected", "true");
});

test("Clear hides the run's frames up to now, new frames show, and show restores; 0 matches offers Clear filters", async ({ page }) => {
  const pg = await started(page);
  const total = await pg.waitForQuietLog();
  const before = Number(total.split("/")[1]);
  await page.getByTestId("btn-log-clear").click();
  await expect(page.getByTestId("filter-count")).toHaveText("0 / 0");
  await expect(page.getByTestId("log-hidden")).toContainText(`${before} earlier frames hidden`);
  await expect(page.getByTestId("log-empty")).toHaveAttribute("data-reason", "cleared");
  await pg.sessionNew();
  await expect(pg.rows({ method: "initialize" })).toHaveCount(0);
  await expect(pg.rows({ dir: "in", method: "session/new" })).toHaveCount(1);
  await page.getByTestId("btn-log-show").click();
  await expect(page.getByTestId("log-hidden")).toHaveCount(0);
  await expect(pg.rows({ method: "initialize" })).toHaveCount(2);

  await pg.filterText("no frame says this");
  await expect(page.getByTestId("log-empty")).toHaveAttribute("data-reason", "filtered");
  await expect(page.getByTestId("log-empty")).toContainText("No frames match");
  await page.getByTestId("btn-clear-filters").click();
  await expect(page.getByTestId("filter-text")).toHaveValue("");
  await expect(pg.rows({ method: "initialize" })).toHaveCount(2);
});

test("a #run=…&frame=… link opens that run and frame, through the token redirect in a fresh context", async ({ page, browser }) => {
  const pg = await started(page);
  const firstRun = await pg.newestRunId();
  const answer = pg.rows({ kind: "response", method: "initialize" }).last();
  const seq = (await answer.getAttribute("data-seq")) ?? "";
  const detail = await pg.openDetail(answer);
  // The address bar follows the frame in view, and "copy link" copies it without the token.
  await expect.poll(() => new URL(page.url()).hash).toBe(`#run=${firstRun}&frame=${seq}`);
  await detail.getByTestId("detail-copy-link").click();
  const link = await clipboard(page);
  expect(link).toContain(`#run=${firstRun}&frame=${seq}`);
  expect(link).not.toContain(server.token);
  // A reload keeps both: the frame named in the address bar and the remembered side tab.
  await page.getByTestId("tab-session").click();
  await page.reload();
  await expect(page.getByTestId("connection")).toHaveAttribute("data-state", "open");
  await expect(page.getByTestId("tab-session")).toHaveAttribute("aria-selected", "true");
  await page.getByTestId("tab-detail").click();
  await expect(page.getByTestId("frame-detail")).toHaveAttribute("data-seq", seq);
  // A newer run becomes the current one.
  await pg.start();
  expect(await pg.newestRunId()).not.toBe(firstRun);

  // A new browser profile: no cookie yet, so the printed ?token= URL redirects twice; the fragment survives.
  const fresh = await browser.newContext();
  try {
    const other = await fresh.newPage();
    await other.goto(`${server.url}#run=${firstRun}&frame=${seq}`);
    await expect(other.getByTestId("connection")).toHaveAttribute("data-state", "open");
    expect(new URL(other.url()).searchParams.get("token")).toBeNull();
    await expect(other.getByTestId("viewing-old-run")).toContainText(firstRun);
    await expect(other.getByTestId("frame-detail")).toHaveAttribute("data-seq", seq);
    await expect(other.getByTestId("frame-detail")).toContainText("initialize");
    await expect(other.locator(`[data-testid="run-item"][data-run-id="${firstRun}"]`)).toBeVisible();
  } finally {
    await fresh.close();
  }
});
