//! What the Preview & push page, the profiles panel and the push dialog ask
//! of the live proxy (applied in `LiveProxy::handle`).

use crate::core::endpoint_check::EndpointSpec;
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
    /// Ask to restart the proxy with the active profile's restart command
    /// (after the push shown, or to apply what is pending).
    AskRestart,
    /// Run the restart the admin confirmed; `interrupt_gpu_job` after a
    /// held GPU lease was shown and accepted.
    Restart {
        interrupt_gpu_job: bool,
    },
    /// Close the restart dialog (a restart under way finishes and is recorded).
    CloseRestart,
    /// Rescue the proxy that cannot start with this file (`core::rescue`):
    /// mend, save, restart with the profile's command, verify.
    Rescue(std::path::PathBuf),
    /// Put the rescue's result away (a rescue under way finishes).
    CloseRescue,
    /// Ask a `[[endpoints]]` entry what it serves.
    TestEndpoint(Box<EndpointSpec>),
    /// Plan a push that puts back what history entry N replaced.
    Revert(usize),
    /// Pick a fleet of the profiles file (`None`: one proxy, as before).
    SelectFleet(Option<String>),
    /// Ask every proxy of the fleet how it differs from the draft.
    CheckFleet,
    /// Plan a push of the open document to every proxy of the fleet.
    OpenFleetPush(PushMode),
    /// Show target N's changes and losses in the fleet push dialog.
    FleetTab(usize),
    /// The "push anyway and lose these" box of the fleet review.
    ConfirmFleetLosses(bool),
    /// Send the reviewed fleet plan.
    FleetPush,
    CloseFleetPush,
}
