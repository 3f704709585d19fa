/**
 * MoEFeedForward: the DS-MoE feed-forward layer.
 *
 * The experts are a dense FFN cut into N column blocks: W1 is d×(N·h) and
 * W2 is (N·h)×d, expert e owns columns e·h…(e+1)·h−1 of W1 (and those
 * entries of b1) and the same rows of W2:
 *
 *   e_e(x) = act(x·W1_e + b1_e)·W2_e
 *   y(x)   = Σ_e S_e(x)·e_e(x) + b2,        S = softmax(router(x))   (eq. 1)
 *
 * (or N·S_e in place of S_e, the 'scaled' gate of gate.ts, under which a
 * uniform router gives exactly the dense FFN).
 *
 * Training (forward) is dense (paper §3.1): every expert runs, and the whole
 * layer is one GEMM pair and a gate multiply,
 *
 *   Y = (act(X·W1 + b1) ⊙ repeat(S, h))·W2 + b2,
 *
 * so every expert and the router get gradients (∇S_e = e_e(X)ᵀ∇Y,
 * ∇e_e = S_e∇Y, eqs. 2–3, with no mask). Inference (infer) is sparse, in the
 * four modes of routing.ts, through the dispatcher of dispatch.ts.
 *
 * Biases: b1 is per hidden unit, so it belongs to its expert's block and is
 * used exactly when the expert is. b2 is the FFN's output bias, shared by
 * all experts and not gated: it is added once to every token in every mode.
 * (Gating it, Σ_e S_e·b2, equals b2 in the dense layer because Σ S_e = 1, but
 * would shrink it under sparsity.) So K = N reproduces the dense output
 * exactly and y_sparse − y_dense = −Σ_{e∉A} S_e·e_e(x), bias-free.
 *
 * Sparse training, for the SMoE baseline: `training: { mode: 'topK', k }`
 * multiplies the scores by the top-k mask M before the gate, Y uses S ⊙ M,
 * so only the chosen experts contribute and get gradients (eq. 2's mask).
 * forward() still evaluates every expert (the cost of dense training, and
 * synchronous); forwardSparse() (async: it decides the routing on the host)
 * gives the same values and gradients running only the chosen experts
 * through the dispatcher. Both add the Switch load-balancing loss to aux.
 *
 * Beyond the paper, three options (each off by default):
 *   sharedExperts  s experts outside the router, a dense block every token
 *                  uses ungated (DeepSeekMoE, shared-experts.ts): y gains
 *                  shared(x) in training and in every inference mode;
 *   zeroExperts    router choices that run no GEMM (MoE++, zero-experts.ts):
 *                  the router scores N + Z choices, the N FFN experts first;
 *                  a pair routed to one adds g·E(x) (0, x or a constant c),
 *                  dispatched as a gather and a scatter-add;
 *   the router's temperature (the DTS gate, dts-gate.ts), set from outside.
 * So in full, with the gate g_e = c·S_e,
 *
 *   y(x) = Σ_{e∈A(x), e<N} g_e·e_e(x) + Σ_{z∈A(x), z≥N} g_z·E_z(x) + shared(x) + b2.
 */
import { ACTIVATIONS, activation, type ActivationName } from '../nn/activations.js';
import { checkPositiveInt } from '../nn/checks.js';
import { kaimingUniform, zerosParam } from '../nn/init.js';
import { Module } from '../nn/module.js';
import { fromData } from '../tensor/create.js';
import { noGrad } from '../tensor/grad-mode.js';
import { groupedMatmul } from '../tensor/ops/grouped-matmul.js';
import { tidy } from '../tensor/tidy.js';
import { oneHot } from '../tensor/ops/functional.js';
import type { DType } from '../base/dtype.js';
import type { Tensor } from '../tensor/tensor.js';
import { fmt } from '../base/shape.js';
import { switchLoss, routerZLoss } from './balance-loss.js';
import { dispatchGrouped, sortByExpert, type ExpertGroups, type SortedPairs } from './dispatch.js';
import { checkGateScale, gateFactor, outputFanIn, type GateScale } from './gate.js';
import { miLoss } from './mi-loss.js';
import { Router, type RouterKind } from './router.js';
import { checkMode, route, type InferMode, type Routing } from './routing.js';
import { SharedExperts } from './shared-experts.js';
import { routingStats, type CostModel, type RoutingStats } from './stats.js';
import { checkZeroExperts, constantRows, zeroExpertParams, zeroExpertsOutput, type ZeroExpertKind } from './zero-experts.js';

