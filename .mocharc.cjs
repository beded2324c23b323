// One mocha run for the whole workspace; tests are TypeScript, transpiled on the fly by tsx.
module.exports = {
  import: ['tsx'],
  require: [],
  spec: ['packages/*/test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
  timeout: 120000,
  reporter: './scripts/summary-reporter.cjs',
};
