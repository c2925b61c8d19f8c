/**
 * What a profile (or an auth method an agent advertises) may put into an agent's environment and
 * into its home. Both come from outside the relay — the browser, a profile file on disk, the
 * agent's own `initialize` answer — so they must stay data: nothing a loader, a language runtime,
 * a shell or a tool reads as code, as options that load code, or as a program to run. Each profile
 * kind declares the variables it sets; the generic kind accepts a conservative name pattern minus
 * a deny-list of whole classes (not single payloads), and every refusal names the variable or file
 * and says why. The same checks run where a profile is saved and again where its env reaches a
 * spawn, so a profile file written by an older build cannot get past them.
 */
import path from "node:path";
import { parse as parseToml } from "smol-toml";
import type { ProfileKind } from "../lib/wire";
import { EnvPolicyError } from "./errors";

// ─── Environment variables ─────────────────────────────────────────────────────────────────────

/** Upper case, digits and `_`, starting with a letter: every real credential/config variable fits. */
export const GENERIC_ENV_NAME = /^[A-Z][A-Z0-9_]{0,127}$/;

/**
 * The variables the relay itself sets for a run (its per-run home: HOME, the XDG base directories,
 * and the home variables of the agents it knows, server/run-home.ts), so no profile, catalog entry
 * or auth method may point them elsewhere.
 */
export const RELAY_ENV = new Set([
  "KIMI_CODE_HOME",
  "HOME",
  "XDG_CONFIG_HOME",
  "XDG_DATA_HOME",
  "XDG_STATE_HOME",
  "XDG_CACHE_HOME",
  "CODEX_HOME",
  "CLAUDE_CONFIG_DIR",
  "GEMINI_CLI_HOME",
  "QWEN_HOME",
  "COPILOT_HOME",
  // Kimi's OAuth endpoint overrides: set only by the relay, for the OAuth emulator (issue 13).
  "KIMI_CODE_OAUTH_HOST",
  "KIMI_OAUTH_HOST",
  "KIMI_CODE_BASE_URL",
]);

/** The variables each kind's home generator sets (materialize.ts `planHome`); `generic` is the policy below. */
export const KIND_ENV: Record<Exclude<ProfileKind, "generic">, readonly string[]> = {
  "kimi-api-key": [],
  "kimi-oauth": [],
  // The overrides are the relay's (RELAY_ENV), never the profile's.
  "kimi-oauth-emulated": [],
  "kimi-env": ["KIMI_MODEL_NAME", "KIMI_MODEL_API_KEY", "KIMI_MODEL_BASE_URL"],
  "gemini-api-key": ["GEMINI_API_KEY"],
  "gemini-oauth": [],
  "claude-api-key": ["ANTHROPIC_API_KEY"],
  "claude-credentials": [],
  "codex-api-key": ["CODEX_API_KEY", "OPENAI_API_KEY"],
  "codex-auth-json": [],
  "qwen-openai": ["OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL"],
  "copilot-token": ["COPILOT_GITHUB_TOKEN", "GH_TOKEN", "GITHUB_TOKEN"],
  "logged-out": [],
  "existing-home": [],
};

interface DenyRule {
  test: (name: string) => boolean;
  why: string;
}

const exact =
  (...names: string[]) =>
  (name: string): boolean =>
    names.includes(name);
const prefix =
  (...prefixes: string[]) =>
  (name: string): boolean =>
    prefixes.some((p) => name.startsWith(p));

/**
 * Classes of variables that turn a value into code. Ordered so the most specific reason wins.
 * A name that is not here and fits the pattern is taken as data (an API key, a URL, a model id).
 */
