//! A real browser for tests: Debian's Chromium, headless, driven through
//! ChromeDriver over the W3C WebDriver protocol, and the axe-core
//! accessibility rules run inside the page.
//!
//! The client is written here on reqwest rather than taken from a WebDriver
//! crate: the wire is a handful of JSON calls (`POST /session`, `/url`,
//! `/element`, `/execute/sync`...), reqwest is already compiled for the
//! project, and a client crate would bring a second HTTP stack into the
//! test build. Errors panic with the command and ChromeDriver's message:
//! this is test support, and a failed command is a failed test.
//!
//! `bash infra/local/setup.sh` installs Chromium and ChromeDriver (Debian's
//! packages) and axe-core (npm, into `.local-stack/`). `CHROMIUM` and
//! `CHROMEDRIVER` name other binaries.

use base64::Engine as _;
use reqwest::Method;
use serde::Deserialize;
use serde_json::{json, Value};
use std::io::{Read as _, Write as _};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// How long `find` waits for an element to appear.
pub const FIND_TIMEOUT: Duration = Duration::from_secs(5);

/// W3C's key for an element reference in JSON.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Chromium's flags. Headless as root needs `--no-sandbox`; the rest keep
/// it from reaching for Google's hosts, which this closed network refuses
/// (many connections at a time) and which slow every start.
const CHROMIUM_ARGS: &[&str] = &[
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
];

/// WebDriver's codes for keys that are not characters, for `send_keys`
/// and `send_keys_to_page`.
pub mod keys {
    pub const ENTER: &str = "\u{E007}";
    pub const TAB: &str = "\u{E004}";
    pub const ESCAPE: &str = "\u{E00C}";
    pub const BACKSPACE: &str = "\u{E003}";
    pub const ARROW_UP: &str = "\u{E013}";
    pub const ARROW_DOWN: &str = "\u{E015}";
    pub const ARROW_LEFT: &str = "\u{E012}";
    pub const ARROW_RIGHT: &str = "\u{E014}";
    pub const SHIFT: &str = "\u{E008}";
    pub const CONTROL: &str = "\u{E009}";
    pub const ALT: &str = "\u{E00A}";
    pub const META: &str = "\u{E03D}";
}

/// The repository's root (the test-support package sits in `tests/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// Where a test's screenshot named `name` goes:
/// `target/browser-artifacts/<name>.png` (the folder is created).
pub fn artifact(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"));
    let dir = target.join("browser-artifacts");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    dir.join(format!("{name}.png"))
}

fn binary(env: &str, default: &str) -> PathBuf {
    let path = std::env::var_os(env)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default));
    if !path.is_file() {
        panic!(
            "{} not found (set {env} to use another binary): the browser tests need \
             Debian's chromium and chromium-driver; run `bash infra/local/setup.sh` as root",
            path.display()
        );
    }
    path
}

/// A headless Chromium session: a ChromeDriver child process of its own on
/// a free loopback port, and a fresh, empty profile. Dropping it ends the
/// session, ChromeDriver and the browser, and removes the profile.
pub struct Browser {
    wire: Wire,
    driver: Child,
    driver_port: u16,
    session_id: Option<String>,
    profile: PathBuf,
}

/// One WebDriver session's endpoint.
#[derive(Clone)]
struct Wire {
    http: reqwest::Client,
    /// `http://127.0.0.1:PORT/session/ID`
    session: String,
}

/// An element of the current page.
#[derive(Clone)]
pub struct Element {
    wire: Wire,
    id: String,
    /// The selector it was found by, for messages.
    css: String,
}

/// A cookie as the browser holds it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cookie {
    pub name: String,
    pub value: String,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub domain: Option<String>,
    #[serde(default)]
    pub secure: bool,
    #[serde(default)]
    pub http_only: bool,
    #[serde(default)]
    pub same_site: Option<String>,
    /// Seconds since the epoch; `None` for a session cookie.
    #[serde(default)]
    pub expiry: Option<u64>,
}

