/** `baton generate`: prompt(s) → PNG file(s), in-process through the cascade. */

import { randomInt } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  BadRequestError,
  bestOfJson,
  type Cascade,
  expansionFor,
  generateBatch,
  generateSingleStage,
  type JobSpec,
  type ProgressEvent,
  planJob,
  planSingleStage,
  relayStages,
  type SavePreview,
  stagesOf,
} from '@baton/pipeline';
import { formatOfName } from '@baton/pipeline/formats';
import { encodePng } from '@baton/pipeline/image';
import { BOUNDS } from '@baton/pipeline/spec';
import { loadManifest, supportedSizes } from '@baton/runtime/manifest';
import { parseFlags } from './flags.ts';
import { asFileFormat } from './image-file.ts';
import { cliCascade, modelDir } from './model.ts';
import { Progress } from './progress.ts';
import { generateRemote, RemoteError, type RemoteJob, type RemoteResult, resolveApi } from './remote.ts';
import { choiceFlag, intFlag, SAMPLER_FLAGS, samplerOptions, UsageError } from './usage-error.ts';

export const GENERATE_USAGE = `Usage: baton generate "PROMPT" [options]
       baton generate --prompt-file FILE --out-dir DIR [options]

  --seed N              seed (0…${BOUNDS.seed.max}); random when omitted. Line i of a prompt file uses seed + i
  --out FILE.png        output file (default: baton-<seed>.png; PNG is the format Baton writes)
  --size 64|128|256|512 base only, then one relay per doubling (default 128; 512: three relays)
  --variant V           standard | distilled (default standard)
  --mode M              cascade (default) | single-stage: the family's one-pass 128 px model, for
                        side-by-side comparison (its own default steps and guidance; no relay flags)
  --steps-base N        base sampling steps (default from the model manifest)
  --steps-relay N       relay steps per relay stage (default from the model manifest)
  --cfg W               guidance scale for the base stage (default from the manifest)
  --cfg-relay W         guidance scale for the relay stages
  --no-expand           use the prompt verbatim as the caption
  --previews DIR        also write each stage's image as it is made: DIR/[LINE-]INDEX-STAGE.png
                        (64 px after the base, 128 after the first relay, …)
  --strict              refuse (exit 2) a prompt the expansion would ignore part of or could not honour;
                        without it such parts are said as "warning: …" lines on stderr
  --json                one JSON line per image: caption, warnings, seed, file, timings per stage
  --batch N             images per batched model call with --prompt-file (default 4)
  --best-of N           N candidates (1–8) drawn together to 128 px (this seed's base and N − 1 distilled
                        drafts, each relayed), scored against the caption by the domain's scorer; the best finished
  --api URL|local       send the job to a running stack instead of running it here; "local" is the one
                        npm start runs here. The key: BATON_API_KEY, else .baton/local-key for a local URL
  -v, --verbose         say more: the caption and seed beside each file, the runtime's execution provider`;

type LocalOptions = ReturnType<typeof samplerOptions> & {
  expand: boolean;
  strict: boolean;
  previews?: string;
  /** Candidates per prompt, the best kept by the domain's scorer (1: none). */
  bestOf: number;
};

export async function generateCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    {
      seed: { type: 'string' },
      out: { type: 'string' },
      'out-dir': { type: 'string' },
      'prompt-file': { type: 'string' },
      ...SAMPLER_FLAGS,
      'no-expand': { type: 'boolean' },
      strict: { type: 'boolean' },
      previews: { type: 'string' },
      'best-of': { type: 'string' },
      mode: { type: 'string' },
      json: { type: 'boolean' },
      verbose: { type: 'boolean', short: 'v' },
      batch: { type: 'string' },
      api: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help) {
    console.log(GENERATE_USAGE);
    return 0;
  }
  const { prompts, lines } = promptsOf(values, positionals);
  const seed = intFlag('seed', values.seed, BOUNDS.seed.min, BOUNDS.seed.max) ?? randomInt(0, 2 ** 31);
  if (seed + prompts.length - 1 > BOUNDS.seed.max)
    throw new UsageError(`--seed ${seed} + ${prompts.length} lines passes ${BOUNDS.seed.max}`);
  const options = {
    ...samplerOptions(values, supportedSizes(await loadManifest(modelDir()))),
    expand: !values['no-expand'],
    strict: !!values.strict,
    bestOf: intFlag('best-of', values['best-of'], BOUNDS.bestOf.min, BOUNDS.bestOf.max) ?? 1,
    ...(values.previews !== undefined && { previews: values.previews }),
  };
  if (values.out !== undefined && !formatOfName(values.out))
    throw new UsageError(`--out must name a .png, .jpg (.jpeg) or .webp file, but is "${values.out}"`);
  const batch = intFlag('batch', values.batch, 1, 64) ?? 4;
  const mode = choiceFlag('mode', values.mode, ['cascade', 'single-stage'] as const) ?? 'cascade';
  if (mode === 'single-stage') singleStageFlags(values, options);
  const files = prompts.map((_, i) =>
    values['out-dir'] !== undefined
      ? join(values['out-dir'], `${String(i).padStart(4, '0')}.png`)
      : (values.out ?? `baton-${seed}.png`),
  );
  if (values.api !== undefined) {
    return generateViaApi(resolveApi(values.api), prompts, files, seed, options, { ...values, lines });
  }
  return generateLocal(prompts, files, seed, options, { ...values, lines }, batch, mode);
}