const DENY: readonly DenyRule[] = [
  {
    test: (n) => RELAY_ENV.has(n) || n.startsWith("XDG_") || n.endsWith("_HOME") || exact("CLAUDE_CONFIG_DIR", "USERPROFILE", "TMPDIR", "TMP", "TEMP", "PWD", "OLDPWD", "USER", "LOGNAME", "SHELL")(n),
    why: "it says where a program finds its home, config and start-up files, and the relay gives each run its own home. Put files into the run's home with the files list instead",
  },
  {
    test: (n) => n.startsWith("LD_") || n.startsWith("DYLD_") || n.startsWith("MALLOC_") || n.startsWith("OPENSSL_") || exact("GLIBC_TUNABLES", "GCONV_PATH", "LOCPATH", "NLSPATH", "HOSTALIASES", "RESOLV_HOST_CONF")(n),
    why: "the dynamic loader or a system library (libc, OpenSSL) reads it and can load code into every program the agent starts",
  },
  {
    test: (n) => n.endsWith("PATH"),
    why: "it is a search path for programs, libraries or modules: whatever it points at runs as code",
  },
  {
    test: (n) =>
      prefix("NODE_", "NPM_CONFIG_", "YARN_", "PNPM_", "COREPACK_", "ELECTRON_", "DENO_", "BUN_", "UV_")(n) ||
      prefix("PYTHON", "PIP_", "VIRTUAL_ENV", "CONDA_")(n) ||
      prefix("PERL5", "PERL_", "PERLLIB", "PERLDB")(n) ||
      prefix("RUBY", "GEM_", "BUNDLE_", "IRBRC")(n) ||
      prefix("JAVA_", "JDK_", "CLASSPATH", "MAVEN_", "GRADLE_")(n) ||
      prefix("LUA_", "PHP", "CARGO", "RUST", "DOTNET_")(n) ||
      exact("GOFLAGS", "GOROOT", "GOTOOLCHAIN", "GOENV", "GOPROXY", "GOBIN", "GOWORK", "GODEBUG", "GOEXPERIMENT", "R_PROFILE", "R_PROFILE_USER", "R_ENVIRON", "R_ENVIRON_USER", "R_LIBS", "R_LIBS_USER")(n),
    why: "a language runtime or package manager reads it as options or code to load (NODE_OPTIONS=--import runs any script, PYTHONSTARTUP, PERL5OPT, RUBYOPT, JAVA_TOOL_OPTIONS work the same way)",
  },
  {
    test: (n) =>
      exact("BASH_ENV", "ENV", "SHELLOPTS", "BASHOPTS", "PROMPT_COMMAND", "IFS", "GLOBIGNORE", "ZDOTDIR", "INPUTRC", "PS0", "PS1", "PS2", "PS3", "PS4", "TERMINFO", "TERMINFO_DIRS")(n) ||
      prefix("BASH_", "ZSH_", "FISH_", "KSH_")(n),
    why: "a shell reads it as code or as the name of a start-up file (agents such as Kimi start `bash -l`)",
  },
  {
    test: (n) =>
      n.startsWith("GIT_") ||
      n.startsWith("SSH_") ||
      exact("EDITOR", "VISUAL", "PAGER", "MANPAGER", "BROWSER", "LESSOPEN", "LESSCLOSE", "LESSKEY", "SUDO_ASKPASS", "KUBECONFIG", "AWS_CONFIG_FILE", "DOCKER_CONFIG", "MAKEFLAGS", "CC", "CXX", "LD", "AR", "CPP", "CFLAGS", "LDFLAGS")(n),
    why: "a tool the agent runs takes it as a program to start or as config that names one (GIT_SSH_COMMAND, GIT_CONFIG_*, SSH_ASKPASS, EDITOR, PAGER …)",
  },
  {
    test: (n) => /_(COMMAND|CMD|EXECUTABLE|EXEC|BIN|BINARY|PROGRAM|SHELL|HOOK|HELPER|INTERPRETER)$/.test(n) || /(_OPTIONS|_OPTS|FLAGS|_ARGS)$/.test(n),
    why: "by its name it gives a program to run, or command-line options a program adds to its own (options can load code)",
  },
  {
    test: (n) => exact("SSLKEYLOGFILE", "HISTFILE", "LESSHISTFILE", "NODE_REPL_HISTORY")(n),
    why: "a program writes to the file it names, which can be anywhere outside the run's home",
  },
  {
    test: (n) => n === "LANG" || n === "LANGUAGE" || n.startsWith("LC_"),
    why: "the relay passes its own locale; a locale name is also a path the C library loads files from",
  },
];

