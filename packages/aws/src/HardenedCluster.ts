/**
 * A dedicated, hardened EKS cluster for Coder (cluster-dedicated): its own VPC sized by the capacity
 * plan, a private control plane with every log type kept and Secrets encrypted by a customer-managed
 * KMS key, nodes that pods cannot borrow credentials from, and the cloud-agnostic components of
 * `@hardened-coder/kubernetes` deployed through a provider for the new cluster.
 *
 * Dependency design: the Kubernetes objects (namespace, quotas, policies, StorageClass) depend on the
 * control plane and the admins' access entries only, never on the node group, so they are created
 * while the nodes boot. Add-ons that are DaemonSets (VPC CNI, kube-proxy, Pod Identity agent) come
 * before the nodes so a node is Ready as it joins; those that are Deployments (CoreDNS, EBS CSI) after.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import {
  type CapacityPlan,
  CoderControlPlane,
  type CoderControlPlaneArgs,
  type CoderExposureArgs,
  type CoderExternalAuthArgs,
  type CoderExtraContainer,
  type CoderOidcArgs,
  type CoderTlsArgs,
  CoderNamespace,
  type CoderNamespaceArgs,
  checkCoderControlPlaneArgs,
  WorkspaceAdmissionPolicy,
  type WorkspaceAdmissionPolicyArgs,
  WorkspaceNetworkPolicy,
  type WorkspaceNetworkPolicyArgs,
  managedByLabels,
  parseCidr,
  restrictedContainerSecurityContext,
} from "@hardened-coder/kubernetes";
import {
  autoscalingServiceLinkedRoleArn,
  eksAccessPolicyArn,
  logGroupArn,
  managedPolicyArn,
  principalArnFromCallerArn,
} from "./arn";
import {
  addonServiceAccounts,
  controlPlaneLogTypes,
  eksAddonImageAccount,
  isArmInstanceType,
  kubeconfig as buildKubeconfig,
  logRetentionDays as allowedRetentionDays,
  type NodeAmiType,
  nodeAmiTypes,
  nodeBlockDevices,
  type BlockDevice,
  requireClusterName,
  resolveKubernetesVersion,
  vpcCniConfiguration,
  vpcCniMaxPods,
} from "./eks";
import {
  CoderDatabase,
  type CoderDatabaseArgs,
  type CoderDatabaseBootstrapArgs,
  type CoderDatabaseConfig,
  defaultBootstrapImages,
  podIdentityAgentCidr,
  resolveCoderDatabaseArgs,
} from "./CoderDatabase";
import { EncryptedStorageClass } from "./EncryptedStorageClass";
import {
  ebsCsiKmsPolicy,
  eksAddonImagePullPolicy,
  eksClusterTrustPolicy,
  flowLogsDeliveryPolicy,
  flowLogsTrustPolicy,
  nodeTrustPolicy,
  podIdentityTrustPolicy,
  policyJson,
} from "./iam";
import { keyPolicy } from "./kms";
import { type ClusterCapacityArgs, type NetworkPlan, planNetwork } from "./network";
import {
  RegistryPullAccount,
  type RegistryPullAccountConfig,
  resolveRegistryPullAccountArgs,
} from "./RegistryPullAccount";

export const awsHardenedClusterToken = "hardened-coder:aws:HardenedCluster";

/** The default node instance type: 4 vCPU, 16 GiB, 58 pods with the VPC CNI. */
export const defaultNodeInstanceType = "m6i.xlarge";

export interface PublicAccessArgs {
  /**
   * The only source ranges that may reach the public API endpoint (e.g. your office's or CI's
   * egress). Required and non-empty; `0.0.0.0/0` or anything wider than a /8 is refused.
   * Serves roles-control-plane-access.
   */
  readonly allowedCidrs: readonly string[];
}

export interface NodeGroupArgs {
  /**
   * EC2 instance types of the managed node group (one architecture).
   * @default ["m6i.xlarge"]
   */
  readonly instanceTypes?: readonly string[];
  /**
   * The EKS-managed AMI family: Amazon Linux 2023 or Bottlerocket (node-user-accounts). Bottlerocket
   * has no shell or package manager and a read-only root; AL2023 is the EKS default.
   * @default "AL2023_x86_64_STANDARD" (or "AL2023_ARM_64_STANDARD" for Graviton instance types)
   */
  readonly amiType?: NodeAmiType;
  /**
   * Size of each node's data volume (root on AL2023, data volume on Bottlerocket) in GiB: images,
   * logs and every workspace's ephemeral storage (storage-depletion-ephemeral).
   * @default 100
   */
  readonly diskSizeGiB?: number;
  /**
   * `SPOT` is cheaper; a reclaimed node stops its workspaces.
   * @default "ON_DEMAND"
   */
  readonly capacityType?: "ON_DEMAND" | "SPOT";
  /**
   * Nodes replaced at once during a rolling update (node-upgrades).
   * @default 1
   */
  readonly maxUnavailable?: number;
  /**
   * Attach AmazonSSMManagedInstanceCore to the node role so admins can open audited Session Manager
   * shells on nodes. Costs: every pod that reaches the node's credentials could then use SSM's
   * permissions too (hop limit 1 keeps ordinary pods from them). Serves node-user-accounts.
   * @default false
   */
  readonly ssmAccess?: boolean;
}

/** The database of `coder`: RDS settings with a cost trade-off, and the bootstrap Job's images. */
export type HardenedClusterDatabaseArgs = Pick<
  CoderDatabaseArgs,
  | "identifier"
  | "engineVersion"
  | "instanceClass"
  | "allocatedStorageGiB"
  | "maxAllocatedStorageGiB"
  | "multiAz"
  | "backupRetentionDays"
  | "monitoringIntervalSeconds"
> & { readonly bootstrap?: CoderDatabaseBootstrapArgs };

/** coderd on the cluster, wired to a password-less RDS database. */
export interface HardenedClusterCoderArgs {
  /** The https URL users and workspace agents reach coderd at (its DNS name is yours to point). */
  readonly accessUrl: pulumi.Input<string>;
  /** The certificate coderd presents (see `CoderControlPlane`). */
  readonly tls: CoderTlsArgs;
  readonly oidc: CoderOidcArgs;
  readonly externalAuth?: readonly CoderExternalAuthArgs[];
  /**
   * How coderd is exposed. An internal NLB unless told otherwise; a public one only with
   * `allowedSourceRanges` (never 0.0.0.0/0). Serves network-external.
   * @default { type: "InternalLoadBalancer" }
   */
  readonly exposure?: CoderExposureArgs;
  /** The RDS database (see `CoderDatabase`). @default Multi-AZ db.m7g.large, PostgreSQL 17.7, 14 days of backups */
  readonly database?: HardenedClusterDatabaseArgs;
  /** Further `CoderControlPlane` settings (replicas, image, metrics, ...). @default {} */
  readonly controlPlane?: Omit<
    CoderControlPlaneArgs,
    | "accessUrl"
    | "tls"
    | "oidc"
    | "externalAuth"
    | "database"
    | "exposure"
    | "kubernetesApi"
    | "databaseCidrs"
    | "databasePort"
  >;
}

/** Annotations that make the in-tree controller and the AWS Load Balancer Controller build an internal NLB. */
export const awsInternalLoadBalancerAnnotations: Readonly<Record<string, string>> = {
  "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
  "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
  "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
};
/** The same for an internet-facing NLB (only with allowedSourceRanges). */
export const awsPublicLoadBalancerAnnotations: Readonly<Record<string, string>> = {
  "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
  "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing",
};