/// One axe rule a page breaks.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Violation {
    /// The rule, e.g. `label`, `color-contrast`.
    pub id: String,
    /// `minor`, `moderate`, `serious` or `critical`.
    #[serde(default)]
    pub impact: Option<String>,
    pub help: String,
    pub help_url: String,
    /// A CSS selector per offending node (frames joined by spaces).
    pub targets: Vec<String>,
}

impl Violation {
    /// Serious or critical: what `assert_accessible` fails on.
    pub fn is_serious(&self) -> bool {
        matches!(self.impact.as_deref(), Some("serious" | "critical"))
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}): {} [{}] <{}>",
            self.id,
            self.impact.as_deref().unwrap_or("no impact"),
            self.help,
            self.targets.join(", "),
            self.help_url
        )
    }
}

impl Browser {
    /// Starts ChromeDriver and a headless Chromium session. Panics, saying
    /// how to install them, when either binary is missing.
    pub async fn start() -> Browser {
        let chromium = binary("CHROMIUM", "/usr/bin/chromium");
        let chromedriver = binary("CHROMEDRIVER", "/usr/bin/chromedriver");
        let profile = fresh_profile_dir();
        let port = free_port();
        let log = profile.with_extension("chromedriver.log");
        let log_file = std::fs::File::create(&log)
            .unwrap_or_else(|e| panic!("creating {}: {e}", log.display()));
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .arg("--log-level=WARNING")
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("log file handle"))
            .stderr(log_file)
            // Its own process group, so that Drop can end ChromeDriver and
            // every browser process it started, and nothing else.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", chromedriver.display()));
        let http = shared::adapters::http::client().expect("HTTP client");
        let base = format!("http://127.0.0.1:{port}");
        let mut browser = Browser {
            wire: Wire {
                http: http.clone(),
                session: String::new(),
            },
            driver,
            driver_port: port,
            session_id: None,
            profile: profile.clone(),
        };
        browser.wait_until_ready(&base, &log).await;

        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|a| a.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "pageLoadStrategy": "normal",
                    // Alerts stay open until a test accepts or dismisses them.
                    "unhandledPromptBehavior": "ignore",
                    "timeouts": { "implicit": 0, "pageLoad": 30_000, "script": 30_000 },
                    "goog:chromeOptions": {
                        "binary": chromium.to_string_lossy(),
                        "args": args,
                    }
                }
            }
        });
        let created = Wire::send(
            &http,
            Method::POST,
            &format!("{base}/session"),
            Some(capabilities),
        )
        .await
        .unwrap_or_else(|e| {
            panic!(
                "creating a Chromium session: {e}\nChromeDriver's log ({}):\n{}",
                log.display(),
                std::fs::read_to_string(&log).unwrap_or_default()
            )
        });
        let id = created["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("new session without an id: {created}"))
            .to_string();
        browser.wire.session = format!("{base}/session/{id}");
        browser.session_id = Some(id);
        browser
    }

    async fn wait_until_ready(&mut self, base: &str, log: &Path) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(status) = Wire::send(
                &self.wire.http,
                Method::GET,
                &format!("{base}/status"),
                None,
            )
            .await
            {
                if status["ready"].as_bool() == Some(true) {
                    return;
                }
            }
            if let Ok(Some(exit)) = self.driver.try_wait() {
                panic!(
                    "chromedriver exited ({exit}) before it was ready:\n{}",
                    std::fs::read_to_string(log).unwrap_or_default()
                );
            }
            if Instant::now() > deadline {
                panic!(
                    "chromedriver was not ready on port {} after 15 s:\n{}",
                    self.driver_port,
                    std::fs::read_to_string(log).unwrap_or_default()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Opens `url` and waits for the page to load.
    pub async fn goto(&self, url: &str) {
        self.wire
            .cmd(Method::POST, "/url", json!({ "url": url }))
            .await;
    }

    pub async fn current_url(&self) -> String {
        string(self.wire.get("/url").await)
    }

    pub async fn title(&self) -> String {
        string(self.wire.get("/title").await)
    }

    /// The first element matching `css`, waiting up to `FIND_TIMEOUT` for it
    /// to appear; panics if none does.
    pub async fn find(&self, css: &str) -> Element {
        let deadline = Instant::now() + FIND_TIMEOUT;
        loop {
            let found = self
                .wire
                .try_cmd(Method::POST, "/element", Some(by_css(css)))
                .await;
            match found {
                Ok(v) => return self.element(&v, css),
                Err(e) if e.error == "no such element" && Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("find {css:?}: {e}"),
            }
        }
    }

    /// Every element matching `css` now (no waiting; possibly none).
    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        let found = self.wire.cmd(Method::POST, "/elements", by_css(css)).await;
        found
            .as_array()
            .map(|all| all.iter().map(|v| self.element(v, css)).collect())
            .unwrap_or_default()
    }

    fn element(&self, v: &Value, css: &str) -> Element {
        let id = v[ELEMENT_KEY]
            .as_str()
            .unwrap_or_else(|| panic!("element reference without an id: {v}"))
            .to_string();
        Element {
            wire: self.wire.clone(),
            id,
            css: css.to_string(),
        }
    }

    /// Runs `js` as a function body with `arguments` = `args`; its `return`
    /// value comes back as JSON.
    pub async fn execute(&self, js: &str, args: Vec<Value>) -> Value {
        self.wire
            .cmd(
                Method::POST,
                "/execute/sync",
                json!({ "script": js, "args": args }),
            )
            .await
    }

    /// Runs `js` with a callback as its last argument
    /// (`arguments[arguments.length - 1]`); returns what it is called with.
    pub async fn execute_async(&self, js: &str, args: Vec<Value>) -> Value {
        self.wire
            .cmd(
                Method::POST,
                "/execute/async",
                json!({ "script": js, "args": args }),
            )
            .await
    }

    pub async fn page_source(&self) -> String {
        string(self.wire.get("/source").await)
    }

    /// Types `keys` into the page as a person would, wherever the focus is
    /// (a keyboard shortcut): each character, or `keys::*` code, pressed and
    /// released in turn.
    pub async fn send_keys_to_page(&self, keys: &str) {
        let actions: Vec<Value> = keys
            .chars()
            .flat_map(|c| {
                [
                    json!({ "type": "keyDown", "value": c.to_string() }),
                    json!({ "type": "keyUp", "value": c.to_string() }),
                ]
            })
            .collect();
        self.key_actions(actions).await;
    }

    /// Holds `keys` down together, then releases them in reverse: a chord
    /// such as `[keys::CONTROL, "k"]`.
    pub async fn press_chord(&self, chord: &[&str]) {
        let mut actions: Vec<Value> = chord
            .iter()
            .map(|k| json!({ "type": "keyDown", "value": k }))
            .collect();
        actions.extend(
            chord
                .iter()
                .rev()
                .map(|k| json!({ "type": "keyUp", "value": k })),
        );
        self.key_actions(actions).await;
    }

    async fn key_actions(&self, actions: Vec<Value>) {
        let sequence =
            json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": actions }] });
        self.wire.cmd(Method::POST, "/actions", sequence).await;
        self.wire.delete("/actions").await;
    }

    /// The text of the open alert, confirm or prompt, waiting up to
    /// `FIND_TIMEOUT` for one to open.
    pub async fn alert_text(&self) -> String {
        let deadline = Instant::now() + FIND_TIMEOUT;
        loop {
            match self.wire.try_cmd(Method::GET, "/alert/text", None).await {
                Ok(v) => return string(v),
                Err(e) if e.error == "no such alert" && Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("alert text: {e}"),
            }
        }
    }

    pub async fn accept_alert(&self) {
        self.wire
            .cmd(Method::POST, "/alert/accept", json!({}))
            .await;
    }

    pub async fn dismiss_alert(&self) {
        self.wire
            .cmd(Method::POST, "/alert/dismiss", json!({}))
            .await;
    }

    /// Writes a PNG of the viewport to `path` (creating its folder).
    pub async fn screenshot(&self, path: &Path) {
        let png = base64::engine::general_purpose::STANDARD
            .decode(string(self.wire.get("/screenshot").await))
            .expect("the screenshot is base64");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        }
        std::fs::write(path, png).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }

    /// The cookies the browser holds for the current page's domain.
    pub async fn cookies(&self) -> Vec<Cookie> {
        serde_json::from_value(self.wire.get("/cookie").await)
            .expect("cookies as WebDriver lists them")
    }

    pub async fn delete_all_cookies(&self) {
        self.wire.delete("/cookie").await;
    }

    /// Runs axe-core's rules on the current page; every violation, of any
    /// impact.
    pub async fn axe(&self) -> Vec<Violation> {
        let loaded = self
            .execute("return typeof window.axe === 'object';", vec![])
            .await;
        if loaded != Value::Bool(true) {
            self.execute(&axe_source(), vec![]).await;
        }
        let outcome = self
            .execute_async(
                r#"
                const done = arguments[arguments.length - 1];
                axe.run(document, { resultTypes: ['violations'] }).then(
                  (r) => done({ violations: r.violations.map((v) => ({
                    id: v.id,
                    impact: v.impact,
                    help: v.help,
                    helpUrl: v.helpUrl,
                    targets: v.nodes.map((n) => n.target.map(String).join(' ')),
                  })) }),
                  (e) => done({ error: String(e) }),
                );
                "#,
                vec![],
            )
            .await;
        if let Some(error) = outcome.get("error") {
            panic!("axe.run failed: {error}");
        }
        serde_json::from_value(outcome["violations"].clone())
            .unwrap_or_else(|e| panic!("axe's violations: {e}: {outcome}"))
    }

    /// Panics, listing them, when the current page has any serious or
    /// critical axe violation; a screenshot of the page is then kept as the
    /// artifact `<page_name>-a11y`.
    pub async fn assert_accessible(&self, page_name: &str) {
        let serious: Vec<Violation> = self
            .axe()
            .await
            .into_iter()
            .filter(Violation::is_serious)
            .collect();
        if serious.is_empty() {
            return;
        }
        let shot = artifact(&format!("{page_name}-a11y"));
        self.screenshot(&shot).await;
        let list: Vec<String> = serious.iter().map(|v| format!("  - {v}")).collect();
        panic!(
            "{page_name}: {} serious or critical accessibility violation(s) at {}:\n{}\n(screenshot: {})",
            serious.len(),
            self.current_url().await,
            list.join("\n"),
            shot.display()
        );
    }

    /// Ends the session (the browser closes) and ChromeDriver.
    pub async fn quit(mut self) {
        if self.session_id.take().is_some() {
            self.wire.delete("").await;
        }
        // Drop stops ChromeDriver and removes the profile.
    }

    /// Ends the session from Drop, without a runtime: a raw HTTP/1.1
    /// DELETE, so that ChromeDriver closes the browser itself.
    fn end_session_blocking(&self, id: &str) {
        let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", self.driver_port)) else {
            return;
        };
        let timeout = Some(Duration::from_secs(5));
        if stream.set_read_timeout(timeout).is_err() || stream.set_write_timeout(timeout).is_err() {
            return;
        }
        let request = format!(
            "DELETE /session/{id} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.driver_port
        );
        if stream.write_all(request.as_bytes()).is_ok() {
            // The answer comes once the browser is closed; its content does
            // not matter, and the process group is killed after anyway.
            let mut answer = Vec::new();
            let _ended = stream.read_to_end(&mut answer);
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if let Some(id) = self.session_id.take() {
            self.end_session_blocking(&id);
        }
        // ChromeDriver leads its own process group (see `start`): this ends
        // it and any browser process still running, and nothing else.
        if let Ok(pgid) = i32::try_from(self.driver.id()) {
            // SAFETY: kill(2) with a negative pid signals that process
            // group only; it touches no memory of ours.
            unsafe {
                libc::kill(-pgid, libc::SIGKILL);
            }
        }
        let _reaped = self.driver.wait();
        let _removed = std::fs::remove_dir_all(&self.profile);
        let _removed = std::fs::remove_file(self.profile.with_extension("chromedriver.log"));
    }
}

