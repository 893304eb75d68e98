/** One interrupt wire from a device to an interrupt controller. Level-triggered. */
export interface IrqLine {
  /** Drives the line high (`true`) or low (`false`). Idempotent. */
  set(level: boolean): void;
}
