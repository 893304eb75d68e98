// The machine layer: the `virt` board, pv boot, the SBI, the bare-metal ELF runner.
export { BOARD_LAYOUT, boardSlot, RAM_BASE_GPA, VIRTIO_SLOT_COUNT, PLIC_SOURCE_COUNT } from './board-layout.js';
export type { BoardSlot, BoardDeviceKind } from './board-layout.js';
export { Machine, MAX_IDLE_SLEEP_MS } from './machine.js';
export { DEFAULT_JIT_CONFIG } from '../jit/jit.js';
export type { JitInfo } from '../jit/jit.js';
export type { BoardDeps, MachineExit, VirtioSlotFactory, PciSlotFactory, SliceInfo, SliceReason } from './machine.js';
export { MIN_MEMORY_BYTES, MAX_MEMORY_BYTES, MAX_VCPUS } from './machine-config.js';
export type {
  MachineConfig, MachineMode, DevicesConfig, DiskConfig, NicConfig, NicBackendConfig, HostForwardConfig, ShareConfig,
  VsockConfig, BootConfig, BlobRef,
} from './machine-config.js';
export { validateMachineConfig, virtioDeviceCount, MachineConfigError, MAX_CMDLINE_BYTES } from './validate-machine-config.js';
export type { HostBackends, ConsoleBackend } from './host-backends.js';
export { buildMachine, defaultMac } from './machine-builder.js';
export type { BuildOptions } from './machine-builder.js';
export type { MachineDevices, NamedVirtioDevice } from './machine-devices.js';
export { kernelConsole } from './kernel-cmdline.js';
export { MACHINE_STATE_VERSION, RAM_PAGE_BYTES, ramPages } from './machine-state.js';
export type { MachineState, HartEntryState, RamPage } from './machine-state.js';
export { GUEST_PANIC_EXIT_CODE } from './machine.js';
export { buildDeviceTree, HART_ISA } from './device-tree.js';
export type { DeviceTreeConfig } from './device-tree.js';
export { pvBoot } from './pv-boot.js';
export { fullBoot, NEXT_STAGE_OFFSET } from './full-boot.js';
export type { FullBootConfig, FullBootInfo } from './full-boot.js';
export type { PvBootConfig, PvBootInfo } from './pv-boot.js';
export { ElfRunner, ELF_DEFAULT_RAM_BYTES } from './elf-runner.js';
export type { ElfRunConfig, ElfRunInfo, ElfSliceInfo } from './elf-runner.js';
export { Sbi } from './sbi/sbi.js';
export { SbiStats } from './sbi/sbi-stats.js';
export type { SbiStatsInfo } from './sbi/sbi-stats.js';
