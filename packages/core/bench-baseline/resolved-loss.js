import * as tf from '@tensorflow/tfjs';
import { ShapeMismatchError } from './errors.js';
import { DEFAULT_REDUCTION, reduceLoss } from './reduction.js';
class BaseResolvedLoss {
    compute(yTrue, yPred, sampleWeight) {
        return tf.tidy(() => reduceLoss(this.perSample(yTrue, yPred), this.reduction, sampleWeight, this.name));
    }
    asTfjsLoss() {
        const fn = (yTrue, yPred) => this.compute(yTrue, yPred);
        Object.defineProperty(fn, 'name', { value: this.name });
        return fn;
    }
}
export class SingleResolvedLoss extends BaseResolvedLoss {
    name;
    plugin;
    spec;
    reduction;
    constructor(name, plugin, spec, reduction) {
        super();
        this.name = name;
        this.plugin = plugin;
        this.spec = spec;
        this.reduction = reduction;
    }
    perSample(yTrue, yPred) {
        this.checkInputs(yTrue, yPred);
        const values = tf.tidy(() => this.plugin.compute(yTrue, yPred));
        const batch = yPred.shape[0];
        if (values.rank === 0 || values.shape[0] !== batch) {
            const shape = values.shape;
            values.dispose();
            throw new ShapeMismatchError(`Loss plugin '${this.name}' returned values of shape [${shape}] for a batch of ${batch}; ` +
                `a plugin's compute() must return per-sample values with the batch on the first axis ` +
                `(e.g. reduce over the other axes with axis=-1, not over the batch).`);
        }
        return values;
    }
    async prepare() {
        await this.plugin.prepare?.();
    }
    dispose() {
        this.plugin.dispose?.();
    }
    checkInputs(yTrue, yPred) {
        if (this.plugin.validateShapes) {
            this.plugin.validateShapes(yTrue.shape, yPred.shape);
            return;
        }
        if (!sameShape(yTrue.shape, yPred.shape)) {
            throw new ShapeMismatchError(`Loss '${this.name}': y_true has shape [${yTrue.shape}] but y_pred has shape [${yPred.shape}]. ` +
                `They must match: check that the model's last layer has as many units as the targets have ` +
                `values, and that labels are encoded the way the loss expects.`);
        }
    }
}
export class SumResolvedLoss extends BaseResolvedLoss {
    terms;
    reduction;
    name;
    spec;
    constructor(terms, reduction = DEFAULT_REDUCTION) {
        super();
        this.terms = terms;
        this.reduction = reduction;
        this.name = terms.map((term) => term.name).join('+');
        this.spec = { sum: terms.map((term) => term.spec), reduction };
    }
    perSample(yTrue, yPred) {
        return tf.tidy(() => this.weightedSum(this.terms.map((term) => term.perSample(yTrue, yPred))));
    }
    /**
     * Each term's value before its weight, reduced with the sum's reduction and sample weights,
     * for logging; keys are the terms' names. Weighted by the terms' weights they add up to
     * `compute` (element-wise for 'none').
     */
    termValues(yTrue, yPred, sampleWeight) {
        return new Map(this.terms.map((term) => [
            term.name,
            tf.tidy(() => reduceLoss(term.perSample(yTrue, yPred), this.reduction, sampleWeight, term.name)),
        ]));
    }
    /**
     * `compute` and `termValues` together, from one evaluation of each term: the terms are the
     * costly part of a sum, and a training step that logs them needs both.
     */
    computeWithTermValues(yTrue, yPred, sampleWeight) {
        const { value, terms } = tf.tidy(() => {
            const perTerm = this.terms.map((term) => term.perSample(yTrue, yPred));
            return {
                value: reduceLoss(this.weightedSum(perTerm), this.reduction, sampleWeight, this.name),
                terms: this.terms.map((term, i) => reduceLoss(perTerm[i], this.reduction, sampleWeight, term.name)),
            };
        });
        return { value, termValues: new Map(this.terms.map((term, i) => [term.name, terms[i]])) };
    }
    weightedSum(perTerm) {
        const parts = perTerm.map((values, i) => tf.mul(values, termWeight(this.terms[i])));
        const mismatch = parts.find((part) => !sameShape(part.shape, parts[0].shape));
        if (mismatch) {
            throw new ShapeMismatchError(`Sum loss '${this.name}': its terms return per-sample values of different shapes ` +
                `(${parts.map((part, i) => `${this.terms[i].name}: [${part.shape}]`).join(', ')}); ` +
                `only losses with the same per-sample shape can be summed.`);
        }
        return tf.addN(parts);
    }
    async prepare() {
        for (const term of this.terms)
            await term.prepare();
    }
    dispose() {
        for (const term of this.terms)
            term.dispose();
    }
}
function termWeight(term) {
    return term.spec.weight ?? 1;
}
function sameShape(a, b) {
    return a.length === b.length && a.every((dim, i) => dim === b[i]);
}
