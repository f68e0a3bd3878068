import assert from "node:assert/strict";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import fc from "fast-check";
import {
  CoderNamespace,
  type CoderNamespaceArgs,
  type CoderNamespacePlainArgs,
  coderdAgentTokenSecretRule,
  coderdWorkspaceRules,
  coderWorkspacesNamespaceLabel,
  planCapacity,
  resolveCoderNamespaceArgs,
} from "@hardened-coder/kubernetes";
import { type RecordedResource, at, one, ofType, synth, valueOf, synthApplyFailures } from "./harness/engine";
import { validateAllKubernetesObjects } from "./harness/validate";

const NS = "kubernetes:core/v1:Namespace";
const QUOTA = "kubernetes:core/v1:ResourceQuota";
const LIMITS = "kubernetes:core/v1:LimitRange";
const SA = "kubernetes:core/v1:ServiceAccount";
const SA_PATCH = "kubernetes:core/v1:ServiceAccountPatch";
const ROLE = "kubernetes:rbac.authorization.k8s.io/v1:Role";
const BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding";
const TOKEN = "hardened-coder:kubernetes:CoderNamespace";
const CONSUMER = "kubernetes:core/v1:ConfigMap";

const quotaKeys = [
  "limits.cpu",
  "limits.ephemeral-storage",
  "limits.memory",
  "persistentvolumeclaims",
  "pods",
  "requests.cpu",
  "requests.ephemeral-storage",
  "requests.memory",
  "requests.storage",
  "services",
  "services.loadbalancers",
  "services.nodeports",
];

const psa = (level: string, version = "latest") => ({ level, version });

function hard(resources: readonly RecordedResource[], component: string): Record<string, string> {
  return at(one(resources, QUOTA, component).inputs, "spec.hard") as Record<string, string>;
}

