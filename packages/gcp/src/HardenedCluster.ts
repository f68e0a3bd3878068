import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import {
  type CapacityPlan,
  checkCoderControlPlaneArgs,
  CoderControlPlane,
  type CoderControlPlaneArgs,
  type CoderExposureArgs,
  CoderNamespace,
  type CoderNamespaceArgs,
  coderWorkspacesNamespaceLabel,
  normaliseApprovedImage,
  parseCidr,
  WorkspaceAdmissionPolicy,
  type WorkspaceAdmissionPolicyArgs,
  WorkspaceNetworkPolicy,
  type WorkspaceNetworkPolicyArgs,
} from "@hardened-coder/kubernetes";
import { CLOUD_SQL_SERVER_PORT } from "./cloud-sql";
import { CoderDatabase, type CoderDatabaseArgs, resolveCoderDatabaseArgs } from "./CoderDatabase";
import { EncryptedStorageClass } from "./EncryptedStorageClass";
import {
  cloudPlatformScope,
  computeServiceAgent,
  gkeServiceAgent,
  kmsEncrypterDecrypterRole,
  nodeServiceAccountProjectRoles,
  serviceAccountId,
  serviceAccountMember,
  workloadPool,
} from "./iam";
import { gkeKubeconfig } from "./kubeconfig";
import { type GkeCapacityArgs, type GkeNetworkPlan, planGkeNetwork } from "./network-plan";
import { RegistryPullAccount } from "./RegistryPullAccount";

export type ReleaseChannel = "RAPID" | "REGULAR" | "STABLE" | "EXTENDED";

/** A source range allowed to reach the control plane. */
export interface AuthorizedNetwork {
  /** IPv4 CIDR; never 0.0.0.0/0 or anything wider than a /8. */
  readonly cidrBlock: string;
  /** A label shown in the console. @default "authorized-N" */
  readonly displayName?: string;
}

/** Cloud SQL options of `HardenedCluster({ coder })`; the network, key and identities come from the cluster. */
export type ClusterCoderDatabaseArgs = Omit<
  CoderDatabaseArgs,
  | "network"
  | "region"
  | "project"
  | "kmsKeyId"
  | "coderd"
  | "workloadPool"
  | "serviceAccountPrefix"
  | "createPrivateServicesAccess"
>;

/**
 * coderd on the cluster: `CoderControlPlane`'s args (access URL, TLS, OIDC, external auth, ...)
 * without what the cluster wires itself (the database, its proxy sidecar and Workload Identity,
 * coderd's egress to the control plane and the database).
 */
export interface HardenedClusterCoderArgs extends Omit<
  CoderControlPlaneArgs,
  | "database"
  | "exposure"
  | "serviceAccountAnnotations"
  | "extraInitContainers"
  | "gkeMetadataServer"
  | "kubernetesApi"
  | "databaseCidrs"
  | "databasePort"
> {
  /**
   * How coderd's Service is exposed. A GKE internal passthrough load balancer in the cluster's subnet
   * by default; a public one only with `{ type: "PublicLoadBalancer", allowedSourceRanges }` (never
   * 0.0.0.0/0). Serves network-external.
   * @default { type: "InternalLoadBalancer", annotations: { "networking.gke.io/load-balancer-type": "Internal" } }
   */
  readonly exposure?: CoderExposureArgs;
  /**
   * The Cloud SQL instance (`CoderDatabase`): tier, availability, backups, private services range, ...
   * @default a regional POSTGRES_17 db-custom-2-7680 with 14 daily backups and 7 days of PITR
   */
  readonly database?: ClusterCoderDatabaseArgs;
}

/** GKE's annotation for an internal passthrough Network Load Balancer. */
export const gkeInternalLoadBalancerAnnotations = { "networking.gke.io/load-balancer-type": "Internal" } as const;

/**
 * A dedicated, private GKE cluster for Coder, with its own VPC, Cloud KMS key, least-privilege node
 * service account and Artifact Registry, composing the Kubernetes components of
 * `@hardened-coder/kubernetes` on it. `new HardenedCluster("coder", {})` meets every recommendation
 * the cluster can; each weakening takes a named option below.
 */
