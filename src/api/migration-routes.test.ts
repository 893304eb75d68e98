// The migration routes end to end between two API servers on loopback TCP, with fake domain
// hosts whose handles exchange a few bytes over the link: the offer and its checks, the bearer
// token, the one-time ticket, the upgrade, progress, and what each controller does after.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DomainController } from '../control/domain-controller.js';
import type { DomainHandle, DomainHost, DomainStartSpec } from '../control/domain-host.js';
import type { MigrationLink } from '../control/migration/migration-link.js';
import { buildApiServer } from './api-server.js';

const MIB = 1 << 20;

/** The next chunk (not `for await … return`: that would end the socket's stream). */
async function firstChunk(link: MigrationLink): Promise<string> {
  const r = await link.receive[Symbol.asyncIterator]().next();
  return r.done === true ? '' : new TextDecoder().decode(r.value);
}

/** A daemon's controller and API with a fake host; `onIn`/`onOut` play the worker's part. */
function daemon(budgetMiB: number, token?: string) {
  const log: string[] = [];
  let release: (() => void) | undefined;
  const starts: DomainStartSpec[] = [];
  const host: DomainHost = {
    start: (spec): DomainHandle => (starts.push(spec), {
      pause() {}, unpause() {}, input() {}, pressKey() {}, setMemoryTarget() {}, injectFault() {}, kill: async () => {},
      migrateOut: async (link, o) => {
        o.onProgress({ bytesSent: 1234, round: 2, dirtyPages: 7, dirtyRate: 70, phase: 'rounds' });
        await new Promise<void>((r) => (release = r)); // the test reads the progress meanwhile
        await link.send(new TextEncoder().encode(`pages of ${spec.config.name}`));
        const answer = await firstChunk(link);
        link.close();
        if (answer !== 'RUNNING') throw new Error(`destination said ${answer}`);
        return { rounds: 2, bytesSent: 1234, pagesSent: 10, finalPages: 3, totalMs: 100, downtimeMs: 12 };
      },
      migrateIn: async (link) => {
        const got = await firstChunk(link);
        if (got !== `pages of ${spec.config.name}`) throw new Error(`got ${got}`);
        await link.send(new TextEncoder().encode('RUNNING'));
        link.close();
      },
    }),
  };
  let n = 0;
  const controller = new DomainController({ host, maxMemoryBytes: budgetMiB * MIB, maxDomains: 4, newUuid: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`, log: (l) => log.push(l) });
  const app = buildApiServer({ controller, version: '0.1.0', startedAtMs: Date.now(), socketPath: '/tmp/x.sock', logLines: () => log, log: (l) => log.push(l) }, token !== undefined ? { token } : {});
  return { controller, app, log, starts, release: () => release?.() };
}

function config(name: string, memMiB: number): never {
  return {
    name,
    machine: { version: 1, mode: 'pv', memoryBytes: memMiB * MIB, vcpus: 1, boot: { kernel: { path: '/k' }, cmdline: 'console=ttyS0' }, devices: { disks: [], nics: [], shares: [], console: 'serial', balloon: true, rng: true } },
    memoryBytes: memMiB * MIB, maxMemoryBytes: memMiB * MIB, onPoweroff: 'destroy', onReboot: 'restart', onCrash: 'preserve',
  } as never;
}

test('a domain migrates between two API servers; refusals leave it on the source', async () => {
  const src = daemon(1024);
  const dst = daemon(1024, 'secret');
  const small = daemon(32, 'small-secret');
  await dst.app.listen({ host: '127.0.0.1', port: 0 });
  await small.app.listen({ host: '127.0.0.1', port: 0 });
  const port = (a: typeof dst.app): number => (a.server.address() as { port: number }).port;
  try {
    // JIT settings of its own: the destination must start the domain with them.
    await src.controller.execute({ kind: 'create', config: { ...(config('web', 64) as object), jit: true, jitThreshold: 7 } as never });
    const uuid = src.controller.get('web').uuid;
    const migrate = (body: object) => src.app.inject({ method: 'POST', url: '/v1/domains/web/migrate', payload: body });

    let r = await migrate({ host: '127.0.0.1', port: port(dst.app), token: 'wrong' });
    assert.equal(r.statusCode, 502);
    assert.match(r.json().error.message, /refused the token.*keeps running here/);
    r = await migrate({ host: '127.0.0.1', port: port(small.app), token: 'small-secret' });
    assert.equal(r.statusCode, 502);
    assert.match(r.json().error.message, /refused the domain: not enough memory/);
    await dst.controller.execute({ kind: 'create', config: config('web', 64) });
    r = await migrate({ host: '127.0.0.1', port: port(dst.app), token: 'secret' });
    assert.match(r.json().error.message, /a domain named 'web' exists already/);
    await dst.controller.execute({ kind: 'destroy', ref: 'web' });
    assert.equal(src.controller.get('web').state, 'running');
    assert.deepEqual(dst.controller.list(), []);
    assert.deepEqual(small.controller.list(), []);

    const going = migrate({ host: '127.0.0.1', port: port(dst.app), token: 'secret' });
    let p: Awaited<ReturnType<typeof src.app.inject>>;
    for (;;) {
      p = await src.app.inject({ method: 'GET', url: '/v1/domains/web/migrate' });
      if (p.statusCode === 200 && p.json().phase === 'rounds') break;
      await new Promise((res) => setTimeout(res, 5));
    }
    assert.deepEqual(Object.assign({}, p.json(), { elapsed_s: 0 }), { direction: 'out', peer: `127.0.0.1:${port(dst.app)}`, elapsed_s: 0, phase: 'rounds', bytes_sent: 1234, round: 2, dirty_pages: 7, dirty_rate: 70 });
    const pause = await src.app.inject({ method: 'POST', url: '/v1/domains/web/action', payload: { action: 'pause' } });
    assert.equal(pause.statusCode, 409, 'no other action while migrating');
    const incoming = dst.controller.get('web');
    assert.equal(incoming.state, 'paused', 'reserved on the destination, not booted');
    assert.equal(incoming.uuid, uuid);
    const spec = dst.starts.at(-1)!;
    assert.deepEqual([spec.incoming, spec.config.jit, spec.config.jitThreshold], [true, true, 7], 'the destination builds it with the source\'s JIT settings');
    src.release();
    r = await going;
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(r.json(), { name: 'web', destination: `127.0.0.1:${port(dst.app)}`, rounds: 2, bytes_sent: 1234, pages_sent: 10, final_pages: 3, total_ms: 100, downtime_ms: 12 });
    assert.deepEqual(src.controller.list(), [], 'gone from the source');
    for (let i = 0; i < 100 && dst.controller.get('web').state !== 'running'; i++) await new Promise((res) => setTimeout(res, 5));
    assert.equal(dst.controller.get('web').state, 'running');
    assert.ok(dst.log.some((l) => /migrated in from/.test(l)));

    // A ticket is used once; an unknown one is refused before any byte is relayed.
    const t = await dst.app.inject({ method: 'POST', url: '/v1/migrations', headers: { authorization: 'Bearer secret' }, payload: { config: config('other', 64), uuid } });
    assert.equal(t.statusCode, 201);
    const up = await dst.app.inject({ method: 'GET', url: `/v1/migrations/${t.json().ticket}`, headers: { authorization: 'Bearer secret' } });
    assert.equal(up.statusCode, 426, 'a plain GET is not the stream');
  } finally {
    await src.app.close();
    await dst.app.close();
    await small.app.close();
  }
});
