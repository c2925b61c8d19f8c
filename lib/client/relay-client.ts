/**
 * The browser's end of the relay: one WebSocket, reconnecting with backoff, feeding the store.
 * The token travels as the HttpOnly cookie set on first visit, so this code never sees it. That
 * cookie lives only on the per-start `acp-<random>.localhost` name the server redirects the page to
 * (other servers on 127.0.0.1 never receive it), so the socket is opened on the page's own host:
 * same name, same port, same cookie, and an Origin the guard accepts.
 */
import type { PlaygroundStore } from "../store";
import { type ClientCommand, decodeServerEvent, type ServerEvent, WS_PATH } from "../wire";

/** What an old tab is told once the server refuses its token: a restart made a new token and host. */
export const SERVER_RESTARTED = {
  message: "The server restarted: this tab's link is no longer valid.",
  hint: "Open the new URL printed in the terminal by `npm start` (each start makes a new token and address). Runs of the earlier start are gone; profiles are kept.",
};

export class RelayClient {
  private ws?: WebSocket;
  private attempt = 0;
  private closed = false;
  /** The server answered, but refused this tab (401/403): it restarted with a new token. */
  private refused = false;
  private timer?: ReturnType<typeof setTimeout>;

  constructor(private readonly store: PlaygroundStore, private readonly url: string) {}

  static forPage(store: PlaygroundStore): RelayClient {
    const proto = window.location.protocol === "https:" ? "wss:" : "ws:";
    return new RelayClient(store, `${proto}//${window.location.host}${WS_PATH}`);
  }

  connect(): void {
    this.closed = false;
    this.store.setConnection("connecting");
    const ws = new WebSocket(this.url);
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.attempt = 0;
      this.refused = false;
      this.store.setConnection("open");
    };
    ws.onmessage = (event: MessageEvent<string>) => {
      let parsed: ServerEvent;
      try {
        parsed = decodeServerEvent(event.data);
      } catch {
        this.store.addNotice("error", "The relay sent a message this page cannot read.", "Reload the page; if it persists, the page and the server are from different builds (restart `npm start`).");
        return;
      }
      this.store.apply(parsed);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.store.setConnection(this.refused ? "refused" : "closed");
      if (this.closed) return;
      // A browser hides why an upgrade failed; a plain request tells a stopped server from a refusing one.
      if (!opened) void this.checkRefused();
      this.scheduleReconnect();
    };
  }

  private async checkRefused(): Promise<void> {
    let status: number;
    try {
      status = (await fetch(this.probeUrl, { method: "HEAD", credentials: "same-origin", cache: "no-store" })).status;
    } catch {
      return; // nothing answers: the server is down, the "closed" state says so
    }
    if (!isRefusal(status) || this.refused || this.closed) return;
    this.refused = true;
    this.store.setConnection("refused");
    this.store.addNotice("error", SERVER_RESTARTED.message, SERVER_RESTARTED.hint);
  }

  /** The page's own origin: the guard refuses a stale token or host before any route runs. */
  private get probeUrl(): string {
    return this.url.replace(/^ws/, "http").replace(/\/[^/]*$/, "/");
  }

  private scheduleReconnect(): void {
    this.attempt++;
    const delay = this.refused ? 5000 : Math.min(500 * this.attempt, 5000);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  send(command: ClientCommand): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
      if (this.refused) this.store.addNotice("error", SERVER_RESTARTED.message, SERVER_RESTARTED.hint);
      else this.store.addNotice("error", "Not connected to the relay.", "Wait for the connection to come back, or check that `npm start` is still running.");
      return false;
    }
    this.ws.send(JSON.stringify(command));
    return true;
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.ws?.close();
  }
}

/** A status that means "this server is up but does not accept this tab" (not "nothing is listening"). */
export function isRefusal(status: number): boolean {
  return status === 401 || status === 403;
}
