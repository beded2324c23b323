import { expect } from 'chai';
import { getLossRegistry, LossSpecError } from '@losskit/core';

// The spec errors agree with each other about `weight`: it belongs to a sum's terms only, so
// no message offers it for a spec outside a sum, and the one for a weight there says why.
describe('core: loss spec messages about weight', () => {
  const registry = getLossRegistry();
  const messageOf = (spec: unknown) => {
    try {
      registry.resolveSync(spec as never);
    } catch (error) {
      expect(error).to.be.instanceOf(LossSpecError);
      return (error as Error).message;
    }
    throw new Error('expected the spec to be refused');
  };

  it('a value that is no spec shows the forms without a weight outside a sum', () => {
    const message = messageOf(42);
    expect(message).to.contain("{ name: 'mse', options?: {...}, reduction?: '...' }").and.contain('whose terms may also have a weight');
    expect(message).not.to.contain('weight?: 1');
  });

  it("an unknown key outside a sum lists the keys without weight, and says where weight goes", () => {
    const message = messageOf({ name: 'huber', reducton: 'sum' });
    expect(message).to.contain("unknown key \"reducton\" (did you mean 'reduction'?); a loss spec has only name, options, reduction, package (and weight, in a sum's terms)");
  });

  it("in a sum's term, weight is one of the keys", () => {
    const message = messageOf({ sum: [{ name: 'huber', wieght: 2 }] });
    expect(message).to.contain("(did you mean 'weight'?); a loss spec has only name, options, reduction, weight, package.");
  });

  it('a weight outside a sum still gets its own message pointing at lossWeights', () => {
    expect(messageOf({ name: 'huber', weight: 1 })).to.contain("'weight' is only for the terms of a sum").and.contain('lossWeights');
  });
});
