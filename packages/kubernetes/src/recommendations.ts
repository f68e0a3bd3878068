/**
 * The recommendation catalog: every item of Coder's "Shared security responsibility" guide as typed
 * data. The components, the policy pack and the compliance report all read this one list, so a
 * recommendation cannot be enforced in one place and forgotten in another.
 */

/** Stable ids, one per seed bullet. They are a public contract: never rename one. */
export const recommendationIds = [
  "storage-quotas",
  "storage-encryption",
  "storage-cloud-access",
  "storage-depletion-pvc",
  "storage-depletion-ephemeral",
  "network-tls-coderd",
  "network-tls-upstream",
  "network-boundaries",
  "network-external",
  "network-ip-depletion-pods",
  "network-ip-depletion-services",
  "roles-coder-service-account",
  "roles-cluster-admins",
  "roles-control-plane-access",
  "node-upgrades",
  "node-user-accounts",
  "node-cloud-access",
  "cluster-dedicated",
  "auth-provider-settings",
  "auth-impersonation",
  "registry-dedicated-account",
  "registry-approved-images",
  "git-oauth-linkage",
  "git-ssh-2fa-bypass",
  "git-ssh-and-https",
  "git-dotfiles-access",
  "git-single-provider-per-type",
  "git-oauth-dos",
] as const;

export type RecommendationId = (typeof recommendationIds)[number];

/**
 * Who the seed makes responsible: `coder` where the control lives in coderd's own configuration,
 * `site-admin` where it lives in the environment Coder runs in (cluster, cloud, IdP, registry, Git).
 */
export type Responsibility = "coder" | "site-admin";

/**
 * How this library meets it at best: `default` (a component sets it, a policy guards it),
 * `validated` (unsafe input is refused), `documented` (the report states the site admin's duty).
 */
export type Enforcement = "default" | "validated" | "documented";

export type SeedSection =
  | "Storage"
  | "Networking"
  | "Kubernetes roles"
  | "Node security"
  | "Recommendations"
  | "Authentication provider"
  | "Container registry"
  | "Git provider";

/** One setting of one component that serves a recommendation. */
export interface Control {
  /** Type token of the component that declares it, e.g. `hardened-coder:kubernetes:CoderNamespace`. */
  readonly component: string;
  /** The setting, in the words an auditor would look for. */
  readonly setting: string;
  /** How it is held: set by default, or a refusal of unsafe input. */
  readonly kind: "default" | "validated";
}

export interface Recommendation {
  readonly id: RecommendationId;
  readonly section: SeedSection;
  /** The seed's own words. */
  readonly text: string;
  readonly responsibility: Responsibility;
  readonly enforcement: Enforcement;
  /** The settings that meet it, by component. Empty for purely documented items. */
  readonly controls: readonly Control[];
  /**
   * What the site admin must still do, in plain words: always present, since no control removes
   * every duty (and a stack without the listed components leaves all of it to the admin).
   */
  readonly siteAdminDuty: string;
}

/** Type tokens of the components, so the catalog, report and tests name them one way. */
export const componentTokens = {
  coderNamespace: "hardened-coder:kubernetes:CoderNamespace",
  workspaceNetworkPolicy: "hardened-coder:kubernetes:WorkspaceNetworkPolicy",
  encryptedStorageClass: "hardened-coder:kubernetes:EncryptedStorageClass",
  workspaceAdmissionPolicy: "hardened-coder:kubernetes:WorkspaceAdmissionPolicy",
  registryPullAccount: "hardened-coder:kubernetes:RegistryPullAccount",
  coderControlPlane: "hardened-coder:kubernetes:CoderControlPlane",
  awsHardenedCluster: "hardened-coder:aws:HardenedCluster",
  awsRegistryPullAccount: "hardened-coder:aws:RegistryPullAccount",
  awsEncryptedStorageClass: "hardened-coder:aws:EncryptedStorageClass",
  awsCoderDatabase: "hardened-coder:aws:CoderDatabase",
  gcpHardenedCluster: "hardened-coder:gcp:HardenedCluster",
  gcpRegistryPullAccount: "hardened-coder:gcp:RegistryPullAccount",
  gcpEncryptedStorageClass: "hardened-coder:gcp:EncryptedStorageClass",
  gcpCoderDatabase: "hardened-coder:gcp:CoderDatabase",
} as const;

const T = componentTokens;
const d = (component: string, setting: string): Control => ({ component, setting, kind: "default" });
const v = (component: string, setting: string): Control => ({ component, setting, kind: "validated" });

