// Sstc: stimecmp and menvcfg.STCE. With STCE = 1, mip.STIP is (time >= stimecmp) and cannot be
// written; S programs its own timer (if mcounteren.TM allows it) and takes the delegated
// supervisor timer interrupt. With STCE = 0, S-mode stimecmp accesses trap and STIP is
// writable by M again. (QEMU's spike board has no time CSR, hence no Sstc: test 2 fails there.)
#include "rt.h"

#define CSR_STIMECMP 0x14d
#define CSR_MENVCFG 0x30a
#define MENVCFG_STCE (1ull << 63)

static inline u64 rd_time(void) { u64 v; __asm__ volatile ("rdtime %0" : "=r"(v)); return v; }
static inline u64 rd_stimecmp(void) { u64 v; __asm__ volatile ("csrr %0, 0x14d" : "=r"(v) :: "memory"); return v; }
static inline void wr_stimecmp(u64 v) { __asm__ volatile ("csrw 0x14d, %0" :: "r"(v) : "memory"); }
static inline u64 rd_menvcfg(void) { u64 v; __asm__ volatile ("csrr %0, 0x30a" : "=r"(v) :: "memory"); return v; }
static inline void wr_menvcfg(u64 v) { __asm__ volatile ("csrw 0x30a, %0" :: "r"(v) : "memory"); }

int main(void) {
  csr_write(mie, 0);
  csr_write(mideleg, 0);
  csr_write(mcounteren, 7);
  wr_menvcfg(rd_menvcfg() | MENVCFG_STCE);
  CHECK(1, rd_menvcfg() & MENVCFG_STCE);
  (void)rd_time();
  // STIP follows the comparison
  wr_stimecmp(~0ull);
  CHECK(2, rd_stimecmp() == ~0ull);
  CHECK(3, (csr_read(mip) & (1 << IRQ_S_TIMER)) == 0);
  if (rt_first_failure) return rt_first_failure;                // no Sstc: the rest would hang
  wr_stimecmp(0);
  CHECK(4, csr_read(mip) & (1 << IRQ_S_TIMER));
  csr_clear(mip, 1 << IRQ_S_TIMER);                            // read-only while STCE = 1
  CHECK(5, csr_read(mip) & (1 << IRQ_S_TIMER));
  wr_stimecmp(~0ull);
  CHECK(6, (csr_read(mip) & (1 << IRQ_S_TIMER)) == 0);
  // S programs its timer and takes the delegated interrupt
  csr_write(stvec, (u64)strap_entry);
  csr_write(mideleg, 1 << IRQ_S_TIMER);
  csr_write(mie, 1 << IRQ_S_TIMER);
  reset_traps();
  switch_mode(PRV_S);
  wr_stimecmp(rd_time() + 2000);                               // 200 us at 10 MHz
  // Wait without a lost wake-up: SIE stays clear between the check and the wfi, so the interrupt
  // cannot be taken there (its handler clears sie.STIE, and a wfi after that may sleep forever,
  // which the spec allows). WFI still wakes on a pending interrupt enabled in sie whatever SIE
  // says (priv. spec 3.3.3); the short SIE window after it takes the interrupt.
  for (int i = 0; i < 1000000 && strap_rec.count == 0; i++) {
    __asm__ volatile ("wfi");
    csr_set(sstatus, MSTATUS_SIE);
    csr_clear(sstatus, MSTATUS_SIE);
  }
  u64 pending = csr_read(sip) & (1 << IRQ_S_TIMER);
  wr_stimecmp(~0ull);
  u64 after = csr_read(sip) & (1 << IRQ_S_TIMER);
  switch_mode(PRV_M);
  CHECK(7, strap_rec.count == 1 && strap_rec.cause == (CAUSE_INTR | IRQ_S_TIMER) && mtrap_rec.count == 0);
  CHECK(8, pending && !after);
  // mcounteren.TM = 0: S cannot touch stimecmp
  csr_write(mcounteren, 5);
  reset_traps(); switch_mode(PRV_S); (void)rd_stimecmp(); switch_mode(PRV_M);
  CHECK(9, mtrap_rec.count == 1 && mtrap_rec.cause == 2);
  csr_write(mcounteren, 7);
  // STCE = 0: S accesses trap, and M may drive STIP by hand again
  wr_menvcfg(rd_menvcfg() & ~MENVCFG_STCE);
  reset_traps(); switch_mode(PRV_S); wr_stimecmp(0); switch_mode(PRV_M);
  CHECK(10, mtrap_rec.count == 1 && mtrap_rec.cause == 2);
  csr_write(mie, 0);
  csr_set(mip, 1 << IRQ_S_TIMER);
  CHECK(11, csr_read(mip) & (1 << IRQ_S_TIMER));
  csr_clear(mip, 1 << IRQ_S_TIMER);
  CHECK(12, (csr_read(mip) & (1 << IRQ_S_TIMER)) == 0);
  return rt_first_failure;
}
