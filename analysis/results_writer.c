/* Who writes a run: the host name, pid and start of the writing process
 * (boot id, pid namespace and start time after boot, read from /proc), and
 * the test results_open applies to a `running` row: is its writer gone? */
#include "results_impl.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The first line of file, stripped, g_malloc'd; NULL if unreadable. */
static char *read_line(const char *file) {
  char *text = NULL;
  if (!g_file_get_contents(file, &text, NULL, NULL)) return NULL;
  char *nl = strchr(text, '\n');
  if (nl) *nl = 0;
  g_strstrip(text);
  if (!*text) {
    g_free(text);
    return NULL;
  }
  return text;
}

/* From /proc/PID/stat: the state letter (field 3) and the start time in
 * clock ticks after boot (field 22). Returns 0, or -1 when there is no
 * such process (or the file does not parse). */
static int proc_stat(int64_t pid, char *state, unsigned long long *start) {
  char file[64];
  if (pid == 0) snprintf(file, sizeof file, "/proc/self/stat");
  else snprintf(file, sizeof file, "/proc/%lld/stat", (long long)pid);
  char *text = NULL;
  if (!g_file_get_contents(file, &text, NULL, NULL)) return -1;
  /* field 2 is "(comm)", which may hold spaces and parentheses: skip to
   * the last ')' */
  const char *p = strrchr(text, ')');
  int rc = -1;
  if (p) {
    char **f = g_strsplit_set(p + 1, " ", -1);
    guint n = 0;
    char *tok[32];
    for (char **q = f; *q && n < G_N_ELEMENTS(tok); q++)
      if (**q) tok[n++] = *q;
    char *end = NULL;
    if (n > 19) { /* tok[0] is field 3, tok[19] field 22 */
      *state = tok[0][0];
      *start = g_ascii_strtoull(tok[19], &end, 10);
      if (end && end != tok[19] && (*end == 0 || *end == '\n')) rc = 0;
    }
    g_strfreev(f);
  }
  g_free(text);
  return rc;
}

/* The pid namespace of this process ("4026531836" of "pid:[4026531836]"). */
static char *pid_ns(void) {
  char buf[128];
  ssize_t n = readlink("/proc/self/ns/pid", buf, sizeof buf - 1);
  if (n <= 0) return NULL;
  buf[n] = 0;
  char *a = strchr(buf, '['), *b = strrchr(buf, ']');
  if (!a || !b || b <= a + 1) return NULL;
  return g_strndup(a + 1, (gsize)(b - a - 1));
}

void results__writer_self(struct results_writer *w) {
  memset(w, 0, sizeof *w);
  w->host = g_strdup(g_get_host_name());
  w->pid = (int64_t)getpid();
  char *boot = read_line("/proc/sys/kernel/random/boot_id"), *ns = pid_ns();
  char state = 0;
  unsigned long long start = 0;
  if (boot && ns && proc_stat(0, &state, &start) == 0)
    w->start = g_strdup_printf("%s %s %llu", boot, ns, start);
  g_free(boot);
  g_free(ns);
}

void results__writer_clear(struct results_writer *w) {
  g_free(w->host);
  g_free(w->start);
  memset(w, 0, sizeof *w);
}

enum results_writer_state results__writer_state(const struct results_writer *self, const char *host, int64_t pid,
                                                const char *start) {
  if (!self->host || !host || strcmp(self->host, host) != 0) return RESULTS_WRITER_UNKNOWN; /* another host */
  if (!self->start || !start || pid <= 0) return RESULTS_WRITER_UNKNOWN;                    /* no /proc identity */
  char **mine = g_strsplit(self->start, " ", 3), **theirs = g_strsplit(start, " ", 3);
  enum results_writer_state st = RESULTS_WRITER_UNKNOWN;
  if (g_strv_length(mine) != 3 || g_strv_length(theirs) != 3) goto out;
  if (strcmp(mine[0], theirs[0]) != 0) { /* another boot of this host: every process of that boot is gone */
    st = RESULTS_WRITER_GONE;
    goto out;
  }
  if (strcmp(mine[1], theirs[1]) != 0) goto out; /* another pid namespace: its pids are not ours to look up */
  char state = 0;
  unsigned long long now_start = 0;
  char *end = NULL;
  unsigned long long want = g_ascii_strtoull(theirs[2], &end, 10);
  if (!end || *end) goto out;
  if (proc_stat(pid, &state, &now_start) != 0) st = RESULTS_WRITER_GONE; /* no such process */
  else if (now_start != want) st = RESULTS_WRITER_GONE;                   /* the pid was reused */
  else if (state == 'Z' || state == 'X') st = RESULTS_WRITER_GONE;        /* dead, not yet reaped */
  else st = RESULTS_WRITER_ALIVE;
out:
  g_strfreev(mine);
  g_strfreev(theirs);
  return st;
}
