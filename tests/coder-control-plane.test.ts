import assert from "node:assert/strict";
import fc from "fast-check";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
  CODER_CHART_REPOSITORY,
  CODER_CHART_VERSION,
  CoderControlPlane,
  type CoderControlPlaneArgs,
  type CoderControlPlanePlainArgs,
  type CoderChartValues,
  type CoderdRef,
  type EnvVar,
  awsIamRdsUrl,
  checkDatabaseUrl,
  coderValues,
  coderdNetworkPolicies,
  coderWorkspacesNamespaceLabel,
  cidrContains,
  externalAuthDefaultScopes,
  parseCidr,
  resolveCoderControlPlaneArgs,
} from "@hardened-coder/kubernetes";
import {
  type RecordedResource,
  at,
  isSecretAt,
  isSecretOutput,
  one,
  ofType,
  plainStrings,
  synth,
  synthApplyFailures,
  valueOf,
} from "./harness/engine";
import { checkPodSecurity } from "./harness/pod-security";
import { validateAllKubernetesObjects } from "./harness/validate";

const CERT = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUfakeCertificateForTests\n-----END CERTIFICATE-----\n";
const KEY =
  "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgsupersecretkey\n-----END PRIVATE KEY-----\n";
const DB_PASSWORD = "db-Pa55word-never-in-state";
const DB_URL = `postgres://coder:${DB_PASSWORD}@db:5432/coder?sslmode=verify-full`;
const OIDC_SECRET = "oidc-client-secret-never-in-state";
const GITHUB_SECRET = "github-client-secret-never-in-state";
const SECRETS = [DB_PASSWORD, DB_URL, OIDC_SECRET, GITHUB_SECRET, KEY];

/** The design's snippet, plain (what coderValues sees). */
function plainArgs(overrides: Partial<CoderControlPlanePlainArgs> = {}): CoderControlPlanePlainArgs {
  return {
    accessUrl: "https://coder.example.com",
    tls: { certificate: CERT, privateKey: KEY },
    database: { connectionUrl: DB_URL },
    oidc: {
      issuerUrl: "https://idp.example.com",
      clientId: "coder",
      clientSecret: OIDC_SECRET,
      emailDomains: ["example.com"],
    },
    externalAuth: [{ id: "github", type: "github", clientId: "gh-client", clientSecret: GITHUB_SECRET }],
    ...overrides,
  };
}

/** The design's snippet exactly as a user writes it. */
function snippetArgs(): CoderControlPlaneArgs {
  return {
    accessUrl: "https://coder.example.com",
    tls: { certificate: CERT, privateKey: pulumi.secret(KEY) },
    database: { connectionUrl: pulumi.secret(DB_URL) },
    oidc: {
      issuerUrl: "https://idp.example.com",
      clientId: "coder",
      clientSecret: pulumi.secret(OIDC_SECRET),
      emailDomains: ["example.com"],
    },
    externalAuth: [{ id: "github", type: "github", clientId: "gh-client", clientSecret: pulumi.secret(GITHUB_SECRET) }],
  };
}

function envOf(values: CoderChartValues): Map<string, EnvVar> {
  const m = new Map<string, EnvVar>();
  for (const e of values.coder.env) {
    assert.ok(!m.has(e.name), `${e.name} is set twice`);
    m.set(e.name, e);
  }
  return m;
}
function envValue(values: CoderChartValues, name: string): string | undefined {
  const e = envOf(values).get(name);
  return e && "value" in e ? e.value : undefined;
}

