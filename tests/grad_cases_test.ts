/** Runs every finite-difference case of tests/grad_cases.ts (f64, central differences). */
import "./helpers/device.ts"; // first: DENO_TORCH_TEST_DEVICE becomes the default device
import assert from "node:assert/strict";
import { memory, scope } from "../mod.ts";
import { checkGradients } from "./helpers/finite_diff.ts";
import { GRAD_CASES } from "./grad_cases.ts";

for (const [name, cases] of Object.entries(GRAD_CASES)) {
  Deno.test(`grad (finite differences): ${name}`, () => {
    assert.ok(cases.length > 0, `${name} has no case`);
    const before = memory().tensors;
    for (const c of cases) {
      scope(() => {
        const inputs = c.inputs();
        const report = checkGradients(`${name}${c.what ? ` (${c.what})` : ""}`, c.f, inputs, c.options);
        const wrt = c.options?.wrt ?? inputs.map((_, i) => i);
        const expected = wrt.reduce((n, i) => n + inputs[i].size, 0);
        assert.equal(report.checked, expected, `${name}: compared ${report.checked} of ${expected} elements`);
      });
    }
    assert.equal(memory().tensors, before, `${name}: the cases leaked tensors`);
  });
}
