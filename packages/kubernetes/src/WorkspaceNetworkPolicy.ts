/**
 * NetworkPolicies for a workspace namespace: deny all ingress and egress, then allow only what Coder
 * needs. Workspace agents only dial out (to the access URL; DERP rides the same connection), so
 * workspaces get no ingress at all, and their egress never reaches the cloud metadata address,
 * private ranges or other namespaces unless listed.
 *
 * Without `coderd`, agents reach coderd through the internet rule, i.e. by the access URL's public
 * address. If the access URL resolves to a private address (an internal load balancer), pass
 * `coderd` (in-cluster coderd) or list that address in `extraEgress`, or agents cannot connect.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { cidrContains, metadataCidrs, nonInternetIpv4Cidrs, parseCidr } from "./cidr";
import type { CoderdRef } from "./coderd-ref";
import { isValidLabelValue, managedByLabels, requireDnsLabel } from "./labels";
import { dnsEgressRule, kubeDns } from "./pod-defaults";

/** A CIDR allow-list: destinations (IPv4 or IPv6) and, optionally, the TCP ports allowed to them. */
export interface EgressAllowList {
  /** Destination ranges; one that covers the metadata address is refused. */
  readonly cidrs: readonly string[];
  /** TCP ports. @default every port */
  readonly ports?: readonly number[];
}

/**
 * Workspace egress beyond DNS and coderd: `internet` (every public address, not the metadata
 * address, private, link-local or CGNAT ranges), `none`, or an allow-list.
 */
export type WorkspaceEgress = "internet" | "none" | EgressAllowList;

export interface WorkspaceNetworkPolicyArgs {
  /** The workspace namespace (e.g. `CoderNamespace.namespaceName`). Serves network-boundaries. */
  readonly namespace: pulumi.Input<string>;
  /**
   * coderd in this cluster: workspaces may reach its pods (in its namespace) on `coderdPorts`.
   * @default unset: agents reach coderd through the internet rule only
   */
  readonly coderd?: CoderdRef;
  /**
   * Labels that select coderd's pods in its namespace.
   * @default { "app.kubernetes.io/name": "coder" } (the coder/coder chart's)
   */
  readonly coderdPodSelector?: Readonly<Record<string, string>>;
  /**
   * coderd's container ports (NetworkPolicy matches the pod's port, not the Service's 80/443).
   * @default [8080, 8443]
   */
  readonly coderdPorts?: readonly number[];
  /**
   * Workspace egress. `internet` is 0.0.0.0/0 and ::/0 except the metadata address (169.254.169.254,
   * fd00:ec2::254) and private, link-local and CGNAT ranges, on every port (Git over SSH 22 and
   * HTTPS 443 included). An allow-list covering the metadata address is refused. Serves
   * network-external, node-cloud-access and git-ssh-and-https.
   * @default "internet"
   */
  readonly egress?: WorkspaceEgress;
  /**
   * Further egress allows on top of `egress`, e.g. an internal load balancer in front of coderd, a
   * private Git server or package mirror. Each is checked like an allow-list: never the metadata
   * address. Opens private addresses to every workspace: list only what they need.
   * @default []
   */
  readonly extraEgress?: readonly EgressAllowList[];
  /**
   * Namespaces of this cluster that workspaces may send traffic to (every pod, every port). Not the
   * workspace namespace itself: workspaces never reach each other.
   * @default []
   */
  readonly allowedNamespaces?: readonly string[];
  /**
   * Namespaces whose pods may open connections to workspaces (e.g. a monitoring scraper). Agents
   * only dial out, so Coder itself needs none.
   * @default []
   */
  readonly ingressFromNamespaces?: readonly string[];
  /**
   * Where DNS is served: the namespace and labels of the cluster DNS pods, and extra addresses
   * (NodeLocal DNSCache's `169.254.20.10/32`), all on UDP and TCP 53.
   * @default { namespace: "kube-system", podSelector: { "k8s-app": "kube-dns" }, cidrs: [] }
   */
  readonly dns?: {
    readonly namespace?: string;
    readonly podSelector?: Readonly<Record<string, string>>;
    readonly cidrs?: readonly string[];
  };
}

/** The args with every name a plain string, as inside `apply`. */
export type WorkspaceNetworkPolicyPlainArgs = Omit<WorkspaceNetworkPolicyArgs, "namespace" | "coderd"> & {
  readonly namespace: string;
  readonly coderd?: { readonly namespaceName: string };
};

