/**
 * SGD, Adagrad, RMSprop and Lion: against their definitions by hand, against torch.optim (torch 1.13,
 * single-tensor) bit for bit, and their errors.
 */
import "./helpers/device.ts"; // first: DENO_TORCH_TEST_DEVICE becomes the default device
import assert from "node:assert/strict";
import {
  adagradInit,
  adagradStep,
  adagradUpdate,
  DTypeError,
  FreedTensorError,
  lionInit,
  lionStep,
  lionUpdate,
  memory,
  rmspropInit,
  rmspropStep,
  rmspropUpdate,
  scope,
  sgdInit,
  sgdStep,
  sgdUpdate,
  ShapeError,
  type Tensor,
  tensor,
  values,
  zerosLike,
} from "../mod.ts";
import { PYTHON, referenceAvailable } from "./helpers/reference.ts";

const START = [1, -2, 0.5, 3, -0.25];
const GRADS = [[0.3, -0.1, 2, 0, 1e-3], [0.1, 0.2, -1, 1e-3, -0.5], [-0.5, 0.4, 0.25, -2, 0.125], [
  0.7,
  -0.3,
  0.05,
  1.5,
  -2,
]];

type Kind = "sgd" | "adagrad" | "rmsprop" | "lion";
// deno-lint-ignore no-explicit-any
type Config = Record<string, any>;

/** The configurations compared with torch, as torch's keyword arguments and as ours. */
const CASES: { kind: Kind; torch: string; ours: Config }[] = [
  { kind: "sgd", torch: "lr=0.1", ours: { lr: 0.1 } },
  { kind: "sgd", torch: "lr=0.1, momentum=0.9", ours: { lr: 0.1, momentum: 0.9 } },
  {
    kind: "sgd",
    torch: "lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01",
    ours: { lr: 0.05, momentum: 0.9, dampening: 0.3, weightDecay: 0.01 },
  },
  {
    kind: "sgd",
    torch: "lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1",
    ours: { lr: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.1 },
  },
  { kind: "adagrad", torch: "lr=0.01", ours: { lr: 0.01 } },
  {
    kind: "adagrad",
    torch: "lr=0.1, lr_decay=0.05, weight_decay=0.01, initial_accumulator_value=0.1, eps=1e-6",
    ours: { lr: 0.1, lrDecay: 0.05, weightDecay: 0.01, initialAccumulatorValue: 0.1, eps: 1e-6 },
  },
  { kind: "rmsprop", torch: "lr=0.01", ours: { lr: 0.01 } },
  {
    kind: "rmsprop",
    torch: "lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.01, momentum=0.9",
    ours: { lr: 0.01, alpha: 0.9, eps: 1e-6, weightDecay: 0.01, momentum: 0.9 },
  },
  { kind: "rmsprop", torch: "lr=0.02, centered=True", ours: { lr: 0.02, centered: true } },
  {
    kind: "rmsprop",
    torch: "lr=0.02, centered=True, momentum=0.5, weight_decay=0.1",
    ours: { lr: 0.02, centered: true, momentum: 0.5, weightDecay: 0.1 },
  },
  { kind: "lion", torch: "lr=1e-2", ours: { lr: 1e-2 } },
  {
    kind: "lion",
    torch: "lr=3e-2, betas=(0.95, 0.98), weight_decay=0.1",
    ours: { lr: 3e-2, beta1: 0.95, beta2: 0.98, weightDecay: 0.1 },
  },
];

/** Runs `steps` updates of the optimizer `kind` from START over GRADS; returns the parameter's values. */
function runOurs(kind: Kind, config: Config, dtype: "f32" | "f64", donate: boolean): number[] {
  return scope(() => {
    const { initialAccumulatorValue, ...rest } = config;
    const grads = GRADS.map((g) => ({ w: tensor(g, [5], { dtype }) }));
    // deno-lint-ignore no-explicit-any
    const update = (p: { w: Tensor }, s: any, g: { w: Tensor }): any =>
      kind === "sgd"
        ? sgdUpdate(p, g, s, rest as never, { donate })
        : kind === "adagrad"
        ? adagradUpdate(p, g, s, rest as never, { donate })
        : kind === "rmsprop"
        ? rmspropUpdate(p, g, s, rest as never, { donate })
        : lionUpdate(p, g, s, rest as never, { donate });
    let params = { w: tensor(START, [5], { dtype }) };
    let state: unknown = kind === "sgd"
      ? sgdInit(params)
      : kind === "adagrad"
      ? adagradInit(params, { initialAccumulatorValue })
      : kind === "rmsprop"
      ? rmspropInit(params)
      : lionInit(params);
    for (const g of grads) ({ params, state } = update(params, state, g));
    return values(params.w);
  });
}

