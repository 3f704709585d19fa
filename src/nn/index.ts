/** The nn layer's public surface: modules, initialisers, attention, optimizers. */
export { Module } from './module.js';
export { Linear, type LinearOptions } from './linear.js';
export { Embedding, type EmbeddingOptions } from './embedding.js';
export { PositionalEmbedding, type PositionalEmbeddingOptions } from './positional-embedding.js';
export { LayerNorm, type LayerNormOptions, type NormOptions } from './layer-norm.js';
export { RMSNorm } from './rms-norm.js';
export { Dropout, type DropoutOptions } from './dropout.js';
export { ReLU, GELU, SiLU, Tanh, activation, ACTIVATIONS, type ActivationName } from './activations.js';
export { Sequential, type Layer } from './sequential.js';
export { functionalCall } from './functional-call.js';
export * as init from './init.js';
export { attend, causalAttention, causalMask, repeatKv, splitHeads } from './attention-core.js';
export { applyRotary, rotaryTables, rotateHalves, type RotaryOptions } from './rotary.js';
export { KvCache } from './kv-cache.js';
export { MultiHeadAttention, type MultiHeadAttentionOptions, type Positional } from './multi-head-attention.js';
export * from './optim/index.js';