export interface PolicyPort {
  protocol: "TCP" | "UDP";
  port: number;
}
export interface PolicyPeer {
  ipBlock?: { cidr: string; except?: string[] };
  namespaceSelector?: {
    matchLabels?: Record<string, string>;
    matchExpressions?: { key: string; operator: "In"; values: string[] }[];
  };
  podSelector?: { matchLabels: Record<string, string> };
}
export interface PolicyEgressRule {
  to: PolicyPeer[];
  ports?: PolicyPort[];
}
export interface PolicyIngressRule {
  from: PolicyPeer[];
}
export interface WorkspacePolicySpec {
  /** Always `{}`: every pod in the namespace. */
  podSelector: Record<string, never>;
  policyTypes: ("Ingress" | "Egress")[];
  ingress?: PolicyIngressRule[];
  egress?: PolicyEgressRule[];
}

/** One NetworkPolicy: its role (the suffix of its names) and spec. */
export interface WorkspacePolicy {
  readonly role: string;
  /** The object's name: `<component name>-<role>`. */
  readonly name: string;
  readonly spec: WorkspacePolicySpec;
}

export interface WorkspaceNetworkPolicyConfig {
  readonly namespace: string;
  readonly egress: "internet" | "none" | "allow-list";
  /** In order; the first is always the default deny. */
  readonly policies: readonly WorkspacePolicy[];
}

/** The IPv4 internet: everything but the metadata address and non-internet ranges. */
export const internetIpv4Block = {
  cidr: "0.0.0.0/0",
  // The /32 is inside 169.254.0.0/16 too; it is listed so an auditor finds it by name.
  except: ["169.254.169.254/32", ...nonInternetIpv4Cidrs],
} as const;

/** The IPv6 internet: everything but EC2's metadata address, unique-local and link-local. */
export const internetIpv6Block = { cidr: "::/0", except: ["fd00:ec2::254/128", "fc00::/7", "fe80::/10"] } as const;

// GCE's metadata server also answers on fd20:ce::254 (inside fc00::/7, so the internet rule already
// excludes it); an allow-list must not cover it either.
const metadataAddresses = [...metadataCidrs.map((c) => c.split("/")[0]!), "fd20:ce::254"];

interface AnyCidr {
  readonly v6: boolean;
  readonly base: bigint;
  readonly prefix: number;
}

function parseIpv6(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:]+$/.test(text) || text.split("::").length > 2) return undefined;
  const [head = "", tail] = text.split("::") as [string, string | undefined];
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const fill = 8 - h.length - t.length;
  if ((tail === undefined && fill !== 0) || (tail !== undefined && fill < 1)) return undefined;
  const all = [...h, ...Array<string>(tail === undefined ? 0 : fill).fill("0"), ...t];
  if (all.some((g) => g.length < 1 || g.length > 4)) return undefined;
  return all.reduce((acc, g) => (acc << 16n) + BigInt(parseInt(g, 16)), 0n);
}

function parseAnyCidr(field: string, value: unknown): AnyCidr {
  if (typeof value !== "string") {
    throw new Error(`${field}: ${JSON.stringify(value)} is not a CIDR; write e.g. 203.0.113.0/24 or 2001:db8::/32`);
  }
  if (!value.includes(":")) {
    const c = parseCidr(value, field);
    return { v6: false, base: BigInt(c.base), prefix: c.prefix };
  }
  const m = /^([0-9a-fA-F:]+)\/(\d{1,3})$/.exec(value);
  const addr = m ? parseIpv6(m[1]!) : undefined;
  const prefix = m ? Number(m[2]) : NaN;
  if (addr === undefined || !(prefix <= 128)) {
    throw new Error(`${field}: "${value}" is not an IPv6 CIDR; write it as e.g. 2001:db8::/32`);
  }
  const size = 1n << BigInt(128 - prefix);
  if (addr % size !== 0n) {
    throw new Error(`${field}: "${value}" has host bits set; clear them (the block starts at a multiple of its size)`);
  }
  return { v6: true, base: addr, prefix };
}

function covers(c: AnyCidr, address: string): boolean {
  if (c.v6 !== address.includes(":")) return false;
  if (!c.v6) {
    return cidrContains({ base: Number(c.base), prefix: c.prefix }, parseCidr(`${address}/32`));
  }
  const a = parseIpv6(address)!;
  return a >= c.base && a < c.base + (1n << BigInt(128 - c.prefix));
}

