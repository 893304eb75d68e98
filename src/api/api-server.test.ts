// Every route of api/openapi.json exercised through fastify's inject, every answer checked
// against the file's response schema (ajv); bad input gets 4xx with a JSON error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv } from 'ajv';
import { DomainController } from '../control/domain-controller.js';
import type { DomainHandle, DomainHost, DomainHostEvents } from '../control/domain-host.js';
import type { DomainConfig } from '../control/domain-config.js';
import { buildApiServer, API_BODY_LIMIT_BYTES } from './api-server.js';
import { inlineRefs, loadOpenApi } from './openapi.js';

const MIB = 1 << 20;
const doc = loadOpenApi();
const ajv = new Ajv({ strict: false, allErrors: true });

function setup(budgetMiB = 1024) {
  const events: DomainHostEvents[] = [];
  const keys: string[] = [];
  const host: DomainHost = {
    start: (_s, ev): DomainHandle => {
      events.push(ev);
      return {
        pause() {}, unpause() {}, input() {}, pressKey: (k) => void keys.push(k), setMemoryTarget() {}, kill: async () => {}, injectFault: () => ev.exit({ kind: 'crash', reason: 'injected' }),
        capture: async () => ({ machine: (config('x') as DomainConfig).machine, payload: 0 }),
        saveFile: async (path) => {
          if (path.startsWith('/nope/')) throw new Error(`cannot write save file ${path}: ENOENT`);
          return { bytes: 4096, pages: 1, ms: 2 };
        },
      };
    },
    loadImage: async (path) => {
      if (path !== '/s/web.sav') throw new Error('snapshot is corrupted: checksum mismatch in record 1 (MEMORY) at byte 40');
      return { machine: (config('x') as DomainConfig).machine, domain: { name: 'web9', uuid: '11111111-2222-4333-8444-555555555555', memoryBytes: 256 * MIB, onPoweroff: 'destroy', onReboot: 'restart', onCrash: 'destroy' }, payload: 0 };
    },
  };
  let n = 0;
  const controller = new DomainController({ host, maxMemoryBytes: budgetMiB * MIB, maxDomains: 4, newUuid: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`, log: () => {}, allowFaults: true });
  const app = buildApiServer({ controller, version: '0.1.0', startedAtMs: Date.now(), socketPath: '/tmp/x.sock', logLines: () => ['a line'], bridges: BRIDGES });
  return { app, controller, events, keys };
}

/** One bridge as the daemon's NodeBridges reports it. */
const BRIDGES = {
  names: () => ['br0'],
  info: (name: string) =>
    name !== 'br0'
      ? undefined
      : {
          name, uplink: 'user', ports: [{ id: 1, label: 'uplink', dropped: 0 }, { id: 2, label: 'web1', dropped: 3 }],
          macs: [{ mac: '52:54:00:01:02:03', port: 2 }],
          stats: { framesIn: 5, forwarded: 2, flooded: 3, malformed: 0, filtered: 0, tableEvictions: 0 },
        },
};

function config(name: string, memMiB = 256): unknown {
  return {
    name,
    machine: { version: 1, mode: 'pv', memoryBytes: memMiB * MIB, vcpus: 1, boot: { kernel: { path: '/k' }, cmdline: 'console=ttyS0' }, devices: { disks: [], nics: [], shares: [], console: 'serial', balloon: true, rng: true } },
    memoryBytes: memMiB * MIB,
    maxMemoryBytes: memMiB * MIB,
    onPoweroff: 'destroy',
    onReboot: 'restart',
    onCrash: 'preserve',
  };
}

const covered = new Set<string>();

/** Sends a request and checks the answer against the operation's response schema in the file. */
async function call(app: ReturnType<typeof setup>['app'], method: string, path: string, template: string, body?: unknown, raw?: { payload: string; type: string }) {
  const r = await app.inject({
    method: method as 'GET',
    url: path,
    ...(raw !== undefined ? { payload: raw.payload, headers: { 'content-type': raw.type } } : body !== undefined ? { payload: body as object } : {}),
  });
  const op = (doc.paths[template] as Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>)[method.toLowerCase()];
  assert.ok(op, `${method} ${template} is in the file`);
  const resp = op.responses[String(r.statusCode)];
  assert.ok(resp, `${method} ${path} answered ${r.statusCode}, which the file does not list for ${template}: ${r.body}`);
  const schema = resp.content?.['application/json']?.schema;
  if (schema !== undefined) {
    const validate = ajv.compile(inlineRefs(doc, schema) as object);
    const json = JSON.parse(r.body);
    assert.ok(validate(json), `${method} ${path} ${r.statusCode}: ${ajv.errorsText(validate.errors)} in ${r.body}`);
  } else assert.equal(r.body, '', `${method} ${path} ${r.statusCode} has no body`);
  covered.add(`${method.toLowerCase()} ${template}`);
  return { status: r.statusCode, json: r.body === '' ? undefined : JSON.parse(r.body) };
}

/** Save, restore and fork (issue 12) with a host whose files and captures are fakes. */
async function exerciseSnapshotRoutes(app: ReturnType<typeof setup>['app']): Promise<void> {
  const D = '/v1/domains';
  let r = await call(app, 'POST', D, D, config('web1'));
  assert.equal(r.status, 201);
  r = await call(app, 'POST', `${D}/web1/save`, `${D}/{ref}/save`, { path: '/s/a.sav', checkpoint: true });
  assert.deepEqual(r.json, { bytes: 4096, pages: 1, ms: 2 });
  r = await call(app, 'POST', `${D}/web1/save`, `${D}/{ref}/save`, { path: '/nope/a.sav' });
  assert.equal(r.status, 400);
  assert.match(r.json.error.message, /save of 'web1' failed: .*the domain runs on/);
  r = await call(app, 'POST', `${D}/web1/save`, `${D}/{ref}/save`, { path: 'relative.sav' });
  assert.equal(r.status, 400);
  r = await call(app, 'POST', `${D}/nope/save`, `${D}/{ref}/save`, { path: '/s/a.sav' });
  assert.equal(r.status, 404);
  r = await call(app, 'POST', `${D}/restore`, `${D}/restore`, { path: '/s/bad.sav' });
  assert.equal(r.status, 400);
  assert.match(r.json.error.message, /checksum mismatch/);
  r = await call(app, 'POST', `${D}/restore`, `${D}/restore`, { path: '/s/web.sav', paused: true });
  assert.equal(r.status, 201);
  assert.deepEqual([r.json.name, r.json.state], ['web9', 'paused']);
  r = await call(app, 'POST', `${D}/restore`, `${D}/restore`, { path: '/s/web.sav' });
  assert.equal(r.status, 409);
  r = await call(app, 'POST', `${D}/web1/fork`, `${D}/{ref}/fork`, { name: 'kid' });
  assert.equal(r.status, 201);
  assert.deepEqual(r.json.map((d: { name: string }) => d.name), ['kid']);
  r = await call(app, 'POST', `${D}/web1/fork`, `${D}/{ref}/fork`, { count: 2 });
  assert.equal(r.status, 422, 'over the domain count');
  r = await call(app, 'POST', `${D}/web1/fork`, `${D}/{ref}/fork`, { count: 0 });
  assert.equal(r.status, 400);
  r = await call(app, 'POST', `${D}/nope/fork`, `${D}/{ref}/fork`, {});
  assert.equal(r.status, 404);
  r = await call(app, 'POST', `${D}/web1/fork`, `${D}/{ref}/fork`, { name: 'kid' });
  assert.equal(r.status, 409);
}

test('every route answers as api/openapi.json says', async () => {
  const { app, events, keys } = setup();
  const D = '/v1/domains';
  let r = await call(app, 'POST', D, D, config('web1'));
  assert.equal(r.status, 201);
  assert.equal(r.json.name, 'web1');
  events[0]!.stats({ instructions: 10, cpuMs: 5, idle: false, blockReadBytes: 0, blockWriteBytes: 0, netRxFrames: 0, netTxFrames: 0 });
  r = await call(app, 'GET', D, D);
  assert.deepEqual(r.json.map((d: { name: string }) => d.name), ['web1']);
  r = await call(app, 'GET', `${D}/web1`, `${D}/{ref}`);
  assert.equal(r.json.instructions, 10);
  r = await call(app, 'GET', `${D}/1`, `${D}/{ref}`);
  assert.equal(r.json.name, 'web1');
  r = await call(app, 'POST', `${D}/web1/action`, `${D}/{ref}/action`, { action: 'pause' });
  assert.equal(r.json.state, 'paused');
  r = await call(app, 'POST', `${D}/web1/action`, `${D}/{ref}/action`, { action: 'pause' });
  assert.equal(r.status, 409);
  r = await call(app, 'POST', `${D}/web1/action`, `${D}/{ref}/action`, { action: 'unpause' });
  assert.equal(r.json.state, 'running');
  r = await call(app, 'PUT', `${D}/web1/memory`, `${D}/{ref}/memory`, { target_mib: 128 });
  assert.equal(r.json.memory, 128);
  r = await call(app, 'GET', `${D}/web1/devices`, `${D}/{ref}/devices`);
  assert.deepEqual(r.json, []);
  events[0]!.stats({ instructions: 11, cpuMs: 5, idle: true, blockReadBytes: 0, blockWriteBytes: 0, netRxFrames: 0, netTxFrames: 0, devices: [{ name: 'virtio-blk.0', slot: 0, state: 'needs-reset', malformed: 1, badRequests: 0, needsReset: 1, lastNeedsResetReason: 'queue 0: loop' }] });
  r = await call(app, 'GET', `${D}/web1/devices`, `${D}/{ref}/devices`);
  assert.equal(r.json[0].lastNeedsResetReason, 'queue 0: loop');
  r = await call(app, 'GET', `${D}/web1/console`, `${D}/{ref}/console`);
  assert.equal(r.status, 426);
  r = await call(app, 'GET', '/v1/info', '/v1/info');
  assert.equal(r.json.domains.count, 1);
  r = await call(app, 'PUT', `${D}/web1/sched`, `${D}/{ref}/sched`, { weight: 512, cap: 25 });
  assert.deepEqual([r.json.weight, r.json.cap], [512, 25]);
  r = await call(app, 'PUT', `${D}/web1/sched`, `${D}/{ref}/sched`, { weight: 0 });
  assert.equal(r.status, 400);
  r = await call(app, 'PUT', `${D}/nope/sched`, `${D}/{ref}/sched`, { cap: 5 });
  assert.equal(r.status, 404);
  r = await call(app, 'GET', '/v1/sched', '/v1/sched');
  assert.deepEqual(r.json.map((s: { name: string; weight: number }) => [s.name, s.weight]), [['web1', 512]]);
  r = await call(app, 'GET', '/v1/networks', '/v1/networks');
  assert.deepEqual(r.json, { networks: ['br0'] });
  r = await call(app, 'GET', '/v1/networks/br0', '/v1/networks/{name}');
  assert.equal(r.json.ports[1].dropped, 3);
  r = await call(app, 'GET', '/v1/networks/br9', '/v1/networks/{name}');
  assert.equal(r.status, 404);
  r = await call(app, 'GET', '/v1/networks/bad%20name', '/v1/networks/{name}');
  assert.equal(r.status, 400);
  r = await call(app, 'GET', '/v1/log', '/v1/log');
  assert.deepEqual(r.json.lines, ['a line']);
  // Migration routes (the full exchange is in migration-routes.test.ts).
  r = await call(app, 'GET', `${D}/web1/migrate`, `${D}/{ref}/migrate`);
  assert.equal(r.status, 404);
  r = await call(app, 'POST', `${D}/web1/migrate`, `${D}/{ref}/migrate`, { host: '127.0.0.1', port: 1, token: 't' });
  assert.equal(r.status, 400);
  assert.match(r.json.error.message, /cannot migrate/); // this fake host has no migrateOut
  r = await call(app, 'POST', '/v1/migrations', '/v1/migrations', { config: config('in1', 64), uuid: '00000000-0000-4000-8000-00000000abcd' });
  assert.equal(r.status, 201);
  r = await call(app, 'GET', `/v1/migrations/${r.json.ticket}`, '/v1/migrations/{ticket}');
  assert.equal(r.status, 426);
  r = await call(app, 'GET', `${D}/in1`, `${D}/{ref}`);
  assert.equal(r.json.state, 'paused');
  r = await call(app, 'DELETE', `${D}/in1`, `${D}/{ref}`);
  // shutdown -w: answered once the guest powered off (on_poweroff = destroy → 204).
  const waiting = call(app, 'POST', `${D}/web1/action`, `${D}/{ref}/action`, { action: 'shutdown', wait: true });
  while (keys.length === 0) await new Promise((res) => setTimeout(res, 5)); // the power key was pressed
  events[0]!.exit({ kind: 'poweroff' });
  assert.equal((await waiting).status, 204);
  await call(app, 'POST', D, D, config('web2'));
  r = await call(app, 'POST', `${D}/web2/fault`, `${D}/{ref}/fault`, { kind: 'throw' });
  assert.equal(r.status, 200);
  await new Promise((res) => setImmediate(res));
  r = await call(app, 'GET', `${D}/web2`, `${D}/{ref}`);
  assert.equal(r.json.state, 'crashed');
  assert.equal(r.json.reason, 'injected');
  r = await call(app, 'DELETE', `${D}/web2`, `${D}/{ref}`);
  assert.equal(r.status, 204);
  r = await call(app, 'DELETE', `${D}/web2`, `${D}/{ref}`);
  assert.equal(r.status, 404);
  await exerciseSnapshotRoutes(app);
  await app.close();

  const all: string[] = [];
  for (const [p, item] of Object.entries(doc.paths)) for (const m of Object.keys(item)) if (m !== 'parameters') all.push(`${m} ${p}`);
  assert.deepEqual(all.filter((k) => !covered.has(k)), [], 'every operation of the file was exercised');
});

test('bad input gets 4xx with a JSON error that says what to fix; the server keeps answering', async () => {
  const { app } = setup(300);
  const D = '/v1/domains';
  let r = await call(app, 'POST', D, D, undefined, { payload: '{"name": "x",', type: 'application/json' });
  assert.equal(r.status, 400);
  assert.match(r.json.error.message, /malformed|JSON/i);
  r = await call(app, 'POST', D, D, { ...(config('a') as object), colour: 'blue' });
  assert.equal(r.status, 400);
  assert.match(r.json.error.message, /remove 'colour'/);
  r = await call(app, 'POST', D, D, { ...(config('a') as object), onCrash: 'explode' });
  assert.equal(r.status, 400);
  assert.match(r.json.error.message, /onCrash.*one of destroy, restart, preserve/);
  r = await call(app, 'POST', D, D, { ...(config('a') as object), name: 'has space' });
  assert.equal(r.status, 400);
  r = await call(app, 'POST', D, D, undefined, { payload: 'x'.repeat(API_BODY_LIMIT_BYTES + 10), type: 'application/json' });
  assert.equal(r.status, 413);
  r = await call(app, 'POST', D, D, undefined, { payload: 'name=a', type: 'text/plain' });
  assert.equal(r.status, 415);
  r = await call(app, 'GET', `${D}/bad%20id`, `${D}/{ref}`);
  assert.equal(r.status, 400);
  r = await call(app, 'GET', `${D}/nosuch`, `${D}/{ref}`);
  assert.equal(r.status, 404);
  assert.match(r.json.error.message, /no domain 'nosuch'/);
  r = await call(app, 'POST', `${D}/nosuch/action`, `${D}/{ref}/action`, { action: 'fly' });
  assert.equal(r.status, 400);
  r = await call(app, 'POST', `${D}/nosuch/action`, `${D}/{ref}/action`, { action: 'pause', wait: true });
  assert.equal(r.status, 400);
  assert.match(r.json.error.message, /wait applies to shutdown only/);
  r = await call(app, 'PUT', `${D}/nosuch/memory`, `${D}/{ref}/memory`, { target_mib: '128' });
  assert.equal(r.status, 400, 'no type coercion');
  r = await call(app, 'POST', D, D, config('big', 512));
  assert.equal(r.status, 422);
  assert.match(r.json.error.message, /not enough memory.*--max-memory/);
  r = await call(app, 'POST', D, D, config('a'));
  assert.equal(r.status, 201);
  r = await call(app, 'POST', D, D, config('a'));
  assert.equal(r.status, 409);
  const nf = await app.inject({ method: 'GET', url: '/v2/nothing' });
  assert.equal(nf.statusCode, 404);
  assert.match(JSON.parse(nf.body).error.message, /no route/);
  await app.close();
});

test('a TCP listener needs the bearer token', async () => {
  const { controller } = setup();
  const app = buildApiServer({ controller, version: '0', startedAtMs: 0, socketPath: '/x', logLines: () => [] }, { token: 'secret' });
  let r = await app.inject({ method: 'GET', url: '/v1/domains' });
  assert.equal(r.statusCode, 401);
  assert.match(JSON.parse(r.body).error.message, /banquise token/);
  r = await app.inject({ method: 'GET', url: '/v1/domains', headers: { authorization: 'Bearer wrong!' } });
  assert.equal(r.statusCode, 401);
  r = await app.inject({ method: 'GET', url: '/v1/domains', headers: { authorization: 'Bearer secret' } });
  assert.equal(r.statusCode, 200);
  await app.close();
});
