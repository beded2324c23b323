// Tests are TypeScript, transpiled on the fly by tsx. The spec globs live in the root `test`
// script, so `mocha --spec <file>` runs just that file.
module.exports = {
  import: ['tsx'],
  timeout: 120000,
  reporter: './scripts/summary-reporter.cjs',
};
