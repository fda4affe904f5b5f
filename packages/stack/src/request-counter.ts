/**
 * Every request the local AWS servers answer, counted from the outside (at the server, whoever
 * sent it: the API, a worker process, a pipeline consumer), by service and operation. What
 * `npm run bench` prices per image. A receive that returned no message is idle polling, counted
 * apart ("ReceiveMessage (empty)").
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

export type Service = 's3' | 'sqs' | 'dynamodb';
export type Counts = Record<string, number>;

export class RequestCounter {
  private counts: Counts = {};

  /** Counts each request `server` answers, named by `operation`. */
  watch(server: Server, service: Service): void {
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const op = service === 's3' ? s3Operation(req) : targetOperation(req);
      if (op !== 'ReceiveMessage') return this.add(`${service} ${op}`);
      // An empty receive is idle polling: told apart by the answer, not the request.
      const chunks: Buffer[] = [];
      const write = res.write.bind(res);
      const end = res.end.bind(res);
      res.write = ((chunk: unknown, ...rest: unknown[]) => {
        if (chunk) chunks.push(Buffer.from(chunk as Buffer));
        return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof res.write;
      res.end = ((chunk?: unknown, ...rest: unknown[]) => {
        if (chunk && typeof chunk !== 'function') chunks.push(Buffer.from(chunk as Buffer));
        const body = Buffer.concat(chunks).toString();
        this.add(/"MessageId"|<MessageId>/.test(body) ? 'sqs ReceiveMessage' : 'sqs ReceiveMessage (empty)');
        return (end as (...a: unknown[]) => ServerResponse)(chunk, ...rest);
      }) as typeof res.end;
    });
  }

  private add(name: string): void {
    this.counts[name] = (this.counts[name] ?? 0) + 1;
  }

  /** The counts since the last reset. */
  snapshot(): Counts {
    return { ...this.counts };
  }

  reset(): void {
    this.counts = {};
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
