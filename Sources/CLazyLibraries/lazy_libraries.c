// SQLite, libxml2 and libcrypto, loaded when first called rather than when
// the process starts. Linked normally, every command loaded them and what
// they need (libxml2 brings ICU's 30 MB of data, libicuuc, zlib, liblzma;
// `-lssl` came with pkg-config's openssl) and ran their relocations and
// constructors before `main`: ~5 ms of CPU of a process that, replaying a
// no-op record (docs/performance.md), needs none of them. lazy_stubs.S
// defines every function cbuild imports from them (lazy_symbols.h), so the
// link binds every call to a stub; scripts/release-build then removes the
// libraries from the executable's needed list (the link cannot: SwiftPM
// puts pkg-config's -L/usr/lib/... first, and -Xlinker flags come after
// the -l's, so --as-needed does not reach them). The first call of a stub
// loads its library (dlopen) and resolves all of that library's functions,
// once, under a lock. Debug builds keep the libraries loaded at start; the
// stubs then resolve to the same, already loaded, libraries.
//
// On other architectures than x86-64 the stubs do not exist: this target
// would have to be left out there (the libraries then link as usual).
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include "CLazyLibraries.h"
#include "lazy_symbols.h"

#if defined(__x86_64__) && defined(__linux__)

#define COUNT_ONE(library, name) + 1
enum { SYMBOL_COUNT = 0 LAZY_SYMBOLS(COUNT_ONE) };

/// Resolved addresses, read by the stubs (0: not yet).
void *cbuild_lazy_slots[SYMBOL_COUNT];

#define NAME_OF(library, name) #name,
static const char *const names[SYMBOL_COUNT] = { LAZY_SYMBOLS(NAME_OF) };
#define LIBRARY_OF(library, name) library,
static const unsigned char libraries[SYMBOL_COUNT] = { LAZY_SYMBOLS(LIBRARY_OF) };

static const struct { const char *soname, *package; } library_files[] = {
    [LAZY_SQLITE] = { "libsqlite3.so.0", "libsqlite3-0" },
    [LAZY_XML] = { "libxml2.so.2", "libxml2" },
    [LAZY_CRYPTO] = { "libcrypto.so.3", "libssl3" },
};
static void *handles[sizeof library_files / sizeof *library_files];
static pthread_mutex_t loading = PTHREAD_MUTEX_INITIALIZER;

static void *load_locked(int library) {
    if (handles[library]) return handles[library];
    void *handle = dlopen(library_files[library].soname, RTLD_NOW | RTLD_GLOBAL);
    if (!handle) {
        fprintf(stderr, "cbuild: error: cannot load %s: %s (install Debian's %s)\n",
                library_files[library].soname, dlerror(), library_files[library].package);
        exit(1);
    }
    for (int i = 0; i < SYMBOL_COUNT; i++) {
        if (libraries[i] != library) continue;
        void *address = dlsym(handle, names[i]);
        if (!address) {
            fprintf(stderr, "cbuild: error: %s has no %s\n", library_files[library].soname, names[i]);
            exit(1);
        }
        __atomic_store_n(&cbuild_lazy_slots[i], address, __ATOMIC_RELEASE);
    }
    handles[library] = handle;
    return handle;
}

__attribute__((visibility("hidden"))) void *cbuild_lazy_resolve(unsigned index) {
    pthread_mutex_lock(&loading);
    load_locked(libraries[index]);
    pthread_mutex_unlock(&loading);
    return __atomic_load_n(&cbuild_lazy_slots[index], __ATOMIC_ACQUIRE);
}

// libxml2's one variable Foundation reads: its free function. Until
// libxml2 is loaded (it is by any call that returned something to free),
// it points here, which frees with libxml2's own.
static void free_through_libxml2(void *pointer) {
    pthread_mutex_lock(&loading);
    void *handle = load_locked(LAZY_XML);
    pthread_mutex_unlock(&loading);
    void (**real)(void *) = (void (**)(void *))dlsym(handle, "xmlFree");
    if (real && *real && *real != free_through_libxml2) (*real)(pointer); else free(pointer);
}
void (*xmlFree)(void *) = free_through_libxml2;

#endif
