/**
 * @hardened-coder/aws HardenedCluster under the mock engine: one test per control, on the resources
 * the program registers. `new HardenedCluster("coder", {})` is synthesised once and shared; a second
 * run turns every weakening option on, to show each takes a named option and is visible.
 */
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { complianceReport, recommendation } from "@hardened-coder/kubernetes";
import {
  HardenedCluster,
  controlPlaneLogTypes,
  defaultKubernetesVersion,
  keyUsers,
  planNetwork,
  podIdentityTrustPolicy,
  volumeAccessActions,
  type PolicyDocument,
} from "@hardened-coder/aws";
import {
  type RecordedResource,
  at,
  isSecretAt,
  isSecretOutput,
  ofType,
  one,
  plainStrings,
  synth,
  valueOf,
  synthApplyFailures,
} from "./harness/engine";
import { validateAllKubernetesObjects, validateKubernetesObject } from "./harness/validate";

const T = {
  cluster: "aws:eks/cluster:Cluster",
  nodeGroup: "aws:eks/nodeGroup:NodeGroup",
  launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
  addon: "aws:eks/addon:Addon",
  accessEntry: "aws:eks/accessEntry:AccessEntry",
  accessPolicy: "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
  podIdentity: "aws:eks/podIdentityAssociation:PodIdentityAssociation",
  role: "aws:iam/role:Role",
  attachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  inline: "aws:iam/rolePolicy:RolePolicy",
  key: "aws:kms/key:Key",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  vpc: "aws:ec2/vpc:Vpc",
  subnet: "aws:ec2/subnet:Subnet",
  nat: "aws:ec2/natGateway:NatGateway",
  routeTable: "aws:ec2/routeTable:RouteTable",
  flowLog: "aws:ec2/flowLog:FlowLog",
  defaultSg: "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
  sgIngress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  ecr: "aws:ecr/repository:Repository",
  k8sProvider: "pulumi:providers:kubernetes",
  storageClass: "kubernetes:storage.k8s.io/v1:StorageClass",
  vap: "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy",
  quota: "kubernetes:core/v1:ResourceQuota",
} as const;

const ACCOUNT = "123456789012";
const DEPLOYER_ROLE = `arn:aws:iam::${ACCOUNT}:role/PlatformAdmin`;

/** Validates every Kubernetes object; Patch kinds (partial by design) against their full kind. */
async function validateAll(resources: readonly RecordedResource[]): Promise<number> {
  const patches = resources.filter((r) => r.custom && /^kubernetes:.*Patch$/.test(r.type));
  const n = await validateAllKubernetesObjects(resources.filter((r) => !patches.includes(r)));
  for (const p of patches) await validateKubernetesObject(p.type.replace(/Patch$/, ""), p.inputs, p.name);
  return n + patches.length;
}

function roleByName(resources: readonly RecordedResource[], name: string): RecordedResource {
  return resources.find((r) => r.type === T.role && r.name === name)!;
}

