// The process watching its own file-system reads (see CReadTrace.h).
//
// The functions below have the names of the libc functions the cbuild
// executables (and the libraries they load) call to look at or change
// files. Defined in the executable, they are the ones every caller binds
// to; each calls libc's own function (found once with dlsym(RTLD_NEXT))
// and, while watching, remembers what was looked at. When not watching they
// only pass the call on.
//
// Linux only: elsewhere the file compiles to nothing and no run is recorded.
#undef _FORTIFY_SOURCE
#define _GNU_SOURCE 1
#include "CReadTrace.h"

#ifdef __linux__
#include "trace_internal.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

// MARK: - libc's own functions

// glibc's checking variants, which code built with _FORTIFY_SOURCE calls
// instead (not declared here, where fortification is off).
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);
char *__realpath_chk(const char *path, char *resolved, size_t resolved_length);
ssize_t __readlink_chk(const char *path, char *buffer, size_t length, size_t buffer_length);

// X(name): every function this file defines, resolved together.
#define TRACE_FUNCTIONS(X) \
    X(stat) X(stat64) X(lstat) X(lstat64) X(fstatat) X(fstatat64) X(access) X(faccessat) \
    X(open) X(open64) X(openat) X(openat64) X(fopen) X(fopen64) X(opendir) X(readlink) X(realpath) \
    X(fts_read) X(mkdir) X(rmdir) X(unlink) X(unlinkat) X(rename) X(renameat) X(link) X(symlink) \
    X(chmod) X(truncate) X(utimensat) X(utimes) X(chdir) X(fchdir) X(posix_spawn) X(posix_spawnp) \
    X(execve) X(execvp) X(execvpe) X(fork) X(connect) X(statx) \
    X(__open_2) X(__open64_2) X(__openat_2) X(__openat64_2) X(__realpath_chk) X(__readlink_chk)

#define DECLARE_REAL(name) static __typeof__(name) *real_##name;
TRACE_FUNCTIONS(DECLARE_REAL)

static pthread_once_t resolved_once = PTHREAD_ONCE_INIT;
static void resolve_all(void) {
#define RESOLVE(name) real_##name = (__typeof__(name) *)dlsym(RTLD_NEXT, #name);
    TRACE_FUNCTIONS(RESOLVE)
}
#define REAL(name) (pthread_once(&resolved_once, resolve_all), real_##name)

int trace_real_lstat(const char *path, struct stat *st) { return REAL(lstat)(path, st); }
int trace_real_stat(const char *path, struct stat *st) { return REAL(stat)(path, st); }
int trace_real_open(const char *path, int flags, int mode) { return REAL(open)(path, flags, mode); }
int trace_real_mkdir(const char *path, mode_t mode) { return REAL(mkdir)(path, mode); }
int trace_real_rename(const char *from, const char *to) { return REAL(rename)(from, to); }
int trace_real_unlink(const char *path) { return REAL(unlink)(path); }
void *trace_real_opendir(const char *path) { return REAL(opendir)(path); }

// MARK: - state

pthread_mutex_t trace_lock = PTHREAD_MUTEX_INITIALIZER;
observation *trace_observations;
size_t trace_observation_total;
static size_t observation_capacity;
char trace_taint[512];
database_probe trace_database[4];
size_t trace_database_total;
output_chunk *trace_output_chunks;
size_t trace_output_total;
static size_t output_capacity;

static atomic_int watching;
static atomic_int started;
static char start_directory[PATH_MAX];

typedef struct { char *path; size_t length; int prefix; } exclusion;
static exclusion exclusions[16];
static size_t exclusion_total;

// Open addressing over observation indices + 1 (0: empty), keyed by path and kind.
static size_t *table;
static size_t table_size;

int64_t trace_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void trace_result_from_stat(const struct stat *st, probe_result *out) {
    out->error = 0;
    out->mode = st->st_mode;
    out->dev = st->st_dev;
    out->ino = st->st_ino;
    out->size = st->st_size;
    out->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
    out->ctime_ns = (int64_t)st->st_ctim.tv_sec * 1000000000LL + st->st_ctim.tv_nsec;
}

