/** Turning token id lists into padded integer batches. */
import { tensor, type TensorOptions } from "../../lib/create.ts";
import type { Tensor } from "../../lib/tensor.ts";

/** Rows of ids padded with `pad` to the longest row (or `length`): an i64 tensor [batch, seq]. */
export function padBatch<Seq extends string = "seq">(
  rows: readonly (readonly number[])[],
  pad: number,
  length?: number,
  opts?: TensorOptions,
): Tensor<["batch", Seq]> {
  const seq = length ?? Math.max(0, ...rows.map((r) => r.length));
  const flat = new Array<number>(rows.length * seq).fill(pad);
  rows.forEach((row, i) => {
    if (row.length > seq) throw new RangeError(`padBatch: row ${i} has ${row.length} ids, more than the length ${seq}`);
    for (let j = 0; j < row.length; j++) flat[i * seq + j] = row[j];
  });
  return tensor(flat, [rows.length, seq], { dtype: "i64", ...opts }) as Tensor as Tensor<["batch", Seq]>;
}
