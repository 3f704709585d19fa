/**
 * Autograd = central finite differences for every elementwise op, over
 * generated shapes (broadcasting pairs and triples, size-1 axes, rank 0) and
 * values on domains kept away from each function's kinks and poles.
 */
import { describe, it } from 'vitest';
import fc from 'fast-check';
import { where, type Tensor } from '../../src/index.js';
import { broadcastPair, broadcastTriple, cotangentSeed, gradShape, sizeOf, tensorCase, values, type Domain } from '../helpers/arbitraries.js';
import { expectGrad, fromCase, t64 } from '../helpers/tensors.js';

const RUNS = 50;

const unaries: [string, Domain, (x: Tensor) => Tensor][] = [
  ['neg', 'any', (x) => x.neg()],
  ['exp', 'any', (x) => x.exp()],
  ['log', 'positive', (x) => x.log()],
  ['sqrt', 'positive', (x) => x.sqrt()],
  ['abs', 'nonzero', (x) => x.abs()],
  ['tanh', 'any', (x) => x.tanh()],
  ['sigmoid', 'any', (x) => x.sigmoid()],
  ['relu', 'nonzero', (x) => x.relu()],
  ['gelu', 'any', (x) => x.gelu()],
  ['silu', 'any', (x) => x.silu()],
  ['square', 'any', (x) => x.square()],
  ['sin', 'any', (x) => x.sin()],
  ['cos', 'any', (x) => x.cos()],
  ['reciprocal', 'denominator', (x) => x.reciprocal()],
  ['rsqrt', 'positive', (x) => x.rsqrt()],
  ['pow(2)', 'any', (x) => x.pow(2)],
  ['pow(3)', 'any', (x) => x.pow(3)],
  ['pow(-1)', 'denominator', (x) => x.pow(-1)],
  ['pow(0.5)', 'positive', (x) => x.pow(0.5)],
  ['pow(-1.5)', 'positive', (x) => x.pow(-1.5)],
  ['add scalar', 'any', (x) => x.add(2.5)],
  ['sub scalar', 'any', (x) => x.sub(-0.75)],
  ['mul scalar', 'any', (x) => x.mul(-1.5)],
  ['div scalar', 'any', (x) => x.div(3)],
  ['maximum scalar', 'nonzero', (x) => x.maximum(0)],
  ['minimum scalar', 'nonzero', (x) => x.minimum(0)],
  // Bounds sit half-way between the 0.001 grid the values live on, so no value is ever at a kink.
  ['clamp(min, max)', 'any', (x) => x.clamp(-0.5005, 0.7005)],
  ['clamp(min)', 'any', (x) => x.clamp(0.1235)],
  ['clamp(undefined, max)', 'any', (x) => x.clamp(undefined, -0.2505)],
  ['x·x (one input used twice)', 'any', (x) => x.mul(x)],
  ['x·exp(x) + x (fan-out and accumulation)', 'any', (x) => x.mul(x.exp()).add(x)],
];

describe('unary ops: autograd = finite differences', () => {
  for (const [name, domain, f] of unaries) {
    it(name, async () => {
      await fc.assert(
        fc.asyncProperty(tensorCase(gradShape(), domain), cotangentSeed, async (c, seed) => {
          await expectGrad(f, [fromCase(c)], { seed });
        }),
        { numRuns: RUNS },
      );
    });
  }

  it('cast float64 → float32 → float64 (eps large enough for float32 rounding)', async () => {
    await fc.assert(
      fc.asyncProperty(tensorCase(gradShape()), cotangentSeed, async (c, seed) => {
        await expectGrad((x) => x.cast('float32').mul(2).cast('float64'), [fromCase(c)], { seed, eps: 1e-3 });
        await expectGrad((x) => x.float().exp(), [fromCase(c)], { seed, eps: 1e-3 });
      }),
      { numRuns: RUNS },
    );
  });
});

const binaries: [string, Domain, Domain, (a: Tensor, b: Tensor) => Tensor][] = [
  ['add', 'any', 'any', (a, b) => a.add(b)],
  ['sub', 'any', 'any', (a, b) => a.sub(b)],
  ['mul', 'any', 'any', (a, b) => a.mul(b)],
  ['div', 'any', 'denominator', (a, b) => a.div(b)],
  ['pow (tensor exponent)', 'positive', 'any', (a, b) => a.pow(b)],
  // A tie a = b splits the gradient evenly, which is also what the central difference sees.
  ['maximum', 'any', 'any', (a, b) => a.maximum(b)],
  ['minimum', 'any', 'any', (a, b) => a.minimum(b)],
];

describe('binary ops with broadcasting: autograd = finite differences', () => {
  for (const [name, da, db, f] of binaries) {
    it(name, async () => {
      await fc.assert(
        fc.asyncProperty(
          broadcastPair({ maxRank: 4, maxDim: 3, maxSize: 16 }).chain(([sa, sb]) =>
            fc.tuple(values(sizeOf(sa), da), values(sizeOf(sb), db)).map(([va, vb]) => ({ sa, sb, va, vb })),
          ),
          cotangentSeed,
          async ({ sa, sb, va, vb }, seed) => {
            await expectGrad(f, [t64(va, sa), t64(vb, sb)], { seed });
          },
        ),
        { numRuns: RUNS },
      );
    });
  }

  it('where(cond, a, b) with all three broadcast', async () => {
    await fc.assert(
      fc.asyncProperty(
        broadcastTriple({ maxRank: 4, maxDim: 3, maxSize: 16 }).chain(([sc, sa, sb]) =>
          fc
            .tuple(fc.array(fc.boolean(), { minLength: sizeOf(sc), maxLength: sizeOf(sc) }), values(sizeOf(sa)), values(sizeOf(sb)))
            .map(([vc, va, vb]) => ({ sc, sa, sb, vc, va, vb })),
        ),
        cotangentSeed,
        async ({ sc, sa, sb, vc, va, vb }, seed) => {
          const cond = t64(vc.map(Number), sc);
          await expectGrad((a, b) => where(cond, a, b), [t64(va, sa), t64(vb, sb)], { seed });
          await expectGrad((a, b) => a.where(cond, b), [t64(va, sa), t64(vb, sb)], { seed });
          await expectGrad((a) => where(cond, a, 0.25), [t64(va, sa)], { seed });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('a composite with broadcasting both ways: (a·b − a/b)·tanh(a + b)', async () => {
    await fc.assert(
      fc.asyncProperty(
        broadcastPair({ maxRank: 4, maxDim: 3, maxSize: 16 }).chain(([sa, sb]) =>
          fc.tuple(values(sizeOf(sa)), values(sizeOf(sb), 'denominator')).map(([va, vb]) => ({ sa, sb, va, vb })),
        ),
        cotangentSeed,
        async ({ sa, sb, va, vb }, seed) => {
          await expectGrad((a, b) => a.mul(b).sub(a.div(b)).mul(a.add(b).tanh()), [t64(va, sa), t64(vb, sb)], { seed });
        },
      ),
      { numRuns: RUNS },
    );
  });
});