void trace_probe(const char *path, int kind, probe_result *out) {
    struct stat st;
    memset(out, 0, sizeof *out);
    int rc = PROBE_FOLLOWS(kind) ? REAL(stat)(path, &st) : REAL(lstat)(path, &st);
    if (rc != 0) { out->error = errno ? errno : EIO; return; }
    trace_result_from_stat(&st, out);
}

static int is_empty(const probe_result *r) {
    return r->error == ENOENT || (r->error == 0 && S_ISREG(r->mode) && r->size == 0);
}

int trace_results_equal(int kind, const probe_result *a, const probe_result *b) {
    if (kind == PROBE_STAT_EMPTY_OK && is_empty(a) && is_empty(b)) return 1;
    if (a->error != b->error) return 0;
    if (a->error != 0) return 1;
    if (kind == PROBE_DIRECTORY_LSTAT || kind == PROBE_DIRECTORY_STAT)
        return a->mode == b->mode && a->dev == b->dev && a->ino == b->ino;
    return a->mode == b->mode && a->dev == b->dev && a->ino == b->ino && a->size == b->size
        && a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns;
}

/// The run cannot be recorded: keep the first reason and stop watching
/// (what it reads from now on could not make a record anyway, and a build
/// that writes its first file early pays nothing more for the rest).
static void taint_locked(const char *why, const char *path) {
    if (trace_taint[0]) return;
    snprintf(trace_taint, sizeof trace_taint, "%s%s%s", why, path ? " " : "", path ? path : "");
    atomic_store(&watching, 0);
}

void cbuild_trace_taint(const char *why) {
    if (!atomic_load_explicit(&watching, memory_order_relaxed)) return;
    pthread_mutex_lock(&trace_lock);
    taint_locked(why, NULL);
    pthread_mutex_unlock(&trace_lock);
}

/// `path` made absolute against the directory the run started in.
static const char *absolute(const char *path, char *buffer, size_t size) {
    if (path[0] == '/') return path;
    int n = snprintf(buffer, size, "%s/%s", start_directory, path);
    return n > 0 && (size_t)n < size ? buffer : NULL;
}

/// Under trace_lock. `stat_like`: a stat of the path (not a listing or read).
int trace_excluded_locked(const char *path, int stat_like) {
    static const char *system[] = { "/proc/", "/sys/", "/dev/" };
    for (size_t i = 0; i < sizeof system / sizeof *system; i++)
        if (strncmp(path, system[i], strlen(system[i])) == 0) return 1;
    for (size_t i = 0; i < exclusion_total; i++) {
        const exclusion *e = &exclusions[i];
        if (strncmp(path, e->path, e->length) != 0) continue;
        if (e->prefix) return 1;
        if (stat_like && path[e->length] == '\0') return 1;
    }
    return 0;
}

static uint64_t hash_path(const char *path, int kind) {
    uint64_t h = 0xcbf29ce484222325ULL ^ (uint64_t)kind;
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) { h ^= *p; h *= 0x100000001b3ULL; }
    return h;
}

static void table_insert(size_t index) {
    const observation *o = &trace_observations[index];
    size_t slot = hash_path(o->path, o->kind) & (table_size - 1);
    while (table[slot]) slot = (slot + 1) & (table_size - 1);
    table[slot] = index + 1;
}

static int grow_locked(void) {
    if (trace_observation_total == observation_capacity) {
        size_t capacity = observation_capacity ? observation_capacity * 2 : 1024;
        observation *grown = realloc(trace_observations, capacity * sizeof *grown);
        if (!grown) return 0;
        trace_observations = grown;
        observation_capacity = capacity;
    }
    if ((trace_observation_total + 1) * 2 > table_size) {
        size_t size = table_size ? table_size * 2 : 2048;
        size_t *grown = calloc(size, sizeof *grown);
        if (!grown) return 0;
        free(table);
        table = grown;
        table_size = size;
        for (size_t i = 0; i < trace_observation_total; i++) table_insert(i);
    }
    return 1;
}

