/** The local event bus: one JSON line per event, each change written once however often it is put. */
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type BusEvent, FileBus } from '../src/index.ts';

const event = (id: string): BusEvent => ({
  id,
  source: 'baton',
  detailType: 'Job Succeeded',
  detail: { id: id.split(':')[0] },
  time: new Date(1000),
});

/** The whole lines of the file (the torn one the test writes is left out). */
const lines = async (path: string) =>
  (await readFile(path, 'utf8'))
    .split('\n')
    .filter((l) => l.endsWith('}'))
    .map((l) => JSON.parse(l) as { id: string; 'detail-type': string });

test('FileBus: an event put again (a publisher that died before marking it published) is written once, also after a restart', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'baton-bus-'));
  try {
    const path = join(dir, 'events.ndjson');
    const bus = new FileBus(path);
    await Promise.all([bus.put(event('job_a:job_succeeded')), bus.put(event('job_a:job_succeeded'))]);
    await bus.put(event('job_b:job_succeeded'));
    // A crash mid-write leaves a torn line; a new process reads what is there and goes on.
    await appendFile(path, '{"id":"job_c:jo');
    await appendFile(path, '\n');
    const restarted = new FileBus(path);
    await restarted.put(event('job_a:job_succeeded'));
    await restarted.put(event('job_c:job_succeeded'));
    assert.deepEqual(
      (await lines(path)).map((l) => l.id),
      ['job_a:job_succeeded', 'job_b:job_succeeded', 'job_c:job_succeeded'],
    );
    assert.equal((await lines(path))[0]!['detail-type'], 'Job Succeeded');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
