/**
 * RDS PostgreSQL for coderd: private, encrypted with the stack's KMS key, TLS forced, backed up,
 * audited, and reached by coderd without a password (network-tls-upstream, storage-encryption).
 *
 * With `iamAuth`, coderd's ServiceAccount gets an EKS Pod Identity role whose only grant is
 * `rds-db:connect` as the `coder` database user of this instance, and a one-time bootstrap Job
 * creates that user (granted `rds_iam`) and hands it the `coder` database. The Job reads the master
 * password, which RDS keeps in Secrets Manager (never in Pulumi state), at run time through its
 * own Pod Identity role, whose only grant is reading that one secret.
 */
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import { dnsEgressRule, managedByLabels, parseCidr } from "@hardened-coder/kubernetes";
import { managedPolicyArn, rdsDbUserArn } from "./arn";
import { podIdentityTrustPolicy, policyJson, rdsConnectPolicy, secretReadPolicy, serviceTrustPolicy } from "./iam";

export const awsCoderDatabaseToken = "hardened-coder:aws:CoderDatabase";

/** The PostgreSQL version a new database gets: a current major, pinned to a minor. */
export const defaultPostgresVersion = "17.7";
/** Majors accepted (their parameter families and logging parameters are the ones set here). */
export const supportedPostgresMajors = ["16", "17"] as const;
/** RDS's current CA (2048-bit RSA, valid to 2061); named explicitly so an old default never applies. */
export const rdsCaCertIdentifier = "rds-ca-rsa2048-g1";

/**
 * Images of the bootstrap Job, pinned. Mirror them into your approved registry and pass them in
 * `iamAuth.bootstrap.images` if nodes must pull from approved repositories only.
 */
export const defaultBootstrapImages = {
  awsCli: "public.ecr.aws/aws-cli/aws-cli:2.31.0",
  postgres: "public.ecr.aws/docker/library/postgres:17.6-alpine3.22",
} as const;

/** Where EKS Pod Identity's agent serves credentials on every node. */
export const podIdentityAgentCidr = "169.254.170.23/32";

export interface CoderDatabaseBootstrapArgs {
  /**
   * Namespace created for the bootstrap Job (Pod Security `restricted`, default-deny NetworkPolicy).
   * @default "coder-db-bootstrap"
   */
  readonly namespace?: string;
  /** @default defaultBootstrapImages */
  readonly images?: { readonly awsCli?: string; readonly postgres?: string };
  /**
   * Where the Job fetches the RDS CA bundle it verifies the server with (`sslmode=verify-full`).
   * @default `https://truststore.pki.rds.amazonaws.com/<region>/<region>-bundle.pem`
   */
  readonly caBundleUrl?: string;
}

export interface CoderDatabaseIamAuthArgs {
  /** The EKS cluster (Pod Identity associations and their trust policies name it). */
  readonly clusterName: pulumi.Input<string>;
  /** coderd's namespace (`CoderControlPlane`'s, "coderd" by default). */
  readonly coderdNamespace: string;
  /** coderd's ServiceAccount ("coder" by default). */
  readonly coderdServiceAccount: string;
  /** The bootstrap Job. */
  readonly bootstrap?: CoderDatabaseBootstrapArgs;
}

