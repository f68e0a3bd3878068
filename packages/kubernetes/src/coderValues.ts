/**
 * Pure builders for `CoderControlPlane`: the coder/coder chart values, coderd's Service and its
 * NetworkPolicies, each from the resolved (defaulted, validated) configuration. No Pulumi resources
 * here, so tests check every value without the mock engine.
 */
import { cidrContains, formatCidr, metadataCidrs, nonInternetIpv4Cidrs, parseCidr } from "./cidr";
import { coderWorkspacesNamespaceLabel } from "./labels";
import { dnsEgressRule, restrictedContainerSecurityContext } from "./pod-defaults";

/** The official chart, pinned. A current Coder v2 release (the Extended Support Release line). */
export const CODER_CHART_VERSION = "2.34.5";
/** The chart repository of Coder v2 (`helm repo add coder-v2 https://helm.coder.com/v2`). */
export const CODER_CHART_REPOSITORY = "https://helm.coder.com/v2";
export const CODER_CHART_NAME = "coder";
/** The Helm release name: fixes the pod labels the chart stamps (`app.kubernetes.io/instance`). */
export const CODER_RELEASE_NAME = "coder";

/** coderd's container ports (NetworkPolicy matches the pod's port, not the Service's 443). */
export const coderdPorts = { http: 8080, https: 8443, prometheus: 2112 } as const;

/**
 * Label that marks a namespace whose workspace agents may connect to coderd's pods directly. Put it
 * on workspace namespaces (e.g. `new CoderNamespace("coder", { coderd, labels: { [label]: "true" } })`)
 * or list them in `workspaceNamespaces`.
 */

/** One year, the HSTS max-age that browsers' preload lists require. */
export const HSTS_MAX_AGE_SECONDS = 31536000;

export type EnvVar =
  | { readonly name: string; readonly value: string }
  | {
      readonly name: string;
      readonly valueFrom: { readonly secretKeyRef: { readonly name: string; readonly key: string } };
    };

export interface ResourceList {
  readonly cpu: string;
  readonly memory: string;
  readonly "ephemeral-storage": string;
}

/** A Kubernetes Secret that coderd reads one key of. */
export interface SecretRef {
  readonly name: string;
  readonly key: string;
}

export interface ResolvedExternalAuth {
  /** Position in `CODER_EXTERNAL_AUTH_<N>_*`: contiguous from 0. */
  readonly index: number;
  readonly id: string;
  readonly type: string;
  readonly clientId: string;
  readonly clientSecret: SecretRef;
  readonly regex?: string;
  readonly scopes?: readonly string[];
  readonly authUrl?: string;
  readonly tokenUrl?: string;
  readonly validateUrl?: string;
  readonly displayName?: string;
  readonly displayIcon?: string;
  readonly deviceFlow?: boolean;
  readonly noRefresh?: boolean;
}

export interface IngressPeer {
  readonly namespace: string;
  readonly podSelector?: Readonly<Record<string, string>>;
}

export interface EgressAllow {
  readonly cidrs: readonly string[];
  readonly ports: readonly number[];
  readonly protocol: "TCP" | "UDP";
}

/**
 * A container added to coderd's pod through the chart's `coder.initContainers`: with
 * `restartPolicy: "Always"` a native sidecar that starts before coderd and stops after it (e.g. a
 * database proxy listening on 127.0.0.1). Only the fields a sidecar needs; it must meet Pod Security
 * `restricted` by itself (checked by `resolveCoderControlPlaneArgs`).
 */
export interface CoderExtraContainer {
  /** A DNS label, unique in the pod; not "coder". */
  readonly name: string;
  /** Pin it: an exact tag or a digest. */
  readonly image: string;
  /** "Always" makes it a native sidecar; unset, an init container that must finish first. */
  readonly restartPolicy?: "Always";
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly env?: readonly EnvVar[];
  readonly ports?: readonly { readonly name?: string; readonly containerPort: number; readonly protocol?: "TCP" }[];
  readonly resources?: {
    readonly requests?: Readonly<Record<string, string>>;
    readonly limits?: Readonly<Record<string, string>>;
  };
  readonly securityContext: {
    readonly runAsNonRoot?: true;
    readonly runAsUser?: number;
    readonly runAsGroup?: number;
    readonly allowPrivilegeEscalation: false;
    readonly readOnlyRootFilesystem?: boolean;
    readonly capabilities: { readonly drop: readonly string[] };
    readonly seccompProfile: { readonly type: "RuntimeDefault" };
  };
  readonly startupProbe?: CoderContainerProbe;
  readonly readinessProbe?: CoderContainerProbe;
  readonly livenessProbe?: CoderContainerProbe;
  readonly volumeMounts?: readonly { readonly name: string; readonly mountPath: string; readonly readOnly?: boolean }[];
}

