// Issue 9, networks between domains, on real Linux: a daemon with bridge br0 (user-mode NAT
// uplink), two domains with `vif = [ "bridge=br0" ]`. Each gets its own address by DHCP from the
// uplink (the default guest runs udhcpc on eth0 at boot), they ping each other and open a TCP
// connection both ways (busybox nc), and one fetches from an HTTP server on the host through
// the uplink (busybox wget to 10.0.2.2), and the uplink's host forwards reach each domain's own
// address. network-list and the API show the ports and MACs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { connect, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BOOT_TIMEOUT_MS, PROMPT, requireGuest } from '../support/guest-session.mjs';
import { DomainConsole } from '../support/domain-console.mjs';
import { TestDaemon } from '../support/test-daemon.mjs';

const NAMES = ['bra', 'brb'];
let tmp;
/** The daemon; its home (`dir`) holds the configs and is the verbs' cwd. */
let daemon;
let dir;
let web;
let webPort;
/** Host ports the uplink forwards to port 7001 of 10.0.2.15 and of 10.0.2.16. */
const fwdPort = {};
const consoles = {};
const addr = {};

/** Runs a banquise verb against the test daemon; resolves {code, stdout, stderr}. */
const bq = (args) => daemon.bq(args);

function http(method, path) {
  return new Promise((res, rej) => {
    const req = request({ socketPath: daemon.sock, method, path }, (r) => {
      let t = '';
      r.on('data', (d) => (t += d));
      r.on('end', () => res({ status: r.statusCode, json: t ? JSON.parse(t) : undefined }));
    });
    req.on('error', rej);
    req.end();
  });
}

