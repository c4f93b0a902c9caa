/*
 * alonzo-sandbox: starts one execution environment's runtime inside a sandbox, as Lambda's does.
 *
 * The server spawns this program once per runtime process. It
 *   1. joins the environment's cgroups (memory, pids, cpu), so that every process the runtime starts is counted;
 *   2. mounts the environment's /tmp (a tmpfs of EphemeralStorage size) on the host, once: a runtime restarted after a
 *      timeout finds the same files, as on Lambda;
 *   3. makes new mount, PID, IPC and UTS namespaces (and a user namespace when the server is not root), in which it
 *      builds a minimal root: the system's libraries and interpreters read-only, the code at /var/task, the runtimes
 *      at /var/runtime, /opt, /tmp, its own /proc and a minimal /dev; nothing else of the host is visible;
 *   4. runs as PID 1 of the new PID namespace: it reaps orphans and, when the runtime ends, reports how it ended and
 *      exits, which kills every process left in the namespace (setsid or detached children included);
 *   5. starts the runtime with no capabilities and no way back to them: its own uid/gid, an empty bounding set,
 *      no_new_privs, nosuid mounts, rlimits (open files; processes as a fallback where there is no pids cgroup).
 * This process then exits as the runtime did: the same exit status, or the same signal, so the server reads
 * "exit status N" / "signal: killed" exactly as without a sandbox.
 *
 * It takes everything on its command line (see usage()) and prints one line on stderr prefixed "alonzo-sandbox:" and
 * exits 125 when it cannot build the sandbox, so that a misconfiguration never runs a function unsandboxed.
 *
 * Standby (--standby): started ahead of need with only its cgroups on the command line, it joins them at once (a
 * cgroup v1 migration waits ~20 ms for an RCU grace period) and then waits for the rest on stdin: the options, "--",
 * the command and its arguments, an empty string, then the environment as NAME=value, each string ending in a NUL.
 *
 * Late code (--late-code ROOT): the runtime starts before its function is known (a prebooted standby), with an empty
 * /var/task. ROOT, the server's folder of unpacked packages, is bound at CODE_DIR, a root-only folder in the new
 * /tmp (nothing but Alonzo's own runtime runs until the function is known); the init waits on stdin for one line
 * naming a package (64 hex digits), binds that package read-only at /var/task, unmounts and removes CODE_DIR, and
 * answers "ok" (or why not) on fd 4. The runtime then gets its function over the channel and moves into /var/task.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>

#define MAX_BINDS 64
#define MAX_CGROUPS 8
#define FAIL_EXIT 125
#define CODE_DIR "/tmp/.alonzo-code"

struct bind {
  const char *src;
  const char *dst;
  int rw;
};

static struct bind binds[MAX_BINDS];
static int nbinds;
static const char *cgroups[MAX_CGROUPS];
static int ncgroups;
static const char *late_code, *root_dir, *tmp_dir, *hostname = "localhost", *cwd = "/var/task";
static long tmp_mb = 512, nofile = 1024, nproc = 1024;
static long uid = -1, gid = -1;
static int userns, close_channel;
static char passwd_line[256], group_line[256];

static void die(const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  fprintf(stderr, "alonzo-sandbox: %s%s%s\n", buf, errno ? ": " : "", errno ? strerror(errno) : "");
  _exit(FAIL_EXIT);
}

static void usage(void) {
  fprintf(stderr,
          "usage: alonzo-sandbox --root DIR --tmp DIR [--tmp-mb N] [--uid N --gid N | --userns] [--ro SRC:DST]...\n"
          "                      [--rw SRC:DST]... [--cgroup DIR]... [--nofile N] [--nproc N] [--hostname NAME]\n"
          "                      [--cwd DIR] [--no-channel] -- COMMAND [ARG]...\n"
          "       alonzo-sandbox --standby [--cgroup DIR]...   (the rest on stdin, NUL-separated)\n");
  _exit(FAIL_EXIT);
}

static long number(const char *s) {
  char *end;
  errno = 0;
  long n = strtol(s, &end, 10);
  if (errno || *end || n < 0) {
    errno = 0;
    die("not a number: %s", s);
  }
  return n;
}

static void add_bind(const char *spec, int rw) {
  if (nbinds == MAX_BINDS) die("too many binds");
  const char *colon = strchr(spec, ':');
  if (!colon || colon == spec || colon[1] != '/') die("a bind is SRC:/DST, got %s", spec);
  binds[nbinds].src = strndup(spec, colon - spec);
  binds[nbinds].dst = colon + 1;
  binds[nbinds].rw = rw;
  nbinds++;
}

static void write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) die("open %s", path);
  ssize_t n = write(fd, text, strlen(text));
  if (n != (ssize_t)strlen(text)) die("write %s", path);
  close(fd);
}

static void create_file(const char *path, const char *text, mode_t mode) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) die("create %s", path);
  if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) die("write %s", path);
  close(fd);
}

/* mkdir -p, for paths inside the new root only. */
static void mkdirs(const char *path, mode_t mode) {
  char buf[PATH_MAX];
  if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) die("path too long");
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    if (mkdir(buf, mode) && errno != EEXIST) die("mkdir %s", buf);
    *p = '/';
  }
  if (mkdir(buf, mode) && errno != EEXIST) die("mkdir %s", buf);
  errno = 0;
}

