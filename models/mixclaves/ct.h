/* Constant-time bookkeeping for the ctgrind-style check (make check-ct):
 * ct_declassify marks bytes derived from secrets as public at the few
 * points where the protocol acts on them by design. */
#ifndef MIXCLAVES_CT_H
#define MIXCLAVES_CT_H

#include <stddef.h>

/* Under valgrind memcheck a secret is "undefined" memory, so every branch
 * or memory index that depends on it is reported (tests/ct/ct_sphinx.c).
 * ct_declassify(p, n) tells memcheck that p[0..n) is now public. Outside
 * valgrind the client request is a few instructions that do nothing; without
 * the header it compiles to nothing at all. Every call site says why the
 * bytes are public. */
#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define CT_MEMCHECK 1
#endif
#endif

static inline void ct_declassify(const void *p, size_t n) {
#ifdef CT_MEMCHECK
  (void)VALGRIND_MAKE_MEM_DEFINED(p, n);
#else
  (void)p;
  (void)n;
#endif
}

#endif