describe("CoderNamespace: resolveCoderNamespaceArgs (pure)", () => {
  it("defaults: namespace named after the resource, restricted PSA, quota for 50 workspaces + 50% headroom", () => {
    const c = resolveCoderNamespaceArgs({}, "coder");
    assert.equal(c.name, "coder");
    assert.deepEqual(c.podSecurity, {
      enforce: "restricted",
      audit: "restricted",
      warn: "restricted",
      version: "latest",
    });
    for (const mode of ["enforce", "audit", "warn"]) {
      assert.equal(c.namespaceLabels[`pod-security.kubernetes.io/${mode}`], "restricted");
      assert.equal(c.namespaceLabels[`pod-security.kubernetes.io/${mode}-version`], "latest");
    }
    assert.equal(c.sizing.slots, 75);
    assert.deepEqual(c.quota.hard, {
      "requests.cpu": "150",
      "limits.cpu": "150",
      "requests.memory": "300Gi",
      "limits.memory": "300Gi",
      "requests.ephemeral-storage": "750Gi",
      "limits.ephemeral-storage": "750Gi",
      pods: "75",
      services: "0",
      "services.loadbalancers": "0",
      "services.nodeports": "0",
      persistentvolumeclaims: "75",
      "requests.storage": "1500Gi",
    });
    assert.deepEqual(c.limitRange.containerDefaults, { cpu: "2", memory: "4Gi", "ephemeral-storage": "10Gi" });
    assert.equal(c.limitRange.maxPvcSize, "20Gi");
    assert.deepEqual(c.roleBinding.subject, { kind: "ServiceAccount", name: "coder", namespace: "coder" });
    assert.deepEqual(c.coderdServiceAccount, { name: "coder" });
    assert.equal(c.workspaceServiceAccountName, "coder-workspace");
  });

  it("grants coderd exactly pods, PVCs and deployments with the chart's eight verbs, and agent-token Secrets by name", () => {
    const verbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
    assert.deepEqual(resolveCoderNamespaceArgs({}, "coder").role.rules, [
      { apiGroups: [""], resources: ["pods", "persistentvolumeclaims"], verbs },
      { apiGroups: ["apps"], resources: ["deployments"], verbs },
      { apiGroups: [""], resources: ["secrets"], verbs: ["create", "delete", "get", "patch", "update"] },
    ]);
  });

  it("binds coderd's ServiceAccount in coderd's own namespace and creates none here when coderd is given", () => {
    const c = resolveCoderNamespaceArgs({ coderd: { namespaceName: "coderd", serviceAccountName: "coder" } }, "ws");
    assert.deepEqual(c.roleBinding.subject, { kind: "ServiceAccount", name: "coder", namespace: "coderd" });
    assert.equal(c.coderdServiceAccount, undefined);
  });

  it("sizes pods and services from a capacity plan, and from dev URLs (each one a service IP)", () => {
    const plan = planCapacity({ workspaces: 200, devUrlsPerWorkspace: 2, headroomPercent: 25 });
    const c = resolveCoderNamespaceArgs({ capacity: plan }, "coder");
    assert.equal(c.quota.hard.pods, `${plan.quota.pods}`);
    assert.equal(c.quota.hard.services, `${plan.quota.services}`);
    assert.equal(c.quota.hard.services, "500");
    assert.equal(c.sizing.slots, 250);
    assert.equal(c.quota.hard["limits.memory"], "1000Gi");
    assert.equal(resolveCoderNamespaceArgs({ workspaces: 10, devUrlsPerWorkspace: 1 }, "c").quota.hard.services, "15");
  });

  it("takes explicit quota limits and a custom workspace shape", () => {
    const c = resolveCoderNamespaceArgs(
      {
        workspaces: 10,
        headroomPercent: 0,
        workspace: { cpu: "500m", memory: "1536Mi", ephemeralStorage: "2Gi", storage: "5Gi", pvcs: 2 },
        quota: { cpu: "8", memory: "64Gi", storage: "1Ti", pods: 40, services: 3, persistentVolumeClaims: 30 },
        maxPvcSize: "4Gi",
      },
      "c",
    );
    assert.equal(c.quota.hard["requests.cpu"], "8");
    assert.equal(c.quota.hard["limits.memory"], "64Gi");
    assert.equal(c.quota.hard["requests.ephemeral-storage"], "20Gi");
    assert.equal(c.quota.hard["requests.storage"], "1Ti");
    assert.equal(c.quota.hard.pods, "40");
    assert.equal(c.quota.hard.services, "3");
    assert.equal(c.quota.hard.persistentvolumeclaims, "30");
    assert.equal(c.quota.hard["services.loadbalancers"], "0");
    assert.equal(c.quota.hard["services.nodeports"], "0");
    assert.deepEqual(c.limitRange.containerDefaults, { cpu: "500m", memory: "1536Mi", "ephemeral-storage": "2Gi" });
    assert.equal(c.limitRange.maxPvcSize, "4Gi");
  });

  it("weakening Pod Security to baseline is visible in the labels and audit/warn stay restricted", () => {
    const c = resolveCoderNamespaceArgs({ podSecurity: "baseline" }, "coder");
    assert.equal(c.namespaceLabels["pod-security.kubernetes.io/enforce"], "baseline");
    assert.equal(c.namespaceLabels["pod-security.kubernetes.io/audit"], "restricted");
    assert.equal(c.namespaceLabels["pod-security.kubernetes.io/warn"], "restricted");
  });

  it("refuses privileged without allowPrivileged, and accepts it with the opt-in", () => {
    assert.throws(
      () => resolveCoderNamespaceArgs({ podSecurity: "privileged" }, "c"),
      /^Error: podSecurity: .*allowPrivileged/,
    );
    const c = resolveCoderNamespaceArgs({ podSecurity: "privileged", allowPrivileged: true }, "c");
    assert.equal(c.namespaceLabels["pod-security.kubernetes.io/enforce"], "privileged");
    assert.equal(c.namespaceLabels["pod-security.kubernetes.io/warn"], "restricted");
    assert.throws(() => resolveCoderNamespaceArgs({ allowPrivileged: true }, "c"), /^Error: allowPrivileged/);
  });

  it("refuses a per-workspace shape larger than the quota, naming both fields", () => {
    const cases: [CoderNamespacePlainArgs, RegExp][] = [
      [
        { workspace: { memory: "8Gi" }, quota: { memory: "4Gi" } },
        /workspace\.memory: 8Gi is larger than quota\.memory 4Gi/,
      ],
      [{ workspace: { cpu: "4" }, quota: { cpu: "3500m" } }, /workspace\.cpu: 4 is larger than quota\.cpu 3500m/],
      [
        { workspace: { storage: "100Gi" }, quota: { storage: "50Gi" } },
        /workspace\.storage: 100Gi .*quota\.storage 50Gi/,
      ],
      [
        { workspace: { ephemeralStorage: "20Gi" }, quota: { ephemeralStorage: "10Gi" } },
        /workspace\.ephemeralStorage: 20Gi .*quota\.ephemeralStorage 10Gi/,
      ],
      [
        { workspace: { pvcs: 3 }, quota: { persistentVolumeClaims: 2 } },
        /workspace\.pvcs: 3 .*quota\.persistentVolumeClaims 2/,
      ],
      [{ maxPvcSize: "2Ti", quota: { storage: "1Ti" } }, /maxPvcSize: 2Ti .*quota\.storage 1Ti/],
      [{ podsPerWorkspace: 3, quota: { pods: 2 } }, /podsPerWorkspace: 3 .*quota\.pods 2/],
      [{ devUrlsPerWorkspace: 2, quota: { services: 1 } }, /devUrlsPerWorkspace: 2 .*quota\.services 1/],
    ];
    for (const [args, pattern] of cases) assert.throws(() => resolveCoderNamespaceArgs(args, "c"), pattern);
  });

  it("refuses negative, zero, malformed and out-of-range sizes, naming the field", () => {
    const cases: [CoderNamespacePlainArgs, RegExp][] = [
      [{ workspaces: -1 }, /^Error: workspaces: -1/],
      [{ workspaces: 0 }, /^Error: workspaces/],
      [{ headroomPercent: -5 }, /^Error: headroomPercent/],
      [{ workspace: { memory: "-1Gi" } }, /^Error: workspace\.memory: "-1Gi" is negative/],
      [{ workspace: { cpu: "0" } }, /^Error: workspace\.cpu: "0" must be greater than zero/],
      [{ workspace: { memory: "4GB" } }, /^Error: workspace\.memory: "4GB" has an unknown unit/],
      [{ workspace: { cpu: "2Gi" } }, /^Error: workspace\.cpu/],
      [{ workspace: { ephemeralStorage: "lots" } }, /^Error: workspace\.ephemeralStorage/],
      [{ workspace: { storage: "-20Gi" } }, /^Error: workspace\.storage/],
      [{ workspace: { pvcs: -1 } }, /^Error: workspace\.pvcs: -1/],
      [{ workspace: { pvcs: 1.5 } }, /^Error: workspace\.pvcs/],
      [{ quota: { cpu: "-4" } }, /^Error: quota\.cpu/],
      [{ quota: { pods: 0 } }, /^Error: quota\.pods/],
      [{ quota: { persistentVolumeClaims: -2 } }, /^Error: quota\.persistentVolumeClaims/],
      [{ maxPvcSize: "-1Gi" }, /^Error: maxPvcSize/],
      [{ maxPvcSize: "5Gi", workspace: { storage: "20Gi", pvcs: 1 } }, /^Error: maxPvcSize: 5Gi x workspace\.pvcs 1/],
    ];
    for (const [args, pattern] of cases) assert.throws(() => resolveCoderNamespaceArgs(args, "c"), pattern);
  });

  it("refuses bad names, reserved namespaces and inconsistent accounts, naming the field", () => {
    const cases: [CoderNamespacePlainArgs, RegExp][] = [
      [{ name: "Coder_NS" }, /^Error: name: "Coder_NS" is not a valid Kubernetes name/],
      [{ name: "kube-system" }, /^Error: name: "kube-system" is a namespace every cluster has/],
      [{ name: "default" }, /^Error: name: "default"/],
      [{ podSecurity: "open" as "baseline" }, /^Error: podSecurity: "open"/],
      [{ podSecurityVersion: "1.30" }, /^Error: podSecurityVersion/],
      [{ serviceAccountName: "Coder" }, /^Error: serviceAccountName/],
      [{ serviceAccountName: "default" }, /^Error: serviceAccountName: "default"/],
      [{ workspaceServiceAccountName: "default" }, /^Error: workspaceServiceAccountName: "default"/],
      [
        { serviceAccountName: "coder-workspace" },
        /^Error: serviceAccountName: "coder-workspace" is also workspaceServiceAccountName/,
      ],
      [
        { coderd: { namespaceName: "coderd", serviceAccountName: "coder" }, serviceAccountName: "coder" },
        /^Error: serviceAccountName: only used when coderd is not given/,
      ],
      [{ coderd: { namespaceName: "Coderd", serviceAccountName: "coder" } }, /^Error: coderd\.namespaceName/],
      [{ coderd: { namespaceName: "coderd", serviceAccountName: "" } }, /^Error: coderd\.serviceAccountName/],
      [
        { coderd: { namespaceName: "c", serviceAccountName: "coder-workspace" } },
        /^Error: coderd\.serviceAccountName: "coder-workspace" is also workspaceServiceAccountName/,
      ],
      [
        { labels: { "pod-security.kubernetes.io/enforce": "privileged" } },
        /^Error: labels: .*set it through podSecurity/,
      ],
      [{ labels: { "app.kubernetes.io/managed-by": "me" } }, /^Error: labels: "app.kubernetes.io\/managed-by"/],
      [{ labels: { team: "not ok" } }, /^Error: labels: value "not ok"/],
      [{ labels: { "example.com/a/b": "x" } }, /^Error: labels: key "example.com\/a\/b"/],
      [{ labels: { "Bad_Prefix/x": "y" } }, /^Error: labels: key "Bad_Prefix\/x"/],
      [
        { capacity: planCapacity({ workspaces: 10 }), workspaces: 20 },
        /^Error: workspaces: 20 disagrees with capacity\.workspaces 10/,
      ],
      [{ capacity: planCapacity(), headroomPercent: 10 }, /^Error: headroomPercent: set it in planCapacity/],
    ];
    for (const [args, pattern] of cases) assert.throws(() => resolveCoderNamespaceArgs(args, "c"), pattern);
    assert.throws(() => resolveCoderNamespaceArgs({}), /^Error: name/);
  });

  it("property: any valid sizing gives a bounded quota, container defaults and restricted PSA unless weakened", () => {
    const quantity = (values: string[]) => fc.constantFrom(...values);
    fc.assert(
      fc.property(
        fc.record(
          {
            workspaces: fc.integer({ min: 1, max: 3000 }),
            headroomPercent: fc.integer({ min: 0, max: 200 }),
            podsPerWorkspace: fc.integer({ min: 1, max: 3 }),
            devUrlsPerWorkspace: fc.integer({ min: 0, max: 3 }),
            podSecurity: fc.constantFrom<"restricted" | "baseline">("restricted", "baseline"),
            workspace: fc.record(
              {
                cpu: quantity(["250m", "1", "1500m", "2", "8"]),
                memory: quantity(["512Mi", "2Gi", "4Gi", "16Gi"]),
                ephemeralStorage: quantity(["1Gi", "10Gi", "50Gi"]),
                storage: quantity(["5Gi", "20Gi", "100Gi"]),
                pvcs: fc.integer({ min: 0, max: 3 }),
              },
              { requiredKeys: [] },
            ),
          },
          { requiredKeys: [] },
        ),
        (args) => {
          const c = resolveCoderNamespaceArgs(args, "coder");
          assert.deepEqual(Object.keys(c.quota.hard).sort(), quotaKeys);
          assert.equal(c.quota.hard["services.loadbalancers"], "0");
          assert.equal(c.quota.hard["services.nodeports"], "0");
          assert.ok(Number(c.quota.hard.pods) >= (args.workspaces ?? 50) * (args.podsPerWorkspace ?? 1));
          assert.deepEqual(Object.keys(c.limitRange.containerDefaults).sort(), ["cpu", "ephemeral-storage", "memory"]);
          assert.equal(c.namespaceLabels["pod-security.kubernetes.io/enforce"], args.podSecurity ?? "restricted");
          assert.equal(c.namespaceLabels["pod-security.kubernetes.io/audit"], "restricted");
          assert.equal(c.namespaceLabels["pod-security.kubernetes.io/warn"], "restricted");
          assert.deepEqual(c.role.rules, [...coderdWorkspaceRules, coderdAgentTokenSecretRule]);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("property: an explicit quota smaller than the workspace is always refused, naming both fields", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 64 }), fc.integer({ min: 1, max: 63 }), (shapeGi, quotaGi) => {
        fc.pre(quotaGi < shapeGi);
        assert.throws(
          () =>
            resolveCoderNamespaceArgs(
              { workspace: { memory: `${shapeGi}Gi` }, quota: { memory: `${quotaGi}Gi` } },
              "c",
            ),
          new RegExp(`workspace\\.memory: ${shapeGi}Gi is larger than quota\\.memory ${quotaGi}Gi`),
        );
      }),
      { numRuns: 100 },
    );
  });
});

