/** Execution provider choice: CUDA where this onnxruntime-node build has it, CPU otherwise. */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type ProviderSetting = 'auto' | 'cpu' | 'cuda';

export interface ProviderChoice {
  provider: 'cpu' | 'cuda';
  reason: string;
}

/** The CUDA provider library that `ONNXRUNTIME_NODE_INSTALL=cuda12` puts beside the binding. */
export function cudaLibraryPath(): string {
  const require = createRequire(import.meta.url);
  const pkg = dirname(require.resolve('onnxruntime-node/package.json'));
  return join(pkg, 'bin', 'napi-v6', process.platform, process.arch, 'libonnxruntime_providers_cuda.so');
}

/** The execution provider for a setting (BATON_EXECUTION_PROVIDER, resolved by the entry point). */
export function chooseProvider(setting: string | undefined = 'auto'): ProviderChoice {
  const s = (setting ?? 'auto').toLowerCase();
  if (s !== 'auto' && s !== 'cpu' && s !== 'cuda') {
    throw new RangeError(`BATON_EXECUTION_PROVIDER must be auto, cpu or cuda but is "${setting}"`);
  }
  if (s === 'cpu') return { provider: 'cpu', reason: 'BATON_EXECUTION_PROVIDER=cpu' };
  const lib = cudaLibraryPath();
  const hasCuda = process.platform === 'linux' && existsSync(lib);
  if (s === 'cuda') {
    if (!hasCuda) {
      throw new Error(
        `BATON_EXECUTION_PROVIDER=cuda but ${lib} is missing (build the image with ONNXRUNTIME_NODE_INSTALL=cuda12)`,
      );
    }
    return { provider: 'cuda', reason: 'BATON_EXECUTION_PROVIDER=cuda' };
  }
  return hasCuda
    ? { provider: 'cuda', reason: `auto: CUDA provider library found at ${lib}` }
    : { provider: 'cpu', reason: 'auto: this onnxruntime-node build has no CUDA provider library' };
}
