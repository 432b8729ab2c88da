import { expect } from 'chai';
import { ConfigError } from '../../src/runtime/errors.js';
import { admitUrl, describeAllowedHosts, HostNotAllowedError, parseAllowedHosts } from '../../src/runtime/http/host-allowlist.js';
import { isNonPublicAddress } from '../../src/runtime/http/non-public-address.js';
import { publicOnlyLookup } from '../../src/runtime/http/public-only-lookup.js';

describe('image host allowlist', () => {
  const hosts = parseAllowedHosts('images.epagine.fr, *.cdn.example.com http://127.0.0.1:9000', '--image-hosts');
  const admit = (url: string) => admitUrl(hosts, new URL(url));

  it('admits a listed host over https, by name', () => {
    expect(admit('https://images.epagine.fr/019/9780000000019_1_75.jpg')).to.deep.equal({ allowed: true, byName: true });
  });

  it('refuses http, another port or another host for an https entry', () => {
    for (const url of ['http://images.epagine.fr/a.jpg', 'https://images.epagine.fr:8443/a.jpg', 'https://evil.images.epagine.fr/a.jpg', 'https://epagine.fr/a.jpg']) {
      expect(admit(url).allowed, url).to.equal(false);
    }
  });

  it('admits the subdomains of a wildcard, not by name, and never its apex', () => {
    expect(admit('https://a.b.cdn.example.com/x.jpg')).to.deep.equal({ allowed: true, byName: false });
    expect(admit('https://cdn.example.com/x.jpg').allowed).to.equal(false);
    expect(admit('https://xcdn.example.com/x.jpg').allowed).to.equal(false);
  });

  it('admits an origin entry on its scheme and port only', () => {
    expect(admit('http://127.0.0.1:9000/images/a.jpg')).to.deep.equal({ allowed: true, byName: true });
    expect(admit('http://127.0.0.1:9001/images/a.jpg').allowed).to.equal(false);
    expect(admit('http://169.254.169.254/latest/meta-data/').allowed).to.equal(false);
  });

  it('says which setting and entry are wrong', () => {
    for (const [text, words] of [['', 'no host'], ['ftp://files.example.com', 'ftp:'], ['images.example.com/covers', 'more than a host'], ['*.10.0.0.1', 'wildcard of an IP']] as const) {
      const attempt = () => parseAllowedHosts(text, 'IMAGE_HOSTS');
      expect(attempt, text).to.throw(ConfigError, 'IMAGE_HOSTS');
      expect(attempt, text).to.throw(words);
    }
  });

  it('writes the entries back as they are read', () => {
    expect(describeAllowedHosts(hosts)).to.equal('images.epagine.fr,*.cdn.example.com,http://127.0.0.1:9000');
    expect(describeAllowedHosts(parseAllowedHosts(describeAllowedHosts(hosts), 'x'))).to.equal(describeAllowedHosts(hosts));
  });
});

describe('non-public addresses', () => {
  it('covers loopback, private, link-local, CGNAT, unspecified and mapped IPv4, in both families', () => {
    for (const address of ['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '100.100.1.1', '0.0.0.0', '::1', '::', 'fe80::1', 'fd00::5', '::ffff:127.0.0.1', '::ffff:10.0.0.1']) {
      expect(isNonPublicAddress(address), address).to.equal(true);
    }
    for (const address of ['8.8.8.8', '151.101.1.1', '2001:4860:4860::8888', '::ffff:8.8.8.8']) expect(isNonPublicAddress(address), address).to.equal(false);
  });

  it('refuses, at lookup, a name that resolves to one', async () => {
    const lookup = publicOnlyLookup('https://localhost');
    const error = await new Promise<unknown>((resolve) => lookup('localhost', { all: true }, (failure) => resolve(failure)));
    expect(error).to.be.instanceOf(HostNotAllowedError);
    expect((error as Error).message).to.contain('localhost resolves to').and.contain('not a public address');
  });
});