/** The expert's nonlinearity: 'gelu' (default), 'relu', 'silu' or 'tanh'. */

/** How forward() routes: DS-MoE's dense training, or the SMoE baseline's top-k. */
export type TrainingRouting = { mode: 'dense' } | { mode: 'topK'; k: number };

export interface MoEFeedForwardOptions {
  dModel: number;
  nExperts: number;
  /** Hidden units per expert (h); the layer has N·h in all. */
  expertHidden: number;
  activation?: ActivationName;
  router?: RouterKind;
  /** Hidden width of the 'mlp' router (default dModel). */
  routerHidden?: number;
  /** b1 and b2 (default true). */
  bias?: boolean;
  /** Default { mode: 'dense' }. */
  training?: TrainingRouting;
  /** How the experts' outputs are weighed (gate.ts): 'convex' (default, eq. 1) or 'scaled' (N·S_e). */
  gate?: GateScale;
  /** Parameter dtype (default float32; float64 runs on the cpu backend). */
  dtype?: DType;
  /** Experts every token uses, outside the router, each expertHidden wide (default 0). */
  sharedExperts?: number;
  /** Zero-computation experts, router choices N … N + Z − 1 in this order (default none). */
  zeroExperts?: readonly ZeroExpertKind[];
}

/** Auxiliary losses of one forward, per router, for the model to weight and sum. */
export interface MoEAux {
  /** The MI loss (mi-loss.ts) of this layer's router. */
  mi: Tensor;
  /** The router z-loss (balance-loss.ts). */
  z: Tensor;
  /** The Switch load-balancing loss, present under top-k training. */
  switch?: Tensor;
}

export interface MoEForwardOutput {
  /** Same shape as the input. */
  y: Tensor;
  /** Router probabilities [..., N]. */
  scores: Tensor;
  /** Router logits [..., N]. */
  logits: Tensor;
  aux: MoEAux;
}

export interface MoEInferOutput {
  /** Same shape as the input. */
  y: Tensor;
  /** Router probabilities [..., N] (realized). */
  scores: Tensor;
  routing: Routing;
  stats: RoutingStats;
}

export class MoEFeedForward extends Module {
  readonly dModel: number;
  /** The routed FFN experts (N). */
  readonly nExperts: number;
  /** What the router chooses among: the N FFN experts, then the zero-computation ones (N + Z). */
  readonly nChoices: number;
  readonly zeroExperts: readonly ZeroExpertKind[];
  /** The shared experts' dense block, or null. */
  readonly shared: SharedExperts | null;
  /** [Z_c, dModel]: the vectors of the constant zero-computation experts, in their order; null when there are none. */
  readonly constants: Tensor | null;
  readonly expertHidden: number;
  readonly activation: ActivationName;
  readonly trainingRouting: TrainingRouting;
  readonly gate: GateScale;
  /** gateFactor(gate, N): every gate S_e is multiplied by it. */
  readonly gateScale: number;
  readonly router: Router;
  /** [dModel, N·h]: expert e owns columns e·h … (e+1)·h − 1. */
  readonly w1: Tensor;
  /** [N·h] or null. */
  readonly b1: Tensor | null;
  /** [N·h, dModel]: expert e owns rows e·h … (e+1)·h − 1. */
  readonly w2: Tensor;
  /** [dModel] or null: shared, ungated. */
  readonly b2: Tensor | null;