/// Remembers what a look at `path` saw. A second look that saw something
/// else (the file changed during the run), or a look at an entry changed
/// within the racy margin, means the run cannot vouch for what it read:
/// both are kept with the observation and decided on when saving, once
/// every exclusion is known.
static void observe(const char *path, int kind, const probe_result *result, int stat_like) {
    if (!atomic_load_explicit(&watching, memory_order_relaxed) || !path || !*path) return;
    if (stat_like && result->error == 0 && S_ISDIR(result->mode))
        kind = kind == PROBE_LSTAT ? PROBE_DIRECTORY_LSTAT : PROBE_DIRECTORY_STAT;
    char buffer[PATH_MAX + 8];
    const char *full = absolute(path, buffer, sizeof buffer);
    int64_t now = trace_now_ns();
    pthread_mutex_lock(&trace_lock);
    if (!full) { taint_locked("a path too long to remember:", path); goto done; }
    if (trace_excluded_locked(full, stat_like)) goto done;
    if (table_size) {
        size_t slot = hash_path(full, kind) & (table_size - 1);
        while (table[slot]) {
            observation *o = &trace_observations[table[slot] - 1];
            if (o->kind == kind && strcmp(o->path, full) == 0) {
                if (!trace_results_equal(kind, &o->result, result)) o->conflict = 1;
                if (!stat_like) o->stat_like = 0;
                goto done;
            }
            slot = (slot + 1) & (table_size - 1);
        }
    }
    if (!grow_locked()) { taint_locked("out of memory", NULL); goto done; }
    observation *o = &trace_observations[trace_observation_total];
    o->path = strdup(full);
    o->kind = (uint8_t)kind;
    o->stat_like = (uint8_t)stat_like;
    o->conflict = 0;
    o->racy = result->error == 0 && kind != PROBE_DIRECTORY_LSTAT && kind != PROBE_DIRECTORY_STAT
        && (result->mtime_ns >= now - TRACE_RACY_MARGIN_NS || result->ctime_ns >= now - TRACE_RACY_MARGIN_NS);
    o->result = *result;
    if (!o->path) { taint_locked("out of memory", NULL); goto done; }
    table_insert(trace_observation_total++);
done:
    pthread_mutex_unlock(&trace_lock);
}

static void observe_stat(const char *path, int kind, int rc, const struct stat *st) {
    probe_result r;
    memset(&r, 0, sizeof r);
    if (rc == 0) trace_result_from_stat(st, &r); else r.error = errno ? errno : EIO;
    observe(path, kind, &r, 1);
}

static void observe_probe(const char *path, int kind, int stat_like) {
    if (!atomic_load_explicit(&watching, memory_order_relaxed)) return;
    int saved = errno;
    probe_result r;
    trace_probe(path, kind, &r);
    observe(path, kind, &r, stat_like);
    errno = saved;
}

static void observe_descriptor(const char *path, int fd, int stat_like) {
    int saved = errno;
    struct stat st;
    if (fstat(fd, &st) == 0) observe_stat(path, PROBE_STAT, 0, &st);
    else observe_probe(path, PROBE_STAT, stat_like);
    errno = saved;
}

/// A change to `path` the run made (when it succeeded).
static void changed(int rc, const char *path) {
    if (rc != 0 || !atomic_load_explicit(&watching, memory_order_relaxed)) return;
    char buffer[PATH_MAX + 8];
    const char *full = path ? absolute(path, buffer, sizeof buffer) : NULL;
    pthread_mutex_lock(&trace_lock);
    if (!full || !trace_excluded_locked(full, 0)) taint_locked("changed", full ? full : "a file");
    pthread_mutex_unlock(&trace_lock);
}