export interface CoderDatabaseArgs {
  /** The VPC of the cluster. */
  readonly vpcId: pulumi.Input<string>;
  /**
   * Private subnets for the subnet group, in at least two zones. Serves network-external.
   */
  readonly subnetIds: readonly pulumi.Input<string>[];
  /**
   * The VPC's public subnets, so that a database placed in one is refused (naming `subnetIds[i]`).
   * @default []
   */
  readonly publicSubnetIds?: readonly pulumi.Input<string>[];
  /**
   * Security groups whose members may connect on 5432: the cluster security group (nodes and pods).
   * Nothing else is admitted.
   */
  readonly allowedSecurityGroupIds?: readonly pulumi.Input<string>[];
  /** Private CIDRs that may connect on 5432 besides the security groups. @default [] */
  readonly allowedCidrs?: readonly string[];
  /**
   * The CIDRs of `subnetIds`: where the bootstrap Job's NetworkPolicy lets it reach 5432.
   * @default the private ranges (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)
   */
  readonly subnetCidrs?: readonly string[];
  /**
   * The customer-managed KMS key for storage, Performance Insights, the master secret and the log
   * groups. Its policy must let RDS and Secrets Manager use it for account principals and CloudWatch
   * Logs for the database's log groups (HardenedCluster's key does). Serves storage-encryption.
   */
  readonly kmsKeyArn: pulumi.Input<string>;
  /**
   * RDS instance identifier (also names the log groups).
   * @default the component's resource name
   */
  readonly identifier?: string;
  /** `major.minor`, major 16 or 17. @default defaultPostgresVersion ("17.7") */
  readonly engineVersion?: string;
  /** Cost: larger classes cost more. @default "db.m7g.large" */
  readonly instanceClass?: string;
  /** Initial gp3 storage in GiB. @default 50 */
  readonly allocatedStorageGiB?: number;
  /** Storage autoscaling ceiling in GiB. @default 500 */
  readonly maxAllocatedStorageGiB?: number;
  /** A standby in a second zone. Off halves the cost and loses zone-failure tolerance. @default true */
  readonly multiAz?: boolean;
  /** Days of automated backups (point-in-time recovery), 7 to 35. @default 14 */
  readonly backupRetentionDays?: number;
  /** Days CloudWatch keeps the exported PostgreSQL logs. @default 365 */
  readonly logRetentionDays?: number;
  /** Enhanced monitoring granularity in seconds (1, 5, 10, 15, 30 or 60). @default 60 */
  readonly monitoringIntervalSeconds?: number;
  /** The database coderd uses. @default "coder" */
  readonly databaseName?: string;
  /** The IAM-authenticated user coderd logs in as. @default "coder" */
  readonly iamUser?: string;
  /** The master user (password managed by Secrets Manager). @default "coder_admin" */
  readonly masterUsername?: string;
  /** Password-less coderd through EKS Pod Identity, and the bootstrap Job. @default unset */
  readonly iamAuth?: CoderDatabaseIamAuthArgs;
  readonly tags?: Readonly<Record<string, string>>;
}

export interface DatabaseParameter {
  readonly name: string;
  readonly value: string;
  readonly applyMethod: "immediate" | "pending-reboot";
}

export interface CoderDatabaseConfig {
  readonly identifier: string;
  readonly engine: "postgres";
  readonly engineVersion: string;
  readonly parameterGroupFamily: string;
  readonly parameters: readonly DatabaseParameter[];
  readonly instanceClass: string;
  readonly storage: { readonly type: "gp3"; readonly allocatedGiB: number; readonly maxAllocatedGiB: number };
  readonly multiAz: boolean;
  readonly backupRetentionDays: number;
  readonly logRetentionDays: number;
  readonly monitoringIntervalSeconds: number;
  readonly logExports: readonly string[];
  readonly logGroupNames: readonly string[];
  readonly databaseName: string;
  readonly iamUser: string;
  readonly masterUsername: string;
  readonly port: 5432;
  readonly allowedCidrs: readonly string[];
  readonly subnetCidrs: readonly string[];
  readonly subnetCount: number;
  readonly bootstrap?: {
    readonly namespace: string;
    readonly images: { readonly awsCli: string; readonly postgres: string };
    readonly caBundleUrl?: string;
    readonly serviceAccount: string;
    readonly backoffLimit: number;
    readonly activeDeadlineSeconds: number;
  };
  readonly tags: Readonly<Record<string, string>>;
}

/** The parameter group: TLS only, connections and DDL logged, slow statements logged. */
export function databaseParameters(): DatabaseParameter[] {
  return [
    { name: "rds.force_ssl", value: "1", applyMethod: "immediate" },
    { name: "ssl_min_protocol_version", value: "TLSv1.2", applyMethod: "immediate" },
    { name: "password_encryption", value: "scram-sha-256", applyMethod: "immediate" },
    { name: "log_connections", value: "1", applyMethod: "immediate" },
    { name: "log_disconnections", value: "1", applyMethod: "immediate" },
    { name: "log_statement", value: "ddl", applyMethod: "immediate" },
    { name: "log_min_duration_statement", value: "1000", applyMethod: "immediate" },
    { name: "log_lock_waits", value: "1", applyMethod: "immediate" },
  ];
}

const identifierPattern = /^[a-z](?!.*--)[a-z0-9-]{0,61}[a-z0-9]$/;
const sqlName = /^[a-z_][a-z0-9_]{0,62}$/;
const reservedUsers = new Set(["postgres", "rdsadmin", "rds_superuser", "rds_iam", "public", "admin"]);

function requireSqlName(field: string, value: string): string {
  if (!sqlName.test(value)) {
    throw new Error(`${field}: "${value}" is not a plain PostgreSQL name; use lower-case letters, digits and '_'`);
  }
  return value;
}

/**
 * Fills defaults and refuses values that would weaken the database, naming the field. Pure.
 * Subnet ids that arrive as Outputs are checked against the public subnets once known.
 */
