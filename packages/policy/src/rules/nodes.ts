/** Node security (upgrades, user accounts, cloud access) and the dedicated cluster. */
import { cidrContains, parseCidr } from "@hardened-coder/kubernetes";
import {
  type CheckedResource,
  type Finding,
  type Props,
  at,
  block,
  isFalse,
  isTrue,
  list,
  record,
  str,
  strings,
  violation,
} from "../model";
import { clusterOf, isKind, isWorkspaceNamespace, labelsOf, objectNamespace, workspaceNamespaces } from "../kubernetes";
import { gkeNodeConfigs, isDefaultComputeServiceAccount } from "../iam";
import type { ResourceRule, StackRule } from "../rule";

/** `1.33` -> [1, 33]; undefined when the string holds no major.minor. */
function minorVersion(v: string | undefined): [number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)/.exec(v ?? "");
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

function olderThan(v: [number, number], min: [number, number]): boolean {
  return v[0] < min[0] || (v[0] === min[0] && v[1] < min[1]);
}

export const nodeUpgrades: ResourceRule = {
  id: "node-upgrades",
  kind: "resource",
  settings: ["minimumKubernetesVersion"],
  guards: [
    "aws:eks/cluster:Cluster",
    "aws:eks/nodeGroup:NodeGroup",
    "gcp:container/cluster:Cluster",
    "gcp:container/nodePool:NodePool",
  ],
  remediation:
    "Run a supported Kubernetes minor version and keep nodes upgrading: EKS version at or above the configured minimum " +
    "with rolling node group updates; GKE on a release channel with node auto-upgrade and auto-repair.",
  check: (r, settings) => {
    const p = r.props;
    const min = minorVersion(settings.minimumKubernetesVersion)!;
    const tooOld = (field: string, v: string | undefined): string[] => {
      const parsed = minorVersion(v);
      return parsed && olderThan(parsed, min)
        ? [
            violation(
              r,
              field,
              `is ${v}, older than ${settings.minimumKubernetesVersion}`,
              `upgrade to ${settings.minimumKubernetesVersion} or later (policy setting minimumKubernetesVersion)`,
            ),
          ]
        : [];
    };
    switch (r.type) {
      case "aws:eks/cluster:Cluster": {
        const out = tooOld("version", str(p.version));
        if (str(at(block(p.upgradePolicy), "supportType")) === "EXTENDED") {
          out.push(
            violation(
              r,
              "upgradePolicy.supportType",
              "is EXTENDED, so the cluster may stay on a version past standard support for another year",
              'set supportType "STANDARD" and upgrade before standard support ends',
            ),
          );
        }
        return out;
      }
      case "aws:eks/nodeGroup:NodeGroup": {
        const out = tooOld("version", str(p.version));
        const update = block(p.updateConfig);
        if (str(update.maxUnavailable) === undefined && str(update.maxUnavailablePercentage) === undefined) {
          out.push(
            violation(
              r,
              "updateConfig",
              "is unset, so node upgrades are not rolled out in a controlled way",
              "set updateConfig { maxUnavailable: 1 } (or maxUnavailablePercentage)",
            ),
          );
        }
        return out;
      }
      case "gcp:container/cluster:Cluster": {
        const out = tooOld("minMasterVersion", str(p.minMasterVersion));
        const channel = str(at(block(p.releaseChannel), "channel"));
        if (!channel || channel === "UNSPECIFIED") {
          out.push(
            violation(
              r,
              "releaseChannel.channel",
              `is ${channel ?? "unset"}, so the cluster is not kept on a supported version`,
              'set releaseChannel { channel: "REGULAR" } (or STABLE)',
            ),
          );
        }
        return out;
      }
      case "gcp:container/nodePool:NodePool": {
        const m = block(p.management);
        const off = ["autoUpgrade", "autoRepair"].filter((k) => isFalse(m[k]));
        return off.length === 0
          ? []
          : [
              violation(
                r,
                `management.${off.join(", management.")}`,
                "is false",
                "set autoUpgrade and autoRepair to true",
              ),
            ];
      }
      default:
        return [];
    }
  },
};

