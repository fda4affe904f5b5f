/**
 * Prompt expansion for the shapes domain: a short, loose prompt → a canonical caption.
 *
 * The prompt is parsed (prompt/parse.ts); every attribute it states is kept, every open one
 * is filled from the request's seed under the domain's rules, and whatever was ignored or
 * could not be honoured comes back as a warning (docs/shapes-domain.md, "Short prompts").
 */
import { PortableNoise } from '@baton/diffusion';
import { honourSizes, placeCells } from './prompt/cells.ts';
import { withDraft } from './prompt/draft.ts';
import { type Mention, type Parsed, type Problem, parsePrompt } from './prompt/parse.ts';
import { caption, pick, type Random, type Scene, type SceneObject } from './scene.ts';
import {
  CELL_CENTRES,
  CELLS,
  COLOURS,
  type Colour,
  JITTER,
  MARGIN,
  MAX_OBJECTS,
  SHAPES,
  SIZE_NAMES,
  SIZES,
} from './vocabulary.ts';

export interface Expansion {
  caption: string;
  scene: Scene;
  /** What the prompt stated and the caption keeps, by object. */
  kept: { background?: Colour; objects: Partial<SceneObject>[] };
  /** What the prompt left open and the seed chose. */
  filled: { background?: Colour; objects: Partial<SceneObject>[] };
  /** Words outside the vocabulary. */
  ignored: string[];
  /** Typing slips read as vocabulary words: reported, and refused by a strict request. */
  corrected: { typed: string; read: string }[];
  /** Parts understood but not drawable as stated. */
  unsatisfied: Problem[];
  /** One line per ignored or unhonoured part; empty when the caption says all the prompt did. */
  warnings: string[];
  /** The prompt's words behind the warnings (what a strict request names). */
  words: string[];
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** `draft`: another expander's caption (an LLM's), parsed back to fill what the prompt left open. */
export function expandPrompt(prompt: string, seed: number, draft?: string): Expansion {
  const key = prompt.trim().toLowerCase().replace(/\s+/g, ' ');
  const parsed = parsePrompt(prompt);
  const merged = draft === undefined ? parsed : withDraft(parsed, parsePrompt(draft));
  return resolve(merged, new PortableNoise(seed >>> 0, fnv1a(key)));
}

/** The domain's rules applied to what was parsed: at most 2 objects, distinct colours and cells. */
function constrain(p: Parsed): { mentions: Mention[]; background?: Colour; problems: Problem[] } {
  const problems = [...p.problems];
  let mentions = p.objects.map((m) => ({ ...m }));
  if (mentions.length > MAX_OBJECTS) {
    const words = mentions.flatMap((m) => m.words);
    problems.push({
      words: [...new Set(words)].join(' '),
      message: `asked for ${mentions.length + (p.unlisted ?? 0)} objects; the shapes domain draws at most ${MAX_OBJECTS}, so the first ${MAX_OBJECTS} were kept`,
    });
    mentions = mentions.slice(0, MAX_OBJECTS);
  }
  if (!mentions.length) mentions.push({ words: [] });
  const [a, b] = mentions;
  if (a && b && a.colour && a.colour === b.colour) {
    problems.push({
      words: a.colour,
      message: `two objects cannot share a colour (${a.colour}); the second one's colour came from the seed`,
    });
    delete b.colour;
  }
  let background = p.background;
  if (background && mentions.some((m) => m.colour === background)) {
    problems.push({
      words: p.backgroundWords ?? background,
      message: `an object and the background cannot both be ${background}; the background came from the seed`,
    });
    background = undefined;
  }
  return { mentions, ...(background && { background }), problems };
}

