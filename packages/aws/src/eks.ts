/**
 * EKS facts the components rely on: versions, log types, add-on settings, node AMIs and pod limits,
 * the add-on image registries, and the kubeconfig. Pure; no Pulumi.
 */

/**
 * The Kubernetes version a new cluster gets. EKS released 1.36 on 2 June 2026; it is in standard
 * support until 2 August 2027. Bump it (and read the upgrade notes) before then (node-upgrades).
 */
export const defaultKubernetesVersion = "1.36";

/**
 * The oldest version accepted. From 1.30 EKS no longer marks its unencrypted `gp2` StorageClass as
 * the default, so the stack's encrypted class is the only default (storage-encryption); older
 * versions are past even extended support.
 */
export const minimumKubernetesVersion = "1.30";

/** Checks a `major.minor` version against the minimum; throws naming `field`. */
export function resolveKubernetesVersion(value: string | undefined, field = "kubernetesVersion"): string {
  const version = value ?? defaultKubernetesVersion;
  const m = /^1\.(\d+)$/.exec(version);
  if (!m)
    throw new Error(
      `${field}: "${version}" is not an EKS version; write it as major.minor, e.g. "${defaultKubernetesVersion}"`,
    );
  const minMinor = Number(minimumKubernetesVersion.split(".")[1]);
  if (Number(m[1]) < minMinor) {
    throw new Error(
      `${field}: ${version} is older than ${minimumKubernetesVersion} (past EKS support, and its gp2 StorageClass ` +
        `is an unencrypted default); use "${defaultKubernetesVersion}"`,
    );
  }
  return version;
}

/** All five control-plane log types (roles-control-plane-access). */
export const controlPlaneLogTypes = ["api", "audit", "authenticator", "controllerManager", "scheduler"] as const;

/** CloudWatch Logs' allowed retention periods, in days. */
export const logRetentionDays = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/**
 * The VPC CNI add-on's configuration: network policy enforcement on (its eBPF agent), so the
 * namespace's NetworkPolicies are enforced at all (network-boundaries).
 */
export const vpcCniConfiguration = { enableNetworkPolicy: "true" } as const;

/** The ServiceAccounts the add-ons run as, which Pod Identity associations name. */
export const addonServiceAccounts = {
  vpcCni: { namespace: "kube-system", serviceAccount: "aws-node" },
  ebsCsi: { namespace: "kube-system", serviceAccount: "ebs-csi-controller-sa" },
} as const;

/**
 * Account that serves EKS add-on images per region (EKS User Guide, "View Amazon container image
 * registries for Amazon EKS add-ons"); every region not listed uses 602401143452.
 */
export const eksAddonImageAccounts: Readonly<Record<string, string>> = {
  "af-south-1": "877085696533",
  "ap-east-1": "800184023465",
  "ap-east-2": "533267051163",
  "ap-southeast-3": "296578399912",
  "ap-south-2": "900889452093",
  "ap-southeast-4": "491585149902",
  "ap-southeast-5": "151610086707",
  "ap-southeast-6": "333609536671",
  "ap-southeast-7": "121268973566",
  "cn-north-1": "918309763551",
  "cn-northwest-1": "961992271922",
  "eu-south-1": "590381155156",
  "eu-south-2": "455263428931",
  "eu-central-2": "900612956339",
  "il-central-1": "066635153087",
  "mx-central-1": "730335286997",
  "me-south-1": "558608220178",
  "me-central-1": "759879836304",
  "ca-west-1": "761377655185",
  "us-gov-east-1": "151742754352",
  "us-gov-west-1": "013241004608",
  "eusc-de-east-1": "877088126301",
};

export function eksAddonImageAccount(region: string): string {
  return eksAddonImageAccounts[region] ?? "602401143452";
}

/** Node AMI families EKS manages: Amazon Linux 2023 or Bottlerocket (node-user-accounts). */
export const nodeAmiTypes = [
  "AL2023_x86_64_STANDARD",
  "AL2023_ARM_64_STANDARD",
  "BOTTLEROCKET_x86_64",
  "BOTTLEROCKET_ARM_64",
] as const;
export type NodeAmiType = (typeof nodeAmiTypes)[number];

