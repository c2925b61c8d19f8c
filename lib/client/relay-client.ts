/**
 * The browser's end of the relay: one WebSocket, reconnecting with backoff, feeding the store.
 * The token travels as the HttpOnly cookie set on first visit, so this code never sees it. That
 * cookie lives only on the per-start `acp-<random>.localhost` name the server redirects the page to
 * (other servers on 127.0.0.1 never receive it), so the socket is opened on the page's own host:
 * same name, same port, same cookie, and an Origin the guard accepts.
 */
import type { PlaygroundStore } from "../store";
import { type ClientCommand, decodeServerEvent, type ServerEvent, WS_PATH } from "../wire";

export class RelayClient {
  private ws?: WebSocket;
  private attempt = 0;
  private closed = false;
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
    ws.onopen = () => {
      this.attempt = 0;
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
      this.store.setConnection("closed");
      if (!this.closed) this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    this.attempt++;
    const delay = Math.min(500 * this.attempt, 5000);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  send(command: ClientCommand): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
      this.store.addNotice("error", "Not connected to the relay.", "Wait for the connection to come back, or check that `npm start` is still running.");
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