function resolve(p: Parsed, rng: Random): Expansion {
  const { mentions, background, problems } = constrain(p);
  const relations = p.relations.filter((r) => r.a < mentions.length && r.b < mentions.length && r.a !== r.b);
  honourSizes(mentions, relations, problems);
  const stated = mentions.map((m) => m.colour).filter(Boolean) as Colour[];
  const bg =
    background ??
    pick(
      rng,
      COLOURS.filter((c) => !stated.includes(c)),
    );
  let objects: SceneObject[] = [];
  for (let attempt = 0; attempt < 64; attempt++) {
    const cells = placeCells(rng, mentions, relations, attempt === 0 ? problems : []);
    objects = [];
    mentions.forEach((m, i) => {
      const taken = [bg, ...stated, ...objects.map((o) => o.colour)];
      objects.push({
        colour:
          m.colour ??
          pick(
            rng,
            COLOURS.filter((c) => !taken.includes(c)),
          ),
        shape: m.shape ?? pick(rng, SHAPES),
        size: m.size ?? pick(rng, SIZE_NAMES),
        cell: cells[i]!,
      });
    });
    // "the same size" with neither size stated: the seed's choice for the first holds for both.
    for (const r of relations)
      if (r.rel === 'same' && !mentions[r.b]!.size) objects[r.b]!.size = objects[r.a]!.size;
    if (feasible(objects)) break;
    if (attempt === 63)
      problems.push({
        // The words that made them too big or too close, so `strict` can name them.
        words: mentions.flatMap((m) => m.words).join(' '),
        message: 'the stated objects cannot both fit as described; kept them as stated',
      });
  }
  const scene: Scene = { background: bg, objects };
  const kept = split(scene, mentions, background !== undefined, true);
  const filled = split(scene, mentions, background !== undefined, false);
  const warnings = [
    ...(p.ignored.length
      ? [
          `ignored ${p.ignored.map((w) => `"${w}"`).join(', ')}: not in the shapes vocabulary (see baton vocab)`,
        ]
      : []),
    ...p.corrected.map((c) => `read "${c.typed}" as "${c.read}"`),
    ...problems.map((x) => x.message),
  ];
  const typed = p.corrected.map((c) => c.typed);
  const words = [
    ...new Set([...p.ignored, ...typed, ...problems.flatMap((x) => (x.words ? [x.words] : []))]),
  ];
  return {
    caption: caption(scene),
    scene,
    kept,
    filled,
    ignored: p.ignored,
    corrected: p.corrected,
    unsatisfied: problems,
    warnings,
    words,
  };
}

/** The scene's attributes the prompt stated (`stated`) or left open (`!stated`). */
function split(scene: Scene, mentions: Mention[], bgStated: boolean, stated: boolean) {
  return {
    ...(bgStated === stated && { background: scene.background }),
    objects: scene.objects.map((o, i) => {
      const m = mentions[i]!;
      const has = { colour: !!m.colour, shape: !!m.shape, size: !!m.size, cell: !!(m.v || m.h) && !m.corner };
      return Object.fromEntries(
        (Object.keys(has) as (keyof typeof has)[]).filter((k) => has[k] === stated).map((k) => [k, o[k]]),
      ) as Partial<SceneObject>;
    }),
  };
}

/** Whether some jitter keeps the two grown bounding boxes apart. */
export function feasible(objects: readonly SceneObject[]): boolean {
  const [a, b] = objects;
  if (!a || !b) return true;
  const ia = CELLS.indexOf(a.cell);
  const ib = CELLS.indexOf(b.cell);
  const gap = SIZES[a.size] / 2 + SIZES[b.size] / 2 + 2 * MARGIN;
  const step = CELL_CENTRES[1] - CELL_CENTRES[0];
  const dx = Math.abs((ia % 3) - (ib % 3)) * step + 2 * JITTER;
  const dy = Math.abs(Math.floor(ia / 3) - Math.floor(ib / 3)) * step + 2 * JITTER;
  return (ia % 3 !== ib % 3 && dx >= gap) || (Math.floor(ia / 3) !== Math.floor(ib / 3) && dy >= gap);
}
