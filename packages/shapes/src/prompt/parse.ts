/**
 * A deterministic parser for the shapes language. Objects are noun phrases —
 * [count] [a] modifiers* noun [place] — joined by "and", commas and relations; the
 * background is found first (background.ts). Every token is consumed or reported:
 * unknown words land in `ignored`, words understood but not drawable in `problems`.
 */
import { takeBackground } from './background.ts';
import { joinPhrases } from './join.ts';
import {
  applyPlace,
  clash,
  closingBackground,
  countAfter,
  describeGroup,
  extendPlace,
  hasPlace,
  type Mention,
  namedBy,
  namesAll,
  notDrawable,
  type Parsed,
  type Phrase,
  type Place,
  placeDescribed,
  placeLeftOver,
  takeTrailing,
  tooMany,
  upTo,
} from './mention.ts';
import { overObject, type Pending, readRelation, relationsTo, turn } from './relations.ts';
import {
  describedAhead,
  endsList,
  listAhead,
  PREDICATES,
  passOver,
  peek,
  placeListed,
  placeOrRelation,
  readEvery,
  STARTS_OBJECT,
  takeFields,
  takeNegation,
} from './scan.ts';
import { ARTICLES, PLACE_KINDS, type Token, tokenize } from './tokens.ts';

export type { Mention, Parsed, Problem } from './mention.ts';

const PLACE = new Set([...PLACE_KINDS, 'filler', 'frame', 'on']);

export function parsePrompt(prompt: string): Parsed {
  return new Parser(joinPhrases(tokenize(prompt))).parse();
}

class Parser {
  readonly out: Parsed = { objects: [], relations: [], ignored: [], corrected: [], problems: [] };
  private readonly used: boolean[];
  private i = 0;
  /** Modifiers of an object whose noun has not come yet. */
  private np: Phrase | null = null;
  private article = false;
  /** The article was "the": the noun may name an object already there ("…, the circle is red"). */
  private definite = false;
  /** Phrases closed by "and" before their noun: "a red and a blue circle". */
  private headless: Phrase[] = [];
  private count: { n: number; words: string } | null = null;
  private place: Place | null = null;
  /** A place read before its object: "top left: a red circle". */
  private placeBefore: Place | null = null;
  private relation: Pending | null = null;
  private every = false;
  /** Objects announced ("two shapes: …") that the rest of the prompt describes. */
  private placeholders: number[] = [];
  private last = -1;
  private lastHead = -2;
  /** The last noun came with no modifiers before it ("circle red left …": written noun first). */
  private bareHead = false;
  private npAt = -1; // where the modifiers in `np` began
  /** The objects the last noun made ("two circles"): bare words after it describe them in turn. */
  private group: number[] = [];
  /** Objects a count made ("two triangles") that no "a red one" has described yet. */
  private unnamed: number[] = [];
  /** Nothing but fillers since the last "and" or separator. */
  private clauseStart = true;

  constructor(private readonly t: readonly Token[]) {
    this.used = t.map(() => false);
  }

  parse(): Parsed {
    for (const t of this.t) if (t.read) this.out.corrected.push({ typed: t.text, read: t.read });
    takeFields(this.t, this.used);
    takeBackground(this.t, this.used, this.out);
    for (; this.i < this.t.length; this.i++) {
      if (this.used[this.i]) continue;
      const tok = placeOrRelation(this.t, this.used, this.i, this.last);
      if (this.place && !PLACE.has(tok.kind)) this.flushPlace(tok);
      this.step(tok);
      if (tok.kind === 'and' || tok.kind === 'sep') this.clauseStart = true;
      else if (!PLACE.has(tok.kind) && tok.kind !== 'every') this.clauseStart = false;
    }
    this.boundary();
    this.finish();
    return this.out;
  }

