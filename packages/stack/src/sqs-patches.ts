/**
 * SQS's receive for the local SQS server (local-aws-sqs), which answers a receive only when it
 * has MaxNumberOfMessages or when its wait (plus 40 ms) is up, looking every 10 ms: a short poll
 * took 40 ms, and a long poll for a batch held a lone message for its whole wait. SQS answers a
 * short poll at once with what it has, and a long poll as soon as a message is there, with what
 * else waits, up to the batch. This gives the local queues that behaviour; every worker then
 * reads them with the same code as in AWS.
 *
 * The server keeps its messages private: a receive is still its own (the same visibility, receive
 * counts and redrive), only woken sooner. Its 10 ms scan and its deadline are captured as the
 * receive schedules them, then run when a message may be there (at once, and after each send).
 */
import { createServer, type Server } from 'node:http';
import { createRequestHandler, type ISqsServerOptions } from 'local-aws-sqs';

interface ServerQueue {
  receive(input: { WaitTimeSeconds?: number | string }): Promise<unknown[]>;
  setRecord: (...args: unknown[]) => unknown;
  getAttributes(names: string[]): Record<string, string> | undefined;
}

/** Messages a receive could take now: neither delayed nor in flight. */
function ready(queue: ServerQueue): number {
  const a = queue.getAttributes(['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible']);
  return Number(a?.ApproximateNumberOfMessages ?? 0) - Number(a?.ApproximateNumberOfMessagesNotVisible ?? 0);
}

/** One pending receive: its own scan (takes what is visible) and its end (answers what it took). */
interface Pending {
  scan: () => void;
  end: () => void;
}

/**
 * Runs `receive` with the timers it sets captured (they are set synchronously, as it starts).
 * Its 10 ms scan then runs `tick` instead (a message made visible again, by its visibility
 * timeout, is answered at the next scan, not at the deadline).
 */
function captureTimers(receive: () => Promise<unknown[]>, tick: () => void) {
  const [interval, timeout] = [globalThis.setInterval, globalThis.setTimeout];
  let scan: (() => void) | undefined;
  let deadline: { fn: () => void; timer: NodeJS.Timeout } | undefined;
  globalThis.setInterval = ((fn: () => void, ms?: number) => {
    scan = fn;
    return interval(tick, ms);
  }) as typeof setInterval;
  globalThis.setTimeout = ((fn: () => void, ms?: number) => {
    const timer = timeout(fn, ms);
    deadline = { fn, timer };
    return timer;
  }) as typeof setTimeout;
  try {
    return { answer: receive(), scan, deadline };
  } finally {
    globalThis.setInterval = interval;
    globalThis.setTimeout = timeout;
  }
}

export function answerReceivesAtOnce(queue: ServerQueue): void {
  const receive = queue.receive.bind(queue);
  const waiting = new Set<Pending>();
  /** A pending receive takes what is there; with something taken (or no wait) it answers. */
  const offer = (p: Pending, wait: number) => {
    if (ready(queue) > 0) {
      p.scan();
      return p.end();
    }
    if (wait <= 0) p.end();
  };
  queue.receive = (input) => {
    let p: Pending | undefined;
    const { answer, scan, deadline } = captureTimers(
      () => receive(input),
      () => p && offer(p, 1),
    );
    if (!scan || !deadline) return answer; // refused before it started (in-flight limit)
    p = {
      scan,
      end: () => {
        clearTimeout(deadline.timer);
        deadline.fn();
      },
    };
    const wait = Number(input.WaitTimeSeconds ?? 0);
    const mine = p;
    offer(mine, wait);
    waiting.add(mine);
    const drop = () => waiting.delete(mine);
    answer.then(drop, drop);
    return answer;
  };
  const setRecord = queue.setRecord;
  queue.setRecord = (...args) => {
    const made = setRecord(...args);
    // A new message is visible once its delay timer (0 s: the next timer tick) has run.
    setTimeout(() => {
      for (const p of waiting) offer(p, 1);
    }, 0);
    return made;
  };
}

/** The local SQS server (as `createSqsServer` makes it), its queues answering receives as SQS does. */
export function startSqsServer(o: ISqsServerOptions & { port: number; hostname: string }): Promise<Server> {
  const { service, requestHandler } = createRequestHandler(o);
  for (const q of service.Queues) answerReceivesAtOnce(q as unknown as ServerQueue);
  const server = createServer(requestHandler);
  return new Promise((resolve) =>
    server.listen(o.port, o.hostname, () => {
      const a = server.address();
      if (a && typeof a === 'object') service.PORT = a.port;
      resolve(server);
    }),
  );
}
