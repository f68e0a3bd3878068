/**
 * Pod-level pieces every hardened workload here shares (coderd, its sidecars, the database
 * bootstrap Jobs): the Pod Security `restricted` container securityContext and the NetworkPolicy
 * egress rule to the cluster DNS. Kept in one place so a weakening cannot slip into one copy.
 */

/** The container securityContext `restricted` needs, with a fixed non-root user and group. */
export type RestrictedContainerSecurityContext = {
  readonly runAsNonRoot: true;
  readonly runAsUser: number;
  readonly runAsGroup: number;
  readonly allowPrivilegeEscalation: false;
  readonly readOnlyRootFilesystem: true;
  readonly capabilities: { readonly drop: string[] };
  readonly seccompProfile: { readonly type: "RuntimeDefault" };
};

/**
 * A container securityContext that meets Pod Security `restricted` and more: non-root as uid/gid
 * 1000 (coderd's image user), no privilege escalation, a read-only root filesystem, every capability
 * dropped, seccomp RuntimeDefault (recommendation `node-user-accounts`: nothing in the pod can
 * reach the node's accounts). A fresh object each call, so a caller may adapt its copy.
 */
export function restrictedContainerSecurityContext(): RestrictedContainerSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: 1000,
    runAsGroup: 1000,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** Where the cluster DNS pods run and the labels that select them. */
export interface ClusterDns {
  readonly namespace: string;
  readonly podSelector: Readonly<Record<string, string>>;
}

/**
 * The cluster DNS most distributions run (EKS, GKE, kubeadm): CoreDNS or kube-dns in `kube-system`,
 * labelled `k8s-app: kube-dns`.
 */
export const kubeDns: ClusterDns = Object.freeze({
  namespace: "kube-system",
  podSelector: Object.freeze({ "k8s-app": "kube-dns" }),
});

/** A NetworkPolicy egress rule, as `dnsEgressRule` returns it. */
export interface DnsEgressRule<Peer> {
  to: (
    | {
        namespaceSelector: { matchLabels: Record<string, string> };
        podSelector: { matchLabels: Record<string, string> };
      }
    | Peer
  )[];
  ports: { protocol: "UDP" | "TCP"; port: number }[];
}

/**
 * The NetworkPolicy egress rule that lets selected pods resolve names: UDP and TCP 53 to the DNS
 * pods (selected by namespace name and pod labels, never by address), plus `extraPeers` such as
 * NodeLocal DNSCache's address (recommendation `network-boundaries`). A fresh object each call.
 */
export function dnsEgressRule<Peer = never>(
  dns: ClusterDns = kubeDns,
  extraPeers: readonly Peer[] = [],
): DnsEgressRule<Peer> {
  return {
    to: [
      {
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": dns.namespace } },
        podSelector: { matchLabels: { ...dns.podSelector } },
      },
      ...extraPeers,
    ],
    ports: [
      { protocol: "UDP", port: 53 },
      { protocol: "TCP", port: 53 },
    ],
  };
}
