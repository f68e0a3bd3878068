/**
 * A dedicated, hardened EKS cluster for Coder, and coderd on it when `accessUrl` is set.
 * Everything not set in the stack's config keeps the secure default; see README.md for the keys.
 */
import * as pulumi from "@pulumi/pulumi";
import * as hcaws from "@hardened-coder/aws";

const config = new pulumi.Config();
const workspaces = config.getNumber("workspaces");
const publicAccessCidrs = config.getObject<string[]>("publicAccessCidrs");
const privateAccessCidrs = config.getObject<string[]>("privateAccessCidrs");
const admins = config.getObject<string[]>("admins");
const repositories = config.getObject<string[]>("repositories");
const instanceTypes = config.getObject<string[]>("instanceTypes");
const vpcRange = config.get("vpcCidr");

/** coderd, from config: access URL, TLS, OIDC and (optionally) a GitHub OAuth app. */
function coderFromConfig(): hcaws.HardenedClusterCoderArgs | undefined {
  const accessUrl = config.get("accessUrl");
  if (!accessUrl) return undefined;
  const certificate = config.get("tlsCertificate");
  const githubClientId = config.get("githubClientId");
  const publicSourceRanges = config.getObject<string[]>("publicSourceRanges");
  const wildcardAccessUrl = config.get("wildcardAccessUrl");
  return {
    accessUrl,
    // Either a certificate and key from config (the key a secret), or a kubernetes.io/tls Secret you
    // create in coderd's namespace (e.g. with cert-manager).
    tls: certificate
      ? { certificate, privateKey: config.requireSecret("tlsPrivateKey") }
      : { secretName: config.get("tlsSecretName") ?? "coder-tls" },
    oidc: {
      issuerUrl: config.require("oidcIssuerUrl"),
      clientId: config.require("oidcClientId"),
      clientSecret: config.requireSecret("oidcClientSecret"),
      emailDomains: config.getObject<string[]>("oidcEmailDomains") ?? [],
    },
    ...(githubClientId
      ? {
          externalAuth: [
            {
              id: "github",
              type: "github",
              clientId: githubClientId,
              clientSecret: config.requireSecret("githubClientSecret"),
            },
          ],
        }
      : {}),
    ...(publicSourceRanges
      ? { exposure: { type: "PublicLoadBalancer" as const, allowedSourceRanges: publicSourceRanges } }
      : {}),
    ...(config.getBoolean("databaseMultiAz") === false ? { database: { multiAz: false } } : {}),
    // Subdomain apps (path-based apps are off); the certificate must cover the wildcard host too.
    ...(wildcardAccessUrl ? { controlPlane: { wildcardAccessUrl } } : {}),
  };
}
const coderArgs = coderFromConfig();

const cluster = new hcaws.HardenedCluster("coder", {
  ...(config.get("clusterName") ? { clusterName: config.require("clusterName") } : {}),
  ...(config.get("kubernetesVersion") ? { kubernetesVersion: config.require("kubernetesVersion") } : {}),
  ...(workspaces !== undefined ? { capacity: { workspaces } } : {}),
  ...(vpcRange ? { vpcCidr: vpcRange } : {}),
  ...(publicAccessCidrs ? { publicAccess: { allowedCidrs: publicAccessCidrs } } : {}),
  ...(privateAccessCidrs ? { privateAccessCidrs } : {}),
  ...(admins ? { admins } : {}),
  ...(repositories ? { repositories } : {}),
  ...(instanceTypes ? { nodes: { instanceTypes } } : {}),
  ...(config.get("awsProfile") ? { kubeconfigProfile: config.require("awsProfile") } : {}),
  ...(coderArgs ? { coder: coderArgs } : {}),
});

export const kubeconfig = cluster.kubeconfig;
export const clusterName = cluster.clusterName;
export const endpoint = cluster.endpoint;
export const vpcId = cluster.vpcId;
export const vpcCidr = cluster.network.vpcCidr;
export const privateSubnetIds = cluster.privateSubnetIds;
export const kmsKeyArn = cluster.kmsKeyArn;
export const nodeRoleArn = cluster.nodeRoleArn;
export const clusterAdmins = cluster.adminArns;
export const workspaceNamespace = cluster.namespace.namespaceName;
export const storageClass = cluster.storageClass.storageClassName;
export const imageRepositories = cluster.registry.repositoryUrls;
export const capacity = cluster.capacity;
export const coder =
  cluster.coderd && cluster.database
    ? {
        deployed: true,
        accessUrl: cluster.coderd.accessUrl,
        namespace: cluster.coderd.namespaceName,
        service: cluster.coderd.serviceName,
        databaseAddress: cluster.database.address,
        databaseMasterSecretArn: cluster.database.masterUserSecretArn,
      }
    : { deployed: false };
