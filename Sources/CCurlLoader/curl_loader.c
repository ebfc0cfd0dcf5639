// libcurl, loaded when FoundationNetworking first calls it rather than when
// the process starts. Linked statically (`--static-swift-stdlib`),
// FoundationNetworking's C part calls these 23 libcurl functions; linking
// libcurl itself made every command load it and the ~35 libraries it
// needs (GnuTLS, Kerberos, LDAP, SSH, ...) before `main`: ~9 ms of the
// 13 ms it took `cbuild --version` to start, for the few commands that
// speak HTTP. Each function below resolves the real one from
// libcurl.so.4 on its first call and forwards to it. `link/libcurl.so`
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

static void *library;
static pthread_once_t loaded = PTHREAD_ONCE_INIT;

static void load(void) {
  library = dlopen("libcurl.so.4", RTLD_NOW | RTLD_GLOBAL);
  if (library == NULL) {
    fprintf(stderr, "cbuild: error: cannot load libcurl.so.4 for HTTP (install Debian's libcurl4): %s\n", dlerror());
    abort();
  }
}

static void *resolve(const char *name) {
  pthread_once(&loaded, load);
  void *function = dlsym(library, name);
  if (function == NULL) {
    fprintf(stderr, "cbuild: error: libcurl.so.4 has no %s\n", name);
    abort();
  }
  return function;
}

int cbuild_curl_is_loaded(void) { return library != NULL; }

void * curl_easy_init(void) {
  static void * (*real)(void);
  if (real == NULL) real = resolve("curl_easy_init");
  return real();
}

void curl_easy_cleanup(void *handle) {
  static void (*real)(void *handle);
  if (real == NULL) real = resolve("curl_easy_cleanup");
  real(handle);
}

int curl_easy_pause(void *handle, int bitmask) {
  static int (*real)(void *handle, int bitmask);
  if (real == NULL) real = resolve("curl_easy_pause");
  return real(handle, bitmask);
}

const char * curl_easy_strerror(int code) {
  static const char * (*real)(int code);
  if (real == NULL) real = resolve("curl_easy_strerror");
  return real(code);
}

void curl_free(void *p) {
  static void (*real)(void *p);
  if (real == NULL) real = resolve("curl_free");
  real(p);
}

int curl_global_init(long flags) {
  static int (*real)(long flags);
  if (real == NULL) real = resolve("curl_global_init");
  return real(flags);
}

int curl_multi_add_handle(void *multi, void *handle) {
  static int (*real)(void *multi, void *handle);
  if (real == NULL) real = resolve("curl_multi_add_handle");
  return real(multi, handle);
}

int curl_multi_assign(void *multi, int socket, void *pointer) {
  static int (*real)(void *multi, int socket, void *pointer);
  if (real == NULL) real = resolve("curl_multi_assign");
  return real(multi, socket, pointer);
}

int curl_multi_cleanup(void *multi) {
  static int (*real)(void *multi);
  if (real == NULL) real = resolve("curl_multi_cleanup");
  return real(multi);
}

void * curl_multi_info_read(void *multi, int *queued) {
  static void * (*real)(void *multi, int *queued);
  if (real == NULL) real = resolve("curl_multi_info_read");
  return real(multi, queued);
}

void * curl_multi_init(void) {
  static void * (*real)(void);
  if (real == NULL) real = resolve("curl_multi_init");
  return real();
}

int curl_multi_remove_handle(void *multi, void *handle) {
  static int (*real)(void *multi, void *handle);
  if (real == NULL) real = resolve("curl_multi_remove_handle");
  return real(multi, handle);
}

int curl_multi_socket_action(void *multi, int socket, int events, int *running) {
  static int (*real)(void *multi, int socket, int events, int *running);
  if (real == NULL) real = resolve("curl_multi_socket_action");
  return real(multi, socket, events, running);
}

void * curl_slist_append(void *list, const char *string) {
  static void * (*real)(void *list, const char *string);
  if (real == NULL) real = resolve("curl_slist_append");
  return real(list, string);
}

void curl_slist_free_all(void *list) {
  static void (*real)(void *list);
  if (real == NULL) real = resolve("curl_slist_free_all");
  real(list);
}

void * curl_url(void) {
  static void * (*real)(void);
  if (real == NULL) real = resolve("curl_url");
  return real();
}

int curl_url_get(void *url, int part, char **out, unsigned int flags) {
  static int (*real)(void *url, int part, char **out, unsigned int flags);
  if (real == NULL) real = resolve("curl_url_get");
  return real(url, part, out, flags);
}

int curl_url_set(void *url, int part, const char *content, unsigned int flags) {
  static int (*real)(void *url, int part, const char *content, unsigned int flags);
  if (real == NULL) real = resolve("curl_url_set");
  return real(url, part, content, flags);
}

char * curl_version(void) {
  static char * (*real)(void);
  if (real == NULL) real = resolve("curl_version");
  return real();
}

void * curl_version_info(int age) {
  static void * (*real)(int age);
  if (real == NULL) real = resolve("curl_version_info");
  return real(age);
}

int curl_easy_setopt(void *handle, int option, ...) {
  static int (*real)(void *, int, ...);
  if (real == NULL) real = resolve("curl_easy_setopt");
  va_list arguments;
  va_start(arguments, option);
  void *argument = va_arg(arguments, void *);
  va_end(arguments);
  return real(handle, option, argument);
}

int curl_easy_getinfo(void *handle, int option, ...) {
  static int (*real)(void *, int, ...);
  if (real == NULL) real = resolve("curl_easy_getinfo");
  va_list arguments;
  va_start(arguments, option);
  void *argument = va_arg(arguments, void *);
  va_end(arguments);
  return real(handle, option, argument);
}

int curl_multi_setopt(void *handle, int option, ...) {
  static int (*real)(void *, int, ...);
  if (real == NULL) real = resolve("curl_multi_setopt");
  va_list arguments;
  va_start(arguments, option);
  void *argument = va_arg(arguments, void *);
  va_end(arguments);
  return real(handle, option, argument);
}
