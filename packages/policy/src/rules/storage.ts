/** Storage: quotas, encryption, cloud access to volumes, depletion by PVCs and ephemeral storage. */
import { checkStorageClassEncryption } from "@hardened-coder/kubernetes";
import {
  type CheckedResource,
  type Finding,
  at,
  block,
  isFalse,
  isTrue,
  label,
  list,
  parentTypeOf,
  record,
  str,
  strings,
  violation,
} from "../model";
import { objectsIn, quotaKeys, workspaceNamespaces } from "../kubernetes";
import {
  awsStatements,
  eksNodeRoles,
  gkeNodeConfigs,
  gkeNodeServiceAccounts,
  grantedActions,
  managedPolicyName,
  memberIs,
  policiesOfRole,
  projectGrants,
} from "../iam";
import type { ResourceRule, StackRule } from "../rule";
import type { PolicySettings } from "../config";

/** Missing `spec.hard` keys of the namespace's quotas, as one finding per namespace. */
function quotaFindings(
  resources: readonly CheckedResource[],
  settings: PolicySettings,
  required: readonly string[],
  why: string,
): Finding[] {
  const findings: Finding[] = [];
  for (const ns of workspaceNamespaces(resources, settings)) {
    const quotas = objectsIn(resources, ns, "ResourceQuota");
    const keys = quotaKeys(quotas);
    const missing = required.filter((k) => !keys.has(k));
    if (missing.length === 0) continue;
    const where = quotas[0] ?? ns.resource;
    findings.push({
      message:
        quotas.length === 0
          ? `workspace namespace "${ns.name}": has no ResourceQuota, so ${why}. Fix: add a ResourceQuota with ` +
            `spec.hard ${required.join(", ")} (CoderNamespace does).`
          : violation(
              where!,
              "spec.hard",
              `lacks ${missing.join(", ")}, so ${why}`,
              `add ${missing.join(", ")} to the quota`,
            ),
      ...(where ? { urn: where.urn } : {}),
    });
  }
  return findings;
}

/** One LimitRange item of `type` in the namespace, merged over every LimitRange there. */
function limitItems(limitRanges: readonly CheckedResource[], type: string): Record<string, unknown>[] {
  return limitRanges.flatMap((lr) =>
    list(at(lr.props, "spec.limits"))
      .map(record)
      .filter((i) => str(i.type) === type),
  );
}

export const storageQuotas: StackRule = {
  id: "storage-quotas",
  kind: "stack",
  settings: ["workspaceNamespaces", "workspaceNamespaceLabel"],
  guards: ["kubernetes:core/v1:ResourceQuota"],
  remediation:
    "Give every workspace namespace a ResourceQuota bounding persistentvolumeclaims, requests.storage and " +
    "requests/limits.ephemeral-storage (CoderNamespace sizes it from the workspace count).",
  check: (resources, settings) =>
    quotaFindings(
      resources,
      settings,
      ["persistentvolumeclaims", "requests.storage", "requests.ephemeral-storage", "limits.ephemeral-storage"],
      "workspaces can claim unbounded storage",
    ),
};

export const storageDepletionPvc: StackRule = {
  id: "storage-depletion-pvc",
  kind: "stack",
  settings: ["workspaceNamespaces", "workspaceNamespaceLabel"],
  guards: ["kubernetes:core/v1:ResourceQuota", "kubernetes:core/v1:LimitRange"],
  remediation:
    "Cap PVC count and total requested storage in the quota, and the size of one PVC with a LimitRange item of type " +
    "PersistentVolumeClaim (max.storage).",
  check: (resources, settings) => {
    const findings = quotaFindings(
      resources,
      settings,
      ["persistentvolumeclaims", "requests.storage"],
      "one user's volumes can exhaust the cluster's storage",
    );
    for (const ns of workspaceNamespaces(resources, settings)) {
      const ranges = objectsIn(resources, ns, "LimitRange");
      const capped = limitItems(ranges, "PersistentVolumeClaim").some((i) => str(at(i, "max.storage")) !== undefined);
      if (capped) continue;
      const where = ranges[0] ?? ns.resource;
      findings.push({
        message:
          `workspace namespace "${ns.name}": ` +
          (ranges.length === 0
            ? "has no LimitRange"
            : `LimitRange "${ranges[0]!.name}" has no PersistentVolumeClaim max.storage`) +
          ", so one claim can take the whole storage quota. Fix: add a LimitRange item " +
          '{ type: "PersistentVolumeClaim", max: { storage: "<size>" } }.',
        ...(where ? { urn: where.urn } : {}),
      });
    }
    return findings;
  },
};

