import { embeddedIPv4, formatIPv4, parseIPv4, parseIPv6 } from './ip-address.ts';

/**
 * What kind of destination an IP address is. Only `public` may be fetched: every other class
 * reaches the host itself, its network, or its cloud's control plane (SSRF).
 */
export type AddressClass =
  | 'public'
  /** 10/8, 172.16/12, 192.168/16 (RFC 1918); fec0::/10 (deprecated site-local). */
  | 'private'
  /** 127/8, ::1. */
  | 'loopback'
  /** 169.254/16, fe80::/10. */
  | 'link-local'
  /** 100.64/10 (RFC 6598 carrier-grade NAT; also Alibaba's metadata address). */
  | 'cgnat'
  /** 0/8 ("this network"), ::. */
  | 'unspecified'
  /** 224/4, ff00::/8. */
  | 'multicast'
  /** 255.255.255.255. */
  | 'broadcast'
  /** fc00::/7. */
  | 'unique-local'
  /** Cloud instance and task metadata endpoints: 169.254.169.254, 169.254.170.2, fd00:ec2::254. */
  | 'metadata'
  /** Documentation, benchmarking, protocol-assignment, future-use and other non-global ranges. */
  | 'reserved';

export const BLOCKED_ADDRESS_CLASSES: readonly AddressClass[] = [
  'private',
  'loopback',
  'link-local',
  'cgnat',
  'unspecified',
  'multicast',
  'broadcast',
  'unique-local',
  'metadata',
  'reserved',
];

export interface ClassifiedAddress {
  /** The address as given (normalised text for IPv6 is not needed by callers). */
  readonly address: string;
  readonly family: 4 | 6;
  readonly class: AddressClass;
  /**
   * For an IPv6 address that carries an IPv4 one (IPv4-mapped `::ffff:a.b.c.d`, NAT64
   * `64:ff9b::/96`, 6to4 `2002::/16`): that IPv4 address, which decides the class.
   */
  readonly embeddedIPv4?: string;
}

interface V4Range {
  readonly base: string;
  readonly bits: number;
  readonly class: AddressClass;
}

/** Most specific first: the first match wins. */
const V4_RANGES: readonly V4Range[] = [
  { base: '169.254.169.254', bits: 32, class: 'metadata' }, // AWS, GCP, Azure, OCI IMDS
  { base: '169.254.170.2', bits: 32, class: 'metadata' }, // ECS task metadata and credentials
  { base: '169.254.170.23', bits: 32, class: 'metadata' }, // EKS pod identity agent
  { base: '255.255.255.255', bits: 32, class: 'broadcast' },
  { base: '0.0.0.0', bits: 8, class: 'unspecified' },
  { base: '10.0.0.0', bits: 8, class: 'private' },
  { base: '100.64.0.0', bits: 10, class: 'cgnat' },
  { base: '127.0.0.0', bits: 8, class: 'loopback' },
  { base: '169.254.0.0', bits: 16, class: 'link-local' },
  { base: '172.16.0.0', bits: 12, class: 'private' },
  { base: '192.0.0.0', bits: 24, class: 'reserved' }, // IETF protocol assignments
  { base: '192.0.2.0', bits: 24, class: 'reserved' }, // TEST-NET-1
  { base: '192.88.99.0', bits: 24, class: 'reserved' }, // 6to4 relay anycast
  { base: '192.168.0.0', bits: 16, class: 'private' },
  { base: '198.18.0.0', bits: 15, class: 'reserved' }, // benchmarking
  { base: '198.51.100.0', bits: 24, class: 'reserved' }, // TEST-NET-2
  { base: '203.0.113.0', bits: 24, class: 'reserved' }, // TEST-NET-3
  { base: '224.0.0.0', bits: 4, class: 'multicast' },
  { base: '240.0.0.0', bits: 4, class: 'reserved' },
];

const COMPILED_V4 = V4_RANGES.map((range) => {
  const mask = range.bits === 0 ? 0 : (0xffffffff << (32 - range.bits)) >>> 0;
  return { mask, network: ((parseIPv4(range.base) ?? 0) & mask) >>> 0, class: range.class };
});

