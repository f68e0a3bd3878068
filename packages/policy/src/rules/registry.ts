/** Container registry: a Coder-only pull account, and approved images only. */
import { type CheckedResource, type Finding, at, label, list, record, str, strings, violation } from "../model";
import {
  clusterOf,
  containersOf,
  isKind,
  namespaceLabels,
  objectName,
  objectsIn,
  podSpecOf,
  selectorMatches,
  workspaceNamespaces,
} from "../kubernetes";
import {
  awsStatements,
  eksNodeRoles,
  gkeNodeServiceAccounts,
  grantedActions,
  managedPolicyName,
  memberIs,
  policiesOfRole,
  projectGrants,
} from "../iam";
import type { StackRule } from "../rule";

/** AWS-managed policies that let a node pull (or push) every repository of the account. */
const accountWideEcrPolicies = [
  "AmazonEC2ContainerRegistryReadOnly",
  "AmazonEC2ContainerRegistryPullOnly",
  "AmazonEC2ContainerRegistryPowerUser",
  "AmazonEC2ContainerRegistryFullAccess",
  "AmazonElasticContainerRegistryPublicFullAccess",
  "AdministratorAccess",
  "PowerUserAccess",
];
const ecrPull = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"];
const ecrPush = [
  "ecr:PutImage",
  "ecr:InitiateLayerUpload",
  "ecr:UploadLayerPart",
  "ecr:CompleteLayerUpload",
  "ecr:BatchDeleteImage",
];
/**
 * A resource pattern that covers every repository of any account, or of the node role's own account
 * (a wildcard over another account, such as the registry EKS pulls its add-on images from, is fine).
 */
function everyRepository(roleArn: string | undefined): (resource: string) => boolean {
  const ownAccount = /^arn:[^:]+:iam::(\d+):/.exec(roleArn ?? "")?.[1];
  return (resource) => {
    if (resource === "*") return true;
    const m = /^arn:[^:]+:ecr:[^:]*:([^:]*):repository\/\*$/.exec(resource);
    return m !== null && (m[1] === "*" || m[1] === "" || m[1] === ownAccount);
  };
}

/** Artifact Registry roles that write, or read every repository when granted on the project. */
const projectRegistryRoles = [
  "roles/artifactregistry.reader",
  "roles/artifactregistry.writer",
  "roles/artifactregistry.repoAdmin",
  "roles/artifactregistry.admin",
  "roles/storage.objectViewer",
  "roles/storage.admin",
];
const repositoryWriteRoles = [
  "roles/artifactregistry.writer",
  "roles/artifactregistry.repoAdmin",
  "roles/artifactregistry.admin",
];

export const registryDedicatedAccount: StackRule = {
  id: "registry-dedicated-account",
  kind: "stack",
  settings: ["workspaceNamespaces", "workspaceNamespaceLabel"],
  guards: [
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/rolePolicy:RolePolicy",
    "gcp:projects/iAMMember:IAMMember",
    "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember",
    "kubernetes:core/v1:Secret",
  ],
  remediation:
    "Pull workspace images with an identity that reads only the approved repositories: no account-wide ECR policy on " +
    "the EKS node role, Artifact Registry reader per repository (not on the project) for the GKE node service account, " +
    "no push rights, and each workspace namespace's pull Secret attached to a ServiceAccount.",
  check: (resources, settings) => {
    const findings: Finding[] = [];
    for (const role of eksNodeRoles(resources)) {
      const { attached, documents } = policiesOfRole(role, resources);
      for (const a of attached) {
        const managed = managedPolicyName(a.arn);
        if (managed && accountWideEcrPolicies.includes(managed)) {
          findings.push({
            message: violation(
              a.via,
              "policyArn",
              `attaches ${managed} to the EKS node role ${label(role)}, so nodes can pull every repository in the account`,
              "grant ECR pull on the approved repositories only (aws.RegistryPullAccount)",
            ),
            urn: a.via.urn,
          });
        }
      }
      for (const d of documents) {
        const statements = awsStatements(d.document) ?? [];
        const push = grantedActions(statements, ecrPush);
        const pullAll = grantedActions(statements, ecrPull, everyRepository(str(role.props.arn)));
        if (push.length + pullAll.length === 0) continue;
        findings.push({
          message: violation(
            d.via,
            "policy",
            push.length > 0
              ? `lets the EKS node role ${label(role)} push images (${push.join(", ")})`
              : `lets the EKS node role ${label(role)} pull every repository of the account (${pullAll.join(", ")})`,
            "grant ecr:BatchGetImage and ecr:GetDownloadUrlForLayer on the approved repository ARNs only",
          ),
          urn: d.via.urn,
        });
      }
    }
    const nodeAccounts = [...gkeNodeServiceAccounts(resources).keys()];
    for (const g of projectGrants(resources)) {
      const email = nodeAccounts.find((e) => memberIs(g.member, e));
      if (email === undefined || !projectRegistryRoles.includes(g.role)) continue;
      findings.push({
        message: violation(
          g.via,
          "role",
          `grants ${g.role} on the whole project to the GKE node service account ${email}, so nodes reach every repository`,
          "grant roles/artifactregistry.reader on the approved repositories only (gcp.RegistryPullAccount)",
        ),
        urn: g.via.urn,
      });
    }
    for (const r of resources.filter(
      (x) => x.type === "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember",
    )) {
      const email = nodeAccounts.find((e) => memberIs(str(r.props.member) ?? "", e));
      if (email !== undefined && repositoryWriteRoles.includes(str(r.props.role) ?? "")) {
        findings.push({
          message: violation(
            r,
            "role",
            `gives the node service account ${email} ${str(r.props.role)}`,
            "grant roles/artifactregistry.reader",
          ),
          urn: r.urn,
        });
      }
    }
    for (const ns of workspaceNamespaces(resources, settings)) {
      const accounts = objectsIn(resources, ns, "ServiceAccount", "ServiceAccountPatch");
      const attached = new Set(
        accounts.flatMap((sa) => list(sa.props.imagePullSecrets).map((s) => str(record(s).name) ?? "")),
      );
      for (const secret of objectsIn(resources, ns, "Secret")) {
        if (str(secret.props.type) !== "kubernetes.io/dockerconfigjson" || attached.has(objectName(secret))) continue;
        findings.push({
          message: violation(
            secret,
            "imagePullSecrets",
            `is a pull Secret no ServiceAccount in "${ns.name}" uses, so pods name registry credentials directly`,
            "attach it to the workspace ServiceAccount's imagePullSecrets (RegistryPullAccount does)",
          ),
          urn: secret.urn,
        });
      }
    }
    return findings;
  },
};

