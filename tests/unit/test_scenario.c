/* Scenario loader: values, defaults, includes, overrides, pattern groups,
 * deterministic effective text, and the exact one-line message of every
 * error case, including arbitrary bytes. Runs from the repo root. */
#include "cmocka_inc.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>

#include "scenario.h"

#define FIX(f) "tests/data/scenarios/" f

static const struct scn_key common[] = {
    {"run", "model", SCN_ENUM, -INFINITY, INFINITY, NULL, NULL, "the model to run"},
    {"run", "duration_s", SCN_DOUBLE, 0, INFINITY, NULL, "60",
     "simulated time, s; default: a minute"},
    {"run", "seed", SCN_INT, -INFINITY, INFINITY, NULL, "1", "master seed; default: 1"},
};
static const struct scn_key demo_keys[] = {
    {"demo", "arrival_rate_per_s", SCN_DOUBLE, 0, 1e6, NULL, NULL, "Poisson arrivals per second"},
    {"demo", "servers", SCN_INT, 1, 10000, NULL, "2", "number of servers; default: M/M/2"},
    {"demo", "service", SCN_ENUM, -INFINITY, INFINITY, "exponential|lognormal|constant",
     "exponential", "service-time distribution; default: M/M/c"},
    {"demo", "verbose", SCN_BOOL, -INFINITY, INFINITY, NULL, "false", "log every job"},
};
static const struct scn_key other_keys[] = {
    {"provider.*", "region", SCN_STRING, -INFINITY, INFINITY, NULL, NULL, "provider region"},
    {"provider.*", "latency_ms", SCN_DOUBLE, 0, INFINITY, NULL, "20", "one-way latency, ms"},
    {"provider.*", "spot", SCN_BOOL, -INFINITY, INFINITY, NULL, "false", "spot instances"},
};
static const struct scn_model models[] = {
    {"demo", demo_keys, G_N_ELEMENTS(demo_keys)},
    {"other", other_keys, G_N_ELEMENTS(other_keys)},
};

static scenario *load(const char *path, const char *const *ov, char **err) {
  return scenario_load(path, common, G_N_ELEMENTS(common), models, G_N_ELEMENTS(models), ov, err);
}

static scenario *load_ok(const char *path, const char *const *ov) {
  char *err = NULL;
  scenario *s = load(path, ov, &err);
  if (!s) fail_msg("unexpected error: %s", err);
  assert_null(err);
  return s;
}

/* Loading fails with exactly msg (or, with prefix, a message starting so). */
static void expect_err(const char *path, const char *const *ov, const char *msg, bool prefix) {
  char *err = NULL;
  scenario *s = load(path, ov, &err);
  assert_null(s);
  assert_non_null(err);
  assert_null(strchr(err, '\n'));
  if (prefix ? strncmp(err, msg, strlen(msg)) : strcmp(err, msg))
    fail_msg("error\n  got:  %s\n  want: %s%s", err, msg, prefix ? "..." : "");
  g_free(err);
}

static void expect_set_err(const char *set, const char *msg) {
  const char *ov[] = {set, NULL};
  expect_err(FIX("good.ini"), ov, msg, false);
}

static void test_good_values_and_text(void **state CM_UNUSED) {
  scenario *s = load_ok(FIX("good.ini"), NULL);
  assert_string_equal(scenario_path(s), FIX("good.ini"));
  assert_string_equal(scenario_model(s), "demo");
  assert_true(scenario_double(s, "run", "duration_s") == 120.0);
  assert_int_equal(scenario_int(s, "run", "seed"), 7);
  assert_true(scenario_double(s, "demo", "arrival_rate_per_s") == 50.5);
  assert_int_equal(scenario_int(s, "demo", "servers"), 4);
  assert_string_equal(scenario_string(s, "demo", "service"), "lognormal");
  assert_false(scenario_bool(s, "demo", "verbose"));
  assert_string_equal(scenario_string(s, "demo", "servers"), "4");
  assert_string_equal(scenario_string(s, "scenario", "description"), "demo with four servers");
  assert_true(scenario_has(s, "demo", "verbose"));
  assert_false(scenario_has(s, "scenario", "include"));
  assert_false(scenario_has(s, "demo", "nope"));
  assert_string_equal(scenario_text(s), "[scenario]\n"
                                        "description = demo with four servers\n"
                                        "\n"
                                        "[run]\n"
                                        "model = demo\n"
                                        "duration_s = 120\n"
                                        "seed = 7\n"
                                        "\n"
                                        "[demo]\n"
                                        "arrival_rate_per_s = 50.5\n"
                                        "servers = 4\n"
                                        "service = lognormal\n"
                                        "verbose = false\n");
  scenario_free(s);
}

