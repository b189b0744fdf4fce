//! check / get / set / unset / schema / defaults on a chat_proxy.toml.

use crate::core::plural;
use std::path::Path;
use std::sync::Arc;

use serde_json::json;

use super::exit;
use super::output::{Out, pretty};
use crate::core::config_file::{ConfigFile, OpenError};
use crate::core::document::DocPath;
use crate::core::layout::LayoutSet;
use crate::core::proxy::json_value::toml_to_json;
use crate::core::safe_save::SaveOutcome;
use crate::core::session::{self, Command, EditSession, SavePolicy, SessionError};
use crate::core::validate::{Finding, has_errors};
use crate::core::value_input::parse_input;
use crate::core::{defaults, schema};

fn open(
    layouts: &LayoutSet,
    file: &Path,
    o: &mut Out<'_>,
) -> Result<(ConfigFile, Vec<Finding>), u8> {
    ConfigFile::open_validated(file, Some(layouts)).map_err(|e| open_failed(file, &e, o))
}

pub(super) fn open_failed(file: &Path, e: &OpenError, o: &mut Out<'_>) -> u8 {
    let extra = match e {
        OpenError::Parse { error, .. } => {
            json!({"file": file, "line": error.line, "column": error.column})
        }
        OpenError::Read(_) => json!({"file": file}),
    };
    o.error("unreadable", &e.to_string(), extra);
    exit::UNREADABLE
}

fn findings_json(file: &Path, findings: &[Finding]) -> serde_json::Value {
    json!({"file": file, "findings": findings})
}

fn findings_text(file: &Path, findings: &[Finding]) -> String {
    let mut out: Vec<String> = findings
        .iter()
        .map(|f| match &f.fix {
            Some(fix) => format!(
                "{}:{f} (quick fix: {}; “iw-studio fix” applies it)",
                file.display(),
                fix.label
            ),
            None => format!("{}:{f}", file.display()),
        })
        .collect();
    let errors = findings.iter().filter(|f| f.is_error()).count();
    out.push(format!(
        "{}: {}, {}",
        file.display(),
        plural::count(errors, "error", "errors"),
        plural::count(findings.len() - errors, "warning", "warnings")
    ));
    out.join("\n")
}

pub(super) fn check(layouts: &LayoutSet, file: &Path, o: &mut Out<'_>) -> u8 {
    let findings = match ConfigFile::open_validated(file, Some(layouts)) {
        Ok((_, findings)) => findings,
        Err(OpenError::Parse { error, .. }) => {
            let finding = Finding {
                severity: crate::core::validate::Severity::Error,
                path: DocPath::default(),
                line: Some(error.line),
                column: Some(error.column),
                message: format!(
                    "not valid TOML: {} (“{}”)",
                    error.message,
                    error.line_text.trim()
                ),
                fix: None,
            };
            let findings = [finding];
            o.emit(
                || findings_text(file, &findings),
                || findings_json(file, &findings),
            );
            return exit::UNREADABLE;
        }
        Err(e) => {
            o.error("unreadable", &e.to_string(), json!({"file": file}));
            return exit::UNREADABLE;
        }
    };
    o.emit(
        || findings_text(file, &findings),
        || findings_json(file, &findings),
    );
    if has_errors(&findings) {
        exit::FINDINGS
    } else {
        exit::OK
    }
}

fn parse_path(path: &str, o: &mut Out<'_>) -> Result<DocPath, u8> {
    DocPath::parse(path).map_err(|e| {
        o.error("bad_path", &e.to_string(), json!({"path": path}));
        exit::UNREADABLE
    })
}

pub(super) fn get(layouts: &LayoutSet, file: &Path, path: &str, o: &mut Out<'_>) -> u8 {
    let (config, _) = match open(layouts, file, o) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let doc_path = match parse_path(path, o) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let resolved = layouts.resolve(&doc_path);
    let default = resolved
        .as_ref()
        .ok()
        .and_then(|r| r.field)
        .map(|f| f.default_text());
    match config
        .doc
        .get(&doc_path)
        .and_then(toml_edit::Item::as_value)
    {
        Some(value) => {
            let literal = value.to_string().trim().to_owned();
            o.emit(
                || literal.clone(),
                || json!({"file": file, "path": path, "set": true, "value": toml_to_json(value), "toml": literal, "default": default}),
            );
            exit::OK
        }
        None => {
            let why = match (&default, &resolved) {
                (Some(d), _) => format!(
                    "{path} is not set in {}; the proxy uses its default {d}",
                    file.display()
                ),
                (None, Err(unknown)) => format!("{unknown}; it is not set in {}", file.display()),
                (None, Ok(_)) => format!("{path} is not set in {}", file.display()),
            };
            o.emit(
                String::new,
                || json!({"file": file, "path": path, "set": false, "value": null, "default": default, "message": why}),
            );
            o.note(&why);
            exit::FINDINGS
        }
    }
}

