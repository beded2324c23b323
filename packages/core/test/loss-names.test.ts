import * as tf from '@tensorflow/tfjs';
import { expect } from 'chai';
import { getLossRegistry, InvalidLossNameError, registerLossFunction, RegisterLoss, UnknownLossError, type LossPlugin } from '@losskit/core';

// Canonical loss names are lowercase kebab-case, because discovery derives package names from
// them: a plugin may not register another form, and an error never hints at installing a
// package that a name cannot have.
const registry = getLossRegistry();
const tag = `${process.pid}-${Date.now().toString(36)}`;
const absDiff = (t: tf.Tensor, p: tf.Tensor) => tf.sum(tf.abs(tf.sub(t, p)), -1);

function refusal(register: () => void): InvalidLossNameError {
  const namesBefore = registry.list();
  let error: unknown;
  try {
    register();
  } catch (e) {
    error = e;
  }
  expect(error).to.be.instanceOf(InvalidLossNameError);
  expect(registry.list(), 'nothing was registered').to.deep.equal(namesBefore);
  return error as InvalidLossNameError;
}

describe('core: loss names at registration', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('refuses a name that is not lowercase kebab-case, naming it, the rule and a kebab-case form', () => {
    const cases: [string, string | undefined][] = [
      [`AcmeX${tag}`, `acme-x${tag}`],
      [`my_loss_${tag}`, `my-loss-${tag}`],
      [`a/b-${tag}`, `a-b-${tag}`],
      ['', undefined],
    ];
    for (const [name, kebab] of cases) {
      const error = refusal(() => registerLossFunction({ name, description: 'x', package: { name: 'acme-losses', version: '1.0.0' } }, absDiff));
      expect(error.message, name).to.contain(JSON.stringify(name)).and.contain('acme-losses@1.0.0').and.contain('lowercase kebab-case');
      expect(error.suggestion, name).to.equal(kebab);
      expect(error.message, name).to.contain(kebab ? `e.g. '${kebab}'` : "e.g. 'my-loss'");
      if (name) expect(() => registry.resolveSync(name), `${name} resolves to nothing`).to.throw(UnknownLossError);
    }
  });

  it('refuses it through the decorator too', () => {
    const name = `Weird_Name${tag}`;
    const error = refusal(() => {
      @RegisterLoss({ name, description: 'x', coreApi: '^1.0.0' })
      class Weird implements LossPlugin {
        compute(t: tf.Tensor, p: tf.Tensor) {
          return absDiff(t, p);
        }
      }
      return Weird;
    });
    expect(error.suggestion).to.equal(`weird-name${tag}`);
  });

  it('still accepts scoped kebab-case names, and aliases in any spelling (Keras and TF.js identifiers)', () => {
    const name = `@acme/scoped-${tag}`;
    const aliases = [`AcmeScoped${tag}`, `acme_scoped_${tag}`];
    registerLossFunction({ name, aliases, description: 'x' }, absDiff);
    try {
      for (const id of [name, ...aliases]) expect(registry.resolveSync(id).name, id).to.equal(name);
      // the first-party Keras and TF.js spellings of mse keep resolving to the kebab-case name
      for (const id of ['mean_squared_error', 'MeanSquaredError', 'meanSquaredError', 'categorical_crossentropy']) {
        expect(() => registry.resolveSync(id), id).not.to.throw(InvalidLossNameError);
      }
    } finally {
      registry.unregister(name);
    }
  });
});

describe('core: an unknown name that no package can provide', () => {
  it('gives no install hint for a name that is not kebab-case, and says why', () => {
    for (const name of ['../evil', 'mean_sqared_error', 'AcmeX', '@acme/Foo']) {
      let error: unknown;
      try {
        registry.get(name);
      } catch (e) {
        error = e;
      }
      expect(error, name).to.be.instanceOf(UnknownLossError);
      const message = (error as Error).message;
      expect(message, name).not.to.contain('pnpm add').and.not.to.contain('import \'@losskit/loss-');
      expect(message, name).to.contain('No plugin package can provide this name').and.contain('lowercase kebab-case');
      expect((error as UnknownLossError).packageToInstall, name).to.equal(undefined);
    }
  });

  it('still names the conventional package for a kebab-case name', () => {
    expect(() => registry.get('huberr')).to.throw(UnknownLossError, /pnpm add @losskit\/loss-huberr/);
  });

  it('resolve (with discovery) gives the same message', async () => {
    const error = await registry.resolve('../evil').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(UnknownLossError);
    expect((error as Error).message).not.to.contain('pnpm add');
  });
});
