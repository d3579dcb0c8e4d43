//! Headless Chromium driven through chromedriver's W3C WebDriver HTTP API
//! (Debian's chromium + chromium-driver), with phone-sized mobile
//! emulation. A tiny blocking HTTP/1.1 client: no browser download, no
//! extra crates.

use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const PHONE_UA: &str =
    "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36";

pub struct Browser {
    driver: Child,
    addr: SocketAddr,
    session: String,
    _profile: std::path::PathBuf,
}

pub struct Options {
    /// Send every http:// request (loopback too) through this proxy.
    pub proxy: Option<SocketAddr>,
}

impl Browser {
    pub fn start(opts: Options) -> Browser {
        Browser::launch(opts, false)
    }

    /// A laptop-sized desktop browser (1280×800, no mobile emulation).
    pub fn start_laptop() -> Browser {
        Browser::launch(Options { proxy: None }, true)
    }

    fn launch(opts: Options, laptop: bool) -> Browser {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (apt-get install chromium-driver)");
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(addr).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        let profile = std::env::temp_dir().join(format!("lango-chromium-{}-{port}", std::process::id()));
        let mut args = vec![
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-quic".into(),
            // Captive traffic is plain HTTP, as phones' probes are: Chromium
            // 148 would try HTTPS first for some hosts (gstatic.com) and
            // tunnel it through the dst-nat proxy, which carries no CONNECT.
            "--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            if laptop { "--window-size=1280,800".to_string() } else { "--window-size=390,844".into() },
            format!("--user-data-dir={}", profile.display()),
        ];
        if let Some(p) = opts.proxy {
            args.push(format!("--proxy-server=http://{p}"));
            // Chromium bypasses the proxy for loopback unless told not to.
            args.push("--proxy-bypass-list=<-loopback>".into());
        }
        let mut chrome = json!({ "binary": "/usr/bin/chromium", "args": args });
        if !laptop {
            chrome["mobileEmulation"] = json!({
                "deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 2.0},
                "userAgent": PHONE_UA
            });
        }
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": chrome}}});
        let mut b = Browser { driver, addr, session: String::new(), _profile: profile };
        let v = b.call("POST", "/session", Some(caps));
        b.session = v["sessionId"].as_str().expect("session id").to_string();
        b
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.try_call(method, path, body).unwrap_or_else(|e| panic!("{e}"))
    }

