//! `registry` subcommands: list, check, show, set, roles, and the
//! maintenance actions (remove, purge-deprecated, prune-duplicates, promote,
//! normalize, regenerate), each previewed with `--dry-run`.

use crate::core::plural;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::args::ConnectOpts;
use super::output::{CliError, Out};
use super::{OutputFormat, exit};
use crate::core::proxy::{ProxyApi, served_ids};
use crate::core::registry::json_text::to_python_json;
use crate::core::registry::maintenance::{MaintenanceAction, MaintenancePlan};
use crate::core::registry::roles::{ProxyProfile, RoleCoverage, role_coverage};
use crate::core::registry::sort::{ServedIds, served_as};
use crate::core::registry::{
    EditOutcome, Finding, RegistrySession, RegistryStore, SaveReport, Severity, entry_layout,
    validate_loaded,
};

#[derive(Clone, Debug, clap::Subcommand)]
pub enum RegistryCmd {
    /// List the merged entries.
    List {
        dir: PathBuf,
        /// Mark the entries this proxy serves now (its `/v1/models`, matched by `logical_id`).
        #[arg(long, value_name = "URL")]
        proxy: Option<String>,
        #[command(flatten)]
        connect: ConnectOpts,
    },
    /// Validate the registry; exits 1 when there is an error.
    Check { dir: PathBuf },
    /// Print one merged entry.
    Show {
        dir: PathBuf,
        name: String,
        /// Also print where each field's value comes from.
        #[arg(long)]
        provenance: bool,
    },
    /// Set a field in the curated layer (VALUE is JSON; a bare word is a string).
    Set {
        dir: PathBuf,
        name: String,
        field: String,
        value: String,
    },
    /// Which model answers each role, by the apps' rule and by the proxy's
    /// `/v1/models/select_by_role`, with a warning for every role left empty.
    Roles {
        dir: PathBuf,
        /// The deployment profile's `max_vram_mb` (the proxy's rule); without
        /// it every entry with a `vram_estimate_mb` fits.
        #[arg(long, value_name = "N")]
        vram_mb: Option<f64>,
        /// The profile's `preferred_quantizations`, best first (comma-separated).
        #[arg(long, value_name = "LIST", value_delimiter = ',')]
        prefer_quant: Vec<String>,
    },
    /// Remove models completely: their curated and discovered entries (model
    /// files are never touched).
    Remove {
        dir: PathBuf,
        #[arg(required = true)]
        names: Vec<String>,
        #[command(flatten)]
        preview: DryRun,
    },
    /// Remove every deprecated entry completely.
    PurgeDeprecated {
        dir: PathBuf,
        #[command(flatten)]
        preview: DryRun,
    },
    /// Remove duplicates (same backend, host:port and model path, or same
    /// served_model_id), keeping the curated one.
    PruneDuplicates {
        dir: PathBuf,
        #[command(flatten)]
        preview: DryRun,
    },
    /// Copy discovered entries into the curated layer, without their runtime state.
    Promote {
        dir: PathBuf,
        #[arg(required = true)]
        names: Vec<String>,
        #[command(flatten)]
        preview: DryRun,
    },
    /// Rewrite values ImageWorks reads the same way in their plain form
    /// (`served_model_id` "None" -> null, blank hosts, untrimmed roles...).
    Normalize {
        dir: PathBuf,
        #[command(flatten)]
        preview: DryRun,
    },
    /// Write model_registry.json again from the two layers (the fix for a stale snapshot).
    Regenerate { dir: PathBuf },
}

