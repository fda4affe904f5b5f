/** The local stack's stage workers: one child process per stage queue, restarted if one dies. */
import { type ChildProcess, fork } from 'node:child_process';
import type { Logger } from '@baton/worker';

export class WorkerPool {
  readonly workers = new Map<string, ChildProcess>();
  private closing = false;

  constructor(
    private readonly entry: string,
    private readonly env: NodeJS.ProcessEnv,
    /** Where the workers' JSON log lines go: this process's stdout, nowhere, or an open file. */
    private readonly logs: 'inherit' | 'ignore' | number,
    private readonly log: Logger,
  ) {}

  /** Starts a stage's worker; resolves once its models are loaded (or it exited). */
  spawn(stage: string): Promise<void> {
    return new Promise<void>((resolve) => {
      const child = fork(this.entry, [stage], {
        execArgv: ['--import', 'tsx'],
        env: this.env,
        stdio: ['ignore', this.logs, 'inherit', 'ipc'],
      });
      this.workers.set(stage, child);
      child.on('message', (m) => {
        if ((m as { ready?: string }).ready) resolve();
      });
      child.on('exit', (code, signal) => {
        resolve();
        if (this.closing || this.workers.get(stage) !== child) return;
        this.log('stack.worker_exited', { stage, code, signal });
        void this.spawn(stage);
      });
    });
  }

  /** SIGTERM (finish or give back the batch in hand), or SIGKILL as a crash would; resolves when all exited. */
  async stop(kill: boolean): Promise<void> {
    this.closing = true;
    await Promise.all(
      [...this.workers.values()].map(
        (w) =>
          new Promise<void>((r) => {
            if (w.exitCode !== null || w.signalCode !== null) return r();
            w.once('exit', () => r());
            w.kill(kill ? 'SIGKILL' : 'SIGTERM');
          }),
      ),
    );
  }
}
