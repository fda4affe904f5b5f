/**
 * `baton eval`: prompt alignment by the shapes domain's judging rules
 * (docs/shapes-domain.md), independent of the training code.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { concatBatch, PortableNoise, tensor } from '@baton/diffusion';
import {
  type Cascade,
  defaultCascade,
  generateBatch,
  generateSingleStage,
  type JobSpec,
  modelDir,
  planJob,
  planSingleStage,
} from '@baton/pipeline';
import { loadManifest, supportedSizes } from '@baton/runtime/manifest';
import {
  caption,
  detect,
  encodePng,
  expandPrompt,
  fromPixels,
  judge,
  judgeStated,
  type PlacedObject,
  paraphrase,
  parseCaption,
  placeScene,
  type RgbImage,
  render,
  type Scene,
  type Stated,
  sampleScene,
  shapesDomain,
  toPixels,
} from '@baton/shapes';
import { parseFlags } from './flags.ts';
import { Progress } from './progress.ts';
import { choiceFlag, intFlag, SAMPLER_FLAGS, samplerOptions, UsageError } from './usage-error.ts';

export const EVAL_USAGE = `Usage: baton eval [options]

  --n N                 captions per group (one-object and two-object; default 200)
  --prompts P           canonical (default): captions in the training grammar, every attribute judged;
                        short: the same scenes said as people type them (synonyms, lists, relations, omissions),
                        expanded, and judged only on what each prompt states
  --prompt-file FILE    judge these prompts instead (expanded with seed + i)
  --size 64…512         output size (default 128)
  --variant V           standard | distilled (default standard)
  --mode M              cascade (default) | single-stage (the 128 px one-pass model) | vae (reconstructions of real scenes)
  --steps-base N, --steps-relay N, --cfg W, --cfg-relay W   sampler settings (defaults from the manifest)
  --seed N              seed for the captions and the images (default 0)
  --batch N             images per batched call (default 8)
  --failures DIR        write each image judged wrong to DIR and list it with its prompt
  --json                print the report as JSON`;

const ATTRS = ['background', 'count', 'colour', 'shape', 'size', 'position', 'aligned'] as const;
type Attr = (typeof ATTRS)[number];

/** Hits and how many were judged, per attribute (a short prompt is judged only on what it states). */
interface Tally {
  prompts: number;
  hits: Record<Attr, number>;
  judged: Record<Attr, number>;
}

const zeros = () => Object.fromEntries(ATTRS.map((a) => [a, 0])) as Record<Attr, number>;
const tally = (): Tally => ({ prompts: 0, hits: zeros(), judged: zeros() });

/** One verdict: an attribute left undefined was not judged. */
type Judged = Partial<Record<Attr, boolean>>;

function add(t: Tally, prompt: Judged, objects: Judged[]) {
  t.prompts++;
  for (const v of [prompt, ...objects]) {
    for (const [a, ok] of Object.entries(v) as [Attr, boolean | undefined][]) {
      if (ok === undefined) continue;
      t.judged[a]++;
      t.hits[a] += +ok;
    }
  }
}

function rates(t: Tally) {
  return Object.fromEntries(ATTRS.map((a) => [a, t.judged[a] ? t.hits[a] / t.judged[a] : null])) as Record<
    Attr,
    number | null
  >;
}

