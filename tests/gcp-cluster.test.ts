import assert from "node:assert/strict";
import { complianceReport, componentTokens, recommendations } from "@hardened-coder/kubernetes";
import { HardenedCluster, type HardenedClusterArgs, nodeServiceAccountProjectRoles } from "@hardened-coder/gcp";
import {
  allowedInvokes,
  at,
  isSecretAt,
  isSecretOutput,
  one,
  ofType,
  plainStrings,
  type RecordedResource,
  synth,
  type SynthResult,
  valueOf,
} from "./harness/engine";
import { validateAllKubernetesObjects } from "./harness/validate";

const T = {
  network: "gcp:compute/network:Network",
  subnet: "gcp:compute/subnetwork:Subnetwork",
  router: "gcp:compute/router:Router",
  nat: "gcp:compute/routerNat:RouterNat",
  firewall: "gcp:compute/firewall:Firewall",
  keyRing: "gcp:kms/keyRing:KeyRing",
  key: "gcp:kms/cryptoKey:CryptoKey",
  keyMember: "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
  sa: "gcp:serviceaccount/account:Account",
  projectMember: "gcp:projects/iAMMember:IAMMember",
  api: "gcp:projects/service:Service",
  serviceIdentity: "gcp:projects/serviceIdentity:ServiceIdentity",
  repo: "gcp:artifactregistry/repository:Repository",
  repoMember: "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember",
  cluster: "gcp:container/cluster:Cluster",
  nodePool: "gcp:container/nodePool:NodePool",
  k8sProvider: "pulumi:providers:kubernetes",
  storageClass: "kubernetes:storage.k8s.io/v1:StorageClass",
  storageClassPatch: "kubernetes:storage.k8s.io/v1:StorageClassPatch",
  quota: "kubernetes:core/v1:ResourceQuota",
  vap: "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy",
} as const;

const keyRole = "roles/cloudkms.cryptoKeyEncrypterDecrypter";
const PROJECT_NUMBER = "123456789012";

/** URNs a resource waits for, directly or through what it waits for. */
function closure(resources: readonly RecordedResource[], urn: string): Set<string> {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const seen = new Set<string>();
  const stack = [...(byUrn.get(urn)?.dependencies ?? [])];
  while (stack.length > 0) {
    const u = stack.pop()!;
    if (seen.has(u)) continue;
    seen.add(u);
    const r = byUrn.get(u);
    if (r) stack.push(...r.dependencies, ...(r.provider ? [r.provider.split("::").slice(0, -1).join("::")] : []));
  }
  return seen;
}