const TORCH_SCRIPT = (dtype: string) => `
import torch, json
torch.set_default_dtype(torch.${dtype})
start = ${JSON.stringify(START)}
grads = ${JSON.stringify(GRADS)}
def lion(p, cfg):
    # lion-pytorch's update_fn, op for op
    lr, (b1, b2), wd = cfg.get("lr"), cfg.get("betas", (0.9, 0.99)), cfg.get("weight_decay", 0.0)
    m = torch.zeros_like(p)
    for g in grads:
        g = torch.tensor(g)
        p.data.mul_(1 - lr * wd)
        update = m.clone().mul_(b1).add(g, alpha=1 - b1).sign_()
        p.add_(update, alpha=-lr)
        m.mul_(b2).add_(g, alpha=1 - b2)
    return p
out = []
for kind, kw in ${JSON.stringify(CASES.map((c) => [c.kind, c.torch]))}:
    p = torch.nn.Parameter(torch.tensor(start))
    cfg = eval("dict(" + kw + ")")
    if kind == "lion":
        with torch.no_grad():
            out.append(lion(p, cfg).tolist())
        continue
    cls = {"sgd": torch.optim.SGD, "adagrad": torch.optim.Adagrad, "rmsprop": torch.optim.RMSprop}[kind]
    opt = cls([p], foreach=False, **cfg)
    for g in grads:
        p.grad = torch.tensor(g)
        opt.step()
    out.append(p.detach().tolist())
print(json.dumps(out))`;

for (const dtype of ["f32", "f64"] as const) {
  Deno.test({
    name: `optimizers: bit-identical to torch.optim SGD/Adagrad/RMSprop and lion-pytorch over 4 steps (${dtype})`,
    ignore: !referenceAvailable,
    fn() {
      const script = TORCH_SCRIPT(dtype === "f32" ? "float32" : "float64");
      const { stdout, stderr, code } = new Deno.Command(PYTHON, { args: ["-c", script] }).outputSync();
      assert.equal(code, 0, new TextDecoder().decode(stderr));
      const want: number[][] = JSON.parse(new TextDecoder().decode(stdout));
      CASES.forEach((c, i) => {
        for (const donate of [false, true]) {
          const ours = runOurs(c.kind, c.ours, dtype, donate);
          const diff = Math.max(...ours.map((x, j) => Math.abs(x - want[i][j])));
          assert.equal(diff, 0, `${c.kind}(${c.torch}) donate=${donate}: ours ${ours}, torch ${want[i]}`);
        }
      });
    },
  });
}

const f64 = (xs: number[]) => tensor(xs, [xs.length], { dtype: "f64" });
const close = (got: number[], want: number[], what: string) =>
  got.forEach((x, i) => assert.ok(Math.abs(x - want[i]) < 1e-14, `${what}: ${got} vs ${want}`));

Deno.test("sgdStep: plain, momentum (the buffer starts as the gradient), Nesterov, weight decay, by hand", () => {
  scope(() => {
    const w = f64([1, 2]), g = f64([0.5, -1]);
    close(values(sgdStep(w, g, null, { lr: 0.1 })[0]), [0.95, 2.1], "plain");
    assert.equal(sgdStep(w, g, null, { lr: 0.1 })[1], null, "no buffer without momentum");
    const [w1, b1] = sgdStep(w, g, null, { lr: 0.1, momentum: 0.9, dampening: 0.5 });
    close(values(b1!), [0.5, -1], "first buffer: the gradient, undampened");
    const [w2, b2] = sgdStep(w1, g, b1, { lr: 0.1, momentum: 0.9, dampening: 0.5 });
    close(values(b2!), [0.9 * 0.5 + 0.5 * 0.5, -0.9 - 0.5], "buffer: 0.9·b + (1 − 0.5)·g");
    close(values(w2), [0.95 - 0.1 * 0.7, 2.1 + 0.1 * 1.4], "second step");
    // Nesterov: the step is g + momentum·buf; weight decay adds wd·w to g first.
    const [w3] = sgdStep(w, g, null, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.1 });
    const d = [0.5 + 0.1 * 1, -1 + 0.1 * 2];
    close(values(w3), [1 - 0.1 * 1.9 * d[0], 2 - 0.1 * 1.9 * d[1]], "nesterov");
    assert.deepEqual(values(w), [1, 2], "inputs untouched");
  });
});