  constructor(opts: MoEFeedForwardOptions) {
    super();
    const { dModel, nExperts, expertHidden } = opts;
    checkPositiveInt('MoEFeedForward', 'dModel', dModel);
    checkPositiveInt('MoEFeedForward', 'nExperts', nExperts);
    checkPositiveInt('MoEFeedForward', 'expertHidden', expertHidden);
    const act = opts.activation ?? 'gelu';
    if (!ACTIVATIONS.includes(act)) throw new Error(`MoEFeedForward: activation must be gelu, relu, silu or tanh, got '${act}'`);
    const zero = [...(opts.zeroExperts ?? [])];
    checkZeroExperts('MoEFeedForward: zeroExperts', zero);
    const shared = opts.sharedExperts ?? 0;
    if (!Number.isInteger(shared) || shared < 0) throw new Error(`MoEFeedForward: sharedExperts=${shared} must be an integer ≥ 0`);
    const choices = nExperts + zero.length;
    const training = opts.training ?? { mode: 'dense' };
    if (training.mode === 'topK' && (!Number.isInteger(training.k) || training.k < 1 || training.k > choices)) {
      throw new Error(`MoEFeedForward: training topK k=${training.k} must be an integer in [1, ${choices}]`);
    } else if (training.mode !== 'dense' && training.mode !== 'topK') {
      throw new Error(`MoEFeedForward: training mode must be 'dense' or 'topK', got '${String((training as { mode: unknown }).mode)}'`);
    }
    this.dModel = dModel;
    this.nExperts = nExperts;
    this.nChoices = choices;
    this.zeroExperts = zero;
    this.expertHidden = expertHidden;
    this.activation = act;
    this.trainingRouting = training;
    this.gate = opts.gate ?? 'convex';
    checkGateScale('MoEFeedForward', this.gate);
    // N·S_e over every choice: a uniform router then gives each FFN expert gate 1, the dense FFN.
    this.gateScale = gateFactor(this.gate, choices);
    const dtype = opts.dtype;
    this.router = new Router({ dModel, nExperts: choices, kind: opts.router ?? 'linear', hidden: opts.routerHidden, dtype });
    const width = nExperts * expertHidden;
    const bias = opts.bias ?? true;
    // W1 as a Linear(d → N·h); W2 with each expert's fan-in h under convex gates (every expert a
    // standard FFN), or the whole layer's N·h under scaled gates (the dense FFN's): gate.ts.
    this.w1 = kaimingUniform([dModel, width], dModel, { dtype });
    this.b1 = bias ? kaimingUniform([width], dModel, { dtype }) : null;
    this.w2 = kaimingUniform([width, dModel], outputFanIn(this.gate, nExperts, expertHidden), { dtype });
    this.b2 = bias ? zerosParam([dModel], { dtype }) : null;
    // Drawn after the routed experts' weights, so a layer without them initialises as before.
    this.shared = shared > 0 ? new SharedExperts(dModel, shared, expertHidden, act, { bias, dtype }) : null;
    const nConstants = zero.filter((k) => k === 'constant').length;
    // A constant expert starts as a zero one: c = 0, learned from there.
    this.constants = nConstants > 0 ? zerosParam([nConstants, dModel], { dtype }) : null;
  }

  /** [..., dModel] → [T, dModel], checking the feature axis. */
  private tokens(x: Tensor): Tensor {
    if (x.rank < 2 || x.rank > 3 || x.shape[x.rank - 1] !== this.dModel) {
      throw new Error(`MoEFeedForward: expected input [T, ${this.dModel}] or [B, S, ${this.dModel}], got ${fmt(x.shape)}`);
    }
    return x.reshape([x.size / this.dModel, this.dModel]);
  }

  private withExperts(x: Tensor, t: Tensor): Tensor {
    return t.reshape([...x.shape.slice(0, -1), t.shape[1]!]);
  }

  /** Training forward: dense (or top-k masked for the SMoE baseline). */
  forward(x: Tensor): MoEForwardOutput {
    const x2 = this.tokens(x);
    const logits = this.router.forward(x2);
    const scores = logits.softmax(-1);
    let gates = scores;
    const aux: MoEAux = { mi: miLoss(scores, { logits }), z: routerZLoss(logits) };
    if (this.trainingRouting.mode === 'topK') {
      const { indices } = scores.topk(this.trainingRouting.k);
      const mask = oneHot(indices, this.nChoices).sum(1).cast(scores.dtype);
      gates = scores.mul(mask);
      aux.switch = switchLoss(scores, indices);
    }
    const y = this.mixAll(x2, gates);
    return { y: y.reshape(x.shape), scores: this.withExperts(x, scores), logits: this.withExperts(x, logits), aux };
  }

  /** The router's probabilities S [T, N] for tokens x2 [T, d]. */
  scoresOf(x2: Tensor): Tensor {
    return this.router.forward(x2).softmax(-1);
  }

