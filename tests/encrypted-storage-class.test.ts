import assert from "node:assert/strict";
import fc from "fast-check";
import * as pulumi from "@pulumi/pulumi";
import {
  EncryptedStorageClass,
  checkStorageClassEncryption,
  defaultStorageClassAnnotation,
  resolveEncryptedStorageClassArgs,
} from "@hardened-coder/kubernetes";
import { type RecordedResource, one, synth, valueOf, synthApplyFailures } from "./harness/engine";
import { validateAllKubernetesObjects } from "./harness/validate";

const TOKEN = "hardened-coder:kubernetes:EncryptedStorageClass";

const SC = "kubernetes:storage.k8s.io/v1:StorageClass";
const EBS = "ebs.csi.aws.com";
const KMS_ARN = "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const DES = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Compute/diskEncryptionSets/coder";

describe("resolveEncryptedStorageClassArgs (pure)", () => {
  it("takes the design's snippet: encrypted EBS gp3, named after the resource, secure defaults", () => {
    const c = resolveEncryptedStorageClassArgs(
      { provisioner: EBS, parameters: { encrypted: "true", type: "gp3" } },
      "ws",
    );
    assert.equal(c.name, "ws");
    assert.equal(c.provisioner, EBS);
    assert.deepEqual(c.parameters, { encrypted: "true", type: "gp3" });
    assert.equal(c.volumeBindingMode, "WaitForFirstConsumer");
    assert.equal(c.allowVolumeExpansion, true);
    assert.equal(c.reclaimPolicy, "Delete");
    assert.equal(c.isDefault, false);
    assert.deepEqual(c.annotations, {}, "not the default class unless asked");
    assert.equal(c.encryption.keyManagement, "provider-managed");
  });

  it("marks the default class only when isDefault is true, and honours name and reclaimPolicy", () => {
    const c = resolveEncryptedStorageClassArgs(
      {
        provisioner: EBS,
        parameters: { encrypted: "true", kmsKeyId: KMS_ARN },
        name: "encrypted-gp3",
        isDefault: true,
        reclaimPolicy: "Retain",
      },
      "ws",
    );
    assert.equal(c.name, "encrypted-gp3");
    assert.deepEqual(c.annotations, { [defaultStorageClassAnnotation]: "true" });
    assert.equal(c.reclaimPolicy, "Retain");
    assert.equal(c.encryption.keyManagement, "customer-managed");
  });

  describe("EBS (CSI and in-tree)", () => {
    for (const provisioner of [EBS, "kubernetes.io/aws-ebs"]) {
      const resolve = (parameters: Record<string, string>) =>
        resolveEncryptedStorageClassArgs({ provisioner, parameters }, "ws");

      it(`${provisioner}: refuses encrypted "false", naming the parameter, the value and the fix`, () => {
        assert.throws(
          () => resolve({ encrypted: "false", type: "gp3" }),
          /parameters\.encrypted: "false" leaves EBS volumes unencrypted .*set it to "true"/,
        );
      });

      it(`${provisioner}: refuses a class that leaves encrypted out`, () => {
        assert.throws(
          () => resolve({ type: "gp3" }),
          /parameters\.encrypted: missing.*set parameters\.encrypted to "true"/,
        );
        assert.throws(() => resolve({}), /parameters\.encrypted: missing/);
      });

      it(`${provisioner}: refuses values the driver does not read as true`, () => {
        for (const value of ["True", "TRUE", "1", "yes", "", " true"]) {
          assert.throws(
            () => resolve({ encrypted: value }),
            /parameters\.encrypted: .*honours only the exact string "true"/,
          );
        }
      });

      it(`${provisioner}: reads keys as the driver does, ignoring case`, () => {
        assert.throws(() => resolve({ Encrypted: "false" }), /parameters\.Encrypted: "false"/);
        assert.throws(
          () => resolve({ encrypted: "true", ENCRYPTED: "false" }),
          /parameters: "encrypted" and "ENCRYPTED" are one key to the driver/,
        );
        assert.equal(resolve({ Encrypted: "true" }).encryption.problems.length, 0);
      });

      it(`${provisioner}: refuses an empty kmsKeyId and reports a named key as customer-managed`, () => {
        assert.throws(() => resolve({ encrypted: "true", kmsKeyId: "" }), /parameters\.kmsKeyId: empty/);
        assert.equal(resolve({ encrypted: "true", kmsKeyId: KMS_ARN }).encryption.keyManagement, "customer-managed");
      });
    }
  });

  describe("GCE PD CSI", () => {
    const resolve = (parameters: Record<string, string>) =>
      resolveEncryptedStorageClassArgs({ provisioner: "pd.csi.storage.gke.io", parameters }, "ws");

    it("accepts Google-managed encryption and a CMEK key", () => {
      assert.equal(resolve({ type: "pd-balanced" }).encryption.keyManagement, "provider-managed");
      const key = "projects/p/locations/europe-west1/keyRings/r/cryptoKeys/disk";
      assert.equal(
        resolve({ type: "pd-balanced", "disk-encryption-kms-key": key }).encryption.keyManagement,
        "customer-managed",
      );
    });

    it("refuses an empty key, naming disk-encryption-kms-key", () => {
      assert.throws(() => resolve({ "disk-encryption-kms-key": "" }), /parameters\.disk-encryption-kms-key: empty/);
      assert.throws(() => resolve({ "Disk-Encryption-KMS-Key": " " }), /parameters\.Disk-Encryption-KMS-Key: empty/);
    });
  });

  describe("Azure Disk CSI", () => {
    const resolve = (parameters: Record<string, string>) =>
      resolveEncryptedStorageClassArgs({ provisioner: "disk.csi.azure.com", parameters }, "ws");

    it("accepts platform keys and a disk encryption set", () => {
      assert.equal(resolve({ skuName: "Premium_LRS" }).encryption.keyManagement, "provider-managed");
      assert.equal(resolve({ diskEncryptionSetID: DES }).encryption.keyManagement, "customer-managed");
      assert.equal(
        resolve({ diskEncryptionSetID: DES, diskEncryptionType: "EncryptionAtRestWithPlatformAndCustomerKeys" })
          .encryption.problems.length,
        0,
      );
      assert.equal(resolve({ diskEncryptionType: "EncryptionAtRestWithPlatformKey" }).encryption.problems.length, 0);
    });

    it("refuses encryption types that are not encryption, a malformed set id, and a customer type without a set", () => {
      assert.throws(
        () => resolve({ diskEncryptionType: "None" }),
        /parameters\.diskEncryptionType: "None" is not an Azure disk encryption type/,
      );
      assert.throws(
        () => resolve({ diskEncryptionSetID: "" }),
        /parameters\.diskEncryptionSetID: "" is not a disk encryption set id/,
      );
      assert.throws(
        () => resolve({ diskEncryptionType: "EncryptionAtRestWithCustomerKey" }),
        /parameters\.diskEncryptionType: .* needs a customer key but parameters\.diskEncryptionSetID is not set/,
      );
    });
  });

  describe("unknown provisioners", () => {
    const provisioner = "csi.example.com";

    it("refuses one without encryptionParameters, naming the field and the fix", () => {
      assert.throws(
        () => resolveEncryptedStorageClassArgs({ provisioner, parameters: { encrypt: "true" } }, "ws"),
        /encryptionParameters: provisioner "csi\.example\.com" is not one whose encryption this library can check .*name the parameter keys/,
      );
      assert.throws(
        () => resolveEncryptedStorageClassArgs({ provisioner, parameters: {}, encryptionParameters: [] }, "ws"),
        /encryptionParameters/,
      );
    });

    it("accepts named encryption parameters that are set, and refuses ones missing or saying off", () => {
      const resolve = (parameters: Record<string, string>) =>
        resolveEncryptedStorageClassArgs({ provisioner, parameters, encryptionParameters: ["encryption"] }, "ws");
      assert.equal(resolve({ encryption: "luks" }).encryption.keyManagement, "caller-declared");
      assert.throws(() => resolve({}), /parameters\.encryption: missing, but encryptionParameters names it/);
      for (const off of ["false", "FALSE", "0", "no", "off", "none", "disabled", "", "  "]) {
        assert.throws(() => resolve({ encryption: off }), /parameters\.encryption: .* turns encryption off/);
      }
    });

    it("does not read inherited object properties as parameters", () => {
      assert.throws(
        () =>
          resolveEncryptedStorageClassArgs(
            { provisioner, parameters: {}, encryptionParameters: ["constructor", "toString"] },
            "ws",
          ),
        /parameters\.constructor: missing.*parameters\.toString: missing/,
      );
    });

    it("adds declared parameters to a known provisioner's rules", () => {
      assert.throws(
        () =>
          resolveEncryptedStorageClassArgs(
            { provisioner: EBS, parameters: { encrypted: "true" }, encryptionParameters: ["kmsKeyId"] },
            "ws",
          ),
        /parameters\.kmsKeyId: missing/,
      );
    });
  });

  it("refuses malformed fields, naming each", () => {
    const ok = { provisioner: EBS, parameters: { encrypted: "true" } };
    assert.throws(() => resolveEncryptedStorageClassArgs({ ...ok, provisioner: "" }, "ws"), /^Error: provisioner: ""/);
    assert.throws(() => resolveEncryptedStorageClassArgs({ ...ok, provisioner: "a/b/c" }, "ws"), /^Error: provisioner/);
    assert.throws(
      () => resolveEncryptedStorageClassArgs({ ...ok, name: "Encrypted_GP3" }, "ws"),
      /^Error: name: "Encrypted_GP3"/,
    );
    assert.throws(
      () => resolveEncryptedStorageClassArgs(ok, "WS"),
      /name: "WS" .*defaults to the resource name: pass name/,
    );
    assert.throws(
      () => resolveEncryptedStorageClassArgs({ ...ok, reclaimPolicy: "Recycle" as "Delete" }, "ws"),
      /^Error: reclaimPolicy: "Recycle"/,
    );
    assert.throws(
      () => resolveEncryptedStorageClassArgs({ ...ok, isDefault: "yes" as unknown as boolean }, "ws"),
      /^Error: isDefault: "yes"/,
    );
    assert.throws(
      () =>
        resolveEncryptedStorageClassArgs(
          { ...ok, parameters: { encrypted: "true", iops: 3000 as unknown as string } },
          "ws",
        ),
      /^Error: parameters\.iops: 3000 is not a string/,
    );
    assert.throws(
      () =>
        resolveEncryptedStorageClassArgs({ ...ok, parameters: undefined as unknown as Record<string, string> }, "ws"),
      /^Error: parameters/,
    );
  });
});

