import assert from "node:assert/strict";
import { policies } from "@hardened-coder/policy";
import type { RecordedResource } from "./harness/engine";
import { blocking, firstPreview, fixture, runPack, runPolicy, unknownValue } from "./harness/policy";
import { type StackName, defaultStacks, recordedStack, stackNames } from "./fixtures/default-stacks";

const preview = { preview: true } as const;

describe("policy pack under a first pulumi preview (computed values unknown)", function () {
  this.timeout(120_000);
  const stacks = new Map<StackName, RecordedResource[]>();
  before(async () => {
    for (const name of stackNames) stacks.set(name, firstPreview(await recordedStack(name)));
  });

  for (const name of stackNames) {
    it(`blocks nothing on ${defaultStacks[name].title}`, async () => {
      assert.deepEqual(blocking(await runPack(stacks.get(name)!, {}, undefined, preview)), []);
    });
  }

  it("makes the cloud stacks' computed values unknown, as the engine does (the simulation bites)", async () => {
    const aws = await runPack(stacks.get("aws")!, {}, undefined, preview);
    assert.ok(
      aws.some((v) => v.policy === "storage-encryption" && /encryptionConfig\.provider\.keyArn/.test(v.message)),
      "the EKS secrets key ARN is unknown until the KMS key exists",
    );
  });

  const encryption = policies.find((p) => p.name === "storage-encryption")!;
  const cluster = (encryptionConfig?: unknown) =>
    fixture("aws:eks/cluster:Cluster", "coder", {
      name: "coder",
      vpcConfig: { subnetIds: ["subnet-1"], endpointPublicAccess: false, endpointPrivateAccess: true },
      ...(encryptionConfig === undefined ? {} : { encryptionConfig }),
    });

  it("reports a key ARN not known yet as advisory, not as a violation", async () => {
    const found = await runPolicy(
      encryption,
      [cluster({ resources: ["secrets"], provider: { keyArn: unknownValue } })],
      {},
      preview,
    );
    assert.deepEqual(blocking(found), []);
    assert.ok(found.some((v) => v.enforcementLevel === "advisory" && /can't be known during preview/.test(v.message)));
  });

  it("still blocks a cluster with no secrets encryption at all during preview", async () => {
    assert.notDeepEqual(blocking(await runPolicy(encryption, [cluster()], {}, preview)), []);
  });
});
