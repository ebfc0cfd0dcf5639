#ifndef CBUILD_CREADTRACE_H
#define CBUILD_CREADTRACE_H
// The process watching its own file-system reads, for the no-op record
// (docs/performance.md, "The no-op record"). read_trace.c defines the libc
// functions the process calls to look at files (stat, open, opendir, ...),
// passes each call on to libc, and while watching remembers every path
// looked at with what stat(2) said of it then. It also notices what makes a
// run unrepeatable from its reads alone: a write outside the excluded
// paths, a child process, a network connection, a change of directory.
// noop_record.c turns a run's observations into a record and checks one.

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Starts watching (idempotent). Observations before this are not kept.
void cbuild_trace_start(void);
/// Stops watching; what was observed stays until the process ends.
void cbuild_trace_stop(void);
/// Whether watching is on.
int cbuild_trace_active(void);

/// Paths the run may read and write without it mattering: the state
/// database's files, the lock, the records themselves. `prefix`: every path
/// starting with `path`; else only `path` itself, and only for stat-like
/// looks (a listing of it is still observed).
void cbuild_trace_exclude(const char *path, int prefix);

/// The state database, about to be opened: its file and WAL are probed now
/// and again when the record is saved; a difference (anything wrote to it
/// meanwhile) means no record. Its files become excluded.
void cbuild_trace_note_database(const char *path);

/// Marks the run as not repeatable from its reads (`why` is kept).
void cbuild_trace_taint(const char *why);

/// Output written to fd 1 or 2 while watching, replayed with the record.
void cbuild_trace_output(int fd, const void *bytes, size_t length);

/// The number of paths observed so far (for tests and the benchmark).
size_t cbuild_trace_observation_count(void);

/// Saves the record of this run into `directory` (created if missing),
/// named after the invocation's identity, with `meta` (opaque to C) and
/// `exit_status`. Returns 1 when saved; 0 with the reason in `why`.
int cbuild_noop_save(const char *directory, const void *meta, size_t meta_length, int exit_status,
                     char *why, size_t why_size);

/// A record of this very invocation found in `directory`, or NULL (none, or
/// made by another invocation: arguments, environment, directory, terminal,
/// executable). Free it with cbuild_noop_free.
typedef struct cbuild_noop_record cbuild_noop_record;
cbuild_noop_record *cbuild_noop_find(const char *directory);
/// The meta bytes saved with it (valid until freed).
const void *cbuild_noop_meta(const cbuild_noop_record *record, size_t *length);
/// Probes every observation again: 1 when all are as recorded; else 0 with
/// the first difference in `why`.
int cbuild_noop_validate(const cbuild_noop_record *record, char *why, size_t why_size);
/// Writes the recorded output to fds 1 and 2 in order; returns the exit status.
int cbuild_noop_replay(const cbuild_noop_record *record);
void cbuild_noop_free(cbuild_noop_record *record);

/// SHA-256 of `bytes` (the identity's digest; tests compare it with libcrypto's).
void cbuild_trace_sha256(const void *bytes, size_t length, unsigned char digest[32]);

/// For tests: the observations of a record file (path, whether stat
/// followed symlinks) through a callback; returns their number or -1.
long cbuild_noop_list(const char *file, void (*each)(const char *path, int kind, int error, void *context), void *context);

#ifdef __cplusplus
}
#endif
#endif
