/**
 * A StateTable in this process's memory, with DynamoDB's semantics for what the code uses:
 * a condition and its update are one synchronous step (atomic, as in DynamoDB), a map key
 * is set only inside an existing map, queries come back in sort-key order, one page at a time.
 * For unit tests and one-process tools; the local stack runs a DynamoDB-compatible server.
 */
import {
  type Clause,
  type Condition,
  expired,
  INDEXES,
  type Item,
  type ItemKey,
  type QueryInput,
  type StateTable,
  type Update,
} from './state-table.ts';

/** What DynamoDB answers for a path into a map that does not exist. */
export class ValidationError extends Error {
  override readonly name = 'ValidationException';
}

type Doc = Record<string, unknown>;

const id = (k: ItemKey) => `${k.pk}\u0000${k.sk}`;
const PAGE = 1000;

function read(item: Doc | undefined, path: string): unknown {
  let v: unknown = item;
  for (const seg of path.split('.')) v = v && typeof v === 'object' ? (v as Doc)[seg] : undefined;
  return v;
}

/** The map holding the path's last segment (which must exist, as in DynamoDB), and that segment. */
function parent(item: Doc, path: string): [Doc, string] {
  const segs = path.split('.');
  const last = segs.pop()!;
  let v: unknown = item;
  for (const seg of segs) v = v && typeof v === 'object' ? (v as Doc)[seg] : undefined;
  if (!v || typeof v !== 'object' || Array.isArray(v))
    throw new ValidationError('The document path provided in the update expression is invalid for update');
  return [v as Doc, last];
}

function sizeOf(v: unknown): number {
  if (Array.isArray(v) || typeof v === 'string') return v.length;
  if (v instanceof Set) return v.size;
  if (v && typeof v === 'object') return Object.keys(v).length;
  return Number.NaN;
}

function holds(item: Doc | undefined, c: Clause): boolean {
  return (
    (c.exists ?? []).every((p) => read(item, p) !== undefined) &&
    (c.notExists ?? []).every((p) => read(item, p) === undefined) &&
    Object.entries(c.equals ?? {}).every(([p, v]) => JSON.stringify(read(item, p)) === JSON.stringify(v)) &&
    Object.entries(c.lessThan ?? {}).every(([p, v]) => {
      const x = read(item, p);
      return typeof x === 'number' && x < v;
    }) &&
    (!c.sizeAtMost || sizeOf(read(item, c.sizeAtMost.path)) <= c.sizeAtMost.max)
  );
}

function satisfied(item: Doc | undefined, c: Condition | undefined): boolean {
  if (!c) return true;
  return 'anyOf' in c ? c.anyOf.some((x) => holds(item, x)) : holds(item, c);
}

function apply(item: Doc, u: Update): void {
  for (const [p, v] of Object.entries(u.set ?? {})) {
    const [m, k] = parent(item, p);
    m[k] = structuredClone(v);
  }
  for (const [p, v] of Object.entries(u.setIfAbsent ?? {})) {
    const [m, k] = parent(item, p);
    if (m[k] === undefined) m[k] = structuredClone(v);
  }
  for (const [p, v] of Object.entries(u.append ?? {})) {
    const [m, k] = parent(item, p);
    m[k] = [...((m[k] as unknown[] | undefined) ?? []), ...structuredClone(v)];
  }
  for (const [p, v] of Object.entries(u.add ?? {})) {
    const [m, k] = parent(item, p);
    m[k] = ((m[k] as number | undefined) ?? 0) + v;
  }
  for (const p of u.remove ?? []) {
    const [m, k] = parent(item, p);
    delete m[k];
  }
}

export class MemoryStateTable implements StateTable {
  readonly items = new Map<string, Item>();

  constructor(private readonly now: () => number = Date.now) {}

  private live(key: ItemKey): Item | undefined {
    const item = this.items.get(id(key));
    return item && !expired(item, this.now()) ? item : undefined;
  }

  async get(key: ItemKey): Promise<Item | null> {
    const item = this.live(key);
    return item ? structuredClone(item) : null;
  }

  async put(item: Item, condition?: Condition): Promise<boolean> {
    if (!satisfied(this.live(item), condition)) return false;
    this.items.set(id(item), structuredClone(item));
    return true;
  }

  async update(key: ItemKey, update: Update, condition?: Condition): Promise<Item | null> {
    const old = this.live(key);
    if (!satisfied(old, condition)) return null;
    // On a copy: an update that fails part-way (a path into a missing map) changes nothing.
    const next = structuredClone(old ?? { pk: key.pk, sk: key.sk });
    apply(next, update);
    this.items.set(id(key), next);
    return structuredClone(next);
  }

  async delete(key: ItemKey): Promise<void> {
    this.items.delete(id(key));
  }

  async query(q: QueryInput): Promise<{ items: Item[]; next?: string }> {
    const names = q.index ? INDEXES[q.index] : { pk: 'pk', sk: 'sk' };
    const now = this.now();
    const sortKey = (i: Item) => String(i[names.sk]);
    const matching = [...this.items.values()]
      .filter(
        (i) =>
          i[names.pk] === q.pk &&
          i[names.sk] !== undefined &&
          (!q.prefix || sortKey(i).startsWith(q.prefix)) &&
          (!q.between || (sortKey(i) >= q.between[0] && sortKey(i) <= q.between[1])) &&
          !expired(i, now),
      )
      .sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
    if (q.descending) matching.reverse();
    const from = q.after ? Number(q.after) : 0;
    const size = Math.min(q.limit ?? PAGE, PAGE);
    // An index projects keys only, as the table's do (table-definition.ts).
    const project = (i: Item): Item =>
      q.index
        ? ({ pk: i.pk, sk: i.sk, [names.pk]: i[names.pk], [names.sk]: i[names.sk] } as Item)
        : structuredClone(i);
    const page = matching.slice(from, from + size).map(project);
    const next = from + size < matching.length ? String(from + size) : undefined;
    return next ? { items: page, next } : { items: page };
  }
}
