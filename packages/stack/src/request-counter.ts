/**
 * Every request the local AWS servers answer, counted from the outside (at the server, whoever
 * sent it: the API, a worker process, a pipeline consumer), by service and operation. What
 * `npm run bench` prices per image. A receive that returned no message is idle polling, counted
 * apart ("ReceiveMessage (empty)"). DynamoDB's answers carry the capacity each request consumed
 * (the table asks for it): summed as "dynamodb read units" and "dynamodb write units".
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

export type Service = 's3' | 'sqs' | 'dynamodb';
export type Counts = Record<string, number>;

/** Counts kept in another process (the local DynamoDB server's). */
export interface CountSource {
  snapshot(): Promise<Counts>;
  reset(): void;
}

export class RequestCounter {
  private counts: Counts = {};
  private readonly sources: CountSource[] = [];

  /** Adds another process's counts to this one's. */
  include(source: CountSource): void {
    this.sources.push(source);
  }

  /** Counts each request `server` answers, named by `operation`. */
  watch(server: Server, service: Service): void {
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const op = service === 's3' ? s3Operation(req) : targetOperation(req);
      if (service === 'dynamodb') {
        this.add(`${service} ${op}`);
        return answered(res, (body) => {
          const units = consumed(body);
          const kind = READS.has(op) ? 'read' : 'write';
          if (units) this.add(`dynamodb ${kind} units`, units);
        });
      }
      if (op !== 'ReceiveMessage') return this.add(`${service} ${op}`);
      // An empty receive is idle polling: told apart by the answer, not the request.
      answered(res, (body) =>
        this.add(/"MessageId"|<MessageId>/.test(body) ? 'sqs ReceiveMessage' : 'sqs ReceiveMessage (empty)'),
      );
    });
  }

  private add(name: string, n = 1): void {
    this.counts[name] = (this.counts[name] ?? 0) + n;
  }

  /** This process's counts since the last reset. */
  own(): Counts {
    return { ...this.counts };
  }

  /** Every count since the last reset, this process's and its sources'. */
  async snapshot(): Promise<Counts> {
    const all = { ...this.counts };
    for (const other of await Promise.all(this.sources.map((s) => s.snapshot())))
      for (const [k, n] of Object.entries(other)) all[k] = (all[k] ?? 0) + n;
    return all;
  }

  reset(): void {
    this.counts = {};
    for (const s of this.sources) s.reset();
  }
}

/** SQS (JSON protocol) and DynamoDB name the operation in X-Amz-Target: "AmazonSQS.SendMessage". */
function targetOperation(req: IncomingMessage): string {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') return target.slice(target.lastIndexOf('.') + 1);
  const action = new URL(req.url ?? '/', 'http://x').searchParams.get('Action');
  return action ?? 'unknown';
}

function s3Operation(req: IncomingMessage): string {
  const url = new URL(req.url ?? '/', 'http://x');
  const path = url.pathname.split('/').filter(Boolean);
  switch (req.method) {
    case 'GET':
      return path.length <= 1 ? 'ListObjectsV2' : 'GetObject';
    case 'HEAD':
      return 'HeadObject';
    case 'PUT':
      return 'PutObject';
    case 'DELETE':
      return 'DeleteObject';
    case 'POST':
      return 'PostObject';
    default:
      return req.method ?? 'unknown';
  }
}

const READS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem']);

/** The capacity units a DynamoDB answer says it consumed (0 when it says none). */
function consumed(body: string): number {
  try {
    const c = (JSON.parse(body) as { ConsumedCapacity?: { CapacityUnits?: number } }).ConsumedCapacity;
    return c?.CapacityUnits ?? 0;
  } catch {
    return 0;
  }
}

/** Calls `done` with the response body once it is sent. */
function answered(res: ServerResponse, done: (body: string) => void): void {
  const chunks: Buffer[] = [];
  const write = res.write.bind(res);
  const end = res.end.bind(res);
  res.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (chunk) chunks.push(Buffer.from(chunk as Buffer));
    return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof res.write;
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    if (chunk && typeof chunk !== 'function') chunks.push(Buffer.from(chunk as Buffer));
    done(Buffer.concat(chunks).toString());
    return (end as (...a: unknown[]) => ServerResponse)(chunk, ...rest);
  }) as typeof res.end;
}