describe("checkStorageClassEncryption (pure, for the clouds and the policy pack)", () => {
  it("returns problems instead of throwing, so a policy can report them", () => {
    const weak = checkStorageClassEncryption(EBS, { encrypted: "false" });
    assert.equal(weak.knownProvisioner, true);
    assert.equal(weak.problems.length, 1);
    assert.match(weak.problems[0]!, /parameters\.encrypted: "false"/);
    assert.deepEqual(checkStorageClassEncryption(EBS, { encrypted: "true" }).problems, []);
    assert.equal(checkStorageClassEncryption("csi.example.com", undefined).knownProvisioner, false);
    assert.equal(checkStorageClassEncryption(EBS, undefined).problems.length, 1);
  });

  it("accepts an EBS class exactly when the driver would encrypt (random parameter maps)", () => {
    // Reference: the EBS CSI driver lower-cases keys and encrypts only on the exact value "true".
    const key = fc.constantFrom("encrypted", "Encrypted", "ENCRYPTED", "kmsKeyId", "kmskeyid", "type", "iops");
    const value = fc.constantFrom("true", "false", "True", "1", "", "gp3", KMS_ARN);
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 5 }), (parameters) => {
        const keys = (name: string) => Object.keys(parameters).filter((k) => k.toLowerCase() === name);
        const encrypted = keys("encrypted");
        const kms = keys("kmskeyid");
        const expected =
          encrypted.length === 1 &&
          parameters[encrypted[0]!] === "true" &&
          kms.length <= 1 &&
          (kms.length === 0 || parameters[kms[0]!] !== "");
        assert.equal(checkStorageClassEncryption(EBS, parameters).problems.length === 0, expected);
      }),
      { numRuns: 200 },
    );
  });
});

