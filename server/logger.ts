/**
 * The server's console log. Every line goes through the current redactor, because the log is one
 * of the places a secret could surface (a failing agent's argv, a profile error message).
 */
export class Logger {
  private redact: (text: string) => string = (t) => t;

  constructor(private readonly quiet = false) {}

  setRedactor(redact: (text: string) => string): void {
    this.redact = redact;
  }

  info(message: string): void {
    if (!this.quiet) process.stdout.write(`${this.redact(message)}\n`);
  }

  warn(message: string): void {
    process.stderr.write(`warning: ${this.redact(message)}\n`);
  }

  error(message: string): void {
    process.stderr.write(`error: ${this.redact(message)}\n`);
  }
}