/** Why `name` may not be set from a generic profile or an auth method, or undefined when it may. */
export function envNameProblem(name: string): string | undefined {
  if (!GENERIC_ENV_NAME.test(name)) return "only names of capital letters, digits and _ (starting with a letter, at most 128 characters) are accepted";
  return DENY.find((rule) => rule.test(name))?.why;
}

/** Throw the typed refusal for one variable. */
function refuseEnv(name: string, why: string, where: string): never {
  throw new EnvPolicyError(name, `${where} sets ${name}, which a profile may not set: ${why}.`, "Remove that line. A profile's environment is data (keys, URLs, model names), never something a program loads or runs.");
}

/** Check one variable a generic profile sets; `where` names it for the message ("Environment line 3"). */
export function checkGenericEnvName(name: string, where: string): void {
  const why = envNameProblem(name);
  if (why) refuseEnv(name, why, where);
}

/**
 * Check the environment a profile's home adds to a spawn: the kind's own variables, the generic
 * policy for the generic kind, and the relay's home variables (which materialize adds itself).
 */
export function checkProfileEnv(kind: ProfileKind, env: Readonly<Record<string, string>>): void {
  for (const name of Object.keys(env)) {
    if (RELAY_ENV.has(name)) continue; // set by materialize itself; parseEnvText refuses them in a profile
    if (kind === "generic") checkGenericEnvName(name, `The profile's environment`);
    else if (!KIND_ENV[kind].includes(name)) refuseEnv(name, `a ${kind} profile sets only ${KIND_ENV[kind].join(", ") || "no variables"}`, `The profile's environment`);
  }
}

/** The catalog's own variables (server-side agents.json, trusted) without the relay's home variables. */
export function withoutRelayEnv(env: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !RELAY_ENV.has(name)));
}

/**
 * Why the environment an advertised auth method asks for cannot be applied, or undefined. The
 * method's variables pass the generic policy, except that it may repeat a relay variable with the
 * very value the run already has (Kimi sends its own KIMI_CODE_HOME back): pointing it anywhere
 * else would make the login write its token into a home the run does not use.
 */
export function loginEnvProblem(methodEnv: Readonly<Record<string, string>>, runEnv: Readonly<Record<string, string>>): string | undefined {
  for (const [name, value] of Object.entries(methodEnv)) {
    if (RELAY_ENV.has(name) && runEnv[name] !== undefined && samePath(runEnv[name], value)) continue;
    const why = envNameProblem(name);
    if (why) return `The auth method asks to set ${name}, which the playground does not pass to a login: ${why}.`;
  }
  return undefined;
}

function samePath(a: string, b: string): boolean {
  return a === b || (path.isAbsolute(a) && path.isAbsolute(b) && path.resolve(a) === path.resolve(b));
}

// ─── Files in a home ───────────────────────────────────────────────────────────────────────────

interface FileRule {
  test: (rel: string, base: string) => boolean;
  why: string;
}

const under =
  (...dirs: string[]) =>
  (rel: string): boolean =>
    dirs.some((d) => rel === d || rel.startsWith(`${d}/`));

/**
 * Files that a shell, a login, an editor, a language runtime or a common tool reads as code or as
 * config naming a program to run. Compared in lower case: macOS file systems ignore case.
 */