/// `--dry-run` of the maintenance actions.
#[derive(Clone, Debug, clap::Args)]
pub struct DryRun {
    /// Print what would change (a diff per file) and write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Run a registry command writing to `o`; returns the exit code.
pub fn run_with(cmd: &RegistryCmd, o: &mut Out<'_>) -> u8 {
    let format = o.format;
    let out = &mut *o.out;
    let result = match cmd {
        RegistryCmd::List {
            dir,
            proxy,
            connect,
        } => list(dir, proxy.as_deref().map(|url| (url, connect)), format, out),
        RegistryCmd::Check { dir } => check(dir, format, out),
        RegistryCmd::Show {
            dir,
            name,
            provenance,
        } => show(dir, name, *provenance, format, out),
        RegistryCmd::Set {
            dir,
            name,
            field,
            value,
        } => set(dir, name, field, value, format, out),
        RegistryCmd::Roles {
            dir,
            vram_mb,
            prefer_quant,
        } => {
            let profile = ProxyProfile {
                max_vram_mb: *vram_mb,
                preferred_quantizations: prefer_quant.clone(),
            };
            roles(dir, &profile, format, out)
        }
        RegistryCmd::Remove {
            dir,
            names,
            preview,
        } => {
            let action = MaintenanceAction::Remove {
                names: names.clone(),
            };
            maintain(dir, &action, preview.dry_run, format, out)
        }
        RegistryCmd::PurgeDeprecated { dir, preview } => {
            let action = MaintenanceAction::PurgeDeprecated;
            maintain(dir, &action, preview.dry_run, format, out)
        }
        RegistryCmd::PruneDuplicates { dir, preview } => {
            let action = MaintenanceAction::PruneDuplicates;
            maintain(dir, &action, preview.dry_run, format, out)
        }
        RegistryCmd::Promote {
            dir,
            names,
            preview,
        } => {
            let action = MaintenanceAction::Promote {
                names: names.clone(),
            };
            maintain(dir, &action, preview.dry_run, format, out)
        }
        RegistryCmd::Normalize { dir, preview } => maintain(
            dir,
            &MaintenanceAction::Normalize,
            preview.dry_run,
            format,
            out,
        ),
        RegistryCmd::Regenerate { dir } => regenerate(dir, format, out),
    };
    match result {
        Ok(code) => code,
        Err(failure) => o.fail(failure),
    }
}

fn load(dir: &Path) -> Result<RegistryStore, CliError> {
    if !dir.is_dir() {
        return Err(CliError::new(
            exit::UNREADABLE,
            format!("{}: not a folder", dir.display()),
        ));
    }
    RegistryStore::load(dir).map_err(|e| CliError::new(exit::UNREADABLE, e))
}

fn print_json(out: &mut dyn Write, value: &Value) -> Result<(), CliError> {
    out.write_all(to_python_json(value).as_bytes())
        .map_err(|e| CliError::write_failed(&e))
}

fn list(
    dir: &Path,
    proxy: Option<(&str, &ConnectOpts)>,
    format: OutputFormat,
    out: &mut dyn Write,
) -> Result<u8, CliError> {
    let store = load(dir)?;
    let served = proxy.map(|(url, c)| served_now(url, c)).transpose()?;
    let rows: Vec<Value> = store
        .merged()
        .entries
        .iter()
        .map(|e| list_row(e, served.as_ref()))
        .collect();
    match format {
        OutputFormat::Json => print_json(out, &json!({ "entries": rows }))?,
        OutputFormat::Human => {
            for row in &rows {
                writeln!(out, "{}", human_row(row)).map_err(|e| CliError::write_failed(&e))?;
            }
        }
    }
    Ok(exit::OK)
}

/// What the proxy at `url` serves now. A proxy that cannot be asked is an
/// error (exit 2), never "nothing served".
fn served_now(url: &str, c: &ConnectOpts) -> Result<ServedIds, CliError> {
    let profile = c.profile(url);
    let fail = |e: &dyn std::fmt::Display| {
        CliError::unreadable(format!("cannot tell which entries are served: {e}"))
    };
    let api = profile.client().map_err(|e| fail(&e))?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| fail(&format!("cannot start the async runtime: {e}")))?;
    let models = rt.block_on(api.models()).map_err(|e| match e {
        // Not the shape `/v1/models` has (no `data` list): another server.
        e @ crate::core::proxy::ProxyError::InvalidJson { .. } => {
            fail(&format!("not an ImageWorks proxy answer: {e}"))
        }
        e => fail(&e),
    })?;
    Ok(served_ids(&models))
}

/// One entry; with a proxy, also whether it is served and under which id.
fn list_row(entry: &crate::core::registry::MergedEntry, served: Option<&ServedIds>) -> Value {
    let mut row = summary_row(entry);
    if let (Some(served), Value::Object(map)) = (served, &mut row) {
        let id = served_as(entry, Some(served));
        map.insert("served".into(), Value::Bool(id.is_some()));
        map.insert("served_id".into(), id.map_or(Value::Null, Value::from));
    }
    row
}

fn summary_row(entry: &crate::core::registry::MergedEntry) -> Value {
    let view = entry.view();
    json!({
        "name": entry.name(),
        "display_name": view.display_name(),
        "backend": view.backend(),
        "layer": entry.layer.as_str(),
        "host": view.host(),
        "port": view.port(),
        "quantization": view.quantization(),
        "capabilities": entry.capabilities().collect::<Vec<_>>(),
        "deprecated": view.deprecated(),
    })
}

fn human_row(row: &Value) -> String {
    let s = |k: &str| match row.get(k) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => "-".into(),
        Some(other) => other.to_string(),
    };
    let deprecated = if row.get("deprecated") == Some(&Value::Bool(true)) {
        "  [deprecated]"
    } else {
        ""
    };
    let served = match row.get("served_id") {
        Some(Value::String(id)) => format!("  [served as “{id}”]"),
        _ => String::new(),
    };
    format!(
        "{:<50} {:<9} {:<20} {}:{} {}{deprecated}{served}",
        s("name"),
        s("backend"),
        s("layer"),
        s("host"),
        s("port"),
        s("quantization"),
    )
}

