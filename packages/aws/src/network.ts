/**
 * The VPC layout of a hardened EKS cluster, planned from `planCapacity`. Pure; no Pulumi.
 *
 * The VPC CNI gives every pod an address of its node's subnet, so the plan decides the subnets:
 * each private subnet (nodes and pods, one per availability zone) holds its share of the planned
 * maximum nodes times (max pods per node + 1), plus AWS's five reserved addresses and room for the
 * control plane's and internal load balancers' network interfaces. Public subnets are small: they
 * hold only NAT gateways and internet-facing load balancers (network-external). The Service range is
 * the plan's, outside the VPC (network-ip-depletion-pods, network-ip-depletion-services).
 */
import {
  type CapacityArgs,
  type CapacityPlan,
  type Cidr,
  cidrContains,
  cidrSize,
  cidrsOverlap,
  formatCidr,
  parseCidr,
  planCapacity,
  prefixFor,
} from "@hardened-coder/kubernetes";

/** Capacity arguments a cluster's network plan takes; the ranges are the cluster's own fields. */
export type ClusterCapacityArgs = Omit<CapacityArgs, "podsInNodeNetwork" | "nodeCidr" | "podCidr" | "serviceCidr">;

export interface NetworkPlanArgs {
  /** Sizing of the workload; see `planCapacity`. */
  readonly capacity?: ClusterCapacityArgs;
  /** The VPC range; when unset, the smallest block from 10.0.0.0 that holds the plan's subnets. */
  readonly vpcCidr?: string;
  /** The Kubernetes Service range; when unset, the plan's (from 172.20.0.0). */
  readonly serviceCidr?: string;
  /** Availability zones to spread subnets (and nodes) over. @default 3 */
  readonly availabilityZones?: number;
  /**
   * Reserve a small private subnet per zone for internal load balancers only (coderd's), so that
   * workspaces may be allowed to reach them without reaching anything else in the VPC.
   * @default false
   */
  readonly internalLoadBalancerSubnets?: boolean;
}

export interface NetworkPlan {
  readonly capacity: CapacityPlan;
  readonly vpcCidr: string;
  readonly serviceCidr: string;
  readonly availabilityZones: number;
  /** One per availability zone, for nodes, pods, the control plane's ENIs and internal load balancers. */
  readonly privateSubnets: readonly string[];
  /** One per availability zone, for NAT gateways and internet-facing load balancers only. */
  readonly publicSubnets: readonly string[];
  /** One per availability zone for internal load balancers, when reserved; else empty. */
  readonly internalLoadBalancerSubnets: readonly string[];
  /** Addresses each private subnet must hold for the plan (before AWS's reservation). */
  readonly privateSubnetNeeded: number;
}

/** Prefix of each public subnet: 64 addresses, room for a NAT gateway and load balancer interfaces. */
export const publicSubnetPrefix = 26;
/** Prefix of each internal load balancer subnet: 32 addresses (an NLB needs a /27 with 8 free). */
export const internalLoadBalancerSubnetPrefix = 27;
/** AWS reserves five addresses in every subnet. */
export const awsReservedPerSubnet = 5;
/** Room in each private subnet for the EKS control plane's interfaces and internal load balancers. */
export const privateSubnetInfraAddresses = 16;
/** The largest private subnet the plan makes without a user VPC range: a /24 or larger as needed. */
const minPrivateSubnetSize = 256;

const vpcRanges = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"].map((c) => parseCidr(c));
const serviceRanges = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"].map((c) => parseCidr(c));

const capacityFields = [
  "workspaces",
  "podsPerWorkspace",
  "devUrlsPerWorkspace",
  "headroomPercent",
  "workspacesPerNode",
  "maxPodsPerNode",
  "systemPodsPerNode",
  "systemServices",
  "minNodes",
];

/** Re-words planCapacity's errors in the cluster's field names (`vpcCidr`, `capacity.workspaces`). */
function capacityError(err: unknown): Error {
  const message = err instanceof Error ? err.message : String(err);
  let out = message.replace(/^nodeCidr:/, "vpcCidr:").replace(/overlaps nodeCidr/, "overlaps vpcCidr");
  const field = /^([A-Za-z]+):/.exec(out)?.[1];
  if (field && capacityFields.includes(field)) out = `capacity.${out}`;
  return new Error(out);
}

function plan(args: CapacityArgs): CapacityPlan {
  try {
    return planCapacity(args);
  } catch (err) {
    throw capacityError(err);
  }
}

function requireWithin(field: string, value: string, c: Cidr, allowed: Cidr[], allowedText: string): void {
  if (!allowed.some((a) => cidrContains(a, c))) {
    throw new Error(`${field}: ${value} is not a private range; use a block inside ${allowedText}`);
  }
}

/**
 * Plans the VPC, its subnets and the Service range for a cluster. Throws, naming the field, on an
 * impossible zone count, a range that is not private, too small for the plan, outside AWS's limits,
 * or overlapping another.
 */
