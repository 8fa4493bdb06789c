// node edge/decide.mjs STORE.json IP [METHOD] [COUNTRY] -> one JSON line:
// the region steer.js sends this viewer to, from the decision store in STORE.json
// (the shape `edgeway gslb sync-edge` writes: {"items": {key: value}, ...}).
import { readFileSync } from 'node:fs';
import { steer } from './harness.mjs';

const [file, ip, method = 'GET', country = ''] = process.argv.slice(2);
if (!file || !ip) {
  console.error('usage: node edge/decide.mjs STORE.json IP [METHOD] [COUNTRY]');
  process.exit(2);
}
const data = JSON.parse(readFileSync(file, 'utf8'));
const result = await steer(data.items || {}, ip, { method, country });
console.log(JSON.stringify({ ip, method, ...result }));