describe("gcp: HardenedCluster('coder', {}) under mocks", () => {
  let run: SynthResult<HardenedCluster>;
  let rs: RecordedResource[];
  let cluster: RecordedResource;
  let pool: RecordedResource;
  let key: RecordedResource;
  let keyId: string;
  let nodeEmail: string;

  before(async () => {
    run = await synth(() => new HardenedCluster("coder", {}));
    rs = run.resources;
    cluster = one(rs, T.cluster);
    pool = one(rs, T.nodePool);
    key = one(rs, T.key);
    keyId = await valueOf(run.result.kmsKeyId);
    nodeEmail = await valueOf(run.result.nodeServiceAccountEmail);
  });

  describe("network", () => {
    it("is a dedicated VPC without auto subnets; the default route stays for Cloud NAT", () => {
      const vpc = one(rs, T.network);
      assert.equal(vpc.inputs.autoCreateSubnetworks, false);
      assert.equal(vpc.inputs.deleteDefaultRoutesOnCreate, false);
      assert.equal(vpc.inputs.name, "coder-vpc");
    });

    it("has one subnet sized by the plan, with pod and service secondary ranges, private Google access and flow logs", () => {
      const subnet = one(rs, T.subnet);
      const plan = run.result.capacity;
      assert.equal(subnet.inputs.ipCidrRange, plan.nodeNetwork.cidr);
      assert.deepEqual(subnet.inputs.secondaryIpRanges, [
        { rangeName: "pods", ipCidrRange: plan.pods!.cidr },
        { rangeName: "services", ipCidrRange: plan.services.cidr },
      ]);
      assert.equal(subnet.inputs.privateIpGoogleAccess, true);
      assert.equal(at(subnet.inputs, "logConfig.metadata"), "INCLUDE_ALL_METADATA");
      assert.ok((at(subnet.inputs, "logConfig.flowSampling") as number) > 0);
    });

    it("leaves through a Cloud Router and Cloud NAT with logging", () => {
      one(rs, T.router);
      const nat = one(rs, T.nat);
      assert.equal(nat.inputs.sourceSubnetworkIpRangesToNat, "LIST_OF_SUBNETWORKS");
      assert.deepEqual(at(nat.inputs, "subnetworks.0.sourceIpRangesToNats"), ["ALL_IP_RANGES"]);
      assert.equal(at(nat.inputs, "logConfig.enable"), true);
      // Several workspaces share a node's NAT ports: a static 64 per destination is exhausted silently.
      assert.equal(nat.inputs.enableDynamicPortAllocation, true);
      assert.equal(nat.inputs.enableEndpointIndependentMapping, false, "incompatible with dynamic allocation");
      const min = nat.inputs.minPortsPerVm as number;
      const max = nat.inputs.maxPortsPerVm as number;
      for (const n of [min, max]) assert.equal(Math.log2(n) % 1, 0, `${n} is a power of two`);
      assert.ok(min >= 32 && max >= 16 * min, `${min}..${max}`);
    });

    it("has no allow firewall rule, and an explicit logged deny-all ingress at the lowest priority", () => {
      const rules = ofType(rs, T.firewall);
      assert.equal(rules.filter((r) => Array.isArray(r.inputs.allows) && r.inputs.allows.length > 0).length, 0);
      const deny = one(rs, T.firewall, "deny-all-ingress");
      assert.equal(deny.inputs.direction, "INGRESS");
      assert.equal(deny.inputs.priority, 65534);
      assert.deepEqual(deny.inputs.sourceRanges, ["0.0.0.0/0"]);
      assert.deepEqual(deny.inputs.denies, [{ protocol: "all" }]);
      assert.equal(at(deny.inputs, "logConfig.metadata"), "INCLUDE_ALL_METADATA");
    });
  });

  describe("control plane", () => {
    it("is VPC-native on the subnet's secondary ranges, with max pods per node from the plan", () => {
      assert.equal(cluster.inputs.networkingMode, "VPC_NATIVE");
      assert.equal(at(cluster.inputs, "ipAllocationPolicy.clusterSecondaryRangeName"), "pods");
      assert.equal(at(cluster.inputs, "ipAllocationPolicy.servicesSecondaryRangeName"), "services");
      assert.equal(cluster.inputs.defaultMaxPodsPerNode, run.result.capacity.maxPodsPerNode);
      assert.equal(pool.inputs.maxPodsPerNode, run.result.capacity.maxPodsPerNode);
    });

    it("has private nodes and a private endpoint only, with a /28 control plane range", () => {
      assert.equal(at(cluster.inputs, "privateClusterConfig.enablePrivateNodes"), true);
      assert.equal(at(cluster.inputs, "privateClusterConfig.enablePrivateEndpoint"), true);
      assert.equal(at(cluster.inputs, "privateClusterConfig.masterIpv4CidrBlock"), "172.16.0.0/28");
      assert.notEqual(at(cluster.inputs, "controlPlaneEndpointsConfig.dnsEndpointConfig.allowExternalTraffic"), true);
    });

    it("enforces master authorized networks: none open, Google public ranges off", () => {
      assert.deepEqual(at(cluster.inputs, "masterAuthorizedNetworksConfig.cidrBlocks"), []);
      assert.equal(at(cluster.inputs, "masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled"), false);
    });

    it("follows the REGULAR release channel", () => {
      assert.equal(at(cluster.inputs, "releaseChannel.channel"), "REGULAR");
    });

    it("turns on Workload Identity with the project's pool", () => {
      assert.equal(at(cluster.inputs, "workloadIdentityConfig.workloadPool"), "example-project.svc.id.goog");
    });

    it("runs Dataplane V2, which enforces NetworkPolicy, with the Calico add-on off", () => {
      assert.equal(cluster.inputs.datapathProvider, "ADVANCED_DATAPATH");
      assert.equal(at(cluster.inputs, "addonsConfig.networkPolicyConfig.disabled"), true);
      assert.equal(cluster.inputs.networkPolicy, undefined);
    });

    it("encrypts Kubernetes secrets with the stack's Cloud KMS key, rotated every 90 days", async () => {
      assert.deepEqual(cluster.inputs.databaseEncryption, { state: "ENCRYPTED", keyName: keyId });
      assert.equal(key.inputs.rotationPeriod, "7776000s");
      assert.equal(key.inputs.purpose, "ENCRYPT_DECRYPT");
      assert.equal(await valueOf(run.result.kmsKeyId), keyId);
    });

    it("grants the GKE service agent the key and nothing else, before the cluster is created", () => {
      const gkeAgent = `serviceAccount:service-${PROJECT_NUMBER}@container-engine-robot.iam.gserviceaccount.com`;
      const grants = ofType(rs, T.keyMember).filter((m) => m.inputs.member === gkeAgent);
      assert.equal(grants.length, 1);
      assert.equal(grants[0]!.inputs.cryptoKeyId, keyId);
      assert.equal(grants[0]!.inputs.role, keyRole);
      assert.ok(cluster.dependencies.includes(grants[0]!.urn));
      assert.equal(ofType(rs, T.projectMember).filter((m) => m.inputs.member === gkeAgent).length, 0);
      assert.equal(ofType(rs, T.projectMember).filter((m) => m.inputs.role === keyRole).length, 0);
    });

    it("issues no client certificate, keeps legacy ABAC and alpha off, shielded nodes on", () => {
      assert.equal(at(cluster.inputs, "masterAuth.clientCertificateConfig.issueClientCertificate"), false);
      assert.equal(cluster.inputs.enableLegacyAbac, false);
      assert.equal(cluster.inputs.enableKubernetesAlpha, false);
      assert.equal(cluster.inputs.enableShieldedNodes, true);
      assert.equal(at(cluster.inputs, "serviceExternalIpsConfig.enabled"), false);
    });

    it("keeps control plane and workload logs and metrics", () => {
      const logs = at(cluster.inputs, "loggingConfig.enableComponents") as string[];
      for (const c of ["SYSTEM_COMPONENTS", "APISERVER", "WORKLOADS"]) assert.ok(logs.includes(c), c);
      const metrics = at(cluster.inputs, "monitoringConfig.enableComponents") as string[];
      assert.ok(metrics.includes("SYSTEM_COMPONENTS"));
    });

    it("has deletion protection and no default node pool", () => {
      assert.equal(cluster.inputs.deletionProtection, true);
      assert.equal(cluster.inputs.removeDefaultNodePool, true);
      assert.equal(cluster.inputs.initialNodeCount, 1);
    });
  });

  describe("nodes", () => {
    it("name the workspace pool by prefix, so a replacement pool is created before the old one goes", () => {
      assert.equal(pool.inputs.namePrefix, "workspaces-");
      assert.equal(pool.inputs.name, undefined);
    });

    it("run as a dedicated service account holding only the four logging/monitoring roles on the project", () => {
      const sa = one(rs, T.sa);
      assert.equal(sa.inputs.accountId, "coder-nodes");
      assert.equal(at(pool.inputs, "nodeConfig.serviceAccount"), nodeEmail);
      assert.doesNotMatch(nodeEmail, /-compute@developer\.gserviceaccount\.com$/);
      const roles = ofType(rs, T.projectMember)
        .filter((m) => m.inputs.member === `serviceAccount:${nodeEmail}`)
        .map((m) => m.inputs.role as string)
        .sort();
      assert.deepEqual(roles, [...nodeServiceAccountProjectRoles].sort());
      assert.equal(ofType(rs, T.projectMember).length, nodeServiceAccountProjectRoles.length);
    });

    it("may read images only from the approved repositories, bound on each repository", () => {
      const repos = ofType(rs, T.repo);
      const readers = ofType(rs, T.repoMember);
      assert.equal(readers.length, repos.length);
      for (const r of readers) {
        assert.equal(r.inputs.role, "roles/artifactregistry.reader");
        assert.equal(r.inputs.member, `serviceAccount:${nodeEmail}`);
      }
      assert.deepEqual(readers.map((r) => r.inputs.repository).sort(), repos.map((r) => r.state.name).sort());
    });

    for (const which of ["node pool", "transient default pool"] as const) {
      it(`${which}: COS, shielded with secure boot and integrity monitoring, GKE metadata server, no legacy endpoints or SSH keys, CMEK boot disk`, () => {
        const nc = (which === "node pool" ? pool : cluster).inputs.nodeConfig as Record<string, unknown>;
        assert.equal(nc.imageType, "COS_CONTAINERD");
        assert.deepEqual(nc.shieldedInstanceConfig, { enableSecureBoot: true, enableIntegrityMonitoring: true });
        assert.deepEqual(nc.workloadMetadataConfig, { mode: "GKE_METADATA" });
        assert.equal(at(nc, "metadata.disable-legacy-endpoints"), "true");
        assert.equal(at(nc, "metadata.block-project-ssh-keys"), "true");
        assert.equal(at(nc, "metadata.ssh-keys"), undefined);
        assert.equal(nc.bootDiskKmsKey, keyId);
        assert.deepEqual(nc.oauthScopes, ["https://www.googleapis.com/auth/cloud-platform"]);
        assert.equal(nc.serviceAccount, nodeEmail);
        assert.equal(at(nc, "kubeletConfig.insecureKubeletReadonlyPortEnabled"), "FALSE");
      });
    }

    it("the transient default pool is small and its nodes start with the node roles already granted", () => {
      const nc = cluster.inputs.nodeConfig as Record<string, unknown>;
      assert.equal(nc.machineType, "e2-medium");
      assert.ok((nc.diskSizeGb as number) <= 50);
      assert.equal(at(pool.inputs, "nodeConfig.machineType"), "e2-standard-16", "the workspace pool keeps its size");
      const roles = ofType(rs, "gcp:projects/iAMMember:IAMMember").filter(
        (m) => m.inputs.member === `serviceAccount:${nodeEmail}`,
      );
      assert.equal(roles.length, 4);
      for (const r of roles) assert.ok(cluster.dependencies.includes(r.urn), r.name);
    });

    it("boot disks and volumes: the Compute Engine service agent holds the key, before any node starts", () => {
      const agent = `serviceAccount:service-${PROJECT_NUMBER}@compute-system.iam.gserviceaccount.com`;
      const grants = ofType(rs, T.keyMember).filter((m) => m.inputs.member === agent);
      assert.equal(grants.length, 1, "granted once per key");
      assert.equal(grants[0]!.inputs.cryptoKeyId, keyId);
      assert.ok(pool.dependencies.includes(grants[0]!.urn));
      assert.ok(cluster.dependencies.includes(grants[0]!.urn));
    });

    it("are upgraded and repaired automatically, surge-first, and scale within the plan", () => {
      assert.deepEqual(pool.inputs.management, { autoUpgrade: true, autoRepair: true });
      assert.equal(at(pool.inputs, "upgradeSettings.maxUnavailable"), 0);
      assert.equal(at(pool.inputs, "autoscaling.totalMinNodeCount"), run.result.capacity.nodes.min);
      assert.equal(at(pool.inputs, "autoscaling.totalMaxNodeCount"), run.result.capacity.nodes.max);
    });
  });

  describe("storage, registry and Kubernetes components", () => {
    it("the default StorageClass is PD CSI pd-balanced, encrypted with the CMEK", () => {
      const sc = one(rs, T.storageClass);
      assert.equal(sc.inputs.provisioner, "pd.csi.storage.gke.io");
      assert.equal(at(sc.inputs, "parameters.disk-encryption-kms-key"), keyId);
      assert.equal(at(sc.inputs, "parameters.type"), "pd-balanced");
      assert.equal(at(sc.inputs, "metadata.name"), "encrypted-pd");
      assert.equal(
        (at(sc.inputs, "metadata.annotations") as Record<string, string>)[
          "storageclass.kubernetes.io/is-default-class"
        ],
        "true",
      );
      assert.equal(sc.inputs.volumeBindingMode, "WaitForFirstConsumer");
    });

    it("GKE's built-in standard-rwo and standard classes are marked not default, after the encrypted one exists", () => {
      const patches = ofType(rs, T.storageClassPatch);
      assert.deepEqual(patches.map((p) => at(p.inputs, "metadata.name")).sort(), ["standard", "standard-rwo"]);
      const sc = one(rs, T.storageClass);
      for (const p of patches) {
        const ann = at(p.inputs, "metadata.annotations") as Record<string, string>;
        assert.equal(ann["storageclass.kubernetes.io/is-default-class"], "false");
        assert.equal(ann["pulumi.com/patchForce"], "true");
        assert.ok(p.dependencies.includes(sc.urn), `${p.name} waits for ${sc.name}`);
      }
    });

    it("the registry is Docker Artifact Registry with CMEK and immutable tags; its service agent holds the key first", () => {
      const repo = one(rs, T.repo);
      assert.equal(repo.inputs.format, "DOCKER");
      assert.equal(repo.inputs.kmsKeyName, keyId);
      assert.equal(at(repo.inputs, "dockerConfig.immutableTags"), true);
      const agent = one(rs, T.serviceIdentity);
      assert.equal(agent.inputs.service, "artifactregistry.googleapis.com");
      const grant = ofType(rs, T.keyMember).find((m) => m.inputs.member === agent.state.member)!;
      assert.equal(grant.inputs.cryptoKeyId, keyId);
      assert.ok(repo.dependencies.includes(grant.urn));
    });

    it("the admission policy approves exactly the repositories' paths", async () => {
      assert.deepEqual(await valueOf(run.result.registry.approvedImages), [
        "europe-west1-docker.pkg.dev/example-project/workspaces/",
      ]);
      const policy = one(rs, T.vap);
      assert.ok(JSON.stringify(policy.inputs).includes("europe-west1-docker.pkg.dev/example-project/workspaces/"));
      assert.deepEqual(await valueOf(run.result.admissionPolicy.approvedImages), [
        "europe-west1-docker.pkg.dev/example-project/workspaces/",
      ]);
    });

    it("the workspace namespace's quota matches the capacity plan the network was sized from", () => {
      const quota = one(rs, T.quota);
      assert.equal(at(quota.inputs, "spec.hard.pods"), String(run.result.capacity.quota.pods));
    });

    it("every Kubernetes object is schema-valid", async () => {
      const n = await validateAllKubernetesObjects(rs);
      assert.ok(n >= 10, `validated ${n} objects`);
    });
  });

  describe("provider, kubeconfig and outputs", () => {
    it("the kubeconfig is a Pulumi secret that runs gke-gcloud-auth-plugin against the private endpoint", async () => {
      assert.ok(await isSecretOutput(run.result.kubeconfig));
      const provider = one(rs, T.k8sProvider);
      assert.ok(isSecretAt(provider.rawInputs, "kubeconfig"));
      const doc = JSON.parse(await valueOf(run.result.kubeconfig)) as Record<string, unknown>;
      assert.equal(at(doc, "clusters.0.cluster.server"), "https://172.16.0.2");
      assert.equal(at(doc, "clusters.0.cluster.certificate-authority-data"), Buffer.from("mock-ca").toString("base64"));
      assert.equal(at(doc, "users.0.user.exec.command"), "gke-gcloud-auth-plugin");
      assert.equal(at(doc, "users.0.user.exec.apiVersion"), "client.authentication.k8s.io/v1beta1");
      assert.equal(at(doc, "users.0.user.exec.provideClusterInfo"), true);
      assert.equal(await valueOf(run.result.endpoint), "172.16.0.2");
    });

    it("every Kubernetes object goes through the cluster's provider and none waits for the node pool", () => {
      const provider = one(rs, T.k8sProvider);
      const k8sObjects = rs.filter((r) => r.custom && r.type.startsWith("kubernetes:"));
      assert.ok(k8sObjects.length >= 10);
      for (const o of k8sObjects) {
        assert.ok(o.provider.startsWith(`${provider.urn}::`), `${o.type} ${o.name} uses ${o.provider}`);
        assert.ok(!closure(rs, o.urn).has(pool.urn), `${o.type} ${o.name} waits for the node pool`);
      }
      assert.ok(!closure(rs, provider.urn).has(pool.urn));
      assert.ok(closure(rs, provider.urn).has(cluster.urn));
    });

    it("exposes the design's outputs", async () => {
      const r = run.result;
      assert.equal(await valueOf(r.clusterName), "coder");
      assert.equal(await valueOf(r.namespace.namespaceName), "coder");
      assert.equal(await valueOf(r.storageClass.storageClassName), "encrypted-pd");
      assert.ok((await valueOf(r.networkPolicy.policyNames)).length > 0);
      assert.ok(await valueOf(r.admissionPolicy.policyName));
      assert.equal(await valueOf(r.networkName), "coder-vpc");
      assert.equal(await valueOf(r.subnetworkName), "coder-nodes");
      assert.equal(nodeEmail, "coder-nodes@example-project.iam.gserviceaccount.com");
      assert.equal(r.capacity.workspaces, 50);
      assert.ok(r.provider);
    });

    it("makes only the allowed invokes, creates no AWS resource and grants IAM as members only", () => {
      for (const i of run.invokes) assert.ok(i.token.startsWith("gcp:") && i.token in allowedInvokes, i.token);
      assert.equal(rs.filter((r) => r.type.startsWith("aws:")).length, 0);
      assert.equal(rs.filter((r) => /IAM(Binding|Policy)|Iam(Binding|Policy)/.test(r.type)).length, 0);
    });

    it("waits for the Google APIs before creating anything that calls them", () => {
      const apis = ofType(rs, T.api);
      assert.ok(apis.some((a) => a.inputs.service === "container.googleapis.com"));
      for (const a of apis) assert.equal(a.inputs.disableOnDestroy, false);
      const containerApi = apis.find((a) => a.inputs.service === "container.googleapis.com")!;
      for (const r of rs.filter((x) => x.custom && x.type.startsWith("gcp:") && x.type !== T.api)) {
        assert.ok(closure(rs, r.urn).has(containerApi.urn), `${r.type} ${r.name}`);
      }
      // Project-level IAM members are written through the Cloud Resource Manager API.
      const crm = apis.find((a) => a.inputs.service === "cloudresourcemanager.googleapis.com");
      assert.ok(crm, "cloudresourcemanager.googleapis.com is enabled");
      for (const m of rs.filter((x) => x.type === "gcp:projects/iAMMember:IAMMember")) {
        assert.ok(closure(rs, m.urn).has(crm.urn), m.name);
      }
    });

    it("keeps no secret in plain text in any input", async () => {
      const kubeconfig = await valueOf(run.result.kubeconfig);
      for (const r of rs) assert.ok(!plainStrings(r.rawInputs).includes(kubeconfig), `${r.type} ${r.name}`);
    });
  });

  describe("compliance report for this stack", () => {
    it("cites the GKE cluster, storage class and registry as evidence where the catalog names them", () => {
      const report = complianceReport(rs, { stackName: "gcp" });
      const gcpTokens = [
        componentTokens.gcpHardenedCluster,
        componentTokens.gcpEncryptedStorageClass,
        componentTokens.gcpRegistryPullAccount,
      ];
      for (const rec of recommendations) {
        const entry = report.entries.find((e) => e.id === rec.id)!;
        for (const c of rec.controls.filter((x) => gcpTokens.includes(x.component as (typeof gcpTokens)[number]))) {
          assert.ok(
            entry.evidence.some((e) => e.component === c.component && e.setting === c.setting),
            `${rec.id}: ${c.setting}`,
          );
          assert.notEqual(entry.status, "site-admin-duty", rec.id);
        }
      }
      for (const id of [
        "cluster-dedicated",
        "node-cloud-access",
        "node-upgrades",
        "roles-control-plane-access",
        "storage-encryption",
        "registry-approved-images",
        "network-ip-depletion-pods",
      ]) {
        assert.equal(report.entries.find((e) => e.id === id)!.status, "met-by-default", id);
      }
      assert.ok(report.summary["met-by-default"] >= 18, JSON.stringify(report.summary));
    });
  });
});

