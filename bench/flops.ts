/**
 * How close the stages run to this CPU: FLOPs counted from the shipped graphs (their
 * MatMul/Gemm/Conv shapes measured in one run: training/baton_train/flops.py writes the probe
 * graphs), this CPU's MatMul rate through onnxruntime, and each stage's achieved share of it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { matmulRate, outputShapes, type ProbeInput } from '@baton/runtime';

interface Op {
  op: 'MatMul' | 'Gemm' | 'Conv' | 'ConvTranspose';
  a: string;
  b: string;
  out: string;
  group?: number;
  transA?: number;
}
interface Plan {
  graphs: Record<
    string,
    {
      component: string;
      px: number;
      file: string;
      inputs: ProbeInput[];
      ops: Op[];
      weights: Record<string, number[]>;
    }
  >;
  matmul: { file: string; n: number };
}

const prod = (d: number[]) => d.reduce((x, y) => x * y, 1);

/** FLOPs of one op, 2 per multiply-add. */
function opFlops(o: Op, dims: (t: string) => number[]): number {
  const a = dims(o.a);
  const b = dims(o.b);
  const out = dims(o.out);
  if (o.op === 'MatMul') return 2 * prod(out) * a.at(-1)!;
  if (o.op === 'Gemm') return 2 * prod(out) * (o.transA ? a[0]! : a.at(-1)!);
  if (o.op === 'Conv') return 2 * prod(out) * b[1]! * b[2]! * b[3]!;
  return 2 * prod(a) * b[1]! * b[2]! * b[3]!; // ConvTranspose: per input element, Cout/g·kh·kw
}

/** GFLOP of one call of every probed graph (batch 1), by name ("unet-64", "relay_unet-256", …), and the MatMul peak. */
export async function countFlops(dir: string, threads: number) {
  try {
    execFileSync('/usr/bin/python3', ['-m', 'baton_train.flops', '--out', dir], {
      cwd: join(import.meta.dirname, '..', 'training'),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (e) {
    // Say what Python said (a missing module: Debian's python3-onnx).
    const stderr = String((e as { stderr?: Buffer }).stderr ?? '').trim();
    throw new Error(`the FLOP counter (training/baton_train/flops.py) failed:\n${stderr}`, { cause: e });
  }
  const plan = JSON.parse(readFileSync(join(dir, 'plan.json'), 'utf8')) as Plan;
  const gflop: Record<string, number> = {};
  for (const [name, g] of Object.entries(plan.graphs)) {
    const shapes = await outputShapes(readFileSync(join(dir, g.file)), g.inputs);
    const dims = (t: string) => {
      const d = shapes[t] ?? g.weights[t] ?? g.inputs.find((i) => i.name === t)?.dims;
      if (!d) throw new Error(`${name}: no shape for ${t}`);
      return d;
    };
    gflop[name] = g.ops.reduce((s, o) => s + opFlops(o, dims), 0) / 1e9;
  }
  const peak = await matmulRate(readFileSync(join(dir, plan.matmul.file)), plan.matmul.n, threads);
  return { gflop, peak, matmulN: plan.matmul.n };
}