/** Where coderd keeps the RDS CA bundle its init container fetches (libpq's PGSSLROOTCERT). */
export const coderdRdsCaPath = "/tmp/rds-ca.pem";

export interface HardenedClusterArgs {
  /**
   * EKS cluster name (unique per account and region); also names the log groups.
   * @default the component's resource name
   */
  readonly clusterName?: string;
  /**
   * Kubernetes `major.minor`. Serves node-upgrades.
   * @default defaultKubernetesVersion ("1.36")
   */
  readonly kubernetesVersion?: string;
  /**
   * Let the cluster stay on a version past standard support (EKS extended support, billed per
   * hour). Off, EKS upgrades the control plane itself when standard support ends. Serves node-upgrades.
   * @default false
   */
  readonly extendedSupport?: boolean;
  /**
   * Sizing: concurrent workspaces, pods and dev URLs per workspace, headroom, workspaces per node.
   * The VPC's subnets, the Service range, the node group's bounds and the namespace quota all come
   * from it. Serves network-ip-depletion-pods / -services.
   * @default planCapacity's defaults (50 workspaces, 50% headroom); maxPodsPerNode from the instance type
   */
  readonly capacity?: ClusterCapacityArgs;
  /**
   * The VPC range (RFC 1918 or 100.64.0.0/10, /16 to /28). A range larger than the plan needs
   * gives the private subnets the room. Serves network-ip-depletion-pods.
   * @default the smallest block from 10.0.0.0 that holds the plan
   */
  readonly vpcCidr?: string;
  /**
   * The Kubernetes Service range (`serviceIpv4Cidr`, /12 to /24, outside the VPC). Serves
   * network-ip-depletion-services.
   * @default the plan's, from 172.20.0.0
   */
  readonly serviceCidr?: string;
  /**
   * Availability zones for subnets and nodes (2 to 6).
   * @default 3
   */
  readonly availabilityZones?: number;
  /**
   * `"single"` saves two NAT gateways' cost; then one zone's outage cuts every node's egress.
   * @default "per-zone"
   */
  readonly natGateways?: "per-zone" | "single";
  /**
   * Open the API endpoint to the internet for these source ranges only. Without it the endpoint is
   * private: reachable from the VPC (a bastion, SSM, a VPN, or `privateAccessCidrs`). Serves
   * roles-control-plane-access.
   * @default none (private endpoint only)
   */
  readonly publicAccess?: PublicAccessArgs;
  /**
   * Networks routed into the VPC (VPN, peering, Transit Gateway) allowed to reach the private
   * endpoint on 443, through the cluster security group. Serves roles-control-plane-access.
   * @default [] (only the VPC's own members, through the cluster security group)
   */
  readonly privateAccessCidrs?: readonly string[];
  /**
   * IAM role or user ARNs that get cluster-admin through EKS access entries (the only admins:
   * `bootstrapClusterCreatorAdminPermissions` is off). A role session ARN is converted to its role.
   * Whoever runs `pulumi up` must be among them, or the stack cannot deploy its Kubernetes objects.
   * Serves roles-cluster-admins.
   * @default [the deploying identity] (from getCallerIdentity, as an explicit, visible entry)
   */
  readonly admins?: readonly pulumi.Input<string>[];
  /** The managed node group. */
  readonly nodes?: NodeGroupArgs;
  /**
   * Days CloudWatch keeps control-plane and flow logs (one of CloudWatch's allowed values).
   * Serves roles-control-plane-access.
   * @default 365
   */
  readonly logRetentionDays?: number;
  /**
   * Days a deleted KMS key waits before it is gone (7 to 30).
   * @default 30
   */
  readonly keyDeletionWindowDays?: number;
  /**
   * Create EC2 Auto Scaling's service-linked role, which the key policy names so that nodes' root
   * volumes can be encrypted. It exists in every account that has used Auto Scaling; creating it
   * again fails, so this is off unless your account is new.
   * @default false
   */
  readonly createAutoscalingServiceLinkedRole?: boolean;
  /**
   * ECR repositories (names) for approved workspace images, pullable by the nodes only
   * (registry-dedicated-account).
   * @default [`${clusterName}/workspaces`]
   */
  readonly repositories?: readonly string[];
  /**
   * Image prefixes approved besides the repositories. Each widens what workspaces may run
   * (registry-approved-images).
   * @default []
   */
  readonly approvedImages?: readonly string[];
  /**
   * Let ECR tags be overwritten. Costs: an approved tag can be re-pointed to an unreviewed image.
   * @default false
   */
  readonly mutableTags?: boolean;
  /**
   * The workspace namespace (`CoderNamespace`), except its sizing, which comes from `capacity`.
   * @default { name: the component's resource name }
   */
  readonly namespace?: Omit<
    CoderNamespaceArgs,
    "capacity" | "workspaces" | "podsPerWorkspace" | "devUrlsPerWorkspace" | "headroomPercent"
  >;
  /**
   * The workspace NetworkPolicies (`WorkspaceNetworkPolicy`), except the namespace.
   * @default default-deny, egress to the internet without metadata and private ranges
   */
  readonly networkPolicy?: Omit<WorkspaceNetworkPolicyArgs, "namespace">;
  /**
   * The admission policy (`WorkspaceAdmissionPolicy`), except the namespace and approved images.
   * @default approved images = the repositories plus `approvedImages`
   */
  readonly admissionPolicy?: Omit<WorkspaceAdmissionPolicyArgs, "namespace" | "approvedImages">;
  /**
   * Name of the encrypted default StorageClass.
   * @default "encrypted-gp3"
   */
  readonly storageClassName?: string;
  /**
   * An AWS CLI profile the kubeconfig's `aws eks get-token` uses (sets AWS_PROFILE).
   * @default none (the environment's credentials)
   */
  readonly kubeconfigProfile?: string;
  /** Tags for every AWS resource. */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * Deploy coderd too: an RDS database in the private subnets, coderd wired to it with
   * `CODER_PG_AUTH=awsiamrds` (no password anywhere), the workspace namespace bound to coderd, and
   * coderd on an internal NLB. Without it nothing of coderd is created.
   * @default unset
   */
  readonly coder?: HardenedClusterCoderArgs;
}

export interface NodeGroupConfig {
  readonly instanceTypes: readonly string[];
  readonly amiType: NodeAmiType;
  readonly diskSizeGiB: number;
  readonly blockDevices: readonly BlockDevice[];
  readonly capacityType: "ON_DEMAND" | "SPOT";
  readonly maxUnavailable: number;
  readonly ssmAccess: boolean;
  readonly scaling: { readonly minSize: number; readonly desiredSize: number; readonly maxSize: number };
  /** IMDSv2 only, and a hop limit of 1: a pod (one hop further) gets no token (node-cloud-access). */
  readonly metadataOptions: {
    readonly httpEndpoint: "enabled";
    readonly httpTokens: "required";
    readonly httpPutResponseHopLimit: 1;
    readonly instanceMetadataTags: "disabled";
  };
}