/** A TCP port free on 127.0.0.1 right now. */
function freePort() {
  return new Promise((res) => {
    const s = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/** The IPv4 address DHCP gave eth0 (polls: udhcpc may still be asking when the prompt shows). */
async function ipv4(name) {
  for (let i = 0; i < 60; i++) {
    const out = await consoles[name].run("ip -4 -o addr show eth0 | awk '{print $4}'");
    const m = /^(10\.0\.2\.\d+)\/24$/m.exec(out);
    if (m) return m[1];
    await consoles[name].run('sleep 1');
  }
  throw new Error(`${name}: eth0 got no address by DHCP\n${daemon.log}`);
}

before(async () => {
  await requireGuest();
  tmp = mkdtempSync(join(tmpdir(), 'banquise-bridge-'));
  web = createServer((req, res) => res.end(`host-page ${req.url}\n`));
  await new Promise((r) => web.listen(0, '127.0.0.1', r));
  webPort = web.address().port;
  for (const a of ['10.0.2.15', '10.0.2.16']) fwdPort[a] = await freePort();
  daemon = await TestDaemon.start(tmp, 'd', {
    maxMemory: '512M',
    extra: ['--bridge', `br0,uplink=user,hostfwd=tcp::${fwdPort['10.0.2.15']}-:7001,hostfwd=tcp::${fwdPort['10.0.2.16']}-10.0.2.16:7001`],
  });
  dir = daemon.home;
  for (const n of NAMES) writeFileSync(join(dir, `${n}.cfg`), `name = "${n}"\nmemory = 96\nvif = [ "bridge=br0" ]\n`);
  for (const n of NAMES) {
    const r = await bq(['create', `${n}.cfg`]);
    assert.equal(r.code, 0, r.stderr);
    consoles[n] = new DomainConsole(daemon.sock, n);
    await consoles[n].opened;
  }
  await Promise.all(NAMES.map(async (n) => {
    await consoles[n].waitFor(/Banquise guest ready/, BOOT_TIMEOUT_MS);
    await consoles[n].waitFor(PROMPT, 120_000);
  }));
  for (const n of NAMES) addr[n] = await ipv4(n);
});

after(async () => {
  for (const c of Object.values(consoles)) c.close();
  await daemon?.stop();
  web?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('each domain has its own stable MAC and its own DHCP address from the uplink', async () => {
  const macs = {};
  for (const n of NAMES) macs[n] = await consoles[n].run('cat /sys/class/net/eth0/address');
  assert.notEqual(macs.bra, macs.brb);
  for (const n of NAMES) assert.match(macs[n], /^52:54:00(:[0-9a-f]{2}){3}$/);
  assert.notEqual(addr.bra, addr.brb);
  const net = await http('GET', '/v1/networks/br0');
  assert.equal(net.status, 200);
  assert.equal(net.json.uplink, 'user');
  assert.deepEqual(net.json.ports.map((p) => p.label).sort(), ['bra', 'brb', 'uplink']);
  const learned = net.json.macs.map((m) => m.mac);
  for (const n of NAMES) assert.ok(learned.includes(macs[n]), `${macs[n]} learned: ${JSON.stringify(net.json)}`);
  const text = await bq(['network-list', 'br0']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^bridge br0, uplink user$/m);
  assert.match(text.stdout, new RegExp(`^\\d+\\s+bra\\s+\\d+\\s+${macs.bra}`, 'm'));
  assert.deepEqual((await http('GET', '/v1/networks')).json, { networks: ['br0'] });
  assert.equal((await http('GET', '/v1/networks/nope')).status, 404);
});

test('the two domains ping each other over the bridge', async () => {
  assert.match(await consoles.bra.run(`ping -c 2 -W 5 ${addr.brb}`), / 0% packet loss/);
  assert.match(await consoles.brb.run(`ping -c 2 -W 5 ${addr.bra}`), / 0% packet loss/);
});

test('TCP connections both ways between the domains (busybox nc)', async () => {
  for (const [server, client] of [['brb', 'bra'], ['bra', 'brb']]) {
    await consoles[server].run('rm -f /tmp/in; (nc -l -p 5000 < /dev/null > /tmp/in 2>&1 &)');
    await consoles[client].run(`echo hello-from-${client} | timeout 10 nc ${addr[server]} 5000`);
    let got = '';
    for (let i = 0; i < 20 && !got.includes(`hello-from-${client}`); i++) got = await consoles[server].run('sleep 0.5; cat /tmp/in');
    assert.equal(got, `hello-from-${client}`);
  }
});

test('a domain fetches from an HTTP server on the host through the uplink (busybox wget)', async () => {
  const page = await consoles.bra.run(`wget -q -O - http://10.0.2.2:${webPort}/from-bra`);
  assert.equal(page, 'host-page /from-bra');
});

test('the uplink forwards host ports to the address each domain took (hostfwd=tcp::P-10.0.2.16:7001)', async () => {
  for (const n of NAMES) await consoles[n].run(`(echo reply-from-${n} | nc -l -p 7001 > /dev/null 2>&1 &)`);
  for (const n of NAMES) {
    const got = await new Promise((res, rej) => {
      const s = connect(fwdPort[addr[n]], '127.0.0.1');
      let text = '';
      s.setTimeout(20_000, () => s.destroy(new Error(`no answer from ${n} through port ${fwdPort[addr[n]]}`)));
      s.on('data', (d) => (text += d));
      s.on('end', () => res(text.trim()));
      s.on('error', rej);
      s.end();
    });
    assert.equal(got, `reply-from-${n}`);
  }
});

test('sched-credit: a weight and cap set through the CLI show in sched-credit and the API', async () => {
  const set = await bq(['sched-credit', '-d', 'bra', '-w', '512', '-c', '50']);
  assert.equal(set.code, 0, set.stderr);
  const list = await bq(['sched-credit']);
  assert.match(list.stdout, /^bra\s+\d+\s+512\s+50\s/m);
  assert.match(list.stdout, /^brb\s+\d+\s+256\s+0\s/m);
  const api = (await http('GET', '/v1/sched')).json;
  assert.deepEqual(api.map((r) => [r.name, r.weight, r.cap]), [['bra', 512, 50], ['brb', 256, 0]]);
  const bad = await bq(['sched-credit', '-d', 'bra', '-w', '0']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /weight must be >= 1/);
  // The domain still answers with its cap in force.
  assert.equal(await consoles.bra.run('echo capped-ok'), 'capped-ok');
});

test('a nic on a bridge the daemon does not have is refused', async () => {
  writeFileSync(join(dir, 'lost.cfg'), 'name = "lost"\nmemory = 96\nvif = [ "bridge=nope0" ]\n');
  const r = await bq(['create', 'lost.cfg']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /no bridge 'nope0'.*--bridge nope0/);
});
