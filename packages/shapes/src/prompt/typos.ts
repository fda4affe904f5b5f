/**
 * Typing slips in the words that matter most: "sqaure", "yelow", "midle", "backgound".
 * A word outside the vocabulary is read as one of vocabulary.json's `typo_targets` when it is
 * one slip away from exactly one of them: two neighbouring letters swapped, one letter
 * dropped or changed (targets of four letters or more), or one letter doubled or added.
 * English words that happen to be a slip away ("back", "mellow", "best") are listed in
 * `not_typos` (written by scripts/not-typos.ts from a dictionary) and are never corrected.
 * A correction is always reported ("read "sqaure" as "square""), never silent.
 */
import vocab from '../../vocabulary.json' with { type: 'json' };

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
/** The words a slip is read back to: the domain's plain colour, shape, size and place words. */
export const TYPO_TARGETS: readonly string[] = vocab.words.typo_targets;

/** Every string one slip away from `target`, by the rules above. */
export function slips(target: string): Set<string> {
  const out = new Set<string>();
  const n = target.length;
  for (let i = 0; i + 1 < n; i++)
    out.add(target.slice(0, i) + target[i + 1] + target[i] + target.slice(i + 2));
  if (n >= 4) for (let i = 0; i < n; i++) out.add(target.slice(0, i) + target.slice(i + 1));
  for (let i = 0; i <= n; i++) for (const c of LETTERS) out.add(target.slice(0, i) + c + target.slice(i));
  if (n >= 4)
    for (let i = 0; i < n; i++)
      for (const c of LETTERS) out.add(target.slice(0, i) + c + target.slice(i + 1));
  out.delete(target);
  return out;
}

function build(): Map<string, string> {
  const never = new Set(vocab.words.not_typos);
  const found = new Map<string, string | null>();
  for (const target of TYPO_TARGETS)
    for (const typed of slips(target)) {
      if (never.has(typed) || typed.length < 3) continue;
      const seen = found.get(typed);
      found.set(typed, seen === undefined || seen === target ? target : null); // ambiguous: none
    }
  return new Map([...found].filter((e): e is [string, string] => e[1] !== null));
}

let TYPOS: Map<string, string> | undefined;

/** The vocabulary word `word` is a slip of, if exactly one. */
export function correct(word: string): string | undefined {
  TYPOS ??= build();
  return TYPOS.get(word);
}