static void taint_if_watching(const char *why, const char *what) {
    if (!atomic_load_explicit(&watching, memory_order_relaxed)) return;
    pthread_mutex_lock(&trace_lock);
    taint_locked(why, what);
    pthread_mutex_unlock(&trace_lock);
}

// MARK: - control

/// Files libc reads through its own internal calls, which no function
/// here sees (user and group names, name-service switch, time zone).
static const char *libc_reads[] = { "/", "/etc/nsswitch.conf", "/etc/passwd", "/etc/group", "/etc/localtime" };

void cbuild_trace_start(void) {
    pthread_once(&resolved_once, resolve_all);
    if (!getcwd(start_directory, sizeof start_directory)) start_directory[0] = '\0';
    atomic_store(&watching, start_directory[0] != '\0');
    atomic_store(&started, 1);
    for (size_t i = 0; i < sizeof libc_reads / sizeof *libc_reads; i++) observe_probe(libc_reads[i], PROBE_STAT, 1);
}

void cbuild_trace_stop(void) { atomic_store(&watching, 0); }
int cbuild_trace_active(void) { return atomic_load(&watching); }
int cbuild_trace_started(void) { return atomic_load(&started); }

void cbuild_trace_exclude(const char *path, int prefix) {
    char buffer[PATH_MAX + 8];
    const char *full = absolute(path, buffer, sizeof buffer);
    pthread_mutex_lock(&trace_lock);
    if (!full || exclusion_total == sizeof exclusions / sizeof *exclusions) {
        taint_locked("too many excluded paths", NULL);
    } else {
        for (size_t i = 0; i < exclusion_total; i++)
            if (exclusions[i].prefix == prefix && strcmp(exclusions[i].path, full) == 0) goto done;
        exclusions[exclusion_total].path = strdup(full);
        exclusions[exclusion_total].length = strlen(full);
        exclusions[exclusion_total].prefix = prefix;
        if (exclusions[exclusion_total].path) exclusion_total++;
    }
done:
    pthread_mutex_unlock(&trace_lock);
}

void cbuild_trace_note_database(const char *path) {
    if (!atomic_load(&watching)) return;
    char buffer[PATH_MAX + 8];
    const char *full = absolute(path, buffer, sizeof buffer);
    if (!full) { cbuild_trace_taint("a database path too long to remember"); return; }
    char wal[PATH_MAX + 16];
    snprintf(wal, sizeof wal, "%s-wal", full);
    cbuild_trace_exclude(full, 1);   // state.db, -wal, -shm, -check, -journal
    int64_t now = trace_now_ns();
    pthread_mutex_lock(&trace_lock);
    for (int i = 0; i < 2; i++) {
        const char *p = i == 0 ? full : wal;
        int kind = i == 0 ? PROBE_STAT : PROBE_STAT_EMPTY_OK;
        int known = 0;
        for (size_t j = 0; j < trace_database_total; j++) if (strcmp(trace_database[j].path, p) == 0) known = 1;
        if (known || trace_database_total == sizeof trace_database / sizeof *trace_database) continue;
        database_probe *d = &trace_database[trace_database_total];
        trace_probe(p, kind, &d->before);
        if (d->before.error == 0 && d->before.size > 0
            && (d->before.mtime_ns >= now - TRACE_RACY_MARGIN_NS || d->before.ctime_ns >= now - TRACE_RACY_MARGIN_NS))
            taint_locked("the state database changed just before the run opened it:", p);
        d->path = strdup(p);
        d->kind = kind;
        if (d->path) trace_database_total++;
    }
    pthread_mutex_unlock(&trace_lock);
}

void cbuild_trace_output(int fd, const void *bytes, size_t length) {
    if (!atomic_load_explicit(&watching, memory_order_relaxed) || length == 0) return;
    pthread_mutex_lock(&trace_lock);
    if (trace_output_total == output_capacity) {
        size_t capacity = output_capacity ? output_capacity * 2 : 16;
        output_chunk *grown = realloc(trace_output_chunks, capacity * sizeof *grown);
        if (!grown) { taint_locked("out of memory", NULL); goto done; }
        trace_output_chunks = grown;
        output_capacity = capacity;
    }
    unsigned char *copy = malloc(length);
    if (!copy) { taint_locked("out of memory", NULL); goto done; }
    memcpy(copy, bytes, length);
    trace_output_chunks[trace_output_total++] = (output_chunk){ fd, length, copy };
done:
    pthread_mutex_unlock(&trace_lock);
}

