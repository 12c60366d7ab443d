//! A headless Chromium driven over W3C WebDriver (Debian's `chromium` and `chromium-driver`, which
//! `.ci/install-deps` installs): the few commands the explorer's browser test needs, over plain HTTP.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

/// The element key of W3C WebDriver's element references.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A chromedriver process and one browser session in it; both end on drop.
pub struct Browser {
    driver: Child,
    http: reqwest::Client,
    session: String,
    base: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Browser {
    /// Starts chromedriver on a free port and a headless Chromium session of 1300×1000.
    pub async fn start() -> Browser {
        let driver_bin = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .expect("chromedriver is missing: .ci/install-deps installs Debian's chromium and chromium-driver");
        let port = free_port();
        let driver = Command::new(driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot start chromedriver");
        let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while http.get(format!("{base}/status")).send().await.is_err() {
            assert!(started.elapsed() < Duration::from_secs(20), "chromedriver did not answer in 20 s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mut browser = Browser { driver, http, session: String::new(), base };
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1300,1000"],
            },
        }}});
        let created = browser.command(reqwest::Method::POST, "/session", capabilities).await;
        browser.session = created["sessionId"].as_str().expect("a session id").to_owned();
        browser
    }

    async fn command(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.base);
        let mut request = self.http.request(method.clone(), &url);
        if method != reqwest::Method::GET {
            request = request.json(&body);
        }
        let answer: Value = request.send().await.unwrap().json().await.unwrap();
        if let Some(error) = answer["value"]["error"].as_str() {
            panic!("WebDriver {path}: {error}: {}", answer["value"]["message"]);
        }
        answer["value"].clone()
    }

    fn at(&self, path: &str) -> String {
        format!("/session/{}{path}", self.session)
    }

    /// Opens `url`.
    pub async fn open(&self, url: &str) {
        self.command(reqwest::Method::POST, &self.at("/url"), json!({"url": url})).await;
    }

    /// Runs `script` (a function body) in the page and returns its value.
    pub async fn run(&self, script: &str) -> Value {
        self.command(reqwest::Method::POST, &self.at("/execute/sync"), json!({"script": script, "args": []})).await
    }

    /// The page's visible text.
    pub async fn text(&self) -> String {
        self.run("return document.body.innerText").await.as_str().unwrap_or_default().to_owned()
    }

    async fn element(&self, css: &str) -> String {
        let found = self
            .command(reqwest::Method::POST, &self.at("/element"), json!({"using": "css selector", "value": css}))
            .await;
        found[ELEMENT].as_str().unwrap_or_else(|| panic!("no element reference for {css}: {found}")).to_owned()
    }

    /// Types `text` into the element `css`.
    pub async fn type_into(&self, css: &str, text: &str) {
        let element = self.element(css).await;
        self.command(reqwest::Method::POST, &self.at(&format!("/element/{element}/value")), json!({"text": text}))
            .await;
    }

    /// Clicks the element `css`.
    pub async fn click(&self, css: &str) {
        let element = self.element(css).await;
        self.command(reqwest::Method::POST, &self.at(&format!("/element/{element}/click")), json!({})).await;
    }

    /// Waits until `script` returns true in the page, for up to `seconds`; panics with the page's text if not.
    pub async fn wait_until(&self, what: &str, script: &str, seconds: u64) {
        let started = Instant::now();
        loop {
            if self.run(script).await.as_bool() == Some(true) {
                return;
            }
            if started.elapsed() > Duration::from_secs(seconds) {
                panic!("{what}: not seen in {seconds} s; the page shows:\n{}", self.text().await);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Waits until the explorer has rendered the page of `hash` (its route marks `data-loaded`); returns how
    /// long the page took to load, as the page measured it (ms).
    pub async fn loaded(&self, hash: &str) -> u64 {
        let script = format!("return document.body.dataset.loaded === {}", json!(hash));
        self.wait_until(&format!("the page {hash}"), &script, 30).await;
        let took = self.run("return document.body.dataset.loadMs").await;
        took.as_str().and_then(|t| t.parse().ok()).unwrap_or(0)
    }

    /// Saves a screenshot of the window as `dir/name.png`; returns its path.
    pub async fn screenshot(&self, dir: &Path, name: &str) -> PathBuf {
        let shot = self.command(reqwest::Method::GET, &self.at("/screenshot"), Value::Null).await;
        let png = base64::engine::general_purpose::STANDARD.decode(shot.as_str().unwrap()).unwrap();
        std::fs::create_dir_all(dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }
}

impl Browser {
    /// Ends the session (and its Chromium), then the driver.
    pub async fn close(self) {
        let _ = self.http.delete(format!("{}/session/{}", self.base, self.session)).send().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The session closes with its driver.
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
