/** Networking: TLS to and from coderd, network boundaries, external exposure, IP depletion. */
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
import {
  annotationsOf,
  clusterOf,
  isKind,
  objectsIn,
  quotaKeys,
  selectsAll,
  workspaceNamespaces,
  type WorkspaceNamespace,
} from "../kubernetes";
import { type CoderdConfig, coderdConfigOf, envSetting, envValue, plainSecret } from "../coderd";
import type { ResourceRule, StackRule } from "../rule";

export const networkTlsCoderd: ResourceRule = {
  id: "network-tls-coderd",
  kind: "resource",
  settings: [],
  guards: ["kubernetes:helm.sh/v4:Chart", "kubernetes:helm.sh/v3:Release", "kubernetes:apps/v1:Deployment"],
  remediation:
    "Serve coderd over TLS itself (coder.tls.secretNames), with an https access URL, CODER_TLS_MIN_VERSION tls12 or " +
    "tls13, HSTS, secure cookies and a redirect to the access URL.",
  check: (r) => {
    const cfg = coderdConfigOf(r);
    if (!cfg) return [];
    const out: string[] = [];
    if (!cfg.tls) {
      out.push(
        violation(
          r,
          cfg.source === "chart" ? "values.coder.tls.secretNames" : "container env CODER_TLS_ENABLE",
          "is not set, so coderd serves plain HTTP inside the cluster",
          "name the TLS Secret in coder.tls.secretNames (CoderControlPlane's tls input)",
        ),
      );
    }
    const accessUrl = envValue(cfg, "CODER_ACCESS_URL");
    if (!accessUrl || !/^https:\/\//i.test(accessUrl)) {
      out.push(
        violation(
          r,
          envSetting(cfg, "CODER_ACCESS_URL"),
          accessUrl ? `is "${accessUrl}", not https` : "is unset (the chart then uses an http cluster URL)",
          "set CODER_ACCESS_URL to the https URL users reach coderd at",
        ),
      );
    }
    const minVersion = envValue(cfg, "CODER_TLS_MIN_VERSION");
    if (minVersion !== undefined && !["tls12", "tls13"].includes(minVersion)) {
      out.push(
        violation(r, envSetting(cfg, "CODER_TLS_MIN_VERSION"), `is "${minVersion}"`, 'set it to "tls12" or "tls13"'),
      );
    }
    const hsts = Number(envValue(cfg, "CODER_STRICT_TRANSPORT_SECURITY") ?? "0");
    if (!(hsts > 0)) {
      out.push(
        violation(
          r,
          envSetting(cfg, "CODER_STRICT_TRANSPORT_SECURITY"),
          "is unset or 0, so browsers may fall back to HTTP",
          "set it to 31536000 (one year)",
        ),
      );
    }
    for (const name of ["CODER_SECURE_AUTH_COOKIE", "CODER_REDIRECT_TO_ACCESS_URL"]) {
      if (!isTrue(envValue(cfg, name))) {
        out.push(violation(r, envSetting(cfg, name), "is not true", `set ${name}=true`));
      }
    }
    return out;
  },
};

const goodSslModes = ["require", "verify-ca", "verify-full"];

/** Why a PostgreSQL URL would let the connection run without TLS, or undefined when it cannot. */
export function postgresTlsProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // key=value DSN form
    const mode = /(?:^|\s)sslmode=(\S+)/.exec(url)?.[1];
    const host = /(?:^|\s)host=(\S+)/.exec(url)?.[1] ?? "";
    if (["127.0.0.1", "localhost", "::1"].includes(host) || host.startsWith("/")) return undefined;
    return mode && goodSslModes.includes(mode) ? undefined : `sslmode=${mode ?? "(unset: prefer)"}`;
  }
  if (!/^postgres(ql)?:$/.test(parsed.protocol)) return undefined;
  const host = parsed.hostname.replace(/^\[|\]$/g, "");
  // A local proxy (Cloud SQL Auth Proxy, RDS Proxy sidecar) carries TLS itself.
  if (["127.0.0.1", "localhost", "::1", ""].includes(host) || parsed.searchParams.get("host")?.startsWith("/")) {
    return undefined;
  }
  const mode = parsed.searchParams.get("sslmode");
  return mode && goodSslModes.includes(mode) ? undefined : `sslmode=${mode ?? "(unset: prefer)"}`;
}

