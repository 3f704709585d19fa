/**
 * Global fast-check settings for every test file (vitest `setupFiles`).
 *
 * Every failing property prints its seed and counterexample path. To replay
 * exactly that run, set them in the environment and run only that test:
 *
 *   DSMOE_SEED=-1234567 DSMOE_PATH="3:1:0" npx vitest run test/autograd/grad-elementwise.test.ts -t "div"
 *
 * DSMOE_SEED alone re-runs every property with that seed (DSMOE_PATH applies
 * to one property, so combine it with -t).
 */
import fc from 'fast-check';

const seedEnv = process.env.DSMOE_SEED;
const pathEnv = process.env.DSMOE_PATH;

if (seedEnv !== undefined && seedEnv !== '') {
  const seed = Number(seedEnv);
  if (!Number.isInteger(seed)) throw new Error(`DSMOE_SEED must be an integer, got '${seedEnv}'`);
  fc.configureGlobal({ ...fc.readConfigureGlobal(), seed, ...(pathEnv ? { path: pathEnv } : {}) });
}

fc.configureGlobal({
  ...fc.readConfigureGlobal(),
  // The property's own error goes into the report (vitest then shows it inline).
  includeErrorInReport: true,
  reporter(details) {
    if (!details.failed) return;
    const replay = details.counterexamplePath === null ? '' : ` DSMOE_PATH="${details.counterexamplePath}"`;
    throw new Error(`${fc.defaultReportMessage(details)}\n\nReplay with: DSMOE_SEED=${details.seed}${replay} npx vitest run <this file> -t "<this test>"`);
  },
});
