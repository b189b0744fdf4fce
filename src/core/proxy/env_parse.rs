//! The proxy's rules for turning a `CHAT_PROXY_*` env value into a setting
//! (`_apply_env_overrides` in its `config_loader.py`; contract §8's table).
//!
//! The parse kind of each setting comes from the layouts (`env_parse`); this
//! module only knows the proxy's per-kind rules, which are Python's own:
//! `str.lower()` for bools, `int()` and `float()` for numbers, `split(",")`
//! and `strip()` for lists, and strings taken as they are.

use std::str::FromStr;

use serde_json::{Number, Value};
use unicode_general_category::{GeneralCategory, get_general_category};

use crate::core::layout::{EnvParse, Field};

/// What the proxy does with one env value.
#[derive(Clone, Debug, PartialEq)]
pub enum EnvOutcome {
    /// The value replaces the file value.
    Applied(Value),
    /// The proxy drops the value and keeps the file value; `why` says so in words.
    Ignored { why: String },
    /// The proxy applies a float JSON cannot hold (`nan`, `inf`, or a number
    /// too large for a double): its `runtime` then holds it and
    /// `GET /v1/config/chat-proxy` answers 500 (contract §8). `value` is
    /// Python's spelling of it (`nan`, `inf`, `-inf`).
    NotJson { value: String },
}

impl EnvOutcome {
    /// The value the proxy's `runtime` reports, when it can report one.
    pub fn applied(&self) -> Option<&Value> {
        match self {
            Self::Applied(v) => Some(v),
            Self::Ignored { .. } | Self::NotJson { .. } => None,
        }
    }

    /// Whether the proxy replaces the file value with it (also a `NotJson` one).
    pub fn replaces_file_value(&self) -> bool {
        !matches!(self, Self::Ignored { .. })
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
        // Taken as is, `""` included: the proxy's "empty means none" is
        // applied to file values before the env is (contract §8).
        EnvParse::Str => EnvOutcome::Applied(Value::String(raw.to_owned())),
    }
}

/// `value.lower() in {"1", "true", "yes", "on"}`: no trimming, so `" true"`
/// is false. Rust's `to_lowercase` and Python's `str.lower()` agree on every
/// text that lowers to one of these four words.
pub fn parse_bool(raw: &str) -> bool {
    matches!(raw.to_lowercase().as_str(), "1" | "true" | "yes" | "on")
}

/// Python caps `int()` of a decimal text at 4300 digits (`sys.int_info.
/// default_max_str_digits`, Python 3.11+); a longer one raises `ValueError`,
/// which the proxy treats like any text that is no integer.
const PYTHON_MAX_INT_DIGITS: usize = 4300;

/// Python's `int(value)`; on `ValueError` the proxy keeps the file value.
/// An empty value never parses, which is also why
/// `CHAT_PROXY_VLLM_MAX_MODEL_LEN=""` applies nothing.
fn parse_int(raw: &str) -> EnvOutcome {
    match python_int(raw) {
        Ok(n) => EnvOutcome::Applied(Value::Number(n)),
        Err(reason) => ignored(raw, "an integer", reason),
    }
}

/// Python's `float(value)`; `nan` and `inf` parse, and are then [`EnvOutcome::NotJson`].
fn parse_float(raw: &str) -> EnvOutcome {
    match python_float(raw) {
        Ok(f) => match Number::from_f64(f) {
            Some(n) => EnvOutcome::Applied(Value::Number(n)),
            None => EnvOutcome::NotJson {
                value: python_float_repr(f).to_owned(),
            },
        },
        Err(reason) => ignored(raw, "a number", reason),
    }
}

/// Python's `repr` of a float JSON cannot hold.
fn python_float_repr(f: f64) -> &'static str {
    match (f.is_nan(), f.is_sign_negative()) {
        (true, _) => "nan",
        (false, false) => "inf",
        (false, true) => "-inf",
    }
}

