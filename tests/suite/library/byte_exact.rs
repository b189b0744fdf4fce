//! `set server.port 9001` on valid TOML files that are not the shipped one:
//! every original line except the port line keeps its bytes (newline, BOM,
//! key spelling, order, final newline), through the session and the CLI.

use std::process::Command;
use std::sync::Arc;

use iw_studio::core::document::DocPath;
use iw_studio::core::layout::LayoutSet;
use iw_studio::core::session::{Command as Edit, EditSession};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// (name, file text): each holds `port = 8100` in `[server]`. toml_edit
/// respells a key shared by several dotted keys or headers after its first
/// spelling, hence the pairs; the two without a final newline already kept it
/// and must keep it.
const CASES: &[(&str, &str)] = &[
    (
        "crlf",
        "# proxy\r\n[server]\r\nhost = \"127.0.0.1\"\r\nport = 8100\r\n\r\n[limits]\r\nmax_image_bytes = 9000000\r\n",
    ),
    (
        "mixed newlines",
        "[server]\r\nhost = \"127.0.0.1\"\nport = 8100\r\n\n[limits]\nmax_image_bytes = 1\r\n",
    ),
    (
        "bom",
        "\u{feff}[server]\nhost = \"127.0.0.1\"\nport = 8100\n",
    ),
    (
        "bom crlf no final newline",
        "\u{feff}[server]\r\nport = 8100\r\nhost = \"127.0.0.1\"",
    ),
    (
        "quoted dotted key",
        "name.first = \"Arthur\"\n\"name\".'last' = \"Dent\"\n[server]\nport = 8100\n",
    ),
    (
        "dotted key with spaces",
        "fruit . flavor = \"banana\"\nfruit.  color='y'\n[server]\nport = 8100\n",
    ),
    (
        "out-of-order dotted keys",
        "apple.type = \"fruit\"\norange.type = \"fruit\"\napple.skin = \"thin\"\norange.skin = \"thick\"\n\n[server]\nport = 8100\n",
    ),
    (
        "dotted keys inside the table",
        "[server]\nport = 8100\ntls.cert = \"a\"\nextra . 'x' = 1\ntls.key = \"b\"\n",
    ),
    (
        "quoted header",
        "[\"a\".x]\nk = 1\n[server]\nport = 8100\n\n[a.'b']\nk = 1\n",
    ),
    (
        "quoted header with quotes",
        "[\"a\".x]\nk = 1\n[a.'\"b\"']\nk = 1\n\n[server]\nport = 8100\n",
    ),
    (
        "empty-name header",
        "[''.x]\nk = 1\n[\"\".a]\nk = 1\n[ server ]\nport = 8100\n",
    ),
    (
        "quoted server header",
        "[\"server\".'x']\nk = 1\n[server]\nport = 8100   # the port\n",
    ),
    (
        "no final newline",
        "[server]\nport = 8100\n\n[ollama]\nollama_stop_timeout_s = 30",
    ),
    (
        "port on the last line without newline",
        "[server]\r\nhost = \"h\"\r\nport = 8100",
    ),
];

/// `text` with its port line set to 9001, every other byte the same.
fn expected(text: &str) -> String {
    text.replacen("port = 8100", "port = 9001", 1)
}

fn layouts() -> Arc<LayoutSet> {
    Arc::new(LayoutSet::builtin().expect("the built-in layouts load"))
}

