/**
 * The group offsets of a grouped matmul (backend.ts, GroupedMatmulSpec):
 * G + 1 int32 boundaries 0 = o_0 ≤ o_1 ≤ … ≤ o_G = rows. Every backend
 * checks them before a kernel reads rows through them, so a bad offset is
 * an error naming it, never a read past a buffer.
 */
export function checkGroupOffsets(op: string, offsets: ArrayLike<number>, groups: number, rows: number): void {
  if (offsets.length !== groups + 1) throw new Error(`${op}: ${groups} groups need ${groups + 1} offsets, got ${offsets.length}`);
  if (offsets[0] !== 0) throw new Error(`${op}: offsets must start at 0, got ${offsets[0]}`);
  for (let g = 0; g < groups; g++) {
    const [lo, hi] = [offsets[g]!, offsets[g + 1]!];
    if (!(Number.isInteger(hi) && hi >= lo)) throw new Error(`${op}: offsets must not decrease: offset ${g + 1} is ${hi} after ${lo}`);
  }
  if (offsets[groups] !== rows) throw new Error(`${op}: the last offset must be the row count ${rows}, got ${offsets[groups]}`);
}