export interface HardenedClusterConfig {
  readonly clusterName: string;
  readonly kubernetesVersion: string;
  readonly supportType: "STANDARD" | "EXTENDED";
  readonly network: NetworkPlan;
  readonly capacity: CapacityPlan;
  readonly natGateways: "per-zone" | "single";
  readonly endpoint: {
    readonly privateAccess: true;
    readonly publicAccess: boolean;
    readonly publicAccessCidrs: readonly string[];
  };
  readonly privateAccessCidrs: readonly string[];
  /** Plain admin ARNs (converted to principals), plus any that arrive as Outputs; "deployer" when unset. */
  readonly admins: "deployer" | readonly pulumi.Input<string>[];
  readonly nodes: NodeGroupConfig;
  readonly logRetentionDays: number;
  readonly keyDeletionWindowDays: number;
  readonly createAutoscalingServiceLinkedRole: boolean;
  readonly logGroups: { readonly controlPlane: string; readonly flowLogs: string };
  readonly registry: RegistryPullAccountConfig;
  readonly approvedImages: readonly string[];
  readonly storageClassName: string;
  readonly namespaceName: string;
  readonly tags: Readonly<Record<string, string>>;
  /** Present when `coder` is given. */
  readonly coder?: {
    readonly coderdNamespace: string;
    readonly coderdServiceAccount: string;
    readonly database: CoderDatabaseConfig;
    readonly exposure: CoderExposureArgs;
  };
}

function requireCidrList(field: string, cidrs: readonly string[]): string[] {
  return cidrs.map((c, i) => {
    const parsed = parseCidr(c, `${field}[${i}]`);
    if (parsed.prefix < 8) {
      throw new Error(
        `${field}[${i}]: ${c} opens the API endpoint to ${parsed.prefix === 0 ? "the whole internet" : "a large part of the internet"}; ` +
          `list only the source ranges that need it (your VPN's or CI's egress, a /8 or narrower)`,
      );
    }
    return c;
  });
}

function resolveInstanceTypes(nodes: NodeGroupArgs): readonly string[] {
  const instanceTypes = nodes.instanceTypes ?? [defaultNodeInstanceType];
  if (instanceTypes.length === 0) {
    throw new Error(`nodes.instanceTypes: empty; list at least one instance type, e.g. ["${defaultNodeInstanceType}"]`);
  }
  for (const [i, t] of instanceTypes.entries()) {
    if (!/^[a-z][a-z0-9-]*\.[a-z0-9-]+$/.test(t)) {
      throw new Error(
        `nodes.instanceTypes[${i}]: "${t}" is not an EC2 instance type; write e.g. "${defaultNodeInstanceType}"`,
      );
    }
  }
  const arm = instanceTypes.map(isArmInstanceType);
  if (arm.some((a) => a !== arm[0])) {
    throw new Error(
      `nodes.instanceTypes: ${instanceTypes.join(", ")} mix ARM (Graviton) and x86 types; a node group runs one architecture`,
    );
  }
  return instanceTypes;
}

function resolveNodes(nodes: NodeGroupArgs, capacity: CapacityPlan): NodeGroupConfig {
  const instanceTypes = resolveInstanceTypes(nodes);
  const arm = instanceTypes.map(isArmInstanceType);
  const amiType = nodes.amiType ?? (arm[0] ? "AL2023_ARM_64_STANDARD" : "AL2023_x86_64_STANDARD");
  if (!nodeAmiTypes.includes(amiType)) {
    throw new Error(`nodes.amiType: "${String(amiType)}" is not allowed; use one of ${nodeAmiTypes.join(", ")}`);
  }
  if (amiType.includes("ARM") !== arm[0]) {
    throw new Error(
      `nodes.amiType: ${amiType} does not match the ${arm[0] ? "ARM" : "x86"} instance types ${instanceTypes.join(", ")}`,
    );
  }
  const diskSizeGiB = nodes.diskSizeGiB ?? 100;
  if (!Number.isInteger(diskSizeGiB) || diskSizeGiB < 20 || diskSizeGiB > 16384) {
    throw new Error(`nodes.diskSizeGiB: ${diskSizeGiB} is out of range; use a whole number from 20 to 16384`);
  }
  const capacityType = nodes.capacityType ?? "ON_DEMAND";
  if (capacityType !== "ON_DEMAND" && capacityType !== "SPOT") {
    throw new Error(`nodes.capacityType: "${String(capacityType)}" is not allowed; use "ON_DEMAND" or "SPOT"`);
  }
  const maxUnavailable = nodes.maxUnavailable ?? 1;
  if (!Number.isInteger(maxUnavailable) || maxUnavailable < 1 || maxUnavailable > 100) {
    throw new Error(`nodes.maxUnavailable: ${maxUnavailable} is out of range; use a whole number from 1 to 100`);
  }
  return {
    instanceTypes,
    amiType,
    diskSizeGiB,
    blockDevices: nodeBlockDevices(amiType, diskSizeGiB),
    capacityType,
    maxUnavailable,
    ssmAccess: nodes.ssmAccess ?? false,
    scaling: { minSize: capacity.nodes.min, desiredSize: capacity.nodes.desired, maxSize: capacity.nodes.max },
    metadataOptions: {
      httpEndpoint: "enabled",
      httpTokens: "required",
      httpPutResponseHopLimit: 1,
      instanceMetadataTags: "disabled",
    },
  };
}

/** Max pods per node for the plan: the user's, else what EKS sets for the instance types. */
function maxPodsFor(args: HardenedClusterArgs): number {
  const types = resolveInstanceTypes(args.nodes ?? {});
  if (args.capacity?.maxPodsPerNode !== undefined) return args.capacity.maxPodsPerNode;
  const known = types.map((t) => [t, vpcCniMaxPods(t)] as const);
  const unknown = known.filter(([, n]) => n === undefined).map(([t]) => t);
  if (unknown.length > 0) {
    throw new Error(
      `capacity.maxPodsPerNode: unset, and the max pods of ${unknown.join(", ")} is not known here; set it to what ` +
        `EKS gives that instance type (ENIs x (IPv4 per ENI - 1) + 2, at most 110 below 30 vCPUs)`,
    );
  }
  // The largest one: the subnets must hold the pods of whichever type the node group launches.
  return Math.max(...known.map(([, n]) => n!));
}

/**
 * Fills defaults and refuses unsafe or inconsistent values, naming the field, the bad value and the
 * fix. Pure: no Pulumi resources (admins that arrive as Outputs are checked when known).
 */