export interface CoderContainerProbe {
  readonly httpGet?: { readonly path: string; readonly port: number };
  readonly tcpSocket?: { readonly port: number };
  readonly initialDelaySeconds?: number;
  readonly periodSeconds?: number;
  readonly timeoutSeconds?: number;
  readonly failureThreshold?: number;
}

/** The GKE metadata server's address and port, as pods on `GKE_METADATA` nodes reach it. */
export const gkeMetadataServer = { cidr: "169.254.169.254/32", port: 80 } as const;

/** The fully-specified, validated configuration `resolveCoderControlPlaneArgs` returns. */
export interface CoderControlPlaneConfig {
  readonly namespace: string;
  readonly namespaceLabels: Readonly<Record<string, string>>;
  /** Labels on every object created outside the chart. */
  readonly labels: Readonly<Record<string, string>>;
  readonly chart: { readonly name: string; readonly repository: string; readonly version: string };
  readonly releaseName: string;
  /** Labels the chart puts on coderd's pods that select them (and only them). */
  readonly podSelector: Readonly<Record<string, string>>;
  readonly serviceAccount: { readonly name: string; readonly annotations: Readonly<Record<string, string>> };
  readonly image: { readonly repository?: string; readonly tag?: string; readonly pullSecrets: readonly string[] };
  readonly replicas: number;
  readonly resources: { readonly requests: ResourceList; readonly limits: ResourceList };
  readonly scratch: { readonly tmpSizeLimit: string; readonly homeSizeLimit: string };
  readonly accessUrl: string;
  readonly wildcardAccessUrl?: string;
  readonly tls: { readonly secretName: string; readonly create: boolean; readonly minVersion: "tls12" | "tls13" };
  readonly database: {
    readonly auth: "password" | "awsiamrds";
    readonly connectionUrl: SecretRef;
    /** Created here from a Pulumi secret (false: a Secret the user manages). */
    readonly create: boolean;
  };
  readonly oidc: {
    readonly issuerUrl: string;
    readonly clientId: string;
    readonly clientSecret: SecretRef;
    readonly emailDomains: readonly string[];
    readonly allowSignups: boolean;
    readonly scopes: readonly string[];
  };
  readonly externalAuth: readonly ResolvedExternalAuth[];
  /** The Secret holding every external-auth client secret (one key per provider). */
  readonly externalAuthSecretName: string;
  readonly auth: {
    readonly passwordAuth: boolean;
    readonly ownerWorkspaceAccess: boolean;
    readonly pathApps: boolean;
    readonly hostPrefixCookie: boolean;
    readonly maxTokenLifetime: string;
    readonly maxAdminTokenLifetime: string;
  };
  readonly telemetry: boolean;
  readonly metrics?: IngressPeer;
  readonly trustedCaSecrets: readonly SecretRef[];
  readonly extraEnv: readonly EnvVar[];
  /** Sidecars and init containers of coderd's pod (`coder.initContainers`). */
  readonly extraInitContainers: readonly CoderExtraContainer[];
  readonly service: {
    readonly name: string;
    readonly type: "ClusterIP" | "LoadBalancer";
    readonly annotations: Readonly<Record<string, string>>;
    readonly loadBalancerClass?: string;
    /** `spec.loadBalancerSourceRanges`: who the cloud load balancer lets in. */
    readonly sourceRanges: readonly string[];
    readonly public: boolean;
  };
  readonly network: {
    readonly kubernetesApi: { readonly cidrs: readonly string[]; readonly ports: readonly number[] };
    readonly database: { readonly cidrs: readonly string[]; readonly port: number };
    readonly workspaceNamespaces: readonly string[];
    readonly ingressFrom: readonly IngressPeer[];
    readonly dns: { readonly namespace: string; readonly podSelector: Readonly<Record<string, string>> };
    readonly extraEgress: readonly EgressAllow[];
    /** Egress to the GKE metadata server (Workload Identity tokens), port 80 only. */
    readonly gkeMetadataServer: boolean;
  };
}