/** Graviton instance families (m7g, c6gn, r8gd, t4g...) run ARM AMIs. */
export function isArmInstanceType(instanceType: string): boolean {
  return /^[a-z]+\d+g[a-z]*\./.test(instanceType);
}

const sizePods: Readonly<Record<string, number>> = {
  large: 29,
  xlarge: 58,
  "2xlarge": 58,
  "4xlarge": 110,
  "8xlarge": 234,
};
const burstablePods: Readonly<Record<string, number>> = { medium: 17, large: 35, xlarge: 58, "2xlarge": 58 };

/**
 * The max pods EKS sets for a managed node group instance with the VPC CNI: ENIs x (IPv4 per ENI - 1)
 * + 2, capped at 110 below 30 vCPUs and 250 above. Known for the current general-purpose, compute
 * and memory families from large to 8xlarge; `undefined` for others (then the plan needs
 * `capacity.maxPodsPerNode`).
 */
export function vpcCniMaxPods(instanceType: string): number | undefined {
  const m = /^([a-z]+)(\d+)([a-z]*)\.(\w+)$/.exec(instanceType);
  if (!m) return undefined;
  const [, cls, gen, , size] = m as unknown as [string, string, string, string, string];
  if (["m", "c", "r"].includes(cls) && Number(gen) >= 5) return sizePods[size];
  if (cls === "t" && Number(gen) >= 3) return burstablePods[size];
  return undefined;
}

export interface BlockDevice {
  readonly deviceName: string;
  readonly volumeSizeGiB: number;
}

/**
 * The volumes a node AMI boots with, each of which the launch template must encrypt: AL2023 has one
 * root volume; Bottlerocket an OS volume and a data volume (containers, images, ephemeral storage).
 */
export function nodeBlockDevices(amiType: NodeAmiType, diskSizeGiB: number): BlockDevice[] {
  if (amiType.startsWith("BOTTLEROCKET")) {
    return [
      { deviceName: "/dev/xvda", volumeSizeGiB: 4 },
      { deviceName: "/dev/xvdb", volumeSizeGiB: diskSizeGiB },
    ];
  }
  return [{ deviceName: "/dev/xvda", volumeSizeGiB: diskSizeGiB }];
}

export interface KubeconfigArgs {
  readonly clusterName: string;
  readonly endpoint: string;
  readonly certificateAuthorityData: string;
  readonly region: string;
  /** An AWS CLI profile for `aws eks get-token` (sets AWS_PROFILE). */
  readonly profile?: string;
}

/**
 * A kubeconfig that authenticates with `aws eks get-token` (short-lived tokens from the caller's
 * IAM identity; no static credential in it). As JSON, which kubectl and the provider both read.
 */
export function kubeconfig(args: KubeconfigArgs): string {
  const name = args.clusterName;
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      { name, cluster: { server: args.endpoint, "certificate-authority-data": args.certificateAuthorityData } },
    ],
    contexts: [{ name, context: { cluster: name, user: name } }],
    "current-context": name,
    preferences: {},
    users: [
      {
        name,
        user: {
          exec: {
            apiVersion: "client.authentication.k8s.io/v1beta1",
            command: "aws",
            args: ["eks", "get-token", "--cluster-name", name, "--region", args.region, "--output", "json"],
            ...(args.profile ? { env: [{ name: "AWS_PROFILE", value: args.profile }] } : {}),
            interactiveMode: "Never",
          },
        },
      },
    ],
  });
}

/** EKS cluster names: 1-100 characters, alphanumerics, `-` and `_`, starting alphanumeric. */
export function requireClusterName(field: string, value: string): string {
  if (!/^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/.test(value)) {
    throw new Error(
      `${field}: "${value}" is not a valid EKS cluster name; use 1-100 letters, digits, '-' or '_', starting with a letter or digit`,
    );
  }
  return value;
}
