/**
 * `CoderControlPlane`: coderd itself, from the official coder/coder Helm chart (pinned), in its own
 * Pod Security `restricted` namespace, with TLS in coderd, OIDC login, password login off, every
 * secret by reference to a Kubernetes Secret built from a Pulumi secret, and a default-deny
 * NetworkPolicy set. The chart values come from the pure `coderValues(args)`.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { parseCidr } from "./cidr";
import type { CoderdRef } from "./coderd-ref";
import {
  CODER_CHART_NAME,
  CODER_CHART_REPOSITORY,
  CODER_CHART_VERSION,
  CODER_RELEASE_NAME,
  type CoderChartValues,
  type CoderControlPlaneConfig,
  type CoderExtraContainer,
  type EgressAllow,
  type EnvVar,
  type IngressPeer,
  type ResolvedExternalAuth,
  type ResourceList,
  type SecretRef,
  chartValues,
  coderdEnv,
  coderdNetworkPolicies,
  coderdService,
  ipBlockWithoutMetadata,
} from "./coderValues";
import { isDnsSubdomain, isValidLabelValue, managedByLabels, requireDnsLabel } from "./labels";
import { kubeDns } from "./pod-defaults";

export * from "./coderValues";

// ---------------------------------------------------------------------------------------------
// 1. Args
// ---------------------------------------------------------------------------------------------

/**
 * The certificate coderd presents on 8443: a PEM certificate (chain) and key from which a
 * `kubernetes.io/tls` Secret is built (the key a Pulumi secret), or the name of an existing
 * `kubernetes.io/tls` Secret in coderd's namespace (e.g. one cert-manager renews).
 */
export type CoderTlsArgs =
  | { readonly certificate: pulumi.Input<string>; readonly privateKey: pulumi.Input<string> }
  | { readonly secretName: string };

/** How coderd authenticates to PostgreSQL: a password in the URL, or an AWS IAM token (RDS). */
export type CoderDatabaseAuth = "password" | "awsiamrds";

/** TLS modes that encrypt the PostgreSQL connection (libpq's `sslmode`). */
export type PostgresSslMode = "require" | "verify-ca" | "verify-full";

/**
 * coderd's PostgreSQL. A URL (a Pulumi secret: it holds the password) from which a Secret is built;
 * an existing Secret in coderd's namespace; or password-less RDS IAM authentication, where the URL
 * is built from its parts. A URL without `sslmode=require|verify-ca|verify-full` is refused unless
 * it points at a local TLS proxy (127.0.0.1/localhost, e.g. the Cloud SQL Auth Proxy).
 */
export type CoderDatabaseArgs =
  | { readonly connectionUrl: pulumi.Input<string>; readonly auth?: CoderDatabaseAuth }
  | { readonly secretName: string; readonly secretKey?: string; readonly auth?: CoderDatabaseAuth }
  | {
      readonly auth: "awsiamrds";
      readonly host: pulumi.Input<string>;
      /** @default 5432 */
      readonly port?: pulumi.Input<number>;
      readonly user: pulumi.Input<string>;
      readonly database: pulumi.Input<string>;
      /**
       * `verify-full` needs the RDS CA bundle trusted in the pod: pass it in `trustedCaSecrets`.
       * @default "verify-full"
       */
      readonly sslmode?: PostgresSslMode;
    };

/** Login with your identity provider (OpenID Connect). Serves auth-provider-settings. */
export interface CoderOidcArgs {
  /** The IdP's issuer URL; https only. */
  readonly issuerUrl: pulumi.Input<string>;
  readonly clientId: pulumi.Input<string>;
  /** A Pulumi secret; reaches coderd by `secretKeyRef` only. */
  readonly clientSecret: pulumi.Input<string>;
  /**
   * Email domains users must belong to (`CODER_OIDC_EMAIL_DOMAIN`). Signups are allowed only when
   * this is non-empty.
   * @default []
   */
  readonly emailDomains?: readonly string[];
  /**
   * Whether OIDC users not yet in Coder are created on first login. `true` without `emailDomains`
   * is refused: anyone the IdP knows would get an account.
   * @default true when emailDomains is non-empty, else false
   */
  readonly allowSignups?: boolean;
  /**
   * Scopes requested from the IdP; must include `openid`.
   * @default ["openid", "profile", "email"]
   */
  readonly scopes?: readonly string[];
}

/**
 * One external-auth (Git) provider, `CODER_EXTERNAL_AUTH_<N>_*`. Serves git-oauth-linkage and
 * git-single-provider-per-type.
 */
export interface CoderExternalAuthArgs {
  /** Coder's id for it (callback `/external-auth/<id>/callback`); unique. */
  readonly id: string;
  /** `github`, `gitlab`, `bitbucket-cloud`, `bitbucket-server`, `azure-devops`, `azure-devops-entra`, `gitea`, `jfrog`, `slack`, or a custom type. */
  readonly type: string;
  readonly clientId: pulumi.Input<string>;
  /** A Pulumi secret; reaches coderd by `secretKeyRef` only. */
  readonly clientSecret: pulumi.Input<string>;
  /**
   * Which repository URLs this provider serves. Two providers of one type need distinct regexes.
   * @default Coder's per-type default (e.g. github.com for github)
   */
  readonly regex?: string;
  /**
   * OAuth scopes. Defaults are narrower than Coder's own: see `externalAuthDefaultScopes`.
   * @default externalAuthDefaultScopes[type], else Coder's default for the type
   */
  readonly scopes?: readonly string[];
  /** https only. Required for self-hosted providers and custom types. */
  readonly authUrl?: string;
  /** https only. Required for custom types. */
  readonly tokenUrl?: string;
  /** https only. */
  readonly validateUrl?: string;
  readonly displayName?: string;
  readonly displayIcon?: string;
  readonly deviceFlow?: boolean;
  readonly noRefresh?: boolean;
}

/**
 * How coderd's Service is exposed. `ClusterIP` (an ingress or gateway in front); an internal load
 * balancer, for which the caller supplies the cloud's internal-LB annotations or class (a
 * LoadBalancer without them is public on most clouds, so they are required); or a public load
 * balancer, only with explicit `allowedSourceRanges` (never 0.0.0.0/0). Serves network-external.
 */
export type CoderExposureArgs =
  | { readonly type: "ClusterIP" }
  | {
      readonly type: "InternalLoadBalancer";
      /** e.g. `service.beta.kubernetes.io/aws-load-balancer-scheme: internal`, `networking.gke.io/load-balancer-type: Internal`. */
      readonly annotations?: Readonly<Record<string, string>>;
      readonly loadBalancerClass?: string;
      /** Optional `loadBalancerSourceRanges` for the internal load balancer. */
      readonly sourceRanges?: readonly string[];
    }
  | {
      readonly type: "PublicLoadBalancer";
      /** Who may connect (`loadBalancerSourceRanges`); required, non-empty, never a /0. */
      readonly allowedSourceRanges: readonly string[];
      readonly annotations?: Readonly<Record<string, string>>;
      readonly loadBalancerClass?: string;
    };

