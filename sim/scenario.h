/* Scenario files: GKeyFile (INI) files with includes and --set overrides,
 * validated against a typed schema (common [run] keys plus one model's keys). */
#ifndef CM_SCENARIO_H
#define CM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum scn_type { SCN_INT, SCN_DOUBLE, SCN_BOOL, SCN_STRING, SCN_ENUM };

/* One schema key. group is an exact group name or a pattern ending in ".*"
 * ("provider.*" matches "provider.aws"). def NULL means required: always for
 * exact groups, and in each present group matching a pattern (a pattern
 * group itself is never required to exist). */
struct scn_key {
  const char *group;
  const char *key;
  enum scn_type type;
  double min, max;     /* inclusive range for INT/DOUBLE; -INFINITY/INFINITY = open */
  const char *choices; /* ENUM: "a|b|c" */
  const char *def;     /* default as text; NULL = required */
  const char *doc;     /* one line: meaning, unit, and the source of the default */
};

struct scn_model {
  const char *name;
  const struct scn_key *keys;
  size_t nkeys;
};

typedef struct scenario scenario;

/* Load path: parse, expand [scenario] include = a.ini;b.ini (relative to the
 * including file; included files first, the includer overrides), apply
 * overrides ("group.key=value", split at the LAST '.'), pick the model named
 * by [run] model (always an enum over the models' names, always required),
 * validate every key against common + that model's schema, fill defaults.
 * On any problem returns NULL and sets *err (g_malloc'd, one line, no
 * trailing newline) if err is not NULL. [scenario] allows include and
 * description (free text). */
scenario *scenario_load(const char *path, const struct scn_key *common, size_t ncommon,
                        const struct scn_model *models, size_t nmodels,
                        const char *const *overrides, char **err);
/* Load path against one schema alone (another INI format validated the
 * same way, such as the real-mode profile, real/profile.h): no [run] model,
 * no [scenario] group, no includes, no overrides. Same messages as
 * scenario_load, except that a missing key names the line of its group. */
scenario *scenario_load_schema(const char *path, const struct scn_key *keys, size_t nkeys,
                               char **err);
void scenario_free(scenario *s);

const char *scenario_path(const scenario *s);
const char *scenario_model(const scenario *s);

/* A hint for a misspelt word among cands (NULL-terminated): "did you mean
 * <o>x<c>?" for the candidate at the least Levenshtein distance when that
 * is at most max(2, strlen(word) / 3) (the first such on a tie); else
 * "known <what>: <o>a<c>, <o>b<c>, ..." or, with what NULL, "". Used for
 * scenario keys, groups and choices, and by the program for subcommands
 * and options. g_malloc'd; the caller g_free's it. */
char *scenario_word_suggest(const char *word, char *const *cands, const char *o, const char *c,
                            const char *what);

/* The effective scenario as INI text after includes, overrides and defaults:
 * [scenario] description (if any), then groups and keys in schema order
 * (pattern groups in file order), "key = value" lines. Deterministic and
 * loadable again. Owned by s. */
const char *scenario_text(const scenario *s);

/* Typed values. A key not in the schema, a type mismatch, or a key with no
 * value (a pattern group that is absent) is a programming error: cm_fatal.
 * scenario_string works for every type (the value as text); owned by s. */
int64_t scenario_int(const scenario *s, const char *group, const char *key);
double scenario_double(const scenario *s, const char *group, const char *key);
bool scenario_bool(const scenario *s, const char *group, const char *key);
const char *scenario_string(const scenario *s, const char *group, const char *key);
/* Whether the key has a value (set or defaulted); false for unknown keys. */
bool scenario_has(const scenario *s, const char *group, const char *key);

/* Where group.key (key NULL: the group) was written: its 1-based line, and
 * *file (owned by s; may be NULL) its file; 0 and s's path when it came
 * from a default or an override, or is absent. */
int scenario_line(const scenario *s, const char *group, const char *key, const char **file);
/* For checks after loading: sets *err (the first error wins; err may be
 * NULL) to "file:line: [group] key: msg" at the key's place, or its group's
 * when the key was not written there, and returns CM_EPARSE. */
__attribute__((format(printf, 5, 6))) int scenario_error(const scenario *s, const char *group,
                                                         const char *key, char **err,
                                                         const char *fmt, ...);

/* Groups present that match pattern ("provider.*", or an exact name), in
 * file order; NULL-terminated array owned by s (valid until free). */
const char *const *scenario_groups(const scenario *s, const char *pattern);

#endif
