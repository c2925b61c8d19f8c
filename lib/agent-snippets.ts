/**
 * The picked agent as configuration for somewhere else: an `agents.json` entry for this playground
 * and an `agent_servers` entry for Zed's settings.json (the ACP analogue of the MCP Inspector's
 * "Server Entry"). Built from the catalog's display argv only: the browser never sees an entry's
 * env, so no secret can end up in a snippet.
 */
import type { CatalogEntryView } from "./wire";

/** `{ "agents": [ … ] }` with this one entry, as agents.json takes it. */
export function agentsJsonEntry(entry: Pick<CatalogEntryView, "id" | "label" | "argv">): string {
  const [command = "", ...args] = entry.argv;
  return JSON.stringify({ agents: [{ id: entry.id, label: entry.label, command, args }] }, null, 2);
}

/** Zed's settings.json fragment for a custom external agent. */
export function zedSettingsSnippet(entry: Pick<CatalogEntryView, "label" | "argv">): string {
  const [command = "", ...args] = entry.argv;
  return JSON.stringify({ agent_servers: { [entry.label]: { type: "custom", command, args, env: {} } } }, null, 2);
}
