/**
 * The state table's structured conditions and updates (state-table.ts) as DynamoDB expressions,
 * every attribute name and value a placeholder (`#n0`, `:v1`): nothing a caller passes is ever
 * read as expression syntax.
 */
import type { Clause, Condition, Update } from './conditions.ts';

/** Builds DynamoDB expressions: every name and value a placeholder. */
export class Expressions {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};
  private readonly placeholders = new Map<string, string>();
  private n = 0;

  path(p: string): string {
    return p
      .split('.')
      .map((seg) => {
        let k = this.placeholders.get(seg);
        if (!k) {
          k = `#n${this.n++}`;
          this.placeholders.set(seg, k);
          this.names[k] = seg;
        }
        return k;
      })
      .join('.');
  }

  value(v: unknown): string {
    const k = `:v${this.n++}`;
    this.values[k] = v;
    return k;
  }

  clause(c: Clause): string {
    const parts = [
      ...(c.exists ?? []).map((p) => `attribute_exists(${this.path(p)})`),
      ...(c.notExists ?? []).map((p) => `attribute_not_exists(${this.path(p)})`),
      ...Object.entries(c.equals ?? {}).map(([p, v]) => `${this.path(p)} = ${this.value(v)}`),
      ...Object.entries(c.lessThan ?? {}).map(([p, v]) => `${this.path(p)} < ${this.value(v)}`),
      ...(c.sizeAtMost ? [`size(${this.path(c.sizeAtMost.path)}) <= ${this.value(c.sizeAtMost.max)}`] : []),
    ];
    return parts.length ? parts.join(' AND ') : 'attribute_exists(pk) OR attribute_not_exists(pk)';
  }

  condition(c: Condition): string {
    return 'anyOf' in c ? c.anyOf.map((x) => `(${this.clause(x)})`).join(' OR ') : this.clause(c);
  }

  update(u: Update): string {
    const set = [
      ...Object.entries(u.set ?? {}).map(([p, v]) => `${this.path(p)} = ${this.value(v)}`),
      ...Object.entries(u.setIfAbsent ?? {}).map(([p, v]) => {
        const path = this.path(p);
        return `${path} = if_not_exists(${path}, ${this.value(v)})`;
      }),
      ...Object.entries(u.append ?? {}).map(([p, v]) => {
        const path = this.path(p);
        return `${path} = list_append(if_not_exists(${path}, ${this.value([])}), ${this.value(v)})`;
      }),
    ];
    const add = Object.entries(u.add ?? {}).map(([p, v]) => `${this.path(p)} ${this.value(v)}`);
    const remove = (u.remove ?? []).map((p) => this.path(p));
    return [
      set.length && `SET ${set.join(', ')}`,
      add.length && `ADD ${add.join(', ')}`,
      remove.length && `REMOVE ${remove.join(', ')}`,
    ]
      .filter(Boolean)
      .join(' ');
  }

  /** Only what was used: DynamoDB refuses unused placeholders and empty maps. */
  attributes() {
    return {
      ...(Object.keys(this.names).length && { ExpressionAttributeNames: this.names }),
      ...(Object.keys(this.values).length && { ExpressionAttributeValues: this.values }),
    };
  }
}
