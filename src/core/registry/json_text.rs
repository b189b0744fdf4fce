//! Lossless JSON text for the registry files.
//!
//! ImageWorks writes every registry file with Python's `json.dumps(data,
//! indent=2)` plus a trailing newline. To give back the same bytes after an
//! unedited load/save we parse with key order preserved (`preserve_order`)
//! and number text preserved (`arbitrary_precision`), and write with the exact
//! layout and escaping rules of Python's encoder in indent mode.

use std::borrow::{Borrow, Cow};
use std::ops::ControlFlow;

use serde_json::{Number, Value};

use super::parallel::par_map;

/// A JSON syntax error with the 1-based line and column serde_json reports.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct JsonTextError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// How a layer file writes its lines: a BOM and `\r\n` newlines stay on save
/// (a registry edited on Windows keeps them). The writer below emits `\n`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TextStyle {
    pub bom: bool,
    pub crlf: bool,
}

const BOM: &str = "\u{feff}";

impl TextStyle {
    /// The style of a file from its first bytes (the first newline decides).
    pub fn of(bytes: &[u8]) -> Self {
        let bom = bytes.starts_with(BOM.as_bytes());
        let crlf = bytes
            .iter()
            .position(|b| *b == b'\n')
            .is_some_and(|i| i > 0 && bytes[i - 1] == b'\r');
        Self { bom, crlf }
    }

    /// `text` without its BOM (JSON parsers refuse one).
    pub fn without_bom(text: &str) -> &str {
        text.strip_prefix(BOM).unwrap_or(text)
    }

    /// `written` (from the writer: `\n`, no BOM) in this style.
    pub fn apply(self, written: &str) -> String {
        let mut out = String::with_capacity(written.len() + written.len() / 16 + BOM.len());
        if self.bom {
            out.push_str(BOM);
        }
        if self.crlf {
            out.push_str(&written.replace('\n', "\r\n"));
        } else {
            out.push_str(written);
        }
        out
    }
}

/// Parse JSON text, keeping key order and each number's original text.
pub fn parse(text: &str) -> Result<Value, JsonTextError> {
    serde_json::from_str(text).map_err(JsonTextError::from)
}

impl From<serde_json::Error> for JsonTextError {
    fn from(e: serde_json::Error) -> Self {
        Self {
            line: e.line(),
            column: e.column(),
            message: strip_position(&e.to_string()),
        }
    }
}

/// serde_json appends " at line L column C"; we report those separately.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(pos) => message[..pos].to_string(),
        None => message.to_owned(),
    }
}

/// Exactly what Python's `json.dumps(value, indent=2)` prints, plus "\n".
pub fn to_python_json(value: &Value) -> String {
    let mut out = String::with_capacity(4096);
    write_value(&mut out, value, 0);
    out.push('\n');
    out
}

/// `to_python_json` of a list, without first copying it into a `Value`.
pub fn list_to_python_json(items: impl ExactSizeIterator<Item = impl Borrow<Value>>) -> String {
    let mut out = String::with_capacity(4096 * items.len().max(1));
    if items.len() == 0 {
        out.push_str("[]");
    } else {
        out.push('[');
        for (i, item) in items.enumerate() {
            if i > 0 {
                out.push(',');
            }
            newline_indent(&mut out, 1);
            write_value(&mut out, item.borrow(), 1);
        }
        out.push_str("\n]");
    }
    out.push('\n');
    out
}

/// `list_to_python_json` of `len` items produced by `item`, each produced
/// and written on a worker thread: saving a large registry parses and
/// merges every entry that was not kept in memory.
pub fn list_in_parallel<'a>(len: usize, item: impl Fn(usize) -> Cow<'a, Value> + Sync) -> String {
    if len == 0 {
        return "[]\n".into();
    }
    let indexes: Vec<usize> = (0..len).collect();
    let texts = par_map(&indexes, |_, &i| {
        let mut text = String::with_capacity(4096);
        write_value(&mut text, &item(i), 1);
        text
    });
    let mut out = String::with_capacity(texts.iter().map(|t| t.len() + 4).sum::<usize>() + 4);
    out.push('[');
    for (i, text) in texts.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        newline_indent(&mut out, 1);
        out.push_str(text);
    }
    out.push_str("\n]\n");
    out
}

