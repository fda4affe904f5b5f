/**
 * Measuring the runtime rather than the model: the shapes a graph's tensors take in one run
 * (for counting its FLOPs), and this CPU's matrix-multiply rate through onnxruntime (the
 * ceiling the stages are compared against). Used by `npm run bench`.
 */
import * as ort from 'onnxruntime-node';

export interface ProbeInput {
  name: string;
  dims: number[];
  type: 'float32' | 'int64';
}

function feed(i: ProbeInput): ort.Tensor {
  const n = i.dims.reduce((a, b) => a * b, 1);
  if (i.type === 'int64')
    return new ort.Tensor(
      'int64',
      BigInt64Array.from({ length: n }, (_, k) => BigInt(k % 7)),
      i.dims,
    );
  return new ort.Tensor(
    'float32',
    Float32Array.from({ length: n }, (_, k) => Math.sin(k)),
    i.dims,
  );
}

/** Runs a graph once (random-ish feeds) and returns every output's dims: intermediates made outputs by the caller. */
export async function outputShapes(
  model: Uint8Array,
  inputs: ProbeInput[],
  threads = 1,
): Promise<Record<string, number[]>> {
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: threads });
  try {
    const out = await session.run(Object.fromEntries(inputs.map((i) => [i.name, feed(i)])));
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, [...v.dims]]));
  } finally {
    await session.release();
  }
}

/**
 * GFLOP/s of one large MatMul ([n, n] × [n, n], float32) through onnxruntime on this CPU,
 * the best of `reps` runs after a warm-up. `model`: the MatMul graph's bytes (two inputs A, B).
 */
export async function matmulRate(model: Uint8Array, n: number, threads: number, reps = 5): Promise<number> {
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads,
    graphOptimizationLevel: 'all',
  });
  try {
    const a = feed({ name: 'A', dims: [n, n], type: 'float32' });
    const b = feed({ name: 'B', dims: [n, n], type: 'float32' });
    await session.run({ A: a, B: b });
    let best = Number.POSITIVE_INFINITY;
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      await session.run({ A: a, B: b });
      best = Math.min(best, performance.now() - t0);
    }
    return (2 * n ** 3) / (best / 1000) / 1e9;
  } finally {
    await session.release();
  }
}
