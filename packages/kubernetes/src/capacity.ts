/**
 * Capacity planning: how many nodes, pod addresses and service addresses a cluster needs for a
 * number of concurrent workspaces, with headroom. `HardenedCluster` sizes its network from the plan
 * and `CoderNamespace` its quota, so IP depletion (network-ip-depletion-pods / -services) is
 * designed out rather than hoped away. Pure: no Pulumi.
 */
import { type Cidr, cidrSize, cidrsOverlap, formatCidr, parseCidr, prefixFor } from "./cidr";

export interface CapacityArgs {
  /**
   * Concurrent workspaces the cluster must run.
   * @default 50
   */
  readonly workspaces?: number;
  /**
   * Pods one workspace runs (Coder's stock Kubernetes template: 1).
   * @default 1
   */
  readonly podsPerWorkspace?: number;
  /**
   * Kubernetes Services one workspace creates. Coder v2 serves dev URLs and port forwarding through
   * coderd, so 0; Coder v1 created one Service per dev URL.
   * @default 0
   */
  readonly devUrlsPerWorkspace?: number;
  /**
   * Extra room above `workspaces`, in percent, for bursts, rolling node upgrades and failed pods
   * that still hold an address.
   * @default 50
   */
  readonly headroomPercent?: number;
  /**
   * Workspaces that fit on one node by CPU and memory (node size / workspace size).
   * @default 8
   */
  readonly workspacesPerNode?: number;
  /**
   * The kubelet's max pods per node (GKE: 8 to 256; EKS VPC CNI: by instance type, <= 250).
   * @default 32
   */
  readonly maxPodsPerNode?: number;
  /**
   * Pods every node runs besides workspaces (CNI, kube-proxy, CSI, log and metric agents).
   * @default 8
   */
  readonly systemPodsPerNode?: number;
  /**
   * Services the cluster runs besides workspaces (coderd, DNS, metrics, webhooks).
   * @default 32
   */
  readonly systemServices?: number;
  /**
   * Nodes kept when idle.
   * @default 1
   */
  readonly minNodes?: number;
  /**
   * When true (EKS VPC CNI), pods take addresses from the node network, so `nodeCidr` must hold
   * pods too and no separate pod range is planned.
   * @default false
   */
  readonly podsInNodeNetwork?: boolean;
  /**
   * The node (VPC or subnet) range. When unset, the smallest block from 10.0.0.0 that fits.
   * @default planned from 10.0.0.0
   */
  readonly nodeCidr?: string;
  /**
   * The pod range (GKE secondary range). When unset, planned from 10.64.0.0.
   * @default planned from 10.64.0.0
   */
  readonly podCidr?: string;
  /**
   * The Service range. When unset, planned from 172.20.0.0 (at least a /24).
   * @default planned from 172.20.0.0
   */
  readonly serviceCidr?: string;
}

export interface AddressRange {
  /** Addresses the plan needs in this range. */
  readonly needed: number;
  /** The range, user-given or planned. */
  readonly cidr: string;
  readonly prefix: number;
}

export interface CapacityPlan {
  readonly workspaces: number;
  readonly podsPerWorkspace: number;
  readonly devUrlsPerWorkspace: number;
  readonly headroomPercent: number;
  readonly maxPodsPerNode: number;
  /** Prefix length of the pod range each node gets (GKE: 110 pods -> /24, 32 -> /26). */
  readonly podRangePrefixPerNode: number;
  readonly nodes: { readonly min: number; readonly desired: number; readonly max: number };
  /** Node network; with `podsInNodeNetwork`, sized for nodes and their pods. */
  readonly nodeNetwork: AddressRange;
  /** Separate pod range, absent when pods live in the node network. */
  readonly pods?: AddressRange;
  readonly services: AddressRange;
  /** Namespace quota counts that keep workspaces within the planned ranges. */
  readonly quota: { readonly pods: number; readonly services: number };
}

