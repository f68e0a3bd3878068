import * as pulumi from "@pulumi/pulumi";
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import {
  type CoderExtraContainer,
  cidrContains,
  formatCidr,
  managedByLabels,
  parseCidr,
  requireDnsLabel,
} from "@hardened-coder/kubernetes";
import {
  BOOTSTRAP_DEADLINE_SECONDS,
  bootstrapJob,
  bootstrapNetworkPolicies,
  CLOUD_SQL_PROXY_IMAGE,
  CLOUD_SQL_SERVER_PORT,
  cloudSqlDatabaseFlags,
  cloudSqlProxySidecar,
  iamProxyConnectionUrl,
  POSTGRES_CLIENT_IMAGE,
} from "./cloud-sql";
import {
  cloudSqlClientRoles,
  iamDatabaseUserName,
  kmsEncrypterDecrypterRole,
  serviceAccountId,
  serviceAccountMember,
} from "./iam";
import { checkKmsKeyId, checkKmsKeyLocation } from "./EncryptedStorageClass";
import { defaultPrivateServicesCidr } from "./network-plan";

/** How long `pulumi up` waits for the bootstrap Job: 5 minutes beyond its own deadline. */
export const bootstrapJobTimeout = `${BOOTSTRAP_DEADLINE_SECONDS / 60 + 5}m`;

export type CloudSqlPostgresVersion = "POSTGRES_17" | "POSTGRES_18";

/**
 * Cloud SQL PostgreSQL for coderd: private IP only (private services access on the cluster's VPC),
 * trusted client certificates required, CMEK, regional, backups with point-in-time recovery,
 * deletion protection, audit flags; coderd logs in as an IAM database user through the Cloud SQL
 * Auth Proxy with its Workload Identity (no password anywhere), and a one-time Job grants that user
 * the database.
 */
export interface CoderDatabaseArgs {
  /** The VPC (id or self link) the instance gets its private address in: the cluster's network. */
  readonly network: pulumi.Input<string>;
  /** Region of the instance: the cluster's, and the key's location. */
  readonly region: pulumi.Input<string>;
  /** @default the Google provider's project */
  readonly project?: pulumi.Input<string>;
  /**
   * Cloud KMS key that encrypts the instance's disks and backups (storage-encryption), in `region`:
   * Cloud SQL takes no other. A plain key id in another location is refused.
   */
  readonly kmsKeyId: pulumi.Input<string>;
  /**
   * Private services access range reserved on `network` for Cloud SQL: RFC 1918, /24 to /8, not
   * overlapping the cluster's ranges. A public range is refused.
   * @default "10.240.0.0/20"
   */
  readonly privateServicesCidr?: string;
  /**
   * Reserve the range and create the private services access connection on `network`. Turn off when
   * the network already has one (there is one per network and service); `privateServicesCidr` must
   * then be the range it uses.
   * @default true
   */
  readonly createPrivateServicesAccess?: boolean;
  /** @default "POSTGRES_17" */
  readonly databaseVersion?: CloudSqlPostgresVersion;
  /**
   * Machine tier. Costs money as it grows; `db-custom-CPUS-MEMORY_MB` (Enterprise edition) or
   * `db-perf-optimized-N-*` (Enterprise Plus).
   * @default "db-custom-2-7680"
   */
  readonly tier?: string;
  /**
   * `REGIONAL` keeps a standby in another zone with synchronous replication; `ZONAL` halves the
   * cost and loses the database while its zone is down.
   * @default "REGIONAL"
   */
  readonly availability?: "REGIONAL" | "ZONAL";
  /** Initial SSD size in GB; it grows automatically. @default 20 */
  readonly diskSizeGb?: number;
  /** Daily backups kept, 7 to 365. @default 14 */
  readonly backupRetentionDays?: number;
  /** Days of write-ahead log kept for point-in-time recovery, 1 to 7. @default 7 */
  readonly pointInTimeRecoveryDays?: number;
  /** @default "coder" */
  readonly databaseName?: string;
  /**
   * Both the provider's `deletionProtection` and Cloud SQL's `deletionProtectionEnabled`. Turn off
   * only to delete the database with the stack.
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * coderd's Kubernetes ServiceAccount, which Workload Identity maps to coderd's Google service account.
   * @default { namespace: "coderd", serviceAccountName: "coder" }
   */
  readonly coderd?: { readonly namespace?: string; readonly serviceAccountName?: string };
  /**
   * The cluster's Workload Identity pool (`PROJECT.svc.id.goog`). Pass the cluster's output so the
   * bindings wait for the cluster (the pool exists only once a cluster uses it).
   * @default `${project}.svc.id.goog`
   */
  readonly workloadPool?: pulumi.Input<string>;
  /**
   * Stem of the Google service account ids: `STEM-coderd` and `STEM-db-init`.
   * @default the component's resource name
   */
  readonly serviceAccountPrefix?: string;
  /**
   * The one-time grant of the database to coderd's IAM user: a Job in its own `restricted` namespace
   * with its own identity (an IAM database user in `cloudsqlsuperuser`). Needs the Kubernetes
   * provider (`opts.provider`). `false` leaves the grant to you (see README).
   * @default { namespace: "coder-db-init" }
   */
  readonly bootstrap?: false | { readonly namespace?: string; readonly clientImage?: string };
  /** The Cloud SQL Auth Proxy image (pin it). @default CLOUD_SQL_PROXY_IMAGE */
  readonly proxyImage?: string;
  /** Labels on the instance. @default {} */
  readonly labels?: Readonly<Record<string, string>>;
}

