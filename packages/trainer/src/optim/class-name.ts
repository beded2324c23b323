/**
 * The TF.js class name TrainingOptimizer registers under, on its own so that code which only
 * recognises one (the loop, the learning-rate callbacks) does not pull the class, its schedules
 * and clipping into a bundle that never builds one.
 */
export const TRAINING_OPTIMIZER_CLASS = 'LosskitTrainingOptimizer';