/// The change `set` (with a value) or `unset` (without) asks for. Setting
/// needs a known path; unsetting also removes keys the layouts do not know.
fn edit_command(
    layouts: &LayoutSet,
    session: &EditSession,
    path: &DocPath,
    raw: Option<&String>,
) -> Result<Command, String> {
    let resolved = layouts.resolve(path);
    match raw {
        Some(raw) => {
            let field = resolved.map_err(|e| e.to_string())?.field;
            let value = parse_input(field, raw)?;
            Ok(Command::SetValue {
                path: path.clone(),
                value,
            })
        }
        None => match resolved {
            Err(unknown) if session.doc().get(path).is_none() => Err(unknown.to_string()),
            _ => Ok(Command::Remove { path: path.clone() }),
        },
    }
}

/// `set` with a value, `unset` without one: one `Command` through an
/// `EditSession`, saved under the same rules as the GUI's Save.
pub(super) fn set(
    layouts: &Arc<LayoutSet>,
    file: &Path,
    path: &str,
    raw: Option<&String>,
    force: bool,
    o: &mut Out<'_>,
) -> u8 {
    let mut session = match EditSession::open(file, Arc::clone(layouts)) {
        Ok(s) => s,
        Err(e) => return open_failed(file, &e, o),
    };
    let doc_path = match parse_path(path, o) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let changed = edit_command(layouts, &session, &doc_path, raw)
        .and_then(|command| session.apply(command).map_err(|e| e.to_string()));
    let changed = match changed {
        Ok(c) => c,
        Err(message) => {
            o.error("refused", &message, json!({"file": file, "path": path}));
            return exit::FINDINGS;
        }
    };
    if !changed {
        o.emit(
            || format!("{path}: unchanged; {} not written", file.display()),
            || json!({"file": file, "path": path, "changed": false}),
        );
        return exit::OK;
    }
    let policy = SavePolicy {
        force,
        overwrite: false,
    };
    // Counted before the save makes every error the file's own.
    let added = session.added_errors().len();
    match session.save_with(policy) {
        Ok(outcome) => {
            let backup = match &outcome {
                SaveOutcome::Written { backup, .. } => backup.clone(),
                SaveOutcome::Unchanged { .. } => None,
            };
            let findings = session.findings();
            let errors = session.error_count();
            o.emit(
                || {
                    let b = backup
                        .as_ref()
                        .map(|b| format!(" (previous version in {})", b.display()))
                        .unwrap_or_default();
                    let still = session::errors_left_by_save(errors, added)
                        .map(|n| format!("\nnote: {n}"))
                        .unwrap_or_default();
                    format!("{path}: saved {}{b}{still}", file.display())
                },
                || json!({"file": file, "path": path, "changed": true, "backup": backup, "findings": findings, "errors": errors, "errors_added": added}),
            );
            exit::OK
        }
        Err(SessionError::HasErrors(_)) => refuse(file, &doc_path, &session, o),
        Err(e) => {
            o.error(
                "save_failed",
                &e.to_string(),
                json!({"file": file, "path": path}),
            );
            exit::FINDINGS
        }
    }
}

/// Nothing is written; the errors the change adds are named, those at the
/// edited path first, and the ones the file already had are counted apart.
fn refuse(file: &Path, path: &DocPath, session: &EditSession, o: &mut Out<'_>) -> u8 {
    let mut errors = session.added_errors();
    errors.sort_by_key(|f| f.path != *path);
    let lines: Vec<String> = errors.iter().map(|f| format!("  {f}")).collect();
    let inherited = session.inherited_error_count();
    let already = if inherited > 0 {
        format!(
            " (the file already had {}, which do not block)",
            plural::count(inherited, "other error", "other errors")
        )
    } else {
        String::new()
    };
    let message = format!(
        "not saved: this change adds {}{already}; {} is unchanged (use --force to save anyway)\n{}",
        plural::count(errors.len(), "error", "errors"),
        file.display(),
        lines.join("\n")
    );
    o.error(
        "refused",
        &message,
        json!({"file": file, "path": path, "findings": errors, "errors_already_in_file": inherited}),
    );
    exit::FINDINGS
}

pub(super) fn schema(layouts: &LayoutSet, o: &mut Out<'_>) -> u8 {
    let schema = schema::json_schema(layouts);
    o.text(&format!("{}\n", pretty(&schema)));
    exit::OK
}

pub(super) fn defaults(layouts: &LayoutSet, o: &mut Out<'_>) -> u8 {
    o.text(&defaults::defaults_text(layouts));
    exit::OK
}
