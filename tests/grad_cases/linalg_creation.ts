/**
 * Finite-difference cases of the linear algebra, creation and random ops of issue 17 (group C),
 * spread into GRAD_CASES by tests/grad_cases.ts.
 */
import {
  add,
  addmm,
  baddbmm,
  cholesky,
  det,
  eigh,
  einsum,
  eye,
  inverse,
  kron,
  matmul,
  mul,
  outer,
  qr,
  slogdet,
  solve,
  svd,
  type Tensor,
  tensordot,
  transpose,
  unsqueeze,
} from "../../mod.ts";
import { type GradCase, r } from "./case.ts";

/** A random square matrix made well conditioned: plus (n + 1) times the identity. */
const conditioned = (a: Tensor) => add(a, mul(eye(a.shape[a.rank - 1], { dtype: "f64" }), a.shape[a.rank - 1] + 1));
/** A symmetric positive-definite matrix from any square one: a aᵀ + n I. */
const spd = (a: Tensor) => add(matmul(a, transpose(a, 0, 1)), mul(eye(a.shape[0], { dtype: "f64" }), a.shape[0]));
const square = (a: Tensor) => mul(a, a);
const qTimesR = ({ q, r }: { q: Tensor; r: Tensor }) => matmul(q, r);
const reconstruct = ({ u, s, vh }: { u: Tensor; s: Tensor; vh: Tensor }) => matmul(mul(u, unsqueeze(s, -2)), vh);

export const LINALG_CREATION_GRAD_CASES: Record<string, GradCase[]> = {
  einsum: [
    { what: "matrix product", inputs: r([2, 3], [3, 4]), f: (a, b) => einsum("ij,jk->ik", a, b) },
    { what: "batched, implicit output", inputs: r([2, 3, 4], [2, 4, 5]), f: (a, b) => einsum("bij,bjk", a, b) },
    { what: "diagonal", inputs: r([3, 3]), f: (a) => einsum("ii->i", a) },
    { what: "ellipsis broadcast", inputs: r([2, 1, 4], [3, 4]), f: (a, b) => einsum("...i,...i->...", a, b) },
  ],
  outer: [{ inputs: r([3], [4]), f: (a, b) => outer(a, b) }],
  addmm: [
    { what: "defaults", inputs: r([4], [2, 3], [3, 4]), f: (c, a, b) => addmm(c, a, b) },
    {
      what: "beta, alpha",
      inputs: r([2, 4], [2, 3], [3, 4]),
      f: (c, a, b) => addmm(c, a, b, { beta: 0.5, alpha: -2 }),
    },
  ],
  baddbmm: [{
    what: "beta, alpha",
    inputs: r([1, 4], [2, 2, 3], [2, 3, 4]),
    f: (c, a, b) => baddbmm(c, a, b, { beta: 2, alpha: 0.5 }),
  }],
  tensordot: [
    { what: "dims 2", inputs: r([2, 3, 4], [3, 4, 2]), f: (a, b) => tensordot(a, b) },
    { what: "dim lists", inputs: r([2, 3, 4], [4, 3, 2]), f: (a, b) => tensordot(a, b, [[1, 2], [1, 0]]) },
  ],
  kron: [{ inputs: r([2, 3], [2, 2]), f: (a, b) => kron(a, b) }],
  inverse: [{ what: "batched", inputs: r([2, 3, 3]), f: (a) => inverse(conditioned(a)) }],
  det: [{ what: "batched", inputs: r([2, 3, 3]), f: (a) => det(conditioned(a)) }],
  slogdet: [{ what: "logAbsDet", inputs: r([2, 3, 3]), f: (a) => slogdet(conditioned(a)).logAbsDet }],
  solve: [
    { what: "matrix right-hand side", inputs: r([3, 3], [3, 2]), f: (a, b) => solve(conditioned(a), b) },
    { what: "vector right-hand side", inputs: r([3, 3], [3]), f: (a, b) => solve(conditioned(a), b) },
  ],
  cholesky: [
    { what: "lower", inputs: r([3, 3]), f: (a) => cholesky(spd(a)) },
    { what: "upper", inputs: r([3, 3]), f: (a) => cholesky(spd(a), { upper: true }) },
  ],
  // Factors defined up to sign are checked through sign-invariant functions of them, as torch's tests do.
  qr: [
    { what: "q r", inputs: r([4, 3]), f: (a) => qTimesR(qr(a)) },
    { what: "r squared (signs cancel)", inputs: r([3, 3]), f: (a) => square(qr(a).r) },
  ],
  svd: [
    { what: "singular values", inputs: r([4, 3]), f: (a) => svd(a).s },
    { what: "u diag(s) vh", inputs: r([3, 4]), f: (a) => reconstruct(svd(a)) },
  ],
  eigh: [
    { what: "eigenvalues", inputs: r([3, 3]), f: (a) => eigh(add(a, transpose(a, 0, 1))).eigenvalues },
    {
      what: "eigenvectors squared (signs cancel)",
      inputs: r([3, 3]),
      f: (a) => square(eigh(add(a, transpose(a, 0, 1))).eigenvectors),
    },
  ],
};