export function resolveHardenedClusterArgs(args: HardenedClusterArgs, resourceName: string): HardenedClusterConfig {
  const clusterName = requireClusterName(
    args.clusterName === undefined ? "clusterName (defaults to the resource name)" : "clusterName",
    args.clusterName ?? resourceName,
  );
  const kubernetesVersion = resolveKubernetesVersion(args.kubernetesVersion);
  const network = planNetwork({
    capacity: { ...args.capacity, maxPodsPerNode: maxPodsFor(args) },
    vpcCidr: args.vpcCidr,
    serviceCidr: args.serviceCidr,
    availabilityZones: args.availabilityZones,
    internalLoadBalancerSubnets: args.coder !== undefined,
  });
  const natGateways = args.natGateways ?? "per-zone";
  if (natGateways !== "per-zone" && natGateways !== "single") {
    throw new Error(`natGateways: "${String(natGateways)}" is not allowed; use "per-zone" or "single"`);
  }

  let publicAccessCidrs: string[] = [];
  if (args.publicAccess !== undefined) {
    const cidrs = args.publicAccess.allowedCidrs as readonly string[] | undefined;
    if (!Array.isArray(cidrs) || cidrs.length === 0) {
      throw new Error(
        "publicAccess.allowedCidrs: empty, which EKS reads as 0.0.0.0/0 (the whole internet); list the source " +
          "ranges that need the public endpoint, or leave publicAccess out to keep the endpoint private",
      );
    }
    publicAccessCidrs = requireCidrList("publicAccess.allowedCidrs", cidrs);
  }
  const privateAccessCidrs = requireCidrList("privateAccessCidrs", args.privateAccessCidrs ?? []);

  let admins: HardenedClusterConfig["admins"] = "deployer";
  if (args.admins !== undefined) {
    if (args.admins.length === 0) {
      throw new Error(
        "admins: an empty list leaves no one able to reach the cluster (and this stack could not deploy its " +
          "Kubernetes objects); list at least one IAM role or user ARN, or leave admins out for the deploying identity",
      );
    }
    admins = args.admins.map((a, i) => (typeof a === "string" ? principalArnFromCallerArn(a, `admins[${i}]`) : a));
    const plain = admins.filter((a): a is string => typeof a === "string");
    const dup = plain.find((a, i) => plain.indexOf(a) !== i);
    if (dup) throw new Error(`admins: ${dup} is listed twice; list each principal once`);
  }

  const logRetentionDays = args.logRetentionDays ?? 365;
  if (!(allowedRetentionDays as readonly number[]).includes(logRetentionDays)) {
    throw new Error(
      `logRetentionDays: ${logRetentionDays} is not a CloudWatch retention period; use one of ${allowedRetentionDays.join(", ")}`,
    );
  }
  const keyDeletionWindowDays = args.keyDeletionWindowDays ?? 30;
  if (!Number.isInteger(keyDeletionWindowDays) || keyDeletionWindowDays < 7 || keyDeletionWindowDays > 30) {
    throw new Error(`keyDeletionWindowDays: ${keyDeletionWindowDays} is out of range; use 7 to 30`);
  }

  const registry = resolveRegistryPullAccountArgs(
    { repositories: args.repositories, mutableTags: args.mutableTags, tags: args.tags },
    clusterName,
  );
  for (const [i, p] of (args.approvedImages ?? []).entries()) {
    if (typeof p !== "string" || p.trim() === "") {
      throw new Error(
        `approvedImages[${i}]: ${JSON.stringify(p)} is not an image prefix; write e.g. "registry.example.com/team/"`,
      );
    }
  }
  const storageClassName = args.storageClassName ?? "encrypted-gp3";
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(storageClassName) || storageClassName.length > 253) {
    throw new Error(
      `storageClassName: "${storageClassName}" is not a valid StorageClass name; use lower-case letters, digits, '-' and '.'`,
    );
  }

  const coder = args.coder ? resolveCoder(args.coder, clusterName) : undefined;

  return {
    clusterName,
    kubernetesVersion,
    supportType: args.extendedSupport ? "EXTENDED" : "STANDARD",
    network,
    capacity: network.capacity,
    natGateways,
    endpoint: { privateAccess: true, publicAccess: publicAccessCidrs.length > 0, publicAccessCidrs },
    privateAccessCidrs,
    admins,
    nodes: resolveNodes(args.nodes ?? {}, network.capacity),
    logRetentionDays,
    keyDeletionWindowDays,
    createAutoscalingServiceLinkedRole: args.createAutoscalingServiceLinkedRole ?? false,
    logGroups: { controlPlane: `/aws/eks/${clusterName}/cluster`, flowLogs: `/aws/vpc-flow-logs/${clusterName}` },
    registry,
    approvedImages: [...(args.approvedImages ?? [])],
    storageClassName,
    namespaceName: args.namespace?.name ?? resourceName,
    tags: { "hardened-coder/cluster": clusterName, ...args.tags },
    ...(coder ? { coder } : {}),
  };
}

/** Re-words a component's error in the field names of `coder`. */
function underCoder(prefix: string, err: unknown): Error {
  // The bootstrap settings are `coder.database.bootstrap` here (CoderDatabase's `iamAuth.bootstrap`).
  const message = (err instanceof Error ? err.message : String(err)).replace(/^iamAuth\.bootstrap\./, "bootstrap.");
  return new Error(/^[A-Za-z][\w.[\]]*: /.test(message) ? `${prefix}.${message}` : `${prefix}: ${message}`);
}

/** The exposure with the AWS load balancer annotations; a public one needs source ranges. */
function awsExposure(exposure: CoderExposureArgs | undefined): CoderExposureArgs {
  const e = exposure ?? { type: "InternalLoadBalancer" as const };
  switch (e.type) {
    case "InternalLoadBalancer":
      return { ...e, annotations: { ...e.annotations, ...awsInternalLoadBalancerAnnotations } };
    case "PublicLoadBalancer": {
      const ranges = e.allowedSourceRanges as readonly string[] | undefined;
      if (!Array.isArray(ranges) || ranges.length === 0) {
        throw new Error(
          "coder.exposure.allowedSourceRanges: a public load balancer needs the source ranges allowed to reach coderd " +
            "(your users' egress); leave exposure out for an internal NLB",
        );
      }
      for (const [i, r] of (ranges as readonly string[]).entries()) {
        if (parseCidr(r, `coder.exposure.allowedSourceRanges[${i}]`).prefix < 8) {
          throw new Error(
            `coder.exposure.allowedSourceRanges[${i}]: ${r} opens coderd to the internet at large; list your users' ranges`,
          );
        }
      }
      return { ...e, annotations: { ...e.annotations, ...awsPublicLoadBalancerAnnotations } };
    }
    default:
      return e;
  }
}

const stand = "pending";
/** coderd's args with the cluster's wiring, for checking before anything registers. */
function resolveCoder(
  coder: HardenedClusterCoderArgs,
  clusterName: string,
): NonNullable<HardenedClusterConfig["coder"]> {
  const exposure = awsExposure(coder.exposure);
  const coderdNamespace = coder.controlPlane?.namespace ?? "coderd";
  const coderdServiceAccount = coder.controlPlane?.serviceAccountName ?? "coder";
  let database: CoderDatabaseConfig;
  try {
    database = resolveCoderDatabaseArgs(
      {
        ...coder.database,
        subnetIds: [stand, `${stand}-2`],
        iamAuth: {
          clusterName,
          coderdNamespace,
          coderdServiceAccount,
          ...(coder.database?.bootstrap ? { bootstrap: coder.database.bootstrap } : {}),
        },
      },
      `${clusterName.toLowerCase().replace(/_/g, "-")}-db`,
    );
  } catch (err) {
    throw underCoder("coder.database", err);
  }
  try {
    checkCoderControlPlaneArgs({
      ...coder.controlPlane,
      accessUrl: coder.accessUrl,
      tls: coder.tls,
      oidc: coder.oidc,
      ...(coder.externalAuth ? { externalAuth: coder.externalAuth } : {}),
      exposure,
      database: {
        auth: "awsiamrds",
        host: `${stand}.invalid`,
        user: database.iamUser,
        database: database.databaseName,
      },
    });
  } catch (err) {
    throw underCoder("coder", err);
  }
  return { coderdNamespace, coderdServiceAccount, database, exposure };
}

/** The EKS add-ons this stack manages; which come before the nodes and which after. */
export const managedAddons = {
  beforeNodes: ["eks-pod-identity-agent", "vpc-cni", "kube-proxy"],
  afterNodes: ["coredns", "aws-ebs-csi-driver"],
} as const;

/**
 * A dedicated, hardened EKS cluster for Coder with the workspace namespace, its policies, an
 * encrypted default StorageClass and an approved-images registry.
 *
 * ```ts
 * const cluster = new aws.HardenedCluster("coder", {});
 * export const kubeconfig = cluster.kubeconfig; // a Pulumi secret
 * ```
 */
