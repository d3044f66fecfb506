//! The seed of every randomized test, in the integration tests and (through `#[path]` in `src/lib.rs`) in
//! the unit tests alike: `TEST_SEED` when it is set, to replay a run, otherwise a new one from the clock.

/// The seed to draw this test's random choices from. Printed to stderr, which `cargo test` shows for a
/// failing test, with the command line that replays it.
pub fn test_seed() -> u64 {
    let seed = match std::env::var("TEST_SEED") {
        Ok(text) => text.trim().parse().unwrap_or_else(|_| panic!("TEST_SEED={text} is not a u64")),
        Err(_) => {
            let since_epoch = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
            since_epoch.as_nanos() as u64
        }
    };
    eprintln!("seed {seed} (replay with TEST_SEED={seed})");
    seed
}
