//! Text typed for a registry entry's field (the editor's box, the VALUE of
//! `registry set`) as the JSON value it stands for: parsed by the type the
//! entry layout (`ui_layouts/registry_entry.toml`) gives the field and
//! checked against its range, one rule for both fronts. An allowed-values
//! list is not enforced here: a backend this studio does not know yet is
//! the registry checks' business (reported, not refused).

use serde_json::Value;

use super::json_text::python_float;
use crate::core::layout::field_check::check_range;
use crate::core::layout::{Field, FieldType};

/// Why typed text is not a value for its field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FieldInputError {
    #[error("{text:?} is not an integer")]
    NotInteger { text: String },
    #[error("{text:?} is not a number")]
    NotNumber { text: String },
    #[error("{text:?} is not a finite number")]
    NotFinite { text: String },
    #[error("{0}")]
    OutOfRange(String),
    #[error("{text:?} is not true or false")]
    NotBoolean { text: String },
    #[error("{text:?} is not a list of strings (write it as JSON: [\"a\", \"b\"])")]
    NotStringList { text: String },
}

/// What a field's text box holds, as its value: numbers by the field's
/// type and range (empty is no value, `null`), an optional string empty
/// as `null`, any other text as the string it is.
pub fn parse_field_text(field: &Field, text: &str) -> Result<Value, FieldInputError> {
    let trimmed = text.trim();
    match field.ty {
        FieldType::Int | FieldType::OptionalInt => {
            if trimmed.is_empty() {
                return Ok(Value::Null);
            }
            let n: i64 = trimmed.parse().map_err(|_| FieldInputError::NotInteger {
                text: text.to_owned(),
            })?;
            // Ranges are small integers: exact as f64.
            check_range(field, n as f64).map_err(FieldInputError::OutOfRange)?;
            Ok(Value::from(n))
        }
        FieldType::Float => {
            if trimmed.is_empty() {
                return Ok(Value::Null);
            }
            let n: f64 = trimmed.parse().map_err(|_| FieldInputError::NotNumber {
                text: text.to_owned(),
            })?;
            check_range(field, n).map_err(FieldInputError::OutOfRange)?;
            python_float(n).ok_or_else(|| FieldInputError::NotFinite {
                text: text.to_owned(),
            })
        }
        FieldType::OptionalString if text.is_empty() => Ok(Value::Null),
        _ => Ok(Value::String(text.to_owned())),
    }
}

/// `registry set`'s VALUE for a field: as in the editor for numbers and
/// strings (a JSON-quoted string is the string inside the quotes),
/// `true`/`false` for a boolean, a JSON list for a list. A path the layout
/// does not know (`field` is `None`) or a free-form JSON field takes JSON,
/// and a bare word as the string it is.
pub fn parse_cli_field(field: Option<&Field>, raw: &str) -> Result<Value, FieldInputError> {
    let Some(field) = field else {
        return Ok(json_or_text(raw));
    };
    match field.ty {
        FieldType::Bool => match raw.trim() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(FieldInputError::NotBoolean {
                text: raw.to_owned(),
            }),
        },
        FieldType::StringList => match serde_json::from_str::<Value>(raw) {
            Ok(Value::Array(items)) if items.iter().all(Value::is_string) => {
                Ok(Value::Array(items))
            }
            _ => Err(FieldInputError::NotStringList {
                text: raw.to_owned(),
            }),
        },
        FieldType::Json => Ok(json_or_text(raw)),
        _ => match serde_json::from_str::<Value>(raw) {
            Ok(Value::String(s)) if raw.trim_start().starts_with('"') => {
                parse_field_text(field, &s)
            }
            _ => parse_field_text(field, raw),
        },
    }
}

/// Text as JSON when it is JSON; anything else (a bare word) as a string.
pub fn json_or_text(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::layout::{LayoutSet, Target, builtin_layout_sources};

    fn entry_field(key: &str) -> Field {
        let layout = LayoutSet::from_sources(Target::RegistryEntry, &builtin_layout_sources())
            .expect("the entry layout loads");
        layout
            .field(key)
            .cloned()
            .unwrap_or_else(|| panic!("no field {key}"))
    }

    #[test]
    fn numbers_follow_the_type_and_the_range() {
        let port = entry_field("backend_config.port");
        assert_eq!(parse_field_text(&port, " 24010 "), Ok(Value::from(24010)));
        assert_eq!(parse_field_text(&port, ""), Ok(Value::Null));
        assert!(matches!(
            parse_field_text(&port, "70000"),
            Err(FieldInputError::OutOfRange(m)) if m.contains("above the maximum 65535")
        ));
        assert!(matches!(
            parse_field_text(&port, "80x"),
            Err(FieldInputError::NotInteger { .. })
        ));
    }

    #[test]
    fn the_cli_reads_json_words_lists_and_booleans_by_the_field() {
        let port = entry_field("backend_config.port");
        assert!(matches!(
            parse_cli_field(Some(&port), "0"),
            Err(FieldInputError::OutOfRange(_))
        ));
        let name = entry_field("display_name");
        assert_eq!(parse_cli_field(Some(&name), "\"x y\""), Ok(json!("x y")));
        assert_eq!(parse_cli_field(Some(&name), "42"), Ok(json!("42")));
        let deprecated = entry_field("deprecated");
        assert_eq!(parse_cli_field(Some(&deprecated), "true"), Ok(json!(true)));
        assert!(parse_cli_field(Some(&deprecated), "yes").is_err());
        let args = entry_field("backend_config.extra_args");
        assert_eq!(
            parse_cli_field(Some(&args), "[\"--x\"]"),
            Ok(json!(["--x"]))
        );
        assert!(parse_cli_field(Some(&args), "--x").is_err());
        assert_eq!(parse_cli_field(None, "{\"a\": 1}"), Ok(json!({"a": 1})));
        assert_eq!(parse_cli_field(None, "word"), Ok(json!("word")));
    }

    use serde_json::json;
}
