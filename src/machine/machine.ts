// The `virt` board: RAM, harts and the fixed devices placed from BOARD_LAYOUT, the virtio slots
// filled with what `buildMachine` (machine-builder.ts) made from a MachineConfig, and `runSlice`
// running the harts round-robin on a budget (DESIGN.md §4). Build machines with `buildMachine`;
// `new Machine(deps)` is for it, the bare-metal ELF runner and unit tests.
import type { Clock } from '../base/clock.js';
import { Hart, Irq, StopReason, type HartEnv } from '../cpu/hart.js';
import { DEFAULT_JIT_CONFIG, Jit, sumJitInfo, type JitInfo } from '../jit/jit.js';
import { HART_STATE_BYTES } from '../cpu/hart-layout.js';
import { BootRom } from '../devices/boot-rom/boot-rom.js';
import { Clint } from '../devices/clint/clint.js';
import { GoldfishRtc } from '../devices/goldfish-rtc/goldfish-rtc.js';
import { Plic } from '../devices/plic/plic.js';
import { PciConfigSpace } from '../devices/pci/pci-config.js';
import { PCI_SLOT_COUNT, PciHost, hostBridgeFunction } from '../devices/pci/pci-host.js';
import { SifiveTest } from '../devices/sifive-test/sifive-test.js';
import { Pvpanic } from '../devices/pvpanic/pvpanic.js';
import { UART_IER, UART_IER_ERBFI, UART_LCR, UART_LCR_DLAB, Uart16550 } from '../devices/uart16550/uart16550.js';
import { GuestMemory } from '../memory/guest-memory.js';
import type { IrqLine } from '../memory/irq-line.js';
import { MmioBus, type MmioDevice } from '../memory/mmio-bus.js';
import { BanquiseError } from '../base/errors.js';
import { BOARD_LAYOUT, PCIE_INTX_BASE_IRQ, PLIC_SOURCE_COUNT, RAM_BASE_GPA, VIRTIO_SLOT_COUNT, boardSlot } from './board-layout.js';
import { Sbi } from './sbi/sbi.js';
import { Csr, HsmState } from './sbi/sbi-constants.js';
import type { SbiHost, SbiResetKind } from './sbi/sbi-extension.js';
import { enterSupervisor } from './supervisor-entry.js';
import type { ConsoleBackend } from './host-backends.js';
import type { MachineConfig } from './machine-config.js';
import { NO_DEVICES, type DeviceInfo, type MachineDevices } from './machine-devices.js';
import { readCounters, type MachineCounters } from './machine-counters.js';
import { MACHINE_STATE_VERSION, type HartEntryState, type MachineState } from './machine-state.js';
import { VirtioMmioTransport } from '../devices/virtio/virtio-mmio.js';
import { VIRTIO_STATUS_DEVICE_NEEDS_RESET, VIRTIO_STATUS_DRIVER_OK, VIRTIO_STATUS_FAILED } from '../devices/virtio/virtio-device.js';

export type { ConsoleBackend } from './host-backends.js';

/** Creates the device of one virtio-mmio slot, given guest memory and the slot's PLIC line. */
export type VirtioSlotFactory = (mem: GuestMemory, irq: IrqLine) => MmioDevice;

/** Creates one PCI function (full mode), given guest memory for its DMA. */
export type PciSlotFactory = (mem: GuestMemory) => PciConfigSpace;

/** Exit code of a run whose guest kernel panicked (pvpanic), distinct from poweroff (0) and usage errors. */
export const GUEST_PANIC_EXIT_CODE = 101;

/** How a run ended. */
export type MachineExit = { kind: 'poweroff' } | { kind: 'reboot' } | { kind: 'fail'; code: number; message?: string };

