//! Every way TOML spells a table (header, dotted keys, inline table,
//! super-table) reads the same to check, get, preview and search; edits
//! inside an inline table are refused with the reason and the way out.

use super::*;
use crate::core::layout::LayoutSet;
use crate::core::validate::validate_document;

fn layouts() -> LayoutSet {
    LayoutSet::builtin().expect("the built-in layouts load")
}

fn path(p: &str) -> DocPath {
    DocPath::parse(p).expect("a path")
}

/// The findings of `text` as (path, severity, message), and the value at `key`.
fn read(text: &str, key: &str) -> (Vec<(String, bool, String)>, Option<String>) {
    let layouts = layouts();
    let doc = ConfigDocument::parse(text).expect("TOML");
    let findings = validate_document(&doc, &layouts)
        .into_iter()
        .map(|f| (f.path.to_string(), f.is_error(), f.message))
        .collect();
    let value = doc
        .get_value(&path(key))
        .map(|v| v.to_string().trim().to_owned());
    (findings, value)
}

#[test]
fn an_inline_table_is_checked_and_read_like_a_header() {
    let spellings = [
        "[server]\nport = \"abc\"\n",
        "server.port = \"abc\"\n",
        "server = { port = \"abc\" }\n",
    ];
    let header = read(spellings[0], "server.port");
    assert!(
        header.0.iter().any(|(p, e, _)| p == "server.port" && *e),
        "{header:?}"
    );
    assert_eq!(header.1.as_deref(), Some("\"abc\""));
    for text in &spellings[1..] {
        assert_eq!(read(text, "server.port"), header, "{text}");
    }
}

#[test]
fn super_tables_and_deep_inline_tables_read_the_same() {
    let base = "[storage.assets.images]\nbackend = \"local\"\npath = \"data/x\"\nbogus = 1\n";
    let expected = read(base, "storage.assets.images.path");
    assert_eq!(expected.1.as_deref(), Some("\"data/x\""));
    for text in [
        "[storage]\nassets = { images = { backend = \"local\", path = \"data/x\", bogus = 1 } }\n",
        "[storage.assets]\nimages = { backend = \"local\", path = \"data/x\", bogus = 1 }\n",
        "[storage.assets]\nimages.backend = \"local\"\nimages.path = \"data/x\"\nimages.bogus = 1\n",
        "storage = { assets.images = { backend = \"local\", path = \"data/x\", bogus = 1 } }\n",
    ] {
        assert_eq!(read(text, "storage.assets.images.path"), expected, "{text}");
    }
}

#[test]
fn an_out_of_range_value_inline_is_an_error_where_the_proxy_reads_it() {
    let (findings, value) = read(
        "vision_preprocess = { image_jpeg_quality = 900 }\n",
        "vision_preprocess.image_jpeg_quality",
    );
    assert_eq!(value.as_deref(), Some("900"));
    let hit = findings
        .iter()
        .find(|(p, _, _)| p == "vision_preprocess.image_jpeg_quality");
    assert!(hit.is_some_and(|(_, e, _)| *e), "{findings:?}");
    assert!(
        !findings.iter().any(|(_, _, m)| m.contains("unknown key")),
        "{findings:?}"
    );
}

#[test]
fn an_array_of_inline_tables_is_an_array_of_tables() {
    let doc = ConfigDocument::parse(
        "endpoints = [{ name = \"a\", kind = \"vllm\", base_url = \"http://h/v1\" }]\n",
    )
    .expect("TOML");
    assert_eq!(doc.array("endpoints").map(ArrayOfTables::len), Some(1));
    assert_eq!(
        doc.get_value(&path("endpoints[0].name"))
            .and_then(Value::as_str),
        Some("a")
    );
    let hits = crate::core::search::search(&layouts(), Some(&doc), "base_url");
    assert!(
        hits.iter().any(|h| h.path == path("endpoints[0].base_url")),
        "{hits:?}"
    );
}

#[test]
fn preview_reads_the_inline_value() {
    let doc =
        ConfigDocument::parse("vision_preprocess = { image_jpeg_quality = 900 }\n").expect("TOML");
    let layouts = layouts();
    let preview = crate::core::proxy::effective::preview(
        &doc,
        &layouts,
        None,
        &std::collections::BTreeMap::new(),
    );
    let row = preview.row("image_jpeg_quality").expect("a row");
    assert!(row.draft_sets_it, "{row:?}");
    assert_eq!(row.draft, serde_json::json!(900));
}

#[test]
fn an_edit_inside_an_inline_table_says_why_and_how_and_changes_nothing() {
    let layouts = layouts();
    let text = "# mine\nserver = { port = 8100, host = \"0.0.0.0\" }\n";
    let mut doc = ConfigDocument::parse(text).expect("TOML");
    let err = doc
        .set_value(&layouts, &path("server.port"), Value::from(9000))
        .expect_err("refused");
    assert!(
        matches!(&err, EditError::InsideInlineTable { table, .. } if table == "server"),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("[server]") && message.contains("inline"),
        "{message}"
    );
    assert!(doc.remove(&path("server.port")).is_err());
    assert_eq!(doc.text(), text);
    // Elsewhere in the file edits work, and readers still see the inline table.
    assert!(
        doc.set_value(
            &layouts,
            &path("timeouts.backend_timeout_ms"),
            Value::from(5000)
        )
        .is_ok()
    );
    assert_eq!(
        doc.get_value(&path("server.port"))
            .and_then(Value::as_integer),
        Some(8100)
    );
    assert!(doc.text().starts_with(text), "{}", doc.text());
}
