/**
 * The state table's shape (state-table.ts): what infra/storage.ts declares in AWS and the local
 * stack creates. No imports: infra/ reads it as it is.
 */
export const TABLE_DEFINITION = {
  fields: { pk: 'string', sk: 'string', gpk: 'string', gsk: 'string', apk: 'string', ask: 'string' },
  primaryIndex: { hashKey: 'pk', rangeKey: 'sk' },
  globalIndexes: {
    byOwner: { hashKey: 'gpk', rangeKey: 'gsk' },
    active: { hashKey: 'apk', rangeKey: 'ask' },
  },
  ttl: 'expiresAt',
} as const;
