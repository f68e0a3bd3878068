/**
 * @hardened-coder/aws RegistryPullAccount and EncryptedStorageClass on their own, under the mock
 * engine: what a user composing them without HardenedCluster gets.
 */
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { EncryptedStorageClass, RegistryPullAccount, type PolicyDocument } from "@hardened-coder/aws";
import { WorkspaceAdmissionPolicy } from "@hardened-coder/kubernetes";
import { type RecordedResource, at, ofType, one, synth, valueOf } from "./harness/engine";
import { validateAllKubernetesObjects } from "./harness/validate";

const KEY = "arn:aws:kms:us-west-2:123456789012:key/0000-aaaa";

describe("aws: RegistryPullAccount", () => {
  let rs: RecordedResource[];
  let prefixes: string[];
  let server: string;
  before(async () => {
    const run = await synth(async () => {
      const reg = new RegistryPullAccount("team", {
        repositories: ["coder/base", "coder/python"],
        pullRoleNames: ["node-role"],
        kmsKeyArn: KEY,
      });
      new WorkspaceAdmissionPolicy("team", { namespace: "coder", approvedImages: reg.approvedImagePrefixes });
      prefixes = await valueOf(reg.approvedImagePrefixes);
      server = await valueOf(reg.registryServer);
    });
    rs = run.resources;
  });

  it("creates immutable, scanned, KMS-encrypted repositories", () => {
    const repos = ofType(rs, "aws:ecr/repository:Repository");
    assert.deepEqual(
      repos.map((r) => r.inputs.name),
      ["coder/base", "coder/python"],
    );
    for (const r of repos) {
      assert.equal(r.inputs.imageTagMutability, "IMMUTABLE");
      assert.deepEqual(r.inputs.imageScanningConfiguration, { scanOnPush: true });
      assert.deepEqual(r.inputs.encryptionConfigurations, [{ encryptionType: "KMS", kmsKey: KEY }]);
      assert.equal(r.inputs.forceDelete, false);
    }
  });

  it("grants the role pulls from those repositories and nothing else", () => {
    const p = one(rs, "aws:iam/rolePolicy:RolePolicy");
    assert.equal(p.inputs.role, "node-role");
    const doc = JSON.parse(String(p.inputs.policy)) as PolicyDocument;
    assert.deepEqual(doc.Statement[1]!.Resource, [
      "arn:aws:ecr:us-west-2:123456789012:repository/coder/base",
      "arn:aws:ecr:us-west-2:123456789012:repository/coder/python",
    ]);
    assert.deepEqual(doc.Statement[1]!.Action, [
      "ecr:BatchGetImage",
      "ecr:GetDownloadUrlForLayer",
      "ecr:BatchCheckLayerAvailability",
    ]);
    assert.deepEqual(
      doc.Statement.filter((s) => s.Resource === "*").map((s) => s.Action),
      ["ecr:GetAuthorizationToken"],
    );
  });

  it("gives the admission policy each repository's tags and digests as approved prefixes", async () => {
    assert.equal(server, "123456789012.dkr.ecr.us-west-2.amazonaws.com");
    assert.deepEqual(prefixes, [
      `${server}/coder/base:`,
      `${server}/coder/base@`,
      `${server}/coder/python:`,
      `${server}/coder/python@`,
    ]);
    const vap = one(rs, "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy");
    assert.ok(JSON.stringify(vap.inputs).includes(`${server}/coder/python@`));
    await validateAllKubernetesObjects(rs);
  });

  it("without a key, still encrypts with KMS (the AWS-managed key)", async () => {
    const { resources } = await synth(() => {
      new RegistryPullAccount("plain", {});
    });
    const repo = one(resources, "aws:ecr/repository:Repository");
    assert.equal(repo.inputs.name, "plain/workspaces");
    assert.deepEqual(repo.inputs.encryptionConfigurations, [{ encryptionType: "KMS" }]);
    assert.deepEqual(ofType(resources, "aws:iam/rolePolicy:RolePolicy"), []);
  });

  it("refuses an empty repository list, registering nothing", async () => {
    const { resources } = await synth(() => {
      assert.throws(() => new RegistryPullAccount("x", { repositories: [] }), /^Error: repositories: an empty list/);
    });
    assert.deepEqual(
      resources.filter((r) => r.type !== "pulumi:pulumi:Stack"),
      [],
    );
  });
});

describe("aws: EncryptedStorageClass", () => {
  it("is the default class: EBS CSI gp3 encrypted with the key, through the given provider", async () => {
    const { resources } = await synth(() => {
      const provider = new k8s.Provider("eks", { kubeconfig: pulumi.secret("{}") });
      new EncryptedStorageClass("encrypted-gp3", { kmsKeyArn: pulumi.output(KEY), throughputMiBps: 250 }, { provider });
    });
    const sc = one(resources, "kubernetes:storage.k8s.io/v1:StorageClass");
    assert.equal(sc.inputs.provisioner, "ebs.csi.aws.com");
    assert.deepEqual(sc.inputs.parameters, { type: "gp3", encrypted: "true", kmsKeyId: KEY, throughput: "250" });
    assert.equal(at(sc.inputs, "metadata.name"), "encrypted-gp3");
    assert.equal(
      (at(sc.inputs, "metadata.annotations") as Record<string, string>)["storageclass.kubernetes.io/is-default-class"],
      "true",
    );
    assert.ok(sc.provider.includes("pulumi:providers:kubernetes::eks::"));
    assert.ok(
      ofType(resources, "hardened-coder:kubernetes:EncryptedStorageClass").length === 1,
      "composes the k8s one",
    );
    await validateAllKubernetesObjects(resources);
  });

  it("refuses an alias instead of a key, registering nothing", async () => {
    const { resources } = await synth(() => {
      assert.throws(
        () => new EncryptedStorageClass("x", { kmsKeyArn: "arn:aws:kms:us-west-2:123456789012:alias/aws/ebs" }),
        /^Error: kmsKeyArn: .* not an alias/,
      );
      assert.throws(
        () => new EncryptedStorageClass("y", { kmsKeyArn: pulumi.output(KEY), volumeType: "magnetic" as "gp3" }),
        /^Error: volumeType: "magnetic"/,
      );
    });
    assert.deepEqual(
      resources.filter((r) => r.type !== "pulumi:pulumi:Stack"),
      [],
    );
  });
});
