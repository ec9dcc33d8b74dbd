/**
 * Strict parsers for the two textual forms an address takes once the WHATWG URL parser or the
 * resolver has normalised it: dotted-quad IPv4 (`127.0.0.1`) and RFC 4291 IPv6 (`::ffff:7f00:1`,
 * `64:ff9b::10.0.0.1`). Odd IPv4 spellings (`2130706433`, `0x7f000001`, `0177.0.0.1`, `127.1`) are
 * the URL parser's job: it rewrites them to dotted quads before anything here sees them, and this
 * parser refuses them, so an un-normalised spelling can never pass as a host name.
 */

/** An IPv4 address as a 32-bit unsigned integer, or undefined when `text` is not a dotted quad. */
export function parseIPv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    // Decimal only, no leading zeros (those would be octal to some parsers).
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

/** Dotted-quad text of a 32-bit value. */
export function formatIPv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff].join('.');
}

/**
 * An IPv6 address as eight 16-bit groups, or undefined when `text` is not one. Accepts `::`
 * compression, a dotted-quad tail (`::ffff:1.2.3.4`) and a zone (`fe80::1%eth0`, dropped); the
 * brackets of a URL host are accepted too.
 */
export function parseIPv6(input: string): number[] | undefined {
  let text = input.startsWith('[') && input.endsWith(']') ? input.slice(1, -1) : input;
  const zone = text.indexOf('%');
  if (zone !== -1) text = text.slice(0, zone);
  if (text.length === 0 || text.length > 45) return undefined;

  const groups: number[] = [];
  let tail: string[] = [];
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] === '' ? [] : (halves[0] ?? '').split(':');
  if (halves.length === 2) tail = halves[1] === '' ? [] : (halves[1] ?? '').split(':');

  const parseGroups = (list: string[], allowDottedTail: boolean): number[] | undefined => {
    const out: number[] = [];
    for (const [index, part] of list.entries()) {
      const last = index === list.length - 1;
      if (allowDottedTail && last && part.includes('.')) {
        const v4 = parseIPv4(part);
        if (v4 === undefined) return undefined;
        out.push(v4 >>> 16, v4 & 0xffff);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return undefined;
      out.push(Number.parseInt(part, 16));
    }
    return out;
  };

  const headGroups = parseGroups(head, halves.length === 1);
  const tailGroups = parseGroups(tail, true);
  if (headGroups === undefined || tailGroups === undefined) return undefined;
  if (halves.length === 1) {
    if (headGroups.length !== 8) return undefined;
    return headGroups;
  }
  const missing = 8 - headGroups.length - tailGroups.length;
  // `::` stands for at least one group of zeros.
  if (missing < 1) return undefined;
  groups.push(...headGroups, ...new Array<number>(missing).fill(0), ...tailGroups);
  return groups;
}

/** The IPv4 address held in the last 32 bits of an IPv6 address. */
export function embeddedIPv4(groups: readonly number[]): number {
  return (((groups[6] ?? 0) << 16) | (groups[7] ?? 0)) >>> 0;
}

/** True when `text` is an IPv4 dotted quad or an IPv6 address (brackets allowed). */
export function isIpLiteral(text: string): boolean {
  return parseIPv4(text) !== undefined || parseIPv6(text) !== undefined;
}
