import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import fc from "fast-check";
import {
  CoderNamespace,
  WorkspaceNetworkPolicy,
  type WorkspaceNetworkPolicyArgs,
  type WorkspaceNetworkPolicyConfig,
  type WorkspaceNetworkPolicyPlainArgs,
  type WorkspacePolicySpec,
  cidrContains,
  nonInternetIpv4Cidrs,
  parseCidr,
  resolveWorkspaceNetworkPolicyArgs,
} from "@hardened-coder/kubernetes";
import { type RecordedResource, at, ofType, synth, valueOf, synthApplyFailures } from "./harness/engine";
import { validateAllKubernetesObjects } from "./harness/validate";

const NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
const TOKEN = "hardened-coder:kubernetes:WorkspaceNetworkPolicy";

const resolve = (args: Partial<WorkspaceNetworkPolicyPlainArgs> = {}, name = "coder") =>
  resolveWorkspaceNetworkPolicyArgs({ namespace: "coder", ...args }, name);
const policy = (c: WorkspaceNetworkPolicyConfig, role: string) => c.policies.find((p) => p.role === role)?.spec;

/** Every ipBlock's `except` entries lie inside its `cidr` (the API server refuses others). */
function assertExceptsInside(spec: WorkspacePolicySpec): void {
  for (const rule of spec.egress ?? []) {
    for (const peer of rule.to) {
      const block = peer.ipBlock;
      if (!block?.except) continue;
      if (block.cidr.includes(":")) {
        assert.equal(block.cidr, "::/0");
        continue;
      }
      for (const e of block.except)
        assert.ok(cidrContains(parseCidr(block.cidr), parseCidr(e)), `${e} in ${block.cidr}`);
    }
  }
}

