/**
 * The state table's shape (state-table.ts): what infra/storage.ts declares in AWS and the local
 * stack creates. No imports: infra/ reads it as it is.
 *
 * The indexes project keys only: an index is written when an item enters or leaves it, never
 * when the item's other attributes change (a job's progress, records and usage are written
 * many times; with projection "all" each write would be paid again per index). A listing reads
 * the items it needs by key.
 */
export const TABLE_DEFINITION = {
  fields: { pk: 'string', sk: 'string', gpk: 'string', gsk: 'string', apk: 'string', ask: 'string' },
  primaryIndex: { hashKey: 'pk', rangeKey: 'sk' },
  globalIndexes: {
    byOwner: { hashKey: 'gpk', rangeKey: 'gsk', projection: 'keys-only' },
    active: { hashKey: 'apk', rangeKey: 'ask', projection: 'keys-only' },
  },
  ttl: 'expiresAt',
} as const;