/** Checks a destination list, refusing any range that holds a cloud metadata address. */
function allowCidrs(field: string, cidrs: unknown): string[] {
  if (!Array.isArray(cidrs) || cidrs.length === 0) {
    throw new Error(`${field}: give at least one CIDR (or use egress "none" for no egress)`);
  }
  return cidrs.map((value: unknown, i) => {
    const c = parseAnyCidr(`${field}[${i}]`, value);
    const hit = metadataAddresses.find((a) => covers(c, a));
    if (hit !== undefined) {
      throw new Error(
        `${field}[${i}]: ${String(value)} covers the cloud metadata address ${hit}, which hands out node ` +
          `credentials; use egress "internet" (which excludes it) or list narrower ranges`,
      );
    }
    return value as string;
  });
}

function tcpPorts(field: string, ports: unknown): PolicyPort[] | undefined {
  if (ports === undefined) return undefined;
  if (!Array.isArray(ports) || ports.length === 0) {
    throw new Error(`${field}: give at least one port, or leave it unset for every port`);
  }
  const seen = new Set<number>();
  ports.forEach((p: unknown, i) => {
    if (typeof p !== "number" || !Number.isInteger(p) || p < 1 || p > 65535) {
      throw new Error(`${field}[${i}]: ${String(p)} is not a port; use a whole number from 1 to 65535`);
    }
    seen.add(p);
  });
  return [...seen].sort((a, b) => a - b).map((port) => ({ protocol: "TCP", port }));
}

function selector(field: string, labels: Readonly<Record<string, string>>): Record<string, string> {
  const entries = Object.entries(labels);
  if (entries.length === 0) {
    throw new Error(`${field}: an empty selector matches every pod; give at least one label`);
  }
  for (const [k, v] of entries) {
    if (k.length === 0 || k.length > 316 || typeof v !== "string" || !isValidLabelValue(v)) {
      throw new Error(`${field}: ${JSON.stringify(k)}=${JSON.stringify(v)} is not a valid label selector entry`);
    }
  }
  return { ...labels };
}

function namespaceList(field: string, names: readonly string[], own: string): string[] {
  const out: string[] = [];
  names.forEach((n, i) => {
    requireDnsLabel(`${field}[${i}]`, n);
    if (n === own) {
      throw new Error(
        `${field}[${i}]: "${n}" is the workspace namespace itself; workspaces never reach each other, remove it`,
      );
    }
    if (!out.includes(n)) out.push(n);
  });
  return out;
}

const byName = (names: string[]): PolicyPeer => ({
  namespaceSelector: { matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: names }] },
});

function ipPeer(cidr: string): PolicyPeer {
  return { ipBlock: { cidr } };
}

/**
 * Fills defaults, refuses unsafe or inconsistent values (naming the field) and returns every
 * NetworkPolicy to create. Pure; `resourceName` prefixes the objects' names.
 */