  /**
   * Every expert on every token, expert e's hidden units scaled by its gate
   * (gates [T, N + Z], times the layer's gate scale), plus b2: eq. 1 as one
   * GEMM pair, [T, d] → [T, d], and the zero-computation and shared experts
   * beside it. The training forward runs it under the scores (or their
   * top-k mask); dense-mode inference under the scores.
   */
  mixAll(x2: Tensor, gates: Tensor): Tensor {
    const [t, n, h] = [x2.shape[0]!, this.nExperts, this.expertHidden];
    let g = this.gateScale === 1 ? gates : gates.mul(this.gateScale);
    let free: Tensor | null = null;
    if (this.zeroExperts.length) {
      free = this.zeroMix(x2, g.slice(1, n, this.nChoices));
      g = g.slice(1, 0, n); // [T, N]
    }
    let hidden = x2.matmul(this.w1);
    if (this.b1) hidden = hidden.add(this.b1);
    hidden = activation(this.activation, hidden);
    const gated = hidden.reshape([t, n, h]).mul(g.reshape([t, n, 1])).reshape([t, n * h]); // [T, N·h]
    let y = gated.matmul(this.w2);
    if (free) y = y.add(free);
    return this.withShared(x2, y);
  }

  /**
   * Σ_z g_z·E_z(x) over every zero-computation expert, from their gates
   * [T, Z] (scaled): elementwise, each copy's gate times x and each
   * constant's gate times its vector. A zero expert adds nothing (its gate
   * still reaches the softmax, so training moves it).
   */
  private zeroMix(x2: Tensor, g: Tensor): Tensor | null {
    const rowOf = constantRows(this.zeroExperts);
    let y: Tensor | null = null;
    this.zeroExperts.forEach((kind, j) => {
      if (kind === 'zero') return;
      const gz = g.slice(1, j, j + 1); // [T, 1]
      const out = kind === 'copy' ? x2.mul(gz) : gz.mul(this.constants!.slice(0, rowOf[j]!, rowOf[j]! + 1)); // [T, d]
      y = y ? y.add(out) : out;
    });
    return y;
  }

  /** y plus the shared experts' output and b2, both added once to every token. */
  private withShared(x2: Tensor, y: Tensor): Tensor {
    const withShared = this.shared ? y.add(this.shared.forward(x2)) : y;
    return this.b2 ? withShared.add(this.b2) : withShared;
  }

  /**
   * True when inference in `mode` needs no routing decision on the host:
   * dense mode of a densely trained layer is mixAll under the scores, all
   * on the device. (An SMoE layer's dense mode goes through the dispatcher:
   * its training forward would mask all but its top k.)
   */
  mixesOnDevice(mode: InferMode): boolean {
    return mode.mode === 'dense' && this.trainingRouting.mode === 'dense';
  }

  /**
   * Sparse inference's output for tokens x2 [T, d], routed on the host: only
   * each token's FFN experts (the grouped dispatcher), its zero-computation
   * experts (a gather and a scatter-add, no GEMM), the shared experts and b2. [T, d].
   */
  routed(x2: Tensor, routing: Routing): Tensor {
    return this.withShared(x2, this.dispatched(x2, sortByExpert(routing, this.nChoices), {}));
  }

  /** The routed part of the output for sorted pairs, gates from the host or (opts.scores) from the scores. */
  private dispatched(x2: Tensor, pairs: SortedPairs, opts: { scores?: Tensor }): Tensor {
    const o = { ...opts, gateScale: this.gateScale, groups: this.nExperts };
    const out = dispatchGrouped(x2, pairs, this.dModel, (g) => this.experts(g), o);
    const free = this.zeroExperts.length ? zeroExpertsOutput(x2, pairs, this.nExperts, this.zeroExperts, this.constants, o) : null;
    return free ? out.add(free) : out;
  }

  /**
   * Every expert on its own rows, gated, as one grouped GEMM pair: the rows
   * come sorted by expert, group e holding expert e's tokens, and expert e's
   * weights are read in place — column block e of W1 [d, N·h] and matrix e
   * of W2 viewed as [N, h, d] (its row block) — so each token meets only the
   * weights of the experts it was routed to, and no weight is copied. The
   * first GEMM reads the tokens straight from x through the pairs' token
   * index and adds each expert's b1 as it goes (its row of b1 viewed as
   * [N, h]). The gate scales the hidden units, as in the dense forward.
   */
  experts({ x, token, offsets, gates }: ExpertGroups): Tensor {
    const [d, n, h] = [this.dModel, this.nExperts, this.expertHidden];
    const hidden = groupedMatmul(x, this.w1, offsets, { rowIndex: token, ...(this.b1 ? { bias: this.b1.reshape([n, h]) } : {}) });
    return groupedMatmul(activation(this.activation, hidden).mul(gates), this.w2.reshape([n, h, d]), offsets);
  }

