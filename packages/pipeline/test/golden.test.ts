/** Golden numbers of the committed default model (see golden-check.ts). */
import { test } from 'node:test';
import { DEFAULT_MODEL_DIR } from '../src/index.ts';
import { checkBase, checkRelay, checkTokensAndNoise } from './golden-check.ts';

const dir = DEFAULT_MODEL_DIR;

test('golden: tokens and noise match the Python reference', () => checkTokensAndNoise(dir));
test('golden: base sampling loop matches to 1e-4 relative', async () => {
  await checkBase(dir);
});
test('golden: relay hand-off and relay loop match to 1e-4 relative', async () => {
  await checkRelay(dir);
});
