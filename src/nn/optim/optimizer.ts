/**
 * Optimizer: the shared machinery of gradient-descent updates. A subclass
 * writes one rule, update(p, g) → p', in tensor ops; step() runs it under
 * noGrad for every parameter that has a gradient and assign()s the result,
 * so the update is recorded lazily and realized with the next await, on
 * the parameters' own backend. Hyperparameters like the learning rate are
 * host numbers folded into the graph as scalars each step: changing them
 * never changes a kernel's shape signature, so nothing recompiles.
 */
import { Tensor } from '../../tensor/tensor.js';
import { noGrad } from '../../tensor/grad-mode.js';
import { fmt, sameShape } from '../../base/shape.js';

/** Parameters sharing settings; e.g. biases and norms with weightDecay 0. */
export interface ParamGroup {
  params: readonly Tensor[];
  weightDecay?: number;
}

export type Params = readonly Tensor[] | readonly ParamGroup[];

/** What step() hands a rule for one parameter. */
export interface UpdateContext {
  /** This parameter's update count, 1 on its first update. */
  step: number;
  lr: number;
  weightDecay: number;
  /** The parameter's state tensors (moments, momentum buffer) by name; the rule replaces them. */
  slots: Map<string, Tensor>;
}

/** Everything needed to resume: saved with a checkpoint. */
export interface OptimizerState {
  lr: number;
  /** Update count per parameter, in parameter order (groups flattened). */
  steps: number[];
  /** State tensors keyed '<parameter index>.<slot>', e.g. '3.expAvg'. */
  slots: Record<string, Tensor>;
}

export function checkHyper(name: string, value: number, lo: number, hi = Infinity, hiOpen = false): void {
  const okHi = hiOpen ? value < hi : value <= hi;
  if (!(value >= lo && okHi) || Number.isNaN(value)) {
    throw new Error(`${name} must be in [${lo}, ${hi}${hiOpen ? ')' : ']'}, got ${value}`);
  }
}

interface Entry {
  param: Tensor;
  weightDecay: number;
  step: number;
  slots: Map<string, Tensor>;
}

export abstract class Optimizer {
  /** The learning rate of the next step(); a schedule sets it before each step. */
  lr: number;
  private readonly entries: Entry[];

  /** The optimizer's name, for messages ('AdamW'); given explicitly, since bundlers may rename classes. */
  readonly name: string;

  protected constructor(name: string, params: Params, lr: number, defaultWeightDecay: number) {
    this.name = name;
    checkHyper(`${name}: lr`, lr, 0);
    this.lr = lr;
    const groups: ParamGroup[] = params.length > 0 && params[0] instanceof Tensor
      ? [{ params: params as readonly Tensor[] }]
      : [...(params as readonly ParamGroup[])];
    this.entries = [];
    const seen = new Set<Tensor>();
    for (const g of groups) {
      const wd = g.weightDecay ?? defaultWeightDecay;
      checkHyper(`${this.name}: weightDecay`, wd, 0);
      for (const p of g.params) {
        if (!(p instanceof Tensor)) throw new Error(`${this.name}: parameters must be Tensors (got ${String(p)})`);
        if (!p.requiresGrad) throw new Error(`${this.name}: parameter ${fmt(p.shape)} does not require grad`);
        if (seen.has(p)) throw new Error(`${this.name}: parameter ${fmt(p.shape)} appears twice`);
        seen.add(p);
        this.entries.push({ param: p, weightDecay: wd, step: 0, slots: new Map() });
      }
    }
    if (this.entries.length === 0) throw new Error(`${this.name}: got an empty parameter list`);
  }

  /** The parameters, groups flattened, in the order stateDict indexes them. */
  get params(): Tensor[] {
    return this.entries.map((e) => e.param);
  }

  /** The largest per-parameter update count: how many steps have run. */
  get stepCount(): number {
    return this.entries.reduce((m, e) => Math.max(m, e.step), 0);
  }

  zeroGrad(): void {
    for (const e of this.entries) e.param.grad = null;
  }

  /** Records one update of every parameter that has a gradient (lazily: await to run it). */
  step(): void {
    checkHyper(`${this.name}: lr`, this.lr, 0);
    noGrad(() => {
      for (const e of this.entries) {
        const g = e.param.grad;
        if (!g) continue;
        e.step++;
        const next = this.update(e.param.detach(), g.detach(), { step: e.step, lr: this.lr, weightDecay: e.weightDecay, slots: e.slots });
        e.param.assign(next.detach());
      }
    });
  }

  /** The rule: the parameter's next value from its value p and gradient g. */
  protected abstract update(p: Tensor, g: Tensor, ctx: UpdateContext): Tensor;

  /** Every state tensor (moments, momentum buffers): what a training step must keep besides the parameters (see tidy). */
  stateTensors(): Tensor[] {
    return this.entries.flatMap((e) => [...e.slots.values()]);
  }

  stateDict(): OptimizerState {
    const slots: Record<string, Tensor> = {};
    this.entries.forEach((e, i) => e.slots.forEach((t, name) => (slots[`${i}.${name}`] = t)));
    return { lr: this.lr, steps: this.entries.map((e) => e.step), slots };
  }

  /** Restores a saved state; errors name the slot and both shapes. */
  loadStateDict(state: OptimizerState): void {
    const name = this.name;
    if (state.steps.length !== this.entries.length) {
      throw new Error(`${name}.loadStateDict: state has ${state.steps.length} parameters, the optimizer has ${this.entries.length}`);
    }
    const restored = this.entries.map(() => new Map<string, Tensor>());
    for (const [key, t] of Object.entries(state.slots)) {
      const m = /^(\d+)\.(\w+)$/.exec(key);
      const e = m ? this.entries[Number(m[1])] : undefined;
      if (!m || !e) throw new Error(`${name}.loadStateDict: unexpected slot '${key}'`);
      const p = e.param;
      if (!sameShape(t.shape, p.shape)) {
        throw new Error(`${name}.loadStateDict: '${key}' has shape ${fmt(t.shape)} in the state but its parameter has shape ${fmt(p.shape)}`);
      }
      restored[Number(m[1])]!.set(m[2]!, noGrad(() => t.to(p.backend).cast(p.dtype).detach()));
    }
    checkHyper(`${name}.loadStateDict: lr`, state.lr, 0);
    this.lr = state.lr;
    this.entries.forEach((e, i) => {
      e.step = state.steps[i]!;
      e.slots = restored[i]!;
    });
  }
}
