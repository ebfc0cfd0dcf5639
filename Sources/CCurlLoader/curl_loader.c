// libcurl, loaded when FoundationNetworking first calls it rather than when
// the process starts. Linked statically (`--static-swift-stdlib`),
// FoundationNetworking's C part calls these 23 libcurl functions; linking
// libcurl itself made every command load it and the ~35 libraries it
// needs (GnuTLS, Kerberos, LDAP, SSH, ...) before `main`: ~9 ms of the
// 13 ms it took `cbuild --version` to start, for the few commands that
// speak HTTP. The first call of any of them loads libcurl.so.4 and
// resolves all of them, once (`pthread_once`); each forwards to its own. `link/libcurl.so`
// is an empty linker script, so the `-lcurl` FoundationNetworking asks for
// links nothing. With a dynamically linked Foundation (debug builds) the
// shared FoundationNetworking still links libcurl itself and these are
// not used or are forwarded to the same library.
//
// The three variadic functions take exactly one argument after the
// option in libcurl's API (a long, a pointer, a curl_off_t or a function
// pointer: each passed in one integer register on x86-64 and AArch64),
// which is forwarded as it came.
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "CCurlLoader.h"

// Every function FoundationNetworking calls: return type, name, parameters, arguments.
#define CURL_FUNCTIONS(X) \
  X(void *, curl_easy_init, (void), ()) \
  X(int, curl_easy_pause, (void *handle, int bitmask), (handle, bitmask)) \
  X(const char *, curl_easy_strerror, (int code), (code)) \
  X(int, curl_global_init, (long flags), (flags)) \
  X(int, curl_multi_add_handle, (void *multi, void *handle), (multi, handle)) \
  X(int, curl_multi_assign, (void *multi, int socket, void *pointer), (multi, socket, pointer)) \
  X(int, curl_multi_cleanup, (void *multi), (multi)) \
  X(void *, curl_multi_info_read, (void *multi, int *queued), (multi, queued)) \
  X(void *, curl_multi_init, (void), ()) \
  X(int, curl_multi_remove_handle, (void *multi, void *handle), (multi, handle)) \
  X(int, curl_multi_socket_action, (void *multi, int socket, int events, int *running), (multi, socket, events, running)) \
  X(void *, curl_slist_append, (void *list, const char *string), (list, string)) \
  X(void *, curl_url, (void), ()) \
  X(int, curl_url_get, (void *url, int part, char **out, unsigned int flags), (url, part, out, flags)) \
  X(int, curl_url_set, (void *url, int part, const char *content, unsigned int flags), (url, part, content, flags)) \
  X(char *, curl_version, (void), ()) \
  X(void *, curl_version_info, (int age), (age))

// Those returning nothing: name, parameters, arguments.
#define CURL_VOID_FUNCTIONS(X) \
  X(curl_easy_cleanup, (void *handle), (handle)) \
  X(curl_free, (void *p), (p)) \
  X(curl_slist_free_all, (void *list), (list))

// The variadic ones: one argument after the option, forwarded as it came.
#define CURL_OPTION_FUNCTIONS(X) X(curl_easy_setopt) X(curl_easy_getinfo) X(curl_multi_setopt)

static struct {
#define FIELD(ret, name, params, args) ret (*name) params;
#define VOID_FIELD(name, params, args) void (*name) params;
#define OPTION_FIELD(name) int (*name)(void *, int, ...);
  CURL_FUNCTIONS(FIELD)
  CURL_VOID_FUNCTIONS(VOID_FIELD)
  CURL_OPTION_FUNCTIONS(OPTION_FIELD)
} real;
static pthread_once_t loaded = PTHREAD_ONCE_INIT;

static void *resolve(void *library, const char *name) {
  void *function = dlsym(library, name);
  if (function == NULL) {
    fprintf(stderr, "cbuild: error: libcurl.so.4 has no %s\n", name);
    abort();
  }
  return function;
}

static void load(void) {
  void *library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_GLOBAL);
  if (library == NULL) {
    fprintf(stderr, "cbuild: error: cannot load libcurl.so.4 for HTTP (install Debian's libcurl4): %s\n", dlerror());
    abort();
  }
#define RESOLVE(ret, name, params, args) real.name = resolve(library, #name);
#define RESOLVE_VOID(name, params, args) real.name = resolve(library, #name);
#define RESOLVE_OPTION(name) real.name = resolve(library, #name);
  CURL_FUNCTIONS(RESOLVE)
  CURL_VOID_FUNCTIONS(RESOLVE_VOID)
  CURL_OPTION_FUNCTIONS(RESOLVE_OPTION)
}

#define FORWARD(ret, name, params, args) \
  ret name params { pthread_once(&loaded, load); return real.name args; }
#define FORWARD_VOID(name, params, args) \
  void name params { pthread_once(&loaded, load); real.name args; }
#define FORWARD_OPTION(name) \
  int name(void *handle, int option, ...) { \
    pthread_once(&loaded, load); \
    va_list arguments; \
    va_start(arguments, option); \
    void *argument = va_arg(arguments, void *); \
    va_end(arguments); \
    return real.name(handle, option, argument); \
  }
CURL_FUNCTIONS(FORWARD)
CURL_VOID_FUNCTIONS(FORWARD_VOID)
CURL_OPTION_FUNCTIONS(FORWARD_OPTION)