describe("WorkspaceNetworkPolicy: resolveWorkspaceNetworkPolicyArgs (pure)", () => {
  it("starts with a default deny of ingress and egress for every pod in the namespace", () => {
    const c = resolve();
    assert.equal(c.policies[0]!.role, "default-deny");
    assert.equal(c.policies[0]!.name, "coder-default-deny");
    assert.deepEqual(c.policies[0]!.spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
  });

  it("allows DNS to kube-dns in kube-system on UDP and TCP 53 only", () => {
    assert.deepEqual(policy(resolve(), "allow-dns"), {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
              podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
            },
          ],
          ports: [
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
          ],
        },
      ],
    });
  });

  it("allows internet egress except the metadata address and private, link-local and CGNAT ranges (v4 and v6)", () => {
    const spec = policy(resolve(), "allow-internet")!;
    const [v4, v6] = spec.egress![0]!.to.map((p) => p.ipBlock!);
    assert.equal(v4!.cidr, "0.0.0.0/0");
    assert.ok(v4!.except!.includes("169.254.169.254/32"));
    for (const range of nonInternetIpv4Cidrs) assert.ok(v4!.except!.includes(range), range);
    assert.deepEqual(v6, { cidr: "::/0", except: ["fd00:ec2::254/128", "fc00::/7", "fe80::/10"] });
    assert.equal(spec.egress![0]!.ports, undefined);
    assertExceptsInside(spec);
  });

  it("gives workspaces no ingress at all by default: only the default deny names Ingress", () => {
    for (const p of resolve({ coderd: { namespaceName: "coderd" } }).policies) {
      assert.equal(p.spec.ingress, undefined, p.role);
      if (p.role !== "default-deny") assert.deepEqual(p.spec.policyTypes, ["Egress"], p.role);
    }
  });

  it("without coderd, reaches coderd only through the internet rule", () => {
    assert.deepEqual(
      resolve().policies.map((p) => p.role),
      ["default-deny", "allow-dns", "allow-internet"],
    );
  });

  it("with coderd, allows egress to coderd's pods in coderd's namespace on the pod ports 8080 and 8443", () => {
    const spec = policy(resolve({ coderd: { namespaceName: "coderd" } }), "allow-coderd");
    assert.deepEqual(spec, {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "coderd" } },
              podSelector: { matchLabels: { "app.kubernetes.io/name": "coder" } },
            },
          ],
          ports: [
            { protocol: "TCP", port: 8080 },
            { protocol: "TCP", port: 8443 },
          ],
        },
      ],
    });
    const custom = resolve({
      coderd: { namespaceName: "coderd" },
      coderdPodSelector: { app: "coderd" },
      coderdPorts: [8443],
    });
    assert.deepEqual(policy(custom, "allow-coderd")!.egress![0]!.ports, [{ protocol: "TCP", port: 8443 }]);
  });

  it("egress none drops the internet rule; an allow-list allows just its CIDRs and ports", () => {
    const none = resolve({ egress: "none", coderd: { namespaceName: "coderd" } });
    assert.equal(policy(none, "allow-internet"), undefined);
    assert.equal(none.egress, "none");
    const list = resolve({ egress: { cidrs: ["203.0.113.0/24", "2001:db8::/32"], ports: [443, 22, 443] } });
    assert.equal(policy(list, "allow-internet"), undefined);
    assert.deepEqual(policy(list, "allow-egress")!.egress, [
      {
        to: [{ ipBlock: { cidr: "203.0.113.0/24" } }, { ipBlock: { cidr: "2001:db8::/32" } }],
        ports: [
          { protocol: "TCP", port: 22 },
          { protocol: "TCP", port: 443 },
        ],
      },
    ]);
  });

  it("refuses an allow that covers the metadata address, naming the field", () => {
    for (const cidr of [
      "0.0.0.0/0",
      "169.254.0.0/16",
      "169.254.169.254/32",
      "128.0.0.0/1",
      "::/0",
      "fd00::/8",
      "fd00:ec2::/64",
      "fd20:ce::/32",
    ]) {
      assert.throws(
        () => resolve({ egress: { cidrs: ["203.0.113.0/24", cidr] } }),
        /^Error: egress\.cidrs\[1\]: .* covers the cloud metadata address/,
        cidr,
      );
    }
    assert.throws(
      () => resolve({ extraEgress: [{ cidrs: ["10.0.0.0/8"] }, { cidrs: ["10.1.0.0/16", "169.254.0.0/16"] }] }),
      /^Error: extraEgress\[1\]\.cidrs\[1\]: 169\.254\.0\.0\/16 covers the cloud metadata address 169\.254\.169\.254/,
    );
    assert.throws(() => resolve({ dns: { cidrs: ["169.254.0.0/16"] } }), /^Error: dns\.cidrs\[0\]/);
  });

  it("adds explicit extra egress, same-cluster egress and ingress only for the namespaces listed", () => {
    const c = resolve({
      extraEgress: [{ cidrs: ["10.20.0.0/16"], ports: [443] }],
      allowedNamespaces: ["mirror", "git", "mirror"],
      ingressFromNamespaces: ["monitoring"],
      dns: { cidrs: ["169.254.20.10/32"] },
    });
    assert.deepEqual(policy(c, "allow-extra-egress")!.egress, [
      { to: [{ ipBlock: { cidr: "10.20.0.0/16" } }], ports: [{ protocol: "TCP", port: 443 }] },
    ]);
    assert.deepEqual(policy(c, "allow-namespaces")!.egress, [
      {
        to: [
          {
            namespaceSelector: {
              matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: ["mirror", "git"] }],
            },
          },
        ],
      },
    ]);
    const ingress = policy(c, "allow-ingress-namespaces")!;
    assert.deepEqual(ingress.policyTypes, ["Ingress"]);
    assert.deepEqual(ingress.ingress![0]!.from[0]!.namespaceSelector!.matchExpressions![0]!.values, ["monitoring"]);
    assert.deepEqual(policy(c, "allow-dns")!.egress![0]!.to[1], { ipBlock: { cidr: "169.254.20.10/32" } });
  });

  it("refuses bad input, naming the field", () => {
    const cases: [Partial<WorkspaceNetworkPolicyPlainArgs>, RegExp][] = [
      [{ namespace: "Coder" }, /^Error: namespace: "Coder"/],
      [{ coderd: { namespaceName: "coder d" } }, /^Error: coderd\.namespaceName/],
      [{ egress: "open" as "none" }, /^Error: egress: "open"/],
      [{ egress: { cidrs: [] } }, /^Error: egress\.cidrs: give at least one CIDR/],
      [{ egress: { cidrs: ["10.0.0.1/8"] } }, /^Error: egress\.cidrs\[0\]: "10\.0\.0\.1\/8" has host bits set/],
      [{ egress: { cidrs: ["2001:db8::1/32"] } }, /^Error: egress\.cidrs\[0\]: "2001:db8::1\/32" has host bits/],
      [{ egress: { cidrs: ["2001:db8:::/32"] } }, /^Error: egress\.cidrs\[0\]: .* not an IPv6 CIDR/],
      [{ egress: { cidrs: ["example.com"] } }, /^Error: egress\.cidrs\[0\]: "example\.com" is not an IPv4 CIDR/],
      [{ egress: { cidrs: ["203.0.113.0/24"], ports: [0] } }, /^Error: egress\.ports\[0\]: 0 is not a port/],
      [{ egress: { cidrs: ["203.0.113.0/24"], ports: [] } }, /^Error: egress\.ports: give at least one port/],
      [{ egress: "none" }, /^Error: egress: "none" without coderd/],
      [{ allowedNamespaces: ["coder"] }, /^Error: allowedNamespaces\[0\]: "coder" is the workspace namespace itself/],
      [{ allowedNamespaces: ["ok", "Not OK"] }, /^Error: allowedNamespaces\[1\]/],
      [{ ingressFromNamespaces: ["coder"] }, /^Error: ingressFromNamespaces\[0\]/],
      [{ coderdPodSelector: { app: "coder" } }, /^Error: coderdPodSelector: only used with coderd/],
      [{ coderd: { namespaceName: "coderd" }, coderdPodSelector: {} }, /^Error: coderdPodSelector: an empty selector/],
      [{ coderd: { namespaceName: "coderd" }, coderdPorts: [70000] }, /^Error: coderdPorts\[0\]/],
      [{ dns: { namespace: "Kube" } }, /^Error: dns\.namespace/],
      [{ dns: { podSelector: {} } }, /^Error: dns\.podSelector/],
    ];
    for (const [args, pattern] of cases) assert.throws(() => resolve(args), pattern);
    assert.throws(() => resolve({}, "Bad Name"), /^Error: name: "Bad Name"/);
  });

  it("property: random valid args always start with the namespace-wide default deny and never open metadata", () => {
    const octet = fc.integer({ min: 1, max: 223 }).filter((o) => o !== 10 && o !== 127 && o !== 169 && o !== 100);
    const publicCidr = fc
      .tuple(octet, fc.integer({ min: 0, max: 255 }), fc.integer({ min: 8, max: 32 }))
      .map(([a, b, prefix]) => {
        const base = ((a * 256 + b) * 65536) >>> 0;
        const size = 2 ** (32 - prefix);
        const masked = base - (base % size);
        return `${[24, 16, 8, 0].map((s) => Math.floor(masked / 2 ** s) % 256).join(".")}/${prefix}`;
      })
      .filter((c) => !cidrContains(parseCidr(c), parseCidr("169.254.169.254/32")));
    const egress = fc.oneof(
      fc.constant<"internet">("internet"),
      fc.constant<"none">("none"),
      fc.record({ cidrs: fc.array(publicCidr, { minLength: 1, maxLength: 4 }) }),
    );
    const ns = fc.constantFrom("mirror", "git", "monitoring", "tools");
    fc.assert(
      fc.property(
        egress,
        fc.boolean(),
        fc.array(ns, { maxLength: 3 }),
        fc.array(ns, { maxLength: 2 }),
        (e, withCoderd, allowed, ingressFrom) => {
          const args: Partial<WorkspaceNetworkPolicyPlainArgs> = {
            egress: e,
            allowedNamespaces: allowed,
            ingressFromNamespaces: ingressFrom,
            ...(withCoderd ? { coderd: { namespaceName: "coderd" } } : {}),
          };
          if (e === "none" && !withCoderd && allowed.length === 0) {
            assert.throws(() => resolve(args), /egress: "none"/);
            return;
          }
          const c = resolve(args);
          assert.deepEqual(c.policies[0]!.spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
          for (const p of c.policies) {
            assert.deepEqual(p.spec.podSelector, {});
            assertExceptsInside(p.spec);
            if (p.spec.ingress) assert.equal(p.role, "allow-ingress-namespaces");
            for (const rule of p.spec.egress ?? []) {
              for (const peer of rule.to) {
                const block = peer.ipBlock;
                if (!block || block.cidr.includes(":")) continue;
                const open = cidrContains(parseCidr(block.cidr), parseCidr("169.254.169.254/32"));
                assert.ok(!open || block.except?.includes("169.254.169.254/32"), `${p.role} opens metadata`);
              }
            }
          }
          assert.equal(
            c.policies.some((p) => p.role === "allow-internet"),
            e === "internet",
          );
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe("WorkspaceNetworkPolicy: component under the mock engine", () => {
  let resources: RecordedResource[];
  let plain: WorkspaceNetworkPolicy;
  let withCoderd: WorkspaceNetworkPolicy;

  before(async () => {
    ({ resources } = await synth(() => {
      const ns = new CoderNamespace("coder", {});
      plain = new WorkspaceNetworkPolicy("coder", { namespace: ns.namespaceName });
      withCoderd = new WorkspaceNetworkPolicy("team", {
        namespace: "team",
        coderd: { namespaceName: pulumi.output("coderd"), serviceAccountName: pulumi.output("coder") },
        egress: { cidrs: ["203.0.113.0/24"], ports: [443] },
        allowedNamespaces: ["mirror"],
      });
    }));
  });

  const policies = (component: string) =>
    ofType(resources, NETPOL).filter(
      (r) => r.parent === resources.find((c) => c.type === TOKEN && c.name === component)!.urn,
    );
  const spec = (component: string, role: string) =>
    policies(component).find((r) => r.name === `${component}-${role}`)!.inputs.spec as WorkspacePolicySpec;

  it("emits only schema-valid Kubernetes objects", async () => {
    assert.equal(await validateAllKubernetesObjects(resources), resources.filter((r) => r.custom).length);
  });

  it("puts a default deny with both policy types on every pod of the namespace", () => {
    for (const component of ["coder", "team"]) {
      assert.deepEqual(spec(component, "default-deny"), { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    }
    assert.equal(at(policies("coder")[0]!.inputs, "metadata.namespace"), "coder");
    assert.equal(at(policies("team")[0]!.inputs, "metadata.namespace"), "team");
  });

  it("keeps the metadata address out of the default internet rule", () => {
    const block = spec("coder", "allow-internet").egress![0]!.to[0]!.ipBlock!;
    assert.equal(block.cidr, "0.0.0.0/0");
    assert.ok(block.except!.includes("169.254.169.254/32"));
    assert.ok(spec("coder", "allow-internet").egress![0]!.to[1]!.ipBlock!.except!.includes("fd00:ec2::254/128"));
  });

  it("resolves coderd's namespace from an Output into the coderd rule", () => {
    const peer = spec("team", "allow-coderd").egress![0]!.to[0]!;
    assert.deepEqual(peer.namespaceSelector, { matchLabels: { "kubernetes.io/metadata.name": "coderd" } });
    assert.equal(
      policies("team").some((r) => r.name === "team-allow-internet"),
      false,
    );
  });

  it("parents every policy to its component and exposes the names, default deny first", async () => {
    for (const p of ofType(resources, NETPOL)) {
      assert.ok(
        ofType(resources, TOKEN).some((c) => c.urn === p.parent),
        p.name,
      );
    }
    assert.deepEqual(await valueOf(plain.policyNames), [
      "coder-default-deny",
      "coder-allow-dns",
      "coder-allow-internet",
    ]);
    assert.deepEqual(await valueOf(withCoderd.policyNames), [
      "team-default-deny",
      "team-allow-dns",
      "team-allow-coderd",
      "team-allow-egress",
      "team-allow-namespaces",
    ]);
  });

  it("waits for the namespace's quota and limits before creating policies in it", () => {
    const quota = resources.find((r) => r.name === "coder-quota")!;
    for (const p of policies("coder")) assert.ok(p.dependencies.includes(quota.urn), p.name);
  });
});

describe("WorkspaceNetworkPolicy: refused input", () => {
  it("registers nothing when the constructor refuses input", async () => {
    const { resources } = await synth(() => {
      const bad: WorkspaceNetworkPolicyArgs[] = [
        { namespace: "coder", egress: { cidrs: ["0.0.0.0/0"] } },
        { namespace: pulumi.output("coder"), egress: { cidrs: ["169.254.0.0/16"] } },
        { namespace: "coder", egress: "none" },
        { namespace: "Coder" },
      ];
      for (const args of bad) assert.throws(() => new WorkspaceNetworkPolicy("bad", args));
    });
    assert.deepEqual(
      resources.map((r) => r.type),
      ["pulumi:pulumi:Stack"],
    );
  });

  it("checks a namespace that arrives as an Output with the same rules, and creates no policy", async () => {
    const run = await synthApplyFailures(() => {
      new WorkspaceNetworkPolicy("coder", { namespace: pulumi.output("Not_Valid") });
    });
    assert.ok(
      run.failures.some((f) => /namespace: "Not_Valid"/.test(f)),
      run.failures.join("\n"),
    );
    assert.deepEqual(ofType(run.resources, NETPOL), []);
  });

  it("property: a handful of random valid args synthesize schema-valid policies with the default deny", async () => {
    const samples = fc.sample(
      fc.record({
        egress: fc.constantFrom<WorkspaceNetworkPolicyArgs["egress"]>("internet", "none", {
          cidrs: ["198.51.100.0/24", "2001:db8::/48"],
          ports: [22, 443],
        }),
        allowedNamespaces: fc.subarray(["mirror", "git"]),
      }),
      { numRuns: 3, seed: 7 },
    );
    for (const s of samples) {
      const { resources } = await synth(() => {
        new WorkspaceNetworkPolicy("prop", {
          namespace: "coder",
          coderd: { namespaceName: "coderd", serviceAccountName: "coder" },
          ...s,
        });
      });
      assert.ok((await validateAllKubernetesObjects(resources)) >= 3);
      const deny = resources.find((r) => r.name === "prop-default-deny")!;
      assert.deepEqual(deny.inputs.spec, { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    }
  });
});
