/* Option parsing shared by the subcommands: GOption's parse, with a "did
 * you mean" for an unknown long option, the nearest of the subcommand's
 * own options by edit distance (scenario_word_suggest, the helper scenario
 * keys use). */
#include <string.h>

#include "cli.h"

/* The unknown option in GOption's message ("Unknown option --polcy"): the
 * last word, without "--" and any "=VALUE"; NULL if it is not a long one.
 * g_malloc'd. */
static char *unknown_long(const char *message) {
  const char *w = strrchr(message, ' ');
  w = w ? w + 1 : message;
  if (!g_str_has_prefix(w, "--") || !w[2]) return NULL;
  return g_strndup(w + 2, strcspn(w + 2, "="));
}

int cli_options_parse(GOptionContext *ctx, const GOptionEntry *entries, int *argc, char ***argv, char **msg) {
  GError *gerr = NULL;
  if (g_option_context_parse(ctx, argc, argv, &gerr)) return 1;
  char *word = NULL;
  if (g_error_matches(gerr, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION)) word = unknown_long(gerr->message);
  if (word) {
    GPtrArray *cands = g_ptr_array_new();
    g_ptr_array_add(cands, "help"); /* first: it wins a tie (--hlep is as near --keep) */
    for (const GOptionEntry *e = entries; e && e->long_name; e++) g_ptr_array_add(cands, (char *)e->long_name);
    g_ptr_array_add(cands, NULL);
    char *hint = scenario_word_suggest(word, (char *const *)cands->pdata, "--", "", NULL);
    *msg = *hint ? g_strdup_printf("%s; %s", gerr->message, hint) : g_strdup(gerr->message);
    g_free(hint);
    g_ptr_array_free(cands, TRUE);
    g_free(word);
  } else *msg = g_strdup(gerr->message);
  g_error_free(gerr);
  return 0;
}

int cli_usage_error(const char *cmd, GOptionContext *ctx, const char *msg) {
  fprintf(stderr, "cloudmix %s: %s\nRun 'cloudmix %s --help' for usage.\n", cmd, msg, cmd);
  if (ctx) g_option_context_free(ctx);
  return CM_EXIT_USAGE;
}
