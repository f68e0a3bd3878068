/**
 * Reading cloud IAM as the stack declares it: AWS policy documents (JSON) and the roles they reach,
 * and Google Cloud project IAM grants.
 */
import { type CheckedResource, type Props, at, block, isTrue, list, record, str, strings } from "./model";

export interface AwsStatement {
  readonly effect: string;
  readonly actions: string[];
  readonly notActions: string[];
  readonly principals: string[];
  readonly resources: string[];
  readonly hasCondition: boolean;
}

/** Parses an IAM policy document given as a JSON string or an object; undefined when unreadable. */
export function awsStatements(document: unknown): AwsStatement[] | undefined {
  let doc: unknown = document;
  if (typeof document === "string") {
    try {
      doc = JSON.parse(document);
    } catch {
      return undefined;
    }
  }
  const raw = record(doc).Statement;
  const statements = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return statements.map(record).map((s) => {
    const one = (v: unknown) => (typeof v === "string" ? [v] : strings(v));
    const principal = s.Principal;
    const principals =
      principal === "*"
        ? ["*"]
        : Object.values(record(principal)).flatMap((p) => (typeof p === "string" ? [p] : strings(p)));
    return {
      effect: str(s.Effect) ?? "",
      actions: one(s.Action),
      notActions: one(s.NotAction),
      principals,
      resources: one(s.Resource),
      hasCondition: Object.keys(record(s.Condition)).length > 0,
    };
  });
}

