/**
 * The snippets of design.md are a contract: user programs are written from that page alone. These
 * tests run them verbatim (only the placeholders for PEM text are filled) under the mock engine.
 */
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { type RecordedResource, isSecretOutput, synth, valueOf } from "./harness/engine";
import { validateAllKubernetesObjects } from "./harness/validate";

const certPem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const keyPem = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";

function types(resources: readonly RecordedResource[]): Set<string> {
  return new Set(resources.map((r) => r.type));
}

describe("design.md snippets run unchanged", () => {
  it("bring-your-own cluster: namespace, network policy, admission policy, pull account, storage class", async () => {
    const { resources } = await synth(async () => {
      const hc = await import("@hardened-coder/kubernetes");
      const ns = new hc.CoderNamespace("coder", {}); // namespace "coder"
      new hc.WorkspaceNetworkPolicy("coder", { namespace: ns.namespaceName });
      new hc.WorkspaceAdmissionPolicy("coder", {
        namespace: ns.namespaceName,
        approvedImages: ["registry.example.com/coder/"],
      });
      new hc.RegistryPullAccount("coder", {
        namespace: ns.namespaceName,
        server: "registry.example.com",
        username: "coder-pull",
        password: pulumi.secret("..."),
      });
      new hc.EncryptedStorageClass("ws", {
        provisioner: "ebs.csi.aws.com",
        parameters: { encrypted: "true", type: "gp3" },
      });
      assert.equal(await valueOf(ns.namespaceName), "coder");
      assert.ok(await valueOf(ns.serviceAccountName));
    });
    const t = types(resources);
    for (const token of [
      "hardened-coder:kubernetes:CoderNamespace",
      "hardened-coder:kubernetes:WorkspaceNetworkPolicy",
      "hardened-coder:kubernetes:WorkspaceAdmissionPolicy",
      "hardened-coder:kubernetes:RegistryPullAccount",
      "hardened-coder:kubernetes:EncryptedStorageClass",
    ]) {
      assert.ok(t.has(token), `${token} registered`);
    }
    assert.ok((await validateAllKubernetesObjects(resources)) > 5);
  });

  it("coderd on a cluster you bring, with the workspace namespace bound to it", async () => {
    const { resources } = await synth(async () => {
      const hc = await import("@hardened-coder/kubernetes");
      const coderd = new hc.CoderControlPlane("coder", {
        accessUrl: "https://coder.example.com", // https only
        tls: { certificate: certPem, privateKey: pulumi.secret(keyPem) }, // or { secretName: "coder-tls" }
        database: { connectionUrl: pulumi.secret("postgres://coder:...@db:5432/coder?sslmode=verify-full") },
        oidc: {
          issuerUrl: "https://idp.example.com",
          clientId: "coder",
          clientSecret: pulumi.secret("..."),
          emailDomains: ["example.com"],
        },
        externalAuth: [{ id: "github", type: "github", clientId: "...", clientSecret: pulumi.secret("...") }],
      });
      const ns = new hc.CoderNamespace("coder", { coderd }); // binds coderd's SA to this namespace
      new hc.WorkspaceNetworkPolicy("coder", { namespace: ns.namespaceName, coderd });
      assert.equal(await valueOf(coderd.accessUrl), "https://coder.example.com");
      assert.equal(await valueOf(coderd.namespaceName), "coderd");
    });
    const t = types(resources);
    assert.ok(t.has("hardened-coder:kubernetes:CoderControlPlane"));
    assert.ok(!t.has("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole"));
    assert.ok(!t.has("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"));
    await validateAllKubernetesObjects(resources);
  });

  it("aws: HardenedCluster with {} and a secret kubeconfig", async () => {
    let secret = false;
    const { resources } = await synth(async () => {
      const aws = await import("@hardened-coder/aws");
      const cluster = new aws.HardenedCluster("coder", {});
      const kubeconfig = cluster.kubeconfig; // a Pulumi secret
      secret = await isSecretOutput(kubeconfig);
      return { kubeconfig };
    });
    assert.ok(secret, "kubeconfig is a Pulumi secret");
    assert.ok(types(resources).has("hardened-coder:aws:HardenedCluster"));
    await validateAllKubernetesObjects(resources);
  });

  it("gcp: HardenedCluster with {} and a secret kubeconfig", async () => {
    let secret = false;
    const { resources } = await synth(async () => {
      const gcp = await import("@hardened-coder/gcp");
      const cluster = new gcp.HardenedCluster("coder", {});
      const kubeconfig = cluster.kubeconfig;
      secret = await isSecretOutput(kubeconfig);
      return { kubeconfig };
    });
    assert.ok(secret, "kubeconfig is a Pulumi secret");
    assert.ok(types(resources).has("hardened-coder:gcp:HardenedCluster"));
    await validateAllKubernetesObjects(resources);
  });
});
