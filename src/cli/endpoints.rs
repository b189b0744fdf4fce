//! `iw-studio endpoints FILE [--name NAME]`: ask each `[[endpoints]]` entry
//! what it serves (the Endpoints page's "Test endpoint", headless) and warn
//! for default models it does not serve. Keys are read from each entry's
//! `api_key_env` at request time and never printed.
//!
//! Exit codes: 0 every endpoint answered and serves its default models;
//! 1 a default model is not served; 2 an endpoint could not be asked (or
//! the file is unreadable, or no endpoint matches).

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};

use super::exit;
use super::output::{CliError, Out};
use super::push_common::{load_draft, runtime};
use crate::core::endpoint_check::{EndpointReport, EndpointSpec, specs, test_endpoint};
use crate::core::layout::LayoutSet;

#[derive(clap::Args, Clone, Debug)]
pub struct EndpointsArgs {
    /// The `chat_proxy.toml` whose `[[endpoints]]` to test.
    pub file: PathBuf,
    /// Test only the endpoint with this name.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Seconds to wait for each endpoint.
    #[arg(long, default_value_t = 5.0, value_name = "SECONDS")]
    pub timeout: f64,
}

struct Tested {
    spec: EndpointSpec,
    result: Result<EndpointReport, String>,
}

pub fn run_with(layouts: &LayoutSet, args: &EndpointsArgs, o: &mut Out<'_>) -> u8 {
    match test_all(layouts, args) {
        Ok(tested) => {
            o.emit(|| human(&tested), || json(&tested));
            if tested.iter().any(|t| t.result.is_err()) {
                exit::UNREADABLE
            } else if tested
                .iter()
                .any(|t| t.result.as_ref().is_ok_and(|r| !r.warnings.is_empty()))
            {
                exit::FINDINGS
            } else {
                exit::OK
            }
        }
        Err(failure) => o.fail(failure),
    }
}

fn test_all(layouts: &LayoutSet, args: &EndpointsArgs) -> Result<Vec<Tested>, CliError> {
    if !(args.timeout.is_finite() && args.timeout > 0.0) {
        return Err(CliError::unreadable(format!(
            "--timeout {} must be a positive number of seconds",
            args.timeout
        )));
    }
    let doc = load_draft(&args.file)?;
    let chosen: Vec<EndpointSpec> = specs(&doc, layouts)
        .into_iter()
        .flatten()
        .filter(|s| args.name.as_ref().is_none_or(|n| *n == s.name))
        .collect();
    if chosen.is_empty() {
        return Err(CliError::unreadable(match &args.name {
            Some(n) => format!(
                "{}: no endpoint named “{n}” with a base_url",
                args.file.display()
            ),
            None => format!("{}: no [[endpoints]] with a base_url", args.file.display()),
        }));
    }
    let rt = runtime()?;
    let timeout = Duration::from_secs_f64(args.timeout);
    // Asked together: one slow endpoint costs its own timeout, not everyone's.
    let results = rt.block_on(test_together(&chosen, timeout));
    Ok(chosen
        .into_iter()
        .zip(results)
        .map(|(spec, result)| Tested { spec, result })
        .collect())
}

async fn test_together(
    specs: &[EndpointSpec],
    timeout: Duration,
) -> Vec<Result<EndpointReport, String>> {
    let tasks: Vec<_> = specs
        .iter()
        .cloned()
        .map(|s| tokio::spawn(async move { test_endpoint(&s, timeout).await }))
        .collect();
    let mut out = Vec::with_capacity(tasks.len());
    for task in tasks {
        out.push(match task.await {
            Ok(r) => r.map_err(|e| e.to_string()),
            Err(e) => Err(format!("the test did not finish: {e}")),
        });
    }
    out
}

fn human(tested: &[Tested]) -> String {
    let mut s = String::new();
    for t in tested {
        let _ = write!(
            s,
            "{} ({}, {}): ",
            t.spec.name, t.spec.kind, t.spec.base_url
        );
        match &t.result {
            Ok(r) => {
                let _ = writeln!(
                    s,
                    "serves {}: {}",
                    crate::core::plural::count(r.models.len(), "model", "models"),
                    r.models.join(", ")
                );
                for w in &r.warnings {
                    let _ = writeln!(s, "  warning: {w}");
                }
            }
            Err(e) => {
                let _ = writeln!(s, "FAILED\n  {e}");
            }
        }
    }
    s
}

fn json(tested: &[Tested]) -> Value {
    let endpoints: Vec<Value> = tested
        .iter()
        .map(|t| {
            let (reachable, url, models, warnings, error) = match &t.result {
                Ok(r) => (
                    true,
                    json!(r.url),
                    json!(r.models),
                    json!(r.warnings),
                    Value::Null,
                ),
                Err(e) => (false, Value::Null, json!([]), json!([]), json!(e)),
            };
            json!({
                "name": t.spec.name,
                "kind": t.spec.kind,
                "base_url": t.spec.base_url,
                "api_key_env": t.spec.api_key_env,
                "default_models": t.spec.default_models,
                "reachable": reachable,
                "url": url,
                "models": models,
                "warnings": warnings,
                "error": error,
            })
        })
        .collect();
    json!({ "endpoints": endpoints })
}