export function resolveCoderDatabaseArgs(
  args: Omit<CoderDatabaseArgs, "vpcId" | "kmsKeyArn" | "allowedSecurityGroupIds">,
  resourceName: string,
): CoderDatabaseConfig {
  const identifier = args.identifier ?? resourceName;
  if (!identifierPattern.test(identifier)) {
    throw new Error(
      `identifier: "${identifier}" is not an RDS identifier; use 2-63 lower-case letters, digits and single '-', ` +
        `starting with a letter${args.identifier === undefined ? " (it defaults to the resource name: pass identifier)" : ""}`,
    );
  }
  const engineVersion = args.engineVersion ?? defaultPostgresVersion;
  const major = /^(\d+)\.\d+$/.exec(engineVersion)?.[1];
  if (!major) {
    throw new Error(
      `engineVersion: "${engineVersion}" must be pinned as major.minor, e.g. "${defaultPostgresVersion}"`,
    );
  }
  if (!(supportedPostgresMajors as readonly string[]).includes(major)) {
    throw new Error(
      `engineVersion: PostgreSQL ${major} is not supported here; use major ${supportedPostgresMajors.join(" or ")}`,
    );
  }
  const instanceClass = args.instanceClass ?? "db.m7g.large";
  if (!/^db\.[a-z0-9-]+\.[a-z0-9]+$/.test(instanceClass)) {
    throw new Error(`instanceClass: "${instanceClass}" is not an RDS instance class; write e.g. "db.m7g.large"`);
  }
  const allocatedGiB = args.allocatedStorageGiB ?? 50;
  if (!Number.isInteger(allocatedGiB) || allocatedGiB < 20 || allocatedGiB > 65536) {
    throw new Error(`allocatedStorageGiB: ${allocatedGiB} is out of range; use 20 to 65536`);
  }
  const maxAllocatedGiB = args.maxAllocatedStorageGiB ?? Math.max(500, allocatedGiB);
  if (!Number.isInteger(maxAllocatedGiB) || maxAllocatedGiB < allocatedGiB || maxAllocatedGiB > 65536) {
    throw new Error(
      `maxAllocatedStorageGiB: ${maxAllocatedGiB} is out of range; use ${allocatedGiB} (allocatedStorageGiB) to 65536`,
    );
  }
  const backupRetentionDays = args.backupRetentionDays ?? 14;
  if (!Number.isInteger(backupRetentionDays) || backupRetentionDays < 7 || backupRetentionDays > 35) {
    throw new Error(
      `backupRetentionDays: ${backupRetentionDays} is out of range; keep 7 to 35 days of backups (point-in-time recovery)`,
    );
  }
  const logRetentionDays = args.logRetentionDays ?? 365;
  if (
    ![30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653].includes(
      logRetentionDays,
    )
  ) {
    throw new Error(
      `logRetentionDays: ${logRetentionDays} is not a CloudWatch retention period of at least 30 days; use e.g. 365`,
    );
  }
  const monitoringIntervalSeconds = args.monitoringIntervalSeconds ?? 60;
  if (![1, 5, 10, 15, 30, 60].includes(monitoringIntervalSeconds)) {
    throw new Error(
      `monitoringIntervalSeconds: ${monitoringIntervalSeconds} is not allowed; use 1, 5, 10, 15, 30 or 60 (enhanced monitoring stays on)`,
    );
  }
  const subnetIds = args.subnetIds;
  if (subnetIds.length < 2) {
    throw new Error(
      `subnetIds: ${subnetIds.length} subnet(s); a subnet group needs private subnets in at least two zones`,
    );
  }
  const plainPublic = new Set((args.publicSubnetIds ?? []).filter((s): s is string => typeof s === "string"));
  subnetIds.forEach((s, i) => {
    if (typeof s === "string" && plainPublic.has(s)) {
      throw new Error(
        `subnetIds[${i}]: ${s} is one of the VPC's public subnets; place the database in private subnets only`,
      );
    }
  });
  const allowedCidrs = (args.allowedCidrs ?? []).map((c, i) => {
    const parsed = parseCidr(c, `allowedCidrs[${i}]`);
    const privateRanges = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"].map((r) => parseCidr(r));
    if (
      !privateRanges.some(
        (r) => parsed.base >= r.base && parsed.base + 2 ** (32 - parsed.prefix) <= r.base + 2 ** (32 - r.prefix),
      )
    ) {
      throw new Error(`allowedCidrs[${i}]: ${c} is not a private range; the database is reachable from the VPC only`);
    }
    return c;
  });
  const subnetCidrs = (args.subnetCidrs ?? ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]).map((c, i) => {
    parseCidr(c, `subnetCidrs[${i}]`);
    return c;
  });
  const databaseName = requireSqlName("databaseName", args.databaseName ?? "coder");
  const iamUser = requireSqlName("iamUser", args.iamUser ?? "coder");
  const masterUsername = requireSqlName("masterUsername", args.masterUsername ?? "coder_admin");
  if (reservedUsers.has(masterUsername)) {
    throw new Error(`masterUsername: "${masterUsername}" is reserved by RDS; use e.g. "coder_admin"`);
  }
  if (iamUser === masterUsername) {
    throw new Error(`iamUser: "${iamUser}" is the master user; coderd must log in as its own, IAM-only user`);
  }

  let bootstrap: CoderDatabaseConfig["bootstrap"];
  if (args.iamAuth) {
    const b = args.iamAuth.bootstrap ?? {};
    const namespace = b.namespace ?? "coder-db-bootstrap";
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(namespace) || namespace.length > 63) {
      throw new Error(`iamAuth.bootstrap.namespace: "${namespace}" is not a valid namespace name`);
    }
    const images = { ...defaultBootstrapImages, ...b.images };
    for (const [k, image] of Object.entries(images)) {
      // A tag or a digest, never an implicit :latest.
      if (!/^[a-z0-9.-]+(:\d+)?\/[a-z0-9._/-]+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$/.test(image)) {
        throw new Error(
          `iamAuth.bootstrap.images.${k}: "${image}" must be a fully qualified image pinned by tag or digest`,
        );
      }
    }
    if (b.caBundleUrl !== undefined && !/^https:\/\/[^\s]+$/.test(b.caBundleUrl)) {
      throw new Error(`iamAuth.bootstrap.caBundleUrl: "${b.caBundleUrl}" must be an https URL`);
    }
    for (const [field, v] of [
      ["iamAuth.coderdNamespace", args.iamAuth.coderdNamespace],
      ["iamAuth.coderdServiceAccount", args.iamAuth.coderdServiceAccount],
    ] as const) {
      if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(v))
        throw new Error(`${field}: "${v}" is not a valid Kubernetes name`);
    }
    bootstrap = {
      namespace,
      images,
      ...(b.caBundleUrl !== undefined ? { caBundleUrl: b.caBundleUrl } : {}),
      serviceAccount: "coder-db-bootstrap",
      backoffLimit: 4,
      activeDeadlineSeconds: 1200,
    };
  }

  return {
    identifier,
    engine: "postgres",
    engineVersion,
    parameterGroupFamily: `postgres${major}`,
    parameters: databaseParameters(),
    instanceClass,
    storage: { type: "gp3", allocatedGiB, maxAllocatedGiB },
    multiAz: args.multiAz ?? true,
    backupRetentionDays,
    logRetentionDays,
    monitoringIntervalSeconds,
    logExports: ["postgresql", "upgrade"],
    logGroupNames: ["postgresql", "upgrade"].map((t) => `/aws/rds/instance/${identifier}/${t}`),
    databaseName,
    iamUser,
    masterUsername,
    port: 5432,
    allowedCidrs,
    subnetCidrs,
    subnetCount: subnetIds.length,
    ...(bootstrap ? { bootstrap } : {}),
    tags: { ...args.tags },
  };
}