export const storageDepletionEphemeral: StackRule = {
  id: "storage-depletion-ephemeral",
  kind: "stack",
  settings: ["workspaceNamespaces", "workspaceNamespaceLabel"],
  guards: ["kubernetes:core/v1:ResourceQuota", "kubernetes:core/v1:LimitRange"],
  remediation:
    "Bound ephemeral storage: quota keys requests/limits.ephemeral-storage and a LimitRange Container item with " +
    "default and defaultRequest ephemeral-storage, so every container has a limit the kubelet enforces.",
  check: (resources, settings) => {
    const findings = quotaFindings(
      resources,
      settings,
      ["requests.ephemeral-storage", "limits.ephemeral-storage"],
      "workspaces can fill node disks",
    );
    for (const ns of workspaceNamespaces(resources, settings)) {
      const ranges = objectsIn(resources, ns, "LimitRange");
      const items = limitItems(ranges, "Container");
      const hasDefault = items.some((i) => str(at(i, "default.ephemeral-storage")) !== undefined);
      const hasRequest = items.some((i) => str(at(i, "defaultRequest.ephemeral-storage")) !== undefined);
      if (hasDefault && hasRequest) continue;
      const where = ranges[0] ?? ns.resource;
      const missing = [hasDefault ? "" : "default", hasRequest ? "" : "defaultRequest"].filter(Boolean).join(" and ");
      findings.push({
        message:
          `workspace namespace "${ns.name}": no LimitRange Container ${missing} ephemeral-storage, so containers ` +
          "without their own limit can fill the node's disk (and the quota refuses them). Fix: add a LimitRange " +
          'item { type: "Container", default: { "ephemeral-storage": ... }, defaultRequest: { "ephemeral-storage": ... } }.',
        ...(where ? { urn: where.urn } : {}),
      });
    }
    return findings;
  },
};

/** Provisioners whose classes an `EncryptedStorageClass` already verified with caller-named parameters. */
function declaredByEncryptedStorageClass(r: CheckedResource): boolean {
  return (parentTypeOf(r.urn) ?? "").endsWith(":EncryptedStorageClass");
}

function storageClassProblems(r: CheckedResource): string[] {
  const provisioner = str(r.props.provisioner) ?? "";
  const parameters: Record<string, string> = {};
  for (const [k, v] of Object.entries(record(r.props.parameters))) parameters[k] = str(v) ?? "";
  const verdict = checkStorageClassEncryption(provisioner, parameters);
  if (!verdict.knownProvisioner && declaredByEncryptedStorageClass(r)) return [];
  // The helper's problems read "what is wrong; what to do": split them into the pack's message shape.
  return verdict.problems.map((p) => {
    const i = p.lastIndexOf("; ");
    return i > 0
      ? `${label(r)}: ${p.slice(0, i)}. Fix: ${p.slice(i + 2)}.`
      : `${label(r)}: ${p}. Fix: make the class encrypt its volumes (EncryptedStorageClass).`;
  });
}

