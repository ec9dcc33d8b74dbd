import { describe, expect, it } from 'vitest';
import { classifyAddress } from '#core/net/address-class.ts';
import { parseIPv4, parseIPv6 } from '#core/net/ip-address.ts';

describe('classifyAddress', () => {
  it.each([
    ['8.8.8.8', 'public'],
    ['93.184.216.34', 'public'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['172.15.255.255', 'public'],
    ['192.168.1.1', 'private'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['169.254.169.254', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['169.254.0.1', 'link-local'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['100.128.0.1', 'public'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.255', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.10', 'reserved'],
    ['198.18.0.1', 'reserved'],
  ])('IPv4 %s is %s', (address, expected) => {
    expect(classifyAddress(address)).toEqual({ address, family: 4, class: expected });
  });

  it.each([
    ['2606:4700:4700::1111', 'public', undefined],
    ['::', 'unspecified', undefined],
    ['::1', 'loopback', undefined],
    ['[::1]', 'loopback', undefined],
    ['fe80::1', 'link-local', undefined],
    ['fe80::1%eth0', 'link-local', undefined],
    ['fc00::1', 'unique-local', undefined],
    ['fd12:3456::1', 'unique-local', undefined],
    ['fd00:ec2::254', 'metadata', undefined],
    ['ff02::1', 'multicast', undefined],
    ['2001:db8::1', 'reserved', undefined],
    ['2001::1', 'reserved', undefined],
    ['100::1', 'reserved', undefined],
    ['::ffff:127.0.0.1', 'loopback', '127.0.0.1'],
    ['::ffff:7f00:1', 'loopback', '127.0.0.1'],
    ['::ffff:a9fe:a9fe', 'metadata', '169.254.169.254'],
    ['::ffff:10.1.2.3', 'private', '10.1.2.3'],
    ['::ffff:8.8.8.8', 'public', '8.8.8.8'],
    ['::127.0.0.1', 'reserved', '127.0.0.1'],
    ['64:ff9b::10.0.0.1', 'private', '10.0.0.1'],
    ['64:ff9b::a9fe:a9fe', 'metadata', '169.254.169.254'],
    ['64:ff9b::8.8.8.8', 'public', '8.8.8.8'],
    ['64:ff9b:1::1', 'reserved', undefined],
    ['2002:7f00:1::1', 'loopback', '127.0.0.1'],
    ['2002:0808:0808::1', 'public', '8.8.8.8'],
  ])('IPv6 %s is %s (embedded %s)', (address, expected, embedded) => {
    const verdict = classifyAddress(address);

    expect(verdict?.class).toBe(expected);
    expect(verdict?.family).toBe(6);
    expect(verdict?.embeddedIPv4).toBe(embedded);
  });

  it('is undefined for a host name or an odd IPv4 spelling the URL parser should have rewritten', () => {
    for (const text of [
      'example.com',
      '2130706433',
      '0x7f000001',
      '0177.0.0.1',
      '127.1',
      '1.2.3.4.5',
      '',
    ]) {
      expect(classifyAddress(text)).toBeUndefined();
    }
  });
});

describe('parseIPv4 and parseIPv6', () => {
  it('reads dotted quads strictly', () => {
    expect(parseIPv4('127.0.0.1')).toBe(0x7f000001);
    expect(parseIPv4('255.255.255.255')).toBe(0xffffffff);
    expect(parseIPv4('256.0.0.1')).toBeUndefined();
    expect(parseIPv4('01.0.0.1')).toBeUndefined();
  });

  it('reads compressed, full and dotted-tail IPv6', () => {
    expect(parseIPv6('::')).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(parseIPv6('1:2:3:4:5:6:7:8')).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(parseIPv6('::ffff:1.2.3.4')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]);
    expect(parseIPv6('1::2::3')).toBeUndefined();
    expect(parseIPv6('1:2:3:4:5:6:7:8:9')).toBeUndefined();
    expect(parseIPv6('1:2:3:4:5:6:7::8')).toBeUndefined();
    expect(parseIPv6('12345::')).toBeUndefined();
  });
});
