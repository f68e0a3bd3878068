/** Labels every object this library creates carries, so audits and policies can find them. */
export const managedByLabels = {
  "app.kubernetes.io/managed-by": "pulumi",
  "app.kubernetes.io/part-of": "hardened-coder",
} as const;

/**
 * Marks a namespace as a Coder workspace namespace. `CoderNamespace` sets it; coderd's NetworkPolicy
 * admits agents from namespaces that carry it, and the policy pack holds such namespaces to the
 * workspace rules.
 */
export const coderWorkspacesNamespaceLabel = "hardened-coder/workspaces";

/** Label value limits: 63 characters, alphanumerics, `-`, `_`, `.`, alphanumeric at both ends. */
export function isValidLabelValue(value: string): boolean {
  return value.length <= 63 && /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(value);
}

/** RFC 1123 label (namespace names, Service names): lower-case alphanumerics and `-`, <= 63. */
export function isDnsLabel(value: string): boolean {
  return value.length >= 1 && value.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value);
}

/** RFC 1123 subdomain (most object names): <= 253, labels joined by dots. */
export function isDnsSubdomain(value: string): boolean {
  return value.length >= 1 && value.length <= 253 && value.split(".").every(isDnsLabel);
}

/** Throws naming the field when `value` is not an RFC 1123 label. */
export function requireDnsLabel(field: string, value: string): string {
  if (!isDnsLabel(value)) {
    throw new Error(
      `${field}: "${value}" is not a valid Kubernetes name; use lower-case letters, digits and '-', at most 63 characters`,
    );
  }
  return value;
}