function requireInt(field: string, value: number, min: number, max: number, hint: string): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${field}: ${value} is out of range; use a whole number from ${min} to ${max} (${hint})`);
  }
  return value;
}

/** Addresses a node's pod range holds, GKE style: the power of two at or above twice max pods. */
function podRangePrefixPerNode(maxPods: number): number {
  return prefixFor(maxPods * 2);
}

function checkRange(field: string, value: string, needed: number): Cidr {
  const c = parseCidr(value, field);
  if (cidrSize(c) < needed) {
    throw new Error(
      `${field}: ${value} holds ${cidrSize(c)} addresses but the plan needs ${needed}; ` +
        `use a /${prefixFor(needed)} or larger, or plan fewer workspaces`,
    );
  }
  return c;
}

/**
 * Plans nodes and address ranges for `workspaces` concurrent workspaces. Throws, naming the field,
 * when an argument is out of range, a given range is too small, or two ranges overlap.
 */
export function planCapacity(args: CapacityArgs = {}): CapacityPlan {
  const workspaces = requireInt("workspaces", args.workspaces ?? 50, 1, 100_000, "concurrent workspaces");
  const podsPerWorkspace = requireInt("podsPerWorkspace", args.podsPerWorkspace ?? 1, 1, 64, "pods per workspace");
  const devUrls = requireInt("devUrlsPerWorkspace", args.devUrlsPerWorkspace ?? 0, 0, 64, "Services per workspace");
  const headroom = requireInt("headroomPercent", args.headroomPercent ?? 50, 0, 1000, "percent above workspaces");
  const maxPods = requireInt("maxPodsPerNode", args.maxPodsPerNode ?? 32, 8, 250, "kubelet max pods");
  const systemPods = requireInt(
    "systemPodsPerNode",
    args.systemPodsPerNode ?? 8,
    0,
    maxPods - 1,
    "must leave room for workspaces under maxPodsPerNode",
  );
  const perNode = requireInt("workspacesPerNode", args.workspacesPerNode ?? 8, 1, 250, "workspaces per node");
  const systemServices = requireInt("systemServices", args.systemServices ?? 32, 0, 10_000, "cluster Services");
  const minNodes = requireInt("minNodes", args.minNodes ?? 1, 0, 1000, "idle nodes");

  const workspacePodsPerNode = Math.min(perNode * podsPerWorkspace, maxPods - systemPods);
  if (workspacePodsPerNode < podsPerWorkspace) {
    throw new Error(
      `maxPodsPerNode: ${maxPods} minus systemPodsPerNode ${systemPods} leaves no room for one workspace of ` +
        `podsPerWorkspace ${podsPerWorkspace}; raise maxPodsPerNode`,
    );
  }
  const workspacePods = workspaces * podsPerWorkspace;
  const peakPods = Math.ceil((workspacePods * (100 + headroom)) / 100);
  const desired = Math.max(minNodes, Math.ceil(workspacePods / workspacePodsPerNode));
  const max = Math.max(desired, Math.ceil(peakPods / workspacePodsPerNode));
  const perNodePrefix = podRangePrefixPerNode(maxPods);
  const podAddresses = max * 2 ** (32 - perNodePrefix);
  const podsInNodeNetwork = args.podsInNodeNetwork ?? false;

  // Nodes need their own address plus, with the VPC CNI, one per pod slot (warm pool included).
  const nodeNeeded = podsInNodeNetwork ? max * (maxPods + 1) : max;
  const servicesNeeded = Math.ceil((workspaces * (100 + headroom) * devUrls) / 100) + systemServices;

  const ranges: { field: string; cidr: Cidr }[] = [];
  const nodeCidr = args.nodeCidr
    ? checkRange("nodeCidr", args.nodeCidr, nodeNeeded)
    : { base: parseCidr("10.0.0.0/8").base, prefix: Math.min(prefixFor(nodeNeeded), 24) };
  ranges.push({ field: "nodeCidr", cidr: nodeCidr });
  let pods: AddressRange | undefined;
  if (!podsInNodeNetwork) {
    const podCidr = args.podCidr
      ? checkRange("podCidr", args.podCidr, podAddresses)
      : { base: parseCidr("10.64.0.0/10").base, prefix: Math.min(prefixFor(podAddresses), 21) };
    ranges.push({ field: "podCidr", cidr: podCidr });
    pods = { needed: podAddresses, cidr: formatCidr(podCidr), prefix: podCidr.prefix };
  } else if (args.podCidr !== undefined) {
    throw new Error(
      `podCidr: ${args.podCidr} is set but pods take addresses from the node network here (podsInNodeNetwork); ` +
        `size nodeCidr instead`,
    );
  }
  const serviceCidr = args.serviceCidr
    ? checkRange("serviceCidr", args.serviceCidr, servicesNeeded)
    : { base: parseCidr("172.20.0.0/16").base, prefix: Math.min(prefixFor(servicesNeeded), 24) };
  ranges.push({ field: "serviceCidr", cidr: serviceCidr });
  for (const c of ranges) {
    if (c.cidr.prefix < 8)
      throw new Error(`${c.field}: ${formatCidr(c.cidr)} is larger than a /8; plan fewer workspaces`);
  }
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      const a = ranges[i]!;
      const b = ranges[j]!;
      if (cidrsOverlap(a.cidr, b.cidr)) {
        throw new Error(
          `${b.field}: ${formatCidr(b.cidr)} overlaps ${a.field} ${formatCidr(a.cidr)}; choose ranges that do not overlap`,
        );
      }
    }
  }

  return {
    workspaces,
    podsPerWorkspace,
    devUrlsPerWorkspace: devUrls,
    headroomPercent: headroom,
    maxPodsPerNode: maxPods,
    podRangePrefixPerNode: perNodePrefix,
    nodes: { min: Math.min(minNodes, desired), desired, max },
    nodeNetwork: { needed: nodeNeeded, cidr: formatCidr(nodeCidr), prefix: nodeCidr.prefix },
    ...(pods ? { pods } : {}),
    services: { needed: servicesNeeded, cidr: formatCidr(serviceCidr), prefix: serviceCidr.prefix },
    quota: { pods: peakPods, services: Math.ceil((workspaces * (100 + headroom) * devUrls) / 100) },
  };
}
