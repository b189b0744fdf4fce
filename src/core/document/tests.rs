use super::*;
use crate::core::layout::LayoutSet;

const SHIPPED: &str = include_str!("../../../sample_configs/chat_proxy.toml");

fn layouts() -> LayoutSet {
    LayoutSet::builtin().unwrap()
}

fn path(p: &str) -> DocPath {
    DocPath::parse(p).unwrap()
}

fn val(v: &str) -> toml_edit::Value {
    v.parse().expect("a TOML value")
}

/// Every edit of `doc` was spliced into the text, none rendered.
fn assert_spliced(doc: &ConfigDocument) {
    assert_eq!(
        doc.rendered_edits(),
        0,
        "an edit fell back to rendering:\n{}",
        doc.text()
    );
}

fn changed_lines(a: &str, b: &str) -> Vec<(String, String)> {
    let (la, lb): (Vec<_>, Vec<_>) = (a.lines().collect(), b.lines().collect());
    assert_eq!(la.len(), lb.len(), "line count differs:\n{b}");
    la.iter()
        .zip(lb.iter())
        .filter(|(x, y)| x != y)
        .map(|(x, y)| ((*x).to_owned(), (*y).to_owned()))
        .collect()
}

#[test]
fn untouched_document_is_byte_identical() -> Result<(), ParseError> {
    assert_eq!(ConfigDocument::parse(SHIPPED)?.text(), SHIPPED);
    let no_newline = SHIPPED.trim_end();
    assert_eq!(ConfigDocument::parse(no_newline)?.text(), no_newline);
    Ok(())
}

#[test]
fn changing_one_value_changes_one_line() -> Result<(), Box<dyn std::error::Error>> {
    let mut doc = ConfigDocument::parse(SHIPPED)?;
    assert!(doc.set_value(&layouts(), &path("server.port"), val("9001"))?);
    assert_eq!(
        changed_lines(SHIPPED, &doc.text()),
        [("port = 8100".to_owned(), "port = 9001".to_owned())]
    );
    assert_spliced(&doc);
    Ok(())
}

#[test]
fn equal_value_leaves_bytes_alone() -> Result<(), Box<dyn std::error::Error>> {
    let mut doc = ConfigDocument::parse(SHIPPED)?;
    assert!(!doc.set_value(&layouts(), &path("server.port"), val("8100"))?);
    assert!(!doc.set_value(
        &layouts(),
        &path("vllm.vllm_gpu_memory_utilization"),
        val("0.75")
    )?);
    assert_eq!(doc.text(), SHIPPED);
    assert_spliced(&doc);
    Ok(())
}

#[test]
fn trailing_comment_survives_a_change() -> Result<(), Box<dyn std::error::Error>> {
    let text = "[server]\nport = 8100   # prod port\nhost = \"x\"\n";
    let mut doc = ConfigDocument::parse(text)?;
    doc.set_value(&layouts(), &path("server.port"), val("9001"))?;
    assert_eq!(
        doc.text(),
        "[server]\nport = 9001   # prod port\nhost = \"x\"\n"
    );
    assert_spliced(&doc);
    Ok(())
}

#[test]
fn missing_key_goes_after_its_layout_predecessor() -> Result<(), Box<dyn std::error::Error>> {
    let text =
        "[server]\nhost = \"127.0.0.1\"\nenable_metrics = false\n\n[limits]\nmax_image_bytes = 1\n";
    let mut doc = ConfigDocument::parse(text)?;
    doc.set_value(&layouts(), &path("server.port"), val("9001"))?;
    assert_eq!(
        doc.text(),
        "[server]\nhost = \"127.0.0.1\"\nport = 9001\nenable_metrics = false\n\n[limits]\nmax_image_bytes = 1\n"
    );
    assert_spliced(&doc);
    Ok(())
}

#[test]
fn missing_section_goes_after_its_siblings() -> Result<(), Box<dyn std::error::Error>> {
    let text = "# head\n\n[server]\nport = 1\n\n[limits]\nmax_image_bytes = 1\n";
    let mut doc = ConfigDocument::parse(text)?;
    doc.set_value(&layouts(), &path("timeouts.backend_timeout_ms"), val("5"))?;
    assert_eq!(
        doc.text(),
        "# head\n\n[server]\nport = 1\n\n[timeouts]\nbackend_timeout_ms = 5\n\n[limits]\nmax_image_bytes = 1\n"
    );
    doc.set_value(&layouts(), &path("general.schema_version"), val("1"))?;
    assert!(
        doc.text()
            .starts_with("# head\n\n[general]\nschema_version = 1\n\n[server]"),
        "{}",
        doc.text()
    );
    assert_spliced(&doc);
    Ok(())
}

#[test]
fn nested_tables_get_implicit_parents() -> Result<(), Box<dyn std::error::Error>> {
    let mut doc = ConfigDocument::parse(SHIPPED)?;
    doc.set_value(
        &layouts(),
        &path("storage.assets.images.backend"),
        val("\"s3\""),
    )?;
    doc.set_value(
        &layouts(),
        &path("storage.assets.images.bucket"),
        val("\"pics\""),
    )?;
    doc.set_value(&layouts(), &path("ui.pages.results"), val("false"))?;
    let text = doc.text();
    assert!(
        text.starts_with(SHIPPED),
        "existing bytes must stay:\n{text}"
    );
    assert_eq!(
        &text[SHIPPED.len()..],
        "\n[ui.pages]\nresults = false\n\n[storage.assets.images]\nbackend = \"s3\"\nbucket = \"pics\"\n"
    );
    assert_spliced(&doc);
    Ok(())
}