static void test_defaults(void **state CM_UNUSED) {
  const char *ov[] = {"scenario.description=", NULL};
  scenario *s =
      load_ok(FIX("missing_required.ini"), (const char *[]){"demo.arrival_rate_per_s=2", NULL});
  assert_true(scenario_double(s, "run", "duration_s") == 60.0);
  assert_int_equal(scenario_int(s, "run", "seed"), 1);
  assert_string_equal(scenario_string(s, "demo", "service"), "exponential");
  assert_false(scenario_has(s, "scenario", "description"));
  assert_non_null(strstr(scenario_text(s), "[run]\nmodel = demo\nduration_s = 60\nseed = 1\n"));
  assert_null(strstr(scenario_text(s), "[scenario]"));
  scenario_free(s);
  s = load_ok(FIX("good.ini"), ov);
  assert_string_equal(scenario_string(s, "scenario", "description"), "");
  scenario_free(s);
}

static void test_deterministic_and_round_trip(void **state CM_UNUSED) {
  scenario *a = load_ok(FIX("with_include.ini"), NULL), *b = load_ok(FIX("with_include.ini"), NULL);
  assert_string_equal(scenario_text(a), scenario_text(b));
  GError *ge = NULL;
  char *dir = g_dir_make_tmp("scenario-XXXXXX", &ge);
  assert_non_null(dir);
  char *p = g_build_filename(dir, "effective.ini", NULL);
  assert_true(g_file_set_contents(p, scenario_text(a), -1, NULL));
  scenario *c = load_ok(p, NULL);
  assert_string_equal(scenario_text(a), scenario_text(c));
  scenario_free(a);
  scenario_free(b);
  scenario_free(c);
  unlink(p);
  rmdir(dir);
  g_free(p);
  g_free(dir);
}

static void test_includes(void **state CM_UNUSED) {
  scenario *s = load_ok(FIX("with_include.ini"), NULL);
  assert_true(scenario_double(s, "run", "duration_s") == 30.0);            /* defaults.ini */
  assert_true(scenario_double(s, "demo", "arrival_rate_per_s") == 10);     /* defaults.ini */
  assert_int_equal(scenario_int(s, "demo", "servers"), 8);                 /* includer wins */
  assert_string_equal(scenario_string(s, "demo", "service"), "lognormal"); /* 2nd include */
  assert_null(strstr(scenario_text(s), "include"));
  assert_non_null(
      strstr(scenario_text(s), "[scenario]\ndescription = defaults plus eight servers\n"));
  scenario_free(s);
  const char *cycle = FIX("cycle_b.ini") ":2: [scenario] include: found 'cycle_a.ini', "
                      "expected no include cycle (" FIX("cycle_a.ini") " -> " FIX("cycle_b.ini")
                      " -> " FIX("cycle_a.ini") ")";
  expect_err(FIX("cycle_a.ini"), NULL, cycle, false);
  const char *missing = FIX("missing_include.ini") ":2: [scenario] include: found 'nope.ini', "
                        "expected a readable file (" FIX("nope.ini") ": No such file or directory)";
  expect_err(FIX("missing_include.ini"), NULL, missing, false);
}

