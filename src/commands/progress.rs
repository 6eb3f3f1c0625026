//! Progress on stderr: on a terminal one line rewritten in place (`\r`), otherwise plain lines, at most
//! one every [`Progress::PLAIN_EVERY`] plus one at the end.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// What a progress line shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    /// Rows written.
    pub rows: u64,
    /// Batches (Graph pages) written.
    pub batches: u64,
    /// Graph calls made.
    pub graph_calls: u64,
    /// Calls left in the hourly budget, and the budget.
    pub budget: Option<(u32, u32)>,
}

/// A progress reporter.
#[derive(Debug)]
pub struct Progress {
    label: String,
    tty: bool,
    enabled: bool,
    started: Instant,
    last: Option<Instant>,
    drawn: bool,
}

impl Progress {
    /// Plain (non-terminal) lines at most this often.
    pub const PLAIN_EVERY: Duration = Duration::from_secs(2);
    /// Terminal redraws at most this often.
    pub const TTY_EVERY: Duration = Duration::from_millis(100);

    /// A reporter for `label` (e.g. the report name); `enabled` false prints nothing.
    pub fn new(label: impl Into<String>, enabled: bool) -> Self {
        Progress {
            label: label.into(),
            tty: std::io::stderr().is_terminal(),
            enabled,
            started: Instant::now(),
            last: None,
            drawn: false,
        }
    }

    fn line(&self, c: &Counts) -> String {
        let mut s = format!(
            "{}: {}, {}, {}",
            self.label,
            super::count(c.rows, "row"),
            super::count(c.batches, "batch"),
            super::count(c.graph_calls, "Graph call")
        );
        if let Some((left, limit)) = c.budget {
            s.push_str(&format!(", budget {left}/{limit} left"));
        }
        s.push_str(&format!(", {:.1} s", self.started.elapsed().as_secs_f64()));
        s
    }

    /// Whether progress is printed at all.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Whether the next [`Self::update`] prints (progress lines are rate-limited).
    pub fn due(&self) -> bool {
        self.enabled
            && if self.tty {
                self.last.is_none_or(|t| t.elapsed() >= Self::TTY_EVERY)
            } else {
                self.last.unwrap_or(self.started).elapsed() >= Self::PLAIN_EVERY
            }
    }

    /// Report progress (rate-limited).
    pub fn update(&mut self, c: &Counts) {
        if !self.due() {
            return;
        }
        self.last = Some(Instant::now());
        let line = self.line(c);
        let mut err = std::io::stderr().lock();
        if self.tty {
            let _ = write!(err, "\r\x1b[2K{line}");
            self.drawn = true;
        } else {
            let _ = writeln!(err, "{line}");
        }
        let _ = err.flush();
    }

    /// The last progress line: on a terminal the line is cleared (the caller prints the result);
    /// otherwise the final counts are printed as one more plain line.
    pub fn finish(&mut self, c: &Counts) {
        if !self.enabled {
            return;
        }
        let mut err = std::io::stderr().lock();
        if self.tty {
            if self.drawn {
                let _ = write!(err, "\r\x1b[2K");
            }
        } else {
            let _ = writeln!(err, "{}", self.line(c));
        }
        let _ = err.flush();
    }

    /// Clear a drawn terminal line before an error message.
    pub fn abandon(&mut self) {
        if self.enabled && self.tty && self.drawn {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        }
    }
}
