/*
 * C side of the ISA suite runtime (crt.S): CSR access, mode switches, trap records and
 * Sv39/Sv48 page-table helpers. Header-only so each program is one C file.
 *
 * Trap handling (M and S alike): every trap is recorded (cause, tval, epc, status, count);
 * then an interrupt disables its own enable bit (mie/sie) and resumes; an instruction-fetch
 * fault resumes at ra (tests fetch through a function call); any other exception resumes
 * after the faulting instruction. switch_mode(m) returns to its caller in mode m.
 */
#ifndef RT_H
#define RT_H
#include <stdint.h>

typedef uint64_t u64;

#define csr_read(csr) ({ u64 v_; __asm__ volatile ("csrr %0, " #csr : "=r"(v_) :: "memory"); v_; })
#define csr_write(csr, val) __asm__ volatile ("csrw " #csr ", %0" :: "rK"((u64)(val)) : "memory")
#define csr_set(csr, val) __asm__ volatile ("csrs " #csr ", %0" :: "rK"((u64)(val)) : "memory")
#define csr_clear(csr, val) __asm__ volatile ("csrc " #csr ", %0" :: "rK"((u64)(val)) : "memory")

#define PRV_U 0
#define PRV_S 1
#define PRV_M 3

#define MSTATUS_SIE  (1ull << 1)
#define MSTATUS_MIE  (1ull << 3)
#define MSTATUS_SPIE (1ull << 5)
#define MSTATUS_MPIE (1ull << 7)
#define MSTATUS_SPP  (1ull << 8)
#define MSTATUS_MPP  (3ull << 11)
#define MSTATUS_MPRV (1ull << 17)
#define MSTATUS_SUM  (1ull << 18)
#define MSTATUS_MXR  (1ull << 19)
#define MSTATUS_TVM  (1ull << 20)
#define MSTATUS_TW   (1ull << 21)
#define MSTATUS_TSR  (1ull << 22)

#define CAUSE_INTR (1ull << 63)
#define IRQ_S_SOFT 1
#define IRQ_M_SOFT 3
#define IRQ_S_TIMER 5
#define IRQ_M_TIMER 7

#define CLINT_MSIP     ((volatile uint32_t *)0x02000000)
#define CLINT_MTIMECMP ((volatile u64 *)0x02004000)
#define CLINT_MTIME    ((volatile u64 *)0x0200bff8)

/* One recorded trap. */
struct trap_rec { u64 cause, tval, epc, status, count; };
/* Last trap taken in M (filled by trap_m) and in S (filled by the assembly S handler). */
static struct trap_rec mtrap_rec;
extern struct trap_rec strap_rec;
/* Causes of the M-mode traps, in order (for priority tests). */
static u64 mtrap_log[16];

void switch_mode(int mode);
void strap_entry(void);

/* Saved registers of the interrupted context, indexed by register number. */
struct frame { u64 x[32]; };

static inline unsigned insn_length_at(u64 pc) {
  return ((*(volatile uint16_t *)pc) & 3) == 3 ? 4 : 2;
}

/* The M-mode trap handler proper (called by crt.S). */
void trap_m(struct frame *f) {
  u64 cause = csr_read(mcause);
  u64 epc = csr_read(mepc);
  u64 status = csr_read(mstatus);
  if ((cause == 8 || cause == 9 || cause == 11) && f->x[17] == 0x5357) {
    u64 mode = f->x[10] & 3;
    csr_write(mstatus, (status & ~MSTATUS_MPP) | (mode << 11));
    csr_write(mepc, f->x[11]);
    return;
  }
  if (mtrap_rec.count < 16) mtrap_log[mtrap_rec.count] = cause;
  mtrap_rec.cause = cause;
  mtrap_rec.tval = csr_read(mtval);
  mtrap_rec.epc = epc;
  mtrap_rec.status = status;
  mtrap_rec.count++;
  if (cause & CAUSE_INTR) {
    csr_clear(mie, 1ull << (cause & 63));
  } else if (cause == 1 || cause == 12) {
    csr_write(mepc, f->x[1]);
  } else {
    csr_write(mepc, epc + insn_length_at(epc));
  }
}