/// `if not val: keep`; else `[s.strip() for s in val.split(",")]` without
/// the empty items: `","` and `"   "` give an empty list, only `""` is ignored.
fn parse_list(raw: &str) -> EnvOutcome {
    if raw.is_empty() {
        return EnvOutcome::Ignored {
            why: "an empty value is ignored, so the proxy keeps the file value".to_owned(),
        };
    }
    let items: Vec<Value> = raw
        .split(',')
        .map(|s| s.trim_matches(is_python_space))
        .filter(|s| !s.is_empty())
        .map(|s| Value::String(s.to_owned()))
        .collect();
    EnvOutcome::Applied(Value::Array(items))
}

/// Python's `str.isspace()`: Unicode's White_Space (what Rust's
/// `char::is_whitespace` tests) plus the four ASCII separators U+001C..U+001F
/// (bidirectional class B or S), checked against every code point of Python 3.11.
fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// The value of a decimal digit (general category Nd) of any script, as
/// Python's `int()` and `float()` read it (`_PyUnicode_TransformDecimalAndSpaceToASCII`).
/// Unicode assigns Nd only in contiguous runs of ten, 0 to 9 (its stability
/// policy for Numeric_Type=Decimal), and adjacent runs (the mathematical
/// digits U+1D7CE..U+1D7FF) start at a zero too, so a digit's value is its
/// distance from the first Nd before it, modulo ten. The table is Unicode
/// 16's; a proxy on an older Python knows fewer scripts (3.11: Unicode 14).
fn decimal_value(c: char) -> Option<u32> {
    if c.is_ascii_digit() {
        return c.to_digit(10);
    }
    let is_nd = |c: char| get_general_category(c) == GeneralCategory::DecimalNumber;
    if !is_nd(c) {
        return None;
    }
    let mut first = u32::from(c);
    while let Some(prev) = first.checked_sub(1).and_then(char::from_u32) {
        if !is_nd(prev) {
            break;
        }
        first -= 1;
    }
    Some((u32::from(c) - first) % 10)
}

/// The ASCII text Python's number parsers see
/// (`_PyUnicode_TransformDecimalAndSpaceToASCII`): ASCII stays, every other
/// Unicode space becomes `' '`, every decimal digit its ASCII digit, any
/// other character makes the value no number; then the parser skips ASCII
/// whitespace around it (`Py_ISSPACE`: not U+001C..U+001F, which stay).
fn python_number_text(raw: &str) -> Result<String, &'static str> {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        if c.is_ascii() {
            out.push(c);
        } else if is_python_space(c) {
            out.push(' ');
        } else {
            let d = decimal_value(c).ok_or("it holds a character that is no digit")?;
            out.push(char::from_digit(d, 10).ok_or("it holds a character that is no digit")?);
        }
    }
    Ok(out
        .trim_matches([' ', '\t', '\n', '\r', '\u{b}', '\u{c}'])
        .to_owned())
}

/// Python allows `_` only between two digits (`1_000`, not `_1`, `1_`, `1__0`).
fn without_underscores(text: &str) -> Result<String, &'static str> {
    let bytes = text.as_bytes();
    let ok = bytes.iter().enumerate().all(|(i, b)| {
        *b != b'_'
            || (i > 0
                && i + 1 < bytes.len()
                && bytes[i - 1].is_ascii_digit()
                && bytes[i + 1].is_ascii_digit())
    });
    if ok {
        Ok(text.replace('_', ""))
    } else {
        Err("“_” is allowed only between digits")
    }
}

/// Python's `int(value)` (base 10): Unicode spaces around, a sign, digits
/// of any script with single `_` between them, any size up to Python's
/// digit limit. The result is the integer's canonical decimal text as a
/// JSON number (serde_json keeps its digits: `arbitrary_precision`).
pub fn python_int(raw: &str) -> Result<Number, &'static str> {
    let text = without_underscores(&python_number_text(raw)?)?;
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text.as_str()),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("it is not a whole number in decimal digits");
    }
    if digits.len() > PYTHON_MAX_INT_DIGITS {
        return Err("it has more than Python's 4300 digits for an integer");
    }
    let magnitude = digits.trim_start_matches('0');
    let canonical = match (magnitude.is_empty(), negative) {
        (true, _) => "0".to_owned(),
        (false, true) => format!("-{magnitude}"),
        (false, false) => magnitude.to_owned(),
    };
    Number::from_str(&canonical).map_err(|_| "it is not a whole number in decimal digits")
}