static int is_mountpoint(const char *path) {
  struct stat a, b;
  char parent[PATH_MAX];
  if (stat(path, &a)) return 0;
  snprintf(parent, sizeof parent, "%s/..", path);
  if (stat(parent, &b)) return 0;
  return a.st_dev != b.st_dev;
}

/* A read-only remount must keep the flags the kernel locks on a mount (nosuid, nodev, noexec…) or it is refused. */
static unsigned long locked_flags(const char *path) {
  struct statvfs sv;
  unsigned long f = 0;
  if (statvfs(path, &sv)) return 0;
  if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
  if (sv.f_flag & ST_NOATIME) f |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME) f |= MS_RELATIME;
  return f;
}

/* Binds SRC at ROOT/DST (a symlink stays a symlink), read-only and nosuid unless rw; rw binds are still nosuid,nodev. */
static void do_bind(const struct bind *b) {
  char target[PATH_MAX];
  struct stat st;
  if (snprintf(target, sizeof target, "%s%s", root_dir, b->dst) >= (int)sizeof target) die("path too long");
  if (lstat(b->src, &st)) die("bind source %s", b->src);
  if (S_ISLNK(st.st_mode)) {
    char link[PATH_MAX];
    ssize_t n = readlink(b->src, link, sizeof link - 1);
    if (n < 0) die("readlink %s", b->src);
    link[n] = 0;
    char *slash = strrchr(target, '/');
    *slash = 0;
    mkdirs(target, 0755);
    *slash = '/';
    if (symlink(link, target) && errno != EEXIST) die("symlink %s", target);
    errno = 0;
    return;
  }
  if (S_ISDIR(st.st_mode)) {
    mkdirs(target, 0755);
  } else {
    char *slash = strrchr(target, '/');
    *slash = 0;
    mkdirs(target, 0755);
    *slash = '/';
    int fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0444);
    if (fd < 0) die("create %s", target);
    close(fd);
  }
  if (mount(b->src, target, NULL, MS_BIND | MS_REC, NULL)) die("bind %s", b->src);
  unsigned long flags = MS_REMOUNT | MS_BIND | MS_NOSUID | locked_flags(target);
  if (!b->rw) flags |= MS_RDONLY;
  else flags |= MS_NODEV;
  if (mount(NULL, target, NULL, flags, NULL)) die("remount %s", target);
}

static void dev_node(const char *name) {
  char src[64], target[PATH_MAX];
  snprintf(src, sizeof src, "/dev/%s", name);
  snprintf(target, sizeof target, "%s/dev/%s", root_dir, name);
  create_file(target, "", 0666);
  if (mount(src, target, NULL, MS_BIND, NULL)) die("bind %s", src);
  if (mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NOEXEC | locked_flags(target), NULL)) die("remount %s", target);
}