describe("CoderNamespace: component under the mock engine", () => {
  let resources: RecordedResource[];
  let coder: CoderNamespace;
  let team: CoderNamespace;

  before(async () => {
    ({ resources } = await synth(() => {
      coder = new CoderNamespace("coder", {});
      new k8s.core.v1.ConfigMap("consumer", { metadata: { name: "c", namespace: coder.namespaceName } });
      team = new CoderNamespace("team", {
        coderd: { namespaceName: pulumi.output("coderd"), serviceAccountName: pulumi.output("coder") },
        podSecurity: "baseline",
        workspaces: 20,
        labels: { team: "platform" },
      });
    }));
  });

  it("emits only schema-valid Kubernetes objects", async () => {
    const n = await validateAllKubernetesObjects(resources);
    assert.equal(n, resources.filter((r) => r.custom).length);
    assert.equal(n, 16);
  });

  it("labels the namespace with Pod Security enforce/audit/warn at restricted, version latest", () => {
    const labels = at(one(resources, NS, "coder").inputs, "metadata.labels") as Record<string, string>;
    assert.equal(at(one(resources, NS, "coder").inputs, "metadata.name"), "coder");
    for (const mode of ["enforce", "audit", "warn"]) {
      assert.deepEqual(
        psa(labels[`pod-security.kubernetes.io/${mode}`]!, labels[`pod-security.kubernetes.io/${mode}-version`]),
        psa("restricted"),
      );
    }
    const teamLabels = at(one(resources, NS, "team").inputs, "metadata.labels") as Record<string, string>;
    assert.equal(teamLabels["pod-security.kubernetes.io/enforce"], "baseline");
    assert.equal(teamLabels["pod-security.kubernetes.io/warn"], "restricted");
    assert.equal(teamLabels.team, "platform");
  });

  it("bounds cpu, memory, ephemeral storage, pods, services, PVCs and storage, with no load balancers or node ports", () => {
    const h = hard(resources, "coder");
    assert.deepEqual(Object.keys(h).sort(), quotaKeys);
    assert.equal(h["services.loadbalancers"], "0");
    assert.equal(h["services.nodeports"], "0");
    assert.equal(h.pods, "75");
    assert.equal(h["requests.ephemeral-storage"], "750Gi");
    assert.equal(h["limits.ephemeral-storage"], "750Gi");
    assert.equal(h["requests.storage"], "1500Gi");
    assert.equal(h.persistentvolumeclaims, "75");
    assert.equal(hard(resources, "team").pods, "30");
  });

  it("gives every container default requests and limits, ephemeral storage included, and caps a PVC", () => {
    const limits = at(one(resources, LIMITS, "coder").inputs, "spec.limits") as Record<string, unknown>[];
    const container = limits.find((l) => l.type === "Container")!;
    const expected = { cpu: "2", memory: "4Gi", "ephemeral-storage": "10Gi" };
    assert.deepEqual(container.default, expected);
    assert.deepEqual(container.defaultRequest, expected);
    assert.deepEqual(limits.find((l) => l.type === "PersistentVolumeClaim")!.max, { storage: "20Gi" });
  });

  it("gives coderd a namespaced Role with exactly the rules it needs, and no ClusterRole anywhere", () => {
    for (const role of ofType(resources, ROLE)) {
      assert.deepEqual(role.inputs.rules, [...coderdWorkspaceRules, coderdAgentTokenSecretRule]);
    }
    assert.equal(resources.filter((r) => /ClusterRole/.test(r.type)).length, 0);
    const binding = one(resources, BINDING, "coder");
    assert.deepEqual(binding.inputs.roleRef, {
      apiGroup: "rbac.authorization.k8s.io",
      kind: "Role",
      name: "coder-workspaces",
    });
  });

  it("binds the ServiceAccount created here when no coderd is given", () => {
    assert.deepEqual(one(resources, BINDING, "coder").inputs.subjects, [
      { kind: "ServiceAccount", name: "coder", namespace: "coder" },
    ]);
    const sa = one(resources, SA, "coder-coderd-sa");
    assert.equal(at(sa.inputs, "metadata.name"), "coder");
    assert.equal(sa.inputs.automountServiceAccountToken, false);
    assert.ok(one(resources, BINDING, "coder").dependencies.includes(sa.urn));
  });

  it("binds coderd's ServiceAccount in coderd's own namespace when coderd is given, and creates none", () => {
    assert.deepEqual(one(resources, BINDING, "team").inputs.subjects, [
      { kind: "ServiceAccount", name: "coder", namespace: "coderd" },
    ]);
    assert.equal(ofType(resources, SA).filter((r) => r.name.startsWith("team-coderd")).length, 0);
  });

  it("turns off token automount on the default ServiceAccount through a patch, and on the workspace account", () => {
    const patch = one(resources, SA_PATCH, "coder-default-sa");
    assert.equal(at(patch.inputs, "metadata.name"), "default");
    assert.equal(at(patch.inputs, "metadata.namespace"), "coder");
    assert.equal(patch.inputs.automountServiceAccountToken, false);
    const ws = one(resources, SA, "coder-workspace-sa");
    assert.equal(at(ws.inputs, "metadata.name"), "coder-workspace");
    assert.equal(ws.inputs.automountServiceAccountToken, false);
  });

  it("parents every child to its component and names children <name>-<role>", () => {
    for (const component of ofType(resources, TOKEN)) {
      const children = resources.filter((r) => r.parent === component.urn);
      assert.ok(children.length >= 7, `${component.name} has ${children.length} children`);
      for (const child of children) assert.ok(child.name.startsWith(`${component.name}-`), child.name);
    }
    for (const r of resources.filter((x) => x.custom && x.type !== CONSUMER)) {
      assert.ok(
        ofType(resources, TOKEN).some((c) => c.urn === r.parent),
        `${r.name} is not parented`,
      );
    }
  });

  it("exposes names as outputs; namespaceName waits for the quota, limits and accounts", async () => {
    assert.equal(await valueOf(coder.namespaceName), "coder");
    assert.equal(await valueOf(coder.serviceAccountName), "coder");
    assert.equal(await valueOf(coder.serviceAccountNamespace), "coder");
    assert.equal(await valueOf(coder.workspaceServiceAccountName), "coder-workspace");
    assert.equal(await valueOf(coder.roleName), "coder-workspaces");
    assert.equal(await valueOf(coder.quotaName), "workspace-quota");
    assert.equal(await valueOf(coder.limitRangeName), "workspace-limits");
    assert.equal(await valueOf(team.serviceAccountName), "coder");
    assert.equal(await valueOf(team.serviceAccountNamespace), "coderd");
    // Something a user places in the namespace waits for the quota, limits and accounts.
    const consumer = one(resources, CONSUMER);
    for (const child of [
      "coder-quota",
      "coder-limits",
      "coder-workspace-sa",
      "coder-default-sa",
      "coder-role-binding",
    ]) {
      const urn = resources.find((r) => r.name === child)!.urn;
      assert.ok(consumer.dependencies.includes(urn), `a resource in namespaceName does not wait for ${child}`);
    }
  });
});

