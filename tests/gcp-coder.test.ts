import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import {
  type CoderChartValues,
  checkDatabaseUrl,
  complianceReport,
  componentTokens,
  resolveCoderControlPlaneArgs,
  coderdNetworkPolicies,
  workspaceAdmissionPolicySpec,
} from "@hardened-coder/kubernetes";
import {
  BOOTSTRAP_DEADLINE_SECONDS,
  bootstrapJob,
  bootstrapStatements,
  CLOUD_SQL_PROXY_IMAGE,
  cloudSqlDatabaseFlags,
  cloudSqlProxySidecar,
  clusterApis,
  CoderDatabase,
  HardenedCluster,
  type HardenedClusterCoderArgs,
  iamProxyConnectionUrl,
  POSTGRES_CLIENT_IMAGE,
  resolveCoderDatabaseArgs,
  resolveHardenedClusterArgs,
} from "@hardened-coder/gcp";
import { admit } from "./harness/cel";
import {
  at,
  isSecretAt,
  one,
  ofType,
  plainStrings,
  type RecordedResource,
  synth,
  type SynthResult,
  valueOf,
} from "./harness/engine";
import { checkPodSecurity } from "./harness/pod-security";
import { validateAllKubernetesObjects } from "./harness/validate";

const T = {
  instance: "gcp:sql/databaseInstance:DatabaseInstance",
  database: "gcp:sql/database:Database",
  user: "gcp:sql/user:User",
  address: "gcp:compute/globalAddress:GlobalAddress",
  connection: "gcp:servicenetworking/connection:Connection",
  keyMember: "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
  projectMember: "gcp:projects/iAMMember:IAMMember",
  saMember: "gcp:serviceaccount/iAMMember:IAMMember",
  sa: "gcp:serviceaccount/account:Account",
  identity: "gcp:projects/serviceIdentity:ServiceIdentity",
  api: "gcp:projects/service:Service",
  chart: "kubernetes:helm.sh/v4:Chart",
  job: "kubernetes:batch/v1:Job",
  secret: "kubernetes:core/v1:Secret",
  service: "kubernetes:core/v1:Service",
  policy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  namespace: "kubernetes:core/v1:Namespace",
  serviceAccount: "kubernetes:core/v1:ServiceAccount",
  roleBinding: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
} as const;

const PROJECT = "example-project";
const KEY = "projects/p/locations/europe-west1/keyRings/r/cryptoKeys/k";
const oidcSecret = "oidc-client-secret-value";
const githubSecret = "github-client-secret-value";

const coder: HardenedClusterCoderArgs = {
  accessUrl: "https://coder.example.com",
  tls: { secretName: "coder-tls" },
  oidc: {
    issuerUrl: "https://idp.example.com",
    clientId: "coder",
    clientSecret: pulumi.secret(oidcSecret),
    emailDomains: ["example.com"],
  },
  externalAuth: [{ id: "github", type: "github", clientId: "gh-app", clientSecret: pulumi.secret(githubSecret) }],
};

const restrictedContainer = {
  name: "x",
  image: "registry.example.com/x:1.0.0",
  securityContext: {
    allowPrivilegeEscalation: false as const,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" as const },
  },
};
const ccpBase = {
  accessUrl: "https://coder.example.com",
  tls: { secretName: "coder-tls" },
  database: { connectionUrl: "postgres://u@127.0.0.1:5432/coder?sslmode=disable" },
  oidc: { issuerUrl: "https://idp.example.com", clientId: "coder", clientSecret: "s", emailDomains: ["example.com"] },
};

