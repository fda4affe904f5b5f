/**
 * Per-stage metrics as CloudWatch embedded metric format (EMF): one JSON log line that
 * CloudWatch turns into metrics, with no API call. Cost is estimated from measured compute.
 */
import type { StageMetrics } from './worker.ts';

export function emfLine(m: StageMetrics, namespace = 'Baton', now = Date.now()): string {
  return JSON.stringify({
    _aws: {
      Timestamp: now,
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: [['Stage']],
          Metrics: [
            { Name: 'Duration', Unit: 'Milliseconds' },
            { Name: 'OnnxTime', Unit: 'Milliseconds' },
            { Name: 'Steps', Unit: 'Count' },
            { Name: 'BatchSize', Unit: 'Count' },
            { Name: 'QueueWait', Unit: 'Milliseconds' },
          ],
        },
      ],
    },
    Stage: m.stage,
    Duration: m.ms,
    OnnxTime: m.onnxMs,
    Steps: m.steps,
    BatchSize: m.batch,
    QueueWait: m.queueWaitMs,
    jobIds: m.jobIds,
  });
}

/** A job's share of measured compute, priced per compute-second. */
export function estimateCost(stages: readonly { ms?: number; batch?: number }[], pricePerSecond: number) {
  const computeMs = stages.reduce((a, s) => a + (s.ms ?? 0) / Math.max(1, s.batch ?? 1), 0);
  return { computeMs: Math.round(computeMs), costUsd: (computeMs / 1000) * pricePerSecond };
}

/** Lambda at 3008 MB, x86, us-east-1: $0.0000166667 per GB-second. */
export const LAMBDA_3GB_PRICE_PER_SECOND = 0.0000166667 * (3008 / 1024);
