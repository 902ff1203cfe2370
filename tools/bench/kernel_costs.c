// What this machine's kernel charges a proxy for the work it cannot avoid, in CPU time of the
// calling process (getrusage: user + system) per operation:
//   null syscall      getppid() in a loop: entering and leaving the kernel
//   read/write        one 1,100-byte message each way over a loopback TCP connection (TCP_NODELAY)
//                     with write() and read(), which pass through the VFS layers first
//   recv/send         the same with send(MSG_NOSIGNAL) and recv()
//   wake-up           epoll_wait() on a pipe that another process (on another CPU) writes to every
//                     50 us, so that every wait sleeps and is woken, against the same loop with the
//                     writer never pausing (the wait finds the pipe ready): the difference is
//                     what going to sleep and being woken costs
//   timer sleep       clock_nanosleep() for 50 us with a 1 us timer slack: the CPU a sleep woken
//                     by the thread's own timer costs, and how long it really lasts (what a
//                     worker that slept a fixed time to gather events, instead of being woken by
//                     each one, would pay)
//   waker's send     what the SENDER pays for a 100-byte loopback TCP send (wall time inside
//                     send(), the sender never sleeps) when the receiving process, on this CPU, is
//                     asleep in epoll_wait, against the same when the receiver spins on
//                     epoll_wait with no timeout (awake): on loopback the sender runs the
//                     receiver's TCP input and wakes it, so a receiver that sleeps makes every
//                     sender pay for its wake-up
// Numbers for docs/PERFORMANCE.md's account of CPU per request; no proxy involved.
//
// Usage: cc -O2 -o kernel_costs tools/bench/kernel_costs.c && taskset -c 0 ./kernel_costs
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double cpu_us(void) {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e6 + usage.ru_utime.tv_usec +
         usage.ru_stime.tv_usec;
}

static void die(const char* what) {
  perror(what);
  exit(1);
}

static double null_syscall(long rounds) {
  double start = cpu_us();
  for (long i = 0; i < rounds; i++)
    syscall(SYS_getppid);
  return (cpu_us() - start) / rounds;
}

// A connected loopback TCP pair with TCP_NODELAY on both ends.
static void tcp_pair(int* a, int* b) {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t length = sizeof(address);
  if (bind(listener, (struct sockaddr*)&address, sizeof(address)) != 0 ||
      listen(listener, 1) != 0 || getsockname(listener, (struct sockaddr*)&address, &length) != 0)
    die("listen");
  *a = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(*a, (struct sockaddr*)&address, sizeof(address)) != 0) die("connect");
  *b = accept(listener, NULL, NULL);
  if (*b < 0) die("accept");
  close(listener);
  int one = 1;
  setsockopt(*a, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  setsockopt(*b, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

// CPU per call of one round trip (two sends, two receives), with write/read or send/recv.
static double loopback_round_trip(long rounds, int use_send) {
  int a, b;
  tcp_pair(&a, &b);
  static char message[1100], buffer[17000];
  double start = cpu_us();
  for (long i = 0; i < rounds; i++) {
    if (use_send) {
      if (send(a, message, sizeof(message), MSG_NOSIGNAL) <= 0 ||
          recv(b, buffer, sizeof(buffer), 0) <= 0 ||
          send(b, message, sizeof(message), MSG_NOSIGNAL) <= 0 ||
          recv(a, buffer, sizeof(buffer), 0) <= 0)
        die("send/recv");
    } else {
      if (write(a, message, sizeof(message)) <= 0 || read(b, buffer, sizeof(buffer)) <= 0 ||
          write(b, message, sizeof(message)) <= 0 || read(a, buffer, sizeof(buffer)) <= 0)
        die("write/read");
    }
  }
  double per_call = (cpu_us() - start) / rounds / 4;
  close(a);
  close(b);
  return per_call;
}

static void pin_to_cpu(int cpu) {
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  CPU_SET(cpu, &cpus);
  sched_setaffinity(0, sizeof(cpus), &cpus);
}

// CPU per epoll_wait + read of one byte, written by a child pinned to `writer_cpu` every
// `gap_us` (0: back to back).
static double epoll_wait_loop(long bytes, int gap_us, int writer_cpu, long* sleeps) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) die("pipe");
  pid_t writer = fork();
  if (writer == 0) {
    pin_to_cpu(writer_cpu);
    close(pipe_fds[0]);
    struct timespec gap = {0, gap_us * 1000L};
    for (long i = 0; i < bytes; i++) {
      if (gap_us) nanosleep(&gap, NULL);
      if (write(pipe_fds[1], "x", 1) != 1) _exit(1);
    }
    _exit(0);
  }
  close(pipe_fds[1]);
  int poller = epoll_create1(0);
  struct epoll_event interest = {.events = EPOLLIN};
  epoll_ctl(poller, EPOLL_CTL_ADD, pipe_fds[0], &interest);
  struct rusage before, after;
  getrusage(RUSAGE_SELF, &before);
  double start = cpu_us();
  long waits = 0;
  char buffer[4096];
  for (;;) {
    struct epoll_event ready;
    if (epoll_wait(poller, &ready, 1, -1) != 1) continue;
    waits++;
    if (read(pipe_fds[0], buffer, sizeof(buffer)) <= 0) break;  // end: the writer exited
  }
  double per_wait = (cpu_us() - start) / waits;
  getrusage(RUSAGE_SELF, &after);
  *sleeps = after.ru_nvcsw - before.ru_nvcsw;
  waitpid(writer, NULL, 0);
  close(poller);
  close(pipe_fds[0]);
  return per_wait;
}

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

