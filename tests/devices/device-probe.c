// Device probe: drives the UART, PLIC, CLINT, RTC and test finisher of the `virt` board from the
// guest side (M-mode, no firmware) and prints what it sees; device-probe.test.mjs runs it on
// Banquise and on QEMU (`-M virt -bios none`) and compares the two.
typedef unsigned char u8;
typedef unsigned int u32;
typedef unsigned long u64;
#define UART ((volatile u8 *)0x10000000UL)
#define PLIC(off) (*(volatile u32 *)(0x0c000000UL + (off)))
#define CLINT32(off) (*(volatile u32 *)(0x02000000UL + (off)))
#define CLINT64(off) (*(volatile u64 *)(0x02000000UL + (off)))
#define RTC(off) (*(volatile u32 *)(0x00101000UL + (off)))
#define TEST (*(volatile u32 *)0x00100000UL)

static void putc_(char c) {
  while (!(UART[5] & 0x20)) {}
  UART[0] = c;
}
static void puts_(const char *s) { while (*s) putc_(*s++); }
static char outbuf[8192];
static int outlen;
static void bput(char c) { if (outlen < (int)sizeof outbuf) outbuf[outlen++] = c; }
static void bputs(const char *s) { while (*s) bput(*s++); }
static void bhex(u64 v) {
  bputs("0x");
  int started = 0;
  for (int i = 60; i >= 0; i -= 4) {
    int d = (v >> i) & 15;
    if (d || started || i == 0) { bput("0123456789abcdef"[d]); started = 1; }
  }
}
// Results are buffered: the UART is in loopback or DLAB mode during parts of the probe.
static void kv(const char *k, u64 v) { bputs(k); bput('='); bhex(v); bput('\n'); }
static void flush(void) { for (int i = 0; i < outlen; i++) putc_(outbuf[i]); outlen = 0; }
static u64 mip(void) { u64 v; __asm__ volatile("csrr %0, mip" : "=r"(v)); return v; }