export const storageEncryption: ResourceRule = {
  id: "storage-encryption",
  kind: "resource",
  settings: [],
  guards: [
    "kubernetes:storage.k8s.io/v1:StorageClass",
    "aws:eks/cluster:Cluster",
    "aws:ec2/launchTemplate:LaunchTemplate",
    "aws:ebs/volume:Volume",
    "aws:ebs/encryptionByDefault:EncryptionByDefault",
    "aws:rds/instance:Instance",
    "aws:rds/cluster:Cluster",
    "gcp:container/cluster:Cluster",
    "gcp:container/nodePool:NodePool",
    "gcp:sql/databaseInstance:DatabaseInstance",
  ],
  remediation:
    "Encrypt every volume and secret store with a key you control: StorageClass encryption parameters, EKS secrets " +
    "envelope encryption, encrypted EBS/RDS storage, GKE application-layer secrets encryption and CMEK boot disks, " +
    "Cloud SQL CMEK.",
  check: (r) => {
    const p = r.props;
    switch (r.type) {
      case "kubernetes:storage.k8s.io/v1:StorageClass":
        return storageClassProblems(r);
      case "aws:eks/cluster:Cluster": {
        const enc = block(p.encryptionConfig);
        const ok = strings(enc.resources).includes("secrets") && str(at(enc, "provider.keyArn")) !== undefined;
        return ok
          ? []
          : [
              violation(
                r,
                "encryptionConfig",
                "does not envelope-encrypt Kubernetes secrets with a KMS key",
                'set encryptionConfig { resources: ["secrets"], provider: { keyArn: <customer-managed KMS key> } }',
              ),
            ];
      }
      case "aws:ec2/launchTemplate:LaunchTemplate": {
        const mappings = list(p.blockDeviceMappings).map(record);
        if (mappings.length === 0) {
          return [
            violation(
              r,
              "blockDeviceMappings",
              "is empty, so node root volumes take the AMI's unencrypted default unless the account encrypts by default",
              'map the root device with ebs { encrypted: "true", kmsKeyId: <key> }',
            ),
          ];
        }
        return mappings
          .filter((m) => Object.keys(record(m.ebs)).length > 0 && !isTrue(at(m, "ebs.encrypted")))
          .map((m) =>
            violation(
              r,
              `blockDeviceMappings[${str(m.deviceName) ?? "?"}].ebs.encrypted`,
              "is not true",
              'set ebs.encrypted "true" with a customer-managed kmsKeyId',
            ),
          );
      }
      case "aws:ebs/volume:Volume":
        return isTrue(p.encrypted)
          ? []
          : [violation(r, "encrypted", "is not true", "set encrypted: true and kmsKeyId")];
      case "aws:ebs/encryptionByDefault:EncryptionByDefault":
        return isFalse(p.enabled) ? [violation(r, "enabled", "is false", "set enabled: true")] : [];
      case "aws:rds/instance:Instance":
      case "aws:rds/cluster:Cluster":
        return isTrue(p.storageEncrypted)
          ? []
          : [
              violation(
                r,
                "storageEncrypted",
                "is not true",
                "set storageEncrypted: true with a customer-managed kmsKeyId",
              ),
            ];
      case "gcp:container/nodePool:NodePool":
      case "gcp:container/cluster:Cluster": {
        const out: string[] = [];
        if (r.type === "gcp:container/cluster:Cluster") {
          const enc = block(p.databaseEncryption);
          if (str(enc.state) !== "ENCRYPTED" || !str(enc.keyName)) {
            out.push(
              violation(
                r,
                "databaseEncryption",
                `is ${str(enc.state) ?? "unset"}, so Kubernetes secrets are not encrypted with your Cloud KMS key`,
                'set databaseEncryption { state: "ENCRYPTED", keyName: <Cloud KMS key> }',
              ),
            );
          }
        }
        for (const { path, config } of gkeNodeConfigs(r)) {
          if (str(config.bootDiskKmsKey)) continue;
          out.push(
            violation(
              r,
              `${path}.bootDiskKmsKey`,
              "is unset, so node boot disks use Google-managed keys",
              `set ${path}.bootDiskKmsKey to the stack's Cloud KMS key`,
            ),
          );
        }
        return out;
      }
      case "gcp:sql/databaseInstance:DatabaseInstance":
        return str(p.encryptionKeyName)
          ? []
          : [
              violation(
                r,
                "encryptionKeyName",
                "is unset (Google-managed key)",
                "set encryptionKeyName to a Cloud KMS key (CMEK)",
              ),
            ];
      default:
        return [];
    }
  },
};

/** Node-role actions that reach volumes and snapshots (EBS CSI does these with its own role). */
const volumeActions = [
  "ec2:CreateSnapshot",
  "ec2:CreateSnapshots",
  "ec2:CopySnapshot",
  "ec2:ModifySnapshotAttribute",
  "ec2:AttachVolume",
  "ec2:DetachVolume",
  "ec2:CreateVolume",
  "ec2:DeleteVolume",
  "ebs:GetSnapshotBlock",
  "ebs:ListSnapshotBlocks",
];

