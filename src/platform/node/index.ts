// Node.js host backends: clocks, files, the stdio console, the run loop, and the sessions
// behind `banquise run` and `banquise elf`.
export { HostClock, hostWallClockNs } from './host-clock.js';
export { loadFile } from './file-loader.js';
export { startRunLoop } from './run-loop.js';
export type { LoopStep, RunLoop } from './run-loop.js';
export { StdioConsole } from './stdio-console.js';
export { openNodeBackends } from './node-host-backends.js';
export type { NodeBackendOptions, NodeHostBackends } from './node-host-backends.js';
export { runPvSession } from './pv-session.js';
export type { PvSessionConfig, PvSessionInfo } from './pv-session.js';
export { runElfSession } from './elf-session.js';
export type { ElfSessionConfig } from './elf-session.js';
