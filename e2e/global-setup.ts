/** Build the UI once before any test starts a server (the same check `npm start` runs). */
import { execFileSync } from "node:child_process";

export default function globalSetup(): void {
  execFileSync(process.execPath, ["scripts/ensure-build.mjs"], { stdio: "inherit" });
}
