// Property tests (fast-check) run from one fixed seed, so a run is repeatable and CI cannot go red
// by chance. FC_SEED=random explores new cases (a failure prints its seed); FC_SEED=N replays one.
import fc from 'fast-check';

const chosen = process.env.FC_SEED ?? '20261202';
if (chosen !== 'random') {
  const seed = Number(chosen);
  if (!Number.isInteger(seed)) {
    console.error(`FC_SEED must be an integer or "random", not "${chosen}"`);
    process.exit(2);
  }
  fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
}
