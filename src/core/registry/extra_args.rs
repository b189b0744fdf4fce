//! `backend_config.extra_args` as flags: the load flags ImageWorks' Models
//! page edits become typed values, everything else stays raw arguments.
//!
//! The list is argv for the backend, so order and spelling matter to it:
//! parsing keeps every item as written (`--flag value` as two items,
//! `--flag=value` as one), and rebuilding gives back the same list unless a
//! flag was edited. An edited flag keeps its place and its form; a new flag
//! is appended in the `--flag value` form the shipped registry uses.

use serde_json::Value;

/// What a known flag's value is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FlagKind {
    Int {
        min: i64,
        max: Option<i64>,
    },
    /// A float in `min..=max`, `min` itself excluded when `min_exclusive`.
    Float {
        min: f64,
        max: f64,
        min_exclusive: bool,
    },
    /// A text value; `choices` are offered, any text is kept.
    Choice {
        choices: &'static [&'static str],
    },
    /// Present or absent, no value.
    Switch,
}

/// Which backend reads a flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlagBackend {
    Vllm,
    Ollama,
}

impl FlagBackend {
    /// Whether an entry with `backend` (`vllm`, `ollama`, ...) reads it.
    pub fn serves(self, backend: Option<&str>) -> bool {
        matches!(
            (self, backend),
            (Self::Vllm, Some("vllm")) | (Self::Ollama, Some("ollama"))
        )
    }
}

/// A flag the editor shows as a typed field.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KnownFlag {
    /// The spelling a new flag is written with.
    pub flag: &'static str,
    /// Other spellings read as this flag.
    pub aliases: &'static [&'static str],
    /// What the editor calls it (ImageWorks' name for it).
    pub label: &'static str,
    pub kind: FlagKind,
    pub backend: FlagBackend,
    pub help: &'static str,
}

/// The flags ImageWorks' Models page edits (docs/model-registry.md), plus
/// the vLLM switches the shipped registry uses. Ollama's options are
/// written as `--num-ctx` / `--num-gpu` in the shipped registry.
pub const KNOWN_FLAGS: &[KnownFlag] = &[
    KnownFlag {
        flag: "--max-model-len",
        aliases: &[],
        label: "--max-model-len",
        kind: FlagKind::Int { min: 1, max: None },
        backend: FlagBackend::Vllm,
        help: "Context length vLLM allocates for (tokens); bounded by the model's own.",
    },
    KnownFlag {
        flag: "--gpu-memory-utilization",
        aliases: &[],
        label: "--gpu-memory-utilization",
        kind: FlagKind::Float {
            min: 0.0,
            max: 1.0,
            min_exclusive: true,
        },
        backend: FlagBackend::Vllm,
        help: "Share of GPU memory vLLM may take (0–1, e.g. 0.90).",
    },
    KnownFlag {
        flag: "--tensor-parallel-size",
        aliases: &[],
        label: "--tensor-parallel-size",
        kind: FlagKind::Int { min: 1, max: None },
        backend: FlagBackend::Vllm,
        help: "Number of GPUs the model is split across.",
    },
    KnownFlag {
        flag: "--kv-cache-dtype",
        aliases: &[],
        label: "--kv-cache-dtype",
        kind: FlagKind::Choice {
            choices: &["auto", "fp8", "fp8_e4m3", "fp8_e5m2"],
        },
        backend: FlagBackend::Vllm,
        help: "Data type of the KV cache (fp8 halves its memory).",
    },
    KnownFlag {
        flag: "--max-num-seqs",
        aliases: &[],
        label: "--max-num-seqs",
        kind: FlagKind::Int { min: 1, max: None },
        backend: FlagBackend::Vllm,
        help: "Most sequences vLLM runs at once.",
    },
    KnownFlag {
        flag: "--enforce-eager",
        aliases: &[],
        label: "--enforce-eager",
        kind: FlagKind::Switch,
        backend: FlagBackend::Vllm,
        help: "Run without CUDA graphs (less memory, slower).",
    },
    KnownFlag {
        flag: "--trust-remote-code",
        aliases: &[],
        label: "--trust-remote-code",
        kind: FlagKind::Switch,
        backend: FlagBackend::Vllm,
        help: "Allow the model's own Python code from its repository.",
    },
    KnownFlag {
        flag: "--num-ctx",
        aliases: &["--num_ctx"],
        label: "num_ctx",
        kind: FlagKind::Int { min: 1, max: None },
        backend: FlagBackend::Ollama,
        help: "Ollama context window (tokens).",
    },
    KnownFlag {
        flag: "--num-gpu",
        aliases: &["--num_gpu"],
        label: "num_gpu",
        kind: FlagKind::Int { min: 0, max: None },
        backend: FlagBackend::Ollama,
        help: "Layers Ollama offloads to the GPU.",
    },
];