export interface CoderControlPlaneArgs {
  /** The URL users and workspace agents reach coderd at; https only. Serves network-tls-coderd. */
  readonly accessUrl: pulumi.Input<string>;
  /**
   * Wildcard host for subdomain workspace apps, e.g. `*.coder.example.com` (the certificate must
   * cover it). Without it, web IDEs and apps are unavailable while path-based apps are off.
   * @default unset
   */
  readonly wildcardAccessUrl?: string;
  /** TLS in coderd, on 8443 (`coder.tls.secretNames`). Serves network-tls-coderd. */
  readonly tls: CoderTlsArgs;
  /**
   * Minimum TLS version coderd accepts (`CODER_TLS_MIN_VERSION`); tls10/tls11 are refused.
   * @default "tls12"
   */
  readonly tlsMinVersion?: "tls12" | "tls13";
  /** PostgreSQL. Serves network-tls-upstream. */
  readonly database: CoderDatabaseArgs;
  /** OIDC login. Serves auth-provider-settings. */
  readonly oidc: CoderOidcArgs;
  /**
   * Git (and other OAuth) providers, numbered 0..N-1 in order; at most 10 (coderd sorts the
   * variables as text, so an 11th would break the numbering).
   * @default []
   */
  readonly externalAuth?: readonly CoderExternalAuthArgs[];
  /** @default { type: "ClusterIP" } */
  readonly exposure?: CoderExposureArgs;
  /**
   * coderd's namespace, created here with Pod Security `restricted` (enforce, audit, warn).
   * @default "coderd"
   */
  readonly namespace?: string;
  /**
   * coderd's ServiceAccount (created by the chart, with no Role: workspace namespaces bind it).
   * Serves roles-coder-service-account.
   * @default "coder"
   */
  readonly serviceAccountName?: string;
  /**
   * e.g. GKE Workload Identity's `iam.gke.io/gcp-service-account`. May be an Output (a service
   * account's email); it is then checked once known.
   * @default {}
   */
  readonly serviceAccountAnnotations?: pulumi.Input<Readonly<Record<string, string>>>;
  /** @default CODER_CHART_VERSION */
  readonly chartVersion?: string;
  /** An https Helm repository or an `oci://` chart reference's registry path. @default CODER_CHART_REPOSITORY */
  readonly chartRepository?: string;
  /**
   * coderd's image, e.g. a mirror in your approved registry. Serves registry-approved-images.
   * @default the chart's `ghcr.io/coder/coder` at the chart's version
   */
  readonly image?: { readonly repository?: string; readonly tag?: string; readonly pullSecrets?: readonly string[] };
  /** More than 1 needs Coder's high-availability licence. @default 1 */
  readonly replicas?: number;
  /**
   * coderd's container resources.
   * @default requests cpu 1, memory 2Gi, ephemeral-storage 1Gi; limits cpu 2, memory 4Gi, ephemeral-storage 6Gi
   */
  readonly resources?: {
    readonly requests?: Partial<ResourceList>;
    readonly limits?: Partial<ResourceList>;
  };
  /**
   * Lets users sign in with a password. Off, an OIDC user converted to password login has no way
   * in, so a site admin cannot impersonate them (owners keep a password login for lock-out
   * recovery). Costs auth-impersonation.
   * @default false
   */
  readonly allowPasswordAuth?: boolean;
  /**
   * Lets the `owner` role SSH into, open apps and terminals of other users' workspaces. Costs
   * auth-impersonation.
   * @default false
   */
  readonly allowOwnerWorkspaceAccess?: boolean;
  /**
   * Allows path-based workspace apps, which run a workspace's JavaScript on the access URL's origin
   * (able to call Coder's API as the viewer). Prefer `wildcardAccessUrl`.
   * @default false
   */
  readonly allowPathApps?: boolean;
  /**
   * `__Host-` prefixed session cookies (`CODER_HOST_PREFIX_COOKIE`), so no subdomain can set them.
   * Turning it off costs network-tls-coderd hardening; workspaces built before Coder 2.31 need a
   * restart when it is on.
   * @default true
   */
  readonly hostPrefixCookie?: boolean;
  /**
   * Longest lifetime of a user API token (`CODER_MAX_TOKEN_LIFETIME`, a Go duration, at most 8760h).
   * Admin tokens get the shorter of this and 168h.
   * @default "720h"
   */
  readonly maxTokenLifetime?: string;
  /**
   * Coder's anonymous usage telemetry (`CODER_TELEMETRY_ENABLE`). Off: a hardened deployment sends
   * nothing to a third party unless the site admin decides to.
   * @default false
   */
  readonly telemetry?: boolean;
  /**
   * Prometheus metrics on 2112, reachable only from this namespace (and pod selector).
   * @default unset: metrics off
   */
  readonly metrics?: { readonly namespace: string; readonly podSelector?: Readonly<Record<string, string>> };
  /**
   * Secrets in coderd's namespace holding extra CA certificates coderd trusts (PostgreSQL, IdP,
   * Git providers with a private CA), mounted by the chart under `/etc/ssl/certs`.
   * @default []
   */
  readonly trustedCaSecrets?: readonly { readonly name: string; readonly key: string }[];
  /**
   * Further coderd settings. Names this component manages, `CODER_DANGEROUS_*`, external-auth
   * variables and settings that weaken TLS or authentication are refused; a secret comes as
   * `secretKeyRef`, never as a value.
   * @default []
   */
  readonly extraEnv?: readonly (
    | { readonly name: string; readonly value: string }
    | { readonly name: string; readonly secretKeyRef: { readonly name: string; readonly key: string } }
  )[];
  /**
   * Where the Kubernetes API server is, for coderd's egress. Managed clusters put it outside the pod
   * network, often behind a private address: clouds pass the exact CIDR.
   * @default { cidrs: ["0.0.0.0/0"] (metadata address excepted), ports: [443, 6443] }
   */
  readonly kubernetesApi?: { readonly cidrs: readonly string[]; readonly ports?: readonly number[] };
  /**
   * Where PostgreSQL is, for coderd's egress.
   * @default ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
   */
  readonly databaseCidrs?: readonly string[];
  /** @default 5432 */
  readonly databasePort?: number;
  /**
   * Namespaces whose workspace agents may connect to coderd's pods directly, besides every namespace
   * labelled `hardened-coder/workspaces: "true"`.
   * @default []
   */
  readonly workspaceNamespaces?: readonly string[];
  /**
   * Ingress controllers or gateways in front of coderd (namespace, optional pod labels).
   * @default []
   */
  readonly ingressFrom?: readonly IngressPeer[];
  /** @default { namespace: "kube-system", podSelector: { "k8s-app": "kube-dns" } } */
  readonly dns?: { readonly namespace?: string; readonly podSelector?: Readonly<Record<string, string>> };
  /**
   * Further egress, e.g. a private IdP or Git server, or NodeLocal DNSCache; never the metadata
   * address.
   * @default []
   */
  readonly extraEgress?: readonly {
    readonly cidrs: readonly string[];
    readonly ports: readonly number[];
    readonly protocol?: "TCP" | "UDP";
  }[];
  /**
   * Containers added to coderd's pod (`coder.initContainers`), e.g. the Cloud SQL Auth Proxy as a
   * native sidecar (`restartPolicy: "Always"`) that coderd reaches on 127.0.0.1. Each needs a unique
   * name and an image, and must meet Pod Security `restricted` by itself: allowPrivilegeEscalation
   * false, capabilities drop ALL, seccomp RuntimeDefault, never runAsNonRoot false or root. May be
   * an Output (e.g. carrying a database's connection name); it is then checked once known.
   * @default []
   */
  readonly extraInitContainers?: pulumi.Input<readonly CoderExtraContainer[]>;
  /**
   * Let coderd's pod reach the GKE metadata server (169.254.169.254, port 80 only) for its Workload
   * Identity token, as a sidecar that authenticates to Google needs (GKE Dataplane V2 NetworkPolicy
   * rule). Only on nodes with workload metadata `GKE_METADATA`, where that address answers with the
   * pod's own Kubernetes ServiceAccount identity and never the node's credentials. Costs: every
   * container in coderd's pod can get that identity's token. Serves node-cloud-access (closed
   * unless set).
   * @default false
   */
  readonly gkeMetadataServer?: boolean;
  /** Extra labels on the namespace and every object created outside the chart. @default {} */
  readonly labels?: Readonly<Record<string, string>>;
}

/** `T` with every Input (Output or Promise) replaced by its value, deeply. */
export type PlainInputs<T> =
  T extends pulumi.OutputInstance<infer U>
    ? PlainInputs<U>
    : T extends Promise<infer U>
      ? PlainInputs<U>
      : T extends readonly (infer E)[]
        ? readonly PlainInputs<E>[]
        : T extends object
          ? { readonly [K in keyof T]: PlainInputs<T[K]> }
          : T;

/** The args with every Input a plain value, as `coderValues` and `apply` see them. */
export type CoderControlPlanePlainArgs = PlainInputs<CoderControlPlaneArgs>;

// ---------------------------------------------------------------------------------------------
// 2. resolveCoderControlPlaneArgs
// ---------------------------------------------------------------------------------------------