size_t cbuild_trace_observation_count(void) {
    pthread_mutex_lock(&trace_lock);
    size_t n = trace_observation_total;
    pthread_mutex_unlock(&trace_lock);
    return n;
}

// MARK: - looking at files

// stat, stat64, lstat, lstat64: libc's answer, observed as it was given.
#define STAT_WRAPPER(name, type, kind) \
    int name(const char *restrict path, type *restrict st) { \
        int rc = REAL(name)(path, st); \
        if (atomic_load_explicit(&watching, memory_order_relaxed)) { \
            int e = errno; observe_stat(path, kind, rc, (const struct stat *)st); errno = e; \
        } \
        return rc; \
    }
STAT_WRAPPER(stat, struct stat, PROBE_STAT)
STAT_WRAPPER(stat64, struct stat64, PROBE_STAT)
STAT_WRAPPER(lstat, struct stat, PROBE_LSTAT)
STAT_WRAPPER(lstat64, struct stat64, PROBE_LSTAT)

/// fstatat relative to the working directory or with an absolute path is a
/// stat; relative to another directory descriptor it names a path this
/// file cannot tell, so the run is not recorded.
static void observe_at(int dirfd, const char *path, int flags, int rc, const struct stat *st) {
    if (!atomic_load_explicit(&watching, memory_order_relaxed)) return;
    int e = errno;
    if ((flags & AT_EMPTY_PATH) && path && !*path) { errno = e; return; }   // an fstat
    if (dirfd == AT_FDCWD || (path && path[0] == '/'))
        observe_stat(path, (flags & AT_SYMLINK_NOFOLLOW) ? PROBE_LSTAT : PROBE_STAT, rc, st);
    else
        taint_if_watching("looked at a path relative to a directory descriptor:", path);
    errno = e;
}

int fstatat(int dirfd, const char *restrict path, struct stat *restrict st, int flags) {
    int rc = REAL(fstatat)(dirfd, path, st, flags);
    observe_at(dirfd, path, flags, rc, st);
    return rc;
}

int fstatat64(int dirfd, const char *restrict path, struct stat64 *restrict st, int flags) {
    int rc = REAL(fstatat64)(dirfd, path, st, flags);
    observe_at(dirfd, path, flags, rc, (struct stat *)st);
    return rc;
}

int statx(int dirfd, const char *restrict path, int flags, unsigned int mask, struct statx *restrict st) {
    int rc = REAL(statx)(dirfd, path, flags, mask, st);
    if (atomic_load_explicit(&watching, memory_order_relaxed)) {
        int e = errno;
        if ((flags & AT_EMPTY_PATH) && path && !*path) { errno = e; return rc; }   // an fstat
        if (dirfd == AT_FDCWD || (path && path[0] == '/')) {
            // Probed again as stat(2) sees it, so the record compares like with like.
            observe_probe(path, (flags & AT_SYMLINK_NOFOLLOW) ? PROBE_LSTAT : PROBE_STAT, 1);
        } else {
            taint_if_watching("looked at a path relative to a directory descriptor:", path);
        }
        errno = e;
    }
    return rc;
}

int access(const char *path, int mode) {
    int rc = REAL(access)(path, mode);
    observe_probe(path, PROBE_STAT, 1);
    return rc;
}

int faccessat(int dirfd, const char *path, int mode, int flags) {
    int rc = REAL(faccessat)(dirfd, path, mode, flags);
    if (dirfd == AT_FDCWD || (path && path[0] == '/'))
        observe_probe(path, (flags & AT_SYMLINK_NOFOLLOW) ? PROBE_LSTAT : PROBE_STAT, 1);
    else
        taint_if_watching("looked at a path relative to a directory descriptor:", path);
    return rc;
}