export function planNetwork(args: NetworkPlanArgs = {}): NetworkPlan {
  const azs = args.availabilityZones ?? 3;
  if (!Number.isInteger(azs) || azs < 2 || azs > 6) {
    throw new Error(
      `availabilityZones: ${azs} is out of range; use 2 to 6 (EKS needs subnets in at least two zones, and one ` +
        `zone's outage must leave nodes running)`,
    );
  }
  const userVpc = args.vpcCidr === undefined ? undefined : parseCidr(args.vpcCidr, "vpcCidr");
  if (userVpc && args.vpcCidr !== undefined) {
    if (userVpc.prefix < 16 || userVpc.prefix > 28) {
      throw new Error(`vpcCidr: ${args.vpcCidr} is outside AWS's VPC sizes; use a /16 to /28`);
    }
    requireWithin(
      "vpcCidr",
      args.vpcCidr,
      userVpc,
      vpcRanges,
      "10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10",
    );
  }
  if (args.serviceCidr !== undefined) {
    const svc = parseCidr(args.serviceCidr, "serviceCidr");
    if (svc.prefix < 12 || svc.prefix > 24) {
      throw new Error(`serviceCidr: ${args.serviceCidr} is outside EKS's Service range sizes; use a /12 to /24`);
    }
    requireWithin("serviceCidr", args.serviceCidr, svc, serviceRanges, "10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16");
  }

  // Sizing first (no ranges), to know nodes and pods per node; then the ranges are checked against it.
  const sizing = plan({ ...args.capacity, podsInNodeNetwork: true });
  const nodesPerZone = Math.ceil(sizing.nodes.max / azs);
  const privateSubnetNeeded =
    nodesPerZone * (sizing.maxPodsPerNode + 1) + awsReservedPerSubnet + privateSubnetInfraAddresses;
  let privatePrefix = prefixFor(Math.max(privateSubnetNeeded, minPrivateSubnetSize));
  const lbSize = args.internalLoadBalancerSubnets ? 2 ** (32 - internalLoadBalancerSubnetPrefix) : 0;
  const layoutSize = (p: number) => azs * 2 ** (32 - p) + azs * 2 ** (32 - publicSubnetPrefix) + azs * lbSize;

  let vpc: Cidr;
  if (userVpc && args.vpcCidr !== undefined) {
    if (layoutSize(privatePrefix) > cidrSize(userVpc)) {
      // A user range may be smaller than the /24 floor as long as the plan itself fits.
      privatePrefix = Math.min(prefixFor(privateSubnetNeeded), publicSubnetPrefix);
      if (layoutSize(privatePrefix) > cidrSize(userVpc)) {
        throw new Error(
          `vpcCidr: ${args.vpcCidr} holds ${cidrSize(userVpc)} addresses but the plan's subnets need ` +
            `${layoutSize(privatePrefix)} (${azs} private /${privatePrefix} for ${sizing.nodes.max} nodes x ` +
            `${sizing.maxPodsPerNode + 1} addresses, ${azs} public /${publicSubnetPrefix}); ` +
            `use a /${prefixFor(layoutSize(privatePrefix))} or larger, or plan fewer workspaces`,
        );
      }
    }
    // Spend a larger user range on the private subnets: more room against IP depletion.
    while (privatePrefix > userVpc.prefix + 1 && layoutSize(privatePrefix - 1) <= cidrSize(userVpc)) privatePrefix--;
    vpc = userVpc;
  } else {
    const vpcPrefix = prefixFor(layoutSize(privatePrefix));
    if (vpcPrefix < 16) {
      throw new Error(
        `capacity.workspaces: ${sizing.workspaces} workspaces need ${layoutSize(privatePrefix)} VPC addresses, more ` +
          `than a /16 (AWS's largest VPC); plan fewer workspaces or fewer pods per node`,
      );
    }
    vpc = { base: parseCidr("10.0.0.0/8").base, prefix: vpcPrefix };
  }
  const vpcCidr = formatCidr(vpc);

  // The ranges, checked by planCapacity against the same sizing (size, overlap with the Services).
  const capacity = plan({
    ...args.capacity,
    podsInNodeNetwork: true,
    nodeCidr: vpcCidr,
    serviceCidr: args.serviceCidr,
  });
  const svc = parseCidr(capacity.services.cidr);
  if (cidrsOverlap(svc, vpc)) {
    throw new Error(
      `serviceCidr: ${capacity.services.cidr} overlaps vpcCidr ${vpcCidr}; choose ranges that do not overlap`,
    );
  }
  if (svc.prefix < 12) {
    throw new Error(
      `serviceCidr: the plan needs ${capacity.services.needed} Service addresses, more than EKS's largest range (/12); ` +
        `plan fewer dev URLs per workspace`,
    );
  }

  const privateSize = 2 ** (32 - privatePrefix);
  const publicSize = 2 ** (32 - publicSubnetPrefix);
  const privateSubnets = Array.from({ length: azs }, (_, i) =>
    formatCidr({ base: vpc.base + i * privateSize, prefix: privatePrefix }),
  );
  const publicSubnets = Array.from({ length: azs }, (_, i) =>
    formatCidr({ base: vpc.base + azs * privateSize + i * publicSize, prefix: publicSubnetPrefix }),
  );
  const internalLoadBalancerSubnets = Array.from({ length: lbSize > 0 ? azs : 0 }, (_, i) =>
    formatCidr({
      base: vpc.base + azs * privateSize + azs * publicSize + i * lbSize,
      prefix: internalLoadBalancerSubnetPrefix,
    }),
  );
  return {
    capacity,
    vpcCidr,
    serviceCidr: capacity.services.cidr,
    availabilityZones: azs,
    privateSubnets,
    publicSubnets,
    internalLoadBalancerSubnets,
    privateSubnetNeeded,
  };
}