/** IAM action pattern match (`ec2:*Snapshot*` matches `ec2:CreateSnapshot`), case-insensitive. */
export function actionMatches(pattern: string, action: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split("")
      .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
      .join("")}$`,
    "i",
  );
  return re.test(action);
}

/**
 * The actions of `wanted` that an Allow statement of the document grants (on resources matching
 * `onResource`, when given).
 */
export function grantedActions(
  statements: readonly AwsStatement[],
  wanted: readonly string[],
  onResource?: (resource: string) => boolean,
): string[] {
  const out = new Set<string>();
  for (const s of statements) {
    if (s.effect !== "Allow") continue;
    if (onResource && !s.resources.some(onResource)) continue;
    for (const a of wanted) {
      if (s.actions.some((p) => actionMatches(p, a))) out.add(a);
      // NotAction with Allow grants everything it does not list.
      if (s.notActions.length > 0 && !s.notActions.some((p) => actionMatches(p, a))) out.add(a);
    }
  }
  return [...out];
}

/** The AWS-managed policy name of an ARN (`arn:aws:iam::aws:policy/service-role/X` gives `X`). */
export function managedPolicyName(arn: string): string | undefined {
  const m = /^arn:[^:]+:iam::aws:policy\/(?:.*\/)?([^/]+)$/.exec(arn);
  return m?.[1];
}

export interface RolePolicies {
  /** ARNs attached to the role (attachments and `managedPolicyArns`). */
  readonly attached: { readonly arn: string; readonly via: CheckedResource }[];
  /** Policy documents that reach the role (inline, and customer-managed policies the stack declares). */
  readonly documents: { readonly document: unknown; readonly via: CheckedResource }[];
}

function roleNameOf(role: CheckedResource): string {
  return str(role.props.name) ?? role.name;
}

/** Everything the stack attaches to an IAM role, matched by the role's name or ARN. */
export function policiesOfRole(role: CheckedResource, resources: readonly CheckedResource[]): RolePolicies {
  const name = roleNameOf(role);
  const arn = str(role.props.arn);
  const refersToRole = (v: unknown) => {
    const s = str(v);
    return s !== undefined && (s === name || (arn !== undefined && s === arn));
  };
  const attached: RolePolicies["attached"][number][] = [];
  const documents: RolePolicies["documents"][number][] = [];
  for (const a of strings(role.props.managedPolicyArns)) attached.push({ arn: a, via: role });
  for (const p of list(role.props.inlinePolicies).map(record)) documents.push({ document: p.policy, via: role });
  for (const r of resources) {
    if (r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment" && refersToRole(r.props.role)) {
      attached.push({ arn: str(r.props.policyArn) ?? "", via: r });
    } else if (r.type === "aws:iam/policyAttachment:PolicyAttachment" && list(r.props.roles).some(refersToRole)) {
      attached.push({ arn: str(r.props.policyArn) ?? "", via: r });
    } else if (r.type === "aws:iam/rolePolicy:RolePolicy" && refersToRole(r.props.role)) {
      documents.push({ document: r.props.policy, via: r });
    }
  }
  for (const a of attached) {
    const policy = resources.find((r) => r.type === "aws:iam/policy:Policy" && str(r.props.arn) === a.arn);
    if (policy) documents.push({ document: policy.props.policy, via: policy });
  }
  return { attached, documents };
}

/** The roles EKS nodes run as: node groups' `nodeRoleArn` and Auto Mode's `computeConfig.nodeRoleArn`. */
export function eksNodeRoles(resources: readonly CheckedResource[]): CheckedResource[] {
  const arns = new Set<string>();
  for (const r of resources) {
    if (r.type === "aws:eks/nodeGroup:NodeGroup") {
      const a = str(r.props.nodeRoleArn);
      if (a) arns.add(a);
    } else if (r.type === "aws:eks/cluster:Cluster") {
      const a = str(at(r.props, "computeConfig.nodeRoleArn"));
      if (a) arns.add(a);
    }
  }
  return resources.filter((r) => r.type === "aws:iam/role:Role" && arns.has(str(r.props.arn) ?? ""));
}

/** Service accounts GKE nodes run as (emails), from node pools and the cluster's own node config. */
export function gkeNodeServiceAccounts(resources: readonly CheckedResource[]): Map<string, CheckedResource> {
  const out = new Map<string, CheckedResource>();
  for (const r of resources) {
    if (r.type !== "gcp:container/nodePool:NodePool" && r.type !== "gcp:container/cluster:Cluster") continue;
    const sa = str(at(r.props, "nodeConfig.serviceAccount"));
    if (sa) out.set(sa, r);
  }
  return out;
}

export interface ProjectGrant {
  readonly role: string;
  readonly member: string;
  readonly via: CheckedResource;
}

/** Project-level IAM grants the stack declares (IAMMember, IAMBinding, IAMPolicy). */
export function projectGrants(resources: readonly CheckedResource[]): ProjectGrant[] {
  const out: ProjectGrant[] = [];
  for (const r of resources) {
    if (r.type === "gcp:projects/iAMMember:IAMMember") {
      out.push({ role: str(r.props.role) ?? "", member: str(r.props.member) ?? "", via: r });
    } else if (r.type === "gcp:projects/iAMBinding:IAMBinding") {
      for (const m of strings(r.props.members)) out.push({ role: str(r.props.role) ?? "", member: m, via: r });
    } else if (r.type === "gcp:projects/iAMPolicy:IAMPolicy") {
      let data: unknown = r.props.policyData;
      try {
        if (typeof data === "string") data = JSON.parse(data);
      } catch {
        data = {};
      }
      for (const b of list(record(data).bindings).map(record)) {
        for (const m of strings(b.members)) out.push({ role: str(b.role) ?? "", member: m, via: r });
      }
    }
  }
  return out;
}

/** `serviceAccount:x@p.iam.gserviceaccount.com` matches the email `x@p.iam.gserviceaccount.com`. */
export function memberIs(member: string, email: string): boolean {
  return member === `serviceAccount:${email}` || member === email;
}

/** Compute Engine's default service account (Editor on the project unless an org policy removed it). */
export function isDefaultComputeServiceAccount(email: string | undefined): boolean {
  return (
    email === undefined ||
    email === "" ||
    email === "default" ||
    /-compute@developer\.gserviceaccount\.com$/.test(email)
  );
}

/** GKE node configs of a resource: a node pool's, or a cluster's own (default pool) when it keeps one. */
export function gkeNodeConfigs(r: CheckedResource): { path: string; config: Props }[] {
  if (r.type === "gcp:container/nodePool:NodePool") return [{ path: "nodeConfig", config: block(r.props.nodeConfig) }];
  if (r.type === "gcp:container/cluster:Cluster") {
    const config = block(r.props.nodeConfig);
    // A cluster that keeps its default pool runs nodes with this config (Compute Engine defaults when empty).
    const hasDefaultPool = !isTrue(r.props.removeDefaultNodePool) && !isTrue(r.props.enableAutopilot);
    if (Object.keys(config).length > 0 || hasDefaultPool) {
      return [{ path: "nodeConfig", config }];
    }
  }
  return [];
}
