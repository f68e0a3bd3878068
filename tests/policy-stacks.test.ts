import assert from "node:assert/strict";
import { policies } from "@hardened-coder/policy";
import type { RecordedResource } from "./harness/engine";
import { blocking, runPack, runPolicy } from "./harness/policy";
import { type StackName, defaultStacks, recordedStack, stackNames } from "./fixtures/default-stacks";
import { mutations } from "./fixtures/mutations";

describe("policy pack on the default stacks, and mutation coverage", function () {
  this.timeout(120_000);
  const stacks = new Map<StackName, RecordedResource[]>();
  before(async () => {
    for (const name of stackNames) stacks.set(name, await recordedStack(name));
  });

  for (const name of stackNames) {
    it(`passes every policy on ${defaultStacks[name].title}`, async () => {
      assert.deepEqual(blocking(await runPack(stacks.get(name)!)), []);
    });
  }

  it("has a weakening of every policy's control, on a stack where the control exists", () => {
    const covered = new Set(mutations.map((m) => m.policy));
    assert.deepEqual(
      policies.map((p) => p.name).filter((n) => !covered.has(n)),
      [],
      "policies without a mutation",
    );
  });

  it("catches every mutation with the policy of the weakened control (caught N/N)", async () => {
    const missed: string[] = [];
    for (const m of mutations) {
      const policy = policies.find((p) => p.name === m.policy)!;
      const base = stacks.get(m.stack)!;
      assert.deepEqual(await runPolicy(policy, base), [], `${m.policy} passes ${m.stack} before the mutation`);
      const found = await runPolicy(policy, m.apply(base));
      if (found.length === 0) missed.push(`${m.policy} on ${m.stack}: ${m.what}`);
    }
    console.log(`      mutation coverage: caught ${mutations.length - missed.length}/${mutations.length}`);
    assert.deepEqual(missed, []);
  });
});