static void test_overrides(void **state CM_UNUSED) {
  const char *ov[] = {"demo.servers=16",   "run.duration_s=2.5e1",      "demo.service=constant",
                      "demo.verbose=true", "scenario.description=a\nb", NULL};
  scenario *s = load_ok(FIX("good.ini"), ov);
  assert_int_equal(scenario_int(s, "demo", "servers"), 16);
  assert_true(scenario_double(s, "run", "duration_s") == 25.0);
  assert_string_equal(scenario_string(s, "demo", "service"), "constant");
  assert_true(scenario_bool(s, "demo", "verbose"));
  assert_string_equal(scenario_string(s, "scenario", "description"), "a\nb");
  const char *t = scenario_text(s);
  assert_non_null(strstr(t, "servers = 16\n"));
  assert_non_null(strstr(t, "duration_s = 2.5e1\n"));
  assert_non_null(strstr(t, "description = a\\nb\n"));
  scenario_free(s);
  /* Accepted forms; numbers, bools and enums are kept stripped. */
  const char *forms[] = {"demo.arrival_rate_per_s=1e3", "demo.arrival_rate_per_s=+.5",
                         "demo.arrival_rate_per_s=5.", "run.seed=-3", NULL};
  for (int i = 0; forms[i]; i++)
    scenario_free(load_ok(FIX("good.ini"), (const char *[]){forms[i], NULL}));
  s = load_ok(FIX("good.ini"),
              (const char *[]){"demo.servers= 16 ", "demo.service= constant ", NULL});
  assert_non_null(strstr(scenario_text(s), "servers = 16\nservice = constant\n"));
  assert_string_equal(scenario_string(s, "demo", "service"), "constant");
  scenario_free(s);
  s = load_ok(FIX("other.ini"), (const char *[]){"provider.aws.region=eu-north-1", NULL});
  assert_string_equal(scenario_string(s, "provider.aws", "region"), "eu-north-1");
  scenario_free(s);
  expect_set_err("xyz", "--set 'xyz': expected group.key=value");
  expect_set_err("demo.servers", "--set 'demo.servers': expected group.key=value");
  expect_set_err("servers=3", "--set 'servers=3': expected group.key=value");
  expect_set_err(".servers=3", "--set '.servers=3': expected group.key=value");
  expect_set_err("demo.=3", "--set 'demo.=3': expected group.key=value");
  expect_set_err("demo.srevers=3",
                 "--set demo.srevers=3: [demo] srevers: unknown key; did you mean 'servers'?");
  expect_set_err("dmeo.servers=3",
                 "--set dmeo.servers=3: [dmeo]: unknown group; did you mean [demo]?");
  expect_set_err("run.model=dmeo", "--set run.model=dmeo: [run] model: found 'dmeo', expected one "
                                   "of: demo, other; did you mean 'demo'?");
  expect_set_err("scenario.include=x.ini", "--set scenario.include=x.ini: [scenario] include: "
                                           "cannot be set by --set; include from a file");
}

static void test_type_errors(void **state CM_UNUSED) {
  const char *dbl[] = {"nan", "inf", "-inf", "1.5x", "", " ", "0x10", "1e999", "e5", "1e", "."};
  for (size_t i = 0; i < G_N_ELEMENTS(dbl); i++) {
    char *set = g_strdup_printf("demo.arrival_rate_per_s=%s", dbl[i]);
    char *msg = g_strdup_printf("--set %s: [demo] arrival_rate_per_s: found '%s', expected a "
                                "number in [0, 1e+06]",
                                set, dbl[i]);
    expect_set_err(set, msg);
    g_free(set);
    g_free(msg);
  }
  const char *ints[] = {"1.5", "1e3", "0", "10001", "abc", "", "99999999999999999999", "0x10"};
  for (size_t i = 0; i < G_N_ELEMENTS(ints); i++) {
    char *set = g_strdup_printf("demo.servers=%s", ints[i]);
    char *msg = g_strdup_printf("--set %s: [demo] servers: found '%s', expected an integer in "
                                "[1, 10000]",
                                set, ints[i]);
    expect_set_err(set, msg);
    g_free(set);
    g_free(msg);
  }
  expect_set_err("demo.verbose=yes",
                 "--set demo.verbose=yes: [demo] verbose: found 'yes', expected true or false");
  expect_set_err("demo.verbose=1",
                 "--set demo.verbose=1: [demo] verbose: found '1', expected true or false");
  expect_set_err("run.duration_s=-1",
                 "--set run.duration_s=-1: [run] duration_s: found '-1', expected a number >= 0");
  expect_set_err("demo.service=zzzzzzzz",
                 "--set demo.service=zzzzzzzz: [demo] service: found "
                 "'zzzzzzzz', expected one of: exponential, lognormal, constant");
}

