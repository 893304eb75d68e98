// Stable MAC addresses for domains' interfaces, derived from the domain's uuid (as Xen's
// toolstack gives each vif a fixed address): the same domain keeps its DHCP lease and ARP
// entries across reboots, two domains on one bridge differ.
import type { DomainConfig } from './domain-config.js';

/**
 * The MAC of interface `index` of the domain `uuid`: 52:54:00 (the prefix QEMU guests use,
 * locally administered in practice) then 24 bits of an FNV-1a hash of the uuid and the index.
 */
export function stableMac(uuid: string, index: number): string {
  let h = 0x811c9dc5;
  for (const c of `${uuid.toLowerCase()}/${index}`) {
    h ^= c.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  const b = [(h >>> 16) & 255, (h >>> 8) & 255, h & 255];
  return ['52', '54', '00', ...b.map((x) => x.toString(16).padStart(2, '0'))].join(':');
}

/** `config` with every interface that has no MAC given its stable one. */
export function withStableMacs(config: DomainConfig, uuid: string): DomainConfig {
  const nics = config.machine.devices.nics;
  if (nics.every((n) => n.mac !== undefined)) return config;
  return {
    ...config,
    machine: {
      ...config.machine,
      devices: { ...config.machine.devices, nics: nics.map((n, i) => (n.mac !== undefined ? n : { ...n, mac: stableMac(uuid, i) })) },
    },
  };
}
