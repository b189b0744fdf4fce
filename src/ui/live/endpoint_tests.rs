//! Endpoint tests from the Endpoints page: each runs on the worker; its
//! answer is kept for the spec it tested (name, kind, URL, key variable),
//! so editing any of those shows "not tested" again instead of a stale list.

use std::sync::mpsc::Receiver;
use std::time::Duration;

use super::LiveProxy;
use crate::core::endpoint_check::{EndpointReport, EndpointSpec, test_endpoint};

/// One test, pending or answered.
pub enum EndpointTest {
    Pending(Receiver<Result<EndpointReport, String>>),
    Done(Result<EndpointReport, String>),
}

/// The tests run this session, newest answer per spec.
#[derive(Default)]
pub struct EndpointTests {
    tests: Vec<(EndpointSpec, EndpointTest)>,
}

/// Two specs test the same thing when everything but the default models
/// agrees (the defaults are checked against the answer when it is shown).
fn same_target(a: &EndpointSpec, b: &EndpointSpec) -> bool {
    a.name == b.name
        && a.kind == b.kind
        && a.base_url == b.base_url
        && a.api_key_env == b.api_key_env
}

impl EndpointTests {
    pub fn get(&self, spec: &EndpointSpec) -> Option<&EndpointTest> {
        self.tests
            .iter()
            .find(|(s, _)| same_target(s, spec))
            .map(|(_, t)| t)
    }

    fn put(&mut self, spec: EndpointSpec, test: EndpointTest) {
        self.tests.retain(|(s, _)| !same_target(s, &spec));
        self.tests.push((spec, test));
    }

    /// Take the answers that arrived; true when one did.
    fn poll(&mut self) -> bool {
        let mut arrived = false;
        for (_, test) in &mut self.tests {
            if let EndpointTest::Pending(rx) = test
                && let Ok(result) = rx.try_recv()
            {
                *test = EndpointTest::Done(result);
                arrived = true;
            }
        }
        arrived
    }
}

impl LiveProxy {
    pub fn endpoint_test(&self, spec: &EndpointSpec) -> Option<&EndpointTest> {
        self.endpoint_tests.get(spec)
    }

    /// Ask the endpoint what it serves, with the active profile's timeout.
    pub(super) fn start_endpoint_test(&mut self, ctx: &egui::Context, spec: EndpointSpec) {
        let timeout = Duration::from_secs_f64(self.profiles.active().timeout_s.clamp(0.5, 600.0));
        let Some(worker) = self.worker() else { return };
        let task = spec.clone();
        let repaint = ctx.clone();
        let rx = worker.spawn(
            async move {
                test_endpoint(&task, timeout)
                    .await
                    .map_err(|e| e.to_string())
            },
            move || repaint.request_repaint(),
        );
        self.endpoint_tests.put(spec, EndpointTest::Pending(rx));
    }

    pub(super) fn poll_endpoint_tests(&mut self) {
        self.endpoint_tests.poll();
    }
}