impl Element {
    pub async fn click(&self) {
        self.cmd(Method::POST, "/click", json!({})).await;
    }

    /// The rendered text, as a person reads it.
    pub async fn text(&self) -> String {
        string(self.cmd(Method::GET, "/text", Value::Null).await)
    }

    /// Types `text` into the element (`keys::*` codes for special keys).
    pub async fn send_keys(&self, text: &str) {
        self.cmd(Method::POST, "/value", json!({ "text": text }))
            .await;
    }

    pub async fn clear(&self) {
        self.cmd(Method::POST, "/clear", json!({})).await;
    }

    /// The attribute `name`, or `None` when it is absent.
    pub async fn attr(&self, name: &str) -> Option<String> {
        self.cmd(Method::GET, &format!("/attribute/{name}"), Value::Null)
            .await
            .as_str()
            .map(str::to_string)
    }

    /// The DOM property `name` (e.g. `value`, `checked`), as JSON.
    pub async fn property(&self, name: &str) -> Value {
        self.cmd(Method::GET, &format!("/property/{name}"), Value::Null)
            .await
    }

    pub async fn is_displayed(&self) -> bool {
        self.cmd(Method::GET, "/displayed", Value::Null).await == Value::Bool(true)
    }

    async fn cmd(&self, method: Method, command: &str, body: Value) -> Value {
        let shown = format!("{method} {command}");
        let body = (method == Method::POST).then_some(body);
        let path = format!("/element/{}{command}", self.id);
        self.wire
            .try_cmd(method, &path, body)
            .await
            .unwrap_or_else(|e| panic!("element {:?}: {shown}: {e}", self.css))
    }
}

