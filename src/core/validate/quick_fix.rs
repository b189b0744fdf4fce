//! Quick fixes: a finding whose repair is one obvious edit carries that edit.
//!
//! ImageWorks' Streamlit form keeps each key's original type, so real files
//! hold `port = "8100"` or `vllm_max_model_len = "4096"`. Such a string is
//! offered a conversion only when it is exactly the value written as text:
//! the fix drops the quotes and nothing else (`" 4096"`, `"4096.0"` for an
//! integer, `"+1"`, `"1_000"`, `"yes"` or `"True"` are not exact and get no
//! fix: what the person meant is not certain).

use serde::Serialize;
use toml_edit::Value;

use crate::core::document::DocPath;
use crate::core::layout::{Field, FieldType, check_value};

/// One edit that repairs a finding, with the words a button shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QuickFix {
    /// "Convert to 4096", "Remove the BOM".
    pub label: String,
    pub edit: FixEdit,
}

/// What a fix changes in the document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FixEdit {
    /// Replace the value at `path` (its bytes only; key, spacing and comment stay).
    SetValue { path: DocPath, value: FixValue },
    /// Drop the UTF-8 byte-order mark that starts the file.
    RemoveBom,
}

/// The typed value a string converts to.
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(untagged)]
pub enum FixValue {
    Integer(i64),
    Float(f64),
    Boolean(bool),
}

impl PartialEq for FixValue {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Integer(a), Self::Integer(b)) => a == b,
            (Self::Float(a), Self::Float(b)) => a.to_bits() == b.to_bits(),
            (Self::Boolean(a), Self::Boolean(b)) => a == b,
            _ => false,
        }
    }
}

// Floats of a fix are finite (see `exact_float`), so equality is reflexive.
impl Eq for FixValue {}

impl From<FixValue> for Value {
    fn from(v: FixValue) -> Self {
        match v {
            FixValue::Integer(i) => i.into(),
            FixValue::Float(f) => f.into(),
            FixValue::Boolean(b) => b.into(),
        }
    }
}

impl FixValue {
    /// The value as it will be written (`4096`, `0.75`, `true`).
    pub fn literal(self) -> String {
        Value::from(self).to_string()
    }
}

impl QuickFix {
    pub fn remove_bom() -> Self {
        Self {
            label: "Remove the BOM".to_owned(),
            edit: FixEdit::RemoveBom,
        }
    }
}

/// The fix for a value of the wrong type at `path`: a string that is exactly
/// a value of the field's type, and a valid one (a conversion that leaves an
/// error at the same key would not be a fix).
pub fn convert_string(field: &Field, path: &DocPath, value: &Value) -> Option<QuickFix> {
    let text = value.as_str()?;
    let converted = match field.ty {
        FieldType::Bool => exact_bool(text)?,
        FieldType::Int | FieldType::OptionalInt => exact_integer(text)?,
        // A float field takes an integer too (`check_value` accepts both).
        FieldType::Float => exact_integer(text).or_else(|| exact_float(text))?,
        _ => return None,
    };
    check_value(field, &Value::from(converted)).ok()?;
    Some(QuickFix {
        label: format!("Convert to {}", converted.literal()),
        edit: FixEdit::SetValue {
            path: path.clone(),
            value: converted,
        },
    })
}

fn exact_bool(text: &str) -> Option<FixValue> {
    match text {
        "true" => Some(FixValue::Boolean(true)),
        "false" => Some(FixValue::Boolean(false)),
        _ => None,
    }
}

/// Exact when writing the number back gives the same text (no `+`, no
/// leading zeros, no `_`, no spaces).
fn exact_integer(text: &str) -> Option<FixValue> {
    let n: i64 = text.parse().ok()?;
    (n.to_string() == text).then_some(FixValue::Integer(n))
}

/// Exact when the float is finite and written back as the same text
/// (`0.75`; not `.75`, `1e3`, `0.750`, `nan`).
fn exact_float(text: &str) -> Option<FixValue> {
    let f: f64 = text.parse().ok()?;
    let value = FixValue::Float(f);
    (f.is_finite() && value.literal() == text).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::layout::LayoutSet;

    fn fix_for(field: &str, text: &str) -> Result<Option<QuickFix>, Box<dyn std::error::Error>> {
        let layouts = LayoutSet::builtin()?;
        let field = layouts.field(field).ok_or("field")?;
        let path = DocPath::parse(&field.path)?;
        Ok(convert_string(field, &path, &Value::from(text)))
    }

    fn converted(field: &str, text: &str) -> Result<Option<String>, Box<dyn std::error::Error>> {
        Ok(fix_for(field, text)?.and_then(|f| match f.edit {
            FixEdit::SetValue { value, .. } => Some(value.literal()),
            FixEdit::RemoveBom => None,
        }))
    }

    #[test]
    fn exact_strings_convert_to_the_field_type() -> Result<(), Box<dyn std::error::Error>> {
        assert_eq!(converted("server.port", "8100")?.as_deref(), Some("8100"));
        assert_eq!(
            converted("vllm.vllm_max_model_len", "4096")?.as_deref(),
            Some("4096")
        );
        assert_eq!(
            converted("server.enable_metrics", "true")?.as_deref(),
            Some("true")
        );
        assert_eq!(
            converted("server.enable_metrics", "false")?.as_deref(),
            Some("false")
        );
        assert_eq!(
            converted("vllm.vllm_gpu_memory_utilization", "0.75")?.as_deref(),
            Some("0.75")
        );
        let fix = fix_for("vllm.vllm_max_model_len", "4096")?.ok_or("a fix")?;
        assert_eq!(fix.label, "Convert to 4096");
        assert_eq!(
            fix.edit,
            FixEdit::SetValue {
                path: DocPath::parse("vllm.vllm_max_model_len")?,
                value: FixValue::Integer(4096),
            }
        );
        Ok(())
    }

    #[test]
    fn near_misses_get_no_fix() -> Result<(), Box<dyn std::error::Error>> {
        for text in [
            " 4096", "4096 ", "4096.0", "+4096", "04096", "4_096", "0x10", "", "abc",
        ] {
            assert_eq!(converted("server.port", text)?, None, "{text:?}");
        }
        for text in ["yes", "True", "1", " true", "on"] {
            assert_eq!(converted("server.enable_metrics", text)?, None, "{text:?}");
        }
        for text in [".75", "0.750", "7.5e-1", "nan", "inf", " 0.75"] {
            assert_eq!(
                converted("vllm.vllm_gpu_memory_utilization", text)?,
                None,
                "{text:?}"
            );
        }
        Ok(())
    }

    #[test]
    fn a_conversion_that_would_still_be_an_error_is_no_fix()
    -> Result<(), Box<dyn std::error::Error>> {
        // Out of range for a port: converting would leave an error at the key.
        assert_eq!(converted("server.port", "99999999")?, None);
        // A string field has nothing to convert.
        assert_eq!(converted("server.host", "8100")?, None);
        Ok(())
    }

    #[test]
    fn the_fix_serializes_with_its_typed_value() -> Result<(), Box<dyn std::error::Error>> {
        let fix = fix_for("server.port", "8100")?.ok_or("a fix")?;
        let json = serde_json::to_value(&fix)?;
        assert_eq!(
            json,
            serde_json::json!({
                "label": "Convert to 8100",
                "edit": {"kind": "set_value", "path": "server.port", "value": 8100}
            })
        );
        let bom = serde_json::to_value(QuickFix::remove_bom())?;
        assert_eq!(bom["edit"]["kind"], "remove_bom");
        Ok(())
    }
}
