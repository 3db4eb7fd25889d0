import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = path.join(ROOT, 'dist/src/main.js');

/** One service process (`node dist/src/main.js` with a ROLE), its output kept in a log file. */
export class ServiceProcess {
  readonly child: ChildProcess;
  readonly logFile: string;
  private readonly out: WriteStream;
  /** Set when it exited: code or signal. */
  exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  /** Killed on purpose by the test: its death is not a crash. */
  killedOnPurpose = false;

  constructor(
    readonly name: string,
    env: Record<string, string>,
    logDir: string,
  ) {
    this.logFile = path.join(logDir, `${name}.log`);
    this.out = createWriteStream(this.logFile);
    this.child = spawn(process.execPath, ['--enable-source-maps', MAIN], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.pipe(this.out, { end: false });
    this.child.stderr!.pipe(this.out, { end: false });
    this.child.once('exit', (code, signal) => {
      this.exit = { code, signal };
    });
  }

  get alive(): boolean {
    return this.exit === null;
  }

  /** Waits until the process has logged `text` (e.g. "topicwire started"). */
  async waitForLog(text: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.log().includes(text)) {
      if (!this.alive) throw new Error(`${this.name} exited before "${text}":\n${this.tail()}`);
      if (Date.now() > deadline)
        throw new Error(`${this.name} did not log "${text}" in ${timeoutMs} ms:\n${this.tail()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  kill9(): void {
    this.killedOnPurpose = true;
    this.child.kill('SIGKILL');
  }

  /** SIGTERM and wait: a healthy process shuts down by itself with code 0. */
  async stop(timeoutMs = 40_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.alive) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    }
    this.out.end();
    return this.exit!;
  }

  log(): string {
    try {
      return readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  tail(lines = 30): string {
    return this.log().split('\n').slice(-lines).join('\n');
  }

  /** Lines that show a crash or an unhandled failure, whatever the log level. */
  crashLines(): string[] {
    return this.log()
      .split('\n')
      .filter((l) => /Unhandled|uncaught|FATAL ERROR|triggerUncaughtException|"level":60/i.test(l));
  }
}
