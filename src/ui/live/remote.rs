//! One thing fetched from the proxy: not asked yet, on its way (keeping the
//! last answer on screen), there, or failed.

use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::SystemTime;

use crate::core::proxy::ProxyError;

#[derive(Default)]
pub enum Remote<T> {
    #[default]
    Idle,
    Pending {
        rx: Receiver<Result<T, ProxyError>>,
        previous: Option<T>,
    },
    Ready {
        value: T,
        at: SystemTime,
    },
    Failed {
        error: ProxyError,
        previous: Option<T>,
    },
}

impl<T> Remote<T> {
    pub fn start(&mut self, rx: Receiver<Result<T, ProxyError>>) {
        let previous = self.take_value();
        *self = Self::Pending { rx, previous };
    }

    fn take_value(&mut self) -> Option<T> {
        match std::mem::take(self) {
            Self::Ready { value, .. } => Some(value),
            Self::Pending { previous, .. } | Self::Failed { previous, .. } => previous,
            Self::Idle => None,
        }
    }

    /// Take an answer that arrived; true when something changed.
    pub fn poll(&mut self) -> bool {
        let Self::Pending { rx, .. } = self else {
            return false;
        };
        let result = match rx.try_recv() {
            Ok(result) => result,
            Err(TryRecvError::Empty) => return false,
            Err(TryRecvError::Disconnected) => Err(ProxyError::Transport {
                method: "GET",
                url: String::new(),
                reason: "the request was dropped".into(),
            }),
        };
        let previous = self.take_value();
        *self = match result {
            Ok(value) => Self::Ready {
                value,
                at: SystemTime::now(),
            },
            Err(error) => Self::Failed { error, previous },
        };
        true
    }

    /// The freshest value there is, even while a refresh is running.
    pub fn value(&self) -> Option<&T> {
        match self {
            Self::Ready { value, .. } => Some(value),
            Self::Pending { previous, .. } | Self::Failed { previous, .. } => previous.as_ref(),
            Self::Idle => None,
        }
    }

    pub fn is_pending(&self) -> bool {
        matches!(self, Self::Pending { .. })
    }

    pub fn error(&self) -> Option<&ProxyError> {
        match self {
            Self::Failed { error, .. } => Some(error),
            _ => None,
        }
    }

    /// Whether the last request failed for want of a proxy to talk to (no
    /// connection, no answer in time, the connection dropped), rather than
    /// with an answer the proxy gave or a profile that cannot be used.
    pub fn unreachable(&self) -> bool {
        matches!(
            self.error(),
            Some(
                ProxyError::Connect { .. }
                    | ProxyError::Timeout { .. }
                    | ProxyError::Transport { .. }
            )
        )
    }

    pub fn fetched_at(&self) -> Option<SystemTime> {
        match self {
            Self::Ready { at, .. } => Some(*at),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc::channel;

    use super::*;

    #[test]
    fn a_failure_keeps_the_last_value_and_its_kind() {
        let mut remote = Remote::Idle;
        let (tx, rx) = channel();
        remote.start(rx);
        let _ = tx.send(Ok(7));
        assert!(remote.poll());
        let (tx, rx) = channel();
        remote.start(rx);
        assert_eq!(remote.value(), Some(&7), "shown while the refresh runs");
        let _ = tx.send(Err(ProxyError::Connect {
            method: "GET",
            url: "http://127.0.0.1:9/v1/health".into(),
            reason: "connection refused".into(),
        }));
        assert!(remote.poll());
        assert!(remote.unreachable());
        assert_eq!(remote.value(), Some(&7));

        let (tx, rx) = channel::<Result<i32, ProxyError>>();
        remote.start(rx);
        let _ = tx.send(Err(ProxyError::TokenMissing { var: "T".into() }));
        assert!(remote.poll());
        assert!(remote.error().is_some() && !remote.unreachable());
    }
}