/**
 * The bootstrap's SQL, idempotent: create the IAM user if missing, grant it `rds_iam`, make it the
 * owner of the database (the master user takes membership so it may hand over ownership), and keep
 * every other role from connecting. psql variables carry the names, quoted by `format('%I')`.
 */
export const bootstrapSql = [
  "SELECT format('CREATE ROLE %I LOGIN', :'iam_user') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'iam_user') \\gexec",
  "SELECT format('GRANT rds_iam TO %I', :'iam_user') \\gexec",
  "SELECT format('GRANT %I TO current_user', :'iam_user') \\gexec",
  "SELECT format('ALTER DATABASE %I OWNER TO %I', :'db', :'iam_user') \\gexec",
  "SELECT format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', :'db') \\gexec",
].join("\n");

/**
 * Fetches the master secret and the RDS CA bundle into the Job's in-memory volume. The AWS CLI image
 * carries the CLI, sh, sed and curl but no jq, so the secret's two string fields are cut out with sed
 * and their JSON escapes undone (a backslash before a character stands for that character: RDS
 * passwords are printable ASCII, so no other escape occurs).
 */
export const bootstrapFetchScript = [
  "set -eu",
  "umask 077",
  'aws secretsmanager get-secret-value --secret-id "$MASTER_SECRET_ARN" --query SecretString --output text > /work/master.json',
  `field() { sed -nE 's/.*"'"$1"'"[[:space:]]*:[[:space:]]*"(([^"\\\\]|\\\\.)*)".*/\\1/p' /work/master.json | sed -E 's/\\\\(.)/\\1/g'; }`,
  "field username > /work/username",
  "field password > /work/password",
  "rm -f /work/master.json",
  'test -s /work/username && test -s /work/password || { echo "master secret: no username or password field" >&2; exit 1; }',
  'curl -fsS --proto =https --tlsv1.2 -o /work/rds-ca.pem "$CA_BUNDLE_URL"',
].join("\n");

