//! Load from `wrk` (a real HTTP load generator, `apt-get install wrk`): a Lua script posts the query,
//! checks every response against the expected `data` (a 200 carrying `errors` counts as wrong), and
//! prints the figures as one JSON line.
//!
//! The check is order-insensitive within objects: async-graphql 7 assembles an object's fields in the
//! order they finish (a `FuturesUnordered`), so under load a connection's `totalCount` sometimes comes
//! after its `nodes`. A response is correct when its `data` part has the expected length and the same
//! bytes: equal to the expected text, or else with the same byte sum (reordered fields pass, any other
//! difference, an error or another value, does not). The byte sum is a Lua loop over every byte: run on
//! every response it took wrk about 0.33 ms of CPU per 57 KB page, a fifth of a core at 600 pages/s on
//! the machine the server shares with wrk, so it runs only when the text differs.
//!
//! The same script loads PostGraphile (`peer.rs`): no key, hence no `Authorization` header, and no
//! `extensions` after its `data`.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

#[derive(Debug)]
pub struct LoadResult {
    pub requests: u64,
    pub correct: u64,
    pub wrong: u64,
    pub socket_errors: u64,
    pub requests_per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// Every script: the request's method and headers, per-thread counts of correct and wrong responses
/// (`tid` numbers the threads from 1, for scripts that build distinct requests), and the summary line.
const COMMON: &str = r#"
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
if KEY then wrk.headers["Authorization"] = "Bearer " .. KEY end
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end
function init(args) correct = 0; wrong = 0 end
function done(summary, latency, requests)
  local c, w = 0, 0
  for _, t in ipairs(threads) do c = c + t:get("correct"); w = w + t:get("wrong") end
  local e = summary.errors
  io.write(string.format('RESULT {"requests":%d,"correct":%d,"wrong":%d,"socket_errors":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, c, w, e.connect + e.read + e.write + e.timeout, summary.duration,
    latency:percentile(50), latency:percentile(99)))
end
"#;

/// One body, posted again and again; each response's `data` compared with `EXPECTED`.
const FIXED: &str = r#"
wrk.body = BODY
local function byte_sum(text, last)
  local sum = 0
  for i = 1, last do sum = (sum + string.byte(text, i)) % 4294967296 end
  return sum
end
local EXPECTED_SUM = byte_sum(EXPECTED, #EXPECTED)
-- The data ends at the expected length: the body ends there (PostGraphile) or this server's `extensions`
-- follow. The data must then be the expected text (compared in C), or else the same bytes in another
-- order: the byte sum, a Lua loop over every byte, runs only then.
local TAIL = ',"extensions"'
function response(status, headers, body)
  local n = #EXPECTED
  if status == 200 and (#body == n or string.sub(body, n + 1, n + #TAIL) == TAIL)
    and string.sub(body, 1, 9) == '{"data":{' and not string.find(body, '"errors"', 1, true)
    and (string.find(body, EXPECTED, 1, true) == 1 or byte_sum(body, n) == EXPECTED_SUM) then
    correct = correct + 1
  else
    wrong = wrong + 1
  end
end
"#;

/// Bodies built by the caller's `request()`; each response must be a 200 without `errors` that holds
/// `MUST_CONTAIN`.
const GENERATED: &str = r#"
function response(status, headers, body)
  if status == 200 and not string.find(body, '"errors"', 1, true) and string.find(body, MUST_CONTAIN, 1, true) then
    correct = correct + 1
  else
    wrong = wrong + 1
  end
end
"#;

/// A Lua long string holding `text` (which never contains the closing bracket used).
fn lua_string(text: &str) -> String {
    format!("[==[{text}]==]")
}

/// The part of a first answer every later response must match: its `{"data":...}`, without the
/// `extensions` after it (this server's cost figures, which may differ between requests).
pub fn expected_data(body: &str) -> String {
    match body.find(",\"extensions\"") {
        Some(end) => body[..end].to_owned(),
        None => body.to_owned(),
    }
}

/// `wrk`'s options before `-s SCRIPT URL`.
pub fn wrk_options(clients: u32, seconds: u32) -> Vec<String> {
    let threads = clients.min(2).to_string();
    ["-t", &threads, "-c", &clients.to_string(), "-d", &format!("{seconds}s"), "--timeout", "10s"]
        .map(String::from)
        .to_vec()
}

/// Runs `wrk` for `seconds` with `clients` connections against `url`, posting `body` with `key` (none:
/// no `Authorization` header); every response's `{"data":...}` part must match `expected_prefix` up to
/// the order of fields.
pub fn run(
    url: &str,
    key: Option<&str>,
    body: &str,
    expected_prefix: &str,
    clients: u32,
    seconds: u32,
    dir: &Path,
) -> LoadResult {
    let settings = format!("BODY = {}\nEXPECTED = {}\n{FIXED}", lua_string(body), lua_string(expected_prefix));
    run_script(url, key, &settings, clients, seconds, dir)
}

/// Runs `wrk` like `run`, with each request's body built by `request_lua`: Lua that defines
/// `request()` (returning `wrk.format(nil, nil, nil, body)`) and may use the global `tid`, its thread's
/// number from 1. Every response must have status 200, no `errors`, and hold `must_contain`.
pub fn run_generated(
    url: &str,
    key: Option<&str>,
    request_lua: &str,
    must_contain: &str,
    clients: u32,
    seconds: u32,
    dir: &Path,
) -> LoadResult {
    let settings = format!("MUST_CONTAIN = {}\n{GENERATED}\n{request_lua}", lua_string(must_contain));
    run_script(url, key, &settings, clients, seconds, dir)
}

fn run_script(url: &str, key: Option<&str>, lua: &str, clients: u32, seconds: u32, dir: &Path) -> LoadResult {
    let script = dir.join(format!("load-{clients}.lua"));
    let text = format!("KEY = {}\n{COMMON}\n{lua}", key.map_or("nil".to_owned(), lua_string));
    std::fs::write(&script, text).expect("write the wrk script");
    let output = Command::new("wrk")
        .args(wrk_options(clients, seconds))
        .arg("-s")
        .arg(&script)
        .arg(url)
        .output()
        .expect("run wrk (apt-get install wrk)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .unwrap_or_else(|| panic!("no result from wrk: {stdout} {}", String::from_utf8_lossy(&output.stderr)));
    let result: Value = serde_json::from_str(line).expect("wrk result");
    let get = |k: &str| result[k].as_u64().unwrap_or(0);
    LoadResult {
        requests: get("requests"),
        correct: get("correct"),
        wrong: get("wrong"),
        socket_errors: get("socket_errors"),
        requests_per_second: get("requests") as f64 / (get("duration_us") as f64 / 1e6),
        p50_ms: get("p50_us") as f64 / 1000.0,
        p99_ms: get("p99_us") as f64 / 1000.0,
    }
}
