/**
 * `baton eval`: prompt alignment by the shapes domain's judging rules
 * (docs/shapes-domain.md), independent of the training code.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { concatBatch, PortableNoise, tensor } from '@baton/diffusion';
import {
  BOUNDS,
  type Cascade,
  generateBatch,
  generateSingleStage,
  type JobSpec,
  planJob,
  planSingleStage,
} from '@baton/pipeline';
import { decodeImage } from '@baton/pipeline/formats';
import { loadManifest, supportedSizes } from '@baton/runtime/manifest';
import { encodePng, fromPixels, type RgbImage, render, toPixels } from '@baton/shapes';
import {
  ATTRS,
  type Attr,
  add,
  type EvalItem,
  evalItems,
  rates,
  sampleSceneLike,
  shortItems,
  type Tally,
  tally,
  verdictOf,
} from './eval-judging.ts';
import { parseFlags } from './flags.ts';
import { cliCascade, modelDir } from './model.ts';
import { Progress } from './progress.ts';
import { upscaleHere } from './upscale-command.ts';
import { choiceFlag, intFlag, SAMPLER_FLAGS, samplerOptions, UsageError } from './usage-error.ts';

export const EVAL_USAGE = `Usage: baton eval [options]

  --n N                 captions per group (one-object and two-object; default 200)
  --prompts P           canonical (default): captions in the training grammar, every attribute judged;
                        short: the same scenes said as people type them (synonyms, lists, relations, omissions),
                        expanded, and judged only on what each prompt states
  --prompt-file FILE    judge these prompts instead (expanded with seed + i)
  --size 64…512         output size (default 128)
  --variant V           standard | distilled (default standard)
  --best-of N           N candidates per prompt (1–8), the one the domain's scorer rates best kept
  --mode M              cascade (default) | single-stage: the 128 px one-pass model, and the cascade at
                        128 px on the same prompts in the same run (alignment and time side by side;
                        --steps-base/--cfg set the single-stage model's) | vae: reconstructions of real scenes |
                        upscale: each caption drawn at the base's side, its PNG upscaled to --size with the
                        caption as the prompt, as \`baton upscale\` does (--best-of N applies to the upscale)
  --steps-base N, --steps-relay N, --cfg W, --cfg-relay W   sampler settings (defaults from the manifest)
  --seed N              seed for the captions and the images (default 0)
  --batch N             images per batched call (default 8)
  --failures DIR        write each image judged wrong to DIR and list it with its prompt
  --save DIR            write every image to DIR with index.jsonl (file, caption, group, aligned), for
                        a second judge: python3 -m baton_train.judge DIR (training/README.md)
  --json                print the report as JSON`;

export async function evalCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    {
      n: { type: 'string' },
      prompts: { type: 'string' },
      'prompt-file': { type: 'string' },
      ...SAMPLER_FLAGS,
      mode: { type: 'string' },
      seed: { type: 'string' },
      batch: { type: 'string' },
      'best-of': { type: 'string' },
      json: { type: 'boolean' },
      failures: { type: 'string' },
      save: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help) {
    console.log(EVAL_USAGE);
    return 0;
  }
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const n = intFlag('n', values.n, 1, 100_000) ?? 200;
  const seed = intFlag('seed', values.seed, 0, 2 ** 31) ?? 0;
  const batch = intFlag('batch', values.batch, 1, 64) ?? 8;
  const mode =
    choiceFlag('mode', values.mode, ['cascade', 'single-stage', 'vae', 'upscale'] as const) ?? 'cascade';
  const options = samplerOptions(values, supportedSizes(await loadManifest(modelDir())));
  const cascade = await cliCascade();
  const prompts = choiceFlag('prompts', values.prompts, ['canonical', 'short'] as const) ?? 'canonical';
  if (prompts === 'short' && values['prompt-file'] !== undefined)
    throw new UsageError('--prompts short makes its own prompts; drop --prompt-file');
  const items = prompts === 'short' ? shortItems(n, seed) : evalItems(values['prompt-file'], n, seed);
  const bestOf = intFlag('best-of', values['best-of'], BOUNDS.bestOf.min, BOUNDS.bestOf.max) ?? 1;
  if (bestOf > 1 && mode !== 'cascade' && mode !== 'upscale')
    throw new UsageError('--best-of is for --mode cascade or upscale');
  if (values.save !== undefined && prompts === 'short')
    throw new UsageError('--save lists canonical captions for a second judge; it is not for --prompts short');
  const run = { cascade, items, batch, prompts, failuresDir: values.failures, saveDir: values.save, bestOf };
  const size =
    mode === 'single-stage' ? (cascade.manifest.single_stage?.resolution ?? 128) : (options.size ?? 128);
  const { report, failures } = await evaluate(run, mode, { ...options, size });
  // The single-stage model is judged against the cascade at its size, on the same prompts, in the same run.
  const against =
    mode === 'single-stage'
      ? (await evaluate(run, 'cascade', { size, ...(options.variant && { variant: options.variant }) }))
          .report
      : undefined;
  const timeRatio = against && against.seconds_per_image / report.seconds_per_image;
  if (values.json)
    console.log(
      JSON.stringify({
        ...report,
        ...(against && { cascade: against, cascade_time_ratio: timeRatio }),
        ...(values.failures !== undefined && { failures }),
      }),
    );
  else {
    printReport(report);
    if (against) {
      console.log('');
      printReport(against);
      console.log(
        `\nthe cascade takes ${timeRatio!.toFixed(2)}× the single-stage model's time per image; aligned ${pct(against.overall.aligned)} against ${pct(report.overall.aligned)}`,
      );
    }
    if (values.failures !== undefined) {
      console.log(`\n${failures.length} judged wrong (images in ${values.failures}):`);
      for (const f of failures) console.log(`  ${f.file}  ${f.prompt}`);
    }
  }
  return 0;
}

const pct = (v: number | null) => (v === null ? '—' : `${(100 * v).toFixed(1)} %`);

type Mode = 'cascade' | 'single-stage' | 'vae' | 'upscale';
interface Run {
  cascade: Cascade;
  items: EvalItem[];
  batch: number;
  prompts: 'canonical' | 'short';
  failuresDir: string | undefined;
  /** Where every image goes, with index.jsonl, for a second judge (--save). */
  saveDir: string | undefined;
  /** Candidates per prompt, the best kept by the domain's scorer (1: none). */
  bestOf: number;
}

