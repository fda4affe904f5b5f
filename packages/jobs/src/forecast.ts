/**
 * When a job like this one should end, from the jobs of its kind this process saw end: a
 * waiter sleeps until a quick one of them would have ended instead of looking at a fixed
 * cadence (each look is a read, and a 128 px job was looked at ~25 times). Before a few of a
 * kind have ended here (a fresh API instance), there is no forecast and the waiter keeps its
 * cadence (nextLookMs).
 */
import type { Expected, JobRequest, StageRecord } from './records.ts';

/** Jobs of one kind take the same work: the model, its stages and size, and what sets their steps. */
function kindOf(r: JobRequest): string {
  const s = r.spec;
  return [r.model, r.stages.join('+'), s.size, s.variant, s.stepsBase, s.stepsRelay, s.bestOf ?? 1].join('|');
}

export class EndForecast {
  private readonly took = new Map<string, number[]>();

  /**
   * `keep`: the recent jobs a kind's forecast is the median of; `least`: how many it needs
   * first; `kinds`: how many kinds are remembered (the least recently ended go first: a
   * caller varying steps cannot grow this without bound).
   */
  constructor(
    private readonly keep = 16,
    private readonly least = 3,
    private readonly kinds = 256,
  ) {}

  /** A job seen ended: its time from accept to its last stage's done record (none for a failed or cancelled one). */
  learn(r: JobRequest, records: readonly StageRecord[]): void {
    const last = r.stages.at(-1);
    const done = records.find((x) => x.kind === 'done' && x.stage === last);
    if (!done) return;
    const kind = kindOf(r);
    const xs = [...(this.took.get(kind) ?? []), done.at - r.createdAt].slice(-this.keep);
    this.took.delete(kind);
    this.took.set(kind, xs);
    if (this.took.size > this.kinds) this.took.delete(this.took.keys().next().value!);
  }

  /** How long jobs of this kind took here (a quick and a slow one of the recent ones), or undefined. */
  expected(r: JobRequest): Expected | undefined {
    const xs = this.took.get(kindOf(r));
    if (!xs || xs.length < this.least) return undefined;
    const sorted = xs.slice().sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
    return { soonestMs: at(0.1), latestMs: Math.min(at(0.9), 2 * at(0.5)) };
  }
}
