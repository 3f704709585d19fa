/** The moe layer's public surface: DS-MoE layers, losses, routing, dispatch, statistics. */
export { MoEFeedForward, type MoEFeedForwardOptions, type MoEForwardOutput, type MoEInferOutput, type MoEAux, type TrainingRouting } from './moe-ffn.js';
export { Router, type RouterKind, type RouterOptions } from './router.js';
export { miLoss, conditionalEntropy, marginalEntropy, MI_EPS } from './mi-loss.js';
export { switchLoss, routerZLoss } from './balance-loss.js';
export { route, checkMode, rankExperts, thresholdTopKCount, type InferMode, type Routing } from './routing.js';
export { dispatch, dispatchGrouped, sortByExpert, type SortedPairs, type ExpertBlock, type ExpertFn, type ExpertGroups, type GroupedExpertFn } from './dispatch.js';
export { ffnOracle, ffnHostWeights, expertOnToken, sharedOnToken, choicesOf, type FfnHostWeights } from './oracle.js';
export { routingStats, type RoutingStats, type CostModel } from './stats.js';
export { MoEAttention, type MoEAttentionOptions, type AttentionPositional } from './moe-attention.js';
export { attentionOracle, attentionHostWeights, attentionExpertOnToken, kvHeadOf, type AttentionHostWeights } from './attention-oracle.js';
export { LanguageModel, type LMAux, type LMLoss, type LMInferResult } from './lm.js';
export { DecodeState, type DecodeStateOptions } from './decode-state.js';
export { lmConfig, configFromJSON, validateConfig, presetNames, routerExperts, PRESETS, type LMConfig, type ModelKind } from './lm-config.js';
export { SharedExperts } from './shared-experts.js';
export { ZERO_EXPERT_KINDS, zeroExpertsOutput, type ZeroExpertKind } from './zero-experts.js';
export { dtsTemperature, checkDtsSchedule, type DtsSchedule } from './dts-gate.js';
export type { LMInferOptions, LMStats, LayerStats } from './lm-stats.js';
export { DenseFeedForward } from './dense-ffn.js';
