import { InvalidOptionsError } from './errors.js';
/**
 * Unknown keys are refused rather than dropped: a misspelt option ('alpah') silently
 * falling back to its default is the worst kind of bug in a loss.
 */
export function strictSchema(schema) {
    const maybeObject = schema;
    return typeof maybeObject.strict === 'function' ? maybeObject.strict() : schema;
}
/** Validates options against a plugin's schema and fills in defaults. */
export function validateOptions(lossName, schema, options) {
    if (!schema) {
        const given = Object.keys(options);
        if (given.length === 0)
            return {};
        throw new InvalidOptionsError(lossName, given.map((option) => ({ option, message: 'this loss takes no options', received: options[option] })));
    }
    const result = schema.safeParse(options);
    if (result.success)
        return result.data;
    const problems = result.error.issues.flatMap((issue) => {
        if (issue.code === 'unrecognized_keys') {
            const known = knownOptions(schema);
            return issue.keys.map((key) => ({
                option: [...issue.path.map(String), key].join('.'),
                message: `unknown option; known options: ${known.join(', ') || '(none)'}`,
                received: options[key],
            }));
        }
        const option = issue.path.map(String).join('.') || '(options)';
        return [{ option, message: issue.message, received: valueAt(options, issue.path) }];
    });
    throw new InvalidOptionsError(lossName, problems);
}
/** The defaults a schema fills into empty options, or undefined when some option is required. */
export function defaultOptions(schema) {
    if (!schema)
        return {};
    const result = schema.safeParse({});
    return result.success ? result.data : undefined;
}
export function knownOptions(schema) {
    const shape = schema.shape;
    return shape ? Object.keys(shape) : [];
}
function valueAt(root, path) {
    let value = root;
    for (const key of path) {
        if (value === null || typeof value !== 'object')
            return undefined;
        value = value[key];
    }
    return value;
}