/** What the board is built from: its shape and its host dependencies (closures, host objects). */
export interface BoardDeps {
  /**
   * `pv`: the kernel runs in S-mode and the machine answers SBI calls; `full`: firmware from the
   * boot ROM in M-mode, nothing answered in TypeScript; `bare`: M-mode programs.
   */
  readonly mode: 'pv' | 'full' | 'bare';
  readonly ramSizeBytes: number;
  /** Number of harts, 1..8. */
  readonly vcpus: number;
  /** Time source of `mtime` (TIMEBASE_HZ ticks). */
  readonly clock: Clock;
  /** Wall-clock time in ns since the Unix epoch (the RTC). */
  readonly wallClockNs: () => bigint;
  readonly console: ConsoleBackend;
  /** Devices for virtio-mmio slots 0..7, in slot order. */
  readonly virtio?: readonly VirtioSlotFactory[];
  /** PCI functions (full mode), plugged into bus 0 from device 1 on (device 0 is the host bridge). */
  readonly pci?: readonly PciSlotFactory[];
  /** Called once when the guest powers off, reboots or fails. */
  readonly onExit?: (exit: MachineExit) => void;
  /** The plain config the builder made this board from (kept for save and rebuild). */
  readonly config?: MachineConfig;
  /** Handles on the virtio devices behind the slots (host control: balloon, vsock, stats). */
  readonly devices?: MachineDevices;
  /** Run hot guest code as WebAssembly (docs/jit.md); default true (false: interpret only). */
  readonly jit?: boolean;
  /** JIT hotness threshold: arrivals at a block start before it is translated (0 = always). */
  readonly jitThreshold?: number;
}

/** Why `runSlice` returned. */
export type SliceReason = 'budget' | 'idle' | 'exit';

/** Outcome of one `runSlice`. */
export interface SliceInfo {
  reason: SliceReason;
  /** How long the platform may sleep before the next slice (0 unless idle). */
  sleepMs: number;
  /** Guest instructions retired during the slice. */
  instructions: number;
}

/**
 * Longest sleep `runSlice` asks for. Device completions, received frames and host input wake
 * the loop themselves, so this only bounds the damage of a missed wake-up; every wake-up of an
 * idle domain costs host CPU (~0.2-0.4 ms here), so it is long.
 */
export const MAX_IDLE_SLEEP_MS = 1000;
/** Instructions a hart runs before the next hart gets its turn (SMP spin-waits must progress). */
export const SMP_QUANTUM = 4096;
/** Quantum of a single-hart machine: only device updates interrupt it. */
export const UP_QUANTUM = 65536;
/** Bytes of console input kept for SBI console reads. */
const SBI_INPUT_BYTES = 4096;

const TICKS_PER_MS = 10_000;

interface PendingResume {
  nonRetentive: boolean;
  addr: bigint;
  opaque: bigint;
}

function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}

/** A running `virt` board. */
export class Machine implements SbiHost {
  /** What the board was built from. */
  readonly deps: BoardDeps;
  /** The plain config (undefined for boards built without the builder: ELF runner, tests). */
  readonly config: MachineConfig | undefined;
  /** The virtio devices by kind. */
  readonly devices: MachineDevices;
  readonly mem: GuestMemory;
  readonly bus = new MmioBus();
  readonly harts: Hart[] = [];
  /** The JIT of each hart (empty when the JIT is off). */
  readonly jits: Jit[] = [];

  /** The JIT counters of all harts added up (`info jit`, domain stats); undefined when the JIT is off. */
  jitInfo(): JitInfo | undefined {
    return this.jits.length === 0 ? undefined : sumJitInfo(this.jits.map((j) => j.info));
  }
  readonly clint: Clint;
  readonly plic: Plic;
  readonly uart: Uart16550;
  readonly rtc: GoldfishRtc;
  readonly test: SifiveTest;
  /** The guest's panic notifier (pvpanic-mmio): a panic ends the run with GUEST_PANIC_EXIT_CODE. */
  readonly pvpanic: Pvpanic;
  /** virtio-mmio devices by slot (undefined = empty slot, no device-tree node). */
  readonly virtio: (MmioDevice | undefined)[] = [];
  /** The PCIe host bridge (full mode only). */
  readonly pci: PciHost | undefined;
  /** The boot ROM at 0x1000 (full mode only; fullBoot programs it). */
  readonly bootRom: BootRom | undefined;
  /** The SBI implementation (pv mode only). */
  readonly sbi: Sbi | undefined;
  /** `mtime` as the harts see it. */
  readonly timeClock: Clock;
  /** Set once the guest powered off, rebooted or failed. */
  exit: MachineExit | undefined = undefined;
  /** HSM state of each hart (HsmState). */
  private readonly hsm: Int32Array;
  private readonly starts: (PendingResume | undefined)[] = [];
  private readonly resumes: (PendingResume | undefined)[] = [];
  private readonly sbiInput = new Uint8Array(SBI_INPUT_BYTES);
  private sbiInputHead = 0;
  private sbiInputCount = 0;
  private nextHart = 0;
  private yieldRequested = false;

