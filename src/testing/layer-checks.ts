/**
 * Layer invariants of an FFN MoE, for a sparse forward and its weights:
 *
 *   dispatcher   in every mode, the routing follows the spec on the layer's
 *                own scores, and the output equals the per-token loop
 *                reference (oracle.ts's ffnOracle) under that routing;
 *   sparse bound per token, ‖y_sparse − y_dense‖ ≤ c·(Σ_{e∉A} S_e)·max_{e∉A} ‖e_e(x)‖,
 *                c the gate scale (1, or N): the dense output minus the
 *                sparse one is c·Σ_{e∉A} S_e·e_e(x) (b2 and the shared
 *                experts are ungated and cancel), and the triangle
 *                inequality bounds its norm. e runs over every router
 *                choice, a zero-computation expert's output being 0, x or c.
 */
import { choicesOf, expertOnToken, ffnOracle, type FfnHostWeights } from '../moe/oracle.js';
import { ensure, list } from './check-error.js';
import { layerCaseArb, norm, type LayerCase, type LayerCheckOptions, type LayerForward } from './layer-forward.js';
import { assertAsync } from './run-options.js';
import { checkRoutingOf } from './routing-checks.js';

const modeName = (c: LayerCase): string => JSON.stringify(c.mode);

/** The output equals the loop reference on the layer's own routing, which itself follows the spec. */
export async function checkDispatcher(forward: LayerForward, weights: FfnHostWeights, opts: LayerCheckOptions = {}): Promise<void> {
  const { atol = 1e-5, rtol = 1e-4 } = opts;
  const d = weights.dModel;
  await assertAsync(layerCaseArb(weights, opts), async (c) => {
    const run = await forward(Float64Array.from(c.x), c.tokens, c.mode);
    checkRoutingOf({ tokens: c.tokens, nExperts: choicesOf(weights), scores: Array.from(run.scores) }, c.mode, run.routing);
    const expected = ffnOracle(weights, c.x, run.routing);
    ensure(run.y.length === expected.length, 'dispatcher equals the loop reference', () => `y has ${run.y.length} values, expected ${c.tokens}×${d}`);
    for (let i = 0; i < expected.length; i++) {
      const [t, o] = [Math.floor(i / d), i % d];
      ensure(Math.abs(run.y[i]! - expected[i]!) <= atol + rtol * Math.abs(expected[i]!), 'dispatcher equals the loop reference', () =>
        `${modeName(c)}, token ${t} (experts ${list(run.routing.experts[t]!)}, gates ${list(run.routing.gates[t]!)}), output ${o}: ` +
        `got ${run.y[i]}, the loop gives ${expected[i]}`);
    }
  }, opts, 50);
}

/** ‖y_sparse − y_dense‖ ≤ gateScale · (unselected score mass) · (largest unselected expert output norm), per token. */
export async function checkSparseBound(forward: LayerForward, weights: FfnHostWeights, opts: LayerCheckOptions = {}): Promise<void> {
  const { atol = 1e-5 } = opts;
  const [d, n, c] = [weights.dModel, choicesOf(weights), weights.gateScale ?? 1];
  await assertAsync(layerCaseArb(weights, opts), async (cs) => {
    const x = Float64Array.from(cs.x);
    const dense = await forward(x, cs.tokens, { mode: 'dense' });
    const sparse = await forward(x, cs.tokens, cs.mode);
    for (let t = 0; t < cs.tokens; t++) {
      const chosen = new Set(sparse.routing.experts[t]);
      let [mass, largest, worst] = [0, 0, -1];
      for (let e = 0; e < n; e++) {
        if (chosen.has(e)) continue;
        mass += sparse.scores[t * n + e]!;
        const size = norm(expertOnToken(weights, e, x, t * d));
        if (size > largest) [largest, worst] = [size, e];
      }
      const diff = norm(Array.from({ length: d }, (_, o) => sparse.y[t * d + o]! - dense.y[t * d + o]!));
      const bound = c * mass * largest;
      ensure(diff <= bound + atol * (1 + norm(dense.y, t * d, d) + largest), 'sparse output within the dropped mass', () =>
        `${modeName(cs)}, token ${t} (experts ${list([...chosen])}): ‖y_sparse − y_dense‖ = ${diff} > ${c}·${mass}·${largest} = ${bound} ` +
        `(gate scale · unselected score mass · largest unselected output norm, expert ${worst})`);
    }
  }, opts, 50);
}
