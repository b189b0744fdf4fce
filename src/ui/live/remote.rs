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
        error: String,
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
            Err(e) => Self::Failed {
                error: e.to_string(),
                previous,
            },
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

    pub fn error(&self) -> Option<&str> {
        match self {
            Self::Failed { error, .. } => Some(error),
            _ => None,
        }
    }

    pub fn fetched_at(&self) -> Option<SystemTime> {
        match self {
            Self::Ready { at, .. } => Some(*at),
            _ => None,
        }
    }
}