fn check(dir: &Path, format: OutputFormat, out: &mut dyn Write) -> Result<u8, CliError> {
    let store = load(dir)?;
    let findings = validate_loaded(&store);
    match format {
        OutputFormat::Json => {
            let items: Vec<Value> = findings.iter().map(finding_json).collect();
            print_json(out, &json!({ "findings": items }))?;
        }
        OutputFormat::Human => {
            for f in &findings {
                let fix = match f.fix {
                    Some(fix) => format!(
                        " (fix: {}: iw-studio registry regenerate {})",
                        fix.label(),
                        dir.display()
                    ),
                    None => String::new(),
                };
                // A finding on a whole file names the file, not an entry.
                let place = match f.entry.is_empty() {
                    true => dir.join(&f.field).display().to_string(),
                    false => format!("{}: {}", f.entry, f.field),
                };
                writeln!(out, "{}: {place}: {}{fix}", f.severity.as_str(), f.message)
                    .map_err(|e| CliError::write_failed(&e))?;
            }
            let errors = findings
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .count();
            let warnings = findings.len() - errors;
            let info = findings
                .iter()
                .filter(|f| f.severity == Severity::Info)
                .count();
            let warnings = warnings - info;
            writeln!(
                out,
                "{}, {}, {info} info",
                plural::count(errors, "error", "errors"),
                plural::count(warnings, "warning", "warnings")
            )
            .map_err(|e| CliError::write_failed(&e))?;
        }
    }
    let has_error = findings.iter().any(|f| f.severity == Severity::Error);
    Ok(if has_error { exit::FINDINGS } else { exit::OK })
}

fn finding_json(f: &Finding) -> Value {
    json!({
        "severity": f.severity.as_str(),
        "entry": f.entry,
        "field": f.field,
        "message": f.message,
        "fix": f.fix.map(|fix| fix.label()),
    })
}

fn show(
    dir: &Path,
    name: &str,
    with_provenance: bool,
    format: OutputFormat,
    out: &mut dyn Write,
) -> Result<u8, CliError> {
    let store = load(dir)?;
    let entry = store
        .merged()
        .get(name)
        .ok_or_else(|| CliError::new(exit::FINDINGS, format!("{name}: no such entry")))?;
    let value = store.value(name).unwrap_or(&Value::Null);
    if !with_provenance {
        print_json(out, value)?;
        return Ok(exit::OK);
    }
    let fields = store.provenance(name).unwrap_or_default();
    match format {
        OutputFormat::Json => {
            let map: Map<String, Value> = fields
                .iter()
                .map(|(path, source)| (path.clone(), Value::from(source.as_str())))
                .collect();
            let doc = json!({"entry": value, "layer": entry.layer.as_str(), "provenance": map});
            print_json(out, &doc)?;
        }
        OutputFormat::Human => {
            print_json(out, value)?;
            writeln!(out, "\nlayer: {}", entry.layer.as_str())
                .map_err(|e| CliError::write_failed(&e))?;
            for (path, source) in &fields {
                writeln!(out, "{path:<50} {}", source.as_str())
                    .map_err(|e| CliError::write_failed(&e))?;
            }
        }
    }
    Ok(exit::OK)
}

/// `registry set`: VALUE parsed and range-checked by the entry layout
/// (`RegistrySession::set_field_cli`), then saved.
fn set(
    dir: &Path,
    name: &str,
    field: &str,
    value: &str,
    format: OutputFormat,
    out: &mut dyn Write,
) -> Result<u8, CliError> {
    let mut session = open_session(dir)?;
    let outcome = session
        .set_field_cli(name, field, value)
        .map_err(|e| CliError::new(exit::FINDINGS, e))?;
    // Saved even when the value was already there: a save also regenerates a
    // stale snapshot, so that a rerun heals what a failed save left.
    let report = session
        .save()
        .map_err(|e| CliError::new(exit::FINDINGS, e))?;
    report_save(&report, outcome, format, out)?;
    Ok(exit::OK)
}

fn open_session(dir: &Path) -> Result<RegistrySession, CliError> {
    let store = load(dir)?;
    let layout = entry_layout().map_err(|e| CliError::new(exit::UNREADABLE, e))?;
    Ok(RegistrySession::from_store(store, Arc::new(layout)))
}

fn written_paths(report: &SaveReport) -> Vec<String> {
    report
        .written
        .iter()
        .map(|p| p.display().to_string())
        .collect()
}