  private step(tok: Token): void {
    const k = tok.kind;
    if (k === 'unsupported' && tok.attr === 'style') this.problem(tok.text, notDrawable(tok.text, 'style'));
    else if (k === 'colour' || k === 'size' || (k === 'unsupported' && tok.attr !== 'shape'))
      this.modifier(tok);
    else if (k === 'shape' || k === 'generic' || k === 'unsupported') this.head(tok);
    else if (k === 'count' && tok.text === 'one' && this.np)
      this.head(tok); // "a blue one"
    else if (tok.text === 'another' && !this.np && this.last >= 0 && !describedAhead(this.t, this.i))
      this.head({ kind: 'count', n: 1, text: tok.text }); // "… and another at the bottom"
    else if (passOver(this.t, this.used, this.i, this.np, this.unnamed.length > 0)) {
      // a comma between modifiers, or "one" picking the next counted object
    } else if (k === 'count') this.count = { n: tok.n, words: tok.text };
    else if (k === 'many') {
      this.problem(tok.text, tooMany(tok.text));
      this.count = { n: 2, words: tok.text };
    } else if (PLACE_KINDS.has(k)) this.addPlace(tok);
    else if (k === 'relation') this.relate(tok);
    else if (k === 'on') this.on(tok);
    else if (k === 'and' || k === 'sep') this.boundary();
    else if (k === 'every') {
      const { every, tooMany: many, plain } = readEvery(this.t, this.used, this.i, this.out.objects);
      if (many) this.problem(tok.text, tooMany(tok.text));
      this.every = every;
      if (!every && !plain && tok.text === 'both') this.count = { n: 2, words: tok.text };
    } else if (k === 'negation') takeNegation(this.t, this.used, this.i, this.out);
    else if (k === 'unknown') this.unknown(tok);
    else if (k === 'filler' && ARTICLES.has(tok.text) && !this.np)
      [this.article, this.definite] = [true, tok.text === 'the'];
    else if (k === 'filler' && /^colou?r(ed)?$|^shade$|^hue$/.test(tok.text))
      this.article = this.definite = false; // "in the colour red"
    else if (k === 'filler' && /^(colou?rs|sizes)$/.test(tok.text)) this.group = [...this.out.objects.keys()]; // "…; colours: red and blue": the objects in turn
    // Frame words, and "background" without a colour: understood, nothing to draw.
  }

  private problem(words: string, message: string): void {
    this.out.problems.push({ words, message });
  }

  private modifier(tok: Token): void {
    if (this.every) {
      for (const o of this.out.objects) this.setAttr(o, tok);
      return;
    }
    if (this.np && clash(this.np, tok)) this.boundary();
    if (!this.np) this.npAt = this.i;
    this.np ??= this.phrase();
    this.setAttr(this.np, tok);
  }

  /** A new phrase, marked with the article before it. */
  private phrase(): Phrase {
    return { words: [], ...(this.article && { article: true }), ...(this.definite && { definite: true }) };
  }

  private setAttr(m: Mention, tok: Token): void {
    m.words.push(tok.text);
    if (tok.kind === 'colour') m.colour = tok.colour;
    else if (tok.kind === 'size') m.size = tok.size;
    else if (tok.kind === 'unsupported') this.problem(tok.text, notDrawable(tok.text, tok.attr));
  }

