// Virtual memory: Sv39 and Sv48 walks with 4 KiB, 2 MiB, 1 GiB (and Sv48 512 GiB) pages,
// misaligned superpages, invalid and reserved PTEs, R/W/X permissions, U pages and SUM, MXR,
// S-mode fetch from U pages, A/D bits (hardware update or page fault: both are legal, and the
// board must be consistent), sfence.vma after remapping, non-canonical addresses, a
// page-crossing instruction whose second half faults, MPRV, page faults delegated to S,
// satp WARL on an unsupported mode.
#include "rt.h"

#define PG __attribute__((aligned(4096)))
static u64 root[512] PG, l1_ram[512] PG, l0_img[512] PG, l1_t[512] PG, l0_t[512] PG;
static u64 root48[512] PG, l2_48[512] PG, l1_48hi[512] PG, l0_48hi[512] PG;
static u64 root_b[512] PG, l1_t_b[512] PG, l0_t_b[512] PG;
static u64 pg_a[512] PG, pg_b[512] PG, pg_c[1024] PG, pg_d[512] PG;

#define VA_T 0x40000000ull                 // 4 KiB test pages: VA_T + i * 4096
#define VA_2M 0x40200000ull                // 2 MiB page -> PA 0x80400000
#define PA_2M 0x80400000ull
#define VA_1G 0x100000000ull               // 1 GiB page -> PA 0x80000000
#define VA_BAD_SUPER 0x140000000ull        // 1 GiB leaf with a misaligned PPN
#define VA_48 0x0000400000000000ull        // only reachable with Sv48
#define VA_512G 0x0000010000000000ull      // Sv48 512 GiB page -> PA 0

static void map_image(int user) {
  u64 base = 0x80000000ull;
  for (int i = 0; i < 512; i++) {
    u64 pa = base + (u64)i * PAGE_SIZE;
    int strap = pa >= (u64)strap_entry && pa < (u64)strap_entry + 2 * PAGE_SIZE;
    l0_img[i] = pte_leaf(pa, PTE_RWX | PTE_A | PTE_D | (user && !strap ? PTE_U : 0));
  }
  sfence_all();
}

static void build_tables(void) {
  for (int i = 0; i < 512; i++) { root[i] = 0; l1_ram[i] = 0; l1_t[i] = 0; l0_t[i] = 0; }
  root[2] = pte_table(l1_ram);
  l1_ram[0] = pte_table(l0_img);
  for (int i = 1; i < 64; i++) l1_ram[i] = pte_leaf(0x80000000ull + (u64)i * 0x200000, PTE_RWX | PTE_A | PTE_D);
  map_image(0);
  root[1] = pte_table(l1_t);
  l1_t[0] = pte_table(l0_t);
  l1_t[1] = pte_leaf(PA_2M, PTE_R | PTE_W | PTE_A | PTE_D);
  root[4] = pte_leaf(0x80000000ull, PTE_R | PTE_A);
  root[5] = pte_leaf(0x80200000ull, PTE_R | PTE_A);      // PPN[1] != 0: misaligned
  // Sv48: the Sv39 root serves as the level-2 table of the low 512 GiB
  for (int i = 0; i < 512; i++) { root48[i] = 0; l1_48hi[i] = 0; l0_48hi[i] = 0; l2_48[i] = 0; }
  root48[0] = pte_table(root);
  root48[2] = pte_leaf(0, PTE_R | PTE_A);                 // 512 GiB page at 1 TiB
  root48[128] = pte_table(l2_48);                         // VA_48
  l2_48[0] = pte_table(l1_48hi);
  l1_48hi[0] = pte_table(l0_48hi);
  l0_48hi[0] = pte_leaf((u64)pg_b, PTE_R | PTE_W | PTE_A | PTE_D);
}

static void map_t(int i, u64 pa, u64 flags) { l0_t[i] = flags ? pte_leaf(pa, flags) : 0; sfence_va(VA_T + (u64)i * PAGE_SIZE); }
static u64 va_t(int i) { return VA_T + (u64)i * PAGE_SIZE; }

