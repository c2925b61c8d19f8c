/** "Copy as agents.json entry" / "Zed settings snippet" (lib/agent-snippets.ts): the argv split, and nothing else. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { agentsJsonEntry, zedSettingsSnippet } from "../lib/agent-snippets";

const entry = { id: "kimi-2.1.0", label: "Kimi Code 2.1.0", argv: ["/opt/node22/bin/node", "/opt/kimi/cli.js", "acp"] };

test("an agents.json entry splits argv into command and args", () => {
  assert.deepEqual(JSON.parse(agentsJsonEntry(entry)), { agents: [{ id: "kimi-2.1.0", label: "Kimi Code 2.1.0", command: "/opt/node22/bin/node", args: ["/opt/kimi/cli.js", "acp"] }] });
});

test("a Zed agent_servers entry is keyed by the label, with an empty env", () => {
  assert.deepEqual(JSON.parse(zedSettingsSnippet(entry)), { agent_servers: { "Kimi Code 2.1.0": { type: "custom", command: "/opt/node22/bin/node", args: ["/opt/kimi/cli.js", "acp"], env: {} } } });
});