export interface CoderDatabaseConfig {
  readonly network: pulumi.Input<string>;
  readonly region: pulumi.Input<string>;
  readonly project?: pulumi.Input<string>;
  readonly kmsKeyId: pulumi.Input<string>;
  readonly privateServices: {
    readonly cidr: string;
    readonly base: string;
    readonly prefix: number;
    readonly create: boolean;
  };
  readonly databaseVersion: CloudSqlPostgresVersion;
  readonly tier: string;
  readonly edition: "ENTERPRISE" | "ENTERPRISE_PLUS";
  readonly availability: "REGIONAL" | "ZONAL";
  readonly diskSizeGb: number;
  readonly backupRetentionDays: number;
  readonly pointInTimeRecoveryDays: number;
  readonly databaseName: string;
  readonly deletionProtection: boolean;
  readonly coderd: { readonly namespace: string; readonly serviceAccountName: string };
  readonly workloadPool?: pulumi.Input<string>;
  readonly serviceAccountIds: { readonly coderd: string; readonly bootstrap: string };
  readonly bootstrap?: { readonly namespace: string; readonly clientImage: string };
  readonly proxyImage: string;
  readonly flags: readonly { readonly name: string; readonly value: string }[];
  readonly labels: Readonly<Record<string, string>>;
}

const rfc1918 = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] as const;