/** Every item drawn (in batches) and judged: the report, and the prompts judged wrong. */
async function evaluate(run: Run, mode: Mode, options: Parameters<typeof planJob>[2]) {
  const { cascade, items, batch } = run;
  const progress = new Progress();
  const groups = new Map<string, Tally>();
  const all = tally();
  const failures: { prompt: string; file: string | null }[] = [];
  const saved: { file: string; caption: string; group: string; aligned: boolean }[] = [];
  // One untimed image first, so that s/image leaves out loading the model's sessions.
  await imagesFor(cascade, mode, items.slice(0, 1), options, () => {}, run.bestOf);
  const t0 = performance.now();
  for (let start = 0; start < items.length; start += batch) {
    const chunk = items.slice(start, start + batch);
    // The count says how many are judged; the bar, how far the batch in hand is.
    const images = await imagesFor(
      cascade,
      mode,
      chunk,
      options,
      (s, k, of) => progress.update(`${start}/${items.length} judged, ${s}`, k, of),
      run.bestOf,
    );
    chunk.forEach((it, i) => {
      const v = verdictOf(images[i]!, it);
      if (!groups.has(it.group)) groups.set(it.group, tally());
      add(groups.get(it.group)!, v.prompt, v.objects);
      add(all, v.prompt, v.objects);
      if (!v.prompt.aligned)
        failures.push({ prompt: it.prompt, file: saveImage(run.failuresDir, start + i, images[i]!) });
      const file = saveImage(run.saveDir, start + i, images[i]!);
      if (file)
        saved.push({
          file: basename(file),
          caption: it.prompt,
          group: it.group,
          aligned: !!v.prompt.aligned,
        });
    });
  }
  progress.done();
  if (run.saveDir !== undefined)
    writeFileSync(join(run.saveDir, 'index.jsonl'), saved.map((x) => `${JSON.stringify(x)}\n`).join(''));
  const seconds = (performance.now() - t0) / 1000;
  const report = {
    model: cascade.manifest.id,
    mode,
    prompts_kind: run.prompts,
    size: options.size!,
    variant: mode === 'cascade' ? (options.variant ?? 'standard') : undefined,
    ...(run.bestOf > 1 && { best_of: run.bestOf }),
    prompts: items.length,
    seconds_per_image: seconds / items.length,
    groups: Object.fromEntries([...groups].map(([g, t]) => [g, { prompts: t.prompts, ...rates(t) }])),
    overall: { prompts: all.prompts, ...rates(all) },
  };
  return { report, failures };
}

