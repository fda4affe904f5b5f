/**
 * Lambda's response-streaming runtime, as far as a handler wrapped with
 * `awslambda.streamifyResponse` sees it: the `awslambda` global, and a response stream that
 * records what was written and when. Install it before importing a streaming handler.
 */
import { Writable } from 'node:stream';

export interface StreamedResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  /** Each write, with the time it arrived (ms since the invocation began). */
  chunks: { at: number; text: string }[];
}

type StreamingHandler = (event: unknown, stream: Writable, context?: unknown) => Promise<void>;

class ResponseStream extends Writable {
  meta: { statusCode: number; headers: Record<string, string> } = { statusCode: 200, headers: {} };
  readonly chunks: { at: number; text: string }[] = [];
  private readonly t0 = Date.now();
  /** Called with each chunk as it arrives (a test can act mid-stream). */
  onChunk?: (text: string) => void;

  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void) {
    const text = chunk.toString();
    this.chunks.push({ at: Date.now() - this.t0, text });
    this.onChunk?.(text);
    done();
  }
}

(globalThis as { awslambda?: unknown }).awslambda = {
  streamifyResponse: (fn: StreamingHandler) => fn,
  HttpResponseStream: {
    from(stream: ResponseStream, meta: { statusCode: number; headers: Record<string, string> }) {
      stream.meta = meta;
      return stream;
    },
  },
};

/** Invokes a streaming handler and waits for the response to end. */
export async function invokeStreaming(
  handler: unknown,
  event: unknown,
  onChunk?: (text: string) => void,
): Promise<StreamedResponse> {
  const stream = new ResponseStream();
  if (onChunk) stream.onChunk = onChunk;
  const ended = new Promise<void>((r) => stream.on('finish', () => r()));
  await (handler as StreamingHandler)(event, stream, { getRemainingTimeInMillis: () => 60_000 });
  await ended;
  return {
    statusCode: stream.meta.statusCode,
    headers: stream.meta.headers,
    body: stream.chunks.map((c) => c.text).join(''),
    chunks: stream.chunks,
  };
}

/** The API's streaming handler as a plain request → response function, for tests that read whole answers. */
export async function apiHandler(): Promise<(event: unknown) => Promise<StreamedResponse>> {
  const { handler } = await import('../api/index.ts');
  return (event) => invokeStreaming(handler, event);
}
