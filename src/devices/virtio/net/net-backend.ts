/**
 * The host side of a network interface: where the frames a guest transmits go, and where the
 * frames it receives come from. Implemented by the user-mode network (src/devices/net-user/),
 * the socket backend (src/platform/node/net/) and test doubles.
 */
export interface NetBackend {
  /**
   * Takes one Ethernet frame (destination MAC first, no virtio header, no FCS) sent by the guest.
   * The array is only valid during the call: a backend that keeps the bytes copies them.
   */
  send(frame: Uint8Array): void;
  /**
   * Registers the one function that delivers frames to the guest. The frame passed to `cb` is
   * only valid during the call (the device copies it into guest buffers or its bounded queue).
   */
  onReceive(cb: (frame: Uint8Array) => void): void;
  /** Releases host resources (sockets, timers). Idempotent. */
  close(): void;
}

/** Largest Ethernet frame a backend accepts or produces: 14-byte header + 65521-byte payload. */
export const NET_MAX_FRAME_BYTES = 65535;
/** Smallest frame worth looking at: an Ethernet header. */
export const NET_MIN_FRAME_BYTES = 14;
