/**
 * The router h of DS-MoE: token features → one logit per expert, with
 * scores S = softmax(h(X)) over all N experts (paper eq. 1). The paper does
 * not fix h's form, so it is a setting:
 *   'linear'  h(x) = x·W_r                         (JetMoE; no bias)
 *   'mlp'     h(x) = GELU(x·W_a + b_a)·W_b         (ModuleFormer's gate)
 * The softmax is always over all experts, before any top-k (a softmax taken
 * after top-k gives the router no gradient for k = 1).
 *
 * A temperature τ divides the logits, S = softmax(h(x)/τ): 1 but under the
 * dense-to-sparse gate (dts-gate.ts), whose schedule sets it per step. The
 * logits a router returns are the divided ones, so the MI loss and the
 * z-loss see the scores' own logits.
 */
import { checkPositiveInt } from '../nn/checks.js';
import { Linear } from '../nn/linear.js';
import { Module } from '../nn/module.js';
import type { DType } from '../base/dtype.js';
import type { Tensor } from '../tensor/tensor.js';

export const ROUTER_KINDS = ['linear', 'mlp'] as const;
export type RouterKind = (typeof ROUTER_KINDS)[number];

export interface RouterOptions {
  dModel: number;
  nExperts: number;
  kind?: RouterKind;
  /** Hidden width of the 'mlp' router (default: dModel). */
  hidden?: number;
  /** Parameter dtype (default float32). */
  dtype?: DType;
}

export class Router extends Module {
  readonly kind: RouterKind;
  readonly proj: Linear;
  readonly out: Linear | null;
  private tau = 1;

  constructor(readonly opts: RouterOptions) {
    super();
    const { dModel, nExperts } = opts;
    this.kind = opts.kind ?? 'linear';
    if (!ROUTER_KINDS.includes(this.kind)) throw new Error(`Router: kind must be 'linear' or 'mlp', got '${String(this.kind)}'`);
    checkPositiveInt('Router', 'nExperts', nExperts);
    const dtype = opts.dtype;
    if (this.kind === 'linear') {
      this.proj = new Linear(dModel, nExperts, { bias: false, dtype });
      this.out = null;
    } else {
      const hidden = opts.hidden ?? dModel;
      this.proj = new Linear(dModel, hidden, { dtype });
      this.out = new Linear(hidden, nExperts, { bias: false, dtype });
    }
  }

  /** Logits h(x)/τ: [..., dModel] → [..., nExperts]. */
  forward(x: Tensor): Tensor {
    const h = this.proj.forward(x);
    const logits = this.out ? this.out.forward(h.gelu()) : h;
    return this.tau === 1 ? logits : logits.div(this.tau);
  }

  /** The softmax temperature τ (1 unless a DTS schedule sets it). */
  get temperature(): number {
    return this.tau;
  }

  set temperature(tau: number) {
    if (!(Number.isFinite(tau) && tau > 0)) throw new Error(`Router: temperature must be a finite number > 0, got ${tau}`);
    this.tau = tau;
  }

  private count: number | undefined;

  /** Counted once: the options fix the parameters, and every inference call's cost model asks (stats.ts). */
  override numParameters(): number {
    return (this.count ??= super.numParameters());
  }

  /** Multiply-adds per token. */
  macsPerToken(): number {
    const { dModel, nExperts } = this.opts;
    if (!this.out) return dModel * nExperts;
    const hidden = this.proj.outFeatures;
    return dModel * hidden + hidden * nExperts;
  }
}