export interface HardenedClusterArgs {
  /**
   * Google Cloud project for everything.
   * @default the Google provider's project (`gcp:project`)
   */
  readonly project?: pulumi.Input<string>;
  /**
   * Region of the (regional) cluster, its subnet, key and repositories.
   * @default the Google provider's region (`gcp:region`)
   */
  readonly region?: pulumi.Input<string>;
  /**
   * GKE cluster name: lower-case letters, digits and '-', a letter first, at most 40 characters. Also
   * the stem of the VPC, subnet, router and node service account names.
   * @default the component's resource name
   */
  readonly clusterName?: string;
  /**
   * What the network and node pool are sized for (`planCapacity`): concurrent workspaces, pods per
   * node and, optionally, the node, pod and Service ranges. A range too small for the plan or
   * overlapping another is refused (network-ip-depletion-pods, network-ip-depletion-services).
   * @default { workspaces: 50, workspacesPerNode: 7 } (7 workspaces of the default shape, 2 CPU / 4Gi, fit an e2-standard-16)
   */
  readonly capacity?: GkeCapacityArgs;
  /**
   * The control plane's private /28 (`privateClusterConfig.masterIpv4CidrBlock`).
   * @default "172.16.0.0/28"
   */
  readonly masterCidr?: string;
  /**
   * Give the control plane a public endpoint (`enablePrivateEndpoint: false`) reachable from
   * `authorizedNetworks` only. Costs: the API server is on the internet, guarded by the allow-list
   * and IAM. Needs a non-empty `authorizedNetworks`. Serves roles-control-plane-access.
   * @default false (private endpoint only)
   */
  readonly publicEndpoint?: boolean;
  /**
   * Source ranges allowed to reach the control plane (master authorized networks). With the private
   * endpoint they are VPC-internal ranges (a bastion, a VPN); with `publicEndpoint` they are required
   * and 0.0.0.0/0 (or anything wider than a /8) is refused. Serves roles-control-plane-access.
   * @default []
   */
  readonly authorizedNetworks?: readonly AuthorizedNetwork[];
  /**
   * Turn on GKE's DNS-based control plane endpoint (`gke-....gke.goog`), reachable from anywhere but
   * authorised by IAM (`container.clusters.connect`) on every request; the kubeconfig then uses it.
   * Costs: the endpoint is reachable from the internet, so IAM alone guards it; VPC Service Controls
   * can narrow it. Lets `pulumi up` and kubectl reach a private cluster without a VPN.
   * @default false
   */
  readonly dnsEndpoint?: boolean;
  /**
   * GKE release channel: GKE upgrades the control plane and nodes within it (node-upgrades).
   * @default "REGULAR"
   */
  readonly releaseChannel?: ReleaseChannel;
  /**
   * Minimum control plane version (`minMasterVersion`), e.g. "1.33". The channel still upgrades beyond it.
   * @default the channel's default
   */
  readonly kubernetesVersion?: string;
  /**
   * Node machine type. Keep `capacity.workspacesPerNode` in step with it.
   * @default "e2-standard-16"
   */
  readonly machineType?: string;
  /**
   * Node boot disk size in GB: it holds images and every workspace's ephemeral storage
   * (storage-depletion-ephemeral).
   * @default 200
   */
  readonly diskSizeGb?: number;
  /**
   * Node boot disk type.
   * @default "pd-balanced"
   */
  readonly diskType?: "pd-balanced" | "pd-ssd" | "pd-standard";
  /**
   * Zones of the region the nodes run in.
   * @default GKE's choice of zones in the region
   */
  readonly zones?: readonly string[];
  /**
   * Rotation period of the Cloud KMS key (seconds, e.g. "7776000s"), from 1 day to 90 days
   * (storage-encryption).
   * @default "7776000s" (90 days)
   */
  readonly keyRotationPeriod?: string;
  /**
   * Artifact Registry Docker repositories (ids) for approved workspace images, readable by the nodes
   * only (registry-dedicated-account).
   * @default ["workspaces"]
   */
  readonly repositories?: readonly string[];
  /**
   * Image prefixes approved besides the repositories, e.g. "us-docker.pkg.dev/my-org/base/". Each
   * widens what workspaces may run (registry-approved-images).
   * @default []
   */
  readonly approvedImages?: readonly string[];
  /**
   * Allow a repository tag to be moved to another image. Costs: an approved tag can be repointed to
   * an unreviewed image.
   * @default false
   */
  readonly mutableTags?: boolean;
  /**
   * The workspace namespace (`CoderNamespace`), except its sizing, which comes from `capacity`.
   * @default { name: the component's resource name }
   */
  readonly namespace?: Omit<
    CoderNamespaceArgs,
    "capacity" | "workspaces" | "podsPerWorkspace" | "devUrlsPerWorkspace" | "headroomPercent" | "coderd"
  >;
  /**
   * The workspace NetworkPolicies (`WorkspaceNetworkPolicy`), except the namespace.
   * @default default-deny, egress to the internet without metadata and private ranges
   */
  readonly networkPolicy?: Omit<WorkspaceNetworkPolicyArgs, "namespace" | "coderd">;
  /**
   * The admission policy (`WorkspaceAdmissionPolicy`), except the namespace and approved images.
   * @default approved images = the repositories plus `approvedImages`
   */
  readonly admissionPolicy?: Omit<WorkspaceAdmissionPolicyArgs, "namespace" | "approvedImages">;
  /**
   * Name of the encrypted default StorageClass.
   * @default "encrypted-pd"
   */
  readonly storageClassName?: string;
  /**
   * GKE deletion protection (`deletionProtection`). Turning it off lets `pulumi destroy` (or a
   * replacement) delete the cluster and every workspace volume's claims with it.
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * Enable the Google APIs the stack uses (`gcp.projects.Service`, never disabled on destroy): the
   * exported `clusterApis`, plus `coderApis` with `coder`. Turn off when the project's APIs are managed
   * elsewhere; they must then be on before `pulumi up`.
   * @default true
   */
  readonly enableApis?: boolean;
  /**
   * Enforce the project's Binary Authorization policy on the cluster
   * (`PROJECT_SINGLETON_POLICY_ENFORCE`). Needs a policy in the project; the admission policy already
   * limits workspace images to the approved prefixes.
   * @default false
   */
  readonly binaryAuthorization?: boolean;
  /**
   * Labels on the Google resources that take them (cluster, nodes, repositories, key).
   * @default {}
   */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * Deploy coderd: a `CoderDatabase` (Cloud SQL, private IP, CMEK, IAM login) in the cluster's network,
   * a `CoderControlPlane` wired to it through the Cloud SQL Auth Proxy sidecar with Workload
   * Identity (no database password anywhere), the workspace namespace bound to it, and coderd on an
   * internal load balancer.
   * @default unset: nothing of coderd is created
   */
  readonly coder?: HardenedClusterCoderArgs;
}

