/**
 * How an MoE layer weighs its experts' outputs: the gate g_e(x) in
 * y(x) = Σ_{e∈A(x)} g_e(x)·e_e(x).
 *
 *   convex  g_e = S_e, the paper's eq. 1: the output is a convex combination
 *           of expert outputs (Σ_e S_e = 1). Each expert's output weight is
 *           initialised with its own fan-in (h for an FFN expert), so every
 *           expert starts as a standard layer of its size.
 *   scaled  g_e = N·S_e, with the output weight initialised with the whole
 *           layer's fan-in (N·h), as the dense layer's is. A uniform router
 *           (S_e = 1/N) then makes the layer exactly the dense layer of the
 *           same shape, at initialisation and in how fast Adam moves it.
 *
 * Why the second exists (the reproduction study, docs/results.md): under
 * `convex` the densely trained layer starts at about 1/√N of the dense
 * layer's output scale, and each expert's contribution to the output moves
 * S_e ≈ 1/N as fast per step as a dense layer's would; in a short budget
 * that might be the gap between DS-MoE and Dense. Measured, it is not
 * reliably so: the study's ffn-gate-convex row moves by seed, both ways. The routing (which experts
 * a token gets) is the same under both: the scale multiplies every gate of
 * a layer by one constant, so top-K and threshold choose the same experts,
 * and Routing's gates stay the router's probabilities S_e.
 */

export const GATE_SCALES = ['convex', 'scaled'] as const;
export type GateScale = (typeof GATE_SCALES)[number];

/** The constant every gate is multiplied by: 1, or N. */
export function gateFactor(scale: GateScale, nExperts: number): number {
  return scale === 'scaled' ? nExperts : 1;
}

/** The fan-in the output weight is initialised with: one expert's width, or all N experts'. */
export function outputFanIn(scale: GateScale, nExperts: number, expertWidth: number): number {
  return scale === 'scaled' ? nExperts * expertWidth : expertWidth;
}

export function checkGateScale(where: string, scale: string): asserts scale is GateScale {
  if (!(GATE_SCALES as readonly string[]).includes(scale)) throw new Error(`${where}: gate must be one of ${GATE_SCALES.join(', ')}; got '${scale}'`);
}