/**
 * Narrow default scopes per provider type: what cloning and pushing need, not Coder's own defaults
 * (github `repo workflow`, gitlab `write_repository read_api`, bitbucket-server adds `PUBLIC_REPOS`,
 * gitea adds `read:repository`). GitHub OAuth apps have no scope narrower than `repo` for private
 * repositories: a GitHub App, whose permissions are set per repository in GitHub, is narrower.
 */
export const externalAuthDefaultScopes: Readonly<Record<string, readonly string[]>> = {
  github: ["repo"],
  gitlab: ["write_repository"],
  "bitbucket-cloud": ["account", "repository:write"],
  "bitbucket-server": ["REPO_READ", "REPO_WRITE"],
  "azure-devops": ["vso.code_write"],
  gitea: ["write:repository", "read:user"],
  jfrog: ["applied-permissions/user"],
};

const knownExternalAuthTypes = new Set([
  "github",
  "gitlab",
  "bitbucket-cloud",
  "bitbucket-server",
  "azure-devops",
  "azure-devops-entra",
  "gitea",
  "jfrog",
  "slack",
]);
/** Types whose endpoints Coder derives from the auth URL, so it must be given. */
const typesNeedingAuthUrl = new Set(["bitbucket-server", "jfrog", "azure-devops-entra"]);

const defaultResources = {
  requests: { cpu: "1", memory: "2Gi", "ephemeral-storage": "1Gi" },
  limits: { cpu: "2", memory: "4Gi", "ephemeral-storage": "6Gi" },
} as const;

const privateIpv4Cidrs = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] as const;

/** Variables the chart sets itself; duplicating them breaks the pod spec or the chart's logic. */
const chartManagedEnv = [
  "CODER_HTTP_ADDRESS",
  "CODER_TLS_ENABLE",
  "CODER_TLS_ADDRESS",
  "CODER_TLS_CERT_FILE",
  "CODER_TLS_KEY_FILE",
  "CODER_PROMETHEUS_ADDRESS",
  "CODER_PPROF_ADDRESS",
  "KUBE_POD_IP",
  "CODER_DERP_SERVER_RELAY_URL",
  "CODER_CLUSTER_HOST",
  "GOMEMLIMIT",
];
/** Settings that would weaken TLS or authentication behind this component's back. */
const weakeningEnv = [
  "CODER_OIDC_IGNORE_EMAIL_VERIFIED",
  "CODER_TLS_ALLOW_INSECURE_CIPHERS",
  "CODER_TLS_CIPHERS",
  "CODER_EMAIL_TLS_SKIPVERIFY",
  "CODER_NOTIFICATIONS_EMAIL_TLS_SKIPVERIFY",
  "CODER_SAMESITE_AUTH_COOKIE",
  "CODER_ADDITIONAL_CSP_POLICY",
  "CODER_STRICT_TRANSPORT_SECURITY_OPTIONS",
  "CODER_PG_CONNECTION_URL",
  "CODER_OAUTH2_GITHUB_CLIENT_ID",
  "CODER_OAUTH2_GITHUB_CLIENT_SECRET",
  "CODER_OAUTH2_GITHUB_ALLOW_EVERYONE",
  "CODER_OAUTH2_GITHUB_ALLOW_SIGNUPS",
];

function fail(message: string): never {
  throw new Error(message);
}

/** Like Array.isArray, without narrowing a typed list to any[]. */
function isList(v: unknown): boolean {
  return Array.isArray(v);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !isList(v);
}

function requireString(field: string, v: unknown, what: string): string {
  if (typeof v !== "string" || v.trim() === "") fail(`${field}: required: ${what}`);
  return v.trim();
}

/**
 * An https URL reduced to its origin (no trailing slash). `http`, credentials, queries and
 * fragments are refused, naming the field.
 */
export function requireHttpsUrl(field: string, value: unknown, opts: { originOnly?: boolean } = {}): string {
  const raw = requireString(field, value, "an https:// URL");
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    fail(`${field}: "${raw}" is not a URL; write it as https://host[:port]`);
  }
  if (url.protocol !== "https:") {
    fail(
      `${field}: "${raw}" is not https; coderd and its users must only talk TLS (secure cookies, HSTS): ` +
        `use https://${url.host}${url.pathname === "/" ? "" : url.pathname}`,
    );
  }
  if (url.username !== "" || url.password !== "") fail(`${field}: credentials do not belong in a URL; remove them`);
  if (url.search !== "" || url.hash !== "") fail(`${field}: "${raw}" has a query or fragment; remove it`);
  if (opts.originOnly && url.pathname !== "/") {
    fail(`${field}: "${raw}" has a path; coderd is served at the root of its host: use ${url.origin}`);
  }
  return opts.originOnly ? url.origin : raw.replace(/\/+$/, "");
}

const localHosts = new Set(["127.0.0.1", "localhost", "::1", "[::1]"]);

/**
 * Checks a PostgreSQL connection URL (or `key=value` DSN) and returns it unchanged. Refuses an
 * `sslmode` that allows plain text (missing, `disable`, `allow`, `prefer`) unless the host is a
 * local TLS proxy, and a password when `auth` is `awsiamrds`. Messages never repeat the URL: it
 * holds the password.
 */
export function checkDatabaseUrl(
  url: string,
  auth: CoderDatabaseAuth = "password",
  field = "database.connectionUrl",
): string {
  if (typeof url !== "string" || url.trim() === "") fail(`${field}: required: a postgres:// URL`);
  let host = "";
  let sslmode: string | undefined;
  let password = "";
  if (/^postgres(ql)?:\/\//i.test(url)) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      fail(`${field}: not a valid postgres:// URL (not shown: it may hold a password); URL-encode special characters`);
    }
    host = parsed.searchParams.get("host") ?? decodeURIComponent(parsed.hostname);
    sslmode = parsed.searchParams.get("sslmode") ?? undefined;
    password = parsed.password;
  } else if (/^\s*\w+\s*=/.test(url)) {
    const pairs = new Map<string, string>();
    for (const m of url.matchAll(/(\w+)\s*=\s*('(?:[^'\\]|\\.)*'|\S*)/g)) {
      pairs.set(m[1]!.toLowerCase(), m[2]!.replace(/^'|'$/g, ""));
    }
    host = pairs.get("host") ?? "";
    sslmode = pairs.get("sslmode");
    password = pairs.get("password") ?? "";
  } else {
    fail(`${field}: not a postgres:// URL or key=value connection string (not shown: it may hold a password)`);
  }
  const local = localHosts.has(host.toLowerCase()) || host.startsWith("/");
  const mode = sslmode?.toLowerCase();
  if (mode !== undefined && !["disable", "allow", "prefer", "require", "verify-ca", "verify-full"].includes(mode)) {
    fail(`${field}: sslmode "${sslmode}" is not a libpq sslmode; use sslmode=verify-full`);
  }
  if (!local && (mode === undefined || mode === "disable" || mode === "allow" || mode === "prefer")) {
    const what =
      mode === undefined
        ? "has no sslmode, so the driver may fall back to plain text"
        : `has sslmode "${mode}", which allows plain text`;
    fail(
      `${field}: ${what}; add sslmode=verify-full (or require/verify-ca), or connect through a local TLS proxy on ` +
        `127.0.0.1 (the URL is not shown: it holds a password)`,
    );
  }
  if (auth === "awsiamrds" && password !== "") {
    fail(`${field}: carries a password, but database.auth is "awsiamrds" (IAM tokens replace it); remove the password`);
  }
  return url;
}

/** Builds the password-less URL of `auth: "awsiamrds"`. */
export function awsIamRdsUrl(parts: {
  host: string;
  port?: number;
  user: string;
  database: string;
  sslmode?: PostgresSslMode;
}): string {
  const host = requireString("database.host", parts.host, "the RDS endpoint");
  const user = requireString("database.user", parts.user, "the IAM database user");
  const database = requireString("database.database", parts.database, "the database name");
  const port = parts.port ?? 5432;
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`database.port: ${port} is not a TCP port`);
  const sslmode = parts.sslmode ?? "verify-full";
  if (!["require", "verify-ca", "verify-full"].includes(sslmode)) {
    fail(`database.sslmode: "${sslmode}" does not force TLS; use verify-full`);
  }
  return `postgres://${encodeURIComponent(user)}@${host}:${port}/${encodeURIComponent(database)}?sslmode=${sslmode}`;
}

