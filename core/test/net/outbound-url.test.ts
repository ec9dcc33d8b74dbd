import { describe, expect, it } from 'vitest';
import { checkOutboundUrl, requireOutboundUrl } from '#core/net/outbound-url.ts';

describe('checkOutboundUrl', () => {
  it.each([
    // Odd IPv4 spellings: the WHATWG parser rewrites them to 127.0.0.1 before the check.
    ['https://2130706433/', 'blocked-address', 'loopback'],
    ['https://0x7f000001/', 'blocked-address', 'loopback'],
    ['https://0177.0.0.1/', 'blocked-address', 'loopback'],
    ['https://127.1/', 'blocked-address', 'loopback'],
    ['https://0x7f.1/', 'blocked-address', 'loopback'],
    ['https://127.0.0.1:8443/', 'blocked-address', 'loopback'],
    ['https://[::1]/', 'blocked-address', 'loopback'],
    ['https://[::ffff:127.0.0.1]/hook', 'blocked-address', 'loopback'],
    ['https://[::ffff:169.254.169.254]/', 'blocked-address', 'metadata'],
    ['https://[64:ff9b::10.0.0.1]/', 'blocked-address', 'private'],
    ['https://169.254.169.254/latest/meta-data/', 'blocked-address', 'metadata'],
    ['https://[fd00:ec2::254]/', 'blocked-address', 'metadata'],
    ['https://10.0.0.8/', 'blocked-address', 'private'],
    ['https://172.16.5.4/', 'blocked-address', 'private'],
    ['https://192.168.0.1/', 'blocked-address', 'private'],
    ['https://100.64.1.1/', 'blocked-address', 'cgnat'],
    ['https://169.254.1.1/', 'blocked-address', 'link-local'],
    ['https://[fe80::1]/', 'blocked-address', 'link-local'],
    ['https://[fc00::1]/', 'blocked-address', 'unique-local'],
    ['https://0.0.0.0/', 'blocked-address', 'unspecified'],
    ['https://224.0.0.251/', 'blocked-address', 'multicast'],
    ['https://255.255.255.255/', 'blocked-address', 'broadcast'],
    ['https://localhost/', 'blocked-host', undefined],
    ['https://LOCALHOST./', 'blocked-host', undefined],
    ['https://api.localhost/', 'blocked-host', undefined],
    ['https://metadata.google.internal/', 'blocked-host', undefined],
    ['https://printer.local/', 'blocked-host', undefined],
    ['https://intranet/', 'blocked-host', undefined],
    ['http://hooks.example.com/', 'scheme', undefined],
    ['ftp://hooks.example.com/', 'scheme', undefined],
    ['https://user:pw@hooks.example.com/', 'credentials', undefined],
    ['https://hooks.example.com:22/', 'port', undefined],
    ['https://hooks.example.com:1023/', 'port', undefined],
    ['not a url', 'invalid-url', undefined],
  ])('refuses %s (%s %s)', (url, reason, addressClass) => {
    const check = checkOutboundUrl(url);

    expect(check).toMatchObject({ ok: false, reason });
    if (!check.ok) expect(check.addressClass).toBe(addressClass);
  });

  it.each([
    'https://hooks.example.com/vibe?token=abc',
    'https://hooks.example.com:443/x',
    'https://hooks.example.com:1024/x',
    'https://hooks.example.com:65535/x',
    'https://8.8.8.8/',
    'https://[2606:4700:4700::1111]/',
  ])('accepts %s', (url) => {
    expect(checkOutboundUrl(url)).toMatchObject({ ok: true, allowListed: false });
  });

  it('refuses a URL one character over the length limit, and takes one at it', () => {
    const base = 'https://hooks.example.com/';
    const atLimit = base + 'a'.repeat(2048 - base.length);

    expect(checkOutboundUrl(atLimit).ok).toBe(true);
    expect(checkOutboundUrl(`${atLimit}a`)).toMatchObject({ ok: false, reason: 'too-long' });
  });

  it('lets an allow-listed origin through, and only that exact origin', () => {
    const policy = { allowOrigins: ['http://127.0.0.1:40123'] };

    expect(checkOutboundUrl('http://127.0.0.1:40123/hook', policy)).toMatchObject({
      ok: true,
      allowListed: true,
    });
    expect(checkOutboundUrl('http://127.0.0.1:40124/hook', policy)).toMatchObject({
      ok: false,
      reason: 'scheme',
    });
    expect(checkOutboundUrl('https://127.0.0.1:40123/hook', policy)).toMatchObject({
      ok: false,
      reason: 'blocked-address',
    });
  });
});

describe('requireOutboundUrl', () => {
  it('throws INVALID_ARGUMENT naming the field, the problem and the rules', () => {
    expect(() => requireOutboundUrl('https://2130706433/x', 'webhook.url')).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(
          /^Expected "webhook\.url" to be an https URL .* but 127\.0\.0\.1 is a loopback address$/,
        ),
        details: { field: 'webhook.url', reason: 'blocked-address', addressClass: 'loopback' },
      }),
    );
  });
});
