/**
 * examples/gcp runs under the mock engine as `pulumi up` would run it, with the config keys its
 * README documents: the cluster alone, then Coder on it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { at, isSecretOutput, loadProgram, one, ofType, plainStrings, synth, valueOf } from "./harness/engine";
import { validateAllKubernetesObjects } from "./harness/validate";

const program = join(__dirname, "..", "examples", "gcp", "index.ts");
const project = "hardened-coder-gcp";
const base = { "gcp:project": "example-project", "gcp:region": "europe-west1" };

describe("examples/gcp under mocks", () => {
  it("deploys the hardened GKE cluster from stack config, exporting a secret kubeconfig", async () => {
    let secret = false;
    const run = await synth(
      async () => {
        const exports = loadProgram(program);
        secret = await isSecretOutput(exports.kubeconfig as pulumi.Output<unknown>);
        return exports;
      },
      {
        project,
        config: {
          ...base,
          workspaces: "20",
          machineType: "e2-standard-8",
          workspacesPerNode: "3",
          authorizedNetworks: JSON.stringify(["10.20.0.0/24"]),
          approvedImages: JSON.stringify(["us-docker.pkg.dev/my-org/base/"]),
        },
      },
    );
    assert.ok(secret, "kubeconfig is a Pulumi secret");
    const cluster = one(run.resources, "gcp:container/cluster:Cluster");
    assert.equal(at(cluster.inputs, "privateClusterConfig.enablePrivateEndpoint"), true);
    assert.deepEqual(at(cluster.inputs, "masterAuthorizedNetworksConfig.cidrBlocks"), [
      { cidrBlock: "10.20.0.0/24", displayName: "config-0" },
    ]);
    const capacity = run.outputs.capacity as { workspaces: number; nodes: { max: number } };
    assert.equal(capacity.workspaces, 20);
    assert.ok(capacity.nodes.max >= Math.ceil(20 / 3), "sized for 3 workspaces per node");
    assert.equal(
      at(one(run.resources, "gcp:container/nodePool:NodePool").inputs, "nodeConfig.machineType"),
      "e2-standard-8",
    );
    assert.deepEqual(await valueOf(run.result.approvedImagePrefixes as pulumi.Output<string[]>), [
      "europe-west1-docker.pkg.dev/example-project/workspaces/",
      "us-docker.pkg.dev/my-org/base/",
    ]);
    assert.equal(ofType(run.resources, "hardened-coder:kubernetes:CoderControlPlane").length, 0);
    assert.match(run.outputs.coder as string, /^not deployed/);
    assert.ok((await validateAllKubernetesObjects(run.resources)) > 5);
  });

  it("deploys Coder when accessUrl is configured: OIDC, TLS secret name, GitHub, Cloud SQL", async () => {
    const run = await synth(() => loadProgram(program), {
      project,
      config: {
        ...base,
        accessUrl: "https://coder.example.com",
        tlsSecretName: "coder-tls",
        oidcIssuerUrl: "https://accounts.google.com",
        oidcClientId: "coder.apps.googleusercontent.com",
        oidcClientSecret: "oidc-secret-from-config",
        oidcEmailDomains: JSON.stringify(["example.com"]),
        githubClientId: "Iv1.example",
        githubClientSecret: "github-secret-from-config",
        databaseTier: "db-custom-4-15360",
      },
      secretConfig: ["oidcClientSecret", "githubClientSecret"],
    });
    assert.deepEqual(run.applyFailures, []);
    one(run.resources, "hardened-coder:kubernetes:CoderControlPlane");
    const db = one(run.resources, "gcp:sql/databaseInstance:DatabaseInstance");
    assert.equal(at(db.inputs, "settings.tier"), "db-custom-4-15360");
    assert.equal(at(db.inputs, "settings.ipConfiguration.ipv4Enabled"), false);
    const exported = run.result.coder as {
      accessUrl: pulumi.Output<string>;
      databaseConnectionName: pulumi.Output<string>;
    };
    assert.equal(await valueOf(exported.accessUrl), "https://coder.example.com");
    assert.match(await valueOf(exported.databaseConnectionName), /^example-project:europe-west1:/);
    for (const r of run.resources) {
      const plain = plainStrings(r.rawInputs);
      assert.ok(!plain.includes("oidc-secret-from-config") && !plain.includes("github-secret-from-config"), r.name);
    }
    assert.ok((await validateAllKubernetesObjects(run.resources)) > 20);
  });
});