function attachedPolicies(resources: readonly RecordedResource[], role: RecordedResource): string[] {
  const roleName = role.state.name as string;
  return ofType(resources, T.attachment)
    .filter((a) => a.inputs.role === roleName)
    .map((a) => String(a.inputs.policyArn).replace(/^arn:aws:iam::aws:policy\//, ""));
}

function inlinePolicies(resources: readonly RecordedResource[], role: RecordedResource): PolicyDocument[] {
  const roleName = role.state.name as string;
  return ofType(resources, T.inline)
    .filter((p) => p.inputs.role === roleName)
    .map((p) => JSON.parse(String(p.inputs.policy)) as PolicyDocument);
}

/** URNs a resource waits for: its dependencies, its provider, and every child of a component it waits for. */
function waitsFor(resources: readonly RecordedResource[], urn: string): Set<string> {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const children = new Map<string, string[]>();
  for (const r of resources) children.set(r.parent, [...(children.get(r.parent) ?? []), r.urn]);
  const seen = new Set<string>();
  const stack = [urn];
  while (stack.length > 0) {
    const r = byUrn.get(stack.pop()!);
    if (!r) continue;
    const next = [...r.dependencies];
    if (r.provider) next.push(r.provider.slice(0, r.provider.lastIndexOf("::")));
    for (const d of next) {
      if (seen.has(d)) continue;
      seen.add(d);
      stack.push(d, ...(byUrn.get(d)?.custom === false ? (children.get(d) ?? []) : []));
    }
  }
  return seen;
}

describe("aws: HardenedCluster('coder', {}) under the mock engine", () => {
  let rs: RecordedResource[];
  let invokes: string[];
  let kubeconfigIsSecret: boolean;
  let clusterOut: { adminArns: string[]; clusterName: string; nodeRoleArn: string };
  const plan = planNetwork({ capacity: { maxPodsPerNode: 58 } });

  before(async () => {
    const run = await synth(async () => {
      const c = new HardenedCluster("coder", {});
      kubeconfigIsSecret = await isSecretOutput(c.kubeconfig);
      clusterOut = {
        adminArns: await valueOf(c.adminArns),
        clusterName: await valueOf(c.clusterName),
        nodeRoleArn: await valueOf(c.nodeRoleArn),
      };
      return { kubeconfig: c.kubeconfig };
    });
    rs = run.resources;
    invokes = run.invokes.map((i) => i.token);
  });

  describe("network", () => {
    it("a dedicated VPC sized by the capacity plan", () => {
      const vpc = one(rs, T.vpc);
      assert.equal(vpc.inputs.cidrBlock, plan.vpcCidr);
      assert.equal(vpc.inputs.enableDnsHostnames, true);
    });

    it("private subnets in three zones hold nodes and pods; public ones hold no nodes", () => {
      const subnets = ofType(rs, T.subnet);
      const priv = subnets.filter((s) => s.name.includes("private"));
      const pub = subnets.filter((s) => s.name.includes("public"));
      assert.deepEqual(
        priv.map((s) => s.inputs.cidrBlock),
        plan.privateSubnets,
      );
      assert.deepEqual(
        pub.map((s) => s.inputs.cidrBlock),
        plan.publicSubnets,
      );
      assert.deepEqual(
        priv.map((s) => s.inputs.availabilityZone),
        ["us-west-2a", "us-west-2b", "us-west-2c"],
      );
      for (const s of subnets) assert.equal(s.inputs.mapPublicIpOnLaunch, false, s.name);
      const tag = (s: RecordedResource, k: string) => (s.inputs.tags as Record<string, string>)[k];
      for (const s of priv) assert.equal(tag(s, "kubernetes.io/role/internal-elb"), "1");
      for (const s of pub) assert.equal(tag(s, "kubernetes.io/role/elb"), "1");
      const privIds = priv.map((s) => `${s.name}-id`);
      assert.deepEqual(one(rs, T.nodeGroup).inputs.subnetIds, privIds);
      assert.deepEqual(at(one(rs, T.cluster).inputs, "vpcConfig.subnetIds"), privIds);
      // NAT gateways sit in the public subnets, one per zone.
      assert.deepEqual(
        ofType(rs, T.nat).map((n) => n.inputs.subnetId),
        pub.map((s) => `${s.name}-id`),
      );
    });

    it("private subnets reach the internet only through NAT; only the public route table has the internet gateway", () => {
      for (const rt of ofType(rs, T.routeTable)) {
        const routes = rt.inputs.routes as { gatewayId?: string; natGatewayId?: string }[];
        if (rt.name.includes("private")) {
          assert.ok(
            routes.every((r) => r.natGatewayId && !r.gatewayId),
            rt.name,
          );
        } else {
          assert.ok(
            routes.every((r) => r.gatewayId),
            rt.name,
          );
        }
      }
    });

    it("VPC flow logs of all traffic go to a retained, KMS-encrypted log group", () => {
      const fl = one(rs, T.flowLog);
      assert.equal(fl.inputs.trafficType, "ALL");
      assert.equal(fl.inputs.vpcId, "coder-vpc-id");
      const group = one(rs, T.logGroup, "flow-logs");
      assert.equal(fl.inputs.logDestination, group.state.arn);
      assert.equal(group.inputs.retentionInDays, 365);
      assert.equal(group.inputs.kmsKeyId, one(rs, T.key).state.arn);
    });

    it("empties the VPC's default security group", () => {
      const sg = one(rs, T.defaultSg);
      assert.equal(sg.inputs.vpcId, "coder-vpc-id");
      assert.equal((sg.inputs.ingress as unknown[] | undefined)?.length ?? 0, 0);
      assert.equal((sg.inputs.egress as unknown[] | undefined)?.length ?? 0, 0);
    });

    it("takes the Service range from the plan", () => {
      assert.equal(at(one(rs, T.cluster).inputs, "kubernetesNetworkConfig.serviceIpv4Cidr"), plan.serviceCidr);
    });
  });

  describe("control plane", () => {
    it(`runs Kubernetes ${defaultKubernetesVersion} on standard support`, () => {
      const c = one(rs, T.cluster);
      assert.equal(c.inputs.version, defaultKubernetesVersion);
      assert.equal(at(c.inputs, "upgradePolicy.supportType"), "STANDARD");
    });

    it("has a private endpoint only", () => {
      const vpc = at(one(rs, T.cluster).inputs, "vpcConfig") as Record<string, unknown>;
      assert.equal(vpc.endpointPrivateAccess, true);
      assert.equal(vpc.endpointPublicAccess, false);
      assert.equal(vpc.publicAccessCidrs, undefined);
    });

    it("envelope-encrypts Secrets with a customer-managed key that rotates", () => {
      const key = one(rs, T.key);
      assert.equal(key.inputs.enableKeyRotation, true);
      assert.equal(key.inputs.deletionWindowInDays, 30);
      assert.deepEqual(at(one(rs, T.cluster).inputs, "encryptionConfig"), {
        resources: ["secrets"],
        provider: { keyArn: key.state.arn },
      });
    });

    it("sends all five log types to an encrypted, retained log group created before the cluster", () => {
      const c = one(rs, T.cluster);
      assert.deepEqual(c.inputs.enabledClusterLogTypes, [...controlPlaneLogTypes]);
      const group = one(rs, T.logGroup, "control-plane");
      assert.equal(group.inputs.name, "/aws/eks/coder/cluster");
      assert.equal(group.inputs.retentionInDays, 365);
      assert.equal(group.inputs.kmsKeyId, one(rs, T.key).state.arn);
      assert.ok(c.dependencies.includes(group.urn), "the cluster waits for its log group");
    });

    it("authenticates with the EKS API only, with no silent creator admin", () => {
      assert.deepEqual(at(one(rs, T.cluster).inputs, "accessConfig"), {
        authenticationMode: "API",
        bootstrapClusterCreatorAdminPermissions: false,
      });
    });

    it("makes the deploying identity (as its role, not the session) an explicit cluster admin", () => {
      const entry = one(rs, T.accessEntry);
      assert.equal(entry.inputs.principalArn, DEPLOYER_ROLE);
      assert.equal(entry.inputs.type, "STANDARD");
      const assoc = one(rs, T.accessPolicy);
      assert.equal(assoc.inputs.principalArn, DEPLOYER_ROLE);
      assert.equal(assoc.inputs.policyArn, "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy");
      assert.deepEqual(assoc.inputs.accessScope, { type: "cluster" });
      assert.deepEqual(clusterOut.adminArns, [DEPLOYER_ROLE]);
    });
  });

  describe("nodes", () => {
    it("require IMDSv2 with a hop limit of 1", () => {
      assert.deepEqual(one(rs, T.launchTemplate).inputs.metadataOptions, {
        httpEndpoint: "enabled",
        httpTokens: "required",
        httpPutResponseHopLimit: 1,
        instanceMetadataTags: "disabled",
      });
      assert.deepEqual(at(one(rs, T.nodeGroup).inputs, "launchTemplate"), { id: "coder-nodes-id", version: "1" });
    });

    it("boot from a gp3 root volume encrypted with the stack's key", () => {
      const bdm = one(rs, T.launchTemplate).inputs.blockDeviceMappings as {
        deviceName: string;
        ebs: Record<string, unknown>;
      }[];
      assert.deepEqual(bdm, [
        {
          deviceName: "/dev/xvda",
          ebs: {
            volumeSize: 100,
            volumeType: "gp3",
            encrypted: "true",
            kmsKeyId: one(rs, T.key).state.arn,
            deleteOnTermination: "true",
          },
        },
      ]);
    });

    it("have no SSH key and no remote access, and run AL2023", () => {
      assert.equal(one(rs, T.launchTemplate).inputs.keyName, undefined);
      const ng = one(rs, T.nodeGroup);
      assert.equal(ng.inputs.remoteAccess, undefined);
      assert.equal(ng.inputs.amiType, "AL2023_x86_64_STANDARD");
    });

    it("scale within the plan's bounds and update one node at a time", () => {
      const ng = one(rs, T.nodeGroup);
      assert.deepEqual(ng.inputs.scalingConfig, {
        minSize: plan.capacity.nodes.min,
        desiredSize: plan.capacity.nodes.desired,
        maxSize: plan.capacity.nodes.max,
      });
      assert.deepEqual(ng.inputs.updateConfig, { maxUnavailable: 1 });
    });

    it("have a role with only the worker-node policy plus pulls of EKS add-on images and approved repositories", () => {
      const role = roleByName(rs, "coder-node");
      assert.equal(role.state.arn, clusterOut.nodeRoleArn);
      assert.deepEqual(attachedPolicies(rs, role), ["AmazonEKSWorkerNodePolicy"]);
      const docs = inlinePolicies(rs, role);
      assert.equal(docs.length, 2);
      const resources = docs.flatMap((d) => d.Statement.map((s) => s.Resource));
      assert.deepEqual(
        resources.sort(),
        [
          "*",
          "*",
          "arn:aws:ecr:*:602401143452:repository/*",
          [`arn:aws:ecr:us-west-2:${ACCOUNT}:repository/coder/workspaces`],
        ].sort(),
      );
      const star = docs.flatMap((d) => d.Statement).filter((s) => s.Resource === "*");
      assert.ok(star.length > 0 && star.every((s) => s.Action === "ecr:GetAuthorizationToken"));
    });

    it("can log in to ECR through a policy the node group waits for (the kubelet needs a token for add-on images)", () => {
      const role = roleByName(rs, "coder-node");
      const nodeGroup = one(rs, T.nodeGroup);
      const awaited = ofType(rs, "aws:iam/rolePolicy:RolePolicy").filter(
        (p) => p.inputs.role === role.state.name && nodeGroup.dependencies.includes(p.urn),
      );
      const actions = awaited.flatMap((p) =>
        (JSON.parse(String(p.inputs.policy)) as PolicyDocument).Statement.flatMap((s) =>
          typeof s.Action === "string" ? [s.Action] : [...s.Action],
        ),
      );
      assert.ok(actions.includes("ecr:GetAuthorizationToken"), "token");
      assert.ok(actions.includes("ecr:BatchGetImage"), "pull");
    });

    it("cannot snapshot, attach or read volumes, nor use the key", () => {
      const role = roleByName(rs, "coder-node");
      const actions = inlinePolicies(rs, role).flatMap((d) =>
        d.Statement.flatMap((s) => (typeof s.Action === "string" ? [s.Action] : [...s.Action])),
      );
      for (const a of volumeAccessActions) assert.ok(!actions.includes(a), a);
      assert.ok(!actions.some((a) => a.startsWith("kms:") || a.startsWith("ec2:")));
      for (const p of attachedPolicies(rs, role)) {
        assert.ok(!/EBS|CNI|ContainerRegistry|SSM/.test(p), `node role carries ${p}`);
      }
      const keyPolicy = JSON.parse(String(one(rs, T.key).inputs.policy)) as PolicyDocument;
      assert.ok(!keyUsers(keyPolicy).includes(String(role.state.arn)));
    });
  });

  describe("add-ons and Pod Identity", () => {
    const addon = (name: string) => ofType(rs, T.addon).find((a) => a.inputs.addonName === name)!;

    it("installs the five managed add-ons", () => {
      assert.deepEqual(
        ofType(rs, T.addon)
          .map((a) => a.inputs.addonName)
          .sort(),
        ["aws-ebs-csi-driver", "coredns", "eks-pod-identity-agent", "kube-proxy", "vpc-cni"],
      );
      assert.equal(one(rs, T.cluster).inputs.bootstrapSelfManagedAddons, false);
    });

    it("turns on VPC CNI network policy enforcement", () => {
      assert.deepEqual(JSON.parse(String(addon("vpc-cni").inputs.configurationValues)), {
        enableNetworkPolicy: "true",
      });
    });

    it("gives the VPC CNI and EBS CSI controller Pod Identity roles scoped to their ServiceAccounts", () => {
      const assocs = ofType(rs, T.podIdentity);
      const cni = assocs.find((a) => a.inputs.serviceAccount === "aws-node")!;
      const ebs = assocs.find((a) => a.inputs.serviceAccount === "ebs-csi-controller-sa")!;
      assert.equal(cni.inputs.namespace, "kube-system");
      assert.equal(ebs.inputs.namespace, "kube-system");
      const cniRole = roleByName(rs, "coder-vpc-cni");
      const ebsRole = roleByName(rs, "coder-ebs-csi");
      assert.equal(cni.inputs.roleArn, cniRole.state.arn);
      assert.equal(ebs.inputs.roleArn, ebsRole.state.arn);
      assert.deepEqual(
        JSON.parse(String(cniRole.inputs.assumeRolePolicy)),
        podIdentityTrustPolicy({ clusterName: "coder", namespace: "kube-system", serviceAccount: "aws-node" }),
      );
      assert.deepEqual(
        JSON.parse(String(ebsRole.inputs.assumeRolePolicy)),
        podIdentityTrustPolicy({
          clusterName: "coder",
          namespace: "kube-system",
          serviceAccount: "ebs-csi-controller-sa",
        }),
      );
      assert.deepEqual(attachedPolicies(rs, cniRole), ["AmazonEKS_CNI_Policy"]);
      assert.deepEqual(attachedPolicies(rs, ebsRole), ["service-role/AmazonEBSCSIDriverPolicy"]);
      const kms = inlinePolicies(rs, ebsRole)[0]!;
      assert.ok(kms.Statement.every((s) => s.Resource === one(rs, T.key).state.arn));
      const grant = kms.Statement.find((s) => (s.Action as readonly string[]).includes("kms:CreateGrant"))!;
      assert.deepEqual(grant.Condition, { Bool: { "kms:GrantIsForAWSResource": "true" } });
      // aws-node starts with its role's credentials: the association exists before the add-on.
      assert.ok(addon("vpc-cni").dependencies.includes(cni.urn));
      assert.ok(addon("aws-ebs-csi-driver").dependencies.includes(ebs.urn));
    });

    it("brings the DaemonSet add-ons up before the nodes and the Deployment ones after", () => {
      const ng = one(rs, T.nodeGroup);
      for (const n of ["vpc-cni", "kube-proxy", "eks-pod-identity-agent"]) {
        assert.ok(ng.dependencies.includes(addon(n).urn), `node group waits for ${n}`);
      }
      for (const n of ["coredns", "aws-ebs-csi-driver"]) {
        assert.ok(addon(n).dependencies.includes(ng.urn), `${n} waits for the nodes`);
      }
    });
  });

  describe("storage", () => {
    it("the default StorageClass is EBS CSI gp3, encrypted with the customer-managed key, and the only default", () => {
      const classes = ofType(rs, T.storageClass);
      const defaults = classes.filter(
        (c) =>
          (at(c.inputs, "metadata.annotations") as Record<string, string> | undefined)?.[
            "storageclass.kubernetes.io/is-default-class"
          ] === "true",
      );
      assert.equal(defaults.length, 1);
      const sc = defaults[0]!;
      assert.equal(sc.inputs.provisioner, "ebs.csi.aws.com");
      assert.deepEqual(sc.inputs.parameters, { type: "gp3", encrypted: "true", kmsKeyId: one(rs, T.key).state.arn });
      assert.equal(at(sc.inputs, "metadata.name"), "encrypted-gp3");
    });

    it("the key policy lets only the cluster role, the EBS CSI role, Auto Scaling and the log groups use the key", () => {
      const doc = JSON.parse(String(one(rs, T.key).inputs.policy)) as PolicyDocument;
      assert.deepEqual(
        keyUsers(doc).sort(),
        [
          `arn:aws:iam::${ACCOUNT}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`,
          roleByName(rs, "coder-cluster").state.arn,
          roleByName(rs, "coder-ebs-csi").state.arn,
          "logs.us-west-2.amazonaws.com",
        ].sort(),
      );
      const root = doc.Statement.filter((s) => JSON.stringify(s.Principal).includes(":root"));
      for (const s of root) {
        const actions = typeof s.Action === "string" ? [s.Action] : s.Action;
        assert.ok(!actions.some((a) => /Encrypt|Decrypt|GenerateDataKey|kms:\*/.test(a)), s.Sid);
        if (actions.includes("kms:CreateGrant")) {
          assert.deepEqual(s.Condition, { Bool: { "kms:GrantIsForAWSResource": "true" } });
        }
      }
    });
  });

  describe("registry", () => {
    it("an ECR repository with immutable tags, scan on push and the stack's key", () => {
      const repo = one(rs, T.ecr);
      assert.equal(repo.inputs.name, "coder/workspaces");
      assert.equal(repo.inputs.imageTagMutability, "IMMUTABLE");
      assert.deepEqual(repo.inputs.imageScanningConfiguration, { scanOnPush: true });
      assert.deepEqual(repo.inputs.encryptionConfigurations, [
        { encryptionType: "KMS", kmsKey: one(rs, T.key).state.arn },
      ]);
    });

    it("its URL is the admission policy's only approved prefix", () => {
      const url = `${ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com/coder/workspaces`;
      const vars = at(one(rs, T.vap).inputs, "spec.variables") as { name: string; expression: string }[];
      const approved = vars.find((v) => /approved/i.test(v.name))!;
      assert.ok(
        approved.expression.includes(`"${url}:"`) || approved.expression.includes(`'${url}:'`),
        approved.expression,
      );
      assert.ok(!/docker\.io|ghcr\.io|\*/.test(approved.expression));
    });
  });

  describe("Kubernetes objects", () => {
    it("are all schema-valid", async () => {
      assert.ok((await validateAll(rs)) >= 10);
    });

    it("all go through the provider built from the new cluster", () => {
      const provider = one(rs, T.k8sProvider);
      const objects = rs.filter((r) => r.custom && r.type.startsWith("kubernetes:"));
      assert.ok(objects.length >= 10);
      for (const o of objects) assert.ok(o.provider.startsWith(`${provider.urn}::`), `${o.type} ${o.name}`);
      assert.ok(provider.dependencies.includes(one(rs, T.accessPolicy).urn), "the provider waits for admin access");
    });

    it("the kubeconfig is a Pulumi secret, uses aws eks get-token, and never appears in plain text", () => {
      assert.ok(kubeconfigIsSecret);
      const provider = one(rs, T.k8sProvider);
      assert.ok(isSecretAt(provider.rawInputs, "kubeconfig"));
      assert.ok(!plainStrings(provider.rawInputs).some((s) => s.includes("get-token")));
      const kc = JSON.parse(String(provider.inputs.kubeconfig)) as { users: { user: { exec: { args: string[] } } }[] };
      assert.deepEqual(kc.users[0]!.user.exec.args.slice(0, 4), ["eks", "get-token", "--cluster-name", "coder"]);
    });

    it("no Kubernetes object waits for the node group, so they deploy while nodes boot", () => {
      const ng = one(rs, T.nodeGroup);
      const objects = rs.filter((r) => r.custom && r.type.startsWith("kubernetes:"));
      for (const o of objects) {
        const deps = waitsFor(rs, o.urn);
        assert.ok(deps.has(one(rs, T.cluster).urn), `${o.name} waits for the control plane`);
        assert.ok(!deps.has(ng.urn), `${o.type} ${o.name} waits for the node group`);
      }
    });

    it("sizes the namespace quota from the same plan", () => {
      const quota = one(rs, T.quota);
      assert.equal(at(quota.inputs, "spec.hard.pods"), String(plan.capacity.quota.pods));
    });
  });

  it("the compliance report marks what this stack meets, with the cluster's evidence", () => {
    const report = complianceReport(rs, { stackName: "aws {}" });
    const met = new Set(report.entries.filter((e) => e.status === "met-by-default").map((e) => e.id));
    for (const id of [
      "storage-quotas",
      "storage-encryption",
      "storage-cloud-access",
      "storage-depletion-pvc",
      "storage-depletion-ephemeral",
      "network-boundaries",
      "network-external",
      "network-ip-depletion-pods",
      "network-ip-depletion-services",
      "roles-coder-service-account",
      "roles-cluster-admins",
      "roles-control-plane-access",
      "node-upgrades",
      "node-user-accounts",
      "node-cloud-access",
      "cluster-dedicated",
      "registry-dedicated-account",
      "registry-approved-images",
    ] as const) {
      assert.ok(met.has(id), `${id} met by default`);
    }
    const cluster = one(rs, "hardened-coder:aws:HardenedCluster");
    for (const id of [
      "roles-cluster-admins",
      "node-cloud-access",
      "cluster-dedicated",
      "roles-control-plane-access",
    ] as const) {
      const entry = report.entries.find((e) => e.id === id)!;
      assert.ok(
        entry.evidence.some((e) => e.urn === cluster.urn),
        `${id} cites the cluster`,
      );
      assert.ok(recommendation(id).controls.some((c) => c.component === "hardened-coder:aws:HardenedCluster"));
    }
    // Without coderd, its recommendations stay the site admin's.
    assert.equal(report.entries.find((e) => e.id === "network-tls-coderd")!.status, "site-admin-duty");
  });

  it("without coder, creates nothing of coderd: no database, no coderd, no load balancer subnets", () => {
    for (const t of [
      "hardened-coder:kubernetes:CoderControlPlane",
      "hardened-coder:aws:CoderDatabase",
      "aws:rds/instance:Instance",
      "kubernetes:batch/v1:Job",
      "kubernetes:helm.sh/v4:Chart",
    ]) {
      assert.deepEqual(ofType(rs, t), [], t);
    }
    assert.ok(!ofType(rs, T.subnet).some((s) => s.name.includes("internal-lb")));
    assert.ok(!String(one(rs, T.key).inputs.policy).includes("kms:ViaService"));
    assert.equal(one(rs, T.vpc).inputs.cidrBlock, planNetwork({ capacity: { maxPodsPerNode: 58 } }).vpcCidr);
  });

  it("makes only the invokes the design allows", () => {
    assert.ok(invokes.length > 0);
    for (const t of invokes) assert.match(t, /^aws:index\/get(Region|CallerIdentity|Partition|AvailabilityZones):/);
  });
});

describe("aws: HardenedCluster with every weakening option, each named and visible", () => {
  let rs: RecordedResource[];
  before(async () => {
    rs = (
      await synth(() => {
        new HardenedCluster("coder", {
          clusterName: "coder-dev",
          publicAccess: { allowedCidrs: ["203.0.113.0/24"] },
          privateAccessCidrs: ["10.200.0.0/16"],
          natGateways: "single",
          extendedSupport: true,
          admins: [
            "arn:aws:iam::123456789012:role/Ops",
            pulumi.output("arn:aws:sts::123456789012:assumed-role/Ci/run-1"),
          ],
          nodes: { amiType: "BOTTLEROCKET_x86_64", ssmAccess: true, capacityType: "SPOT" },
          logRetentionDays: 90,
          mutableTags: true,
          createAutoscalingServiceLinkedRole: true,
          kubeconfigProfile: "coder-admin",
        });
      })
    ).resources;
  });

  it("publicAccess opens the endpoint to its allowedCidrs only", () => {
    const vpc = at(one(rs, T.cluster).inputs, "vpcConfig") as Record<string, unknown>;
    assert.equal(vpc.endpointPublicAccess, true);
    assert.equal(vpc.endpointPrivateAccess, true);
    assert.deepEqual(vpc.publicAccessCidrs, ["203.0.113.0/24"]);
  });

  it("privateAccessCidrs adds 443 from those networks on the cluster security group", () => {
    const rule = one(rs, T.sgIngress);
    assert.equal(rule.inputs.cidrIpv4, "10.200.0.0/16");
    assert.equal(rule.inputs.fromPort, 443);
    assert.equal(rule.inputs.securityGroupId, "sg-cluster-mock");
  });

  it("natGateways single, extendedSupport, SSM, spot and log retention show in the resources", () => {
    assert.equal(ofType(rs, T.nat).length, 1);
    assert.equal(at(one(rs, T.cluster).inputs, "upgradePolicy.supportType"), "EXTENDED");
    assert.ok(attachedPolicies(rs, roleByName(rs, "coder-node")).includes("AmazonSSMManagedInstanceCore"));
    assert.equal(one(rs, T.nodeGroup).inputs.capacityType, "SPOT");
    assert.ok(ofType(rs, T.logGroup).every((g) => g.inputs.retentionInDays === 90));
    assert.equal(one(rs, T.ecr).inputs.imageTagMutability, "MUTABLE");
    assert.equal(
      one(rs, "aws:iam/serviceLinkedRole:ServiceLinkedRole").inputs.awsServiceName,
      "autoscaling.amazonaws.com",
    );
  });

  it("Bottlerocket gets both its OS and data volumes encrypted with the key", () => {
    assert.equal(one(rs, T.nodeGroup).inputs.amiType, "BOTTLEROCKET_x86_64");
    const bdm = one(rs, T.launchTemplate).inputs.blockDeviceMappings as {
      deviceName: string;
      ebs: Record<string, unknown>;
    }[];
    assert.deepEqual(
      bdm.map((d) => d.deviceName),
      ["/dev/xvda", "/dev/xvdb"],
    );
    for (const d of bdm) {
      assert.equal(d.ebs.encrypted, "true");
      assert.equal(d.ebs.kmsKeyId, one(rs, T.key).state.arn);
    }
    assert.equal(at(one(rs, T.launchTemplate).inputs, "metadataOptions.httpPutResponseHopLimit"), 1);
  });

  it("explicit admins replace the deployer; a session ARN that arrives as an Output becomes its role", () => {
    assert.deepEqual(
      ofType(rs, T.accessEntry).map((e) => e.inputs.principalArn),
      ["arn:aws:iam::123456789012:role/Ops", "arn:aws:iam::123456789012:role/Ci"],
    );
  });

  it("the kubeconfig uses the named AWS profile", () => {
    const kc = JSON.parse(String(one(rs, T.k8sProvider).inputs.kubeconfig)) as {
      users: { user: { exec: { env: { name: string; value: string }[] } } }[];
    };
    assert.deepEqual(kc.users[0]!.user.exec.env, [{ name: "AWS_PROFILE", value: "coder-admin" }]);
    assert.equal(one(rs, T.cluster).inputs.name, "coder-dev");
    assert.equal(one(rs, T.logGroup, "control-plane").inputs.name, "/aws/eks/coder-dev/cluster");
  });
});

describe("aws: HardenedCluster refuses unsafe input and registers nothing", () => {
  const cases: [string, ConstructorParameters<typeof HardenedCluster>[1], RegExp][] = [
    [
      "a public endpoint without allowedCidrs",
      { publicAccess: { allowedCidrs: [] } },
      /^publicAccess\.allowedCidrs: empty/,
    ],
    [
      "a public endpoint open to 0.0.0.0/0",
      { publicAccess: { allowedCidrs: ["0.0.0.0/0"] } },
      /^publicAccess\.allowedCidrs\[0\]: 0\.0\.0\.0\/0/,
    ],
    [
      "overlapping ranges",
      { vpcCidr: "172.20.0.0/16" },
      /^serviceCidr: 172\.20\.0\.0\/24 overlaps vpcCidr 172\.20\.0\.0\/16/,
    ],
    ["a VPC too small for the plan", { vpcCidr: "10.0.0.0/24" }, /^vpcCidr: 10\.0\.0\.0\/24 holds 256 addresses/],
    ["one availability zone", { availabilityZones: 1 }, /^availabilityZones: 1/],
    ["no admins", { admins: [] }, /^admins: an empty list/],
  ];
  for (const [what, args, re] of cases) {
    it(`refuses ${what}, naming the field`, async () => {
      const { resources } = await synth(() => {
        assert.throws(
          () => new HardenedCluster("coder", args),
          (err: Error) => re.test(err.message),
        );
      });
      assert.deepEqual(
        resources.filter((r) => r.type !== "pulumi:pulumi:Stack").map((r) => r.type),
        [],
      );
    });
  }

  it("fails the deployment, creating no access entry, when an admin that arrives as an Output is an Identity Center session", async () => {
    const run = await synthApplyFailures(() => {
      new HardenedCluster("coder", {
        admins: [pulumi.output("arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_abc/jane")],
      });
    });
    assert.ok(
      run.failures.some((f) =>
        /admins\[0\]: the deploying identity is the IAM Identity Center role AWSReservedSSO_Admin_abc/.test(f),
      ),
      run.failures.join("\n"),
    );
    assert.deepEqual(ofType(run.resources, T.accessEntry), []);
  });
});