/** The chart values this library sets (a subset of the coder/coder chart's `values.yaml`). */
export interface CoderChartValues {
  readonly coder: {
    readonly image?: { readonly repo?: string; readonly tag?: string; readonly pullSecrets?: { name: string }[] };
    readonly replicaCount: number;
    readonly commandArgs: readonly string[];
    readonly env: readonly EnvVar[];
    readonly envUseClusterAccessURL: false;
    readonly podLabels: Readonly<Record<string, string>>;
    readonly podSecurityContext: Record<string, unknown>;
    readonly securityContext: Record<string, unknown>;
    readonly resources: { readonly requests: ResourceList; readonly limits: ResourceList };
    readonly volumes: readonly { readonly name: string; readonly emptyDir: { readonly sizeLimit: string } }[];
    readonly volumeMounts: readonly { readonly name: string; readonly mountPath: string }[];
    readonly initContainers?: readonly CoderExtraContainer[];
    readonly tls: { readonly secretNames: readonly string[] };
    readonly certs: { readonly secrets: readonly SecretRef[] };
    readonly serviceAccount: {
      readonly name: string;
      readonly annotations: Readonly<Record<string, string>>;
      readonly workspacePerms: false;
      readonly enableDeployments: false;
      readonly extraRules: readonly never[];
    };
    readonly service: { readonly enable: false };
    readonly ingress: { readonly enable: false };
  };
}

const env = (name: string, value: string): EnvVar => ({ name, value });
const envFromSecret = (name: string, ref: SecretRef): EnvVar => ({
  name,
  valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } },
});

/** `CODER_EXTERNAL_AUTH_<N>_*` for one provider; the client secret by reference only. */
function externalAuthEnv(p: ResolvedExternalAuth): EnvVar[] {
  const k = (suffix: string) => `CODER_EXTERNAL_AUTH_${p.index}_${suffix}`;
  const out: EnvVar[] = [
    env(k("ID"), p.id),
    env(k("TYPE"), p.type),
    env(k("CLIENT_ID"), p.clientId),
    envFromSecret(k("CLIENT_SECRET"), p.clientSecret),
  ];
  if (p.regex !== undefined) out.push(env(k("REGEX"), p.regex));
  // coderd splits SCOPES on single spaces.
  if (p.scopes !== undefined) out.push(env(k("SCOPES"), p.scopes.join(" ")));
  if (p.authUrl !== undefined) out.push(env(k("AUTH_URL"), p.authUrl));
  if (p.tokenUrl !== undefined) out.push(env(k("TOKEN_URL"), p.tokenUrl));
  if (p.validateUrl !== undefined) out.push(env(k("VALIDATE_URL"), p.validateUrl));
  if (p.displayName !== undefined) out.push(env(k("DISPLAY_NAME"), p.displayName));
  if (p.displayIcon !== undefined) out.push(env(k("DISPLAY_ICON"), p.displayIcon));
  if (p.deviceFlow !== undefined) out.push(env(k("DEVICE_FLOW"), String(p.deviceFlow)));
  if (p.noRefresh !== undefined) out.push(env(k("NO_REFRESH"), String(p.noRefresh)));
  return out;
}

/**
 * The coderd settings, as environment variables. Secrets appear only as `valueFrom.secretKeyRef`.
 * Nothing `CODER_DANGEROUS_*`; pprof is off (the chart always sets its bind address).
 */
