/** Runtime checks that mirror the shape types; their messages name the shapes involved. */
import { DeviceError, ShapeError } from "../errors.ts";
import { canonicalDevice } from "../device.ts";
import { formatShape } from "../shape.ts";
import type { Tensor } from "../tensor.ts";

/** Normalizes a possibly negative dimension index for a tensor of rank `rank`. */
export function axis(rank: number, d: number, op: string, shape?: readonly number[]): number {
  const a = d < 0 ? d + rank : d;
  if (!Number.isInteger(d) || a < 0 || a >= rank) {
    const where = shape ? ` of shape ${formatShape(shape)}` : ` of rank ${rank}`;
    throw new ShapeError(op, `dimension ${d} is out of range for a tensor${where}`);
  }
  return a;
}

/** The broadcast of two shapes; throws naming both when they do not broadcast. */
export function broadcastShapes(a: readonly number[], b: readonly number[], op: string): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) {
      throw new ShapeError(op, `cannot broadcast ${formatShape(a)} with ${formatShape(b)}`);
    }
    out[i] = x === 1 ? y : x;
  }
  return out;
}

export function sameDevice(a: Tensor, b: Tensor, op: string): void {
  if (a.device !== b.device && canonicalDevice(a.device) !== canonicalDevice(b.device)) {
    throw new DeviceError(op, `tensors are on different devices: ${a.device} and ${b.device}`);
  }
}

export function product(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