describe("gcp coder: pure parts", () => {
  it("Cloud SQL defaults: POSTGRES_17, regional, 14 daily backups, 7 days PITR, deletion protection", () => {
    const c = resolveCoderDatabaseArgs({ network: "n", region: "europe-west1", kmsKeyId: KEY }, "coder");
    assert.equal(c.databaseVersion, "POSTGRES_17");
    assert.equal(c.availability, "REGIONAL");
    assert.equal(c.backupRetentionDays, 14);
    assert.equal(c.pointInTimeRecoveryDays, 7);
    assert.equal(c.deletionProtection, true);
    assert.equal(c.edition, "ENTERPRISE");
    assert.deepEqual(c.serviceAccountIds, { coderd: "coder-coderd", bootstrap: "coder-db-init" });
    assert.deepEqual(c.coderd, { namespace: "coderd", serviceAccountName: "coder" });
    assert.equal(c.privateServices.cidr, "10.240.0.0/20");
  });

  it("refuses a public database range, backups of 0 days and other bad input, naming the field", () => {
    const base = { network: "n", region: "europe-west1", kmsKeyId: KEY };
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ privateServicesCidr: "8.8.0.0/16" }, /^Error: privateServicesCidr: 8\.8\.0\.0\/16 is not a private/],
      [{ privateServicesCidr: "10.240.0.0/28" }, /^Error: privateServicesCidr: .* \/24 to \/8/],
      [{ backupRetentionDays: 0 }, /^Error: backupRetentionDays: 0 is out of range/],
      [{ pointInTimeRecoveryDays: 0 }, /^Error: pointInTimeRecoveryDays: 0/],
      [{ databaseVersion: "POSTGRES_15" }, /^Error: databaseVersion: "POSTGRES_15"/],
      [{ tier: "db-f1-micro" }, /^Error: tier: "db-f1-micro"/],
      [{ availability: "MULTI" }, /^Error: availability/],
      [{ bootstrap: { namespace: "coderd" } }, /^Error: bootstrap\.namespace: "coderd" is coderd's namespace/],
      [{ databaseName: "Coder-DB" }, /^Error: databaseName/],
      // Cloud SQL takes a CMEK only from the instance's own region.
      [
        { kmsKeyId: "projects/p/locations/us-central1/keyRings/r/cryptoKeys/k" },
        /^Error: kmsKeyId: .* is in us-central1, but region is europe-west1/,
      ],
      [{ kmsKeyId: "k" }, /^Error: kmsKeyId: "k" is not a Cloud KMS key id/],
    ];
    for (const [extra, re] of bad) {
      assert.throws(() => resolveCoderDatabaseArgs({ ...base, ...extra }, "coder"), re);
    }
  });

  it("HardenedCluster({ coder }) refuses bad coder input before registering, naming the field under coder", () => {
    const bad: [HardenedClusterCoderArgs, RegExp][] = [
      [
        { ...coder, exposure: { type: "PublicLoadBalancer", allowedSourceRanges: [] } },
        /^Error: coder\.exposure\.allowedSourceRanges/,
      ],
      [{ ...coder, database: { backupRetentionDays: 0 } }, /^Error: coder\.database\.backupRetentionDays: 0/],
      [{ ...coder, database: { privateServicesCidr: "8.8.8.0/24" } }, /^Error: coder\.database\.privateServicesCidr/],
      [{ ...coder, accessUrl: "http://coder.example.com" }, /^Error: coder\.accessUrl/],
      [{ ...coder, namespace: "coder" }, /^Error: coder\.namespace: "coder" is also the workspace namespace/],
    ];
    for (const [c, re] of bad) assert.throws(() => resolveHardenedClusterArgs({ coder: c }, "coder"), re);
    assert.throws(
      () =>
        resolveHardenedClusterArgs({ coder: { ...coder, database: { privateServicesCidr: "10.64.0.0/20" } } }, "coder"),
      /privateServicesCidr: 10\.64\.0\.0\/20 overlaps capacity\.podCidr/,
    );
    const c = resolveHardenedClusterArgs({ coder }, "coder");
    assert.deepEqual(c.coder!.exposure, {
      type: "InternalLoadBalancer",
      annotations: { "networking.gke.io/load-balancer-type": "Internal" },
    });
    assert.equal(c.network.privateServicesCidr, "10.240.0.0/20");
    assert.ok(c.apis.includes("sqladmin.googleapis.com"));
    assert.equal(resolveHardenedClusterArgs({}, "coder").coder, undefined);
    assert.deepEqual(resolveHardenedClusterArgs({}, "coder").apis, [...clusterApis]);
  });

  it("the Auth Proxy sidecar: pinned, native (restartPolicy Always), private IP, IAM login, restricted, loopback only", () => {
    const s = cloudSqlProxySidecar({ connectionName: `${PROJECT}:europe-west1:db` });
    assert.equal(s.restartPolicy, "Always");
    assert.match(s.image, /^gcr\.io\/cloud-sql-connectors\/cloud-sql-proxy:\d+\.\d+\.\d+$/);
    for (const a of ["--private-ip", "--auto-iam-authn", "--address=127.0.0.1", `${PROJECT}:europe-west1:db`]) {
      assert.ok(s.args!.includes(a), a);
    }
    const violations = checkPodSecurity(
      { securityContext: { runAsNonRoot: true }, initContainers: [s], containers: [restrictedContainer] },
      "restricted",
    );
    assert.deepEqual(violations, []);
    assert.throws(() => cloudSqlProxySidecar({ connectionName: "db" }), /^Error: connectionName/);
  });

  it("coderd's URL names the IAM user, no password, the proxy on 127.0.0.1; CoderControlPlane accepts it", () => {
    const url = iamProxyConnectionUrl(`coder-coderd@${PROJECT}.iam`, "coder");
    assert.equal(url, `postgres://coder-coderd%40${PROJECT}.iam@127.0.0.1:5432/coder?sslmode=disable`);
    const parsed = new URL(url);
    assert.equal(parsed.password, "");
    assert.equal(parsed.hostname, "127.0.0.1");
    assert.equal(checkDatabaseUrl(url), url);
  });

  it("the bootstrap grants coderd's user the database and public schema, idempotently, with pgAudit", () => {
    assert.deepEqual(bootstrapStatements({ database: "coder", coderdUser: 'a"b@p.iam' }), [
      'GRANT ALL PRIVILEGES ON DATABASE "coder" TO "a""b@p.iam"',
      'GRANT ALL ON SCHEMA public TO "a""b@p.iam"',
      "CREATE EXTENSION IF NOT EXISTS pgaudit",
      "ALTER DATABASE \"coder\" SET pgaudit.log = 'ddl, role'",
    ]);
  });

  it("CoderControlPlane's extraInitContainers are checked against restricted, naming the field", () => {
    const bad = { ...restrictedContainer, securityContext: { ...restrictedContainer.securityContext } };
    const cases: [unknown, RegExp][] = [
      [
        { ...bad, securityContext: { ...bad.securityContext, allowPrivilegeEscalation: true } },
        /extraInitContainers\[0\]\.securityContext\.allowPrivilegeEscalation: must be false/,
      ],
      [
        { ...bad, securityContext: { ...bad.securityContext, capabilities: { drop: [] } } },
        /extraInitContainers\[0\]\.securityContext\.capabilities\.drop/,
      ],
      [{ ...bad, name: "coder" }, /extraInitContainers\[0\]\.name: "coder" is already/],
      [{ ...bad, restartPolicy: "OnFailure" }, /extraInitContainers\[0\]\.restartPolicy/],
      [{ ...bad, env: [{ name: "DB_PASSWORD", value: "x" }] }, /extraInitContainers\[0\]\.env/],
    ];
    for (const [c, re] of cases) {
      assert.throws(() => resolveCoderControlPlaneArgs({ ...ccpBase, extraInitContainers: [c] } as never), re);
    }
    const ok = resolveCoderControlPlaneArgs({ ...ccpBase, extraInitContainers: [restrictedContainer] });
    assert.equal(ok.extraInitContainers.length, 1);
  });

  it("coderd reaches the GKE metadata server only with gkeMetadataServer, and then only 169.254.169.254:80", () => {
    const egressTo = (gke: boolean) =>
      coderdNetworkPolicies(resolveCoderControlPlaneArgs({ ...ccpBase, gkeMetadataServer: gke }))
        .flatMap((p) => (p.spec.egress ?? []).map((e) => ({ to: e.to, ports: e.ports })))
        .filter((e) => e.to.some((t) => t.ipBlock?.cidr.startsWith("169.254.")));
    assert.deepEqual(egressTo(false), []);
    assert.deepEqual(egressTo(true), [
      { to: [{ ipBlock: { cidr: "169.254.169.254/32" } }], ports: [{ protocol: "TCP", port: 80 }] },
    ]);
  });
});

