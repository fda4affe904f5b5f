/**
 * Another expander's caption (an LLM's), read back with the same parser: it may fill what the
 * prompt left open, never change what the prompt stated, and whatever of it the shapes grammar
 * cannot express is a warning, not a silent change.
 */
import type { Mention, Parsed } from './mention.ts';

const ATTRS = ['colour', 'shape', 'size', 'v', 'h', 'corner'] as const;

export function withDraft(prompt: Parsed, draft: Parsed): Parsed {
  const out: Parsed = {
    ...prompt,
    objects: prompt.objects.map((o) => ({ ...o })),
    relations: [...prompt.relations],
    problems: [...prompt.problems],
  };
  const said = (what: string) => ({ words: '', message: `the expander's caption ${what}` });
  if (draft.ignored.length)
    out.problems.push(
      said(`has words the model cannot draw: ${draft.ignored.map((w) => `"${w}"`).join(', ')}`),
    );
  if (draft.corrected.length)
    out.problems.push(said(`has misspellings: ${draft.corrected.map((c) => `"${c.typed}"`).join(', ')}`));
  for (const p of draft.problems) out.problems.push(said(`: ${p.message}`));
  if (!out.objects.length) out.objects = draft.objects.map((o) => ({ ...o }));
  else if (draft.objects.length !== out.objects.length)
    out.problems.push(said(`has ${draft.objects.length} objects; kept the prompt's ${out.objects.length}`));
  for (const [i, o] of out.objects.entries()) fill(o, draft.objects[i], i, out);
  if (out.background === undefined && draft.background !== undefined) out.background = draft.background;
  else if (draft.background !== undefined && draft.background !== out.background)
    out.problems.push(
      said(`changed the background to ${draft.background}; kept the prompt's ${out.background}`),
    );
  if (!out.relations.length)
    out.relations = draft.relations.filter((r) => r.a < out.objects.length && r.b < out.objects.length);
  return out;
}

function fill(o: Mention, d: Mention | undefined, i: number, out: Parsed): void {
  if (!d) return;
  const placed = o.v !== undefined || o.h !== undefined || o.corner;
  for (const k of ATTRS) {
    if ((k === 'v' || k === 'h' || k === 'corner') && placed) continue;
    const mine = o[k];
    const theirs = d[k];
    if (theirs === undefined) continue;
    if (mine === undefined) Object.assign(o, { [k]: theirs });
    else if (mine !== theirs)
      out.problems.push({
        words: '',
        message: `the expander's caption changed object ${i + 1}'s ${k} to ${theirs}; kept the prompt's ${mine}`,
      });
  }
}
