import assert from "node:assert/strict";
import {
  chartValues,
  coderdNetworkPolicies,
  dnsEgressRule,
  kubeDns,
  resolveCoderControlPlaneArgs,
  resolveWorkspaceNetworkPolicyArgs,
  restrictedContainerSecurityContext,
} from "@hardened-coder/kubernetes";

describe("pod defaults: the shared restricted securityContext and DNS egress rule", () => {
  it("the restricted container securityContext is non-root 1000, no escalation, read-only, no capabilities, RuntimeDefault", () => {
    assert.deepEqual(restrictedContainerSecurityContext(), {
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
  });

  it("hands out a fresh securityContext and DNS rule each call, so one caller's edit cannot weaken another's", () => {
    const a = restrictedContainerSecurityContext();
    a.capabilities.drop.push("NET_RAW_IS_NOT_DROPPED");
    assert.deepEqual(restrictedContainerSecurityContext().capabilities.drop, ["ALL"]);
    const rule = dnsEgressRule();
    rule.ports.push({ protocol: "TCP", port: 443 });
    rule.to[0]!.podSelector.matchLabels["extra"] = "x";
    assert.deepEqual(dnsEgressRule().ports, [
      { protocol: "UDP", port: 53 },
      { protocol: "TCP", port: 53 },
    ]);
    assert.deepEqual(kubeDns.podSelector, { "k8s-app": "kube-dns" });
    assert.ok(Object.isFrozen(kubeDns) && Object.isFrozen(kubeDns.podSelector));
  });

  it("the DNS rule selects kube-dns in kube-system by name and labels on UDP and TCP 53, extra peers after it", () => {
    assert.deepEqual(dnsEgressRule(), {
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
    });
    const custom = dnsEgressRule({ namespace: "dns", podSelector: { app: "coredns" } }, [
      { ipBlock: { cidr: "169.254.20.10/32" } },
    ]);
    assert.deepEqual(custom.to, [
      {
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "dns" } },
        podSelector: { matchLabels: { app: "coredns" } },
      },
      { ipBlock: { cidr: "169.254.20.10/32" } },
    ]);
  });

  it("coderd's container and both components' DNS allows are these definitions", () => {
    const c = resolveCoderControlPlaneArgs({
      accessUrl: "https://coder.example.com",
      tls: { secretName: "coder-tls" },
      database: { connectionUrl: "postgres://coder@db:5432/coder?sslmode=verify-full" },
      oidc: {
        issuerUrl: "https://idp.example.com",
        clientId: "coder",
        clientSecret: "s",
        emailDomains: ["example.com"],
      },
    });
    assert.deepEqual(chartValues(c).coder.securityContext, restrictedContainerSecurityContext());
    const coderdEgress = coderdNetworkPolicies(c).flatMap((p) => p.spec.egress ?? []);
    assert.deepEqual(coderdEgress[0], dnsEgressRule());
    const ws = resolveWorkspaceNetworkPolicyArgs({ namespace: "coder" });
    assert.deepEqual(ws.policies.find((p) => p.role === "allow-dns")?.spec.egress, [dnsEgressRule()]);
  });
});