  constructor(config: BoardDeps) {
    if (!Number.isInteger(config.vcpus) || config.vcpus < 1 || config.vcpus > 8) {
      throw new BanquiseError(`vcpus must be 1..8, got ${config.vcpus}`, 64);
    }
    if ((config.pci?.length ?? 0) > 0 && config.mode !== 'full') {
      throw new BanquiseError('PCI devices (NVMe, e1000) need full mode (--mode full)', 64);
    }
    if ((config.pci?.length ?? 0) >= PCI_SLOT_COUNT) {
      throw new BanquiseError(`at most ${PCI_SLOT_COUNT - 1} PCI devices, got ${config.pci?.length}`, 64);
    }
    if ((config.virtio?.length ?? 0) > VIRTIO_SLOT_COUNT) {
      throw new BanquiseError(`at most ${VIRTIO_SLOT_COUNT} virtio devices, got ${config.virtio?.length}`, 64);
    }
    this.deps = config;
    this.config = config.config;
    this.devices = config.devices ?? NO_DEVICES;
    const n = config.vcpus;
    this.mem = new GuestMemory({
      ramBaseGpa: RAM_BASE_GPA,
      ramSizeBytes: config.ramSizeBytes,
      stateSizeBytes: n * HART_STATE_BYTES,
    });
    this.hsm = new Int32Array(n).fill(config.mode === 'pv' ? HsmState.STOPPED : HsmState.STARTED);
    this.hsm[0] = HsmState.STARTED;

    // Harts read `time` from the CLINT's mtime, which exists only once the harts do.
    let mtime: Clock = config.clock;
    this.timeClock = { ticks: () => mtime.ticks() };
    const sbi = config.mode === 'pv' ? new Sbi(this) : undefined;
    this.sbi = sbi;
    const romSlot = boardSlot('boot-rom');
    this.bootRom = config.mode === 'full' ? new BootRom(romSlot.sizeBytes) : undefined;
    const env: HartEnv =
      sbi !== undefined
        ? { mem: this.mem, bus: this.bus, clock: this.timeClock, sbi: (h) => sbi.handle(h) }
        : this.bootRom !== undefined
          ? {
              mem: this.mem, bus: this.bus, clock: this.timeClock,
              isExecutable: (gpa) => gpa >= romSlot.baseGpa && gpa < romSlot.baseGpa + romSlot.sizeBytes,
            }
          : { mem: this.mem, bus: this.bus, clock: this.timeClock };
    for (let h = 0; h < n; h++) this.harts.push(new Hart(env, h, h * HART_STATE_BYTES));
    if (config.jit !== false) {
      const threshold = config.jitThreshold ?? DEFAULT_JIT_CONFIG.threshold;
      if (!Number.isInteger(threshold) || threshold < 0) throw new BanquiseError(`jit threshold must be an integer >= 0, got ${threshold}`, 64);
      for (const hart of this.harts) this.jits.push(new Jit(hart, { threshold }));
    }

    const line = (h: number, bit: number): IrqLine => {
      const hart = this.harts[h]!;
      return { set: (level) => hart.setPending(bit, level) };
    };
    this.clint = new Clint(
      config.clock,
      this.harts.map((_, h) => ({ msip: line(h, Irq.MSIP), mtip: line(h, Irq.MTIP) })),
    );
    mtime = this.clint.mtimeClock;
    const contexts: IrqLine[] = [];
    for (let h = 0; h < n; h++) contexts.push(line(h, Irq.MEIP), line(h, Irq.SEIP));
    this.plic = new Plic(PLIC_SOURCE_COUNT, contexts);
    this.uart = new Uart16550(this.plic.source(boardSlot('uart').irq!), config.console);
    this.rtc = new GoldfishRtc(this.plic.source(boardSlot('rtc').irq!), config.wallClockNs);
    this.test = new SifiveTest((r) =>
      this.requestExit(r.kind === 'fail' ? { kind: 'fail', code: r.code } : { kind: r.kind }),
    );
    if (config.mode === 'full') {
      const mmio = boardSlot('pcie-mmio');
      const pci = new PciHost({
        mmioBaseGpa: mmio.baseGpa,
        mmioSizeBytes: mmio.sizeBytes,
        intx: [0, 1, 2, 3].map((i) => this.plic.source(PCIE_INTX_BASE_IRQ + i)),
      });
      pci.attach(0, new PciConfigSpace(hostBridgeFunction()));
      (config.pci ?? []).forEach((make, i) => pci.attach(i + 1, make(this.mem)));
      this.pci = pci;
    } else {
      this.pci = undefined;
    }
    this.pvpanic = new Pvpanic((e) => {
      if (e === 'panicked') {
        this.requestExit({ kind: 'fail', code: GUEST_PANIC_EXIT_CODE, message: 'the guest kernel panicked (reported through pvpanic; its console shows why)' });
      }
    });
    const factories = config.virtio ?? [];
    for (const slot of BOARD_LAYOUT) {
      let device: MmioDevice | undefined;
      switch (slot.kind) {
        case 'boot-rom': device = this.bootRom; break;
        case 'test': device = this.test; break;
        case 'rtc': device = this.rtc; break;
        case 'pvpanic': device = this.pvpanic; break;
        case 'clint': device = this.clint; break;
        case 'plic': device = this.plic; break;
        case 'uart': device = this.uart; break;
        case 'virtio': {
          const factory = factories[slot.index];
          if (factory !== undefined) {
            device = factory(this.mem, this.plic.source(slot.irq!));
            this.virtio[slot.index] = device;
          }
          break;
        }
        case 'pcie-ecam': device = this.pci?.ecam; break;
        case 'pcie-pio': device = this.pci?.pio; break;
        case 'pcie-mmio': device = this.pci?.mmio; break;
      }
      if (device !== undefined) this.bus.map(`${slot.name}@${slot.baseGpa.toString(16)}`, slot.baseGpa, slot.sizeBytes, device);
    }
  }

