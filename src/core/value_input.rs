//! Text typed by a person (CLI argument, form field) → a TOML value for a field.

use toml_edit::Value;

use crate::core::layout::{Field, FieldType};

/// Read `raw` as a TOML value (`9001`, `true`, `["a", "b"]`, `"text"`); a bare
/// word that is not TOML is taken as a string, but only for a string field.
pub fn parse_input(field: Option<&Field>, raw: &str) -> Result<Value, String> {
    match raw.trim().parse::<Value>() {
        Ok(mut value) => {
            value.decor_mut().clear();
            Ok(value)
        }
        Err(_) if field.is_some_and(|f| takes_bare_words(f.ty)) => Ok(Value::from(raw)),
        Err(_) => Err(match field {
            Some(f) => format!(
                "`{raw}` is not a TOML value; `{}` expects {}{}",
                f.path,
                f.ty.describe(),
                if f.ty == FieldType::StringList {
                    " such as [\"a\", \"b\"]"
                } else {
                    ""
                }
            ),
            None => format!("`{raw}` is not a TOML value (quote strings: '\"text\"')"),
        }),
    }
}

fn takes_bare_words(ty: FieldType) -> bool {
    ty.is_text()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::layout::LayoutSet;

    #[test]
    fn bare_words_only_for_string_fields() -> Result<(), Box<dyn std::error::Error>> {
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
}