export const nodeUserAccounts: ResourceRule = {
  id: "node-user-accounts",
  kind: "resource",
  settings: ["workspaceNamespaces", "workspaceNamespaceLabel"],
  guards: [
    "kubernetes:core/v1:Namespace",
    "aws:eks/nodeGroup:NodeGroup",
    "aws:ec2/launchTemplate:LaunchTemplate",
    "aws:ec2/instance:Instance",
    "gcp:container/nodePool:NodePool",
    "gcp:container/cluster:Cluster",
  ],
  remediation:
    "Keep workloads off the node and people off node accounts: Pod Security restricted on workspace namespaces, no SSH " +
    "keys or remote access on nodes, Container-Optimized OS with Shielded VM secure boot on GKE.",
  check: (r, settings) => {
    const p = r.props;
    if (isKind(r, "Namespace")) {
      if (!isWorkspaceNamespace(r, settings)) return [];
      const enforce = labelsOf(r)["pod-security.kubernetes.io/enforce"];
      return enforce === "restricted"
        ? []
        : [
            violation(
              r,
              'metadata.labels["pod-security.kubernetes.io/enforce"]',
              `is ${enforce ? `"${enforce}"` : "unset"}, so workspace pods may use host namespaces, hostPath or privilege`,
              'set it to "restricted" (CoderNamespace podSecurity default) and fix templates to conform',
            ),
          ];
    }
    switch (r.type) {
      case "aws:eks/nodeGroup:NodeGroup":
        return Object.keys(block(p.remoteAccess)).length > 0
          ? [
              violation(
                r,
                "remoteAccess",
                "opens SSH to the nodes",
                "remove remoteAccess; use SSM Session Manager for audited break-glass access",
              ),
            ]
          : [];
      case "aws:ec2/launchTemplate:LaunchTemplate":
      case "aws:ec2/instance:Instance":
        return str(p.keyName)
          ? [violation(r, "keyName", `installs SSH key "${str(p.keyName)}"`, "remove keyName; use SSM")]
          : [];
      case "gcp:container/nodePool:NodePool":
      case "gcp:container/cluster:Cluster": {
        const out: string[] = [];
        if (r.type === "gcp:container/cluster:Cluster" && isFalse(p.enableShieldedNodes)) {
          out.push(violation(r, "enableShieldedNodes", "is false", "set enableShieldedNodes: true"));
        }
        for (const { path, config } of gkeNodeConfigs(r)) {
          const image = str(config.imageType);
          if (image !== undefined && !/^COS/i.test(image)) {
            out.push(violation(r, `${path}.imageType`, `is ${image}`, 'use "COS_CONTAINERD" (Container-Optimized OS)'));
          }
          if (!isTrue(at(block(config.shieldedInstanceConfig), "enableSecureBoot"))) {
            out.push(
              violation(
                r,
                `${path}.shieldedInstanceConfig.enableSecureBoot`,
                "is not true, so nodes boot unverified kernels and modules",
                "set shieldedInstanceConfig { enableSecureBoot: true, enableIntegrityMonitoring: true }",
              ),
            );
          }
          const metadata = record(config.metadata);
          for (const key of ["ssh-keys", "sshKeys"]) {
            if (metadata[key] !== undefined) {
              out.push(
                violation(r, `${path}.metadata["${key}"]`, "installs SSH keys on the nodes", "remove it; use OS Login"),
              );
            }
          }
        }
        return out;
      }
      default:
        return [];
    }
  },
};

const metadataAddresses = ["169.254.169.254/32"];

/** Whether an egress peer list reaches the cloud metadata address (IPv4 169.254.169.254 or EC2's fd00:ec2::254). */
/**
 * Whether an egress rule reaches the cloud metadata address. With `explicitGrant`, a peer naming
 * exactly 169.254.169.254/32 does not count: outside workspace namespaces that is a deliberate grant
 * (GKE's metadata server hands pods their own Workload Identity, not the node's).
 */
function reachesMetadata(rule: Props, explicitGrant: boolean): boolean {
  const ports = list(rule.ports).map(record);
  // The metadata servers listen on TCP 80; a rule limited to other ports cannot reach them.
  const portOk =
    ports.length === 0 ||
    ports.some((x) => (str(x.protocol) ?? "TCP") === "TCP" && [undefined, "80"].includes(str(x.port)));
  if (!portOk) return false;
  const peers = list(rule.to).map(record);
  if (peers.length === 0) return true;
  return peers.some((peer) => {
    const cidr = str(at(peer, "ipBlock.cidr"));
    if (!cidr) return false;
    if (explicitGrant && metadataAddresses.includes(cidr)) return false;
    const except = strings(at(peer, "ipBlock.except"));
    if (cidr.includes(":")) {
      return (
        (cidr === "::/0" || cidr.startsWith("fd00:ec2")) &&
        !except.some((e) => e.startsWith("fd00:ec2::254") || e === "fc00::/7")
      );
    }
    try {
      const block = parseCidr(cidr);
      return metadataAddresses.some((m) => {
        const meta = parseCidr(m);
        if (!cidrContains(block, meta)) return false;
        return !except.some((e) => {
          try {
            return cidrContains(parseCidr(e), meta);
          } catch {
            return false;
          }
        });
      });
    } catch {
      return false;
    }
  });
}

