/**
 * A stage worker process: polls one stage queue until SIGTERM. Model work blocks this
 * process's event loop, never the API's. Run: node --import tsx worker-process.ts base|relay|decode
 */
import { configFromEnv, STAGE_QUEUES, type StageQueue } from '@baton/aws';
import { config, forDeployment } from '@baton/config';
import { jsonLogger } from '@baton/worker';
import { runStageProcess } from '@baton/worker/stage-process';

const stage = process.argv[2] as StageQueue;
if (!STAGE_QUEUES.includes(stage)) {
  console.error(`usage: worker-process.ts ${STAGE_QUEUES.join('|')}`);
  process.exit(2);
}
const log = jsonLogger({ service: 'worker', queue: stage, pid: process.pid });
// A crash says why before the stack restarts the process (its message returns after the visibility timeout).
for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(event, (e) => {
    log('worker.crash', { event, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    process.exit(1);
  });
}
// A worker never outlives its stack: when the parent goes (even killed -9), the IPC channel
// closes and this process stops as on SIGTERM (finish or give back the batch in hand).
process.on('disconnect', () => {
  log('worker.parent_gone');
  process.kill(process.pid, 'SIGTERM');
});
const settings = forDeployment(config(), 'local');
await runStageProcess({
  stage,
  config: configFromEnv(settings),
  settings,
  log,
  onReady: () => process.send?.({ ready: stage }),
});
process.exit(0);