/// An error ChromeDriver answered a command with.
#[derive(Debug)]
struct WireError {
    /// W3C's error code, e.g. `no such element`.
    error: String,
    message: String,
}

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.error, self.message)
    }
}

impl Wire {
    async fn send(
        http: &reqwest::Client,
        method: Method,
        url: &str,
        body: Option<Value>,
    ) -> Result<Value, WireError> {
        let mut request = http.request(method, url).timeout(Duration::from_secs(60));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(|e| WireError {
            error: "no answer".to_string(),
            message: e.to_string(),
        })?;
        let status = response.status();
        let mut answer: Value = response.json().await.map_err(|e| WireError {
            error: format!("HTTP {status}"),
            message: format!("not JSON: {e}"),
        })?;
        let value = answer["value"].take();
        if status.is_success() {
            return Ok(value);
        }
        Err(WireError {
            error: value["error"]
                .as_str()
                .unwrap_or("unknown error")
                .to_string(),
            message: value["message"].as_str().unwrap_or_default().to_string(),
        })
    }

    async fn try_cmd(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, WireError> {
        Self::send(&self.http, method, &format!("{}{path}", self.session), body).await
    }

    async fn cmd(&self, method: Method, path: &str, body: Value) -> Value {
        let shown = format!("{method} {path}");
        self.try_cmd(method, path, Some(body))
            .await
            .unwrap_or_else(|e| panic!("webdriver {shown}: {e}"))
    }

    async fn get(&self, path: &str) -> Value {
        self.try_cmd(Method::GET, path, None)
            .await
            .unwrap_or_else(|e| panic!("webdriver GET {path}: {e}"))
    }

    async fn delete(&self, path: &str) -> Value {
        self.try_cmd(Method::DELETE, path, None)
            .await
            .unwrap_or_else(|e| panic!("webdriver DELETE {path}: {e}"))
    }
}

fn by_css(css: &str) -> Value {
    json!({ "using": "css selector", "value": css })
}

fn string(v: Value) -> String {
    match v {
        Value::String(s) => s,
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// axe-core's script, as setup.sh installed it.
fn axe_source() -> String {
    let path = repo_root().join(".local-stack/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; axe-core is installed by `bash infra/local/setup.sh`",
            path.display()
        )
    })
}

/// A free loopback port for ChromeDriver (the OS picks it; it is released
/// just before ChromeDriver binds it).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A new, empty Chromium profile folder, unique to this process and call.
fn fresh_profile_dir() -> PathBuf {
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "outbound-chromium-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _stale = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}