function coderdUpstreamProblems(cfg: CoderdConfig): string[] {
  const r = cfg.resource;
  const out: string[] = [];
  if (plainSecret(cfg, "CODER_PG_CONNECTION_URL")) {
    out.push(
      violation(
        r,
        envSetting(cfg, "CODER_PG_CONNECTION_URL"),
        "is a plain value, readable in state and in the pod spec",
        "pass it by valueFrom.secretKeyRef to a Secret built from a Pulumi secret",
      ),
    );
    const problem = postgresTlsProblem(envValue(cfg, "CODER_PG_CONNECTION_URL")!);
    if (problem) {
      out.push(
        violation(
          r,
          envSetting(cfg, "CODER_PG_CONNECTION_URL"),
          `has ${problem}`,
          "use sslmode=verify-full (or require)",
        ),
      );
    }
  }
  const issuer = envValue(cfg, "CODER_OIDC_ISSUER_URL");
  if (issuer !== undefined && !/^https:\/\//i.test(issuer)) {
    out.push(
      violation(r, envSetting(cfg, "CODER_OIDC_ISSUER_URL"), `is "${issuer}", not https`, "use the IdP's https issuer"),
    );
  }
  for (const [name, v] of cfg.env) {
    if (/^CODER_EXTERNAL_AUTH_\d+_(AUTH|TOKEN|VALIDATE|DEVICE_CODE|API_BASE|REVOKE)_URL$/.test(name) && v.value) {
      if (!/^https:\/\//i.test(v.value)) {
        out.push(
          violation(r, envSetting(cfg, name), `is "${v.value}", not https`, "use the Git provider's https endpoint"),
        );
      }
    }
  }
  return out;
}

/** PostgreSQL major version of an `engineVersion` or parameter group `family` (`postgres16` gives 16). */
function postgresMajor(value: string | undefined): number | undefined {
  const m = /(\d+)/.exec(value ?? "");
  return m ? Number(m[1]) : undefined;
}

function secretValues(r: CheckedResource): string[] {
  const out = Object.values(record(r.props.stringData)).map(str);
  for (const v of Object.values(record(r.props.data))) {
    const s = str(v);
    if (s !== undefined) out.push(Buffer.from(s, "base64").toString("utf8"));
  }
  return out.filter((s): s is string => s !== undefined);
}

