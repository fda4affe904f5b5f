/**
 * Per-stage metrics as CloudWatch embedded metric format (EMF): one JSON log line that
 * CloudWatch turns into metrics, with no API call. Cost is estimated from measured compute.
 */
import type { StageMetrics } from './stage-run.ts';

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
