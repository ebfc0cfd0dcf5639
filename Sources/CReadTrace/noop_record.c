// No-op records: a run's observations, saved when the run could be
// repeated from its reads alone, and checked by the next identical
// invocation (see CReadTrace.h and docs/performance.md).
//
// A record file (native byte order; only this machine's cbuild reads it):
//   "CBNOOP03"
//   u32 identity length, identity digest  (SHA-256 of the arguments, environment,
//                                          directory, terminal, user, host and
//                                          executable: never the environment itself,
//                                          which may hold credentials)
//   u32 meta length, meta bytes           (the Swift side's: lock mode, command)
//   i32 exit status
//   u32 observations, each: u8 kind, 3 pad, i32 error, u32 mode, u32 path length,
//                           u64 dev, u64 ino, i64 size, i64 mtime ns, i64 ctime ns, path
//   u32 output chunks, each: u32 fd, u32 length, bytes
#undef _FORTIFY_SOURCE
#define _GNU_SOURCE 1
#include "CReadTrace.h"
#include <stdio.h>

#ifdef __linux__
#include "trace_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>

extern char **environ;

static const char magic[8] = { 'C', 'B', 'N', 'O', 'O', 'P', '0', '3' };
/// Records kept per build directory (the oldest beyond it are removed).
#define RECORDS_KEPT 16

// MARK: - a growable byte buffer

typedef struct { unsigned char *bytes; size_t length, capacity; int failed; } buffer;

static void put(buffer *b, const void *bytes, size_t n) {
    if (b->failed) return;
    if (b->length + n > b->capacity) {
        size_t capacity = b->capacity ? b->capacity : 4096;
        while (capacity < b->length + n) capacity *= 2;
        unsigned char *grown = realloc(b->bytes, capacity);
        if (!grown) { b->failed = 1; return; }
        b->bytes = grown;
        b->capacity = capacity;
    }
    memcpy(b->bytes + b->length, bytes, n);
    b->length += n;
}
static void put_u32(buffer *b, uint32_t v) { put(b, &v, 4); }
static void put_text(buffer *b, const char *label, const char *text) {
    put(b, label, strlen(label) + 1);
    put(b, text, strlen(text) + 1);
}

// MARK: - the invocation's identity

static int compare_strings(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/// Everything besides files that a command's result can depend on: its
/// arguments, the whole environment (sorted), the working directory, the
/// user, the host, the terminal it writes to, and the executable itself.
static int identity(buffer *b) {
    int fd = trace_real_open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0) return 0;
    put(b, "argv", 5);
    char chunk[4096];
    ssize_t n;
    while ((n = read(fd, chunk, sizeof chunk)) > 0) put(b, chunk, (size_t)n);
    close(fd);
    if (n < 0) return 0;
    size_t count = 0;
    while (environ && environ[count]) count++;
    char **sorted = malloc((count + 1) * sizeof *sorted);
    if (!sorted) return 0;
    memcpy(sorted, environ, count * sizeof *sorted);
    qsort(sorted, count, sizeof *sorted, compare_strings);
    put(b, "\nenv", 5);
    for (size_t i = 0; i < count; i++) put(b, sorted[i], strlen(sorted[i]) + 1);
    free(sorted);
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd)) return 0;
    put_text(b, "\ncwd", cwd);
    uint32_t ids[3] = { (uint32_t)getuid(), (uint32_t)geteuid(), (uint32_t)getgid() };
    put(b, "\nids", 5); put(b, ids, sizeof ids);
    struct utsname u;
    if (uname(&u) == 0) put_text(b, "\nhost", u.nodename);
    put(b, "\ntty", 5);
    for (int f = 0; f <= 2; f++) {
        struct winsize ws;
        memset(&ws, 0, sizeof ws);
        int tty = isatty(f);
        if (tty) ioctl(f, TIOCGWINSZ, &ws);
        uint32_t facts[3] = { (uint32_t)tty, ws.ws_col, ws.ws_row };
        put(b, facts, sizeof facts);
    }
    probe_result exe;
    trace_probe("/proc/self/exe", PROBE_STAT, &exe);
    if (exe.error) return 0;
    put(b, "\nexe", 5); put(b, &exe, sizeof exe);
    if (b->failed) return 0;
    // Kept as its digest only: the environment may hold secrets (AWS keys).
    unsigned char digest[32];
    cbuild_trace_sha256(b->bytes, b->length, digest);
    b->length = 0;
    put(b, digest, sizeof digest);
    return !b->failed;
}

