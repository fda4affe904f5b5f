/**
 * What a model-running Lambda's package holds, and the build hook that keeps it under AWS's
 * 250 MB unzipped limit. SST's `nodejs.install` runs `npm install --os=linux --cpu=x64` in the
 * artifact folder (without the project's allowScripts), and onnxruntime-node ships every platform's
 * binaries (~300 MB) plus, on a Linux x64 deploy machine, the CUDA provider its postinstall
 * downloads. Lambda runs linux/x64 on the CPU: everything else is removed after the build.
 * `npm run check:aws` builds the same folder and runs the handler from it.
 */
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The onnxruntime-node version the runtime package pins: the Lambda installs exactly it. */
export const ONNXRUNTIME_VERSION: string = JSON.parse(
  // SST evaluates the infra from the project root.
  readFileSync(join(process.cwd(), 'packages/runtime/package.json'), 'utf8'),
).dependencies['onnxruntime-node'];

/** The committed model family, as a Lambda's package holds it. */
export const MODEL_DIR = 'models/shapes-v1';

/** For Lambdas that read the manifest (sizes, limits) and never run the model: the manifest alone travels. */
export const manifestOnly = {
  environment: { BATON_MODEL_DIR: MODEL_DIR },
  copyFiles: [{ from: `${MODEL_DIR}/manifest.json`, to: `${MODEL_DIR}/manifest.json` }],
};

/** AWS Lambda's limit on a function's unzipped package (MB). */
export const LAMBDA_UNZIPPED_LIMIT_MB = 250;

/** Provider libraries Lambda cannot use (no GPU): CUDA, TensorRT and their shims. */
const GPU_LIBRARY = /providers_(cuda|tensorrt)|libcudnn|libcublas|libcufft|libcurand|libnvinfer/;

/** Removes what Lambda (linux/x64, CPU) cannot load from an installed onnxruntime-node; returns the bytes freed. */
export function pruneOnnxRuntime(dir: string): number {
  const bin = join(dir, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6');
  let freed = 0;
  const remove = (p: string) => {
    freed += sizeOf(p);
    rmSync(p, { recursive: true, force: true });
  };
  let platforms: string[];
  try {
    platforms = readdirSync(bin);
  } catch {
    return 0;
  }
  for (const platform of platforms) {
    if (platform !== 'linux') {
      remove(join(bin, platform));
      continue;
    }
    for (const arch of readdirSync(join(bin, platform))) {
      if (arch !== 'x64') remove(join(bin, platform, arch));
      else
        for (const f of readdirSync(join(bin, platform, arch)))
          if (GPU_LIBRARY.test(f)) remove(join(bin, platform, arch, f));
    }
  }
  return freed;
}

/** Bytes on disk under a path (files only, links not followed). */
export function sizeOf(p: string): number {
  const s = statSync(p, { throwIfNoEntry: false });
  if (!s) return 0;
  if (!s.isDirectory()) return s.size;
  return readdirSync(p).reduce((a, name) => a + sizeOf(join(p, name)), 0);
}

/** The settings every model-running Lambda gets: CPU only, the pinned runtime, the prune hook. */
export const modelLambda = {
  environment: { BATON_EXECUTION_PROVIDER: 'cpu', BATON_MODEL_DIR: MODEL_DIR },
  copyFiles: [{ from: MODEL_DIR, to: MODEL_DIR }],
  nodejs: { install: { 'onnxruntime-node': ONNXRUNTIME_VERSION } },
  hook: {
    postbuild: async (dir: string) => {
      pruneOnnxRuntime(dir);
    },
  },
};
