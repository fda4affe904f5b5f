/** What runs between sampling steps: progress writes at most once an interval, the first one an interval into the stage. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryBlobStore } from '@baton/aws';
import { type JobRequest, JobStore, newJobId } from '@baton/jobs';
import { StepMonitor, silent } from '../src/index.ts';
import type { Work } from '../src/work.ts';

async function monitorAt(clock: { t: number }, progressIntervalMs: number) {
  const jobs = new JobStore(new MemoryBlobStore(), undefined, () => clock.t);
  const request = {
    id: newJobId(),
    stages: ['base', 'relay1', 'decode'],
    model: 'm',
    createdAt: clock.t,
    correlationId: 'c',
    spec: {},
  } as unknown as JobRequest;
  await jobs.create(request, async () => {});
  const w = {
    msg: { v: 1, jobId: request.id, stage: 'base', correlationId: 'c' },
    request,
  } as unknown as Work;
  const monitor = new StepMonitor({
    jobs,
    stage: 'base',
    group: [w],
    log: silent,
    progressIntervalMs,
    cancelCheckIntervalMs: 60_000,
    billPartial: async () => {},
    now: () => clock.t,
  });
  const step = async (k: number, atMs: number) => {
    clock.t = atMs;
    await monitor.onStep(k, 42);
    await monitor.settle();
    return (await jobs.progress(request.id)).base?.step;
  };
  return step;
}

test('a stage shorter than the progress interval writes no progress; a longer one writes one an interval in, then once an interval', async () => {
  const clock = { t: 10_000 };
  const step = await monitorAt(clock, 250);
  assert.equal(await step(1, 10_005), undefined, 'step 1, 5 ms in: the started record says it runs');
  assert.equal(await step(20, 10_200), undefined, '200 ms in: still none');
  assert.equal(await step(26, 10_250), 26, 'one interval in: written');
  assert.equal(await step(27, 10_300), 26, '50 ms later: not again');
  assert.equal(await step(40, 10_500), 40, 'another interval: written');
});

test('with no interval, every step writes its progress', async () => {
  const clock = { t: 10_000 };
  const step = await monitorAt(clock, 0);
  assert.equal(await step(1, 10_000), 1);
  assert.equal(await step(2, 10_001), 2);
});