  /** A noun ends its phrase. "a round shape", "a square box": one noun. */
  private head(tok: Token): void {
    if ((tok.kind === 'generic' || tok.kind === 'shape') && this.lastHead === this.i - 1 && !this.np) return;
    if (this.definite && !this.np && !this.count && namesAll(this.out.objects, tok)) {
      this.every = true; // "…; the shapes are small"
      return;
    }
    // "circle red left square blue right": modifiers straight after a bare noun are that noun's.
    const after = this.bareHead && this.npAt === this.lastHead + 1;
    if (this.np && takeTrailing(this.out.objects[this.last], this.np, after)) this.np = null;
    const base = this.np ?? this.phrase();
    this.bareHead = !this.np && !this.count;
    this.np = null;
    this.article = this.definite = false;
    base.words.push(tok.text);
    if (tok.kind === 'shape') base.shape = tok.shape;
    else if (tok.kind === 'unsupported') this.problem(tok.text, notDrawable(tok.text, 'shape'));
    else if (tok.kind === 'count') base.shape = this.out.objects[this.last]?.shape; // "a blue one"
    this.lastHead = this.i;
    // "…, the circle is red"; with both objects said, "…, the circle on the left", "…, circle left".
    const predicate = base.definite && PREDICATES.has(this.t[this.i + 1]?.text ?? '');
    const indefinite = base.article && !base.definite; // "a circle" is a new one
    const one =
      !tok.plural && !this.count && !indefinite && !this.headless.length && !this.placeholders.length;
    const named = one && (predicate || this.out.objects.length >= 2) ? namedBy(this.out.objects, base) : -1;
    if (named >= 0 || (tok.kind === 'count' && this.unnamed.length)) {
      this.describe(named >= 0 ? named : this.unnamed.shift()!, base);
      return;
    }
    const shared = this.headless.splice(0);
    for (const h of shared) if (!h.shape && base.shape) h.shape = base.shape;
    // "small yellow and black orbs": a size said once holds for the whole list.
    const size = [...shared, base].find((m) => m.size)?.size;
    if (tok.plural && size) for (const m of [...shared, base]) m.size ??= size;
    if (this.count) base.words.unshift(this.count.words);
    const n = this.count?.n ?? (tok.plural ? Math.max(2, shared.length + 1) : 1);
    this.count = null;
    const bare = base.colour === undefined && base.size === undefined && base.words.length <= 2;
    if (tok.kind === 'generic' && tok.plural && !shared.length && bare) {
      // "two shapes: …" announces objects the rest describes.
      this.lastHead = -2;
      for (let k = 0, cap = upTo(this.out, n); k < cap; k++)
        this.placeholders.push(this.out.objects.push({ words: [tok.text] }) - 1);
      return;
    }
    const mentions: Mention[] = [...shared, base];
    for (const cap = upTo(this.out, n); mentions.length < cap; )
      mentions.push({ ...base, words: [...base.words] });
    // "a circle top left, another bottom right, one red one blue": the two are described in turn.
    const before = tok.text === 'another' && !base.colour && this.last >= 0 ? [this.last] : [];
    this.group = mentions.map((m) => this.add(m));
    this.unnamed = (!shared.length && mentions.length > 1) || before.length ? [...before, ...this.group] : [];
  }

  /** "two triangles, a red one on the left and …": the phrase describes the next of them. */
  private describe(k: number, m: Phrase): void {
    const o = this.out.objects[k]!;
    if (m.colour !== undefined) o.colour = m.colour;
    if (m.size !== undefined) o.size = m.size;
    o.words.push(...m.words);
    if (placeDescribed(o, m, this.placeBefore)) this.placeBefore = null;
    this.last = k;
    this.group = [k]; // what follows ("… one in the upper left", "…, large") is this one's
  }

  private add(m: Mention): number {
    const { article: _, definite: __, ...mention } = m as Phrase;
    if (this.placeBefore && !hasPlace(mention)) applyPlace(mention, this.placeBefore);
    this.placeBefore = null;
    const slot = this.placeholders.shift();
    if (slot !== undefined) Object.assign(this.out.objects[slot]!, mention, { words: mention.words });
    else this.out.objects.push(mention);
    const index = slot ?? this.out.objects.length - 1;
    const r = this.relation;
    // Said before both objects ("left of a square, a circle"): the circle is left of this one.
    this.relation = r?.a === -1 ? { ...turn(r), a: index, words: r.words } : null;
    if (r && r.a >= 0) this.out.relations.push(...relationsTo(r, index));
    this.last = index;
    return index;
  }

  private addPlace(tok: Token): void {
    this.place ??= { words: [], ...(this.clauseStart && { opensClause: true }) };
    if (extendPlace(this.place, tok)) return;
    // "two circles, left right": places listed without a separator.
    this.flushPlace(tok);
    this.addPlace(tok);
  }