static void dev_link(const char *name, const char *to) {
  char target[PATH_MAX];
  snprintf(target, sizeof target, "%s/dev/%s", root_dir, name);
  if (symlink(to, target)) die("symlink %s", target);
}

/* The new root: a small tmpfs holding the binds, /proc, /dev, /tmp and a passwd naming the sandbox's user. */
static void build_root(void) {
  char path[PATH_MAX];
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) die("make / private");
  if (mount("tmpfs", root_dir, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")) die("mount the root tmpfs");
  for (int i = 0; i < nbinds; i++) do_bind(&binds[i]);

  snprintf(path, sizeof path, "%s/tmp", root_dir);
  mkdirs(path, 01777);
  if (mount(tmp_dir, path, NULL, MS_BIND, NULL)) die("bind /tmp");
  if (mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV | locked_flags(path), NULL)) die("remount /tmp");

  snprintf(path, sizeof path, "%s/proc", root_dir);
  mkdirs(path, 0555);
  if (mount("proc", path, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)) die("mount /proc");

  snprintf(path, sizeof path, "%s/dev", root_dir);
  mkdirs(path, 0755);
  if (mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=0755")) die("mount /dev");
  const char *nodes[] = {"null", "zero", "full", "random", "urandom"};
  for (unsigned i = 0; i < sizeof nodes / sizeof *nodes; i++) dev_node(nodes[i]);
  dev_link("fd", "/proc/self/fd");
  dev_link("stdin", "/proc/self/fd/0");
  dev_link("stdout", "/proc/self/fd/1");
  dev_link("stderr", "/proc/self/fd/2");
  if (mount(NULL, path, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC, "size=64k,mode=0755")) die("remount /dev");

  /* Lambda's user is sbx_user1051; tools that look the uid up (id, whoami, getpass) find it. */
  snprintf(path, sizeof path, "%s/etc", root_dir);
  mkdirs(path, 0755);
  snprintf(path, sizeof path, "%s/etc/passwd", root_dir);
  create_file(path, passwd_line, 0644);
  snprintf(path, sizeof path, "%s/etc/group", root_dir);
  create_file(path, group_line, 0644);
  snprintf(path, sizeof path, "%s/opt", root_dir);
  mkdirs(path, 0755);
  /* Where a late package will be bound, and the packages it is taken from until then (root's alone, in /tmp, whose
   * sticky bit keeps the runtime from moving it; it is gone before any of the function's code runs). */
  if (late_code) {
    snprintf(path, sizeof path, "%s/var/task", root_dir);
    mkdirs(path, 0755);
    snprintf(path, sizeof path, "%s" CODE_DIR, root_dir);
    if (mkdir(path, 0700)) die("mkdir %s", path);
    struct bind code = {late_code, CODE_DIR, 0};
    do_bind(&code);
  }

  if (mount(NULL, root_dir, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, "size=1m,mode=0755")) die("remount the root read-only");
  if (chdir(root_dir)) die("chdir %s", root_dir);
  if (syscall(SYS_pivot_root, ".", ".")) die("pivot_root");
  if (umount2(".", MNT_DETACH)) die("detach the host's root");
  if (chdir("/")) die("chdir /");
}

static void drop_privileges(void) {
  struct rlimit files = {(rlim_t)nofile, (rlim_t)nofile}, procs = {(rlim_t)nproc, (rlim_t)nproc}, core = {0, 0};
  if (setrlimit(RLIMIT_NOFILE, &files)) die("RLIMIT_NOFILE");
  if (setrlimit(RLIMIT_CORE, &core)) die("RLIMIT_CORE");
  for (int cap = 0; cap <= 63; cap++) {
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EINVAL) die("drop capability %d", cap);
  }
  errno = 0;
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  /* RLIMIT_NPROC counts a uid's processes and threads: as root the uid is this sandbox's alone; in a user namespace
   * (Linux 5.14 and later) it counts that namespace's own, so either way it is a per-sandbox cap. */
  if (setrlimit(RLIMIT_NPROC, &procs)) die("RLIMIT_NPROC");
  if (!userns) {
    if (setgroups(0, NULL)) die("setgroups");
    if (setresgid(gid, gid, gid)) die("setresgid");
    if (setresuid(uid, uid, uid)) die("setresuid");
  }
  /* Inside a user namespace the runtime keeps uid 0 there (the only uid mapped), with no capabilities at all. */
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2];
  memset(d, 0, sizeof d);
  if (syscall(SYS_capset, &h, d)) die("capset");
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) die("no_new_privs");
  if (syscall(SYS_capget, &h, d)) die("capget");
  if (d[0].effective || d[0].permitted || d[1].effective || d[1].permitted) die("capabilities remain after the drop");
  if (!userns && (getuid() == 0 || geteuid() == 0)) die("still root after the drop");
}

