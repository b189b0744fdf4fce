//! The proxy's rules for turning a `CHAT_PROXY_*` env value into a setting.
//!
//! The parse kind of each setting comes from the layouts (`env_parse`); this
//! module only knows the proxy's per-kind rules (contract §2).

use serde_json::Value;

use crate::core::layout::{EnvParse, Field};

/// What the proxy does with one env value.
#[derive(Clone, Debug, PartialEq)]
pub enum EnvOutcome {
    /// The value replaces the file value.
    Applied(Value),
    /// The proxy drops the value and keeps the file value; `why` says so in words.
    Ignored { why: String },
}

impl EnvOutcome {
    pub fn applied(&self) -> Option<&Value> {
        match self {
            Self::Applied(v) => Some(v),
            Self::Ignored { .. } => None,
        }
    }
}

/// Parse `raw` the way the proxy parses the env var of `field`.
/// A field without `env_parse` is read as a plain string.
pub fn parse_env_value(field: &Field, raw: &str) -> EnvOutcome {
    match field.env_parse.unwrap_or(EnvParse::Str) {
        EnvParse::Bool => EnvOutcome::Applied(Value::Bool(parse_bool(raw))),
        EnvParse::Int => parse_int(raw),
        EnvParse::Float => parse_float(raw),
        EnvParse::List => parse_list(raw),
        EnvParse::Str => EnvOutcome::Applied(parse_str(field, raw)),
    }
}

/// True only for 1/true/yes/on in any case; every other text is false.
pub fn parse_bool(raw: &str) -> bool {
    matches!(
        raw.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "on"
    )
}

/// An int that does not parse is ignored; an empty value never parses,
/// which is also why `CHAT_PROXY_VLLM_MAX_MODEL_LEN=""` applies nothing.
fn parse_int(raw: &str) -> EnvOutcome {
    match python_digits(raw).and_then(|t| t.parse::<i64>().ok()) {
        Some(n) => EnvOutcome::Applied(Value::from(n)),
        None => ignored(raw, "an integer"),
    }
}

fn parse_float(raw: &str) -> EnvOutcome {
    let number = python_digits(raw)
        .and_then(|t| t.parse::<f64>().ok())
        .and_then(serde_json::Number::from_f64);
    match number {
        Some(n) => EnvOutcome::Applied(Value::Number(n)),
        None => ignored(raw, "a number"),
    }
}

/// Split on commas, trim, drop empty items; a list with nothing left is ignored.
fn parse_list(raw: &str) -> EnvOutcome {
    let items: Vec<Value> = raw
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| Value::String(s.to_owned()))
        .collect();
    if items.is_empty() {
        return EnvOutcome::Ignored {
            why: "an empty list is ignored".to_owned(),
        };
    }
    EnvOutcome::Applied(Value::Array(items))
}

/// A string is taken as is; `""` means none for settings marked so.
fn parse_str(field: &Field, raw: &str) -> Value {
    if raw.is_empty() && field.empty_means_none {
        Value::Null
    } else {
        Value::String(raw.to_owned())
    }
}

/// Python's `int()`/`float()` accept surrounding whitespace and single
/// underscores between digits; strip both so Rust's parsers see the same number.
fn python_digits(raw: &str) -> Option<String> {
    let text = raw.trim();
    if !text.contains('_') {
        return Some(text.to_owned());
    }
    let bytes = text.as_bytes();
    let ok = bytes.iter().enumerate().all(|(i, b)| {
        *b != b'_'
            || (i > 0
                && i + 1 < bytes.len()
                && bytes[i - 1].is_ascii_digit()
                && bytes[i + 1].is_ascii_digit())
    });
    ok.then(|| text.replace('_', ""))
}

fn ignored(raw: &str, expected: &str) -> EnvOutcome {
    EnvOutcome::Ignored {
        why: format!("`{raw}` is not {expected}, so the proxy ignores it and keeps the file value"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::layout::LayoutSet;

    fn field(key: &str) -> Result<Field, String> {
        let layouts = LayoutSet::builtin().map_err(|e| e.to_string())?;
        layouts
            .proxy_field_by_key(key)
            .map(|(_, f)| f.clone())
            .ok_or_else(|| format!("no field {key}"))
    }

    #[test]
    fn bool_is_true_only_for_the_four_words() -> Result<(), String> {
        let f = field("enable_metrics")?;
        for raw in ["1", "true", "YES", "On", " yes "] {
            assert_eq!(
                parse_env_value(&f, raw),
                EnvOutcome::Applied(Value::Bool(true)),
                "{raw}"
            );
        }
        for raw in ["0", "false", "y", "", "enabled"] {
            assert_eq!(
                parse_env_value(&f, raw),
                EnvOutcome::Applied(Value::Bool(false)),
                "{raw}"
            );
        }
        Ok(())
    }

    #[test]
    fn bad_numbers_and_empty_lists_are_ignored() -> Result<(), String> {
        assert!(parse_env_value(&field("port")?, "abc").applied().is_none());
        assert!(
            parse_env_value(&field("vllm_max_model_len")?, "")
                .applied()
                .is_none()
        );
        assert_eq!(
            parse_env_value(&field("port")?, " 1_000 ").applied(),
            Some(&Value::from(1000))
        );
        assert!(parse_env_value(&field("port")?, "1__0").applied().is_none());
        let f = field("vllm_gpu_memory_utilization")?;
        assert_eq!(
            parse_env_value(&f, "0.5").applied(),
            Some(&Value::from(0.5))
        );
        let l = field("vision_downscale_backends")?;
        assert!(parse_env_value(&l, " , ").applied().is_none());
        assert_eq!(
            parse_env_value(&l, " vllm , ollama ").applied(),
            Some(&serde_json::json!(["vllm", "ollama"]))
        );
        Ok(())
    }

    #[test]
    fn empty_string_means_none_only_where_marked() -> Result<(), String> {
        assert_eq!(
            parse_env_value(&field("loopback_alias")?, "").applied(),
            Some(&Value::Null)
        );
        assert_eq!(
            parse_env_value(&field("vllm_remote_executor_url")?, "").applied(),
            Some(&Value::from(""))
        );
        Ok(())
    }
}
