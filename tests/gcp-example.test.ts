import assert from "node:assert/strict";
import { at, isSecretOutput, one, synth, valueOf } from "./harness/engine";
import { validateAllKubernetesObjects } from "./harness/validate";

describe("examples/gcp under mocks", () => {
  it("deploys the hardened GKE cluster from stack config, exporting a secret kubeconfig", async () => {
    const run = await synth(() => import("../examples/gcp/index.js"), {
      project: "hardened-coder-gcp",
      config: {
        "gcp:project": "example-project",
        "gcp:region": "europe-west1",
        workspaces: "20",
        authorizedNetworks: JSON.stringify(["10.20.0.0/24"]),
        approvedImages: JSON.stringify(["us-docker.pkg.dev/my-org/base/"]),
      },
    });
    const cluster = one(run.resources, "gcp:container/cluster:Cluster");
    assert.equal(at(cluster.inputs, "privateClusterConfig.enablePrivateEndpoint"), true);
    assert.deepEqual(at(cluster.inputs, "masterAuthorizedNetworksConfig.cidrBlocks"), [
      { cidrBlock: "10.20.0.0/24", displayName: "config-0" },
    ]);
    const mod = run.result as Record<string, unknown>;
    assert.ok(await isSecretOutput(mod.kubeconfig as never));
    assert.equal((run.outputs.capacity as { workspaces: number }).workspaces, 20);
    assert.deepEqual(await valueOf(mod.approvedImagePrefixes as never), [
      "europe-west1-docker.pkg.dev/example-project/workspaces/",
      "us-docker.pkg.dev/my-org/base/",
    ]);
    assert.ok((await validateAllKubernetesObjects(run.resources.filter((r) => !r.type.endsWith("Patch")))) > 5);
  });
});