describe("gcp: HardenedCluster weakenings take named options", () => {
  const weakest: HardenedClusterArgs = {
    publicEndpoint: true,
    authorizedNetworks: [{ cidrBlock: "203.0.113.0/24", displayName: "office" }],
    dnsEndpoint: true,
    deletionProtection: false,
    mutableTags: true,
    enableApis: false,
    approvedImages: ["us-docker.pkg.dev/my-org/base/"],
    releaseChannel: "RAPID",
  };
  let run: SynthResult<HardenedCluster>;
  let cluster: RecordedResource;
  let pool: RecordedResource;

  before(async () => {
    run = await synth(() => new HardenedCluster("coder", weakest));
    cluster = one(run.resources, T.cluster);
    pool = one(run.resources, T.nodePool);
  });

  it("publicEndpoint + authorizedNetworks: a public endpoint limited to the listed ranges", () => {
    assert.equal(at(cluster.inputs, "privateClusterConfig.enablePrivateEndpoint"), false);
    assert.equal(at(cluster.inputs, "privateClusterConfig.enablePrivateNodes"), true);
    assert.deepEqual(at(cluster.inputs, "masterAuthorizedNetworksConfig.cidrBlocks"), [
      { cidrBlock: "203.0.113.0/24", displayName: "office" },
    ]);
  });

  it("dnsEndpoint: the kubeconfig uses the IAM-guarded DNS endpoint (publicly trusted, no CA)", async () => {
    assert.equal(at(cluster.inputs, "controlPlaneEndpointsConfig.dnsEndpointConfig.allowExternalTraffic"), true);
    const doc = JSON.parse(await valueOf(run.result.kubeconfig)) as Record<string, unknown>;
    assert.match(at(doc, "clusters.0.cluster.server") as string, /^https:\/\/gke-.*\.gke\.goog$/);
    assert.equal(at(doc, "clusters.0.cluster.certificate-authority-data"), undefined);
    assert.ok(await isSecretOutput(run.result.kubeconfig));
  });

  it("deletionProtection, mutableTags, enableApis, releaseChannel, approvedImages change only what they name", async () => {
    assert.equal(cluster.inputs.deletionProtection, false);
    assert.equal(at(one(run.resources, T.repo).inputs, "dockerConfig.immutableTags"), false);
    assert.equal(ofType(run.resources, T.api).length, 0);
    assert.equal(at(cluster.inputs, "releaseChannel.channel"), "RAPID");
    assert.deepEqual(await valueOf(run.result.admissionPolicy.approvedImages), [
      "europe-west1-docker.pkg.dev/example-project/workspaces/",
      "us-docker.pkg.dev/my-org/base/",
    ]);
  });

  it("no option turns off the controls that have none: they hold even in the weakest stack", () => {
    const nc = pool.inputs.nodeConfig as Record<string, unknown>;
    assert.equal(at(cluster.inputs, "privateClusterConfig.enablePrivateNodes"), true);
    assert.equal(cluster.inputs.datapathProvider, "ADVANCED_DATAPATH");
    assert.equal(at(cluster.inputs, "databaseEncryption.state"), "ENCRYPTED");
    assert.equal(at(cluster.inputs, "masterAuth.clientCertificateConfig.issueClientCertificate"), false);
    assert.equal(cluster.inputs.enableLegacyAbac, false);
    assert.equal(cluster.inputs.enableShieldedNodes, true);
    assert.ok(at(cluster.inputs, "workloadIdentityConfig.workloadPool"));
    assert.equal(at(nc, "shieldedInstanceConfig.enableSecureBoot"), true);
    assert.equal(at(nc, "workloadMetadataConfig.mode"), "GKE_METADATA");
    assert.equal(at(nc, "metadata.disable-legacy-endpoints"), "true");
    assert.equal(at(nc, "imageType"), "COS_CONTAINERD");
    assert.ok(nc.bootDiskKmsKey);
    assert.deepEqual(pool.inputs.management, { autoUpgrade: true, autoRepair: true });
    assert.equal(at(one(run.resources, T.storageClass).inputs, "provisioner"), "pd.csi.storage.gke.io");
    assert.ok(at(one(run.resources, T.storageClass).inputs, "parameters.disk-encryption-kms-key"));
  });
});

