/**
 * Cloud SQL for coderd, the pure parts: the instance's audit flags, the Cloud SQL Auth Proxy sidecar,
 * the password-less connection URL, and the one-time bootstrap Job that grants coderd's IAM
 * database user its database. No Pulumi resources here, so tests check every value directly.
 */
import type * as k8s from "@pulumi/kubernetes";
import { type CoderExtraContainer, dnsEgressRule, managedByLabels } from "@hardened-coder/kubernetes";

/** The Cloud SQL Auth Proxy (v2), pinned. */
export const CLOUD_SQL_PROXY_IMAGE = "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.18.2";
/** psql for the bootstrap Job, pinned to the instance's major version. */
export const POSTGRES_CLIENT_IMAGE = "docker.io/library/postgres:17.6-alpine";

/** The port the proxy reaches the instance on (Cloud SQL's server-side proxy), over TLS 1.3 with mTLS. */
export const CLOUD_SQL_SERVER_PORT = 3307;
/** Where the proxy listens inside the pod (127.0.0.1 only). */
export const PROXY_LOCAL_PORT = 5432;
/** The proxy's health endpoints (`/startup`, `/liveness`, `/readiness`), for the kubelet's probes. */
export const PROXY_HEALTH_PORT = 9090;

/** The bootstrap Job's `activeDeadlineSeconds`: retries for IAM and Workload Identity propagation fit in it. */
export const BOOTSTRAP_DEADLINE_SECONDS = 900;

/** The distroless "nonroot" user the proxy image is built for. */
const PROXY_UID = 65532;

/**
 * PostgreSQL flags on the instance: IAM database authentication (Cloud SQL refuses to create a
 * CLOUD_IAM_SERVICE_ACCOUNT user, and the proxy's `--auto-iam-authn` login, without it), connection,
 * lock, checkpoint and DDL logging, pgAudit, and the statistics loggers explicitly off (CIS / Checkov
 * CKV_GCP database rules).
 */
export const cloudSqlDatabaseFlags: readonly { readonly name: string; readonly value: string }[] = [
  { name: "cloudsql.iam_authentication", value: "on" },
  { name: "cloudsql.enable_pgaudit", value: "on" },
  { name: "log_checkpoints", value: "on" },
  { name: "log_connections", value: "on" },
  { name: "log_disconnections", value: "on" },
  { name: "log_lock_waits", value: "on" },
  { name: "log_hostname", value: "on" },
  { name: "log_duration", value: "on" },
  { name: "log_min_error_statement", value: "error" },
  { name: "log_min_messages", value: "warning" },
  { name: "log_statement", value: "ddl" },
  { name: "log_min_duration_statement", value: "-1" },
  { name: "log_parser_stats", value: "off" },
  { name: "log_planner_stats", value: "off" },
  { name: "log_executor_stats", value: "off" },
  { name: "log_statement_stats", value: "off" },
];

