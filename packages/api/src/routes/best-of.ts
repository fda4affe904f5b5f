/**
 * `best_of` on POST /v1/images/generations: N candidate jobs (seeds seed … seed + N − 1, the
 * caption of the first) drawn to the size where the relay decides shape; once they are done,
 * each is scored by the domain's judge against the caption, and the best is finished at the
 * size asked (a continuation from its latents) or kept as it is. Every candidate is a job,
 * billed. It needs the synchronous wait: candidates not done within it are answered with 202.
 */
import { type JobRequest, newJobId } from '@baton/jobs';
import { decodePng } from '@baton/pipeline/image';
import { scoringSize, stagesOf } from '@baton/pipeline/spec';
import { createJobs, type ImagesBody, planContinuation, planJob } from '@baton/service';
import type { Context } from 'hono';
import { ApiError } from '../api-error.ts';
import type { Api, Env } from '../context.ts';
import { visibleJob, waitForJobs } from '../job-access.ts';
import { claimQuota } from '../middleware/admission.ts';
import { answerImages } from './answer.ts';

export async function bestOf(api: Api, c: Context<Env>, b: ImagesBody, seed: number) {
  const key = c.get('key');
  const score = api.domain.score;
  if (!score)
    throw new ApiError(
      400,
      'invalid_request_error',
      `model ${api.manifest.id} has no scorer for best_of`,
      'best_of',
      'invalid_value',
    );
  const first = await planJob(api, b, key, { seed });
  const draftSize = scoringSize(api.manifest, first.spec.size);
  const drafts: JobRequest[] = Array.from({ length: b.best_of! }, (_, i) => ({
    ...first,
    id: i ? newJobId() : first.id,
    spec: { ...first.spec, seed: seed + i, size: draftSize },
    stages: stagesOf(api.manifest, draftSize),
  }));
  await claimQuota(api, drafts);
  await createJobs(api, drafts);
  const wait = Math.min(api.config.syncWaitMs, Number(c.req.query('wait_ms') ?? api.config.syncWaitMs));
  const t0 = api.now();
  const done = await waitForJobs(api, drafts, wait, key);
  if (done.some((s) => s.status !== 'succeeded')) return answerImages(api, c, drafts, b);
  const candidates = await Promise.all(
    done.map(async (s) => {
      const png = await api.jobs.output(s.id, 'decode');
      return {
        job_id: s.id,
        seed: s.request.spec.seed,
        score: png ? score(decodePng(png), first.spec.caption) : 0,
      };
    }),
  );
  const best = candidates.reduce((x, y) => (y.score > x.score ? y : x));
  let kept = drafts.find((d) => d.id === best.job_id)!;
  if (first.spec.size > draftSize) {
    kept = await planContinuation(api, await visibleJob(api, best.job_id, key), first.spec.size, key);
    await claimQuota(api, [kept]);
    await createJobs(api, [kept]);
  }
  const answer = await answerImages(api, c, [kept], b, Math.max(0, wait - (api.now() - t0)));
  if (answer.status !== 200) return answer;
  const body = (await answer.json()) as Record<string, unknown>;
  return c.json({ ...body, best_of: { candidates, kept: best.job_id } }, 200);
}