static void join_cgroups(void) {
  char path[PATH_MAX], pid[32];
  snprintf(pid, sizeof pid, "%d\n", getpid());
  for (int i = 0; i < ncgroups; i++) {
    snprintf(path, sizeof path, "%s/cgroup.procs", cgroups[i]);
    write_file(path, pid);
  }
}

/* The environment's /tmp lives on the host, so that it outlasts one runtime process (Lambda keeps it across a restart). */
static void mount_tmp(void) {
  if (is_mountpoint(tmp_dir)) return;
  char opts[64];
  snprintf(opts, sizeof opts, "size=%ldm,mode=1777", tmp_mb);
  if (mount("tmpfs", tmp_dir, "tmpfs", MS_NOSUID | MS_NODEV, opts)) die("mount the tmpfs for /tmp at %s", tmp_dir);
}

static void write_id_map(void) {
  char map[64];
  snprintf(map, sizeof map, "0 %ld 1\n", uid);
  write_file("/proc/self/setgroups", "deny\n");
  write_file("/proc/self/uid_map", map);
  snprintf(map, sizeof map, "0 %ld 1\n", gid);
  write_file("/proc/self/gid_map", map);
}

/* PID 1 of the namespace: start the runtime, reap every orphan, report how the runtime ended, then exit (which ends the
 * namespace and kills whatever is left in it). */
/* A late-code order: binds CODE_DIR/<hex> at /var/task, read-only, then takes CODE_DIR away. */
static void mount_late_code(const char *line) {
  const char *answer = "ok\n";
  char path[96], why[256];
  size_t n = strlen(line);
  int valid = n == 64;
  for (size_t k = 0; valid && k < n; k++) valid = (line[k] >= '0' && line[k] <= '9') || (line[k] >= 'a' && line[k] <= 'f');
  snprintf(path, sizeof path, CODE_DIR "/%.64s", line);
  if (!valid) answer = "error: not a package name\n";
  else if (mount(path, "/var/task", NULL, MS_BIND, NULL) ||
           mount(NULL, "/var/task", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | locked_flags("/var/task"), NULL)) {
    snprintf(why, sizeof why, "error: bind the package at /var/task: %s\n", strerror(errno));
    answer = why;
  }
  if (umount2(CODE_DIR, MNT_DETACH) || rmdir(CODE_DIR)) die("remove " CODE_DIR);
  if (write(4, answer, strlen(answer)) < 0) _exit(FAIL_EXIT);
  close(4);
  errno = 0;
  if (answer[0] != 'o') die("%s", answer);
}

