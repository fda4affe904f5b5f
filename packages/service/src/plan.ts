/**
 * Accepting work: a request body becomes job requests (prompt expanded, options resolved
 * against the manifest), every one of them checked before any is stored, then each is
 * stored and its first stage enqueued.
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { type Enqueue, type JobRequest, type JobStore, newJobId } from '@baton/jobs';
import type { PromptExpansion } from '@baton/pipeline/domain';
import { BadRequestError, type JobOptions, relayStages, resolveJob, stagesOf } from '@baton/pipeline/spec';
import type { Manifest } from '@baton/runtime/manifest';
import type { PromptExpander } from './expanders.ts';
import { InvalidRequest } from './invalid-request.ts';
import type { KeyRecord } from './keys.ts';
import type { GenerationBody, JobBody } from './schemas.ts';

/** What planning a job reads: the model family, its prompt expander, the clock. */
export interface Planner {
  manifest: Manifest;
  expander: PromptExpander;
  now: () => number;
}

/** What making jobs writes: the job store and the first stage's queue. */
export interface JobMaker {
  jobs: JobStore;
  enqueue: Enqueue;
}

/** The pipeline's option names → the request's field names, for error messages. */
const FIELD_NAMES: Record<string, string> = {
  stepsBase: 'steps_base',
  stepsRelay: 'steps_relay',
  guidanceBase: 'guidance',
  guidanceRelay: 'guidance_relay',
};

export interface PlanOptions {
  seed: number;
  /**
   * Partial images the job keeps (previews.ts in the pipeline): a number (the streaming images
   * endpoint's partial_images), or "stages": each finished stage's image. None by default.
   */
  previews?: number | 'stages';
  expand?: boolean;
  id?: string;
  webhook?: JobBody['webhook'];
}

export const randomSeed = () => randomInt(0, 2 ** 31);

const verbatimExpansion = (prompt: string): PromptExpansion => ({
  caption: prompt.trim(),
  warnings: [],
  words: [],
});

/** A strict request's prompt had parts the expansion would ignore or could not honour. */
function notUnderstood(e: PromptExpansion): InvalidRequest {
  const words = e.words.length ? `${e.words.map((w) => `"${w}"`).join(', ')}: ` : '';
  return new InvalidRequest(
    'prompt',
    `prompt not understood: ${words}${e.warnings.join('; ')}`,
    'prompt_not_understood',
  );
}

/** One job request from a validated body: nothing is stored yet. */
export async function planJob(
  api: Planner,
  b: GenerationBody,
  key: Pick<KeyRecord, 'id' | 'webhookSecret'> | null,
  o: PlanOptions,
): Promise<JobRequest> {
  const options: JobOptions = {
    seed: o.seed,
    ...(b.size != null && { size: b.size }),
    ...(b.variant != null && { variant: b.variant as JobOptions['variant'] }),
    ...(b.steps_base != null && { stepsBase: b.steps_base }),
    ...(b.steps_relay != null && { stepsRelay: b.steps_relay }),
    ...(b.guidance != null && { guidanceBase: b.guidance }),
    ...(b.guidance_relay != null && { guidanceRelay: b.guidance_relay }),
    ...(b.best_of != null && { bestOf: b.best_of }),
  };
  let spec: JobRequest['spec'];
  try {
    // Resolved first with the prompt as caption: a bad option fails before any expansion work.
    resolveJob(api.manifest, b.prompt, b.prompt, options);
    const expansion =
      (o.expand ?? true) ? await api.expander.expand(b.prompt, o.seed) : verbatimExpansion(b.prompt);
    if (b.strict && expansion.warnings.length) throw notUnderstood(expansion);
    const { warnings } = expansion;
    const resolved = resolveJob(api.manifest, b.prompt, expansion.caption, options);
    const previews = o.previews === 'stages' ? relayStages(api.manifest, resolved.size) : (o.previews ?? 0);
    spec = { ...resolved, ...(warnings.length && { warnings }), ...(previews && { previews }) };
  } catch (e) {
    if (e instanceof BadRequestError)
      throw new InvalidRequest(FIELD_NAMES[e.field] ?? e.field, e.message, 'invalid_value', { cause: e });
    throw e;
  }
  const hook = o.webhook;
  return {
    id: o.id ?? newJobId(),
    spec,
    stages: stagesOf(api.manifest, spec.size),
    model: api.manifest.id,
    createdAt: api.now(),
    correlationId: randomUUID(),
    ...(key && { owner: key.id }),
    ...(hook && {
      webhook: {
        url: new URL(hook.url).toString(),
        events: hook.events,
        secret: key?.webhookSecret ?? `whsec_${randomBytes(24).toString('base64')}`,
      },
    }),
  };
}

/**
 * Stores planned jobs and enqueues their first stages; a job that could not be made gives its
 * quota place back. `admitted` (their quota claim) runs beside the first job's write.
 */
export async function createJobs(
  api: JobMaker,
  requests: readonly JobRequest[],
  admitted: Promise<void> = Promise.resolve(),
): Promise<void> {
  for (const [i, r] of requests.entries()) {
    try {
      // The job store announces it ("Job Accepted").
      await api.jobs.create(r, api.enqueue, admitted);
    } catch (e) {
      const owner = r.owner;
      if (owner) await Promise.allSettled(requests.slice(i).map((x) => api.jobs.quota.release(owner, x.id)));
      throw e;
    }
  }
}