export interface HardenedClusterConfig {
  readonly name: string;
  readonly clusterName: string;
  readonly project?: pulumi.Input<string>;
  readonly region?: pulumi.Input<string>;
  readonly network: GkeNetworkPlan;
  readonly names: {
    readonly network: string;
    readonly subnetwork: string;
    readonly router: string;
    readonly nat: string;
    readonly denyIngressFirewall: string;
    readonly nodeServiceAccountId: string;
    /**
     * Prefix of the workspace node pool's name: GKE appends a unique suffix, so a change that
     * replaces the pool (boot disk key, service account, max pods) creates the new one before
     * deleting the old, instead of failing on a name that still exists.
     */
    readonly nodePoolPrefix: string;
  };
  readonly endpoint: {
    readonly privateEndpoint: boolean;
    readonly dnsEndpoint: boolean;
    readonly authorizedNetworks: readonly Required<AuthorizedNetwork>[];
  };
  readonly releaseChannel: ReleaseChannel;
  readonly kubernetesVersion?: string;
  readonly nodes: {
    readonly machineType: string;
    readonly diskSizeGb: number;
    readonly diskType: "pd-balanced" | "pd-ssd" | "pd-standard";
    readonly zones?: readonly string[];
    /** Autoscaling bounds across all zones, from the plan. */
    readonly totalMin: number;
    readonly totalMax: number;
  };
  readonly keyRotationPeriod: string;
  readonly registry: {
    readonly repositories?: readonly string[];
    readonly extraApprovedImages: readonly string[];
    readonly mutableTags: boolean;
  };
  readonly namespace: HardenedClusterArgs["namespace"];
  readonly networkPolicy: HardenedClusterArgs["networkPolicy"];
  readonly admissionPolicy: HardenedClusterArgs["admissionPolicy"];
  readonly storageClassName: string;
  readonly deletionProtection: boolean;
  readonly apis: readonly string[];
  readonly binaryAuthorization: boolean;
  readonly labels: Readonly<Record<string, string>>;
  readonly coder?: {
    readonly controlPlane: Omit<HardenedClusterCoderArgs, "database" | "exposure">;
    readonly exposure: CoderExposureArgs;
    readonly database: ClusterCoderDatabaseArgs;
    readonly namespace: string;
    readonly serviceAccountName: string;
  };
}

/** APIs the cluster stack calls. */
export const clusterApis = [
  "compute.googleapis.com",
  "container.googleapis.com",
  "cloudkms.googleapis.com",
  "artifactregistry.googleapis.com",
  "iam.googleapis.com",
  // Project-level IAM members (the node service account's roles) are set through it.
  "cloudresourcemanager.googleapis.com",
  "logging.googleapis.com",
  "monitoring.googleapis.com",
] as const;

/** APIs coderd's database adds. */
export const coderApis = [
  "sqladmin.googleapis.com",
  "servicenetworking.googleapis.com",
  // The GKE metadata server mints the Workload Identity token of coderd's (and the bootstrap's) Google
  // service account through it; disabled, the Auth Proxy gets 403 and never connects.
  "iamcredentials.googleapis.com",
] as const;

/** Control plane components whose logs GKE keeps (roles-control-plane-access: who did what). */
export const clusterLoggingComponents = [
  "SYSTEM_COMPONENTS",
  "APISERVER",
  "CONTROLLER_MANAGER",
  "SCHEDULER",
  "WORKLOADS",
] as const;

export const clusterMonitoringComponents = [
  "SYSTEM_COMPONENTS",
  "APISERVER",
  "CONTROLLER_MANAGER",
  "SCHEDULER",
] as const;

/** 90 days, the longest rotation period accepted. */
export const maxKeyRotationSeconds = 90 * 24 * 3600;
const minKeyRotationSeconds = 24 * 3600;

const releaseChannels: readonly ReleaseChannel[] = ["RAPID", "REGULAR", "STABLE", "EXTENDED"];

/** The machine of GKE's default pool, which only has to boot before GKE removes it. */
export const transientNodeShape = { machineType: "e2-medium", diskSizeGb: 50 } as const;

/** The node metadata every pool carries: legacy metadata endpoints off, no project-wide SSH keys. */
export const nodeMetadata = {
  "disable-legacy-endpoints": "true",
  "block-project-ssh-keys": "true",
} as const;

function checkAuthorizedNetworks(
  networks: readonly AuthorizedNetwork[],
  publicEndpoint: boolean,
): Required<AuthorizedNetwork>[] {
  if (publicEndpoint && networks.length === 0) {
    throw new Error(
      "authorizedNetworks: [] with publicEndpoint: true would leave the control plane open to the internet; " +
        "list the source ranges that may reach it (your office or CI egress, e.g. 203.0.113.0/24), or keep the " +
        "private endpoint",
    );
  }
  return networks.map((n, i) => {
    const field = `authorizedNetworks[${i}].cidrBlock`;
    const cidr = parseCidr(n.cidrBlock, field);
    if (cidr.prefix < 8) {
      throw new Error(
        `${field}: ${n.cidrBlock} opens the control plane to ${cidr.prefix === 0 ? "the whole internet" : "a large part of the internet"}; ` +
          `list the narrow ranges that need it (a /8 at most)`,
      );
    }
    return { cidrBlock: n.cidrBlock, displayName: n.displayName ?? `authorized-${i}` };
  });
}

/** Runs `fn`, naming the field by its path in these args when it refuses. */
function under<T>(prefix: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new Error(`${prefix}${(err as Error).message}`);
  }
}

/** coderd's exposure on GKE: an internal load balancer unless a public one is asked for by name. */
function gkeExposure(exposure: CoderExposureArgs | undefined): CoderExposureArgs {
  if (exposure === undefined)
    return { type: "InternalLoadBalancer", annotations: { ...gkeInternalLoadBalancerAnnotations } };
  if (exposure.type === "InternalLoadBalancer" && exposure.loadBalancerClass === undefined) {
    return { ...exposure, annotations: { ...gkeInternalLoadBalancerAnnotations, ...(exposure.annotations ?? {}) } };
  }
  return exposure;
}

function checkLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  for (const [k, v] of Object.entries(labels)) {
    if (!/^[a-z][a-z0-9_-]{0,62}$/.test(k)) {
      throw new Error(
        `labels.${k}: not a valid Google Cloud label key; use lower-case letters, digits, '_' and '-', a letter first`,
      );
    }
    if (!/^[a-z0-9_-]{0,63}$/.test(v)) {
      throw new Error(
        `labels.${k}: "${v}" is not a valid Google Cloud label value; use lower-case letters, digits, '_' and '-'`,
      );
    }
  }
  return { ...labels };
}

/**
 * Fills defaults and refuses unsafe or inconsistent values with an Error naming the field, the bad
 * value and the fix. Pure: no Pulumi resources.
 */
export function resolveHardenedClusterArgs(args: HardenedClusterArgs, name: string): HardenedClusterConfig {
  const clusterName = args.clusterName ?? name;
  if (!/^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/.test(clusterName)) {
    throw new Error(
      `clusterName: "${clusterName}" is not a valid GKE cluster name${args.clusterName === undefined ? " (it defaults to the resource name)" : ""}; ` +
        `use lower-case letters, digits and '-', a letter first, at most 40 characters`,
    );
  }
  // coderd's database: its own checks first (a public range is refused), then the network plan
  // reserves its range beside the cluster's.
  const coderArgs = args.coder;
  const coderNamespace = coderArgs?.namespace ?? "coderd";
  const coderServiceAccount = coderArgs?.serviceAccountName ?? "coder";
  if (coderArgs) {
    under("coder.database.", () =>
      resolveCoderDatabaseArgs(
        {
          ...(coderArgs.database ?? {}),
          // Stand-ins for what the cluster creates: its network, region and key (in that region).
          network: "pending",
          region: "pending",
          kmsKeyId: "projects/pending/locations/pending/keyRings/pending/cryptoKeys/pending",
          coderd: { namespace: coderNamespace, serviceAccountName: coderServiceAccount },
          serviceAccountPrefix: clusterName,
        },
        name,
      ),
    );
  }
  const network = planGkeNetwork({
    capacity: { workspacesPerNode: 7, ...(args.capacity ?? {}) },
    ...(args.masterCidr !== undefined ? { masterCidr: args.masterCidr } : {}),
    ...(coderArgs
      ? {
          privateServices: true,
          ...(coderArgs.database?.privateServicesCidr !== undefined
            ? { privateServicesCidr: coderArgs.database.privateServicesCidr }
            : {}),
        }
      : {}),
  });
  let coder: HardenedClusterConfig["coder"];
  if (coderArgs) {
    const workspaceNamespace = args.namespace?.name ?? name;
    const bootstrapNamespace =
      coderArgs.database?.bootstrap === false
        ? undefined
        : (coderArgs.database?.bootstrap?.namespace ?? "coder-db-init");
    for (const [field, other] of [
      ["coder.namespace", coderNamespace],
      ["coder.database.bootstrap.namespace", bootstrapNamespace],
    ] as const) {
      if (other === workspaceNamespace) {
        throw new Error(
          `${field}: "${other}" is also the workspace namespace; coderd, its database bootstrap and workspaces each ` +
            `need a namespace of their own`,
        );
      }
    }
    const { database, exposure, ...controlPlane } = coderArgs;
    const gke = gkeExposure(exposure);
    // The same checks CoderControlPlane makes, now, so a refused input registers nothing.
    under("coder.", () =>
      checkCoderControlPlaneArgs({
        ...controlPlane,
        exposure: gke,
        database: { connectionUrl: "postgres://pending@127.0.0.1:5432/coder?sslmode=disable" },
        kubernetesApi: { cidrs: [network.masterCidr], ports: [443] },
        databaseCidrs: [network.privateServicesCidr!],
        databasePort: CLOUD_SQL_SERVER_PORT,
        gkeMetadataServer: true,
      }),
    );
    coder = {
      controlPlane,
      exposure: gke,
      database: { ...(database ?? {}) },
      namespace: coderNamespace,
      serviceAccountName: coderServiceAccount,
    };
  }

  const publicEndpoint = args.publicEndpoint ?? false;
  const authorizedNetworks = checkAuthorizedNetworks(args.authorizedNetworks ?? [], publicEndpoint);

  const releaseChannel = args.releaseChannel ?? "REGULAR";
  if (!releaseChannels.includes(releaseChannel)) {
    throw new Error(
      `releaseChannel: "${String(releaseChannel)}" is not a GKE release channel; use one of ${releaseChannels.join(", ")} ` +
        `(a cluster outside a channel is not kept up to date)`,
    );
  }
  if (args.kubernetesVersion !== undefined && !/^1\.\d+(\.\d+(-gke\.\d+)?)?$/.test(args.kubernetesVersion)) {
    throw new Error(
      `kubernetesVersion: "${args.kubernetesVersion}" is not a GKE version; write it like "1.33" or "1.33.5-gke.1000"`,
    );
  }

  const machineType = args.machineType ?? "e2-standard-16";
  if (!/^[a-z0-9]+-[a-z0-9-]+$/.test(machineType)) {
    throw new Error(`machineType: "${machineType}" is not a Compute Engine machine type, e.g. "e2-standard-16"`);
  }
  const diskSizeGb = args.diskSizeGb ?? 200;
  if (!Number.isInteger(diskSizeGb) || diskSizeGb < 20 || diskSizeGb > 65536) {
    throw new Error(`diskSizeGb: ${diskSizeGb} is out of range; use a whole number of GB from 20 to 65536`);
  }
  const diskType = args.diskType ?? "pd-balanced";
  if (!["pd-balanced", "pd-ssd", "pd-standard"].includes(diskType)) {
    throw new Error(`diskType: "${String(diskType)}" is not allowed; use "pd-balanced", "pd-ssd" or "pd-standard"`);
  }
  if (args.zones !== undefined) {
    if (args.zones.length === 0) throw new Error("zones: [] has no zone; list zones or leave it unset");
    for (const [i, z] of args.zones.entries()) {
      if (!/^[a-z]+-[a-z]+[0-9]+-[a-z]$/.test(z)) {
        throw new Error(`zones[${i}]: "${z}" is not a zone name, e.g. "europe-west1-b"`);
      }
    }
  }

  const rotation = args.keyRotationPeriod ?? `${maxKeyRotationSeconds}s`;
  const rotationMatch = /^(\d+)s$/.exec(rotation);
  const rotationSeconds = rotationMatch ? Number(rotationMatch[1]) : NaN;
  if (!(rotationSeconds >= minKeyRotationSeconds && rotationSeconds <= maxKeyRotationSeconds)) {
    throw new Error(
      `keyRotationPeriod: "${rotation}" is not allowed; use seconds with an "s", from ${minKeyRotationSeconds}s ` +
        `(1 day) to ${maxKeyRotationSeconds}s (90 days)`,
    );
  }

  // Checked now by the admission policy's own rules, so a bad prefix registers nothing.
  const extraApprovedImages = (args.approvedImages ?? []).map((p, i) => {
    normaliseApprovedImage(p, `approvedImages[${i}]`);
    return p;
  });

  const storageClassName = args.storageClassName ?? "encrypted-pd";
  if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(storageClassName)) {
    throw new Error(`storageClassName: "${storageClassName}" is not a valid StorageClass name`);
  }

  return {
    name,
    clusterName,
    ...(args.project !== undefined ? { project: args.project } : {}),
    ...(args.region !== undefined ? { region: args.region } : {}),
    network,
    names: {
      network: `${clusterName}-vpc`,
      subnetwork: `${clusterName}-nodes`,
      router: `${clusterName}-router`,
      nat: `${clusterName}-nat`,
      denyIngressFirewall: `${clusterName}-deny-all-ingress`,
      nodeServiceAccountId: serviceAccountId("clusterName", clusterName, "nodes"),
      nodePoolPrefix: "workspaces-",
    },
    endpoint: { privateEndpoint: !publicEndpoint, dnsEndpoint: args.dnsEndpoint ?? false, authorizedNetworks },
    releaseChannel,
    ...(args.kubernetesVersion !== undefined ? { kubernetesVersion: args.kubernetesVersion } : {}),
    nodes: {
      machineType,
      diskSizeGb,
      diskType,
      ...(args.zones !== undefined ? { zones: [...args.zones] } : {}),
      totalMin: network.capacity.nodes.min,
      totalMax: network.capacity.nodes.max,
    },
    keyRotationPeriod: rotation,
    registry: {
      ...(args.repositories !== undefined ? { repositories: [...args.repositories] } : {}),
      extraApprovedImages,
      mutableTags: args.mutableTags ?? false,
    },
    namespace: args.namespace,
    networkPolicy: args.networkPolicy,
    admissionPolicy: args.admissionPolicy,
    storageClassName,
    deletionProtection: args.deletionProtection ?? true,
    apis: (args.enableApis ?? true) ? [...clusterApis, ...(coder ? coderApis : [])] : [],
    binaryAuthorization: args.binaryAuthorization ?? false,
    labels: checkLabels(args.labels ?? {}),
    ...(coder ? { coder } : {}),
  };
}

