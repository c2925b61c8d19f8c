/**
 * One browser tab's WebSocket: parses ClientCommands without trusting them and hands them to the
 * hub; everything the tab sees comes back as ServerEvents through the hub's batched flush.
 */
import type { WebSocket } from "ws";
import { parseClientCommand, type ServerEvent } from "../lib/wire";
import type { Hub } from "./hub";
import type { Logger } from "./logger";

export function attachRelay(ws: WebSocket, hub: Hub, logger: Logger): void {
  const tab = hub.attach({
    send: (data) => {
      // A Buffer is a frames batch's UTF-8 text: it goes as a text message, like a string.
      if (ws.readyState === ws.OPEN) ws.send(data, { binary: false });
    },
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
  });
  ws.on("message", (data, isBinary) => {
    const text = isBinary ? "" : data.toString();
    const parsed = parseClientCommand(text);
    if (!parsed.ok) {
      const event: ServerEvent = { type: "notice", level: "error", message: `Bad command: ${parsed.error}.`, hint: "The browser sent something the relay does not understand; reload the page." };
      ws.send(JSON.stringify(event));
      return;
    }
    tab.command(parsed.command).catch((error: unknown) => logger.error(`command ${parsed.command.type}: ${(error as Error).message}`));
  });
  ws.on("close", () => tab.detach());
  ws.on("error", () => tab.detach());
}
