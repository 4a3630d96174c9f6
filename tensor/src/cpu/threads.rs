//! How many threads the CPU kernels use: rayon's global pool, sized by `RAYON_NUM_THREADS` or
//! the number of cores unless a program sets it first (the examples' `--threads N`).

/// Sizes the pool to `threads` threads. Only possible before the first parallel kernel ran
/// (the pool is built on first use and then fixed): the error says so.
pub fn set_threads(threads: usize) -> Result<(), String> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()
        .map_err(|e| format!("cannot set the CPU threads to {threads}: {e}"))
}

/// The number of threads the CPU kernels run on.
pub fn threads() -> usize {
    rayon::current_num_threads()
}