/** --mode single-stage: one model at one resolution, so the cascade's own flags are refused by name. */
function singleStageFlags(values: Record<string, unknown>, options: LocalOptions): void {
  const refused = ['variant', 'steps-relay', 'cfg-relay', 'previews', 'api', 'best-of'].filter(
    (f) => values[f] !== undefined,
  );
  if (refused.length)
    throw new UsageError(`--mode single-stage has one stage and runs here: drop --${refused.join(', --')}`);
  if (options.size !== undefined && options.size !== 128)
    throw new UsageError(
      `--mode single-stage makes 128 px images (the single-stage model's size), not --size ${options.size}`,
    );
}

/** In-process: the cascade here, jobs batched `batch` at a time. */
async function generateLocal(
  prompts: string[],
  files: string[],
  seed: number,
  options: LocalOptions,
  values: { json?: boolean; verbose?: boolean; lines: number[] },
  batch: number,
  mode: 'cascade' | 'single-stage',
): Promise<number> {
  // The runtime's one line about its execution provider is for --verbose.
  const cascade = await cliCascade(
    values.verbose
      ? (l) =>
          process.stderr.write(`${JSON.stringify(l)}
`)
      : undefined,
  );
  if (options.strict) refuseUnclear(cascade, prompts, values.lines, seed, options.expand);
  const jobs: JobSpec[] = prompts.map((p, i) => {
    if (mode === 'single-stage') return planSingleStage(cascade, p, { ...options, seed: seed + i });
    const spec = planJob(cascade, p, { ...options, seed: seed + i });
    // --previews: every stage boundary's image (the relay decodes it for its hand-off anyway).
    return options.previews !== undefined
      ? { ...spec, previews: relayStages(cascade.manifest, spec.size) }
      : spec;
  });
  if (options.previews !== undefined) mkdirSync(options.previews, { recursive: true });
  for (const [i, j] of jobs.entries())
    warn(j.warnings ?? [], prompts.length > 1 ? values.lines[i] : undefined);
  const stages = mode === 'single-stage' ? ['single'] : stagesOf(cascade.manifest, jobs[0]!.size);
  const progress = new Progress();
  for (let start = 0; start < jobs.length; start += batch) {
    const chunk = jobs.slice(start, start + batch);
    const label = (stage: string) => (jobs.length > 1 ? `${start + 1}/${jobs.length} ${stage}` : stage);
    const save = previewWriter(options.previews, jobs.length > 1 ? start : undefined);
    const onProgress = (e: ProgressEvent) => progress.update(label(e.stage), e.step, e.of);
    const results =
      mode === 'single-stage'
        ? await generateSingleStage(cascade, chunk, onProgress)
        : await generateBatch(cascade, chunk, onProgress, save);
    progress.done();
    for (const [i, r] of results.entries()) {
      const file = files[start + i]!;
      mkdirSync(dirname(file) || '.', { recursive: true });
      writeFileSync(file, await asFileFormat(file, r.encoded));
      if (values.json) {
        console.log(
          JSON.stringify({
            file,
            prompt: r.spec.prompt,
            caption: r.spec.caption,
            warnings: r.spec.warnings ?? [],
            seed: r.spec.seed,
            size: r.spec.size,
            ...(mode === 'single-stage'
              ? { mode, steps: r.spec.stepsBase }
              : { variant: r.spec.variant, relay_stages: relayStages(cascade.manifest, r.spec.size) }),
            stages,
            timings_ms: Object.fromEntries(r.timings.map((t) => [t.stage, Math.round(t.ms * 10) / 10])),
            batch: chunk.length,
            ...(r.scored && { best_of: bestOfJson(r.scored) }),
          }),
        );
      } else if (values.verbose) {
        console.log(`${file}  (seed ${r.spec.seed}) ${r.spec.caption}`);
      } else console.log(file);
    }
  }
  return 0;
}