#[test]
fn remove_drops_only_that_line() -> Result<(), Box<dyn std::error::Error>> {
    let mut doc = ConfigDocument::parse(SHIPPED)?;
    assert!(doc.remove(&path("limits.max_image_bytes"))?);
    assert!(!doc.remove(&path("limits.max_image_bytes"))?);
    assert_eq!(
        doc.text(),
        SHIPPED.replace("max_image_bytes = 9000000\n", "")
    );
    assert_spliced(&doc);
    Ok(())
}

#[test]
fn setting_below_a_value_is_refused() -> Result<(), Box<dyn std::error::Error>> {
    let mut doc = ConfigDocument::parse(SHIPPED)?;
    let err = doc
        .set_value(&layouts(), &path("server.port.x"), val("1"))
        .err()
        .ok_or("must fail")?;
    assert!(err.to_string().contains("server.port"), "{err}");
    assert_eq!(doc.text(), SHIPPED);
    assert_spliced(&doc);
    Ok(())
}

const ENDPOINTS: &str = "[server]\nport = 1\n\n# first\n[[endpoints]]\nname = \"a\"\n\n# second\n[[endpoints]]\nname = \"b\"\n\n[ollama]\nollama_stop_timeout_s = 3\n";

fn names(doc: &ConfigDocument) -> Vec<String> {
    doc.array("endpoints")
        .map(|a| {
            a.iter()
                .filter_map(|t| t.get("name").and_then(|n| n.as_str()).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn array_entries_can_be_added_moved_duplicated_removed() -> Result<(), Box<dyn std::error::Error>> {
    let l = layouts();
    let mut doc = ConfigDocument::parse(ENDPOINTS)?;
    let mut entry = toml_edit::Table::new();
    entry.insert("name", toml_edit::value("c"));
    assert_eq!(doc.push_array_entry(&l, "endpoints", entry)?, 2);
    assert_eq!(names(&doc), ["a", "b", "c"]);
    assert!(
        doc.text()
            .contains("name = \"b\"\n\n[[endpoints]]\nname = \"c\"\n\n[ollama]"),
        "{}",
        doc.text()
    );
    doc.move_array_entry("endpoints", 0, 2)?;
    assert_eq!(names(&doc), ["b", "c", "a"]);
    assert!(
        doc.text()
            .contains("# first\n[[endpoints]]\nname = \"a\"\n\n[ollama]"),
        "{}",
        doc.text()
    );
    doc.move_array_entry("endpoints", 2, 0)?;
    doc.remove_array_entry("endpoints", 2)?;
    assert_eq!(doc.text(), ENDPOINTS);
    doc.duplicate_array_entry("endpoints", 0)?;
    assert_eq!(names(&doc), ["a", "a", "b"]);
    doc.set_value(&l, &path("endpoints[1].name"), val("\"z\""))?;
    assert_eq!(names(&doc), ["a", "z", "b"]);
    assert!(doc.remove_array_entry("endpoints", 7).is_err());
    assert_spliced(&doc);
    Ok(())
}

#[test]
fn parse_error_has_line_column_and_text() {
    let err = ConfigDocument::parse("[server]\nport = = 1\n").expect_err("must fail");
    assert_eq!((err.line, err.column), (2, 8));
    assert_eq!(err.line_text, "port = = 1");
    assert!(err.to_string().contains("line 2, column 8"), "{err}");
}

#[test]
fn removing_a_table_removes_its_region_and_sub_tables() -> Result<(), Box<dyn std::error::Error>> {
    let text = "[server]\r\nport = 1\r\n\r\n# about ui\r\n[ui]\r\nx = 1\r\n\r\n[limits]\r\nmax_image_bytes = 1\r\n\r\n[ui.pages]\r\nresults = false\r\n";
    let mut doc = ConfigDocument::parse(text)?;
    assert!(doc.remove(&path("ui"))?);
    assert_eq!(
        doc.text(),
        "[server]\r\nport = 1\r\n\r\n[limits]\r\nmax_image_bytes = 1\r\n"
    );
    assert_spliced(&doc);
    Ok(())
}

#[test]
fn comments_ending_the_file_stay_last() -> Result<(), Box<dyn std::error::Error>> {
    let text = "[server]\nport = 1\n\n# old = 2\n";
    let mut doc = ConfigDocument::parse(text)?;
    doc.set_value(&layouts(), &path("limits.max_image_bytes"), val("5"))?;
    assert_eq!(
        doc.text(),
        "[server]\nport = 1\n\n[limits]\nmax_image_bytes = 5\n\n# old = 2\n"
    );
    assert_spliced(&doc);
    Ok(())
}

#[test]
fn remove_bom_cuts_exactly_the_bom() -> Result<(), ParseError> {
    for text in [
        format!("\u{feff}{SHIPPED}"),
        format!("\u{feff}{}", SHIPPED.replace('\n', "\r\n")),
        "\u{feff}a = 1".to_owned(),
    ] {
        let mut doc = ConfigDocument::parse(&text)?;
        assert!(doc.remove_bom());
        assert_spliced(&doc);
        assert_eq!(doc.text().as_bytes(), &text.as_bytes()[3..]);
        assert!(!doc.remove_bom(), "only one BOM to remove");
    }
    let mut plain = ConfigDocument::parse("a = \"\u{feff}\"\n")?;
    assert!(!plain.remove_bom(), "a BOM inside a string is text");
    Ok(())
}