/// Python's `float(value)`: what [`python_int`] takes plus a fraction
/// (`.5`, `5.`), an exponent (`1e3`, `1E-3`), and `nan`, `inf`, `infinity`
/// in any case with a sign. A number beyond a double's range is `inf`, as in
/// Python. Rust's `f64::from_str` has Python's grammar otherwise (both round correctly).
pub fn python_float(raw: &str) -> Result<f64, &'static str> {
    let text = python_number_text(raw)?;
    let text = if text.contains('_') {
        without_underscores(&text)?
    } else {
        text
    };
    f64::from_str(&text).map_err(|_| "it is not a number")
}

fn ignored(raw: &str, expected: &str, reason: &str) -> EnvOutcome {
    EnvOutcome::Ignored {
        why: format!(
            "“{raw}” is not {expected} ({reason}), so the proxy ignores it and keeps the file value"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::layout::LayoutSet;
    use serde_json::json;

    fn field(key: &str) -> Result<Field, String> {
        let layouts = LayoutSet::builtin().map_err(|e| e.to_string())?;
        layouts
            .proxy_field_by_key(key)
            .map(|(_, f)| f.clone())
            .ok_or_else(|| format!("no field {key}"))
    }

    fn applied(key: &str, raw: &str) -> Result<Option<Value>, String> {
        Ok(parse_env_value(&field(key)?, raw).applied().cloned())
    }

    #[test]
    fn bool_is_true_only_for_the_four_words_untrimmed() -> Result<(), String> {
        for raw in ["1", "true", "YES", "On", "TrUe"] {
            assert_eq!(
                applied("enable_metrics", raw)?,
                Some(json!(true)),
                "{raw:?}"
            );
        }
        for raw in [
            "0", "false", "y", "", "enabled", " true", "yes ", "2", "\ton",
        ] {
            assert_eq!(
                applied("enable_metrics", raw)?,
                Some(json!(false)),
                "{raw:?}"
            );
        }
        Ok(())
    }

    #[test]
    fn ints_follow_python_int() -> Result<(), String> {
        let cases: &[(&str, Option<Value>)] = &[
            ("8100", Some(json!(8100))),
            (" 1_000 ", Some(json!(1000))),
            ("\t-7\n", Some(json!(-7))),
            ("+5", Some(json!(5))),
            ("007", Some(json!(7))),
            ("-0", Some(json!(0))),
            ("0_1", Some(json!(1))),
            // Unicode spaces around are skipped, U+001C is not (it is ASCII).
            ("\u{3000}5\u{a0}", Some(json!(5))),
            ("\u{1c}5", None),
            ("1__0", None),
            ("_1", None),
            ("1_", None),
            ("+_1", None),
            ("1e3", None),
            ("1.0", None),
            ("0x10", None),
            ("1 2", None),
            ("", None),
            ("   ", None),
            ("abc", None),
        ];
        for (raw, want) in cases {
            assert_eq!(&applied("port", raw)?, want, "{raw:?}");
        }
        Ok(())
    }

    #[test]
    fn ints_take_digits_of_every_script() {
        let cases = [
            ("٩٠", "90"),      // Arabic-Indic
            ("１２３", "123"), // Fullwidth
            ("४२", "42"),      // Devanagari
            ("๗", "7"),        // Thai
            ("۱۲", "12"),      // Extended Arabic-Indic
            ("𝟏𝟐", "12"),      // Mathematical bold
            ("𝟘𝟡", "9"),       // Mathematical double-struck, next to bold
            ("1٢3", "123"),    // scripts mixed, as Python allows
            ("٩_٠", "90"),
        ];
        for (raw, want) in cases {
            assert_eq!(
                python_int(raw).map(|n| n.to_string()),
                Ok(want.to_owned()),
                "{raw:?}"
            );
        }
        // A letter-like numeral is no decimal digit (Python: ValueError).
        assert!(python_int("Ⅻ").is_err());
        assert!(python_int("²").is_err());
    }

    /// The zero of every decimal-digit run in Unicode 14 (Python 3.11's
    /// `unicodedata`: every `c` with `unicodedata.decimal(c) == 0`); each is
    /// followed by its nine digits.
    const UNICODE_14_ZEROS: [u32; 66] = [
        0x30, 0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66,
        0xDE6, 0xE50, 0xED0, 0xF20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90,
        0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0,
        0xFF10, 0x104A0, 0x10D30, 0x11066, 0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0,
        0x11650, 0x116C0, 0x11730, 0x118E0, 0x11950, 0x11C50, 0x11D50, 0x11DA0, 0x16A60, 0x16AC0,
        0x16B50, 0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E950, 0x1FBF0,
    ];

    #[test]
    fn every_digit_python_knows_has_its_value() {
        for zero in UNICODE_14_ZEROS {
            for k in 0..10 {
                let c = char::from_u32(zero + k).unwrap_or('?');
                assert_eq!(decimal_value(c), Some(k), "U+{:04X}", zero + k);
            }
        }
    }

    #[test]
    fn a_big_int_keeps_its_digits_up_to_pythons_limit() -> Result<(), String> {
        assert_eq!(
            applied("max_image_bytes", "99999999999999999999")?,
            Some(Value::Number(
                Number::from_str("99999999999999999999").map_err(|e| e.to_string())?
            ))
        );
        assert_eq!(
            python_int(&"9".repeat(4300)).map(|n| n.to_string().len()),
            Ok(4300)
        );
        // Python counts leading zeros and not underscores.
        assert!(python_int(&format!("{}1", "0".repeat(4300))).is_err());
        assert!(python_int(&format!("{}1", "1_".repeat(2150))).is_ok());
        Ok(())
    }

    #[test]
    fn floats_follow_python_float() -> Result<(), String> {
        let key = "vllm_gpu_memory_utilization";
        let cases: &[(&str, Option<Value>)] = &[
            ("0.5", Some(json!(0.5))),
            (".5", Some(json!(0.5))),
            ("5.", Some(json!(5.0))),
            ("1e3", Some(json!(1000.0))),
            ("1E-1", Some(json!(0.1))),
            ("1_000.0_1", Some(json!(1000.01))),
            ("1e1_0", Some(json!(1e10))),
            ("٩.٥", Some(json!(9.5))),
            (" 7 ", Some(json!(7.0))),
            ("1e-400", Some(json!(0.0))),
            ("1_e3", None),
            ("in_f", None),
            ("0x10", None),
            ("", None),
            ("half", None),
        ];
        for (raw, want) in cases {
            assert_eq!(&applied(key, raw)?, want, "{raw:?}");
        }
        let f = field(key)?;
        for (raw, value) in [
            ("nan", "nan"),
            ("-NaN", "nan"),
            ("inf", "inf"),
            ("+Infinity", "inf"),
            ("-inf", "-inf"),
            ("1e400", "inf"),
        ] {
            assert_eq!(
                parse_env_value(&f, raw),
                EnvOutcome::NotJson {
                    value: value.to_owned()
                },
                "{raw:?}"
            );
        }
        assert!(parse_env_value(&f, "nan").replaces_file_value());
        Ok(())
    }

    #[test]
    fn lists_split_on_commas_and_only_empty_is_ignored() -> Result<(), String> {
        let key = "vision_downscale_backends";
        assert_eq!(applied(key, "")?, None);
        assert_eq!(applied(key, ",")?, Some(json!([])));
        assert_eq!(applied(key, "   ")?, Some(json!([])));
        assert_eq!(
            applied(key, "vllm, ollama")?,
            Some(json!(["vllm", "ollama"]))
        );
        // `str.strip()` takes U+001C..U+001F too.
        assert_eq!(applied(key, "\u{1f}vllm ,,")?, Some(json!(["vllm"])));
        Ok(())
    }

    #[test]
    fn strings_are_taken_as_they_are_empty_included() -> Result<(), String> {
        assert_eq!(applied("loopback_alias", "")?, Some(json!("")));
        assert_eq!(applied("autostart_map_raw", "")?, Some(json!("")));
        assert_eq!(applied("vllm_remote_executor_url", "")?, Some(json!("")));
        assert_eq!(applied("host", " 0.0.0.0 ")?, Some(json!(" 0.0.0.0 ")));
        assert!(
            parse_env_value(&field("vllm_max_model_len")?, "")
                .applied()
                .is_none()
        );
        Ok(())
    }
}
