// edge/steer.js as a pure function of the decision store, under node's test runner.
// decisions.json is the export of the demo gateway.yaml (`edgeway edge export`);
// tests/gslb/test_edge_export.py fails when it no longer matches the Engine.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { load, event, steer } from '../harness.mjs';

const EXPORTED = JSON.parse(readFileSync(new URL('./decisions.json', import.meta.url), 'utf8')).items;
const FAILOVER = [500, 502, 503, 504];

const withKeys = (extra) => ({ ...EXPORTED, ...extra });

test('the demo European client goes to eu-west-1, reads through an origin group', async () => {
  const r = await steer(EXPORTED, '198.51.100.7', { method: 'GET' });
  assert.equal(r.region, 'eu-west-1');
  assert.deepEqual(r.picked, [{ group: { originIds: ['eu-west-1', 'us-east-1'],
                                         failoverCriteria: { statusCodes: FAILOVER } } }]);
  assert.equal(r.decision.via, '4:198.51.100.0/24');
});

test('writes go to one origin: an origin group would not fail them over', async () => {
  for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
    const r = await steer(EXPORTED, '198.51.100.7', { method });
    assert.equal(r.region, 'eu-west-1');
    assert.deepEqual(r.picked, [{ origin: 'eu-west-1' }], method);
  }
});

test('a region in `down` is skipped at once, before its prefixes are rewritten', async () => {
  const r = await steer(withKeys({ down: 'eu-west-1' }), '198.51.100.7', { method: 'GET' });
  assert.equal(r.region, 'us-east-1');
  assert.deepEqual(r.picked[0].group.originIds, ['us-east-1', 'ap-southeast-1']);
});

test('everything down: fail open in the Engine order, as the DNS does', async () => {
  const r = await steer(withKeys({ down: 'us-east-1,eu-west-1,ap-southeast-1' }), '198.51.100.7');
  assert.equal(r.region, 'eu-west-1');
});

test('the longest prefix wins, as in the networks table', async () => {
  const store = { lens4: '24,16', '4:198.51.0.0/16': 'us-east-1', '4:198.51.100.0/24': 'eu-west-1',
                  default: 'ap-southeast-1' };
  assert.equal((await steer(store, '198.51.100.200', { method: 'POST' })).region, 'eu-west-1');
  assert.equal((await steer(store, '198.51.7.1', { method: 'POST' })).region, 'us-east-1');
  assert.equal((await steer(store, '203.0.113.9', { method: 'POST' })).region, 'ap-southeast-1');
});

test('IPv6 viewers are keyed by hex digits of their prefix', async () => {
  const ranked = EXPORTED['6:20010db80200/48'];
  assert.ok(ranked, 'the demo table has 2001:db8:200::/48');
  const r = await steer(EXPORTED, '2001:db8:200::42', { method: 'POST' });
  assert.equal(r.region, ranked.split(',')[0]);
  assert.equal(r.decision.via, '6:20010db80200/48');
  const partial = { lens6: '33', '6:200100008/33': 'eu-west-1' };  // /33: a partial nibble
  assert.equal((await steer(partial, '2001:0:8000::1', { method: 'POST' })).region, 'eu-west-1');
  assert.equal((await steer(partial, '2001:0:7fff::1', { method: 'POST' })).region, null);
});

test('no prefix: the viewer country, then the default', async () => {
  const store = { lens4: '24', 'c:JP': 'ap-southeast-1,us-east-1', default: 'us-east-1,eu-west-1' };
  assert.equal((await steer(store, '192.0.2.1', { country: 'JP' })).region, 'ap-southeast-1');
  assert.equal((await steer(store, '192.0.2.1', { country: 'jp' })).decision.via, 'c:JP');
  assert.equal((await steer(store, '192.0.2.1', { country: 'FR' })).region, 'us-east-1');
});

test('an empty or unwritten store leaves the distribution default origin', async () => {
  const fn = load({});
  const request = await fn.handler(event('198.51.100.7', { method: 'POST' }));
  assert.deepEqual(fn.picked, []);
  assert.equal(request.headers['x-edgeway-edge-region'], undefined);
  assert.equal(request.headers.host.value, 'api.example.com');
});

test('a malformed viewer address picks nothing rather than throwing', async () => {
  const r = await steer({ lens6: '48' }, '2001:::1:2:3:4:5:6:7', { method: 'GET' });
  assert.equal(r.region, null);
});
