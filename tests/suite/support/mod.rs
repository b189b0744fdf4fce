//! What the tests share: the stand-in proxy, the binary runner, the app harness.

pub mod app;
pub mod binary;
pub mod model_servers;
pub mod registry_run;
pub mod stand_in_process;
pub mod test_proxy;
