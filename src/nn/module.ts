/**
 * Module: a tree of parameters, like torch.nn.Module. Parameters and child
 * modules are found by walking the object's own properties (tensors with
 * requiresGrad, Modules, and arrays of Modules), so a layer just assigns
 * them in its constructor. Names are dotted paths: 'blocks.0.ffn.w1'.
 */
import { Tensor } from '../tensor/tensor.js';
import { fmt, sameShape } from '../base/shape.js';
import { noGrad } from '../tensor/grad-mode.js';

export abstract class Module {
  training = true;
  /**
   * Property names of tensors saved with the module but not trained (say, a
   * norm's running statistics): a subclass adds them here. No layer in dsmoe
   * has one (rotary tables are a cache, rebuilt on demand, not state).
   */
  protected readonly bufferNames = new Set<string>();

  /** Child modules, including those held in arrays (named 'name.i'). */
  namedChildren(): [string, Module][] {
    const out: [string, Module][] = [];
    for (const [key, value] of Object.entries(this)) {
      if (value instanceof Module) out.push([key, value]);
      else if (Array.isArray(value)) value.forEach((v, i) => v instanceof Module && out.push([`${key}.${i}`, v]));
    }
    return out;
  }

  /**
   * Every trainable tensor with its dotted name. A tensor shared by two
   * modules (tied weights) is listed once, under its first name, so an
   * optimizer updates it once; stateDict still saves it under every name.
   */
  namedParameters(prefix = ''): [string, Tensor][] {
    const seen = new Set<Tensor>();
    return this.allNamedParameters(prefix).filter(([, p]) => {
      if (seen.has(p)) return false;
      seen.add(p);
      return true;
    });
  }

  private allNamedParameters(prefix: string): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [key, value] of Object.entries(this)) {
      if (value instanceof Tensor && value.requiresGrad) out.push([prefix + key, value]);
    }
    for (const [name, child] of this.namedChildren()) out.push(...child.allNamedParameters(`${prefix}${name}.`));
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  namedBuffers(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const key of this.bufferNames) {
      const value = (this as unknown as Record<string, unknown>)[key];
      if (value instanceof Tensor) out.push([prefix + key, value]);
    }
    for (const [name, child] of this.namedChildren()) out.push(...child.namedBuffers(`${prefix}${name}.`));
    return out;
  }

  /** Total number of trainable scalars. */
  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  train(on = true): this {
    this.training = on;
    for (const [, c] of this.namedChildren()) c.train(on);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** Parameters and buffers by dotted name (the tensors themselves, not copies). */
  stateDict(): Record<string, Tensor> {
    return Object.fromEntries([...this.allNamedParameters(''), ...this.namedBuffers()]);
  }

  /**
   * Copies values in by name. Shapes must match exactly; with strict (the
   * default) the key sets must match too. Errors name the key and both shapes.
   */
  loadStateDict(state: Record<string, Tensor>, opts: { strict?: boolean } = {}): void {
    const strict = opts.strict ?? true;
    const own = this.stateDict();
    if (strict) {
      const missing = Object.keys(own).filter((k) => !(k in state));
      const unexpected = Object.keys(state).filter((k) => !(k in own));
      if (missing.length || unexpected.length) {
        throw new Error(`loadStateDict: missing keys [${missing.join(', ')}], unexpected keys [${unexpected.join(', ')}]`);
      }
    }
    const pairs = Object.entries(own).filter(([k]) => state[k] !== undefined);
    // Check every shape before assigning any, so a bad state dict leaves the module untouched.
    for (const [k, target] of pairs) {
      const src = state[k]!;
      if (!sameShape(src.shape, target.shape)) {
        throw new Error(`loadStateDict: '${k}' has shape ${fmt(src.shape)} in the state dict but ${fmt(target.shape)} in the module`);
      }
      // float64 → float32 is a rounding; integers into a float parameter (or back) are a different quantity.
      if ((src.dtype === 'int32') !== (target.dtype === 'int32')) {
        throw new Error(`loadStateDict: '${k}' is ${src.dtype} in the state dict but ${target.dtype} in the module`);
      }
    }
    for (const [k, target] of pairs) {
      noGrad(() => target.assign(state[k]!.to(target.backend).cast(target.dtype).detach()));
    }
  }
}