#define EXPECT_FAULT(n, cause_, va_, stmt) do {                                   \
    reset_traps(); switch_mode(mode); stmt; switch_mode(PRV_M);                   \
    CHECK(n, mtrap_rec.count == 1 && mtrap_rec.cause == (cause_) && mtrap_rec.tval == (va_)); \
  } while (0)
#define EXPECT_OK(n, stmt) do {                                                   \
    reset_traps(); switch_mode(mode); stmt; switch_mode(PRV_M);                   \
    CHECK(n, mtrap_rec.count == 0);                                               \
  } while (0)

static volatile u64 got;

// Tests shared by Sv39 and Sv48 (test numbers offset by `base`), run from S-mode.
static int common_tests(int base) {
  const int mode = PRV_S;
  pg_a[0] = 0x1111; pg_a[1] = 0x2222; pg_b[0] = 0x3333;
  *(volatile u64 *)(PA_2M + 0x1008) = 0x4444;
  map_t(0, (u64)pg_a, PTE_R | PTE_W | PTE_A | PTE_D);
  // 4 KiB, 2 MiB and 1 GiB leaves
  EXPECT_OK(base + 1, got = load64(va_t(0) + 8));
  CHECK(base + 2, got == 0x2222);
  EXPECT_OK(base + 3, store64(va_t(0), 0x5555));
  CHECK(base + 4, pg_a[0] == 0x5555);
  EXPECT_OK(base + 5, got = load64(VA_2M + 0x1008));
  CHECK(base + 6, got == 0x4444);
  EXPECT_OK(base + 7, got = load64(VA_1G + ((u64)pg_b - 0x80000000ull)));
  CHECK(base + 8, got == 0x3333);
  EXPECT_FAULT(base + 9, 15, VA_1G + 16, store64(VA_1G + 16, 1));        // 1 GiB page is read-only
  EXPECT_FAULT(base + 10, 13, VA_BAD_SUPER + 0x20, got = load64(VA_BAD_SUPER + 0x20));
  // invalid PTE, reserved W-without-R
  map_t(1, 0, 0);
  EXPECT_FAULT(base + 11, 13, va_t(1) + 24, got = load64(va_t(1) + 24));
  EXPECT_FAULT(base + 12, 15, va_t(1) + 32, store64(va_t(1) + 32, 1));
  EXPECT_FAULT(base + 13, 12, va_t(1), (void)call_at(va_t(1), 0));
  map_t(1, (u64)pg_b, PTE_W | PTE_A | PTE_D);
  EXPECT_FAULT(base + 14, 13, va_t(1), got = load64(va_t(1)));
  EXPECT_FAULT(base + 15, 15, va_t(1), store64(va_t(1), 1));
  // read-only, execute-only (MXR), no-execute
  map_t(2, (u64)pg_b, PTE_R | PTE_A);
  EXPECT_FAULT(base + 16, 15, va_t(2) + 8, store64(va_t(2) + 8, 1));
  // AMOs need R and W and fault as stores; LR faults as a load
  reset_traps(); switch_mode(PRV_S);
  __asm__ volatile ("li t0, 1; amoadd.d t1, t0, (%0)" :: "r"(va_t(2) + 16) : "t0", "t1", "memory");
  switch_mode(PRV_M);
  CHECK(base + 57, mtrap_rec.count == 1 && mtrap_rec.cause == 15 && mtrap_rec.tval == va_t(2) + 16);
  map_t(3, (u64)pg_b, PTE_X | PTE_A);
  reset_traps(); switch_mode(PRV_S);
  __asm__ volatile ("lr.d t1, (%0)" :: "r"(va_t(3) + 8) : "t1", "memory");
  switch_mode(PRV_M);
  CHECK(base + 58, mtrap_rec.count == 1 && mtrap_rec.cause == 13 && mtrap_rec.tval == va_t(3) + 8);
  EXPECT_FAULT(base + 17, 13, va_t(3), got = load64(va_t(3)));
  csr_set(mstatus, MSTATUS_MXR);
  EXPECT_OK(base + 18, got = load64(va_t(3)));
  CHECK(base + 19, got == 0x3333);
  csr_clear(mstatus, MSTATUS_MXR);
  EXPECT_FAULT(base + 20, 12, va_t(2), (void)call_at(va_t(2), 0));
  // executable page: code copied into pg_c ("li a0, 42; ret", uncompressed)
  ((volatile uint32_t *)pg_c)[0] = 0x02a00513;
  ((volatile uint32_t *)pg_c)[1] = 0x00008067;
  fence_i();
  map_t(4, (u64)pg_c, PTE_R | PTE_X | PTE_A);
  EXPECT_OK(base + 21, got = call_at(va_t(4), 0));
  CHECK(base + 22, got == 42);
  // U pages from S: loads need SUM; fetches never allowed
  map_t(5, (u64)pg_b, PTE_R | PTE_W | PTE_X | PTE_U | PTE_A | PTE_D);
  EXPECT_FAULT(base + 23, 13, va_t(5), got = load64(va_t(5)));
  csr_set(mstatus, MSTATUS_SUM);
  EXPECT_OK(base + 24, got = load64(va_t(5)));
  CHECK(base + 25, got == 0x3333);
  EXPECT_FAULT(base + 26, 12, va_t(5), (void)call_at(va_t(5), 0));
  csr_clear(mstatus, MSTATUS_SUM);
  // sfence.vma makes a remapping visible
  map_t(6, (u64)pg_a, PTE_R | PTE_A);
  EXPECT_OK(base + 27, got = load64(va_t(6)));
  CHECK(base + 28, got == 0x5555);
  l0_t[6] = pte_leaf((u64)pg_b, PTE_R | PTE_A);
  reset_traps(); switch_mode(PRV_S); sfence_va(va_t(6)); got = load64(va_t(6)); switch_mode(PRV_M);
  CHECK(base + 29, mtrap_rec.count == 0 && got == 0x3333);
  // an instruction whose second half is on an unmapped page: fault on that page, epc = start
  // (pg_c and pg_c + 4096 are mapped at va_t(7) and va_t(8))
  volatile uint16_t *h = (volatile uint16_t *)((u64)pg_c + 4096 - 4);
  h[0] = 0x0001;                                    // c.nop
  h[1] = 0x0513; h[2] = 0x0015;                     // addi a0, a0, 1 (straddles)
  h[3] = 0x8082;                                    // c.jr ra
  fence_i();
  map_t(7, (u64)pg_c, PTE_R | PTE_X | PTE_A);
  map_t(8, (u64)pg_c + 4096, PTE_R | PTE_X | PTE_A);
  EXPECT_OK(base + 30, got = call_at(va_t(8) - 4, 7));
  CHECK(base + 31, got == 8);
  map_t(8, 0, 0);
  EXPECT_FAULT(base + 32, 12, va_t(8), (void)call_at(va_t(8) - 4, 7));
  CHECK(base + 33, mtrap_rec.epc == va_t(8) - 2);
  // A and D bits: hardware update (Svadu) or page fault (Svade); either, consistently
  pg_b[3] = 0x6666;
  map_t(9, (u64)pg_b, PTE_R | PTE_W);
  reset_traps(); switch_mode(PRV_S); got = load64(va_t(9) + 24); switch_mode(PRV_M);
  int svadu = mtrap_rec.count == 0;
  if (svadu) {
    CHECK(base + 34, got == 0x6666 && (l0_t[9] & PTE_A) && !(l0_t[9] & PTE_D));
    EXPECT_OK(base + 35, store64(va_t(9), 7));
    CHECK(base + 36, (l0_t[9] & PTE_D) && pg_b[0] == 7);
  } else {
    CHECK(base + 37, mtrap_rec.cause == 13 && mtrap_rec.tval == va_t(9) + 24 && !(l0_t[9] & PTE_A));
    map_t(9, (u64)pg_b, PTE_R | PTE_W | PTE_A);
    EXPECT_FAULT(base + 38, 15, va_t(9), store64(va_t(9), 7));
    map_t(9, (u64)pg_b, PTE_R | PTE_W | PTE_A | PTE_D);
    EXPECT_OK(base + 39, store64(va_t(9), 7));
    CHECK(base + 40, pg_b[0] == 7);
  }
  pg_b[0] = 0x3333;
  // page faults delegated to S go to the S handler with stval = address
  csr_write(stvec, (u64)strap_entry);
  csr_write(medeleg, (1 << 13) | (1 << 15));
  reset_traps(); switch_mode(PRV_S); got = load64(va_t(1) + 8); switch_mode(PRV_M);
  csr_write(medeleg, 0);
  CHECK(base + 41, mtrap_rec.count == 0 && strap_rec.count == 1 && strap_rec.cause == 13 && strap_rec.tval == va_t(1) + 8);
  // U-mode: the image mapped with U; U cannot touch non-U pages
  map_image(1);
  {
    const int mode = PRV_U;
    map_t(10, (u64)pg_a, PTE_R | PTE_W | PTE_U | PTE_A | PTE_D);
    EXPECT_OK(base + 42, got = load64(va_t(10) + 8));
    CHECK(base + 43, got == 0x2222);
    EXPECT_FAULT(base + 44, 13, va_t(0), got = load64(va_t(0)));
    EXPECT_FAULT(base + 45, 15, va_t(0), store64(va_t(0), 1));
    EXPECT_FAULT(base + 46, 12, va_t(4), (void)call_at(va_t(4), 0));
  }
  map_image(0);
  // misaligned accesses across two pages that are not physically contiguous (emulated by
  // the board): va_t(11) -> pg_b, va_t(12) -> pg_a
  pg_b[511] = 0x8877665544332211ull; pg_a[0] = 0xffeeddccbbaa9988ull;
  map_t(11, (u64)pg_b, PTE_R | PTE_W | PTE_A | PTE_D);
  map_t(12, (u64)pg_a, PTE_R | PTE_W | PTE_A | PTE_D);
  EXPECT_OK(base + 50, got = load64(va_t(12) - 4));
  CHECK(base + 51, got == 0xbbaa998888776655ull);
  EXPECT_OK(base + 52, store64(va_t(12) - 2, 0x0123456789abcdefull));
  CHECK(base + 53, pg_b[511] == 0xcdef665544332211ull && pg_a[0] == 0xffee0123456789abull);
  // ... and with the second page unmapped: a page fault whose address is in the faulting part
  map_t(12, 0, 0);
  reset_traps(); switch_mode(PRV_S); got = load64(va_t(12) - 4); switch_mode(PRV_M);
  CHECK(base + 54, mtrap_rec.count == 1 && mtrap_rec.cause == 13 && mtrap_rec.tval >= va_t(12) && mtrap_rec.tval < va_t(12) + 4);
  reset_traps(); switch_mode(PRV_S); store64(va_t(12) - 4, 1); switch_mode(PRV_M);
  CHECK(base + 55, mtrap_rec.count == 1 && mtrap_rec.cause == 15 && mtrap_rec.tval >= va_t(12) && mtrap_rec.tval < va_t(12) + 4);
  pg_a[0] = 0x5555; pg_b[0] = 0x3333;
  // code written through one virtual alias and executed through another (fence.i between)
  ((volatile uint32_t *)pg_c)[0] = 0x02a00513;                  // li a0, 42
  ((volatile uint32_t *)pg_c)[1] = 0x00008067;                  // ret
  fence_i();
  map_t(13, (u64)pg_c, PTE_R | PTE_W | PTE_A | PTE_D);
  map_t(14, (u64)pg_c, PTE_R | PTE_X | PTE_A);
  reset_traps(); switch_mode(PRV_S);
  u64 first = call_at(va_t(14), 0);
  *(volatile uint32_t *)va_t(13) = 0x07b00513;                   // li a0, 123
  fence_i();
  u64 second = call_at(va_t(14), 0);
  switch_mode(PRV_M);
  CHECK(base + 56, mtrap_rec.count == 0 && first == 42 && second == 123);
  // MPRV: M-mode loads translated with the privilege in MPP
  u64 st = csr_read(mstatus);
  csr_write(mstatus, (st & ~MSTATUS_MPP) | (1ull << 11));
  reset_traps();
  __asm__ volatile ("csrs mstatus, %2; ld %0, 0(%1); csrc mstatus, %2"
                    : "=&r"(got) : "r"(va_t(0) + 8), "r"(MSTATUS_MPRV) : "memory");
  CHECK(base + 47, mtrap_rec.count == 0 && got == 0x2222);
  csr_write(mstatus, (st & ~MSTATUS_MPP));                          // MPP = U: non-U page faults
  reset_traps();
  __asm__ volatile ("csrs mstatus, %2; ld %0, 0(%1); csrc mstatus, %2"
                    : "=&r"(got) : "r"(va_t(0) + 8), "r"(MSTATUS_MPRV) : "memory");
  CHECK(base + 48, mtrap_rec.count == 1 && mtrap_rec.cause == 13 && mtrap_rec.tval == va_t(0) + 8);
  csr_clear(mstatus, MSTATUS_MPRV);
  return 0;
}