export class HardenedCluster extends pulumi.ComponentResource {
  /** Kubeconfig for the cluster (a Pulumi secret), authenticating with gke-gcloud-auth-plugin. */
  public readonly kubeconfig: pulumi.Output<string>;
  /** The Kubernetes provider for the new cluster; pass it to your own Kubernetes resources. */
  public readonly provider: k8s.Provider;
  public readonly clusterName: pulumi.Output<string>;
  /** The control plane address the kubeconfig uses (private IP, public IP or DNS endpoint). */
  public readonly endpoint: pulumi.Output<string>;
  /** The workspace namespace. */
  public readonly namespace: CoderNamespace;
  /** The encrypted default StorageClass. */
  public readonly storageClass: EncryptedStorageClass;
  public readonly networkPolicy: WorkspaceNetworkPolicy;
  public readonly admissionPolicy: WorkspaceAdmissionPolicy;
  /** Artifact Registry repositories for approved images. */
  public readonly registry: RegistryPullAccount;
  /** The capacity plan the network, node pool and quota are sized from. */
  public readonly capacity: CapacityPlan;
  /** coderd, when `coder` is given. */
  public readonly coderd?: CoderControlPlane;
  /** coderd's Cloud SQL database, when `coder` is given. */
  public readonly database?: CoderDatabase;
  public readonly networkName: pulumi.Output<string>;
  public readonly subnetworkName: pulumi.Output<string>;
  /** The Cloud KMS key (CMEK) for secrets, boot disks, volumes and the registry. */
  public readonly kmsKeyId: pulumi.Output<string>;
  public readonly nodeServiceAccountEmail: pulumi.Output<string>;
  public readonly projectId: pulumi.Output<string>;
  public readonly region: pulumi.Output<string>;

  public readonly cluster: gcp.container.Cluster;
  public readonly nodePool: gcp.container.NodePool;
  public readonly network: gcp.compute.Network;
  public readonly subnetwork: gcp.compute.Subnetwork;
  public readonly kmsKey: gcp.kms.CryptoKey;
  public readonly nodeServiceAccount: gcp.serviceaccount.Account;

