/**
 * safetensors: an 8-byte little-endian header length N, N bytes of JSON header,
 * then the data. Each header entry is {dtype, shape, data_offsets: [begin, end)}
 * relative to the data section; `__metadata__` is a string → string map.
 *
 * We write F32 and F16 (raw IEEE bits, little-endian). Reading validates every
 * field and rejects a bad file with a `SafetensorsError` that says what is wrong.
 */

export type DType = 'F32' | 'F16';

export interface StoredTensor {
  dtype: DType;
  shape: number[];
  /** F32: Float32Array; F16: Uint16Array of raw half-precision bits. */
  data: Float32Array | Uint16Array;
}

export interface SafetensorsFile {
  tensors: Record<string, StoredTensor>;
  metadata: Record<string, string>;
}

export class SafetensorsError extends Error {
  override readonly name = 'SafetensorsError';
  /** Retrying cannot help: a job that meets it fails (see isPermanent in @baton/jobs). */
  readonly permanent = true;
}

/** Header size limit, as the reference implementation (100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;
const BYTES: Record<DType, number> = { F32: 4, F16: 2 };

export function encodeSafetensors(file: SafetensorsFile): Uint8Array {
  const names = Object.keys(file.tensors).sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(file.metadata).length > 0) header.__metadata__ = file.metadata;
  let offset = 0;
  for (const name of names) {
    const t = file.tensors[name]!;
    checkTensor(name, t);
    const bytes = t.data.length * BYTES[t.dtype];
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  // Pad with spaces so the data starts 8-byte aligned (allowed by the format).
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += ' ';
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let p = 8 + headerBytes.length;
  for (const name of names) {
    const t = file.tensors[name]!;
    if (t.dtype === 'F32') {
      for (const v of t.data) {
        view.setFloat32(p, v, true);
        p += 4;
      }
    } else {
      for (const v of t.data) {
        view.setUint16(p, v, true);
        p += 2;
      }
    }
  }
  return out;
}

function checkTensor(name: string, t: StoredTensor): void {
  if (!(t.dtype in BYTES)) throw new SafetensorsError(`tensor "${name}": unsupported dtype ${t.dtype}`);
  const count = t.shape.reduce((a, b) => a * b, 1);
  if (t.shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new SafetensorsError(`tensor "${name}": shape [${t.shape}] must be non-negative integers`);
  }
  if (count !== t.data.length) {
    throw new SafetensorsError(
      `tensor "${name}": shape [${t.shape}] holds ${count} values but data has ${t.data.length}`,
    );
  }
  const want = t.dtype === 'F32' ? Float32Array : Uint16Array;
  if (!(t.data instanceof want))
    throw new SafetensorsError(`tensor "${name}": ${t.dtype} data must be a ${want.name}`);
}

export function decodeSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (bytes.length < 8)
    throw new SafetensorsError(`file is ${bytes.length} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES))
    throw new SafetensorsError(`header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  const headerLen = Number(n);
  if (8 + headerLen > bytes.length) {
    throw new SafetensorsError(
      `header length ${headerLen} runs past the end of the ${bytes.length}-byte file`,
    );
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
  } catch (cause) {
    throw new SafetensorsError('header is not valid UTF-8 JSON', { cause });
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new SafetensorsError('header must be a JSON object');
  }
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: { name: string; begin: number; end: number; dtype: DType; shape: number[] }[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
        throw new SafetensorsError('__metadata__ must be an object of strings');
      }
      for (const [k, v] of Object.entries(raw)) {
        if (typeof v !== 'string') throw new SafetensorsError(`__metadata__.${k} must be a string`);
        metadata[k] = v;
      }
      continue;
    }
    entries.push(parseEntry(name, raw, dataLen));
  }
  // Offsets must tile the data section exactly: no overlap, no gap, no trailing bytes.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of entries) {
    if (e.begin < cursor) throw new SafetensorsError(`tensor "${e.name}" overlaps the previous tensor`);
    if (e.begin > cursor)
      throw new SafetensorsError(`gap before tensor "${e.name}" (bytes ${cursor}…${e.begin})`);
    cursor = e.end;
  }
  if (cursor !== dataLen) {
    throw new SafetensorsError(`tensors cover ${cursor} bytes but the data section is ${dataLen} bytes`);
  }
  const tensors: Record<string, StoredTensor> = {};
  for (const e of entries) {
    const count = (e.end - e.begin) / BYTES[e.dtype];
    const p = dataStart + e.begin;
    if (e.dtype === 'F32') {
      const data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getFloat32(p + 4 * i, true);
      tensors[e.name] = { dtype: 'F32', shape: e.shape, data };
    } else {
      const data = new Uint16Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getUint16(p + 2 * i, true);
      tensors[e.name] = { dtype: 'F16', shape: e.shape, data };
    }
  }
  return { tensors, metadata };
}

function parseEntry(name: string, raw: unknown, dataLen: number) {
  if (typeof raw !== 'object' || raw === null)
    throw new SafetensorsError(`tensor "${name}": entry must be an object`);
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  if (dtype !== 'F32' && dtype !== 'F16') {
    throw new SafetensorsError(`tensor "${name}": unknown or unsupported dtype ${JSON.stringify(dtype)}`);
  }
  if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new SafetensorsError(`tensor "${name}": shape must be an array of non-negative integers`);
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    offsets.some((o) => !Number.isSafeInteger(o) || o < 0) ||
    offsets[0] > offsets[1]
  ) {
    throw new SafetensorsError(`tensor "${name}": data_offsets must be [begin, end] with 0 ≤ begin ≤ end`);
  }
  const [begin, end] = offsets as [number, number];
  if (end > dataLen)
    throw new SafetensorsError(
      `tensor "${name}": data_offsets end ${end} is past the data (${dataLen} bytes)`,
    );
  const count = (shape as number[]).reduce((a, b) => a * b, 1);
  if (count * BYTES[dtype] !== end - begin) {
    throw new SafetensorsError(
      `tensor "${name}": shape [${shape}] × ${dtype} is ${count * BYTES[dtype]} bytes but data_offsets span ${end - begin}`,
    );
  }
  return { name, begin, end, dtype: dtype as DType, shape: shape as number[] };
}