/* HTIF console (device 1, command 1): one character per request, acknowledged in fromhost. */
extern volatile u64 tohost, fromhost;
static void rt_putc(char c) {
  tohost = (1ull << 56) | (1ull << 48) | (unsigned char)c;
  while (fromhost == 0) { }
  fromhost = 0;
}
static void rt_puts(const char *s) { while (*s) rt_putc(*s++); }
static void rt_puthex(u64 v) {
  rt_puts("0x");
  for (int i = 60; i >= 0; i -= 4) rt_putc("0123456789abcdef"[(v >> i) & 15]);
}
/* Prints the last recorded M and S traps (context for a failed check). */
static void rt_report(int n) {
  rt_puts("check "); rt_puthex((u64)n);
  rt_puts(" failed; M trap: cause "); rt_puthex(mtrap_rec.cause); rt_puts(" tval "); rt_puthex(mtrap_rec.tval);
  rt_puts(" epc "); rt_puthex(mtrap_rec.epc); rt_puts(" count "); rt_puthex(mtrap_rec.count);
  rt_puts("; S trap: cause "); rt_puthex(strap_rec.cause); rt_puts(" tval "); rt_puthex(strap_rec.tval);
  rt_puts(" epc "); rt_puthex(strap_rec.epc); rt_puts(" count "); rt_puthex(strap_rec.count); rt_puts("\n");
}

/* First failed check (0: none); what main returns, so the run fails with that number. */
static int rt_first_failure;
/* Checks cond; on failure prints a report (HTIF, M-mode only) and goes on with the next
   checks, so one run lists every failing check; main returns rt_first_failure. */
#define CHECK(n, cond) do { if (!(cond)) { rt_report(n); if (!rt_first_failure) rt_first_failure = (n); } } while (0)

static inline void reset_traps(void) {
  mtrap_rec.count = 0; mtrap_rec.cause = ~0ull; mtrap_rec.tval = 0; mtrap_rec.epc = 0;
  strap_rec.count = 0; strap_rec.cause = ~0ull; strap_rec.tval = 0; strap_rec.epc = 0;
}

/* ---- page tables ---------------------------------------------------------------------- */
#define PTE_V (1ull << 0)
#define PTE_R (1ull << 1)
#define PTE_W (1ull << 2)
#define PTE_X (1ull << 3)
#define PTE_U (1ull << 4)
#define PTE_G (1ull << 5)
#define PTE_A (1ull << 6)
#define PTE_D (1ull << 7)
#define PTE_RWX (PTE_R | PTE_W | PTE_X)
#define SATP_MODE_SV39 (8ull << 60)
#define SATP_MODE_SV48 (9ull << 60)

#define PAGE_SIZE 4096ull
static inline u64 pte_leaf(u64 pa, u64 flags) { return ((pa >> 12) << 10) | flags | PTE_V; }
static inline u64 pte_table(u64 *table) { return (((u64)table >> 12) << 10) | PTE_V; }

static inline void sfence_all(void) { __asm__ volatile ("sfence.vma" ::: "memory"); }
static inline void sfence_va(u64 va) { __asm__ volatile ("sfence.vma %0, zero" :: "r"(va) : "memory"); }
static inline void fence_i(void) { __asm__ volatile ("fence.i" ::: "memory"); }

/* Plain accesses in assembly, so the compiler makes no assumption about the address (0 ...). */
static inline u64 load64(u64 va) { u64 v; __asm__ volatile ("ld %0, 0(%1)" : "=r"(v) : "r"(va) : "memory"); return v; }
static inline void store64(u64 va, u64 v) { __asm__ volatile ("sd %0, 0(%1)" :: "r"(v), "r"(va) : "memory"); }
/* Calls code at va (an instruction fetch); returns a0 as left by that code. */
static inline u64 call_at(u64 va, u64 arg) {
  register u64 a0 __asm__("a0") = arg;
  __asm__ volatile ("jalr ra, 0(%1)" : "+r"(a0) : "r"(va) : "ra", "memory");
  return a0;
}

extern char _end[];
#endif
