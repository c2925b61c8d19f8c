/**
 * Open a file beneath a confining directory without letting anyone redirect the open. Checking a
 * path and then using it is a race: between the two, an agent can swap a directory on the path
 * for a symlink to anywhere, and a plain writeFile follows it. Node has no openat(), but Linux
 * gives the same thing through /proc/self/fd/<fd>/<name>: a lookup that starts at the directory
 * the fd holds, whatever its path says now. So the walk opens the root, then each component with
 * O_NOFOLLOW|O_DIRECTORY relative to the previous fd, creates what is missing in that directory,
 * and opens the file with O_NOFOLLOW|O_NONBLOCK (a FIFO or device never blocks the open).
 * After the open, the fd's real path (/proc/self/fd/<fd>) must still be inside the root: that
 * catches a directory the agent renamed out of the root during the walk.
 *
 * Residual window: a file or directory that was inside the root when checked can be renamed out
 * of it by the agent before the write lands; the write then goes to that same file, which the agent
 * moved itself, never to a file that was outside. Directories created by the walk in such a
 * moved directory stay where the agent took them. Without /proc (not Linux) the walk uses paths,
 * so only the last component is protected (O_NOFOLLOW) and the window is the old one.
 */
import { constants, existsSync, type Stats } from "node:fs";
import { type FileHandle, lstat, mkdir, open, readlink, unlink } from "node:fs/promises";
import path from "node:path";

const FD_DIR = "/proc/self/fd";
const HAS_FD_PATHS = existsSync(FD_DIR);

const O_DIRECTORY = constants.O_DIRECTORY ?? 0;
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const O_NONBLOCK = constants.O_NONBLOCK ?? 0;

/** Why an open beneath a root was refused; the caller turns it into a JSON-RPC error. */
export type BeneathRefusal = "symlink" | "not-directory" | "directory" | "not-regular" | "escaped" | "missing";

export class BeneathError extends Error {
  constructor(readonly reason: BeneathRefusal, message: string) {
    super(message);
    this.name = "BeneathError";
  }
}

function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/** A directory of the walk: held open (Linux) or only named (elsewhere). */
interface Dir {
  handle?: FileHandle;
  path: string;
}

function child(dir: Dir, name: string): string {
  return dir.handle ? `${FD_DIR}/${dir.handle.fd}/${name}` : path.join(dir.path, name);
}

/** Where an open fd really is now, or undefined where /proc is not available. */
async function whereIs(handle: FileHandle): Promise<string | undefined> {
  if (!HAS_FD_PATHS) return undefined;
  return (await readlink(`${FD_DIR}/${handle.fd}`)).replace(/ \(deleted\)$/, "");
}

