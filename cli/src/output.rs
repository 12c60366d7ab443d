//! Human or JSON output, chosen once by `--json`.

use serde_json::Value;

/// Where command results go.
#[derive(Clone, Copy)]
pub struct Output {
    json: bool,
}

impl Output {
    /// Output in JSON when `json` is set.
    pub fn new(json: bool) -> Self {
        Output { json }
    }

    /// Whether output is JSON.
    pub fn is_json(&self) -> bool {
        self.json
    }

    /// Prints a line of progress to stderr (stdout stays the result's, JSON or not).
    pub fn progress_line(&self, line: &str) {
        eprintln!("{line}");
    }

    /// Prints `value` as JSON, or `human` as text.
    pub fn emit(&self, value: Value, human: impl FnOnce() -> String) {
        if self.json {
            println!("{value}");
        } else {
            println!("{}", human());
        }
    }
}