describe("gcp coder: CoderDatabase alone", () => {
  it("pulumi up waits for the bootstrap Job longer than the Job's own deadline", async () => {
    const timeouts = new Map<string, { create: string; update: string }>();
    await synth(() => {
      // Record each registration's customTimeouts, which the harness does not keep.
      type Req = { getName(): string; getCustomtimeouts(): { getCreate(): string; getUpdate(): string } | undefined };
      const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource(req: Req, cb: unknown): void };
      const original = monitor.registerResource.bind(monitor);
      monitor.registerResource = (req, cb) => {
        const t = req.getCustomtimeouts();
        if (t) timeouts.set(req.getName(), { create: t.getCreate(), update: t.getUpdate() });
        original(req, cb);
      };
      return new CoderDatabase("coder", {
        network: "projects/p/global/networks/n",
        region: "europe-west1",
        kmsKeyId: KEY,
      });
    });
    const minutes = (d: string | undefined) => Number(/^(\d+)m$/.exec(d ?? "")?.[1] ?? NaN);
    const job = timeouts.get("coder-db-init");
    for (const phase of ["create", "update"] as const) {
      assert.ok(minutes(job?.[phase]) * 60 > BOOTSTRAP_DEADLINE_SECONDS, `${phase}: ${job?.[phase]}`);
    }
  });
});