/** AWS-managed policies that grant volume or snapshot access. */
const volumeManagedPolicies = [
  "AdministratorAccess",
  "PowerUserAccess",
  "AmazonEC2FullAccess",
  "AmazonEBSCSIDriverPolicy",
];

/** Project roles a GKE node service account may hold (GKE's least-privilege set). */
export const gkeNodeRoles = [
  "roles/logging.logWriter",
  "roles/monitoring.metricWriter",
  "roles/monitoring.viewer",
  "roles/stackdriver.resourceMetadata.writer",
  "roles/autoscaling.metricsWriter",
  "roles/container.defaultNodeServiceAccount",
  "roles/artifactregistry.reader",
];

export const storageCloudAccess: StackRule = {
  id: "storage-cloud-access",
  kind: "stack",
  settings: [],
  guards: [
    "aws:iam/role:Role",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:kms/key:Key",
    "gcp:projects/iAMMember:IAMMember",
    "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
  ],
  remediation:
    "Keep volume and snapshot access off the node identity: EBS CSI uses its own Pod Identity role, the node role holds " +
    "only the node policies, GKE node service accounts only logging/monitoring/registry read, and no key policy or key " +
    "IAM grant opens the disk keys to everyone.",
  check: (resources) => {
    const findings: Finding[] = [];
    for (const role of eksNodeRoles(resources)) {
      const { attached, documents } = policiesOfRole(role, resources);
      for (const a of attached) {
        const managed = managedPolicyName(a.arn);
        if (managed && volumeManagedPolicies.includes(managed)) {
          findings.push({
            message: violation(
              a.via,
              "policyArn",
              `attaches ${managed} to the EKS node role ${label(role)}, so every pod that reaches the node's credentials can snapshot or attach volumes`,
              "detach it; give EBS CSI its own role through EKS Pod Identity",
            ),
            urn: a.via.urn,
          });
        }
      }
      for (const d of documents) {
        const statements = awsStatements(d.document);
        const granted = statements ? grantedActions(statements, volumeActions) : [];
        if (granted.length > 0) {
          findings.push({
            message: violation(
              d.via,
              "policy",
              `grants ${granted.join(", ")} to the EKS node role ${label(role)}`,
              "remove volume and snapshot actions from the node role",
            ),
            urn: d.via.urn,
          });
        }
      }
    }
    for (const key of resources.filter((r) => r.type === "aws:kms/key:Key")) {
      const statements = awsStatements(key.props.policy) ?? [];
      if (statements.some((s) => s.effect === "Allow" && s.principals.includes("*") && !s.hasCondition)) {
        findings.push({
          message: violation(
            key,
            "policy",
            'allows Principal "*" without a condition, so anyone the account trusts can use the volume key',
            "grant the key to the account root, the EBS CSI role and autoscaling only, or add kms:ViaService/CallerAccount conditions",
          ),
          urn: key.urn,
        });
      }
    }
    const nodeAccounts = gkeNodeServiceAccounts(resources);
    for (const g of projectGrants(resources)) {
      const email = [...nodeAccounts.keys()].find((e) => memberIs(g.member, e));
      if (email !== undefined && !gkeNodeRoles.includes(g.role)) {
        findings.push({
          message: violation(
            g.via,
            "role",
            `grants ${g.role} to the GKE node service account ${email}; nodes need only ${gkeNodeRoles.join(", ")}`,
            "remove the grant; give workloads their own service account through Workload Identity",
          ),
          urn: g.via.urn,
        });
      }
    }
    for (const r of resources.filter((x) => x.type === "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")) {
      const member = str(r.props.member) ?? "";
      if (member === "allUsers" || member === "allAuthenticatedUsers") {
        findings.push({
          message: violation(
            r,
            "member",
            `is ${member}`,
            "grant the disk key to the Compute Engine service agent only",
          ),
          urn: r.urn,
        });
      }
    }
    return findings;
  },
};

export const storageRules = [
  storageQuotas,
  storageEncryption,
  storageCloudAccess,
  storageDepletionPvc,
  storageDepletionEphemeral,
] as const;