/** Every container here meets Pod Security `restricted`. */
function restrictedSecurityContext(uid: number): CoderExtraContainer["securityContext"] {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

export interface CloudSqlProxySidecarArgs {
  /** `PROJECT:REGION:INSTANCE`. */
  readonly connectionName: string;
  /** @default CLOUD_SQL_PROXY_IMAGE */
  readonly image?: string;
}

/**
 * The Cloud SQL Auth Proxy as a native sidecar (`restartPolicy: Always` in initContainers: it is up
 * before the main container starts and stops after it). It dials the instance's private IP only,
 * logs in with the pod's Workload Identity (IAM database authentication, no password), and listens
 * on 127.0.0.1 so nothing outside the pod can use it.
 */
export function cloudSqlProxySidecar(args: CloudSqlProxySidecarArgs): CoderExtraContainer {
  if (!/^[a-z][-a-z0-9.:]*:[a-z]+-[a-z]+\d+:[a-z][-a-z0-9]*$/.test(args.connectionName)) {
    throw new Error(
      `connectionName: "${args.connectionName}" is not a Cloud SQL instance connection name (PROJECT:REGION:INSTANCE)`,
    );
  }
  return {
    name: "cloud-sql-proxy",
    image: args.image ?? CLOUD_SQL_PROXY_IMAGE,
    restartPolicy: "Always",
    args: [
      "--private-ip",
      "--auto-iam-authn",
      "--structured-logs",
      "--address=127.0.0.1",
      `--port=${PROXY_LOCAL_PORT}`,
      "--health-check",
      // The kubelet probes the pod IP; NetworkPolicy admits no one else to this port.
      "--http-address=0.0.0.0",
      `--http-port=${PROXY_HEALTH_PORT}`,
      "--exit-zero-on-sigterm",
      args.connectionName,
    ],
    resources: {
      requests: { cpu: "100m", memory: "128Mi", "ephemeral-storage": "64Mi" },
      limits: { cpu: "500m", memory: "256Mi", "ephemeral-storage": "128Mi" },
    },
    securityContext: restrictedSecurityContext(PROXY_UID),
    startupProbe: {
      httpGet: { path: "/startup", port: PROXY_HEALTH_PORT },
      periodSeconds: 1,
      timeoutSeconds: 5,
      failureThreshold: 60,
    },
    livenessProbe: {
      httpGet: { path: "/liveness", port: PROXY_HEALTH_PORT },
      periodSeconds: 10,
      timeoutSeconds: 5,
      failureThreshold: 3,
    },
  };
}

/**
 * coderd's connection URL through the proxy: the IAM database user, no password (the proxy logs in
 * with an IAM token), 127.0.0.1 (the proxy encrypts the hop to the instance, so no TLS on loopback).
 */
export function iamProxyConnectionUrl(user: string, database: string): string {
  if (!user)
    throw new Error("user: empty; pass the IAM database user (the service account email without .gserviceaccount.com)");
  if (!database) throw new Error("database: empty; pass the database name");
  return (
    `postgres://${encodeURIComponent(user)}@127.0.0.1:${PROXY_LOCAL_PORT}/${encodeURIComponent(database)}` +
    `?sslmode=disable`
  );
}

/** A PostgreSQL identifier, double-quoted. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * What the bootstrap runs, in order, each idempotent: coderd's user gets the database and the
 * `public` schema (PostgreSQL 15+ no longer lets everyone create there), then pgAudit is created
 * and set to log DDL and role changes in that database.
 */
export function bootstrapStatements(args: { readonly database: string; readonly coderdUser: string }): string[] {
  const db = quoteIdent(args.database);
  const user = quoteIdent(args.coderdUser);
  return [
    `GRANT ALL PRIVILEGES ON DATABASE ${db} TO ${user}`,
    `GRANT ALL ON SCHEMA public TO ${user}`,
    "CREATE EXTENSION IF NOT EXISTS pgaudit",
    `ALTER DATABASE ${db} SET pgaudit.log = 'ddl, role'`,
  ];
}

/** The same container in the Kubernetes SDK's (mutable) input type. */
export function asKubernetesContainer(c: CoderExtraContainer): k8s.types.input.core.v1.Container {
  const { command, args, env, ports, volumeMounts, securityContext, ...rest } = c;
  return {
    ...rest,
    ...(command ? { command: [...command] } : {}),
    ...(args ? { args: [...args] } : {}),
    ...(env ? { env: env.map((e) => ({ ...e })) } : {}),
    ...(ports ? { ports: ports.map((p) => ({ ...p })) } : {}),
    ...(volumeMounts ? { volumeMounts: volumeMounts.map((m) => ({ ...m })) } : {}),
    securityContext: { ...securityContext, capabilities: { drop: [...securityContext.capabilities.drop] } },
  };
}

export interface BootstrapJobArgs {
  readonly namespace: string;
  readonly name: string;
  readonly serviceAccountName: string;
  readonly connectionName: string;
  /** The bootstrap's own IAM database user (a cloudsqlsuperuser member). */
  readonly bootstrapUser: string;
  readonly coderdUser: string;
  readonly database: string;
  readonly proxyImage?: string;
  readonly clientImage?: string;
}

/** The Job's metadata and spec (plain data for `k8s.batch.v1.Job`). */
export function bootstrapJob(args: BootstrapJobArgs): {
  metadata: k8s.types.input.meta.v1.ObjectMeta;
  spec: k8s.types.input.batch.v1.JobSpec;
} {
  const labels = { ...managedByLabels, "app.kubernetes.io/name": "coder-db-init" };
  const statements = bootstrapStatements({ database: args.database, coderdUser: args.coderdUser });
  return {
    metadata: { name: args.name, namespace: args.namespace, labels },
    spec: {
      // Bounded: retries with the Job's exponential back-off cover IAM and Workload Identity
      // propagation (minutes at worst), then it fails loudly.
      backoffLimit: 6,
      activeDeadlineSeconds: BOOTSTRAP_DEADLINE_SECONDS,
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: args.serviceAccountName,
          // Workload Identity needs no Kubernetes token in the pod.
          automountServiceAccountToken: false,
          restartPolicy: "Never",
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 70,
            runAsGroup: 70,
            fsGroup: 70,
            seccompProfile: { type: "RuntimeDefault" },
          },
          initContainers: [
            asKubernetesContainer(
              cloudSqlProxySidecar({
                connectionName: args.connectionName,
                ...(args.proxyImage ? { image: args.proxyImage } : {}),
              }),
            ),
          ],
          containers: [
            {
              name: "grant",
              image: args.clientImage ?? POSTGRES_CLIENT_IMAGE,
              command: ["psql"],
              args: ["-v", "ON_ERROR_STOP=1", "-X", ...statements.flatMap((s) => ["-c", s])],
              env: [
                { name: "PGHOST", value: "127.0.0.1" },
                { name: "PGPORT", value: String(PROXY_LOCAL_PORT) },
                { name: "PGUSER", value: args.bootstrapUser },
                { name: "PGDATABASE", value: args.database },
                { name: "PGSSLMODE", value: "disable" },
                { name: "PGCONNECT_TIMEOUT", value: "10" },
                { name: "HOME", value: "/tmp" },
              ],
              resources: {
                requests: { cpu: "50m", memory: "64Mi", "ephemeral-storage": "16Mi" },
                limits: { cpu: "250m", memory: "128Mi", "ephemeral-storage": "64Mi" },
              },
              securityContext: {
                ...restrictedSecurityContext(70),
                capabilities: { drop: ["ALL"] },
              },
              volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
            },
          ],
          volumes: [{ name: "tmp", emptyDir: { sizeLimit: "16Mi" } }],
        },
      },
    },
  };
}