Deno.test("adagradStep, rmspropStep, lionStep: one and two steps by hand", () => {
  scope(() => {
    const w = f64([1, 2]), g = f64([0.5, -1]);
    const [a1, s1] = adagradStep(w, g, zerosLike(w), { lr: 0.1 }, 1);
    close(values(s1), [0.25, 1], "adagrad sum");
    close(values(a1), [1 - 0.05 / (0.5 + 1e-10), 2 + 0.1 / (1 + 1e-10)], "adagrad step 1");
    const [a3] = adagradStep(w, g, s1, { lr: 0.1, lrDecay: 0.5 }, 3); // rate 0.1 / (1 + 2·0.5)
    close(
      values(a3),
      [1 - 0.05 * 0.5 / (Math.sqrt(0.5) + 1e-10), 2 + 0.05 / (Math.sqrt(2) + 1e-10)],
      "adagrad lr decay",
    );

    const [r1, st] = rmspropStep(w, g, { squareAvg: zerosLike(w), gradAvg: null, momentumBuffer: null }, { lr: 0.01 });
    close(values(st.squareAvg), [0.01 * 0.25, 0.01], "rmsprop square average");
    close(values(r1), [1 - 0.005 / (0.05 + 1e-8), 2 + 0.01 / (0.1 + 1e-8)], "rmsprop step");
    assert.equal(st.gradAvg, null, "not centered: no gradient average");
    const [c1, ct] = rmspropStep(w, g, { squareAvg: zerosLike(w), gradAvg: null, momentumBuffer: null }, {
      lr: 0.01,
      alpha: 0.5,
      centered: true,
      momentum: 0.9,
    });
    // sq = 0.5 g², mean = 0.5 g, variance 0.25 g², avg = 0.5|g| + eps; buf = g / avg; w −= lr·buf.
    close(values(ct.gradAvg!), [0.25, -0.5], "centered gradient average");
    close(values(ct.momentumBuffer!), [0.5 / (0.25 + 1e-8), -1 / (0.5 + 1e-8)], "momentum buffer");
    close(values(c1), [1 - 0.01 * 0.5 / (0.25 + 1e-8), 2 + 0.01 / (0.5 + 1e-8)], "centered step");

    const [l1, m1] = lionStep(w, g, zerosLike(w), { lr: 0.1, weightDecay: 0.5 });
    close(values(l1), [1 * 0.95 - 0.1, 2 * 0.95 + 0.1], "lion: decay, then the sign step");
    close(values(m1), [0.01 * 0.5, -0.01], "lion moment (1 − β2)·g");
    const [l2] = lionStep(w, f64([-0.001, 0.001]), f64([1, -1]), { lr: 0.1 });
    close(values(l2), [0.9, 2.1], "the sign follows β1·m + (1 − β1)·g, not g");
  });
});

