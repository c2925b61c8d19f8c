/**
 * Reads `--name value`, `--name=value` and `--switch` off an argv, the one grammar that
 * `npm start`, `npm run matrix` and `npm run flow` share. It only tokenizes: each caller keeps its
 * own error type and wording (tests and users rely on them), so a problem comes back as a typed
 * FlagSyntaxError that the caller turns into its own message.
 */

export interface FlagGrammar {
  /** Present or absent, never given a value: `--dangerously-bind-non-loopback=false` is refused. */
  switches: ReadonlySet<string>;
  /** Take a value, either `--name=value` or the next argument. */
  options: ReadonlySet<string>;
  /** Literal arguments that ask for help (`--help`, `-h`), read as the switch "help". */
  help?: readonly string[];
}

export interface ReadFlag {
  name: string;
  /** `true` for a switch. */
  value: string | true;
  /** The argument as given, for messages. */
  arg: string;
}

export type FlagProblem =
  | { kind: "positional"; arg: string }
  | { kind: "unknown"; name: string; arg: string }
  | { kind: "switch-value"; name: string; arg: string }
  | { kind: "missing-value"; name: string; arg: string };

export class FlagSyntaxError extends Error {
  constructor(readonly problem: FlagProblem) {
    super(`${problem.kind}: ${problem.arg}`);
    this.name = "FlagSyntaxError";
  }
}

/** Every flag in order (repeatable options appear once per use); throws FlagSyntaxError. */
export function readFlags(argv: readonly string[], grammar: FlagGrammar): ReadFlag[] {
  const flags: ReadFlag[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (grammar.help?.includes(arg)) {
      flags.push({ name: "help", value: true, arg });
      continue;
    }
    if (!arg.startsWith("--")) throw new FlagSyntaxError({ kind: "positional", arg });
    const eq = arg.indexOf("=");
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (grammar.switches.has(name)) {
      if (eq !== -1) throw new FlagSyntaxError({ kind: "switch-value", name, arg });
      flags.push({ name, value: true, arg });
      continue;
    }
    if (!grammar.options.has(name)) throw new FlagSyntaxError({ kind: "unknown", name, arg });
    if (eq !== -1) {
      flags.push({ name, value: arg.slice(eq + 1), arg });
      continue;
    }
    const next = argv[i + 1];
    if (next === undefined || next.startsWith("--")) throw new FlagSyntaxError({ kind: "missing-value", name, arg });
    flags.push({ name, value: next, arg });
    i++;
  }
  return flags;
}

/** The wording `npm run matrix` and `npm run flow` use for a FlagSyntaxError: [message, hint]. */
export function scriptFlagMessage(problem: FlagProblem, positionalHint: string, seeHelp: string): [string, string] {
  switch (problem.kind) {
    case "positional":
      return [`Unexpected argument "${problem.arg}".`, positionalHint];
    case "unknown":
      return [`Unknown option --${problem.name}.`, seeHelp];
    case "switch-value":
      return [`--${problem.name} takes no value.`, seeHelp];
    case "missing-value":
      return [`--${problem.name} needs a value.`, seeHelp];
  }
}
