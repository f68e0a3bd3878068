import assert from "node:assert/strict";
import fc from "fast-check";
import { cidrContains, cidrSize, cidrsOverlap, parseCidr } from "@hardened-coder/kubernetes";
import {
  artifactRegistryPrefix,
  computeServiceAgent,
  gkeKubeconfig,
  gkeServiceAgent,
  iamDatabaseUserName,
  maxKeyRotationSeconds,
  nodeServiceAccountProjectRoles,
  planGkeNetwork,
  resolveEncryptedStorageClassArgs,
  resolveHardenedClusterArgs,
  resolveRegistryPullAccountArgs,
  serviceAccountId,
  workloadIdentityMember,
} from "@hardened-coder/gcp";

describe("gcp: network planning (planGkeNetwork)", () => {
  it("sizes the subnet and its pod and service secondary ranges from planCapacity, with a /28 for the control plane", () => {
    const plan = planGkeNetwork({ capacity: { workspaces: 50, maxPodsPerNode: 110 } });
    assert.equal(plan.maxPodsPerNode, 110);
    assert.equal(plan.capacity.podRangePrefixPerNode, 24, "GKE gives a node with 110 max pods a /24");
    assert.equal(plan.podRange.name, "pods");
    assert.equal(plan.serviceRange.name, "services");
    assert.ok(cidrSize(parseCidr(plan.podRange.cidr)) >= plan.capacity.nodes.max * 256);
    assert.equal(parseCidr(plan.masterCidr).prefix, 28);
    assert.equal(plan.privateServicesCidr, undefined);
  });

  it("refuses a user range too small for the plan, naming the field under capacity", () => {
    assert.throws(
      () => planGkeNetwork({ capacity: { workspaces: 2000, podCidr: "10.64.0.0/24" } }),
      /^Error: capacity\.podCidr: 10\.64\.0\.0\/24 holds 256 addresses but the plan needs/,
    );
    assert.throws(
      () => planGkeNetwork({ capacity: { workspaces: 100, devUrlsPerWorkspace: 10, serviceCidr: "172.20.0.0/28" } }),
      /^Error: capacity\.serviceCidr/,
    );
  });

  it("refuses overlapping ranges, naming both fields", () => {
    assert.throws(
      () => planGkeNetwork({ capacity: { nodeCidr: "10.0.0.0/16", podCidr: "10.0.0.0/17" } }),
      /capacity\.podCidr: 10\.0\.0\.0\/17 overlaps nodeCidr/,
    );
    assert.throws(
      () => planGkeNetwork({ masterCidr: "10.0.0.16/28" }),
      /^Error: masterCidr: 10\.0\.0\.16\/28 overlaps capacity\.nodeCidr 10\.0\.0\.0\/24/,
    );
    assert.throws(
      () => planGkeNetwork({ privateServices: true, privateServicesCidr: "10.64.0.0/20" }),
      /^Error: privateServicesCidr: 10\.64\.0\.0\/20 overlaps capacity\.podCidr/,
    );
  });

  it("refuses a control plane range that is not a /28 and malformed ranges, naming the field", () => {
    assert.throws(() => planGkeNetwork({ masterCidr: "172.16.0.0/24" }), /^Error: masterCidr: .* must be a \/28/);
    assert.throws(() => planGkeNetwork({ masterCidr: "172.16.0.1/28" }), /^Error: masterCidr: .* host bits/);
    assert.throws(() => planGkeNetwork({ capacity: { nodeCidr: "10.0.0/24" } }), /^Error: capacity\.nodeCidr/);
    assert.throws(
      () => planGkeNetwork({ privateServices: true, privateServicesCidr: "10.240.0.0/28" }),
      /^Error: privateServicesCidr: .* needs a \/24 to \/8/,
    );
    assert.throws(
      () => planGkeNetwork({ capacity: { podsInNodeNetwork: true } as never }),
      /^Error: capacity\.podsInNodeNetwork/,
    );
  });

  it("property: any valid plan gives disjoint ranges that hold max nodes x the per-node pod block", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3000 }),
        fc.constantFrom(8, 16, 32, 64, 110, 128, 250),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 200 }),
        fc.boolean(),
        (workspaces, maxPodsPerNode, devUrlsPerWorkspace, headroomPercent, privateServices) => {
          const plan = planGkeNetwork({
            capacity: { workspaces, maxPodsPerNode, devUrlsPerWorkspace, headroomPercent, systemPodsPerNode: 4 },
            privateServices,
          });
          const ranges = [plan.subnetCidr, plan.podRange.cidr, plan.serviceRange.cidr, plan.masterCidr]
            .concat(plan.privateServicesCidr ? [plan.privateServicesCidr] : [])
            .map((c) => parseCidr(c));
          for (const [i, a] of ranges.entries()) {
            for (const b of ranges.slice(i + 1)) assert.ok(!cidrsOverlap(a, b), `${JSON.stringify(plan)}`);
          }
          assert.equal(plan.maxPodsPerNode, maxPodsPerNode);
          const perNode = 2 ** (32 - plan.capacity.podRangePrefixPerNode);
          assert.ok(perNode >= 2 * maxPodsPerNode, "GKE reserves twice max pods per node");
          assert.ok(cidrSize(parseCidr(plan.podRange.cidr)) >= plan.capacity.nodes.max * perNode);
          assert.ok(cidrSize(parseCidr(plan.subnetCidr)) >= plan.capacity.nodes.max);
          assert.ok(cidrSize(parseCidr(plan.serviceRange.cidr)) >= plan.capacity.services.needed);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("gcp: resolveHardenedClusterArgs", () => {
  it("defaults to a private, REGULAR-channel, deletion-protected cluster with a 90-day key rotation", () => {
    const c = resolveHardenedClusterArgs({}, "coder");
    assert.equal(c.clusterName, "coder");
    assert.equal(c.endpoint.privateEndpoint, true);
    assert.equal(c.endpoint.dnsEndpoint, false);
    assert.deepEqual(c.endpoint.authorizedNetworks, []);
    assert.equal(c.releaseChannel, "REGULAR");
    assert.equal(c.deletionProtection, true);
    assert.equal(c.keyRotationPeriod, `${maxKeyRotationSeconds}s`);
    assert.equal(c.registry.mutableTags, false);
    assert.equal(c.names.nodeServiceAccountId, "coder-nodes");
    assert.equal(c.nodes.totalMax, c.network.capacity.nodes.max);
    assert.equal(c.network.capacity.workspaces, 50);
  });

  it("refuses a public endpoint without authorized networks, naming the field", () => {
    assert.throws(
      () => resolveHardenedClusterArgs({ publicEndpoint: true }, "coder"),
      /^Error: authorizedNetworks: \[\]/,
    );
    const c = resolveHardenedClusterArgs(
      { publicEndpoint: true, authorizedNetworks: [{ cidrBlock: "203.0.113.0/24", displayName: "office" }] },
      "coder",
    );
    assert.equal(c.endpoint.privateEndpoint, false);
  });

  it("property: an authorized network wider than a /8 (0.0.0.0/0 included) is always refused, naming its index", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 7 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 3 }),
        (prefix, pub, extra) => {
          const ok = Array.from({ length: extra }, (_, i) => ({ cidrBlock: `198.51.${i}.0/24` }));
          assert.throws(
            () =>
              resolveHardenedClusterArgs(
                { publicEndpoint: pub, authorizedNetworks: [...ok, { cidrBlock: `0.0.0.0/${prefix}` }] },
                "coder",
              ),
            new RegExp(
              `^Error: authorizedNetworks\\[${extra}\\]\\.cidrBlock: 0\\.0\\.0\\.0/${prefix} opens the control plane`,
            ),
          );
        },
      ),
      { numRuns: 50 },
    );
  });

  it("refuses bad values, naming the field", () => {
    const bad: [Parameters<typeof resolveHardenedClusterArgs>[0], RegExp][] = [
      [{ clusterName: "Coder" }, /^Error: clusterName: "Coder"/],
      [{ releaseChannel: "UNSPECIFIED" as never }, /^Error: releaseChannel: "UNSPECIFIED"/],
      [{ keyRotationPeriod: "31536000s" }, /^Error: keyRotationPeriod: "31536000s" is not allowed/],
      [{ keyRotationPeriod: "90d" }, /^Error: keyRotationPeriod/],
      [{ diskSizeGb: 5 }, /^Error: diskSizeGb: 5/],
      [{ zones: ["europe-west1"] }, /^Error: zones\[0\]/],
      [{ authorizedNetworks: [{ cidrBlock: "10.0.0.1/8" }] }, /^Error: authorizedNetworks\[0\]\.cidrBlock/],
      [{ capacity: { workspaces: 0 } }, /^Error: capacity\.workspaces: 0/],
      [{ masterCidr: "10.64.0.0/28" }, /^Error: masterCidr: 10\.64\.0\.0\/28 overlaps capacity\.podCidr/],
      [{ approvedImages: ["ghcr.io/coder/image:1.0"] }, /^Error: approvedImages\[0\]/],
      [{ labels: { Team: "x" } }, /^Error: labels\.Team/],
      [{ kubernetesVersion: "latest" }, /^Error: kubernetesVersion/],
    ];
    for (const [args, re] of bad) assert.throws(() => resolveHardenedClusterArgs(args, "coder"), re);
    assert.throws(
      () => resolveHardenedClusterArgs({}, "Coder_Cluster"),
      /clusterName: .*defaults to the resource name/,
    );
  });

  it("property: every valid capacity gives a node pool bounded by the plan and an unchanged secure core", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2000 }),
        fc.constantFrom(16, 32, 64, 110),
        fc.integer({ min: 1, max: 16 }),
        fc.option(fc.constantFrom("RAPID", "REGULAR", "STABLE", "EXTENDED") as fc.Arbitrary<"REGULAR">, {
          nil: undefined,
        }),
        (workspaces, maxPodsPerNode, workspacesPerNode, releaseChannel) => {
          const c = resolveHardenedClusterArgs(
            {
              capacity: { workspaces, maxPodsPerNode, workspacesPerNode },
              ...(releaseChannel ? { releaseChannel } : {}),
            },
            "coder",
          );
          assert.ok(c.nodes.totalMin <= c.nodes.totalMax);
          assert.ok(c.nodes.totalMax * (maxPodsPerNode * 2) <= cidrSize(parseCidr(c.network.podRange.cidr)));
          assert.equal(c.endpoint.privateEndpoint, true);
          assert.equal(c.deletionProtection, true);
          assert.ok(cidrContains(parseCidr("172.16.0.0/12"), parseCidr(c.network.masterCidr)));
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe("gcp: RegistryPullAccount and EncryptedStorageClass args", () => {
  it("defaults to one immutable-tag repository and grants the Artifact Registry agent the key", () => {
    const c = resolveRegistryPullAccountArgs({
      location: "europe-west1",
      kmsKeyName: "projects/p/locations/europe-west1/keyRings/r/cryptoKeys/k",
      readerServiceAccountEmail: "coder-nodes@p.iam.gserviceaccount.com",
    });
    assert.deepEqual(c.repositories, ["workspaces"]);
    assert.equal(c.immutableTags, true);
    assert.equal(c.grantServiceAgentKeyAccess, true);
  });

  it("refuses bad repository ids, an empty list, a missing key and a reader that is not a service account", () => {
    const ok = {
      location: "europe-west1",
      kmsKeyName: "projects/p/locations/europe-west1/keyRings/r/cryptoKeys/k",
      readerServiceAccountEmail: "coder-nodes@p.iam.gserviceaccount.com",
    };
    assert.throws(() => resolveRegistryPullAccountArgs({ ...ok, repositories: [] }), /^Error: repositories: \[\]/);
    assert.throws(
      () => resolveRegistryPullAccountArgs({ ...ok, repositories: ["Bad_Id"] }),
      /^Error: repositories: "Bad_Id"/,
    );
    assert.throws(() => resolveRegistryPullAccountArgs({ ...ok, repositories: ["a", "a"] }), /listed twice/);
    assert.throws(() => resolveRegistryPullAccountArgs({ ...ok, kmsKeyName: "" }), /^Error: kmsKeyName/);
    // A CMEK repository takes a key from its own location only.
    assert.throws(
      () => resolveRegistryPullAccountArgs({ ...ok, kmsKeyName: "projects/p/locations/us/keyRings/r/cryptoKeys/k" }),
      /^Error: kmsKeyName: .* is in us, but location is europe-west1/,
    );
    assert.throws(
      () => resolveRegistryPullAccountArgs({ ...ok, readerServiceAccountEmail: "alice@example.com" }),
      /^Error: readerServiceAccountEmail: "alice@example.com"/,
    );
  });

  it("storage class: pd-balanced, default, unsets GKE's built-in defaults; refuses bad keys and names", () => {
    const key = "projects/p/locations/europe-west1/keyRings/r/cryptoKeys/k";
    const c = resolveEncryptedStorageClassArgs({ kmsKeyId: key }, "encrypted-pd");
    assert.equal(c.diskType, "pd-balanced");
    assert.equal(c.isDefault, true);
    assert.deepEqual(c.unsetDefaultOn, ["standard-rwo", "standard"]);
    assert.equal(c.replicationType, "none");
    assert.deepEqual(resolveEncryptedStorageClassArgs({ kmsKeyId: key, isDefault: false }, "x").unsetDefaultOn, []);
    assert.throws(() => resolveEncryptedStorageClassArgs({ kmsKeyId: "my-key" }, "x"), /^Error: kmsKeyId: "my-key"/);
    assert.throws(
      () => resolveEncryptedStorageClassArgs({ kmsKeyId: key }, "standard-rwo"),
      /^Error: name: "standard-rwo"/,
    );
    assert.throws(
      () => resolveEncryptedStorageClassArgs({ kmsKeyId: key, diskType: "local-ssd" as never }, "x"),
      /^Error: diskType/,
    );
  });
});

describe("gcp: IAM names and the kubeconfig", () => {
  it("names the service agents, Workload Identity members and IAM database users as Google does", () => {
    assert.equal(gkeServiceAgent("42"), "service-42@container-engine-robot.iam.gserviceaccount.com");
    assert.equal(computeServiceAgent("42"), "service-42@compute-system.iam.gserviceaccount.com");
    assert.equal(workloadIdentityMember("p", "coderd", "coder"), "serviceAccount:p.svc.id.goog[coderd/coder]");
    assert.equal(iamDatabaseUserName("coderd@p.iam.gserviceaccount.com"), "coderd@p.iam");
    assert.throws(() => iamDatabaseUserName("alice@example.com"), /serviceAccountEmail/);
    assert.equal(artifactRegistryPrefix("europe-west1", "p", "ws"), "europe-west1-docker.pkg.dev/p/ws/");
    assert.deepEqual([...nodeServiceAccountProjectRoles].sort(), [
      "roles/logging.logWriter",
      "roles/monitoring.metricWriter",
      "roles/monitoring.viewer",
      "roles/stackdriver.resourceMetadata.writer",
    ]);
  });

  it("property: service account ids derived from any valid cluster name are valid ids", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z][-a-z0-9]{0,38}[a-z0-9]$/), (name) => {
        const id = serviceAccountId("clusterName", name, "nodes");
        assert.match(id, /^[a-z][-a-z0-9]{4,28}[a-z0-9]$/);
      }),
      { numRuns: 200 },
    );
  });

  it("writes a kubeconfig that authenticates through gke-gcloud-auth-plugin and trusts the cluster CA", () => {
    const doc = JSON.parse(gkeKubeconfig({ name: "ctx", endpoint: "172.16.0.2", clusterCaCertificate: "Q0E=" })) as {
      clusters: { cluster: Record<string, string> }[];
      users: { user: { exec: Record<string, unknown> } }[];
    };
    assert.equal(doc.clusters[0]!.cluster.server, "https://172.16.0.2");
    assert.equal(doc.clusters[0]!.cluster["certificate-authority-data"], "Q0E=");
    assert.deepEqual(
      {
        command: doc.users[0]!.user.exec.command,
        apiVersion: doc.users[0]!.user.exec.apiVersion,
        provideClusterInfo: doc.users[0]!.user.exec.provideClusterInfo,
        args: doc.users[0]!.user.exec.args,
      },
      {
        command: "gke-gcloud-auth-plugin",
        apiVersion: "client.authentication.k8s.io/v1beta1",
        provideClusterInfo: true,
        // The Google provider's credentials (ADC), not whatever account gcloud has active.
        args: ["--use_application_default_credentials"],
      },
    );
    assert.throws(() => gkeKubeconfig({ name: "x", endpoint: "" }), /^Error: endpoint/);
  });
});
