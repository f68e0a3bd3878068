/** Kubernetes roles: coderd's ServiceAccount, cluster admins, cloud access to the control plane. */
import {
  type CheckedResource,
  type Finding,
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
import { clusterOf, isKind, objectName, objectNamespace, objectsIn, workspaceNamespaces } from "../kubernetes";
import { coderdConfigOf } from "../coderd";
import type { ResourceRule, StackRule } from "../rule";
import type { PolicySettings } from "../config";

interface Subject {
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
}

function subjectsOf(binding: CheckedResource): Subject[] {
  return list(binding.props.subjects)
    .map(record)
    .map((s) => ({
      kind: str(s.kind) ?? "",
      name: str(s.name) ?? "",
      ...(str(s.namespace) !== undefined ? { namespace: str(s.namespace)! } : {}),
    }));
}

const podWrite = ["create", "*"];

/** Whether a Role's rules let its holder create pods (what makes it coderd's). */
function createsPods(role: CheckedResource): boolean {
  return list(role.props.rules)
    .map(record)
    .some(
      (rule) =>
        strings(rule.apiGroups).some((g) => g === "" || g === "*") &&
        strings(rule.resources).some((x) => x === "pods" || x === "*") &&
        strings(rule.verbs).some((v) => podWrite.includes(v)),
    );
}

/**
 * coderd's ServiceAccounts as `namespace/name`: configured ones, the coder chart's and a coder
 * workload's, and every ServiceAccount that a RoleBinding in a workspace namespace lets create pods
 * (that is what coderd's account is for). `coderdServiceAccountNames` match in any namespace.
 */
export function coderdServiceAccounts(resources: readonly CheckedResource[], settings: PolicySettings): Set<string> {
  const out = new Set(settings.coderdServiceAccounts);
  for (const r of resources) {
    const sa = coderdConfigOf(r)?.serviceAccount;
    if (sa) out.add(`${sa.namespace}/${sa.name}`);
  }
  for (const ns of workspaceNamespaces(resources, settings)) {
    const roles = objectsIn(resources, ns, "Role");
    for (const rb of objectsIn(resources, ns, "RoleBinding")) {
      const ref = record(rb.props.roleRef);
      const role = roles.find((x) => objectName(x) === str(ref.name));
      if (str(ref.kind) !== "Role" || !role || !createsPods(role)) continue;
      for (const s of subjectsOf(rb)) {
        if (s.kind === "ServiceAccount") out.add(`${s.namespace ?? ns.name}/${s.name}`);
      }
    }
  }
  return out;
}

function isCoderd(
  s: Subject,
  bindingNamespace: string | undefined,
  accounts: Set<string>,
  names: readonly string[],
): boolean {
  if (s.kind !== "ServiceAccount") return false;
  return accounts.has(`${s.namespace ?? bindingNamespace ?? "default"}/${s.name}`) || names.includes(s.name);
}

/** Verbs on Secrets that stay by-name: coderd may manage a workspace's agent-token Secret, never enumerate. */
const byNameSecretVerbs = ["create", "delete", "get", "patch", "update"];

/**
 * What coderd needs (pods, PVCs, deployments; Secrets by name for agent tokens) and nothing broader:
 * no wildcards, no listing or watching Secrets.
 */
function roleProblems(role: CheckedResource): string[] {
  const out: string[] = [];
  for (const rule of list(role.props.rules).map(record)) {
    const wild = [...strings(rule.apiGroups), ...strings(rule.resources), ...strings(rule.verbs)].includes("*");
    if (wild) out.push("a wildcard (*) in apiGroups, resources or verbs");
    const extra = strings(rule.resources).filter(
      (x) => !["pods", "persistentvolumeclaims", "deployments", "secrets", "*"].includes(x),
    );
    if (extra.length > 0) out.push(`resources ${extra.join(", ")} beyond pods, persistentvolumeclaims and deployments`);
    if (strings(rule.resources).includes("secrets")) {
      const enumerating = strings(rule.verbs).filter((v) => !byNameSecretVerbs.includes(v));
      if (enumerating.length > 0)
        out.push(`secrets with ${enumerating.join(", ")} (only ${byNameSecretVerbs.join(", ")})`);
    }
  }
  return [...new Set(out)];
}

export const rolesCoderServiceAccount: StackRule = {
  id: "roles-coder-service-account",
  kind: "stack",
  settings: ["workspaceNamespaces", "workspaceNamespaceLabel", "coderdServiceAccounts", "coderdServiceAccountNames"],
  guards: [
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
    "kubernetes:rbac.authorization.k8s.io/v1:Role",
    "kubernetes:core/v1:ServiceAccountPatch",
    "kubernetes:helm.sh/v4:Chart",
  ],
  remediation:
    "Bind coderd's ServiceAccount only to a namespaced Role in each workspace namespace (pods, persistentvolumeclaims, " +
    "deployments), never to a ClusterRole; keep the chart from creating its own Role (coder.serviceAccount.workspacePerms " +
    "false); turn off token automount on each workspace namespace's default ServiceAccount.",
  check: (resources, settings) => {
    const findings: Finding[] = [];
    const accounts = coderdServiceAccounts(resources, settings);
    const names = settings.coderdServiceAccountNames;
    for (const b of resources.filter((r) => isKind(r, "ClusterRoleBinding", "RoleBinding"))) {
      const cluster = isKind(b, "ClusterRoleBinding");
      const ref = record(b.props.roleRef);
      const bound = subjectsOf(b).filter((s) => isCoderd(s, cluster ? undefined : objectNamespace(b), accounts, names));
      if (bound.length === 0) continue;
      const who = bound.map((s) => `${s.namespace ?? objectNamespace(b)}/${s.name}`).join(", ");
      if (cluster || str(ref.kind) === "ClusterRole") {
        findings.push({
          message: violation(
            b,
            "roleRef",
            `binds coderd's ServiceAccount ${who} to ${str(ref.kind)} "${str(ref.name)}"${cluster ? " cluster-wide" : ""}`,
            "bind it to a namespaced Role in each workspace namespace instead (CoderNamespace does)",
          ),
          urn: b.urn,
        });
        continue;
      }
      const role = resources.find(
        (r) =>
          isKind(r, "Role") &&
          objectName(r) === str(ref.name) &&
          objectNamespace(r) === objectNamespace(b) &&
          clusterOf(r) === clusterOf(b),
      );
      for (const problem of role ? roleProblems(role) : []) {
        findings.push({
          message: violation(
            role!,
            "rules",
            `grant coderd's ServiceAccount ${who} ${problem}`,
            "list only what Coder needs",
          ),
          urn: role!.urn,
        });
      }
    }
    for (const r of resources) {
      const cfg = coderdConfigOf(r);
      if (cfg?.source !== "chart" || isFalse(cfg.workspacePerms)) continue;
      findings.push({
        message: violation(
          r,
          "values.coder.serviceAccount.workspacePerms",
          "is not false, so the chart creates its own Role beside the per-namespace ones",
          "set coder.serviceAccount.workspacePerms: false and bind coderd through CoderNamespace",
        ),
        urn: r.urn,
      });
    }
    for (const ns of workspaceNamespaces(resources, settings)) {
      const defaults = objectsIn(resources, ns, "ServiceAccount", "ServiceAccountPatch").filter(
        (sa) => objectName(sa) === "default",
      );
      if (defaults.some((sa) => isFalse(sa.props.automountServiceAccountToken))) continue;
      findings.push({
        message:
          `workspace namespace "${ns.name}": the default ServiceAccount keeps token automount on, so every workspace pod ` +
          "gets an API token. Fix: patch it with automountServiceAccountToken: false (a ServiceAccountPatch, as CoderNamespace does).",
        ...(ns.resource ? { urn: ns.resource.urn } : {}),
      });
    }
    return findings;
  },
};

/** Subjects that make a cluster-admin binding a standing risk rather than a named admin. */
function broadSubject(s: Subject): boolean {
  return (
    s.kind === "ServiceAccount" ||
    (s.kind === "Group" && /^system:(authenticated|unauthenticated|serviceaccounts)/.test(s.name))
  );
}

export const rolesClusterAdmins: ResourceRule = {
  id: "roles-cluster-admins",
  kind: "resource",
  settings: [],
  guards: [
    "aws:eks/cluster:Cluster",
    "gcp:container/cluster:Cluster",
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
  ],
  remediation:
    "Grant cluster-admin only to named people through the cloud's IAM: EKS authenticationMode API without the " +
    "bootstrap creator admin; GKE without client certificates or legacy ABAC; no cluster-admin binding for service " +
    "accounts or broad groups.",
  check: (r) => {
    const p = r.props;
    switch (r.type) {
      case "aws:eks/cluster:Cluster": {
        const access = block(p.accessConfig);
        const out: string[] = [];
        if (str(access.authenticationMode) !== "API") {
          out.push(
            violation(
              r,
              "accessConfig.authenticationMode",
              `is ${str(access.authenticationMode) ?? "unset"}, so the aws-auth ConfigMap can grant admin outside IAM access entries`,
              'set authenticationMode "API" and grant admins as access entries',
            ),
          );
        }
        if (!isFalse(access.bootstrapClusterCreatorAdminPermissions)) {
          out.push(
            violation(
              r,
              "accessConfig.bootstrapClusterCreatorAdminPermissions",
              "is not false, so whoever ran the deployment stays cluster-admin invisibly",
              "set it to false and list admins as explicit access entries",
            ),
          );
        }
        return out;
      }
      case "gcp:container/cluster:Cluster": {
        const out: string[] = [];
        if (isTrue(p.enableLegacyAbac)) {
          out.push(violation(r, "enableLegacyAbac", "is true, which bypasses RBAC", "set enableLegacyAbac: false"));
        }
        if (
          isTrue(at(block(p.masterAuth), "clientCertificateConfig.issueClientCertificate")) ||
          isTrue(at(block(at(block(p.masterAuth), "clientCertificateConfig")), "issueClientCertificate"))
        ) {
          out.push(
            violation(
              r,
              "masterAuth.clientCertificateConfig.issueClientCertificate",
              "is true: a static admin certificate that IAM cannot revoke",
              "set issueClientCertificate: false",
            ),
          );
        }
        return out;
      }
      case "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding": {
        if (str(at(p, "roleRef.name")) !== "cluster-admin") return [];
        const broad = subjectsOf(r).filter(broadSubject);
        return broad.length === 0
          ? []
          : [
              violation(
                r,
                "subjects",
                `make ${broad.map((s) => `${s.kind} ${s.name}`).join(", ")} cluster-admin`,
                "bind cluster-admin to named people only, through the cloud's IAM",
              ),
            ];
      }
      default:
        return [];
    }
  },
};

const eksLogTypes = ["api", "audit", "authenticator", "controllerManager", "scheduler"];

export const rolesControlPlaneAccess: ResourceRule = {
  id: "roles-control-plane-access",
  kind: "resource",
  settings: [],
  guards: ["aws:eks/cluster:Cluster", "gcp:container/cluster:Cluster"],
  remediation:
    "Keep the API server private (EKS endpointPublicAccess false; GKE private endpoint), or limit a public endpoint to " +
    "named CIDRs, never 0.0.0.0/0; keep every EKS control-plane log type.",
  check: (r) => {
    const p = r.props;
    if (r.type === "aws:eks/cluster:Cluster") {
      const out: string[] = [];
      const vpc = block(p.vpcConfig);
      if (!isFalse(vpc.endpointPublicAccess)) {
        const cidrs = strings(vpc.publicAccessCidrs);
        if (cidrs.length === 0 || cidrs.includes("0.0.0.0/0")) {
          out.push(
            violation(
              r,
              "vpcConfig.endpointPublicAccess",
              `is ${vpc.endpointPublicAccess === undefined ? "unset (EKS default: public)" : "true"} with publicAccessCidrs ` +
                `${cidrs.length === 0 ? "unset (0.0.0.0/0)" : JSON.stringify(cidrs)}, so the API server is open to the internet`,
              "set endpointPublicAccess: false and endpointPrivateAccess: true, or list your admin CIDRs in publicAccessCidrs",
            ),
          );
        }
      }
      const logs = strings(p.enabledClusterLogTypes);
      const missing = eksLogTypes.filter((t) => !logs.includes(t));
      if (missing.length > 0) {
        out.push(
          violation(
            r,
            "enabledClusterLogTypes",
            `lacks ${missing.join(", ")}`,
            `enable all of ${eksLogTypes.join(", ")}`,
          ),
        );
      }
      return out;
    }
    if (r.type === "gcp:container/cluster:Cluster") {
      const priv = block(p.privateClusterConfig);
      const ipEndpoint = block(at(block(p.controlPlaneEndpointsConfig), "ipEndpointsConfig"));
      if (isTrue(priv.enablePrivateEndpoint) || isFalse(ipEndpoint.enabled)) return [];
      const man = block(p.masterAuthorizedNetworksConfig);
      const cidrs = list(man.cidrBlocks).map((c) => str(record(c).cidrBlock) ?? "");
      const out: string[] = [];
      if (Object.keys(man).length === 0 || cidrs.length === 0 || cidrs.includes("0.0.0.0/0")) {
        out.push(
          violation(
            r,
            "privateClusterConfig.enablePrivateEndpoint",
            `is not true and masterAuthorizedNetworksConfig ${cidrs.length === 0 ? "lists no networks" : "includes 0.0.0.0/0"}, so the API server is open to the internet`,
            "set enablePrivateEndpoint: true, or list your admin CIDRs in masterAuthorizedNetworksConfig.cidrBlocks",
          ),
        );
      }
      if (isTrue(man.gcpPublicCidrsAccessEnabled)) {
        out.push(
          violation(
            r,
            "masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled",
            "is true, which lets any Google Cloud address reach the API server",
            "set it to false",
          ),
        );
      }
      return out;
    }
    return [];
  },
};

export const roleRules = [rolesCoderServiceAccount, rolesClusterAdmins, rolesControlPlaneAccess] as const;
