/**
 * 3. Where a job's time goes, hop by hop: from the client's POST to the moment its waiter sees
 * the job ended, cut at the timestamps the job records (every clock is this machine's). The
 * spans add up to the client's wall time exactly.
 */
import type { Stack } from '@baton/stack';

/** One job as the client saw it: when it sent the POST and when it saw the job ended. */
export interface Seen {
  id: string;
  sentAt: number;
  seenAt: number;
}

type Spans = [name: string, ms: number, onnx: boolean][];

/** The job's spans in order; null when a stage has no trace (reused output). */
export async function spansOf(s: Stack, seen: Seen): Promise<Spans | null> {
  const job = await s.jobs.job(seen.id);
  if (!job) return null;
  const spans: Spans = [];
  let at = seen.sentAt;
  const cut = (name: string, until: number, onnx = false) => {
    spans.push([name, until - at, onnx]);
    at = until;
  };
  const done = job.request.stages.map((stage) =>
    job.records.find((r) => r.kind === 'done' && r.stage === stage),
  );
  if (done.some((d) => !d?.trace)) return null;
  // When each stage's message was sent (the decode's: when the last relay handed it on, here).
  const sent = done.map((d) => d!.trace!.receivedAt - (d!.queueWaitMs ?? 0));
  for (const [i, stage] of job.request.stages.entries()) {
    const d = done[i]!;
    const t = d.trace!;
    cut(i ? `hand on to ${stage}` : 'accept, until the base message is sent', Math.max(at, sent[i]!));
    cut(`${stage}: queued`, t.receivedAt);
    cut(`${stage}: load (job, started, input)`, t.receivedAt + t.loadMs);
    cut(`${stage}: ONNX run()`, at + (d.onnxMs ?? 0) / (d.batch ?? 1), true);
    cut(`${stage}: sampler, decode around run()`, t.receivedAt + t.loadMs + t.runMs);
    // Until the next stage is handed on; what is stored after that overlaps the next stage.
    cut(
      `${stage}: store, until handed on`,
      Math.min(at + t.storeMs, sent[i + 1] ?? Number.POSITIVE_INFINITY),
    );
  }
  cut('done record → seen ended by the waiter', seen.seenAt);
  return spans;
}

/** Median of each span over the jobs, and the share of wall time outside ONNX. */
export function printSpans(all: Spans[], label: string): number {
  const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const wall = all.map((sp) => sp.reduce((a, [, ms]) => a + ms, 0));
  const onnx = all.map((sp) => sp.reduce((a, [, ms, o]) => a + (o ? ms : 0), 0));
  const mw = median(wall);
  console.log(`   ${label}: median of ${all.length} jobs, each span's median (ms, share of wall)`);
  for (const [k, [name]] of all[0]!.entries()) {
    const ms = median(all.map((sp) => sp[k]![1]));
    console.log(
      `     ${name.padEnd(44)} ${ms.toFixed(1).padStart(7)}  ${((100 * ms) / mw).toFixed(1).padStart(5)} %`,
    );
  }
  const outside = all.map((_, i) => (wall[i]! - onnx[i]!) / wall[i]!);
  const share = 100 * median(outside);
  console.log(
    `     wall ${mw.toFixed(1)} ms, ONNX ${median(onnx).toFixed(1)} ms: ${share.toFixed(1)} % outside ONNX run() (target ≤ 25 %)`,
  );
  return share;
}