function wholeNumber(field: string, value: number, min: number, max: number, why: string): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${field}: ${value} is out of range; use a whole number from ${min} to ${max} (${why})`);
  }
  return value;
}

/** Fills defaults and refuses unsafe or inconsistent values, naming the field. Pure. */
export function resolveCoderDatabaseArgs(args: CoderDatabaseArgs, name: string): CoderDatabaseConfig {
  for (const field of ["network", "region", "kmsKeyId"] as const) {
    if (args[field] === undefined || args[field] === "") throw new Error(`${field}: required`);
  }
  if (typeof args.kmsKeyId === "string") {
    if (typeof args.region === "string") checkKmsKeyLocation("kmsKeyId", args.kmsKeyId, "region", args.region);
    else checkKmsKeyId("kmsKeyId", args.kmsKeyId);
  }
  const cidrValue = args.privateServicesCidr ?? defaultPrivateServicesCidr;
  const cidr = parseCidr(cidrValue, "privateServicesCidr");
  if (!rfc1918.some((p) => cidrContains(parseCidr(p), cidr))) {
    throw new Error(
      `privateServicesCidr: ${cidrValue} is not a private (RFC 1918) range; the database must get a private ` +
        `address only: use e.g. ${defaultPrivateServicesCidr}`,
    );
  }
  if (cidr.prefix > 24 || cidr.prefix < 8) {
    throw new Error(
      `privateServicesCidr: ${cidrValue} is a /${cidr.prefix}; private services access needs a /24 to /8`,
    );
  }
  const databaseVersion = args.databaseVersion ?? "POSTGRES_17";
  if (!/^POSTGRES_(\d+)$/.test(databaseVersion) || Number(databaseVersion.slice(9)) < 17) {
    throw new Error(`databaseVersion: "${databaseVersion}" is not allowed; use POSTGRES_17 or newer`);
  }
  const tier = args.tier ?? "db-custom-2-7680";
  if (!/^db-(custom-\d+-\d+|perf-optimized-N-\d+)$/.test(tier)) {
    throw new Error(
      `tier: "${tier}" is not a dedicated-core tier; use db-custom-CPUS-MEMORY_MB (e.g. db-custom-2-7680) or ` +
        `db-perf-optimized-N-2 (shared-core tiers have no SLA)`,
    );
  }
  const availability = args.availability ?? "REGIONAL";
  if (availability !== "REGIONAL" && availability !== "ZONAL") {
    throw new Error(`availability: "${String(availability)}" is not REGIONAL or ZONAL`);
  }
  const databaseName = args.databaseName ?? "coder";
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(databaseName)) {
    throw new Error(
      `databaseName: "${databaseName}" must be lower-case letters, digits and '_' (a letter or '_' first)`,
    );
  }
  const prefix = args.serviceAccountPrefix ?? name;
  const bootstrap =
    args.bootstrap === false
      ? undefined
      : {
          namespace: requireDnsLabel("bootstrap.namespace", args.bootstrap?.namespace ?? "coder-db-init"),
          clientImage: args.bootstrap?.clientImage ?? POSTGRES_CLIENT_IMAGE,
        };
  const coderd = {
    namespace: requireDnsLabel("coderd.namespace", args.coderd?.namespace ?? "coderd"),
    serviceAccountName: requireDnsLabel("coderd.serviceAccountName", args.coderd?.serviceAccountName ?? "coder"),
  };
  if (bootstrap && bootstrap.namespace === coderd.namespace) {
    throw new Error(
      `bootstrap.namespace: "${bootstrap.namespace}" is coderd's namespace; the bootstrap runs apart from coderd, ` +
        `with its own identity: choose another namespace`,
    );
  }
  for (const [k, v] of Object.entries(args.labels ?? {})) {
    if (!/^[a-z][a-z0-9_-]{0,62}$/.test(k) || !/^[a-z0-9_-]{0,63}$/.test(v)) {
      throw new Error(`labels.${k}: not a valid Google Cloud label; use lower-case letters, digits, '_' and '-'`);
    }
  }
  return {
    network: args.network,
    region: args.region,
    ...(args.project !== undefined ? { project: args.project } : {}),
    kmsKeyId: args.kmsKeyId,
    privateServices: {
      cidr: formatCidr(cidr),
      base: formatCidr(cidr).split("/")[0]!,
      prefix: cidr.prefix,
      create: args.createPrivateServicesAccess ?? true,
    },
    databaseVersion,
    tier,
    edition: tier.startsWith("db-perf-optimized") ? "ENTERPRISE_PLUS" : "ENTERPRISE",
    availability,
    diskSizeGb: wholeNumber("diskSizeGb", args.diskSizeGb ?? 20, 10, 65536, "GB; it grows automatically"),
    backupRetentionDays: wholeNumber(
      "backupRetentionDays",
      args.backupRetentionDays ?? 14,
      7,
      365,
      "daily backups kept; fewer than 7 cannot undo a bad week",
    ),
    pointInTimeRecoveryDays: wholeNumber(
      "pointInTimeRecoveryDays",
      args.pointInTimeRecoveryDays ?? 7,
      1,
      7,
      "days of write-ahead log",
    ),
    databaseName,
    deletionProtection: args.deletionProtection ?? true,
    coderd,
    ...(args.workloadPool !== undefined ? { workloadPool: args.workloadPool } : {}),
    serviceAccountIds: {
      coderd: serviceAccountId("serviceAccountPrefix", prefix, "coderd"),
      bootstrap: serviceAccountId("serviceAccountPrefix", prefix, "db-init"),
    },
    ...(bootstrap ? { bootstrap } : {}),
    proxyImage: args.proxyImage ?? CLOUD_SQL_PROXY_IMAGE,
    flags: cloudSqlDatabaseFlags,
    labels: { ...(args.labels ?? {}) },
  };
}

