/** `baton continue JOB_ID --size N`: finish a succeeded job (a draft) at a larger size, through an API. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseFlags } from './flags.ts';
import { asFileFormat } from './image-file.ts';
import { Progress } from './progress.ts';
import { continueRemote, resolveApi } from './remote.ts';
import { sideOf, UsageError } from './usage-error.ts';

export const CONTINUE_USAGE = `Usage: baton continue JOB_ID --size 128|256|512 [--out FILE.png] [--json] --api URL|local

  Finishes a succeeded job at a larger size: a new job runs only the relays the job did not
  run and the decode, from its stored latents (kept for a day), and is billed for those alone.
  The image is the one a job made directly at that size (same prompt, seed, parameters) gives.
  Drafts are cheap: make many at 64 px (baton generate --size 64 --api local), finish the best.
  --api is required: the latents live with the stack that made the job.`;

export async function continueCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    {
      size: { type: 'string' },
      out: { type: 'string' },
      api: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help) {
    console.log(CONTINUE_USAGE);
    return 0;
  }
  const [id, extra] = positionals;
  if (!id) throw new UsageError('continue needs the id of a succeeded job (job_…)');
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`);
  if (values.api === undefined)
    throw new UsageError('continue needs --api URL|local: the job and its latents live with that stack');
  const size = sideOf(values.size ?? '');
  if (!size)
    throw new UsageError(`--size must be a side in pixels like 256 (or 256x256), got "${values.size ?? ''}"`);
  const progress = new Progress();
  const r = await continueRemote(resolveApi(values.api), id, size, (stage, step, of) =>
    progress.update(stage, step, of),
  );
  progress.done();
  const file = values.out ?? `${r.id}.png`;
  mkdirSync(dirname(file) || '.', { recursive: true });
  writeFileSync(file, await asFileFormat(file, r.png));
  if (values.json)
    console.log(
      JSON.stringify({
        file,
        job: r.id,
        continued_from: r.continuedFrom,
        size: r.size,
        stages: r.stages,
        timings_ms: r.timings,
      }),
    );
  else console.log(file);
  return 0;
}