/// How many entries `list_in_pieces` writes (in parallel) before handing
/// their text on: about 8 MB of a typical registry, so the whole list is
/// never held at once.
const PIECE_ENTRIES: usize = 1024;

/// The text of a list whose items `write_item` writes (each as
/// [`write_list_item`] would: the list's text is `list_in_parallel`'s),
/// handed to `sink` in order, one piece per [`PIECE_ENTRIES`] items; `sink`
/// may stop early (`ControlFlow::Break`). For comparing or hashing a large
/// registry's text without building it.
pub fn list_in_pieces(
    len: usize,
    write_item: impl Fn(usize, &mut String) + Sync,
    mut sink: impl FnMut(&str) -> ControlFlow<()>,
) {
    if len == 0 {
        let _ = sink("[]\n");
        return;
    }
    let indexes: Vec<usize> = (0..len).collect();
    for (batch, part) in indexes.chunks(PIECE_ENTRIES).enumerate() {
        let texts = par_map(part, |_, &i| {
            let mut text = String::with_capacity(4096);
            write_item(i, &mut text);
            text
        });
        let mut piece = String::with_capacity(texts.iter().map(|t| t.len() + 4).sum::<usize>() + 4);
        for (k, text) in texts.iter().enumerate() {
            piece.push_str(match (batch, k) {
                (0, 0) => "[",
                _ => ",",
            });
            newline_indent(&mut piece, 1);
            piece.push_str(text);
        }
        drop(texts);
        if (batch + 1) * PIECE_ENTRIES >= len {
            piece.push_str("\n]\n");
        }
        if sink(&piece).is_break() {
            return;
        }
    }
}

/// `value` as an item of a list (indented one level, no separator).
pub fn write_list_item(out: &mut String, value: &Value) {
    write_value(out, value, 1);
}

fn write_value(out: &mut String, value: &Value, depth: usize) {
    write_value_in(out, value, depth, Layout::PYTHON);
}

/// How the writer lays out containers: Python's `json.dumps(indent=...)`
/// with this indentation unit, or (`None`) its one-line default form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout<'a> {
    pub indent: Option<&'a str>,
}

impl Layout<'_> {
    /// `json.dumps(indent=2)`, what ImageWorks writes.
    pub const PYTHON: Layout<'static> = Layout { indent: Some("  ") };
}

/// `value` as Python's `json.dumps` writes it with `layout`, as if it were
/// nested `depth` levels deep (its inner lines indented one level more).
pub fn value_text(value: &Value, depth: usize, layout: Layout<'_>) -> String {
    let mut out = String::with_capacity(1024);
    write_value_in(&mut out, value, depth, layout);
    out
}

fn write_value_in(out: &mut String, value: &Value, depth: usize, layout: Layout<'_>) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        // With `arbitrary_precision` a number displays as the text it was
        // read from (or created with), so file numbers survive unchanged.
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => write_array(out, items, depth, layout),
        Value::Object(map) => write_object(out, map, depth, layout),
    }
}

fn write_array(out: &mut String, items: &[Value], depth: usize, layout: Layout<'_>) {
    if items.is_empty() {
        out.push_str("[]");
        return;
    }
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        item_break(out, i, depth + 1, layout);
        write_value_in(out, item, depth + 1, layout);
    }
    closing_break(out, depth, layout);
    out.push(']');
}

fn write_object(
    out: &mut String,
    map: &serde_json::Map<String, Value>,
    depth: usize,
    layout: Layout<'_>,
) {
    if map.is_empty() {
        out.push_str("{}");
        return;
    }
    out.push('{');
    for (i, (key, item)) in map.iter().enumerate() {
        item_break(out, i, depth + 1, layout);
        write_string(out, key);
        out.push_str(": ");
        write_value_in(out, item, depth + 1, layout);
    }
    closing_break(out, depth, layout);
    out.push('}');
}

/// What goes before item `i` of a container: `,` after the first, then a
/// new indented line, or (one-line form) a space.
fn item_break(out: &mut String, i: usize, depth: usize, layout: Layout<'_>) {
    if i > 0 {
        out.push(',');
    }
    match layout.indent {
        Some(unit) => push_line(out, depth, unit),
        None if i > 0 => out.push(' '),
        None => {}
    }
}

fn closing_break(out: &mut String, depth: usize, layout: Layout<'_>) {
    if let Some(unit) = layout.indent {
        push_line(out, depth, unit);
    }
}