static void record_name(const buffer *id, char *out, size_t size) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < id->length; i++) { h ^= id->bytes[i]; h *= 0x100000001b3ULL; }
    snprintf(out, size, "%016llx.rec", (unsigned long long)h);
}

static void say(char *why, size_t size, const char *format, const char *detail) {
    if (why && size) snprintf(why, size, format, detail ? detail : "");
}

// MARK: - saving

static void put_observation(buffer *b, const char *path, int kind, const probe_result *r) {
    unsigned char head[4] = { (unsigned char)kind, 0, 0, 0 };
    uint32_t path_length = (uint32_t)strlen(path);
    put(b, head, 4);
    put(b, &r->error, 4); put(b, &r->mode, 4); put(b, &path_length, 4);
    put(b, &r->dev, 8); put(b, &r->ino, 8); put(b, &r->size, 8); put(b, &r->mtime_ns, 8); put(b, &r->ctime_ns, 8);
    put(b, path, path_length);
}

/// Keeps the newest RECORDS_KEPT records of `directory`.
static void prune(const char *directory) {
    DIR *d = trace_real_opendir(directory);
    if (!d) return;
    struct { char name[64]; int64_t mtime; } entries[RECORDS_KEPT * 4];
    size_t count = 0;
    struct dirent *e;
    while ((e = readdir(d)) && count < sizeof entries / sizeof *entries) {
        size_t n = strlen(e->d_name);
        if (n < 5 || n >= 64 || strcmp(e->d_name + n - 4, ".rec") != 0) continue;
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", directory, e->d_name);
        probe_result r;
        trace_probe(path, PROBE_LSTAT, &r);
        if (r.error) continue;
        memcpy(entries[count].name, e->d_name, n + 1);
        entries[count].mtime = r.mtime_ns;
        count++;
    }
    closedir(d);
    while (count > RECORDS_KEPT) {
        size_t oldest = 0;
        for (size_t i = 1; i < count; i++) if (entries[i].mtime < entries[oldest].mtime) oldest = i;
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", directory, entries[oldest].name);
        trace_real_unlink(path);
        entries[oldest] = entries[--count];
    }
}

int cbuild_noop_save(const char *directory, const void *meta, size_t meta_length, int exit_status,
                     char *why, size_t why_size) {
    if (!cbuild_trace_started()) { say(why, why_size, "the run was not watched%s", NULL); return 0; }
    cbuild_trace_stop();
    int saved = 0;
    buffer id = { 0 }, b = { 0 };
    pthread_mutex_lock(&trace_lock);
    if (trace_taint[0]) { say(why, why_size, "%s", trace_taint); goto done; }
    // The database must be as it was when the run opened it.
    for (size_t i = 0; i < trace_database_total; i++) {
        probe_result now;
        trace_probe(trace_database[i].path, trace_database[i].kind, &now);
        if (!trace_results_equal(trace_database[i].kind, &trace_database[i].before, &now)) {
            say(why, why_size, "the state database changed during the run: %s", trace_database[i].path);
            goto done;
        }
    }
    if (trace_database_total == 0) { say(why, why_size, "the run opened no state database%s", NULL); goto done; }
    uint32_t kept = 0;
    for (size_t i = 0; i < trace_observation_total; i++) {
        const observation *o = &trace_observations[i];
        if (trace_excluded_locked(o->path, o->stat_like)) continue;
        if (o->conflict) { say(why, why_size, "changed while the run read it: %s", o->path); goto done; }
        if (o->racy) { say(why, why_size, "changed just before the run read it (within the racy margin): %s", o->path); goto done; }
        kept++;
    }
    if (!identity(&id)) { say(why, why_size, "the invocation's identity could not be read%s", NULL); goto done; }
    put(&b, magic, sizeof magic);
    put_u32(&b, (uint32_t)id.length); put(&b, id.bytes, id.length);
    put_u32(&b, (uint32_t)meta_length); put(&b, meta, meta_length);
    int32_t status = exit_status;
    put(&b, &status, 4);
    put_u32(&b, kept + (uint32_t)trace_database_total);
    for (size_t i = 0; i < trace_observation_total; i++) {
        const observation *o = &trace_observations[i];
        if (!trace_excluded_locked(o->path, o->stat_like)) put_observation(&b, o->path, o->kind, &o->result);
    }
    for (size_t i = 0; i < trace_database_total; i++)
        put_observation(&b, trace_database[i].path, trace_database[i].kind, &trace_database[i].before);
    put_u32(&b, (uint32_t)trace_output_total);
    for (size_t i = 0; i < trace_output_total; i++) {
        put_u32(&b, (uint32_t)trace_output_chunks[i].fd);
        put_u32(&b, (uint32_t)trace_output_chunks[i].length);
        put(&b, trace_output_chunks[i].bytes, trace_output_chunks[i].length);
    }
    if (b.failed) { say(why, why_size, "out of memory%s", NULL); goto done; }
    if (trace_real_mkdir(directory, 0755) != 0 && errno != EEXIST) { say(why, why_size, "cannot create %s", directory); goto done; }
    char name[64], path[4200], temporary[4300];
    record_name(&id, name, sizeof name);
    snprintf(path, sizeof path, "%s/%s", directory, name);
    snprintf(temporary, sizeof temporary, "%s.tmp-%d", path, (int)getpid());
    int fd = trace_real_open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) { say(why, why_size, "cannot write %s", temporary); goto done; }
    size_t written = 0;
    while (written < b.length) {
        ssize_t n = write(fd, b.bytes + written, b.length - written);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        written += (size_t)n;
    }
    int closed = close(fd);
    if (written != b.length || closed != 0 || trace_real_rename(temporary, path) != 0) {
        trace_real_unlink(temporary);
        say(why, why_size, "cannot write %s", path);
        goto done;
    }
    prune(directory);
    saved = 1;