describe("EncryptedStorageClass (mock engine)", () => {
  let resources: RecordedResource[];
  let storageClassName: string;
  let fromOutputName: string;
  let component: EncryptedStorageClass;

  before(async () => {
    const run = await synth(() => {
      component = new EncryptedStorageClass("ws", {
        provisioner: "ebs.csi.aws.com",
        parameters: { encrypted: "true", type: "gp3" },
      });
      const fromOutputs = new EncryptedStorageClass("cmk", {
        provisioner: pulumi.output(EBS),
        parameters: { encrypted: "true", type: "gp3", kmsKeyId: pulumi.output(KMS_ARN) },
        isDefault: true,
      });
      return { storageClassName: component.storageClassName, fromOutputName: fromOutputs.storageClassName };
    });
    resources = run.resources;
    storageClassName = run.outputs.storageClassName as string;
    fromOutputName = run.outputs.fromOutputName as string;
  });

  const storageClass = (name: string) =>
    resources.find((r) => r.type === SC && (r.inputs.metadata as { name: string }).name === name)!;

  it("emits schema-valid Kubernetes objects", async () => {
    assert.equal(await validateAllKubernetesObjects(resources), 2);
  });

  it("makes the design snippet's class: encrypted gp3, WaitForFirstConsumer, expandable, Delete, not default", () => {
    const sc = storageClass("ws");
    assert.equal(sc.inputs.provisioner, EBS);
    assert.deepEqual(sc.inputs.parameters, { encrypted: "true", type: "gp3" });
    assert.equal(sc.inputs.volumeBindingMode, "WaitForFirstConsumer");
    assert.equal(sc.inputs.allowVolumeExpansion, true);
    assert.equal(sc.inputs.reclaimPolicy, "Delete");
    const annotations = (sc.inputs.metadata as { annotations?: Record<string, string> }).annotations ?? {};
    assert.equal(annotations[defaultStorageClassAnnotation], undefined);
    assert.equal(
      (sc.inputs.metadata as { labels: Record<string, string> }).labels["app.kubernetes.io/part-of"],
      "hardened-coder",
    );
  });

  it("parents the StorageClass to the component and exposes its name and resource", async () => {
    const comp = one(resources, TOKEN, "ws");
    assert.equal(storageClass("ws").parent, comp.urn);
    assert.equal(storageClassName, "ws");
    assert.equal(await valueOf(component.storageClass.metadata.name), "ws");
  });

  it("checks parameters that arrive as Outputs, and marks the default class", () => {
    const sc = storageClass("cmk");
    assert.equal(fromOutputName, "cmk");
    assert.deepEqual(sc.inputs.parameters, { encrypted: "true", type: "gp3", kmsKeyId: KMS_ARN });
    assert.equal(
      (sc.inputs.metadata as { annotations: Record<string, string> }).annotations[defaultStorageClassAnnotation],
      "true",
    );
  });

  it("registers nothing when a plain input is refused", async () => {
    let error: unknown;
    const run = await synth(() => {
      try {
        new EncryptedStorageClass("ws", { provisioner: EBS, parameters: { encrypted: "false", type: "gp3" } });
      } catch (err) {
        error = err;
      }
    });
    assert.match(String(error), /parameters\.encrypted: "false"/);
    assert.deepEqual(
      run.resources.filter((r) => r.type === TOKEN || r.type === SC),
      [],
    );
  });

  it("fails the deployment, creating no StorageClass, when a value that arrives as an Output turns encryption off", async () => {
    const weak = await synthApplyFailures(() => {
      new EncryptedStorageClass("ws", { provisioner: EBS, parameters: { encrypted: pulumi.output("false") } });
    });
    assert.ok(
      weak.failures.some((f) => /parameters\.encrypted: "false"/.test(f)),
      weak.failures.join("\n"),
    );
    assert.deepEqual(
      weak.resources.filter((r) => r.type === SC),
      [],
    );

    const unknown = await synthApplyFailures(() => {
      new EncryptedStorageClass("other", { provisioner: pulumi.output("csi.example.com"), parameters: {} });
    });
    assert.ok(
      unknown.failures.some((f) => /encryptionParameters/.test(f)),
      unknown.failures.join("\n"),
    );
    assert.deepEqual(
      unknown.resources.filter((r) => r.type === SC),
      [],
    );
  });
});
