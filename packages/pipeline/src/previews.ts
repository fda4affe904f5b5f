/**
 * Progressive previews: a relay cascade has a complete low-resolution image at every stage
 * boundary. A relay stage decodes its input anyway for its hand-off, so the boundaries after
 * relay1 cost a PNG encode; the base decodes its own 64 px output (a few milliseconds), so the
 * first partial is stored before the hand-off rather than after it. A job asks for `previews`
 * partial images: the stage boundaries first (base, then each relay before the last), then, if
 * it asked for more, the last sampling stage's x₀ estimate at evenly spaced steps (a VAE
 * decode each). A job asking for none costs nothing.
 */
import type { Tensor } from '@baton/diffusion';
import { sliceBatch } from '@baton/diffusion';
import type { Cascade, StageHooks } from './cascade.ts';
import type { RgbImage } from './image.ts';
import type { JobSpec } from './job.ts';
import { parseStage } from './stage.ts';

/** One partial image: its place in the job's sequence, and where it came from. */
export interface PreviewSlot {
  index: number;
  /** The stage whose output it shows ("base"), or the stage and step of an x₀ estimate ("relay1@5"). */
  label: string;
}

/** The partial images a job with these stages gets, in order, for `count` asked. */
export function previewPlan(stages: readonly string[], count: number, stepsOfLast: number): PreviewSlot[] {
  const sampling = stages.filter((s) => parseStage(s).kind !== 'decode');
  const boundaries = sampling.slice(0, -1).slice(0, count);
  const slots: PreviewSlot[] = boundaries.map((stage, index) => ({ index, label: stage }));
  const extra = count - slots.length;
  const last = sampling.at(-1)!;
  const steps = new Set<number>();
  for (let j = 1; j <= extra; j++)
    steps.add(Math.max(1, Math.min(stepsOfLast - 1, Math.round((stepsOfLast * j) / (extra + 1)))));
  for (const step of [...steps].sort((a, b) => a - b))
    slots.push({ index: slots.length, label: `${last}@${step}` });
  return slots;
}

export type SavePreview = (job: number, slot: PreviewSlot, image: RgbImage) => Promise<void> | void;

/**
 * The hooks that make a stage's previews for a batch of jobs: the base saves its output, a later
 * relay its input (the previous relay's image), for the jobs that asked; the last sampling stage
 * decodes x₀ at the planned steps for the jobs that asked for more than the boundaries give.
 */
export function previewHooks(
  cascade: Cascade,
  jobs: readonly JobSpec[],
  stagesOf: readonly (readonly string[])[],
  stage: string,
  save: SavePreview,
): Pick<StageHooks, 'onInputImages' | 'onDenoised' | 'onOutput'> {
  const plans = jobs.map((j, i) =>
    previewPlan(stagesOf[i]!, j.previews ?? 0, stepsOfLastSampling(j, stagesOf[i]!)),
  );
  if (plans.every((p) => p.length === 0)) return {};
  const s = parseStage(stage);
  const previous = s.kind === 'relay' ? (stagesOf[0]![stagesOf[0]!.indexOf(stage) - 1] ?? null) : null;
  /** Decodes the batch items whose jobs want the slot labelled `label`, and saves them. */
  const decodeAndSave = async (label: string, latents: Tensor) => {
    const wanted = plans.map((p) => p.find((x) => x.label === label));
    const jobsAt = wanted.flatMap((slot, i) => (slot ? [i] : []));
    if (!jobsAt.length) return;
    const images = await cascade.decode(jobsAt.map((i) => sliceBatch(latents, i, i + 1)));
    await Promise.all(jobsAt.map((i, k) => save(i, wanted[i]!, images[k]!)));
  };
  return {
    // The base decodes its own 64 px image (a few ms) so the first partial need not wait for the
    // hand-off to relay1; later boundaries come from the next relay's own input decode.
    ...(s.kind === 'base' && { onOutput: (z: Tensor) => decodeAndSave('base', z) }),
    ...(previous &&
      previous !== 'base' && {
        onInputImages: async (images: RgbImage[]) => {
          await Promise.all(
            images.map((img, i) => {
              const slot = plans[i]!.find((p) => p.label === previous);
              return slot ? save(i, slot, img) : undefined;
            }),
          );
        },
      }),
    onDenoised: (step: number, _of: number, denoised: Tensor) => decodeAndSave(`${stage}@${step}`, denoised),
  };
}

function stepsOfLastSampling(j: JobSpec, stages: readonly string[]): number {
  const sampling = stages.filter((s) => parseStage(s).kind !== 'decode');
  return parseStage(sampling.at(-1)!).kind === 'base' ? j.stepsBase : j.stepsRelay;
}
