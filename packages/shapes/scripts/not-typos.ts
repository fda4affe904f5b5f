/**
 * Writes vocabulary.json's `not_typos` and `not_joined` from a dictionary (one word a line):
 * - `not_typos`: English words one slip from a typo target, so the parser never "corrects" a
 *   real word ("back" is not "black", "mellow" is not "yellow"); the target's inflections
 *   ("blues", "reds") and clipped spellings ("blu") are still read as the target;
 * - `not_joined`: English words that would read as domain words run together ("upright" is not
 *   "up right"), so only non-words such as "redcircle" are split.
 * Run after changing `typo_targets` or the synonyms:
 *   npx tsx packages/shapes/scripts/not-typos.ts [/usr/share/dict/words]
 * (Debian: apt-get install wamerican.) Words the lexicon already knows need no entry.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { joined, lexiconWords } from '../src/prompt/tokens.ts';
import { slips } from '../src/prompt/typos.ts';

const file = new URL('../vocabulary.json', import.meta.url);
const vocab = JSON.parse(readFileSync(file, 'utf8'));
const dictionary = new Set(
  readFileSync(process.argv[2] ?? '/usr/share/dict/words', 'utf8')
    .split('\n')
    .map((w) => w.trim().toLowerCase())
    .filter((w) => /^[a-z]+$/.test(w)),
);
const known = lexiconWords();
const targets: string[] = vocab.words.typo_targets;
const found = new Set<string>();
for (const target of targets)
  for (const typed of slips(target)) {
    // "blues", "reds", "blu": the target's own inflections and clipped spellings stay corrections.
    const inflection = typed.startsWith(target) || target.startsWith(typed);
    if (dictionary.has(typed) && !known.has(typed) && !inflection) found.add(typed);
  }
vocab.words.not_typos = [...found].sort();
// "upright" is not "up right", "blacktop" not "black top": words run together are split only
// when they are not English words.
const joinedWords = [...dictionary].filter((w) => !known.has(w) && (joined(w)?.length ?? 0) > 1);
vocab.words.not_joined = joinedWords.sort();
writeFileSync(file, `${JSON.stringify(vocab, null, 2)}\n`);
console.log(`${found.size} English words are never read as typos, ${joinedWords.length} never split`);