export class CoderDatabase extends pulumi.ComponentResource {
  public readonly instance: gcp.sql.DatabaseInstance;
  public readonly database: gcp.sql.Database;
  /** `PROJECT:REGION:INSTANCE`, what the Auth Proxy dials. */
  public readonly connectionName: pulumi.Output<string>;
  public readonly instanceName: pulumi.Output<string>;
  public readonly privateIpAddress: pulumi.Output<string>;
  public readonly databaseName: pulumi.Output<string>;
  /** coderd's Google service account (roles/cloudsql.client and roles/cloudsql.instanceUser only). */
  public readonly serviceAccountEmail: pulumi.Output<string>;
  /** coderd's IAM database user: its service account email without `.gserviceaccount.com`. */
  public readonly iamUser: pulumi.Output<string>;
  /** coderd's connection URL through the proxy on 127.0.0.1: no password. */
  public readonly connectionUrl: pulumi.Output<string>;
  /** The Auth Proxy sidecar for coderd's pod (`CoderControlPlane.extraInitContainers`). */
  public readonly proxySidecar: pulumi.Output<CoderExtraContainer>;
  /** Annotations for coderd's ServiceAccount: Workload Identity's `iam.gke.io/gcp-service-account`. */
  public readonly serviceAccountAnnotations: pulumi.Output<Record<string, string>>;
  /** The private services access range: coderd's egress to the database goes there, on `port`. */
  public readonly privateServicesCidr: string;
  /** The port coderd's pod reaches the instance on (the proxy's server side): 3307. */
  public readonly port: number;
  public readonly bootstrapJob?: k8s.batch.v1.Job;