/** A Go duration (`720h`, `168h0m0s`, `90m`) in seconds, or a thrown error naming the field. */
function goDurationSeconds(field: string, value: string): number {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(value);
  if (!m || value === "") fail(`${field}: "${value}" is not a duration; write it like 720h or 168h0m0s`);
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

const quantity = /^\d+(\.\d+)?(m|k|Ki|M|Mi|G|Gi|T|Ti)?$/;

function checkLabels(field: string, labels: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels ?? {})) {
    const [prefix, name] = key.includes("/") ? key.split("/", 2) : [undefined, key];
    if (
      (prefix !== undefined && !isDnsSubdomain(prefix)) ||
      name === undefined ||
      name === "" ||
      !isValidLabelValue(name)
    ) {
      fail(`${field}: "${key}" is not a valid label key; use [prefix/]name`);
    }
    if (typeof value !== "string" || !isValidLabelValue(value)) {
      fail(`${field}: value ${JSON.stringify(value)} of "${key}" is not a valid label value`);
    }
    out[key] = value;
  }
  return out;
}

function checkCidrs(field: string, cidrs: readonly string[], opts: { egress: boolean }): string[] {
  if (!isList(cidrs) || cidrs.length === 0) fail(`${field}: give at least one CIDR`);
  return cidrs.map((c) => {
    parseCidr(c, field);
    // Egress blocks may cover the metadata address (it is excepted); never be inside it.
    if (opts.egress) ipBlockWithoutMetadata(c, field);
    return c.trim();
  });
}

function checkPorts(field: string, ports: readonly number[]): number[] {
  if (!isList(ports) || ports.length === 0) fail(`${field}: give at least one port`);
  for (const p of ports) {
    if (!Number.isInteger(p) || p < 1 || p > 65535) fail(`${field}: ${p} is not a TCP/UDP port (1-65535)`);
  }
  return [...ports];
}

function resolveExternalAuth(list: CoderControlPlanePlainArgs["externalAuth"]): ResolvedExternalAuth[] {
  const providers = list ?? [];
  if (!isList(providers)) fail(`externalAuth: expected a list of providers`);
  if (providers.length > 10) {
    fail(
      `externalAuth: ${providers.length} providers; at most 10 (coderd sorts CODER_EXTERNAL_AUTH_<N> as text, ` +
        `so N=10 would be read before N=2 and refused)`,
    );
  }
  const seen = new Map<string, number>();
  const resolved = providers.map((p, index): ResolvedExternalAuth => {
    const f = (k: string) => `externalAuth[${index}].${k}`;
    const id = requireString(f("id"), p.id, "Coder's id for the provider, e.g. github");
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(id)) {
      fail(`${f("id")}: "${id}" must be letters, digits, '-', '_' or '.', at most 63 characters`);
    }
    const first = seen.get(id);
    if (first !== undefined) fail(`${f("id")}: "${id}" is also externalAuth[${first}].id; ids must be unique`);
    seen.set(id, index);
    const type = requireString(f("type"), p.type, "the provider type, e.g. github");
    if (!/^[a-z0-9][a-z0-9-]*$/.test(type)) fail(`${f("type")}: "${type}" must be lower-case letters, digits and '-'`);
    const clientId = requireString(f("clientId"), p.clientId, "the OAuth app's client id");
    requireString(f("clientSecret"), p.clientSecret, "the OAuth app's client secret (a Pulumi secret)");
    const urls: Partial<Record<"authUrl" | "tokenUrl" | "validateUrl", string>> = {};
    for (const k of ["authUrl", "tokenUrl", "validateUrl"] as const) {
      if (p[k] !== undefined) urls[k] = requireHttpsUrl(f(k), p[k]);
    }
    if (!knownExternalAuthTypes.has(type) && (urls.authUrl === undefined || urls.tokenUrl === undefined)) {
      fail(`${f("type")}: "${type}" is a custom provider type; give authUrl and tokenUrl (https)`);
    }
    if (typesNeedingAuthUrl.has(type) && urls.authUrl === undefined) {
      fail(`${f("authUrl")}: required for type "${type}": Coder derives the provider's endpoints from it`);
    }
    let regex: string | undefined;
    if (p.regex !== undefined) {
      regex = requireString(f("regex"), p.regex, "a regular expression matching the provider's repository URLs");
      try {
        new RegExp(regex);
      } catch {
        fail(`${f("regex")}: "${regex}" is not a valid regular expression`);
      }
    }
    let scopes: readonly string[] | undefined = externalAuthDefaultScopes[type];
    if (p.scopes !== undefined) {
      if (!isList(p.scopes) || p.scopes.length === 0) fail(`${f("scopes")}: give at least one scope, or omit it`);
      for (const s of p.scopes) {
        if (typeof s !== "string" || s === "" || /\s/.test(s)) fail(`${f("scopes")}: "${s}" is not a single scope`);
      }
      scopes = [...p.scopes];
    }
    return {
      index,
      id,
      type,
      clientId,
      clientSecret: { name: "coder-external-auth", key: `${id}-client-secret` },
      ...(regex !== undefined ? { regex } : {}),
      ...(scopes !== undefined ? { scopes: [...scopes] } : {}),
      ...urls,
      ...(p.displayName !== undefined ? { displayName: p.displayName } : {}),
      ...(p.displayIcon !== undefined ? { displayIcon: p.displayIcon } : {}),
      ...(p.deviceFlow !== undefined ? { deviceFlow: p.deviceFlow } : {}),
      ...(p.noRefresh !== undefined ? { noRefresh: p.noRefresh } : {}),
    };
  });
  // The seed: one Git provider per type, unless each has its own regex (Coder matches repository
  // URLs by regex to pick the provider).
  for (const a of resolved) {
    for (const b of resolved) {
      if (b.index <= a.index || a.type !== b.type) continue;
      if (a.regex === undefined || b.regex === undefined || a.regex === b.regex) {
        fail(
          `externalAuth: "${a.id}" and "${b.id}" are both of type "${a.type}" without distinct regex; ` +
            `Coder links one provider per type: give each its own regex (e.g. github\\.com/org-a)`,
        );
      }
    }
  }
  return resolved;
}

function resolveDatabase(db: CoderControlPlanePlainArgs["database"]): CoderControlPlaneConfig["database"] {
  if (!isPlainObject(db)) {
    fail(
      `database: required: { connectionUrl } (a Pulumi secret), { secretName, secretKey } or { auth: "awsiamrds", host, user, database }`,
    );
  }
  const auth = (db as { auth?: unknown }).auth ?? "password";
  if (auth !== "password" && auth !== "awsiamrds")
    fail(`database.auth: ${JSON.stringify(auth)} is not password or awsiamrds`);
  const created = { name: "coder-db-url", key: "url" };
  if ("connectionUrl" in db) {
    checkDatabaseUrl(db.connectionUrl, auth);
    return { auth, connectionUrl: created, create: true };
  }
  if ("secretName" in db) {
    const name = requireString("database.secretName", db.secretName, "a Secret in coderd's namespace");
    if (!isDnsSubdomain(name)) fail(`database.secretName: "${name}" is not a valid Secret name`);
    return { auth, connectionUrl: { name, key: db.secretKey ?? "url" }, create: false };
  }
  if (auth === "awsiamrds" && "host" in db) {
    awsIamRdsUrl(db);
    return { auth, connectionUrl: created, create: true };
  }
  return fail(`database: give connectionUrl, secretName, or auth: "awsiamrds" with host, user and database`);
}