static int writes(int flags) {
    return (flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC | O_APPEND | O_TMPFILE));
}

static void opened(const char *path, int flags, int fd) {
    if (!atomic_load_explicit(&watching, memory_order_relaxed)) return;
    int e = errno;
    if (writes(flags)) changed(fd >= 0 ? 0 : -1, path);
    else if (fd >= 0) observe_descriptor(path, fd, 0);
    else { probe_result r; memset(&r, 0, sizeof r); r.error = e ? e : EIO; observe(path, PROBE_STAT, &r, 0); }
    errno = e;
}

static int mode_argument(int flags, va_list ap) {
    return (flags & (O_CREAT | O_TMPFILE)) ? va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...) {
    va_list ap; va_start(ap, flags); int mode = mode_argument(flags, ap); va_end(ap);
    int fd = REAL(open)(path, flags, mode);
    opened(path, flags, fd);
    return fd;
}

int open64(const char *path, int flags, ...) {
    va_list ap; va_start(ap, flags); int mode = mode_argument(flags, ap); va_end(ap);
    int fd = REAL(open64)(path, flags, mode);
    opened(path, flags, fd);
    return fd;
}

int __open_2(const char *path, int flags) { int fd = REAL(__open_2)(path, flags); opened(path, flags, fd); return fd; }
int __open64_2(const char *path, int flags) { int fd = REAL(__open64_2)(path, flags); opened(path, flags, fd); return fd; }

static void opened_at(int dirfd, const char *path, int flags, int fd) {
    if (dirfd == AT_FDCWD || (path && path[0] == '/')) opened(path, flags, fd);
    else taint_if_watching("opened a path relative to a directory descriptor:", path);
}

int openat(int dirfd, const char *path, int flags, ...) {
    va_list ap; va_start(ap, flags); int mode = mode_argument(flags, ap); va_end(ap);
    int fd = REAL(openat)(dirfd, path, flags, mode);
    opened_at(dirfd, path, flags, fd);
    return fd;
}

int openat64(int dirfd, const char *path, int flags, ...) {
    va_list ap; va_start(ap, flags); int mode = mode_argument(flags, ap); va_end(ap);
    int fd = REAL(openat64)(dirfd, path, flags, mode);
    opened_at(dirfd, path, flags, fd);
    return fd;
}

int __openat_2(int dirfd, const char *path, int flags) {
    int fd = REAL(__openat_2)(dirfd, path, flags);
    opened_at(dirfd, path, flags, fd);
    return fd;
}
int __openat64_2(int dirfd, const char *path, int flags) {
    int fd = REAL(__openat64_2)(dirfd, path, flags);
    opened_at(dirfd, path, flags, fd);
    return fd;
}

static void opened_stream(const char *path, const char *mode, FILE *f) {
    if (!atomic_load_explicit(&watching, memory_order_relaxed)) return;
    int e = errno;
    int reading = mode && mode[0] == 'r' && !strchr(mode, '+');
    if (!reading) changed(f ? 0 : -1, path);
    else if (f) observe_descriptor(path, fileno(f), 0);
    else { probe_result r; memset(&r, 0, sizeof r); r.error = e ? e : EIO; observe(path, PROBE_STAT, &r, 0); }
    errno = e;
}

FILE *fopen(const char *restrict path, const char *restrict mode) {
    FILE *f = REAL(fopen)(path, mode);
    opened_stream(path, mode, f);
    return f;
}

FILE *fopen64(const char *restrict path, const char *restrict mode) {
    FILE *f = REAL(fopen64)(path, mode);
    opened_stream(path, mode, f);
    return f;
}