/** Whether an admission policy checks container images (its validations or variables read `image`). */
function checksImages(policy: CheckedResource): boolean {
  const spec = record(policy.props.spec);
  const expressions = [...list(spec.validations), ...list(spec.variables)].map((v) => str(record(v).expression) ?? "");
  return expressions.some((e) => /\.image\b/.test(e));
}

function imageApproved(image: string, prefixes: readonly string[]): boolean {
  return prefixes.some((p) => image.startsWith(p));
}

export const registryApprovedImages: StackRule = {
  id: "registry-approved-images",
  kind: "stack",
  settings: ["workspaceNamespaces", "workspaceNamespaceLabel", "approvedImagePrefixes"],
  guards: [
    "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy",
    "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding",
    "kubernetes:core/v1:Pod",
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:StatefulSet",
    "kubernetes:apps/v1:DaemonSet",
    "kubernetes:batch/v1:Job",
    "kubernetes:batch/v1:CronJob",
  ],
  remediation:
    "Admit only approved images in workspace namespaces: a ValidatingAdmissionPolicy that checks every image against " +
    "the approved prefixes, bound with validationActions Deny to each workspace namespace (WorkspaceAdmissionPolicy), " +
    "and no workload in those namespaces running anything else.",
  check: (resources, settings) => {
    const findings: Finding[] = [];
    const policies = resources.filter((r) => isKind(r, "ValidatingAdmissionPolicy"));
    const bindings = resources.filter((r) => isKind(r, "ValidatingAdmissionPolicyBinding"));
    for (const ns of workspaceNamespaces(resources, settings)) {
      const labels = namespaceLabels(ns);
      const guarded = bindings.some((b) => {
        const spec = record(b.props.spec);
        const policy = policies.find(
          (p) => objectName(p) === str(spec.policyName) && (ns.cluster === "*" || clusterOf(p) === clusterOf(b)),
        );
        const selector = at(spec, "matchResources.namespaceSelector");
        return (
          (ns.cluster === "*" || clusterOf(b) === ns.cluster) &&
          strings(spec.validationActions).includes("Deny") &&
          policy !== undefined &&
          checksImages(policy) &&
          str(at(policy.props, "spec.failurePolicy")) !== "Ignore" &&
          (selector === undefined || selectorMatches(selector, labels))
        );
      });
      if (!guarded) {
        findings.push({
          message:
            `workspace namespace "${ns.name}": no ValidatingAdmissionPolicyBinding with validationActions ["Deny"] binds ` +
            "an image-checking ValidatingAdmissionPolicy (failurePolicy Fail) to it, so users can run any image. Fix: add " +
            "a WorkspaceAdmissionPolicy for the namespace with your approved image prefixes.",
          ...(ns.resource ? { urn: ns.resource.urn } : {}),
        });
      }
      if (settings.approvedImagePrefixes.length === 0) continue;
      for (const w of resources.filter((r) => podSpecOf(r) !== undefined)) {
        if (!objectsIn([w], ns, "Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob").length)
          continue;
        for (const c of containersOf(podSpecOf(w)!)) {
          const image = str(c.image) ?? "";
          if (imageApproved(image, settings.approvedImagePrefixes)) continue;
          findings.push({
            message: violation(
              w,
              `container "${str(c.name) ?? "?"}" image`,
              `is "${image}", outside the approved prefixes (${settings.approvedImagePrefixes.join(", ")})`,
              "use an image under an approved prefix, or add its prefix to approvedImagePrefixes",
            ),
            urn: w.urn,
          });
        }
      }
    }
    return findings;
  },
};

export const registryRules = [registryDedicatedAccount, registryApprovedImages] as const;
