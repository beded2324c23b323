import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { BackendUnavailableError, selectBackend } from '@losskit/trainer';

// The browser backends as seen from Node: accepted names that fail with a reason, never the
// old "unknown backend". Keeping an application's webgl is shown in Chromium (test/browser).
describe('Trainer: browser backend names', function () {
  after(async () => {
    await tf.setBackend('cpu');
  });

  it("backend 'webgpu' without @tensorflow/tfjs-backend-webgpu says to install it", async () => {
    const error = await selectBackend('webgpu', { env: {}, logger: () => {} }).then(() => undefined, (e: unknown) => e);
    expect(error).to.be.instanceOf(BackendUnavailableError);
    expect((error as Error).message).to.equal(
      "Backend 'webgpu' (forced by the backend option) cannot be used: @tensorflow/tfjs-backend-webgpu is not installed " +
        '(install it next to @tensorflow/tfjs to train on webgpu)',
    );
  });

  it('LOSSKIT_BACKEND=webgl is accepted and, where there is no WebGL (Node), fails naming it', async () => {
    const error = await selectBackend('auto', { env: { LOSSKIT_BACKEND: 'webgl' }, logger: () => {} }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(BackendUnavailableError);
    expect((error as Error).message).to.match(/^Backend 'webgl' \(forced by LOSSKIT_BACKEND=webgl\) cannot be used: /);
  });
});