#[test]
fn session_set_port_changes_only_the_port_line() -> TestResult {
    let mut wrong = Vec::new();
    for (name, text) in CASES {
        let mut session = EditSession::from_text(text, layouts())?;
        let changed = session.apply(Edit::SetValue {
            path: DocPath::parse("server.port")?,
            value: "9001".parse()?,
        })?;
        assert!(changed, "{name}");
        if session.doc().text() != expected(text) || session.doc().rendered_edits() != 0 {
            wrong.push((*name, session.doc().text()));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    Ok(())
}

#[test]
fn cli_set_port_changes_only_the_port_line() -> TestResult {
    let mut wrong = Vec::new();
    for (name, text) in CASES {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("chat_proxy.toml");
        std::fs::write(&path, text)?;
        let out = Command::new(env!("CARGO_BIN_EXE_iw-studio"))
            .env("IW_STUDIO_LOG_DIR", env!("CARGO_TARGET_TMPDIR"))
            .args([
                "set",
                path.to_str().unwrap_or_default(),
                "server.port",
                "9001",
                // The BOM case is an error for the proxy (tomllib rejects a
                // BOM); this test is about the bytes a save keeps.
                "--force",
            ])
            .output()?;
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let saved = std::fs::read_to_string(&path)?;
        if saved != expected(text) {
            wrong.push((*name, saved));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    Ok(())
}

#[test]
fn new_lines_follow_the_file_newline_and_indentation() -> TestResult {
    let text = "\u{feff}[server]\r\n  host = \"h\"\r\n  enable_metrics = false\r\n";
    let mut session = EditSession::from_text(text, layouts())?;
    session.apply(Edit::SetValue {
        path: DocPath::parse("server.port")?,
        value: "9001".parse()?,
    })?;
    assert_eq!(
        session.doc().text(),
        "\u{feff}[server]\r\n  host = \"h\"\r\n  port = 9001\r\n  enable_metrics = false\r\n"
    );
    session.apply(Edit::SetValue {
        path: DocPath::parse("timeouts.backend_timeout_ms")?,
        value: "5".parse()?,
    })?;
    let after = session.doc().text();
    assert!(after.starts_with("\u{feff}[server]\r\n  host"), "{after:?}");
    assert!(
        after.contains("\r\n[timeouts]\r\nbackend_timeout_ms = 5\r\n"),
        "{after:?}"
    );
    assert!(!after.replace("\r\n", "").contains('\n'), "{after:?}");
    assert_eq!(session.doc().rendered_edits(), 0);
    Ok(())
}

#[test]
fn dotted_key_edits_keep_their_spelling() -> TestResult {
    let text = "[server]\nport = 8100\ntls . \"cert\" = \"a\" # c\nextra = 1\n";
    let mut session = EditSession::from_text(text, layouts())?;
    session.apply(Edit::SetValue {
        path: DocPath::parse("server.tls.cert")?,
        value: "\"b\"".parse()?,
    })?;
    assert_eq!(
        session.doc().text(),
        "[server]\nport = 8100\ntls . \"cert\" = \"b\" # c\nextra = 1\n"
    );
    session.apply(Edit::SetValue {
        path: DocPath::parse("server.tls.key")?,
        value: "\"k\"".parse()?,
    })?;
    assert_eq!(
        session.doc().text(),
        "[server]\nport = 8100\ntls . \"cert\" = \"b\" # c\ntls . key = \"k\"\nextra = 1\n"
    );
    session.apply(Edit::Remove {
        path: DocPath::parse("server.tls.cert")?,
    })?;
    assert_eq!(
        session.doc().text(),
        "[server]\nport = 8100\ntls . key = \"k\"\nextra = 1\n"
    );
    assert_eq!(session.doc().rendered_edits(), 0);
    Ok(())
}

#[test]
fn array_entry_edits_keep_crlf_and_other_lines() -> TestResult {
    let text = "[server]\r\nport = 1\r\n\r\n# first\r\n[[endpoints]]\r\nname = \"a\"\r\n\r\n# second\r\n[[endpoints]]\r\nname = \"b\"";
    let mut session = EditSession::from_text(text, layouts())?;
    let mut entry = toml_edit::Table::new();
    entry.insert("name", toml_edit::value("c"));
    session.apply(Edit::PushArrayEntry {
        table: "endpoints".to_owned(),
        entry,
    })?;
    assert_eq!(
        session.doc().text(),
        format!("{text}\r\n\r\n[[endpoints]]\r\nname = \"c\"")
    );
    session.apply(Edit::MoveArrayEntry {
        table: "endpoints".to_owned(),
        from: 2,
        to: 0,
    })?;
    assert!(
        session.doc().text().starts_with(
            "[server]\r\nport = 1\r\n\r\n[[endpoints]]\r\nname = \"c\"\r\n# first\r\n"
        ),
        "{:?}",
        session.doc().text()
    );
    session.apply(Edit::RemoveArrayEntry {
        table: "endpoints".to_owned(),
        index: 0,
    })?;
    assert_eq!(session.doc().text(), text);
    session.apply(Edit::DuplicateArrayEntry {
        table: "endpoints".to_owned(),
        index: 1,
    })?;
    assert_eq!(
        session.doc().text(),
        format!("{text}\r\n\r\n[[endpoints]]\r\nname = \"b\"")
    );
    assert_eq!(session.doc().rendered_edits(), 0);
    Ok(())
}

#[test]
fn raw_text_in_is_text_out() -> TestResult {
    let mut session = EditSession::from_text("[server]\nport = 1\n", layouts())?;
    for (_, text) in CASES {
        session.apply(Edit::ReplaceText((*text).to_owned()))?;
        assert_eq!(session.doc().text(), *text);
    }
    Ok(())
}

mod registry_layers {
    use std::path::Path;

    use iw_studio::core::registry::store::{CURATED_FILE, DISCOVERED_FILE, SNAPSHOT_FILE};
    use iw_studio::core::registry::{EditHistory, RegistryCommand, RegistryStore};
    use serde_json::json;

    use super::TestResult;

    const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/sample_configs/registry");

    /// The sample registry with every layer in Windows style: BOM and CRLF.
    fn windows_copy() -> Result<tempfile::TempDir, std::io::Error> {
        let dir = tempfile::tempdir()?;
        for f in [CURATED_FILE, DISCOVERED_FILE, SNAPSHOT_FILE] {
            let text = std::fs::read_to_string(Path::new(SAMPLE).join(f))?;
            std::fs::write(
                dir.path().join(f),
                format!("\u{feff}{}", text.replace('\n', "\r\n")),
            )?;
        }
        Ok(dir)
    }

    fn read(dir: &Path, f: &str) -> Result<String, std::io::Error> {
        std::fs::read_to_string(dir.join(f))
    }

    #[test]
    fn open_and_save_leaves_bom_and_crlf_layers_alone() -> TestResult {
        let dir = windows_copy()?;
        let before: Vec<String> = [CURATED_FILE, DISCOVERED_FILE, SNAPSHOT_FILE]
            .iter()
            .map(|f| read(dir.path(), f))
            .collect::<Result<_, _>>()?;
        let mut store = RegistryStore::load(dir.path())?;
        store.save()?;
        for (f, text) in [CURATED_FILE, DISCOVERED_FILE].iter().zip(&before) {
            assert_eq!(&read(dir.path(), f)?, text, "{f}");
        }
        // ImageWorks cannot read a snapshot that starts with a BOM: the save
        // writes it again without one, its newlines and entries as they were.
        let snapshot = read(dir.path(), SNAPSHOT_FILE)?;
        assert_eq!(Some(snapshot.as_str()), before[2].strip_prefix('\u{feff}'));
        Ok(())
    }

    #[test]
    fn an_edit_keeps_the_layers_bom_and_crlf() -> TestResult {
        let dir = windows_copy()?;
        let old = read(dir.path(), CURATED_FILE)?;
        let mut store = RegistryStore::load(dir.path())?;
        let cmd = RegistryCommand::SetField {
            name: "florence-2-large_(FP16)".into(),
            path: "display_name".into(),
            value: json!("Florence 2 (large)"),
        };
        EditHistory::new().apply(&mut store, &cmd)?;
        store.save()?;
        let new = read(dir.path(), CURATED_FILE)?;
        assert!(new.starts_with('\u{feff}'));
        let changed: Vec<(&str, &str)> = old
            .split_inclusive('\n')
            .zip(new.split_inclusive('\n'))
            .filter(|(a, b)| a != b)
            .collect();
        assert_eq!(old.lines().count(), new.lines().count());
        assert_eq!(
            changed,
            [(
                "    \"display_name\": \"Florence-2 Large (FP16)\",\r\n",
                "    \"display_name\": \"Florence 2 (large)\",\r\n"
            )]
        );
        let snapshot = read(dir.path(), SNAPSHOT_FILE)?;
        assert!(
            !snapshot.starts_with('\u{feff}'),
            "ImageWorks cannot read a BOM"
        );
        assert!(!snapshot.replace("\r\n", "").contains('\n'));
        assert!(snapshot.contains("Florence 2 (large)"));
        let reloaded = RegistryStore::load(dir.path())?;
        assert!(!reloaded.has_pending_edits());
        Ok(())
    }
}