function resolveExposure(e: CoderExposureArgs | undefined): CoderControlPlaneConfig["service"] {
  const exposure = e ?? { type: "ClusterIP" };
  const base = {
    name: "coder",
    annotations: {} as Record<string, string>,
    sourceRanges: [] as string[],
    public: false,
  };
  switch (exposure.type) {
    case "ClusterIP":
      return { ...base, type: "ClusterIP" };
    case "InternalLoadBalancer": {
      const annotations = { ...(exposure.annotations ?? {}) };
      if (Object.keys(annotations).length === 0 && exposure.loadBalancerClass === undefined) {
        fail(
          `exposure.annotations: an internal load balancer needs the cloud's internal-LB annotations (or ` +
            `loadBalancerClass); without them most clouds make it public`,
        );
      }
      const sourceRanges =
        exposure.sourceRanges !== undefined
          ? checkCidrs("exposure.sourceRanges", exposure.sourceRanges, { egress: false })
          : [];
      return {
        ...base,
        type: "LoadBalancer",
        annotations,
        sourceRanges,
        ...(exposure.loadBalancerClass !== undefined ? { loadBalancerClass: exposure.loadBalancerClass } : {}),
      };
    }
    case "PublicLoadBalancer": {
      const ranges = exposure.allowedSourceRanges;
      if (!isList(ranges) || ranges.length === 0) {
        fail(
          `exposure.allowedSourceRanges: a public load balancer needs the CIDRs allowed to reach coderd ` +
            `(e.g. your office and VPN egress); it is never open to 0.0.0.0/0`,
        );
      }
      const sourceRanges = checkCidrs("exposure.allowedSourceRanges", ranges, { egress: false });
      for (const r of sourceRanges) {
        if (parseCidr(r).prefix === 0) {
          fail(`exposure.allowedSourceRanges: ${r} is the whole internet; list the networks that need coderd`);
        }
      }
      return {
        ...base,
        type: "LoadBalancer",
        annotations: { ...(exposure.annotations ?? {}) },
        sourceRanges,
        public: true,
        ...(exposure.loadBalancerClass !== undefined ? { loadBalancerClass: exposure.loadBalancerClass } : {}),
      };
    }
    default:
      return fail(
        `exposure.type: "${String((exposure as { type: unknown }).type)}" is not ClusterIP, InternalLoadBalancer or PublicLoadBalancer`,
      );
  }
}

/** Checks sidecars and init containers for coderd's pod against Pod Security `restricted`. */
function resolveExtraInitContainers(list: CoderControlPlanePlainArgs["extraInitContainers"]): CoderExtraContainer[] {
  if (list === undefined) return [];
  if (!isList(list)) fail(`extraInitContainers: expected a list of containers`);
  const names = new Set<string>(["coder"]);
  return list.map((c, i) => {
    const f = (k: string) => `extraInitContainers[${i}].${k}`;
    if (!isPlainObject(c)) fail(`extraInitContainers[${i}]: expected a container { name, image, securityContext }`);
    const name = requireDnsLabel(f("name"), c.name);
    if (names.has(name)) fail(`${f("name")}: "${name}" is already a container of coderd's pod; use another name`);
    names.add(name);
    requireString(f("image"), c.image, "a pinned image (exact tag or digest)");
    if (c.restartPolicy !== undefined && c.restartPolicy !== "Always") {
      fail(
        `${f("restartPolicy")}: "${String(c.restartPolicy)}" is not allowed; use "Always" (a native sidecar) or omit it`,
      );
    }
    const sc = c.securityContext as Record<string, unknown> | undefined;
    if (!isPlainObject(sc))
      fail(`${f("securityContext")}: required; Pod Security restricted needs it on every container`);
    if (sc.allowPrivilegeEscalation !== false) fail(`${f("securityContext.allowPrivilegeEscalation")}: must be false`);
    if (sc.privileged === true) fail(`${f("securityContext.privileged")}: must not be true`);
    if (sc.runAsNonRoot === false || sc.runAsUser === 0) {
      fail(`${f("securityContext")}: must not run as root (runAsNonRoot false or runAsUser 0)`);
    }
    const caps = sc.capabilities as { drop?: unknown; add?: unknown } | undefined;
    const drop = caps?.drop;
    if (!isList(drop) || !(drop as unknown[]).includes("ALL")) {
      fail(`${f("securityContext.capabilities.drop")}: must include "ALL"`);
    }
    if (caps?.add !== undefined) fail(`${f("securityContext.capabilities.add")}: adds capabilities; remove it`);
    if ((sc.seccompProfile as { type?: unknown } | undefined)?.type !== "RuntimeDefault") {
      fail(`${f("securityContext.seccompProfile.type")}: must be "RuntimeDefault"`);
    }
    for (const e of c.env ?? []) {
      if ("value" in e && /(PASSWORD|SECRET|TOKEN)/i.test(e.name)) {
        fail(`${f("env")}: ${e.name} looks like a secret; pass it by valueFrom.secretKeyRef`);
      }
    }
    return { ...c, name };
  });
}

function resolveExtraEnv(list: CoderControlPlanePlainArgs["extraEnv"], managed: ReadonlySet<string>): EnvVar[] {
  return (list ?? []).map((e, i) => {
    const field = `extraEnv[${i}]`;
    const name = requireString(`${field}.name`, e.name, "an environment variable name");
    if (!/^[A-Z_][A-Z0-9_]*$/.test(name)) fail(`${field}.name: "${name}" is not an environment variable name`);
    if (name.startsWith("CODER_DANGEROUS_")) fail(`${field}.name: ${name} is a CODER_DANGEROUS_* setting; refused`);
    if (name.startsWith("CODER_EXTERNAL_AUTH_") || name.startsWith("CODER_GITAUTH_")) {
      fail(`${field}.name: ${name}: configure providers through externalAuth`);
    }
    if (managed.has(name) || chartManagedEnv.includes(name)) {
      fail(`${field}.name: ${name} is set by CoderControlPlane; use its named option instead`);
    }
    if (weakeningEnv.includes(name) || name.startsWith("CODER_PPROF_")) {
      fail(`${field}.name: ${name} weakens coderd's TLS, authentication or secrets handling; refused`);
    }
    if ("secretKeyRef" in e) {
      const ref = e.secretKeyRef;
      return {
        name,
        valueFrom: {
          secretKeyRef: {
            name: requireString(`${field}.secretKeyRef.name`, ref.name, "a Secret in coderd's namespace"),
            key: requireString(`${field}.secretKeyRef.key`, ref.key, "the key in that Secret"),
          },
        },
      };
    }
    if (typeof e.value !== "string") fail(`${field}.value: give a string value or a secretKeyRef`);
    return { name, value: e.value };
  });
}

/**
 * Fills every default and refuses unsafe or inconsistent input (the message names the field, the
 * bad value and the fix). Pure: no Pulumi resources, no secrets read into the result.
 */
