/**
 * The browser an agent gets in the playground. Agents that log in by opening the user's browser
 * run `$BROWSER <url>` or `xdg-open <url>` (`open`, `sensible-browser`, `x-www-browser`,
 * `www-browser`); on the relay's machine that would open a browser nobody sees, or fail. Each run's
 * PATH starts with launchers of these names and its BROWSER names one (server/browser-shim.ts);
 * they all run this script, which hands the URL to the playground over the run's own unix socket
 * (ACP_PLAYGROUND_OPEN_SOCKET) and opens nothing: the user gets a card with the URL and opens it
 * in their own tab. No shell, no child process, no token: the socket reaches this run only.
 * Exit 0 when the playground took the URL, 1 otherwise (what a failed xdg-open returns).
 */
import net from "node:net";
import path from "node:path";

const TIMEOUT_MS = 5000;
/** A URL longer than this is not a login page; the relay refuses it as well. */
const MAX_URL = 8192;

function fail(message) {
  process.stderr.write(`${path.basename(process.argv[1] ?? "xdg-open")}: ${message}\n`);
  process.exit(1);
}

// The name it was run as (the launcher's), and the URL: the last argument that is not an option
// (macOS `open -a Safari <url>`, `xdg-open <url>`, `$BROWSER <url>`).
const via = path.basename(process.argv[1] ?? "xdg-open");
const args = process.argv.slice(2);
const url = [...args].reverse().find((a) => !a.startsWith("-"));
const socketPath = process.env.ACP_PLAYGROUND_OPEN_SOCKET;

if (!url) fail("no URL given");
else if (url.length > MAX_URL) fail(`the URL is longer than ${MAX_URL} characters`);
else if (!socketPath) fail("not running under the ACP Playground (ACP_PLAYGROUND_OPEN_SOCKET is not set); nothing was opened");
else {
  const socket = net.createConnection(socketPath);
  const timer = setTimeout(() => {
    socket.destroy();
    fail("the playground did not answer; nothing was opened");
  }, TIMEOUT_MS);
  let answer = "";
  socket.setEncoding("utf8");
  socket.on("connect", () => socket.write(`${JSON.stringify({ via, url })}\n`));
  socket.on("data", (chunk) => {
    answer += chunk;
    const line = answer.split("\n")[0];
    if (!answer.includes("\n")) return;
    clearTimeout(timer);
    socket.end();
    if (line === "ok") {
      process.stdout.write(`${via}: handed ${url} to the ACP Playground; the user opens it in their own browser\n`);
      process.exit(0);
    }
    fail(`the playground refused the URL: ${line}`);
  });
  socket.on("error", (error) => {
    clearTimeout(timer);
    fail(`cannot reach the playground (${error.code ?? error.message}); nothing was opened`);
  });
}