int main(void) {
  // reset state as seen by a driver that has not touched the UART (QEMU's firmware does not)
  kv("uart.ier", UART[1]);
  kv("uart.iir", UART[2]);
  kv("uart.lcr", UART[3]);
  kv("uart.mcr", UART[4] & ~0x08); // QEMU resets OUT2 to 1, the datasheet to 0
  kv("uart.lsr", UART[5]);
  kv("uart.msr.lines", UART[6] & 0xf0);
  UART[7] = 0xa5;
  kv("uart.scr", UART[7]);
  UART[3] = 0x83; UART[0] = 0x12; UART[1] = 0x34;
  kv("uart.dll", UART[0]);
  kv("uart.dlm", UART[1]);
  UART[3] = 0x03;
  UART[2] = 0x07;
  kv("uart.iir.fifo", UART[2]);
  // 16750 probe as Linux's autoconfig does: IIR bits 7:5 with the 64-byte bit
  UART[2] = 0x21;
  kv("uart.iir.64byte", UART[2] >> 5);
  UART[2] = 0x07;
  // loopback
  UART[4] = 0x1a;
  kv("uart.loop.msr", UART[6]);
  kv("uart.loop.msr2", UART[6]);
  UART[1] = 0x01;
  kv("uart.loop.iir.idle", UART[2]);
  UART[0] = 'A';
  kv("uart.loop.lsr", UART[5]);
  kv("uart.loop.iir.trig1", UART[2]);
  kv("uart.loop.rbr", UART[0]);
  kv("uart.loop.iir.after", UART[2]);
  UART[2] = 0x81; // trigger 8
  for (int i = 0; i < 8; i++) UART[0] = '0' + i;
  kv("uart.loop.iir.rdi", UART[2]);
  for (int i = 0; i < 9; i++) UART[0] = 'a' + i; // 17 bytes into 16
  kv("uart.loop.lsr.oe", UART[5]);
  kv("uart.loop.lsr.oe.cleared", UART[5]);
  u64 sum = 0; int n = 0;
  while (UART[5] & 1) { sum = sum * 31 + UART[0]; n++; }
  kv("uart.loop.count", n);
  kv("uart.loop.sum", sum);
  UART[1] = 0x00;
  // THRE interrupt
  UART[1] = 0x02;
  kv("uart.thre.iir1", UART[2]);
  kv("uart.thre.iir2", UART[2]);
  UART[1] = 0x00; UART[1] = 0x02;
  kv("uart.thre.iir3", UART[2]);
  UART[1] = 0x00;
  // modem status interrupt
  UART[1] = 0x08;
  UART[4] = 0x1b; // DTR on
  kv("uart.msi.iir", UART[2]);
  kv("uart.msi.msr", UART[6]);
  kv("uart.msi.iir.after", UART[2]);
  UART[1] = 0x00;

  // PLIC + UART interrupt in loopback, context 0 = hart 0 M-mode
  PLIC(4 * 10) = 0xffffffff;
  kv("plic.prio10.warl", PLIC(4 * 10));
  PLIC(4 * 10) = 3;
  PLIC(0x2000) = 1u << 10;
  kv("plic.enable0", PLIC(0x2000));
  PLIC(0x200000) = 0;
  UART[1] = 0x01;
  UART[0] = 'Z'; // below the trigger level: character timeout (QEMU waits 4 character times)
  for (volatile int i = 0; i < 200000 && !(PLIC(0x1000) & (1u << 10)); i++) {}
  kv("plic.pending0", PLIC(0x1000));
  kv("mip.meip", (mip() >> 11) & 1);
  PLIC(0x200000) = 3;
  kv("mip.meip.thresh3", (mip() >> 11) & 1);
  kv("plic.claim.thresh3", PLIC(0x200004));
  PLIC(0x200000) = 2;
  u32 id = PLIC(0x200004);
  kv("plic.claim", id);
  kv("plic.pending.after.claim", PLIC(0x1000));
  kv("plic.claim.again", PLIC(0x200004));
  (void)UART[0];
  PLIC(0x200004) = id;
  kv("plic.pending.after.complete", PLIC(0x1000));
  kv("mip.meip.end", (mip() >> 11) & 1);
  UART[1] = 0; UART[4] = 0;

  // CLINT
  u64 t0 = CLINT64(0xbff8);
  for (volatile int i = 0; i < 10000; i++) {}
  u64 t1 = CLINT64(0xbff8);
  kv("clint.mtime.moves", t1 > t0);
  // (mtimecmp reset: QEMU 0, Banquise all ones: not compared)
  CLINT64(0x4000) = 0;
  kv("mip.mtip.due", (mip() >> 7) & 1);
  CLINT64(0x4000) = ~0UL;
  kv("mip.mtip.never", (mip() >> 7) & 1);
  CLINT32(0x4000) = 0x12345678;
  kv("clint.mtimecmp.lo", CLINT64(0x4000));
  CLINT64(0x4000) = ~0UL;
  CLINT32(0) = 0xffffffff;
  kv("clint.msip", CLINT32(0));
  kv("mip.msip", (mip() >> 3) & 1);
  CLINT32(0) = 0;
  kv("mip.msip.clear", (mip() >> 3) & 1);

  // RTC
  u32 lo = RTC(0x00), hi = RTC(0x04);
  u64 now = ((u64)hi << 32) | lo;
  kv("rtc.after2020", now > 1577836800000000000UL);
  kv("rtc.alarm.status0", RTC(0x18));
  RTC(0x0c) = hi; RTC(0x08) = lo - 1000; // in the past
  RTC(0x10) = 1;
  PLIC(4 * 11) = 1;
  PLIC(0x2000) = 1u << 11;
  PLIC(0x200000) = 0;
  for (volatile int i = 0; i < 100000 && !(PLIC(0x1000) & (1u << 11)); i++) {}
  kv("rtc.irq.pending", (PLIC(0x1000) >> 11) & 1);
  kv("rtc.alarm.status", RTC(0x18));
  kv("rtc.irq.enabled", RTC(0x10));
  id = PLIC(0x200004);
  kv("rtc.claim", id);
  RTC(0x1c) = 1;
  PLIC(0x200004) = id;
  kv("rtc.pending.after.clear", (PLIC(0x1000) >> 11) & 1);
  flush();
  puts_("done\n");
  TEST = 0x5555;
  for (;;) {}
}
