import { TrainerInputError } from '../errors.js';

/** A learning-rate option or schedule spec that is not valid. */
export class ScheduleError extends TrainerInputError {}

/** Clipping, accumulation or learning-rate options of the training optimizer that are not valid. */
export class OptimizerOptionsError extends TrainerInputError {}
