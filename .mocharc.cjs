// One mocha configuration for every layer. `npm test` runs unit, integration and room suites;
// the database backend comes from DATABASE_URL (unset: embedded PGlite), see test/helpers/db.ts.
module.exports = {
  require: ['tsx/cjs', 'test/helpers/hooks.ts'],
  spec: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/rooms/**/*.test.ts'],
  extension: ['ts'],
  timeout: 20000,
  reporter: 'test/helpers/reporter.cjs',
  exit: true,
};
