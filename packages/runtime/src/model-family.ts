/**
 * The model family at run time: the only module that imports onnxruntime-node.
 * Everything else sees our own `Tensor` and `Denoiser` types.
 */

import { resolve } from 'node:path';
import type { Denoiser, ModelCall, Tensor } from '@baton/diffusion';
import { tensor } from '@baton/diffusion';
import { Tokenizer } from '@huggingface/tokenizers';
import * as ort from 'onnxruntime-node';
import { type ComponentSpec, loadManifest, type Manifest, ManifestError, readVerified } from './manifest.ts';
import { chooseProvider, type ProviderChoice, type ProviderSetting } from './provider.ts';

export class FeedError extends Error {
  override readonly name = 'FeedError';
  /** Retrying cannot help: a job that meets it fails (see isPermanent in @baton/jobs). */
  readonly permanent = true;
}

export interface RunStats {
  runs: number;
  /** Wall time spent inside `session.run()`. */
  runMs: number;
}

export interface LoadOptions {
  provider?: ProviderSetting;
  /** ONNX intra-op threads per session (BATON_ORT_THREADS); 0 or absent: the runtime decides. */
  threads?: number;
  log?: (line: Record<string, unknown>) => void;
}

type Session = ort.InferenceSession;
type Feed = Float32Array | BigInt64Array | Int32Array;

// Sessions are created once per process and shared by every ModelFamily on the same files.
const sessions = new Map<string, Promise<Session>>();
let announced = false;

const defaultLog = (line: Record<string, unknown>) => process.stderr.write(`${JSON.stringify(line)}\n`);

export class ModelFamily {
  readonly stats: RunStats = { runs: 0, runMs: 0 };
  private uncondCache = new Map<number, Tensor>();

  private constructor(
    readonly dir: string,
    readonly manifest: Manifest,
    private readonly tokenizer: Tokenizer,
    private readonly pad: number,
    readonly provider: ProviderChoice,
    private readonly threads: number,
  ) {}

  static async load(dir: string, options: LoadOptions = {}): Promise<ModelFamily> {
    const root = resolve(dir);
    const manifest = await loadManifest(root);
    const tokJson = JSON.parse(
      (await readVerified(root, manifest.tokenizer.file, manifest.tokenizer.sha256)).toString('utf8'),
    ) as { padding?: { pad_id?: number } };
    const tokenizer = new Tokenizer(tokJson as never, {});
    const provider = chooseProvider(options.provider);
    if (!announced) {
      (options.log ?? defaultLog)({
        msg: 'onnxruntime execution provider',
        provider: provider.provider,
        reason: provider.reason,
      });
      announced = true;
    }
    return new ModelFamily(
      root,
      manifest,
      tokenizer,
      tokJson.padding?.pad_id ?? 0,
      provider,
      options.threads ?? 0,
    );
  }

  component(name: string): ComponentSpec {
    const c = this.manifest.components[name];
    if (!c) throw new ManifestError(`model ${this.manifest.id} has no component "${name}"`);
    return c;
  }

  hasInput(name: string, input: string): boolean {
    return input in this.component(name).inputs;
  }

  private session(name: string): Promise<Session> {
    const spec = this.component(name);
    const path = resolve(this.dir, spec.file);
    const key = `${this.provider.provider}:${path}:${spec.sha256}`;
    let s = sessions.get(key);
    if (!s) {
      s = (async () => {
        const bytes = await readVerified(this.dir, spec.file, spec.sha256);
        const session = await ort.InferenceSession.create(bytes, {
          executionProviders: [this.provider.provider],
          graphOptimizationLevel: 'all',
          // Idle pool threads sleep instead of spinning: a cascade switches sessions (UNet, VAE
          // decoder, encoder, relay UNet) every few runs, and each session's spinning pool took
          // the cores from the next one's run. Measured at 128 px, 2 cores, in-process: standard
          // 390 → 278 ms, distilled 155 → 67 ms, and far steadier (bench section 1).
          extra: { session: { intra_op: { allow_spinning: '0' } } },
          // Several worker processes on a few cores: BATON_ORT_THREADS keeps them from oversubscribing.
          ...(this.threads > 0 && { intraOpNumThreads: this.threads }),
        });
        for (const input of Object.keys(spec.inputs)) {
          if (!session.inputNames.includes(input)) {
            throw new ManifestError(
              `${path}: the manifest lists input "${input}" but the model has [${session.inputNames}]`,
            );
          }
        }
        return session;
      })();
      sessions.set(key, s);
      s.catch(() => sessions.delete(key));
    }
    return s;
  }

  /** Loads every session now (a worker's cold start), instead of on first use. */
  async warm(names: readonly string[] = Object.keys(this.manifest.components)): Promise<void> {
    await Promise.all(names.map((n) => this.session(n)));
  }

