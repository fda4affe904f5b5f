/**
 * Idempotency-Key claims: one item per key and owner (`idem#{owner}` / `{keyHash}`), taken
 * with one conditional put, so of racing requests exactly one wins; kept a day (TTL).
 */
import { expiresAfter, type StateTable } from '@baton/aws';

/** What an Idempotency-Key maps to: the request body's hash and the job made for it. */
export interface IdempotencyClaim {
  bodyHash: string;
  jobId: string;
  at: number;
}

const key = (owner: string, keyHash: string) => ({ pk: `idem#${owner}`, sk: keyHash });

export class IdempotencyClaims {
  constructor(
    private readonly table: StateTable,
    private readonly keepDays: number,
  ) {}

  /** Claims a key for a job; the losers of a race get the claim that won. */
  async claim(
    owner: string,
    keyHash: string,
    claim: IdempotencyClaim,
  ): Promise<{ won: boolean; held: IdempotencyClaim | null }> {
    const expiresAt = expiresAfter(claim.at, this.keepDays);
    if (await this.table.put({ ...key(owner, keyHash), claim, expiresAt }, { notExists: ['pk'] }))
      return { won: true, held: claim };
    const held = await this.table.get(key(owner, keyHash));
    return { won: false, held: (held?.claim as IdempotencyClaim | undefined) ?? null };
  }

  /** Frees a key whose request was refused, so a corrected request can use it. */
  async release(owner: string, keyHash: string): Promise<void> {
    await this.table.delete(key(owner, keyHash));
  }
}
