import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { CORE_API_VERSION, CORE_PACKAGE_VERSION, RegisterLoss, VersionMismatchError, getLossRegistry, registerLossFunction } from '@losskit/core';
import * as tf from '@tensorflow/tfjs';

// The plugin API version (what coreApi ranges are about) and the package version of
// @losskit/core differ (API 1.0.0 in package 0.1.0); the mismatch message must keep them apart.

const corePackage = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

describe('core: the plugin API mismatch message', () => {
  it('CORE_PACKAGE_VERSION is the version in package.json', () => {
    expect(CORE_PACKAGE_VERSION).to.equal(corePackage.version);
  });

  it('names the plugin API range, the installed package version and the API it implements, each as what it is', () => {
    const name = `future-plugin-${process.pid}`;
    let error: unknown;
    try {
      @RegisterLoss({ name, description: 'x', coreApi: '^2.0.0', package: { name: 'losskit-loss-future', version: '3.1.0' } })
      class FutureLoss {
        compute(yTrue: tf.Tensor) {
          return tf.sum(yTrue, -1);
        }
      }
      void FutureLoss;
    } catch (caught) {
      error = caught;
    }
    expect(error).to.be.instanceOf(VersionMismatchError);
    const message = (error as Error).message;
    expect(message).to.include(`Loss plugin '${name}' (losskit-loss-future@3.1.0 (class FutureLoss)) was built for the losskit plugin API ^2.0.0`);
    expect(message).to.include(`the installed @losskit/core ${corePackage.version} implements plugin API ${CORE_API_VERSION}`);
    expect(message).to.include('The plugin API version is not the @losskit/core package version');
    expect(message).to.include(`coreApi range includes ${CORE_API_VERSION}`);
    // The old wording asked for a plugin "built for core 1.x", which reads as a package version.
    expect(message).not.to.match(/core \d+\.x/);
    expect(getLossRegistry().has(name)).to.equal(false);
  });

  it('is the same for function losses', () => {
    const name = `future-function-${process.pid}`;
    expect(() => registerLossFunction({ name, description: 'x', coreApi: '>=9' }, (t) => t)).to.throw(
      VersionMismatchError,
      new RegExp(`function '${name}'\\) was built for the losskit plugin API >=9 .*@losskit/core ${corePackage.version.replace(/\./g, '\\.')} implements plugin API`),
    );
  });
});