export function resolveCoderControlPlaneArgs(args: CoderControlPlanePlainArgs): CoderControlPlaneConfig {
  if (!isPlainObject(args)) fail(`args: expected { accessUrl, tls, database, oidc, ... }`);
  const namespace = requireDnsLabel("namespace", args.namespace ?? "coderd");
  const userLabels = checkLabels("labels", args.labels);
  for (const key of Object.keys(userLabels)) {
    if (key.startsWith("pod-security.kubernetes.io/"))
      fail(`labels: "${key}": coderd's namespace is always restricted`);
    if (key in managedByLabels) fail(`labels: "${key}" is set by hardened-coder so audits can find its objects`);
  }
  const labels = { ...userLabels, ...managedByLabels, "app.kubernetes.io/component": "coderd" };
  const namespaceLabels = {
    ...labels,
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/enforce-version": "latest",
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/audit-version": "latest",
    "pod-security.kubernetes.io/warn": "restricted",
    "pod-security.kubernetes.io/warn-version": "latest",
  };

  const version = args.chartVersion ?? CODER_CHART_VERSION;
  if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(version)) {
    fail(`chartVersion: "${version}" is not an exact chart version; pin one, e.g. ${CODER_CHART_VERSION}`);
  }
  const repository = args.chartRepository ?? CODER_CHART_REPOSITORY;
  if (!/^(https|oci):\/\/\S+$/.test(repository)) {
    fail(`chartRepository: "${repository}" must be an https:// repository or oci:// registry path`);
  }

  const saName = args.serviceAccountName ?? "coder";
  if (!isDnsSubdomain(saName) || saName === "default") {
    fail(`serviceAccountName: "${saName}" must be a valid name other than "default"; coderd needs its own account`);
  }

  const pullSecrets = [...(args.image?.pullSecrets ?? [])];
  for (const s of pullSecrets) if (!isDnsSubdomain(s)) fail(`image.pullSecrets: "${s}" is not a valid Secret name`);
  if (args.image?.repository !== undefined)
    requireString("image.repository", args.image.repository, "an image repository");
  if (args.image?.tag !== undefined) requireString("image.tag", args.image.tag, "an image tag or digest");

  const replicas = args.replicas ?? 1;
  if (!Number.isInteger(replicas) || replicas < 1) fail(`replicas: ${replicas} must be a whole number, at least 1`);

  const resources = {
    requests: { ...defaultResources.requests, ...(args.resources?.requests ?? {}) },
    limits: { ...defaultResources.limits, ...(args.resources?.limits ?? {}) },
  };
  for (const [kind, list] of Object.entries(resources)) {
    for (const [k, v] of Object.entries(list)) {
      if (typeof v !== "string" || !quantity.test(v)) fail(`resources.${kind}.${k}: "${String(v)}" is not a quantity`);
    }
  }

  const accessUrl = requireHttpsUrl("accessUrl", args.accessUrl, { originOnly: true });
  let wildcardAccessUrl: string | undefined;
  if (args.wildcardAccessUrl !== undefined) {
    wildcardAccessUrl = requireString("wildcardAccessUrl", args.wildcardAccessUrl, "a host like *.coder.example.com");
    if (!/^\*[a-z0-9-]*\.[a-z0-9.-]+$/i.test(wildcardAccessUrl)) {
      fail(`wildcardAccessUrl: "${wildcardAccessUrl}" must be a host like *.coder.example.com (no scheme)`);
    }
  }

  if (!isPlainObject(args.tls)) {
    fail(
      `tls: required: { certificate, privateKey } (the key a Pulumi secret) or { secretName } of a kubernetes.io/tls Secret`,
    );
  }
  let tlsSecretName: string;
  let createTls: boolean;
  if ("certificate" in args.tls) {
    checkCertificate(args.tls.certificate);
    requireString("tls.privateKey", args.tls.privateKey, "the PEM private key (a Pulumi secret)");
    tlsSecretName = "coder-tls";
    createTls = true;
  } else {
    tlsSecretName = requireString(
      "tls.secretName",
      args.tls.secretName,
      "a kubernetes.io/tls Secret in coderd's namespace",
    );
    if (!isDnsSubdomain(tlsSecretName)) fail(`tls.secretName: "${tlsSecretName}" is not a valid Secret name`);
    createTls = false;
  }
  const minVersion = args.tlsMinVersion ?? "tls12";
  if (minVersion !== "tls12" && minVersion !== "tls13") {
    fail(`tlsMinVersion: "${String(minVersion)}" allows deprecated TLS; use tls12 or tls13`);
  }

  const database = resolveDatabase(args.database);

  if (!isPlainObject(args.oidc)) {
    fail(`oidc: required: { issuerUrl, clientId, clientSecret, emailDomains }; coderd logs users in through your IdP`);
  }
  if (args.oidc.issuerUrl === undefined || args.oidc.issuerUrl === "") {
    fail(`oidc.issuerUrl: required: your IdP's https issuer URL, e.g. https://idp.example.com`);
  }
  const issuerUrl = requireHttpsUrl("oidc.issuerUrl", args.oidc.issuerUrl);
  const clientId = requireString("oidc.clientId", args.oidc.clientId, "the OIDC client id");
  requireString("oidc.clientSecret", args.oidc.clientSecret, "the OIDC client secret (a Pulumi secret)");
  const emailDomains = (args.oidc.emailDomains ?? []).map((d, i) => {
    const domain = requireString(`oidc.emailDomains[${i}]`, d, "an email domain").toLowerCase();
    if (!/^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$/.test(domain)) {
      fail(`oidc.emailDomains[${i}]: "${d}" is not a domain; write it like example.com`);
    }
    return domain;
  });
  if (args.oidc.allowSignups === true && emailDomains.length === 0) {
    fail(
      `oidc.allowSignups: true without oidc.emailDomains lets anyone your IdP knows sign up; list the email domains`,
    );
  }
  const allowSignups = args.oidc.allowSignups ?? emailDomains.length > 0;
  const scopes = [...(args.oidc.scopes ?? ["openid", "profile", "email"])];
  if (!scopes.includes("openid")) fail(`oidc.scopes: ${JSON.stringify(scopes)} lacks "openid"; OIDC needs it`);
  for (const s of scopes)
    if (typeof s !== "string" || s === "" || /[\s,]/.test(s)) fail(`oidc.scopes: "${s}" is not a scope`);

  const externalAuth = resolveExternalAuth(args.externalAuth);

  const maxTokenLifetime = args.maxTokenLifetime ?? "720h";
  const seconds = goDurationSeconds("maxTokenLifetime", maxTokenLifetime);
  if (seconds <= 0 || seconds > 8760 * 3600) {
    fail(`maxTokenLifetime: "${maxTokenLifetime}" must be more than 0 and at most 8760h (one year)`);
  }
  const maxAdminTokenLifetime = seconds < 168 * 3600 ? maxTokenLifetime : "168h";

  let metrics: IngressPeer | undefined;
  if (args.metrics !== undefined) {
    metrics = {
      namespace: requireDnsLabel("metrics.namespace", args.metrics.namespace),
      ...(args.metrics.podSelector
        ? { podSelector: checkLabels("metrics.podSelector", args.metrics.podSelector) }
        : {}),
    };
  }

  const trustedCaSecrets: SecretRef[] = (args.trustedCaSecrets ?? []).map((s, i) => ({
    name: requireString(`trustedCaSecrets[${i}].name`, s.name, "a Secret in coderd's namespace"),
    key: requireString(`trustedCaSecrets[${i}].key`, s.key, "the key holding the PEM bundle"),
  }));

  const service = resolveExposure(args.exposure);

  const kubernetesApi = {
    cidrs: checkCidrs("kubernetesApi.cidrs", args.kubernetesApi?.cidrs ?? ["0.0.0.0/0"], { egress: true }),
    ports: checkPorts("kubernetesApi.ports", args.kubernetesApi?.ports ?? [443, 6443]),
  };
  const databaseNet = {
    cidrs: checkCidrs("databaseCidrs", args.databaseCidrs ?? privateIpv4Cidrs, { egress: true }),
    port: checkPorts("databasePort", [args.databasePort ?? 5432])[0]!,
  };
  const workspaceNamespaces = (args.workspaceNamespaces ?? []).map((n, i) =>
    requireDnsLabel(`workspaceNamespaces[${i}]`, n),
  );
  const ingressFrom: IngressPeer[] = (args.ingressFrom ?? []).map((p, i) => ({
    namespace: requireDnsLabel(`ingressFrom[${i}].namespace`, p.namespace),
    ...(p.podSelector ? { podSelector: checkLabels(`ingressFrom[${i}].podSelector`, p.podSelector) } : {}),
  }));
  const dns = {
    namespace: requireDnsLabel("dns.namespace", args.dns?.namespace ?? kubeDns.namespace),
    podSelector: checkLabels("dns.podSelector", args.dns?.podSelector ?? kubeDns.podSelector),
  };
  const extraEgress: EgressAllow[] = (args.extraEgress ?? []).map((e, i) => {
    const protocol = e.protocol ?? "TCP";
    if (protocol !== "TCP" && protocol !== "UDP")
      fail(`extraEgress[${i}].protocol: "${String(protocol)}" is not TCP or UDP`);
    return {
      cidrs: checkCidrs(`extraEgress[${i}].cidrs`, e.cidrs, { egress: true }),
      ports: checkPorts(`extraEgress[${i}].ports`, e.ports),
      protocol,
    };
  });

  const config: Omit<CoderControlPlaneConfig, "extraEnv"> = {
    namespace,
    namespaceLabels,
    labels,
    chart: { name: CODER_CHART_NAME, repository, version },
    releaseName: CODER_RELEASE_NAME,
    podSelector: { "app.kubernetes.io/name": CODER_CHART_NAME, "app.kubernetes.io/instance": CODER_RELEASE_NAME },
    serviceAccount: {
      name: saName,
      annotations: checkAnnotations("serviceAccountAnnotations", args.serviceAccountAnnotations),
    },
    image: {
      ...(args.image?.repository !== undefined ? { repository: args.image.repository } : {}),
      ...(args.image?.tag !== undefined ? { tag: args.image.tag } : {}),
      pullSecrets,
    },
    replicas,
    resources,
    scratch: { tmpSizeLimit: "1Gi", homeSizeLimit: "4Gi" },
    accessUrl,
    ...(wildcardAccessUrl !== undefined ? { wildcardAccessUrl } : {}),
    tls: { secretName: tlsSecretName, create: createTls, minVersion },
    database,
    oidc: {
      issuerUrl,
      clientId,
      clientSecret: { name: "coder-oidc", key: "client-secret" },
      emailDomains,
      allowSignups,
      scopes,
    },
    externalAuth,
    externalAuthSecretName: "coder-external-auth",
    auth: {
      passwordAuth: args.allowPasswordAuth ?? false,
      ownerWorkspaceAccess: args.allowOwnerWorkspaceAccess ?? false,
      pathApps: args.allowPathApps ?? false,
      hostPrefixCookie: args.hostPrefixCookie ?? true,
      maxTokenLifetime,
      maxAdminTokenLifetime,
    },
    telemetry: args.telemetry ?? false,
    ...(metrics ? { metrics } : {}),
    trustedCaSecrets,
    service: { ...service, annotations: checkAnnotations("exposure.annotations", service.annotations) },
    extraInitContainers: resolveExtraInitContainers(args.extraInitContainers),
    network: {
      kubernetesApi,
      database: databaseNet,
      workspaceNamespaces,
      ingressFrom,
      dns,
      extraEgress,
      gkeMetadataServer: args.gkeMetadataServer ?? false,
    },
  };
  const managed = new Set(coderdEnv({ ...config, extraEnv: [] }).map((e) => e.name));
  const extraEnv = resolveExtraEnv(args.extraEnv, managed);
  return { ...config, extraEnv };
}

