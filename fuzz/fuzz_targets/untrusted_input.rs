//! Request bodies, GraphQL documents, persisted query hashes, global IDs and cursors from arbitrary bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    customer_insights::fuzzing::untrusted_input(data);
});
