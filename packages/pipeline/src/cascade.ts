/**
 * The cascade's stages over a model family: base sampling, relay super-resolution
 * (×2 per stage), VAE decode. Each stage takes and returns latents, so a stage can
 * run in-process or in a queue worker that keeps its input and output in S3.
 *
 * A batch is jobs of the same stage, shape, variant and step counts; each keeps
 * its own seed, caption and guidance scale.
 */
import {
  concatBatch,
  type GuidanceMode,
  PortableNoise,
  type SamplerOptions,
  Schedule,
  type StepEvent,
  sampleBase,
  sampleRelay,
  splitBatch,
  type Tensor,
  tensor,
  upsampleBilinear2x,
} from '@baton/diffusion';
import type { ModelFamily } from '@baton/runtime';
import { type Domain, plainDomain } from './domain.ts';
import { fromPixels, type RgbImage, toPixels } from './image.ts';
import type { JobSpec } from './job.ts';
import { parseStage } from './stage.ts';

export interface StageHooks {
  /** After each sampling step: progress, and the place to stop (throw) on cancel or deadline. */
  onStep?: (step: number, of: number) => void | Promise<void>;
  /** After each sampling step, the batch's x₀ estimate (previews mid-way; previews.ts). */
  onDenoised?: (step: number, of: number, denoised: Tensor) => void | Promise<void>;
  /** A relay stage's input as images: the previous stage's output, decoded for the hand-off anyway. */
  onInputImages?: (images: RgbImage[]) => void | Promise<void>;
  /** The base stage's output latents (the batch), before they are handed on. */
  onOutput?: (latents: Tensor) => void | Promise<void>;
}

/** The sampler's step callback from the hooks: progress (and cancel) first, then x₀. */
const stepper = (hooks: StageHooks) => async (e: StepEvent) => {
  await hooks.onStep?.(e.step, e.of);
  await hooks.onDenoised?.(e.step, e.of, e.denoised);
};

/** A relay's input: the previous stage's latents, or an image at that stage's side (an upscale). */
export type RelayInput = Tensor | { image: RgbImage };

export class Cascade {
  readonly schedule: Schedule;

  constructor(
    readonly family: ModelFamily,
    readonly domain: Domain = plainDomain,
  ) {
    const s = family.manifest.schedule;
    this.schedule = new Schedule({
      numTrainTimesteps: s.num_train_timesteps,
      betaStart: s.beta_start,
      betaEnd: s.beta_end,
      betaSchedule: s.beta_schedule,
    });
  }

  get manifest() {
    return this.family.manifest;
  }

  /**
   * The component best_of scores with, if a model does (scorer.ts): the family's scorer, for a
   * domain without a measure of its own that reads captions into the scorer's labels.
   */
  get scorerModel(): string | undefined {
    const { scorer } = this.manifest;
    return scorer && !this.domain.score && this.domain.labels ? scorer.component : undefined;
  }

  /** The components a stage queue's work runs (what its worker loads before taking work). */
  componentsOf(queue: 'base' | 'relay' | 'decode'): string[] {
    const variants = Object.values(this.manifest.variants);
    if (queue === 'decode') return ['vae_decoder'];
    // The decode also runs in the last diffusion stage's worker (worker.ts); its own queue keeps old messages.
    const own = variants.flatMap((v) => (queue === 'base' ? v.base : v.relay)?.component ?? []);
    const shared = queue === 'base' ? ['text_encoder'] : ['text_encoder', 'vae_decoder', 'vae_encoder'];
    // best_of scores where it draws (the base for a job at the base's size): the decoder, and the
    // family's scorer model for a domain without its own measure (scorer.ts).
    const model = this.scorerModel;
    const scoring = model ? ['vae_decoder', model] : this.domain.score ? ['vae_decoder'] : [];
    return [...new Set([...shared, ...own, ...scoring])];
  }

  /** A key: jobs with equal keys for a stage may share one batched model call. */
  batchKey(stage: string, job: JobSpec): string {
    const s = parseStage(stage);
    if (s.kind === 'base') return `base:${job.variant}:${job.stepsBase}`;
    if (s.kind === 'decode') return `decode:${job.size}`;
    return `${stage}:${job.variant}:${job.stepsRelay}:${job.size}`;
  }

  private stageSettings(job: JobSpec, stage: 'base' | 'relay') {
    const v = this.manifest.variants[job.variant]!;
    const s = stage === 'base' ? v.base : v.relay;
    if (!s) throw new RangeError(`variant ${job.variant} has no ${stage} stage`);
    const mode: GuidanceMode = this.family.hasInput(s.component, 'guidance_scale') ? 'distilled' : 'cfg';
    return { component: s.component, mode };
  }

  private async text(jobs: readonly JobSpec[], mode: GuidanceMode) {
    const cond = await this.family.encodeText(jobs.map((j) => j.caption));
    return mode === 'cfg' ? { cond, uncond: await this.family.uncond(jobs.length) } : { cond };
  }