describe("coderValues: the chart values, without mocks", () => {
  const values = coderValues(plainArgs());
  const env = envOf(values);

  it("runs coderd with a container security context that passes Pod Security restricted", () => {
    assert.deepEqual(values.coder.securityContext, {
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
    assert.deepEqual(values.coder.podSecurityContext, {
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      fsGroup: 1000,
      seccompProfile: { type: "RuntimeDefault" },
    });
  });

  it("yields a coderd pod that passes Pod Security restricted, as the chart's templates assemble it", () => {
    const v = coderValues(plainArgs({ trustedCaSecrets: [{ name: "rds-ca", key: "ca.pem" }] }));
    // libcoder's Deployment: the pod's securityContext is coder.podSecurityContext, the container's
    // coder.securityContext; volumes are tls-<secret> and ca-cert-<secret> Secrets, then coder.volumes.
    const podSpec = {
      securityContext: v.coder.podSecurityContext,
      containers: [
        {
          name: "coder",
          securityContext: v.coder.securityContext,
          ports: [{ containerPort: 8080 }, { containerPort: 8443 }],
        },
      ],
      volumes: [
        ...v.coder.tls.secretNames.map((s) => ({ name: `tls-${s}`, secret: { secretName: s } })),
        ...v.coder.certs.secrets.map((s) => ({ name: `ca-cert-${s.name}`, secret: { secretName: s.name } })),
        ...v.coder.volumes,
      ],
    };
    assert.deepEqual(checkPodSecurity(podSpec, "restricted"), []);
    const weakened = structuredClone(podSpec);
    delete (weakened.containers[0]!.securityContext as { capabilities?: unknown }).capabilities;
    assert.deepEqual(
      checkPodSecurity(weakened, "restricted").map((x) => x.check),
      ["capabilities"],
      "the chart leaves capabilities unset: without ours, restricted refuses coderd",
    );
  });

  it("gives the read-only root filesystem writable emptyDirs at /tmp and /home/coder, size-limited", () => {
    const mounts = Object.fromEntries(values.coder.volumeMounts.map((m) => [m.mountPath, m.name]));
    assert.deepEqual(mounts, { "/tmp": "tmp", "/home/coder": "home" });
    for (const v of values.coder.volumes) {
      assert.ok(v.emptyDir.sizeLimit, `volume ${v.name} has no sizeLimit`);
    }
    assert.deepEqual(values.coder.volumes.map((v) => v.name).sort(), ["home", "tmp"]);
  });

  it("sets explicit requests and limits (cpu, memory, ephemeral storage)", () => {
    for (const kind of ["requests", "limits"] as const) {
      for (const r of ["cpu", "memory", "ephemeral-storage"] as const) {
        assert.ok(values.coder.resources[kind][r], `${kind}.${r}`);
      }
    }
    const custom = coderValues(plainArgs({ resources: { limits: { memory: "8Gi" } } }));
    assert.equal(custom.coder.resources.limits.memory, "8Gi");
    assert.equal(custom.coder.resources.limits.cpu, values.coder.resources.limits.cpu);
    assert.throws(
      () => coderValues(plainArgs({ resources: { requests: { cpu: "lots" } } })),
      /resources\.requests\.cpu/,
    );
  });

  it("serves TLS in coderd from coder.tls.secretNames with a minimum version", () => {
    assert.deepEqual(values.coder.tls.secretNames, ["coder-tls"]);
    assert.equal(envValue(values, "CODER_TLS_MIN_VERSION"), "tls12");
    assert.equal(envValue(coderValues(plainArgs({ tlsMinVersion: "tls13" })), "CODER_TLS_MIN_VERSION"), "tls13");
    const managed = coderValues(plainArgs({ tls: { secretName: "cert-manager-coder" } }));
    assert.deepEqual(managed.coder.tls.secretNames, ["cert-manager-coder"]);
    assert.throws(
      () => coderValues(plainArgs({ tlsMinVersion: "tls11" as "tls12" })),
      /tlsMinVersion: "tls11" allows deprecated TLS/,
    );
    assert.throws(
      () => coderValues(plainArgs({ tls: undefined as unknown as { secretName: string } })),
      /^Error: tls: required/,
    );
    assert.throws(
      () => coderValues(plainArgs({ tls: { certificate: KEY, privateKey: KEY } })),
      /tls\.certificate: not a PEM certificate/,
    );
  });

  it("sets an https access URL, redirects to it, secure __Host- cookies and one-year HSTS", () => {
    assert.equal(envValue(values, "CODER_ACCESS_URL"), "https://coder.example.com");
    assert.equal(envValue(values, "CODER_REDIRECT_TO_ACCESS_URL"), "true");
    assert.equal(envValue(values, "CODER_SECURE_AUTH_COOKIE"), "true");
    assert.equal(envValue(values, "CODER_HOST_PREFIX_COOKIE"), "true");
    assert.equal(envValue(values, "CODER_STRICT_TRANSPORT_SECURITY"), "31536000");
    assert.equal(values.coder.envUseClusterAccessURL, false);
    assert.equal(
      envValue(coderValues(plainArgs({ accessUrl: "https://Coder.Example.com/" })), "CODER_ACCESS_URL"),
      "https://coder.example.com",
    );
  });

  it("refuses an http access URL, one with a path, and none at all, naming the field", () => {
    assert.throws(
      () => coderValues(plainArgs({ accessUrl: "http://coder.example.com" })),
      /^Error: accessUrl: "http:\/\/coder\.example\.com" is not https/,
    );
    assert.throws(
      () => coderValues(plainArgs({ accessUrl: "https://coder.example.com/coder" })),
      /accessUrl: .* has a path/,
    );
    assert.throws(() => coderValues(plainArgs({ accessUrl: "" })), /^Error: accessUrl: required/);
    assert.throws(
      () => coderValues(plainArgs({ wildcardAccessUrl: "https://*.coder.example.com" })),
      /wildcardAccessUrl/,
    );
    assert.equal(
      envValue(coderValues(plainArgs({ wildcardAccessUrl: "*.coder.example.com" })), "CODER_WILDCARD_ACCESS_URL"),
      "*.coder.example.com",
    );
  });

  it("configures OIDC with the client secret by reference and signups limited to the email domains", () => {
    assert.equal(envValue(values, "CODER_OIDC_ISSUER_URL"), "https://idp.example.com");
    assert.equal(envValue(values, "CODER_OIDC_CLIENT_ID"), "coder");
    assert.deepEqual(env.get("CODER_OIDC_CLIENT_SECRET"), {
      name: "CODER_OIDC_CLIENT_SECRET",
      valueFrom: { secretKeyRef: { name: "coder-oidc", key: "client-secret" } },
    });
    assert.equal(envValue(values, "CODER_OIDC_EMAIL_DOMAIN"), "example.com");
    assert.equal(envValue(values, "CODER_OIDC_ALLOW_SIGNUPS"), "true");
    assert.equal(envValue(values, "CODER_OIDC_IGNORE_EMAIL_VERIFIED"), "false");
    assert.equal(envValue(values, "CODER_OIDC_SCOPES"), "openid,profile,email");

    const noDomains = coderValues(plainArgs({ oidc: { ...plainArgs().oidc, emailDomains: [] } }));
    assert.equal(envValue(noDomains, "CODER_OIDC_ALLOW_SIGNUPS"), "false");
    assert.equal(envOf(noDomains).has("CODER_OIDC_EMAIL_DOMAIN"), false);
    const closed = coderValues(plainArgs({ oidc: { ...plainArgs().oidc, allowSignups: false } }));
    assert.equal(envValue(closed, "CODER_OIDC_ALLOW_SIGNUPS"), "false");
    assert.throws(
      () => coderValues(plainArgs({ oidc: { ...plainArgs().oidc, emailDomains: [], allowSignups: true } })),
      /^Error: oidc\.allowSignups: true without oidc\.emailDomains/,
    );
    assert.throws(
      () => coderValues(plainArgs({ oidc: { ...plainArgs().oidc, emailDomains: ["not a domain"] } })),
      /oidc\.emailDomains\[0\]/,
    );
    assert.throws(
      () => coderValues(plainArgs({ oidc: { ...plainArgs().oidc, scopes: ["profile"] } })),
      /oidc\.scopes: .* lacks "openid"/,
    );
  });

  it("refuses a missing OIDC config, a missing or http issuer, naming the field", () => {
    assert.throws(
      () => coderValues(plainArgs({ oidc: undefined as unknown as CoderControlPlanePlainArgs["oidc"] })),
      /^Error: oidc: required/,
    );
    const { issuerUrl: _drop, ...noIssuer } = plainArgs().oidc;
    assert.throws(
      () => coderValues(plainArgs({ oidc: noIssuer as CoderControlPlanePlainArgs["oidc"] })),
      /^Error: oidc\.issuerUrl: required/,
    );
    assert.throws(
      () => coderValues(plainArgs({ oidc: { ...plainArgs().oidc, issuerUrl: "http://idp.example.com" } })),
      /^Error: oidc\.issuerUrl: "http:\/\/idp\.example\.com" is not https/,
    );
  });

  it("turns password login, Coder's GitHub apps, owner workspace access and path apps off; bounds tokens", () => {
    assert.equal(envValue(values, "CODER_DISABLE_PASSWORD_AUTH"), "true");
    assert.equal(envValue(values, "CODER_OAUTH2_GITHUB_DEFAULT_PROVIDER_ENABLE"), "false");
    // By flag: coderd refuses to start with CODER_EXTERNAL_AUTH_GITHUB_DEFAULT_PROVIDER_ENABLE set
    // (it parses every CODER_EXTERNAL_AUTH_* variable as a numbered provider).
    assert.ok(values.coder.commandArgs.includes("--external-auth-github-default-provider-enable=false"));
    assert.equal(values.coder.commandArgs[0], "server");
    assert.equal(env.has("CODER_EXTERNAL_AUTH_GITHUB_DEFAULT_PROVIDER_ENABLE"), false);
    assert.equal(envValue(values, "CODER_DISABLE_OWNER_WORKSPACE_ACCESS"), "true");
    assert.equal(envValue(values, "CODER_DISABLE_PATH_APPS"), "true");
    assert.equal(envValue(values, "CODER_MAX_TOKEN_LIFETIME"), "720h");
    assert.equal(envValue(values, "CODER_MAX_ADMIN_TOKEN_LIFETIME"), "168h");
  });

  it("keeps pprof, telemetry and metrics off and sets nothing CODER_DANGEROUS_*", () => {
    assert.equal(envValue(values, "CODER_PPROF_ENABLE"), "false");
    assert.equal(envValue(values, "CODER_TELEMETRY_ENABLE"), "false");
    assert.equal(envValue(values, "CODER_PROMETHEUS_ENABLE"), "false");
    assert.deepEqual(
      values.coder.env.filter((e) => e.name.startsWith("CODER_DANGEROUS_")),
      [],
    );
  });

  it("weakens each default only through its named option", () => {
    const weak = coderValues(
      plainArgs({
        allowPasswordAuth: true,
        allowOwnerWorkspaceAccess: true,
        allowPathApps: true,
        telemetry: true,
        hostPrefixCookie: false,
        maxTokenLifetime: "24h",
        metrics: { namespace: "monitoring" },
      }),
    );
    assert.equal(envValue(weak, "CODER_DISABLE_PASSWORD_AUTH"), "false");
    assert.equal(envValue(weak, "CODER_DISABLE_OWNER_WORKSPACE_ACCESS"), "false");
    assert.equal(envValue(weak, "CODER_DISABLE_PATH_APPS"), "false");
    assert.equal(envValue(weak, "CODER_TELEMETRY_ENABLE"), "true");
    assert.equal(envValue(weak, "CODER_HOST_PREFIX_COOKIE"), "false");
    assert.equal(envValue(weak, "CODER_MAX_TOKEN_LIFETIME"), "24h");
    assert.equal(envValue(weak, "CODER_MAX_ADMIN_TOKEN_LIFETIME"), "24h");
    assert.equal(envValue(weak, "CODER_PROMETHEUS_ENABLE"), "true");
    assert.equal(envValue(weak, "CODER_PPROF_ENABLE"), "false");
    assert.throws(
      () => coderValues(plainArgs({ maxTokenLifetime: "87600h" })),
      /maxTokenLifetime: "87600h" must be .* at most 8760h/,
    );
    assert.throws(
      () => coderValues(plainArgs({ maxTokenLifetime: "forever" })),
      /maxTokenLifetime: "forever" is not a duration/,
    );
  });

  it("refuses extraEnv that would bypass a named option, weaken TLS/auth or go around externalAuth", () => {
    const refused: [string, RegExp][] = [
      ["CODER_DISABLE_PASSWORD_AUTH", /is set by CoderControlPlane/],
      ["CODER_TELEMETRY_ENABLE", /is set by CoderControlPlane/],
      ["CODER_DANGEROUS_ALLOW_PATH_APP_SHARING", /CODER_DANGEROUS_\* setting/],
      ["CODER_PPROF_ENABLE", /is set by CoderControlPlane/],
      ["CODER_PPROF_ADDRESS", /is set by CoderControlPlane|weakens/],
      ["CODER_OIDC_IGNORE_EMAIL_VERIFIED", /is set by CoderControlPlane|weakens/],
      ["CODER_TLS_ALLOW_INSECURE_CIPHERS", /weakens/],
      ["CODER_EXTERNAL_AUTH_1_ID", /through externalAuth/],
      ["CODER_EXTERNAL_AUTH_GITHUB_DEFAULT_PROVIDER_ENABLE", /through externalAuth/],
      ["CODER_HTTP_ADDRESS", /is set by CoderControlPlane/],
    ];
    for (const [name, pattern] of refused) {
      assert.throws(() => coderValues(plainArgs({ extraEnv: [{ name, value: "true" }] })), pattern, name);
      assert.throws(
        () => coderValues(plainArgs({ extraEnv: [{ name, value: "true" }] })),
        /^Error: extraEnv\[0\]\.name/,
        name,
      );
    }
    const ok = coderValues(
      plainArgs({
        extraEnv: [
          { name: "CODER_OIDC_GROUP_FIELD", value: "groups" },
          { name: "CODER_SCIM_AUTH_HEADER", secretKeyRef: { name: "scim", key: "header" } },
        ],
      }),
    );
    assert.equal(envValue(ok, "CODER_OIDC_GROUP_FIELD"), "groups");
    assert.deepEqual(envOf(ok).get("CODER_SCIM_AUTH_HEADER"), {
      name: "CODER_SCIM_AUTH_HEADER",
      valueFrom: { secretKeyRef: { name: "scim", key: "header" } },
    });
  });

  it("passes every secret by secretKeyRef and never as a value", () => {
    for (const name of ["CODER_PG_CONNECTION_URL", "CODER_OIDC_CLIENT_SECRET", "CODER_EXTERNAL_AUTH_0_CLIENT_SECRET"]) {
      const e = env.get(name);
      assert.ok(e && "valueFrom" in e, `${name} must come from a Secret`);
    }
    assert.deepEqual(env.get("CODER_PG_CONNECTION_URL"), {
      name: "CODER_PG_CONNECTION_URL",
      valueFrom: { secretKeyRef: { name: "coder-db-url", key: "url" } },
    });
    const text = JSON.stringify(values);
    for (const s of SECRETS) assert.ok(!text.includes(s), `a secret leaked into the values`);
  });

  it("lets the chart create no Role, no Service and no Ingress", () => {
    assert.deepEqual(values.coder.serviceAccount, {
      name: "coder",
      annotations: {},
      workspacePerms: false,
      enableDeployments: false,
      extraRules: [],
    });
    assert.equal(values.coder.service.enable, false);
    assert.equal(values.coder.ingress.enable, false);
    const wi = coderValues(
      plainArgs({
        serviceAccountAnnotations: { "iam.gke.io/gcp-service-account": "coderd@p.iam.gserviceaccount.com" },
      }),
    );
    assert.equal(
      wi.coder.serviceAccount.annotations["iam.gke.io/gcp-service-account"],
      "coderd@p.iam.gserviceaccount.com",
    );
    assert.throws(() => coderValues(plainArgs({ serviceAccountName: "default" })), /serviceAccountName: "default"/);
  });

  it("numbers external-auth providers contiguously from 0 with minimal default scopes", () => {
    const many = coderValues(
      plainArgs({
        externalAuth: [
          { id: "github", type: "github", clientId: "a", clientSecret: "s1" },
          { id: "gitlab", type: "gitlab", clientId: "b", clientSecret: "s2" },
          { id: "bb", type: "bitbucket-cloud", clientId: "c", clientSecret: "s3", scopes: ["repository"] },
        ],
      }),
    );
    const ids = many.coder.env.filter((e) => /^CODER_EXTERNAL_AUTH_\d+_ID$/.test(e.name)).map((e) => e.name);
    assert.deepEqual(ids, ["CODER_EXTERNAL_AUTH_0_ID", "CODER_EXTERNAL_AUTH_1_ID", "CODER_EXTERNAL_AUTH_2_ID"]);
    assert.equal(envValue(many, "CODER_EXTERNAL_AUTH_0_SCOPES"), "repo");
    assert.equal(envValue(many, "CODER_EXTERNAL_AUTH_1_SCOPES"), "write_repository");
    assert.equal(envValue(many, "CODER_EXTERNAL_AUTH_2_SCOPES"), "repository");
    assert.deepEqual(externalAuthDefaultScopes.github, ["repo"]);
    assert.equal(externalAuthDefaultScopes.github?.includes("workflow"), false);
    for (const n of [0, 1, 2]) {
      const secret = envOf(many).get(`CODER_EXTERNAL_AUTH_${n}_CLIENT_SECRET`);
      assert.ok(secret && "valueFrom" in secret && secret.valueFrom.secretKeyRef.name === "coder-external-auth");
    }
  });

  it("refuses two providers of one type without distinct regex, naming both ids", () => {
    const two = (a: string | undefined, b: string | undefined) =>
      plainArgs({
        externalAuth: [
          { id: "github-a", type: "github", clientId: "a", clientSecret: "s", ...(a ? { regex: a } : {}) },
          { id: "github-b", type: "github", clientId: "b", clientSecret: "s", ...(b ? { regex: b } : {}) },
        ],
      });
    assert.throws(
      () => coderValues(two(undefined, undefined)),
      /^Error: externalAuth: "github-a" and "github-b" are both of type "github" without distinct regex/,
    );
    assert.throws(() => coderValues(two("github\\.com/a", undefined)), /"github-a" and "github-b"/);
    assert.throws(() => coderValues(two("github\\.com", "github\\.com")), /"github-a" and "github-b"/);
    const ok = coderValues(two("github\\.com/org-a", "github\\.example\\.com"));
    assert.equal(envValue(ok, "CODER_EXTERNAL_AUTH_1_REGEX"), "github\\.example\\.com");
  });

  it("refuses duplicate ids, too many providers, custom types without endpoints and http endpoints", () => {
    const p = (id: string, type = "github", extra = {}) => ({ id, type, clientId: "c", clientSecret: "s", ...extra });
    assert.throws(
      () => coderValues(plainArgs({ externalAuth: [p("x"), p("x", "gitlab")] })),
      /externalAuth\[1\]\.id: "x" is also externalAuth\[0\]\.id/,
    );
    const eleven = Array.from({ length: 11 }, (_, i) =>
      p(`p${i}`, "custom", {
        authUrl: "https://a.example.com/auth",
        tokenUrl: "https://a.example.com/token",
        regex: `r${i}`,
      }),
    );
    assert.throws(() => coderValues(plainArgs({ externalAuth: eleven })), /externalAuth: 11 providers; at most 10/);
    assert.throws(
      () => coderValues(plainArgs({ externalAuth: [p("jira", "jira")] })),
      /externalAuth\[0\]\.type: "jira" is a custom provider type; give authUrl and tokenUrl/,
    );
    assert.throws(
      () => coderValues(plainArgs({ externalAuth: [p("bbs", "bitbucket-server")] })),
      /externalAuth\[0\]\.authUrl: required for type "bitbucket-server"/,
    );
    assert.throws(
      () =>
        coderValues(
          plainArgs({
            externalAuth: [p("ghe", "github", { authUrl: "http://github.example.com/login/oauth/authorize" })],
          }),
        ),
      /externalAuth\[0\]\.authUrl: .* is not https/,
    );
    assert.throws(
      () => coderValues(plainArgs({ externalAuth: [p("gh", "github", { regex: "(" })] })),
      /externalAuth\[0\]\.regex/,
    );
  });

  it("refuses a database URL that allows plain text unless it is a local proxy, without echoing it", () => {
    for (const [url, mode] of [
      ["postgres://coder:hunter2@db:5432/coder", "no sslmode"],
      ["postgres://coder:hunter2@db:5432/coder?sslmode=disable", '"disable"'],
      ["postgres://coder:hunter2@db:5432/coder?sslmode=allow", '"allow"'],
      ["postgresql://coder:hunter2@db/coder?sslmode=prefer", '"prefer"'],
      ["host=db user=coder password=hunter2 sslmode=disable", '"disable"'],
    ] as const) {
      assert.throws(
        () => coderValues(plainArgs({ database: { connectionUrl: url } })),
        (err: Error) => {
          assert.match(err.message, /^database\.connectionUrl: /);
          assert.ok(err.message.includes(mode), err.message);
          assert.ok(!err.message.includes("hunter2"), "the message must not repeat the password");
          return true;
        },
      );
    }
    for (const url of [
      "postgres://coder:pw@127.0.0.1:5432/coder",
      "postgres://coder:pw@localhost/coder?sslmode=disable",
      "host=/cloudsql/p:r:i user=coder",
      "postgres://coder:pw@db:5432/coder?sslmode=require",
      "postgres://coder:pw@db:5432/coder?sslmode=verify-ca",
      "host=db user=coder sslmode=verify-full",
    ]) {
      assert.equal(checkDatabaseUrl(url), url);
    }
    assert.throws(
      () => checkDatabaseUrl("postgres://db/coder?sslmode=sometimes"),
      /sslmode "sometimes" is not a libpq sslmode/,
    );
    assert.throws(() => checkDatabaseUrl("mysql://db"), /not a postgres:\/\/ URL/);
  });

  it("supports an existing database Secret and password-less RDS IAM auth", () => {
    const ref = coderValues(plainArgs({ database: { secretName: "my-db", secretKey: "dsn" } }));
    assert.deepEqual(envOf(ref).get("CODER_PG_CONNECTION_URL"), {
      name: "CODER_PG_CONNECTION_URL",
      valueFrom: { secretKeyRef: { name: "my-db", key: "dsn" } },
    });
    assert.equal(envValue(ref, "CODER_PG_AUTH"), "password");
    const iam = coderValues(
      plainArgs({ database: { auth: "awsiamrds", host: "db.rds.amazonaws.com", user: "coder", database: "coder" } }),
    );
    assert.equal(envValue(iam, "CODER_PG_AUTH"), "awsiamrds");
    assert.equal(
      awsIamRdsUrl({ host: "db.rds.amazonaws.com", user: "coder", database: "coder" }),
      "postgres://coder@db.rds.amazonaws.com:5432/coder?sslmode=verify-full",
    );
    assert.throws(
      () =>
        coderValues(
          plainArgs({ database: { connectionUrl: "postgres://coder:pw@db/coder?sslmode=require", auth: "awsiamrds" } }),
        ),
      /database\.connectionUrl: carries a password, but database\.auth is "awsiamrds"/,
    );
    assert.throws(
      () => awsIamRdsUrl({ host: "db", user: "coder", database: "coder", sslmode: "disable" as "require" }),
      /database\.sslmode/,
    );
    assert.throws(
      () => coderValues(plainArgs({ database: undefined as unknown as { secretName: string } })),
      /^Error: database: required/,
    );
  });

  it("mounts trusted CA bundles and sets image overrides through the chart's own values", () => {
    const v = coderValues(
      plainArgs({
        trustedCaSecrets: [{ name: "rds-ca", key: "ca.pem" }],
        image: { repository: "registry.example.com/coder/coder", tag: "v2.34.5", pullSecrets: ["regcred"] },
        replicas: 2,
      }),
    );
    assert.deepEqual(v.coder.certs.secrets, [{ name: "rds-ca", key: "ca.pem" }]);
    assert.deepEqual(v.coder.image, {
      repo: "registry.example.com/coder/coder",
      tag: "v2.34.5",
      pullSecrets: [{ name: "regcred" }],
    });
    assert.equal(v.coder.replicaCount, 2);
    assert.equal(values.coder.image, undefined);
    assert.throws(() => coderValues(plainArgs({ replicas: 0 })), /replicas: 0/);
  });

  it("adds sidecars to coderd's pod only when they meet restricted themselves", () => {
    const proxy = {
      name: "cloud-sql-proxy",
      image: "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.1",
      restartPolicy: "Always" as const,
      args: ["--auto-iam-authn", "--port=5432", "project:region:instance"],
      securityContext: {
        runAsNonRoot: true as const,
        allowPrivilegeEscalation: false as const,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" as const },
      },
    };
    const v = coderValues(
      plainArgs({
        database: { connectionUrl: "postgres://coder@127.0.0.1:5432/coder" },
        extraInitContainers: [proxy],
      }),
    );
    assert.deepEqual(v.coder.initContainers, [proxy]);
    assert.equal(values.coder.initContainers, undefined, "none by default");
    const podSpec = {
      securityContext: v.coder.podSecurityContext,
      containers: [{ name: "coder", securityContext: v.coder.securityContext }],
      initContainers: v.coder.initContainers,
    };
    assert.deepEqual(checkPodSecurity(podSpec, "restricted"), []);
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ ...proxy, name: "coder" }, /extraInitContainers\[0\]\.name: "coder" is already a container/],
      [{ ...proxy, restartPolicy: "OnFailure" }, /extraInitContainers\[0\]\.restartPolicy/],
      [{ ...proxy, securityContext: undefined }, /extraInitContainers\[0\]\.securityContext: required/],
      [
        { ...proxy, securityContext: { ...proxy.securityContext, allowPrivilegeEscalation: true } },
        /allowPrivilegeEscalation: must be false/,
      ],
      [
        {
          ...proxy,
          securityContext: { ...proxy.securityContext, capabilities: { drop: ["ALL"], add: ["NET_ADMIN"] } },
        },
        /capabilities\.add: adds capabilities/,
      ],
      [{ ...proxy, env: [{ name: "DB_PASSWORD", value: "hunter2" }] }, /DB_PASSWORD looks like a secret/],
    ];
    for (const [container, pattern] of bad) {
      assert.throws(
        () => coderValues(plainArgs({ extraInitContainers: [container as unknown as typeof proxy] })),
        pattern,
      );
    }
  });

  it("reaches the GKE metadata server (port 80 only) only through gkeMetadataServer", () => {
    const toMetadata = (c: ReturnType<typeof resolveCoderControlPlaneArgs>) =>
      coderdNetworkPolicies(c)[2]!.spec.egress!.filter((r) =>
        r.to.some((t) => t.ipBlock?.cidr === "169.254.169.254/32"),
      );
    assert.deepEqual(toMetadata(resolveCoderControlPlaneArgs(plainArgs())), []);
    assert.deepEqual(toMetadata(resolveCoderControlPlaneArgs(plainArgs({ gkeMetadataServer: true }))), [
      { to: [{ ipBlock: { cidr: "169.254.169.254/32" } }], ports: [{ protocol: "TCP", port: 80 }] },
    ]);
  });

  it("exposes coderd on ClusterIP by default; a load balancer only internal or with source ranges", () => {
    assert.equal(resolveCoderControlPlaneArgs(plainArgs()).service.type, "ClusterIP");
    assert.throws(
      () => coderValues(plainArgs({ exposure: { type: "PublicLoadBalancer", allowedSourceRanges: [] } })),
      /^Error: exposure\.allowedSourceRanges: a public load balancer needs/,
    );
    assert.throws(
      () => coderValues(plainArgs({ exposure: { type: "PublicLoadBalancer" } as never })),
      /^Error: exposure\.allowedSourceRanges/,
    );
    assert.throws(
      () => coderValues(plainArgs({ exposure: { type: "PublicLoadBalancer", allowedSourceRanges: ["0.0.0.0/0"] } })),
      /exposure\.allowedSourceRanges: 0\.0\.0\.0\/0 is the whole internet/,
    );
    assert.throws(
      () => coderValues(plainArgs({ exposure: { type: "InternalLoadBalancer" } })),
      /^Error: exposure\.annotations: an internal load balancer needs/,
    );
    const pub = resolveCoderControlPlaneArgs(
      plainArgs({ exposure: { type: "PublicLoadBalancer", allowedSourceRanges: ["203.0.113.0/24"] } }),
    );
    assert.deepEqual(pub.service.sourceRanges, ["203.0.113.0/24"]);
    assert.equal(pub.service.type, "LoadBalancer");
  });
});