static void test_file_errors(void **state CM_UNUSED) {
  expect_err(FIX("does_not_exist.ini"), NULL,
             FIX("does_not_exist.ini") ": cannot open: No such file or directory", false);
  expect_err(FIX("empty.ini"), NULL,
             FIX("empty.ini") ": empty scenario; expected a [run] group "
                              "with model = one of: demo, other",
             false);
  expect_err(FIX("comments_only.ini"), NULL,
             FIX("comments_only.ini") ": empty scenario; expected "
                                      "a [run] group with model = one of: demo, other",
             false);
  expect_err(FIX("not_ini.ini"), NULL, FIX("not_ini.ini") ": not a scenario file (", true);
  expect_err(FIX("unknown_group.ini"), NULL,
             FIX("unknown_group.ini") ":7: [dmeo]: unknown group; did you mean [demo]?", false);
  expect_err(FIX("unknown_group_far.ini"), NULL,
             FIX("unknown_group_far.ini") ":4: [zzzzzzzzzz]: "
                                          "unknown group; known groups: [scenario], [run], [demo]",
             false);
  expect_err(FIX("unknown_key.ini"), NULL,
             FIX("unknown_key.ini") ":6: [demo] servrs: unknown key; did you mean 'servers'?",
             false);
  expect_err(FIX("bad_int.ini"), NULL,
             FIX("bad_int.ini") ":6: [demo] servers: found 'abc', "
                                "expected an integer in [1, 10000]",
             false);
  expect_err(FIX("bad_range.ini"), NULL,
             FIX("bad_range.ini") ":6: [demo] arrival_rate_per_s: "
                                  "found '-5', expected a number in [0, 1e+06]",
             false);
  expect_err(FIX("bad_enum.ini"), NULL,
             FIX("bad_enum.ini") ":6: [demo] service: found "
                                 "'lognormel', expected one of: exponential, lognormal, constant; "
                                 "did you mean "
                                 "'lognormal'?",
             false);
  expect_err(FIX("missing_required.ini"), NULL,
             FIX("missing_required.ini") ": [demo] "
                                         "arrival_rate_per_s: missing; expected a number in [0, "
                                         "1e+06] (meaning: Poisson "
                                         "arrivals per second)",
             false);
  expect_err(FIX("bad_model.ini"), NULL,
             FIX("bad_model.ini") ":2: [run] model: found 'dmeo', "
                                  "expected one of: demo, other; did you mean 'demo'?",
             false);
  expect_err(FIX("no_run.ini"), NULL,
             FIX("no_run.ini") ": [run] model: missing; expected one "
                               "of: demo, other (meaning: the model to run)",
             false);
}

static void test_patterns(void **state CM_UNUSED) {
  scenario *s = load_ok(FIX("other.ini"), NULL);
  assert_string_equal(scenario_model(s), "other");
  const char *const *g = scenario_groups(s, "provider.*");
  assert_string_equal(g[0], "provider.aws");
  assert_string_equal(g[1], "provider.gcp");
  assert_null(g[2]);
  assert_true(scenario_groups(s, "provider.*") == g);
  assert_null(scenario_groups(s, "demo.*")[0]);
  assert_string_equal(scenario_groups(s, "run")[0], "run");
  assert_true(scenario_double(s, "provider.aws", "latency_ms") == 35);
  assert_true(scenario_double(s, "provider.gcp", "latency_ms") == 20); /* default */
  assert_true(scenario_bool(s, "provider.gcp", "spot"));
  assert_false(scenario_has(s, "provider.azure", "region"));
  assert_string_equal(scenario_text(s), "[run]\nmodel = other\nduration_s = 60\nseed = 1\n\n"
                                        "[provider.aws]\nregion = us-east-1\nlatency_ms = 35\n"
                                        "spot = false\n\n[provider.gcp]\nregion = europe-west1\n"
                                        "latency_ms = 20\nspot = true\n");
  scenario_free(s);
  expect_err(
      FIX("bad_pattern.ini"), NULL,
      FIX("bad_pattern.ini") ":4: [providr.aws]: unknown group; did you mean [provider.aws]?",
      false);
  expect_err(
      FIX("pattern_missing.ini"), NULL,
      FIX("pattern_missing.ini") ": [provider.aws] "
                                 "region: missing; expected a string (meaning: provider region)",
      false);
  /* The model can be switched with --set; demo's groups are unknown to the other model. */
  expect_err(FIX("good.ini"), (const char *[]){"run.model=other", NULL},
             FIX("good.ini") ":10: [demo]: unknown group; known groups: [scenario], [run], "
                             "[provider.*]",
             false);
}

