/**
 * A small, pure Pod Security Standards checker (Kubernetes "Pod Security Standards", policies
 * `baseline` and `restricted`, version "latest"), the checks the `PodSecurity` admission plugin runs
 * on a pod spec. Linux pods only (Windows pods are exempt from several restricted checks).
 *
 * Each violation names the check the way the Kubernetes documentation does, so a test can assert
 * exactly which ones a pod fails.
 */

export type PodSecurityLevel = "baseline" | "restricted";

export type PodSecurityCheck =
  // baseline
  | "hostProcess"
  | "hostNamespaces"
  | "privileged"
  | "capabilities.baseline"
  | "hostPathVolumes"
  | "hostPorts"
  | "appArmor"
  | "seLinuxOptions"
  | "procMount"
  | "seccompProfile.baseline"
  | "sysctls"
  // restricted
  | "volumeTypes"
  | "allowPrivilegeEscalation"
  | "runAsNonRoot"
  | "runAsUser"
  | "seccompProfile"
  | "capabilities";

export interface Violation {
  readonly check: PodSecurityCheck;
  /** Where, e.g. `spec.containers[0].securityContext.allowPrivilegeEscalation`. */
  readonly path: string;
  readonly message: string;
}

type Obj = Record<string, unknown>;

function obj(v: unknown): Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Obj) : {};
}
/** A value for a message: strings as themselves, anything else as JSON. */
function show(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

function list(v: unknown): Obj[] {
  return Array.isArray(v) ? v.map(obj) : [];
}

/** Capabilities baseline allows containers to add (the container runtime's default set). */
const baselineCapabilities = new Set([
  "AUDIT_WRITE",
  "CHOWN",
  "DAC_OVERRIDE",
  "FOWNER",
  "FSETID",
  "KILL",
  "MKNOD",
  "NET_BIND_SERVICE",
  "SETFCAP",
  "SETGID",
  "SETPCAP",
  "SETUID",
  "SYS_CHROOT",
]);

const safeSysctls = new Set([
  "kernel.shm_rmid_forced",
  "net.ipv4.ip_local_port_range",
  "net.ipv4.ip_unprivileged_port_start",
  "net.ipv4.tcp_syncookies",
  "net.ipv4.ping_group_range",
  "net.ipv4.ip_local_reserved_ports",
  "net.ipv4.tcp_keepalive_time",
  "net.ipv4.tcp_fin_timeout",
  "net.ipv4.tcp_keepalive_intvl",
  "net.ipv4.tcp_keepalive_probes",
]);

const seLinuxTypes = new Set(["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"]);

/** Volume types restricted allows. */
const restrictedVolumeTypes = new Set([
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "image",
  "persistentVolumeClaim",
  "projected",
  "secret",
]);

/** Checks a pod spec (`spec` of a Pod, or `spec.template.spec` of a workload) against a level. */
export function checkPodSecurity(
  podSpec: unknown,
  level: PodSecurityLevel,
  podAnnotations: Readonly<Record<string, string>> = {},
): Violation[] {
  const spec = obj(podSpec);
  const out: Violation[] = [];
  const v = (check: PodSecurityCheck, path: string, message: string) => out.push({ check, path, message });
  const podSc = obj(spec.securityContext);
  const groups = [
    ["containers", list(spec.containers)],
    ["initContainers", list(spec.initContainers)],
    ["ephemeralContainers", list(spec.ephemeralContainers)],
  ] as const;
  const containers = groups.flatMap(([field, cs]) => cs.map((c, i) => ({ c, at: `spec.${field}[${i}]` })));

  // --- baseline ---------------------------------------------------------------------------
  if (obj(podSc.windowsOptions).hostProcess === true) {
    v("hostProcess", "spec.securityContext.windowsOptions.hostProcess", "must not be true");
  }
  for (const field of ["hostNetwork", "hostPID", "hostIPC"] as const) {
    if (spec[field] === true) v("hostNamespaces", `spec.${field}`, "must not be true");
  }
  for (const [i, vol] of list(spec.volumes).entries()) {
    if (vol.hostPath !== undefined)
      v("hostPathVolumes", `spec.volumes[${i}].hostPath`, "hostPath volumes are forbidden");
  }
  for (const [key, value] of Object.entries(podAnnotations)) {
    if (key.startsWith("container.apparmor.security.beta.kubernetes.io/")) {
      if (value !== "runtime/default" && !value.startsWith("localhost/")) {
        v("appArmor", `metadata.annotations[${key}]`, `must be runtime/default or localhost/*`);
      }
    }
  }
  const checkAppArmor = (sc: Obj, path: string) => {
    const t = obj(sc.appArmorProfile).type;
    if (t !== undefined && t !== "RuntimeDefault" && t !== "Localhost") {
      v("appArmor", `${path}.appArmorProfile.type`, `must be RuntimeDefault or Localhost, not ${show(t)}`);
    }
  };
  const checkSeLinux = (sc: Obj, path: string) => {
    const se = obj(sc.seLinuxOptions);
    if (se.type !== undefined && !seLinuxTypes.has(show(se.type))) {
      v("seLinuxOptions", `${path}.seLinuxOptions.type`, `type ${show(se.type)} is not allowed`);
    }
    for (const f of ["user", "role"] as const) {
      if (se[f] !== undefined && se[f] !== "") v("seLinuxOptions", `${path}.seLinuxOptions.${f}`, "must not be set");
    }
  };
  const checkSeccompBaseline = (sc: Obj, path: string) => {
    if (obj(sc.seccompProfile).type === "Unconfined") {
      v("seccompProfile.baseline", `${path}.seccompProfile.type`, "must not be Unconfined");
    }
  };
  checkAppArmor(podSc, "spec.securityContext");
  checkSeLinux(podSc, "spec.securityContext");
  checkSeccompBaseline(podSc, "spec.securityContext");
  for (const [i, s] of list(podSc.sysctls).entries()) {
    if (!safeSysctls.has(String(s.name)))
      v("sysctls", `spec.securityContext.sysctls[${i}]`, `${String(s.name)} is not a safe sysctl`);
  }
  for (const { c, at } of containers) {
    const sc = obj(c.securityContext);
    const path = `${at}.securityContext`;
    if (obj(sc.windowsOptions).hostProcess === true)
      v("hostProcess", `${path}.windowsOptions.hostProcess`, "must not be true");
    if (sc.privileged === true) v("privileged", `${path}.privileged`, "must not be true");
    const added = obj(sc.capabilities).add;
    for (const cap of Array.isArray(added) ? (added as unknown[]) : []) {
      if (!baselineCapabilities.has(String(cap))) {
        v("capabilities.baseline", `${path}.capabilities.add`, `${String(cap)} is not in the baseline set`);
      }
    }
    for (const [j, p] of list(c.ports).entries()) {
      if (p.hostPort !== undefined && p.hostPort !== 0)
        v("hostPorts", `${at}.ports[${j}].hostPort`, "must be unset or 0");
    }
    checkAppArmor(sc, path);
    checkSeLinux(sc, path);
    checkSeccompBaseline(sc, path);
    if (sc.procMount !== undefined && sc.procMount !== "Default") {
      v("procMount", `${path}.procMount`, "must be Default");
    }
  }
  if (level === "baseline") return out;

  // --- restricted --------------------------------------------------------------------------
  for (const [i, vol] of list(spec.volumes).entries()) {
    const types = Object.keys(vol).filter((k) => k !== "name");
    for (const t of types) {
      if (!restrictedVolumeTypes.has(t)) v("volumeTypes", `spec.volumes[${i}].${t}`, `${t} volumes are not allowed`);
    }
  }
  const podNonRoot = podSc.runAsNonRoot === true;
  if (podSc.runAsNonRoot === false) v("runAsNonRoot", "spec.securityContext.runAsNonRoot", "must not be false");
  if (podSc.runAsUser === 0) v("runAsUser", "spec.securityContext.runAsUser", "must not be 0");
  const podSeccomp = obj(podSc.seccompProfile).type;
  const seccompOk = (t: unknown) => t === "RuntimeDefault" || t === "Localhost";
  if (podSeccomp !== undefined && !seccompOk(podSeccomp)) {
    v("seccompProfile", "spec.securityContext.seccompProfile.type", "must be RuntimeDefault or Localhost");
  }
  for (const { c, at } of containers) {
    const sc = obj(c.securityContext);
    const path = `${at}.securityContext`;
    if (sc.allowPrivilegeEscalation !== false) {
      v("allowPrivilegeEscalation", `${path}.allowPrivilegeEscalation`, "must be false");
    }
    if (sc.runAsNonRoot === false || (!podNonRoot && sc.runAsNonRoot !== true)) {
      v("runAsNonRoot", `${path}.runAsNonRoot`, "must be true (here or on the pod)");
    }
    if (sc.runAsUser === 0) v("runAsUser", `${path}.runAsUser`, "must not be 0");
    const t = obj(sc.seccompProfile).type;
    if (t !== undefined ? !seccompOk(t) : !seccompOk(podSeccomp)) {
      v("seccompProfile", `${path}.seccompProfile.type`, "must be RuntimeDefault or Localhost (here or on the pod)");
    }
    const caps = obj(sc.capabilities);
    const drop = Array.isArray(caps.drop) ? caps.drop.map(String) : [];
    if (!drop.includes("ALL")) v("capabilities", `${path}.capabilities.drop`, `must include ALL`);
    const add = Array.isArray(caps.add) ? caps.add.map(String) : [];
    for (const cap of add) {
      if (cap !== "NET_BIND_SERVICE")
        v("capabilities", `${path}.capabilities.add`, `only NET_BIND_SERVICE may be added, not ${cap}`);
    }
  }
  return out;
}
