/**
 * @hardened-coder/kubernetes: cloud-agnostic components that harden a Kubernetes cluster for Coder
 * and deploy coderd on it. Pass `opts.provider` to target a cluster you already have.
 */
export * from "./recommendations";
export * from "./capacity";
export * from "./cidr";
export * from "./report";
export * from "./labels";
export * from "./pod-defaults";
export * from "./coderd-ref";
export * from "./EncryptedStorageClass";
export * from "./WorkspaceAdmissionPolicy";
export * from "./CoderNamespace";
export * from "./WorkspaceNetworkPolicy";
export * from "./RegistryPullAccount";
export * from "./CoderControlPlane";
