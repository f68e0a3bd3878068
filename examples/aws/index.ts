/**
 * A dedicated, hardened EKS cluster for Coder. Everything not set in the stack's config keeps the
 * secure default; see README.md for the config keys.
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