/** A verdict as the tally counts it: the canonical judge's, or a short prompt's (stated attributes only). */
function verdictOf(image: RgbImage, it: EvalItem): { prompt: Judged; objects: Judged[] } {
  if (!it.stated) {
    const v = judge(image, it.scene);
    return { prompt: { background: v.background, count: v.count, aligned: v.aligned }, objects: v.objects };
  }
  const v = judgeStated(detect(image), { scene: it.scene, stated: it.stated });
  return {
    prompt: { background: v.background, count: v.count, aligned: v.aligned },
    objects: v.objects.map(({ cell, ...o }) => ({ ...o, ...(cell !== undefined && { position: cell }) })),
  };
}

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
      json: { type: 'boolean' },
      failures: { type: 'string' },
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
  const mode = choiceFlag('mode', values.mode, ['cascade', 'single-stage', 'vae'] as const) ?? 'cascade';
  const options = samplerOptions(values, supportedSizes(await loadManifest(modelDir())));
  const cascade = await defaultCascade(shapesDomain, { log: () => {} });
  const prompts = choiceFlag('prompts', values.prompts, ['canonical', 'short'] as const) ?? 'canonical';
  if (prompts === 'short' && values['prompt-file'] !== undefined)
    throw new UsageError('--prompts short makes its own prompts; drop --prompt-file');
  const items = prompts === 'short' ? shortItems(n, seed) : evalItems(values['prompt-file'], n, seed);
  const size =
    mode === 'single-stage' ? (cascade.manifest.single_stage?.resolution ?? 128) : (options.size ?? 128);
  const progress = new Progress();
  const groups = new Map<string, Tally>();
  const all = tally();
  const t0 = performance.now();
  const failures: { prompt: string; file: string | null }[] = [];
  for (let start = 0; start < items.length; start += batch) {
    const chunk = items.slice(start, start + batch);
    // The count says how many are judged; the bar, how far the batch in hand is.
    const images = await imagesFor(cascade, mode, chunk, { ...options, size }, (s, k, of) =>
      progress.update(`${start}/${items.length} judged, ${s}`, k, of),
    );
    chunk.forEach((it, i) => {
      const v = verdictOf(images[i]!, it);
      if (!groups.has(it.group)) groups.set(it.group, tally());
      add(groups.get(it.group)!, v.prompt, v.objects);
      add(all, v.prompt, v.objects);
      if (!v.prompt.aligned)
        failures.push({ prompt: it.prompt, file: saveFailure(values.failures, start + i, images[i]!) });
    });
  }
  progress.done();
  const seconds = (performance.now() - t0) / 1000;
  const report = {
    model: cascade.manifest.id,
    mode,
    prompts_kind: prompts,
    size,
    variant: mode === 'cascade' ? (options.variant ?? 'standard') : undefined,
    prompts: items.length,
    seconds_per_image: seconds / items.length,
    groups: Object.fromEntries([...groups].map(([g, t]) => [g, { prompts: t.prompts, ...rates(t) }])),
    overall: { prompts: all.prompts, ...rates(all) },
  };
  if (values.json)
    console.log(JSON.stringify({ ...report, ...(values.failures !== undefined && { failures }) }));
  else {
    printReport(report);
    if (values.failures !== undefined) {
      console.log(`\n${failures.length} judged wrong (images in ${values.failures}):`);
      for (const f of failures) console.log(`  ${f.file}  ${f.prompt}`);
    }
  }
  return 0;
}

async function imagesFor(
  cascade: Cascade,
  mode: 'cascade' | 'single-stage' | 'vae',
  chunk: EvalItem[],
  options: Parameters<typeof planJob>[2],
  onStep: (stage: string, step: number, of: number) => void,
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
  const jobs: JobSpec[] = chunk.map((it) =>
    planJob(cascade, it.prompt, { ...options, seed: it.seed, expand: !!it.stated }),
  );
  const results = await generateBatch(cascade, jobs, (e) => onStep(e.stage, e.step, e.of));
  return results.map((r) => r.image);
}

function sampleSceneLike(rng: PortableNoise, scene: Scene): Scene<PlacedObject> {
  for (;;) {
    const placed = placeScene(rng, scene);
    if (placed) return placed;
  }
}

/** A prompt, the scene it asks for, and (short prompts) which of the scene's attributes it states. */
type EvalItem = { prompt: string; scene: Scene; group: string; seed: number; stated?: Stated };

/** n short prompts per group: random scenes, said as people type them (the paraphrase grammar). */
function shortItems(n: number, seed: number): EvalItem[] {
  const rng = new PortableNoise(seed, 0x5407);
  const items: EvalItem[] = [];
  for (const k of [1, 2] as const) {
    for (let i = 0; i < n; i++) {
      const p = paraphrase(rng, sampleScene(rng, k));
      items.push({
        prompt: p.prompt,
        scene: p.scene,
        stated: p.stated,
        group: `${k}-object`,
        seed: seed + items.length,
      });
    }
  }
  return items;
}

/** The prompts and the scenes they ask for: a prompt file's lines, or n random captions per group. */
function evalItems(promptFile: string | undefined, n: number, seed: number): EvalItem[] {
  const items: EvalItem[] = [];
  if (promptFile !== undefined) {
    let lines: string[];
    try {
      lines = readFileSync(promptFile, 'utf8')
        .split(/\r?\n/)
        .filter((l) => l.trim());
    } catch (e) {
      throw new UsageError(`cannot read --prompt-file ${promptFile}: ${(e as Error).message}`);
    }
    lines.forEach((p, i) => {
      const scene = parseCaption(p) ?? expandPrompt(p, seed + i).scene;
      items.push({ prompt: caption(scene), scene, group: `${scene.objects.length}-object`, seed: seed + i });
    });
  } else {
    const rng = new PortableNoise(seed, 0x5eed);
    for (const k of [1, 2] as const) {
      for (let i = 0; i < n; i++) {
        const scene = sampleScene(rng, k);
        items.push({ prompt: caption(scene), scene, group: `${k}-object`, seed: seed + items.length });
      }
    }
  }

  return items;
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
function saveFailure(dir: string | undefined, index: number, image: RgbImage): string | null {
  if (dir === undefined) return null;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${String(index).padStart(4, '0')}.png`);
  writeFileSync(file, encodePng(image));
  return file;
}
