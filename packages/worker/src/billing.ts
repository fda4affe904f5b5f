/** Usage records: one stage of one job, its share of a batched call, priced per compute-second. */
import { type UsageRecord, usageDay } from '@baton/jobs';
import { parseStage, stageSide } from '@baton/pipeline/spec';
import type { Manifest } from '@baton/runtime/manifest';
import type { Work } from './work.ts';

/** Lambda at 3008 MB, x86, us-east-1: $0.0000166667 per GB-second. */
export const LAMBDA_3GB_PRICE_PER_SECOND = 0.0000166667 * (3008 / 1024);
/**
 * A g5.xlarge on demand (us-east-1, $1.006 per hour) serving one stage queue: what a
 * compute-second of a GPU container costs when it is busy.
 */
export const G5_XLARGE_PRICE_PER_SECOND = 1.006 / 3600;

export interface BillingRun {
  manifest: Manifest;
  stage: string;
  /** Wall time of the whole batched call (ms), shared equally by its jobs. */
  computeMs: number;
  steps: number;
  batch: number;
  /** false when the stage stopped early (cancelled): only the steps that ran are billed. */
  complete: boolean;
  pricePerComputeSecond: number;
  at: number;
}

export function usageRecord(w: Work, run: BillingRun): UsageRecord {
  const side = stageSide(run.manifest, parseStage(run.stage), w.request.spec.size);
  const computeMs = run.computeMs / run.batch;
  return {
    jobId: w.msg.jobId,
    owner: w.request.owner ?? 'local',
    stage: run.stage,
    // The job's day, not the run's: a stage run again after midnight overwrites, never adds.
    day: usageDay(w.request.createdAt),
    computeMs: Math.round(computeMs),
    steps: run.steps,
    pixels: side * side,
    batch: run.batch,
    costUsd: (computeMs / 1000) * run.pricePerComputeSecond,
    complete: run.complete,
    at: run.at,
  };
}
