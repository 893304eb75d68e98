/*
 * /init of a tiny initramfs that exercises Banquise's virtio devices from inside Linux, through
 * the kernel's own drivers: virtio-blk (/dev/vda, /dev/vdb), virtio-rng (/dev/hwrng),
 * virtio-console (/dev/hvc0), virtio-vsock (AF_VSOCK both directions) and virtio-balloon
 * (the host drives it while we wait). Prints "VTEST <key> <value>" lines on the console and
 * powers off. Built static with riscv64-linux-gnu-gcc by tests/virtio/linux-probe.test.mjs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

static void say(const char *key, const char *value) {
  printf("VTEST %s %s\n", key, value);
  fflush(stdout);
}

static void say_errno(const char *key) {
  char b[128];
  snprintf(b, sizeof b, "error:%s", strerror(errno));
  say(key, b);
}

static int read_file(const char *path, char *buf, size_t len) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, len - 1);
  close(fd);
  if (n < 0) return -1;
  buf[n] = 0;
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == 0)) buf[--n] = 0;
  return (int)n;
}

static void block_tests(void) {
  char b[600];
  if (read_file("/sys/block/vda/size", b, sizeof b) >= 0) say("vda-size", b);
  if (read_file("/sys/block/vdb/size", b, sizeof b) >= 0) say("vdb-size", b);
  if (read_file("/sys/block/vdb/ro", b, sizeof b) >= 0) say("vdb-ro", b);
  if (read_file("/sys/block/vdb/serial", b, sizeof b) >= 0) say("vdb-serial", b);
  int fd = open("/dev/vda", O_RDWR);
  if (fd < 0) { say_errno("vda-open"); return; }
  if (pread(fd, b, 512, 0) != 512) say_errno("vda-read");
  else { b[15] = 0; say("vda-sector0", b); }
  memset(b, 0, 512);
  strcpy(b, "hello-from-linux");
  if (pwrite(fd, b, 512, 100 * 512) != 512) say_errno("vda-write");
  else if (fsync(fd) != 0) say_errno("vda-fsync");
  else say("vda-write", "ok");
  close(fd);
  fd = open("/dev/vdb", O_WRONLY);
  if (fd < 0) say_errno("vdb-write");
  else {
    memset(b, 0, 512);
    if (pwrite(fd, b, 512, 0) != 512 || fsync(fd) != 0) say_errno("vdb-write");
    else say("vdb-write", "ok");
    close(fd);
  }
}

static void rng_tests(void) {
  char cur[128];
  if (read_file("/sys/class/misc/hw_random/rng_current", cur, sizeof cur) >= 0) say("rng-current", cur);
  for (int round = 0; round < 2; round++) {
    unsigned char r[16];
    char hex[40];
    int fd = open("/dev/hwrng", O_RDONLY);
    if (fd < 0 || read(fd, r, sizeof r) != (ssize_t)sizeof r) { say_errno("rng"); if (fd >= 0) close(fd); return; }
    close(fd);
    for (int i = 0; i < 16; i++) sprintf(hex + 2 * i, "%02x", r[i]);
    say("rng", hex);
  }
}

/* The virtio console is one of the hvc terminals (hvc0 is usually the SBI console): write a
   tagged line to each so the host can tell which one reached its backend. */
static void console_tests(void) {
  int wrote = 0;
  for (int n = 0; n < 4; n++) {
    char path[16], msg[32];
    snprintf(path, sizeof path, "/dev/hvc%d", n);
    int fd = open(path, O_WRONLY | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) continue;
    int len = snprintf(msg, sizeof msg, "via-hvc%d\n", n);
    if (write(fd, msg, len) == len) wrote++;
    close(fd);
  }
  char b[16];
  snprintf(b, sizeof b, "%d", wrote);
  say("hvc", b);
  /* The host says (on the main console) which terminal is the virtio one, then types into it. */
  char line[64];
  if (fgets(line, sizeof line, stdin) == NULL) { say("hvc-read", "eof"); return; }
  char path[32];
  snprintf(path, sizeof path, "/dev/hvc%d", atoi(line));
  int fd = open(path, O_RDONLY | O_NOCTTY);
  if (fd < 0) { say_errno("hvc-read"); return; }
  say("hvc-open", path);
  ssize_t n = read(fd, line, sizeof line - 1);
  close(fd);
  if (n <= 0) { say_errno("hvc-read"); return; }
  while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) n--;
  line[n] = 0;
  say("hvc-read", line);
}

static void vsock_tests(void) {
  /* Our CID, as the driver read it from the device's config space. */
  int vfd = open("/dev/vsock", O_RDONLY);
  unsigned int cid = 0;
  if (vfd >= 0 && ioctl(vfd, IOCTL_VM_SOCKETS_GET_LOCAL_CID, &cid) == 0) {
    char b[32];
    snprintf(b, sizeof b, "%u", cid);
    say("vsock-cid", b);
  } else say_errno("vsock-cid");
  if (vfd >= 0) close(vfd);

  /* Guest → host: connect to host port 5000, send ping, expect the host's answer. */
  int s = socket(AF_VSOCK, SOCK_STREAM, 0);
  if (s < 0) { say_errno("vsock-socket"); return; }
  struct sockaddr_vm host = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_HOST, .svm_port = 5000 };
  if (connect(s, (struct sockaddr *)&host, sizeof host) != 0) say_errno("vsock-reply");
  else {
    char buf[64];
    send(s, "ping", 4, 0);
    ssize_t n = recv(s, buf, sizeof buf - 1, 0);
    buf[n > 0 ? n : 0] = 0;
    say("vsock-reply", n > 0 ? buf : "none");
  }
  close(s);

  /* Host → guest: listen on port 1234, echo one message upper-cased. */
  int l = socket(AF_VSOCK, SOCK_STREAM, 0);
  struct sockaddr_vm me = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY, .svm_port = 1234 };
  if (bind(l, (struct sockaddr *)&me, sizeof me) != 0 || listen(l, 1) != 0) { say_errno("vsock-accepted"); return; }
  say("vsock-listening", "1234");
  int c = accept(l, NULL, NULL);
  if (c < 0) { say_errno("vsock-accepted"); close(l); return; }
  char buf[256];
  ssize_t n = recv(c, buf, sizeof buf - 1, 0);
  if (n <= 0) say("vsock-accepted", "empty");
  else {
    for (ssize_t i = 0; i < n; i++) if (buf[i] >= 'a' && buf[i] <= 'z') buf[i] -= 32;
    send(c, buf, n, 0);
    buf[n] = 0;
    say("vsock-accepted", buf);
  }
  close(c);
  close(l);
}

/* The host inflates and deflates the balloon while we wait; it tells us to go on by writing a
   line on the console. */
static void balloon_wait(void) {
  char b[64];
  say("balloon-wait", "ready");
  if (fgets(b, sizeof b, stdin) == NULL) say("balloon-wait", "eof");
}

int main(void) {
  mkdir("/dev", 0755);
  mkdir("/proc", 0755);
  mkdir("/sys", 0755);
  mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
  mount("proc", "/proc", "proc", 0, NULL);
  mount("sysfs", "/sys", "sysfs", 0, NULL);
  say("start", "ok");
  block_tests();
  rng_tests();
  console_tests();
  vsock_tests();
  balloon_wait();
  say("done", "ok");
  sync();
  reboot(RB_POWER_OFF);
  return 0;
}
