import assert from "node:assert/strict";
import { policyPackConfig } from "@hardened-coder/policy";
import { type RecordedResource, synth } from "./harness/engine";
import { type Violation, blocking, runPack } from "./harness/policy";
import {
  type Weakness,
  eksWeaknesses,
  gkeWeaknesses,
  handWrittenEks,
  handWrittenGke,
  rawWorkspaceNamespace,
} from "./fixtures/raw-stacks";

// Hand-written stacks name their workspace namespace and approved images to the pack by config.
const config = policyPackConfig({
  workspaceNamespaces: [rawWorkspaceNamespace],
  approvedImagePrefixes: ["registry.example.com/coder/"],
});

function caught(violations: readonly Violation[], w: Weakness): boolean {
  return violations.some((v) => v.policy === w.policy && w.message.test(v.message));
}

for (const [cloud, build, weaknesses] of [
  ["EKS", handWrittenEks, eksWeaknesses],
  ["GKE", handWrittenGke, gkeWeaknesses],
] as const) {
  describe(`policy pack on a hand-written ${cloud} stack (raw provider resources, none of our components)`, () => {
    let secure: RecordedResource[];
    let insecure: RecordedResource[];
    let violations: Violation[];
    before(async () => {
      secure = (await synth(() => build(false))).resources;
      insecure = (await synth(() => build(true))).resources;
      violations = await runPack(insecure, config);
    });

    it("passes every policy when written to the recommendations", async () => {
      assert.deepEqual(blocking(await runPack(secure, config)), []);
    });

    it("catches each weakness with the policy of its recommendation", () => {
      const missed = weaknesses.filter((w) => !caught(violations, w));
      console.log(`      ${cloud} weaknesses caught ${weaknesses.length - missed.length}/${weaknesses.length}`);
      assert.deepEqual(
        missed.map((w) => `${w.what} (${w.policy})`),
        [],
        `missed; violations were:\n${violations.map((v) => `[${v.policy}] ${v.message}`).join("\n")}`,
      );
    });

    it("names the resource, the setting and the fix in every message, and blocks (mandatory)", () => {
      for (const v of violations) {
        assert.match(v.message, /Fix:/, v.message);
        assert.equal(v.enforcementLevel, "mandatory");
      }
      const endpoint = violations.find((v) => v.policy === "roles-control-plane-access")!;
      assert.match(
        endpoint.message,
        cloud === "EKS" ? /^aws:eks\/cluster:Cluster "coder"/ : /^gcp:container\/cluster:Cluster "coder"/,
      );
    });
  });
}