async function openDir(p: string): Promise<FileHandle> {
  return open(p, constants.O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
}

/**
 * Open the directory `components` below `root` (a real path), never following a symlink;
 * `create` makes missing directories on the way. The caller closes the returned handle.
 */
async function walk(root: string, components: string[], create: boolean): Promise<Dir> {
  if (!HAS_FD_PATHS) {
    const dir = path.join(root, ...components);
    if (create) await mkdir(dir, { recursive: true });
    return { path: dir };
  }
  let dir: Dir = { handle: await openDir(root), path: root };
  try {
    const at = await whereIs(dir.handle as FileHandle);
    if (at !== root) throw new BeneathError("escaped", `the directory ${root} moved to ${at}`);
    for (const name of components) {
      let next: FileHandle;
      try {
        next = await openDir(child(dir, name));
      } catch (error) {
        const code = errnoCode(error);
        if (code === "ENOENT" && create) {
          try {
            await mkdir(child(dir, name));
          } catch (mkdirError) {
            if (errnoCode(mkdirError) !== "EEXIST") throw mkdirError;
          }
          next = await openDir(child(dir, name)).catch((again: unknown) => {
            throw mapOpenError(again, path.join(dir.path, name));
          });
        } else throw mapOpenError(error, path.join(dir.path, name));
      }
      await dir.handle?.close();
      dir = { handle: next, path: path.join(dir.path, name) };
    }
    return dir;
  } catch (error) {
    await dir.handle?.close().catch(() => undefined);
    throw error;
  }
}

function mapOpenError(error: unknown, where: string): unknown {
  switch (errnoCode(error)) {
    case "ELOOP":
      return new BeneathError("symlink", `${where} is a symlink (it was not one when the path was checked)`);
    case "ENOTDIR":
      return new BeneathError("not-directory", `${where} is not a directory`);
    case "ENOENT":
      return new BeneathError("missing", `${where} does not exist`);
    case "EISDIR":
      return new BeneathError("directory", `${where} is a directory`);
    case "ENXIO":
      return new BeneathError("not-regular", `${where} is not a regular file`);
    default:
      return error;
  }
}

export interface OpenedFile {
  handle: FileHandle;
  stats: Stats;
  /** The file did not exist and was created by this open (empty). */
  created: boolean;
}

/**
 * Open `real` (a real path inside the real path `root`) for reading, or for writing (read-write,
 * created when missing, never truncated here). Only a regular file is opened; anything else,
 * a symlink appearing on the way, or a file that ended up outside `root`, is a BeneathError.
 */
export async function openBeneath(root: string, real: string, mode: "read" | "write"): Promise<OpenedFile> {
  const rel = path.relative(root, real);
  if (rel === "") throw new BeneathError("directory", `${real} is a directory`);
  if (!isInside(root, real)) throw new BeneathError("escaped", `${real} is outside ${root}`);
  const parts = rel.split(path.sep);
  const name = parts.pop() as string;
  const dir = await walk(root, parts, mode === "write");
  try {
    const target = child(dir, name);
    // Refuse a FIFO, socket or device before opening it: opening some devices does something.
    const before = await lstat(target).catch((error: unknown) => {
      if (errnoCode(error) === "ENOENT") return undefined;
      throw error;
    });
    if (before?.isSymbolicLink()) throw new BeneathError("symlink", `${real} is a symlink (it was not one when the path was checked)`);
    if (before?.isDirectory()) throw new BeneathError("directory", `${real} is a directory`);
    if (before && !before.isFile()) throw new BeneathError("not-regular", `${real} is not a regular file (a FIFO, socket or device)`);
    const base = O_NOFOLLOW | O_NONBLOCK;
    let handle: FileHandle;
    let created = false;
    try {
      handle = await open(target, (mode === "read" ? constants.O_RDONLY : constants.O_RDWR) | base);
    } catch (error) {
      if (mode !== "write" || errnoCode(error) !== "ENOENT") throw mapOpenError(error, real);
      try {
        handle = await open(target, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | base, 0o666);
        created = true;
      } catch (createError) {
        throw mapOpenError(createError, real);
      }
    }
    try {
      const stats = await handle.stat();
      if (stats.isDirectory()) throw new BeneathError("directory", `${real} is a directory`);
      if (!stats.isFile()) throw new BeneathError("not-regular", `${real} is not a regular file (a FIFO, socket or device)`);
      const at = await whereIs(handle);
      if (at !== undefined && !isInside(root, at)) {
        if (created) await unlink(target).catch(() => undefined);
        throw new BeneathError("escaped", `${real} ended up at ${at}, outside ${root}`);
      }
      return { handle, stats, created };
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
  } finally {
    await dir.handle?.close().catch(() => undefined);
  }
}

/** Read at most `cap` bytes of an open file; undefined when it holds more (it may have grown). */
export async function readCapped(handle: FileHandle, cap: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const buf = Buffer.allocUnsafe(Math.min(1 << 20, cap + 1 - total));
    const { bytesRead } = await handle.read(buf, 0, buf.length, total);
    if (bytesRead === 0) return Buffer.concat(chunks, total);
    chunks.push(buf.subarray(0, bytesRead));
    total += bytesRead;
    if (total > cap) return undefined;
  }
}

/** Replace the whole content of an open file in place (mode, owner and links are kept). */
export async function overwrite(handle: FileHandle, data: Buffer): Promise<void> {
  await handle.truncate(0);
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await handle.write(data, offset, data.length - offset, offset);
    offset += bytesWritten;
  }
}
