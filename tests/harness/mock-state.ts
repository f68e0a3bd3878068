/**
 * What the mock engine answers as a resource's state: its inputs plus the outputs a real provider
 * would compute (ARNs, endpoints, generated names). Kubernetes objects get `metadata.name` where the
 * provider would auto-name them, since the mocks do not.
 */
import { awsState } from "./mock-state-aws";
import { gcpState } from "./mock-state-gcp";

export type StateFn = (name: string, inputs: Record<string, unknown>) => Record<string, unknown>;

function kubernetesState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const metadata = { ...((inputs.metadata as Record<string, unknown> | undefined) ?? {}) };
  if (metadata.name === undefined && metadata.generateName === undefined) metadata.name = name;
  const state: Record<string, unknown> = { ...inputs, metadata };
  if (type === "kubernetes:core/v1:Service") {
    state.spec = { clusterIP: "10.96.0.10", ...(inputs.spec ?? {}) };
  }
  return state;
}

export function mockState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  if (type.startsWith("kubernetes:")) return kubernetesState(type, name, inputs);
  if (type.startsWith("aws:")) return { ...inputs, ...awsState(type, name, inputs) };
  if (type.startsWith("gcp:")) return { ...inputs, ...gcpState(type, name, inputs) };
  return { ...inputs };
}