export const networkTlsUpstream: ResourceRule = {
  id: "network-tls-upstream",
  kind: "resource",
  settings: [],
  guards: [
    "kubernetes:helm.sh/v4:Chart",
    "kubernetes:core/v1:Secret",
    "aws:rds/parameterGroup:ParameterGroup",
    "aws:rds/instance:Instance",
    "gcp:sql/databaseInstance:DatabaseInstance",
  ],
  remediation:
    "Require TLS on every connection coderd makes: sslmode=require|verify-ca|verify-full in the database URL (kept in a " +
    "Secret), https issuer and Git URLs, rds.force_ssl=1 on RDS PostgreSQL, Cloud SQL sslMode ENCRYPTED_ONLY or " +
    "TRUSTED_CLIENT_CERTIFICATE_REQUIRED.",
  check: (r) => {
    const cfg = coderdConfigOf(r);
    if (cfg) return coderdUpstreamProblems(cfg);
    const p = r.props;
    switch (r.type) {
      case "kubernetes:core/v1:Secret":
        return secretValues(r)
          .filter((v) => /^postgres(ql)?:\/\//.test(v.trim()))
          .map((v) => postgresTlsProblem(v.trim()))
          .filter((x): x is string => x !== undefined)
          .map((problem) =>
            violation(
              r,
              "data",
              `holds a PostgreSQL URL with ${problem}`,
              "add sslmode=verify-full (or require) to the URL",
            ),
          );
      case "aws:rds/parameterGroup:ParameterGroup":
      case "aws:rds/clusterParameterGroup:ClusterParameterGroup": {
        const family = str(p.family) ?? "";
        if (!/postgres/.test(family)) return [];
        const forceSsl = list(p.parameters)
          .map(record)
          .find((x) => str(x.name) === "rds.force_ssl");
        const value = forceSsl ? str(forceSsl.value) : undefined;
        // PostgreSQL 15 and later default rds.force_ssl to 1; older families default to 0.
        const major = postgresMajor(family) ?? 0;
        if (value === "1" || (value === undefined && major >= 15)) return [];
        return [
          violation(
            r,
            "parameters rds.force_ssl",
            value === undefined ? `is unset and defaults to 0 for ${family}` : `is ${value}`,
            'set parameter { name: "rds.force_ssl", value: "1" }',
          ),
        ];
      }
      case "aws:rds/instance:Instance": {
        if (!/postgres/.test(str(p.engine) ?? "") || str(p.parameterGroupName) || str(p.replicateSourceDb)) return [];
        const major = postgresMajor(str(p.engineVersion));
        return major !== undefined && major < 15
          ? [
              violation(
                r,
                "parameterGroupName",
                `is unset, and the default group of PostgreSQL ${major} does not force TLS`,
                "attach a parameter group with rds.force_ssl=1",
              ),
            ]
          : [];
      }
      case "gcp:sql/databaseInstance:DatabaseInstance": {
        const ip = block(at(block(p.settings), "ipConfiguration"));
        const mode = str(ip.sslMode);
        return mode === "ENCRYPTED_ONLY" || mode === "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"
          ? []
          : [
              violation(
                r,
                "settings.ipConfiguration.sslMode",
                `is ${mode ?? "unset"}, which accepts unencrypted connections`,
                'set sslMode "TRUSTED_CLIENT_CERTIFICATE_REQUIRED" (or "ENCRYPTED_ONLY")',
              ),
            ];
      }
      default:
        return [];
    }
  },
};

/** Whether a NetworkPolicy is a default deny for `direction`: all pods, that type, no rules for it. */
function deniesAll(np: CheckedResource, direction: "Ingress" | "Egress"): boolean {
  const spec = record(np.props.spec);
  const types = strings(spec.policyTypes);
  // Without policyTypes, Ingress is implied, and Egress only when egress rules are present.
  const effective = types.length > 0 ? types : ["Ingress", ...(spec.egress !== undefined ? ["Egress"] : [])];
  const rules = list(direction === "Ingress" ? spec.ingress : spec.egress);
  return selectsAll(spec.podSelector) && effective.includes(direction) && rules.length === 0;
}

function defaultDenyFindings(resources: readonly CheckedResource[], ns: WorkspaceNamespace, what: string): Finding[] {
  const policies = objectsIn(resources, ns, "NetworkPolicy");
  const missing = (["Ingress", "Egress"] as const).filter((d) => !policies.some((np) => deniesAll(np, d)));
  if (missing.length === 0) return [];
  return [
    {
      message:
        `${what} "${ns.name}": no default-deny NetworkPolicy for ${missing.join(" and ")}, so pods there accept and make ` +
        "any connection not otherwise denied. Fix: add a NetworkPolicy with podSelector {} and policyTypes " +
        `[${missing.map((m) => `"${m}"`).join(", ")}] and no rules (WorkspaceNetworkPolicy does), then allow only what Coder needs.`,
      ...(ns.resource ? { urn: ns.resource.urn } : {}),
    },
  ];
}

/** coderd's namespaces: where a coder chart or coder workload runs. */
function coderdNamespaces(resources: readonly CheckedResource[]): WorkspaceNamespace[] {
  const out: WorkspaceNamespace[] = [];
  for (const r of resources) {
    const cfg = coderdConfigOf(r);
    if (!cfg?.namespace) continue;
    // A component (a Helm v4 Chart) may carry no provider reference: then its cluster is unknown.
    const cluster = r.provider ? clusterOf(r) : "*";
    const nsRes = resources.find(
      (n) =>
        isKind(n, "Namespace") &&
        (str(at(n.props, "metadata.name")) ?? n.name) === cfg.namespace &&
        (cluster === "*" || clusterOf(n) === cluster),
    );
    if (!out.some((o) => o.name === cfg.namespace && o.cluster === cluster)) {
      out.push({ name: cfg.namespace, cluster, ...(nsRes ? { resource: nsRes } : {}) });
    }
  }
  return out;
}

function vpcCniEnforcesPolicy(addon: CheckedResource): boolean {
  let values: unknown = addon.props.configurationValues;
  try {
    if (typeof values === "string") values = JSON.parse(values);
  } catch {
    return false;
  }
  return isTrue(record(values).enableNetworkPolicy);
}

export const networkBoundaries: StackRule = {
  id: "network-boundaries",
  kind: "stack",
  settings: ["workspaceNamespaces", "workspaceNamespaceLabel"],
  guards: ["kubernetes:networking.k8s.io/v1:NetworkPolicy", "aws:eks/addon:Addon", "gcp:container/cluster:Cluster"],
  remediation:
    "Deny all ingress and egress by default in every workspace namespace and in coderd's namespace, then allow only " +
    "what Coder needs; make sure the cluster enforces NetworkPolicy (EKS vpc-cni enableNetworkPolicy, GKE Dataplane V2).",
  check: (resources, settings) => {
    const findings: Finding[] = [];
    for (const ns of workspaceNamespaces(resources, settings)) {
      findings.push(...defaultDenyFindings(resources, ns, "workspace namespace"));
    }
    for (const ns of coderdNamespaces(resources))
      findings.push(...defaultDenyFindings(resources, ns, "coderd namespace"));
    for (const cluster of resources.filter((r) => r.type === "aws:eks/cluster:Cluster")) {
      const name = str(cluster.props.name);
      const cni = resources.find(
        (r) =>
          r.type === "aws:eks/addon:Addon" &&
          str(r.props.addonName) === "vpc-cni" &&
          (str(r.props.clusterName) === name || r.dependencies.includes(cluster.urn)),
      );
      if (!cni || !vpcCniEnforcesPolicy(cni)) {
        findings.push({
          message: violation(
            cni ?? cluster,
            cni ? "configurationValues" : "addons",
            cni ? "do not turn on enableNetworkPolicy" : "include no vpc-cni add-on with network policy enforcement",
            'manage the vpc-cni add-on with configurationValues {"enableNetworkPolicy":"true"}, or NetworkPolicies are ignored',
          ),
          urn: (cni ?? cluster).urn,
        });
      }
    }
    for (const cluster of resources.filter((r) => r.type === "gcp:container/cluster:Cluster")) {
      const p = cluster.props;
      if (str(p.datapathProvider) === "ADVANCED_DATAPATH" || isTrue(at(block(p.networkPolicy), "enabled"))) continue;
      findings.push({
        message: violation(
          cluster,
          "datapathProvider",
          `is ${str(p.datapathProvider) ?? "unset"} and networkPolicy is off, so NetworkPolicies are not enforced`,
          'set datapathProvider "ADVANCED_DATAPATH" (Dataplane V2)',
        ),
        urn: cluster.urn,
      });
    }
    return findings;
  },
};

const internalLbAnnotations: Readonly<Record<string, string[]>> = {
  "service.beta.kubernetes.io/aws-load-balancer-scheme": ["internal"],
  "service.beta.kubernetes.io/aws-load-balancer-internal": ["true", "0.0.0.0/0"],
  "networking.gke.io/load-balancer-type": ["Internal"],
  "cloud.google.com/load-balancer-type": ["Internal", "internal"],
  "service.beta.kubernetes.io/azure-load-balancer-internal": ["true"],
};

/** Why a LoadBalancer Service (or the coder chart's service) is reachable from anywhere, if it is. */
function publicLoadBalancerProblem(
  type: string | undefined,
  annotations: Props,
  sourceRanges: string[],
): string | undefined {
  if (type !== "LoadBalancer") return undefined;
  const internal = Object.entries(internalLbAnnotations).some(([k, vs]) => vs.includes(str(annotations[k]) ?? ""));
  if (internal) return undefined;
  if (sourceRanges.length > 0 && !sourceRanges.some((c) => c === "0.0.0.0/0" || c === "::/0")) return undefined;
  return sourceRanges.length === 0
    ? "is an internet-facing load balancer with no loadBalancerSourceRanges"
    : `is an internet-facing load balancer open to ${sourceRanges.join(", ")}`;
}

const openCidrs = ["0.0.0.0/0", "::/0"];

export const networkExternal: ResourceRule = {
  id: "network-external",
  kind: "resource",
  settings: [],
  guards: [
    "kubernetes:core/v1:Service",
    "kubernetes:helm.sh/v4:Chart",
    "gcp:container/cluster:Cluster",
    "gcp:container/nodePool:NodePool",
    "gcp:compute/firewall:Firewall",
    "aws:ec2/securityGroup:SecurityGroup",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:ec2/securityGroupRule:SecurityGroupRule",
    "aws:ec2/subnet:Subnet",
    "aws:ec2/launchTemplate:LaunchTemplate",
    "aws:rds/instance:Instance",
    "gcp:sql/databaseInstance:DatabaseInstance",
  ],
  remediation:
    "Expose nothing to the internet by default: internal load balancers (or loadBalancerSourceRanges), private nodes, " +
    "no firewall or security group rule open to 0.0.0.0/0, no public IPs on node subnets or databases.",
  check: (r) => {
    const p = r.props;
    const cfg = coderdConfigOf(r);
    if (cfg?.source === "chart") {
      const svc = cfg.service ?? {};
      // The chart renders no Service at all with enable: false (CoderControlPlane declares its own).
      if (isFalse(svc.enable)) return [];
      const problem = publicLoadBalancerProblem(
        str(svc.type) ?? "LoadBalancer",
        record(svc.annotations),
        strings(svc.loadBalancerSourceRanges),
      );
      return problem
        ? [
            violation(
              r,
              "values.coder.service",
              `${problem} (the chart's default type is LoadBalancer)`,
              'set coder.service.type "ClusterIP" behind your ingress, or an internal load balancer annotation',
            ),
          ]
        : [];
    }
    switch (r.type) {
      case "kubernetes:core/v1:Service": {
        const problem = publicLoadBalancerProblem(
          str(at(p, "spec.type")),
          annotationsOf(r),
          strings(at(p, "spec.loadBalancerSourceRanges")),
        );
        return problem
          ? [
              violation(
                r,
                "spec.type",
                problem,
                "make it internal (e.g. service.beta.kubernetes.io/aws-load-balancer-scheme: internal, " +
                  "networking.gke.io/load-balancer-type: Internal) or list spec.loadBalancerSourceRanges",
              ),
            ]
          : [];
      }
      case "gcp:container/cluster:Cluster":
        return isTrue(at(block(p.privateClusterConfig), "enablePrivateNodes"))
          ? []
          : [
              violation(
                r,
                "privateClusterConfig.enablePrivateNodes",
                "is not true, so nodes get public IPs",
                "set privateClusterConfig { enablePrivateNodes: true } and give egress through Cloud NAT",
              ),
            ];
      case "gcp:container/nodePool:NodePool":
        return isFalse(at(block(p.networkConfig), "enablePrivateNodes"))
          ? [violation(r, "networkConfig.enablePrivateNodes", "is false", "remove it or set it to true")]
          : [];
      case "gcp:compute/firewall:Firewall": {
        const direction = str(p.direction) ?? "INGRESS";
        const open = strings(p.sourceRanges).filter((c) => openCidrs.includes(c));
        if (direction !== "INGRESS" || open.length === 0 || list(p.allows).length === 0 || isTrue(p.disabled))
          return [];
        return [
          violation(
            r,
            "sourceRanges",
            `allow ingress from ${open.join(", ")}`,
            "allow only the ranges that need it (e.g. IAP 35.235.240.0/20, load balancer health checks)",
          ),
        ];
      }
      case "aws:ec2/securityGroup:SecurityGroup":
        return list(p.ingress)
          .map(record)
          .filter((i) => [...strings(i.cidrBlocks), ...strings(i.ipv6CidrBlocks)].some((c) => openCidrs.includes(c)))
          .map((i) =>
            violation(
              r,
              `ingress (ports ${str(i.fromPort) ?? "?"}-${str(i.toPort) ?? "?"})`,
              "is open to the internet",
              "allow only known CIDRs or security groups",
            ),
          );
      case "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
        return openCidrs.includes(str(p.cidrIpv4) ?? "") || openCidrs.includes(str(p.cidrIpv6) ?? "")
          ? [violation(r, "cidrIpv4/cidrIpv6", "is open to the internet", "allow only known CIDRs or security groups")]
          : [];
      case "aws:ec2/securityGroupRule:SecurityGroupRule":
        return str(p.type) === "ingress" &&
          [...strings(p.cidrBlocks), ...strings(p.ipv6CidrBlocks)].some((c) => openCidrs.includes(c))
          ? [violation(r, "cidrBlocks", "open ingress to the internet", "allow only known CIDRs or security groups")]
          : [];
      case "aws:ec2/subnet:Subnet":
        return isTrue(p.mapPublicIpOnLaunch)
          ? [
              violation(
                r,
                "mapPublicIpOnLaunch",
                "is true, so instances launched here get public IPs",
                "set it to false; public subnets need no auto-assigned addresses for NAT gateways and load balancers",
              ),
            ]
          : [];
      case "aws:rds/instance:Instance":
      case "aws:rds/clusterInstance:ClusterInstance":
        return isTrue(p.publiclyAccessible)
          ? [
              violation(
                r,
                "publiclyAccessible",
                "is true, so the database gets a public address",
                "set publiclyAccessible: false and reach it from the cluster's private subnets",
              ),
            ]
          : [];
      case "gcp:sql/databaseInstance:DatabaseInstance": {
        const ip = block(at(block(p.settings), "ipConfiguration"));
        if (isFalse(ip.ipv4Enabled)) return [];
        const open = list(ip.authorizedNetworks)
          .map((n) => str(record(n).value) ?? "")
          .filter((c) => openCidrs.includes(c));
        return [
          violation(
            r,
            "settings.ipConfiguration.ipv4Enabled",
            `is ${ip.ipv4Enabled === undefined ? "unset (Cloud SQL's default: a public IP)" : "true"}` +
              (open.length > 0 ? ` with authorized networks ${open.join(", ")}` : ""),
            "set ipv4Enabled: false and connect over privateNetwork",
          ),
        ];
      }
      case "aws:ec2/launchTemplate:LaunchTemplate":
        return list(p.networkInterfaces)
          .map(record)
          .some((n) => isTrue(n.associatePublicIpAddress))
          ? [violation(r, "networkInterfaces.associatePublicIpAddress", "is true", "launch nodes without public IPs")]
          : [];
      default:
        return [];
    }
  },
};

function ipFindings(
  resources: readonly CheckedResource[],
  settings: Parameters<StackRule["check"]>[1],
  required: Readonly<Record<string, string | undefined>>,
  why: string,
): Finding[] {
  const findings: Finding[] = [];
  for (const ns of workspaceNamespaces(resources, settings)) {
    const quotas = objectsIn(resources, ns, "ResourceQuota");
    const keys = quotaKeys(quotas);
    const bad = Object.entries(required).filter(
      ([k, want]) => !keys.has(k) || (want !== undefined && keys.get(k) !== want),
    );
    if (bad.length === 0) continue;
    const where = quotas[0] ?? ns.resource;
    const wanted = bad.map(([k, want]) => (want === undefined ? k : `${k}: "${want}"`)).join(", ");
    findings.push({
      message:
        `workspace namespace "${ns.name}": ResourceQuota spec.hard ${quotas.length === 0 ? "is missing" : `needs ${wanted}`}, so ${why}. ` +
        `Fix: set ${wanted} in the namespace quota (CoderNamespace sizes pods and services from planCapacity).`,
      ...(where ? { urn: where.urn } : {}),
    });
  }
  return findings;
}

export const networkIpDepletionPods: StackRule = {
  id: "network-ip-depletion-pods",
  kind: "stack",
  settings: ["workspaceNamespaces", "workspaceNamespaceLabel"],
  guards: ["kubernetes:core/v1:ResourceQuota", "gcp:container/cluster:Cluster"],
  remediation:
    "Cap pods per workspace namespace in the quota and plan the pod range for the workspace count (GKE: a VPC-native " +
    "cluster with an explicit pod secondary range).",
  check: (resources, settings) => {
    const findings = ipFindings(resources, settings, { pods: undefined }, "workspaces can take every pod address");
    for (const c of resources.filter((r) => r.type === "gcp:container/cluster:Cluster")) {
      const ip = block(c.props.ipAllocationPolicy);
      if (str(ip.clusterSecondaryRangeName) || str(ip.clusterIpv4CidrBlock)) continue;
      findings.push({
        message: violation(
          c,
          "ipAllocationPolicy",
          "names no pod range, so the pod address space is not planned",
          "make the cluster VPC-native with clusterSecondaryRangeName sized by planCapacity",
        ),
        urn: c.urn,
      });
    }
    return findings;
  },
};

export const networkIpDepletionServices: StackRule = {
  id: "network-ip-depletion-services",
  kind: "stack",
  settings: ["workspaceNamespaces", "workspaceNamespaceLabel"],
  guards: ["kubernetes:core/v1:ResourceQuota", "aws:eks/cluster:Cluster", "gcp:container/cluster:Cluster"],
  remediation:
    "Cap Services per workspace namespace (services, services.loadbalancers 0, services.nodeports 0) and set the " +
    "cluster's service range explicitly, sized by planCapacity.",
  check: (resources, settings) => {
    const findings = ipFindings(
      resources,
      settings,
      { services: undefined, "services.loadbalancers": "0", "services.nodeports": "0" },
      "workspaces can exhaust the service range or open load balancers and node ports",
    );
    for (const c of resources.filter((r) => r.type === "aws:eks/cluster:Cluster")) {
      if (str(at(block(c.props.kubernetesNetworkConfig), "serviceIpv4Cidr"))) continue;
      findings.push({
        message: violation(
          c,
          "kubernetesNetworkConfig.serviceIpv4Cidr",
          "is unset, so EKS picks a /16 that may overlap your network",
          "set serviceIpv4Cidr from planCapacity",
        ),
        urn: c.urn,
      });
    }
    for (const c of resources.filter((r) => r.type === "gcp:container/cluster:Cluster")) {
      const ip = block(c.props.ipAllocationPolicy);
      if (str(ip.servicesSecondaryRangeName) || str(ip.servicesIpv4CidrBlock)) continue;
      findings.push({
        message: violation(
          c,
          "ipAllocationPolicy",
          "names no services range",
          "set servicesSecondaryRangeName sized by planCapacity",
        ),
        urn: c.urn,
      });
    }
    return findings;
  },
};

/** Ports of an egress rule as numbers (undefined: all ports). */
function rulePorts(rule: Props): { port: number; protocol: string }[] | undefined {
  const ports = list(rule.ports).map(record);
  if (ports.length === 0) return undefined;
  return ports.map((p) => ({ port: Number(str(p.port) ?? "0"), protocol: str(p.protocol) ?? "TCP" }));
}

/** Whether an egress rule lets pods reach an internet destination on a TCP port. */
function allowsInternetPort(rule: Props, port: number): boolean {
  const ports = rulePorts(rule);
  const portOk = ports === undefined || ports.some((p) => p.protocol === "TCP" && (p.port === port || p.port === 0));
  if (!portOk) return false;
  const peers = list(rule.to).map(record);
  if (peers.length === 0) return true;
  return peers.some((peer) => {
    const cidr = str(at(peer, "ipBlock.cidr"));
    if (!cidr) return false;
    if (cidr.includes(":")) return true;
    try {
      const c = parseCidr(cidr);
      // Any block reaching outside the private ranges counts as internet.
      return !["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"].some((pr) => cidrContains(parseCidr(pr), c));
    } catch {
      return false;
    }
  });
}

export const gitSshAndHttps: StackRule = {
  id: "git-ssh-and-https",
  kind: "stack",
  settings: ["workspaceNamespaces", "workspaceNamespaceLabel"],
  guards: ["kubernetes:networking.k8s.io/v1:NetworkPolicy"],
  remediation:
    "Where egress is denied by default, allow workspaces TCP 22 and 443 to the Git providers (the default internet " +
    "egress does; with a CIDR allow-list, list the providers' ranges on both ports).",
  check: (resources, settings) => {
    const findings: Finding[] = [];
    for (const ns of workspaceNamespaces(resources, settings)) {
      const policies = objectsIn(resources, ns, "NetworkPolicy");
      if (!policies.some((np) => deniesAll(np, "Egress"))) continue;
      const rules = policies.flatMap((np) => list(at(np.props, "spec.egress")).map(record));
      const missing = [22, 443].filter((port) => !rules.some((rule) => allowsInternetPort(rule, port)));
      if (missing.length === 0) continue;
      findings.push({
        message:
          `workspace namespace "${ns.name}": egress is denied by default and no NetworkPolicy allows TCP ` +
          `${missing.join(" and ")} beyond the cluster, so Git over ${missing.map((p) => (p === 22 ? "SSH" : "HTTPS")).join(" and ")} ` +
          "fails. Fix: allow egress to the Git providers on ports 22 and 443 (WorkspaceNetworkPolicy egress).",
        ...(ns.resource ? { urn: ns.resource.urn } : {}),
      });
    }
    return findings;
  },
};

export const networkRules = [
  networkTlsCoderd,
  networkTlsUpstream,
  networkBoundaries,
  networkExternal,
  networkIpDepletionPods,
  networkIpDepletionServices,
] as const;
