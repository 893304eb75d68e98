// CPU benchmark workload (bare metal, HTIF): integer-, memory- and branch-heavy kernels — a
// sieve of Eratosthenes, an open-addressing hash table, a quicksort and a table-driven CRC32 —
// repeated ROUNDS times. Prints a checksum (so both machines provably did the same work) and
// the instructions it retired (minstret), then passes.
#include "rt.h"

#ifndef ROUNDS
#define ROUNDS 4
#endif
#define SIEVE_N (1u << 20)
#define HASH_SLOTS (1u << 16)
#define HASH_KEYS 40000u
#define SORT_N (1u << 16)
#define CRC_BYTES (1u << 20)

static uint8_t sieve[SIEVE_N];
static u64 hkeys[HASH_SLOTS];
static uint32_t hvals[HASH_SLOTS];
static uint32_t arr[SORT_N];
static uint8_t crcbuf[CRC_BYTES];
static uint32_t crctab[256];

static u64 rng = 0x9e3779b97f4a7c15ull;
static inline u64 next(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }

static u64 run_sieve(void) {
  for (uint32_t i = 0; i < SIEVE_N; i++) sieve[i] = 1;
  sieve[0] = sieve[1] = 0;
  for (uint32_t i = 2; (u64)i * i < SIEVE_N; i++)
    if (sieve[i]) for (uint32_t j = i * i; j < SIEVE_N; j += i) sieve[j] = 0;
  u64 count = 0;
  for (uint32_t i = 0; i < SIEVE_N; i++) count += sieve[i];
  return count;
}

static u64 run_hash(void) {
  for (uint32_t i = 0; i < HASH_SLOTS; i++) hkeys[i] = 0;
  u64 seed = rng;
  for (uint32_t i = 0; i < HASH_KEYS; i++) {
    u64 k = next() | 1;
    uint32_t h = (uint32_t)((k * 0xff51afd7ed558ccdull) >> 48);
    while (hkeys[h] != 0 && hkeys[h] != k) h = (h + 1) & (HASH_SLOTS - 1);
    hkeys[h] = k;
    hvals[h] = i;
  }
  // look every key up again (same sequence), plus as many misses
  rng = seed;
  u64 sum = 0;
  for (uint32_t i = 0; i < 2 * HASH_KEYS; i++) {
    u64 k = (i & 1) ? (next() | 1) : (next() & ~1ull);
    uint32_t h = (uint32_t)((k * 0xff51afd7ed558ccdull) >> 48);
    while (hkeys[h] != 0) {
      if (hkeys[h] == k) { sum += hvals[h]; break; }
      h = (h + 1) & (HASH_SLOTS - 1);
    }
  }
  return sum;
}

static void quicksort(uint32_t *a, long lo, long hi) {
  while (lo < hi) {
    uint32_t p = a[(lo + hi) >> 1];
    long i = lo, j = hi;
    while (i <= j) {
      while (a[i] < p) i++;
      while (a[j] > p) j--;
      if (i <= j) { uint32_t t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
    }
    if (j - lo < hi - i) { quicksort(a, lo, j); lo = i; } else { quicksort(a, i, hi); hi = j; }
  }
}

static u64 run_sort(void) {
  for (uint32_t i = 0; i < SORT_N; i++) arr[i] = (uint32_t)next();
  quicksort(arr, 0, SORT_N - 1);
  u64 sum = 0;
  for (uint32_t i = 1; i < SORT_N; i++) {
    if (arr[i - 1] > arr[i]) return ~0ull;                       // not sorted: poison the checksum
    sum = sum * 31 + arr[i];
  }
  return sum;
}

static u64 run_crc(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
    crctab[i] = c;
  }
  for (uint32_t i = 0; i < CRC_BYTES; i += 8) *(u64 *)&crcbuf[i] = next();
  uint32_t crc = 0xffffffffu;
  for (uint32_t i = 0; i < CRC_BYTES; i++) crc = crctab[(crc ^ crcbuf[i]) & 0xff] ^ (crc >> 8);
  return crc ^ 0xffffffffu;
}

int main(void) {
  u64 start = csr_read(minstret);
  u64 check = 0;
  for (int r = 0; r < ROUNDS; r++) {
    check = check * 1000003 + run_sieve();
    check = check * 1000003 + run_hash();
    check = check * 1000003 + run_sort();
    check = check * 1000003 + run_crc();
  }
  u64 end = csr_read(minstret);
  rt_puts("checksum "); rt_puthex(check); rt_puts("\n");
  rt_puts("instret "); rt_puthex(end - start); rt_puts("\n");
  return 0;
}