/** The 28 recommendations, in the seed's order. */
export const recommendations: readonly Recommendation[] = [
  {
    id: "storage-quotas",
    section: "Storage",
    text: "Storage: Quotas",
    responsibility: "site-admin",
    enforcement: "default",
    controls: [
      d(T.coderNamespace, "ResourceQuota: persistentvolumeclaims, requests.storage, requests/limits.ephemeral-storage"),
      v(T.coderNamespace, "a per-workspace shape larger than the quota is refused"),
    ],
    siteAdminDuty: "Review the namespace quota against real workspace usage and raise it through `quota`, not by hand.",
  },
  {
    id: "storage-encryption",
    section: "Storage",
    text: "Storage: Encryption",
    responsibility: "site-admin",
    enforcement: "default",
    controls: [
      v(T.encryptedStorageClass, "StorageClass parameters that disable or omit encryption are refused"),
      d(T.awsEncryptedStorageClass, "EBS CSI gp3, encrypted: true, kmsKeyId = the stack's customer-managed key"),
      d(T.awsHardenedCluster, "EKS secrets envelope encryption and node root volumes on the customer-managed KMS key"),
      d(T.gcpEncryptedStorageClass, "PD CSI disk-encryption-kms-key = the stack's Cloud KMS key"),
      d(T.gcpHardenedCluster, "GKE application-layer secrets encryption and boot disks on the Cloud KMS key"),
      d(T.awsCoderDatabase, "RDS storage and Performance Insights encrypted with the KMS key"),
      d(T.gcpCoderDatabase, "Cloud SQL disk encrypted with the Cloud KMS key (CMEK)"),
    ],
    siteAdminDuty: "Keep the KMS keys' deletion protection and access under review; never mark another class default.",
  },
  {
    id: "storage-cloud-access",
    section: "Storage",
    text: "Storage: Cloud access to volumes",
    responsibility: "site-admin",
    enforcement: "default",
    controls: [
      d(
        T.awsHardenedCluster,
        "KMS key policy: the account administers only; data use by the EKS cluster role, the EBS CSI role and Auto Scaling (node volumes) alone",
      ),
      d(T.awsHardenedCluster, "node role has no EBS or KMS permissions; the EBS CSI controller uses EKS Pod Identity"),
      d(T.gcpHardenedCluster, "node service account holds only logging, monitoring and Artifact Registry read"),
      d(T.gcpEncryptedStorageClass, "only the Compute Engine service agent may use the disk key"),
    ],
    siteAdminDuty:
      "Restrict who in the cloud account can snapshot, attach or read the cluster's volumes (IAM outside this stack).",
  },
  {
    id: "storage-depletion-pvc",
    section: "Storage",
    text: "Storage: Depletion as denial of service: PVC",
    responsibility: "site-admin",
    enforcement: "default",
    controls: [
      d(T.coderNamespace, "ResourceQuota: persistentvolumeclaims and requests.storage"),
      d(T.coderNamespace, "LimitRange: maximum size of one PersistentVolumeClaim"),
    ],
    siteAdminDuty: "Watch PVC usage; orphaned volumes of deleted workspaces still count until removed.",
  },
  {
    id: "storage-depletion-ephemeral",
    section: "Storage",
    text: "Storage: Depletion as denial of service: Ephemeral",
    responsibility: "site-admin",
    enforcement: "default",
    controls: [
      d(T.coderNamespace, "ResourceQuota: requests.ephemeral-storage and limits.ephemeral-storage"),
      d(T.coderNamespace, "LimitRange: default ephemeral-storage request and limit for every container"),
    ],
    siteAdminDuty: "Size node disks for the planned workspaces; kubelet eviction is the last line.",
  },
  {
    id: "network-tls-coderd",
    section: "Networking",
    text: "TLS certificates presented by coderd",
    responsibility: "coder",
    enforcement: "default",
    controls: [
      v(T.coderControlPlane, "accessUrl must be https"),
      d(T.coderControlPlane, "coder.tls.secretNames (TLS on 8443), CODER_TLS_MIN_VERSION, HSTS one year"),
      d(T.coderControlPlane, "CODER_REDIRECT_TO_ACCESS_URL and CODER_SECURE_AUTH_COOKIE"),
    ],
    siteAdminDuty:
      "Provide and renew the certificate for the access URL (cert-manager or the `tls` input) and its DNS.",
  },
  {
    id: "network-tls-upstream",
    section: "Networking",
    text: "TLS certificates presented by the applications with which Coder interacts",
    responsibility: "site-admin",
    enforcement: "validated",
    controls: [
      v(T.coderControlPlane, "database URL must use sslmode=require|verify-ca|verify-full (or a local TLS proxy)"),
      v(T.coderControlPlane, "OIDC issuer and external-auth URLs must be https"),
      d(T.awsCoderDatabase, "RDS parameter rds.force_ssl=1"),
      d(T.gcpCoderDatabase, "Cloud SQL sslMode TRUSTED_CLIENT_CERTIFICATE_REQUIRED"),
    ],
    siteAdminDuty:
      "Keep the IdP's, Git providers' and database's certificates valid and trusted by coderd's CA bundle.",
  },
  {
    id: "network-boundaries",
    section: "Networking",
    text: "Boundaries (e.g., network policies)",
    responsibility: "site-admin",
    enforcement: "default",
    controls: [
      d(T.workspaceNetworkPolicy, "default-deny ingress and egress for the workspace namespace, then named allows"),
      d(T.coderControlPlane, "default-deny NetworkPolicy in coderd's namespace, ingress only on 8080/8443"),
      d(T.awsHardenedCluster, "vpc-cni network policy enforcement on"),
      d(T.gcpHardenedCluster, "Dataplane V2 (network policy enforced)"),
    ],
    siteAdminDuty: "On a cluster you bring, make sure the CNI enforces NetworkPolicy.",
  },
  {
    id: "network-external",
    section: "Networking",
    text: "External interactions (ingress and egress)",
    responsibility: "site-admin",
    enforcement: "default",
    controls: [
      d(
        T.workspaceNetworkPolicy,
        "no ingress to workspaces; egress to the internet without metadata and private ranges",
      ),
      v(T.workspaceNetworkPolicy, "an egress allow that covers the metadata address is refused"),
      d(T.coderControlPlane, "Service ClusterIP or an internal load balancer; public only with allowedSourceRanges"),
      d(
        T.awsHardenedCluster,
        "private subnets for nodes; public subnets only for NAT and load balancers; VPC flow logs; default security group emptied",
      ),
      d(T.gcpHardenedCluster, "private nodes, Cloud NAT egress, no default-allow firewall rules, flow logs"),
    ],
    siteAdminDuty: "Decide which egress destinations workspaces need beyond the internet and list them explicitly.",
  },
  {
    id: "network-ip-depletion-pods",
    section: "Networking",
    text: "IP address depletion: each workspace gets an IP address in the pod subnet",
    responsibility: "site-admin",
    enforcement: "default",
    controls: [
      d(T.coderNamespace, "ResourceQuota: pods"),
      d(T.awsHardenedCluster, "private subnets sized by planCapacity for max nodes x (max pods + 1) per zone"),
      d(T.gcpHardenedCluster, "pod secondary range sized by planCapacity"),
      v(T.awsHardenedCluster, "a user CIDR too small for the plan or overlapping is refused"),
      v(T.gcpHardenedCluster, "a user CIDR too small for the plan or overlapping is refused"),
    ],
    siteAdminDuty: "Re-run the plan when the expected number of concurrent workspaces grows.",
  },
  {
    id: "network-ip-depletion-services",
    section: "Networking",
    text: "IP address depletion: each dev URL gets an IP address in the services subnet",
    responsibility: "site-admin",
    enforcement: "default",
    controls: [
      d(T.coderNamespace, "ResourceQuota: services, services.loadbalancers 0, services.nodeports 0"),
      d(T.awsHardenedCluster, "serviceIpv4Cidr sized by planCapacity"),
      d(T.gcpHardenedCluster, "services secondary range sized by planCapacity"),
    ],
    siteAdminDuty: "Keep templates from creating Services per workspace; dev URLs in Coder v2 go through coderd.",
  },
  {
    id: "roles-coder-service-account",
    section: "Kubernetes roles",
    text: "Service accounts for Coder to create pods",
    responsibility: "site-admin",
    enforcement: "default",
    controls: [
      d(
        T.coderNamespace,
        "coderd's ServiceAccount bound to a namespaced Role (pods, PVCs, deployments; agent-token Secrets by name only); no ClusterRole",
      ),
      d(T.coderNamespace, "default ServiceAccount with token automount off"),
      d(T.coderControlPlane, "coder.serviceAccount.workspacePerms false: the chart creates no Role of its own"),
    ],
    siteAdminDuty: "Grant nothing more to coderd's ServiceAccount by hand.",
  },
  {
    id: "roles-cluster-admins",
    section: "Kubernetes roles",
    text: "Cluster admins (use of cluster admins can pose a security risk)",
    responsibility: "site-admin",
    enforcement: "default",
    controls: [
      d(
        T.awsHardenedCluster,
        "authenticationMode API, no bootstrap cluster-creator admin, admins as explicit access entries",
      ),
      d(T.gcpHardenedCluster, "no client certificate, legacy ABAC off; admins through IAM"),
    ],
    siteAdminDuty: "Keep the cluster-admin list short and reviewed; use it only for break-glass work.",
  },
  {
    id: "roles-control-plane-access",
    section: "Kubernetes roles",
    text: "Cloud access to the control plane",
    responsibility: "site-admin",
    enforcement: "default",
    controls: [
      d(T.awsHardenedCluster, "EKS private endpoint only; all five control-plane log types retained and encrypted"),
      v(T.awsHardenedCluster, "a public endpoint requires allowedCidrs, never 0.0.0.0/0"),
      d(T.gcpHardenedCluster, "private endpoint; master authorized networks"),
      v(T.gcpHardenedCluster, "a public endpoint requires authorized networks, never 0.0.0.0/0"),
    ],
    siteAdminDuty: "Limit cloud IAM permissions that can change the cluster (eks:*, container.*) to the platform team.",
  },
  {
    id: "node-upgrades",
    section: "Node security",
    text: "Upgrades to keep up with Kubernetes",
    responsibility: "site-admin",
    enforcement: "default",
    controls: [
      d(
        T.awsHardenedCluster,
        "a current EKS version on standard support only; managed node group with rolling updateConfig and auto-repair",
      ),
      d(T.gcpHardenedCluster, "release channel; node auto-upgrade and auto-repair"),
    ],
    siteAdminDuty: "Bump the Kubernetes version before it leaves standard support; read the upgrade notes.",
  },
  {
    id: "node-user-accounts",
    section: "Node security",
    text: "Access to node user accounts",
    responsibility: "site-admin",
    enforcement: "default",
    controls: [
      d(T.coderNamespace, "Pod Security restricted: no hostPath, host namespaces or privileged pods"),
      d(
        T.workspaceAdmissionPolicy,
        "ValidatingAdmissionPolicy: no privileged, privilege escalation, added capabilities (but NET_BIND_SERVICE), hostNetwork, hostPID, hostIPC, hostPath or host ports",
      ),
      d(T.awsHardenedCluster, "no SSH key or remote access on nodes; Bottlerocket/AL2023"),
      d(T.gcpHardenedCluster, "Container-Optimized OS, no SSH keys, shielded nodes"),
    ],
    siteAdminDuty: "Use SSM or OS Login break-glass access only, audited.",
  },
  {
    id: "node-cloud-access",
    section: "Node security",
    text: "Cloud access to nodes",
    responsibility: "site-admin",
    enforcement: "default",
    controls: [
      d(T.workspaceNetworkPolicy, "workspace egress to the metadata address denied"),
      d(
        T.awsHardenedCluster,
        "IMDSv2 required with hop limit 1; node role with only node policies; VPC CNI and EBS CSI through Pod Identity",
      ),
      d(T.gcpHardenedCluster, "workload metadata GKE_METADATA; legacy endpoints off; least-privilege node SA"),
    ],
    siteAdminDuty: "Keep the node role/service account free of extra grants.",
  },
  {
    id: "cluster-dedicated",
    section: "Recommendations",
    text: "Deploy Coder to its own cluster",
    responsibility: "site-admin",
    enforcement: "default",
    controls: [
      d(T.awsHardenedCluster, "a dedicated VPC and EKS cluster for Coder"),
      d(T.gcpHardenedCluster, "a dedicated VPC and GKE cluster for Coder"),
    ],
    siteAdminDuty: "Run nothing but Coder on the cluster; on a cluster you bring, that is yours to ensure.",
  },
  {
    id: "auth-provider-settings",
    section: "Authentication provider",
    text: "Changing the authentication provider settings can render Coder insecure",
    responsibility: "coder",
    enforcement: "default",
    controls: [
      v(T.coderControlPlane, "OIDC issuer required and https"),
      d(T.coderControlPlane, "CODER_DISABLE_PASSWORD_AUTH, signups limited to emailDomains, GitHub default login off"),
      d(T.coderControlPlane, "OIDC client secret by secretKeyRef from a Pulumi secret"),
    ],
    siteAdminDuty:
      "Change IdP settings only through this stack; owners keep a password login for lock-out recovery: guard it.",
  },
  {
    id: "auth-impersonation",
    section: "Authentication provider",
    text: "Site admins could convert an OIDC user to built-in and impersonate them",
    responsibility: "coder",
    enforcement: "default",
    controls: [
      d(T.coderControlPlane, "CODER_DISABLE_PASSWORD_AUTH: a converted account has no password login"),
      d(T.coderControlPlane, "CODER_DISABLE_OWNER_WORKSPACE_ACCESS: owners cannot act inside users' workspaces"),
    ],
    siteAdminDuty: "Audit login-type changes and owner actions in Coder's audit log.",
  },
  {
    id: "registry-dedicated-account",
    section: "Container registry",
    text: "A Coder-only registry account so users only pull approved images",
    responsibility: "site-admin",
    enforcement: "default",
    controls: [
      d(T.registryPullAccount, "a dockerconfigjson pull Secret (Pulumi secret) used by the workspace ServiceAccount"),
      d(
        T.awsRegistryPullAccount,
        "nodes may pull only from the approved ECR repositories (and EKS add-on images); no account-wide ECR policy",
      ),
      d(T.gcpRegistryPullAccount, "node service account is reader on the approved repositories only"),
    ],
    siteAdminDuty: "Give the pull account read-only access to approved repositories only, in the registry itself.",
  },
  {
    id: "registry-approved-images",
    section: "Container registry",
    text: "Any user can reference any container within the registry",
    responsibility: "site-admin",
    enforcement: "default",
    controls: [
      d(
        T.workspaceAdmissionPolicy,
        "ValidatingAdmissionPolicy (Deny, fail closed): every container, initContainer and ephemeralContainer image of pods and pod templates starts with an approved prefix, digest-pinned when requireDigest",
      ),
      v(T.workspaceAdmissionPolicy, "an empty approved list is refused"),
    ],
    siteAdminDuty: "Curate what lands under the approved prefixes; scan images on push.",
  },
  {
    id: "git-oauth-linkage",
    section: "Git provider",
    text: "OAuth linkage allows Coder admins to perform actions as the linked Git user",
    responsibility: "coder",
    enforcement: "default",
    controls: [
      d(T.coderControlPlane, "external auth with minimal default scopes per provider type"),
      d(T.coderControlPlane, "Coder-managed GitHub external-auth app off"),
    ],
    siteAdminDuty: "Tell users that linking lets Coder act as them; keep the OAuth app's scopes minimal.",
  },
  {
    id: "git-ssh-2fa-bypass",
    section: "Git provider",
    text: "Coder-generated SSH keys can circumvent 2FA",
    responsibility: "coder",
    enforcement: "documented",
    controls: [],
    siteAdminDuty:
      "Prefer HTTPS with OAuth over Coder's SSH keys; where Git providers allow, require SSH certificates or restrict key use.",
  },
  {
    id: "git-ssh-and-https",
    section: "Git provider",
    text: "Git integration needs both SSH and HTTPS access",
    responsibility: "site-admin",
    enforcement: "default",
    controls: [
      d(
        T.workspaceNetworkPolicy,
        "workspace egress to the internet on every port (SSH 22 and HTTPS 443 included) in the default policy",
      ),
      d(T.coderControlPlane, "coderd egress 443 to Git providers"),
    ],
    siteAdminDuty: "With a CIDR allow-list egress, list the Git provider's ranges on 22 and 443.",
  },
  {
    id: "git-dotfiles-access",
    section: "Git provider",
    text: "Access to all user repos is needed to clone private dotfiles repos",
    responsibility: "site-admin",
    enforcement: "documented",
    controls: [],
    siteAdminDuty: "Decide whether private dotfiles are worth repo-wide scopes; public dotfiles need none.",
  },
  {
    id: "git-single-provider-per-type",
    section: "Git provider",
    text: "Only one Git provider of each type can be linked",
    responsibility: "coder",
    enforcement: "validated",
    controls: [v(T.coderControlPlane, "two external-auth providers of one type without distinct regex are refused")],
    siteAdminDuty: "Give each provider of a type its own regex when you need more than one.",
  },
  {
    id: "git-oauth-dos",
    section: "Git provider",
    text: "Disabling the OAuth linking account may cause a denial of service",
    responsibility: "site-admin",
    enforcement: "documented",
    controls: [],
    siteAdminDuty: "Own the OAuth app in an organisation account, not a person's; monitor its health.",
  },
];

/** Looks an entry up by id (throws naming the id when unknown). */
export function recommendation(id: RecommendationId): Recommendation {
  const found = recommendations.find((r) => r.id === id);
  if (!found) throw new Error(`unknown recommendation id "${id}"`);
  return found;
}