describe("coderd's NetworkPolicies (pure)", () => {
  const config = resolveCoderControlPlaneArgs(plainArgs());
  const [deny, ingress, egress] = coderdNetworkPolicies(config);
  const metadata = parseCidr("169.254.169.254/32");

  /** True when an ipBlock peer admits the metadata address. */
  function admitsMetadata(peer: { ipBlock?: { cidr: string; except?: string[] } }): boolean {
    if (!peer.ipBlock) return false;
    if (!cidrContains(parseCidr(peer.ipBlock.cidr), metadata)) return false;
    return !(peer.ipBlock.except ?? []).some((e) => cidrContains(parseCidr(e), metadata));
  }

  it("denies all ingress and egress by default in coderd's namespace", () => {
    assert.deepEqual(deny, {
      name: "coderd-default-deny",
      spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    });
  });

  it("admits ingress only on 8080/8443 (from workspaces, replicas, ingress), 2112 only with metrics", () => {
    const ports = new Set(ingress!.spec.ingress!.flatMap((r) => r.ports.map((p) => p.port)));
    assert.deepEqual([...ports].sort(), [8080, 8443]);
    const fromWorkspaces = ingress!.spec.ingress!.find((r) =>
      r.from.some((f) => f.namespaceSelector?.matchLabels?.[coderWorkspacesNamespaceLabel] === "true"),
    );
    assert.ok(fromWorkspaces, "workspace namespaces labelled for coderd may reach it");
    const withMetrics = coderdNetworkPolicies(
      resolveCoderControlPlaneArgs(
        plainArgs({
          metrics: { namespace: "monitoring" },
          workspaceNamespaces: ["coder"],
          ingressFrom: [{ namespace: "ingress-nginx", podSelector: { "app.kubernetes.io/name": "ingress-nginx" } }],
        }),
      ),
    )[1]!;
    const scrape = withMetrics.spec.ingress!.find((r) => r.ports.some((p) => p.port === 2112))!;
    assert.deepEqual(scrape.from, [
      { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } },
    ]);
    assert.deepEqual(scrape.ports, [{ protocol: "TCP", port: 2112 }]);
    assert.ok(
      withMetrics.spec.ingress!.some((r) =>
        r.from.some((f) => f.namespaceSelector?.matchExpressions?.[0]?.values.includes("coder")),
      ),
    );
    assert.ok(
      withMetrics.spec.ingress!.some((r) =>
        r.from.some((f) => f.podSelector?.matchLabels["app.kubernetes.io/name"] === "ingress-nginx"),
      ),
    );
    assert.ok(!withMetrics.spec.ingress!.some((r) => r.ports.some((p) => p.port === 6060)), "pprof is never reachable");
  });

  it("allows egress to DNS, the API server, PostgreSQL and 443 on the internet, never the metadata address", () => {
    const rules = egress!.spec.egress!;
    const dns = rules.find((r) => r.ports.some((p) => p.port === 53))!;
    assert.deepEqual(dns.to, [
      {
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
        podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
      },
    ]);
    const api = rules.find((r) => r.ports.some((p) => p.port === 6443))!;
    assert.deepEqual(api.to, [{ ipBlock: { cidr: "0.0.0.0/0", except: ["169.254.169.254/32"] } }]);
    assert.deepEqual(
      api.ports.map((p) => p.port),
      [443, 6443],
    );
    const db = rules.find((r) => r.ports.some((p) => p.port === 5432))!;
    assert.deepEqual(
      db.to.map((t) => t.ipBlock?.cidr),
      ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"],
    );
    const internet = rules.find((r) =>
      r.to.some((t) => t.ipBlock?.cidr === "0.0.0.0/0" && t.ipBlock.except?.includes("10.0.0.0/8")),
    )!;
    assert.deepEqual(internet.ports, [{ protocol: "TCP", port: 443 }]);
    for (const r of rules) for (const t of r.to) assert.ok(!admitsMetadata(t), JSON.stringify(t));
  });

  it("takes the cloud's exact API server CIDR and refuses egress into the metadata address", () => {
    const exact = coderdNetworkPolicies(
      resolveCoderControlPlaneArgs(
        plainArgs({ kubernetesApi: { cidrs: ["10.0.0.0/24"], ports: [443] }, databaseCidrs: ["10.1.0.0/24"] }),
      ),
    )[2]!;
    const api = exact.spec.egress!.find((r) => r.to.some((t) => t.ipBlock?.cidr === "10.0.0.0/24"))!;
    assert.deepEqual(api.ports, [{ protocol: "TCP", port: 443 }]);
    assert.throws(
      () => resolveCoderControlPlaneArgs(plainArgs({ extraEgress: [{ cidrs: ["169.254.169.254/32"], ports: [80] }] })),
      /extraEgress\[0\]\.cidrs: 169\.254\.169\.254\/32 is the cloud metadata address/,
    );
    assert.throws(
      () => resolveCoderControlPlaneArgs(plainArgs({ databaseCidrs: ["10.0.0.1/8"] })),
      /databaseCidrs: "10\.0\.0\.1\/8" has host bits set/,
    );
    assert.throws(
      () => resolveCoderControlPlaneArgs(plainArgs({ kubernetesApi: { cidrs: ["10.0.0.0/8"], ports: [70000] } })),
      /kubernetesApi\.ports: 70000/,
    );
  });

  it("never admits the metadata address, whatever CIDRs are given (property)", () => {
    const cidr = fc
      .tuple(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 31 }))
      .map(([addr, prefix]) => {
        const size = 2 ** (32 - prefix);
        const base = addr - (addr % size);
        return `${[24, 16, 8, 0].map((s) => Math.floor(base / 2 ** s) % 256).join(".")}/${prefix}`;
      });
    fc.assert(
      fc.property(
        fc.array(cidr, { minLength: 1, maxLength: 3 }),
        fc.array(cidr, { minLength: 1, maxLength: 3 }),
        (api, extra) => {
          let policies;
          try {
            policies = coderdNetworkPolicies(
              resolveCoderControlPlaneArgs(
                plainArgs({
                  kubernetesApi: { cidrs: api },
                  databaseCidrs: extra,
                  extraEgress: [{ cidrs: extra, ports: [8443] }],
                }),
              ),
            );
          } catch (err) {
            // Only a block inside the metadata address may be refused.
            assert.match((err as Error).message, /is the cloud metadata address/);
            return;
          }
          for (const p of policies)
            for (const r of p.spec.egress ?? []) for (const t of r.to) assert.ok(!admitsMetadata(t));
        },
      ),
      { numRuns: 300 },
    );
  });
});

