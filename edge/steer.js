import cf from 'cloudfront';

// Edgeway edge steering (CloudFront Function, viewer request, cloudfront-js-2.0).
// Decisions come from the GSLB Engine, exported by `edgeway gslb sync-edge` into
// the KeyValueStore associated with this function. Keys (see docs/edge.md):
//   lens4 / lens6        prefix lengths present, longest first ("24,16,8")
//   4:<a.b.c.d>/<len>    IPv4 prefix -> regions, best first ("eu-west-1,us-east-1")
//   6:<hex>/<len>        IPv6 prefix (first ceil(len/4) hex digits of the network)
//   c:<CC>               viewer country (CloudFront-Viewer-Country) -> regions
//   default              regions for everybody else
//   down                 regions the health checkers hold DOWN ("" when none)
// Origin ids in the distribution are the region names.
const kvs = cf.kvs();
const READS = { GET: 1, HEAD: 1, OPTIONS: 1 };
const FAILOVER_STATUS = [500, 502, 503, 504];

async function read(key) {
  try {
    return await kvs.get(key);
  } catch (e) {
    return null;                       // KeyNotFound, or the store not yet written
  }
}

function v4Key(ip, len) {
  const p = ip.split('.');
  if (p.length !== 4) return null;
  let n = 0;
  for (let i = 0; i < 4; i++) n = n * 256 + (parseInt(p[i], 10) & 255);
  const masked = len === 0 ? 0 : Math.floor(n / Math.pow(2, 32 - len)) * Math.pow(2, 32 - len);
  const out = [];
  for (let i = 3; i >= 0; i--) out.push(Math.floor(masked / Math.pow(256, i)) % 256);
  return '4:' + out.join('.') + '/' + len;
}

function v6Hex(ip) {
  const halves = ip.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return null;
  const groups = head.slice();
  for (let i = 0; i < missing; i++) groups.push('0');
  for (let i = 0; i < tail.length; i++) groups.push(tail[i]);
  let hex = '';
  for (let i = 0; i < 8; i++) hex += ('0000' + groups[i]).slice(-4).toLowerCase();
  return hex;
}

function v6Key(hex, len) {
  const whole = Math.floor(len / 4);
  let key = hex.slice(0, whole);
  const rest = len % 4;
  if (rest) {
    const nibble = parseInt(hex[whole], 16) & (0xf << (4 - rest)) & 0xf;
    key += nibble.toString(16);
  }
  return '6:' + key + '/' + len;
}

async function lookupIp(ip) {
  const v6 = ip.indexOf(':') >= 0;
  const hex = v6 ? v6Hex(ip) : null;
  if (v6 && hex === null) return null;
  const lens = await read(v6 ? 'lens6' : 'lens4');
  if (!lens) return null;
  const list = lens.split(',');
  for (let i = 0; i < list.length; i++) {
    const len = parseInt(list[i], 10);
    const key = v6 ? v6Key(hex, len) : v4Key(ip, len);
    if (key === null) return null;
    const value = await read(key);
    if (value) return { regions: value, via: key };
  }
  return null;
}

// The regions for one viewer, best first, and which key decided (pure but for `read`).
async function decide(ip, country) {
  let found = await lookupIp(ip);
  if (!found && country) {
    const value = await read('c:' + country.toUpperCase());
    if (value) found = { regions: value, via: 'c:' + country.toUpperCase() };
  }
  if (!found) {
    const value = await read('default');
    if (value) found = { regions: value, via: 'default' };
  }
  if (!found) return null;
  const down = ((await read('down')) || '').split(',');
  const ranked = found.regions.split(',');
  const up = ranked.filter(function (r) { return down.indexOf(r) < 0; });
  // Everything down: fail open in the Engine's order, as the DNS answers do.
  return { regions: up.length ? up : ranked, via: found.via };
}

async function handler(event) {
  const request = event.request;
  const country = request.headers['cloudfront-viewer-country'];
  const choice = await decide(event.viewer.ip, country ? country.value : '');
  if (!choice) return request;         // no decisions yet: the distribution's default origin
  const primary = choice.regions[0];
  const secondary = choice.regions.length > 1 ? choice.regions[1] : null;
  if (READS[request.method] && secondary) {
    // Origin groups fail over only these methods; writes are never replayed.
    cf.createRequestOriginGroup({ originIds: [primary, secondary],
                                  failoverCriteria: { statusCodes: FAILOVER_STATUS } });
  } else {
    cf.selectRequestOriginById(primary);
  }
  request.headers['x-edgeway-edge-region'] = { value: primary };
  return request;
}
