/**
 * Copies an existing agent home into a run's fresh home (the "copied" mode of an existing-home
 * profile, and the matrix CLI's --profile-dir). The copy exists so an agent's token refresh or
 * config rewrite never reaches the original, so it must hold no symlink (review V-7): dotfile
 * managers make `credentials` or `config.toml` links, and a copied link writes straight through.
 *
 * Every symlink is dereferenced — its target's content is copied, a link to a directory becomes a
 * directory — whether it points inside the source or outside it. Refusing links that point outside
 * would break exactly the homes dotfile managers build; copying their content keeps them working
 * and keeps the original unwritable. Links that point outside are reported (the preview shows a
 * line per link), dangling links and sockets/FIFOs/devices are skipped and reported, a link that
 * leads back into a directory being copied is a loop and is skipped, and the whole copy is bounded
 * in entries and bytes, so a link to `/` or a huge tree fails clearly instead of filling the disk.
 */
import { constants as fsConstants } from "node:fs";
import { chmod, copyFile, lstat, mkdir, readdir, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { ProfileError } from "./errors";

export const HOME_COPY_MAX_ENTRIES = 20_000;
export const HOME_COPY_MAX_BYTES = 512 * 1024 * 1024;

export interface HomeCopyReport {
  /** Every symlink met, relative to the source, with the real path it was resolved to. */
  links: { path: string; target: string; outside: boolean }[];
  /** What was not copied, and why. */
  skipped: { path: string; why: string }[];
  entries: number;
  bytes: number;
}

export interface HomeCopyLimits {
  maxEntries?: number;
  maxBytes?: number;
}

function inside(root: string, real: string): boolean {
  return real === root || real.startsWith(`${root}${path.sep}`);
}

/**
 * Copy `source` into the existing directory `dest` with every symlink dereferenced; without
 * `dest`, only walk and report (the preview). Modes are kept; nothing in `dest` is overwritten.
 */
export async function copyHome(source: string, dest: string | undefined, limits: HomeCopyLimits = {}): Promise<HomeCopyReport> {
  const maxEntries = limits.maxEntries ?? HOME_COPY_MAX_ENTRIES;
  const maxBytes = limits.maxBytes ?? HOME_COPY_MAX_BYTES;
  const root = await realpath(source);
  const report: HomeCopyReport = { links: [], skipped: [], entries: 0, bytes: 0 };

  const copyDir = async (from: string, rel: string, ancestors: readonly string[]): Promise<void> => {
    const names = (await readdir(from)).sort();
    for (const name of names) await copyEntry(path.join(from, name), rel ? `${rel}/${name}` : name, ancestors);
  };

  const copyEntry = async (src: string, rel: string, ancestors: readonly string[]): Promise<void> => {
    let st = await lstat(src);
    let real = src;
    if (st.isSymbolicLink()) {
      try {
        real = await realpath(src);
        st = await stat(real);
      } catch {
        report.skipped.push({ path: rel, why: "dangling symlink" });
        return;
      }
      report.links.push({ path: rel, target: real, outside: !inside(root, real) });
    }
    if (!st.isFile() && !st.isDirectory()) {
      report.skipped.push({ path: rel, why: "not a file or directory (socket, FIFO or device)" });
      return;
    }
    if (++report.entries > maxEntries) {
      throw new ProfileError(`The home ${source} has more than ${maxEntries} files and directories (following its symlinks); it is not copied.`, "Use the home in place, or point the profile at a smaller directory.");
    }
    const target = dest === undefined ? undefined : path.join(dest, rel);
    if (st.isDirectory()) {
      const realDir = await realpath(real);
      if (ancestors.includes(realDir)) {
        report.skipped.push({ path: rel, why: "symlink loop (leads back into a directory being copied)" });
        return;
      }
      if (target) await mkdir(target, { mode: 0o700 });
      await copyDir(real, rel, [...ancestors, realDir]);
      if (target) await chmod(target, st.mode & 0o777);
      return;
    }
    report.bytes += st.size;
    if (report.bytes > maxBytes) {
      throw new ProfileError(`The home ${source} holds more than ${Math.round(maxBytes / 1024 / 1024)} MiB (following its symlinks); it is not copied.`, "Use the home in place, or point the profile at a smaller directory.");
    }
    if (target) {
      // COPYFILE_EXCL: a fresh home has nothing to overwrite, and a name that exists is an error.
      await copyFile(real, target, fsConstants.COPYFILE_EXCL);
      await chmod(target, st.mode & 0o777);
    }
  };

  await copyDir(root, "", [root]);
  return report;
}

/** Preview lines for a copied home: what its symlinks become, what is left out. */
export function describeHomeCopy(report: HomeCopyReport): { path: string; mode: string; content: string }[] {
  const lines = report.links.map((l) => ({
    path: l.path,
    mode: "",
    content: `‹symlink to ${l.target}${l.outside ? ", outside the copied home" : ""}: its content is copied, the link is not; the agent never writes to ${l.target}›`,
  }));
  for (const s of report.skipped) lines.push({ path: s.path, mode: "", content: `‹not copied: ${s.why}›` });
  return lines;
}