/// A listing: the directory's own stat (its times change with its entries).
DIR *opendir(const char *path) {
    DIR *d = REAL(opendir)(path);
    if (atomic_load_explicit(&watching, memory_order_relaxed)) {
        int e = errno;
        if (d) observe_descriptor(path, dirfd(d), 0);
        else { probe_result r; memset(&r, 0, sizeof r); r.error = e ? e : EIO; observe(path, PROBE_STAT, &r, 0); }
        errno = e;
    }
    return d;
}

ssize_t readlink(const char *restrict path, char *restrict buffer, size_t size) {
    ssize_t n = REAL(readlink)(path, buffer, size);
    observe_probe(path, PROBE_LSTAT, 1);
    return n;
}

ssize_t __readlink_chk(const char *path, char *buffer, size_t length, size_t buffer_length) {
    ssize_t n = REAL(__readlink_chk)(path, buffer, length, buffer_length);
    observe_probe(path, PROBE_LSTAT, 1);
    return n;
}

/// Every entry a resolution of `path` looks at: each prefix, and through
/// each symlink met, the resolution of its target (at most 40 deep).
static void observe_resolution(const char *path, int depth) {
    if (depth > 40 || !path || !*path) return;
    char buffer[PATH_MAX + 8];
    const char *full = absolute(path, buffer, sizeof buffer);
    if (!full) { taint_if_watching("a path too long to remember:", path); return; }
    char prefix[PATH_MAX + 8];
    size_t n = strlen(full);
    for (size_t i = 1; i <= n; i++) {
        if (i < n && full[i] != '/') continue;
        if (i >= sizeof prefix) return;
        memcpy(prefix, full, i);
        prefix[i] = '\0';
        probe_result r;
        trace_probe(prefix, PROBE_LSTAT, &r);
        observe(prefix, PROBE_LSTAT, &r, 1);
        if (r.error == 0 && S_ISLNK(r.mode)) {
            char target[PATH_MAX + 8];
            ssize_t t = REAL(readlink)(prefix, target, PATH_MAX);
            if (t <= 0) return;
            target[t] = '\0';
            char next[2 * PATH_MAX + 16];
            const char *rest = full + i;
            if (target[0] == '/') snprintf(next, sizeof next, "%s%s", target, rest);
            else {
                char *slash = strrchr(prefix, '/');
                if (slash) *slash = '\0';
                snprintf(next, sizeof next, "%s/%s%s", prefix, target, rest);
            }
            observe_resolution(next, depth + 1);
            return;
        }
        if (r.error != 0) return;
    }
}

char *realpath(const char *restrict path, char *restrict resolved) {
    char *result = REAL(realpath)(path, resolved);
    if (atomic_load_explicit(&watching, memory_order_relaxed)) {
        int e = errno;
        observe_resolution(path, 0);
        errno = e;
    }
    return result;
}

char *__realpath_chk(const char *path, char *resolved, size_t resolved_length) {
    char *result = REAL(__realpath_chk)(path, resolved, resolved_length);
    if (atomic_load_explicit(&watching, memory_order_relaxed)) {
        int e = errno;
        observe_resolution(path, 0);
        errno = e;
    }
    return result;
}

/// A walk of a tree: every entry it returns, and through symlinks what they name.
FTSENT *fts_read(FTS *fts) {
    FTSENT *entry = REAL(fts_read)(fts);
    if (entry && atomic_load_explicit(&watching, memory_order_relaxed)) {
        int e = errno;
        probe_result r;
        trace_probe(entry->fts_path, PROBE_LSTAT, &r);
        observe(entry->fts_path, PROBE_LSTAT, &r, 0);
        if (r.error == 0 && S_ISLNK(r.mode)) observe_probe(entry->fts_path, PROBE_STAT, 0);
        errno = e;
    }
    return entry;
}

// MARK: - changing files