describe("CoderNamespace: refused input", () => {
  it("registers nothing when the constructor refuses input", async () => {
    const { resources } = await synth(() => {
      const bad: CoderNamespaceArgs[] = [
        { podSecurity: "privileged" },
        { workspace: { memory: "64Gi" }, quota: { memory: "32Gi" } },
        { workspace: { cpu: "-1" } },
        { name: "Not Valid" },
      ];
      for (const args of bad) assert.throws(() => new CoderNamespace("bad", args));
    });
    assert.deepEqual(
      resources.map((r) => r.type),
      ["pulumi:pulumi:Stack"],
    );
  });

  it("checks coderd names that arrive as Outputs with the same rules, and creates no RoleBinding", async () => {
    const run = await synthApplyFailures(() => {
      new CoderNamespace("coder", {
        coderd: { namespaceName: pulumi.output("Not_A_Namespace"), serviceAccountName: pulumi.output("coder") },
      });
    });
    assert.ok(
      run.failures.some((f) => /coderd\.namespaceName: "Not_A_Namespace"/.test(f)),
      run.failures.join("\n"),
    );
    assert.deepEqual(ofType(run.resources, BINDING), []);
  });

  it("property: a handful of random valid args synthesize schema-valid objects with quota, limits and PSA", async () => {
    const samples = fc.sample(
      fc.record({
        workspaces: fc.integer({ min: 1, max: 500 }),
        devUrlsPerWorkspace: fc.integer({ min: 0, max: 2 }),
        podSecurity: fc.constantFrom<"restricted" | "baseline" | undefined>("restricted", "baseline", undefined),
        memory: fc.constantFrom("1Gi", "4Gi", "6Gi"),
      }),
      { numRuns: 3, seed: 42 },
    );
    for (const s of samples) {
      const { resources } = await synth(() => {
        new CoderNamespace("prop", {
          workspaces: s.workspaces,
          devUrlsPerWorkspace: s.devUrlsPerWorkspace,
          ...(s.podSecurity ? { podSecurity: s.podSecurity } : {}),
          workspace: { memory: s.memory },
        });
      });
      await validateAllKubernetesObjects(resources);
      assert.equal(ofType(resources, QUOTA).length, 1);
      assert.equal(ofType(resources, LIMITS).length, 1);
      const labels = at(one(resources, NS).inputs, "metadata.labels") as Record<string, string>;
      assert.equal(labels["pod-security.kubernetes.io/enforce"], s.podSecurity ?? "restricted");
    }
  });
});