export function coderdEnv(c: CoderControlPlaneConfig): EnvVar[] {
  const bool = (b: boolean) => (b ? "true" : "false");
  const out: EnvVar[] = [
    env("CODER_ACCESS_URL", c.accessUrl),
    ...(c.wildcardAccessUrl !== undefined ? [env("CODER_WILDCARD_ACCESS_URL", c.wildcardAccessUrl)] : []),
    env("CODER_REDIRECT_TO_ACCESS_URL", "true"),
    env("CODER_TLS_MIN_VERSION", c.tls.minVersion),
    env("CODER_SECURE_AUTH_COOKIE", "true"),
    env("CODER_HOST_PREFIX_COOKIE", bool(c.auth.hostPrefixCookie)),
    env("CODER_STRICT_TRANSPORT_SECURITY", String(HSTS_MAX_AGE_SECONDS)),
    envFromSecret("CODER_PG_CONNECTION_URL", c.database.connectionUrl),
    env("CODER_PG_AUTH", c.database.auth),
    env("CODER_OIDC_ISSUER_URL", c.oidc.issuerUrl),
    env("CODER_OIDC_CLIENT_ID", c.oidc.clientId),
    envFromSecret("CODER_OIDC_CLIENT_SECRET", c.oidc.clientSecret),
    ...(c.oidc.emailDomains.length > 0 ? [env("CODER_OIDC_EMAIL_DOMAIN", c.oidc.emailDomains.join(","))] : []),
    env("CODER_OIDC_ALLOW_SIGNUPS", bool(c.oidc.allowSignups)),
    env("CODER_OIDC_SCOPES", c.oidc.scopes.join(",")),
    env("CODER_OIDC_IGNORE_EMAIL_VERIFIED", "false"),
    env("CODER_DISABLE_PASSWORD_AUTH", bool(!c.auth.passwordAuth)),
    env("CODER_OAUTH2_GITHUB_DEFAULT_PROVIDER_ENABLE", "false"),
    env("CODER_DISABLE_OWNER_WORKSPACE_ACCESS", bool(!c.auth.ownerWorkspaceAccess)),
    env("CODER_DISABLE_PATH_APPS", bool(!c.auth.pathApps)),
    env("CODER_MAX_TOKEN_LIFETIME", c.auth.maxTokenLifetime),
    env("CODER_MAX_ADMIN_TOKEN_LIFETIME", c.auth.maxAdminTokenLifetime),
    env("CODER_PPROF_ENABLE", "false"),
    env("CODER_PROMETHEUS_ENABLE", bool(c.metrics !== undefined)),
    env("CODER_TELEMETRY_ENABLE", bool(c.telemetry)),
    ...c.externalAuth.flatMap(externalAuthEnv),
    ...c.extraEnv,
  ];
  return out;
}

/**
 * `coder server` arguments. The Coder-managed GitHub external-auth app is switched off by flag, not
 * by `CODER_EXTERNAL_AUTH_GITHUB_DEFAULT_PROVIDER_ENABLE`: coderd reads every `CODER_EXTERNAL_AUTH_*`
 * variable as a numbered provider and refuses to start on that one ("parse number").
 */
export const coderServerArgs = ["server", "--external-auth-github-default-provider-enable=false"] as const;

/** The coder/coder chart values for the resolved configuration. */
export function chartValues(c: CoderControlPlaneConfig): CoderChartValues {
  const image =
    c.image.repository !== undefined || c.image.tag !== undefined || c.image.pullSecrets.length > 0
      ? {
          image: {
            ...(c.image.repository !== undefined ? { repo: c.image.repository } : {}),
            ...(c.image.tag !== undefined ? { tag: c.image.tag } : {}),
            ...(c.image.pullSecrets.length > 0 ? { pullSecrets: c.image.pullSecrets.map((name) => ({ name })) } : {}),
          },
        }
      : {};
  return {
    coder: {
      ...image,
      replicaCount: c.replicas,
      commandArgs: [...coderServerArgs],
      env: coderdEnv(c),
      // CODER_ACCESS_URL is ours; the chart must not add its in-cluster http:// default.
      envUseClusterAccessURL: false,
      podLabels: { "app.kubernetes.io/component": "coderd" },
      podSecurityContext: {
        runAsNonRoot: true,
        runAsUser: 1000,
        runAsGroup: 1000,
        fsGroup: 1000,
        seccompProfile: { type: "RuntimeDefault" },
      },
      securityContext: restrictedContainerSecurityContext(),
      resources: { requests: { ...c.resources.requests }, limits: { ...c.resources.limits } },
      // The root filesystem is read-only: Terraform and coderd's caches write here.
      volumes: [
        { name: "tmp", emptyDir: { sizeLimit: c.scratch.tmpSizeLimit } },
        { name: "home", emptyDir: { sizeLimit: c.scratch.homeSizeLimit } },
      ],
      volumeMounts: [
        { name: "tmp", mountPath: "/tmp" },
        { name: "home", mountPath: "/home/coder" },
      ],
      ...(c.extraInitContainers.length > 0 ? { initContainers: c.extraInitContainers.map((x) => ({ ...x })) } : {}),
      tls: { secretNames: [c.tls.secretName] },
      certs: { secrets: c.trustedCaSecrets.map((s) => ({ name: s.name, key: s.key })) },
      serviceAccount: {
        name: c.serviceAccount.name,
        annotations: { ...c.serviceAccount.annotations },
        // Workspace namespaces bind this account to their own Role (CoderNamespace's `coderd`).
        workspacePerms: false,
        enableDeployments: false,
        extraRules: [],
      },
      // The Service is declared by the component: the chart cannot set loadBalancerSourceRanges.
      service: { enable: false },
      ingress: { enable: false },
    },
  };
}