/** Runs the SQL with verify-full TLS against the fetched CA bundle, then wipes the credentials. */
export const bootstrapRunScript = [
  "set -eu",
  'PGUSER="$(cat /work/username)"',
  'PGPASSWORD="$(cat /work/password)"',
  "export PGUSER PGPASSWORD",
  'psql -X -v ON_ERROR_STOP=1 -v iam_user="$IAM_USER" -v db="$PGDATABASE" -f /dev/stdin <<\'SQL\'',
  bootstrapSql,
  "SQL",
  "rm -f /work/username /work/password",
].join("\n");

type Env = Readonly<Record<string, pulumi.Input<string>>>;

/** Non-internet IPv4 ranges the Job's HTTPS egress excludes (the metadata address among them). */
const notInternet = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10"];

/**
 * The bootstrap namespace's NetworkPolicies: deny everything, then let the Job's pod reach DNS, the
 * Pod Identity agent (its credentials), HTTPS on the internet (Secrets Manager, the RDS trust store;
 * never private ranges or the metadata address) and PostgreSQL in the database's subnets.
 */
export function bootstrapNetworkPolicies(
  podLabels: Readonly<Record<string, string>>,
  databaseCidrs: readonly string[],
): { name: string; spec: k8s.types.input.networking.v1.NetworkPolicySpec }[] {
  return [
    { name: "coder-db-bootstrap-default-deny", spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } },
    {
      name: "coder-db-bootstrap-egress",
      spec: {
        podSelector: { matchLabels: { ...podLabels } },
        policyTypes: ["Egress"],
        egress: [
          dnsEgressRule(),
          { to: [{ ipBlock: { cidr: podIdentityAgentCidr } }], ports: [{ protocol: "TCP", port: 80 }] },
          {
            to: [{ ipBlock: { cidr: "0.0.0.0/0", except: [...notInternet] } }],
            ports: [{ protocol: "TCP", port: 443 }],
          },
          { to: databaseCidrs.map((cidr) => ({ ipBlock: { cidr } })), ports: [{ protocol: "TCP", port: 5432 }] },
        ],
      },
    },
  ];
}

const restrictedContainer = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ["ALL"] },
  seccompProfile: { type: "RuntimeDefault" },
};
const smallResources = {
  requests: { cpu: "50m", memory: "64Mi", "ephemeral-storage": "16Mi" },
  limits: { cpu: "500m", memory: "256Mi", "ephemeral-storage": "64Mi" },
};

/**
 * The bootstrap Job's spec: Pod Security `restricted` (non-root, no escalation, no capabilities,
 * RuntimeDefault seccomp, read-only root), its own ServiceAccount with no API token, a bounded
 * number of retries and a deadline. The credentials pass between its two containers in a
 * memory-backed volume and are removed when done.
 */
export function bootstrapJobSpec(args: {
  config: NonNullable<CoderDatabaseConfig["bootstrap"]>;
  labels: Readonly<Record<string, string>>;
  env: Env;
}): k8s.types.input.batch.v1.JobSpec {
  const env = (names: string[]) => names.map((n) => ({ name: n, value: args.env[n]! }));
  const mounts = [{ name: "work", mountPath: "/work" }];
  return {
    backoffLimit: args.config.backoffLimit,
    activeDeadlineSeconds: args.config.activeDeadlineSeconds,
    template: {
      metadata: { labels: { ...args.labels } },
      spec: {
        serviceAccountName: args.config.serviceAccount,
        automountServiceAccountToken: false,
        restartPolicy: "Never",
        securityContext: {
          runAsNonRoot: true,
          runAsUser: 65532,
          runAsGroup: 65532,
          fsGroup: 65532,
          seccompProfile: { type: "RuntimeDefault" },
        },
        volumes: [{ name: "work", emptyDir: { medium: "Memory", sizeLimit: "8Mi" } }],
        initContainers: [
          {
            name: "fetch-credentials",
            image: args.config.images.awsCli,
            command: ["/bin/sh", "-c", bootstrapFetchScript],
            env: [
              ...env(["MASTER_SECRET_ARN", "CA_BUNDLE_URL", "AWS_REGION"]),
              { name: "HOME", value: "/work" },
              { name: "TMPDIR", value: "/work" },
            ],
            securityContext: { ...restrictedContainer },
            resources: smallResources,
            volumeMounts: mounts,
          },
        ],
        containers: [
          {
            name: "bootstrap",
            image: args.config.images.postgres,
            command: ["/bin/sh", "-c", bootstrapRunScript],
            env: [
              ...env(["PGHOST", "PGPORT", "PGDATABASE", "IAM_USER"]),
              { name: "PGSSLMODE", value: "verify-full" },
              { name: "PGSSLROOTCERT", value: "/work/rds-ca.pem" },
              { name: "PGCONNECT_TIMEOUT", value: "15" },
              { name: "HOME", value: "/work" },
            ],
            securityContext: { ...restrictedContainer },
            resources: smallResources,
            volumeMounts: mounts,
          },
        ],
      },
    },
  };
}

