/**
 * The one check for a working directory that comes from outside the relay (a run's or a flow's
 * `cwd` typed in the browser): an absolute path to a directory that exists, never resolved
 * against the server's own working directory — that directory is wherever the relay happened to
 * be started, not anything the user chose, so `../..` would silently mean `/`.
 */
import { statSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { WorkingDirectoryError } from "./errors";

const HINT = "Enter the absolute path of an existing directory, e.g. /home/me/project or ~/project.";

/** `~` and `~/x` are what people type; they mean the user's home, not the server's cwd. */
function expandTilde(p: string): string {
  return p === "~" ? homedir() : p.startsWith("~/") ? path.join(homedir(), p.slice(2)) : p;
}

/**
 * Check a working directory given by the browser and return it normalized; `what` names it in
 * the message ("The working directory"). Throws WorkingDirectoryError saying exactly what is wrong.
 */
export function userDirectory(raw: string, what = "The working directory"): string {
  if (raw.includes("\0")) throw new WorkingDirectoryError(`${what} contains a NUL byte.`, HINT);
  const trimmed = raw.trim();
  if (trimmed === "") throw new WorkingDirectoryError(`${what} is empty.`, HINT);
  const expanded = expandTilde(trimmed);
  if (!path.isAbsolute(expanded)) {
    throw new WorkingDirectoryError(`${what} "${trimmed}" is a relative path; the playground does not resolve it against the server's own directory.`, HINT);
  }
  const dir = path.resolve(expanded);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new WorkingDirectoryError(`${what} ${dir} does not exist.`, HINT);
  }
  if (!isDir) throw new WorkingDirectoryError(`${what} ${dir} is not a directory.`, HINT);
  return dir;
}
