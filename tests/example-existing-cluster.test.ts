/**
 * examples/existing-cluster runs under the mock engine as `pulumi up` would run it: with no config
 * (the example values `pnpm run plan` shows) and with the config keys its README documents.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { CODER_CHART_VERSION, type CoderChartValues } from "@hardened-coder/kubernetes";
import { type RecordedResource, at, isSecretAt, loadProgram, ofType, one, plainStrings, synth } from "./harness/engine";
import { validateAllKubernetesObjects } from "./harness/validate";

const dir = join(__dirname, "..", "examples", "existing-cluster");
const program = join(dir, "index.ts");
const project = (parse(readFileSync(join(dir, "Pulumi.yaml"), "utf8")) as { name: string }).name;

const chartValues = (resources: readonly RecordedResource[]) =>
  one(resources, "kubernetes:helm.sh/v4:Chart").inputs.values as CoderChartValues;
const env = (values: CoderChartValues, name: string) => values.coder.env.find((e) => e.name === name);

describe("examples/existing-cluster", () => {
  it("runs with no config at all: hardened cluster objects and coderd with example values", async () => {
    const { resources, outputs } = await synth(() => loadProgram(program), { project });
    for (const token of [
      "hardened-coder:kubernetes:CoderControlPlane",
      "hardened-coder:kubernetes:CoderNamespace",
      "hardened-coder:kubernetes:WorkspaceNetworkPolicy",
      "hardened-coder:kubernetes:WorkspaceAdmissionPolicy",
      "hardened-coder:kubernetes:EncryptedStorageClass",
    ]) {
      assert.equal(ofType(resources, token).length, 1, token);
    }
    assert.equal(
      ofType(resources, "hardened-coder:kubernetes:RegistryPullAccount").length,
      0,
      "no registry config, no pull account",
    );
    assert.ok((await validateAllKubernetesObjects(resources)) > 15);

    const values = chartValues(resources);
    assert.deepEqual(env(values, "CODER_ACCESS_URL"), { name: "CODER_ACCESS_URL", value: "https://coder.example.com" });
    assert.deepEqual(env(values, "CODER_WILDCARD_ACCESS_URL"), {
      name: "CODER_WILDCARD_ACCESS_URL",
      value: "*.coder.example.com",
    });
    assert.deepEqual(values.coder.tls.secretNames, ["coder-tls"]);
    assert.deepEqual(env(values, "CODER_PG_CONNECTION_URL"), {
      name: "CODER_PG_CONNECTION_URL",
      valueFrom: { secretKeyRef: { name: "coder-db-url", key: "url" } },
    });
    assert.equal(one(resources, "kubernetes:helm.sh/v4:Chart").inputs.version, CODER_CHART_VERSION);
    const secretNames = ofType(resources, "kubernetes:core/v1:Secret").map((s) => at(s.inputs, "metadata.name"));
    assert.ok(!secretNames.includes("coder-db-url"), "without databaseUrl the example references a Secret you create");
    assert.ok(!secretNames.includes("coder-tls"), "without a certificate the example references cert-manager's Secret");
    const oidc = ofType(resources, "kubernetes:core/v1:Secret").find(
      (s) => at(s.inputs, "metadata.name") === "coder-oidc",
    )!;
    assert.ok(isSecretAt(oidc.rawInputs, "stringData"), "even the placeholder OIDC secret is a Pulumi secret");

    for (const key of [
      "coderAccessUrl",
      "coderdNamespace",
      "coderdServiceAccount",
      "workspaceNamespace",
      "admissionPolicy",
      "storageClass",
    ]) {
      assert.ok(key in outputs, `exports ${key}`);
    }
    assert.equal(outputs.coderAccessUrl, "https://coder.example.com");
    assert.equal(outputs.coderdNamespace, "coderd");
    assert.equal(outputs.workspaceNamespace, "coder");
  });

  it("wires the workspace namespace to coderd: RoleBinding, agent access both ways, one cluster provider", async () => {
    const { resources } = await synth(() => loadProgram(program), { project });
    const binding = one(resources, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding");
    assert.deepEqual(at(binding.inputs, "subjects"), [{ kind: "ServiceAccount", name: "coder", namespace: "coderd" }]);
    assert.equal(at(binding.inputs, "metadata.namespace"), "coder");
    const namespaces = ofType(resources, "kubernetes:core/v1:Namespace");
    const ws = namespaces.find((n) => at(n.inputs, "metadata.name") === "coder")!;
    assert.equal((at(ws.inputs, "metadata.labels") as Record<string, string>)["hardened-coder/workspaces"], "true");
    for (const n of namespaces) {
      assert.equal(
        (at(n.inputs, "metadata.labels") as Record<string, string>)["pod-security.kubernetes.io/enforce"],
        "restricted",
      );
    }
    const toCoderd = ofType(resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy").filter(
      (p) => at(p.inputs, "metadata.namespace") === "coder" && JSON.stringify(p.inputs.spec).includes('"coderd"'),
    );
    assert.ok(toCoderd.length > 0, "workspaces may reach coderd's namespace");
    const provider = one(resources, "pulumi:providers:kubernetes");
    for (const r of resources.filter((x) => x.custom && x.type.startsWith("kubernetes:"))) {
      assert.ok(r.provider.startsWith(provider.urn), `${r.type} ${r.name} uses the stack's cluster provider`);
    }
  });

  it("reads the README's config keys, secrets staying Pulumi secrets", async () => {
    const secrets = {
      kubeconfig: "apiVersion: v1\nkind: Config\nclusters: []\n# kubeconfig-secret",
      tlsPrivateKey: "-----BEGIN PRIVATE KEY-----\nprivate-key-secret\n-----END PRIVATE KEY-----\n",
      databaseUrl: "postgres://coder:db-password-secret@db.internal:5432/coder?sslmode=verify-full",
      oidcClientSecret: "oidc-secret-value",
      githubClientSecret: "github-secret-value",
      registryPassword: "registry-password-secret",
    };
    const { resources } = await synth(() => loadProgram(program), {
      project,
      config: {
        ...secrets,
        context: "prod",
        accessUrl: "https://coder.corp.example",
        tlsCertificate: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        oidcIssuerUrl: "https://login.corp.example",
        oidcClientId: "coder-prod",
        oidcEmailDomains: JSON.stringify(["corp.example"]),
        githubClientId: "gh-app",
        approvedImages: JSON.stringify(["registry.corp.example/coder/"]),
        registryServer: "registry.corp.example",
        registryUsername: "coder-pull",
        storageProvisioner: "pd.csi.storage.gke.io",
        storageParameters: JSON.stringify({ type: "pd-balanced" }),
        workspaces: "20",
        publicSourceRanges: JSON.stringify(["203.0.113.0/24"]),
        ingressNamespace: "ingress-nginx",
        kubernetesApiCidrs: JSON.stringify(["172.16.0.2/32"]),
        databaseCidrs: JSON.stringify(["10.10.0.0/24"]),
      },
      secretConfig: Object.keys(secrets),
    });
    const provider = one(resources, "pulumi:providers:kubernetes");
    assert.ok(isSecretAt(provider.rawInputs, "kubeconfig"), "the kubeconfig is a secret");
    assert.equal(provider.inputs.context, "prod");
    const values = chartValues(resources);
    assert.deepEqual(env(values, "CODER_ACCESS_URL"), {
      name: "CODER_ACCESS_URL",
      value: "https://coder.corp.example",
    });
    assert.deepEqual(env(values, "CODER_OIDC_ISSUER_URL"), {
      name: "CODER_OIDC_ISSUER_URL",
      value: "https://login.corp.example",
    });
    assert.deepEqual(env(values, "CODER_OIDC_EMAIL_DOMAIN"), {
      name: "CODER_OIDC_EMAIL_DOMAIN",
      value: "corp.example",
    });
    assert.deepEqual(env(values, "CODER_EXTERNAL_AUTH_0_TYPE"), {
      name: "CODER_EXTERNAL_AUTH_0_TYPE",
      value: "github",
    });
    const names = ofType(resources, "kubernetes:core/v1:Secret").map((s) => at(s.inputs, "metadata.name"));
    for (const n of ["coder-db-url", "coder-oidc", "coder-external-auth", "coder-tls"]) assert.ok(names.includes(n), n);
    assert.equal(ofType(resources, "hardened-coder:kubernetes:RegistryPullAccount").length, 1);
    const svc = ofType(resources, "kubernetes:core/v1:Service").find(
      (s) => at(s.inputs, "metadata.namespace") === "coderd",
    )!;
    assert.deepEqual(at(svc.inputs, "spec.loadBalancerSourceRanges"), ["203.0.113.0/24"]);
    const sc = one(resources, "kubernetes:storage.k8s.io/v1:StorageClass");
    assert.equal(sc.inputs.provisioner, "pd.csi.storage.gke.io");
    const leaked = resources
      .flatMap((r) => plainStrings(r.rawInputs))
      .filter((s) => Object.values(secrets).some((x) => s.includes(x)));
    assert.deepEqual(leaked, [], "no configured secret appears in plain state");
    await validateAllKubernetesObjects(resources);
  });

  it("reads map config set with --path, where Pulumi stores `true` as a boolean, as the strings typed", async () => {
    // `pulumi config set --path 'storageParameters.encrypted' true` (as the README says) stores a boolean.
    const { resources } = await synth(() => loadProgram(program), {
      project,
      config: {
        storageParameters: JSON.stringify({ type: "gp3", encrypted: true, iops: 3000 }),
        internalLoadBalancerAnnotations: JSON.stringify({
          "service.beta.kubernetes.io/aws-load-balancer-internal": true,
        }),
      },
    });
    const sc = one(resources, "kubernetes:storage.k8s.io/v1:StorageClass");
    assert.deepEqual(sc.inputs.parameters, { type: "gp3", encrypted: "true", iops: "3000" });
    const svc = ofType(resources, "kubernetes:core/v1:Service").find(
      (s) => at(s.inputs, "metadata.namespace") === "coderd",
    )!;
    assert.equal(at(svc.inputs, "spec.type"), "LoadBalancer");
    assert.deepEqual(at(svc.inputs, "metadata.annotations"), {
      "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
    });
    // A boolean false is still refused as unencrypted.
    await assert.rejects(
      synth(() => loadProgram(program), {
        project,
        config: { storageParameters: JSON.stringify({ type: "gp3", encrypted: false }) },
      }),
      /parameters\.encrypted: "false" leaves EBS volumes unencrypted/,
    );
  });

  it("refuses an http access URL from config, naming the field", async () => {
    await assert.rejects(
      synth(() => loadProgram(program), { project, config: { accessUrl: "http://coder.corp.example" } }),
      /accessUrl: "http:\/\/coder\.corp\.example" is not https/,
    );
  });
});