  /**
   * A place describes the object before it ("a circle top left, …"), unless it opens a clause
   * and leads into the next object ("…; top left: a circle", "… and on the right a square").
   */
  private flushPlace(next?: Token): void {
    const p = this.place;
    this.place = null;
    if (!p) return;
    // "both at the top"; "two triangles: red left, blue right", "circle, tiny, top right": a place
    // straight after bare modifiers is theirs (not when another place follows: "… red blue left right").
    const np = this.np;
    const theirs =
      np && !p.opensClause && !this.headless.length && !hasPlace(np) && !PLACE_KINDS.has(next?.kind ?? '');
    const to = this.every ? this.out.objects : theirs ? [np] : [];
    for (const m of to) applyPlace(m, p);
    if (to.length) return;
    // "a square and a circle, left and right": places listed after the objects go to them in order.
    const inOrder = placeListed(this.t, this.used, this.i) ? [...this.out.objects.keys()] : this.group;
    const unplaced = inOrder.length > 1 ? inOrder.find((k) => !hasPlace(this.out.objects[k]!)) : undefined;
    const last = this.out.objects[unplaced ?? this.last];
    const leads = p.opensClause && !!next && (STARTS_OBJECT.has(next.kind) || next.text === ':');
    if (last && !hasPlace(last) && !this.np && !this.headless.length && !leads) applyPlace(last, p);
    else if (this.placeBefore) this.problem(p.words.join(' '), `no object for "${p.words.join(' ')}"`);
    else this.placeBefore = p;
  }

  /** "left of a square", "… and a square below it", "and, below it, a square" / "above it a circle" (turned round). */
  private relate(tok: Token & { kind: 'relation' }): void {
    const r = readRelation(this.t, this.used, this.i, this.last);
    if (r.problem) this.problem(tok.text, r.problem);
    if (r.pending) this.relation = r.pending;
    this.out.relations.push(...(r.now ?? []));
  }

  /** "on the left" (a place), "a circle over a square" (a relation); "on white" was the background. */
  private on(tok: Token): void {
    if (!this.np && overObject(this.t, this.used, this.i, this.last))
      this.relation = { rel: 'above', a: this.last, words: tok.text };
  }

  private unknown(tok: Token): void {
    this.out.ignored.push(tok.text);
    const next = peek(this.t, this.used, this.i + 1);
    // "a red cat": an unknown noun where the noun belongs still ends its object.
    if (this.np && (!next || !STARTS_OBJECT.has(next.kind))) {
      const base = this.np;
      this.np = null;
      this.article = this.definite = false;
      this.lastHead = this.i;
      const shared = this.headless.splice(0);
      this.group = [...shared, base].map((m) => this.add(m));
    }
  }

  /** The end of a clause: a comma, "and", or the end of the prompt. */
  private boundary(): void {
    this.flushPlace();
    this.every = false;
    const m = this.np;
    this.np = null;
    this.article = this.definite = false;
    if (!m) return;
    // A modifier that ended the phrase ("two circles red blue") starts the list itself.
    const here = this.t[this.i]?.kind === 'colour' || this.t[this.i]?.kind === 'size' ? this.i - 1 : this.i;
    const listed = listAhead(this.t, this.used, here, m);
    // A list goes to the objects not yet described, in turn ("…, another on the right, red and blue").
    const group =
      listed && this.unnamed.length > 1 ? this.unnamed : this.group.length ? this.group : [this.last];
    const took = !m.article && !this.headless.length ? describeGroup(this.out.objects, group, m, listed) : [];
    if (took.length) {
      if (took.length === 1) this.unnamed = this.unnamed.filter((k) => k !== took[0]);
    } else if ((!m.article || m.definite) && this.unnamed.length)
      this.describe(this.unnamed.shift()!, m); // "two circles, one red one blue", "…, the other blue"
    else this.headless.push(m);
  }

  private finish(): void {
    // "red circle top left white": a colour alone at the end, that no object can take, is the background.
    const [end] = this.headless;
    if (this.headless.length === 1 && closingBackground(end!, this.out, endsList(this.t, this.used)))
      this.headless = [];
    for (const m of this.headless.splice(0)) this.add(m);
    if (this.count) countAfter(this.out, this.last, this.group.length, this.count);
    if (this.placeBefore) placeLeftOver(this.out, this.last, this.placeBefore);
    if (this.relation) this.problem(this.relation.words, `"${this.relation.words}" has no object after it`);
  }
}
