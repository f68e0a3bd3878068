/**
 * @hardened-coder/gcp: a dedicated, hardened GKE cluster for Coder. Depends on
 * @hardened-coder/kubernetes and @pulumi/gcp only (never @pulumi/aws).
 */
export * from "./iam";
export * from "./kubeconfig";
export * from "./network-plan";
export * from "./RegistryPullAccount";
export * from "./EncryptedStorageClass";
export * from "./HardenedCluster";
export * from "./cloud-sql";
export * from "./CoderDatabase";