  /**
   * Sparse training for the SMoE baseline, computed sparsely: top-k decided
   * on the host from the realized scores, then the dispatcher with the gates
   * read from the scores tensor, so only the chosen experts run and get
   * gradients, and the router gets them through the chosen gates. Same value
   * and gradients as forward() under `training: { mode: 'topK', k }`, at the
   * cost of k experts per token instead of N. k defaults to the training k.
   */
  async forwardSparse(x: Tensor, k?: number): Promise<MoEForwardOutput> {
    const kk = k ?? (this.trainingRouting.mode === 'topK' ? this.trainingRouting.k : undefined);
    if (kk === undefined) throw new Error('MoEFeedForward.forwardSparse: give k, or build the layer with training: { mode: \'topK\', k }');
    const x2 = this.tokens(x);
    const logits = this.router.forward(x2);
    const scores = logits.softmax(-1);
    const tokens = x2.shape[0]!;
    const routing = route(await scores.data(), tokens, this.nChoices, { mode: 'topK', k: kk });
    const chosen = fromData(Int32Array.from(routing.experts.flat()), [tokens, kk], { backend: x2.backend });
    const y = this.withShared(x2, this.dispatched(x2, sortByExpert(routing, this.nChoices), { scores }));
    const aux: MoEAux = { mi: miLoss(scores, { logits }), z: routerZLoss(logits), switch: switchLoss(scores, chosen) };
    return { y: y.reshape(x.shape), scores: this.withExperts(x, scores), logits: this.withExperts(x, logits), aux };
  }

  /**
   * Sparse inference: the router's scores, the routing decided on the host
   * (routing.ts), then only the chosen experts (routed). Dense mode of a
   * densely trained layer is mixAll, in one pass with the scores. The scores
   * and the output come back realized, and the call's intermediates are
   * freed as soon as they are (tidy), rather than left for the collector.
   */
  async infer(x: Tensor, mode: InferMode): Promise<MoEInferOutput> {
    const x2 = this.tokens(x);
    const tokens = x2.shape[0]!;
    checkMode(mode, this.nChoices);
    if (this.mixesOnDevice(mode)) {
      const [y, scores] = await tidy(() => noGrad(() => {
        const s = this.scoresOf(x2);
        return [this.mixAll(x2, s).reshape(x.shape), this.withExperts(x, s)] as const;
      }));
      return this.inferResult(y, scores, route(await scores.data(), tokens, this.nChoices, mode));
    }
    const scores = await tidy(() => noGrad(() => this.withExperts(x, this.scoresOf(x2))));
    const routing = route(await scores.data(), tokens, this.nChoices, mode);
    const y = await tidy(() => noGrad(() => this.routed(x2, routing).reshape(x.shape)));
    return this.inferResult(y, scores, routing);
  }

  private inferResult(y: Tensor, scores: Tensor, routing: Routing & { k: number | null }): MoEInferOutput {
    return { y, scores, routing: { experts: routing.experts, gates: routing.gates }, stats: routingStats(routing, this.costModel(routing.experts.length)) };
  }

  /**
   * Parameters and multiply-adds: router, b2 and the shared experts always
   * on, each routed FFN expert d·h + h + h·d, the zero-computation experts
   * no multiply-add and no parameter but a constant's d.
   */
  costModel(tokens: number): CostModel {
    const [d, h] = [this.dModel, this.expertHidden];
    const shared = this.shared;
    return {
      nExperts: this.nExperts,
      sharedParams: this.router.numParameters() + (this.b2 ? d : 0) + (shared ? shared.params() : 0),
      paramsPerExpert: 2 * d * h + (this.b1 ? h : 0),
      sharedMacs: tokens * (this.router.macsPerToken() + (shared ? shared.macsPerToken() : 0)),
      macsPerPair: 2 * d * h,
      zeroExpertParams: zeroExpertParams(this.zeroExperts, d),
      sharedExperts: shared ? shared.count : 0,
    };
  }
}