const nodeCloudAccessGuards = [
  "aws:ec2/launchTemplate:LaunchTemplate",
  "aws:eks/nodeGroup:NodeGroup",
  "gcp:container/cluster:Cluster",
  "gcp:container/nodePool:NodePool",
  "kubernetes:networking.k8s.io/v1:NetworkPolicy",
];
const nodeCloudAccessRemediation =
  "Keep pods away from the node's cloud identity: IMDSv2 required with hop limit 1 (EKS), GKE_METADATA with Workload " +
  "Identity and a dedicated node service account (GKE), and no NetworkPolicy egress to the metadata address.";

/** The node and cluster settings that keep pods from the node's cloud identity, one resource at a time. */
function nodeIdentityProblems(r: CheckedResource): string[] {
  const p = r.props;
  switch (r.type) {
    case "aws:ec2/launchTemplate:LaunchTemplate": {
      const md = block(p.metadataOptions);
      if (str(md.httpEndpoint) === "disabled") return [];
      const out: string[] = [];
      if (str(md.httpTokens) !== "required") {
        out.push(
          violation(
            r,
            "metadataOptions.httpTokens",
            `is ${str(md.httpTokens) ?? "unset (IMDSv1 allowed)"}`,
            'set httpTokens "required" (IMDSv2)',
          ),
        );
      }
      if (Number(str(md.httpPutResponseHopLimit) ?? "0") !== 1) {
        out.push(
          violation(
            r,
            "metadataOptions.httpPutResponseHopLimit",
            `is ${str(md.httpPutResponseHopLimit) ?? "unset"}, so pods can reach the node role's credentials`,
            "set httpPutResponseHopLimit: 1",
          ),
        );
      }
      return out;
    }
    case "aws:eks/nodeGroup:NodeGroup":
      return Object.keys(block(p.launchTemplate)).length > 0
        ? []
        : [
            violation(
              r,
              "launchTemplate",
              "is unset, so nodes take EKS's default metadata options (hop limit 2: pods reach the node role)",
              'use a launch template with metadataOptions { httpTokens: "required", httpPutResponseHopLimit: 1 }',
            ),
          ];
    case "gcp:container/cluster:Cluster":
    case "gcp:container/nodePool:NodePool": {
      const out: string[] = [];
      if (r.type === "gcp:container/cluster:Cluster" && !str(at(block(p.workloadIdentityConfig), "workloadPool"))) {
        out.push(
          violation(
            r,
            "workloadIdentityConfig.workloadPool",
            "is unset, so pods can only get cloud access through the node's identity",
            'set workloadIdentityConfig { workloadPool: "<project>.svc.id.goog" }',
          ),
        );
      }
      for (const { path, config } of gkeNodeConfigs(r)) {
        const mode = str(at(block(config.workloadMetadataConfig), "mode"));
        if (mode !== "GKE_METADATA") {
          out.push(
            violation(
              r,
              `${path}.workloadMetadataConfig.mode`,
              `is ${mode ?? "unset"}, so pods see the node's metadata server and its service account token`,
              'set workloadMetadataConfig { mode: "GKE_METADATA" }',
            ),
          );
        }
        const sa = str(config.serviceAccount);
        if (isDefaultComputeServiceAccount(sa)) {
          out.push(
            violation(
              r,
              `${path}.serviceAccount`,
              `is ${sa ?? "unset"}: the Compute Engine default account, Editor on the project`,
              "run nodes as a dedicated service account holding only logging, monitoring and registry read",
            ),
          );
        }
        if (isFalse(record(config.metadata)["disable-legacy-endpoints"])) {
          out.push(violation(r, `${path}.metadata["disable-legacy-endpoints"]`, "is false", 'set it to "true"'));
        }
      }
      return out;
    }
    default:
      return [];
  }
}

