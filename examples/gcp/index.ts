/**
 * A dedicated, hardened GKE cluster for Coder, and Coder itself when `accessUrl` is configured.
 * Everything not set in the stack's config keeps the secure default; see README.md for the config
 * keys. `gcp:project` and `gcp:region` choose where.
 */
import * as pulumi from "@pulumi/pulumi";
import * as hcgcp from "@hardened-coder/gcp";

const config = new pulumi.Config();
const workspaces = config.getNumber("workspaces");
const workspacesPerNode = config.getNumber("workspacesPerNode");
const authorizedNetworks = config.getObject<string[]>("authorizedNetworks");
const repositories = config.getObject<string[]>("repositories");
const approvedImages = config.getObject<string[]>("approvedImages");
const machineType = config.get("machineType");
const name = config.get("clusterName");

/** Coder, from config: deployed only when `accessUrl` is set. */
function coderFromConfig(): hcgcp.HardenedClusterCoderArgs | undefined {
  const accessUrl = config.get("accessUrl");
  if (!accessUrl) return undefined;
  const tlsSecretName = config.get("tlsSecretName");
  const githubClientId = config.get("githubClientId");
  const publicSourceRanges = config.getObject<string[]>("publicSourceRanges");
  const wildcardAccessUrl = config.get("wildcardAccessUrl");
  const databaseTier = config.get("databaseTier");
  return {
    accessUrl,
    ...(wildcardAccessUrl ? { wildcardAccessUrl } : {}),
    tls: tlsSecretName
      ? { secretName: tlsSecretName }
      : { certificate: config.require("tlsCertificate"), privateKey: config.requireSecret("tlsPrivateKey") },
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
    ...(databaseTier ? { database: { tier: databaseTier } } : {}),
  };
}

const coderArgs = coderFromConfig();
const cluster = new hcgcp.HardenedCluster("coder", {
  ...(name ? { clusterName: name } : {}),
  ...(workspaces !== undefined || workspacesPerNode !== undefined
    ? {
        capacity: {
          ...(workspaces !== undefined ? { workspaces } : {}),
          ...(workspacesPerNode !== undefined ? { workspacesPerNode } : {}),
        },
      }
    : {}),
  ...(authorizedNetworks
    ? { authorizedNetworks: authorizedNetworks.map((cidrBlock, i) => ({ cidrBlock, displayName: `config-${i}` })) }
    : {}),
  ...(config.getBoolean("publicEndpoint") ? { publicEndpoint: true } : {}),
  ...(config.getBoolean("dnsEndpoint") ? { dnsEndpoint: true } : {}),
  ...(repositories ? { repositories } : {}),
  ...(approvedImages ? { approvedImages } : {}),
  ...(machineType ? { machineType } : {}),
  ...(coderArgs ? { coder: coderArgs } : {}),
});

export const kubeconfig = cluster.kubeconfig;
export const clusterName = cluster.clusterName;
export const endpoint = cluster.endpoint;
export const network = cluster.networkName;
export const subnetwork = cluster.subnetworkName;
export const kmsKeyId = cluster.kmsKeyId;
export const nodeServiceAccount = cluster.nodeServiceAccountEmail;
export const workspaceNamespace = cluster.namespace.namespaceName;
export const storageClass = cluster.storageClass.storageClassName;
export const approvedImagePrefixes = cluster.admissionPolicy.approvedImages;
export const capacity = cluster.capacity;
/** coderd's endpoints and database, once `accessUrl` is configured. */
export const coder =
  cluster.coderd && cluster.database
    ? {
        accessUrl: cluster.coderd.accessUrl,
        namespace: cluster.coderd.namespaceName,
        service: cluster.coderd.serviceName,
        databaseConnectionName: cluster.database.connectionName,
        databaseUser: cluster.database.iamUser,
      }
    : "not deployed: set accessUrl (see README.md)";
