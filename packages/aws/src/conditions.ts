/** What a conditional write may require of an item, and what an update may do to it: structured, never expression text. */
/** Every clause must hold. */
export interface Clause {
  exists?: string[];
  notExists?: string[];
  equals?: Record<string, unknown>;
  /** path < value (numbers). */
  lessThan?: Record<string, number>;
  /** size(path) ≤ max: the number of keys of a map, members of a set, elements of a list. */
  sizeAtMost?: { path: string; max: number };
}
/** One clause, or any of several. */
export type Condition = Clause | { anyOf: Clause[] };

export interface Update {
  set?: Record<string, unknown>;
  /** Set only where the path has no value yet. */
  setIfAbsent?: Record<string, unknown>;
  /** Appends to a list (created when absent). */
  append?: Record<string, unknown[]>;
  /** Adds to a number (from 0 when absent). */
  add?: Record<string, number>;
  remove?: string[];
}
