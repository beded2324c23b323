import * as tf from '@tensorflow/tfjs';
import { functionFactory } from './registry.js';
import { ShapeMismatchError } from './errors.js';
import { CORE_API_VERSION } from './version.js';
// TF.js's own losses (tfjs-layers src/losses.ts), per sample over the last axis, so that every
// name `model.compile` accepts resolves here too, plus kebab-case and short names. They are
// "builtin": a plugin that registers one of these names replaces it without a duplicate error.
const eps = () => tf.backend().epsilon();
const meanSquaredError = (t, p) => tf.mean(tf.square(tf.sub(p, t)), -1);
const meanAbsoluteError = (t, p) => tf.mean(tf.abs(tf.sub(p, t)), -1);
const meanAbsolutePercentageError = (t, p) => {
    const scale = tf.clipByValue(tf.abs(t), eps(), Number.MAX_VALUE);
    return tf.mul(100, tf.mean(tf.abs(tf.div(tf.sub(t, p), scale)), -1));
};
const meanSquaredLogarithmicError = (t, p) => {
    const logOf = (x) => tf.log1p(tf.clipByValue(x, eps(), Number.MAX_VALUE));
    return tf.mean(tf.square(tf.sub(logOf(p), logOf(t))), -1);
};
const hinge = (t, p) => tf.mean(tf.relu(tf.sub(1, tf.mul(t, p))), -1);
const squaredHinge = (t, p) => tf.mean(tf.square(tf.relu(tf.sub(1, tf.mul(t, p)))), -1);
const categoricalHinge = (t, p) => {
    const positive = tf.sum(tf.mul(t, p), -1);
    const negative = tf.max(tf.mul(tf.sub(1, t), p), -1);
    return tf.relu(tf.add(1, tf.sub(negative, positive)));
};
const logcosh = (t, p) => {
    const diff = tf.sub(p, t);
    return tf.mean(tf.sub(tf.add(diff, tf.softplus(tf.mul(-2, diff))), Math.LN2), -1);
};
const categoricalCrossentropy = (t, p) => {
    const normalized = tf.div(p, tf.sum(p, -1, true));
    const clipped = tf.clipByValue(normalized, eps(), 1 - eps());
    return tf.neg(tf.sum(tf.mul(t, tf.log(clipped)), -1));
};
const sparseCategoricalCrossentropy = (t, p) => {
    const classes = p.shape[p.rank - 1];
    const labels = tf.cast(tf.floor(tf.reshape(t, [-1])), 'int32');
    const oneHot = tf.reshape(tf.oneHot(labels, classes), p.shape);
    return categoricalCrossentropy(oneHot, p);
};
const binaryCrossentropy = (t, p) => {
    const clipped = tf.clipByValue(p, eps(), 1 - eps());
    const logits = tf.log(tf.div(clipped, tf.sub(1, clipped)));
    // sigmoid cross-entropy with logits, in its numerically stable form
    const perElement = tf.add(tf.sub(tf.relu(logits), tf.mul(logits, t)), tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
    return tf.mean(perElement, -1);
};
const kullbackLeiblerDivergence = (t, p) => {
    const clippedTrue = tf.clipByValue(t, eps(), 1);
    const clippedPred = tf.clipByValue(p, eps(), 1);
    return tf.sum(tf.mul(t, tf.log(tf.div(clippedTrue, clippedPred))), -1);
};
const poisson = (t, p) => tf.mean(tf.sub(p, tf.mul(t, tf.log(tf.add(eps(), p)))), -1);
const cosineProximity = (t, p) => {
    const unit = (x) => tf.div(x, tf.sqrt(tf.maximum(tf.sum(tf.square(x), -1, true), eps())));
    return tf.neg(tf.sum(tf.mul(unit(t), unit(p)), -1));
};
const BUILTINS = [
    { name: 'mean-squared-error', aliases: ['meanSquaredError'], description: 'Mean of squared differences over the last axis.', fn: meanSquaredError },
    { name: 'mean-absolute-error', aliases: ['meanAbsoluteError', 'mae', 'l1'], description: 'Mean of absolute differences over the last axis.', fn: meanAbsoluteError },
    { name: 'mean-absolute-percentage-error', aliases: ['meanAbsolutePercentageError', 'mape'], description: '100 * mean |(y_true - y_pred) / y_true| over the last axis.', fn: meanAbsolutePercentageError },
    { name: 'mean-squared-logarithmic-error', aliases: ['meanSquaredLogarithmicError', 'msle'], description: 'Mean squared difference of log(1 + y) over the last axis.', fn: meanSquaredLogarithmicError },
    { name: 'hinge', aliases: [], description: 'Mean of max(0, 1 - y_true * y_pred); labels in {-1, 1}.', fn: hinge },
    { name: 'squared-hinge', aliases: ['squaredHinge'], description: 'Mean of max(0, 1 - y_true * y_pred)^2; labels in {-1, 1}.', fn: squaredHinge },
    { name: 'categorical-hinge', aliases: ['categoricalHinge'], description: 'max(0, 1 + max negative score - positive score).', fn: categoricalHinge },
    { name: 'logcosh', aliases: ['log-cosh'], description: 'Mean of log(cosh(y_pred - y_true)) over the last axis.', fn: logcosh },
    { name: 'categorical-crossentropy', aliases: ['categoricalCrossentropy'], description: 'Cross-entropy of one-hot targets and predicted probabilities.', fn: categoricalCrossentropy },
    {
        name: 'sparse-categorical-crossentropy',
        aliases: ['sparseCategoricalCrossentropy'],
        description: 'Cross-entropy of integer class labels and predicted probabilities.',
        fn: sparseCategoricalCrossentropy,
        validateShapes: (yTrue, yPred) => {
            const labels = yTrue.reduce((a, b) => a * b, 1);
            const samples = yPred.slice(0, -1).reduce((a, b) => a * b, 1);
            if (labels !== samples) {
                throw new ShapeMismatchError(`Loss 'sparse-categorical-crossentropy': expected one integer label per prediction row ` +
                    `(y_true of shape [${yPred.slice(0, -1)}] or [${yPred.slice(0, -1)},1]), got y_true of shape [${yTrue}] ` +
                    `for y_pred of shape [${yPred}]. For one-hot targets use 'categorical-crossentropy'.`);
            }
        },
    },
    { name: 'binary-crossentropy', aliases: ['binaryCrossentropy', 'bce'], description: 'Binary cross-entropy of targets in [0, 1] and predicted probabilities.', fn: binaryCrossentropy },
    { name: 'kl-divergence', aliases: ['kullbackLeiblerDivergence', 'kld'], description: 'Kullback-Leibler divergence of target and predicted distributions.', fn: kullbackLeiblerDivergence },
    { name: 'poisson', aliases: [], description: 'Mean of y_pred - y_true * log(y_pred).', fn: poisson },
    { name: 'cosine-proximity', aliases: ['cosineProximity'], description: 'Negative cosine similarity over the last axis.', fn: cosineProximity },
];
export function registerBuiltinLosses(registry) {
    for (const builtin of BUILTINS) {
        const meta = {
            name: builtin.name,
            aliases: builtin.aliases,
            description: `${builtin.description} (TF.js built-in)`,
            coreApi: `^${CORE_API_VERSION}`,
        };
        const compute = functionFactory(builtin.fn);
        registry.register({
            name: builtin.name,
            meta,
            owner: 'TF.js built-in losses (@losskit/core)',
            builtin: true,
            build: builtin.validateShapes
                ? (options, parent) => ({ ...compute(options, parent), validateShapes: builtin.validateShapes })
                : compute,
        });
    }
}