function secretStringsIn(resources: readonly RecordedResource[]): string[] {
  return resources
    .flatMap((r) => plainStrings(r.rawInputs))
    .filter((s) => SECRETS.some((secret) => s.includes(secret)));
}

describe("CoderControlPlane under the mock engine", () => {
  let resources: RecordedResource[];
  let invokes: readonly unknown[];
  let cp: CoderControlPlane;
  let outputs: { namespaceName: string; serviceAccountName: string; accessUrl: string; values: CoderChartValues };
  let valuesSecret: boolean;

  before(async () => {
    const run = await synth(() => {
      cp = new CoderControlPlane("coder", snippetArgs());
    });
    resources = run.resources;
    invokes = run.invokes;
    outputs = {
      namespaceName: await valueOf(cp.namespaceName),
      serviceAccountName: await valueOf(cp.serviceAccountName),
      accessUrl: await valueOf(cp.accessUrl),
      values: await valueOf(cp.values),
    };
    valuesSecret = await isSecretOutput(cp.values);
  });

  it("runs the design's snippet unchanged and fits CoderdRef", () => {
    const comp = one(resources, "hardened-coder:kubernetes:CoderControlPlane");
    assert.equal(comp.name, "coder");
    const ref: CoderdRef = cp;
    assert.ok(ref.namespaceName && ref.serviceAccountName);
    assert.deepEqual(
      { ns: outputs.namespaceName, sa: outputs.serviceAccountName, url: outputs.accessUrl },
      { ns: "coderd", sa: "coder", url: "https://coder.example.com" },
    );
    for (const r of resources.filter((x) => x.type !== comp.type && x.type !== "pulumi:pulumi:Stack")) {
      assert.equal(r.parent, comp.urn, `${r.type} ${r.name}`);
    }
  });

  it("creates coderd's own namespace with Pod Security restricted on enforce, audit and warn", () => {
    const ns = one(resources, "kubernetes:core/v1:Namespace");
    assert.equal(at(ns.inputs, "metadata.name"), "coderd");
    const labels = at(ns.inputs, "metadata.labels") as Record<string, string>;
    for (const mode of ["enforce", "audit", "warn"])
      assert.equal(labels[`pod-security.kubernetes.io/${mode}`], "restricted");
    assert.equal(labels["app.kubernetes.io/managed-by"], "pulumi");
  });

  it("installs the pinned official chart through Helm v4 without fetching anything", () => {
    const chart = one(resources, "kubernetes:helm.sh/v4:Chart");
    assert.equal(chart.remote, true, "a remote component: the provider renders it at deploy time, never under mocks");
    assert.equal(chart.inputs.chart, "coder");
    assert.equal(chart.inputs.version, CODER_CHART_VERSION);
    assert.match(CODER_CHART_VERSION, /^2\.\d+\.\d+$/);
    assert.deepEqual(chart.inputs.repositoryOpts, { repo: CODER_CHART_REPOSITORY });
    assert.equal(CODER_CHART_REPOSITORY, "https://helm.coder.com/v2");
    assert.equal(chart.inputs.name, "coder");
    assert.equal(chart.inputs.namespace, "coderd");
    assert.deepEqual(invokes, []);
    const ns = one(resources, "kubernetes:core/v1:Namespace");
    for (const s of ofType(resources, "kubernetes:core/v1:Secret"))
      assert.ok(chart.dependencies.includes(s.urn), s.name);
    assert.ok(chart.dependencies.includes(ns.urn));
  });

  it("passes the chart exactly the values coderValues computes, and exposes them secret-free", () => {
    const chart = one(resources, "kubernetes:helm.sh/v4:Chart");
    const expected = coderValues(plainArgs());
    assert.deepEqual(chart.inputs.values, JSON.parse(JSON.stringify(expected)));
    assert.deepEqual(outputs.values, expected);
    assert.equal(valuesSecret, false);
    assert.deepEqual(
      plainStrings(chart.rawInputs).filter((s) => SECRETS.some((x) => s.includes(x))),
      [],
    );
  });

  it("builds each secret into a Kubernetes Secret in coderd's namespace, secret in state", () => {
    const byName = (n: string) =>
      ofType(resources, "kubernetes:core/v1:Secret").find((s) => at(s.inputs, "metadata.name") === n)!;
    const db = byName("coder-db-url");
    assert.equal(at(db.inputs, "stringData.url"), DB_URL);
    assert.ok(isSecretAt(db.rawInputs, "stringData.url"));
    const oidc = byName("coder-oidc");
    assert.equal(at(oidc.inputs, "stringData.client-secret"), OIDC_SECRET);
    assert.ok(isSecretAt(oidc.rawInputs, "stringData.client-secret"));
    const ext = byName("coder-external-auth");
    assert.equal(at(ext.inputs, "stringData.github-client-secret"), GITHUB_SECRET);
    assert.ok(isSecretAt(ext.rawInputs, "stringData.github-client-secret"));
    const tls = byName("coder-tls");
    assert.equal(tls.inputs.type, "kubernetes.io/tls");
    // Keys with dots ("tls.key") cannot be addressed by a dotted path: read them directly.
    const tlsData = tls.inputs.stringData as Record<string, string>;
    assert.equal(tlsData["tls.crt"], CERT);
    assert.equal(tlsData["tls.key"], KEY);
    assert.ok(isSecretAt(tls.rawInputs, "stringData"));
    for (const s of [db, oidc, ext, tls]) assert.equal(at(s.inputs, "metadata.namespace"), "coderd");
    assert.deepEqual(secretStringsIn(resources), [], "no secret appears as plain text in any resource's state");
  });

  it("points every secretKeyRef at a Secret and key the component created", () => {
    const secrets = new Map(
      ofType(resources, "kubernetes:core/v1:Secret").map((s) => [
        at(s.inputs, "metadata.name") as string,
        Object.keys(s.inputs.stringData as Record<string, string>),
      ]),
    );
    const refs = outputs.values.coder.env.filter((e): e is Extract<EnvVar, { valueFrom: unknown }> => "valueFrom" in e);
    assert.equal(refs.length, 3);
    for (const r of refs) {
      const { name, key } = r.valueFrom.secretKeyRef;
      assert.ok(secrets.get(name)?.includes(key), `${r.name} -> ${name}/${key}`);
    }
    assert.ok(secrets.has(outputs.values.coder.tls.secretNames[0]!));
  });

  it("declares coderd's Service (ClusterIP, 443 -> 8443) selecting the chart's pods", () => {
    const svc = one(resources, "kubernetes:core/v1:Service");
    assert.equal(at(svc.inputs, "spec.type"), "ClusterIP");
    assert.deepEqual(at(svc.inputs, "spec.ports"), [{ name: "https", port: 443, targetPort: 8443, protocol: "TCP" }]);
    assert.deepEqual(at(svc.inputs, "spec.selector"), {
      "app.kubernetes.io/name": "coder",
      "app.kubernetes.io/instance": "coder",
    });
    assert.equal(at(svc.inputs, "spec.loadBalancerSourceRanges"), undefined);
  });

  it("creates the Service after the chart: Pulumi awaits a Service until a ready pod backs it", () => {
    const svc = one(resources, "kubernetes:core/v1:Service");
    assert.ok(svc.dependencies.includes(one(resources, "kubernetes:helm.sh/v4:Chart").urn));
  });

  it("declares the NetworkPolicies coderdNetworkPolicies computes, in coderd's namespace", () => {
    const expected = coderdNetworkPolicies(resolveCoderControlPlaneArgs(plainArgs()));
    const got = ofType(resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy");
    assert.deepEqual(
      got.map((p) => at(p.inputs, "metadata.name")),
      expected.map((p) => p.name),
    );
    for (const [i, p] of got.entries()) {
      assert.equal(at(p.inputs, "metadata.namespace"), "coderd");
      assert.deepEqual(p.inputs.spec, JSON.parse(JSON.stringify(expected[i]!.spec)));
    }
  });

  it("emits only schema-valid Kubernetes objects", async () => {
    const n = await validateAllKubernetesObjects(resources);
    assert.equal(n, 9, "namespace, 4 secrets, service, 3 network policies");
  });
});

describe("CoderControlPlane under mocks: variants and refusals", () => {
  /** Runs the constructor under mocks; returns the error and what was registered. */
  async function attempt(args: CoderControlPlaneArgs): Promise<{ error?: Error; resources: RecordedResource[] }> {
    let error: Error | undefined;
    const { resources } = await synth(() => {
      try {
        new CoderControlPlane("coder", args);
      } catch (err) {
        error = err as Error;
      }
    });
    return { error, resources };
  }

  const bad: [string, (a: CoderControlPlaneArgs) => CoderControlPlaneArgs, RegExp][] = [
    ["an http access URL", (a) => ({ ...a, accessUrl: "http://coder.example.com" }), /^accessUrl: /],
    [
      "an sslmode=disable database URL",
      (a) => ({ ...a, database: { connectionUrl: "postgres://coder:pw@db/coder?sslmode=disable" } }),
      /^database\.connectionUrl: has sslmode "disable"/,
    ],
    [
      "a missing OIDC issuer",
      (a) => ({
        ...a,
        oidc: { clientId: "coder", clientSecret: pulumi.secret("x") } as unknown as CoderControlPlaneArgs["oidc"],
      }),
      /^oidc\.issuerUrl: required/,
    ],
    [
      "a duplicate provider type without regex",
      (a) => ({
        ...a,
        externalAuth: [
          { id: "gh1", type: "github", clientId: "a", clientSecret: pulumi.secret("s") },
          { id: "gh2", type: "github", clientId: "b", clientSecret: pulumi.secret("s") },
        ],
      }),
      /^externalAuth: "gh1" and "gh2" are both of type "github"/,
    ],
    [
      "a public exposure without source ranges",
      (a) => ({ ...a, exposure: { type: "PublicLoadBalancer", allowedSourceRanges: [] } }),
      /^exposure\.allowedSourceRanges: /,
    ],
  ];
  for (const [what, mutate, pattern] of bad) {
    it(`refuses ${what}, naming the field and registering nothing`, async () => {
      const { error, resources } = await attempt(mutate(snippetArgs()));
      assert.ok(error, "the constructor must throw");
      assert.match(error.message, pattern);
      assert.deepEqual(
        resources.filter((r) => r.type !== "pulumi:pulumi:Stack"),
        [],
      );
    });
  }

  it("checks a database URL that arrives as an Output inside apply, without leaking it", async () => {
    const { failures: messages, resources } = await synthApplyFailures(() => {
      new CoderControlPlane("coder", {
        ...snippetArgs(),
        database: { connectionUrl: pulumi.secret("postgres://coder:hunter2@db/coder?sslmode=prefer") },
      });
    });
    assert.ok(
      messages.some((m) => /database\.connectionUrl: has sslmode "prefer"/.test(m)),
      messages.join("\n"),
    );
    assert.ok(!messages.some((m) => m.includes("hunter2")), "the error must not repeat the password");
    const secrets = ofType(resources, "kubernetes:core/v1:Secret").map((r) => at(r.inputs, "metadata.name"));
    assert.ok(!secrets.includes("coder-db-url"), "the refused URL is never written to a Secret");
  });

  it("checks an access URL that arrives as an Output inside apply", async () => {
    const { failures: messages, resources } = await synthApplyFailures(() => {
      new CoderControlPlane("coder", { ...snippetArgs(), accessUrl: pulumi.output("http://coder.example.com") });
    });
    assert.ok(
      messages.some((m) => /accessUrl: "http:\/\/coder\.example\.com" is not https/.test(m)),
      messages.join("\n"),
    );
    assert.deepEqual(ofType(resources, "kubernetes:helm.sh/v4:Chart"), [], "no chart with an http access URL");
  });

  it("references a cert-manager Secret, builds a password-less RDS URL and opens a public LB only to the ranges", async () => {
    let cp: CoderControlPlane | undefined;
    const { resources } = await synth(() => {
      cp = new CoderControlPlane("coder", {
        ...snippetArgs(),
        namespace: "coder-control",
        tls: { secretName: "coder-cert-manager" },
        database: {
          auth: "awsiamrds",
          host: pulumi.output("coder.abc.us-west-2.rds.amazonaws.com"),
          user: "coder",
          database: "coder",
        },
        exposure: { type: "PublicLoadBalancer", allowedSourceRanges: ["203.0.113.0/24"] },
      });
    });
    const values = await valueOf(cp!.values);
    assert.deepEqual(values.coder.tls.secretNames, ["coder-cert-manager"]);
    assert.equal(envValue(values, "CODER_PG_AUTH"), "awsiamrds");
    const secrets = ofType(resources, "kubernetes:core/v1:Secret");
    assert.ok(!secrets.some((s) => s.inputs.type === "kubernetes.io/tls"), "no TLS Secret when one is referenced");
    const db = secrets.find((s) => at(s.inputs, "metadata.name") === "coder-db-url")!;
    assert.equal(
      at(db.inputs, "stringData.url"),
      "postgres://coder@coder.abc.us-west-2.rds.amazonaws.com:5432/coder?sslmode=verify-full",
    );
    assert.ok(isSecretAt(db.rawInputs, "stringData.url"));
    const svc = one(resources, "kubernetes:core/v1:Service");
    assert.equal(at(svc.inputs, "spec.type"), "LoadBalancer");
    assert.deepEqual(at(svc.inputs, "spec.loadBalancerSourceRanges"), ["203.0.113.0/24"]);
    assert.equal(at(svc.inputs, "metadata.namespace"), "coder-control");
    assert.equal(await valueOf(cp!.namespaceName), "coder-control");
    await validateAllKubernetesObjects(resources);
  });

  it("makes an internal load balancer with the cloud's annotations and passes the provider to every child", async () => {
    const { resources } = await synth(() => {
      const provider = new k8s.Provider("cluster", { kubeconfig: "{}" });
      new CoderControlPlane(
        "coder",
        {
          ...snippetArgs(),
          externalAuth: [],
          exposure: {
            type: "InternalLoadBalancer",
            annotations: { "networking.gke.io/load-balancer-type": "Internal" },
          },
        },
        { provider },
      );
    });
    const svc = one(resources, "kubernetes:core/v1:Service");
    assert.equal(at(svc.inputs, "spec.type"), "LoadBalancer");
    assert.deepEqual(at(svc.inputs, "metadata.annotations"), { "networking.gke.io/load-balancer-type": "Internal" });
    assert.equal(ofType(resources, "kubernetes:core/v1:Secret").length, 3, "no external-auth Secret without providers");
    const providerUrn = one(resources, "pulumi:providers:kubernetes").urn;
    for (const r of resources.filter((x) => x.custom && x.type.startsWith("kubernetes:"))) {
      assert.ok(r.provider.startsWith(providerUrn), `${r.type} ${r.name} uses the cluster's provider`);
    }
    await validateAllKubernetesObjects(resources);
  });
});