static void init_main(char **argv, int report_fd) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0)) die("PR_SET_PDEATHSIG");
  /* The parent may have died before the line above (its getppid() is 0 from here): its end of the pipe tells. */
  struct pollfd parent = {report_fd, 0, 0};
  if (poll(&parent, 1, 0) > 0 && (parent.revents & POLLERR)) _exit(FAIL_EXIT);
  build_root();
  if (sethostname(hostname, strlen(hostname))) die("sethostname");
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  pid_t runtime = fork();
  if (runtime < 0) die("fork");
  if (runtime == 0) {
    close(report_fd);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    if (close_channel) close(3);
    if (late_code) {
      /* The orders on stdin and the answers on fd 4 are the init's, not the runtime's. */
      int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (devnull < 0 || dup2(devnull, 0) < 0) die("stdin");
      close(4);
    }
    drop_privileges();
    if (chdir(cwd)) die("chdir %s", cwd);
    execvp(argv[0], argv);
    fprintf(stderr, "alonzo-sandbox: exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC);
  if (sfd < 0) die("signalfd");
  char order[80];
  size_t got = 0;
  int waiting_order = late_code != NULL;
  for (;;) {
    struct pollfd fds[2] = {{sfd, POLLIN, 0}, {0, POLLIN, 0}};
    if (poll(fds, waiting_order ? 2 : 1, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    if (waiting_order && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t n = read(0, order + got, sizeof order - 1 - got);
      /* The server went away before giving the order: nothing will ever run here. */
      if (n <= 0) _exit(0);
      got += n;
      order[got] = 0;
      char *nl = strchr(order, '\n');
      if (nl || got == sizeof order - 1) {
        if (nl) *nl = 0;
        waiting_order = 0;
        mount_late_code(order);
      }
    }
    if (fds[0].revents & POLLIN) {
      struct signalfd_siginfo info;
      if (read(sfd, &info, sizeof info) < 0 && errno != EAGAIN) die("signalfd read");
      for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, WNOHANG);
        if (pid <= 0) break;
        if (pid == runtime) {
          if (write(report_fd, &status, sizeof status) != sizeof status) _exit(FAIL_EXIT);
          _exit(0);
        }
      }
    }
  }
}

/* Parses options up to "--"; returns the index of the command. */
static int parse(int argc, char **argv, int *standby) {
  int i = 1;
  for (; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--")) {
      i++;
      break;
    }
    int flag = !strcmp(a, "--userns") || !strcmp(a, "--no-channel") || !strcmp(a, "--standby");
    if (!flag && i + 1 >= argc) usage();
    if (!strcmp(a, "--root")) root_dir = argv[++i];
    else if (!strcmp(a, "--tmp")) tmp_dir = argv[++i];
    else if (!strcmp(a, "--tmp-mb")) tmp_mb = number(argv[++i]);
    else if (!strcmp(a, "--uid")) uid = number(argv[++i]);
    else if (!strcmp(a, "--gid")) gid = number(argv[++i]);
    else if (!strcmp(a, "--ro")) add_bind(argv[++i], 0);
    else if (!strcmp(a, "--rw")) add_bind(argv[++i], 1);
    else if (!strcmp(a, "--cgroup")) {
      if (ncgroups == MAX_CGROUPS) die("too many cgroups");
      cgroups[ncgroups++] = argv[++i];
    } else if (!strcmp(a, "--nofile")) nofile = number(argv[++i]);
    else if (!strcmp(a, "--nproc")) nproc = number(argv[++i]);
    else if (!strcmp(a, "--hostname")) hostname = argv[++i];
    else if (!strcmp(a, "--cwd")) cwd = argv[++i];
    else if (!strcmp(a, "--late-code")) late_code = argv[++i];
    else if (!strcmp(a, "--userns")) userns = 1;
    else if (!strcmp(a, "--no-channel")) close_channel = 1;
    else if (!strcmp(a, "--standby") && standby) *standby = 1;
    else usage();
  }
  return i;
}

