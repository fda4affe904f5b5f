/**
 * 9. A model of the AWS hot path: the predicted p50 of one 128 px synchronous image
 * (POST /v1/images/generations) through the cpu profile, warm and cold. Every request the path
 * makes is the one the local stack makes (bench section 7 counts them); each is given its
 * documented AWS latency instead of the local servers', and each stage its compute time measured
 * here (a 3008 MB Lambda has 2 vCPUs, as this machine has 2 cores). Numbers, not a promise:
 * docs/deploy.md explains each line.
 */
import { config } from '@baton/config';
import { modelSettings, openCascade } from '@baton/domains/cascade';
import { generateBatch, planJob } from '@baton/pipeline';

/** p50 latencies (ms) from AWS's documentation and published measurements, us-east-1, same region. */
export const AWS_P50_MS = {
  /** CloudFront edge → Lambda function URL → the handler (response streaming), warm. */
  edgeToHandler: 25,
  /** DynamoDB GetItem / PutItem / UpdateItem: "single-digit millisecond". */
  dynamo: 5,
  /** SQS SendMessage. */
  sqsSend: 10,
  /** A message sent → the event source mapping's long poll returns it → the worker invoked (window 0). */
  sqsToLambda: 40,
  /** S3 GET / PUT of a small object (latents ≤ 200 KB, a PNG) from Lambda in the same region. */
  s3Get: 20,
  s3Put: 30,
  /** Lambda's Node.js runtime init before our code (cold start, 3 GB, a 100 MB package). */
  runtimeInit: 250,
};

/**
 * A stage as the worker runs it (worker.ts, stage-run.ts), on the path to the next stage: it
 * computes at once from the request its message carries (the job is read beside the compute,
 * "started" written while it computes); the next stage's message, carrying the latents, sent as
 * they are put (the put and the done record overlap the next hop).
 */
function stageMs(onnxMs: number): number {
  return onnxMs + AWS_P50_MS.sqsSend;
}

/** The decode, run by the last diffusion stage's worker after it: compute, the image put, "done" claiming the outcome (one write). */
function inlineDecodeMs(onnxMs: number): number {
  const a = AWS_P50_MS;
  return onnxMs + a.s3Put + a.dynamo;
}

export async function awsHotPath(o: { initMs: { api: number; worker: number } }) {
  const m = modelSettings(config());
  const cascade = await openCascade(m.dir, m.options);
  await cascade.family.warm();
  const spec = planJob(cascade, 'a big red circle top left on white', { seed: 1, size: 128 });
  await generateBatch(cascade, [spec]);
  const [run] = await generateBatch(cascade, [spec]);
  const onnx = Object.fromEntries(run!.timings.map((t) => [t.stage, t.ms]));
  const a = AWS_P50_MS;
  // Accept: the quota claim beside the job put, then the two sends (job; event, after its outbox marker).
  const accept = a.edgeToHandler + a.dynamo + Math.max(a.sqsSend, a.dynamo + a.sqsSend);
  const stages = [
    stageMs(onnx.base ?? 0),
    // relay1 hands the decode on in-process, at once: no send.
    stageMs(onnx.relay1 ?? 0) - a.sqsSend,
    inlineDecodeMs(onnx.decode ?? 0),
  ];
  const hops = 2 * a.sqsToLambda;
  const work = accept + hops + stages.reduce((x, y) => x + y, 0);
  // The API's wait looks every 10 ms from when the quickest recent job of this kind ended until
  // the slowest would have (job-access.ts, EndForecast): it sees the done record half a look
  // after it on average, in the look's read.
  const warm = work + 5 + a.dynamo + a.edgeToHandler;
  // Cold: the API and the two stage functions start (runtime init + our init, from check:aws).
  const cold = warm + a.runtimeInit + o.initMs.api + 2 * (a.runtimeInit + o.initMs.worker);
  const row = (name: string, ms: number) =>
    console.log(`   ${name.padEnd(58)} ${ms.toFixed(0).padStart(6)} ms`);
  console.log(
    '\n9. AWS hot path, 128 px synchronous image, cpu profile (a model: AWS p50 latencies + ONNX here)',
  );
  row('edge → API, accept (quota and job, outbox, 2 sends)', accept);
  row('2 hops SQS → Lambda (event source mapping, window 0)', hops);
  for (const [i, s] of ['base', 'relay1'].entries())
    row(
      `${s}: compute ${(onnx[s] ?? 0).toFixed(0)} ms${s === 'base' ? ', send with the latents' : ''}`,
      stages[i]!,
    );
  row(
    `decode, in relay1's worker: compute ${(onnx.decode ?? 0).toFixed(0)} ms, put, done + claim`,
    stages[2]!,
  );
  row('the wait sees it (looks every 10 ms near the end) and answers', warm - work);
  row('predicted p50, warm', warm);
  row(
    `predicted p50, cold (runtime ${a.runtimeInit} ms + init: API ${o.initMs.api}, worker ${o.initMs.worker} ms)`,
    cold,
  );
  const modelShare = (onnx.base! + onnx.relay1! + onnx.decode!) / warm;
  console.log(`   the model's share of a warm request: ${(100 * modelShare).toFixed(0)} %`);
}
