#ifndef CBUILD_CLAZYLIBRARIES_H
#define CBUILD_CLAZYLIBRARIES_H
// Nothing to call from Swift: lazy_stubs.S defines the SQLite, libxml2 and
// libcrypto functions cbuild calls, loading each library on the first call
// of one of its functions (lazy_libraries.c).
#endif