fn push_line(out: &mut String, depth: usize, unit: &str) {
    out.push('\n');
    for _ in 0..depth {
        out.push_str(unit);
    }
}

fn newline_indent(out: &mut String, depth: usize) {
    push_line(out, depth, "  ");
}

/// Python's `ensure_ascii=True` string encoder.
fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' | '\u{7f}' => out.push(c),
            _ => push_unicode_escape(out, c),
        }
    }
    out.push('"');
}

/// `\uXXXX` in lowercase hex; characters beyond the BMP as a surrogate pair.
fn push_unicode_escape(out: &mut String, c: char) {
    let mut units = [0u16; 2];
    for unit in c.encode_utf16(&mut units) {
        out.push_str(&format!("\\u{unit:04x}"));
    }
}

/// A float as Python's `repr` prints it: shortest round-trip digits,
/// positional between 1e-4 and 1e16, else `d.ddde±XX`; integral values get `.0`.
/// Non-finite values have no JSON form; they print as Python's `NaN`/`Infinity`.
pub fn python_float_repr(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    // Rust's `{:e}` gives the shortest digits that round-trip, like Python.
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exp: i32 = exp.parse().unwrap_or(0);
    let sign = if f.is_sign_negative() { "-" } else { "" };
    // Python's decpt: value = 0.DIGITS * 10^decpt.
    let decpt = exp + 1;
    let body = if decpt <= -4 || decpt > 16 {
        exponent_form(&digits, exp)
    } else {
        positional_form(&digits, decpt)
    };
    format!("{sign}{body}")
}

fn exponent_form(digits: &str, exp: i32) -> String {
    let (first, rest) = digits.split_at(1.min(digits.len()));
    let fraction = if rest.is_empty() {
        String::new()
    } else {
        format!(".{rest}")
    };
    let exp_sign = if exp < 0 { '-' } else { '+' };
    format!("{first}{fraction}e{exp_sign}{:02}", exp.abs())
}

fn positional_form(digits: &str, decpt: i32) -> String {
    let n = digits.len() as i32;
    if decpt <= 0 {
        format!("0.{}{digits}", "0".repeat((-decpt) as usize))
    } else if decpt < n {
        let (int, frac) = digits.split_at(decpt as usize);
        format!("{int}.{frac}")
    } else {
        format!("{digits}{}.0", "0".repeat((decpt - n) as usize))
    }
}

/// A JSON number holding `f` in Python's float text (`None` for NaN/inf).
pub fn python_float(f: f64) -> Option<Value> {
    if !f.is_finite() {
        return None;
    }
    number_from_text(&python_float_repr(f)).map(Value::Number)
}

fn number_from_text(text: &str) -> Option<Number> {
    serde_json::from_str::<Number>(text).ok()
}