function checkAnnotations(
  field: string,
  annotations: Readonly<Record<string, string>> | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(annotations ?? {})) {
    if (typeof v !== "string") fail(`${field}: value of "${k}" must be a string`);
    out[k] = v;
  }
  return out;
}

/** A PEM certificate (chain); the first block must be a certificate, not a key. */
export function checkCertificate(pem: unknown): string {
  const text = requireString("tls.certificate", pem, "the PEM certificate (chain) for the access URL");
  if (!text.startsWith("-----BEGIN CERTIFICATE-----")) {
    fail(`tls.certificate: not a PEM certificate; it must start with -----BEGIN CERTIFICATE-----`);
  }
  return pem as string;
}

/** The coder/coder chart values for `args` (plain values, secrets never read): pure. */
export function coderValues(args: CoderControlPlanePlainArgs): CoderChartValues {
  return chartValues(resolveCoderControlPlaneArgs(args));
}

// ---------------------------------------------------------------------------------------------
// 3. CoderControlPlane
// ---------------------------------------------------------------------------------------------

/** A plain value, or `standIn` when the input is only known later (it is checked again in apply). */
function plainOr<T>(value: pulumi.Input<T>, standIn: T): T {
  return pulumi.Output.isInstance(value) || value instanceof Promise ? standIn : value;
}

/** Stand-in for secrets: values never read them, so the chart values stay secret-free. */
const BY_REFERENCE = "secret-by-reference";
const PENDING_URL = "https://pending.invalid";
const PENDING_CERT = "-----BEGIN CERTIFICATE-----";

/**
 * Runs `resolveCoderControlPlaneArgs` on args that may hold Outputs (values not yet known are
 * stood in for), so a component that composes `CoderControlPlane` can refuse bad input before it
 * registers anything. The values that arrive as Outputs are checked again inside `apply`.
 */
export function checkCoderControlPlaneArgs(args: CoderControlPlaneArgs): CoderControlPlaneConfig {
  return resolveCoderControlPlaneArgs(standInArgs(args));
}

/** The args with every Input that is not yet known (and every secret) replaced by a stand-in. */
function standInArgs(args: CoderControlPlaneArgs): CoderControlPlanePlainArgs {
  const db = args.database as CoderDatabaseArgs | undefined;
  let database: CoderControlPlanePlainArgs["database"];
  if (db && "connectionUrl" in db) {
    database = {
      ...db,
      connectionUrl: plainOr(db.connectionUrl, "postgres://pending@127.0.0.1/pending?sslmode=verify-full"),
    };
  } else if (db && "host" in db) {
    database = {
      ...db,
      host: plainOr(db.host, "pending.invalid"),
      port: db.port === undefined ? undefined : plainOr(db.port, 5432),
      user: plainOr(db.user, "pending"),
      database: plainOr(db.database, "pending"),
    };
  } else {
    database = db as CoderControlPlanePlainArgs["database"];
  }
  const tls = args.tls as CoderTlsArgs | undefined;
  return {
    ...args,
    // Checked here when plain; an Output is checked when the chart values are computed.
    extraInitContainers: args.extraInitContainers === undefined ? undefined : plainOr(args.extraInitContainers, []),
    serviceAccountAnnotations:
      args.serviceAccountAnnotations === undefined ? undefined : plainOr(args.serviceAccountAnnotations, {}),
    accessUrl: plainOr(args.accessUrl, PENDING_URL),
    tls:
      tls && "certificate" in tls
        ? { certificate: plainOr(tls.certificate, PENDING_CERT), privateKey: plainOr(tls.privateKey, BY_REFERENCE) }
        : (tls as CoderControlPlanePlainArgs["tls"]),
    database,
    oidc: args.oidc && {
      ...args.oidc,
      issuerUrl: plainOr(args.oidc.issuerUrl, PENDING_URL),
      clientId: plainOr(args.oidc.clientId, "pending"),
      clientSecret: plainOr(args.oidc.clientSecret, BY_REFERENCE),
    },
    externalAuth: args.externalAuth?.map((e) => ({
      ...e,
      clientId: plainOr(e.clientId, "pending"),
      clientSecret: plainOr(e.clientSecret, BY_REFERENCE),
    })),
  };
}

/** The args as `coderValues` sees them inside apply: known non-secret inputs, secrets by reference. */
function valuesArgs(
  args: CoderControlPlaneArgs,
  known: {
    accessUrl: string;
    issuerUrl: string;
    clientId: string;
    externalAuthClientIds: string[];
    extraInitContainers: readonly CoderExtraContainer[];
    serviceAccountAnnotations: Readonly<Record<string, string>>;
  },
): CoderControlPlanePlainArgs {
  const base = {
    ...standInArgs(args),
    extraInitContainers: known.extraInitContainers,
    serviceAccountAnnotations: known.serviceAccountAnnotations,
  };
  const tls = base.tls as { certificate?: string } | undefined;
  return {
    ...base,
    accessUrl: known.accessUrl,
    // The certificate was checked where it is used (the TLS Secret).
    tls: tls && "certificate" in tls ? { certificate: PENDING_CERT, privateKey: BY_REFERENCE } : base.tls,
    database:
      base.database && "connectionUrl" in base.database
        ? { ...base.database, connectionUrl: "postgres://by-reference@127.0.0.1/by-reference?sslmode=verify-full" }
        : base.database,
    oidc: { ...base.oidc, issuerUrl: known.issuerUrl, clientId: known.clientId, clientSecret: BY_REFERENCE },
    externalAuth: base.externalAuth?.map((e, i) => ({
      ...e,
      clientId: known.externalAuthClientIds[i]!,
      clientSecret: BY_REFERENCE,
    })),
  };
}

