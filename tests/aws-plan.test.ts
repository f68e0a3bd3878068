/**
 * @hardened-coder/aws, pure parts: the network plan, argument resolution, ARNs, IAM and key policies.
 * No mock engine here; these are the functions the components are built from.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { cidrContains, cidrSize, cidrsOverlap, parseCidr } from "@hardened-coder/kubernetes";
import {
  allowedActions,
  approvedPrefixesForRepository,
  autoscalingServiceLinkedRoleArn,
  awsReservedPerSubnet,
  defaultKubernetesVersion,
  ebsCsiKmsPolicy,
  ecrPullPolicy,
  eksAddonImageAccount,
  eksAddonImagePullPolicy,
  keyAdministrationActions,
  keyPolicy,
  keyUsers,
  kubeconfig,
  nodeBlockDevices,
  planNetwork,
  podIdentityTrustPolicy,
  principalArnFromCallerArn,
  rdsConnectPolicy,
  resolveEncryptedStorageClassArgs,
  resolveHardenedClusterArgs,
  resolveKubernetesVersion,
  resolveRegistryPullAccountArgs,
  volumeAccessActions,
  vpcCniMaxPods,
} from "@hardened-coder/aws";

describe("aws: planNetwork (pure)", () => {
  it("sizes private subnets for the plan's nodes x (max pods + 1) per zone, in 3 zones by default", () => {
    const plan = planNetwork({ capacity: { maxPodsPerNode: 58 } });
    assert.equal(plan.availabilityZones, 3);
    assert.equal(plan.privateSubnets.length, 3);
    assert.equal(plan.publicSubnets.length, 3);
    const perZone = Math.ceil(plan.capacity.nodes.max / 3) * 59;
    for (const s of plan.privateSubnets) assert.ok(cidrSize(parseCidr(s)) - awsReservedPerSubnet >= perZone);
    // The Service range is the plan's and outside the VPC.
    assert.equal(plan.serviceCidr, plan.capacity.services.cidr);
    assert.ok(!cidrsOverlap(parseCidr(plan.serviceCidr), parseCidr(plan.vpcCidr)));
    assert.equal(plan.capacity.pods, undefined, "VPC CNI: pods live in the node subnets");
  });

  it("keeps public subnets small: NAT gateways and load balancers only", () => {
    const plan = planNetwork({ capacity: { maxPodsPerNode: 58 } });
    for (const s of plan.publicSubnets) assert.equal(parseCidr(s).prefix, 26);
  });

  it("spends a larger user VPC on the private subnets", () => {
    const plan = planNetwork({ capacity: { maxPodsPerNode: 58 }, vpcCidr: "10.10.0.0/16" });
    assert.deepEqual(plan.privateSubnets, ["10.10.0.0/18", "10.10.64.0/18", "10.10.128.0/18"]);
    assert.equal(plan.vpcCidr, "10.10.0.0/16");
  });

  it("refuses one zone, a non-private, too small or overlapping range, naming the field", () => {
    assert.throws(() => planNetwork({ availabilityZones: 1 }), /^Error: availabilityZones: 1 is out of range/);
    assert.throws(
      () => planNetwork({ vpcCidr: "8.8.0.0/16" }),
      /^Error: vpcCidr: 8\.8\.0\.0\/16 is not a private range/,
    );
    assert.throws(
      () => planNetwork({ vpcCidr: "10.0.0.0/8" }),
      /^Error: vpcCidr: 10\.0\.0\.0\/8 is outside AWS's VPC sizes/,
    );
    assert.throws(
      () => planNetwork({ vpcCidr: "10.0.0.0/24", capacity: { maxPodsPerNode: 58 } }),
      /^Error: vpcCidr: 10\.0\.0\.0\/24 holds 256 addresses but the plan's subnets need \d+ .*use a \/\d+ or larger/,
    );
    assert.throws(
      () => planNetwork({ vpcCidr: "10.0.0.0/16", serviceCidr: "10.0.128.0/24" }),
      /^Error: serviceCidr: 10\.0\.128\.0\/24 overlaps vpcCidr 10\.0\.0\.0\/16/,
    );
    assert.throws(() => planNetwork({ serviceCidr: "172.20.0.0/28" }), /^Error: serviceCidr: .* use a \/12 to \/24/);
    assert.throws(() => planNetwork({ serviceCidr: "100.64.0.0/16" }), /^Error: serviceCidr: .* not a private range/);
    assert.throws(
      () => planNetwork({ vpcCidr: "10.0.0.1/16" }),
      /^Error: vpcCidr: "10\.0\.0\.1\/16" has host bits set/,
    );
    assert.throws(() => planNetwork({ capacity: { workspaces: -3 } }), /^Error: capacity\.workspaces: -3/);
    assert.throws(
      () => planNetwork({ capacity: { workspaces: 100_000, maxPodsPerNode: 110 } }),
      /^Error: capacity\.workspaces: 100000 workspaces need \d+ VPC addresses, more than a \/16/,
    );
  });

  it("property: any valid sizing yields non-overlapping, in-VPC subnets that hold the plan", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3000 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 150 }),
        fc.constantFrom(17, 29, 35, 58, 110, 234),
        fc.integer({ min: 2, max: 6 }),
        fc.option(fc.constantFrom("10.20.0.0/16", "172.16.0.0/16", "192.168.0.0/16", "100.64.0.0/16"), {
          nil: undefined,
        }),
        (workspaces, podsPerWorkspace, devUrlsPerWorkspace, headroomPercent, maxPodsPerNode, azs, vpcCidr) => {
          let plan;
          try {
            plan = planNetwork({
              capacity: { workspaces, podsPerWorkspace, devUrlsPerWorkspace, headroomPercent, maxPodsPerNode },
              availabilityZones: azs,
              vpcCidr,
            });
          } catch (err) {
            // Only a plan too large for a /16 (or the given VPC) may be refused, and it must say which field.
            assert.match((err as Error).message, /^(vpcCidr|capacity\.workspaces): /);
            return;
          }
          const vpc = parseCidr(plan.vpcCidr);
          const subnets = [...plan.privateSubnets, ...plan.publicSubnets].map((s) => parseCidr(s));
          for (const [i, s] of subnets.entries()) {
            assert.ok(cidrContains(vpc, s));
            for (const t of subnets.slice(i + 1)) assert.ok(!cidrsOverlap(s, t));
          }
          const perZone = Math.ceil(plan.capacity.nodes.max / azs) * (maxPodsPerNode + 1);
          for (const s of plan.privateSubnets) assert.ok(cidrSize(parseCidr(s)) - awsReservedPerSubnet >= perZone);
          const svc = parseCidr(plan.serviceCidr);
          assert.ok(!cidrsOverlap(svc, vpc));
          assert.ok(svc.prefix >= 12 && svc.prefix <= 24);
          assert.ok(cidrSize(svc) >= plan.capacity.services.needed);
          assert.ok(vpc.prefix >= 16 && vpc.prefix <= 28);
          if (vpcCidr) assert.equal(plan.vpcCidr, vpcCidr);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("aws: resolveHardenedClusterArgs (pure)", () => {
  const defaults = resolveHardenedClusterArgs({}, "coder");

  it("defaults: private endpoint only, a current version on standard support, deployer as admin", () => {
    assert.deepEqual(defaults.endpoint, { privateAccess: true, publicAccess: false, publicAccessCidrs: [] });
    assert.equal(defaults.kubernetesVersion, defaultKubernetesVersion);
    assert.equal(defaults.supportType, "STANDARD");
    assert.equal(defaults.admins, "deployer");
    assert.equal(defaults.clusterName, "coder");
    assert.equal(defaults.logGroups.controlPlane, "/aws/eks/coder/cluster");
    assert.equal(defaults.natGateways, "per-zone");
  });

  it("defaults: IMDSv2 with hop limit 1, AL2023, encrypted volumes from the plan's node bounds", () => {
    assert.deepEqual(defaults.nodes.metadataOptions, {
      httpEndpoint: "enabled",
      httpTokens: "required",
      httpPutResponseHopLimit: 1,
      instanceMetadataTags: "disabled",
    });
    assert.equal(defaults.nodes.amiType, "AL2023_x86_64_STANDARD");
    assert.deepEqual(defaults.nodes.scaling, {
      minSize: defaults.capacity.nodes.min,
      desiredSize: defaults.capacity.nodes.desired,
      maxSize: defaults.capacity.nodes.max,
    });
    // m6i.xlarge: 4 ENIs x (15 - 1) + 2 = 58 pods, which the subnets are sized for.
    assert.equal(defaults.capacity.maxPodsPerNode, 58);
  });

  it("public access takes allowedCidrs, never the internet, naming the field", () => {
    const open = resolveHardenedClusterArgs({ publicAccess: { allowedCidrs: ["203.0.113.0/24"] } }, "coder");
    assert.deepEqual(open.endpoint, { privateAccess: true, publicAccess: true, publicAccessCidrs: ["203.0.113.0/24"] });
    assert.throws(
      () => resolveHardenedClusterArgs({ publicAccess: { allowedCidrs: [] } }, "coder"),
      /^Error: publicAccess\.allowedCidrs: empty, which EKS reads as 0\.0\.0\.0\/0/,
    );
    assert.throws(
      () => resolveHardenedClusterArgs({ publicAccess: { allowedCidrs: ["203.0.113.0/24", "0.0.0.0/0"] } }, "coder"),
      /^Error: publicAccess\.allowedCidrs\[1\]: 0\.0\.0\.0\/0 opens the API endpoint to the whole internet/,
    );
    assert.throws(
      () => resolveHardenedClusterArgs({ publicAccess: { allowedCidrs: ["0.0.0.0/1"] } }, "coder"),
      /^Error: publicAccess\.allowedCidrs\[0\]: 0\.0\.0\.0\/1 opens/,
    );
    assert.throws(
      () => resolveHardenedClusterArgs({ publicAccess: { allowedCidrs: ["not-a-cidr"] } }, "coder"),
      /^Error: publicAccess\.allowedCidrs\[0\]: "not-a-cidr" is not an IPv4 CIDR/,
    );
  });

  it("refuses other bad input, naming the field and the fix", () => {
    const refuse = (args: Parameters<typeof resolveHardenedClusterArgs>[0], re: RegExp) =>
      assert.throws(() => resolveHardenedClusterArgs(args, "coder"), re);
    refuse({ admins: [] }, /^Error: admins: an empty list leaves no one able to reach the cluster/);
    refuse(
      { admins: ["arn:aws:iam::123456789012:root"] },
      /^Error: admins\[0\]: the deploying identity is the account root/,
    );
    refuse({ admins: ["bob"] }, /^Error: admins\[0\]: "bob" is not an AWS ARN/);
    refuse({ kubernetesVersion: "1.29" }, /^Error: kubernetesVersion: 1\.29 is older than 1\.30/);
    refuse({ kubernetesVersion: "latest" }, /^Error: kubernetesVersion: "latest" is not an EKS version/);
    refuse({ clusterName: "-bad" }, /^Error: clusterName: "-bad" is not a valid EKS cluster name/);
    refuse({ availabilityZones: 1 }, /^Error: availabilityZones: 1/);
    refuse({ logRetentionDays: 0 }, /^Error: logRetentionDays: 0 is not a CloudWatch retention period/);
    refuse({ keyDeletionWindowDays: 3 }, /^Error: keyDeletionWindowDays: 3 is out of range/);
    refuse({ nodes: { instanceTypes: [] } }, /^Error: nodes\.instanceTypes: empty/);
    refuse({ nodes: { instanceTypes: ["m7g.xlarge", "m6i.xlarge"] } }, /^Error: nodes\.instanceTypes: .* mix ARM/);
    refuse(
      { nodes: { instanceTypes: ["m7g.xlarge"], amiType: "AL2023_x86_64_STANDARD" } },
      /^Error: nodes\.amiType: AL2023_x86_64_STANDARD does not match the ARM instance types/,
    );
    refuse(
      { nodes: { instanceTypes: ["x2iedn.32xlarge"] } },
      /^Error: capacity\.maxPodsPerNode: unset, and the max pods of x2iedn\.32xlarge/,
    );
    refuse({ nodes: { diskSizeGiB: 5 } }, /^Error: nodes\.diskSizeGiB: 5 is out of range/);
    refuse({ privateAccessCidrs: ["0.0.0.0/0"] }, /^Error: privateAccessCidrs\[0\]: 0\.0\.0\.0\/0/);
    refuse({ repositories: [] }, /^Error: repositories: an empty list leaves no approved images/);
    refuse({ repositories: ["Coder/Base"] }, /^Error: repositories\[0\]: "Coder\/Base" is not an ECR repository name/);
    refuse({ vpcCidr: "10.0.0.0/24" }, /^Error: vpcCidr: 10\.0\.0\.0\/24 holds 256 addresses/);
    refuse({ storageClassName: "Bad_Name" }, /^Error: storageClassName: "Bad_Name"/);
  });

  it("turning a default off takes a named option", () => {
    const weak = resolveHardenedClusterArgs(
      { extendedSupport: true, natGateways: "single", nodes: { ssmAccess: true, amiType: "BOTTLEROCKET_x86_64" } },
      "coder",
    );
    assert.equal(weak.supportType, "EXTENDED");
    assert.equal(weak.natGateways, "single");
    assert.equal(weak.nodes.ssmAccess, true);
    // Bottlerocket boots from two volumes; both are mapped (and so both encrypted).
    assert.deepEqual(
      weak.nodes.blockDevices.map((d) => d.deviceName),
      ["/dev/xvda", "/dev/xvdb"],
    );
    assert.equal(defaults.nodes.ssmAccess, false);
  });

  it("converts role session ARNs of explicit admins to role ARNs", () => {
    const c = resolveHardenedClusterArgs(
      { admins: ["arn:aws:sts::123456789012:assumed-role/Ops/jane", "arn:aws:iam::123456789012:user/bob"] },
      "coder",
    );
    assert.deepEqual(c.admins, ["arn:aws:iam::123456789012:role/Ops", "arn:aws:iam::123456789012:user/bob"]);
  });

  it("property: valid random args resolve to a private-by-default, IMDSv2, hop-1 cluster", () => {
    fc.assert(
      fc.property(
        fc.record(
          {
            workspaces: fc.integer({ min: 1, max: 500 }),
            azs: fc.integer({ min: 2, max: 4 }),
            instanceType: fc.constantFrom(
              "m6i.large",
              "m6i.xlarge",
              "c7i.2xlarge",
              "r6i.4xlarge",
              "t3.large",
              "m7g.xlarge",
            ),
            cidrs: fc.array(fc.constantFrom("203.0.113.0/24", "198.51.100.7/32", "192.0.2.0/28"), { maxLength: 3 }),
            logRetentionDays: fc.constantFrom(30, 90, 365, 731),
          },
          { requiredKeys: ["workspaces", "azs", "instanceType"] },
        ),
        (r) => {
          const c = resolveHardenedClusterArgs(
            {
              capacity: { workspaces: r.workspaces },
              availabilityZones: r.azs,
              nodes: { instanceTypes: [r.instanceType] },
              ...(r.cidrs && r.cidrs.length > 0 ? { publicAccess: { allowedCidrs: r.cidrs } } : {}),
              ...(r.logRetentionDays ? { logRetentionDays: r.logRetentionDays } : {}),
            },
            "coder",
          );
          assert.equal(c.endpoint.privateAccess, true);
          assert.equal(c.endpoint.publicAccess, (r.cidrs?.length ?? 0) > 0);
          assert.ok(!c.endpoint.publicAccessCidrs.includes("0.0.0.0/0"));
          assert.equal(c.nodes.metadataOptions.httpTokens, "required");
          assert.equal(c.nodes.metadataOptions.httpPutResponseHopLimit, 1);
          assert.equal(c.nodes.amiType.includes("ARM"), r.instanceType.startsWith("m7g"));
          assert.ok(c.nodes.scaling.maxSize >= c.nodes.scaling.desiredSize);
          assert.ok(c.nodes.scaling.maxSize * (c.capacity.maxPodsPerNode - 8) >= c.capacity.quota.pods);
          assert.equal(c.network.privateSubnets.length, r.azs);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe("aws: ARNs, versions and EKS facts (pure)", () => {
  it("turns an assumed-role session ARN into its role ARN, and refuses what cannot be an access entry", () => {
    assert.equal(
      principalArnFromCallerArn("arn:aws:sts::123456789012:assumed-role/PlatformAdmin/alice-session"),
      "arn:aws:iam::123456789012:role/PlatformAdmin",
    );
    assert.equal(
      principalArnFromCallerArn("arn:aws-us-gov:sts::123456789012:assumed-role/Ops/s"),
      "arn:aws-us-gov:iam::123456789012:role/Ops",
    );
    assert.equal(principalArnFromCallerArn("arn:aws:iam::123456789012:user/ci"), "arn:aws:iam::123456789012:user/ci");
    assert.equal(
      principalArnFromCallerArn("arn:aws:iam::123456789012:role/teams/platform/Admin"),
      "arn:aws:iam::123456789012:role/teams/platform/Admin",
    );
    // A role's path is not in its session ARN: IAM Identity Center roles are refused with the fix.
    assert.throws(
      () => principalArnFromCallerArn("arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123abcd/jane"),
      /admins: the deploying identity is the IAM Identity Center role AWSReservedSSO_Admin_0123abcd.*aws iam get-role/,
    );
    assert.throws(
      () => principalArnFromCallerArn("arn:aws:sts::123456789012:federated-user/bob"),
      /admins: .* is a federated-user session/,
    );
  });

  it("property: any role session ARN maps to the role of the same account, partition and name", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("aws", "aws-cn", "aws-us-gov"),
        fc.stringMatching(/^\d{12}$/),
        fc.stringMatching(/^[A-Za-z][\w+=,.@-]{0,40}$/),
        fc.stringMatching(/^[\w+=,.@-]{2,32}$/),
        (partition, account, role, session) => {
          fc.pre(!role.startsWith("AWSReservedSSO_"));
          assert.equal(
            principalArnFromCallerArn(`arn:${partition}:sts::${account}:assumed-role/${role}/${session}`),
            `arn:${partition}:iam::${account}:role/${role}`,
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it("pins a current EKS version and refuses ones whose gp2 class is an unencrypted default", () => {
    assert.equal(resolveKubernetesVersion(undefined), "1.36");
    assert.equal(resolveKubernetesVersion("1.35"), "1.35");
    assert.throws(() => resolveKubernetesVersion("1.28"), /kubernetesVersion: 1\.28 is older than 1\.30/);
  });

  it("knows the VPC CNI max pods of common instance types", () => {
    assert.equal(vpcCniMaxPods("m6i.large"), 29);
    assert.equal(vpcCniMaxPods("m6i.xlarge"), 58);
    assert.equal(vpcCniMaxPods("m7g.4xlarge"), 110);
    assert.equal(vpcCniMaxPods("c6i.8xlarge"), 234);
    assert.equal(vpcCniMaxPods("t3.medium"), 17);
    assert.equal(vpcCniMaxPods("p5.48xlarge"), undefined);
  });

  it("maps the AL2023 root and both Bottlerocket volumes", () => {
    assert.deepEqual(nodeBlockDevices("AL2023_x86_64_STANDARD", 80), [{ deviceName: "/dev/xvda", volumeSizeGiB: 80 }]);
    assert.deepEqual(nodeBlockDevices("BOTTLEROCKET_ARM_64", 80), [
      { deviceName: "/dev/xvda", volumeSizeGiB: 4 },
      { deviceName: "/dev/xvdb", volumeSizeGiB: 80 },
    ]);
  });

  it("builds a kubeconfig that gets short-lived tokens from aws eks get-token", () => {
    const kc = JSON.parse(
      kubeconfig({ clusterName: "c", endpoint: "https://x", certificateAuthorityData: "Q0E=", region: "eu-west-1" }),
    ) as { users: { user: { exec: { apiVersion: string; command: string; args: string[] } } }[] };
    const exec = kc.users[0]!.user.exec;
    assert.equal(exec.apiVersion, "client.authentication.k8s.io/v1beta1");
    assert.equal(exec.command, "aws");
    assert.deepEqual(exec.args.slice(0, 6), ["eks", "get-token", "--cluster-name", "c", "--region", "eu-west-1"]);
  });
});

describe("aws: IAM and key policies (pure)", () => {
  const keyArn = "arn:aws:kms:us-west-2:123456789012:key/abc";

  it("nodes pull only approved repositories; the login token is the one '*'", () => {
    const doc = ecrPullPolicy(["arn:aws:ecr:us-west-2:123456789012:repository/coder/workspaces"]);
    const star = doc.Statement.filter((s) => s.Resource === "*");
    assert.deepEqual(
      star.map((s) => s.Action),
      ["ecr:GetAuthorizationToken"],
    );
    assert.deepEqual(doc.Statement[1]!.Resource, ["arn:aws:ecr:us-west-2:123456789012:repository/coder/workspaces"]);
    assert.ok(!allowedActions(doc).some((a) => a.startsWith("ecr:Put") || a.includes("*")));
    assert.throws(() => ecrPullPolicy([]), /no repositories/);
  });

  it("EKS add-on images come from AWS's registry account for the region only", () => {
    assert.equal(eksAddonImageAccount("us-west-2"), "602401143452");
    assert.equal(eksAddonImageAccount("af-south-1"), "877085696533");
    const doc = eksAddonImagePullPolicy("aws", "602401143452");
    const pull = doc.Statement.filter((s) => s.Resource !== "*");
    assert.deepEqual(
      pull.map((s) => s.Resource),
      ["arn:aws:ecr:*:602401143452:repository/*"],
    );
    // The kubelet logs in to ECR before any pull: the add-on policy must work without any other.
    assert.deepEqual(
      doc.Statement.filter((s) => s.Resource === "*").map((s) => s.Action),
      ["ecr:GetAuthorizationToken"],
    );
  });

  it("Pod Identity trust names one ServiceAccount of one namespace on one cluster", () => {
    const doc = podIdentityTrustPolicy({ clusterName: "c", namespace: "kube-system", serviceAccount: "aws-node" });
    const s = doc.Statement[0]!;
    assert.deepEqual(s.Principal, { Service: "pods.eks.amazonaws.com" });
    assert.deepEqual(s.Action, ["sts:AssumeRole", "sts:TagSession"]);
    assert.deepEqual(s.Condition, {
      StringEquals: {
        "aws:RequestTag/eks-cluster-name": "c",
        "aws:RequestTag/kubernetes-namespace": "kube-system",
        "aws:RequestTag/kubernetes-service-account": "aws-node",
      },
    });
  });

  it("the EBS CSI role may use the key, with grants only for AWS resources", () => {
    const doc = ebsCsiKmsPolicy(keyArn);
    assert.ok(doc.Statement.every((s) => s.Resource === keyArn));
    const grants = doc.Statement.find((s) => (s.Action as readonly string[]).includes("kms:CreateGrant"))!;
    assert.deepEqual(grants.Condition, { Bool: { "kms:GrantIsForAWSResource": "true" } });
  });

  it("rds-db:connect on one database user, nothing else", () => {
    const arn = "arn:aws:rds-db:us-west-2:123456789012:dbuser:db-ABC/coder";
    assert.deepEqual(rdsConnectPolicy(arn).Statement, [
      { Sid: "ConnectAsCoderUserOnly", Effect: "Allow", Action: "rds-db:connect", Resource: arn },
    ]);
  });

  it("the key policy keeps administration for the account and gives data use only to the roles that need it", () => {
    const doc = keyPolicy({
      partition: "aws",
      accountId: "123456789012",
      region: "us-west-2",
      clusterRoleArn: "arn:aws:iam::123456789012:role/cluster",
      volumeRoleArns: [
        "arn:aws:iam::123456789012:role/ebs-csi",
        autoscalingServiceLinkedRoleArn("aws", "123456789012"),
      ],
      logGroupArns: ["arn:aws:logs:us-west-2:123456789012:log-group:/aws/eks/c/cluster"],
    });
    const admin = doc.Statement[0]!;
    assert.deepEqual(admin.Principal, { AWS: "arn:aws:iam::123456789012:root" });
    for (const a of ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:*", "kms:CreateGrant"]) {
      assert.ok(!(admin.Action as readonly string[]).includes(a), `the account's own statement must not allow ${a}`);
    }
    assert.ok((admin.Action as readonly string[]).includes("kms:PutKeyPolicy"), "never locked out");
    assert.deepEqual(
      keyAdministrationActions.filter((a) => /Encrypt|Decrypt|GenerateDataKey/.test(a)),
      [],
    );
    assert.deepEqual(keyUsers(doc).sort(), [
      "arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
      "arn:aws:iam::123456789012:role/cluster",
      "arn:aws:iam::123456789012:role/ebs-csi",
      "logs.us-west-2.amazonaws.com",
    ]);
    // Every grant the key policy allows is for an AWS resource.
    for (const s of doc.Statement) {
      const actions = typeof s.Action === "string" ? [s.Action] : s.Action;
      if (actions.includes("kms:CreateGrant")) {
        assert.deepEqual(s.Condition, { Bool: { "kms:GrantIsForAWSResource": "true" } });
      }
    }
    const logs = doc.Statement.find((s) => s.Sid === "CloudWatchLogsForStackLogGroups")!;
    assert.deepEqual(logs.Condition, {
      ArnEquals: {
        "kms:EncryptionContext:aws:logs:arn": ["arn:aws:logs:us-west-2:123456789012:log-group:/aws/eks/c/cluster"],
      },
    });
  });

  it("lists the actions that would let a node read other volumes, so tests can prove the node role has none", () => {
    assert.ok(volumeAccessActions.includes("ec2:CreateSnapshot"));
    assert.ok(volumeAccessActions.includes("ec2:AttachVolume"));
  });
});

describe("aws: RegistryPullAccount and EncryptedStorageClass args (pure)", () => {
  it("approves any tag or digest of a repository, never its siblings or children", () => {
    assert.deepEqual(approvedPrefixesForRepository("123456789012.dkr.ecr.us-west-2.amazonaws.com/coder/base"), [
      "123456789012.dkr.ecr.us-west-2.amazonaws.com/coder/base:",
      "123456789012.dkr.ecr.us-west-2.amazonaws.com/coder/base@",
    ]);
  });

  it("defaults to one immutable, scanned repository named after the component", () => {
    const c = resolveRegistryPullAccountArgs({}, "coder");
    assert.deepEqual(c.repositories, ["coder/workspaces"]);
    assert.equal(c.imageTagMutability, "IMMUTABLE");
    assert.equal(c.scanOnPush, true);
    assert.equal(resolveRegistryPullAccountArgs({ mutableTags: true }, "coder").imageTagMutability, "MUTABLE");
    assert.throws(
      () => resolveRegistryPullAccountArgs({ repositories: ["a/b", "a/b"] }, "x"),
      /^Error: repositories\[1\]: "a\/b" is listed twice/,
    );
  });

  it("storage class: gp3, encrypted, on the customer-managed key; an alias or bad type is refused", () => {
    const c = resolveEncryptedStorageClassArgs({ kmsKeyArn: "arn:aws:kms:us-west-2:123456789012:key/k-1" });
    assert.deepEqual(c.parameters, {
      type: "gp3",
      encrypted: "true",
      kmsKeyId: "arn:aws:kms:us-west-2:123456789012:key/k-1",
    });
    assert.throws(
      () => resolveEncryptedStorageClassArgs({ kmsKeyArn: "arn:aws:kms:us-west-2:123456789012:alias/ebs" }),
      /^Error: kmsKeyArn: .* is not a KMS key ARN; .* not an alias/,
    );
    assert.throws(
      () => resolveEncryptedStorageClassArgs({ kmsKeyArn: "arn:aws:kms:us-west-2:123456789012:key/k", iops: 100 }),
      /^Error: iops: 100/,
    );
  });
});
