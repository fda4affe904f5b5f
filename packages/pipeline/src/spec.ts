/** Job specs, stage names and errors without the model runtime (for the API, which never loads ONNX). */

export {
  bestOfJson,
  type Candidate,
  drawsOf,
  type Scored,
  scoringStage,
} from './best-of.ts';
export * from './errors.ts';
export * from './job.ts';
export * from './stage.ts';
