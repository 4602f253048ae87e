/** Matrix products. */
import { ShapeError } from "../errors.ts";
import { sym } from "../../ffi/lib.ts";
import {
  type Dim,
  formatShape,
  type Linear,
  type LinearCheck,
  type Matmul,
  type MatmulCheck,
  type Shape,
} from "../shape.ts";
import { handleOf, type Tensor, wrap } from "../tensor.ts";
import { broadcastShapes, sameDevice } from "./check.ts";
import { linearInt8 } from "./quantized.ts";
import { callIn, lowersProduct } from "../autocast.ts";

/**
 * Matrix product with PyTorch's rules: [..., n, k] @ [..., k, m] → [..., n, m], batch dimensions
 * broadcast; 1-D operands act as a row or column vector.
 */
export function matmul<A extends Shape, B extends Shape>(
  a: Tensor<A>,
  b: Tensor<B> & MatmulCheck<A, B>,
): Tensor<Matmul<A, B>> {
  const op = "matmul";
  if (a.rank === 0 || b.rank === 0) {
    throw new ShapeError(op, `operands must have rank ≥ 1, got ${formatShape(a.shape)} @ ${formatShape(b.shape)}`);
  }
  const k = a.shape[a.rank - 1];
  const k2 = b.rank === 1 ? b.shape[0] : b.shape[b.rank - 2];
  if (k !== k2) {
    throw new ShapeError(
      op,
      `inner dimensions ${k} and ${k2} differ (${formatShape(a.shape)} @ ${formatShape(b.shape)})`,
    );
  }
  if (a.rank > 2 && b.rank > 2) broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), op);
  sameDevice(a, b, op);
  const low = lowersProduct([a, b]);
  if (low) return callIn(low, [a, b], op, ([x, y]) => sym.dt_matmul(x!, y!));
  return wrap(sym.dt_matmul(handleOf(a, op), handleOf(b, op)), op);
}

/** Batched matrix product of two 3-D tensors: [b, n, k] @ [b, k, m] → [b, n, m]. */
export function bmm<Bt extends Dim, N extends Dim, K extends Dim, M extends Dim>(
  a: Tensor<[Bt, N, K]>,
  b: Tensor<[Bt, K, M]>,
): Tensor<[Bt, N, M]> {
  const op = "bmm";
  if (a.rank !== 3 || b.rank !== 3 || a.shape[0] !== b.shape[0] || a.shape[2] !== b.shape[1]) {
    throw new ShapeError(op, `needs [b, n, k] @ [b, k, m], got ${formatShape(a.shape)} @ ${formatShape(b.shape)}`);
  }
  sameDevice(a, b, op);
  const low = lowersProduct([a, b]);
  if (low) return callIn(low, [a, b], op, ([x, y]) => sym.dt_bmm(x!, y!));
  return wrap(sym.dt_bmm(handleOf(a, op), handleOf(b, op)), op);
}

/**
 * x @ weightᵀ + bias, with `weight` laid out [out, in] as in torch.nn.Linear. An i8 weight packed by
 * `quantizeLinear` runs as dynamic int8 (`linearInt8`).
 */
export function linear<X extends Shape, W extends Shape>(
  x: Tensor<X>,
  weight: Tensor<W> & LinearCheck<X, W>,
  bias?: Tensor,
): Tensor<Linear<X, W>> {
  const op = "linear";
  const inX = x.shape[x.rank - 1];
  if (
    weight.rank !== 2 || inX !== weight.shape[1] || (bias && (bias.rank !== 1 || bias.shape[0] !== weight.shape[0]))
  ) {
    const b = bias ? ` + ${formatShape(bias.shape)}` : "";
    throw new ShapeError(
      op,
      `x ${formatShape(x.shape)} does not fit weight ${formatShape(weight.shape)}${b} (weight is [out, in])`,
    );
  }
  if (weight.dtype === "i8") {
    return linearInt8(x, weight as Tensor as Tensor<[Dim, Dim]>, bias) as Tensor as Tensor<Linear<X, W>>;
  }
  sameDevice(x, weight, op);
  const low = lowersProduct([x, weight, bias]);
  if (low) return callIn(low, [x, weight, bias], op, ([a, w, b]) => sym.dt_linear(a!, w!, b));
  return wrap(sym.dt_linear(handleOf(x, op), handleOf(weight, op), bias ? handleOf(bias, op) : null), op);
}
