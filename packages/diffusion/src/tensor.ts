/** A dense float32 tensor, row-major (NCHW for images and latents). */
export interface Tensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

export function tensor(data: Float32Array, shape: readonly number[]): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== data.length) {
    throw new RangeError(`shape [${shape.join(', ')}] needs ${size} values but data has ${data.length}`);
  }
  return { data, shape: [...shape] };
}

export function zeros(shape: readonly number[]): Tensor {
  return tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape);
}

/** Items per batch entry: product of every dimension but the first. */
export function itemSize(t: Tensor): number {
  return t.shape.slice(1).reduce((a, b) => a * b, 1);
}

/** Concatenates along the batch (first) dimension. */
export function concatBatch(parts: readonly Tensor[]): Tensor {
  const first = parts[0];
  if (!first) throw new RangeError('concatBatch needs at least one tensor');
  const rest = first.shape.slice(1).join(',');
  for (const p of parts) {
    if (p.shape.slice(1).join(',') !== rest) {
      throw new RangeError(`cannot batch shapes [${first.shape}] and [${p.shape}]`);
    }
  }
  const total = parts.reduce((n, p) => n + (p.shape[0] ?? 0), 0);
  const out = new Float32Array(total * itemSize(first));
  let offset = 0;
  for (const p of parts) {
    out.set(p.data, offset);
    offset += p.data.length;
  }
  return tensor(out, [total, ...first.shape.slice(1)]);
}

/** Entries [start, end) of the batch, sharing no memory with the input. */
export function sliceBatch(t: Tensor, start: number, end: number): Tensor {
  const n = itemSize(t);
  return tensor(t.data.slice(start * n, end * n), [end - start, ...t.shape.slice(1)]);
}

export function splitBatch(t: Tensor): Tensor[] {
  return Array.from({ length: t.shape[0] ?? 0 }, (_, i) => sliceBatch(t, i, i + 1));
}