done:
    pthread_mutex_unlock(&trace_lock);
    free(id.bytes);
    free(b.bytes);
    return saved;
}

// MARK: - reading and checking

struct cbuild_noop_record {
    unsigned char *bytes;
    size_t length;
    const unsigned char *meta;
    uint32_t meta_length;
    int32_t exit_status;
    uint32_t observations;
    const unsigned char *first_observation;
    uint32_t chunks;
    const unsigned char *first_chunk;
};

static int read_whole(const char *path, unsigned char **out, size_t *length) {
    int fd = trace_real_open(path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0) return 0;
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < (off_t)sizeof magic) { close(fd); return 0; }
    unsigned char *bytes = malloc((size_t)st.st_size);
    size_t got = 0;
    while (bytes && got < (size_t)st.st_size) {
        ssize_t n = read(fd, bytes + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
    }
    close(fd);
    if (!bytes || got != (size_t)st.st_size) { free(bytes); return 0; }
    *out = bytes;
    *length = got;
    return 1;
}

/// Walks the record's sections; 0 when it is malformed.
static int parse(cbuild_noop_record *r, const unsigned char **identity_bytes, uint32_t *identity_length) {
    const unsigned char *p = r->bytes, *end = r->bytes + r->length;
#define NEED(n) do { if ((size_t)(end - p) < (size_t)(n)) return 0; } while (0)
#define TAKE_U32(v) do { NEED(4); memcpy(&(v), p, 4); p += 4; } while (0)
    NEED(sizeof magic);
    if (memcmp(p, magic, sizeof magic) != 0) return 0;
    p += sizeof magic;
    TAKE_U32(*identity_length); NEED(*identity_length); *identity_bytes = p; p += *identity_length;
    TAKE_U32(r->meta_length); NEED(r->meta_length); r->meta = p; p += r->meta_length;
    TAKE_U32(r->exit_status);
    TAKE_U32(r->observations);
    r->first_observation = p;
    for (uint32_t i = 0; i < r->observations; i++) {
        uint32_t path_length;
        NEED(56); memcpy(&path_length, p + 12, 4); p += 56; NEED(path_length); p += path_length;
    }
    TAKE_U32(r->chunks);
    r->first_chunk = p;
    for (uint32_t i = 0; i < r->chunks; i++) {
        uint32_t length;
        NEED(8); memcpy(&length, p + 4, 4); p += 8; NEED(length); p += length;
    }
    return p == end;
#undef NEED
#undef TAKE_U32
}

/// The observation at `p`: its kind, recorded result and path (not terminated).
static const unsigned char *observation_at(const unsigned char *p, int *kind, probe_result *r, const char **path,
                                           uint32_t *path_length) {
    memset(r, 0, sizeof *r);
    *kind = p[0];
    memcpy(&r->error, p + 4, 4); memcpy(&r->mode, p + 8, 4); memcpy(path_length, p + 12, 4);
    memcpy(&r->dev, p + 16, 8); memcpy(&r->ino, p + 24, 8); memcpy(&r->size, p + 32, 8);
    memcpy(&r->mtime_ns, p + 40, 8); memcpy(&r->ctime_ns, p + 48, 8);
    *path = (const char *)p + 56;
    return p + 56 + *path_length;
}

