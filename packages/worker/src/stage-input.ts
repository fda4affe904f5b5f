/** A stage's input for one job (latents, or an upscale's image), and the latents file it leaves. */
import { splitBatch, type Tensor } from '@baton/diffusion';
import { type JobStore, keys, PermanentError, previousStage } from '@baton/jobs';
import type { RelayInput } from '@baton/pipeline';
import { decodePng } from '@baton/pipeline/image';
import { readLatents, writeLatents } from '@baton/safetensors';
import type { Work } from './work.ts';

/** A stage's input for one job: the previous stage's latents (each best_of draw), and the relays' seed a best_of job kept. */
export interface StageInput {
  draws: RelayInput[];
  relaySeed?: number;
}

/**
 * The stage's input: the job's previous stage's latents; for a continued job's first stage, its
 * source's; for an upscale's first relay, the caller's image.
 */
export async function stageInput(jobs: JobStore, model: string, w: Work): Promise<StageInput | null> {
  const continued = w.request.continued;
  const own = previousStage(w.request.stages, w.msg.stage);
  if (!own && w.request.upscale) {
    const png = await jobs.store.get(keys.input(w.msg.jobId));
    if (!png)
      throw new PermanentError(`job ${w.msg.jobId}: its input image is missing`, 'missing_input', {
        jobId: w.msg.jobId,
        stage: w.msg.stage,
      });
    return { draws: [{ image: decodePng(png) }] };
  }
  const prev = own ?? continued?.stage;
  if (!prev) return null;
  const owner = own ? w.msg.jobId : continued!.from;
  const ctx = { jobId: w.msg.jobId, stage: w.msg.stage };
  const bytes = own && w.carried ? w.carried : await jobs.output(owner, prev);
  if (!bytes)
    throw new PermanentError(
      own
        ? `job ${w.msg.jobId}: input of stage ${w.msg.stage} (${prev}) is missing`
        : `job ${w.msg.jobId}: the latents of job ${owner} it continues have expired`,
      own ? 'missing_input' : 'latents_expired',
      ctx,
    );
  const l = readLatents(bytes);
  if (l.meta.model !== model) {
    throw new PermanentError(
      `job ${w.msg.jobId}: ${prev} latents come from model ${l.meta.model}, not ${model}`,
      'model_mismatch',
      ctx,
    );
  }
  if (l.meta.job !== owner)
    throw new PermanentError(
      `job ${w.msg.jobId}: ${prev} latents belong to job ${l.meta.job}`,
      'bad_input',
      ctx,
    );
  const relaySeed = l.meta.extra?.relay_seed;
  return {
    draws: splitBatch({ data: l.data, shape: l.shape }),
    ...(relaySeed !== undefined && { relaySeed: Number(relaySeed) }),
  };
}

/** A job's latents out of this stage: every draw it carries on, and the relays' seed it kept (best_of). */
export function latentsFile(t: Tensor, w: Work, model: string, relaySeed: number | undefined): Uint8Array {
  return writeLatents({
    data: t.data,
    shape: [...t.shape],
    meta: {
      job: w.msg.jobId,
      stage: w.msg.stage,
      seed: w.request.spec.seed,
      model: model,
      ...(relaySeed !== undefined && { extra: { relay_seed: String(relaySeed) } }),
    },
  });
}
