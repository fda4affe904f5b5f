/**
 * ECS task scale-in protection: while a GPU task holds messages it asks the ECS agent not to
 * be stopped by a scale-in (the agent's task-protection endpoint, ECS_AGENT_URI), and gives
 * the protection up when it is idle again. Failures are logged, never fatal: protection is an
 * optimisation (SIGTERM still finishes or hands back the batch).
 */
import type { Logger } from './logger.ts';

export class TaskProtection {
  private enabled = false;

  constructor(
    private readonly agentUri: string,
    private readonly log: Logger,
    /** Longest a protection lasts if the task cannot lift it (minutes). */
    private readonly expiresInMinutes = 60,
    private readonly fetchFn: typeof fetch = fetch,
  ) {}

  /** Protected while busy; only changes are sent. */
  async set(busy: boolean): Promise<void> {
    if (busy === this.enabled) return;
    try {
      const res = await this.fetchFn(`${this.agentUri}/task-protection/v1/state`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          ProtectionEnabled: busy,
          ...(busy && { ExpiresInMinutes: this.expiresInMinutes }),
        }),
        signal: AbortSignal.timeout(2000),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      this.enabled = busy;
    } catch (e) {
      this.log('worker.task_protection_error', { busy, error: String(e) });
    }
  }
}