function classifyV4(value: number): AddressClass {
  for (const range of COMPILED_V4) {
    if ((value & range.mask) >>> 0 === range.network) return range.class;
  }
  return 'public';
}

const METADATA_V6 = parseIPv6('fd00:ec2::254') ?? [];

function startsWith(groups: readonly number[], prefix: readonly number[]): boolean {
  return prefix.every((group, index) => groups[index] === group);
}

function classifyV6(groups: readonly number[]): { class: AddressClass; embedded?: number } {
  const [g0 = 0, g1 = 0] = groups;
  if (groups.every((group, index) => group === METADATA_V6[index])) return { class: 'metadata' };
  if (startsWith(groups, [0, 0, 0, 0, 0, 0])) {
    if (groups[6] === 0 && groups[7] === 0) return { class: 'unspecified' };
    if (groups[6] === 0 && groups[7] === 1) return { class: 'loopback' };
    // IPv4-compatible (::a.b.c.d): deprecated and never routed as IPv4.
    return { class: 'reserved', embedded: embeddedIPv4(groups) };
  }
  if (startsWith(groups, [0, 0, 0, 0, 0, 0xffff])) {
    const embedded = embeddedIPv4(groups);
    return { class: classifyV4(embedded), embedded };
  }
  if (startsWith(groups, [0x64, 0xff9b, 0, 0, 0, 0])) {
    // NAT64 (RFC 6052): the gateway connects to the embedded IPv4 address.
    const embedded = embeddedIPv4(groups);
    return { class: classifyV4(embedded), embedded };
  }
  if (g0 === 0x64 && g1 === 0xff9b) return { class: 'reserved' }; // 64:ff9b:1::/48 local NAT64
  if (g0 === 0x2002) {
    // 6to4: the IPv4 address of the tunnel end sits in groups 1 and 2.
    const embedded = ((g1 << 16) | (groups[2] ?? 0)) >>> 0;
    return { class: classifyV4(embedded), embedded };
  }
  if (g0 === 0x2001 && g1 === 0) return { class: 'reserved' }; // Teredo
  if (g0 === 0x2001 && g1 === 0x0db8) return { class: 'reserved' }; // documentation
  if ((g0 & 0xff00) === 0xff00) return { class: 'multicast' };
  if ((g0 & 0xffc0) === 0xfe80) return { class: 'link-local' };
  if ((g0 & 0xffc0) === 0xfec0) return { class: 'private' };
  if ((g0 & 0xfe00) === 0xfc00) return { class: 'unique-local' };
  // Only 2000::/3 is global unicast; everything else (100::/64 discard among it) is not.
  if ((g0 & 0xe000) !== 0x2000) return { class: 'reserved' };
  return { class: 'public' };
}

/**
 * The class of an IP address in its normalised text form (dotted quad, or IPv6 with or without
 * brackets), or undefined when `text` is not an IP address at all (a host name).
 */
export function classifyAddress(text: string): ClassifiedAddress | undefined {
  const v4 = parseIPv4(text);
  if (v4 !== undefined) return { address: text, family: 4, class: classifyV4(v4) };
  const v6 = parseIPv6(text);
  if (v6 === undefined) return undefined;
  const verdict = classifyV6(v6);
  return verdict.embedded === undefined
    ? { address: text, family: 6, class: verdict.class }
    : {
        address: text,
        family: 6,
        class: verdict.class,
        embeddedIPv4: formatIPv4(verdict.embedded),
      };
}

/** True for every class but `public`. */
export function isBlockedClass(addressClass: AddressClass): boolean {
  return addressClass !== 'public';
}

/** Words for an error message, e.g. "a loopback address". */
export function describeAddressClass(addressClass: AddressClass): string {
  const words: Readonly<Record<AddressClass, string>> = {
    public: 'a public address',
    private: 'a private-network address',
    loopback: 'a loopback address',
    'link-local': 'a link-local address',
    cgnat: 'a carrier-grade NAT address (100.64.0.0/10)',
    unspecified: 'an unspecified address',
    multicast: 'a multicast address',
    broadcast: 'the broadcast address',
    'unique-local': 'an IPv6 unique-local address',
    metadata: 'a cloud metadata address',
    reserved: 'a reserved (non-global) address',
  };
  return words[addressClass];
}
