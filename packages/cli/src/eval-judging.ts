/**
 * What `baton eval` judges: the prompts (canonical captions, short paraphrases or a file), and
 * the tally of verdicts by the shapes domain's judging rules (docs/shapes-domain.md).
 */
import { readFileSync } from 'node:fs';
import { PortableNoise } from '@baton/diffusion';
import {
  caption,
  detect,
  expandPrompt,
  judge,
  judgeStated,
  type PlacedObject,
  paraphrase,
  parseCaption,
  placeScene,
  type RgbImage,
  type Scene,
  type Stated,
  sampleScene,
} from '@baton/shapes';
import { UsageError } from './usage-error.ts';

export const ATTRS = ['background', 'count', 'colour', 'shape', 'size', 'position', 'aligned'] as const;
export type Attr = (typeof ATTRS)[number];

/** Hits and how many were judged, per attribute (a short prompt is judged only on what it states). */
export interface Tally {
  prompts: number;
  hits: Record<Attr, number>;
  judged: Record<Attr, number>;
}

const zeros = () => Object.fromEntries(ATTRS.map((a) => [a, 0])) as Record<Attr, number>;
export const tally = (): Tally => ({ prompts: 0, hits: zeros(), judged: zeros() });

/** One verdict: an attribute left undefined was not judged. */
type Judged = Partial<Record<Attr, boolean>>;

export function add(t: Tally, prompt: Judged, objects: Judged[]) {
  t.prompts++;
  for (const v of [prompt, ...objects]) {
    for (const [a, ok] of Object.entries(v) as [Attr, boolean | undefined][]) {
      if (ok === undefined) continue;
      t.judged[a]++;
      t.hits[a] += +ok;
    }
  }
}

export function rates(t: Tally) {
  return Object.fromEntries(ATTRS.map((a) => [a, t.judged[a] ? t.hits[a] / t.judged[a] : null])) as Record<
    Attr,
    number | null
  >;
}

/** A verdict as the tally counts it: the canonical judge's, or a short prompt's (stated attributes only). */
export function verdictOf(image: RgbImage, it: EvalItem): { prompt: Judged; objects: Judged[] } {
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

export function sampleSceneLike(rng: PortableNoise, scene: Scene): Scene<PlacedObject> {
  for (;;) {
    const placed = placeScene(rng, scene);
    if (placed) return placed;
  }
}

/** A prompt, the scene it asks for, and (short prompts) which of the scene's attributes it states. */
export type EvalItem = { prompt: string; scene: Scene; group: string; seed: number; stated?: Stated };

/** n short prompts per group: random scenes, said as people type them (the paraphrase grammar). */
export function shortItems(n: number, seed: number): EvalItem[] {
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
export function evalItems(promptFile: string | undefined, n: number, seed: number): EvalItem[] {
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