/** coderd's Service: TLS only (443 -> 8443). */
export interface CoderdServiceSpec {
  metadata: { name: string; namespace: string; labels: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    type: "ClusterIP" | "LoadBalancer";
    selector: Record<string, string>;
    ports: { name: string; port: number; targetPort: number; protocol: "TCP" }[];
    loadBalancerClass?: string;
    loadBalancerSourceRanges?: string[];
  };
}

export function coderdService(c: CoderControlPlaneConfig): CoderdServiceSpec {
  const annotations =
    Object.keys(c.service.annotations).length > 0 ? { annotations: { ...c.service.annotations } } : {};
  return {
    metadata: { name: c.service.name, namespace: c.namespace, labels: { ...c.labels }, ...annotations },
    spec: {
      type: c.service.type,
      selector: { ...c.podSelector },
      ports: [{ name: "https", port: 443, targetPort: coderdPorts.https, protocol: "TCP" }],
      ...(c.service.loadBalancerClass !== undefined ? { loadBalancerClass: c.service.loadBalancerClass } : {}),
      ...(c.service.sourceRanges.length > 0 ? { loadBalancerSourceRanges: [...c.service.sourceRanges] } : {}),
    },
  };
}

export interface NetworkPolicyPeer {
  ipBlock?: { cidr: string; except?: string[] };
  namespaceSelector?: {
    matchLabels?: Record<string, string>;
    matchExpressions?: { key: string; operator: "In"; values: string[] }[];
  };
  podSelector?: { matchLabels: Record<string, string> };
}
export interface NetworkPolicyPort {
  protocol: "TCP" | "UDP";
  port: number;
}
export interface CoderdNetworkPolicy {
  readonly name: string;
  readonly spec: {
    podSelector: { matchLabels?: Record<string, string> };
    policyTypes: ("Ingress" | "Egress")[];
    ingress?: { from: NetworkPolicyPeer[]; ports: NetworkPolicyPort[] }[];
    egress?: { to: NetworkPolicyPeer[]; ports: NetworkPolicyPort[] }[];
  };
}

const tcp = (...ports: number[]): NetworkPolicyPort[] => ports.map((port) => ({ protocol: "TCP", port }));
const byName = (namespace: string): NetworkPolicyPeer["namespaceSelector"] => ({
  matchLabels: { "kubernetes.io/metadata.name": namespace },
});

/** The IPv4 metadata addresses (169.254.169.254/32). */
const metadataIpv4 = metadataCidrs.filter((c) => !c.includes(":"));

/**
 * `cidr` as an ipBlock that never reaches the metadata address: when the block covers it, the
 * address is excepted; a block inside it is refused (naming `field`).
 */
export function ipBlockWithoutMetadata(cidr: string, field: string): NetworkPolicyPeer {
  const block = parseCidr(cidr, field);
  const except: string[] = [];
  for (const m of metadataIpv4) {
    const meta = parseCidr(m);
    if (cidrContains(meta, block)) {
      throw new Error(`${field}: ${cidr} is the cloud metadata address; coderd must never reach it`);
    }
    if (cidrContains(block, meta)) except.push(formatCidr(meta));
  }
  return { ipBlock: { cidr: formatCidr(block), ...(except.length > 0 ? { except } : {}) } };
}

/** The public internet: 0.0.0.0/0 except private, link-local (metadata) and CGNAT ranges. */
export const internetIpBlock: NetworkPolicyPeer = {
  ipBlock: { cidr: "0.0.0.0/0", except: [...nonInternetIpv4Cidrs] },
};

