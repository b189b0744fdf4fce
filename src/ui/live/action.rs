//! What the Preview & push page, the profiles panel and the push dialog ask
//! of the live proxy (applied in `LiveProxy::handle`).

use crate::core::proxy::{ConnectionProfile, PushMode};

#[derive(Clone, Debug, PartialEq)]
pub enum LiveAction {
    /// Ask the proxy for its health, config and models.
    Refresh,
    /// Refresh every N seconds (`None`: only on request).
    AutoRefresh(Option<u64>),
    SelectProfile(String),
    /// Add `profile-N` on the active profile's URL and make it active.
    NewProfile,
    RemoveProfile(String),
    /// Replace the fields of profile `name`.
    EditProfile {
        name: String,
        edited: Box<ConnectionProfile>,
    },
    /// Plan a push of the open document and show it for review.
    OpenPush(PushMode),
    /// The "push anyway and lose these" box of the review.
    ConfirmLosses(bool),
    /// Send the reviewed plan.
    Push,
    /// Close the push dialog.
    ClosePush,
    /// Plan a push that puts back what history entry N replaced.
    Revert(usize),
}