int mkdir(const char *path, mode_t mode) { int rc = REAL(mkdir)(path, mode); changed(rc, path); return rc; }
int rmdir(const char *path) { int rc = REAL(rmdir)(path); changed(rc, path); return rc; }
int unlink(const char *path) { int rc = REAL(unlink)(path); changed(rc, path); return rc; }
int unlinkat(int dirfd, const char *path, int flags) {
    int rc = REAL(unlinkat)(dirfd, path, flags);
    changed(rc, dirfd == AT_FDCWD || (path && path[0] == '/') ? path : NULL);
    return rc;
}
int rename(const char *from, const char *to) {
    int rc = REAL(rename)(from, to);
    changed(rc, from); changed(rc, to);
    return rc;
}
int renameat(int fromfd, const char *from, int tofd, const char *to) {
    int rc = REAL(renameat)(fromfd, from, tofd, to);
    changed(rc, fromfd == AT_FDCWD || (from && from[0] == '/') ? from : NULL);
    changed(rc, tofd == AT_FDCWD || (to && to[0] == '/') ? to : NULL);
    return rc;
}
int link(const char *from, const char *to) { int rc = REAL(link)(from, to); changed(rc, to); return rc; }
int symlink(const char *target, const char *path) { int rc = REAL(symlink)(target, path); changed(rc, path); return rc; }
int chmod(const char *path, mode_t mode) { int rc = REAL(chmod)(path, mode); changed(rc, path); return rc; }
int truncate(const char *path, off_t length) { int rc = REAL(truncate)(path, length); changed(rc, path); return rc; }
int utimensat(int dirfd, const char *path, const struct timespec times[2], int flags) {
    int rc = REAL(utimensat)(dirfd, path, times, flags);
    if (path) changed(rc, dirfd == AT_FDCWD || path[0] == '/' ? path : NULL);
    return rc;
}
int utimes(const char *path, const struct timeval times[2]) { int rc = REAL(utimes)(path, times); changed(rc, path); return rc; }

// MARK: - what reads alone cannot repeat

int chdir(const char *path) { int rc = REAL(chdir)(path); if (rc == 0) taint_if_watching("changed directory to", path); return rc; }
int fchdir(int fd) { int rc = REAL(fchdir)(fd); if (rc == 0) taint_if_watching("changed directory", NULL); return rc; }

int posix_spawn(pid_t *restrict pid, const char *restrict path, const posix_spawn_file_actions_t *actions,
                const posix_spawnattr_t *restrict attributes, char *const argv[restrict], char *const envp[restrict]) {
    taint_if_watching("started", path);
    return REAL(posix_spawn)(pid, path, actions, attributes, argv, envp);
}
int posix_spawnp(pid_t *restrict pid, const char *restrict file, const posix_spawn_file_actions_t *actions,
                 const posix_spawnattr_t *restrict attributes, char *const argv[restrict], char *const envp[restrict]) {
    taint_if_watching("started", file);
    return REAL(posix_spawnp)(pid, file, actions, attributes, argv, envp);
}
int execve(const char *path, char *const argv[], char *const envp[]) { taint_if_watching("ran", path); return REAL(execve)(path, argv, envp); }
int execvp(const char *file, char *const argv[]) { taint_if_watching("ran", file); return REAL(execvp)(file, argv); }
int execvpe(const char *file, char *const argv[], char *const envp[]) { taint_if_watching("ran", file); return REAL(execvpe)(file, argv, envp); }
pid_t fork(void) { taint_if_watching("started a child process", NULL); return REAL(fork)(); }
int connect(int fd, const struct sockaddr *address, socklen_t length) {
    taint_if_watching("connected to a socket", NULL);
    return REAL(connect)(fd, address, length);
}

#else
void cbuild_trace_start(void) {}
void cbuild_trace_stop(void) {}
int cbuild_trace_active(void) { return 0; }
void cbuild_trace_exclude(const char *path, int prefix) { (void)path; (void)prefix; }
void cbuild_trace_note_database(const char *path) { (void)path; }
void cbuild_trace_taint(const char *why) { (void)why; }
void cbuild_trace_output(int fd, const void *bytes, size_t length) { (void)fd; (void)bytes; (void)length; }
size_t cbuild_trace_observation_count(void) { return 0; }
#endif