  /** Checks feeds against the session's inputs, then runs it. */
  async run(
    name: string,
    feeds: Record<string, { data: Feed; dims: readonly number[] }>,
  ): Promise<Record<string, Tensor>> {
    const session = await this.session(name);
    checkFeeds(name, session, feeds);
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [k, v] of Object.entries(feeds)) ortFeeds[k] = new ort.Tensor(v.data, v.dims);
    const t0 = performance.now();
    const out = await session.run(ortFeeds);
    this.stats.runMs += performance.now() - t0;
    this.stats.runs++;
    const result: Record<string, Tensor> = {};
    for (const [k, v] of Object.entries(out)) {
      if (!(v.data instanceof Float32Array))
        throw new FeedError(`${name}: output "${k}" is ${v.type}, expected float32`);
      result[k] = tensor(v.data, v.dims);
    }
    return result;
  }

  /** Token ids, padded or cut to the manifest's max_length: BigInt64 [B, L]. */
  tokenize(texts: readonly string[]): { data: BigInt64Array; dims: [number, number] } {
    const L = this.manifest.tokenizer.max_length;
    const data = new BigInt64Array(texts.length * L).fill(BigInt(this.pad));
    texts.forEach((text, b) => {
      const ids = this.tokenizer.encode(text).ids.slice(0, L);
      ids.forEach((id: number, i: number) => {
        data[b * L + i] = BigInt(id);
      });
    });
    return { data, dims: [texts.length, L] };
  }

  async encodeText(texts: readonly string[]): Promise<Tensor> {
    const out = await this.run('text_encoder', { input_ids: this.tokenize(texts) });
    return first(out, 'text_encoder');
  }

  /** The empty prompt's embeddings (CFG's unconditional branch), cached per batch size. */
  async uncond(batch: number): Promise<Tensor> {
    let u = this.uncondCache.get(batch);
    if (!u) {
      u = await this.encodeText(new Array(batch).fill(''));
      this.uncondCache.set(batch, u);
    }
    return u;
  }

  /** A `Denoiser` over one UNet-like component (Optimum I/O names). */
  denoiser(name: string): Denoiser {
    const spec = this.component(name);
    return async (call: ModelCall) => {
      const b = call.sample.shape[0]!;
      const feeds: Record<string, { data: Feed; dims: readonly number[] }> = {
        sample: { data: call.sample.data, dims: call.sample.shape },
        timestep: {
          data:
            spec.inputs.timestep === 'int64'
              ? BigInt64Array.from(call.timestep, (t) => BigInt(t))
              : Float32Array.from(call.timestep),
          dims: [b],
        },
        encoder_hidden_states: { data: call.encoderHiddenStates.data, dims: call.encoderHiddenStates.shape },
      };
      if ('low_res_latent' in spec.inputs) {
        if (!call.lowResLatent)
          throw new FeedError(`${name}: input "low_res_latent" is required but was not given`);
        feeds.low_res_latent = { data: call.lowResLatent.data, dims: call.lowResLatent.shape };
      }
      if ('guidance_scale' in spec.inputs) {
        if (!call.guidanceScale)
          throw new FeedError(`${name}: input "guidance_scale" is required but was not given`);
        feeds.guidance_scale = { data: call.guidanceScale, dims: [b] };
      }
      return first(await this.run(name, feeds), name);
    };
  }

  /** Pixels in [−1, 1], NCHW → latents × vae_scaling_factor. */
  async vaeEncode(pixels: Tensor): Promise<Tensor> {
    const z = first(
      await this.run('vae_encoder', { sample: { data: pixels.data, dims: pixels.shape } }),
      'vae_encoder',
    );
    const k = this.manifest.vae_scaling_factor;
    return tensor(
      z.data.map((v) => v * k),
      z.shape,
    );
  }

  /** Latents (scaled) → pixels in [−1, 1], NCHW. */
  async vaeDecode(latents: Tensor): Promise<Tensor> {
    const k = 1 / this.manifest.vae_scaling_factor;
    const z = latents.data.map((v) => v * k);
    return first(
      await this.run('vae_decoder', { latent_sample: { data: z, dims: latents.shape } }),
      'vae_decoder',
    );
  }
}

function first(out: Record<string, Tensor>, name: string): Tensor {
  const v = Object.values(out)[0];
  if (!v) throw new FeedError(`${name} returned no output`);
  return v;
}

const TYPE_OF: Record<string, string> = {
  Float32Array: 'float32',
  BigInt64Array: 'int64',
  Int32Array: 'int32',
};

/** Every input present with the right type and rank, fixed dims equal; no unknown feeds. */
export function checkFeeds(
  name: string,
  session: Pick<Session, 'inputNames' | 'inputMetadata'>,
  feeds: Record<string, { data: Feed; dims: readonly number[] }>,
): void {
  for (const input of session.inputNames) {
    if (!(input in feeds))
      throw new FeedError(`${name}: missing input "${input}" (given: ${Object.keys(feeds).join(', ')})`);
  }
  for (const [k, v] of Object.entries(feeds)) {
    const meta = session.inputMetadata.find((m) => m.name === k);
    if (!meta)
      throw new FeedError(`${name}: unknown input "${k}" (the model takes ${session.inputNames.join(', ')})`);
    if (!meta.isTensor) continue;
    const type = TYPE_OF[v.data.constructor.name];
    if (type !== meta.type) throw new FeedError(`${name}: input "${k}" must be ${meta.type} but is ${type}`);
    const want = meta.shape;
    const bad =
      want.length !== v.dims.length ||
      want.some((d, i) => typeof d === 'number' && d >= 0 && d !== v.dims[i]);
    if (bad)
      throw new FeedError(`${name}: input "${k}" has dims [${v.dims}] but the model expects [${want}]`);
    const count = v.dims.reduce((a, b) => a * b, 1);
    if (count !== v.data.length) {
      throw new FeedError(
        `${name}: input "${k}" has dims [${v.dims}] (${count} values) but ${v.data.length} values`,
      );
    }
  }
}
