//! Text typed by a person (CLI argument, form field) → a TOML value for a field.
//!
//! `toml_edit` reads TOML 1.1, the proxy's `tomllib` only 1.0, so a value
//! typed here is always written as 1.0: a time gets its seconds (`07:32` →
//! `07:32:00`), a string its 1.0 escapes (`\e` → `\u001B`), an inline table
//! one line without a trailing comma.

use toml_edit::{Datetime, InlineTable, Value};

use crate::core::layout::{Field, FieldType};
use crate::core::validate::dialect;

/// Read `raw` as a TOML value (`9001`, `true`, `["a", "b"]`, `"text"`); a bare
/// word that is not TOML is taken as a string, but only for a string field.
pub fn parse_input(field: Option<&Field>, raw: &str) -> Result<Value, String> {
    let bare_words = field.is_some_and(|f| takes_bare_words(f.ty));
    let text = raw.trim();
    match text.parse::<Value>() {
        // `07:32` is no value in TOML 1.0: for a text field it is a word like any other.
        Ok(value) if bare_words && !value.is_str() && !is_toml_1_0(text) => Ok(Value::from(raw)),
        Ok(value) => to_toml_1_0(value).map_err(|why| match field {
            Some(f) => format!("“{raw}” for “{}”: {why}", f.path),
            None => format!("“{raw}”: {why}"),
        }),
        Err(_) if bare_words => Ok(Value::from(raw)),
        Err(_) => Err(match field {
            Some(f) => format!(
                "“{raw}” is not a TOML value; “{}” expects {}{}",
                f.path,
                f.ty.describe(),
                if f.ty == FieldType::StringList {
                    " such as [\"a\", \"b\"]"
                } else {
                    ""
                }
            ),
            None => format!("“{raw}” is not a TOML value (quote strings: '\"text\"')"),
        }),
    }
}

/// Text typed into a number field (`int`, `optional_int`, `float`) → its
/// value, or the sentence that says why it is refused: not a number, or
/// outside the field's range. Forms keep the text and show that sentence
/// until the text is fixed, so nothing typed is silently replaced.
/// An empty `optional_int` is `""`, which the proxy reads as none.
pub fn parse_number(field: &Field, raw: &str) -> Result<Value, String> {
    let text = raw.trim();
    if text.is_empty() {
        return match field.ty {
            FieldType::OptionalInt => Ok(Value::from("")),
            _ => Err(format!("empty: type {}", field.ty.describe())),
        };
    }
    let parsed = text.parse::<Value>().ok();
    let value = match (field.ty, parsed) {
        (FieldType::Int | FieldType::OptionalInt, Some(v @ Value::Integer(_))) => v,
        (FieldType::Int | FieldType::OptionalInt, Some(Value::Float(_))) => {
            return Err(format!("“{text}” is not an integer: no decimals here"));
        }
        (FieldType::Int | FieldType::OptionalInt, _) => {
            return Err(format!("“{text}” is not an integer"));
        }
        (FieldType::Float, Some(v @ Value::Float(_))) => v,
        // Written as a float, as the proxy's own writer does (`2` → `2.0`).
        (FieldType::Float, Some(Value::Integer(i))) => Value::from(*i.value() as f64),
        (FieldType::Float, _) => return Err(format!("“{text}” is not a number")),
        (ty, _) => return Err(format!("not a number field: it expects {}", ty.describe())),
    };
    let mut value = to_toml_1_0(value)?;
    value.decor_mut().clear();
    crate::core::layout::check_value(field, &value)?;
    Ok(value)
}

/// A TOML literal typed into a form's raw editor, as TOML 1.0.
pub fn parse_literal(text: &str) -> Result<Value, String> {
    let value = text
        .trim()
        .parse::<Value>()
        .map_err(|e| format!("“{text}” is not a TOML value: {e}"))?;
    to_toml_1_0(value)
}

fn takes_bare_words(ty: FieldType) -> bool {
    ty.is_text()
}

/// Whether `literal`, written after `key = `, is TOML 1.0.
fn is_toml_1_0(literal: &str) -> bool {
    dialect::check(&format!("v = {literal}\n")).is_empty()
}

/// `value` without decor, in TOML 1.0: as typed when it is 1.0 already (a
/// person's `0x1F` or `'C:\x'` stays), else rebuilt from what it means.
/// Refused (with the dialect's sentence) only if even the rebuilt value is
/// not 1.0, which the checker would then block at save anyway.
pub fn to_toml_1_0(mut value: Value) -> Result<Value, String> {
    value.decor_mut().clear();
    if is_toml_1_0(&value.to_string()) {
        return Ok(value);
    }
    let rebuilt = rebuilt(&value);
    match dialect::check(&format!("v = {rebuilt}\n")).first() {
        None => Ok(rebuilt),
        Some(finding) => Err(finding.message.clone()),
    }
}

/// A fresh value: `toml_edit` writes fresh strings, times and inline tables
/// in the 1.0 forms; numbers and booleans keep their spelling (always 1.0).
fn rebuilt(value: &Value) -> Value {
    match value {
        Value::String(s) => Value::from(s.value().as_str()),
        Value::Datetime(d) => Value::from(with_seconds(*d.value())),
        Value::Array(items) => Value::Array(items.iter().map(rebuilt).collect()),
        Value::InlineTable(table) => {
            let mut out = InlineTable::new();
            for (key, item) in table {
                out.insert(key, rebuilt(item));
            }
            Value::InlineTable(out)
        }
        other => {
            let mut same = other.clone();
            same.decor_mut().clear();
            same
        }
    }
}

