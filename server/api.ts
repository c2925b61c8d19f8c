/**
 * The few HTTP routes besides the page: downloads that are easier as links than as WebSocket
 * events (traces, reports, matrix exports). They sit behind the same guard as everything else.
 */
import type { ServerResponse } from "node:http";
import type { Hub } from "./hub";
import { PlaygroundError } from "./errors";

type Route = { re: RegExp; type: string; ext: string; body: (hub: Hub, m: RegExpExecArray) => string };

const ROUTES: Route[] = [
  { re: /^\/api\/runs\/([\w.-]+)\/trace\.jsonl$/, type: "application/x-ndjson", ext: "jsonl", body: (hub, m) => hub.evidence.traceOf(m[1]) },
  { re: /^\/api\/runs\/([\w.-]+)\/report\.md$/, type: "text/markdown", ext: "md", body: (hub, m) => hub.evidence.reportOf(m[1]) },
  { re: /^\/api\/matrix\.md$/, type: "text/markdown", ext: "md", body: (hub) => hub.evidence.matrixMarkdown() },
  { re: /^\/api\/matrix\.json$/, type: "application/json", ext: "json", body: (hub) => hub.evidence.matrixJson() },
];

/** Answer an /api/ route; false when the path is not one of them. */
export function handleApi(hub: Hub, pathname: string, res: ServerResponse): boolean {
  for (const route of ROUTES) {
    const m = route.re.exec(pathname);
    if (!m) continue;
    try {
      const body = route.body(hub, m);
      const name = pathname.split("/").filter(Boolean).slice(1).join("-");
      res.writeHead(200, {
        "content-type": `${route.type}; charset=utf-8`,
        "content-disposition": `attachment; filename="acp-playground-${name}"`,
        "cache-control": "no-store",
      });
      res.end(body);
    } catch (error) {
      const e = error as PlaygroundError;
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      res.end(`${e.message}${e.hint ? `\n${e.hint}` : ""}\n`);
    }
    return true;
  }
  return false;
}
