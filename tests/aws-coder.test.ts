/**
 * HardenedCluster({ coder }) on AWS under the mock engine: the RDS database and its every setting,
 * coderd wired password-less (CODER_PG_AUTH=awsiamrds, rds-db:connect through EKS Pod Identity), the
 * bootstrap Job, the internal NLB and the NetworkPolicies that let the pieces meet. One synth of the
 * design's snippet is shared by the assertions.
 */
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import {
  complianceReport,
  resolveWorkspaceAdmissionPolicyArgs,
  workspaceAdmissionPolicySpec,
} from "@hardened-coder/kubernetes";
import {
  CoderDatabase,
  HardenedCluster,
  awsInternalLoadBalancerAnnotations,
  bootstrapSql,
  defaultBootstrapImages,
  defaultPostgresVersion,
  keyPolicy,
  planNetwork,
  podIdentityTrustPolicy,
  resolveCoderDatabaseArgs,
  type PolicyDocument,
} from "@hardened-coder/aws";
import { type RecordedResource, at, isSecretAt, ofType, one, plainStrings, synth, valueOf } from "./harness/engine";
import { admit } from "./harness/cel";
import { validateAllKubernetesObjects, validateKubernetesObject } from "./harness/validate";

const ACCOUNT = "123456789012";
const KEY_ARN = `arn:aws:kms:us-west-2:${ACCOUNT}:key/coder-key-mock`;
const MASTER_SECRET = `arn:aws:secretsmanager:us-west-2:${ACCOUNT}:secret:rds-mock`;
const T = {
  rds: "aws:rds/instance:Instance",
  paramGroup: "aws:rds/parameterGroup:ParameterGroup",
  subnetGroup: "aws:rds/subnetGroup:SubnetGroup",
  sg: "aws:ec2/securityGroup:SecurityGroup",
  sgIngress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  role: "aws:iam/role:Role",
  attachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  inline: "aws:iam/rolePolicy:RolePolicy",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  podIdentity: "aws:eks/podIdentityAssociation:PodIdentityAssociation",
  subnet: "aws:ec2/subnet:Subnet",
  job: "kubernetes:batch/v1:Job",
  netpol: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  service: "kubernetes:core/v1:Service",
  secret: "kubernetes:core/v1:Secret",
  roleBinding: "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
  key: "aws:kms/key:Key",
} as const;

const certPem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const keyPem = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";

async function validateAll(resources: readonly RecordedResource[]): Promise<number> {
  const patches = resources.filter((r) => r.custom && /^kubernetes:.*Patch$/.test(r.type));
  const n = await validateAllKubernetesObjects(resources.filter((r) => !patches.includes(r)));
  for (const p of patches) await validateKubernetesObject(p.type.replace(/Patch$/, ""), p.inputs, p.name);
  return n + patches.length;
}

function roleNamed(rs: readonly RecordedResource[], name: string): RecordedResource {
  return rs.find((r) => r.type === T.role && r.name === name)!;
}
function inline(rs: readonly RecordedResource[], role: RecordedResource): PolicyDocument[] {
  return ofType(rs, T.inline)
    .filter((p) => p.inputs.role === role.state.name)
    .map((p) => JSON.parse(String(p.inputs.policy)) as PolicyDocument);
}
function attached(rs: readonly RecordedResource[], role: RecordedResource): string[] {
  return ofType(rs, T.attachment)
    .filter((a) => a.inputs.role === role.state.name)
    .map((a) => String(a.inputs.policyArn));
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}