describe("CoderNamespace: agent-token Secrets and the workspace namespace label", () => {
  it("lets coderd manage Secrets by name only (no list, watch or deletecollection) for agent tokens", () => {
    const c = resolveCoderNamespaceArgs({}, "coder");
    const secrets = c.role.rules.filter((r) => r.resources.includes("secrets"));
    assert.equal(secrets.length, 1);
    assert.deepEqual([...secrets[0]!.verbs].sort(), ["create", "delete", "get", "patch", "update"]);
    for (const verb of ["list", "watch", "deletecollection", "*"]) assert.ok(!secrets[0]!.verbs.includes(verb), verb);
  });

  it("drops the Secrets rule with agentTokenSecrets: false, leaving the coder/coder chart's rules alone", () => {
    const c = resolveCoderNamespaceArgs({ agentTokenSecrets: false }, "coder");
    assert.deepEqual(c.role.rules, coderdWorkspaceRules);
    assert.ok(!c.role.rules.some((r) => r.resources.includes("secrets")));
  });

  it("labels every namespace as a workspace namespace, and refuses a label that would hide it", () => {
    assert.equal(resolveCoderNamespaceArgs({}, "coder").namespaceLabels[coderWorkspacesNamespaceLabel], "true");
    assert.equal(
      resolveCoderNamespaceArgs({ labels: { [coderWorkspacesNamespaceLabel]: "true" } }, "coder").namespaceLabels[
        coderWorkspacesNamespaceLabel
      ],
      "true",
    );
    assert.throws(
      () => resolveCoderNamespaceArgs({ labels: { [coderWorkspacesNamespaceLabel]: "false" } }, "coder"),
      /labels: "hardened-coder\/workspaces: false" would hide a workspace namespace/,
    );
  });
});