describe("gcp: HardenedCluster refuses unsafe input and registers nothing", () => {
  for (const [label, args, re] of [
    ["a public endpoint without authorized networks", { publicEndpoint: true }, /^authorizedNetworks: \[\]/],
    [
      "an authorized network of 0.0.0.0/0",
      { publicEndpoint: true, authorizedNetworks: [{ cidrBlock: "0.0.0.0/0" }] },
      /^authorizedNetworks\[0\]\.cidrBlock: 0\.0\.0\.0\/0 opens the control plane to the whole internet/,
    ],
    ["a pod range too small", { capacity: { workspaces: 5000, podCidr: "10.64.0.0/20" } }, /^capacity\.podCidr/],
    [
      "an overlapping control plane range",
      { capacity: { nodeCidr: "172.16.0.0/24" } },
      /^masterCidr: 172\.16\.0\.0\/28 overlaps capacity\.nodeCidr/,
    ],
  ] as [string, HardenedClusterArgs, RegExp][]) {
    it(label, async () => {
      let error: Error | undefined;
      const { resources } = await synth(() => {
        try {
          new HardenedCluster("coder", args);
        } catch (err) {
          error = err as Error;
        }
      });
      assert.ok(error, "expected an error");
      assert.match(error.message, re);
      assert.deepEqual(
        resources.filter((r) => r.type !== "pulumi:pulumi:Stack").map((r) => r.type),
        [],
      );
    });
  }
});
