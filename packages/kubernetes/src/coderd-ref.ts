import type * as pulumi from "@pulumi/pulumi";

/**
 * Anything that names coderd's namespace and ServiceAccount. A `CoderControlPlane` fits; so does a
 * plain object for a coderd installed some other way.
 */
export interface CoderdRef {
  readonly namespaceName: pulumi.Input<string>;
  readonly serviceAccountName: pulumi.Input<string>;
}