  constructor(name: string, args: CoderDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    const config = resolveCoderDatabaseArgs(args, name);
    super("hardened-coder:gcp:CoderDatabase", name, {}, opts);
    const parent = { parent: this };

    const projectInfo = gcp.organizations.getProjectOutput(
      config.project !== undefined ? { projectId: config.project } : {},
      parent,
    );
    const project: pulumi.Output<string> =
      config.project !== undefined
        ? pulumi.output(config.project)
        : projectInfo.apply((p) => {
            if (!p.projectId)
              throw new Error("project: no project is set; pass project or `pulumi config set gcp:project`");
            return p.projectId;
          });
    const workloadPool = config.workloadPool ?? pulumi.interpolate`${project}.svc.id.goog`;

    // Private services access: Cloud SQL's private IP comes from this reserved range.
    let psaRangeName: pulumi.Output<string> | undefined;
    const instanceDeps: pulumi.Resource[] = [];
    if (config.privateServices.create) {
      const range = new gcp.compute.GlobalAddress(
        `${name}-psa-range`,
        {
          project,
          network: config.network,
          purpose: "VPC_PEERING",
          addressType: "INTERNAL",
          address: config.privateServices.base,
          prefixLength: config.privateServices.prefix,
          description: "Private services access for coderd's Cloud SQL (hardened-coder)",
        },
        parent,
      );
      const connection = new gcp.servicenetworking.Connection(
        `${name}-psa`,
        {
          network: config.network,
          service: "servicenetworking.googleapis.com",
          reservedPeeringRanges: [range.name],
          // Google refuses to remove the peering for a while after the instance is deleted, which
          // would fail every destroy; it is left behind instead, and removed by hand if the reserved
          // range or the VPC cannot be deleted because of it (see the gcp example's README).
          deletionPolicy: "ABANDON",
        },
        parent,
      );
      psaRangeName = range.name;
      instanceDeps.push(connection);
    }

    // The Cloud SQL service agent may use the key before the instance is created with it.
    const sqlAgent = new gcp.projects.ServiceIdentity(
      `${name}-sql-agent`,
      { project, service: "sqladmin.googleapis.com" },
      parent,
    );
    instanceDeps.push(
      new gcp.kms.CryptoKeyIAMMember(
        `${name}-sql-agent-key`,
        { cryptoKeyId: config.kmsKeyId, role: kmsEncrypterDecrypterRole, member: sqlAgent.member },
        parent,
      ),
    );

    this.instance = new gcp.sql.DatabaseInstance(
      `${name}-postgres`,
      {
        project,
        region: config.region,
        databaseVersion: config.databaseVersion,
        encryptionKeyName: config.kmsKeyId,
        deletionProtection: config.deletionProtection,
        settings: {
          tier: config.tier,
          edition: config.edition,
          availabilityType: config.availability,
          diskType: "PD_SSD",
          diskSize: config.diskSizeGb,
          diskAutoresize: true,
          deletionProtectionEnabled: config.deletionProtection,
          // Only Cloud SQL connectors (the Auth Proxy) may connect: every session is IAM-authorised.
          connectorEnforcement: "REQUIRED",
          ipConfiguration: {
            ipv4Enabled: false,
            privateNetwork: config.network,
            ...(psaRangeName ? { allocatedIpRange: psaRangeName } : {}),
            sslMode: "TRUSTED_CLIENT_CERTIFICATE_REQUIRED",
            authorizedNetworks: [],
            enablePrivatePathForGoogleCloudServices: false,
          },
          backupConfiguration: {
            enabled: true,
            pointInTimeRecoveryEnabled: true,
            startTime: "02:00",
            transactionLogRetentionDays: config.pointInTimeRecoveryDays,
            backupRetentionSettings: { retainedBackups: config.backupRetentionDays, retentionUnit: "COUNT" },
          },
          databaseFlags: config.flags.map((f) => ({ ...f })),
          maintenanceWindow: { day: 7, hour: 3, updateTrack: "stable" },
          insightsConfig: { queryInsightsEnabled: true, recordClientAddress: false, recordApplicationTags: false },
          userLabels: { ...config.labels, "managed-by": "pulumi", "part-of": "hardened-coder" },
        },
      },
      { parent: this, dependsOn: instanceDeps },
    );
    this.database = new gcp.sql.Database(
      `${name}-db`,
      {
        project,
        instance: this.instance.name,
        name: config.databaseName,
        charset: "UTF8",
        collation: "en_US.UTF8",
        // Removing the resource must never drop coderd's data; delete the instance to delete it.
        deletionPolicy: "ABANDON",
      },
      parent,
    );

    // IAM on the project is the only place Cloud SQL roles bind (there is no instance-level IAM);
    // a condition narrows each grant to this one instance.
    const onThisInstance = {
      title: "this-coder-instance-only",
      description: "Only coderd's Cloud SQL instance (hardened-coder)",
      expression: pulumi.interpolate`resource.type == "sqladmin.googleapis.com/Instance" && resource.name == "projects/${project}/instances/${this.instance.name}"`,
    };
    const identity = (role: "coderd" | "db-init", ksa: { namespace: string; name: string }, dbRoles?: string[]) => {
      const account = new gcp.serviceaccount.Account(
        `${name}-${role}`,
        {
          project,
          accountId: role === "coderd" ? config.serviceAccountIds.coderd : config.serviceAccountIds.bootstrap,
          displayName: role === "coderd" ? "coderd (hardened-coder)" : "coderd database bootstrap (hardened-coder)",
          description:
            role === "coderd"
              ? "coderd's Cloud SQL login through Workload Identity"
              : "Grants coderd's database user its database once; a cloudsqlsuperuser member",
        },
        parent,
      );
      const member = account.email.apply(serviceAccountMember);
      for (const r of cloudSqlClientRoles) {
        new gcp.projects.IAMMember(
          `${name}-${role}-${r.split("/")[1]!.replace(/\./g, "-")}`,
          { project, role: r, member, condition: onThisInstance },
          parent,
        );
      }
      const wi = new gcp.serviceaccount.IAMMember(
        `${name}-${role}-workload-identity`,
        {
          serviceAccountId: account.name,
          role: "roles/iam.workloadIdentityUser",
          member: pulumi.interpolate`serviceAccount:${workloadPool}[${ksa.namespace}/${ksa.name}]`,
        },
        parent,
      );
      const user = new gcp.sql.User(
        `${name}-${role}-user`,
        {
          project,
          instance: this.instance.name,
          name: account.email.apply(iamDatabaseUserName),
          type: "CLOUD_IAM_SERVICE_ACCOUNT",
          ...(dbRoles ? { databaseRoles: dbRoles } : {}),
          // The user owns coderd's tables (or the pgaudit extension); PostgreSQL refuses to drop it.
          deletionPolicy: "ABANDON",
        },
        parent,
      );
      return { account, wi, user };
    };

    const coderd = identity("coderd", { namespace: config.coderd.namespace, name: config.coderd.serviceAccountName });
    this.serviceAccountEmail = coderd.account.email;
    this.iamUser = coderd.user.name;
    this.connectionName = this.instance.connectionName;
    this.instanceName = this.instance.name;
    this.privateIpAddress = this.instance.privateIpAddress;
    this.databaseName = this.database.name;
    const connectionUrl = pulumi
      .all([coderd.user.name, this.database.name])
      .apply(([user, db]) => iamProxyConnectionUrl(user, db));
    this.proxySidecar = this.instance.connectionName.apply((connectionName) =>
      cloudSqlProxySidecar({ connectionName, image: config.proxyImage }),
    );
    // The annotation waits for the Workload Identity binding, so coderd never starts unmapped.
    this.serviceAccountAnnotations = pulumi
      .all([coderd.account.email, coderd.wi.id])
      .apply(([email]): Record<string, string> => ({ "iam.gke.io/gcp-service-account": email }));
    this.privateServicesCidr = config.privateServices.cidr;
    this.port = CLOUD_SQL_SERVER_PORT;

    if (config.bootstrap) {
      const ns = config.bootstrap.namespace;
      const ksaName = "db-init";
      const init = identity("db-init", { namespace: ns, name: ksaName }, ["cloudsqlsuperuser"]);
      const labels = { ...managedByLabels, "app.kubernetes.io/component": "coder-db-init" };
      const namespace = new k8s.core.v1.Namespace(
        `${name}-db-init-namespace`,
        {
          metadata: {
            name: ns,
            labels: {
              ...labels,
              "pod-security.kubernetes.io/enforce": "restricted",
              "pod-security.kubernetes.io/enforce-version": "latest",
              "pod-security.kubernetes.io/audit": "restricted",
              "pod-security.kubernetes.io/warn": "restricted",
            },
          },
        },
        parent,
      );
      const ksa = new k8s.core.v1.ServiceAccount(
        `${name}-db-init-sa`,
        {
          metadata: {
            name: ksaName,
            namespace: namespace.metadata.name,
            labels,
            annotations: { "iam.gke.io/gcp-service-account": init.account.email },
          },
          automountServiceAccountToken: false,
        },
        parent,
      );
      const policies = bootstrapNetworkPolicies({ privateServicesCidr: config.privateServices.cidr }).map(
        (p) =>
          new k8s.networking.v1.NetworkPolicy(
            `${name}-${p.name}`,
            { metadata: { name: p.name, namespace: namespace.metadata.name, labels }, spec: p.spec },
            parent,
          ),
      );
      const job = pulumi
        .all([this.instance.connectionName, init.user.name, coderd.user.name, this.database.name])
        .apply(([connectionName, bootstrapUser, coderdUser, database]) =>
          bootstrapJob({
            namespace: ns,
            name: "coder-db-init",
            serviceAccountName: ksaName,
            connectionName,
            bootstrapUser,
            coderdUser,
            database,
            proxyImage: config.proxyImage,
            clientImage: config.bootstrap!.clientImage,
          }),
        );
      this.bootstrapJob = new k8s.batch.v1.Job(
        `${name}-db-init`,
        { metadata: job.metadata, spec: job.spec },
        {
          parent: this,
          dependsOn: [namespace, ksa, ...policies, init.wi, init.user, coderd.user, this.database],
          // A Job's pod template cannot change; the statements are idempotent, so run it afresh.
          deleteBeforeReplace: true,
          // Pulumi waits for the Job to complete, 10 minutes by default: less than the Job's own
          // deadline, and on a first `pulumi up` its pod also waits for the node pool to come up.
          customTimeouts: { create: bootstrapJobTimeout, update: bootstrapJobTimeout },
        },
      );
    }
    // Until the grant has run, coderd's user cannot create its tables; whoever uses the URL (coderd's
    // Secret, hence its chart) waits for the Job instead of crash-looping on its first start.
    const job = this.bootstrapJob;
    this.connectionUrl = job ? pulumi.all([connectionUrl, job.id]).apply(([url]) => url) : connectionUrl;

    this.registerOutputs({
      connectionName: this.connectionName,
      instanceName: this.instanceName,
      privateIpAddress: this.privateIpAddress,
      databaseName: this.databaseName,
      serviceAccountEmail: this.serviceAccountEmail,
      iamUser: this.iamUser,
      connectionUrl: this.connectionUrl,
    });
  }
}
