/**
 * Transforms (issue 17): grad and valueAndGrad composed with themselves (higher derivatives), vjp,
 * jvp and hessianVectorProduct. Expected values come from derivatives worked out by hand, from
 * central finite differences in f64, and from PyTorch 1.13's torch.autograd.functional.vjp / jvp /
 * hvp on the same inputs (the numbers printed by the script in the comment below, written in here).
 * Every test also checks that the live tensor count returns to where it started.
 */
import assert from "node:assert/strict";
import {
  add,
  DTypeError,
  exp,
  FreedTensorError,
  grad,
  hessianVectorProduct,
  jvp,
  linear,
  memory,
  mul,
  scope,
  ShapeError,
  sin,
  sum,
  tanh,
  type Tensor,
  tensor,
  treeLeaves,
  valueAndGrad,
  vjp,
} from "../mod.ts";
import { f64, values } from "./helpers/finite_diff.ts";

/** Runs `body` in a scope and asserts that it leaves no tensor behind. */
function leakFree(name: string, body: () => void): void {
  Deno.test(name, () => {
    const before = memory().tensors;
    scope(body);
    assert.equal(memory().tensors, before, "live tensors after the test");
  });
}

function assertClose(got: number[], want: number[], tol: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: ${got.length} values, expected ${want.length}`);
  got.forEach((g, i) =>
    assert.ok(Math.abs(g - want[i]) <= tol * (1 + Math.abs(want[i])), `${what}[${i}] = ${g}, expected ${want[i]}`)
  );
}

const scalar = (v: number) => f64([v], []);
const cube = (x: Tensor) => sum(mul(mul(x, x), x));

// ---- higher derivatives ----

leakFree("grad(grad(f)): the derivatives of x³ at 2 are 12, 12, 6, 0", () => {
  const x = scalar(2);
  const d1 = grad(cube);
  const d2 = grad((p: Tensor) => d1(p));
  const d3 = grad((p: Tensor) => d2(p));
  const d4 = grad((p: Tensor) => d3(p));
  assert.deepEqual([d1, d2, d3, d4].map((d) => values(d(x))[0]), [12, 12, 6, 0]);
});

leakFree("grad(grad(sin)) is -sin and grad(grad(exp)) is exp, elementwise on a vector", () => {
  const x = f64([0.3, -1.2, 2.5], [3]);
  const secondOf = (f: (t: Tensor) => Tensor) => grad((p: Tensor) => sum(grad((q: Tensor) => sum(f(q)))(p)))(x);
  assertClose(values(secondOf(sin)), [0.3, -1.2, 2.5].map((v) => -Math.sin(v)), 1e-12, "sin''");
  assertClose(values(secondOf(exp)), [0.3, -1.2, 2.5].map(Math.exp), 1e-12, "exp''");
});

leakFree("nested grad does not confuse the levels: d/dx [d/dy (x·y) at y = x] = 1", () => {
  // With the inner parameter aliased to the outer one, a naive implementation gets d/dx (x·x) = 2.
  const g = grad((x: Tensor) => grad((y: Tensor) => sum(mul(x, y)))(x))(scalar(3));
  assert.equal(values(g)[0], 1);
});

leakFree("an inner grad may close over the outer parameter: d/dx [x · d/dy (x·y)] = 2x", () => {
  const g = grad((x: Tensor) => sum(mul(x, grad((y: Tensor) => sum(mul(x, y)))(scalar(5)))))(scalar(3));
  assert.equal(values(g)[0], 6);
});

leakFree("nested valueAndGrad: the inner value and aux stay differentiable for the outer level", () => {
  const inner = valueAndGrad((p: Tensor) => [cube(p), sin(p)] as [Tensor, Tensor], { hasAux: true });
  // outer(x) = x³ + sin(x) + 3x² (the inner gradient), so outer' = 3x² + cos x + 6x
  const outer = valueAndGrad((x: Tensor) => {
    const { value: [v, aux], grads } = inner(x);
    return add(add(v, sum(aux)), sum(grads));
  });
  const { value, grads } = outer(scalar(0.5));
  assertClose(values(value), [0.125 + Math.sin(0.5) + 0.75], 1e-12, "value");
  assertClose(values(grads), [0.75 + Math.cos(0.5) + 3], 1e-12, "grads");
});

leakFree("the second derivative of a linear function is zero, not an error", () => {
  const g = grad((x: Tensor) => sum(grad((y: Tensor) => sum(mul(y, 3)))(x)))(f64([1, 2], [2]));
  assert.deepEqual(values(g), [0, 0]);
});

leakFree("first-order gradients are built without a graph; nested ones with one", () => {
  const x = scalar(2);
  assert.equal(grad(cube)(x).requiresGrad, false, "outermost: no create_graph");
  grad((p: Tensor) => {
    const inner = grad(cube)(p);
    assert.equal(inner.requiresGrad, true, "nested: the gradient is differentiable");
    return inner;
  })(x);
});

leakFree("grad of grad over a parameter tree: the Hessian of Σ a²b is [[2b, 2a], [2a, 0]] (row sums)", () => {
  const params = { a: scalar(3), b: scalar(-2) };
  // Σ of the gradient = 2ab + a², whose gradient is (2b + 2a, 2a)
  const f = (p: typeof params) => sum(mul(mul(p.a, p.a), p.b));
  const g = grad((p: typeof params) => {
    const { a, b } = grad(f)(p);
    return add(a, b);
  })(params);
  assert.deepEqual([values(g.a)[0], values(g.b)[0]], [2, 6]);
});

// ---- vjp, jvp, hessianVectorProduct against PyTorch and finite differences ----

/*
 * The PyTorch numbers (torch 1.13, float64):
 *   a = [0.3, -0.7, 1.1]; B = [[0.2, -0.4, 0.5], [1.0, 0.3, -0.6]]
 *   F(a, B) = (tanh(B @ a), sin(a) * a);  g(a, B) = (tanh(B @ a) ** 2).sum() + (sin(a) * a).sum()
 *   u = ([0.5, -1.5], [1, 2, -1]);  t = ([0.1, 0.2, -0.3], [[1, 0, -1], [0.5, 0.5, 0.5]])
 *   torch.autograd.functional.vjp(F, (a, B), u), jvp(F, (a, B), t), hvp(g, (a, B), t)
 */
const TORCH = {
  out: [[0.7113937318189626, -0.5153592780074098], [0.08865606199840186, 0.4509523810663837, 0.9803280960675791]],
  vjp: [
    [-0.4700941726256316, -2.78848039489666, -0.605719020932885],
    [
      0.07408784374930348,
      -0.17287163541504147,
      0.2716554270807795,
      -0.33048216655725654,
      0.7711250553002653,
      -1.2117679440432743,
    ],
  ],
  jvp: [[-0.49885814791197686, 0.5067393220544602], [0.058212115339902136, -0.2359214436673666, -0.4170489280888712]],
  hvp: [
    [0.8158264796703134, -0.30777373104845873, -0.9243255748163011],
    [
      0.22539205350385488,
      -0.22139338732495747,
      0.3579430615386927,
      -0.01391041733666408,
      -0.2955603832169008,
      0.4536382497693348,
    ],
  ],
};

type AB = { a: Tensor; b: Tensor };
const primals = (): AB => ({ a: f64([0.3, -0.7, 1.1], [3]), b: f64([0.2, -0.4, 0.5, 1.0, 0.3, -0.6], [2, 3]) });
const F = (p: AB) => ({ u: tanh(linear(p.a, p.b as never)), v: mul(sin(p.a), p.a) });
const G = (p: AB) => {
  const h = tanh(linear(p.a, p.b as never));
  return add(sum(mul(h, h)), sum(mul(sin(p.a), p.a)));
};
const cotangents = () => ({ u: f64([0.5, -1.5], [2]), v: f64([1, 2, -1], [3]) });
const tangents = (): AB => ({ a: f64([0.1, 0.2, -0.3], [3]), b: f64([1, 0, -1, 0.5, 0.5, 0.5], [2, 3]) });

/** `p` moved by `h` along `dir` (trees of the same structure), as a fresh tree. */
function moved(p: AB, dir: AB, h: number): AB {
  const shift = (x: Tensor, d: Tensor) => f64(values(x).map((v, i) => v + h * values(d)[i]), x.shape);
  return { a: shift(p.a, dir.a), b: shift(p.b, dir.b) };
}

/** The unit vector along element `i` of the flattened tree (a, then b). */
function unit(i: number): AB {
  const flat = new Array(9).fill(0);
  flat[i] = 1;
  return { a: f64(flat.slice(0, 3), [3]), b: f64(flat.slice(3), [2, 3]) };
}

const flat = (tree: unknown) => treeLeaves(tree).flatMap(values);
const H = 1e-6;

leakFree("vjp: outputs and uᵀJ match torch.autograd.functional.vjp and finite differences", () => {
  const p = primals();
  const { out, vjpFn } = vjp(F, p);
  assertClose(flat(out), TORCH.out.flat(), 1e-14, "out");
  const pulled = vjpFn(cotangents());
  assert.deepEqual(pulled.a.shape, [3]);
  assert.deepEqual(pulled.b.shape, [2, 3]);
  assertClose(flat(pulled), TORCH.vjp.flat(), 1e-13, "vjp vs torch");
  // (Σ <F(p + h eᵢ), u> - Σ <F(p - h eᵢ), u>) / 2h, element by element
  const u = flat(cotangents());
  const dot = (q: AB) => flat(F(q)).reduce((s, v, i) => s + v * u[i], 0);
  const fd = Array.from(
    { length: 9 },
    (_, i) => scope(() => (dot(moved(p, unit(i), H)) - dot(moved(p, unit(i), -H))) / (2 * H)),
  );
  assertClose(flat(pulled), fd, 1e-7, "vjp vs finite differences");
});

leakFree("vjp: vjpFn may be called again (the graph is kept), and is linear in the cotangent", () => {
  const { vjpFn } = vjp(F, primals());
  const once = flat(vjpFn(cotangents()));
  const again = flat(vjpFn(cotangents()));
  assert.deepEqual(again, once);
  const doubled = flat(vjpFn({ u: f64([1, -3], [2]), v: f64([2, 4, -2], [3]) }));
  assertClose(doubled, once.map((v) => 2 * v), 1e-15, "2u");
});

leakFree("vjp: out is detached; an output that does not depend on the primals pulls back zeros", () => {
  const { out, vjpFn } = vjp((x: Tensor) => [mul(x, x), f64([1, 2], [2])], f64([1, 2], [2]));
  assert.equal(out[0].requiresGrad, false);
  assert.deepEqual(values(vjpFn([f64([0, 0], [2]), f64([1, 1], [2])])), [0, 0]);
});

leakFree("vjp: wrong cotangents are rejected with errors naming vjp and what is wrong", () => {
  const { vjpFn } = vjp(F, primals());
  assert.throws(
    () => vjpFn({ u: f64([1, 2], [2]) } as never),
    (e) => e instanceof ShapeError && /^vjp: cotangents must have the structure \[u, v\], got \[u\]/.test(e.message),
  );
  assert.throws(
    () => vjpFn({ u: f64([1, 2, 3], [3]), v: f64([1, 2, 3], [3]) }),
    (e) => e instanceof ShapeError && /^vjp: cotangents at "u" must have shape \[2\], got \[3\]/.test(e.message),
  );
  assert.throws(
    () => vjpFn({ u: tensor([1, 2]), v: f64([1, 2, 3], [3]) }),
    (e) => e instanceof DTypeError && /^vjp: cotangents at "u" must be f64, got f32/.test(e.message),
  );
  assert.throws(
    () => vjp((x: Tensor) => [x, 3] as never, f64([1], [1])),
    (e) => e instanceof TypeError && /^vjp: f must return a tensor or a tree of tensors/.test(e.message),
  );
});

Deno.test("vjp: vjpFn fails with FreedTensorError once the scope of the vjp call has ended", () => {
  const before = memory().tensors;
  const vjpFn = scope(() => vjp((x: Tensor) => mul(x, x), f64([1, 2], [2])).vjpFn);
  assert.equal(memory().tensors, before, "the scope freed the graph's handles");
  scope(() => assert.throws(() => vjpFn(f64([1, 1], [2])), FreedTensorError));
  assert.equal(memory().tensors, before);
});

leakFree("jvp: outputs and J t match torch.autograd.functional.jvp and finite differences", () => {
  const p = primals();
  const { out, tangent } = jvp(F, p, tangents());
  assertClose(flat(out), TORCH.out.flat(), 1e-14, "out");
  assert.deepEqual(tangent.u.shape, [2]);
  assert.deepEqual(tangent.v.shape, [3]);
  assertClose(flat(tangent), TORCH.jvp.flat(), 1e-13, "jvp vs torch");
  const fd = scope(() => {
    const plus = flat(F(moved(p, tangents(), H)));
    const minus = flat(F(moved(p, tangents(), -H)));
    return plus.map((v, i) => (v - minus[i]) / (2 * H));
  });
  assertClose(flat(tangent), fd, 1e-7, "jvp vs finite differences");
  assert.equal(tangent.u.requiresGrad, false, "outermost: no graph");
});

leakFree(
  "jvp: a function constant in the primals has zero tangents; a tied primal moves along the sum (the adjoint of vjp)",
  () => {
    const { tangent } = jvp((x: Tensor) => ({ c: f64([4], [1]), y: mul(x, 2) }), f64([1], [1]), f64([3], [1]));
    assert.deepEqual([values(tangent.c)[0], values(tangent.y)[0]], [0, 6]);
    const x = f64([2], [1]);
    // f(p, q) = p·q with p and q the same tensor x: one parameter (as valueAndGrad has it), so f = x²
    // moves along the sum of the tangents, 2x · (1 + 2) = 12 at x = 2: the adjoint of vjp, which gives
    // each path the whole gradient 2x (<vjpFn(u), t> = <u, J t> for u = 1: 2x·1 + 2x·2 = 12).
    const tied = jvp((t: Tensor[]) => mul(t[0], t[1]), [x, x], [f64([1], [1]), f64([2], [1])]);
    assert.equal(values(tied.tangent)[0], 12);
    const pulled = vjp((t: Tensor[]) => mul(t[0], t[1]), [x, x]).vjpFn(f64([1], [1]));
    assert.equal(values(pulled[0])[0] * 1 + values(pulled[1])[0] * 2, 12);
  },
);

leakFree("jvp: wrong tangents are rejected naming jvp", () => {
  assert.throws(
    () => jvp(F, primals(), { a: f64([1, 2, 3], [3]) } as never),
    (e) => e instanceof ShapeError && /^jvp: tangents must have the structure \[a, b\], got \[a\]/.test(e.message),
  );
  assert.throws(
    () => jvp(F, primals(), { a: f64([1, 2], [2]), b: f64([1, 2, 3, 4, 5, 6], [2, 3]) }),
    (e) => e instanceof ShapeError && /^jvp: tangents at "a" must have shape \[3\], got \[2\]/.test(e.message),
  );
});

leakFree("hessianVectorProduct matches torch.autograd.functional.hvp and finite differences of the gradient", () => {
  const p = primals();
  const hv = hessianVectorProduct(G, p, tangents());
  assertClose(flat(hv), TORCH.hvp.flat(), 1e-12, "hvp vs torch");
  const fd = scope(() => {
    const plus = flat(grad(G)(moved(p, tangents(), H)));
    const minus = flat(grad(G)(moved(p, tangents(), -H)));
    return plus.map((v, i) => (v - minus[i]) / (2 * H));
  });
  assertClose(flat(hv), fd, 1e-7, "hvp vs finite differences");
  assert.equal(hv.a.requiresGrad, false);
});

leakFree("hessianVectorProduct: Σ x³ has Hessian diag(6x); a linear function has Hessian 0", () => {
  assert.deepEqual(values(hessianVectorProduct(cube, f64([1, 2], [2]), f64([1, -1], [2]))), [6, -12]);
  assert.deepEqual(values(hessianVectorProduct((x: Tensor) => sum(mul(x, 3)), f64([1, 2], [2]), f64([1, 1], [2]))), [
    0,
    0,
  ]);
  assert.throws(
    () => hessianVectorProduct(cube, f64([1, 2], [2]), f64([1], [1])),
    (e) => e instanceof ShapeError && /^hessianVectorProduct: v must have shape \[2\], got \[1\]/.test(e.message),
  );
});

leakFree("transforms compose with each other: grad of a jvp tangent, and a vjp inside grad", () => {
  // d/dx of (d/dε (x + ε)³) = d/dx 3x² = 6x
  const viaJvp = grad((x: Tensor) => sum(jvp(cube, x, f64([1], [1])).tangent))(f64([2], [1]));
  assert.equal(values(viaJvp)[0], 12);
  // d/dx of uᵀ J for f = x³ and u = 1: d/dx 3x² = 6x
  const viaVjp = grad((x: Tensor) => sum(vjp((y: Tensor) => mul(mul(y, y), y), x).vjpFn(f64([1], [1]))))(f64([2], [1]));
  assert.equal(values(viaVjp)[0], 12);
  // a jvp of a gradient is a Hessian-vector product
  const hv = jvp((x: Tensor) => grad(cube)(x), f64([1, 2], [2]), f64([1, 1], [2])).tangent;
  assert.deepEqual(values(hv), [6, 12]);
  const cosine = jvp((x: Tensor) => grad((y: Tensor) => sum(sin(y)))(x), f64([0.5], [1]), f64([1], [1])).tangent;
  assertClose(values(cosine), [-Math.sin(0.5)], 1e-12, "d/dx cos x");
});