  /** Resets every hart to M-mode at `pc` (bare mode entry; pv boot then enters S-mode). */
  resetHarts(pc: bigint): void {
    for (const hart of this.harts) hart.reset(pc);
  }

  /** Total instructions retired by every hart. */
  instret(): number {
    let n = 0;
    for (const h of this.harts) n += h.instret;
    return n;
  }

  /** Total instructions executed by every hart, including those that trapped (see Hart.steps). */
  steps(): number {
    let n = 0;
    for (const h of this.harts) n += h.steps;
    return n;
  }

  /**
   * Ends the current slice at the next block boundary without ending the run: host work the
   * guest waits for (a virtqueue kick processed between slices) then runs at once, instead of
   * after the rest of a slice in which the guest only spins (Linux's hvc waits so for each write).
   */
  yieldSlice(): void {
    this.yieldRequested = true;
    for (const h of this.harts) h.requestStop();
  }

  /** Ends the run (first request wins): every hart stops at its next block boundary. */
  requestExit(exit: MachineExit): void {
    if (this.exit !== undefined) return;
    this.exit = exit;
    for (const h of this.harts) h.requestStop();
    this.deps.onExit?.(exit);
  }

  /**
   * True once a guest driver reads the serial port with interrupts (16550 IER.ERBFI set, as
   * Linux does when the console tty is opened). Input sent before that is lost when the driver
   * resets the FIFOs, so a platform feeding scripted input waits for this.
   */
  serialReaderPresent(): boolean {
    if ((this.uart.read(UART_LCR, 1) & UART_LCR_DLAB) !== 0) return false;
    return (this.uart.read(UART_IER, 1) & UART_IER_ERBFI) !== 0;
  }