export const nodeCloudAccess: StackRule = {
  id: "node-cloud-access",
  kind: "stack",
  settings: ["workspaceNamespaces", "workspaceNamespaceLabel"],
  guards: nodeCloudAccessGuards,
  remediation: nodeCloudAccessRemediation,
  check: (resources, settings) => {
    const findings: Finding[] = [];
    for (const r of resources) {
      for (const message of nodeIdentityProblems(r)) findings.push({ message, urn: r.urn });
    }
    const workspaces = workspaceNamespaces(resources, settings);
    for (const np of resources.filter((r) => isKind(r, "NetworkPolicy"))) {
      const ns = objectNamespace(np);
      const inWorkspace = workspaces.some((w) => w.name === ns && (w.cluster === "*" || w.cluster === clusterOf(np)));
      const reaches = list(at(np.props, "spec.egress"))
        .map(record)
        .some((rule) => reachesMetadata(rule, !inWorkspace));
      if (!reaches) continue;
      findings.push({
        message: violation(
          np,
          "spec.egress",
          inWorkspace
            ? `allows workspace pods in "${ns}" to reach the cloud metadata address 169.254.169.254 (port 80)`
            : "allows traffic to the cloud metadata address 169.254.169.254 (port 80) through a broader block",
          'exclude it: ipBlock { cidr: "0.0.0.0/0", except: ["169.254.169.254/32", ...] }, or name ports other than 80 ' +
            "(outside workspace namespaces, a GKE Workload Identity client may name 169.254.169.254/32 on its own)",
        ),
        urn: np.urn,
      });
    }
    return findings;
  },
};

/** The stack's resources of `type` that `r` depends on (directly). */
function dependsOnType(r: CheckedResource, resources: readonly CheckedResource[], type: string): CheckedResource[] {
  return resources.filter((x) => x.type === type && r.dependencies.includes(x.urn));
}

/** Provider ids of the stack's resources of `type` (outputs carry `id`). */
function idsOf(resources: readonly CheckedResource[], type: string): Set<string> {
  return new Set(
    resources
      .filter((r) => r.type === type)
      .flatMap((r) => [str(r.props.id), str(r.props.selfLink), str(r.props.name)])
      .filter((x): x is string => x !== undefined),
  );
}

/** Whether every subnet of an EKS cluster is one this stack creates, in a VPC this stack creates. */
function eksOnOwnNetwork(c: CheckedResource, resources: readonly CheckedResource[]): boolean {
  const declared = strings(at(block(c.props.vpcConfig), "subnetIds"));
  const subnets = resources.filter((r) => r.type === "aws:ec2/subnet:Subnet");
  const subnetIds = idsOf(resources, "aws:ec2/subnet:Subnet");
  if (subnetIds.size === 0) {
    // Without ids (a preview of new subnets) the dependency graph still says where they come from.
    const deps = dependsOnType(c, resources, "aws:ec2/subnet:Subnet");
    return deps.length > 0 && deps.every((s) => dependsOnType(s, resources, "aws:ec2/vpc:Vpc").length > 0);
  }
  const vpcIds = idsOf(resources, "aws:ec2/vpc:Vpc");
  const used = subnets.filter((s) => declared.includes(str(s.props.id) ?? ""));
  return (
    declared.length > 0 &&
    declared.every((id) => subnetIds.has(id)) &&
    used.every((s) => vpcIds.has(str(s.props.vpcId) ?? "") || dependsOnType(s, resources, "aws:ec2/vpc:Vpc").length > 0)
  );
}

export const clusterDedicated: StackRule = {
  id: "cluster-dedicated",
  kind: "stack",
  settings: [],
  guards: ["aws:eks/cluster:Cluster", "gcp:container/cluster:Cluster"],
  remediation:
    "Give Coder its own cluster in its own network: the EKS cluster's subnets and the GKE cluster's network are created " +
    "by this stack, not shared or default ones.",
  check: (resources) => {
    const findings: Finding[] = [];
    for (const c of resources.filter((r) => r.type === "aws:eks/cluster:Cluster")) {
      if (eksOnOwnNetwork(c, resources)) continue;
      findings.push({
        message: violation(
          c,
          "vpcConfig.subnetIds",
          "are not all subnets of a VPC this stack creates, so the cluster shares a network with other workloads",
          "create a dedicated VPC and subnets for Coder's cluster in this stack (aws.HardenedCluster does)",
        ),
        urn: c.urn,
      });
    }
    const networks = idsOf(resources, "gcp:compute/network:Network");
    for (const c of resources.filter((r) => r.type === "gcp:container/cluster:Cluster")) {
      const network = str(c.props.network);
      const own =
        network !== undefined && network !== "default"
          ? networks.has(network) || [...networks].some((n) => network.endsWith(`/${n}`))
          : false;
      if (own) continue;
      findings.push({
        message: violation(
          c,
          "network",
          `is ${network ?? "unset (the default network)"}, not a network this stack creates`,
          "create a dedicated VPC network and subnetwork for Coder's cluster in this stack (gcp.HardenedCluster does)",
        ),
        urn: c.urn,
      });
    }
    return findings;
  },
};

export const nodeRules = [nodeUpgrades, nodeUserAccounts, nodeCloudAccess, clusterDedicated] as const;
