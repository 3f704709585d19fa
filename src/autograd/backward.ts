/**
 * The tape walk. Tensors that need a gradient are put in topological order
 * (inputs before the ops that read them); walking that order backwards, each
 * node's accumulated gradient is handed to its rule, and the results are
 * added into its inputs' gradients. Leaves keep theirs in `.grad`.
 */
import { enableGrad, noGrad } from '../tensor/grad-mode.js';
import { fmt } from '../base/shape.js';
import { installBackward, Tensor } from '../tensor/tensor.js';
import { onesLike } from '../tensor/create.js';
import { backwardRule } from './rules.js';

/** Tensors reachable from `root` through gradNodes, in topological order (iterative DFS). */
function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<number>();
  const stack: [Tensor, boolean][] = [[root, false]];
  while (stack.length) {
    const [t, done] = stack.pop()!;
    if (done) {
      order.push(t);
      continue;
    }
    if (seen.has(t.id)) continue;
    seen.add(t.id);
    stack.push([t, true]);
    for (const x of t.gradNode?.inputs ?? []) if (x.requiresGrad && !seen.has(x.id)) stack.push([x, false]);
  }
  return order;
}

function accumulate(grads: Map<number, Tensor>, t: Tensor, g: Tensor): void {
  const prev = grads.get(t.id);
  grads.set(t.id, prev ? prev.add(g) : g);
}

/** d root / d t for every tensor t in root's graph (keyed by tensor id). */
function propagate(root: Tensor, seed: Tensor, order: Tensor[]): Map<number, Tensor> {
  const grads = new Map<number, Tensor>([[root.id, seed]]);
  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i]!;
    const g = grads.get(t.id);
    const node = t.gradNode;
    if (!g || !node) continue;
    node.inputs.forEach((x, j) => {
      if (x.version !== node.versions[j]) {
        throw new Error(`backward: an input of ${node.op.kind} (shape ${fmt(x.shape)}) was assigned a new value after it was used; compute the forward pass again`);
      }
    });
    const needs = node.inputs.map((x) => x.requiresGrad);
    const dx = backwardRule(node.op, g, t, node.inputs, needs);
    dx.forEach((d, j) => {
      const x = node.inputs[j]!;
      if (d && needs[j]) accumulate(grads, x, d);
    });
  }
  return grads;
}

function seedFor(root: Tensor, grad: Tensor | undefined): Tensor {
  if (!root.requiresGrad) {
    throw new Error('backward: this tensor does not require grad (no input had requiresGrad, or it was built under noGrad)');
  }
  if (grad) {
    if (grad.shape.length !== root.shape.length || grad.shape.some((d, i) => d !== root.shape[i])) {
      throw new Error(`backward: gradient shape ${fmt(grad.shape)} does not match tensor shape ${fmt(root.shape)}`);
    }
    return grad;
  }
  if (root.size !== 1) throw new Error(`backward: tensor of shape ${fmt(root.shape)} is not a scalar; pass the gradient explicitly`);
  return onesLike(root);
}

/** loss.backward(): accumulates into every leaf's .grad. Gradients are lazy tensors like any other. */
export function backward(root: Tensor, grad?: Tensor, opts: { createGraph?: boolean } = {}): void {
  const run = (): void => {
    const order = topoOrder(root);
    const grads = propagate(root, seedFor(root, grad), order);
    for (const t of order) {
      const g = grads.get(t.id);
      if (g && t.isLeaf) t.grad = t.grad ? t.grad.add(g) : g;
    }
  };
  if (opts.createGraph) enableGrad(run);
  else noGrad(run);
}

/**
 * The functional form (torch.autograd.grad): d output / d input for each
 * input, without touching .grad. With createGraph the results are themselves
 * differentiable, which gives second derivatives.
 */
export function grad(output: Tensor, inputs: readonly Tensor[], opts: { createGraph?: boolean; gradOutput?: Tensor } = {}): (Tensor | null)[] {
  const run = (): (Tensor | null)[] => {
    const grads = propagate(output, seedFor(output, opts.gradOutput), topoOrder(output));
    return inputs.map((x) => grads.get(x.id) ?? null);
  };
  return opts.createGraph ? enableGrad(run) : noGrad(run);
}

installBackward(backward);
