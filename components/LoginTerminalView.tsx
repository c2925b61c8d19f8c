"use client";
/**
 * The browser end of a terminal login: an xterm.js terminal fed with the pty's (redacted) output,
 * sending keystrokes back. xterm touches `window`, so it is loaded only in the browser. The pty's
 * output comes from an agent's program, so the terminal is locked down (lib/terminal-guard.ts):
 * it answers no queries (those answers would reach the pty as this user's keystrokes, from every
 * open tab), opens no links and writes no clipboard; and only the tab being typed in sends input.
 */
import { useEffect, useRef } from "react";
import "@xterm/xterm/css/xterm.css";
import { acceptTerminalInput, guardTerminalParser } from "../lib/terminal-guard";

export interface LoginTerminalViewProps {
  output: string;
  /** Bumps when a new login starts, so the terminal is cleared. */
  epoch: number;
  onInput: (data: string) => void;
  onResize: (cols: number, rows: number) => void;
  /** A login is running and waits for the user: bring the terminal into view and put the caret in it. */
  active?: boolean;
}

interface TerminalLike {
  write(data: string): void;
  reset(): void;
  dispose(): void;
  focus(): void;
  cols: number;
  rows: number;
}

export function LoginTerminalView({ output, epoch, onInput, onResize, active = false }: LoginTerminalViewProps) {
  const host = useRef<HTMLDivElement>(null);
  const term = useRef<TerminalLike | undefined>(undefined);
  const written = useRef(0);
  const inputRef = useRef(onInput);
  inputRef.current = onInput;
  const outputRef = useRef(output);
  outputRef.current = output;
  const activeRef = useRef(active);
  activeRef.current = active;

  /** "Answer it in the terminal below" must be true: scroll it into view and focus it (visible tab only). */
  const reveal = (): void => {
    if (!activeRef.current || document.visibilityState !== "visible") return;
    host.current?.scrollIntoView({ block: "center" });
    term.current?.focus();
  };

  useEffect(() => {
    let disposed = false;
    void Promise.all([import("@xterm/xterm"), import("@xterm/addon-fit")]).then(([{ Terminal }, { FitAddon }]) => {
      if (disposed || !host.current) return;
      const t = new Terminal({
        convertEol: false,
        fontSize: 12,
        rows: 12,
        theme: { background: "#0c0e12" },
        // No window report or manipulation, no link opening: explicit, not left to defaults.
        windowOptions: {},
        linkHandler: { activate: () => undefined, allowNonHttpProtocols: false },
      });
      guardTerminalParser(t.parser);
      const fit = new FitAddon();
      t.loadAddon(fit);
      t.open(host.current);
      fit.fit();
      // A login that starts below the fold would be invisible, and xterm does not even draw a
      // terminal outside the viewport: bring it into view once, when it opens.
      host.current.scrollIntoView({ block: "nearest" });
      t.onData((d) => {
        const focusInTerminal = host.current?.contains(document.activeElement) ?? false;
        if (acceptTerminalInput({ documentVisible: document.visibilityState === "visible", focusInTerminal })) inputRef.current(d);
      });
      term.current = t;
      // xterm loads asynchronously: output that arrived meanwhile is written now, not at the next render.
      t.write(outputRef.current);
      written.current = outputRef.current.length;
      onResize(t.cols, t.rows);
      reveal();
    });
    return () => {
      disposed = true;
      term.current?.dispose();
      term.current = undefined;
    };
    // The terminal lives as long as the component; resize is reported once it exists.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    term.current?.reset();
    written.current = 0;
  }, [epoch]);

  // A new login (or this one starting to wait) takes the caret.
  useEffect(() => {
    reveal();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [epoch, active]);

  useEffect(() => {
    const t = term.current;
    if (!t) return;
    if (output.length < written.current) {
      t.reset();
      written.current = 0;
    }
    t.write(output.slice(written.current));
    written.current = output.length;
  });

  return (
    <div className="xterm-host" data-testid="login-terminal" data-active={active ? "yes" : "no"}>
      <div ref={host} />
      {/* The same text, readable by tests and screen readers. */}
      <pre className="sr-only" data-testid="login-output">
        {output}
      </pre>
    </div>
  );
}
