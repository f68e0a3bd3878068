/**
 * @hardened-coder/aws: a dedicated, hardened EKS cluster for Coder, composing the cloud-agnostic
 * components of @hardened-coder/kubernetes.
 */
export * from "./arn";
export * from "./iam";
export * from "./kms";
export * from "./network";
export * from "./eks";
export * from "./EncryptedStorageClass";
export * from "./RegistryPullAccount";
export * from "./HardenedCluster";
export * from "./CoderDatabase";