/// Rewrite every float in a newly created value into Python's float text
/// (`1e-5` becomes `1e-05`, `1E5` becomes `100000.0`); integers stay as they
/// are. Used for values typed by people, never for values read from files.
pub fn pythonize_numbers(value: &mut Value) {
    match value {
        Value::Number(n) => {
            if let Some(num) = python_text_of_float(n).and_then(|py| number_from_text(&py)) {
                *n = num;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(pythonize_numbers),
        Value::Object(map) => map.values_mut().for_each(pythonize_numbers),
        _ => {}
    }
}

/// Python reads a number with a fraction or exponent as a float.
fn python_text_of_float(n: &Number) -> Option<String> {
    let text = n.to_string();
    if !text.contains(['.', 'e', 'E']) {
        return None;
    }
    n.as_f64().filter(|f| f.is_finite()).map(python_float_repr)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn python_float_edge_cases() {
        let cases = [
            (0.1, "0.1"),
            (1e-05, "1e-05"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (123456789.0, "123456789.0"),
            (2.0, "2.0"),
            (-0.0, "-0.0"),
            (0.0, "0.0"),
            (0.0001, "0.0001"),
            (0.00012345, "0.00012345"),
            (1.5e-7, "1.5e-07"),
            (1.2345e20, "1.2345e+20"),
            (5e-324, "5e-324"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (0.95, "0.95"),
            (-2.5, "-2.5"),
        ];
        for (f, want) in cases {
            assert_eq!(python_float_repr(f), want, "repr of {f:?}");
        }
    }

    #[test]
    fn text_style_is_detected_and_reapplied() {
        let style = TextStyle::of("\u{feff}[\r\n  1\r\n]\r\n".as_bytes());
        assert_eq!(
            style,
            TextStyle {
                bom: true,
                crlf: true
            }
        );
        assert_eq!(style.apply("[\n  2\n]\n"), "\u{feff}[\r\n  2\r\n]\r\n");
        assert_eq!(TextStyle::of(b"[\n]"), TextStyle::default());
        assert_eq!(TextStyle::default().apply("[]\n"), "[]\n");
        assert_eq!(TextStyle::without_bom("\u{feff}[]"), "[]");
    }

    #[test]
    fn python_layout_and_escapes() -> Result<(), JsonTextError> {
        let v = parse(
            r#"{"a": [], "b": {}, "c": [1, {"d": null}], "e": "x\"\\\n\r\t\b\f\u0001\u007f é 😀"}"#,
        )?;
        let want = "{\n  \"a\": [],\n  \"b\": {},\n  \"c\": [\n    1,\n    {\n      \"d\": null\n    }\n  ],\n  \"e\": \"x\\\"\\\\\\n\\r\\t\\b\\f\\u0001\u{7f} \\u00e9 \\ud83d\\ude00\"\n}\n";
        assert_eq!(to_python_json(&v), want);
        Ok(())
    }

    #[test]
    fn list_writer_matches_value_writer() -> Result<(), JsonTextError> {
        for text in ["[]", "[1]", "[{\"a\": [1, 2]}, {}, null]"] {
            let value = parse(text)?;
            let items = value.as_array().map(Vec::as_slice).unwrap_or_default();
            assert_eq!(list_to_python_json(items.iter()), to_python_json(&value));
        }
        Ok(())
    }

    #[test]
    fn pieces_make_the_parallel_list() -> Result<(), JsonTextError> {
        for len in [
            0,
            1,
            2,
            PIECE_ENTRIES - 1,
            PIECE_ENTRIES,
            PIECE_ENTRIES + 1,
            3000,
        ] {
            let items: Vec<Value> = (0..len)
                .map(|i| parse(&format!("{{\"name\": \"m{i}\", \"n\": [{i}, 1.50]}}")))
                .collect::<Result<_, _>>()?;
            let whole = list_in_parallel(len, |i| Cow::Borrowed(&items[i]));
            let mut pieces = Vec::new();
            list_in_pieces(
                len,
                |i, out| write_list_item(out, &items[i]),
                |p| {
                    pieces.push(p.to_owned());
                    ControlFlow::Continue(())
                },
            );
            assert_eq!(pieces.concat(), whole, "{len} entries");
            assert_eq!(pieces.len(), len.div_ceil(PIECE_ENTRIES).max(1));
        }
        Ok(())
    }

    #[test]
    fn number_text_survives() -> Result<(), JsonTextError> {
        let text = "[\n  1e-05,\n  12345678901234567890123,\n  0.90,\n  -0.0\n]\n";
        assert_eq!(to_python_json(&parse(text)?), text);
        Ok(())
    }

    #[test]
    fn new_floats_are_pythonized() -> Result<(), JsonTextError> {
        let mut v = parse("[1e-5, 1E5, 2.50, 7, 1e16]")?;
        pythonize_numbers(&mut v);
        assert_eq!(
            to_python_json(&v),
            "[\n  1e-05,\n  100000.0,\n  2.5,\n  7,\n  1e+16\n]\n"
        );
        assert_eq!(python_float(0.5), Some(parse("0.5")?));
        Ok(())
    }

    #[test]
    fn parse_error_names_line_and_column() {
        let err = parse("[\n  {\"a\": 1,}\n]").err();
        let err = err.as_ref().map(|e| (e.line, e.column));
        assert_eq!(err, Some((2, 11)));
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| python_float(f).unwrap_or(Value::Null)),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            any::<String>().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec((any::<String>(), inner), 0..6)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn random_values_round_trip(v in arb_json()) {
            let text = to_python_json(&v);
            prop_assert!(text.is_ascii());
            let back = parse(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(back, v);
        }

        #[test]
        fn python_repr_round_trips_f64(f in any::<f64>().prop_filter("finite", |f| f.is_finite())) {
            let text = python_float_repr(f);
            let back: f64 = text.parse().map_err(|_| TestCaseError::fail(text.clone()))?;
            prop_assert_eq!(back.to_bits(), f.to_bits());
        }
    }
}
