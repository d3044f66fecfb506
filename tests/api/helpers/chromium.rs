//! Headless Chromium driven over the DevTools protocol: load a page, click, type, read the DOM, list
//! every request the page made and every error it logged, and take screenshots. `.ci/run` installs Debian's `chromium`; without it the tests that need a
//! browser fail and say how to install it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use super::Socket;

/// How long one step (start, load, an element to appear) may take.
const STEP: Duration = Duration::from_secs(30);

/// Chromium's switches: headless, root-friendly (CI runs as root), and quiet: no updates, sync, safe
/// browsing or metrics, and no host name resolves except loopback ones, so the browser itself reaches
/// nothing beyond this machine whatever a page asks.
const SWITCHES: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--no-pings",
    "--metrics-recording-only",
    "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
    "--window-size=1280,900",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
];

/// A running headless Chromium, ended when dropped.
pub struct Chromium {
    child: Child,
    /// `127.0.0.1:PORT` of its DevTools endpoint.
    devtools: String,
    _profile: tempfile::TempDir,
}

impl Chromium {
    pub fn launch() -> Chromium {
        let program = std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".to_owned());
        let profile = tempfile::tempdir().expect("a profile directory");
        let mut child = Command::new(&program)
            .args(SWITCHES)
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| {
                panic!(
                    "cannot start `{program}` ({error}): this test drives a real browser; install one with \
                     `apt-get install chromium` (as .ci/run does) or name its binary in CHROMIUM"
                )
            });
        // Chromium announces its DevTools endpoint on stderr; the rest of its chatter is drained.
        let stderr = BufReader::new(child.stderr.take().expect("stderr"));
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("DevTools listening on ws://") {
                    let _ = sender.send(url.split('/').next().unwrap_or_default().to_owned());
                }
            }
        });
        let devtools = receiver.recv_timeout(STEP).unwrap_or_else(|_| {
            let _ = child.kill();
            panic!("`{program}` did not open its DevTools endpoint within {STEP:?}")
        });
        Chromium { child, devtools, _profile: profile }
    }

    /// The tab Chromium opened at start, with the Page, Network, Runtime and Log domains on.
    pub async fn page(&self) -> Page {
        let targets: Value = reqwest::get(format!("http://{}/json/list", self.devtools))
            .await
            .and_then(|response| response.error_for_status())
            .expect("DevTools target list")
            .json()
            .await
            .expect("DevTools target list as JSON");
        let url = targets
            .as_array()
            .and_then(|targets| targets.iter().find(|target| target["type"] == "page"))
            .and_then(|target| target["webSocketDebuggerUrl"].as_str())
            .unwrap_or_else(|| panic!("no page among the DevTools targets: {targets}"))
            .to_owned();
        let (socket, _) = tokio_tungstenite::connect_async(url).await.expect("connect to the page's DevTools");
        let mut page = Page { socket, next_id: 0, events: Vec::new() };
        for domain in ["Page", "Network", "Runtime", "Log"] {
            page.call(&format!("{domain}.enable"), json!({})).await;
        }
        // Content-Security-Policy refusals, recorded from the first script on every document.
        let recorder = "window.cspViolations = []; document.addEventListener('securitypolicyviolation', \
                        (e) => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));";
        page.call("Page.addScriptToEvaluateOnNewDocument", json!({ "source": recorder })).await;
        page
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One tab, and the protocol's events seen on it so far.
pub struct Page {
    socket: Socket,
    next_id: u64,
    events: Vec<Value>,
}

impl Page {
    /// Sends a command and returns its result; events that arrive meanwhile are kept.
    pub async fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let command = json!({ "id": id, "method": method, "params": params }).to_string();
        self.socket.send(Message::text(command)).await.expect("send a DevTools command");
        loop {
            let message = tokio::time::timeout(STEP, self.socket.next())
                .await
                .unwrap_or_else(|_| panic!("no answer to {method} within {STEP:?}"));
            let Some(Ok(Message::Text(text))) = message else { continue };
            let message: Value = serde_json::from_str(&text).expect("DevTools sends JSON");
            if message["id"] == id {
                assert!(message.get("error").is_none(), "{method} failed: {message}");
                return message["result"].clone();
            }
            self.events.push(message);
        }
    }

    pub async fn navigate(&mut self, url: &str) {
        let result = self.call("Page.navigate", json!({ "url": url })).await;
        assert!(result.get("errorText").is_none(), "loading {url} failed: {result}");
    }

    /// The value of a JavaScript expression (awaited when it is a promise).
    pub async fn evaluate(&mut self, expression: &str) -> Value {
        let params = json!({ "expression": expression, "returnByValue": true, "awaitPromise": true });
        let result = self.call("Runtime.evaluate", params).await;
        assert!(result.get("exceptionDetails").is_none(), "`{expression}` threw: {result}");
        result["result"]["value"].clone()
    }

    /// Evaluates `expression` until it is neither null nor false, and returns that value.
    pub async fn wait_for(&mut self, what: &str, expression: &str) -> Value {
        let started = Instant::now();
        loop {
            let value = self.evaluate(expression).await;
            if !(value.is_null() || value == false) {
                return value;
            }
            assert!(started.elapsed() < STEP, "{what}: not there after {STEP:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A left click in the middle of the first element matching `selector`, with the mouse as a user would.
    pub async fn click(&mut self, selector: &str) {
        let center = format!(
            "(() => {{ const e = document.querySelector({selector:?}); if (!e) return null; \
             const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; }})()"
        );
        let center = self.wait_for(selector, &center).await;
        let (x, y) = (center[0].clone(), center[1].clone());
        for kind in ["mouseMoved", "mousePressed", "mouseReleased"] {
            let event = json!({ "type": kind, "x": x, "y": y, "button": "left", "clickCount": 1 });
            self.call("Input.dispatchMouseEvent", event).await;
        }
    }

    /// Ctrl+A in the focused element.
    pub async fn select_all(&mut self) {
        for kind in ["rawKeyDown", "keyUp"] {
            let event =
                json!({ "type": kind, "modifiers": 2, "key": "a", "code": "KeyA", "windowsVirtualKeyCode": 65 });
            self.call("Input.dispatchKeyEvent", event).await;
        }
    }

    /// Types `text` into the focused element, replacing the selection.
    pub async fn insert_text(&mut self, text: &str) {
        self.call("Input.insertText", json!({ "text": text })).await;
    }

    /// Presses and releases a key in the focused element, e.g. `("ArrowDown", 40)`.
    pub async fn press(&mut self, key: &str, key_code: u32) {
        for kind in ["rawKeyDown", "keyUp"] {
            let event = json!({ "type": kind, "key": key, "code": key, "windowsVirtualKeyCode": key_code });
            self.call("Input.dispatchKeyEvent", event).await;
        }
    }

    /// Every URL the page asked for so far: documents, scripts, styles, fonts, fetches and WebSockets.
    pub async fn requested_urls(&mut self) -> Vec<String> {
        // A round trip, so every event sent before now has been read.
        self.evaluate("0").await;
        let urls = self.events.iter().filter_map(|event| match event["method"].as_str() {
            Some("Network.requestWillBeSent") => event["params"]["request"]["url"].as_str(),
            Some("Network.webSocketCreated") => event["params"]["url"].as_str(),
            _ => None,
        });
        urls.map(str::to_owned).collect()
    }

    /// The HTTP requests the page sent so far (`url`, `method`, `postData`, ...), oldest first.
    pub async fn requests(&mut self) -> Vec<Value> {
        self.evaluate("0").await;
        let sent = self.events.iter().filter(|event| event["method"] == "Network.requestWillBeSent");
        sent.map(|event| event["params"]["request"].clone()).collect()
    }

    /// Errors the page logged so far: `console.error` calls, and the browser's own (failed loads and the
    /// like).
    pub fn console_errors(&self) -> Vec<&Value> {
        let errors = self.events.iter().filter(|event| match event["method"].as_str() {
            Some("Runtime.consoleAPICalled") => event["params"]["type"] == "error",
            Some("Log.entryAdded") => event["params"]["entry"]["level"] == "error",
            _ => false,
        });
        errors.map(|event| &event["params"]).collect()
    }

    /// Saves a PNG of the whole page (beyond the window too) at `path`, creating its directory.
    pub async fn screenshot(&mut self, path: &std::path::Path) {
        use base64::Engine;
        let size = self.call("Page.getLayoutMetrics", json!({})).await["cssContentSize"].clone();
        let clip = json!({ "x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1 });
        let params = json!({ "format": "png", "captureBeyondViewport": true, "clip": clip });
        let shot = self.call("Page.captureScreenshot", params).await;
        let png = base64::engine::general_purpose::STANDARD.decode(shot["data"].as_str().expect("image data"));
        std::fs::create_dir_all(path.parent().expect("a directory")).expect("create the screenshot directory");
        std::fs::write(path, png.expect("base64")).expect("write the screenshot");
    }

    /// Uncaught exceptions so far.
    pub fn exceptions(&self) -> Vec<&Value> {
        let thrown = self.events.iter().filter(|event| event["method"] == "Runtime.exceptionThrown");
        thrown.map(|event| &event["params"]["exceptionDetails"]).collect()
    }
}