  /** Host console input: to the UART, and kept (bounded) for SBI console reads. */
  consoleInput(bytes: Uint8Array): void {
    this.uart.receive(bytes);
    for (let i = 0; i < bytes.length; i++) {
      if (this.sbiInputCount === SBI_INPUT_BYTES) {
        this.sbiInputHead = (this.sbiInputHead + 1) % SBI_INPUT_BYTES;
        this.sbiInputCount--;
      }
      this.sbiInput[(this.sbiInputHead + this.sbiInputCount) % SBI_INPUT_BYTES] = bytes[i]!;
      this.sbiInputCount++;
    }
  }

  /**
   * Runs the harts round-robin for up to `budget` instructions in small quanta, updating the
   * CLINT and the RTC between quanta. Returns early when the guest exits, or when every running
   * hart waits in WFI: then `sleepMs` says how long until the next timer deadline.
   */
  runSlice(budget: number): SliceInfo {
    const n = this.harts.length;
    const quantum = n === 1 ? UP_QUANTUM : SMP_QUANTUM;
    let executed = 0; // retired
    let spent = 0; // retired + trapped: a guest looping on faults must still use up its budget
    this.yieldRequested = false;
    while (spent < budget && this.exit === undefined && !this.yieldRequested) {
      this.clint.update();
      this.rtc.update();
      this.wakeHarts();
      let allWaiting = true;
      for (let i = 0; i < n && this.exit === undefined && !this.yieldRequested; i++) {
        const h = (this.nextHart + i) % n;
        if (this.hsm[h] !== HsmState.STARTED) continue;
        const hart = this.harts[h]!;
        const before = hart.instret;
        const stepsBefore = hart.steps;
        const jit = this.jits[h];
        const q = Math.max(1, Math.min(quantum, budget - spent));
        const stop = jit !== undefined ? jit.run(q) : hart.run(q);
        executed += hart.instret - before;
        spent += hart.steps - stepsBefore;
        if (stop !== StopReason.Wfi) allWaiting = false;
        if (this.deps.mode === 'pv' && hart.priv === 3 && this.exit === undefined) this.trappedToMachineMode(hart);
      }
      this.nextHart = (this.nextHart + 1) % n;
      if (allWaiting && this.exit === undefined && !this.anyHartRunnable()) {
        const sleepMs = this.idleSleepMs();
        if (sleepMs > 0) return { reason: 'idle', sleepMs, instructions: executed };
      }
    }
    return { reason: this.exit !== undefined ? 'exit' : 'budget', sleepMs: 0, instructions: executed };
  }

  /** Updates the timers; true if that woke a hart (or a stopped hart is about to start). */
  private anyHartRunnable(): boolean {
    this.clint.update();
    this.rtc.update();
    for (let h = 0; h < this.harts.length; h++) {
      const s = this.hsm[h];
      if (s === HsmState.START_PENDING) return true;
      if (s === HsmState.STARTED && (!this.harts[h]!.waiting || this.interruptPending(this.harts[h]!))) return true;
      if (s === HsmState.SUSPENDED && this.interruptPending(this.harts[h]!)) return true;
    }
    return false;
  }

  /** Time until the earliest future timer event (CLINT, stimecmp, RTC alarm), capped. */
  private idleSleepMs(): number {
    let ticks = MAX_IDLE_SLEEP_MS * TICKS_PER_MS;
    const clintDelta = this.clint.nextDeadline() - this.deps.clock.ticks();
    if (clintDelta > 0 && clintDelta < ticks) ticks = clintDelta;
    const now = this.timeClock.ticks();
    for (let h = 0; h < this.harts.length; h++) {
      const s = this.hsm[h];
      if (s !== HsmState.STARTED && s !== HsmState.SUSPENDED) continue;
      const d = this.harts[h]!.nextTimerDeadline() - now;
      if (d > 0 && d < ticks) ticks = d;
    }
    const rtcNs = Number(this.rtc.nextDeadlineNs()) - Number(this.deps.wallClockNs());
    if (Number.isFinite(rtcNs) && rtcNs > 0 && rtcNs / 100 < ticks) ticks = rtcNs / 100;
    return ticks / TICKS_PER_MS;
  }

