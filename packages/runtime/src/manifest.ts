/** The versioned model manifest: every constant the pipeline needs comes from here. */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { FromSchema } from 'json-schema-to-ts';
import { validate } from './generated/manifest-validate.js';
import type { manifestSchema } from './manifest-schema.ts';

/** A manifest as its schema describes it. */
export type Manifest = FromSchema<typeof manifestSchema>;
export type ComponentSpec = Manifest['components'][string];
export type DType = ComponentSpec['inputs'][string];
export type StageSettings = Manifest['variants'][string]['base'];

export class ManifestError extends Error {
  override readonly name = 'ManifestError';
  /** Retrying cannot help: a job that meets it fails (see isPermanent in @baton/jobs). */
  readonly permanent = true;
}

/** Validates a parsed manifest against the schema and its cross-references. */
export function parseManifest(json: unknown, source = 'manifest'): Manifest {
  // The schema's validator, generated as code (manifest-validator-code.ts): no compile at start.
  if (!validate(json)) {
    const errs = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
    throw new ManifestError(`${source} is not a valid schema_version 1 manifest: ${errs}`);
  }
  const m = json as Manifest;
  // Required here rather than in the schema: json-schema-to-ts cannot type a required key of a map.
  if (!m.variants.standard) throw new ManifestError(`${source}: variants must include "standard"`);
  for (const [name, v] of Object.entries(m.variants)) {
    for (const stage of [v.base, v.relay]) {
      if (stage && !m.components[stage.component]) {
        throw new ManifestError(
          `${source}: variant "${name}" names component "${stage.component}", which is not in components`,
        );
      }
    }
  }
  for (const [key, ref] of [
    ['single_stage', m.single_stage],
    ['scorer', m.scorer],
  ] as const) {
    if (ref && !m.components[ref.component]) {
      throw new ManifestError(
        `${source}: ${key} names component "${ref.component}", which is not in components`,
      );
    }
  }
  if (m.base.resolution % m.vae_scale_factor !== 0) {
    throw new ManifestError(
      `${source}: base.resolution ${m.base.resolution} is not divisible by vae_scale_factor ${m.vae_scale_factor}`,
    );
  }
  return m;
}

export async function loadManifest(dir: string): Promise<Manifest> {
  const path = join(dir, 'manifest.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new ManifestError(`cannot read model manifest ${path}`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ManifestError(`${path} is not valid JSON`, { cause });
  }
  return parseManifest(json, path);
}

/** Reads a file the manifest names and checks its sha256; errors name the file. */
export async function readVerified(dir: string, file: string, sha256: string): Promise<Buffer> {
  const path = resolve(dir, file);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    throw new ManifestError(`model file ${path} is missing or unreadable`, { cause });
  }
  const got = createHash('sha256').update(bytes).digest('hex');
  if (got !== sha256)
    throw new ManifestError(`model file ${path}: sha256 ${got} does not match the manifest's ${sha256}`);
  return bytes;
}

/** Output sizes a model supports: base, then ×2 per relay stage. */
export function supportedSizes(m: Manifest): number[] {
  return Array.from({ length: m.relay.max_stages + 1 }, (_, i) => m.base.resolution * 2 ** i);
}