cbuild_noop_record *cbuild_noop_find(const char *directory) {
    buffer id = { 0 };
    if (!identity(&id)) { free(id.bytes); return NULL; }
    char name[64], path[4200];
    record_name(&id, name, sizeof name);
    snprintf(path, sizeof path, "%s/%s", directory, name);
    cbuild_noop_record *r = calloc(1, sizeof *r);
    const unsigned char *recorded;
    uint32_t recorded_length;
    if (!r || !read_whole(path, &r->bytes, &r->length) || !parse(r, &recorded, &recorded_length)
        || recorded_length != id.length || memcmp(recorded, id.bytes, id.length) != 0) {
        if (r) free(r->bytes);
        free(r);
        free(id.bytes);
        return NULL;
    }
    free(id.bytes);
    return r;
}

const void *cbuild_noop_meta(const cbuild_noop_record *r, size_t *length) {
    *length = r->meta_length;
    return r->meta;
}

int cbuild_noop_validate(const cbuild_noop_record *r, char *why, size_t why_size) {
    const unsigned char *p = r->first_observation;
    char path[4200];
    for (uint32_t i = 0; i < r->observations; i++) {
        int kind;
        probe_result recorded, now;
        const char *name;
        uint32_t length;
        p = observation_at(p, &kind, &recorded, &name, &length);
        if (length >= sizeof path) { say(why, why_size, "a recorded path is too long%s", NULL); return 0; }
        memcpy(path, name, length);
        path[length] = '\0';
        trace_probe(path, kind, &now);
        if (!trace_results_equal(kind, &recorded, &now)) {
            const char *what = recorded.error && !now.error ? "%s appeared"
                : !recorded.error && now.error ? "%s is gone" : "%s changed";
            say(why, why_size, what, path);
            return 0;
        }
    }
    return 1;
}

int cbuild_noop_replay(const cbuild_noop_record *r) {
    const unsigned char *p = r->first_chunk;
    for (uint32_t i = 0; i < r->chunks; i++) {
        uint32_t fd, length;
        memcpy(&fd, p, 4); memcpy(&length, p + 4, 4);
        const unsigned char *bytes = p + 8;
        size_t written = 0;
        while (written < length) {
            ssize_t n = write((int)fd, bytes + written, length - written);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            written += (size_t)n;
        }
        p = bytes + length;
    }
    return r->exit_status;
}

void cbuild_noop_free(cbuild_noop_record *r) {
    if (!r) return;
    free(r->bytes);
    free(r);
}

long cbuild_noop_list(const char *file, void (*each)(const char *path, int kind, int error, void *context), void *context) {
    cbuild_noop_record r = { 0 };
    const unsigned char *ignored;
    uint32_t ignored_length;
    if (!read_whole(file, &r.bytes, &r.length) || !parse(&r, &ignored, &ignored_length)) { free(r.bytes); return -1; }
    const unsigned char *p = r.first_observation;
    char path[4200];
    for (uint32_t i = 0; i < r.observations; i++) {
        int kind;
        probe_result recorded;
        const char *name;
        uint32_t length;
        p = observation_at(p, &kind, &recorded, &name, &length);
        if (length >= sizeof path) continue;
        memcpy(path, name, length);
        path[length] = '\0';
        each(path, kind, recorded.error, context);
    }
    free(r.bytes);
    return (long)r.observations;
}

#else
int cbuild_noop_save(const char *directory, const void *meta, size_t meta_length, int exit_status, char *why, size_t why_size) {
    (void)directory; (void)meta; (void)meta_length; (void)exit_status;
    if (why && why_size) snprintf(why, why_size, "no-op records are made on Linux only");
    return 0;
}
cbuild_noop_record *cbuild_noop_find(const char *directory) { (void)directory; return NULL; }
const void *cbuild_noop_meta(const cbuild_noop_record *r, size_t *length) { (void)r; *length = 0; return NULL; }
int cbuild_noop_validate(const cbuild_noop_record *r, char *why, size_t why_size) { (void)r; (void)why; (void)why_size; return 0; }
int cbuild_noop_replay(const cbuild_noop_record *r) { (void)r; return 0; }
void cbuild_noop_free(cbuild_noop_record *r) { (void)r; }
long cbuild_noop_list(const char *file, void (*each)(const char *, int, int, void *), void *context) {
    (void)file; (void)each; (void)context; return -1;
}
#endif