  /** A pv guest reached M-mode: there is no firmware there, so the run ends as a failure. */
  private trappedToMachineMode(hart: Hart): void {
    const cause = hart.readCsr(0x342);
    const epc = hart.readCsr(0x341);
    const tval = hart.readCsr(0x343);
    this.requestExit({
      kind: 'fail',
      code: 1,
      message:
        `hart ${hart.hartId} trapped to M-mode (mcause 0x${BigInt.asUintN(64, cause).toString(16)}, ` +
        `mepc 0x${BigInt.asUintN(64, epc).toString(16)}, mtval 0x${BigInt.asUintN(64, tval).toString(16)}): ` +
        'a pv guest must not leave S/U-mode',
    });
  }

  /** Starts START_PENDING harts and resumes suspended harts with an enabled interrupt pending. */
  private wakeHarts(): void {
    for (let h = 0; h < this.harts.length; h++) {
      const s = this.hsm[h];
      if (s === HsmState.START_PENDING) {
        const start = this.starts[h]!;
        this.starts[h] = undefined;
        enterSupervisor(this.harts[h]!, start.addr, BigInt(h), start.opaque);
        this.hsm[h] = HsmState.STARTED;
      } else if (s === HsmState.SUSPENDED && this.interruptPending(this.harts[h]!)) {
        const r = this.resumes[h]!;
        this.resumes[h] = undefined;
        if (r.nonRetentive) enterSupervisor(this.harts[h]!, r.addr, BigInt(h), r.opaque);
        this.hsm[h] = HsmState.STARTED;
      }
    }
  }

  private interruptPending(hart: Hart): boolean {
    const mie = hart.readCsr(Csr.mie);
    if ((hart.readCsr(Csr.mip) & mie) !== 0n) return true;
    return (mie & (1n << 5n)) !== 0n && hart.nextTimerDeadline() <= this.timeClock.ticks();
  }

  /** Exact counts of what the guest did since the machine was built or restored (`info counters`). */
  counters(): MachineCounters {
    let sbiCalls = 0;
    for (const ext of Object.values(this.sbi?.sbiStats.info() ?? {})) for (const n of Object.values(ext)) sbiCalls += n;
    return readCounters({ harts: this.harts, regions: this.bus.list(), plic: this.plic, pci: this.pci, virtio: this.devices.all, sbiCalls });
  }

  /** Each virtio device's state and error counters, in slot order. */
  deviceInfo(): DeviceInfo[] {
    return this.devices.all.map(({ name, slot, device }) => {
      const t = this.virtio[slot];
      const status = t instanceof VirtioMmioTransport ? t.status : 0;
      const state: DeviceInfo['state'] =
        status & VIRTIO_STATUS_FAILED ? 'failed'
        : status & VIRTIO_STATUS_DEVICE_NEEDS_RESET ? 'needs-reset'
        : status & VIRTIO_STATUS_DRIVER_OK ? 'running'
        : status === 0 ? 'reset' : 'configuring';
      const reason = t instanceof VirtioMmioTransport ? t.lastNeedsResetReason : undefined;
      return { name, slot, state, ...device.counters, ...(reason !== undefined ? { lastNeedsResetReason: reason } : {}) };
    });
  }

  // ---- State ----