async function generateViaApi(
  api: ReturnType<typeof resolveApi>,
  prompts: string[],
  files: string[],
  seed: number,
  options: Omit<RemoteJob, 'prompt' | 'seed'>,
  flags: { json?: boolean; verbose?: boolean; previews?: string; lines: number[] },
): Promise<number> {
  const progress = new Progress();
  for (const [i, prompt] of prompts.entries()) {
    const r = await generateRemote(api, { ...options, prompt, seed: seed + i }, (stage, step, of) =>
      progress.update(prompts.length > 1 ? `${i + 1}/${prompts.length} ${stage}` : stage, step, of),
    );
    progress.done();
    warn(r.warnings, prompts.length > 1 ? flags.lines[i] : undefined);
    if (flags.previews !== undefined)
      await downloadPreviews(r.previews, flags.previews, prompts.length > 1 ? i : undefined);
    const file = files[i]!;
    mkdirSync(dirname(file) || '.', { recursive: true });
    writeFileSync(file, await asFileFormat(file, r.png));
    if (flags.json) {
      console.log(
        JSON.stringify({
          file,
          prompt,
          caption: r.caption,
          warnings: r.warnings,
          seed: r.seed,
          size: r.size,
          variant: r.variant,
          stages: r.stages,
          timings_ms: r.timings,
          job: r.id,
          api: api.url,
          ...(r.bestOf !== null && { best_of: r.bestOf }),
        }),
      );
    } else if (flags.verbose) {
      console.log(`${file}  (seed ${r.seed}, ${r.id}) ${r.caption}`);
    } else console.log(file);
  }
  return 0;
}

/** The API's preview links, saved to the --previews directory as the local path names them. */
async function downloadPreviews(previews: RemoteResult['previews'], dir: string, line: number | undefined) {
  mkdirSync(dir, { recursive: true });
  for (const p of previews) {
    const r = await fetch(p.url);
    if (!r.ok) throw new RemoteError(`downloading preview ${p.index}: HTTP ${r.status}`);
    const prefix = line !== undefined ? `${String(line).padStart(4, '0')}-` : '';
    writeFileSync(join(dir, `${prefix}${p.index}-${p.source}.png`), new Uint8Array(await r.arrayBuffer()));
  }
}

/** Writes partial images to the --previews directory: DIR/[LINE-]INDEX-STAGE.png. */
function previewWriter(dir: string | undefined, lineOffset: number | undefined): SavePreview | undefined {
  if (dir === undefined) return undefined;
  return async (job, slot, image) => {
    const line = lineOffset !== undefined ? `${String(lineOffset + job).padStart(4, '0')}-` : '';
    writeFileSync(join(dir, `${line}${slot.index}-${slot.label}.png`), encodePng(image));
  };
}

/** What the expansion ignored or could not honour: one `warning:` line each, on stderr. */
function warn(warnings: readonly string[], line?: number): void {
  for (const w of warnings) console.error(`warning: ${line !== undefined ? `line ${line}: ` : ''}${w}`);
}

/** --strict: a prompt with any part ignored or not honoured is refused, naming the words. */
function refuseUnclear(
  cascade: Cascade,
  prompts: string[],
  lines: number[],
  seed: number,
  expand: boolean,
): void {
  prompts.forEach((p, i) => {
    const e = expansionFor(cascade, p, seed + i, expand);
    if (!e.warnings.length) return;
    const where = prompts.length > 1 ? ` (line ${lines[i]})` : '';
    const words = e.words.length ? `${e.words.map((w) => `"${w}"`).join(', ')}: ` : '';
    throw new BadRequestError('prompt', `not understood${where}: ${words}${e.warnings.join('; ')}`);
  });
}

/**
 * The prompt, or a prompt file's lines: blank lines and `#` comments are skipped; `lines` are
 * the prompts' line numbers in the file (what warnings name).
 */
function promptsOf(
  values: { 'prompt-file'?: string; 'out-dir'?: string; out?: string },
  positionals: string[],
): { prompts: string[]; lines: number[] } {
  if (values['prompt-file'] !== undefined) {
    if (positionals.length > 0) throw new UsageError('give either a PROMPT or --prompt-file, not both');
    if (values['out-dir'] === undefined) throw new UsageError('--prompt-file needs --out-dir DIR');
    if (values.out !== undefined)
      throw new UsageError('--out is for a single prompt; use --out-dir with --prompt-file');
    let text: string;
    try {
      text = readFileSync(values['prompt-file'], 'utf8');
    } catch (e) {
      throw new UsageError(`cannot read --prompt-file ${values['prompt-file']}: ${(e as Error).message}`);
    }
    const kept = text
      .split(/\r?\n/)
      .map((l, i) => ({ l, line: i + 1 }))
      .filter(({ l }) => l.trim() !== '' && !l.trimStart().startsWith('#'));
    if (kept.length === 0) throw new UsageError(`--prompt-file ${values['prompt-file']} has no prompt line`);
    return { prompts: kept.map((k) => k.l), lines: kept.map((k) => k.line) };
  } else {
    if (positionals.length !== 1)
      throw new UsageError('give exactly one PROMPT (quote it), or --prompt-file FILE');
    if (values['out-dir'] !== undefined)
      throw new UsageError('--out-dir is for --prompt-file; use --out FILE.png');
    return { prompts: [positionals[0]!], lines: [1] };
  }
}
