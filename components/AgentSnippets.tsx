/** Copy the picked agent as an agents.json entry or a Zed settings snippet (lib/agent-snippets.ts). Props only. */
import { agentsJsonEntry, zedSettingsSnippet } from "../lib/agent-snippets";
import type { CatalogEntryView } from "../lib/wire";
import { CopyButton } from "./CopyButton";

export function AgentSnippets({ entry }: { entry?: CatalogEntryView }) {
  if (!entry || entry.replay) return null;
  return (
    <div className="panel button-row" data-testid="agent-snippets">
      <CopyButton label="as agents.json entry" testId="btn-copy-agents-json" text={() => agentsJsonEntry(entry)} title="Copy this agent as an agents.json entry (command and args; env is never included)" />
      <CopyButton label="Zed settings snippet" testId="btn-copy-zed-snippet" text={() => zedSettingsSnippet(entry)} title="Copy an agent_servers entry for Zed's settings.json" />
    </div>
  );
}