/**
 * RDS PostgreSQL for coderd with every setting of issue 9 item 1, and with `iamAuth` the
 * password-less wiring of item 2.
 */
export class CoderDatabase extends pulumi.ComponentResource {
  public readonly instance: aws.rds.Instance;
  public readonly address: pulumi.Output<string>;
  public readonly port: pulumi.Output<number>;
  /** The address, resolved only after the bootstrap Job completed (with `iamAuth`). */
  public readonly bootstrappedAddress: pulumi.Output<string>;
  public readonly resourceId: pulumi.Output<string>;
  public readonly instanceArn: pulumi.Output<string>;
  /** The Secrets Manager secret RDS keeps the master password in. */
  public readonly masterUserSecretArn: pulumi.Output<string>;
  public readonly securityGroupId: pulumi.Output<string>;
  public readonly databaseName: pulumi.Output<string>;
  public readonly iamUser: pulumi.Output<string>;
  /** `arn:aws:rds-db:<region>:<account>:dbuser:<resourceId>/<iamUser>`: what coderd's role may connect as. */
  public readonly connectUserArn: pulumi.Output<string>;
  public readonly coderdRoleArn?: pulumi.Output<string>;
  public readonly bootstrapJob?: k8s.batch.v1.Job;
  public readonly securityGroup: aws.ec2.SecurityGroup;
  public readonly parameterGroup: aws.rds.ParameterGroup;
  public readonly subnetGroup: aws.rds.SubnetGroup;

