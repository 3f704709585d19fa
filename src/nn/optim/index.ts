/** Optimizers, gradient clipping and learning-rate schedules. */
export { Optimizer, type Params, type ParamGroup, type UpdateContext, type OptimizerState } from './optimizer.js';
export { AdamW, type AdamWOptions } from './adamw.js';
export { SGD, type SGDOptions } from './sgd.js';
export { clipGradNorm } from './clip-grad-norm.js';
export { warmupCosine, constantLr, LrScheduler, type Schedule, type WarmupCosineOptions } from './schedules.js';
export { decayGroups } from './param-groups.js';
