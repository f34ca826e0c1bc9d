/* The pure parts of the Azure Blob client (real/store_azure.c), for its
 * unit test and fuzz target: the Shared Key StringToSign and its
 * signature, and the reading of a listing page. */
#ifndef CM_STORE_AZURE_H
#define CM_STORE_AZURE_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

/* One request as Shared Key signs it ("Authorize with Shared Key",
 * version 2009-09-19 and later). Strings are borrowed; NULL is "". */
struct azure_sign_req {
  const char *verb;           /* "PUT", "GET", "DELETE" */
  const char *content_length; /* decimal, "" (or NULL) when the body is empty */
  const char *content_md5;    /* base64, or "" */
  const char *content_type;
  const char *const *ms_headers; /* "x-ms-name:value" (name lower-case), NULL-terminated, any order */
  const char *account;
  const char *path;              /* the URL's path, as sent (percent-encoded) */
  const char *const *query;      /* "name=value", decoded, NULL-terminated, any order; NULL: none */
};

/* The StringToSign (g_malloc'd): VERB, the eleven standard headers (Date
 * empty: x-ms-date is sent), the x-ms-* headers sorted by name, then the
 * canonicalized resource "/ACCOUNT" + path and "\nname:value" per query
 * parameter, names lower-case and sorted. */
char *store_azure__string_to_sign(const struct azure_sign_req *r);
/* base64(HMAC-SHA256(key, sts)) (g_malloc'd); key is the decoded account key. */
char *store_azure__signature(const uint8_t *key, size_t key_len, const char *sts);

/* One List Blobs page (an <EnumerationResults> body of n bytes): its blob
 * names appended to keys (char*, g_malloc'd), *next the NextMarker to ask
 * for (g_malloc'd) or NULL on the last page. 0, CM_EPARSE (not a listing,
 * a malformed name) or CM_ERANGE (more than STORE_HTTP_LIST_KEYS_MAX names). */
int store_azure__list_page(const char *b, size_t n, GPtrArray *keys, char **next);

#endif
