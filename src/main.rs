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

#[tokio::main]
async fn main() -> ExitCode {
    one_c_heap();
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