/** NetworkPolicy spec, as this module emits it. */
export interface PolicySpec {
  readonly name: string;
  readonly spec: k8s.types.input.networking.v1.NetworkPolicySpec;
}

/**
 * The bootstrap namespace's NetworkPolicies: deny everything, then egress to DNS, the GKE metadata
 * server (its Workload Identity token, port 80 only), the instance's private range on 3307 and
 * Google APIs on 443 (the proxy's Cloud SQL Admin API calls).
 */
export function bootstrapNetworkPolicies(args: { readonly privateServicesCidr: string }): PolicySpec[] {
  return [
    { name: "db-init-default-deny", spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } },
    {
      name: "db-init-egress",
      spec: {
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [
          dnsEgressRule(),
          { to: [{ ipBlock: { cidr: "169.254.169.254/32" } }], ports: [{ protocol: "TCP", port: 80 }] },
          {
            to: [{ ipBlock: { cidr: args.privateServicesCidr } }],
            ports: [{ protocol: "TCP", port: CLOUD_SQL_SERVER_PORT }],
          },
          {
            to: [
              {
                ipBlock: {
                  cidr: "0.0.0.0/0",
                  except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10"],
                },
              },
            ],
            ports: [{ protocol: "TCP", port: 443 }],
          },
        ],
      },
    },
  ];
}
