/**
 * Issue #11 §2 (V-3) in a real browser: the token stays with its origin. Cookies are not
 * port-scoped, so a token cookie on 127.0.0.1 went to every other server on 127.0.0.1 the browser
 * visited. Here a second plain HTTP server on another loopback port records every request it gets
 * (request line and every header) while the same browser context opens the playground, then
 * visits and fetches from that server under 127.0.0.1 and localhost: the token must appear in
 * none of it. A last visit to the playground's own `acp-….localhost` name on the recorder's port
 * is the control: it shows the recorder would see the cookie if the browser sent it, which is
 * also why that name must be unguessable.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test } from "./fixtures";

interface Recorder {
  port: number;
  /** Every request: `METHOD target` then every raw header line. */
  requests: string[];
  close(): Promise<void>;
}

async function startRecorder(): Promise<Recorder> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const headers: string[] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (d: string) => (body += d));
    req.on("end", () => {
      requests.push([`${req.method} ${req.url}`, ...headers, body].join("\n"));
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "access-control-allow-origin": "*", "cache-control": "no-store" });
      res.end("<!doctype html><title>another local server</title><p>another local server</p>");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

test("V-3: another server on a loopback port never receives the token; the page lives on its own acp-….localhost name", async ({ pg, page, context, server }) => {
  const recorder = await startRecorder();
  try {
    await pg.open();
    const labelUrl = new URL(page.url());
    const connection = page.getByTestId("connection");

    // The same browser visits the other server by every loopback name and fetches from it.
    const other = [`http://127.0.0.1:${recorder.port}`, `http://localhost:${recorder.port}`];
    for (const origin of other) {
      await page.goto(`${origin}/`);
      await expect(page.locator("p")).toHaveText("another local server");
      await page.goto(`${origin}/page?second=1`);
      // From its own page: same-origin fetches with credentials, a POST, and a cross-port fetch.
      await page.evaluate(
        async ([self, others]) => {
          await fetch(`${self}/fetch`, { credentials: "include" });
          await fetch(`${self}/post`, { method: "POST", credentials: "include", body: "x=1" });
          for (const o of others) await fetch(`${o}/cross`, { credentials: "include", mode: "no-cors" });
        },
        [origin, other] as const,
      );
    }
    // (The playground's own page cannot reach the other server at all: its CSP says connect-src 'self'.)

    const seen = recorder.requests.join("\n\n");
    expect(recorder.requests.length, "the recorder saw the visits").toBeGreaterThanOrEqual(10);
    expect(seen, "the other server received the token").not.toContain(server.token);
    expect(seen, "the other server received a playground cookie").not.toMatch(/acp_playground_/);

    // Where the token lives: a host-only HttpOnly cookie on the per-start name, and nowhere else.
    expect(labelUrl.hostname).toMatch(/^acp-[0-9a-f]{32}\.localhost$/);
    expect(labelUrl.origin, "the name the server logged").toBe(server.browserOrigin);
    expect(labelUrl.port).toBe(String(server.port));
    expect(page.url()).not.toContain(server.token);
    const tokenCookies = (await context.cookies()).filter((c) => c.value === server.token);
    expect(tokenCookies.map((c) => ({ domain: c.domain, httpOnly: c.httpOnly, sameSite: c.sameSite, path: c.path }))).toEqual([
      { domain: labelUrl.hostname, httpOnly: true, sameSite: "Strict", path: "/" },
    ]);
    // 127.0.0.1 itself does not know this browser: no cookie there.
    const bare = await page.goto(`http://127.0.0.1:${server.port}/`);
    expect(bare?.status()).toBe(401);

    // The page works after a reload on its own name, and its exports (relative links) are served.
    await page.goto(labelUrl.origin);
    await expect(connection).toHaveAttribute("data-state", "open");
    await page.reload();
    await expect(connection).toHaveAttribute("data-state", "open");
    expect(new URL(page.url()).host).toBe(labelUrl.host);
    const health = await pg.fetchText("/api/health");
    expect(health.status).toBe(200);

    // Control: a server that knew the name would get the cookie (cookies ignore ports), which is
    // why the name carries 128 random bits. This proves the recorder sees a cookie when one is sent.
    const before = recorder.requests.length;
    await page.goto(`http://${labelUrl.hostname}:${recorder.port}/control`);
    await page.evaluate(async () => {
      await fetch("/control-fetch", { credentials: "include" });
    });
    const control = recorder.requests.slice(before).join("\n\n");
    expect(control).toContain(`acp_playground_${server.port}=${server.token}`);
  } finally {
    await recorder.close();
  }
});