int main(void) {
  int r;
  const int mode = PRV_S;
  if ((u64)_end > 0x80200000ull) return 1;                      // image must fit l0_img
  build_tables();
  // Sv39
  csr_write(satp, SATP_MODE_SV39 | ((u64)root >> 12));
  sfence_all();
  CHECK(2, csr_read(satp) == (SATP_MODE_SV39 | ((u64)root >> 12)));
  if ((r = common_tests(100))) return r;
  // two address spaces (ASIDs 1 and 2) map VA_T to different pages; switching satp between
  // them without sfence.vma must give each its own translation
  for (int i = 0; i < 512; i++) { root_b[i] = root[i]; l1_t_b[i] = l1_t[i]; l0_t_b[i] = l0_t[i]; }
  root_b[1] = pte_table(l1_t_b);
  l1_t_b[0] = pte_table(l0_t_b);
  l0_t[0] = pte_leaf((u64)pg_a, PTE_R | PTE_A);
  l0_t_b[0] = pte_leaf((u64)pg_b, PTE_R | PTE_A);
  pg_a[0] = 0xaaaa; pg_b[0] = 0xbbbb;
  u64 satp_a = SATP_MODE_SV39 | (1ull << 44) | ((u64)root >> 12);
  u64 satp_b = SATP_MODE_SV39 | (2ull << 44) | ((u64)root_b >> 12);
  csr_write(satp, satp_a);
  sfence_all();
  u64 seen[4];
  switch_mode(PRV_S);
  seen[0] = load64(VA_T);
  csr_write(satp, satp_b);
  seen[1] = load64(VA_T);
  csr_write(satp, satp_a);
  seen[2] = load64(VA_T);
  csr_write(satp, satp_b);
  seen[3] = load64(VA_T);
  csr_write(satp, satp_a);
  switch_mode(PRV_M);
  CHECK(210, seen[0] == 0xaaaa && seen[1] == 0xbbbb && seen[2] == 0xaaaa && seen[3] == 0xbbbb);
  csr_write(satp, SATP_MODE_SV39 | ((u64)root >> 12));
  sfence_all();
  // non-canonical in Sv39: bit 39 set, upper bits clear
  EXPECT_FAULT(200, 13, 0x0000008000000000ull, got = load64(0x0000008000000000ull));
  EXPECT_FAULT(201, 13, VA_48, got = load64(VA_48));
  // satp is WARL: an unsupported mode leaves it unchanged
  u64 before = csr_read(satp);
  csr_write(satp, (5ull << 60) | 0x1234);
  CHECK(202, csr_read(satp) == before);
  // Sv48
  csr_write(satp, SATP_MODE_SV48 | ((u64)root48 >> 12));
  sfence_all();
  if ((csr_read(satp) >> 60) != 9) return 300;                   // Sv48 is required
  if ((r = common_tests(400))) return r;
  EXPECT_OK(500, got = load64(VA_48));
  CHECK(501, got == 0x3333);
  EXPECT_OK(502, got = load64(VA_512G + ((u64)pg_b)));
  CHECK(503, got == 0x3333);
  EXPECT_FAULT(504, 13, 0x0001000000000000ull, got = load64(0x0001000000000000ull));
  EXPECT_FAULT(505, 13, 0xffff7fff00000000ull, got = load64(0xffff7fff00000000ull));
  csr_write(satp, 0);
  sfence_all();
  return rt_first_failure;
}