impl KnownFlag {
    pub fn by_flag(flag: &str) -> Option<&'static KnownFlag> {
        KNOWN_FLAGS
            .iter()
            .find(|k| k.flag == flag || k.aliases.contains(&flag))
    }

    /// Check typed text for this flag; `Err` says why it does not fit.
    pub fn check(&self, text: &str) -> Result<(), String> {
        let text = text.trim();
        match self.kind {
            FlagKind::Int { min, max } => {
                let n: i64 = text.parse().map_err(|_| "not an integer".to_owned())?;
                let too_big = max.is_some_and(|m| n > m);
                if n < min || too_big {
                    let max = max.map_or("…".to_owned(), |m| m.to_string());
                    return Err(format!("outside {min}–{max}"));
                }
                Ok(())
            }
            FlagKind::Float {
                min,
                max,
                min_exclusive,
            } => {
                let n: f64 = text.parse().map_err(|_| "not a number".to_owned())?;
                let low = if min_exclusive { n <= min } else { n < min };
                if low || n > max || !n.is_finite() {
                    let open = if min_exclusive { "above " } else { "" };
                    return Err(format!("must be {open}{min} to {max}"));
                }
                Ok(())
            }
            FlagKind::Choice { .. } if text.is_empty() || text.starts_with("--") => {
                Err("needs a value".to_owned())
            }
            FlagKind::Choice { .. } | FlagKind::Switch => Ok(()),
        }
    }
}

/// How a known flag is written in the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Form {
    /// `--flag value`: two items.
    Separate,
    /// `--flag=value`: one item.
    Joined,
    /// `--flag` alone (a switch).
    Switch,
}

/// One part of the argument list.
#[derive(Clone, Debug, PartialEq)]
pub enum ArgItem {
    Known {
        flag: &'static KnownFlag,
        /// The flag as written (`--num_ctx` stays `--num_ctx`).
        spelling: String,
        form: Form,
        /// The value as written; empty for a switch.
        value: String,
    },
    /// Any other item, kept as written.
    Raw(String),
}

/// `extra_args` split into known flags and raw items, in list order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExtraArgs {
    pub items: Vec<ArgItem>,
}

impl ExtraArgs {
    /// Read a list of argv strings. A known flag's value is the next item
    /// unless it is joined with `=` or the next item is itself a flag (then
    /// the flag stays raw: its shape is not one the editor can keep).
    pub fn parse(args: &[String]) -> Self {
        let mut items = Vec::with_capacity(args.len());
        let mut i = 0;
        while i < args.len() {
            let arg = &args[i];
            i += 1;
            let (word, joined) = match arg.split_once('=') {
                Some((w, v)) => (w, Some(v)),
                None => (arg.as_str(), None),
            };
            let Some(flag) = KnownFlag::by_flag(word) else {
                items.push(ArgItem::Raw(arg.clone()));
                continue;
            };
            let known = |form, value: &str| ArgItem::Known {
                flag,
                spelling: word.to_owned(),
                form,
                value: value.to_owned(),
            };
            match (flag.kind, joined) {
                (FlagKind::Switch, None) => items.push(known(Form::Switch, "")),
                (FlagKind::Switch, Some(_)) => items.push(ArgItem::Raw(arg.clone())),
                (_, Some(value)) => items.push(known(Form::Joined, value)),
                (_, None) => match args.get(i) {
                    Some(next) if !next.starts_with("--") => {
                        items.push(known(Form::Separate, next));
                        i += 1;
                    }
                    _ => items.push(ArgItem::Raw(arg.clone())),
                },
            }
        }
        Self { items }
    }