describe("gcp coder: HardenedCluster('coder', { coder }) under mocks", () => {
  let run: SynthResult<HardenedCluster>;
  let rs: RecordedResource[];
  let instance: RecordedResource;
  let keyId: string;
  let coderdEmail: string;
  let values: CoderChartValues;

  before(async () => {
    run = await synth(() => new HardenedCluster("coder", { coder }));
    rs = run.resources;
    instance = one(rs, T.instance);
    keyId = await valueOf(run.result.kmsKeyId);
    coderdEmail = await valueOf(run.result.database!.serviceAccountEmail);
    values = await valueOf(run.result.coderd!.values);
  });

  it("synthesises with no failure inside apply", () => {
    assert.deepEqual(run.applyFailures, []);
  });

  describe("Cloud SQL (item 3)", () => {
    it("PostgreSQL 17, private IP only on the cluster VPC, no authorized networks, trusted client certificates required", () => {
      assert.equal(instance.inputs.databaseVersion, "POSTGRES_17");
      const ip = at(instance.inputs, "settings.ipConfiguration") as Record<string, unknown>;
      assert.equal(ip.ipv4Enabled, false);
      assert.equal(ip.privateNetwork, one(rs, "gcp:container/cluster:Cluster").inputs.network, "the cluster's VPC");
      assert.deepEqual(ip.authorizedNetworks, []);
      assert.equal(ip.sslMode, "TRUSTED_CLIENT_CERTIFICATE_REQUIRED");
      assert.equal(at(instance.inputs, "settings.connectorEnforcement"), "REQUIRED");
    });

    it("private services access: a VPC_PEERING range on the cluster network and the service networking connection, before the instance", () => {
      const range = one(rs, T.address);
      assert.equal(range.inputs.purpose, "VPC_PEERING");
      assert.equal(range.inputs.addressType, "INTERNAL");
      assert.equal(range.inputs.address, "10.240.0.0");
      assert.equal(range.inputs.prefixLength, 20);
      const conn = one(rs, T.connection);
      assert.equal(conn.inputs.service, "servicenetworking.googleapis.com");
      assert.deepEqual(conn.inputs.reservedPeeringRanges, [range.state.name]);
      assert.equal(conn.inputs.network, range.inputs.network);
      assert.ok(instance.dependencies.includes(conn.urn));
      assert.equal(at(instance.inputs, "settings.ipConfiguration.allocatedIpRange"), range.state.name);
    });

    it("encrypted with the stack's Cloud KMS key; the Cloud SQL service agent holds it first", () => {
      assert.equal(instance.inputs.encryptionKeyName, keyId);
      const agent = ofType(rs, T.identity).find((i) => i.inputs.service === "sqladmin.googleapis.com")!;
      const grant = ofType(rs, T.keyMember).find((m) => m.inputs.member === agent.state.member)!;
      assert.equal(grant.inputs.cryptoKeyId, keyId);
      assert.equal(grant.inputs.role, "roles/cloudkms.cryptoKeyEncrypterDecrypter");
      assert.ok(instance.dependencies.includes(grant.urn));
    });

    it("regional, with backups and point-in-time recovery", () => {
      assert.equal(at(instance.inputs, "settings.availabilityType"), "REGIONAL");
      const b = at(instance.inputs, "settings.backupConfiguration") as Record<string, unknown>;
      assert.equal(b.enabled, true);
      assert.equal(b.pointInTimeRecoveryEnabled, true);
      assert.equal(b.transactionLogRetentionDays, 7);
      assert.deepEqual(b.backupRetentionSettings, { retainedBackups: 14, retentionUnit: "COUNT" });
    });

    it("deletion protection, both the provider flag and deletionProtectionEnabled", () => {
      assert.equal(instance.inputs.deletionProtection, true);
      assert.equal(at(instance.inputs, "settings.deletionProtectionEnabled"), true);
    });

    it("the audit flags are on, log_statement ddl, log_min_error_statement error, no log_*_stats on", () => {
      const flags = Object.fromEntries(
        (at(instance.inputs, "settings.databaseFlags") as { name: string; value: string }[]).map((f) => [
          f.name,
          f.value,
        ]),
      );
      for (const f of [
        "log_checkpoints",
        "log_connections",
        "log_disconnections",
        "log_lock_waits",
        "log_hostname",
        "log_duration",
        "cloudsql.enable_pgaudit",
      ]) {
        assert.equal(flags[f], "on", f);
      }
      assert.equal(flags.log_min_error_statement, "error");
      assert.equal(flags.log_statement, "ddl");
      for (const [k, v] of Object.entries(flags)) if (/^log_.*_stats$/.test(k)) assert.notEqual(v, "on", k);
      assert.equal(Object.keys(flags).length, cloudSqlDatabaseFlags.length);
    });

    it("a `coder` database that the stack never drops", () => {
      const db = one(rs, T.database);
      assert.equal(db.inputs.name, "coder");
      assert.equal(db.inputs.deletionPolicy, "ABANDON");
    });
  });

  describe("password-less coderd (item 4)", () => {
    it("coderd's Google service account holds only cloudsql.client and cloudsql.instanceUser, narrowed to this instance", () => {
      const grants = ofType(rs, T.projectMember).filter((m) => m.inputs.member === `serviceAccount:${coderdEmail}`);
      assert.deepEqual(grants.map((g) => g.inputs.role).sort(), [
        "roles/cloudsql.client",
        "roles/cloudsql.instanceUser",
      ]);
      for (const g of grants) {
        const expr = at(g.inputs, "condition.expression") as string;
        assert.match(
          expr,
          new RegExp(`resource\\.name == "projects/${PROJECT}/instances/${instance.state.name as string}"`),
        );
      }
      assert.equal(
        ofType(rs, T.keyMember).filter((m) => m.inputs.member === `serviceAccount:${coderdEmail}`).length,
        0,
      );
    });

    it("Workload Identity maps coderd's ServiceAccount (coderd/coder) to it, on the service account itself", () => {
      const wi = ofType(rs, T.saMember).filter((m) => String(m.inputs.serviceAccountId).endsWith(coderdEmail));
      assert.equal(wi.length, 1);
      assert.equal(wi[0]!.inputs.role, "roles/iam.workloadIdentityUser");
      assert.equal(wi[0]!.inputs.member, `serviceAccount:${PROJECT}.svc.id.goog[coderd/coder]`);
      assert.deepEqual(values.coder.serviceAccount.annotations, { "iam.gke.io/gcp-service-account": coderdEmail });
      assert.equal(values.coder.serviceAccount.name, "coder");
    });

    it("an IAM database user named after the service account, without a password, on an instance with IAM login on", () => {
      // Cloud SQL refuses CLOUD_IAM_* users (and the proxy's IAM login) unless this flag is on.
      const flags = at(instance.inputs, "settings.databaseFlags") as { name: string; value: string }[];
      assert.deepEqual(
        flags.filter((f) => f.name === "cloudsql.iam_authentication"),
        [{ name: "cloudsql.iam_authentication", value: "on" }],
      );
      const users = ofType(rs, T.user);
      const u = users.find((x) => x.inputs.name === coderdEmail.replace(/\.gserviceaccount\.com$/, ""))!;
      assert.equal(u.inputs.type, "CLOUD_IAM_SERVICE_ACCOUNT");
      assert.equal(u.inputs.password, undefined);
      assert.equal(u.inputs.databaseRoles, undefined);
      for (const x of users) assert.equal(x.inputs.password, undefined);
    });

    it("coderd's pod runs the pinned Auth Proxy as a native sidecar with --private-ip --auto-iam-authn", () => {
      const sidecars = values.coder.initContainers ?? [];
      assert.equal(sidecars.length, 1);
      const s = sidecars[0]!;
      assert.equal(s.image, CLOUD_SQL_PROXY_IMAGE);
      assert.equal(s.restartPolicy, "Always");
      assert.ok(s.args!.includes("--private-ip") && s.args!.includes("--auto-iam-authn"));
      assert.ok(s.args!.includes(`${PROJECT}:europe-west1:${instance.state.name as string}`));
      const pod = {
        securityContext: values.coder.podSecurityContext,
        initContainers: sidecars,
        containers: [{ name: "coder", securityContext: values.coder.securityContext }],
      };
      assert.deepEqual(checkPodSecurity(pod, "restricted"), []);
    });

    it("coderd's configuration holds no database password: the URL (by secretKeyRef) names the IAM user on 127.0.0.1", async () => {
      const env = values.coder.env;
      const pg = env.find((e) => e.name === "CODER_PG_CONNECTION_URL")!;
      assert.ok("valueFrom" in pg);
      const secret = ofType(rs, T.secret).find((s) => at(s.inputs, "metadata.name") === "coder-db-url")!;
      const url = new URL(at(secret.inputs, "stringData.url") as string);
      assert.equal(url.hostname, "127.0.0.1");
      assert.equal(url.password, "");
      assert.equal(decodeURIComponent(url.username), coderdEmail.replace(/\.gserviceaccount\.com$/, ""));
      assert.equal(await valueOf(run.result.database!.connectionUrl), url.toString());
    });

    it("the bootstrap Job: own restricted namespace and identity, pinned images, bounded retries, waits for users and bindings", () => {
      const job = one(rs, T.job);
      assert.equal(at(job.inputs, "metadata.namespace"), "coder-db-init");
      const ns = ofType(rs, T.namespace).find((n) => at(n.inputs, "metadata.name") === "coder-db-init")!;
      assert.equal(
        (at(ns.inputs, "metadata.labels") as Record<string, string>)["pod-security.kubernetes.io/enforce"],
        "restricted",
      );
      const podSpec = at(job.inputs, "spec.template.spec") as Record<string, unknown>;
      assert.deepEqual(checkPodSecurity(podSpec, "restricted"), []);
      assert.equal(podSpec.automountServiceAccountToken, false);
      const images = [
        ...(podSpec.initContainers as { image: string }[]),
        ...(podSpec.containers as { image: string }[]),
      ].map((c) => c.image);
      assert.deepEqual(images, [CLOUD_SQL_PROXY_IMAGE, POSTGRES_CLIENT_IMAGE]);
      for (const i of images) assert.match(i, /:\d+\.\d+(\.\d+)?(-alpine)?$/, `${i} is pinned to a version`);
      assert.ok((at(job.inputs, "spec.backoffLimit") as number) <= 6);
      assert.ok((at(job.inputs, "spec.activeDeadlineSeconds") as number) > 0);
      const ksa = ofType(rs, T.serviceAccount).find(
        (s) => at(s.inputs, "metadata.name") === podSpec.serviceAccountName,
      )!;
      const initEmail = (at(ksa.inputs, "metadata.annotations") as Record<string, string>)[
        "iam.gke.io/gcp-service-account"
      ];
      assert.notEqual(initEmail, coderdEmail);
      const initUser = ofType(rs, T.user).find(
        (u) => u.inputs.name === initEmail!.replace(/\.gserviceaccount\.com$/, ""),
      )!;
      assert.deepEqual(initUser.inputs.databaseRoles, ["cloudsqlsuperuser"]);
      const initBinding = ofType(rs, T.saMember).find((m) =>
        String(m.inputs.member).endsWith("[coder-db-init/db-init]"),
      )!;
      for (const dep of [...ofType(rs, T.user), initBinding, one(rs, T.database)]) {
        assert.ok(job.dependencies.includes(dep.urn), `Job waits for ${dep.name}`);
      }
      const args = (podSpec.containers as { args: string[] }[])[0]!.args;
      for (const s of bootstrapStatements({
        database: "coder",
        coderdUser: coderdEmail.replace(/\.gserviceaccount\.com$/, ""),
      })) {
        assert.ok(args.includes(s), s);
      }
    });

    it("coderd's chart waits for the bootstrap grant: the database URL Secret depends on the Job", () => {
      const job = one(rs, T.job);
      const secret = ofType(rs, T.secret).find((s) => at(s.inputs, "metadata.name") === "coder-db-url")!;
      assert.ok(secret.dependencies.includes(job.urn), "the URL Secret waits for the Job");
      const chart = one(rs, T.chart);
      assert.ok(chart.dependencies.includes(secret.urn), "the chart waits for the URL Secret");
    });

    it("the bootstrap Job passes the admission policy when its two images are approved, and fails it otherwise", () => {
      const job = one(rs, T.job);
      const object = { apiVersion: "batch/v1", kind: "Job", metadata: job.inputs.metadata, spec: job.inputs.spec };
      const approved = workspaceAdmissionPolicySpec({
        approvedImages: ["gcr.io/cloud-sql-connectors/cloud-sql-proxy:", "docker.io/library/postgres:"],
        requireDigest: false,
      });
      const verdict = admit(approved, { object });
      assert.ok(verdict.allowed, JSON.stringify(verdict.denials));
      const other = workspaceAdmissionPolicySpec({
        approvedImages: ["europe-west1-docker.pkg.dev/example-project/workspaces/"],
        requireDigest: false,
      });
      assert.equal(admit(other, { object }).allowed, false);
      const pure = bootstrapJob({
        namespace: "coder-db-init",
        name: "coder-db-init",
        serviceAccountName: "db-init",
        connectionName: `${PROJECT}:europe-west1:db`,
        bootstrapUser: "b@p.iam",
        coderdUser: "c@p.iam",
        database: "coder",
      });
      assert.equal(at(pure.spec, "template.spec.restartPolicy"), "Never");
    });

    it("the bootstrap namespace denies by default and allows only DNS, the metadata server, the database range and 443", () => {
      const policies = ofType(rs, T.policy).filter((p) => at(p.inputs, "metadata.namespace") === "coder-db-init");
      assert.equal(policies.length, 2);
      const egress = policies.flatMap(
        (p) => (at(p.inputs, "spec.egress") as { to: unknown[]; ports: { port: number }[] }[]) ?? [],
      );
      assert.deepEqual(
        egress.map((e) => e.ports.map((p) => p.port)),
        [[53, 53], [80], [3307], [443]],
      );
      assert.ok(JSON.stringify(egress).includes('"cidr":"10.240.0.0/20"'));
    });
  });

  describe("HardenedCluster({ coder }) (item 5)", () => {
    it("coderd sits on a GKE internal load balancer", () => {
      const svc = one(rs, T.service);
      assert.equal(at(svc.inputs, "spec.type"), "LoadBalancer");
      assert.equal(
        (at(svc.inputs, "metadata.annotations") as Record<string, string>)["networking.gke.io/load-balancer-type"],
        "Internal",
      );
      assert.equal(at(svc.inputs, "spec.loadBalancerSourceRanges"), undefined);
    });

    it("coderd's egress reaches the database range on the proxy port and the control plane's /28 on 443", () => {
      const egress = ofType(rs, T.policy)
        .filter((p) => at(p.inputs, "metadata.namespace") === "coderd")
        .flatMap(
          (p) =>
            (at(p.inputs, "spec.egress") as { to: { ipBlock?: { cidr: string } }[]; ports: { port: number }[] }[]) ??
            [],
        );
      const rule = (cidr: string) => egress.find((e) => e.to.some((t) => t.ipBlock?.cidr === cidr));
      assert.deepEqual(
        rule("10.240.0.0/20")!.ports.map((p) => p.port),
        [3307],
      );
      assert.deepEqual(
        rule("172.16.0.0/28")!.ports.map((p) => p.port),
        [443],
      );
      assert.deepEqual(
        rule("169.254.169.254/32")!.ports.map((p) => p.port),
        [80],
      );
    });

    it("the workspace namespace is bound to coderd's ServiceAccount and admits its agents to coderd", () => {
      const rb = ofType(rs, T.roleBinding).find((r) => at(r.inputs, "metadata.namespace") === "coder")!;
      assert.deepEqual(at(rb.inputs, "subjects"), [{ kind: "ServiceAccount", name: "coder", namespace: "coderd" }]);
      const ws = ofType(rs, T.namespace).find((n) => at(n.inputs, "metadata.name") === "coder")!;
      assert.equal((at(ws.inputs, "metadata.labels") as Record<string, string>)["hardened-coder/workspaces"], "true");
      assert.ok(
        ofType(rs, T.policy).some(
          (p) => at(p.inputs, "metadata.namespace") === "coder" && JSON.stringify(p.inputs).includes("coderd"),
        ),
      );
    });

    it("exposes coderd and database, enables the Cloud SQL APIs, and keeps the OIDC and Git secrets out of plain text", async () => {
      assert.equal(await valueOf(run.result.coderd!.accessUrl), "https://coder.example.com");
      assert.ok(run.result.database);
      const apis = ofType(rs, T.api).map((a) => a.inputs.service);
      assert.ok(apis.includes("sqladmin.googleapis.com") && apis.includes("servicenetworking.googleapis.com"));
      // Workload Identity tokens for coderd's Google service account come through this API.
      assert.ok(apis.includes("iamcredentials.googleapis.com"));
      for (const r of rs) {
        const plain = plainStrings(r.rawInputs);
        assert.ok(!plain.includes(oidcSecret) && !plain.includes(githubSecret), `${r.type} ${r.name}`);
      }
      const oidc = ofType(rs, T.secret).find((s) => at(s.inputs, "metadata.name") === "coder-oidc")!;
      assert.ok(isSecretAt(oidc.rawInputs, "stringData.client-secret"));
    });

    it("every Kubernetes object is schema-valid", async () => {
      const n = await validateAllKubernetesObjects(rs);
      assert.ok(n >= 20, `validated ${n}`);
    });

    it("the report lists the database controls under the relevant ids", () => {
      const report = complianceReport(rs, { stackName: "gcp-coder" });
      for (const id of ["storage-encryption", "network-tls-upstream"] as const) {
        const entry = report.entries.find((e) => e.id === id)!;
        assert.ok(
          entry.evidence.some((e) => e.component === componentTokens.gcpCoderDatabase),
          `${id} cites CoderDatabase`,
        );
      }
      assert.ok(
        report.entries
          .find((e) => e.id === "auth-provider-settings")!
          .evidence.some((e) => e.component === componentTokens.coderControlPlane),
      );
    });
  });

  describe("without coder, the {} stack is unchanged", () => {
    it("creates nothing of coderd: no database, chart, Job or Cloud SQL API", async () => {
      const plain = await synth(() => new HardenedCluster("coder", {}));
      const types = new Set(plain.resources.map((r) => r.type));
      for (const t of [
        T.instance,
        T.chart,
        T.job,
        T.address,
        T.connection,
        T.user,
        "hardened-coder:gcp:CoderDatabase",
      ]) {
        assert.ok(!types.has(t), t);
      }
      assert.deepEqual(
        ofType(plain.resources, T.api).map((a) => a.inputs.service),
        [...clusterApis],
      );
      assert.equal(plain.result.coderd, undefined);
      assert.equal(plain.result.database, undefined);
      // Adding coder only adds: the one exception is the ServiceAccount CoderNamespace makes for a
      // coderd it is not given (with coder, coderd's own account is bound instead).
      const withCoder = new Set(rs.map((r) => `${r.type}::${r.name}`));
      const missing = plain.resources.filter((r) => !withCoder.has(`${r.type}::${r.name}`)).map((r) => r.name);
      assert.deepEqual(missing, ["coder-coderd-sa"]);
      for (const t of [
        "gcp:container/cluster:Cluster",
        "gcp:compute/subnetwork:Subnetwork",
        "gcp:container/nodePool:NodePool",
      ]) {
        assert.deepEqual(one(plain.resources, t).inputs, one(rs, t).inputs, t);
      }
    });
  });
});
