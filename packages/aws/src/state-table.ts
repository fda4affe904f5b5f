/**
 * Job state in one DynamoDB table (single-table design: `pk` and `sk` name every item), read
 * and changed through a few structured operations so that the same calls run on DynamoDB (in
 * AWS, or a DynamoDB-compatible server locally) and on an in-memory table for unit tests.
 *
 * Paths are attribute names, or "map.key" for one key of a map attribute (the map must exist,
 * as DynamoDB requires). Every change is one request: a condition and an update together, the
 * way DynamoDB decides races, never a read-modify-write.
 *
 * Two global secondary indexes, both sparse (an item is in one only when it has its keys) and
 * projecting keys only (a query of one returns keys: read the items by key):
 *   byOwner  gpk / gsk   an owner's jobs and batches, newest first
 *   active   apk / ask   unfinished jobs (the sweep's index)
 * `expiresAt` (epoch seconds) is the table's TTL attribute; an item past it reads as absent.
 */
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Condition, Update } from './conditions.ts';
import { type AwsConfig, clientOptions, MAX_ATTEMPTS } from './config.ts';
import { Expressions } from './expressions.ts';
import { TABLE_DEFINITION } from './table-definition.ts';

export type Item = Record<string, unknown> & { pk: string; sk: string };
export interface ItemKey {
  pk: string;
  sk: string;
}

export type { Clause, Condition, Update } from './conditions.ts';

export const INDEXES = {
  byOwner: { pk: 'gpk', sk: 'gsk' },
  active: { pk: 'apk', sk: 'ask' },
} as const;
export type IndexName = keyof typeof INDEXES;

export interface QueryInput {
  pk: string;
  index?: IndexName;
  /** Sort keys that begin with this. */
  prefix?: string;
  /** Sort keys between these two, both included (instead of a prefix). */
  between?: [string, string];
  /** Descending sort key order (newest first, for inverted-free time keys). */
  descending?: boolean;
  limit?: number;
  /** The page after this one (the `next` of a previous query). */
  after?: string;
  /** Strongly consistent (base table only). */
  consistent?: boolean;
}

export interface StateTable {
  /** A strongly consistent read of one item, or null. */
  get(key: ItemKey): Promise<Item | null>;
  /** Writes the item; false when the condition does not hold (nothing written). */
  put(item: Item, condition?: Condition): Promise<boolean>;
  /** Changes one item (creating it unless the condition says otherwise); the item after, or null when the condition does not hold. */
  update(key: ItemKey, update: Update, condition?: Condition): Promise<Item | null>;
  delete(key: ItemKey): Promise<void>;
  /** One page of items with this partition key, in sort-key order; `next` when there is more. */
  query(q: QueryInput): Promise<{ items: Item[]; next?: string }>;
}

/** Every page of a query. */
export async function queryAll(table: StateTable, q: Omit<QueryInput, 'after'>): Promise<Item[]> {
  const all: Item[] = [];
  let after: string | undefined;
  do {
    const page = await table.query({ ...q, ...(after && { after }) });
    all.push(...page.items);
    after = page.next;
  } while (after && (q.limit === undefined || all.length < q.limit));
  return q.limit === undefined ? all : all.slice(0, q.limit);
}

/** The TTL attribute's value `days` after `fromMs`: epoch seconds, as DynamoDB's TTL reads it. */
export function expiresAfter(fromMs: number, days: number): number {
  return Math.floor(fromMs / 1000) + days * 86_400;
}

/** Whether an item has expired (its TTL attribute is past): DynamoDB deletes such items only eventually. */
export function expired(item: Record<string, unknown>, nowMs = Date.now()): boolean {
  return typeof item.expiresAt === 'number' && item.expiresAt * 1000 <= nowMs;
}

const encodeAfter = (k: Record<string, unknown> | undefined) =>
  k ? Buffer.from(JSON.stringify(k)).toString('base64url') : undefined;
const decodeAfter = (s: string) =>
  JSON.parse(Buffer.from(s, 'base64url').toString()) as Record<string, unknown>;

/** Every answer says the capacity it consumed (free; what `npm run bench` prices, counted at the server). */
const CAPACITY = { ReturnConsumedCapacity: 'TOTAL' as const };

export function dynamoClient(
  config: Pick<AwsConfig, 'region' | 'dynamoEndpoint' | 'credentials' | 'requestTimeoutMs'>,
) {
  return new DynamoDBClient({
    ...clientOptions(config, config.dynamoEndpoint, config.requestTimeoutMs ?? 15_000),
    maxAttempts: MAX_ATTEMPTS,
  });
}