describe("aws: HardenedCluster({ coder }) under the mock engine", () => {
  let rs: RecordedResource[];
  let values: Record<string, unknown>;
  let outputs: { coderd: boolean; database: boolean; accessUrl: string; address: string };
  const plan = planNetwork({ capacity: { maxPodsPerNode: 58 }, internalLoadBalancerSubnets: true });

  before(async () => {
    const run = await synth(async () => {
      // The design's snippet.
      const cluster = new HardenedCluster("coder", {
        coder: {
          accessUrl: "https://coder.example.com",
          tls: { certificate: certPem, privateKey: pulumi.secret(keyPem) },
          oidc: {
            issuerUrl: "https://idp.example.com",
            clientId: "coder",
            clientSecret: pulumi.secret("oidc-secret"),
            emailDomains: ["example.com"],
          },
          externalAuth: [{ id: "github", type: "github", clientId: "gh", clientSecret: pulumi.secret("gh-secret") }],
        },
      });
      values = (await valueOf(cluster.coderd!.values)) as unknown as Record<string, unknown>;
      outputs = {
        coderd: cluster.coderd !== undefined,
        database: cluster.database !== undefined,
        accessUrl: await valueOf(cluster.coderd!.accessUrl),
        address: await valueOf(cluster.database!.address),
      };
    });
    rs = run.resources;
  });

  it("adds coderd and its database as outputs", () => {
    assert.deepEqual(outputs, {
      coderd: true,
      database: true,
      accessUrl: "https://coder.example.com",
      address: "coder-db-mock.abc.us-west-2.rds.amazonaws.com",
    });
    assert.equal(ofType(rs, "hardened-coder:aws:CoderDatabase").length, 1);
    assert.equal(ofType(rs, "hardened-coder:kubernetes:CoderControlPlane").length, 1);
  });

  describe("RDS", () => {
    it("PostgreSQL at a current major, pinned major.minor", () => {
      const db = one(rs, T.rds);
      assert.equal(db.inputs.engine, "postgres");
      assert.equal(db.inputs.engineVersion, defaultPostgresVersion);
      assert.match(String(db.inputs.engineVersion), /^17\.\d+$/);
      assert.equal(db.inputs.engineLifecycleSupport, "open-source-rds-extended-support-disabled");
    });

    it("in the cluster VPC's private subnets, never publicly accessible", () => {
      const db = one(rs, T.rds);
      assert.equal(db.inputs.publiclyAccessible, false);
      const group = one(rs, T.subnetGroup);
      assert.deepEqual(group.inputs.subnetIds, ["coder-private-0-id", "coder-private-1-id", "coder-private-2-id"]);
      assert.equal(db.inputs.dbSubnetGroupName, group.state.name);
      assert.equal(db.inputs.parameterGroupName, one(rs, T.paramGroup).state.name);
    });

    it("a security group admitting 5432 from the cluster security group only, and no egress", () => {
      const sg = one(rs, T.sg);
      assert.equal(sg.inputs.ingress, undefined);
      assert.equal(sg.inputs.egress, undefined);
      const rules = ofType(rs, T.sgIngress).filter((r) => r.inputs.securityGroupId === `${sg.name}-id`);
      assert.deepEqual(
        rules.map((r) => [r.inputs.referencedSecurityGroupId, r.inputs.cidrIpv4, r.inputs.fromPort, r.inputs.toPort]),
        [["sg-cluster-mock", undefined, 5432, 5432]],
      );
      assert.deepEqual(one(rs, T.rds).inputs.vpcSecurityGroupIds, [`${sg.name}-id`]);
    });

    it("storage, Performance Insights and the master secret on the stack's KMS key", () => {
      const db = one(rs, T.rds);
      assert.equal(db.inputs.storageEncrypted, true);
      assert.equal(db.inputs.kmsKeyId, KEY_ARN);
      assert.equal(db.inputs.performanceInsightsEnabled, true);
      assert.equal(db.inputs.performanceInsightsKmsKeyId, KEY_ARN);
      assert.equal(db.inputs.manageMasterUserPassword, true);
      assert.equal(db.inputs.masterUserSecretKmsKeyId, KEY_ARN);
      assert.equal(db.inputs.password, undefined, "no master password in state");
      assert.equal(db.inputs.passwordWo, undefined);
    });

    it("Multi-AZ, 14 days of backups, deletion protection and a final snapshot", () => {
      const db = one(rs, T.rds);
      assert.equal(db.inputs.multiAz, true);
      assert.equal(db.inputs.backupRetentionPeriod, 14);
      assert.equal(db.inputs.deletionProtection, true);
      assert.equal(db.inputs.skipFinalSnapshot, false);
      assert.ok(db.inputs.finalSnapshotIdentifier);
      assert.equal(db.inputs.deleteAutomatedBackups, false);
    });

    it("IAM authentication, minor upgrades and copy-tags-to-snapshot set explicitly, the current CA", () => {
      const db = one(rs, T.rds);
      assert.equal(db.inputs.iamDatabaseAuthenticationEnabled, true);
      assert.equal(db.inputs.autoMinorVersionUpgrade, true);
      assert.equal(db.inputs.copyTagsToSnapshot, true);
      assert.equal(db.inputs.caCertIdentifier, "rds-ca-rsa2048-g1");
    });

    it("enhanced monitoring with its own role", () => {
      const db = one(rs, T.rds);
      assert.equal(db.inputs.monitoringInterval, 60);
      const role = roleNamed(rs, "coder-db-monitoring");
      assert.equal(db.inputs.monitoringRoleArn, role.state.arn);
      const trust = JSON.parse(String(role.inputs.assumeRolePolicy)) as PolicyDocument;
      assert.deepEqual(trust.Statement[0]!.Principal, { Service: "monitoring.rds.amazonaws.com" });
      assert.deepEqual(attached(rs, role), ["arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"]);
    });

    it("exports postgresql and upgrade logs into encrypted, retained log groups created first", () => {
      const db = one(rs, T.rds);
      assert.deepEqual(db.inputs.enabledCloudwatchLogsExports, ["postgresql", "upgrade"]);
      for (const t of ["postgresql", "upgrade"]) {
        const group = ofType(rs, T.logGroup).find((g) => g.inputs.name === `/aws/rds/instance/coder-db/${t}`)!;
        assert.equal(group.inputs.kmsKeyId, KEY_ARN);
        assert.equal(group.inputs.retentionInDays, 365);
        assert.ok(db.dependencies.includes(group.urn), `${t} log group before the instance`);
      }
    });

    it("a custom parameter group forcing TLS and logging connections, disconnections and statements", () => {
      const pg = one(rs, T.paramGroup);
      assert.equal(pg.inputs.family, "postgres17");
      const params = Object.fromEntries(
        (pg.inputs.parameters as { name: string; value: string }[]).map((p) => [p.name, p.value]),
      );
      assert.equal(params["rds.force_ssl"], "1");
      assert.equal(params.log_connections, "1");
      assert.equal(params.log_disconnections, "1");
      assert.equal(params.log_statement, "ddl");
      assert.equal(params.log_min_duration_statement, "1000");
      assert.equal(params.ssl_min_protocol_version, "TLSv1.2");
    });

    it("the key policy lets RDS and Secrets Manager use the key and encrypt the database's log groups", () => {
      const doc = JSON.parse(String(one(rs, T.key).inputs.policy)) as PolicyDocument;
      const via = doc.Statement.find((s) => s.Sid === "AccountPrincipalsThroughNamedServicesOnly")!;
      assert.deepEqual(at(via, "Condition.StringEquals")!["kms:ViaService" as never], [
        "rds.us-west-2.amazonaws.com",
        "secretsmanager.us-west-2.amazonaws.com",
      ]);
      const logs = JSON.stringify(doc.Statement.find((s) => s.Sid === "CloudWatchLogsForStackLogGroups"));
      assert.ok(logs.includes("log-group:/aws/rds/instance/coder-db/postgresql"));
    });
  });

  describe("password-less coderd", () => {
    const env = () => at(values, "coder.env") as EnvVar[];

    it("runs with CODER_PG_AUTH=awsiamrds and a URL without a password, verify-full against the RDS CA", () => {
      assert.equal(env().find((e) => e.name === "CODER_PG_AUTH")!.value, "awsiamrds");
      const url = env().find((e) => e.name === "CODER_PG_CONNECTION_URL")!;
      assert.equal(url.value, undefined, "by secretKeyRef only");
      assert.ok(url.valueFrom?.secretKeyRef);
      const dbSecret = ofType(rs, T.secret).find(
        (s) => at(s.inputs, "metadata.name") === url.valueFrom!.secretKeyRef!.name,
      )!;
      assert.equal(
        (dbSecret.inputs.stringData as Record<string, string>).url,
        "postgres://coder@coder-db-mock.abc.us-west-2.rds.amazonaws.com:5432/coder?sslmode=verify-full",
      );
      assert.equal(env().find((e) => e.name === "PGSSLROOTCERT")!.value, "/tmp/rds-ca.pem");
      assert.deepEqual(env().find((e) => e.name === "AWS_REGION")!.valueFrom, {
        secretKeyRef: { name: "coder-aws-region", key: "region" },
      });
      const init = at(values, "coder.initContainers") as { name: string; volumeMounts: { mountPath: string }[] }[];
      assert.equal(init[0]!.name, "fetch-rds-ca");
      assert.deepEqual(init[0]!.volumeMounts, [{ name: "tmp", mountPath: "/tmp" }]);
    });

    it("coderd's configuration and state hold no database password anywhere", () => {
      assert.ok(!JSON.stringify(values).toLowerCase().includes("password="));
      for (const r of rs) {
        for (const s of plainStrings(r.rawInputs)) assert.ok(!/postgres:\/\/[^@/]*:[^@/]*@/.test(s), `${r.name}: ${s}`);
      }
      assert.ok(!ofType(rs, T.rds).some((r) => "password" in r.inputs));
    });

    it("coderd's ServiceAccount gets, through Pod Identity, a role whose only grant is rds-db:connect as coder", () => {
      const assoc = ofType(rs, T.podIdentity).find((a) => a.name === "coder-db-coderd")!;
      assert.equal(assoc.inputs.namespace, "coderd");
      assert.equal(assoc.inputs.serviceAccount, "coder");
      assert.equal(assoc.inputs.clusterName, "coder");
      const role = roleNamed(rs, "coder-db-coderd");
      assert.equal(assoc.inputs.roleArn, role.state.arn);
      assert.deepEqual(
        JSON.parse(String(role.inputs.assumeRolePolicy)),
        podIdentityTrustPolicy({ clusterName: "coder", namespace: "coderd", serviceAccount: "coder" }),
      );
      assert.deepEqual(attached(rs, role), []);
      assert.deepEqual(
        inline(rs, role).flatMap((d) => d.Statement),
        [
          {
            Sid: "ConnectAsCoderUserOnly",
            Effect: "Allow",
            Action: "rds-db:connect",
            Resource: `arn:aws:rds-db:us-west-2:${ACCOUNT}:dbuser:db-MOCKRESOURCEID/coder`,
          },
        ],
      );
    });

    it("binds the workspace namespace to coderd's ServiceAccount", () => {
      const binding = one(rs, T.roleBinding);
      assert.deepEqual(binding.inputs.subjects, [{ kind: "ServiceAccount", name: "coder", namespace: "coderd" }]);
    });
  });

  describe("the bootstrap Job", () => {
    const job = () => one(rs, T.job);
    const pod = () => at(job().inputs, "spec.template.spec") as Record<string, unknown>;

    it("runs in its own restricted namespace with its own ServiceAccount and no API token", () => {
      assert.equal(at(job().inputs, "metadata.namespace"), "coder-db-bootstrap");
      const ns = ofType(rs, "kubernetes:core/v1:Namespace").find(
        (n) => at(n.inputs, "metadata.name") === "coder-db-bootstrap",
      )!;
      assert.equal(
        (at(ns.inputs, "metadata.labels") as Record<string, string>)["pod-security.kubernetes.io/enforce"],
        "restricted",
      );
      assert.equal(pod().serviceAccountName, "coder-db-bootstrap");
      assert.equal(pod().automountServiceAccountToken, false);
      const sa = ofType(rs, "kubernetes:core/v1:ServiceAccount").find(
        (s) => at(s.inputs, "metadata.name") === "coder-db-bootstrap",
      )!;
      assert.equal(sa.inputs.automountServiceAccountToken, false);
    });

    it("meets Pod Security restricted in every container", () => {
      assert.equal(at(pod(), "securityContext.runAsNonRoot"), true);
      assert.equal(at(pod(), "securityContext.seccompProfile.type"), "RuntimeDefault");
      const containers = [
        ...(pod().initContainers as Record<string, unknown>[]),
        ...(pod().containers as Record<string, unknown>[]),
      ];
      assert.equal(containers.length, 2);
      for (const c of containers) {
        assert.equal(at(c, "securityContext.allowPrivilegeEscalation"), false);
        assert.deepEqual(at(c, "securityContext.capabilities.drop"), ["ALL"]);
        assert.equal(at(c, "securityContext.runAsNonRoot"), true);
        assert.equal(at(c, "securityContext.seccompProfile.type"), "RuntimeDefault");
        assert.equal(at(c, "securityContext.readOnlyRootFilesystem"), true);
      }
      assert.deepEqual(pod().volumes, [{ name: "work", emptyDir: { medium: "Memory", sizeLimit: "8Mi" } }]);
    });

    it("uses pinned images and passes the admission policy's every rule when their repositories are approved", () => {
      const images = [
        ...(pod().initContainers as { image: string }[]),
        ...(pod().containers as { image: string }[]),
      ].map((c) => c.image);
      assert.deepEqual(images, [defaultBootstrapImages.awsCli, defaultBootstrapImages.postgres]);
      for (const i of images) assert.match(i, /:[0-9][\w.-]*$|@sha256:/, `${i} is pinned`);
      const approved = images.map((i) => i.slice(0, i.lastIndexOf(":") + 1));
      const spec = workspaceAdmissionPolicySpec(
        resolveWorkspaceAdmissionPolicyArgs({ namespace: "coder-db-bootstrap", approvedImages: approved }, "bootstrap"),
      );
      const verdict = admit(spec, { object: job().inputs });
      assert.ok(verdict.allowed, JSON.stringify(verdict.denials));
      // The same Job with an unapproved image is caught by the policy.
      const other = admit(
        workspaceAdmissionPolicySpec(
          resolveWorkspaceAdmissionPolicyArgs({ namespace: "x", approvedImages: ["registry.example.com/only/"] }, "x"),
        ),
        { object: job().inputs },
      );
      assert.ok(!other.allowed);
    });

    it("bounded retries and a deadline; idempotent SQL that only creates, grants and hands over ownership", () => {
      const spec = job().inputs.spec as { backoffLimit: number; activeDeadlineSeconds: number };
      assert.ok(spec.backoffLimit >= 1 && spec.backoffLimit <= 6);
      assert.ok(spec.activeDeadlineSeconds > 0 && spec.activeDeadlineSeconds <= 3600);
      assert.equal(at(pod(), "restartPolicy"), "Never");
      const script = (pod().containers as { command: string[] }[])[0]!.command.join(" ");
      assert.ok(script.includes(bootstrapSql));
      assert.match(bootstrapSql, /CREATE ROLE %I LOGIN', :'iam_user'\) WHERE NOT EXISTS/);
      assert.match(bootstrapSql, /GRANT rds_iam TO %I/);
      assert.match(bootstrapSql, /ALTER DATABASE %I OWNER TO %I/);
      assert.doesNotMatch(bootstrapSql, /DROP|PASSWORD|SUPERUSER/i);
      assert.match(script, /ON_ERROR_STOP=1/);
      const env = (pod().containers as { env: EnvVar[] }[])[0]!.env;
      assert.equal(env.find((e) => e.name === "PGSSLMODE")!.value, "verify-full");
    });

    it("reads the master password at run time through its own Pod Identity role, limited to that secret", () => {
      const initEnv = (pod().initContainers as { env: EnvVar[] }[])[0]!.env;
      assert.equal(initEnv.find((e) => e.name === "MASTER_SECRET_ARN")!.value, MASTER_SECRET);
      const assoc = ofType(rs, T.podIdentity).find((a) => a.name === "coder-db-bootstrap")!;
      assert.equal(assoc.inputs.namespace, "coder-db-bootstrap");
      assert.equal(assoc.inputs.serviceAccount, "coder-db-bootstrap");
      const role = roleNamed(rs, "coder-db-bootstrap");
      assert.deepEqual(attached(rs, role), []);
      assert.deepEqual(
        inline(rs, role).flatMap((d) => d.Statement),
        [
          { Sid: "ReadOneSecret", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: MASTER_SECRET },
          { Sid: "DecryptThatSecret", Effect: "Allow", Action: "kms:Decrypt", Resource: KEY_ARN },
        ],
      );
      assert.ok(job().dependencies.includes(assoc.urn), "the Job waits for its identity");
    });

    it("may reach only DNS, the Pod Identity agent, HTTPS on the internet and PostgreSQL in the private subnets", () => {
      const pols = ofType(rs, T.netpol).filter((p) => at(p.inputs, "metadata.namespace") === "coder-db-bootstrap");
      const deny = pols.find((p) => String(at(p.inputs, "metadata.name")).endsWith("default-deny"))!;
      assert.deepEqual(at(deny.inputs, "spec"), { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
      const egress = pols.find((p) => String(at(p.inputs, "metadata.name")).endsWith("egress"))!;
      const rules = at(egress.inputs, "spec.egress") as {
        to: { ipBlock?: { cidr: string; except?: string[] } }[];
        ports: { port: number }[];
      }[];
      assert.deepEqual(
        rules.map((r) => r.ports.map((p) => p.port)),
        [[53, 53], [80], [443], [5432]],
      );
      assert.deepEqual(rules[1]!.to, [{ ipBlock: { cidr: "169.254.170.23/32" } }]);
      assert.ok(rules[2]!.to[0]!.ipBlock!.except!.includes("169.254.0.0/16"));
      assert.deepEqual(
        rules[3]!.to.map((t) => t.ipBlock!.cidr),
        plan.privateSubnets,
      );
    });

    it("coderd's database URL exists only after the Job completed", () => {
      const url = ofType(rs, T.secret).find((s) => at(s.inputs, "metadata.name") === "coder-db-url")!;
      assert.ok(url.dependencies.includes(one(rs, T.job).urn));
    });
  });

  describe("network", () => {
    it("coderd is an internal NLB", () => {
      const svc = one(rs, T.service);
      assert.equal(at(svc.inputs, "spec.type"), "LoadBalancer");
      const annotations = at(svc.inputs, "metadata.annotations") as Record<string, string>;
      for (const [k, v] of Object.entries(awsInternalLoadBalancerAnnotations)) assert.equal(annotations[k], v, k);
    });

    it("internal load balancers get their own subnets, which workspaces may reach on 443 only", () => {
      const subnets = ofType(rs, T.subnet);
      const tag = (s: RecordedResource) => (s.inputs.tags as Record<string, string>)["kubernetes.io/role/internal-elb"];
      const lb = subnets.filter((s) => s.name.includes("internal-lb"));
      assert.deepEqual(
        lb.map((s) => s.inputs.cidrBlock),
        plan.internalLoadBalancerSubnets,
      );
      for (const s of lb) assert.equal(tag(s), "1");
      for (const s of subnets.filter((x) => x.name.includes("-private-"))) assert.equal(tag(s), undefined);
      const extra = ofType(rs, T.netpol).find(
        (p) =>
          at(p.inputs, "metadata.namespace") === "coder" &&
          JSON.stringify(p.inputs).includes(plan.internalLoadBalancerSubnets[0]!),
      )!;
      const rules = at(extra.inputs, "spec.egress") as {
        to: { ipBlock: { cidr: string } }[];
        ports: { port: number }[];
      }[];
      const lbRule = rules.find((r) => r.to.some((t) => t.ipBlock?.cidr === plan.internalLoadBalancerSubnets[0]))!;
      assert.deepEqual(
        lbRule.ports.map((p) => p.port),
        [443],
      );
    });

    it("coderd may reach PostgreSQL in the private subnets, the cluster API and its Pod Identity agent", () => {
      const egress = ofType(rs, T.netpol).find((p) => at(p.inputs, "metadata.name") === "coderd-egress")!;
      const rules = at(egress.inputs, "spec.egress") as {
        to: { ipBlock?: { cidr: string } }[];
        ports: { port: number }[];
      }[];
      const by = (port: number) =>
        rules.filter((r) => r.ports.some((p) => p.port === port)).flatMap((r) => r.to.map((t) => t.ipBlock?.cidr));
      assert.deepEqual(by(5432), plan.privateSubnets);
      assert.ok(by(443).includes(plan.serviceCidr));
      assert.deepEqual(by(80), ["169.254.170.23/32"]);
    });
  });

  it("every Kubernetes object is schema-valid; secrets stay secret", async () => {
    assert.ok((await validateAll(rs)) > 20);
    const oidc = ofType(rs, T.secret).find((s) => at(s.inputs, "metadata.name") === "coder-oidc")!;
    assert.ok(isSecretAt(oidc.rawInputs, "stringData.client-secret"));
  });

  it("the report lists the database controls under their recommendations", () => {
    const report = complianceReport(rs);
    const db = one(rs, "hardened-coder:aws:CoderDatabase");
    for (const id of ["storage-encryption", "network-tls-upstream"] as const) {
      const entry = report.entries.find((e) => e.id === id)!;
      assert.ok(
        entry.evidence.some((e) => e.urn === db.urn),
        id,
      );
    }
    for (const id of ["network-tls-coderd", "auth-provider-settings", "auth-impersonation"] as const) {
      assert.equal(report.entries.find((e) => e.id === id)!.status, "met-by-default", id);
    }
  });
});

describe("aws: coder inputs refused, naming the field, with nothing registered", () => {
  const base = {
    accessUrl: "https://coder.example.com",
    tls: { secretName: "coder-tls" },
    oidc: {
      issuerUrl: "https://idp.example.com",
      clientId: "c",
      clientSecret: pulumi.secret("s"),
      emailDomains: ["example.com"],
    },
  };
  const cases: [string, ConstructorParameters<typeof HardenedCluster>[1], RegExp][] = [
    [
      "backups of 0 days",
      { coder: { ...base, database: { backupRetentionDays: 0 } } },
      /^coder\.database\.backupRetentionDays: 0/,
    ],
    [
      "a public exposure without ranges",
      { coder: { ...base, exposure: { type: "PublicLoadBalancer", allowedSourceRanges: [] } } },
      /^coder\.exposure\.allowedSourceRanges: /,
    ],
    [
      "a public exposure to the internet",
      { coder: { ...base, exposure: { type: "PublicLoadBalancer", allowedSourceRanges: ["0.0.0.0/0"] } } },
      /^coder\.exposure\.allowedSourceRanges\[0\]: 0\.0\.0\.0\/0/,
    ],
    [
      "an http access URL",
      { coder: { ...base, accessUrl: "http://coder.example.com" } },
      /^coder\.accessUrl: .* is not https/,
    ],
    [
      "an unpinned engine version",
      { coder: { ...base, database: { engineVersion: "17" } } },
      /^coder\.database\.engineVersion: "17" must be pinned/,
    ],
    [
      "a bootstrap image on :latest",
      { coder: { ...base, database: { bootstrap: { images: { postgres: "postgres" } } } } },
      /^coder\.database\.bootstrap\.images\.postgres: "postgres" must be a fully qualified image pinned/,
    ],
  ];
  for (const [what, args, re] of cases) {
    it(`refuses ${what}`, async () => {
      const { resources } = await synth(() => {
        assert.throws(
          () => new HardenedCluster("coder", args),
          (err: Error) => re.test(err.message),
        );
      });
      assert.deepEqual(
        resources.filter((r) => r.type !== "pulumi:pulumi:Stack").map((r) => r.type),
        [],
      );
    });
  }

  it("refuses a database in a public subnet, naming subnetIds[i]", async () => {
    const { resources } = await synth(() => {
      assert.throws(
        () =>
          new CoderDatabase("db", {
            vpcId: "vpc-1",
            subnetIds: ["subnet-private-a", "subnet-public-b"],
            publicSubnetIds: ["subnet-public-a", "subnet-public-b"],
            kmsKeyArn: KEY_ARN,
          }),
        /^Error: subnetIds\[1\]: subnet-public-b is one of the VPC's public subnets/,
      );
    });
    assert.deepEqual(
      resources.filter((r) => r.type !== "pulumi:pulumi:Stack"),
      [],
    );
  });

  it("resolveCoderDatabaseArgs: the cost trade-offs are options; the rest is not", () => {
    const c = resolveCoderDatabaseArgs({ subnetIds: ["a", "b"], multiAz: false, instanceClass: "db.t4g.medium" }, "db");
    assert.equal(c.multiAz, false);
    assert.equal(c.instanceClass, "db.t4g.medium");
    assert.throws(
      () => resolveCoderDatabaseArgs({ subnetIds: ["a"] }, "db"),
      /^Error: subnetIds: 1 subnet\(s\); .* at least two zones/,
    );
    assert.throws(
      () => resolveCoderDatabaseArgs({ subnetIds: ["a", "b"], backupRetentionDays: 3 }, "db"),
      /^Error: backupRetentionDays: 3/,
    );
    assert.throws(
      () => resolveCoderDatabaseArgs({ subnetIds: ["a", "b"], engineVersion: "15.8" }, "db"),
      /^Error: engineVersion: PostgreSQL 15/,
    );
    assert.throws(
      () => resolveCoderDatabaseArgs({ subnetIds: ["a", "b"], allowedCidrs: ["0.0.0.0/0"] }, "db"),
      /^Error: allowedCidrs\[0\]/,
    );
    assert.throws(
      () => resolveCoderDatabaseArgs({ subnetIds: ["a", "b"], masterUsername: "postgres" }, "db"),
      /^Error: masterUsername: "postgres" is reserved/,
    );
    assert.throws(
      () => resolveCoderDatabaseArgs({ subnetIds: ["a", "b"], monitoringIntervalSeconds: 0 }, "db"),
      /^Error: monitoringIntervalSeconds: 0/,
    );
  });

  it("the key policy without coder lets no account principal use the key through RDS or Secrets Manager", () => {
    const doc = keyPolicy({
      partition: "aws",
      accountId: ACCOUNT,
      region: "us-west-2",
      clusterRoleArn: "arn:aws:iam::123456789012:role/c",
      volumeRoleArns: [],
      logGroupArns: [],
    });
    assert.ok(!JSON.stringify(doc).includes("kms:ViaService"));
  });
});
