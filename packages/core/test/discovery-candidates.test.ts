import { expect } from 'chai';
import { candidatePackages } from '@losskit/core';

// Which package names discovery would try for a loss name (discovery.test.ts imports them).
describe('plugin discovery', () => {
  describe('candidate package names', () => {
    it('maps a plain name to @losskit/loss-<name> then losskit-loss-<name>', () => {
      expect(candidatePackages('focal-loss')).to.deep.equal(['@losskit/loss-focal-loss', 'losskit-loss-focal-loss']);
    });

    it('maps @scope/name to @scope/losskit-loss-name only', () => {
      expect(candidatePackages('@acme/ssim')).to.deep.equal(['@acme/losskit-loss-ssim']);
    });

    it('gives no package for anything that is not lowercase kebab-case', () => {
      for (const name of ['../x', './x', '/x', 'file:///x', 'https://x.test/x.js', 'x/y', '@a/b/c', 'Mse', 'a_b', 'a--b', '-a', 'a-', '@/a', '', 'a b', 'a\u0000']) {
        expect(candidatePackages(name), name).to.deep.equal([]);
      }
    });
  });
});
