/**
 * ACP Playground's one process: serves the Next.js UI and the WebSocket relay on one loopback
 * origin. Every HTTP request and upgrade passes the guard (Host, Origin, per-start token) before
 * Next or the relay sees it; the relay is a process launcher, so it is treated as an attack surface.
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import next from "next";
import { WebSocketServer } from "ws";
import { WS_PATH } from "./lib/wire";
import { isLoopbackHost, parseConfig } from "./server/config";
import { PlaygroundError } from "./server/errors";
import { checkRequest, cookieName, type GuardPolicy, newToken, readCookie, TOKEN_HEADER } from "./server/guard";
import { Hub } from "./server/hub";
import { Logger } from "./server/logger";
import { startModelServer } from "./server/model-server";
import { handleApi } from "./server/api";
import { contentSecurityPolicy, newNonce } from "./server/csp";
import { attachRelay } from "./server/relay";
import { bundledNode } from "./server/runtime";

const root = path.dirname(fileURLToPath(import.meta.url));

async function main(): Promise<void> {
  const config = parseConfig(process.argv.slice(2), process.env);
  const logger = new Logger(config.quiet);
  const version = (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { version: string }).version;

  try {
    const node = bundledNode();
    logger.info(`Agent runtime: Node ${node.version} (${node.path})`);
  } catch (error) {
    const e = error as PlaygroundError;
    logger.warn(`${e.message} ${e.hint ?? ""} The bundled Kimi Code agents will not start until this is fixed.`);
  }

  const modelServer = await startModelServer();
  const hub = new Hub({
    dataDir: config.dataDir,
    defaultCwd: config.defaultCwd,
    version,
    modelServerUrl: modelServer.url,
    ringFrames: config.ringFrames,
    ringBytes: config.ringBytes,
    maxLineBytes: config.maxLineBytes,
    keepRuns: config.keepRuns,
    logger,
  });
  await hub.init();
  await import("node:fs/promises").then((fs) => fs.mkdir(config.defaultCwd, { recursive: true }));

  const app = next({ dev: config.dev, dir: root, hostname: config.host, port: config.port || 3000 });
  await app.prepare();
  const handle = app.getRequestHandler();
  const nextUpgrade = app.getUpgradeHandler();

  // Only a deliberate non-loopback bind may accept other Host names; any loopback bind keeps the check.
  const policy: GuardPolicy = { token: newToken(), port: config.port, allowAnyHost: !isLoopbackHost(config.host) };

  const tokenOf = (req: IncomingMessage, url: URL): string | undefined =>
    url.searchParams.get("token") ?? (req.headers[TOKEN_HEADER] as string | undefined) ?? readCookie(req.headers.cookie, cookieName(policy.port));

  const refuse = (res: ServerResponse, status: number, message: string): void => {
    res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
    res.end(
      status === 401
        ? `401 Unauthorized: ${message}.\nACP Playground needs the token printed in the terminal where you ran \`npm start\` ("ACP Playground ready: http://…/?token=…"). Open that URL.\n`
        : `403 Forbidden: ${message}.\n`,
    );
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://placeholder");
    try {
      checkRequest({ host: req.headers.host, origin: req.headers.origin, token: tokenOf(req, url), websocket: false }, policy);
    } catch (error) {
      const e = error as PlaygroundError & { status?: number };
      refuse(res, e.status ?? 403, e.message);
      return;
    }
    res.setHeader("x-content-type-options", "nosniff");
    res.setHeader("x-frame-options", "DENY");
    res.setHeader("referrer-policy", "no-referrer");
    if (url.searchParams.has("token")) {
      // Trade the URL token for an HttpOnly cookie and drop it from the address bar and history.
      url.searchParams.delete("token");
      res.writeHead(303, {
        "set-cookie": `${cookieName(policy.port)}=${policy.token}; HttpOnly; SameSite=Strict; Path=/`,
        location: `${url.pathname}${url.search}`,
        "cache-control": "no-store",
      });
      res.end();
      return;
    }
    if (handleApi(hub, url.pathname, res)) return;
    if (url.pathname === "/api/health") {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(JSON.stringify({ ok: true, version }));
      return;
    }
    // The page and Next's own routes get a strict CSP; Next stamps the nonce on its scripts.
    const csp = contentSecurityPolicy(newNonce(), config.dev);
    req.headers["content-security-policy"] = csp;
    res.setHeader("content-security-policy", csp);
    void handle(req, res);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 128 << 20, perMessageDeflate: false });
  server.on("upgrade", (req, socket, head) => {
    const url = new URL(req.url ?? "/", "http://placeholder");
    try {
      checkRequest({ host: req.headers.host, origin: req.headers.origin, token: tokenOf(req, url), websocket: true }, policy);
    } catch (error) {
      const e = error as PlaygroundError & { status?: number };
      const status = e.status ?? 403;
      socket.end(`HTTP/1.1 ${status} ${status === 401 ? "Unauthorized" : "Forbidden"}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      return;
    }
    if (url.pathname === WS_PATH) {
      wss.handleUpgrade(req, socket, head, (ws) => attachRelay(ws, hub, logger));
      return;
    }
    void nextUpgrade(req, socket, head);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  policy.port = port;
  const shownHost = config.host.includes(":") ? `[${config.host}]` : config.host;
  // Tests and scripts parse this exact line.
  process.stdout.write(`ACP Playground ready: http://${shownHost}:${port}/?token=${policy.token}\n`);
  logger.info(`Data directory: ${config.dataDir}`);
  logger.info(`Offline model server: ${modelServer.url}`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: stopping agents and closing the server`);
    hub.shutdown();
    for (const ws of wss.clients) ws.terminate();
    server.close();
    void modelServer.close();
    setTimeout(() => process.exit(0), 2500).unref();
    void hub.waitForAgents(2000).then(() => process.exit(0));
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch((error: unknown) => {
  if (error instanceof PlaygroundError) {
    process.stderr.write(`error: ${error.message}\n${error.hint ? `${error.hint}\n` : ""}`);
    process.exit(2);
  }
  process.stderr.write(`error: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