// CPU per clock_nanosleep() of `sleep_us`; *wall_us gets the time each one really took.
static double timer_sleep(long rounds, long sleep_us, double* wall_us) {
  prctl(PR_SET_TIMERSLACK, 1000UL);  // 1 us: otherwise the default 50 us slack is added
  struct timespec pause = {0, sleep_us * 1000};
  double wall_start = now_us();
  double start = cpu_us();
  for (long i = 0; i < rounds; ++i)
    clock_nanosleep(CLOCK_MONOTONIC, 0, &pause, NULL);
  double per_sleep = (cpu_us() - start) / rounds;
  *wall_us = (now_us() - wall_start) / rounds;
  return per_sleep;
}

// Mean wall time of send() in a process pinned to `sender_cpu` that sends 100 bytes every 50 us
// (spinning between sends, never sleeping) to this process, which waits in epoll_wait: asleep
// (`receiver_spins` 0) or polling with timeout 0.
static double waker_send(long messages, int sender_cpu, int receiver_spins) {
  int a, b;
  tcp_pair(&a, &b);
  int result[2];
  if (pipe(result) != 0) die("pipe");
  pid_t sender = fork();
  if (sender == 0) {
    pin_to_cpu(sender_cpu);
    close(b);
    char message[100] = {0};
    double in_send = 0;
    double next = now_us();
    for (long i = 0; i < messages; ++i) {
      next += 50;
      while (now_us() < next) {
      }
      double before = now_us();
      if (send(a, message, sizeof(message), MSG_NOSIGNAL) != (ssize_t)sizeof(message)) _exit(1);
      in_send += now_us() - before;
    }
    double mean = in_send / messages;
    if (write(result[1], &mean, sizeof(mean)) != sizeof(mean)) _exit(1);
    _exit(0);
  }
  close(a);
  close(result[1]);
  int poller = epoll_create1(0);
  struct epoll_event interest = {.events = EPOLLIN};
  epoll_ctl(poller, EPOLL_CTL_ADD, b, &interest);
  char buffer[4096];
  for (;;) {
    struct epoll_event ready;
    if (epoll_wait(poller, &ready, 1, receiver_spins ? 0 : -1) != 1) continue;
    if (recv(b, buffer, sizeof(buffer), 0) <= 0) break;  // end: the sender exited
  }
  double mean = 0;
  if (read(result[0], &mean, sizeof(mean)) != sizeof(mean)) die("sender");
  waitpid(sender, NULL, 0);
  close(poller);
  close(b);
  close(result[0]);
  return mean;
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  int cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
  int writer_cpu = cpus > 1 ? 1 : 0;
  printf("null syscall (getppid)                    %6.2f us\n", null_syscall(2000000));
  printf("loopback TCP, 1,100 bytes, write / read   %6.2f us per call\n",
         loopback_round_trip(200000, 0));
  printf("loopback TCP, 1,100 bytes, send / recv    %6.2f us per call\n",
         loopback_round_trip(200000, 1));
  long sleeps_ready, sleeps_woken;
  double ready = epoll_wait_loop(500000, 0, writer_cpu, &sleeps_ready);
  double woken = epoll_wait_loop(50000, 50, writer_cpu, &sleeps_woken);
  printf("epoll_wait + read, event already there    %6.2f us (%ld sleeps in 500,000)\n", ready,
         sleeps_ready);
  printf("epoll_wait + read, asleep until woken     %6.2f us (%ld sleeps in 50,000)\n", woken,
         sleeps_woken);
  printf("so one sleep and wake-up costs about      %6.2f us\n", woken - ready);
  double wall;
  double timer = timer_sleep(20000, 50, &wall);
  printf("timer sleep of 50 us (clock_nanosleep)    %6.2f us (lasted %.1f us)\n", timer, wall);
  double to_awake = waker_send(40000, writer_cpu, 1);
  double to_asleep = waker_send(40000, writer_cpu, 0);
  printf("sender's send, 100 bytes, receiver awake  %6.2f us\n", to_awake);
  printf("same, receiver asleep in epoll_wait       %6.2f us\n", to_asleep);
  printf("so the sender pays for each wake-up about %6.2f us\n", to_asleep - to_awake);
  return 0;
}
