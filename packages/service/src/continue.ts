/**
 * Continuing a finished job: a relay cascade's every stage ends in a complete image, and each
 * stage's latents stay in the store for a day (BATON_EXPIRE_LATENTS_DAYS). A draft at 64 px
 * can be finished at 256 px by running only the relays it did not run and the decode, from its
 * last stage's latents: the image is the one a job made directly at that size would have made
 * (same prompt, seed and parameters), and only the new stages are billed.
 */
import { randomUUID } from 'node:crypto';
import { type JobRequest, type JobState, type JobStore, newJobId } from '@baton/jobs';
import { stagesOf } from '@baton/pipeline/spec';
import { supportedSizes } from '@baton/runtime/manifest';
import { InvalidRequest } from './invalid-request.ts';
import type { KeyRecord } from './keys.ts';
import type { Planner } from './plan.ts';

/**
 * The job that finishes `source` at `size`: checked (the source succeeded, the size is larger
 * and supported, its latents are still there), nothing stored yet.
 */
export async function planContinuation(
  api: Planner & { jobs: JobStore },
  source: JobState,
  size: number,
  key: Pick<KeyRecord, 'id'> | null,
): Promise<JobRequest> {
  const from = source.request;
  if (source.status !== 'succeeded')
    throw new InvalidRequest(
      'id',
      `job ${source.id} is ${source.status}: only a succeeded job can be continued`,
      'job_not_succeeded',
    );
  if (from.model !== api.manifest.id)
    throw new InvalidRequest(
      'id',
      `job ${source.id} was made by model ${from.model}, not ${api.manifest.id}`,
    );
  const sizes = supportedSizes(api.manifest);
  if (!sizes.includes(size) || size <= from.spec.size) {
    const larger = sizes.filter((s) => s > from.spec.size).map((s) => `'${s}x${s}'`);
    throw new InvalidRequest(
      'size',
      larger.length
        ? `'size' must be larger than the job's ${from.spec.size}x${from.spec.size}: one of ${larger.join(', ')}`
        : `job ${source.id} is already at the largest size (${from.spec.size}x${from.spec.size})`,
    );
  }
  // The stage whose latents the new job starts from: the source's last before its decode.
  const last = from.stages.at(-2)!;
  if (!(await api.jobs.hasOutput(source.id, last)))
    throw new InvalidRequest(
      'id',
      `job ${source.id}'s latents have expired (they are kept for a day): make a new job at ${size}x${size} with its prompt and seed ${from.spec.seed}`,
      'latents_expired',
      { gone: true },
    );
  const all = stagesOf(api.manifest, size);
  // It finishes the one image the source kept: no previews, no new best_of candidates (its
  // relays' seed, a best_of job's kept one, comes with the source's latents).
  const { previews: _, bestOf: __, ...spec } = from.spec;
  return {
    id: newJobId(),
    spec: { ...spec, size },
    stages: all.slice(all.indexOf(last) + 1),
    model: from.model,
    createdAt: api.now(),
    correlationId: randomUUID(),
    ...(key && { owner: key.id }),
    continued: { from: source.id, stage: last },
  };
}