    fn try_call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let mut s = TcpStream::connect(self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        s.write_all(req.as_bytes()).unwrap();
        // chromedriver keeps the connection open despite "Connection:
        // close": read the head, then exactly Content-Length bytes.
        let mut raw = Vec::new();
        let mut buf = [0u8; 64 * 1024];
        let (head, payload) = loop {
            let n = s.read(&mut buf).unwrap();
            assert!(n > 0, "webdriver closed the connection");
            raw.extend_from_slice(&buf[..n]);
            let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else { continue };
            let head = String::from_utf8_lossy(&raw[..end]).to_string();
            let len = head
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_string()))
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0);
            while raw.len() < end + 4 + len {
                let n = s.read(&mut buf).unwrap();
                assert!(n > 0, "webdriver closed the connection early");
                raw.extend_from_slice(&buf[..n]);
            }
            break (head, String::from_utf8_lossy(&raw[end + 4..end + 4 + len]).to_string());
        };
        let v: Value = serde_json::from_str(&payload).unwrap_or(Value::Null);
        if !head.starts_with("HTTP/1.1 200") {
            return Err(format!("webdriver {method} {path}: {head}\n{payload}"));
        }
        Ok(v["value"].clone())
    }

    fn s(&self, rest: &str) -> String {
        format!("/session/{}{rest}", self.session)
    }

    pub fn goto(&self, url: &str) {
        self.call("POST", &self.s("/url"), Some(json!({ "url": url })));
    }

    pub fn url(&self) -> String {
        self.call("GET", &self.s("/url"), None).as_str().unwrap_or_default().to_string()
    }

    pub fn source(&self) -> String {
        self.call("GET", &self.s("/source"), None).as_str().unwrap_or_default().to_string()
    }

    /// The element matching `css`, waiting up to `within` for it.
    pub fn find(&self, css: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            if let Some(id) = self.try_find(css) {
                return id;
            }
            if Instant::now() > deadline {
                panic!("no element {css:?} at {}:\n{}", self.url(), self.text("body"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn try_find(&self, css: &str) -> Option<String> {
        let body = json!({"using": "css selector", "value": css});
        let path = self.s("/elements");
        let v = self.try_call("POST", &path, Some(body)).ok()?;
        let first = v.as_array()?.first()?.as_object()?.values().next()?.as_str()?.to_string();
        Some(first)
    }

    /// Visible text of the first element matching `css` ("" if none).
    pub fn text(&self, css: &str) -> String {
        match self.try_find(css) {
            // The page may be replaced between finding and reading.
            Some(id) => match self.try_call("GET", &self.s(&format!("/element/{id}/text")), None) {
                Ok(v) => v.as_str().unwrap_or("").into(),
                Err(_) => String::new(),
            },
            None => String::new(),
        }
    }

    /// Wait until the page's body text contains `needle`.
    pub fn wait_text(&self, needle: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            let t = self.text("body");
            if t.contains(needle) {
                return t;
            }
            if Instant::now() > deadline {
                panic!("page at {} never said {needle:?}; it says:\n{t}", self.url());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Like `wait_text`, but says whether it came instead of panicking.
    pub fn wait_text_or(&self, needle: &str, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if self.text("body").contains(needle) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        false
    }

    pub fn click(&self, css: &str) {
        let id = self.find(css, Duration::from_secs(10));
        self.call("POST", &self.s(&format!("/element/{id}/click")), Some(json!({})));
    }

    pub fn clear_and_type(&self, css: &str, text: &str) {
        let id = self.find(css, Duration::from_secs(10));
        self.call("POST", &self.s(&format!("/element/{id}/clear")), Some(json!({})));
        self.call("POST", &self.s(&format!("/element/{id}/value")), Some(json!({ "text": text })));
    }

    /// Type into an element without clearing it first (a file input takes
    /// a file's path this way).
    pub fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css, Duration::from_secs(10));
        self.call("POST", &self.s(&format!("/element/{id}/value")), Some(json!({ "text": text })));
    }

    /// Accept the page's confirm() dialog, waiting for it to open.
    pub fn accept_alert(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.try_call("POST", &self.s("/alert/accept"), Some(json!({}))).is_err() {
            assert!(Instant::now() < deadline, "no dialog opened");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Choose the option with `value` in the <select> matching `css`.
    pub fn select(&self, css: &str, value: &str) {
        self.click(&format!("{css} option[value=\"{value}\"]"));
    }

    /// The value of a cookie the browser holds for the current page.
    pub fn cookie(&self, name: &str) -> Option<String> {
        let v = self.try_call("GET", &self.s(&format!("/cookie/{name}")), None).ok()?;
        v["value"].as_str().map(str::to_string)
    }

    /// A PNG of the viewport.
    pub fn screenshot(&self) -> Vec<u8> {
        use base64::Engine as _;
        let b64 = self.call("GET", &self.s("/screenshot"), None);
        base64::engine::general_purpose::STANDARD.decode(b64.as_str().unwrap_or_default()).unwrap()
    }

    /// Save a screenshot as docs/screenshots/<name>.png when
    /// SCREENSHOT_DIR names that folder (how the README's pictures are
    /// made); otherwise only check that one can be taken.
    pub fn keep_screenshot(&self, name: &str) {
        let png = self.screenshot();
        assert!(png.starts_with(b"\x89PNG"), "screenshot is a PNG");
        if let Ok(dir) = std::env::var("SCREENSHOT_DIR") {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), png).unwrap();
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let path = self.s("");
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.call("DELETE", &path, None)));
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self._profile);
    }
}