  constructor(name: string, args: CoderDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    const config = resolveCoderDatabaseArgs(args, name);
    super(awsCoderDatabaseToken, name, {}, opts);
    const parent = { parent: this };
    const tags = { ...config.tags, "hardened-coder/database": config.identifier };

    const partition = aws.getPartitionOutput({}, parent).partition;
    const identity = aws.getCallerIdentityOutput({}, parent);
    const region = aws.getRegionOutput({}, parent).region;

    // Subnets that arrive as Outputs are checked against the public ones once known.
    const subnetIds = pulumi
      .all([pulumi.all([...args.subnetIds]), pulumi.all([...(args.publicSubnetIds ?? [])])])
      .apply(([ids, publicIds]) => {
        ids.forEach((s, i) => {
          if (publicIds.includes(s)) {
            throw new Error(
              `subnetIds[${i}]: ${s} is one of the VPC's public subnets; place the database in private subnets only`,
            );
          }
        });
        return ids;
      });

    this.securityGroup = new aws.ec2.SecurityGroup(
      `${name}-db`,
      {
        vpcId: args.vpcId,
        description: `PostgreSQL ${config.identifier}: 5432 from the cluster only`,
        revokeRulesOnDelete: true,
        tags: { ...tags, Name: `${config.identifier}-db` },
      },
      parent,
    );
    (args.allowedSecurityGroupIds ?? []).forEach(
      (sg, i) =>
        new aws.vpc.SecurityGroupIngressRule(
          `${name}-db-from-sg-${i}`,
          {
            securityGroupId: this.securityGroup.id,
            referencedSecurityGroupId: sg,
            ipProtocol: "tcp",
            fromPort: config.port,
            toPort: config.port,
            description: "PostgreSQL from the cluster's nodes and pods",
            tags,
          },
          parent,
        ),
    );
    config.allowedCidrs.forEach(
      (cidr, i) =>
        new aws.vpc.SecurityGroupIngressRule(
          `${name}-db-from-cidr-${i}`,
          {
            securityGroupId: this.securityGroup.id,
            cidrIpv4: cidr,
            ipProtocol: "tcp",
            fromPort: config.port,
            toPort: config.port,
            description: "PostgreSQL from a listed private range",
            tags,
          },
          parent,
        ),
    );
    this.securityGroupId = this.securityGroup.id;

    this.subnetGroup = new aws.rds.SubnetGroup(
      `${name}-subnets`,
      { description: `Private subnets of ${config.identifier}`, subnetIds, tags },
      parent,
    );
    this.parameterGroup = new aws.rds.ParameterGroup(
      `${name}-params`,
      {
        family: config.parameterGroupFamily,
        description: `${config.identifier}: TLS only, connection and DDL logging`,
        parameters: config.parameters.map((p) => ({ ...p })),
        tags,
      },
      parent,
    );

    const monitoringRole = new aws.iam.Role(
      `${name}-monitoring`,
      { assumeRolePolicy: policyJson(serviceTrustPolicy("monitoring.rds.amazonaws.com")), tags },
      parent,
    );
    const monitoringPolicy = new aws.iam.RolePolicyAttachment(
      `${name}-monitoring`,
      {
        role: monitoringRole.name,
        policyArn: partition.apply((p) => managedPolicyArn(p, "service-role/AmazonRDSEnhancedMonitoringRole")),
      },
      parent,
    );

    // Created first, encrypted and retained: RDS would otherwise create them unencrypted, kept forever.
    const logGroups = config.logGroupNames.map(
      (logName, i) =>
        new aws.cloudwatch.LogGroup(
          `${name}-${config.logExports[i]}-logs`,
          { name: logName, retentionInDays: config.logRetentionDays, kmsKeyId: args.kmsKeyArn, tags },
          parent,
        ),
    );

    this.instance = new aws.rds.Instance(
      `${name}`,
      {
        identifier: config.identifier,
        engine: config.engine,
        engineVersion: config.engineVersion,
        engineLifecycleSupport: "open-source-rds-extended-support-disabled",
        instanceClass: config.instanceClass,
        allocatedStorage: config.storage.allocatedGiB,
        maxAllocatedStorage: config.storage.maxAllocatedGiB,
        storageType: config.storage.type,
        storageEncrypted: true,
        kmsKeyId: args.kmsKeyArn,
        dbName: config.databaseName,
        username: config.masterUsername,
        manageMasterUserPassword: true,
        masterUserSecretKmsKeyId: args.kmsKeyArn,
        port: config.port,
        dbSubnetGroupName: this.subnetGroup.name,
        vpcSecurityGroupIds: [this.securityGroup.id],
        publiclyAccessible: false,
        networkType: "IPV4",
        multiAz: config.multiAz,
        iamDatabaseAuthenticationEnabled: true,
        parameterGroupName: this.parameterGroup.name,
        caCertIdentifier: rdsCaCertIdentifier,
        backupRetentionPeriod: config.backupRetentionDays,
        copyTagsToSnapshot: true,
        deleteAutomatedBackups: false,
        deletionProtection: true,
        skipFinalSnapshot: false,
        finalSnapshotIdentifier: `${config.identifier}-final`,
        autoMinorVersionUpgrade: true,
        allowMajorVersionUpgrade: false,
        performanceInsightsEnabled: true,
        performanceInsightsKmsKeyId: args.kmsKeyArn,
        performanceInsightsRetentionPeriod: 7,
        monitoringInterval: config.monitoringIntervalSeconds,
        monitoringRoleArn: monitoringRole.arn,
        enabledCloudwatchLogsExports: [...config.logExports],
        tags,
      },
      { parent: this, dependsOn: [...logGroups, monitoringPolicy] },
    );
    this.address = this.instance.address;
    this.port = this.instance.port;
    this.resourceId = this.instance.resourceId;
    this.instanceArn = this.instance.arn;
    this.masterUserSecretArn = this.instance.masterUserSecrets.apply((s) => s?.[0]?.secretArn ?? "");
    this.databaseName = pulumi.output(config.databaseName);
    this.iamUser = pulumi.output(config.iamUser);
    this.connectUserArn = pulumi
      .all([partition, region, identity.accountId, this.instance.resourceId])
      .apply(([p, r, a, id]) => rdsDbUserArn(p, r, a, id, config.iamUser));

    let bootstrapped: pulumi.Output<string> = this.address;
    if (args.iamAuth && config.bootstrap) {
      const iam = args.iamAuth;
      const b = config.bootstrap;
      const clusterName = pulumi.output(iam.clusterName);
      const podRole = (id: string, namespace: string, serviceAccount: string) =>
        new aws.iam.Role(
          `${name}-${id}`,
          {
            assumeRolePolicy: clusterName.apply((c) =>
              policyJson(podIdentityTrustPolicy({ clusterName: c, namespace, serviceAccount })),
            ),
            tags,
          },
          parent,
        );

      // coderd: rds-db:connect as the IAM user of this instance, nothing else.
      const coderdRole = podRole("coderd", iam.coderdNamespace, iam.coderdServiceAccount);
      const coderdPolicy = new aws.iam.RolePolicy(
        `${name}-coderd-connect`,
        {
          role: coderdRole.name,
          name: "rds-connect-as-coder",
          policy: this.connectUserArn.apply((arn) => policyJson(rdsConnectPolicy(arn))),
        },
        parent,
      );
      const coderdAssociation = new aws.eks.PodIdentityAssociation(
        `${name}-coderd`,
        {
          clusterName,
          namespace: iam.coderdNamespace,
          serviceAccount: iam.coderdServiceAccount,
          roleArn: coderdRole.arn,
          tags,
        },
        { parent: this, dependsOn: [coderdPolicy] },
      );
      this.coderdRoleArn = coderdRole.arn;

      // The bootstrap Job: reads the master secret (only it) at run time.
      const bootstrapRole = podRole("bootstrap", b.namespace, b.serviceAccount);
      const bootstrapPolicy = new aws.iam.RolePolicy(
        `${name}-bootstrap-secret`,
        {
          role: bootstrapRole.name,
          name: "read-master-secret",
          policy: pulumi
            .all([this.masterUserSecretArn, args.kmsKeyArn])
            .apply(([secret, key]) => policyJson(secretReadPolicy(secret, key))),
        },
        parent,
      );
      const bootstrapAssociation = new aws.eks.PodIdentityAssociation(
        `${name}-bootstrap`,
        { clusterName, namespace: b.namespace, serviceAccount: b.serviceAccount, roleArn: bootstrapRole.arn, tags },
        { parent: this, dependsOn: [bootstrapPolicy] },
      );

      const labels = { ...managedByLabels, "app.kubernetes.io/name": "coder-db-bootstrap" };
      const ns = new k8s.core.v1.Namespace(
        `${name}-bootstrap`,
        {
          metadata: {
            name: b.namespace,
            labels: {
              ...managedByLabels,
              "pod-security.kubernetes.io/enforce": "restricted",
              "pod-security.kubernetes.io/enforce-version": "latest",
              "pod-security.kubernetes.io/audit": "restricted",
              "pod-security.kubernetes.io/warn": "restricted",
            },
          },
        },
        parent,
      );
      const sa = new k8s.core.v1.ServiceAccount(
        `${name}-bootstrap`,
        {
          metadata: { name: b.serviceAccount, namespace: ns.metadata.name, labels },
          automountServiceAccountToken: false,
        },
        parent,
      );
      const policies = bootstrapNetworkPolicies(labels, config.subnetCidrs);
      const netpols = policies.map(
        (p) =>
          new k8s.networking.v1.NetworkPolicy(
            `${name}-${p.name}`,
            { metadata: { name: p.name, namespace: ns.metadata.name, labels: { ...managedByLabels } }, spec: p.spec },
            parent,
          ),
      );
      const caBundleUrl =
        b.caBundleUrl ?? region.apply((r) => `https://truststore.pki.rds.amazonaws.com/${r}/${r}-bundle.pem`);
      this.bootstrapJob = new k8s.batch.v1.Job(
        `${name}-bootstrap`,
        {
          metadata: { name: "coder-db-bootstrap", namespace: ns.metadata.name, labels },
          spec: bootstrapJobSpec({
            config: b,
            labels,
            env: {
              MASTER_SECRET_ARN: this.masterUserSecretArn,
              CA_BUNDLE_URL: caBundleUrl,
              AWS_REGION: region,
              PGHOST: this.instance.address,
              PGPORT: this.instance.port.apply(String),
              PGDATABASE: config.databaseName,
              IAM_USER: config.iamUser,
            },
          }),
        },
        {
          parent: this,
          dependsOn: [sa, ...netpols, bootstrapAssociation, coderdAssociation],
          deleteBeforeReplace: true,
          customTimeouts: { create: "20m", update: "20m" },
        },
      );
      bootstrapped = pulumi.all([this.instance.address, this.bootstrapJob.metadata.name]).apply(([address]) => address);
    }
    this.bootstrappedAddress = bootstrapped;

    this.registerOutputs({
      address: this.address,
      port: this.port,
      resourceId: this.resourceId,
      masterUserSecretArn: this.masterUserSecretArn,
      securityGroupId: this.securityGroupId,
      connectUserArn: this.connectUserArn,
    });
  }
}