    /// Read a JSON `extra_args` value; `None` unless it is a list of strings.
    pub fn from_json(value: Option<&Value>) -> Option<Self> {
        let list = match value {
            None | Some(Value::Null) => return Some(Self::default()),
            Some(Value::Array(list)) => list,
            Some(_) => return None,
        };
        let args: Option<Vec<String>> =
            list.iter().map(|v| v.as_str().map(str::to_owned)).collect();
        args.map(|a| Self::parse(&a))
    }

    /// The argv list again.
    pub fn to_args(&self) -> Vec<String> {
        let mut out = Vec::with_capacity(self.items.len() + 4);
        for item in &self.items {
            match item {
                ArgItem::Raw(raw) => out.push(raw.clone()),
                ArgItem::Known {
                    spelling,
                    form,
                    value,
                    ..
                } => match form {
                    Form::Separate => {
                        out.push(spelling.clone());
                        out.push(value.clone());
                    }
                    Form::Joined => out.push(format!("{spelling}={value}")),
                    Form::Switch => out.push(spelling.clone()),
                },
            }
        }
        out
    }

    pub fn to_json(&self) -> Value {
        Value::Array(self.to_args().into_iter().map(Value::String).collect())
    }

    /// Position of the last occurrence of `flag` (the one a backend's
    /// argument parser keeps).
    fn last_of(&self, flag: &KnownFlag) -> Option<usize> {
        self.items.iter().rposition(|item| match item {
            ArgItem::Known { flag: f, .. } => f.flag == flag.flag,
            ArgItem::Raw(_) => false,
        })
    }

    /// The value of `flag` (its last occurrence); `Some("")` for a switch
    /// that is on.
    pub fn value(&self, flag: &KnownFlag) -> Option<&str> {
        match &self.items[self.last_of(flag)?] {
            ArgItem::Known { value, .. } => Some(value),
            ArgItem::Raw(_) => None,
        }
    }

    /// Raw items, in order (what the editor lists below the typed fields).
    pub fn raw(&self) -> impl Iterator<Item = &str> {
        self.items.iter().filter_map(|item| match item {
            ArgItem::Raw(raw) => Some(raw.as_str()),
            ArgItem::Known { .. } => None,
        })
    }

