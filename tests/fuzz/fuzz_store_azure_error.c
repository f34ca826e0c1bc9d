/* libFuzzer target: the Azure Blob client's readers of untrusted answers,
 * on arbitrary bodies in a buffer of their exact size (never a read past
 * len): the <Error> body (store_http__parse_error, as Azure words it) and
 * a List Blobs page (store_azure__list_page: a marker only with success,
 * never empty, nothing leaked). Build and run: make fuzz. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "store_azure.h"
#include "store_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *body = malloc(size ? size : 1);
  memcpy(body, data, size);
  struct store_http_error e;
  if (store_http__parse_error(body, size, &e)) {
    CHECK(e.code[0] && strnlen(e.code, sizeof e.code) < sizeof e.code);
    CHECK(strnlen(e.message, sizeof e.message) < sizeof e.message);
  }
  GPtrArray *keys = g_ptr_array_new_with_free_func(g_free);
  char *next = NULL;
  int rc = store_azure__list_page(body, size, keys, &next);
  CHECK(rc == 0 || rc == CM_EPARSE || rc == CM_ERANGE);
  if (rc) CHECK(next == NULL);
  if (next) CHECK(next[0]);
  if (rc == 0) CHECK(memmem(body, size, "<EnumerationResults", 19));
  g_free(next);
  g_ptr_array_free(keys, TRUE);
  free(body);
  return 0;
}