fn report_save(
    report: &SaveReport,
    outcome: EditOutcome,
    format: OutputFormat,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let written = written_paths(report);
    match format {
        OutputFormat::Json => print_json(
            out,
            &json!({
                "changed": outcome == EditOutcome::Changed,
                "written": written,
                "discovered_reloaded": report.discovered_reloaded,
            }),
        ),
        OutputFormat::Human => {
            let text = if written.is_empty() {
                "unchanged: the value is already there; nothing written".to_owned()
            } else {
                format!("written: {}", written.join(", "))
            };
            writeln!(out, "{text}").map_err(|e| CliError::write_failed(&e))
        }
    }
}

fn write_line(out: &mut dyn Write, text: &str) -> Result<(), CliError> {
    writeln!(out, "{text}").map_err(|e| CliError::write_failed(&e))
}

fn roles(
    dir: &Path,
    profile: &ProxyProfile,
    format: OutputFormat,
    out: &mut dyn Write,
) -> Result<u8, CliError> {
    let store = load(dir)?;
    let coverage = role_coverage(&store, profile);
    match format {
        OutputFormat::Json => {
            let items: Vec<Value> = coverage.iter().map(role_json).collect();
            print_json(out, &json!({ "roles": items }))?;
        }
        OutputFormat::Human => {
            for role in &coverage {
                write_line(out, &role_human(role))?;
            }
        }
    }
    Ok(exit::OK)
}

fn role_json(role: &RoleCoverage) -> Value {
    json!({
        "role": role.role,
        "apps": role.apps,
        "proxy": role.proxy,
        "warnings": role.warnings,
    })
}

fn role_human(role: &RoleCoverage) -> String {
    let names = |list: &[String]| match list.is_empty() {
        true => "-".to_owned(),
        false => list.join(", "),
    };
    let mut text = format!(
        "{}\n  apps:  {}\n  proxy: {}",
        role.role,
        names(&role.apps),
        names(&role.proxy)
    );
    for warning in &role.warnings {
        text.push_str(&format!("\n  warning: {warning}"));
    }
    text
}

/// Plan a maintenance action; print it; unless a dry run, apply and save it.
fn maintain(
    dir: &Path,
    action: &MaintenanceAction,
    dry_run: bool,
    format: OutputFormat,
    out: &mut dyn Write,
) -> Result<u8, CliError> {
    let mut session = open_session(dir)?;
    let plan = session
        .plan(action)
        .map_err(|e| CliError::new(exit::FINDINGS, e))?;
    let report = match dry_run || plan.is_empty() {
        true => SaveReport::default(),
        false => {
            session.apply_plan(&plan);
            session
                .save()
                .map_err(|e| CliError::new(exit::FINDINGS, e))?
        }
    };
    print_plan(&plan, dry_run, &report, format, out)?;
    Ok(exit::OK)
}

fn print_plan(
    plan: &MaintenancePlan,
    dry_run: bool,
    report: &SaveReport,
    format: OutputFormat,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let written = written_paths(report);
    match format {
        OutputFormat::Json => {
            let diffs: Vec<Value> = plan
                .diffs
                .iter()
                .map(|d| json!({"file": d.layer.file_name(), "diff": d.diff}))
                .collect();
            print_json(
                out,
                &json!({
                    "action": plan.action.label(),
                    "changes": plan.changes,
                    "kept": plan.kept,
                    "diffs": diffs,
                    "dry_run": dry_run,
                    "written": written,
                }),
            )
        }
        OutputFormat::Human => {
            write_line(out, &plan.action.label())?;
            for change in &plan.changes {
                write_line(out, &format!("  {change}"))?;
            }
            for kept in &plan.kept {
                write_line(out, &format!("  kept: {kept}"))?;
            }
            for diff in &plan.diffs {
                out.write_all(diff.diff.as_bytes())
                    .map_err(|e| CliError::write_failed(&e))?;
            }
            let last = if plan.is_empty() {
                "nothing to do; nothing written".to_owned()
            } else if dry_run {
                "dry run: nothing written".to_owned()
            } else {
                format!("written: {}", written.join(", "))
            };
            write_line(out, &last)
        }
    }
}

/// Write the snapshot from the layers when it is not their merge.
fn regenerate(dir: &Path, format: OutputFormat, out: &mut dyn Write) -> Result<u8, CliError> {
    let mut store = load(dir)?;
    let report = store.save().map_err(|e| CliError::new(exit::FINDINGS, e))?;
    let written = written_paths(&report);
    match format {
        OutputFormat::Json => print_json(out, &json!({ "written": written }))?,
        OutputFormat::Human if written.is_empty() => write_line(
            out,
            "model_registry.json already is the merge of the layers; nothing written",
        )?,
        OutputFormat::Human => write_line(out, &format!("written: {}", written.join(", ")))?,
    }
    Ok(exit::OK)
}
