import { Cascade, generateBatch, planJob } from './packages/pipeline/src/index.ts';
import { ModelFamily } from './packages/runtime/src/index.ts';

const f = await ModelFamily.load('/tmp/tinymodel');
const c = new Cascade(f);
for (const size of [64, 128, 256])
  for (const variant of ['standard', 'distilled'] as const) {
    const jobs = [
      planJob(c, 'red circle', { seed: 1, size, variant }),
      planJob(c, 'blue box', { seed: 2, size, variant }),
    ];
    const out = await generateBatch(c, jobs);
    console.log(
      size,
      variant,
      out[0]!.image.width,
      out[0]!.timings.map((t) => `${t.stage}:${t.ms.toFixed(0)}`).join(' '),
      out[0]!.spec.caption,
    );
  }
console.log(f.stats);
