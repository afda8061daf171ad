/* tests/unit/director/adm/oracle/fake_ipvs_sockopt.c: lets Debian's real
 * ipvsadm 1.31 run on a machine without IPVS, to check halb-adm's golden
 * texts against it. LD_PRELOADed, it answers IPVS's old get/setsockopt
 * interface (IPv4 only, 32-bit counters) from a text file named by
 * FAKE_IPVS_TABLE, logs every change to FAKE_IPVS_LOG, and fails changes
 * with errno FAKE_IPVS_ERRNO when set. Not built by make; see run-oracle.
 *
 * Table file, one record per line:
 *   info VERSION SIZE
 *   svc tcp|udp|fwm ADDR PORT FWMARK SCHED FLAGS TIMEOUT NETMASK  10 counters
 *   dst ADDR PORT FWD WEIGHT UTHRESH LTHRESH ACTIVE INACT PERSIST  10 counters
 *   timeout TCP TCPFIN UDP
 *   daemon STATE IFNAME SYNCID
 *   proc LINE-OF-/proc/net/ip_vs_conn (served when ipvsadm opens that file)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <linux/ip_vs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define MAXS 64
#define MAXD 64

struct dst { struct ip_vs_dest_entry e; };
struct svc { struct ip_vs_service_entry e; struct dst d[MAXD]; int nd; };

static struct svc svcs[MAXS];
static int nsvc;
static unsigned version = 0x010201, size = 4096;
static struct ip_vs_timeout_user tmo = {900, 120, 300};
static struct ip_vs_daemon_user dmn[2];
static int loaded;

static void read_stats(char **save, struct ip_vs_stats_user *s) {
  unsigned long long v[10] = {0};
  for (int i = 0; i < 10; i++) { char *t = strtok_r(NULL, " \t\n", save); if (t) v[i] = strtoull(t, NULL, 10); }
  s->conns = v[0]; s->inpkts = v[1]; s->outpkts = v[2]; s->inbytes = v[3]; s->outbytes = v[4];
  s->cps = v[5]; s->inpps = v[6]; s->outpps = v[7]; s->inbps = v[8]; s->outbps = v[9];
}

static char *tok(char **save) { char *t = strtok_r(NULL, " \t\n", save); return t ? t : "0"; }

static void load(void) {
  if (loaded) return;
  loaded = 1;
  const char *path = getenv("FAKE_IPVS_TABLE");
  if (!path) return;
  FILE *f = fopen(path, "r");
  if (!f) return;
  char line[1024];
  while (fgets(line, sizeof line, f)) {
    char *save = NULL, *kind = strtok_r(line, " \t\n", &save);
    if (!kind) continue;
    if (!strcmp(kind, "info")) { version = strtoul(tok(&save), NULL, 0); size = strtoul(tok(&save), NULL, 0); }
    else if (!strcmp(kind, "timeout")) { tmo.tcp_timeout = atoi(tok(&save)); tmo.tcp_fin_timeout = atoi(tok(&save)); tmo.udp_timeout = atoi(tok(&save)); }
    else if (!strcmp(kind, "daemon")) {
      int i = dmn[0].state ? 1 : 0;
      dmn[i].state = atoi(tok(&save)); snprintf(dmn[i].mcast_ifn, sizeof dmn[i].mcast_ifn, "%s", tok(&save)); dmn[i].syncid = atoi(tok(&save));
    } else if (!strcmp(kind, "svc") && nsvc < MAXS) {
      struct ip_vs_service_entry *e = &svcs[nsvc++].e;
      char *p = tok(&save);
      /* Over netlink (what ipvsadm uses on a real kernel) a fwmark service
       * has no protocol, so its dests' ports are never named: report 0. */
      e->protocol = !strcmp(p, "udp") ? IPPROTO_UDP : !strcmp(p, "fwm") ? 0 : IPPROTO_TCP;
      inet_pton(AF_INET, tok(&save), &e->addr);
      e->port = htons(atoi(tok(&save)));
      e->fwmark = strtoul(tok(&save), NULL, 10);
      snprintf(e->sched_name, sizeof e->sched_name, "%s", tok(&save));
      e->flags = strtoul(tok(&save), NULL, 0);
      e->timeout = strtoul(tok(&save), NULL, 10);
      inet_pton(AF_INET, tok(&save), &e->netmask);
      read_stats(&save, &e->stats);
    } else if (!strcmp(kind, "dst") && nsvc > 0 && svcs[nsvc - 1].nd < MAXD) {
      struct svc *s = &svcs[nsvc - 1];
      struct ip_vs_dest_entry *d = &s->d[s->nd++].e;
      inet_pton(AF_INET, tok(&save), &d->addr);
      d->port = htons(atoi(tok(&save)));
      d->conn_flags = strtoul(tok(&save), NULL, 0);
      d->weight = atoi(tok(&save));
      d->u_threshold = strtoul(tok(&save), NULL, 10);
      d->l_threshold = strtoul(tok(&save), NULL, 10);
      d->activeconns = strtoul(tok(&save), NULL, 10);
      d->inactconns = strtoul(tok(&save), NULL, 10);
      d->persistconns = strtoul(tok(&save), NULL, 10);
      read_stats(&save, &d->stats);
      s->e.num_dests = s->nd;
    }
  }
  fclose(f);
}

static struct svc *find(__u16 proto, __be32 addr, __be16 port, __u32 fwmark) {
  for (int i = 0; i < nsvc; i++) {
    struct ip_vs_service_entry *e = &svcs[i].e;
    if (fwmark ? e->fwmark == fwmark : (!e->fwmark && e->protocol == proto && e->addr == addr && e->port == port)) return &svcs[i];
  }
  return NULL;
}

