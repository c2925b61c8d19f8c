/**
 * ACP Playground's one process: serves the Next.js UI and the WebSocket relay on one loopback
 * origin. Every HTTP request and upgrade passes the guard (Host, Origin, per-start token) before
 * Next or the relay sees it; the relay is a process launcher, so it is treated as an attack surface.
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import path from "node:path";
import { fileURLToPath } from "node:url";
import next from "next";
import { WebSocketServer } from "ws";
import { WS_PATH } from "./lib/wire";
import { isLoopbackHost, parseConfig } from "./server/config";
import { PlaygroundError } from "./server/errors";
import { browserHostReaches, type GuardPolicy, guardRequest, newBrowserHost, newToken, type RequestFacts, TOKEN_HEADER } from "./server/guard";
import { Hub } from "./server/hub";
import { Logger } from "./server/logger";
import { startModelServer } from "./server/model-server";
import { OAuthEmulator } from "./server/oauth-emulator";
import { handleOAuthPage } from "./server/oauth-page";
import { handleApi } from "./server/api";
import { answerSocket, applySocketTimeouts, guardUpgradeSocket, SERVER_TIMEOUT_OPTIONS } from "./server/http-limits";
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
  // The Kimi OAuth emulator (issue #13), next to the offline model: device login, refresh, and the
  // managed model API behind its bearer check, on 127.0.0.1 only.
  const oauth = new OAuthEmulator({ port: config.oauthPort, fallbackToFree: !config.oauthPortFixed, behaviour: config.oauthBehaviour });
  await oauth.start();
  const hub = new Hub({
    dataDir: config.dataDir,
    defaultCwd: config.defaultCwd,
    version,
    modelServerUrl: modelServer.url,
    ringFrames: config.ringFrames,
    ringBytes: config.ringBytes,
    maxLineBytes: config.maxLineBytes,
    keepRuns: config.keepRuns,
    maxAgents: config.maxAgents,
    agentCommands: config.agentCommands,
    oauth,
    kimiOAuthHost: config.kimiOAuthHost,
    logger,
  });
  await hub.init();
  // The HTTP lane (issue #13): every request a run makes to the offline model becomes a frame of that run.
  modelServer.onHop = hub.recordHop;
  oauth.onHop(hub.recordHop);
  await import("node:fs/promises").then((fs) => fs.mkdir(config.defaultCwd, { recursive: true }));

  // No Next telemetry from a local tool (dev mode would post to telemetry.nextjs.org).
  process.env.NEXT_TELEMETRY_DISABLED = "1";
  const app = next({ dev: config.dev, dir: root, hostname: config.host, port: config.port || 3000 });
  await app.prepare();
  const handle = app.getRequestHandler();
  // Next's request handler adds an "upgrade" listener of its own to this server on its first
  // request (NextCustomServer.setupWebSocketHandler), which would see every upgrade without the
  // guard. It is taken off again right after each handle() call and kept here: only dev mode's
  // hot-reload socket is handed to it, after the guard. (app.getUpgradeHandler() is a no-op.)
  type UpgradeListener = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  const nextUpgradeListeners: UpgradeListener[] = [];
  const adoptNextUpgradeListeners = (): void => {
    for (const listener of server.listeners("upgrade") as UpgradeListener[]) {
      if (listener === onUpgrade) continue;
      server.off("upgrade", listener);
      nextUpgradeListeners.push(listener);
    }
  };

  // Only a deliberate non-loopback bind may accept other Host names; any loopback bind keeps the check.
  // The token cookie lives only on a per-start `<label>.localhost` name (server/guard.ts says why);
  // a bind that name cannot reach (127.0.0.2, a dangerous non-loopback bind) keeps it on the bound host.
  const policy: GuardPolicy = {
    token: newToken(),
    port: config.port,
    allowAnyHost: !isLoopbackHost(config.host),
    browserHost: browserHostReaches(config.host) ? newBrowserHost() : undefined,
  };

  const factsOf = (req: IncomingMessage, websocket: boolean): RequestFacts => ({
    target: req.url,
    host: req.headers.host,
    origin: req.headers.origin,
    headerToken: req.headers[TOKEN_HEADER],
    cookie: req.headers.cookie,
    websocket,
  });

  const refuse = (res: ServerResponse, status: number, message: string): void => {
    // 400: the request could not be read, so the connection is not reused either.
    res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", ...(status === 400 ? { connection: "close" } : {}) });
    res.end(
      status === 401
        ? `401 Unauthorized: ${message}.\nACP Playground needs the token printed in the terminal where you ran \`npm start\` ("ACP Playground ready: http://…/?token=…"). Open that URL.\n`
        : `${status} ${status === 400 ? "Bad Request" : "Forbidden"}: ${message}.\n`,
    );
  };

  const server = createServer(SERVER_TIMEOUT_OPTIONS, (req, res) => {
    const decision = guardRequest(factsOf(req, false), policy);
    if (decision.action === "refuse") {
      refuse(res, decision.status, decision.message);
      return;
    }
    res.setHeader("x-content-type-options", "nosniff");
    res.setHeader("x-frame-options", "DENY");
    res.setHeader("referrer-policy", "no-referrer");
    if (decision.action === "redirect") {
      res.writeHead(303, { location: decision.location, "cache-control": "no-store", ...(decision.setCookie ? { "set-cookie": decision.setCookie } : {}) });
      res.end();
      return;
    }
    const url = decision.url;
    if (handleApi(hub, url.pathname, res)) return;
    // The device-code verification page: behind the guard like the UI, outside Next.
    if (handleOAuthPage(oauth, url.pathname, url.searchParams, req, res)) return;
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
    adoptNextUpgradeListeners();
  });

  applySocketTimeouts(server);

  // A command carries at most one client line: the line limit, JSON-escaped (a printable character
  // escapes to at most two, `"` → `\"`), plus 1 MiB for the command around it. A bigger message
  // closes the socket (1009) before it is buffered whole; send_raw refuses lines over the limit itself.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 2 * config.maxLineBytes + (1 << 20), perMessageDeflate: false });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // Node hands the socket over without error or timeout listeners; an upgrade that stalls is dropped.
    guardUpgradeSocket(socket);
    const decision = guardRequest(factsOf(req, true), policy);
    if (decision.action !== "pass") {
      // guardRequest never redirects an upgrade (its query token is simply used), so this is a refusal.
      answerSocket(socket, decision.action === "refuse" ? decision.status : 400, decision.action === "refuse" ? decision.message : "not a WebSocket request");
      return;
    }
    if (decision.url.pathname === WS_PATH) {
      // ws answers a malformed handshake itself (405 not GET, 400 bad key or version).
      wss.handleUpgrade(req, socket, head, (ws) => attachRelay(ws, hub, logger));
      return;
    }
    // Only the dev server has upgrades of its own (hot reload); in production Next would never answer.
    if (config.dev && nextUpgradeListeners.length > 0) {
      for (const listener of nextUpgradeListeners) listener(req, socket, head);
      return;
    }
    answerSocket(socket, 404, `no WebSocket at ${decision.url.pathname}; the relay is at ${WS_PATH}`);
  };
  server.on("upgrade", onUpgrade);

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  policy.port = port;
  // verification_uri_complete names the browser's own address (where the token cookie lives).
  oauth.verificationBase = `http://${policy.browserHost ?? (config.host.includes(":") ? `[${config.host}]` : config.host)}:${port}`;
  const shownHost = config.host.includes(":") ? `[${config.host}]` : config.host;
  // Printed before the ready line, so whoever waits for that line has this one too.
  if (policy.browserHost) {
    logger.info(`Browser address: http://${policy.browserHost}:${port}/ (the URL below redirects there; the token cookie is set for this name only)`);
  } else {
    logger.warn(`The token cookie is set on ${shownHost} itself: every other server on that address that this browser visits receives it. Prefer the default --host 127.0.0.1.`);
  }
  // Tests and scripts parse this exact line.
  process.stdout.write(`ACP Playground ready: http://${shownHost}:${port}/?token=${policy.token}\n`);
  logger.info(`Data directory: ${config.dataDir}`);
  logger.info(`Offline model server: ${modelServer.url}`);
  logger.info(`Kimi OAuth emulator: ${oauth.oauthHost()} (verification page ${oauth.verificationBase}/oauth/device)`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: stopping agents and closing the server`);
    const agentsGone = hub.shutdown(2000);
    for (const ws of wss.clients) ws.terminate();
    server.close();
    void modelServer.close();
    void oauth.close();
    // The last word if a sweep hangs: the user asked the server to stop.
    setTimeout(() => process.exit(0), 4000).unref();
    void agentsGone.then(() => process.exit(0));
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