/* A standby's orders, from stdin: options and command, an empty string, then the environment (see the top). */
static char **read_orders(int *argc_out) {
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  if (!buf) die("malloc");
  for (;;) {
    if (len == cap) {
      if (cap >= (64u << 20)) die("orders too large");
      buf = realloc(buf, cap *= 2);
      if (!buf) die("realloc");
    }
    ssize_t n = read(0, buf + len, cap - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die("read orders");
    if (n == 0) break;
    len += n;
  }
  /* The server went away before giving orders: nothing to do. */
  if (len == 0) _exit(0);
  if (buf[len - 1] != 0) die("orders must end with a NUL");
  size_t count = 0;
  for (size_t k = 0; k < len; k++) count += buf[k] == 0;
  char **args = calloc(count + 2, sizeof *args);
  if (!args) die("calloc");
  int n = 0;
  args[n++] = "alonzo-sandbox";
  char *p = buf;
  while (p < buf + len && *p) {
    args[n++] = p;
    p += strlen(p) + 1;
  }
  args[n] = NULL;
  *argc_out = n;
  if (p < buf + len) p++;
  if (clearenv()) die("clearenv");
  while (p < buf + len && *p) {
    if (putenv(p)) die("putenv");
    p += strlen(p) + 1;
  }
  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devnull < 0 || dup2(devnull, 0) < 0) die("stdin");
  close(devnull);
  return args;
}

int main(int argc, char **argv) {
  /* It goes with the server: a server killed with -9 takes its launchers with it (and, through the init's own death
   * signal, every environment), so that none is left starting, mounting or running for nobody. */
  pid_t server = getppid();
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0)) die("PR_SET_PDEATHSIG");
  if (getppid() != server) _exit(FAIL_EXIT);
  int standby = 0;
  int i = parse(argc, argv, &standby);
  if (standby) {
    join_cgroups();
    ncgroups = 0;
    argv = read_orders(&argc);
    i = parse(argc, argv, NULL);
  }
  if (i >= argc || !root_dir || !tmp_dir || root_dir[0] != '/' || tmp_dir[0] != '/') usage();
  if (userns) {
    uid = getuid();
    gid = getgid();
  } else if (uid <= 0 || gid <= 0) {
    die("--uid and --gid must name an unprivileged user (not 0)");
  }
  long shown_uid = userns ? 0 : uid, shown_gid = userns ? 0 : gid;
  snprintf(passwd_line, sizeof passwd_line, "%s:x:%ld:%ld::/tmp:/sbin/nologin\n", shown_uid ? "sbx_user1051" : "root", shown_uid, shown_gid);
  snprintf(group_line, sizeof group_line, "%s:x:%ld:\n", shown_gid ? "sbx_user1051" : "root", shown_gid);

  if (!standby) join_cgroups();
  int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS;
  if (userns) {
    if (unshare(CLONE_NEWUSER | flags)) die("unshare (user namespace)");
    write_id_map();
    /* Unprivileged, the tmpfs can only be made inside the namespace: it lasts as long as this runtime process. */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) die("make / private");
    mount_tmp();
  } else {
    mount_tmp();
    if (unshare(flags)) die("unshare");
  }
  int report[2];
  if (pipe2(report, O_CLOEXEC)) die("pipe");
  pid_t init = fork();
  if (init < 0) die("fork");
  if (init == 0) {
    close(report[0]);
    init_main(argv + i, report[1]);
  }
  close(report[1]);
  /* Signals sent to this process (the server's SIGKILL aside, which the init sees through PR_SET_PDEATHSIG) go to the runtime's namespace. */
  int status = 0, got = 0;
  for (;;) {
    ssize_t n = read(report[0], (char *)&status + got, sizeof status - got);
    if (n > 0 && (got += n) == sizeof status) break;
    if (n == 0) break;
    if (n < 0 && errno != EINTR) break;
  }
  int init_status;
  while (waitpid(init, &init_status, 0) < 0 && errno == EINTR) {
  }
  if (got != sizeof status) {
    /* The init died before it could report: it could not build the sandbox (it said why), or it was killed. */
    if (WIFEXITED(init_status)) _exit(WEXITSTATUS(init_status) ? WEXITSTATUS(init_status) : FAIL_EXIT);
    status = init_status;
  }
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    struct rlimit core = {0, 0};
    setrlimit(RLIMIT_CORE, &core);
    signal(sig, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    kill(getpid(), sig);
    _exit(128 + sig);
  }
  _exit(WIFEXITED(status) ? WEXITSTATUS(status) : FAIL_EXIT);
}
