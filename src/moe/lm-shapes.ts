/**
 * The language model's state dict as names and shapes, from its config
 * alone, allocating nothing. A checkpoint loader compares a file's tensors
 * with this before it builds the model, so a file whose config claims
 * 100,000 layers (or a 65,536-wide FFN) is refused by name instead of
 * allocating what the claim implies: what gets allocated is then bounded by
 * the tensors the file really holds.
 *
 * It mirrors the modules (lm.ts, lm-block.ts, router.ts, the norms);
 * test/moe/lm.test.ts checks it against a built model's stateDict() over
 * every kind, router, position and norm, so the two cannot drift apart.
 */
import { routerExperts, type LMConfig } from './lm-config.js';

export type ShapeMap = Record<string, number[]>;

export function stateDictShapes(c: LMConfig): ShapeMap {
  return Object.fromEntries(stateDictEntries(c));
}

/**
 * The same, one [name, shape] at a time in the model's order: a checker
 * stops at the first tensor a file lacks, so even a config claiming
 * 100,000 layers costs one layer's worth of work.
 */
export function* stateDictEntries(c: LMConfig): Generator<[string, number[]]> {
  const d = c.dModel;
  yield ['embed.weight', [c.vocabSize, d]];
  if (c.positions === 'learned') yield ['pos.weight', [c.maxSeqLen, d]];
  for (let i = 0; i < c.nLayers; i++) {
    const s: ShapeMap = {};
    const p = `blocks.${i}.`;
    norm(s, `${p}norm1`, c);
    norm(s, `${p}norm2`, c);
    attention(s, `${p}attn`, c);
    ffn(s, `${p}ffn`, c);
    yield* Object.entries(s);
  }
  const s: ShapeMap = {};
  norm(s, 'normOut', c);
  yield* Object.entries(s);
}

function norm(s: ShapeMap, at: string, c: LMConfig): void {
  s[`${at}.weight`] = [c.dModel];
  if (c.norm === 'layer') s[`${at}.bias`] = [c.dModel];
}

function router(s: ShapeMap, at: string, c: LMConfig, experts: number): void {
  if (c.router === 'linear') {
    s[`${at}.proj.weight`] = [c.dModel, experts];
  } else {
    s[`${at}.proj.weight`] = [c.dModel, c.routerHidden];
    s[`${at}.proj.bias`] = [c.routerHidden];
    s[`${at}.out.weight`] = [c.routerHidden, experts];
  }
}

function attention(s: ShapeMap, at: string, c: LMConfig): void {
  const [q, kv] = [c.nHeads * c.headDim, c.nKvHeads * c.headDim];
  // MoEAttention holds its projections as bare matrices; MultiHeadAttention as Linear layers without bias.
  const w = c.kind === 'dsmoe' ? '' : '.weight';
  s[`${at}.wq${w}`] = [c.dModel, q];
  s[`${at}.wk${w}`] = [c.dModel, kv];
  s[`${at}.wv${w}`] = [c.dModel, kv];
  s[`${at}.wo${w}`] = [q, c.dModel];
  if (c.kind === 'dsmoe') router(s, `${at}.router`, c, c.attnExperts);
}

function ffn(s: ShapeMap, at: string, c: LMConfig): void {
  // The Dense model reads no routing option: its FFN is all N experts.
  const moe = c.kind !== 'dense';
  const shared = moe ? c.sharedExperts * c.expertHidden : 0;
  const width = c.nExperts * c.expertHidden - shared;
  s[`${at}.w1`] = [c.dModel, width];
  s[`${at}.b1`] = [width];
  s[`${at}.w2`] = [width, c.dModel];
  s[`${at}.b2`] = [c.dModel];
  if (!moe) return;
  router(s, `${at}.router`, c, routerExperts(c));
  if (shared > 0) {
    s[`${at}.shared.w1`] = [c.dModel, shared];
    s[`${at}.shared.b1`] = [shared];
    s[`${at}.shared.w2`] = [shared, c.dModel];
  }
  const constants = c.zeroExperts.filter((k) => k === 'constant').length;
  if (constants > 0) s[`${at}.constants`] = [constants, c.dModel];
}