Deno.test("optimizer updates: state trees, tied weights stepped once, no leaks", () => {
  const before = memory().tensors;
  scope(() => {
    const w = f64([1, 2]);
    const params = { a: w, b: [w], c: f64([3]) };
    const grads = { a: f64([1, 1]), b: [f64([1, 1])], c: f64([1]) };
    const sgd = sgdUpdate(params, grads, sgdInit(params), { lr: 0.5, momentum: 0.9 });
    assert.equal(sgd.state.step, 1);
    assert.equal(sgd.params.a, sgd.params.b[0], "tied weights stay tied");
    close(values(sgd.params.c), [2.5], "c");
    assert.deepEqual(values(sgd.state.momentum!.c), [1]);
    const rms = rmspropUpdate(params, grads, rmspropInit(params), { lr: 0.01 });
    assert.equal(rms.state.gradAvg, null);
    assert.equal(rms.state.momentumBuffer, null);
    const ada = adagradUpdate(params, grads, adagradInit(params, { initialAccumulatorValue: 3 }), { lr: 0.1 });
    assert.deepEqual(values(ada.state.sum.c), [4]);
    const lion = lionUpdate(params, grads, lionInit(params), { lr: 0.1 });
    close(values(lion.params.c), [2.9], "lion");
  });
  assert.equal(memory().tensors, before, "no tensor leaked");
});

Deno.test("optimizer errors: named classes and messages, and a failing donated update changes nothing", () => {
  scope(() => {
    const w = f64([1, 2]), g = f64([0.5, -1]);
    assert.throws(() => sgdStep(w, f64([1]), null, { lr: 0.1 }), ShapeError);
    assert.throws(() => sgdStep(w, f64([1]), null, { lr: 0.1 }), /^ShapeError: sgd: the gradient has shape \[1\]/);
    assert.throws(() => sgdStep(w, g, null, { lr: -1 }), /^RangeError: sgd: lr must be ≥ 0, got -1$/);
    assert.throws(() => sgdStep(w, g, null, { lr: 0.1, nesterov: true }), /sgd: nesterov needs momentum > 0/);
    assert.throws(() => sgdStep(w, tensor([1, 2], [2]), null, { lr: 0.1 }), DTypeError);
    assert.throws(
      () => sgdStep(tensor([1, 2], [2], { dtype: "i64" }) as never, g, null, { lr: 0.1 }),
      /floating-point/,
    );
    assert.throws(() => adagradStep(w, g, zerosLike(w), { lr: 0.1 }, 0), /adagrad: step must be an integer ≥ 1/);
    assert.throws(() => adagradInit({ w }, { initialAccumulatorValue: -1 }), /initialAccumulatorValue/);
    assert.throws(() =>
      rmspropStep(w, g, { squareAvg: f64([1, 2, 3]), gradAvg: null, momentumBuffer: null }, {
        lr: 0.1,
      }), /rmsprop: the square average has shape \[3\]/);
    assert.throws(() => lionStep(w, g, zerosLike(w), { lr: 0.1, beta1: 1.5 }), /lion: beta1 must be in \[0, 1\]/);
    const dead = f64([1, 2]);
    dead.free();
    assert.throws(() => lionStep(w, g, dead, { lr: 0.1 }), FreedTensorError);
    assert.throws(
      () => sgdUpdate({ w }, {} as never, sgdInit({ w }), { lr: 0.1 }),
      /sgd: no gradient for parameter "w"/,
    );
    assert.throws(() => lionUpdate({ w }, { w: g }, { step: 0.5, m: { w } }, { lr: 0.1 }), /state\.step/);

    // The second parameter's gradient is wrong: with donate, the first must not have been written.
    const a = f64([1, 2]);
    assert.throws(
      () => sgdUpdate({ a, b: f64([1]) }, { a: g, b: f64([1, 2]) }, sgdInit({}), { lr: 0.1 }, { donate: true }),
      /sgd \(b\)/,
    );
    assert.deepEqual(values(a), [1, 2]);
  });
});

Deno.test("optimizer steps: the gradient and states must have the parameter's shape at compile time too", () => {
  scope(() => {
    const w = tensor([1, 2], [2]);
    const wrong = tensor([1, 2, 3], [3]);
    // @ts-expect-error a [3] gradient for a [2] parameter
    assert.throws(() => sgdStep(w, wrong, null, { lr: 0.1 }), ShapeError);
    // @ts-expect-error a [3] moment for a [2] parameter
    assert.throws(() => lionStep(w, w, wrong, { lr: 0.1 }), ShapeError);
    const [p]: [Tensor<[2]>, Tensor<[2]>] = adagradStep(w, w, zerosLike(w), { lr: 0.1 }, 1);
    assert.deepEqual(p.shape, [2]);
  });
});