    /// Give `flag` this value: the last occurrence keeps its place and form,
    /// a missing flag is appended as `--flag value`. `None` removes every
    /// occurrence. For a switch, `Some(_)` turns it on.
    pub fn set(&mut self, flag: &'static KnownFlag, value: Option<&str>) {
        let Some(value) = value else {
            self.items.retain(
                |item| !matches!(item, ArgItem::Known { flag: f, .. } if f.flag == flag.flag),
            );
            return;
        };
        let value = if flag.kind == FlagKind::Switch {
            ""
        } else {
            value.trim()
        };
        if let Some(i) = self.last_of(flag)
            && let ArgItem::Known { value: old, .. } = &mut self.items[i]
        {
            value.clone_into(old);
            return;
        }
        let form = if flag.kind == FlagKind::Switch {
            Form::Switch
        } else {
            Form::Separate
        };
        self.items.push(ArgItem::Known {
            flag,
            spelling: flag.flag.to_owned(),
            form,
            value: value.to_owned(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    fn flag(name: &str) -> &'static KnownFlag {
        KnownFlag::by_flag(name).unwrap_or(&KNOWN_FLAGS[0])
    }

    #[test]
    fn unknown_flags_round_trip_unchanged() {
        // The longest shipped list, with both forms and a JSON value.
        let list = args(&[
            "--tensor-parallel-size",
            "1",
            "--dtype",
            "auto",
            "--kv-cache-dtype=fp8",
            "--gpu-memory-utilization",
            "0.90",
            "--max-num-batched-tokens",
            "1024",
            "--limit-mm-per-prompt",
            "{\"image\":1,\"video\":0}",
            "--trust-remote-code",
            "positional",
            "--max-model-len",
        ]);
        let parsed = ExtraArgs::parse(&list);
        assert_eq!(parsed.to_args(), list);
        assert_eq!(parsed.value(flag("--tensor-parallel-size")), Some("1"));
        assert_eq!(parsed.value(flag("--kv-cache-dtype")), Some("fp8"));
        assert_eq!(parsed.value(flag("--gpu-memory-utilization")), Some("0.90"));
        assert_eq!(parsed.value(flag("--trust-remote-code")), Some(""));
        // A trailing flag without its value stays raw.
        assert_eq!(parsed.value(flag("--max-model-len")), None);
        let raw: Vec<&str> = parsed.raw().collect();
        assert_eq!(
            raw,
            [
                "--dtype",
                "auto",
                "--max-num-batched-tokens",
                "1024",
                "--limit-mm-per-prompt",
                "{\"image\":1,\"video\":0}",
                "positional",
                "--max-model-len"
            ]
        );
    }

    #[test]
    fn edits_keep_place_and_form() {
        let list = args(&[
            "--dtype",
            "auto",
            "--kv-cache-dtype=fp8",
            "--max-model-len",
            "4096",
            "--enforce-eager",
        ]);
        let mut parsed = ExtraArgs::parse(&list);
        parsed.set(flag("--kv-cache-dtype"), Some("auto"));
        parsed.set(flag("--max-model-len"), Some(" 8192 "));
        parsed.set(flag("--enforce-eager"), None);
        parsed.set(flag("--max-num-seqs"), Some("2"));
        parsed.set(flag("--trust-remote-code"), Some(""));
        assert_eq!(
            parsed.to_args(),
            args(&[
                "--dtype",
                "auto",
                "--kv-cache-dtype=auto",
                "--max-model-len",
                "8192",
                "--max-num-seqs",
                "2",
                "--trust-remote-code"
            ])
        );
    }

    #[test]
    fn ollama_options_in_either_spelling() {
        let list = args(&["--num-ctx", "4096", "--num_gpu=35"]);
        let mut parsed = ExtraArgs::parse(&list);
        assert_eq!(parsed.value(flag("--num-ctx")), Some("4096"));
        assert_eq!(parsed.value(flag("--num-gpu")), Some("35"));
        parsed.set(flag("--num-gpu"), Some("20"));
        assert_eq!(
            parsed.to_args(),
            args(&["--num-ctx", "4096", "--num_gpu=20"])
        );
        // The last occurrence is the one edited (and the one that counts).
        let twice = args(&["--num-ctx", "1", "--num-ctx", "2"]);
        let mut parsed = ExtraArgs::parse(&twice);
        assert_eq!(parsed.value(flag("--num-ctx")), Some("2"));
        parsed.set(flag("--num-ctx"), Some("3"));
        assert_eq!(
            parsed.to_args(),
            args(&["--num-ctx", "1", "--num-ctx", "3"])
        );
    }

    #[test]
    fn typed_values_are_checked() {
        assert!(flag("--gpu-memory-utilization").check("0.9").is_ok());
        assert!(flag("--gpu-memory-utilization").check("0").is_err());
        assert!(flag("--gpu-memory-utilization").check("1.5").is_err());
        assert!(flag("--max-model-len").check("x").is_err());
        assert!(flag("--max-model-len").check("0").is_err());
        assert!(flag("--num-gpu").check("0").is_ok());
        assert!(flag("--kv-cache-dtype").check("").is_err());
    }

    #[test]
    fn json_values() {
        let list = serde_json::json!(["--enforce-eager", "--x"]);
        let parsed = ExtraArgs::from_json(Some(&list));
        assert_eq!(parsed.map(|p| p.to_json()), Some(list));
        assert_eq!(ExtraArgs::from_json(None), Some(ExtraArgs::default()));
        assert_eq!(ExtraArgs::from_json(Some(&serde_json::json!([1]))), None);
    }
}
