// PMP: a NAPOT entry granting only R over one page shadows a lower-priority entry granting
// everything; S/U accesses are checked (load ok, store and fetch give access faults), M is
// exempt until the entry is locked, a TOR entry, and a locked entry ignores writes.
#include "rt.h"

static u64 page[2048] __attribute__((aligned(8192)));   // 16 KiB: all test accesses stay inside

static u64 napot(u64 base, u64 size) { return (base >> 2) | ((size >> 3) - 1); }
#define PMP_R 1
#define PMP_W 2
#define PMP_X 4
#define PMP_TOR (1 << 3)
#define PMP_NAPOT (3 << 3)
#define PMP_L (1 << 7)

int main(void) {
  u64 p = (u64)page;
  page[0] = 0x1234;
  ((volatile uint32_t *)page)[2] = 0x00008067;                 // ret, at page + 8
  fence_i();
  // entry 0: NAPOT over `page` (8 KiB), R only; entry 7: everything, RWX
  csr_write(pmpaddr0, napot(p, 8192));
  csr_write(pmpaddr7, ~0ull >> 10);
  csr_write(pmpcfg0, ((u64)(PMP_NAPOT | PMP_R | PMP_W | PMP_X) << 56) | (PMP_NAPOT | PMP_R));
  CHECK(1, (csr_read(pmpcfg0) & 0xff) == (PMP_NAPOT | PMP_R));
  CHECK(2, csr_read(pmpaddr0) == napot(p, 8192));
  // S-mode: load allowed, store and fetch are access faults
  reset_traps(); switch_mode(PRV_S); u64 v = load64(p); switch_mode(PRV_M);
  CHECK(3, mtrap_rec.count == 0 && v == 0x1234);
  reset_traps(); switch_mode(PRV_S); store64(p + 8 * 5, 1); switch_mode(PRV_M);
  CHECK(4, mtrap_rec.count == 1 && mtrap_rec.cause == 7 && mtrap_rec.tval == p + 40);
  reset_traps(); switch_mode(PRV_U); (void)call_at(p + 8, 0); switch_mode(PRV_M);
  CHECK(5, mtrap_rec.count == 1 && mtrap_rec.cause == 1 && mtrap_rec.tval == p + 8);
  // outside the page, entry 7 applies
  reset_traps(); switch_mode(PRV_S); store64(p + 8192, 2); switch_mode(PRV_M);
  CHECK(6, mtrap_rec.count == 0);
  // M-mode ignores unlocked entries
  reset_traps(); store64(p + 16, 3);
  CHECK(7, mtrap_rec.count == 0 && page[2] == 3);
  // TOR entry 2 covering [pmpaddr1, pmpaddr2): no permission at all, higher priority than 7
  csr_write(pmpaddr1, (p + 8192) >> 2);
  csr_write(pmpaddr2, (p + 8192 + 4096) >> 2);
  csr_write(pmpcfg0, ((u64)(PMP_NAPOT | PMP_R | PMP_W | PMP_X) << 56) | ((u64)PMP_TOR << 16) | (PMP_NAPOT | PMP_R));
  reset_traps(); switch_mode(PRV_S); (void)load64(p + 8192 + 8); switch_mode(PRV_M);
  CHECK(8, mtrap_rec.count == 1 && mtrap_rec.cause == 5 && mtrap_rec.tval == p + 8192 + 8);
  reset_traps(); switch_mode(PRV_S); (void)load64(p + 8192 + 4096); switch_mode(PRV_M);
  CHECK(9, mtrap_rec.count == 0);
  // locking entry 0 makes it apply to M as well, and freezes it
  csr_write(pmpcfg0, ((u64)(PMP_NAPOT | PMP_R | PMP_W | PMP_X) << 56) | (PMP_L | PMP_NAPOT | PMP_R));
  reset_traps(); store64(p + 24, 4);
  CHECK(10, mtrap_rec.count == 1 && mtrap_rec.cause == 7 && page[3] != 4);
  csr_write(pmpaddr0, 0);
  CHECK(11, csr_read(pmpaddr0) == napot(p, 8192));
  csr_write(pmpcfg0, (u64)(PMP_NAPOT | PMP_R | PMP_W | PMP_X) << 56);
  CHECK(12, (csr_read(pmpcfg0) & 0xff) == (PMP_L | PMP_NAPOT | PMP_R));
  return rt_first_failure;
}
