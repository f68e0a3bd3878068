/**
 * The policy pack's entry point (PulumiPolicy.yaml `main`): serves the policies to the Pulumi engine
 * for `pulumi preview --policy-pack <this package>`. Importing this module starts a gRPC server, so
 * nothing else imports it.
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("hardened-coder", {
  policies,
  enforcementLevel: "mandatory",
  displayName: "hardened-coder: Coder shared security responsibility",
  description:
    "One policy per enforceable recommendation of Coder's shared security responsibility guide, for clusters built " +
    "with hardened-coder or by hand (EKS, GKE, any Kubernetes).",
  tags: ["coder", "kubernetes", "aws", "gcp", "security"],
});