export class HardenedCluster extends pulumi.ComponentResource {
  /** A kubeconfig using `aws eks get-token` (no static credential), as a Pulumi secret. */
  public readonly kubeconfig: pulumi.Output<string>;
  /** The Kubernetes provider for the new cluster; pass it to anything else you deploy there. */
  public readonly provider: k8s.Provider;
  public readonly clusterName: pulumi.Output<string>;
  public readonly clusterArn: pulumi.Output<string>;
  public readonly endpoint: pulumi.Output<string>;
  /** The OIDC issuer URL of the cluster (for IRSA, if you need it besides Pod Identity). */
  public readonly oidcIssuer: pulumi.Output<string>;
  public readonly clusterSecurityGroupId: pulumi.Output<string>;
  public readonly namespace: CoderNamespace;
  public readonly storageClass: EncryptedStorageClass;
  public readonly networkPolicy: WorkspaceNetworkPolicy;
  public readonly admissionPolicy: WorkspaceAdmissionPolicy;
  public readonly registry: RegistryPullAccount;
  /** coderd, when `coder` is given. */
  public readonly coderd?: CoderControlPlane;
  /** coderd's RDS database, when `coder` is given. */
  public readonly database?: CoderDatabase;
  /** The internal load balancer subnets (coderd's NLB), when `coder` is given. */
  public readonly internalLoadBalancerSubnets: aws.ec2.Subnet[];
  /** The capacity plan the network, node group and quota were sized from. */
  public readonly capacity: CapacityPlan;
  /** The VPC layout planned from it. */
  public readonly network: NetworkPlan;
  public readonly vpcId: pulumi.Output<string>;
  public readonly privateSubnetIds: pulumi.Output<string[]>;
  public readonly publicSubnetIds: pulumi.Output<string[]>;
  public readonly kmsKeyArn: pulumi.Output<string>;
  public readonly nodeRoleArn: pulumi.Output<string>;
  public readonly nodeRoleName: pulumi.Output<string>;
  /** The principals with cluster-admin access entries. */
  public readonly adminArns: pulumi.Output<string[]>;
  public readonly region: pulumi.Output<string>;
  public readonly accountId: pulumi.Output<string>;
  public readonly partition: pulumi.Output<string>;

  public readonly cluster: aws.eks.Cluster;
  public readonly nodeGroup: aws.eks.NodeGroup;
  public readonly launchTemplate: aws.ec2.LaunchTemplate;
  public readonly kmsKey: aws.kms.Key;
  public readonly vpc: aws.ec2.Vpc;
  public readonly privateSubnets: aws.ec2.Subnet[];
  public readonly publicSubnets: aws.ec2.Subnet[];
  public readonly controlPlaneLogGroup: aws.cloudwatch.LogGroup;
  public readonly flowLogGroup: aws.cloudwatch.LogGroup;
  public readonly flowLog: aws.ec2.FlowLog;
  public readonly defaultSecurityGroup: aws.ec2.DefaultSecurityGroup;
  public readonly clusterRole: aws.iam.Role;
  public readonly nodeRole: aws.iam.Role;
  public readonly vpcCniRole: aws.iam.Role;
  public readonly ebsCsiRole: aws.iam.Role;
  public readonly accessEntries: aws.eks.AccessEntry[];
  public readonly accessPolicyAssociations: aws.eks.AccessPolicyAssociation[];
  public readonly addons: Readonly<Record<string, aws.eks.Addon>>;
  public readonly podIdentityAssociations: Readonly<Record<string, aws.eks.PodIdentityAssociation>>;

