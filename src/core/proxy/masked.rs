//! Pushed keys the proxy will not run with: a `CHAT_PROXY_*` variable that
//! the proxy applies wins over its file (contract §2, §8). The plan names
//! them before the push, the push outcome repeats them, and the restart's
//! verification reports them on a line of their own, so "verified" never
//! covers a value the runtime does not have.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::effective::env_value;
use crate::core::layout::LayoutSet;

/// A pushed key an env var masks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MaskedKey {
    pub key: String,
    /// `limits.max_image_bytes`.
    pub path: String,
    /// `CHAT_PROXY_MAX_IMAGE_BYTES`.
    pub var: String,
    /// What the push writes to the file.
    pub written: Value,
    /// What the proxy runs with instead: the env value as the proxy parses it.
    pub runs: Value,
}

impl MaskedKey {
    /// "limits.max_image_bytes: written to the file; the proxy keeps 1000 from CHAT_PROXY_MAX_IMAGE_BYTES".
    pub fn describe(&self) -> String {
        format!(
            "{}: written to the file; the proxy keeps {} from {}",
            self.path, self.runs, self.var
        )
    }
}

/// Of the `written` keys and values, those an env var in `env` masks: the
/// proxy applies the variable and so runs with another value.
pub fn masked_keys<'a>(
    layouts: &LayoutSet,
    written: impl IntoIterator<Item = (&'a str, &'a Value)>,
    env: &BTreeMap<String, String>,
) -> Vec<MaskedKey> {
    written
        .into_iter()
        .filter_map(|(key, value)| {
            let (_, field) = layouts.proxy_field_by_key(key)?;
            let env = env_value(field, env)?;
            let runs = env.outcome.applied()?.clone();
            (runs != *value).then(|| MaskedKey {
                key: key.to_owned(),
                path: field.path.clone(),
                var: env.var,
                written: value.clone(),
                runs,
            })
        })
        .collect()
}

/// "a, b and c are masked by env: …" as one sentence, or nothing.
pub fn masked_sentence(masked: &[MaskedKey]) -> Option<String> {
    if masked.is_empty() {
        return None;
    }
    Some(format!(
        "Masked by env (the proxy will not run the pushed value): {}.",
        masked
            .iter()
            .map(MaskedKey::describe)
            .collect::<Vec<_>>()
            .join("; ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_applied_env_var_masks_the_pushed_value() -> Result<(), String> {
        let layouts = LayoutSet::builtin().map_err(|e| e.to_string())?;
        let env: BTreeMap<String, String> = [
            ("CHAT_PROXY_MAX_IMAGE_BYTES".to_owned(), "1000".to_owned()),
            ("CHAT_PROXY_PORT".to_owned(), "not a number".to_owned()),
            ("CHAT_PROXY_HOST".to_owned(), "0.0.0.0".to_owned()),
        ]
        .into();
        let (bytes, port, host) = (Value::from(5000), Value::from(9000), Value::from("0.0.0.0"));
        let written = [
            ("max_image_bytes", &bytes),
            // An int the proxy cannot parse is ignored: the file value runs.
            ("port", &port),
            // Masked, but by the same value: it runs as pushed.
            ("host", &host),
        ];
        let masked = masked_keys(&layouts, written, &env);
        assert_eq!(masked.len(), 1, "{masked:?}");
        assert_eq!(
            masked[0].describe(),
            "limits.max_image_bytes: written to the file; the proxy keeps 1000 from CHAT_PROXY_MAX_IMAGE_BYTES"
        );
        Ok(())
    }
}
