import { LossSpecError, describeValue } from './errors.js';
import { isReduction, REDUCTIONS } from './reduction.js';
export function isSumSpec(spec) {
    return typeof spec === 'object' && spec !== null && 'sum' in spec;
}
export function normalizeSingleSpec(spec) {
    if (typeof spec === 'string') {
        if (!spec.trim())
            throw new LossSpecError(`The loss spec is an empty string; give a loss name such as 'mse'.`);
        return { name: spec, options: {}, weight: 1 };
    }
    if (typeof spec !== 'object' || spec === null || typeof spec.name !== 'string' || !spec.name) {
        throw new LossSpecError(`The loss spec ${describeValue(spec)} is not a loss spec. Use a name ('mse'), ` +
            `{ name: 'mse', options?: {...}, reduction?: '...', weight?: 1 } or { sum: [spec, ...] }.`);
    }
    if (spec.reduction !== undefined && !isReduction(spec.reduction)) {
        throw new LossSpecError(`Loss '${spec.name}': unknown reduction ${describeValue(spec.reduction)}; use one of ${REDUCTIONS.join(', ')}.`);
    }
    if (spec.weight !== undefined && !(typeof spec.weight === 'number' && Number.isFinite(spec.weight))) {
        throw new LossSpecError(`Loss '${spec.name}': weight must be a finite number (got ${describeValue(spec.weight)}).`);
    }
    if (spec.options !== undefined && (typeof spec.options !== 'object' || spec.options === null || Array.isArray(spec.options))) {
        throw new LossSpecError(`Loss '${spec.name}': options must be an object (got ${describeValue(spec.options)}).`);
    }
    return { name: spec.name, options: { ...(spec.options ?? {}) }, reduction: spec.reduction, weight: spec.weight ?? 1 };
}
export function validateSumSpec(spec) {
    if (!Array.isArray(spec.sum) || spec.sum.length === 0) {
        throw new LossSpecError(`A { sum: [...] } loss spec needs at least one term, e.g. { sum: ['mse', { name: 'mae', weight: 0.5 }] }.`);
    }
    if (spec.reduction !== undefined && !isReduction(spec.reduction)) {
        throw new LossSpecError(`Sum loss: unknown reduction ${describeValue(spec.reduction)}; use one of ${REDUCTIONS.join(', ')}.`);
    }
}
/** The names a spec mentions, so callers can load plugins before resolving. */
export function lossNamesIn(spec) {
    if (isSumSpec(spec))
        return spec.sum.flatMap((term) => lossNamesIn(term));
    return [normalizeSingleSpec(spec).name];
}