  constructor(name: string, args: HardenedClusterArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    const config = resolveHardenedClusterArgs(args, name);
    super(awsHardenedClusterToken, name, {}, opts);
    const parent = { parent: this };
    const tags = config.tags;
    this.capacity = config.capacity;
    this.network = config.network;

    const partition = aws.getPartitionOutput({}, parent).partition;
    const identity = aws.getCallerIdentityOutput({}, parent);
    const accountId = identity.accountId;
    const region = aws.getRegionOutput({}, parent).region;
    const zones = aws.getAvailabilityZonesOutput(
      { state: "available", filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }] },
      parent,
    ).names;
    this.partition = partition;
    this.accountId = accountId;
    this.region = region;
    const policyArn = (n: string) => partition.apply((p) => managedPolicyArn(p, n));

    // ---- IAM roles: created first, so the key policy can name them. ----
    this.clusterRole = new aws.iam.Role(
      `${name}-cluster`,
      { assumeRolePolicy: policyJson(eksClusterTrustPolicy()), tags },
      parent,
    );
    const clusterPolicy = new aws.iam.RolePolicyAttachment(
      `${name}-cluster-policy`,
      { role: this.clusterRole.name, policyArn: policyArn("AmazonEKSClusterPolicy") },
      parent,
    );

    // Nodes get only what a node needs: no CNI, no ECR-wide read, no EBS, no SSM unless asked.
    this.nodeRole = new aws.iam.Role(`${name}-node`, { assumeRolePolicy: policyJson(nodeTrustPolicy()), tags }, parent);
    const nodePolicies: pulumi.Resource[] = [
      new aws.iam.RolePolicyAttachment(
        `${name}-node-worker`,
        { role: this.nodeRole.name, policyArn: policyArn("AmazonEKSWorkerNodePolicy") },
        parent,
      ),
      new aws.iam.RolePolicy(
        `${name}-node-addon-images`,
        {
          role: this.nodeRole.name,
          name: "pull-eks-addon-images",
          policy: pulumi
            .all([partition, region])
            .apply(([p, r]) => policyJson(eksAddonImagePullPolicy(p, eksAddonImageAccount(r)))),
        },
        parent,
      ),
    ];
    if (config.nodes.ssmAccess) {
      nodePolicies.push(
        new aws.iam.RolePolicyAttachment(
          `${name}-node-ssm`,
          { role: this.nodeRole.name, policyArn: policyArn("AmazonSSMManagedInstanceCore") },
          parent,
        ),
      );
    }

    // Controllers that call AWS get a Pod Identity role each, scoped to their ServiceAccount.
    const podRole = (id: string, subject: { namespace: string; serviceAccount: string }) =>
      new aws.iam.Role(
        `${name}-${id}`,
        {
          assumeRolePolicy: policyJson(podIdentityTrustPolicy({ clusterName: config.clusterName, ...subject })),
          tags,
        },
        parent,
      );
    this.vpcCniRole = podRole("vpc-cni", addonServiceAccounts.vpcCni);
    const vpcCniPolicy = new aws.iam.RolePolicyAttachment(
      `${name}-vpc-cni-policy`,
      { role: this.vpcCniRole.name, policyArn: policyArn("AmazonEKS_CNI_Policy") },
      parent,
    );
    this.ebsCsiRole = podRole("ebs-csi", addonServiceAccounts.ebsCsi);
    const ebsCsiPolicy = new aws.iam.RolePolicyAttachment(
      `${name}-ebs-csi-policy`,
      { role: this.ebsCsiRole.name, policyArn: policyArn("service-role/AmazonEBSCSIDriverPolicy") },
      parent,
    );

    const autoscalingRole = config.createAutoscalingServiceLinkedRole
      ? new aws.iam.ServiceLinkedRole(`${name}-autoscaling`, { awsServiceName: "autoscaling.amazonaws.com" }, parent)
      : undefined;

    // ---- The customer-managed key: Secrets, node volumes, workspace volumes, logs, images. ----
    const logGroupNames = [
      config.logGroups.controlPlane,
      config.logGroups.flowLogs,
      ...(config.coder?.database.logGroupNames ?? []),
    ];
    const logGroupArns = pulumi
      .all([partition, region, accountId])
      .apply(([p, r, a]) => logGroupNames.map((n) => logGroupArn(p, r, a, n)));
    this.kmsKey = new aws.kms.Key(
      `${name}-key`,
      {
        description: `hardened-coder ${config.clusterName}: EKS Secrets, EBS volumes, ECR images and logs`,
        enableKeyRotation: true,
        deletionWindowInDays: config.keyDeletionWindowDays,
        policy: pulumi
          .all([partition, accountId, region, this.clusterRole.arn, this.ebsCsiRole.arn, logGroupArns])
          .apply(([p, a, r, clusterRoleArn, ebsCsiRoleArn, logs]) =>
            policyJson(
              keyPolicy({
                partition: p,
                accountId: a,
                region: r,
                clusterRoleArn,
                volumeRoleArns: [ebsCsiRoleArn, autoscalingServiceLinkedRoleArn(p, a)],
                logGroupArns: logs,
                // coderd's database: RDS (storage, Performance Insights) and its Secrets Manager master secret.
                ...(config.coder ? { viaServices: ["rds", "secretsmanager"] } : {}),
              }),
            ),
          ),
        tags,
      },
      { parent: this, dependsOn: autoscalingRole ? [autoscalingRole] : [] },
    );
    new aws.kms.Alias(
      `${name}-key`,
      { name: `alias/${config.clusterName}-eks`, targetKeyId: this.kmsKey.keyId },
      parent,
    );
    this.kmsKeyArn = this.kmsKey.arn;
    new aws.iam.RolePolicy(
      `${name}-ebs-csi-kms`,
      {
        role: this.ebsCsiRole.name,
        name: "ebs-volumes-on-stack-key",
        policy: this.kmsKey.arn.apply((k) => policyJson(ebsCsiKmsPolicy(k))),
      },
      parent,
    );

    const logGroup = (id: string, logName: string) =>
      new aws.cloudwatch.LogGroup(
        `${name}-${id}`,
        { name: logName, retentionInDays: config.logRetentionDays, kmsKeyId: this.kmsKey.arn, tags },
        parent,
      );
    this.controlPlaneLogGroup = logGroup("control-plane-logs", config.logGroups.controlPlane);
    this.flowLogGroup = logGroup("flow-logs", config.logGroups.flowLogs);

    // ---- Network: a dedicated VPC sized by the plan. ----
    const plan = config.network;
    this.vpc = new aws.ec2.Vpc(
      `${name}-vpc`,
      {
        cidrBlock: plan.vpcCidr,
        enableDnsHostnames: true,
        enableDnsSupport: true,
        tags: { ...tags, Name: config.clusterName },
      },
      parent,
    );
    this.vpcId = this.vpc.id;
    // No rules at all: nothing that lands in the default group by mistake can talk to anything.
    this.defaultSecurityGroup = new aws.ec2.DefaultSecurityGroup(
      `${name}-default-sg`,
      { vpcId: this.vpc.id, tags: { ...tags, Name: `${config.clusterName}-default-deny` } },
      parent,
    );
    const flowLogsRole = new aws.iam.Role(
      `${name}-flow-logs`,
      { assumeRolePolicy: accountId.apply((a) => policyJson(flowLogsTrustPolicy(a))), tags },
      parent,
    );
    const flowLogsDelivery = new aws.iam.RolePolicy(
      `${name}-flow-logs`,
      {
        role: flowLogsRole.name,
        name: "deliver-flow-logs",
        policy: this.flowLogGroup.arn.apply((arn) => policyJson(flowLogsDeliveryPolicy(arn))),
      },
      parent,
    );
    this.flowLog = new aws.ec2.FlowLog(
      `${name}-flow-log`,
      {
        vpcId: this.vpc.id,
        trafficType: "ALL",
        logDestinationType: "cloud-watch-logs",
        logDestination: this.flowLogGroup.arn,
        iamRoleArn: flowLogsRole.arn,
        maxAggregationInterval: 60,
        tags,
      },
      { parent: this, dependsOn: [flowLogsDelivery] },
    );

    const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: this.vpc.id, tags }, parent);
    const zoneName = (i: number) =>
      zones.apply((names) => {
        if (names.length < plan.availabilityZones) {
          throw new Error(
            `availabilityZones: ${plan.availabilityZones} requested but the region has ${names.length} ` +
              `(${names.join(", ")}); use ${names.length} or fewer`,
          );
        }
        return names[i]!;
      });
    const clusterTag = `kubernetes.io/cluster/${config.clusterName}`;
    this.publicSubnets = plan.publicSubnets.map(
      (cidr, i) =>
        new aws.ec2.Subnet(
          `${name}-public-${i}`,
          {
            vpcId: this.vpc.id,
            cidrBlock: cidr,
            availabilityZone: zoneName(i),
            // Public subnets hold NAT gateways and internet-facing load balancers, never nodes.
            mapPublicIpOnLaunch: false,
            tags: {
              ...tags,
              Name: `${config.clusterName}-public-${i}`,
              "kubernetes.io/role/elb": "1",
              [clusterTag]: "shared",
            },
          },
          parent,
        ),
    );
    this.privateSubnets = plan.privateSubnets.map(
      (cidr, i) =>
        new aws.ec2.Subnet(
          `${name}-private-${i}`,
          {
            vpcId: this.vpc.id,
            cidrBlock: cidr,
            availabilityZone: zoneName(i),
            mapPublicIpOnLaunch: false,
            tags: {
              ...tags,
              Name: `${config.clusterName}-private-${i}`,
              // With coderd, internal load balancers get their own subnets (below) instead.
              ...(config.coder ? {} : { "kubernetes.io/role/internal-elb": "1" }),
              [clusterTag]: "shared",
            },
          },
          parent,
        ),
    );
    // Only internal load balancers live here, so workspaces may reach coderd's NLB and nothing else.
    this.internalLoadBalancerSubnets = plan.internalLoadBalancerSubnets.map(
      (cidr, i) =>
        new aws.ec2.Subnet(
          `${name}-internal-lb-${i}`,
          {
            vpcId: this.vpc.id,
            cidrBlock: cidr,
            availabilityZone: zoneName(i),
            mapPublicIpOnLaunch: false,
            tags: {
              ...tags,
              Name: `${config.clusterName}-internal-lb-${i}`,
              "kubernetes.io/role/internal-elb": "1",
              [clusterTag]: "shared",
            },
          },
          parent,
        ),
    );
    this.privateSubnetIds = pulumi.all(this.privateSubnets.map((s) => s.id));
    this.publicSubnetIds = pulumi.all(this.publicSubnets.map((s) => s.id));

    const publicRoutes = new aws.ec2.RouteTable(
      `${name}-public`,
      { vpcId: this.vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags },
      parent,
    );
    this.publicSubnets.forEach(
      (s, i) =>
        new aws.ec2.RouteTableAssociation(
          `${name}-public-${i}`,
          { subnetId: s.id, routeTableId: publicRoutes.id },
          parent,
        ),
    );
    const natCount = config.natGateways === "per-zone" ? plan.availabilityZones : 1;
    const nats = Array.from({ length: natCount }, (_, i) => {
      const eip = new aws.ec2.Eip(`${name}-nat-${i}`, { domain: "vpc", tags }, parent);
      return new aws.ec2.NatGateway(
        `${name}-nat-${i}`,
        { allocationId: eip.id, subnetId: this.publicSubnets[i]!.id, tags },
        { parent: this, dependsOn: [igw] },
      );
    });
    this.privateSubnets.forEach((s, i) => {
      const routes = new aws.ec2.RouteTable(
        `${name}-private-${i}`,
        { vpcId: this.vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nats[i % natCount]!.id }], tags },
        parent,
      );
      new aws.ec2.RouteTableAssociation(`${name}-private-${i}`, { subnetId: s.id, routeTableId: routes.id }, parent);
    });

    // ---- Control plane. ----
    this.cluster = new aws.eks.Cluster(
      `${name}-eks`,
      {
        name: config.clusterName,
        version: config.kubernetesVersion,
        roleArn: this.clusterRole.arn,
        vpcConfig: {
          subnetIds: this.privateSubnetIds,
          endpointPrivateAccess: config.endpoint.privateAccess,
          endpointPublicAccess: config.endpoint.publicAccess,
          ...(config.endpoint.publicAccess ? { publicAccessCidrs: [...config.endpoint.publicAccessCidrs] } : {}),
        },
        kubernetesNetworkConfig: { ipFamily: "ipv4", serviceIpv4Cidr: plan.serviceCidr },
        encryptionConfig: { resources: ["secrets"], provider: { keyArn: this.kmsKey.arn } },
        enabledClusterLogTypes: [...controlPlaneLogTypes],
        accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: false },
        // The add-ons below are EKS-managed (versioned, with Pod Identity); no unmanaged copies first.
        bootstrapSelfManagedAddons: false,
        upgradePolicy: { supportType: config.supportType },
        tags,
      },
      // The log group exists first, so EKS cannot create an unencrypted, never-expiring one.
      { parent: this, dependsOn: [this.controlPlaneLogGroup, clusterPolicy] },
    );
    this.clusterName = this.cluster.name;
    this.clusterArn = this.cluster.arn;
    this.endpoint = this.cluster.endpoint;
    this.oidcIssuer = this.cluster.identities.apply((ids) => ids?.[0]?.oidcs?.[0]?.issuer ?? "");
    this.clusterSecurityGroupId = this.cluster.vpcConfig.apply((v) => v.clusterSecurityGroupId ?? "");

    config.privateAccessCidrs.forEach(
      (cidr, i) =>
        new aws.vpc.SecurityGroupIngressRule(
          `${name}-api-${i}`,
          {
            securityGroupId: this.clusterSecurityGroupId,
            cidrIpv4: cidr,
            ipProtocol: "tcp",
            fromPort: 443,
            toPort: 443,
            description: "Kubernetes API from a network routed into the VPC",
            tags,
          },
          parent,
        ),
    );

    // ---- Cluster admins: explicit access entries only. ----
    const adminArns: pulumi.Input<string>[] =
      config.admins === "deployer"
        ? [identity.arn.apply((arn) => principalArnFromCallerArn(arn, "admins (the deploying identity)"))]
        : config.admins.map((a, i) =>
            typeof a === "string" ? a : pulumi.output(a).apply((v) => principalArnFromCallerArn(v, `admins[${i}]`)),
          );
    this.adminArns = pulumi.all(adminArns);
    this.accessEntries = adminArns.map(
      (principalArn, i) =>
        new aws.eks.AccessEntry(
          `${name}-admin-${i}`,
          { clusterName: this.cluster.name, principalArn, type: "STANDARD", tags },
          parent,
        ),
    );
    this.accessPolicyAssociations = this.accessEntries.map(
      (entry, i) =>
        new aws.eks.AccessPolicyAssociation(
          `${name}-admin-${i}`,
          {
            clusterName: this.cluster.name,
            principalArn: entry.principalArn,
            policyArn: partition.apply((p) => eksAccessPolicyArn(p, "AmazonEKSClusterAdminPolicy")),
            accessScope: { type: "cluster" },
          },
          parent,
        ),
    );

    // ---- Pod Identity and add-ons. ----
    const association = (
      id: string,
      role: aws.iam.Role,
      subject: { namespace: string; serviceAccount: string },
      deps: pulumi.Resource[],
    ) =>
      new aws.eks.PodIdentityAssociation(
        `${name}-${id}`,
        {
          clusterName: this.cluster.name,
          namespace: subject.namespace,
          serviceAccount: subject.serviceAccount,
          roleArn: role.arn,
          tags,
        },
        { parent: this, dependsOn: deps },
      );
    const vpcCniAssociation = association("vpc-cni", this.vpcCniRole, addonServiceAccounts.vpcCni, [vpcCniPolicy]);
    const ebsCsiAssociation = association("ebs-csi", this.ebsCsiRole, addonServiceAccounts.ebsCsi, [ebsCsiPolicy]);
    this.podIdentityAssociations = { "vpc-cni": vpcCniAssociation, "aws-ebs-csi-driver": ebsCsiAssociation };

    const addon = (addonName: string, deps: pulumi.Resource[], configuration?: object) =>
      new aws.eks.Addon(
        `${name}-${addonName}`,
        {
          clusterName: this.cluster.name,
          addonName,
          resolveConflictsOnCreate: "OVERWRITE",
          resolveConflictsOnUpdate: "OVERWRITE",
          ...(configuration ? { configurationValues: JSON.stringify(configuration) } : {}),
          tags,
        },
        { parent: this, dependsOn: deps },
      );
    const podIdentityAgent = addon("eks-pod-identity-agent", []);
    // The association exists before aws-node starts, so its pods get the role's credentials, not the node's.
    const vpcCni = addon("vpc-cni", [vpcCniAssociation, podIdentityAgent], vpcCniConfiguration);
    const kubeProxy = addon("kube-proxy", []);

    // ---- Nodes. ----
    this.launchTemplate = new aws.ec2.LaunchTemplate(
      `${name}-nodes`,
      {
        description: `hardened-coder ${config.clusterName} nodes: IMDSv2 hop limit 1, encrypted volumes, no SSH key`,
        metadataOptions: { ...config.nodes.metadataOptions },
        blockDeviceMappings: config.nodes.blockDevices.map((d) => ({
          deviceName: d.deviceName,
          ebs: {
            volumeSize: d.volumeSizeGiB,
            volumeType: "gp3",
            encrypted: "true",
            kmsKeyId: this.kmsKey.arn,
            deleteOnTermination: "true",
          },
        })),
        updateDefaultVersion: true,
        tagSpecifications: ["instance", "volume", "network-interface"].map((resourceType) => ({
          resourceType,
          tags: { ...tags, Name: `${config.clusterName}-node` },
        })),
        tags,
      },
      parent,
    );
    this.nodeGroup = new aws.eks.NodeGroup(
      `${name}-nodes`,
      {
        clusterName: this.cluster.name,
        nodeRoleArn: this.nodeRole.arn,
        subnetIds: this.privateSubnetIds,
        amiType: config.nodes.amiType,
        capacityType: config.nodes.capacityType,
        instanceTypes: [...config.nodes.instanceTypes],
        launchTemplate: { id: this.launchTemplate.id, version: this.launchTemplate.latestVersion.apply(String) },
        scalingConfig: { ...config.nodes.scaling },
        updateConfig: { maxUnavailable: config.nodes.maxUnavailable },
        nodeRepairConfig: { enabled: true },
        tags,
      },
      {
        parent: this,
        dependsOn: [...nodePolicies, vpcCni, kubeProxy, podIdentityAgent],
        // An autoscaler may move the desired size between the plan's bounds without a diff here.
        ignoreChanges: ["scalingConfig.desiredSize"],
      },
    );
    this.nodeRoleArn = this.nodeRole.arn;
    this.nodeRoleName = this.nodeRole.name;

    // Deployments need nodes to become healthy.
    const coredns = addon("coredns", [this.nodeGroup]);
    const ebsCsi = addon("aws-ebs-csi-driver", [this.nodeGroup, ebsCsiAssociation]);
    this.addons = {
      "eks-pod-identity-agent": podIdentityAgent,
      "vpc-cni": vpcCni,
      "kube-proxy": kubeProxy,
      coredns,
      "aws-ebs-csi-driver": ebsCsi,
    };

    // ---- Kubernetes: a provider for the new cluster, then the cloud-agnostic components. ----
    this.kubeconfig = pulumi.secret(
      pulumi
        .all([this.cluster.name, this.cluster.endpoint, this.cluster.certificateAuthority, region])
        .apply(([clusterName, endpoint, ca, r]) =>
          buildKubeconfig({
            clusterName,
            endpoint,
            certificateAuthorityData: ca.data ?? "",
            region: r,
            ...(args.kubeconfigProfile ? { profile: args.kubeconfigProfile } : {}),
          }),
        ),
    );
    // Waits for the control plane and the admins' access, not for the nodes.
    this.provider = new k8s.Provider(
      `${name}-k8s`,
      { kubeconfig: this.kubeconfig, enableServerSideApply: true },
      { parent: this, dependsOn: this.accessPolicyAssociations },
    );
    const k8sOpts = { parent: this, provider: this.provider };

    this.registry = new RegistryPullAccount(
      config.clusterName,
      {
        repositories: config.registry.repositories,
        mutableTags: args.mutableTags,
        kmsKeyArn: this.kmsKey.arn,
        pullRoleNames: [this.nodeRole.name],
        tags,
      },
      parent,
    );

    if (config.coder && args.coder) {
      const c = config.coder;
      const coder = args.coder;
      this.database = new CoderDatabase(
        `${name}-db`,
        {
          ...coder.database,
          identifier: c.database.identifier,
          vpcId: this.vpc.id,
          subnetIds: this.privateSubnets.map((s) => s.id),
          publicSubnetIds: this.publicSubnets.map((s) => s.id),
          subnetCidrs: plan.privateSubnets,
          allowedSecurityGroupIds: [this.clusterSecurityGroupId],
          kmsKeyArn: this.kmsKey.arn,
          iamAuth: {
            clusterName: this.cluster.name,
            coderdNamespace: c.coderdNamespace,
            coderdServiceAccount: c.coderdServiceAccount,
            ...(coder.database?.bootstrap ? { bootstrap: coder.database.bootstrap } : {}),
          },
          tags,
        },
        { parent: this, providers: [this.provider] },
      );
      const caBundleUrl = region.apply((r) => `https://truststore.pki.rds.amazonaws.com/${r}/${r}-bundle.pem`);
      // coderd verifies the database's certificate (verify-full) against the RDS CA bundle, which an
      // init container fetches over https into coderd's /tmp before coderd starts.
      const fetchCa: pulumi.Output<CoderExtraContainer[]> = pulumi
        .all([caBundleUrl, pulumi.output(coder.controlPlane?.extraInitContainers ?? [])])
        .apply(([url, extra]): CoderExtraContainer[] => [
          {
            name: "fetch-rds-ca",
            image: c.database.bootstrap?.images.awsCli ?? defaultBootstrapImages.awsCli,
            command: [
              "/bin/sh",
              "-c",
              `set -eu; curl -fsS --proto =https --tlsv1.2 -o ${coderdRdsCaPath} "$CA_BUNDLE_URL"`,
            ],
            env: [{ name: "CA_BUNDLE_URL", value: url }],
            resources: {
              requests: { cpu: "10m", memory: "32Mi", "ephemeral-storage": "8Mi" },
              limits: { cpu: "200m", memory: "128Mi", "ephemeral-storage": "32Mi" },
            },
            securityContext: restrictedContainerSecurityContext(),
            volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
          },
          ...(extra as CoderExtraContainer[]),
        ]);
      const regionSecretName = "coder-aws-region";
      this.coderd = new CoderControlPlane(
        name,
        {
          ...coder.controlPlane,
          accessUrl: coder.accessUrl,
          tls: coder.tls,
          oidc: coder.oidc,
          ...(coder.externalAuth ? { externalAuth: coder.externalAuth } : {}),
          exposure: c.exposure,
          database: {
            auth: "awsiamrds",
            // Known only once the bootstrap Job has created the user: coderd starts after it.
            host: this.database.bootstrappedAddress,
            port: this.database.port,
            user: c.database.iamUser,
            database: c.database.databaseName,
            sslmode: "verify-full",
          },
          extraInitContainers: fetchCa,
          extraEnv: [
            ...(coder.controlPlane?.extraEnv ?? []),
            // The AWS SDK signs IAM tokens for this region; pods have no instance metadata (hop limit 1).
            { name: "AWS_REGION", secretKeyRef: { name: regionSecretName, key: "region" } },
            { name: "PGSSLROOTCERT", value: coderdRdsCaPath },
          ],
          kubernetesApi: { cidrs: [...plan.privateSubnets, plan.serviceCidr], ports: [443] },
          databaseCidrs: plan.privateSubnets,
          databasePort: 5432,
          extraEgress: [
            ...(coder.controlPlane?.extraEgress ?? []),
            // The Pod Identity agent on the node, which hands coderd its role's credentials.
            { cidrs: [podIdentityAgentCidr], ports: [80] },
          ],
        },
        k8sOpts,
      );
      new k8s.core.v1.Secret(
        `${name}-coderd-aws-region`,
        {
          metadata: { name: regionSecretName, namespace: this.coderd.namespaceName, labels: { ...managedByLabels } },
          type: "Opaque",
          stringData: { region },
        },
        k8sOpts,
      );
    }

    this.namespace = new CoderNamespace(
      config.namespaceName,
      {
        ...args.namespace,
        name: config.namespaceName,
        capacity: config.capacity,
        ...(this.coderd ? { coderd: this.coderd } : {}),
      },
      k8sOpts,
    );
    this.networkPolicy = new WorkspaceNetworkPolicy(
      config.namespaceName,
      {
        ...args.networkPolicy,
        namespace: this.namespace.namespaceName,
        ...(this.coderd
          ? {
              coderd: this.coderd,
              // Agents dial the access URL: coderd's internal NLB, alone in its subnets, on 443.
              extraEgress: [
                ...(args.networkPolicy?.extraEgress ?? []),
                { cidrs: [...plan.internalLoadBalancerSubnets], ports: [443] },
              ],
            }
          : {}),
      },
      k8sOpts,
    );
    this.storageClass = new EncryptedStorageClass(
      config.storageClassName,
      { kmsKeyArn: this.kmsKey.arn, name: config.storageClassName, isDefault: true },
      k8sOpts,
    );
    this.admissionPolicy = new WorkspaceAdmissionPolicy(
      config.namespaceName,
      {
        ...args.admissionPolicy,
        namespace: this.namespace.namespaceName,
        approvedImages: this.registry.approvedImagePrefixes.apply((p) => [...p, ...config.approvedImages]),
      },
      k8sOpts,
    );

    this.registerOutputs({
      kubeconfig: this.kubeconfig,
      clusterName: this.clusterName,
      endpoint: this.endpoint,
      vpcId: this.vpcId,
      privateSubnetIds: this.privateSubnetIds,
      kmsKeyArn: this.kmsKeyArn,
      nodeRoleArn: this.nodeRoleArn,
      clusterSecurityGroupId: this.clusterSecurityGroupId,
      adminArns: this.adminArns,
      ...(this.coderd ? { coderdNamespace: this.coderd.namespaceName } : {}),
      ...(this.database ? { databaseAddress: this.database.address } : {}),
    });
  }
}