  /**
   * The whole machine as plain data (machine-state.ts), RAM copied. Take it between slices.
   * Throws BanquiseError when the machine was not made by `buildMachine` (no config to rebuild
   * from) or a device still has I/O in flight at its host backend (retry after a slice).
   * With `withoutRam`, `ram` is empty: the snapshot stream sends RAM page by page from `mem`
   * (a 256 MiB copy would add to a migration's downtime).
   */
  save(options: { readonly withoutRam?: boolean } = {}): MachineState {
    const config = this.config;
    if (config === undefined) throw new BanquiseError('this machine was not built from a MachineConfig: it cannot be saved', 64);
    if (config.mode === 'full') throw new BanquiseError('saving a full-mode machine is not supported yet (PCI devices have no snapshot)', 64);
    const virtio = this.virtio.map((d, slot) => {
      if (d === undefined) return null;
      if (!(d instanceof VirtioMmioTransport)) throw new Error(`virtio slot ${slot} holds a device without a virtio-mmio transport`);
      if ((d.device.inFlight ?? 0) > 0) {
        throw new BanquiseError(`virtio slot ${slot} has ${d.device.inFlight} requests in flight: save again after the next slice`, 75);
      }
      return d.save();
    });
    for (let i = this.virtio.length; i < VIRTIO_SLOT_COUNT; i++) virtio.push(null);
    const entry = (e: PendingResume | undefined): HartEntryState | null =>
      e === undefined ? null : { nonRetentive: e.nonRetentive, addr: hex(e.addr), opaque: hex(e.opaque) };
    const sbiInput: number[] = [];
    for (let i = 0; i < this.sbiInputCount; i++) sbiInput.push(this.sbiInput[(this.sbiInputHead + i) % SBI_INPUT_BYTES]!);
    const ramStart = this.mem.ramOffset;
    return {
      version: MACHINE_STATE_VERSION,
      config,
      harts: this.harts.map((h) => h.save()),
      hsm: Array.from(this.hsm),
      hartStarts: this.harts.map((_, h) => entry(this.starts[h])),
      hartResumes: this.harts.map((_, h) => entry(this.resumes[h])),
      nextHart: this.nextHart,
      sbiInput,
      clint: this.clint.save(),
      plic: this.plic.save(),
      uart: this.uart.save(),
      rtc: this.rtc.save(),
      test: this.test.save(),
      virtio,
      ...(this.exit !== undefined ? { exit: this.exit } : {}),
      ram: options.withoutRam === true ? new Uint8Array(0) : this.mem.u8.slice(ramStart, ramStart + this.mem.ramSizeBytes),
    };
  }

  /**
   * Loads `state` into this freshly built machine (same config: `buildMachine` with `state`
   * calls this instead of booting). A snapshot is data: shapes are checked and a mismatch
   * throws BanquiseError (status 64) before anything is changed.
   */
  restore(state: MachineState): void {
    const n = this.harts.length;
    const bad = (why: string): never => {
      throw new BanquiseError(`machine state does not fit this machine: ${why}`, 64);
    };
    if (state.version !== MACHINE_STATE_VERSION) bad(`version ${String(state.version)}, this build reads ${MACHINE_STATE_VERSION}`);
    if (!(state.ram instanceof Uint8Array) || state.ram.length !== this.mem.ramSizeBytes) bad(`RAM is not ${this.mem.ramSizeBytes} bytes`);
    if (state.harts.length !== n || state.hsm.length !== n || state.hartStarts.length !== n || state.hartResumes.length !== n) bad(`not ${n} harts`);
    if (!state.hsm.every((s) => Number.isInteger(s) && s >= HsmState.STARTED && s <= HsmState.RESUME_PENDING)) bad('an HSM state is out of range');
    if (!Number.isInteger(state.nextHart) || state.nextHart < 0 || state.nextHart >= n) bad('nextHart is out of range');
    if (state.sbiInput.length > SBI_INPUT_BYTES) bad('too much SBI console input');
    if (state.virtio.length !== VIRTIO_SLOT_COUNT) bad(`not ${VIRTIO_SLOT_COUNT} virtio slots`);
    state.virtio.forEach((v, slot) => {
      const d = this.virtio[slot];
      if ((v === null) !== (d === undefined)) bad(`virtio slot ${slot} is ${v === null ? 'empty' : 'used'} in the state but not here`);
      if (v !== null && d instanceof VirtioMmioTransport && v.deviceId !== d.device.deviceId) bad(`virtio slot ${slot} holds device ${v.deviceId}, here ${d.device.deviceId}`);
    });
    const parseEntry = (e: HartEntryState | null): PendingResume | undefined => {
      if (e === null) return undefined;
      try {
        return { nonRetentive: e.nonRetentive === true, addr: BigInt.asUintN(64, BigInt(e.addr)), opaque: BigInt.asUintN(64, BigInt(e.opaque)) };
      } catch {
        return bad('a hart start/resume address is not a number');
      }
    };
    const starts = state.hartStarts.map(parseEntry);
    const resumes = state.hartResumes.map(parseEntry);
    state.hsm.forEach((s, h) => {
      if (s === HsmState.START_PENDING && starts[h] === undefined) bad(`hart ${h} is START_PENDING without a start address`);
      if (s === HsmState.SUSPENDED && resumes[h] === undefined) bad(`hart ${h} is SUSPENDED without a resume point`);
    });
    const exit = state.exit;
    if (exit !== undefined && !(exit.kind === 'poweroff' || exit.kind === 'reboot' || (exit.kind === 'fail' && Number.isInteger(exit.code)))) bad('exit is malformed');

    // A state whose RAM is this machine's own (filled in place by a migration) needs no copy.
    if (state.ram.buffer !== this.mem.buffer || state.ram.byteOffset !== this.mem.ramOffset) this.mem.u8.set(state.ram, this.mem.ramOffset);
    this.plic.restore(state.plic);
    this.clint.restore(state.clint);
    this.uart.restore(state.uart);
    this.rtc.restore(state.rtc);
    this.test.restore(state.test);
    state.virtio.forEach((v, slot) => {
      const d = this.virtio[slot];
      if (v !== null && d instanceof VirtioMmioTransport) d.restore(v);
    });
    // Harts last: their pending-interrupt bits are the saved ones, whatever the devices raised.
    for (let h = 0; h < n; h++) {
      this.harts[h]!.restore(state.harts[h]!);
      this.hsm[h] = state.hsm[h]!;
      this.starts[h] = starts[h];
      this.resumes[h] = resumes[h];
    }
    // Translations of the RAM that was there are useless now (and would be caught stale anyway).
    for (const j of this.jits) j.flush();
    this.nextHart = state.nextHart;
    this.sbiInputHead = 0;
    this.sbiInputCount = state.sbiInput.length;
    for (let i = 0; i < state.sbiInput.length; i++) this.sbiInput[i] = state.sbiInput[i]! & 0xff;
    this.exit = exit;
  }

