/** IPv4 CIDR arithmetic for capacity planning and input validation. Pure; no dependencies. */

export interface Cidr {
  /** Network address as an unsigned 32-bit integer. */
  readonly base: number;
  readonly prefix: number;
}

/** Parses `a.b.c.d/n`. Throws naming `field` when it is not a valid IPv4 CIDR or has host bits set. */
export function parseCidr(value: string, field = "cidr"): Cidr {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(value.trim());
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const prefix = m ? Number(m[5]) : NaN;
  if (!m || octets.some((o) => o > 255) || prefix > 32) {
    throw new Error(`${field}: "${value}" is not an IPv4 CIDR; write it as a.b.c.d/n, e.g. 10.0.0.0/16`);
  }
  const addr = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  if (addr % size !== 0) {
    const base = addr - (addr % size);
    throw new Error(`${field}: "${value}" has host bits set; did you mean ${formatCidr({ base, prefix })}?`);
  }
  return { base: addr, prefix };
}

export function formatIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.base)}/${c.prefix}`;
}

/** Number of addresses in a block. */
export function cidrSize(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

/** True when the two blocks share any address. */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + cidrSize(b) && b.base < a.base + cidrSize(a);
}

/** True when `inner` lies wholly inside `outer`. */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return inner.base >= outer.base && inner.base + cidrSize(inner) <= outer.base + cidrSize(outer);
}

/** The longest prefix (smallest block) holding at least `addresses` addresses. */
export function prefixFor(addresses: number): number {
  if (!Number.isFinite(addresses) || addresses < 1) return 32;
  return 32 - Math.ceil(Math.log2(addresses));
}

/** The i-th block of length `prefix` inside `parent` (throws when it does not fit). */
export function subnet(parent: Cidr, prefix: number, index: number): Cidr {
  if (prefix < parent.prefix) {
    throw new Error(`subnet /${prefix} does not fit in ${formatCidr(parent)}`);
  }
  const count = 2 ** (prefix - parent.prefix);
  if (index < 0 || index >= count) {
    throw new Error(`${formatCidr(parent)} holds ${count} subnets of /${prefix}; index ${index} is out of range`);
  }
  return { base: parent.base + index * 2 ** (32 - prefix), prefix };
}

/** The well-known ranges that a workspace must never reach by default. */
export const metadataCidrs = ["169.254.169.254/32", "fd00:ec2::254/128"] as const;

/** RFC 1918 private ranges plus link-local and CGNAT: not the internet. */
export const nonInternetIpv4Cidrs = [
  "10.0.0.0/8",
  "172.16.0.0/12",
  "192.168.0.0/16",
  "169.254.0.0/16",
  "100.64.0.0/10",
] as const;
