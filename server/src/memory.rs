//! Allocator tuning. Each password hash allocates 19 MiB (argon2id, OWASP parameters) on a
//! blocking-pool thread. glibc raises its mmap threshold after the first such block is freed,
//! so later blocks come from per-thread arenas and stay resident after use: under a stream of
//! logins the process grew to ~240 MB. A fixed threshold keeps every large block mmap'd, so it
//! goes back to the system as soon as the hash is done: peak RSS under the benchmark's login
//! flood fell to 39 MB. The price is the page faults of a fresh 19 MiB block per hash (one core
//! verifies ~20 logins/s instead of ~39-49); capping glibc at two arenas instead kept the speed
//! but not the memory (249 MB). Reusing one argon2 block buffer per hashing slot would give
//! both: see the closing note of #6.

/// Blocks of at least this size are always mmap'd (and unmapped when freed).
const MMAP_THRESHOLD_BYTES: i32 = 1024 * 1024;

/// Applies the tuning; call once at startup, before the runtime starts its threads.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; it is called before any other thread
    // exists, and M_MMAP_THRESHOLD with a value below the 32 MiB maximum is always accepted.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES);
    }
}