async function imagesFor(
  cascade: Cascade,
  mode: Mode,
  chunk: EvalItem[],
  options: Parameters<typeof planJob>[2],
  onStep: (stage: string, step: number, of: number) => void,
  bestOf = 1,
): Promise<RgbImage[]> {
  const size = options.size!;
  if (mode === 'vae') {
    // Real scenes, rendered, encoded and decoded: the autoencoder's ceiling.
    const imgs = chunk.map((it) => {
      const rng = new PortableNoise(it.seed, 0x9ace);
      const placed = sampleSceneLike(rng, it.scene);
      return render(placed, size);
    });
    const pixels = concatBatch(imgs.map((im) => tensor(toPixels(im), [1, 3, size, size])));
    const z = await cascade.family.vaeEncode(pixels);
    const out = await cascade.family.vaeDecode(z);
    return imgs.map((_, i) => fromPixels(out.data, size, size, i * 3 * size * size));
  }
  if (mode === 'single-stage') {
    const jobs = chunk.map((it) =>
      planSingleStage(cascade, it.prompt, { ...options, seed: it.seed, expand: !!it.stated }),
    );
    return (await generateSingleStage(cascade, jobs, (e) => onStep(e.stage, e.step, e.of))).map(
      (r) => r.image,
    );
  }
  if (mode === 'upscale') {
    // The drafts at the base's side, then each one's PNG through `baton upscale`'s own path.
    const base = cascade.manifest.base.resolution;
    const drafts = await imagesFor(cascade, 'cascade', chunk, { ...options, size: base }, onStep);
    const out: RgbImage[] = [];
    for (const [i, it] of chunk.entries()) {
      const png = (await decodeImage(encodePng(drafts[i]!)))!;
      out.push(await upscaleHere(cascade, png, { size, seed: it.seed, prompt: it.prompt, bestOf }));
    }
    return out;
  }
  const jobs: JobSpec[] = chunk.map((it) =>
    planJob(cascade, it.prompt, { ...options, seed: it.seed, expand: !!it.stated, bestOf }),
  );
  const results = await generateBatch(cascade, jobs, (e) => onStep(e.stage, e.step, e.of));
  return results.map((r) => r.image);
}

function printReport(report: {
  model: string;
  mode: string;
  prompts_kind: string;
  size: number;
  variant: string | undefined;
  prompts: number;
  seconds_per_image: number;
  groups: Record<string, unknown>;
  overall: unknown;
}) {
  console.log(
    `${report.model} · ${report.mode} · ${report.prompts_kind} prompts${report.variant ? ` · ${report.variant}` : ''} · ${report.size} px · ${report.prompts} prompts · ${report.seconds_per_image.toFixed(3)} s/image`,
  );
  console.log(`${'group'.padEnd(10)} ${ATTRS.map((a) => a.padStart(10)).join(' ')}`);
  for (const [g, r] of Object.entries({ ...report.groups, overall: report.overall })) {
    const row = r as Record<Attr, number | null>;
    console.log(
      `${g.padEnd(10)} ${ATTRS.map((a) => (row[a] === null ? '—' : `${(100 * row[a]).toFixed(1)} %`).padStart(10)).join(' ')}`,
    );
  }
}

/** Writes a wrongly judged image to the --failures directory (when given); returns its path. */
function saveImage(dir: string | undefined, index: number, image: RgbImage): string | null {
  if (dir === undefined) return null;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${String(index).padStart(4, '0')}.png`);
  writeFileSync(file, encodePng(image));
  return file;
}
