/*
 * Runs a program under the system call rules of gatehouse.service, as systemd applies them:
 * the calls named in the file argv[1] are allowed (SystemCallFilter=), every other call fails
 * with EPERM (SystemCallErrorNumber=EPERM), and socket() only makes AF_UNIX, AF_INET and
 * AF_INET6 sockets (RestrictAddressFamilies=). Usage: filter ALLOWED-FILE PROGRAM ARG...
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: filter ALLOWED-FILE PROGRAM ARG...\n");
    return 2;
  }
  FILE *f = fopen(argv[1], "r");
  if (f == NULL) {
    perror(argv[1]);
    return 2;
  }
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
  char name[128];
  int allowed = 0, unknown = 0;
  while (fscanf(f, "%127s", name) == 1) {
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) {
      unknown++; /* a call of another architecture or a newer kernel */
      continue;
    }
    if (strcmp(name, "socket") == 0) {
      int families[] = {AF_UNIX, AF_INET, AF_INET6};
      for (int i = 0; i < 3; i++) {
        seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1, SCMP_A0(SCMP_CMP_EQ, families[i]));
      }
      seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), nr, 1, SCMP_A0(SCMP_CMP_GT, AF_INET6));
    } else if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) != 0) {
      continue;
    }
    allowed++;
  }
  fclose(f);
  fprintf(stderr, "filter: %d system calls allowed (%d unknown here)\n", allowed, unknown);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || seccomp_load(ctx) != 0) {
    perror("seccomp");
    return 2;
  }
  execv(argv[2], argv + 2);
  perror(argv[2]);
  return 2;
}
