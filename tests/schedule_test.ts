/** The learning-rate schedules against torch.optim.lr_scheduler (live) and by hand. */
import assert from "node:assert/strict";
import { oneCycle, type Schedule, stepDecay, warmupCosine, warmupLinear } from "../mod.ts";
import { PYTHON, referenceAvailable } from "./helpers/reference.ts";

/** Each schedule, as ours and as the torch scheduler (over an SGD optimizer whose lr is the first number). */
const CASES: { name: string; ours: Schedule; torch: string; lr: number; steps: number }[] = [
  {
    name: "warmupCosine",
    ours: warmupCosine(1e-3, 10, 60),
    lr: 1e-3,
    steps: 60,
    torch: "S.SequentialLR(o, [S.LinearLR(o, 1 / 10, 1, 9), S.CosineAnnealingLR(o, 50)], milestones=[9])",
  },
  {
    name: "warmupCosine with a floor",
    ours: warmupCosine(3e-4, 4, 37, { min: 1e-5 }),
    lr: 3e-4,
    steps: 37,
    torch: "S.SequentialLR(o, [S.LinearLR(o, 1 / 4, 1, 3), S.CosineAnnealingLR(o, 33, eta_min=1e-5)], milestones=[3])",
  },
  {
    name: "warmupLinear",
    ours: warmupLinear(2e-3, 8, 50),
    lr: 2e-3,
    steps: 60,
    torch: "S.SequentialLR(o, [S.LinearLR(o, 1 / 8, 1, 7), S.LinearLR(o, 1, 0, 42)], milestones=[7])",
  },
  { name: "stepDecay", ours: stepDecay(0.1, 7), lr: 0.1, steps: 40, torch: "S.StepLR(o, 7)" },
  { name: "stepDecay gamma", ours: stepDecay(0.5, 3, 0.7), lr: 0.5, steps: 40, torch: "S.StepLR(o, 3, gamma=0.7)" },
  { name: "oneCycle", ours: oneCycle(0.1, 100), lr: 0.1, steps: 101, torch: "S.OneCycleLR(o, 0.1, total_steps=100)" },
  {
    name: "oneCycle, odd length",
    ours: oneCycle(2e-3, 37),
    lr: 2e-3,
    steps: 38,
    torch: "S.OneCycleLR(o, 2e-3, total_steps=37)",
  },
  {
    name: "oneCycle, three phases, linear",
    ours: oneCycle(0.05, 50, { pctStart: 0.25, annealStrategy: "linear", threePhase: true, divFactor: 10 }),
    lr: 0.05,
    steps: 51,
    torch:
      "S.OneCycleLR(o, 0.05, total_steps=50, pct_start=0.25, anneal_strategy='linear', three_phase=True, div_factor=10.0)",
  },
];

Deno.test({
  name: "schedules: torch.optim.lr_scheduler's rates to 1e-12 (live reference)",
  ignore: !referenceAvailable,
  fn() {
    const script = `
import json, warnings, torch
import torch.optim.lr_scheduler as S
warnings.simplefilter("ignore")
out = []
for lr, steps, make in ${JSON.stringify(CASES.map((c) => [c.lr, c.steps, c.torch]))}:
    o = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr, momentum=0.9)
    s = eval(make)
    rates = []
    for _ in range(steps):
        rates.append(o.param_groups[0]["lr"])
        o.step()
        s.step() if len(rates) < steps else None
    out.append(rates)
print(json.dumps(out))`;
    const { stdout, stderr, code } = new Deno.Command(PYTHON, { args: ["-c", script] }).outputSync();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    const want: number[][] = JSON.parse(new TextDecoder().decode(stdout));
    CASES.forEach((c, i) =>
      want[i].forEach((w, k) => {
        const ours = c.ours(k + 1);
        assert.ok(Math.abs(ours - w) <= 1e-12, `${c.name}, step ${k + 1}: ours ${ours}, torch ${w}`);
      })
    );
  },
});

Deno.test("schedules: by hand", () => {
  const cos = warmupCosine(1e-3, 100, 1100);
  assert.equal(cos(50), 5e-4);
  assert.equal(cos(100), 1e-3);
  assert.ok(Math.abs(cos(600) - 5e-4) < 1e-18);
  assert.equal(cos(1100), 0);
  assert.equal(cos(5000), 0, "held at the floor past total");
  const lin = warmupLinear(1e-3, 100, 1100);
  assert.equal(lin(1), 1e-5);
  assert.equal(lin(600), 5e-4);
  assert.equal(lin(2000), 0);
  const st = stepDecay(1, 2, 0.5);
  assert.deepEqual([1, 2, 3, 4, 5].map(st), [1, 1, 0.5, 0.5, 0.25]);
  const one = oneCycle(0.1, 1000);
  assert.ok(Math.abs(one(1) - 0.004) < 1e-17, "maxLr / 25 at the first step");
  assert.ok(Math.abs(one(300) - 0.1) < 1e-17);
  assert.ok(Math.abs(one(1000) - 0.004 / 1e4) < 1e-17, "the final rate at the last step");
});

Deno.test("schedules: RangeErrors name the schedule and the argument", () => {
  assert.throws(() => warmupCosine(1e-3, 0, 10), /^RangeError: warmupCosine: warmup must be an integer ≥ 1, got 0$/);
  assert.throws(() => warmupCosine(1e-3, 10, 10), /warmupCosine: total must be an integer ≥ 11, got 10/);
  assert.throws(() => warmupCosine(NaN, 1, 10), /warmupCosine: peak must be ≥ 0/);
  assert.throws(() => warmupCosine(1, 1, 10)(0), /warmupCosine: step must be an integer ≥ 1, got 0/);
  assert.throws(() => warmupLinear(1, 5, 2.5), /warmupLinear: total/);
  assert.throws(() => stepDecay(1, 0), /stepDecay: stepSize/);
  assert.throws(() => stepDecay(1, 2, -1), /stepDecay: gamma/);
  assert.throws(() => oneCycle(0.1, 10, { pctStart: 2 }), /oneCycle: pctStart must be in \[0, 1\], got 2/);
  assert.throws(() => oneCycle(0.1, 10, { divFactor: 0 }), /oneCycle: divFactor/);
  assert.throws(() => oneCycle(0.1, 10, { annealStrategy: "exp" as never }), /oneCycle: annealStrategy/);
  assert.throws(() => oneCycle(0.1, 10)(12), /oneCycle: step 12 is past the schedule's 10 steps/);
  assert.doesNotThrow(() => oneCycle(0.1, 10)(11), "torch allows one step past the end");
});
