/** Job specs, stage names and errors without the model runtime (for the API, which never loads ONNX). */
export * from './errors.ts';
export * from './job.ts';
export * from './stage.ts';
