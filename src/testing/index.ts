/**
 * dsmoe/testing: property-test kit for tensor code and Mixture-of-Experts
 * routing and layers, on fast-check (a peer dependency). docs/testing.md
 * walks through it.
 */
export { shapeArb, broadcastableToArb, broadcastPairArb, broadcastOf, sizeOf, type ShapeOptions } from './shapes.js';
export { scalarArb, valuesOfShapeArb, tensorValuesArb, toTensor, type TensorValues, type ValueOptions } from './tensor-values.js';
export { scoresArb, scoreRowArb, scoreRow, epsFor, topPFor, type ScoreMatrix, type ScoreOptions } from './scores.js';
export { modeArb, topPArb, type ModeOptions } from './modes.js';
export { permutationArb, permuteRows } from './permutations.js';
export { InvariantError } from './check-error.js';
export type { RunOptions } from './run-options.js';
export { ranksBefore, specRanking, specThresholdSet, specThresholdTopKCount, specTopPCount } from './routing-spec.js';
export {
  checkWellFormed, checkOrderAndGates, checkTopK, checkThreshold, checkThresholdTopK, checkTopP, checkRoutingOf,
  checkMonotoneInEps, checkMonotoneInP, checkTopNIsDense, checkTopPOneIsDense, checkLoads, checkPermutationEquivariance, type RoutingFunction,
} from './routing-checks.js';
export {
  routingProperties, checkRoutingFunction, ROUTING_INVARIANTS, type RoutingInvariant, type RoutingCase, type RoutingCheckOptions,
} from './routing-properties.js';
export { gradcheckProperty, type GradcheckPropertyOptions, type GradcheckPropertyResult } from './gradcheck-property.js';
export { checkDispatcher, checkSparseBound } from './layer-checks.js';
export { layerCaseArb, type LayerForward, type LayerRun, type LayerCase, type LayerCheckOptions, type FfnHostWeights } from './layer-forward.js';
export { checkMiLoss, miLossSpec, type MiLossFunction, type MiCheckOptions } from './mi-checks.js';
export { moeGradcheck, type MoEGradCase, type MoEGradRun, type SparseMoEForward, type MoEGradcheckOptions } from './moe-gradcheck.js';
