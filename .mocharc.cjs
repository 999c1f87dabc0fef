// One mocha configuration for every layer. `npm test` runs unit, integration and room suites;
// TEST_SUITES picks layers (e.g. "integration,rooms" for the database pass in CI), and
// TEST_DATABASE_URL moves the database suites from embedded PGlite to a PostgreSQL server.
const layers = (process.env.TEST_SUITES || 'unit,integration,rooms').split(',').map((s) => s.trim()).filter(Boolean);
module.exports = {
  require: ['tsx/cjs', 'test/helpers/hooks.ts'],
  spec: layers.map((layer) => `test/${layer}/**/*.test.ts`),
  extension: ['ts'],
  timeout: 20000,
  reporter: 'test/helpers/reporter.cjs',
  exit: true,
};
