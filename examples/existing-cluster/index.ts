/**
 * Harden a Kubernetes cluster you already have and run a hardened coderd on it. Everything not set
 * in the stack's config keeps the secure default; with no config at all the program still runs
 * (example values: coder.example.com, idp.example.com), which is what `pnpm run plan` shows. See
 * README.md for the config keys.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as hc from "@hardened-coder/kubernetes";

const config = new pulumi.Config();

/** The host of a URL, or undefined when it does not parse (CoderControlPlane then names the field). */
function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname || undefined;
  } catch {
    return undefined;
  }
}

/**
 * A map of strings from config. `pulumi config set --path 'map.key' true` stores a boolean (and an
 * integer as a number), but StorageClass parameters and annotations are strings: read them back as
 * the text that was typed.
 */
function stringMap(key: string): Record<string, string> | undefined {
  const raw = config.getObject<Record<string, unknown>>(key);
  if (raw === undefined) return undefined;
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

// The cluster: a kubeconfig from the stack's (secret) config, else the ambient one (KUBECONFIG or
// ~/.kube/config, optionally a named context).
const kubeconfig = config.getSecret("kubeconfig");
const context = config.get("context");
const provider = new k8s.Provider("cluster", {
  ...(kubeconfig ? { kubeconfig } : {}),
  ...(context ? { context } : {}),
});
const opts = { provider };

// coderd.
const accessUrl = config.get("accessUrl") ?? "https://coder.example.com";
// Subdomain apps (code-server in the restricted template), since path-based apps are off.
const accessHost = hostOf(accessUrl);
const wildcardAccessUrl = config.get("wildcardAccessUrl") ?? (accessHost ? `*.${accessHost}` : undefined);
const tlsCertificate = config.get("tlsCertificate");
const tlsPrivateKey = config.getSecret("tlsPrivateKey");
const databaseUrl = config.getSecret("databaseUrl");
const githubClientId = config.get("githubClientId");
const githubClientSecret = config.getSecret("githubClientSecret");
const publicSourceRanges = config.getObject<string[]>("publicSourceRanges");
const internalLoadBalancerAnnotations = stringMap("internalLoadBalancerAnnotations");
const ingressNamespace = config.get("ingressNamespace");
const kubernetesApiCidrs = config.getObject<string[]>("kubernetesApiCidrs");
const databaseCidrs = config.getObject<string[]>("databaseCidrs");

const coderd = new hc.CoderControlPlane(
  "coder",
  {
    accessUrl,
    ...(wildcardAccessUrl ? { wildcardAccessUrl } : {}),
    tls:
      tlsCertificate !== undefined && tlsPrivateKey !== undefined
        ? { certificate: tlsCertificate, privateKey: tlsPrivateKey }
        : { secretName: config.get("tlsSecretName") ?? "coder-tls" },
    database: databaseUrl
      ? { connectionUrl: databaseUrl }
      : {
          secretName: config.get("databaseSecretName") ?? "coder-db-url",
          secretKey: config.get("databaseSecretKey") ?? "url",
        },
    oidc: {
      issuerUrl: config.get("oidcIssuerUrl") ?? "https://idp.example.com",
      clientId: config.get("oidcClientId") ?? "coder",
      // A placeholder keeps `pnpm run plan` running without config; OIDC login fails until it is set.
      clientSecret: config.getSecret("oidcClientSecret") ?? pulumi.secret("set-oidcClientSecret-in-stack-config"),
      emailDomains: config.getObject<string[]>("oidcEmailDomains") ?? ["example.com"],
    },
    externalAuth:
      githubClientId !== undefined && githubClientSecret !== undefined
        ? [{ id: "github", type: "github", clientId: githubClientId, clientSecret: githubClientSecret }]
        : [],
    ...(publicSourceRanges
      ? { exposure: { type: "PublicLoadBalancer" as const, allowedSourceRanges: publicSourceRanges } }
      : internalLoadBalancerAnnotations
        ? { exposure: { type: "InternalLoadBalancer" as const, annotations: internalLoadBalancerAnnotations } }
        : {}),
    ...(ingressNamespace ? { ingressFrom: [{ namespace: ingressNamespace }] } : {}),
    ...(kubernetesApiCidrs ? { kubernetesApi: { cidrs: kubernetesApiCidrs } } : {}),
    ...(databaseCidrs ? { databaseCidrs } : {}),
  },
  opts,
);

// The workspace namespace: restricted, sized, coderd's ServiceAccount bound to its Role, and
// labelled so coderd's own NetworkPolicy admits its agents.
const workspaces = config.getNumber("workspaces");
const namespace = new hc.CoderNamespace(
  "coder",
  {
    coderd,
    labels: { [hc.coderWorkspacesNamespaceLabel]: "true" },
    ...(workspaces !== undefined ? { workspaces } : {}),
  },
  opts,
);

new hc.WorkspaceNetworkPolicy("coder", { namespace: namespace.namespaceName, coderd }, opts);

const admission = new hc.WorkspaceAdmissionPolicy(
  "coder",
  {
    namespace: namespace.namespaceName,
    approvedImages: config.getObject<string[]>("approvedImages") ?? ["registry.example.com/coder/"],
  },
  opts,
);

const storage = new hc.EncryptedStorageClass(
  "coder-workspaces",
  {
    provisioner: config.get("storageProvisioner") ?? "ebs.csi.aws.com",
    parameters: stringMap("storageParameters") ?? { type: "gp3", encrypted: "true" },
  },
  opts,
);

// Registry pull credentials, when the approved registry needs them.
const registryServer = config.get("registryServer");
const registryUsername = config.get("registryUsername");
const registryPassword = config.getSecret("registryPassword");
const registry =
  registryServer !== undefined && registryUsername !== undefined && registryPassword !== undefined
    ? new hc.RegistryPullAccount(
        "coder",
        {
          namespace: namespace.namespaceName,
          server: registryServer,
          username: registryUsername,
          password: registryPassword,
        },
        opts,
      )
    : undefined;

export const coderAccessUrl = coderd.accessUrl;
export const coderdNamespace = coderd.namespaceName;
export const coderdServiceAccount = coderd.serviceAccountName;
export const coderdService = coderd.serviceName;
export const workspaceNamespace = namespace.namespaceName;
export const workspaceServiceAccount = namespace.workspaceServiceAccountName;
export const admissionPolicy = admission.policyName;
export const storageClass = storage.storageClassName;
export const registryPullSecret = registry ? registry.secretName : null;