/**
 * coderd's NetworkPolicies: deny everything, then allow ingress on 8080/8443 from the named sources
 * (+2112 from the monitoring namespace) and egress to DNS, the Kubernetes API, PostgreSQL, 443 on the
 * internet (IdP, Git providers, Terraform registry) and coderd's own replicas.
 */
export function coderdNetworkPolicies(c: CoderControlPlaneConfig): CoderdNetworkPolicy[] {
  const coderd: NetworkPolicyPeer = { podSelector: { matchLabels: { ...c.podSelector } } };
  const web = tcp(coderdPorts.http, coderdPorts.https);

  const ingress: { from: NetworkPolicyPeer[]; ports: NetworkPolicyPort[] }[] = [
    // HA replicas relay DERP traffic to each other over http.
    { from: [coderd], ports: web },
    {
      // Workspace agents dialing coderd's Service inside the cluster.
      from: [
        { namespaceSelector: { matchLabels: { [coderWorkspacesNamespaceLabel]: "true" } } },
        ...(c.network.workspaceNamespaces.length > 0
          ? [
              {
                namespaceSelector: {
                  matchExpressions: [
                    {
                      key: "kubernetes.io/metadata.name",
                      operator: "In" as const,
                      values: [...c.network.workspaceNamespaces],
                    },
                  ],
                },
              },
            ]
          : []),
      ],
      ports: web,
    },
  ];
  if (c.network.ingressFrom.length > 0) {
    ingress.push({
      from: c.network.ingressFrom.map((p) => ({
        namespaceSelector: byName(p.namespace),
        ...(p.podSelector ? { podSelector: { matchLabels: { ...p.podSelector } } } : {}),
      })),
      ports: web,
    });
  }
  if (c.service.type === "LoadBalancer") {
    // Load balancers deliver from node and load-balancer addresses (private) or, with client IP
    // preservation, from the clients themselves (the allowed source ranges).
    const cidrs = [
      ...new Set([...nonInternetIpv4Cidrs.filter((x) => !x.startsWith("169.254.")), ...c.service.sourceRanges]),
    ];
    ingress.push({ from: cidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: tcp(coderdPorts.https) });
  }
  if (c.metrics) {
    ingress.push({
      from: [
        {
          namespaceSelector: byName(c.metrics.namespace),
          ...(c.metrics.podSelector ? { podSelector: { matchLabels: { ...c.metrics.podSelector } } } : {}),
        },
      ],
      ports: tcp(coderdPorts.prometheus),
    });
  }

  const egress: { to: NetworkPolicyPeer[]; ports: NetworkPolicyPort[] }[] = [
    dnsEgressRule(c.network.dns),
    {
      to: c.network.kubernetesApi.cidrs.map((x) => ipBlockWithoutMetadata(x, "kubernetesApi.cidrs")),
      ports: tcp(...c.network.kubernetesApi.ports),
    },
    {
      to: c.network.database.cidrs.map((x) => ipBlockWithoutMetadata(x, "databaseCidrs")),
      ports: tcp(c.network.database.port),
    },
    { to: [internetIpBlock], ports: tcp(443) },
    { to: [coderd], ports: web },
    // Only with gkeMetadataServer: on GKE_METADATA nodes this address serves the pod's own Workload
    // Identity token, never the node's credentials.
    ...(c.network.gkeMetadataServer
      ? [{ to: [{ ipBlock: { cidr: gkeMetadataServer.cidr } }], ports: tcp(gkeMetadataServer.port) }]
      : []),
    ...c.network.extraEgress.map((e) => ({
      to: e.cidrs.map((x) => ipBlockWithoutMetadata(x, "extraEgress.cidrs")),
      ports: e.ports.map((port) => ({ protocol: e.protocol, port })),
    })),
  ];

  return [
    { name: "coderd-default-deny", spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } },
    {
      name: "coderd-ingress",
      spec: { podSelector: { matchLabels: { ...c.podSelector } }, policyTypes: ["Ingress"], ingress },
    },
    {
      name: "coderd-egress",
      spec: { podSelector: { matchLabels: { ...c.podSelector } }, policyTypes: ["Egress"], egress },
    },
  ];
}