  // ---- SbiHost ----

  /** Current `time` in ticks. */
  now(): number {
    return this.timeClock.ticks();
  }

  /** HSM state of hart `hartId`. */
  hartState(hartId: number): number {
    return this.hsm[hartId] ?? HsmState.STOPPED;
  }

  /** hart_start: the hart enters S-mode at the next round of `runSlice`. */
  startHart(hartId: number, startAddr: bigint, opaque: bigint): void {
    this.starts[hartId] = { nonRetentive: true, addr: startAddr, opaque };
    this.hsm[hartId] = HsmState.START_PENDING;
  }

  /** hart_stop: the calling hart leaves the run loop. */
  stopHart(hartId: number): void {
    this.hsm[hartId] = HsmState.STOPPED;
    this.harts[hartId]!.requestStop();
  }

  /** hart_suspend: the calling hart leaves the run loop until an enabled interrupt is pending. */
  suspendHart(hartId: number, nonRetentive: boolean, resumeAddr: bigint, opaque: bigint): void {
    this.resumes[hartId] = { nonRetentive, addr: resumeAddr, opaque };
    this.hsm[hartId] = HsmState.SUSPENDED;
    this.harts[hartId]!.requestStop();
  }

  /** SBI console output goes to the same backend as the UART. */
  consoleWrite(bytes: Uint8Array): void {
    this.deps.console.write(bytes);
  }

  /** SBI console input. */
  consoleRead(into: Uint8Array): number {
    let n = 0;
    while (n < into.length && this.sbiInputCount > 0) {
      into[n++] = this.sbiInput[this.sbiInputHead]!;
      this.sbiInputHead = (this.sbiInputHead + 1) % SBI_INPUT_BYTES;
      this.sbiInputCount--;
    }
    return n;
  }

  /** SRST: shutdown, reboot or failure. */
  systemReset(kind: SbiResetKind, reason: number): void {
    if (kind === 'shutdown') this.requestExit({ kind: 'poweroff' });
    else if (kind === 'reboot') this.requestExit({ kind: 'reboot' });
    else this.requestExit({ kind: 'fail', code: 1, message: `SBI system reset: shutdown for system failure (reason ${reason})` });
  }
}
