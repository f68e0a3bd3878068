/**
 * A dedicated, hardened GKE cluster for Coder. Everything not set in the stack's config keeps the
 * secure default; see README.md for the config keys. `gcp:project` and `gcp:region` choose where.
 */
import * as pulumi from "@pulumi/pulumi";
import * as hcgcp from "@hardened-coder/gcp";

const config = new pulumi.Config();
const workspaces = config.getNumber("workspaces");
const authorizedNetworks = config.getObject<string[]>("authorizedNetworks");
const repositories = config.getObject<string[]>("repositories");
const approvedImages = config.getObject<string[]>("approvedImages");
const machineType = config.get("machineType");
const name = config.get("clusterName");

const cluster = new hcgcp.HardenedCluster("coder", {
  ...(name ? { clusterName: name } : {}),
  ...(workspaces !== undefined ? { capacity: { workspaces } } : {}),
  ...(authorizedNetworks
    ? { authorizedNetworks: authorizedNetworks.map((cidrBlock, i) => ({ cidrBlock, displayName: `config-${i}` })) }
    : {}),
  ...(config.getBoolean("publicEndpoint") ? { publicEndpoint: true } : {}),
  ...(config.getBoolean("dnsEndpoint") ? { dnsEndpoint: true } : {}),
  ...(repositories ? { repositories } : {}),
  ...(approvedImages ? { approvedImages } : {}),
  ...(machineType ? { machineType } : {}),
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
