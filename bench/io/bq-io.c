/*
 * Guest side of `npm run bench:io`: disk and timing probes, built static for riscv64 Linux and
 * added to the guest's initramfs as /bin/bq-io. Every result is one line "BQIO <metric> <value>".
 *
 *   bq-io seqwrite DEV MIB        write MIB MiB in 1 MiB blocks, then fsync    -> MiB/s
 *   bq-io seqread DEV MIB         read MIB MiB in 1 MiB blocks (drop caches first) -> MiB/s
 *   bq-io randread DEV OPS SEED   OPS O_DIRECT 4 KiB preads at seeded random aligned offsets -> IOPS
 *   bq-io randwrite DEV OPS SEED  same with pwrite (then fsync)                 -> IOPS
 *   bq-io tcpget IP PORT          connects, reads until the host closes        -> bytes, MiB/s
 *   bq-io tcpput IP PORT MIB      connects, sends MIB MiB, waits for the host's close -> MiB/s
 *   bq-io time CMD ARGS...        runs CMD, prints its wall time in seconds
 *
 * (tcpget because busybox nc cannot be timed receiving: it stops reading the socket soon after
 * its stdin ends, and does not exit on the host's close while its stdin stays open.)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BLOCK (1 << 20)
#define PAGE 4096

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fail(const char *what) {
  perror(what);
  exit(1);
}

/* xorshift64*: the same offsets on every emulator for a given seed. */
static uint64_t rng_state;
static uint64_t next_random(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 2685821657736338717ULL;
}

static uint64_t device_bytes(int fd) {
  uint64_t size = 0;
  if (ioctl(fd, BLKGETSIZE64, &size) != 0) fail("BLKGETSIZE64");
  return size;
}

static int sequential(const char *dev, long mib, int writing) {
  char *buf;
  if (posix_memalign((void **)&buf, PAGE, BLOCK) != 0) fail("posix_memalign");
  for (int i = 0; i < BLOCK; i++) buf[i] = (char)(i * 131 + 7);
  int fd = open(dev, writing ? O_WRONLY : O_RDONLY);
  if (fd < 0) fail(dev);
  double t0 = now();
  for (long i = 0; i < mib; i++) {
    ssize_t n = writing ? write(fd, buf, BLOCK) : read(fd, buf, BLOCK);
    if (n != BLOCK) fail(writing ? "write" : "read");
  }
  if (writing && fsync(fd) != 0) fail("fsync");
  double s = now() - t0;
  close(fd);
  printf("BQIO %s_mib_s %.3f\n", writing ? "seqwrite" : "seqread", (double)mib / s);
  return 0;
}

static int random_io(const char *dev, long ops, uint64_t seed, int writing) {
  char *buf;
  if (posix_memalign((void **)&buf, PAGE, PAGE) != 0) fail("posix_memalign");
  memset(buf, 0x5a, PAGE);
  int fd = open(dev, (writing ? O_RDWR : O_RDONLY) | O_DIRECT);
  if (fd < 0) fail(dev);
  uint64_t pages = device_bytes(fd) / PAGE;
  if (pages == 0) fail("empty device");
  rng_state = seed ? seed : 1;
  double t0 = now();
  for (long i = 0; i < ops; i++) {
    off_t off = (off_t)(next_random() % pages) * PAGE;
    ssize_t n = writing ? pwrite(fd, buf, PAGE, off) : pread(fd, buf, PAGE, off);
    if (n != PAGE) fail(writing ? "pwrite" : "pread");
  }
  if (writing && fsync(fd) != 0) fail("fsync");
  double s = now() - t0;
  close(fd);
  printf("BQIO %s_iops %.1f\n", writing ? "randwrite" : "randread", (double)ops / s);
  return 0;
}

static char net_buf[BLOCK];

static int tcp_connect(const char *ip, int port) {
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1) fail("inet_pton");
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) fail("socket");
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) fail("connect");
  return fd;
}

/* Sends mib MiB; the host closes after receiving them all, so the time covers delivery. */
static int tcp_put(const char *ip, int port, long mib) {
  memset(net_buf, 0x62, sizeof net_buf);
  double t0 = now();
  int fd = tcp_connect(ip, port);
  for (long i = 0; i < mib; i++) {
    size_t done = 0;
    while (done < BLOCK) {
      ssize_t n = write(fd, net_buf + done, BLOCK - done);
      if (n <= 0) fail("write");
      done += (size_t)n;
    }
  }
  if (shutdown(fd, SHUT_WR) != 0) fail("shutdown");
  while (read(fd, net_buf, sizeof net_buf) > 0) {
  }
  double s = now() - t0;
  close(fd);
  printf("BQIO tcpput_mib_s %.3f\n", (double)mib / s);
  return 0;
}

static int tcp_get(const char *ip, int port) {
  char *buf = net_buf;
  double t0 = now();
  int fd = tcp_connect(ip, port);
  uint64_t total = 0;
  for (;;) {
    ssize_t n = read(fd, buf, BLOCK);
    if (n < 0) fail("read");
    if (n == 0) break;
    total += (uint64_t)n;
  }
  double s = now() - t0;
  close(fd);
  printf("BQIO tcpget_bytes %llu\nBQIO tcpget_mib_s %.3f\n", (unsigned long long)total, (double)total / (1 << 20) / s);
  return 0;
}

static int timed(char **argv) {
  double t0 = now();
  pid_t pid = fork();
  if (pid < 0) fail("fork");
  if (pid == 0) {
    execvp(argv[0], argv);
    _exit(127);
  }
  int status;
  if (waitpid(pid, &status, 0) < 0) fail("waitpid");
  printf("BQIO time_s %.6f status %d\n", now() - t0, WIFEXITED(status) ? WEXITSTATUS(status) : 128);
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc >= 4 && strcmp(argv[1], "seqwrite") == 0) return sequential(argv[2], atol(argv[3]), 1);
  if (argc >= 4 && strcmp(argv[1], "seqread") == 0) return sequential(argv[2], atol(argv[3]), 0);
  if (argc >= 5 && strcmp(argv[1], "randread") == 0) return random_io(argv[2], atol(argv[3]), strtoull(argv[4], 0, 0), 0);
  if (argc >= 5 && strcmp(argv[1], "randwrite") == 0) return random_io(argv[2], atol(argv[3]), strtoull(argv[4], 0, 0), 1);
  if (argc >= 5 && strcmp(argv[1], "tcpput") == 0) return tcp_put(argv[2], atoi(argv[3]), atol(argv[4]));
  if (argc >= 4 && strcmp(argv[1], "tcpget") == 0) return tcp_get(argv[2], atoi(argv[3]));
  if (argc >= 3 && strcmp(argv[1], "time") == 0) return timed(argv + 2);
  fprintf(stderr, "usage: bq-io seqwrite|seqread DEV MIB | randread|randwrite DEV OPS SEED | tcpget IP PORT | tcpput IP PORT MIB | time CMD...\n");
  return 2;
}
