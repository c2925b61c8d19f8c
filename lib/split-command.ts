/**
 * Splits a command line into argv the way a POSIX shell tokenizes words, but without running a
 * shell: agents are spawned with `shell: false`, so `--agent-cmd "node 'my agent.mjs' --x"` must
 * become argv here. Only quoting and backslash escapes are understood; `$VAR`, globs, pipes and
 * redirections stay literal on purpose, because no shell will ever interpret them.
 * Isomorphic: no DOM, no node:*.
 */

export class CommandLineError extends Error {
  /** 0-based character offset where the problem starts. */
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.name = new.target.name;
    this.offset = offset;
  }
}

/** Inside double quotes a backslash only escapes these, as in POSIX sh; elsewhere it stays. */
const DOUBLE_QUOTE_ESCAPABLE = new Set(['"', "\\", "$", "`"]);

export function splitCommandLine(line: string): string[] {
  const argv: string[] = [];
  let word = "";
  // A word exists once any character or quote pair was seen, so `""` yields an empty argument.
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const ch = line[i];
    if (ch === " " || ch === "\t" || ch === "\n" || ch === "\r") {
      if (inWord) argv.push(word);
      word = "";
      inWord = false;
      i++;
      continue;
    }
    // Backslash-newline is a line continuation: it joins lines and is not part of any word.
    if (ch === "\\" && line[i + 1] === "\n") {
      i += 2;
      continue;
    }
    inWord = true;
    if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      if (end === -1) throw new CommandLineError(`Unterminated single quote at character ${i + 1}.`, i);
      word += line.slice(i + 1, end);
      i = end + 1;
      continue;
    }
    if (ch === '"') {
      const start = i;
      i++;
      for (;;) {
        if (i >= line.length) throw new CommandLineError(`Unterminated double quote at character ${start + 1}.`, start);
        const c = line[i];
        if (c === '"') {
          i++;
          break;
        }
        if (c === "\\" && i + 1 < line.length) {
          const next = line[i + 1];
          if (DOUBLE_QUOTE_ESCAPABLE.has(next)) {
            word += next;
            i += 2;
            continue;
          }
          // Backslash-newline is a line continuation in sh; it vanishes.
          if (next === "\n") {
            i += 2;
            continue;
          }
        }
        word += c;
        i++;
      }
      continue;
    }
    if (ch === "\\") {
      if (i + 1 >= line.length) throw new CommandLineError("The command line ends with a lone backslash.", i);
      word += line[i + 1];
      i += 2;
      continue;
    }
    word += ch;
    i++;
  }
  if (inWord) argv.push(word);
  return argv;
}

/** The inverse, for display: quote only what needs it, so a printed command can be pasted back. */
export function joinCommandLine(argv: readonly string[]): string {
  return argv.map((arg) => (arg !== "" && /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`)).join(" ");
}