/// `07:32` means `07:32:00` (TOML 1.1 reads a missing second as zero).
fn with_seconds(mut datetime: Datetime) -> Datetime {
    if let Some(time) = &mut datetime.time
        && time.second.is_none()
    {
        time.second = Some(0);
    }
    datetime
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::layout::LayoutSet;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn typed_numbers_say_why_they_are_refused() -> TestResult {
        let layouts = LayoutSet::builtin()?;
        let port = layouts.field("server.port").ok_or("server.port")?;
        assert_eq!(parse_number(port, " 9001 ")?.to_string(), "9001");
        assert_eq!(
            parse_number(port, "90x1").err().as_deref(),
            Some("“90x1” is not an integer")
        );
        assert_eq!(
            parse_number(port, "99999").err().as_deref(),
            Some("99999 is above the maximum 65535")
        );
        assert!(parse_number(port, "1.5").is_err_and(|e| e.contains("not an integer")));
        assert!(parse_number(port, "").is_err_and(|e| e.contains("empty")));
        let len = layouts
            .field("vllm.vllm_max_model_len")
            .ok_or("vllm_max_model_len")?;
        assert_eq!(parse_number(len, "")?.as_str(), Some(""));
        let util = layouts
            .field("vllm.vllm_gpu_memory_utilization")
            .ok_or("utilization")?;
        assert_eq!(parse_number(util, "0.5")?.as_float(), Some(0.5));
        assert_eq!(parse_number(util, "1")?.as_float(), Some(1.0));
        assert!(parse_number(util, "lots").is_err_and(|e| e.contains("not a number")));
        Ok(())
    }

    #[test]
    fn bare_words_only_for_string_fields() -> TestResult {
        let layouts = LayoutSet::builtin()?;
        let host = layouts.field("server.host");
        let port = layouts.field("server.port");
        assert_eq!(parse_input(host, "0.0.0.0")?.as_str(), Some("0.0.0.0"));
        assert_eq!(parse_input(port, "9001")?.as_integer(), Some(9001));
        assert_eq!(parse_input(port, "\"abc\"")?.as_str(), Some("abc"));
        let err = parse_input(port, "abc")
            .err()
            .ok_or("bare word for an int must fail")?;
        assert!(
            err.contains("server.port") && err.contains("an integer"),
            "{err}"
        );
        assert!(parse_input(None, "abc").is_err());
        Ok(())
    }

    fn written(raw: &str) -> Result<String, String> {
        parse_input(None, raw).map(|v| v.to_string())
    }

    #[test]
    fn times_without_seconds_get_them() -> TestResult {
        assert_eq!(written("07:32")?, "07:32:00");
        assert_eq!(written("1979-05-27T07:32")?, "1979-05-27T07:32:00");
        assert_eq!(written("1979-05-27 07:32Z")?, "1979-05-27T07:32:00Z");
        assert_eq!(written("[07:32, 08:15:30]")?, "[07:32:00, 08:15:30]");
        assert_eq!(written("{ at = 07:32 }")?, "{ at = 07:32:00 }");
        // With seconds, a date, or an offset: written as typed.
        assert_eq!(written("07:32:10.5")?, "07:32:10.5");
        assert_eq!(written("1979-05-27")?, "1979-05-27");
        assert_eq!(
            written("1979-05-27 07:32:00-07:00")?,
            "1979-05-27 07:32:00-07:00"
        );
        Ok(())
    }

    #[test]
    fn a_time_without_seconds_for_a_text_field_is_a_word() -> TestResult {
        // TOML 1.0 reads no value in `07:32`, so a string field takes the word.
        let layouts = LayoutSet::builtin()?;
        let host = layouts.field("server.host");
        assert_eq!(parse_input(host, "07:32")?.as_str(), Some("07:32"));
        // A number field refuses it as the type error it is (no `--force` writes 1.1).
        let port = layouts.field("server.port");
        assert_eq!(parse_input(port, "07:32")?.to_string(), "07:32:00");
        Ok(())
    }

    #[test]
    fn escapes_become_toml_1_0() -> TestResult {
        assert_eq!(written(r#""red\e[0m""#)?, r#""red\u001B[0m""#);
        assert_eq!(written(r#""\x41\x7f""#)?, r#""A\u007F""#);
        // 1.0 escapes and literal strings stay as typed.
        assert_eq!(written(r#""\u001B \t""#)?, r#""\u001B \t""#);
        assert_eq!(written(r"'C:\x\e'")?, r"'C:\x\e'");
        Ok(())
    }

    #[test]
    fn inline_tables_become_one_line_without_trailing_comma() -> TestResult {
        assert_eq!(written("{ a = 1, }")?, "{ a = 1 }");
        assert_eq!(written("{ a = 1,\n b = \"x\" }")?, "{ a = 1, b = \"x\" }");
        assert_eq!(
            written("{ a = 0x1F, b = [1,2] }")?,
            "{ a = 0x1F, b = [1,2] }"
        );
        Ok(())
    }

    /// Every control character a person can put in a string (text fields
    /// build `Value::from(text)`) is written with a 1.0 escape and reads back.
    #[test]
    fn fresh_strings_with_control_characters_are_toml_1_0() -> TestResult {
        for c in (0u8..0x20).chain([0x7f]).map(char::from) {
            let text = format!("a{c}b");
            let literal = Value::from(text.as_str()).to_string();
            assert!(is_toml_1_0(&literal), "{c:?} → {literal}");
            let back: Value = literal.parse()?;
            assert_eq!(back.as_str(), Some(text.as_str()), "{literal}");
        }
        Ok(())
    }

    #[test]
    fn the_raw_editor_literal_is_toml_1_0_too() -> TestResult {
        assert_eq!(parse_literal("07:32")?.to_string(), "07:32:00");
        assert_eq!(parse_literal(" 8100 ")?.to_string(), "8100");
        assert!(parse_literal("\"open").is_err());
        Ok(())
    }
}
