/**
 * realize(): run the pending part of the graph. A post-order walk gives a
 * topological order of the LazyBuffers that are not yet realized; each is
 * computed by one backend primitive, in that order, and intermediates stay
 * on the device. Only what the caller reads is copied back to the host.
 */
import type { DeviceBuffer, Maybe } from '../gpu/backend.js';
import { applyIndexCheck } from './index-check.js';
import { matmulInputs, matmulLaunch, operandBuffer } from './matmul-views.js';
import { disposedError, donatedError, LazyBuffer } from './lazy.js';

/** Pending LazyBuffers reachable from `targets`, inputs before consumers (iterative: graphs can be deep). */
export function schedule(targets: readonly LazyBuffer[]): LazyBuffer[] {
  const order: LazyBuffer[] = [];
  const seen = new Set<number>();
  const stack: [LazyBuffer, boolean][] = targets.map((t) => [t, false]);
  while (stack.length) {
    const [lb, expanded] = stack.pop()!;
    if (expanded) {
      order.push(lb);
      continue;
    }
    if (lb.isDisposed) throw lb.wasDonated ? donatedError() : disposedError();
    if (lb.isRealized || seen.has(lb.id)) continue;
    seen.add(lb.id);
    stack.push([lb, true]);
    // A matmul reads a pending view of its operands in place: it needs the view's source instead (matmul-views.ts).
    const srcs = lb.op?.kind === 'matmul' ? matmulInputs(lb, lb.op.spec) : lb.srcs;
    for (let i = srcs.length - 1; i >= 0; i--) stack.push([srcs[i]!, false]);
  }
  return order;
}

/** Issues the primitive that computes `lb` from its (realized) sources. */
function launch(lb: LazyBuffer): Maybe<DeviceBuffer> {
  const be = lb.backend;
  const op = lb.op!;
  const s = lb.srcs;
  const b = (i: number): DeviceBuffer => s[i]!.buffer;
  switch (op.kind) {
    case 'unary': return be.unary(op.op, b(0));
    case 'binary': return be.binary(op.op, b(0), s[0]!.shape, b(1), s[1]!.shape, lb.shape);
    case 'where': return be.where(b(0), s[0]!.shape, b(1), s[1]!.shape, b(2), s[2]!.shape, lb.shape);
    case 'reduce': return be.reduce(op.op, b(0), op.outer, op.n, op.inner);
    case 'argReduce': return be.argReduce(op.op, b(0), op.outer, op.n, op.inner);
    case 'topk': return be.topk(b(0), op.rows, op.n, op.k);
    case 'matmul': {
      const run = matmulLaunch(lb, op.spec);
      return be.matmul(operandBuffer(run.a).buffer, operandBuffer(run.b).buffer, run.spec);
    }
    case 'groupedMatmul': {
      // The fused operands follow a, b and the offsets, in this order: the row index, then the bias.
      const spec = op.spec;
      const fused = spec.kind === 'rows' ? spec : undefined;
      const rowIndex = fused?.aRows !== undefined ? b(3) : undefined;
      const bias = fused?.bias ? b(rowIndex ? 4 : 3) : undefined;
      return be.groupedMatmul(b(0), b(1), b(2), spec, rowIndex || bias ? { rowIndex, bias } : undefined);
    }
    case 'gather': return be.gather(b(0), op.rows, op.cols, b(1));
    case 'scatterAdd': return be.scatterAdd(b(0), op.cols, b(1), op.outRows);
    case 'view': return be.view(b(0), op.spec);
    case 'write': return be.write!(b(0), b(1), op.spec);
    case 'cast': return be.cast(b(0), op.to);
    case 'softmaxRows': return be.softmaxRows!(b(0), op.spec);
    case 'normRows': return be.normRows!(b(0), op.spec, op.weight ? b(1) : undefined, op.bias ? b(op.weight ? 2 : 1) : undefined);
    case 'rotaryRows': return be.rotaryRows!(b(0), b(1), b(2), op.spec);
    case 'reshape': return b(0);
    case 'transfer': {
      const from = s[0]!;
      const data = from.backend.readSync?.(from.buffer);
      if (data) return be.upload(data);
      return from.backend.read(from.buffer).then((d) => be.upload(d));
    }
    case 'indexCheck': {
      const from = s[0]!;
      const values = from.backend.readSync?.(from.buffer);
      if (values) return be.upload(applyIndexCheck(values, op.check));
      return from.backend.read(from.buffer).then((v) => be.upload(applyIndexCheck(v, op.check)));
    }
  }
}

function finish(lb: LazyBuffer, buf: DeviceBuffer): void {
  const dst = lb.op?.kind === 'write' ? lb.srcs[0]! : undefined;
  if (dst && buf === dst.buffer) return dst.donate(lb);
  const shared = lb.op?.kind === 'reshape' ? lb.srcs[0] : undefined;
  lb.setBuffer(buf, shared);
}

/** Launches in flight on asynchronous backends, so that concurrent realizes share them instead of launching twice. */
const inFlight = new WeakMap<LazyBuffer, Promise<DeviceBuffer>>();

/** One turn of the event loop, so that finalizers (which free dead tensors' device memory) can run. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Realizes every target, awaiting only where a backend answers with a Promise.
 * Realizes may overlap (`Promise.all([a.data(), b.data()])` on webgpu): a
 * node another one realized meanwhile is skipped, and one it is still
 * computing is awaited rather than launched again.
 */
export async function realizeBuffers(targets: readonly LazyBuffer[]): Promise<void> {
  if (targets[0]?.backend.wantsReclaim?.()) await nextTurn();
  for (const lb of schedule(targets)) {
    if (lb.isRealized) continue;
    const running = inFlight.get(lb);
    if (running) {
      await running;
      continue;
    }
    const r = launch(lb);
    if (!(r instanceof Promise)) {
      finish(lb, r);
      continue;
    }
    inFlight.set(lb, r);
    try {
      finish(lb, await r);
    } finally {
      inFlight.delete(lb);
    }
  }
}

/** The synchronous path (cpu and the synchronous gpu.js modes); throws if a kernel is asynchronous. */
export function realizeBuffersSync(targets: readonly LazyBuffer[]): void {
  for (const lb of schedule(targets)) {
    const r = launch(lb);
    if (r instanceof Promise) {
      throw new Error(`backend ${lb.backend.name} is asynchronous: use await realize(...) / await t.data() instead of the synchronous API`);
    }
    finish(lb, r);
  }
}