export function resolveWorkspaceNetworkPolicyArgs(
  args: WorkspaceNetworkPolicyPlainArgs,
  resourceName = "workspaces",
): WorkspaceNetworkPolicyConfig {
  requireDnsLabel("name", resourceName);
  const namespace = requireDnsLabel("namespace", args.namespace);
  const policies: WorkspacePolicy[] = [];
  const add = (role: string, spec: WorkspacePolicySpec) =>
    policies.push({ role, name: `${resourceName}-${role}`, spec });

  // Everything is denied first; the allows below are the whole of what workspaces may do.
  add("default-deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] });

  const dns = {
    namespace: requireDnsLabel("dns.namespace", args.dns?.namespace ?? kubeDns.namespace),
    podSelector: selector("dns.podSelector", args.dns?.podSelector ?? kubeDns.podSelector),
  };
  const dnsCidrs = args.dns?.cidrs === undefined ? [] : allowCidrs("dns.cidrs", args.dns.cidrs);
  add("allow-dns", {
    podSelector: {},
    policyTypes: ["Egress"],
    egress: [dnsEgressRule(dns, dnsCidrs.map(ipPeer))],
  });

  if (args.coderd !== undefined) {
    const coderdNamespace = requireDnsLabel("coderd.namespaceName", args.coderd.namespaceName);
    const pods = selector("coderdPodSelector", args.coderdPodSelector ?? { "app.kubernetes.io/name": "coder" });
    const ports = tcpPorts("coderdPorts", args.coderdPorts ?? [8080, 8443])!;
    add("allow-coderd", {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": coderdNamespace } },
              podSelector: { matchLabels: pods },
            },
          ],
          ports,
        },
      ],
    });
  } else {
    for (const field of ["coderdPodSelector", "coderdPorts"] as const) {
      if (args[field] !== undefined) throw new Error(`${field}: only used with coderd; pass coderd or remove it`);
    }
  }

  const egressIn = args.egress ?? "internet";
  let egress: WorkspaceNetworkPolicyConfig["egress"];
  if (egressIn === "internet") {
    egress = "internet";
    add("allow-internet", {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [
        {
          to: [
            { ipBlock: { cidr: internetIpv4Block.cidr, except: [...internetIpv4Block.except] } },
            { ipBlock: { cidr: internetIpv6Block.cidr, except: [...internetIpv6Block.except] } },
          ],
        },
      ],
    });
  } else if (egressIn === "none") {
    egress = "none";
  } else if (typeof egressIn === "object" && egressIn !== null) {
    egress = "allow-list";
    const cidrs = allowCidrs("egress.cidrs", egressIn.cidrs);
    const ports = tcpPorts("egress.ports", egressIn.ports);
    add("allow-egress", {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [{ to: cidrs.map(ipPeer), ...(ports ? { ports } : {}) }],
    });
  } else {
    throw new Error(
      `egress: ${JSON.stringify(egressIn)} is not an egress policy; use "internet", "none" or { cidrs, ports? }`,
    );
  }

  const extra = args.extraEgress ?? [];
  if (extra.length > 0) {
    add("allow-extra-egress", {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: extra.map((e, i) => {
        const ports = tcpPorts(`extraEgress[${i}].ports`, e.ports);
        return { to: allowCidrs(`extraEgress[${i}].cidrs`, e.cidrs).map(ipPeer), ...(ports ? { ports } : {}) };
      }),
    });
  }

  const toNamespaces = namespaceList("allowedNamespaces", args.allowedNamespaces ?? [], namespace);
  if (toNamespaces.length > 0) {
    add("allow-namespaces", { podSelector: {}, policyTypes: ["Egress"], egress: [{ to: [byName(toNamespaces)] }] });
  }
  const fromNamespaces = namespaceList("ingressFromNamespaces", args.ingressFromNamespaces ?? [], namespace);
  if (fromNamespaces.length > 0) {
    add("allow-ingress-namespaces", {
      podSelector: {},
      policyTypes: ["Ingress"],
      ingress: [{ from: [byName(fromNamespaces)] }],
    });
  }

  if (egress === "none" && args.coderd === undefined && toNamespaces.length === 0 && extra.length === 0) {
    throw new Error(
      `egress: "none" without coderd, allowedNamespaces or extraEgress leaves workspace agents no way to reach ` +
        `coderd; pass coderd, or allow coderd's address in extraEgress`,
    );
  }

  return { namespace, egress, policies };
}

/** A plain value, or `standIn` when the input is only known later (it is checked again in apply). */
function plainOr<T>(value: pulumi.Input<T>, standIn: T): T {
  return pulumi.Output.isInstance(value) || value instanceof Promise ? standIn : value;
}

/** Default-deny NetworkPolicies for a workspace namespace plus the few allows Coder needs. */
export class WorkspaceNetworkPolicy extends pulumi.ComponentResource {
  /** The NetworkPolicies' names, default deny first. */
  public readonly policyNames: pulumi.Output<string[]>;
  /** The NetworkPolicies, default deny first. */
  public readonly policies: k8s.networking.v1.NetworkPolicy[];

  constructor(name: string, args: WorkspaceNetworkPolicyArgs, opts?: pulumi.ComponentResourceOptions) {
    const plainArgs = (namespace: string, coderdNamespace: string | undefined): WorkspaceNetworkPolicyPlainArgs => ({
      ...args,
      namespace,
      coderd: coderdNamespace === undefined ? undefined : { namespaceName: coderdNamespace },
    });
    // Resolve before registering anything; names that arrive as Outputs stand in now and are
    // checked by the same function once known.
    const planned = resolveWorkspaceNetworkPolicyArgs(
      plainArgs(
        plainOr(args.namespace, "pending-namespace"),
        args.coderd && plainOr(args.coderd.namespaceName, "pending-coderd-namespace"),
      ),
      name,
    );
    const config = pulumi
      .all([args.namespace, args.coderd?.namespaceName])
      .apply(([namespace, coderdNamespace]) =>
        resolveWorkspaceNetworkPolicyArgs(plainArgs(namespace, coderdNamespace), name),
      );

    super("hardened-coder:kubernetes:WorkspaceNetworkPolicy", name, {}, opts);

    this.policies = planned.policies.map(
      (p) =>
        new k8s.networking.v1.NetworkPolicy(
          `${name}-${p.role}`,
          {
            metadata: { name: p.name, namespace: config.namespace, labels: { ...managedByLabels } },
            spec: config.apply((c) => c.policies.find((x) => x.role === p.role)!.spec),
          },
          { parent: this },
        ),
    );
    this.policyNames = pulumi.all(this.policies.map((p) => p.metadata.name));
    this.registerOutputs({ policyNames: this.policyNames });
  }
}