export class DynamoStateTable implements StateTable {
  readonly client: DynamoDBClient;
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    config: Pick<AwsConfig, 'region' | 'table' | 'dynamoEndpoint' | 'credentials' | 'requestTimeoutMs'>,
    readonly name = config.table,
    private readonly now: () => number = Date.now,
  ) {
    this.client = dynamoClient(config);
    this.doc = DynamoDBDocumentClient.from(this.client, {
      marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true },
    });
  }

  async get(key: ItemKey): Promise<Item | null> {
    const r = await this.doc.send(
      new GetCommand({ TableName: this.name, Key: key, ConsistentRead: true, ...CAPACITY }),
    );
    const item = r.Item as Item | undefined;
    return item && !expired(item, this.now()) ? item : null;
  }

  async put(item: Item, condition?: Condition): Promise<boolean> {
    const x = new Expressions();
    const ConditionExpression = condition && x.condition(condition);
    return this.conditional(() =>
      this.doc.send(
        new PutCommand({
          TableName: this.name,
          Item: item,
          ConditionExpression,
          ...x.attributes(),
          ...CAPACITY,
        }),
      ),
    ).then((r) => r !== null);
  }

  async update(key: ItemKey, update: Update, condition?: Condition): Promise<Item | null> {
    const x = new Expressions();
    const UpdateExpression = x.update(update);
    const ConditionExpression = condition && x.condition(condition);
    const r = await this.conditional(() =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.name,
          Key: key,
          UpdateExpression,
          ConditionExpression,
          ReturnValues: 'ALL_NEW',
          ...x.attributes(),
          ...CAPACITY,
        }),
      ),
    );
    return r ? ((r.Attributes as Item | undefined) ?? { ...key }) : null;
  }

  async delete(key: ItemKey): Promise<void> {
    await this.doc.send(new DeleteCommand({ TableName: this.name, Key: key, ...CAPACITY }));
  }

  async query(q: QueryInput): Promise<{ items: Item[]; next?: string }> {
    const names = q.index ? INDEXES[q.index] : { pk: 'pk', sk: 'sk' };
    const x = new Expressions();
    const key = `${x.path(names.pk)} = ${x.value(q.pk)}`;
    const range = q.between
      ? ` AND ${x.path(names.sk)} BETWEEN ${x.value(q.between[0])} AND ${x.value(q.between[1])}`
      : q.prefix
        ? ` AND begins_with(${x.path(names.sk)}, ${x.value(q.prefix)})`
        : '';
    const r = await this.doc.send(
      new QueryCommand({
        TableName: this.name,
        ...(q.index && { IndexName: q.index }),
        KeyConditionExpression: key + range,
        ScanIndexForward: !q.descending,
        ...(q.limit !== undefined && { Limit: q.limit }),
        ...(q.after && { ExclusiveStartKey: decodeAfter(q.after) }),
        ...(q.consistent && !q.index && { ConsistentRead: true }),
        ...x.attributes(),
        ...CAPACITY,
      }),
    );
    const now = this.now();
    const items = ((r.Items ?? []) as Item[]).filter((i) => !expired(i, now));
    const next = encodeAfter(r.LastEvaluatedKey);
    return next ? { items, next } : { items };
  }

  /** The call's result, or null when its condition did not hold. */
  private async conditional<T>(call: () => Promise<T>): Promise<T | null> {
    try {
      return await call();
    } catch (e) {
      if (
        e instanceof ConditionalCheckFailedException ||
        (e as Error).name === 'ConditionalCheckFailedException'
      )
        return null;
      throw e;
    }
  }
}

/** Creates the table unless it exists (the local stack; in AWS the deploy does). */
export async function ensureTable(client: DynamoDBClient, name: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: name }));
    return;
  } catch (e) {
    if (!(e instanceof ResourceNotFoundException) && (e as Error).name !== 'ResourceNotFoundException')
      throw e;
  }
  const attr = (n: string) => ({ AttributeName: n, AttributeType: 'S' as const });
  await client
    .send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: Object.keys(TABLE_DEFINITION.fields).map(attr),
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: Object.entries(TABLE_DEFINITION.globalIndexes).map(([IndexName, k]) => ({
          IndexName,
          KeySchema: [
            { AttributeName: k.hashKey, KeyType: 'HASH' as const },
            { AttributeName: k.rangeKey, KeyType: 'RANGE' as const },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' as const },
        })),
      }),
    )
    .catch((e) => {
      // Two processes starting at once: the other created it.
      if ((e as Error).name !== 'ResourceInUseException') throw e;
    });
}
