/**
 * functionalCall: run a module with some parameters replaced by other
 * tensors (torch.func.functional_call). The module's forward stays the
 * same code; only the tensors it reads change. gradcheck uses it to treat
 * a module's parameters as inputs; meta-learning and weight sharing can too.
 */
import { Tensor } from '../tensor/tensor.js';
import { fmt, sameShape } from '../base/shape.js';
import { Module } from './module.js';

type Slot = { owner: Record<string, unknown>; key: string; old: unknown };

/** The object that holds dotted `name` ('blocks.0.attn.wq.weight') and the last key. */
function locate(module: Module, name: string): { owner: Record<string, unknown>; key: string } {
  const parts = name.split('.');
  let owner: unknown = module;
  for (const part of parts.slice(0, -1)) {
    owner = (owner as Record<string, unknown> | undefined)?.[part];
    if (owner === undefined || owner === null) throw new Error(`functionalCall: no parameter named '${name}'`);
  }
  const key = parts[parts.length - 1]!;
  const rec = owner as Record<string, unknown>;
  if (!(rec[key] instanceof Tensor)) throw new Error(`functionalCall: no parameter named '${name}'`);
  return { owner: rec, key };
}

export function functionalCall<T>(module: Module, params: Record<string, Tensor>, fn: () => T): T {
  const slots: Slot[] = [];
  try {
    for (const [name, value] of Object.entries(params)) {
      const { owner, key } = locate(module, name);
      const old = owner[key] as Tensor;
      if (!sameShape(old.shape, value.shape)) {
        throw new Error(`functionalCall: '${name}' has shape ${fmt(old.shape)} in the module but ${fmt(value.shape)} was given`);
      }
      slots.push({ owner, key, old });
      owner[key] = value;
    }
    return fn();
  } finally {
    for (const s of slots.reverse()) s.owner[s.key] = s.old;
  }
}
