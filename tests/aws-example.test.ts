/**
 * examples/aws runs under the mock engine as `pulumi up` would run it: with no config (every secure
 * default) and with the config keys its README documents.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { complianceReport } from "@hardened-coder/kubernetes";
import {
  type RecordedResource,
  at,
  isSecretOutput,
  loadProgram,
  ofType,
  one,
  plainStrings,
  synth,
  valueOf,
} from "./harness/engine";
import { validateAllKubernetesObjects, validateKubernetesObject } from "./harness/validate";

const program = join(__dirname, "..", "examples", "aws", "index.ts");
const project = "hardened-coder-aws";

async function validateAll(resources: readonly RecordedResource[]): Promise<void> {
  const patches = resources.filter((r) => r.custom && /^kubernetes:.*Patch$/.test(r.type));
  await validateAllKubernetesObjects(resources.filter((r) => !patches.includes(r)));
  for (const p of patches) await validateKubernetesObject(p.type.replace(/Patch$/, ""), p.inputs, p.name);
}

describe("examples/aws", () => {
  it("with no config: the hardened defaults, a secret kubeconfig, a compliance report", async () => {
    let secret = false;
    const run = await synth(
      async () => {
        const exports = loadProgram(program);
        secret = await isSecretOutput(exports.kubeconfig as pulumi.Output<unknown>);
        return exports;
      },
      { project },
    );
    assert.ok(secret, "kubeconfig is a Pulumi secret");
    const cluster = one(run.resources, "aws:eks/cluster:Cluster");
    assert.equal(at(cluster.inputs, "vpcConfig.endpointPublicAccess"), false);
    assert.ok(ofType(run.resources, "hardened-coder:kubernetes:CoderNamespace").length === 1);
    await validateAll(run.resources);
    const report = complianceReport(run.resources);
    assert.ok(report.summary["met-by-default"] >= 18, JSON.stringify(report.summary));
    for (const key of ["kubeconfig", "clusterName", "vpcId", "kmsKeyArn", "imageRepositories", "capacity"]) {
      assert.ok(key in run.outputs, `exports ${key}`);
    }
  });

  it("reads the README's config keys", async () => {
    const run = await synth(() => loadProgram(program), {
      project,
      config: {
        clusterName: "coder-prod",
        workspaces: "200",
        publicAccessCidrs: JSON.stringify(["203.0.113.0/24"]),
        privateAccessCidrs: JSON.stringify(["10.200.0.0/16"]),
        admins: JSON.stringify(["arn:aws:iam::123456789012:role/PlatformAdmin"]),
        repositories: JSON.stringify(["coder/base", "coder/python"]),
        instanceTypes: JSON.stringify(["m6i.2xlarge"]),
        vpcCidr: "10.40.0.0/16",
        awsProfile: "coder",
      },
    });
    const cluster = one(run.resources, "aws:eks/cluster:Cluster");
    assert.equal(cluster.inputs.name, "coder-prod");
    assert.deepEqual(at(cluster.inputs, "vpcConfig.publicAccessCidrs"), ["203.0.113.0/24"]);
    assert.equal(one(run.resources, "aws:ec2/vpc:Vpc").inputs.cidrBlock, "10.40.0.0/16");
    assert.deepEqual(
      ofType(run.resources, "aws:ecr/repository:Repository").map((r) => r.inputs.name),
      ["coder/base", "coder/python"],
    );
    assert.deepEqual(one(run.resources, "aws:eks/nodeGroup:NodeGroup").inputs.instanceTypes, ["m6i.2xlarge"]);
    assert.equal(
      one(run.resources, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").inputs.cidrIpv4,
      "10.200.0.0/16",
    );
    const quota = one(run.resources, "kubernetes:core/v1:ResourceQuota");
    assert.equal(at(quota.inputs, "spec.hard.pods"), "300");
  });

  it("deploys coderd from the README's coder config keys, with no password anywhere", async () => {
    const run = await synth(() => loadProgram(program), {
      project,
      config: {
        accessUrl: "https://coder.example.com",
        wildcardAccessUrl: "*.coder.example.com",
        tlsSecretName: "coder-tls",
        oidcIssuerUrl: "https://idp.example.com",
        oidcClientId: "coder",
        oidcClientSecret: "oidc-secret-value",
        oidcEmailDomains: JSON.stringify(["example.com"]),
        githubClientId: "gh-client",
        githubClientSecret: "gh-secret-value",
      },
      secretConfig: ["oidcClientSecret", "githubClientSecret"],
    });
    assert.equal(ofType(run.resources, "hardened-coder:kubernetes:CoderControlPlane").length, 1);
    assert.equal(ofType(run.resources, "hardened-coder:aws:CoderDatabase").length, 1);
    assert.equal(one(run.resources, "aws:rds/instance:Instance").inputs.manageMasterUserPassword, true);
    const env = at(one(run.resources, "kubernetes:helm.sh/v4:Chart").inputs, "values.coder.env") as { name: string }[];
    assert.deepEqual(
      env.find((e) => e.name === "CODER_WILDCARD_ACCESS_URL"),
      { name: "CODER_WILDCARD_ACCESS_URL", value: "*.coder.example.com" },
      "wildcardAccessUrl reaches coderd",
    );
    for (const r of run.resources) {
      for (const s of plainStrings(r.rawInputs)) {
        assert.ok(
          !s.includes("oidc-secret-value") && !s.includes("gh-secret-value"),
          `${r.type} ${r.name} leaks a secret`,
        );
      }
    }
    const coder = run.outputs.coder as { deployed: boolean; accessUrl: unknown; databaseAddress: unknown };
    assert.equal(coder.deployed, true);
    assert.equal(await valueOf(coder.accessUrl as pulumi.Output<string>), "https://coder.example.com");
    await validateAll(run.resources);
  });
});