  /** Base stage: caption → latents at the base resolution. */
  async base(jobs: readonly JobSpec[], hooks: StageHooks = {}): Promise<Tensor[]> {
    const m = this.manifest;
    const { component, mode } = this.stageSettings(jobs[0]!, 'base');
    const side = m.base.resolution / m.vae_scale_factor;
    const shape = [m.latent_channels, side, side];
    const noise = concatBatch(jobs.map((j) => noiseFor(j.seed, 0, shape)));
    const options: SamplerOptions = {
      denoiser: this.family.denoiser(component),
      schedule: this.schedule,
      predictionType: m.prediction_type,
      text: await this.text(jobs, mode),
      guidance: Float32Array.from(jobs, (j) => j.guidanceBase),
      guidanceMode: mode,
      steps: jobs[0]!.stepsBase,
      onStep: stepper(hooks),
    };
    const z = await sampleBase(options, noise);
    await hooks.onOutput?.(z);
    return splitBatch(z);
  }

  /**
   * The relay hand-off: decode, bilinear ×2 in pixel space, encode → zL. An input given as an
   * image (an upscale: the user's picture at the stage's side) is already pixels: no decode.
   */
  async handOff(inputs: readonly RelayInput[], onImages?: StageHooks['onInputImages']): Promise<Tensor> {
    const latents = inputs.filter((x): x is Tensor => !('image' in x));
    const decoded = latents.length ? splitBatch(await this.family.vaeDecode(concatBatch(latents))) : [];
    let k = 0;
    const pixels = concatBatch(
      inputs.map((x) => {
        if (!('image' in x)) return decoded[k++]!;
        return tensor(toPixels(x.image), [1, 3, x.image.height, x.image.width]);
      }),
    );
    if (onImages) await onImages(toImages(pixels));
    return this.family.vaeEncode(upsampleBilinear2x(pixels));
  }

  /** Relay stage `index` (1-based): latents at side s → latents at side 2s. */
  async relay(
    jobs: readonly JobSpec[],
    inputs: readonly RelayInput[],
    index: number,
    hooks: StageHooks = {},
  ): Promise<Tensor[]> {
    const m = this.manifest;
    const { component, mode } = this.stageSettings(jobs[0]!, 'relay');
    const zL = await this.handOff(inputs, hooks.onInputImages);
    const shape = zL.shape.slice(1);
    const noise = concatBatch(jobs.map((j) => noiseFor(j.relaySeed ?? j.seed, index, shape)));
    const out = await sampleRelay(
      {
        denoiser: this.family.denoiser(component),
        schedule: this.schedule,
        predictionType: m.prediction_type,
        text: await this.text(jobs, mode),
        guidance: Float32Array.from(jobs, (j) => j.guidanceRelay),
        guidanceMode: mode,
        steps: jobs[0]!.stepsRelay,
        startT: m.relay.start_t,
        lowResInput: this.family.hasInput(component, 'low_res_latent'),
        onStep: stepper(hooks),
      },
      zL,
      noise,
    );
    return splitBatch(out);
  }

  /** VAE decode → RGB images. */
  async decode(inputs: readonly Tensor[]): Promise<RgbImage[]> {
    return toImages(await this.family.vaeDecode(concatBatch(inputs)));
  }

  /** A single-stage sample at the single-stage model's resolution (for comparison with the relay). */
  async singleStage(jobs: readonly JobSpec[], hooks: StageHooks = {}): Promise<RgbImage[]> {
    const m = this.manifest;
    const s = m.single_stage;
    if (!s) throw new RangeError(`model ${m.id} has no single_stage component`);
    const side = s.resolution / m.vae_scale_factor;
    const noise = concatBatch(jobs.map((j) => noiseFor(j.seed, 0, [m.latent_channels, side, side])));
    const out = await sampleBase(
      {
        denoiser: this.family.denoiser(s.component),
        schedule: this.schedule,
        predictionType: m.prediction_type,
        text: await this.text(jobs, 'cfg'),
        guidance: Float32Array.from(jobs, (j) => j.guidanceBase),
        guidanceMode: 'cfg',
        steps: jobs[0]!.stepsBase,
        onStep: (e) => hooks.onStep?.(e.step, e.of),
      },
      noise,
    );
    return this.decode(splitBatch(out));
  }
}

/** A batch of decoded pixels [n, 3, h, w] → one RGB image per job. */
function toImages(pixels: Tensor): RgbImage[] {
  const [n, , h, w] = pixels.shape as [number, number, number, number];
  return Array.from({ length: n }, (_, i) => fromPixels(pixels.data, w, h, i * 3 * h * w));
}

/** Per-job, per-stage noise: stream 0 for the base, k for the k-th relay stage. */
export function noiseFor(seed: number, stream: number, shape: readonly number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(new PortableNoise(seed, stream).normal(n), [1, ...shape]);
}