/* -L -c reads /proc/net/ip_vs_conn: serve the table's "proc" lines. */
static FILE *fake_conn_file(void) {
  FILE *f = tmpfile();
  if (!f) return NULL;
  fputs("Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n", f);
  const char *path = getenv("FAKE_IPVS_TABLE");
  FILE *t = path ? fopen64(path, "r") : NULL;
  char line[1024];
  while (t && fgets(line, sizeof line, t))
    if (!strncmp(line, "proc ", 5)) fputs(line + 5, f);
  if (t) fclose(t);
  rewind(f);
  return f;
}

FILE *fopen(const char *path, const char *mode) {
  static FILE *(*real)(const char *, const char *);
  if (!real) real = dlsym(RTLD_NEXT, "fopen");
  if (!strcmp(path, "/proc/net/ip_vs_conn")) return fake_conn_file();
  return real(path, mode);
}

FILE *fopen64(const char *path, const char *mode) {
  static FILE *(*real)(const char *, const char *);
  if (!real) real = dlsym(RTLD_NEXT, "fopen64");
  if (!strcmp(path, "/proc/net/ip_vs_conn")) return fake_conn_file();
  return real(path, mode);
}

int getsockopt(int fd, int level, int opt, void *val, socklen_t *len) {
  static int (*real)(int, int, int, void *, socklen_t *);
  if (!real) real = dlsym(RTLD_NEXT, "getsockopt");
  if (level != IPPROTO_IP || opt < IP_VS_BASE_CTL || opt > IP_VS_SO_GET_MAX) return real(fd, level, opt, val, len);
  load();
  switch (opt) {
    case IP_VS_SO_GET_INFO: {
      struct ip_vs_getinfo *g = val;
      g->version = version; g->size = size; g->num_services = nsvc;
      return 0;
    }
    case IP_VS_SO_GET_SERVICES: {
      struct ip_vs_get_services *g = val;
      g->num_services = nsvc;
      for (int i = 0; i < nsvc; i++) g->entrytable[i] = svcs[i].e;
      return 0;
    }
    case IP_VS_SO_GET_SERVICE: {
      struct ip_vs_service_entry *e = val;
      struct svc *s = find(e->protocol, e->addr, e->port, e->fwmark);
      if (!s) { errno = ESRCH; return -1; }
      *e = s->e;
      return 0;
    }
    case IP_VS_SO_GET_DESTS: {
      struct ip_vs_get_dests *g = val;
      struct svc *s = find(g->protocol, g->addr, g->port, g->fwmark);
      if (!s) { errno = ESRCH; return -1; }
      g->num_dests = s->nd;
      for (int i = 0; i < s->nd; i++) g->entrytable[i] = s->d[i].e;
      return 0;
    }
    case IP_VS_SO_GET_TIMEOUT: memcpy(val, &tmo, sizeof tmo); return 0;
    case IP_VS_SO_GET_DAEMON: memcpy(val, dmn, sizeof dmn); return 0;
  }
  errno = EINVAL;
  return -1;
}

int setsockopt(int fd, int level, int opt, const void *val, socklen_t len) {
  static int (*real)(int, int, int, const void *, socklen_t);
  if (!real) real = dlsym(RTLD_NEXT, "setsockopt");
  if (level != IPPROTO_IP || opt < IP_VS_BASE_CTL || opt > IP_VS_SO_SET_MAX) return real(fd, level, opt, val, len);
  const char *logp = getenv("FAKE_IPVS_LOG");
  FILE *log = logp ? fopen(logp, "a") : NULL;
  if (log) {
    char a[INET_ADDRSTRLEN], m[INET_ADDRSTRLEN], d[INET_ADDRSTRLEN];
    const struct ip_vs_service_user *s = val;
    static const char *names[] = {"none", "insert", "add_service", "edit_service", "del_service", "flush", "list",
                                  "add_dest", "del_dest", "edit_dest", "set_timeouts", "start_daemon",
                                  "stop_daemon", "restore", "save", "zero"};
    fprintf(log, "%s", names[opt - IP_VS_BASE_CTL]);
    if (len >= sizeof *s) {
      inet_ntop(AF_INET, &s->addr, a, sizeof a); inet_ntop(AF_INET, &s->netmask, m, sizeof m);
      fprintf(log, " svc=%u:%s:%u fwmark=%u sched=%s flags=0x%x timeout=%u netmask=%s", s->protocol, a, ntohs(s->port),
              s->fwmark, s->sched_name, s->flags, s->timeout, m);
    }
    if (len >= sizeof *s + sizeof(struct ip_vs_dest_user)) {
      const struct ip_vs_dest_user *de = (const void *)(s + 1);
      inet_ntop(AF_INET, &de->addr, d, sizeof d);
      fprintf(log, " dest=%s:%u fwd=%u weight=%d u=%u l=%u", d, ntohs(de->port), de->conn_flags, de->weight,
              de->u_threshold, de->l_threshold);
    }
    if (opt == IP_VS_SO_SET_TIMEOUT) { const int *t = val; fprintf(log, " timeouts=%d,%d,%d", t[0], t[1], t[2]); }
    if (opt == IP_VS_SO_SET_STARTDAEMON || opt == IP_VS_SO_SET_STOPDAEMON) {
      const struct ip_vs_daemon_user *du = val; fprintf(log, " state=%d ifn=%s syncid=%d", du->state, du->mcast_ifn, du->syncid);
    }
    fprintf(log, "\n");
    fclose(log);
  }
  const char *err = getenv("FAKE_IPVS_ERRNO");
  if (err && *err) { errno = atoi(err); return -1; }
  return 0;
}
