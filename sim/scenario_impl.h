/* For scenario.c and scenario_check.c only: the loader's internal layout and
 * the validation functions the loader calls. Other code includes scenario.h. */
#ifndef CM_SCENARIO_IMPL_H
#define CM_SCENARIO_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "scenario.h"

/* A group (key NULL) or one key's value. */
struct item {
  char *group, *key;
  char *raw, *str; /* the value as written (escaped) and unescaped */
  char *file;      /* where it came from: a path, "--set ...", "(default)" */
  int line;        /* 1-based line in file, 0 = none */
  int64_t i;
  double d;
  bool b;
};

struct scenario {
  char *path, *model, *text, *choices;
  GPtrArray *items;  /* struct item *, first-appearance order */
  GHashTable *index; /* "group" or "group\x1fkey" -> struct item * (borrowed from items) */
  GPtrArray *schema; /* const struct scn_key *, schema order */
  struct scn_key model_key;
  GPtrArray *chain;  /* the include chain while loading */
  GHashTable *lists; /* pattern -> NULL-terminated GPtrArray of group names */
  bool plain;        /* scenario_load_schema: one schema, no [scenario] or [run] model */
};

/* Sets *err (the first error wins) to "file:line: msg", "file: msg" (line
 * 0) or msg (file NULL), made one line of valid UTF-8. Returns CM_EPARSE. */
__attribute__((format(printf, 4, 5))) int scenario__fail(char **err, const char *file, int line,
                                                         const char *fmt, ...);

/* Whether group ends in ".*"; whether name is pattern or matches it. */
bool scenario__is_pattern(const char *group);
bool scenario__group_matches(const char *pattern, const char *name);
/* The schema key for (group, key): exact group names win over patterns. */
const struct scn_key *scenario__schema_find(const scenario *s, const char *group, const char *key);

/* What k accepts, as text ("an integer in [1, 10]"); g_malloc'd. */
char *scenario__expected(const struct scn_key *k);
/* Parses it against k into its typed fields; an error message otherwise. */
int scenario__check_value(struct item *it, const struct scn_key *k, char **err);
/* Checks a group or key of the file against the schema. */
int scenario__check_item(scenario *s, struct item *it, char **err);

#endif
