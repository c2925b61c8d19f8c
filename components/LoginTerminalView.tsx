"use client";
/**
 * The browser end of a terminal login: an xterm.js terminal fed with the pty's (redacted) output,
 * sending keystrokes back. xterm touches `window`, so it is loaded only in the browser.
 */
import { useEffect, useRef } from "react";
import "@xterm/xterm/css/xterm.css";

export interface LoginTerminalViewProps {
  output: string;
  /** Bumps when a new login starts, so the terminal is cleared. */
  epoch: number;
  onInput: (data: string) => void;
  onResize: (cols: number, rows: number) => void;
}

interface TerminalLike {
  write(data: string): void;
  reset(): void;
  dispose(): void;
  cols: number;
  rows: number;
}

export function LoginTerminalView({ output, epoch, onInput, onResize }: LoginTerminalViewProps) {
  const host = useRef<HTMLDivElement>(null);
  const term = useRef<TerminalLike | undefined>(undefined);
  const written = useRef(0);
  const inputRef = useRef(onInput);
  inputRef.current = onInput;

  useEffect(() => {
    let disposed = false;
    void Promise.all([import("@xterm/xterm"), import("@xterm/addon-fit")]).then(([{ Terminal }, { FitAddon }]) => {
      if (disposed || !host.current) return;
      const t = new Terminal({ convertEol: false, fontSize: 12, rows: 12, theme: { background: "#0c0e12" } });
      const fit = new FitAddon();
      t.loadAddon(fit);
      t.open(host.current);
      fit.fit();
      t.onData((d) => inputRef.current(d));
      term.current = t;
      written.current = 0;
      onResize(t.cols, t.rows);
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
    <div className="xterm-host" data-testid="login-terminal">
      <div ref={host} />
      {/* The same text, readable by tests and screen readers. */}
      <pre className="sr-only" data-testid="login-output">
        {output}
      </pre>
    </div>
  );
}