const FILE_DENY: readonly FileRule[] = [
  {
    test: (_rel, base) =>
      /^\.(profile|bash_profile|bash_login|bashrc|bash_logout|bash_aliases|bash_functions|zshenv|zprofile|zshrc|zlogin|zlogout|kshrc|mkshrc|cshrc|tcshrc|login|logout|xprofile|xinitrc|xsession|xsessionrc|xsession\.d|inputrc|envrc|pam_environment|hushlogin|shinit|shrc)$/.test(base) ||
      under(".config/fish", ".config/nushell", ".config/environment.d", ".config/zsh", ".oh-my-zsh", ".bashrc.d", ".profile.d")(_rel),
    why: "a shell or a login reads it as code at start-up (agents such as Kimi start `bash -l` with HOME in the run's home)",
  },
  {
    test: (rel, base) =>
      base === ".gitconfig" || base === ".gitattributes" || under(".config/git", ".ssh", ".gnupg", ".kube", ".aws", ".docker", ".config/gh")(rel) || base === ".netrc" || base === ".curlrc" || base === ".wgetrc",
    why: "git, ssh and similar tools take programs to run from it (core.hooksPath, core.fsmonitor, ProxyCommand, credential_process, exec plugins)",
  },
  {
    test: (rel, base) =>
      /^\.(npmrc|yarnrc|yarnrc\.yml|pnpmrc|node_options|noderc|pythonrc|pythonrc\.py|pythonstartup|pydistutils\.cfg|irbrc|pryrc|gemrc|perldb|perlrc|psqlrc|sqliterc|gdbinit|lldbinit|rprofile|octaverc|ghci)$/.test(base) ||
      /(^|\/)(sitecustomize|usercustomize)\.py$/.test(rel) ||
      /\.pth$/.test(base) ||
      under(".local/lib", ".local/bin", "bin", ".npm", ".node_modules", ".node_libraries", ".config/pip", ".ipython", ".jupyter", ".cargo", ".rustup", ".gradle", ".m2")(rel),
    why: "a language runtime or package manager loads it as code or as options that load code (.npmrc node-options, .pth files and sitecustomize run at Python start-up)",
  },
  {
    test: (rel, base) =>
      /^\.(vimrc|gvimrc|exrc|nanorc|emacs|emacs\.el|tmux\.conf|screenrc|mailcap|lesskey|xresources|xdefaults)$/.test(base) ||
      under(".vim", ".config/nvim", ".emacs.d", ".config/autostart", ".config/systemd", ".config/tmux", ".config/vim", ".local/share/applications", ".config/direnv")(rel),
    why: "an editor, terminal multiplexer or the desktop session runs commands from it",
  },
  {
    test: (rel, base) => base === "mcp.json" || base === ".mcp.json" || base === "hooks" || rel.startsWith("hooks/") || rel.includes("/hooks/") || under("plugins")(rel),
    why: "the agent starts programs listed in it (MCP servers, hooks, Kimi's plugins)",
  },
];

/** Keys that, in the agents' own config files, name a program the agent starts (Kimi's hooks, MCP servers). */
const COMMAND_KEYS = new Set(["hooks", "mcp", "mcpservers", "mcp_servers", "command", "apikeyhelper", "statusline", "credential_process", "credentialprocess", "credentialhelper", "exec"]);

/** Why a profile may not write `rel` (already normalized, relative) into a home, or undefined. */
export function homeFileProblem(rel: string): string | undefined {
  const lower = rel.toLowerCase();
  const base = path.posix.basename(lower);
  return FILE_DENY.find((rule) => rule.test(lower, base))?.why;
}

/** Every key of a parsed JSON/TOML value, at any depth. */
function keysOf(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) keysOf(v, out);
  else if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      keysOf(v, out);
    }
  }
  return out;
}

function parseConfig(rel: string, content: string): unknown {
  try {
    return rel.toLowerCase().endsWith(".toml") ? parseToml(content) : JSON.parse(content);
  } catch {
    return undefined; // not structured config: opaque data
  }
}

/**
 * Why a file's content may not go into a home: a JSON or TOML config that names a program to run
 * (Kimi's config.toml `[[hooks]]` and `[mcp]`, an `mcpServers` table, a `command`), or undefined.
 * Only structured config is inspected; other content is opaque data (a token, a key).
 */
export function homeFileContentProblem(rel: string, content: string): string | undefined {
  const hit = keysOf(parseConfig(rel, content)).find((k) => COMMAND_KEYS.has(k.toLowerCase()));
  return hit === undefined ? undefined : `it is config that names a program for the agent to run (key "${hit}")`;
}

/** Modes with any execute, set-id or sticky bit: a profile only writes data files. */
export function modeProblem(mode: number): string | undefined {
  if (mode & 0o111) return "an executable mode (a profile writes data files only: 0600 or 0644, never +x)";
  if (mode & 0o7000) return "a set-id or sticky mode";
  return undefined;
}

/** Throw the typed refusal for one file. */
export function refuseFile(where: string, rel: string, why: string): never {
  throw new EnvPolicyError(rel, `${where} (${rel}) may not be written into the agent's home: ${why}.`, "A profile's files are credentials and plain config for the agent; remove this entry.");
}
