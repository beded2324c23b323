import { expect } from 'chai';
import semver from 'semver';
import { getLossRegistry, registerLossFunction } from '../src/index.js';
import { satisfiesRange } from '../src/plugin-factory.js';
import { CORE_API_VERSION } from '../src/version.js';

// A plugin's `coreApi` is an npm range, checked against the plugin API version core implements.
// Whatever satisfiesRange is built on (it imports one semver function, to keep browser bundles
// small: bench/browser-bundle-size.bench.mjs), it must answer as npm's semver does, x-ranges
// included (a smaller library that read '1.x' or '*' differently was tried and reverted).

/** Hand-read npm semantics for the API version 1.0.0: the range and whether 1.0.0 is in it. */
const AT_1_0_0: Array<[string, boolean]> = [
  ['*', true],
  ['', true],
  ['x', true],
  ['1', true],
  ['1.x', true],
  ['1.0.x', true],
  ['1.X.x', true],
  ['2.x', false],
  ['0.x', false],
  ['^1.0.0', true],
  ['^1', true],
  ['^0.9.0', false],
  ['^1.0.1', false],
  ['~1.0.0', true],
  ['~1', true],
  ['~0.9', false],
  ['>=1.0.0', true],
  ['>1.0.0', false],
  ['<2', true],
  ['>=1 <2', true],
  ['>=2.0.0 <3', false],
  ['>=9', false],
  ['0.9 - 1.0', true],
  ['1.0.0 - 2', true],
  ['1.0.1 - 2', false],
  ['^0.5 || ^1', true],
  ['^2 || ^3', false],
  ['1.0.0', true],
  ['=1.0.0', true],
  ['v1.0.0', true],
  // Prereleases: 1.0.0 is above every 1.0.0 prerelease.
  ['>=1.0.0-rc.1', true],
  ['^1.0.0-beta', true],
  ['1.0.0-alpha', false],
  ['<1.0.0-rc.1', false],
  // Not ranges at all: as incompatible as a wrong one.
  ['not a range', false],
  ['1.0.0.0', false],
];

describe('core: plugin API ranges (satisfiesRange) answer as npm semver does', () => {
  it(`for the API version ${CORE_API_VERSION}: x-ranges, '*', tilde, caret, hyphen ranges, unions and prereleases`, () => {
    expect(CORE_API_VERSION).to.equal('1.0.0');
    for (const [range, expected] of AT_1_0_0) expect(satisfiesRange('1.0.0', range), JSON.stringify(range)).to.equal(expected);
  });

  it("for other versions too, the same answers as semver's full package", () => {
    const versions = ['0.9.0', '1.0.0-rc.1', '1.0.0', '1.0.1', '1.2.3', '1.9.9-beta.2', '2.0.0', '2.0.0-alpha'];
    const ranges = [...AT_1_0_0.map(([range]) => range), '~1.2', '~1.2.3-beta.1', '^1.2.3-beta.2', '1.2 - 1.9', '>1.9.9-alpha', '<=2.0.0-alpha', '1.x || >=2.0.0-alpha <2.0.1'];
    for (const version of versions) {
      for (const range of ranges) {
        const reference = semver.validRange(range) === null ? false : semver.satisfies(version, range);
        expect(satisfiesRange(version, range), `${version} in ${JSON.stringify(range)}`).to.equal(reference);
      }
    }
  });

  after(() => {
    for (const name of ['range-x', 'range-star', 'range-two']) getLossRegistry().unregister(name);
  });

  it("registration accepts '1.x' and '*' and refuses '>=2.0.0 <3'", () => {
    const identity = (t: import('@tensorflow/tfjs').Tensor) => t;
    expect(() => registerLossFunction({ name: 'range-x', description: 'x', coreApi: '1.x' }, identity)).not.to.throw();
    expect(() => registerLossFunction({ name: 'range-star', description: 'x', coreApi: '*' }, identity)).not.to.throw();
    expect(() => registerLossFunction({ name: 'range-two', description: 'x', coreApi: '>=2.0.0 <3' }, identity)).to.throw(/>=2\.0\.0 <3/);
  });
});
