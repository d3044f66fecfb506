use std::process::ExitCode;

use customer_insights::cli::{LogFormat, config, run};
use tracing_subscriber::EnvFilter;

/// A resolved page allocates and frees tens of thousands of small objects from several threads at
/// once; glibc's allocator spent a quarter of the server's CPU on them (arena locks included).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// SQLite allocates with the C allocator, from the thread of each pooled connection. glibc gives each
/// such thread an arena of its own, and each arena keeps the peak of the aggregations its connection
/// ran; one arena keeps the process within SQLite's page cache limit plus what is in use. SQLite
/// serialises its allocations itself, so the arena's lock costs nothing more. A fixed mapping threshold
/// keeps SQLite's large buffers (a sort's memory, megabytes each) in mappings of their own, returned to
/// the system when freed: glibc otherwise raises the threshold after the first such free and serves the
/// next ones from the heap, where they stay (a million-answer aggregation from the rows: 170 MiB peak
/// instead of 150).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn one_c_heap() {
    // SAFETY: `mallopt` only changes tuning parameters of glibc's allocator.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn one_c_heap() {}

/// mimalloc keeps a freed page for a second before giving it back to the system (its purge delay by
/// default), long enough for the buffers of one large insight to be still resident while the next is
/// built: two rounds of the ten dashboard insights on SQLite at a million answers peak at 178-182 MiB
/// with that delay, at 170 with 100 ms. A steady load reuses its pages within milliseconds, so they stay.
/// The option is set only while it holds mimalloc 3's default (1,000 ms), so another
/// `MIMALLOC_PURGE_DELAY` in the environment wins and a mimalloc numbering its options otherwise is
/// left as it is.
fn prompt_purge() {
    // `mi_option_purge_delay` in mimalloc 3's `mi_option_e` (libmimalloc-sys names no constant for it).
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    const DEFAULT_MS: std::ffi::c_long = 1000;
    // SAFETY: reading and setting an allocator option; mimalloc reads its options atomically.
    unsafe {
        if libmimalloc_sys::mi_option_get(PURGE_DELAY) == DEFAULT_MS {
            libmimalloc_sys::mi_option_set(PURGE_DELAY, 100);
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    one_c_heap();
    prompt_purge();
    let loaded = match config::load(std::env::args_os().collect()) {
        Ok(loaded) => loaded,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let filter = EnvFilter::try_new(&loaded.cli.log).unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match loaded.cli.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().flatten_event(true).with_current_span(true).with_span_list(false).init(),
    }
    match run(loaded).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
