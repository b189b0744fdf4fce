//! Does a TOML value fit a field? Shared by layout defaults and document validation.

use toml_edit::Value;

use super::{Field, FieldType};

/// How a value's type is named in messages.
pub fn type_name_of(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a float",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a date-time",
        Value::Array(_) => "an array",
        Value::InlineTable(_) => "an inline table",
    }
}

/// `Ok` when `value` is acceptable for `field`; otherwise a sentence saying why not.
pub fn check_value(field: &Field, value: &Value) -> Result<(), String> {
    match (field.ty, value) {
        (FieldType::Bool, Value::Boolean(_)) => Ok(()),
        (FieldType::Int | FieldType::OptionalInt, Value::Integer(i)) => {
            check_range(field, *i.value() as f64)
        }
        (FieldType::OptionalInt, Value::String(s)) if s.value().is_empty() => Ok(()),
        (FieldType::Float, Value::Float(f)) => check_range(field, *f.value()),
        (FieldType::Float, Value::Integer(i)) => check_range(field, *i.value() as f64),
        (FieldType::String | FieldType::OptionalString | FieldType::Path, Value::String(_)) => {
            Ok(())
        }
        (FieldType::Enum, Value::String(s)) => check_enum(field, s.value()),
        (FieldType::Url, Value::String(s)) => check_url(s.value()),
        (FieldType::EnvVar, Value::String(s)) => check_env_name(s.value()),
        (FieldType::StringList, Value::Array(items)) => check_list(items),
        (FieldType::Json, _) => Ok(()),
        (ty, other) => Err(format!(
            "expected {}, found {} “{}”",
            ty.describe(),
            type_name_of(other),
            other.to_string().trim()
        )),
    }
}

pub(crate) fn check_range(field: &Field, n: f64) -> Result<(), String> {
    let unit = field
        .unit
        .as_deref()
        .map(|u| format!(" {u}"))
        .unwrap_or_default();
    if let Some(min) = field.min
        && n < min
    {
        return Err(format!("{n}{unit} is below the minimum {min}{unit}"));
    }
    if let Some(max) = field.max
        && n > max
    {
        return Err(format!("{n}{unit} is above the maximum {max}{unit}"));
    }
    Ok(())
}

fn check_enum(field: &Field, s: &str) -> Result<(), String> {
    if field.values.iter().any(|v| v == s) {
        Ok(())
    } else {
        Err(format!("“{s}” is not one of: {}", field.values.join(", ")))
    }
}

fn check_url(s: &str) -> Result<(), String> {
    match url::Url::parse(s) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => Ok(()),
        Ok(u) => Err(format!(
            "“{s}” is not an http(s) URL with a host (scheme “{}”)",
            u.scheme()
        )),
        Err(e) => Err(format!("“{s}” is not a valid URL: {e}")),
    }
}

/// Env var names as shells accept them; an empty string means "not set".
pub(crate) fn check_env_name(s: &str) -> Result<(), String> {
    let mut chars = s.chars();
    let ok = match chars.next() {
        None => true,
        Some(c) => {
            (c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        }
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "“{}” is not an environment variable name (letters, digits and “_”, not starting with a digit); \
             put the secret in an env var and name the variable here",
            redact(s)
        ))
    }
}

fn check_list(items: &toml_edit::Array) -> Result<(), String> {
    match items.iter().find(|v| !v.is_str()) {
        None => Ok(()),
        Some(bad) => Err(format!(
            "expected a list of strings, found {} “{}” in it",
            type_name_of(bad),
            bad.to_string().trim()
        )),
    }
}

/// Never echo what may be a secret in full.
pub(crate) fn redact(s: &str) -> String {
    let head: String = s.chars().take(4).collect();
    if s.chars().count() > 8 {
        format!("{head}…")
    } else {
        s.to_owned()
    }
}
