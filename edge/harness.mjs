// Runs edge/steer.js (the CloudFront Function) under node, as CloudFront would:
// `cf` is a stand-in that reads a decision store held in memory and records the
// origin the function picked. Used by the node tests and `edgeway edge decide`.
import { readFileSync } from 'node:fs';
import vm from 'node:vm';

const SOURCE = readFileSync(new URL('./steer.js', import.meta.url), 'utf8');
const IMPORT = /^import cf from 'cloudfront';\s*$/m;

export class KeyNotFound extends Error {}

// store: a plain object key -> value (what the KeyValueStore holds).
export function load(store) {
  if (!IMPORT.test(SOURCE)) throw new Error('steer.js must start with the cloudfront import');
  const picked = [];
  const cf = {
    kvs: () => ({
      get: async (key) => {
        if (!Object.prototype.hasOwnProperty.call(store, key)) throw new KeyNotFound(key);
        return store[key];
      },
    }),
    selectRequestOriginById: (id) => picked.push({ origin: id }),
    createRequestOriginGroup: (group) => picked.push({ group: JSON.parse(JSON.stringify(group)) }),
    updateRequestOrigin: (params) => picked.push({ update: params }),
  };
  const context = vm.createContext({ cf });
  vm.runInContext(SOURCE.replace(IMPORT, '') + '\nglobalThis.__steer = { handler, decide };', context);
  return { handler: context.__steer.handler, decide: context.__steer.decide, picked };
}

export function event(ip, { method = 'GET', uri = '/v1/users/1', country = '' } = {}) {
  const headers = { host: { value: 'api.example.com' } };
  if (country) headers['cloudfront-viewer-country'] = { value: country };
  return { version: '1.0', context: { eventType: 'viewer-request' }, viewer: { ip },
           request: { method, uri, querystring: {}, headers, cookies: {} } };
}

// One viewer request through the function: what reached the origin, and where.
export async function steer(store, ip, options = {}) {
  const fn = load(store);
  const request = await fn.handler(event(ip, options));
  const header = request.headers['x-edgeway-edge-region'];
  return { region: header ? header.value : null, picked: fn.picked,
           decision: await fn.decide(ip, options.country || '') };
}