  constructor(name: string, args: HardenedClusterArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    const config = resolveHardenedClusterArgs(args, name);
    super("hardened-coder:gcp:HardenedCluster", name, {}, opts);

    const projectInfo = gcp.organizations.getProjectOutput(
      config.project !== undefined ? { projectId: config.project } : {},
      { parent: this },
    );
    const projectId = projectInfo.apply((p) => {
      if (!p.projectId) throw new Error("project: no project is set; pass project or `pulumi config set gcp:project`");
      return p.projectId;
    });
    const projectNumber = projectInfo.number;
    const region = (
      config.region !== undefined
        ? pulumi.output(config.region)
        : gcp.organizations.getClientConfigOutput({ parent: this }).region
    ).apply((r) => {
      if (!r) throw new Error("region: no region is set; pass region or `pulumi config set gcp:region`");
      return r;
    });
    const labels = { ...config.labels, "managed-by": "pulumi", "part-of": "hardened-coder" };

    const apis = config.apis.map(
      (service) =>
        new gcp.projects.Service(
          `${name}-${service.split(".")[0]}`,
          // Never disable an API on destroy: other workloads in the project may use it.
          { project: projectId, service, disableOnDestroy: false, disableDependentServices: false },
          { parent: this },
        ),
    );
    // Every resource takes its project from this Output, which carries the API resources as
    // dependencies: nothing is created before the APIs it calls are on, children of the composed
    // components included (a component's dependsOn does not reach its children).
    const project = pulumi.all([projectId, ...apis.map((a) => a.id)]).apply(([p]) => p as string);

    // Network: a dedicated VPC with one subnet; nodes have no public addresses and leave through NAT.
    this.network = new gcp.compute.Network(
      `${name}-vpc`,
      {
        name: config.names.network,
        project,
        autoCreateSubnetworks: false,
        routingMode: "REGIONAL",
        // The default route to the internet gateway stays: Cloud NAT and Private Google Access use
        // it. Private nodes have no external address, so nothing reaches them through it.
        deleteDefaultRoutesOnCreate: false,
        description: `Dedicated network of the Coder GKE cluster ${config.clusterName} (hardened-coder)`,
      },
      { parent: this },
    );
    this.subnetwork = new gcp.compute.Subnetwork(
      `${name}-subnet`,
      {
        name: config.names.subnetwork,
        project,
        region,
        network: this.network.id,
        ipCidrRange: config.network.subnetCidr,
        secondaryIpRanges: [
          { rangeName: config.network.podRange.name, ipCidrRange: config.network.podRange.cidr },
          { rangeName: config.network.serviceRange.name, ipCidrRange: config.network.serviceRange.cidr },
        ],
        privateIpGoogleAccess: true,
        stackType: "IPV4_ONLY",
        logConfig: { aggregationInterval: "INTERVAL_5_SEC", flowSampling: 0.5, metadata: "INCLUDE_ALL_METADATA" },
      },
      { parent: this },
    );
    const router = new gcp.compute.Router(
      `${name}-router`,
      { name: config.names.router, project, region, network: this.network.id },
      { parent: this },
    );
    new gcp.compute.RouterNat(
      `${name}-nat`,
      {
        name: config.names.nat,
        project,
        region,
        router: router.name,
        natIpAllocateOption: "AUTO_ONLY",
        sourceSubnetworkIpRangesToNat: "LIST_OF_SUBNETWORKS",
        subnetworks: [{ name: this.subnetwork.id, sourceIpRangesToNats: ["ALL_IP_RANGES"] }],
        // A node hosts several workspaces behind one NAT allocation. Static allocation gives it 64 ports
        // per destination, which a few parallel `npm install`s exhaust, and NAT silently drops the rest;
        // dynamic allocation grows a busy node's share (AUTO_ONLY adds addresses as needed).
        enableDynamicPortAllocation: true,
        enableEndpointIndependentMapping: false,
        minPortsPerVm: 64,
        maxPortsPerVm: 4096,
        logConfig: { enable: true, filter: "ERRORS_ONLY" },
      },
      { parent: this },
    );
    // A custom VPC has no allow rules; this makes the implied deny explicit and logged. GKE adds its
    // own narrower rules (control plane to kubelet, health checks) at higher priority.
    new gcp.compute.Firewall(
      `${name}-deny-all-ingress`,
      {
        name: config.names.denyIngressFirewall,
        project,
        network: this.network.id,
        direction: "INGRESS",
        priority: 65534,
        sourceRanges: ["0.0.0.0/0"],
        denies: [{ protocol: "all" }],
        logConfig: { metadata: "INCLUDE_ALL_METADATA" },
        description: "Deny all ingress not allowed by a higher-priority rule (hardened-coder)",
      },
      { parent: this },
    );

    // One customer-managed key for Kubernetes secrets, boot disks, volumes and the registry.
    const keyRing = new gcp.kms.KeyRing(`${name}-keyring`, { project, location: region }, { parent: this });
    this.kmsKey = new gcp.kms.CryptoKey(
      `${name}-key`,
      {
        keyRing: keyRing.id,
        purpose: "ENCRYPT_DECRYPT",
        rotationPeriod: config.keyRotationPeriod,
        versionTemplate: { algorithm: "GOOGLE_SYMMETRIC_ENCRYPTION", protectionLevel: "SOFTWARE" },
        // A destroyed version is recoverable for 30 days: time to notice before data is lost.
        destroyScheduledDuration: "2592000s",
        labels,
      },
      { parent: this },
    );
    const gkeAgentKey = new gcp.kms.CryptoKeyIAMMember(
      `${name}-gke-agent-key`,
      {
        cryptoKeyId: this.kmsKey.id,
        role: kmsEncrypterDecrypterRole,
        member: projectNumber.apply((n) => serviceAccountMember(gkeServiceAgent(n))),
      },
      { parent: this },
    );
    const computeAgentKey = new gcp.kms.CryptoKeyIAMMember(
      `${name}-compute-agent-key`,
      {
        cryptoKeyId: this.kmsKey.id,
        role: kmsEncrypterDecrypterRole,
        member: projectNumber.apply((n) => serviceAccountMember(computeServiceAgent(n))),
      },
      { parent: this },
    );

    // Nodes run as their own service account: logs and metrics on the project (no narrower binding
    // exists for those), image pulls on the approved repositories only.
    this.nodeServiceAccount = new gcp.serviceaccount.Account(
      `${name}-nodes`,
      {
        project,
        accountId: config.names.nodeServiceAccountId,
        displayName: `GKE nodes of ${config.clusterName} (hardened-coder)`,
        description:
          "Least-privilege node identity: logging, monitoring, Artifact Registry read on approved repositories",
      },
      { parent: this },
    );
    const nodeMember = this.nodeServiceAccount.email.apply(serviceAccountMember);
    const nodeRoles = nodeServiceAccountProjectRoles.map(
      (role) =>
        new gcp.projects.IAMMember(
          `${name}-nodes-${role.split("/")[1]!.replace(/\./g, "-")}`,
          { project, role, member: nodeMember },
          { parent: this },
        ),
    );

    this.registry = new RegistryPullAccount(
      name,
      {
        location: region,
        project,
        ...(config.registry.repositories ? { repositories: config.registry.repositories } : {}),
        kmsKeyName: this.kmsKey.id,
        readerServiceAccountEmail: this.nodeServiceAccount.email,
        mutableTags: config.registry.mutableTags,
        labels: config.labels,
      },
      { parent: this },
    );

    const nodeConfig = {
      machineType: config.nodes.machineType,
      diskSizeGb: config.nodes.diskSizeGb,
      diskType: config.nodes.diskType,
      imageType: "COS_CONTAINERD",
      serviceAccount: this.nodeServiceAccount.email,
      oauthScopes: [cloudPlatformScope],
      bootDiskKmsKey: this.kmsKey.id,
      shieldedInstanceConfig: { enableSecureBoot: true, enableIntegrityMonitoring: true },
      workloadMetadataConfig: { mode: "GKE_METADATA" },
      metadata: { ...nodeMetadata },
      kubeletConfig: { insecureKubeletReadonlyPortEnabled: "FALSE" },
      resourceLabels: labels,
    };

    const dnsEndpoint = config.endpoint.dnsEndpoint;
    this.cluster = new gcp.container.Cluster(
      `${name}-cluster`,
      {
        name: config.clusterName,
        project,
        location: region,
        description: "Dedicated cluster for Coder (hardened-coder)",
        network: this.network.id,
        subnetwork: this.subnetwork.id,
        networkingMode: "VPC_NATIVE",
        ipAllocationPolicy: {
          clusterSecondaryRangeName: config.network.podRange.name,
          servicesSecondaryRangeName: config.network.serviceRange.name,
          stackType: "IPV4",
        },
        defaultMaxPodsPerNode: config.network.maxPodsPerNode,
        privateClusterConfig: {
          enablePrivateNodes: true,
          enablePrivateEndpoint: config.endpoint.privateEndpoint,
          masterIpv4CidrBlock: config.network.masterCidr,
          masterGlobalAccessConfig: { enabled: false },
        },
        masterAuthorizedNetworksConfig: {
          cidrBlocks: config.endpoint.authorizedNetworks.map((n) => ({ ...n })),
          gcpPublicCidrsAccessEnabled: false,
        },
        // Set only when asked for: GKE's default keeps the DNS endpoint closed to outside traffic.
        ...(dnsEndpoint ? { controlPlaneEndpointsConfig: { dnsEndpointConfig: { allowExternalTraffic: true } } } : {}),
        releaseChannel: { channel: config.releaseChannel },
        ...(config.kubernetesVersion !== undefined ? { minMasterVersion: config.kubernetesVersion } : {}),
        workloadIdentityConfig: { workloadPool: projectId.apply(workloadPool) },
        datapathProvider: "ADVANCED_DATAPATH",
        addonsConfig: {
          // Dataplane V2 enforces NetworkPolicy itself; the Calico add-on must stay off with it.
          networkPolicyConfig: { disabled: true },
          gcePersistentDiskCsiDriverConfig: { enabled: true },
          httpLoadBalancing: { disabled: false },
          horizontalPodAutoscaling: { disabled: false },
        },
        databaseEncryption: { state: "ENCRYPTED", keyName: this.kmsKey.id },
        masterAuth: { clientCertificateConfig: { issueClientCertificate: false } },
        enableLegacyAbac: false,
        enableShieldedNodes: true,
        enableKubernetesAlpha: false,
        serviceExternalIpsConfig: { enabled: false },
        securityPostureConfig: { mode: "BASIC" },
        binaryAuthorization: {
          evaluationMode: config.binaryAuthorization ? "PROJECT_SINGLETON_POLICY_ENFORCE" : "DISABLED",
        },
        loggingConfig: { enableComponents: [...clusterLoggingComponents] },
        monitoringConfig: {
          enableComponents: [...clusterMonitoringComponents],
          managedPrometheus: { enabled: true },
        },
        nodePoolDefaults: { nodeConfigDefaults: { insecureKubeletReadonlyPortEnabled: "FALSE" } },
        deletionProtection: config.deletionProtection,
        removeDefaultNodePool: true,
        initialNodeCount: 1,
        // The default pool lives only until GKE removes it, but its nodes still start: give them the
        // same hardened shape rather than the Compute Engine default service account, on the smallest
        // standard machine, so a first `pulumi up` does not need one more large node per zone of CPU
        // and SSD quota for nodes that are deleted minutes later.
        nodeConfig: {
          ...nodeConfig,
          machineType: transientNodeShape.machineType,
          diskSizeGb: transientNodeShape.diskSizeGb,
        },
        resourceLabels: labels,
      },
      {
        parent: this,
        // Secrets encryption and CMEK boot disks fail at creation unless the agents hold the key; the
        // default pool's nodes report logs and metrics from their first boot.
        dependsOn: [gkeAgentKey, computeAgentKey, ...nodeRoles],
        // The default pool is gone after creation; its node config is not managed afterwards.
        ignoreChanges: ["nodeConfig", "initialNodeCount"],
      },
    );

    this.nodePool = new gcp.container.NodePool(
      `${name}-workspaces`,
      {
        namePrefix: config.names.nodePoolPrefix,
        project,
        location: region,
        cluster: this.cluster.name,
        ...(config.nodes.zones ? { nodeLocations: [...config.nodes.zones] } : {}),
        initialNodeCount: 1,
        maxPodsPerNode: config.network.maxPodsPerNode,
        autoscaling: {
          totalMinNodeCount: config.nodes.totalMin,
          totalMaxNodeCount: config.nodes.totalMax,
          locationPolicy: "BALANCED",
        },
        management: { autoUpgrade: true, autoRepair: true },
        upgradeSettings: { strategy: "SURGE", maxSurge: 1, maxUnavailable: 0 },
        nodeConfig,
      },
      { parent: this, dependsOn: [computeAgentKey, ...nodeRoles], ignoreChanges: ["initialNodeCount"] },
    );

    const context = pulumi.interpolate`gke_${projectId}_${region}_${this.cluster.name}`;
    this.endpoint = dnsEndpoint
      ? this.cluster.controlPlaneEndpointsConfig.apply((c) => c?.dnsEndpointConfig?.endpoint ?? "")
      : this.cluster.endpoint;
    this.kubeconfig = pulumi.secret(
      pulumi
        .all([context, this.endpoint, this.cluster.masterAuth])
        .apply(([ctx, endpoint, auth]) =>
          gkeKubeconfig(
            dnsEndpoint
              ? { name: ctx, endpoint }
              : { name: ctx, endpoint, clusterCaCertificate: auth.clusterCaCertificate ?? "" },
          ),
        ),
    );
    // Built from the cluster alone: Kubernetes objects do not wait for the node pool.
    this.provider = new k8s.Provider(`${name}-gke`, { kubeconfig: this.kubeconfig }, { parent: this });
    const k8sOpts = { parent: this, provider: this.provider };

    if (config.coder) {
      const coder = config.coder;
      const psa = config.network.privateServicesCidr!;
      this.database = new CoderDatabase(
        name,
        {
          ...coder.database,
          network: this.network.id,
          region,
          project,
          kmsKeyId: this.kmsKey.id,
          privateServicesCidr: psa,
          coderd: { namespace: coder.namespace, serviceAccountName: coder.serviceAccountName },
          // From the cluster, so the Workload Identity bindings wait for its pool to exist.
          workloadPool: pulumi
            .all([this.cluster.workloadIdentityConfig, projectId])
            .apply(([w, p]) => w?.workloadPool || workloadPool(p)),
          serviceAccountPrefix: config.clusterName,
        },
        k8sOpts,
      );
      this.coderd = new CoderControlPlane(
        name,
        {
          ...coder.controlPlane,
          exposure: coder.exposure,
          database: { connectionUrl: this.database.connectionUrl },
          serviceAccountAnnotations: this.database.serviceAccountAnnotations,
          extraInitContainers: this.database.proxySidecar.apply((s) => [s]),
          gkeMetadataServer: true,
          // In-cluster API traffic reaches the control plane's private endpoint in the /28.
          kubernetesApi: { cidrs: [config.network.masterCidr], ports: [443] },
          databaseCidrs: [psa],
          databasePort: this.database.port,
        },
        k8sOpts,
      );
    }
    const coderd = this.coderd;

    this.namespace = new CoderNamespace(
      name,
      {
        ...(config.namespace ?? {}),
        capacity: config.network.capacity,
        ...(coderd
          ? { coderd, labels: { ...(config.namespace?.labels ?? {}), [coderWorkspacesNamespaceLabel]: "true" } }
          : {}),
      },
      k8sOpts,
    );
    this.networkPolicy = new WorkspaceNetworkPolicy(
      name,
      { ...(config.networkPolicy ?? {}), namespace: this.namespace.namespaceName, ...(coderd ? { coderd } : {}) },
      k8sOpts,
    );
    this.storageClass = new EncryptedStorageClass(
      name,
      {
        name: config.storageClassName,
        kmsKeyId: this.kmsKey.id,
        isDefault: true,
        // Granted above for the boot disks, once per key.
        grantComputeServiceAgent: false,
      },
      { ...k8sOpts, dependsOn: [computeAgentKey] },
    );
    this.admissionPolicy = new WorkspaceAdmissionPolicy(
      name,
      {
        ...(config.admissionPolicy ?? {}),
        namespace: this.namespace.namespaceName,
        approvedImages: this.registry.approvedImages.apply((prefixes) => [
          ...prefixes,
          ...config.registry.extraApprovedImages,
        ]),
      },
      k8sOpts,
    );

    this.capacity = config.network.capacity;
    this.clusterName = this.cluster.name;
    this.networkName = this.network.name;
    this.subnetworkName = this.subnetwork.name;
    this.kmsKeyId = this.kmsKey.id;
    this.nodeServiceAccountEmail = this.nodeServiceAccount.email;
    this.projectId = projectId;
    this.region = region;
    this.registerOutputs({
      kubeconfig: this.kubeconfig,
      clusterName: this.clusterName,
      endpoint: this.endpoint,
      networkName: this.networkName,
      subnetworkName: this.subnetworkName,
      kmsKeyId: this.kmsKeyId,
      nodeServiceAccountEmail: this.nodeServiceAccountEmail,
      namespace: this.namespace.namespaceName,
      storageClass: this.storageClass.storageClassName,
      approvedImages: this.admissionPolicy.approvedImages,
      capacity: this.capacity,
      ...(this.coderd && this.database
        ? {
            coderdNamespace: this.coderd.namespaceName,
            accessUrl: this.coderd.accessUrl,
            databaseConnectionName: this.database.connectionName,
          }
        : {}),
    });
  }
}
