#ifndef CBUILD_TRACE_INTERNAL_H
#define CBUILD_TRACE_INTERNAL_H
// Shared between read_trace.c (observing) and noop_record.c (records).
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/// How an observation is probed again.
enum probe_kind {
    PROBE_LSTAT = 0,           // lstat(2): the entry itself
    PROBE_STAT = 1,            // stat(2): symlinks followed
    PROBE_STAT_EMPTY_OK = 2,   // stat(2), where absent and an empty file are the same (a WAL)
    // A stat-like look at a directory (not a listing): what it is, not its
    // times or size, which change with every entry made in it (a path
    // resolved through /tmp depends on /tmp being the same directory, not
    // on what else is in it). A listing of it is a PROBE_STAT of its own.
    PROBE_DIRECTORY_LSTAT = 3,
    PROBE_DIRECTORY_STAT = 4,
};
#define PROBE_FOLLOWS(kind) ((kind) == PROBE_STAT || (kind) == PROBE_STAT_EMPTY_OK || (kind) == PROBE_DIRECTORY_STAT)

/// What one probe said.
typedef struct {
    int32_t error;   // 0, or the errno of a failed probe
    uint32_t mode;
    uint64_t dev, ino;
    int64_t size, mtime_ns, ctime_ns;
} probe_result;

typedef struct {
    char *path;
    uint8_t kind;
    /// A stat-like look (not a listing or a read): exact exclusions apply.
    uint8_t stat_like;
    /// A later look saw something else (the entry changed during the run).
    uint8_t conflict;
    /// The entry had changed within the racy margin when it was looked at.
    uint8_t racy;
    probe_result result;
} observation;

/// Whether `path` is excluded (under trace_lock).
int trace_excluded_locked(const char *path, int stat_like);

/// The file timestamps' racy margin: an entry changed less than this before
/// it was looked at may change again without its times changing (the
/// digest cache's rule, DigestCache.racyMarginNs).
#define TRACE_RACY_MARGIN_NS 10000000LL

void trace_probe(const char *path, int kind, probe_result *out);
void trace_result_from_stat(const struct stat *st, probe_result *out);
int trace_results_equal(int kind, const probe_result *a, const probe_result *b);
int64_t trace_now_ns(void);

/// The observations and the run's verdict, under `trace_lock`.
extern pthread_mutex_t trace_lock;
extern observation *trace_observations;
extern size_t trace_observation_total;
/// Why the run cannot be recorded (first reason), or "" when it can.
extern char trace_taint[512];

/// The state database's files as probed when it was opened.
typedef struct { char *path; int kind; probe_result before; } database_probe;
extern database_probe trace_database[4];
extern size_t trace_database_total;

/// Captured output chunks.
typedef struct { int fd; size_t length; unsigned char *bytes; } output_chunk;
extern output_chunk *trace_output_chunks;
extern size_t trace_output_total;

/// Whether watching was ever started (it stops at the first taint).
int cbuild_trace_started(void);

/// libc's own functions (resolved once).
int trace_real_lstat(const char *path, struct stat *st);
int trace_real_stat(const char *path, struct stat *st);
int trace_real_open(const char *path, int flags, int mode);
int trace_real_mkdir(const char *path, mode_t mode);
int trace_real_rename(const char *from, const char *to);
int trace_real_unlink(const char *path);
void *trace_real_opendir(const char *path);
#endif
