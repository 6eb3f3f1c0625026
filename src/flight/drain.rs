//! Graceful shutdown of the `DoGet` streams: the server counts the streams it is sending
//! ([`Drain::guard`]), and when the shutdown grace is over ([`Drain::cut`]) each still running
//! stream ends with `UNAVAILABLE` naming the shutdown — a client sees an error, never a silently
//! short result.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use arrow_flight::FlightData;
use futures::StreamExt;
use tokio::sync::watch;
use tonic::Status;

use super::service::BoxedStream;

/// The running `DoGet` streams of a server, and the signal that cuts them. Clones share them.
#[derive(Debug, Clone)]
pub struct Drain {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    active: AtomicUsize,
    /// `Some(grace)` once the grace is over: running streams end.
    cut: watch::Sender<Option<std::time::Duration>>,
}

impl Default for Drain {
    fn default() -> Self {
        Drain {
            inner: Arc::new(Inner {
                active: AtomicUsize::new(0),
                cut: watch::Sender::new(None),
            }),
        }
    }
}

/// Counts one running stream while it lives.
struct Active(Arc<Inner>);

impl Drop for Active {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The status a stream cut by the shutdown ends with.
pub fn cut_status(grace: std::time::Duration) -> Status {
    let why = if grace.is_zero() {
        "it was stopped at once".to_string()
    } else {
        format!(
            "its shutdown grace of {} is over",
            humantime::format_duration(grace)
        )
    };
    Status::unavailable(format!(
        "the server shut down before this stream ended ({why}): the result is incomplete; ask again"
    ))
}

impl Drain {
    /// A new, empty drain.
    pub fn new() -> Self {
        Self::default()
    }

    /// `stream`, counted as running until it ends or is dropped, and cut by [`Drain::cut`].
    pub fn guard(&self, stream: BoxedStream<FlightData>) -> BoxedStream<FlightData> {
        self.inner.active.fetch_add(1, Ordering::AcqRel);
        let active = Active(self.inner.clone());
        let mut cut = self.inner.cut.subscribe();
        let s = async_stream::stream! {
            let _active = active;
            let mut stream = stream;
            let cut_now = async move {
                cut.wait_for(Option::is_some).await.ok().and_then(|g| *g)
            };
            tokio::pin!(cut_now);
            loop {
                tokio::select! {
                    biased;
                    grace = &mut cut_now => {
                        yield Err(cut_status(grace.unwrap_or_default()));
                        return;
                    }
                    item = stream.next() => match item {
                        Some(item) => yield item,
                        None => return,
                    },
                }
            }
        };
        Box::pin(s)
    }

    /// Streams running now.
    pub fn active(&self) -> usize {
        self.inner.active.load(Ordering::Acquire)
    }

    /// End every running stream (the grace, `grace`, is over); returns how many were running.
    pub fn cut(&self, grace: std::time::Duration) -> usize {
        // counted before the signal: a cut stream stops counting as soon as it has said so
        let running = self.active();
        self.inner.cut.send_replace(Some(grace));
        running
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_cut_stream_ends_with_unavailable_and_is_no_longer_counted() {
        let drain = Drain::new();
        let endless = futures::stream::repeat_with(|| Ok(FlightData::default()));
        let mut s = drain.guard(Box::pin(endless));
        assert!(s.next().await.unwrap().is_ok());
        assert_eq!(drain.active(), 1);
        assert_eq!(drain.cut(std::time::Duration::from_secs(3)), 1);
        let last = loop {
            match s.next().await.unwrap() {
                Ok(_) => continue,
                Err(e) => break e,
            }
        };
        assert_eq!(last.code(), tonic::Code::Unavailable);
        assert!(last.message().contains("shutdown grace of 3s"), "{last}");
        assert!(s.next().await.is_none());
        drop(s);
        assert_eq!(drain.active(), 0);
    }

    #[tokio::test]
    async fn a_finished_stream_is_not_counted() {
        let drain = Drain::new();
        let items = (0..3).map(|_| Ok(FlightData::default()));
        let s = drain.guard(Box::pin(futures::stream::iter(items)));
        let got: Vec<_> = s.collect().await;
        assert_eq!(got.len(), 3);
        assert_eq!(drain.active(), 0);
        assert_eq!(drain.cut(std::time::Duration::ZERO), 0);
    }
}