/* Writes len bytes to a fresh temp file and expects "PATH: <msg>...". */
static void expect_bytes_err(const char *bytes, size_t len, const char *msg) {
  char *dir = g_dir_make_tmp("scenario-XXXXXX", NULL);
  char *p = g_build_filename(dir, "bytes.ini", NULL);
  assert_true(g_file_set_contents(p, bytes, (gssize)len, NULL));
  char *want = g_strdup_printf("%s: %s", p, msg);
  expect_err(p, NULL, want, true);
  unlink(p);
  rmdir(dir);
  g_free(want);
  g_free(p);
  g_free(dir);
}

static void test_binary(void **state CM_UNUSED) {
  char buf[4096];
  GRand *r = g_rand_new_with_seed(20240601);
  for (size_t i = 0; i < sizeof buf; i++) buf[i] = (char)g_rand_int_range(r, 0, 256);
  expect_bytes_err(buf, sizeof buf, "not a scenario file (");
  const char nul[] = "[run]\nmodel = demo\0\n";
  expect_bytes_err(nul, sizeof nul - 1, "not a scenario file (contains NUL bytes)");
  const char bad[] = "[run]\nmodel = d\xff\xfemo\n";
  expect_bytes_err(bad, sizeof bad - 1, "not a scenario file (invalid UTF-8 on line 2)");
  const char ctl[] = "[run]\n\x1b[31mmodel\r\x07 demo\n";
  expect_bytes_err(ctl, sizeof ctl - 1, "not a scenario file (");
  /* Mutated copies of a good file: never crash, every error is one line. */
  char *good = NULL;
  gsize n = 0;
  assert_true(g_file_get_contents(FIX("good.ini"), &good, &n, NULL));
  char *dir = g_dir_make_tmp("scenario-XXXXXX", NULL);
  char *p = g_build_filename(dir, "fuzz.ini", NULL);
  for (int it = 0; it < 300; it++) {
    char *m = g_memdup2(good, n);
    for (int k = g_rand_int_range(r, 1, 4); k > 0; k--)
      m[g_rand_int_range(r, 0, (gint32)n)] = (char)g_rand_int_range(r, 0, 256);
    assert_true(g_file_set_contents(p, m, (gssize)n, NULL));
    char *err = NULL;
    scenario *s = load(p, NULL, &err);
    assert_true((s == NULL) != (err == NULL));
    if (err) assert_null(strchr(err, '\n'));
    scenario_free(s);
    g_free(err);
    g_free(m);
  }
  unlink(p);
  rmdir(dir);
  g_free(p);
  g_free(dir);
  g_free(good);
  g_rand_free(r);
}

/* Runs an accessor misuse in a child; it must abort via cm_fatal. */
static void expect_abort(int which) {
  scenario *s = load_ok(FIX("good.ini"), NULL);
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    if (!freopen("/dev/null", "w", stderr)) _exit(3);
    if (which == 0) (void)scenario_int(s, "demo", "nope");
    if (which == 1) (void)scenario_int(s, "demo", "arrival_rate_per_s");
    if (which == 2) (void)scenario_string(s, "provider.aws", "region");
    _exit(0);
  }
  int st = 0;
  assert_int_equal(waitpid(pid, &st, 0), pid);
  assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
  scenario_free(s);
}

static void test_accessor_misuse(void **state CM_UNUSED) {
  for (int i = 0; i < 3; i++) expect_abort(i);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_good_values_and_text),
      cmocka_unit_test(test_defaults),
      cmocka_unit_test(test_deterministic_and_round_trip),
      cmocka_unit_test(test_includes),
      cmocka_unit_test(test_overrides),
      cmocka_unit_test(test_type_errors),
      cmocka_unit_test(test_file_errors),
      cmocka_unit_test(test_patterns),
      cmocka_unit_test(test_binary),
      cmocka_unit_test(test_accessor_misuse),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