/**
 * coderd, hardened, from the official chart. Fits `CoderdRef`: pass it as `coderd` to
 * `CoderNamespace` (binds its ServiceAccount) and `WorkspaceNetworkPolicy` (lets agents reach it).
 * Children are named `<name>-coderd-<role>`.
 */
export class CoderControlPlane extends pulumi.ComponentResource implements CoderdRef {
  /** coderd's namespace. */
  public readonly namespaceName: pulumi.Output<string>;
  /** coderd's ServiceAccount (in `namespaceName`), created by the chart with no Role of its own. */
  public readonly serviceAccountName: pulumi.Output<string>;
  /** The https access URL, normalised to its origin. */
  public readonly accessUrl: pulumi.Output<string>;
  /** The coder/coder chart (Helm v4 Chart: rendered client-side, every object a Pulumi resource). */
  public readonly chart: k8s.helm.v4.Chart;
  /** The chart values: names and references only, never a secret. */
  public readonly values: pulumi.Output<CoderChartValues>;
  /** Labels selecting coderd's pods in `namespaceName`. */
  public readonly podSelector: pulumi.Output<Record<string, string>>;
  /** coderd's Service (https on 443). */
  public readonly serviceName: pulumi.Output<string>;
  public readonly namespace: k8s.core.v1.Namespace;
  public readonly service: k8s.core.v1.Service;
  /** The Secret holding the PostgreSQL URL, unless `database.secretName` names one of yours. */
  public readonly databaseSecret?: k8s.core.v1.Secret;
  public readonly oidcSecret: k8s.core.v1.Secret;
  /** One key per provider: `<id>-client-secret`. */
  public readonly externalAuthSecret?: k8s.core.v1.Secret;
  /** The `kubernetes.io/tls` Secret, unless `tls.secretName` names one of yours. */
  public readonly tlsSecret?: k8s.core.v1.Secret;
  /** Default-deny, ingress and egress policies in coderd's namespace. */
  public readonly networkPolicies: k8s.networking.v1.NetworkPolicy[];

  constructor(name: string, args: CoderControlPlaneArgs, opts?: pulumi.ComponentResourceOptions) {
    // Resolve before registering anything, so a refused input leaves no half-built component.
    const config = resolveCoderControlPlaneArgs(standInArgs(args));

    super("hardened-coder:kubernetes:CoderControlPlane", name, {}, opts);
    const parent = { parent: this };

    this.namespace = new k8s.core.v1.Namespace(
      `${name}-coderd-namespace`,
      { metadata: { name: config.namespace, labels: config.namespaceLabels } },
      parent,
    );
    const ns = this.namespace.metadata.name;
    const meta = (objectName: string) => ({ name: objectName, namespace: ns, labels: config.labels });
    const secrets: k8s.core.v1.Secret[] = [];

    if (config.database.create) {
      const db = args.database;
      const url: pulumi.Output<string> =
        "connectionUrl" in db
          ? pulumi.output(db.connectionUrl).apply((u) => checkDatabaseUrl(u, config.database.auth))
          : "host" in db
            ? pulumi
                .all([db.host, db.port ?? 5432, db.user, db.database])
                .apply(([host, port, user, database]) =>
                  checkDatabaseUrl(awsIamRdsUrl({ host, port, user, database, sslmode: db.sslmode }), "awsiamrds"),
                )
            : fail("database: nothing to build a Secret from");
      this.databaseSecret = new k8s.core.v1.Secret(
        `${name}-coderd-database`,
        {
          metadata: meta(config.database.connectionUrl.name),
          type: "Opaque",
          stringData: { [config.database.connectionUrl.key]: pulumi.secret(url) },
        },
        parent,
      );
      secrets.push(this.databaseSecret);
    }

    this.oidcSecret = new k8s.core.v1.Secret(
      `${name}-coderd-oidc`,
      {
        metadata: meta(config.oidc.clientSecret.name),
        type: "Opaque",
        stringData: {
          [config.oidc.clientSecret.key]: pulumi
            .secret(args.oidc.clientSecret)
            .apply((s) => requireString("oidc.clientSecret", s, "the OIDC client secret")),
        },
      },
      parent,
    );
    secrets.push(this.oidcSecret);

    if (config.externalAuth.length > 0) {
      const stringData: Record<string, pulumi.Output<string>> = {};
      config.externalAuth.forEach((p, i) => {
        stringData[p.clientSecret.key] = pulumi
          .secret(args.externalAuth![i]!.clientSecret)
          .apply((s) => requireString(`externalAuth[${i}].clientSecret`, s, "the OAuth app's client secret"));
      });
      this.externalAuthSecret = new k8s.core.v1.Secret(
        `${name}-coderd-external-auth`,
        { metadata: meta(config.externalAuthSecretName), type: "Opaque", stringData },
        parent,
      );
      secrets.push(this.externalAuthSecret);
    }

    if (config.tls.create) {
      const tls = args.tls as { certificate: pulumi.Input<string>; privateKey: pulumi.Input<string> };
      this.tlsSecret = new k8s.core.v1.Secret(
        `${name}-coderd-tls`,
        {
          metadata: meta(config.tls.secretName),
          type: "kubernetes.io/tls",
          stringData: {
            "tls.crt": pulumi.output(tls.certificate).apply(checkCertificate),
            "tls.key": pulumi.secret(tls.privateKey),
          },
        },
        parent,
      );
      secrets.push(this.tlsSecret);
    }

    this.networkPolicies = coderdNetworkPolicies(config).map(
      (p) => new k8s.networking.v1.NetworkPolicy(`${name}-${p.name}`, { metadata: meta(p.name), spec: p.spec }, parent),
    );

    // Values depend only on non-secret inputs: secrets reach coderd through the Secrets above.
    const extIds = (args.externalAuth ?? []).map((e) => e.clientId);
    this.values = pulumi
      .all([
        args.accessUrl,
        args.oidc.issuerUrl,
        args.oidc.clientId,
        pulumi.all(extIds),
        pulumi.output(args.extraInitContainers ?? []),
        pulumi.output(args.serviceAccountAnnotations ?? {}),
      ])
      .apply(
        ([accessUrl, issuerUrl, clientId, externalAuthClientIds, extraInitContainers, serviceAccountAnnotations]) =>
          coderValues(
            valuesArgs(args, {
              accessUrl,
              issuerUrl,
              clientId,
              externalAuthClientIds,
              extraInitContainers,
              serviceAccountAnnotations,
            }),
          ),
      );

    this.chart = new k8s.helm.v4.Chart(
      `${name}-coderd`,
      {
        chart: config.chart.repository.startsWith("oci://")
          ? `${config.chart.repository.replace(/\/+$/, "")}/${config.chart.name}`
          : config.chart.name,
        version: config.chart.version,
        ...(config.chart.repository.startsWith("oci://") ? {} : { repositoryOpts: { repo: config.chart.repository } }),
        name: config.releaseName,
        namespace: ns,
        values: this.values,
      },
      { parent: this, dependsOn: [this.namespace, ...secrets, ...this.networkPolicies] },
    );

    // Created once the chart's Deployment is ready: Pulumi waits for a Service's endpoints to target a
    // ready pod (10 minutes by default), and coderd may start long after its namespace exists (a new
    // database and its bootstrap first), which would fail the first `pulumi up`.
    const serviceSpec = coderdService(config);
    this.service = new k8s.core.v1.Service(
      `${name}-coderd-service`,
      { metadata: { ...serviceSpec.metadata, namespace: ns }, spec: serviceSpec.spec },
      { parent: this, dependsOn: [this.chart] },
    );

    this.namespaceName = ns;
    this.serviceAccountName = ns.apply(() => config.serviceAccount.name);
    this.accessUrl = pulumi.output(args.accessUrl).apply((u) => requireHttpsUrl("accessUrl", u, { originOnly: true }));
    this.podSelector = pulumi.output({ ...config.podSelector });
    this.serviceName = this.service.metadata.name;

    this.registerOutputs({
      namespaceName: this.namespaceName,
      serviceAccountName: this.serviceAccountName,
      accessUrl: this.accessUrl,
      values: this.values,
      podSelector: this.podSelector,
      serviceName: this.serviceName,
    });
  }
}
