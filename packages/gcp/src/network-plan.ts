/**
 * Address planning for a VPC-native GKE cluster: the subnet's primary range for nodes, its two
 * secondary ranges for pods and Services, the control plane's /28 and (with Coder's database) the
 * private services access range, all from `planCapacity` so IP depletion is designed out
 * (network-ip-depletion-pods, network-ip-depletion-services). Pure: no Pulumi.
 */
import {
  type CapacityArgs,
  type CapacityPlan,
  type Cidr,
  cidrsOverlap,
  formatCidr,
  parseCidr,
  planCapacity,
} from "@hardened-coder/kubernetes";

/** `planCapacity` arguments for GKE: pods always live in a secondary range, never the node range. */
export type GkeCapacityArgs = Omit<CapacityArgs, "podsInNodeNetwork">;

export interface GkeNetworkArgs {
  /** Workspace count and shape the network is sized for (see `planCapacity`). */
  readonly capacity?: GkeCapacityArgs;
  /**
   * The control plane's private range: a /28 that overlaps none of the cluster's ranges.
   * @default "172.16.0.0/28"
   */
  readonly masterCidr?: string;
  /**
   * Private services access range (Cloud SQL's private IP), reserved when `privateServices` is true.
   * A /24 or larger.
   * @default "10.240.0.0/20"
   */
  readonly privateServicesCidr?: string;
  /** Reserve a private services access range (set when Coder's database is created). @default false */
  readonly privateServices?: boolean;
}

export interface NamedRange {
  /** The secondary range's name on the subnet, which the cluster's ipAllocationPolicy refers to. */
  readonly name: string;
  readonly cidr: string;
}

export interface GkeNetworkPlan {
  readonly capacity: CapacityPlan;
  /** The subnet's primary range: node addresses (and internal load balancers). */
  readonly subnetCidr: string;
  /** Secondary range for pod addresses; each node takes a block of `capacity.podRangePrefixPerNode`. */
  readonly podRange: NamedRange;
  /** Secondary range for Service ClusterIPs. */
  readonly serviceRange: NamedRange;
  /** Passed to the cluster as `defaultMaxPodsPerNode` and to the node pool as `maxPodsPerNode`. */
  readonly maxPodsPerNode: number;
  readonly masterCidr: string;
  /** Present when `privateServices` is true. */
  readonly privateServicesCidr?: string;
}

export const defaultMasterCidr = "172.16.0.0/28";
export const defaultPrivateServicesCidr = "10.240.0.0/20";
export const podRangeName = "pods";
export const serviceRangeName = "services";

/**
 * Plans the cluster network. Throws an Error naming the field (`capacity.podCidr`, `masterCidr`,
 * ...) when a range is malformed, too small for the plan, the wrong size, or overlaps another.
 */
export function planGkeNetwork(args: GkeNetworkArgs = {}): GkeNetworkPlan {
  const capacityArgs = args.capacity ?? {};
  if ((capacityArgs as CapacityArgs).podsInNodeNetwork) {
    throw new Error(
      "capacity.podsInNodeNetwork: true does not apply to GKE, where pods take addresses from a secondary range; " +
        "remove it and size capacity.podCidr instead",
    );
  }
  let capacity: CapacityPlan;
  try {
    capacity = planCapacity({ ...capacityArgs, podsInNodeNetwork: false });
  } catch (err) {
    throw new Error(`capacity.${(err as Error).message}`);
  }
  if (!capacity.pods) throw new Error("capacity: the plan has no pod range; this is a bug in planCapacity");

  const taken: { field: string; cidr: Cidr }[] = [
    { field: "capacity.nodeCidr", cidr: parseCidr(capacity.nodeNetwork.cidr) },
    { field: "capacity.podCidr", cidr: parseCidr(capacity.pods.cidr) },
    { field: "capacity.serviceCidr", cidr: parseCidr(capacity.services.cidr) },
  ];
  const claim = (field: string, cidr: Cidr) => {
    for (const t of taken) {
      if (cidrsOverlap(t.cidr, cidr)) {
        throw new Error(
          `${field}: ${formatCidr(cidr)} overlaps ${t.field} ${formatCidr(t.cidr)}; choose a range that overlaps none of the cluster's ranges`,
        );
      }
    }
    taken.push({ field, cidr });
  };

  const masterValue = args.masterCidr ?? defaultMasterCidr;
  const master = parseCidr(masterValue, "masterCidr");
  if (master.prefix !== 28) {
    throw new Error(`masterCidr: ${masterValue} is a /${master.prefix}; GKE's control plane range must be a /28`);
  }
  claim("masterCidr", master);

  let privateServicesCidr: string | undefined;
  if (args.privateServices) {
    const value = args.privateServicesCidr ?? defaultPrivateServicesCidr;
    const psa = parseCidr(value, "privateServicesCidr");
    if (psa.prefix > 24 || psa.prefix < 8) {
      throw new Error(
        `privateServicesCidr: ${value} is a /${psa.prefix}; private services access needs a /24 to /8 (a /20 leaves room for more instances)`,
      );
    }
    claim("privateServicesCidr", psa);
    privateServicesCidr = formatCidr(psa);
  } else if (args.privateServicesCidr !== undefined) {
    parseCidr(args.privateServicesCidr, "privateServicesCidr");
  }

  return {
    capacity,
    subnetCidr: capacity.nodeNetwork.cidr,
    podRange: { name: podRangeName, cidr: capacity.pods.cidr },
    serviceRange: { name: serviceRangeName, cidr: capacity.services.cidr },
    maxPodsPerNode: capacity.maxPodsPerNode,
    masterCidr: formatCidr(master),
    ...(privateServicesCidr ? { privateServicesCidr } : {}),
  };
}
