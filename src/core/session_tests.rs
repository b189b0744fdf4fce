use super::*;
use crate::core::validate::validate_text;

const SHIPPED: &str = include_str!("../../sample_configs/chat_proxy.toml");

fn layouts() -> Arc<LayoutSet> {
    Arc::new(LayoutSet::builtin().unwrap())
}

fn set(path: &str, value: &str) -> Command {
    Command::SetValue {
        path: DocPath::parse(path).unwrap(),
        value: value.parse().unwrap(),
    }
}

fn open_copy() -> Result<(tempfile::TempDir, PathBuf, EditSession), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("chat_proxy.toml");
    std::fs::write(&path, SHIPPED)?;
    let session = EditSession::open(&path, layouts())?;
    Ok((dir, path, session))
}

#[test]
fn undo_gives_back_the_exact_bytes() -> Result<(), Box<dyn std::error::Error>> {
    let (_dir, _path, mut s) = open_copy()?;
    assert!(!s.is_dirty());
    s.apply(set("server.port", "9001"))?;
    s.apply(set("ui.pages.results", "false"))?;
    assert!(s.is_dirty());
    assert!(s.undo() && s.undo());
    assert_eq!(s.doc().text(), SHIPPED);
    assert!(!s.is_dirty());
    assert!(s.redo());
    assert!(s.doc().text().contains("port = 9001"));
    Ok(())
}

#[test]
fn typing_in_one_field_is_one_undo_step() -> Result<(), Box<dyn std::error::Error>> {
    let (_dir, _path, mut s) = open_copy()?;
    for text in ["\"0\"", "\"0.0\"", "\"0.0.0.0\""] {
        s.apply(set("server.host", text))?;
    }
    assert!(s.undo());
    assert!(!s.can_undo());
    assert_eq!(s.doc().text(), SHIPPED);
    Ok(())
}

#[test]
fn broken_raw_text_blocks_forms_and_saving() -> Result<(), Box<dyn std::error::Error>> {
    let (_dir, path, mut s) = open_copy()?;
    s.apply(Command::ReplaceText(
        SHIPPED.replace("port = 8100", "port = = 8100"),
    ))?;
    let err = s.parse_error().ok_or("must not parse")?;
    assert_eq!(err.line, 10);
    assert!(
        s.doc().text().contains("port = 8100"),
        "forms keep the last good state"
    );
    assert!(matches!(
        s.apply(set("server.port", "1")),
        Err(SessionError::TextInvalid(_))
    ));
    assert!(matches!(s.save(false), Err(SessionError::TextInvalid(_))));
    assert_eq!(std::fs::read_to_string(&path)?, SHIPPED);
    s.apply(Command::ReplaceText(
        SHIPPED.replace("port = 8100", "port = 8200"),
    ))?;
    assert!(s.parse_error().is_none());
    assert!(s.doc().text().contains("port = 8200"));
    Ok(())
}

#[test]
fn errors_block_saving() -> Result<(), Box<dyn std::error::Error>> {
    let (_dir, path, mut s) = open_copy()?;
    s.apply(set("vision_preprocess.image_jpeg_quality", "900"))?;
    assert_eq!(s.error_count(), 1);
    assert!(matches!(s.save(false), Err(SessionError::HasErrors(1))));
    assert_eq!(std::fs::read_to_string(&path)?, SHIPPED);
    Ok(())
}

#[test]
fn external_change_is_detected_and_save_refused() -> Result<(), Box<dyn std::error::Error>> {
    let (_dir, path, mut s) = open_copy()?;
    s.apply(set("server.port", "9001"))?;
    std::fs::write(&path, SHIPPED.replace("8100", "8111"))?;
    assert!(s.external_change().is_some());
    let err = s.save(false).err().ok_or("must be refused")?;
    assert!(err.to_string().contains("changed on disk"), "{err}");
    s.reload()?;
    assert!(s.doc().text().contains("port = 8111"));
    assert!(!s.is_dirty());
    assert!(s.undo(), "reload is undoable");
    assert!(s.doc().text().contains("port = 9001"));
    Ok(())
}

/// The Streamlit form's strings, in CRLF: each fix is a one-line edit with
/// its own undo step, and the findings stay errors until fixed.
#[test]
fn quick_fixes_are_one_line_edits_with_undo() -> Result<(), Box<dyn std::error::Error>> {
    let text = SHIPPED
        .replace("port = 8100", "port = \"8100\"")
        .replace("vllm_max_model_len = \"\"", "vllm_max_model_len = \"4096\"")
        .replace('\n', "\r\n");
    let mut s = EditSession::from_text(&text, layouts())?;
    let fixable: Vec<&Finding> = s.findings().iter().filter(|f| f.fix.is_some()).collect();
    assert_eq!(fixable.len(), 2, "{:?}", s.findings());
    assert!(fixable.iter().all(|f| f.is_error()));
    let fixed = s.apply_fixes()?;
    assert_eq!(fixed.len(), 2);
    let expected = SHIPPED
        .replace("vllm_max_model_len = \"\"", "vllm_max_model_len = 4096")
        .replace('\n', "\r\n");
    assert_eq!(s.doc().text(), expected);
    assert_eq!(s.error_count(), 0, "{:?}", s.findings());
    assert!(s.undo());
    assert!(s.doc().text().contains("vllm_max_model_len = \"4096\"\r\n"));
    assert!(s.doc().text().contains("port = 8100\r\n"));
    assert!(s.undo());
    assert_eq!(s.doc().text(), text);
    Ok(())
}

#[test]
fn the_bom_fix_removes_exactly_the_three_bytes() -> Result<(), Box<dyn std::error::Error>> {
    let text = format!("\u{feff}{}", SHIPPED.replace('\n', "\r\n"));
    let mut s = EditSession::from_text(&text, layouts())?;
    let bom = s
        .findings()
        .iter()
        .find(|f| f.fix.as_ref().is_some_and(|x| x.edit == FixEdit::RemoveBom))
        .ok_or("the BOM finding carries its fix")?;
    assert!(bom.is_error());
    assert_eq!(s.apply_fixes()?.len(), 1);
    assert_eq!(s.doc().text().as_bytes(), &text.as_bytes()[3..]);
    assert_eq!(s.error_count(), 0);
    assert!(!s.apply(Command::RemoveBom)?, "no BOM left: no change");
    assert!(s.undo());
    assert_eq!(s.doc().text(), text);
    Ok(())
}

/// A form edit of a value is undone by the bytes it replaced: the undo step
/// holds no copy of the document, and typing in one field stays one small
/// inverse.
#[test]
fn a_value_edit_keeps_only_its_inverse_for_undo() -> Result<(), Box<dyn std::error::Error>> {
    let (_dir, _path, mut s) = open_copy()?;
    for text in ["\"0\"", "\"0.0\"", "\"0.0.0.0\""] {
        s.apply(set("server.host", text))?;
    }
    s.apply(set("server.port", "9001"))?;
    let in_place = |step: &Step| match step {
        Step::Edits(inverses) => {
            inverses.len() == 1 && inverses.iter().all(|i| i.value_path().is_some())
        }
        Step::Whole(_) => false,
    };
    assert_eq!(s.undo.len(), 2);
    assert!(
        s.undo.iter().all(|(step, _)| in_place(step)),
        "{:?}",
        s.undo
    );
    assert!(s.undo() && s.redo() && s.undo() && s.undo());
    assert_eq!(s.doc().text(), SHIPPED);
    assert!(!s.is_dirty());
    assert_eq!(s.findings(), validate_text(SHIPPED, &s.layouts)?.as_slice());
    Ok(())
}

/// An edit that is not a value in place (a new key) is undone by its lines,
/// and a batch that fails half-way leaves nothing behind.
#[test]
fn line_edits_undo_and_failed_batches_roll_back() -> Result<(), Box<dyn std::error::Error>> {
    let (_dir, _path, mut s) = open_copy()?;
    s.apply(set("server.port", "9001"))?;
    s.apply(Command::Remove {
        path: DocPath::parse("server.port")?,
    })?;
    assert!(!s.doc().text().contains("\nport = "));
    let batch = Command::Batch(vec![
        set("server.port", "1234"),
        set("server.port.deeper", "1"),
    ]);
    assert!(s.apply(batch).is_err());
    assert!(
        !s.doc().text().contains("\nport = "),
        "the batch rolled back"
    );
    assert!(s.undo() && s.undo());
    assert_eq!(s.doc().text(), SHIPPED);
    assert_eq!(s.findings(), validate_text(SHIPPED, &s.layouts)?.as_slice());
    Ok(())
}

/// A rename re-checks only the names it touches, yet the findings are a
/// fresh check's: when the first use of a name is renamed away, the next
/// use becomes the one every later use is reported against.
#[test]
fn a_rename_moves_the_first_use_of_a_name() -> Result<(), Box<dyn std::error::Error>> {
    let entry = |name: &str, alias: &str| {
        format!(
            "[[endpoints]]\nname = \"{name}\"\naliases = [\"{alias}\"]\nkind = \"openai_compatible\"\nbase_url = \"http://10.0.0.1:8100/v1\"\n\n"
        )
    };
    let text = [
        entry("a", "x"),
        entry("a", "y"),
        entry("b", "a"),
        entry("c", "z"),
    ]
    .concat();
    let mut s = EditSession::from_text(&text, layouts())?;
    let messages = |s: &EditSession| -> Vec<String> {
        s.findings()
            .iter()
            .filter(|f| f.message.contains("must be unique"))
            .map(|f| format!("{}: {}", f.path, f.message))
            .collect()
    };
    assert_eq!(messages(&s).len(), 2, "{:?}", messages(&s));
    let steps = [
        ("endpoints[0].name", "\"q\""),
        ("endpoints[3].name", "\"y\""),
        ("endpoints[1].aliases", "[\"z\", \"z\"]"),
        ("endpoints[0].name", "\"a\""),
    ];
    for (path, value) in steps {
        s.apply(set(path, value))?;
        let fresh = validate_text(s.raw_text(), &layouts())?;
        assert_eq!(s.findings(), fresh.as_slice(), "after {path} = {value}");
        assert!(!messages(&s).is_empty(), "after {path} = {value}");
    }
    assert!(
        messages(&s).iter().any(
            |m| m.starts_with("endpoints[2].aliases: “a” is already used by endpoints[0].name")
        ),
        "{:?}",
        messages(&s)
    );
    while s.undo() {
        let fresh = validate_text(s.raw_text(), &layouts())?;
        assert_eq!(s.findings(), fresh.as_slice());
    }
    Ok(())
}

#[test]
fn errors_the_file_already_had_do_not_block_an_unrelated_save()
-> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("chat_proxy.toml");
    // An error on disk before any edit: a JPEG quality out of range.
    let broken = SHIPPED.replace("image_jpeg_quality = 85", "image_jpeg_quality = 900");
    std::fs::write(&path, &broken)?;
    let mut s = EditSession::open(&path, layouts())?;
    assert_eq!(s.error_count(), 1, "{:?}", s.findings());
    assert!(s.added_errors().is_empty());

    s.apply(set("server.port", "9001"))?;
    assert!(s.added_errors().is_empty());
    assert_eq!(s.inherited_error_count(), 1);
    s.save(false)?;
    assert!(std::fs::read_to_string(&path)?.contains("port = 9001"));
    assert_eq!(
        errors_left_by_save(s.error_count(), 0).as_deref(),
        Some("the file still has 1 error, none from this change")
    );

    // A change that adds one is refused, and counts only its own.
    s.apply(set("server.port", "99999999"))?;
    assert!(matches!(s.save(false), Err(SessionError::HasErrors(1))));
    assert!(std::fs::read_to_string(&path)?.contains("port = 9001"));
    Ok(())
}

/// Text a field shows but cannot write is an error until the field shows
/// something else: counted, dirty, and a save names each such field.
#[test]
fn field_text_that_cannot_be_written_blocks_the_save() -> Result<(), Box<dyn std::error::Error>> {
    let (_dir, path, mut s) = open_copy()?;
    let size = DocPath::parse("limits.max_image_bytes")?;
    let quality = DocPath::parse("vision_preprocess.image_jpeg_quality")?;
    let errors = s.error_count();
    let revision = s.findings_revision();
    assert!(s.set_field_text(&size, Some("abc")).is_some());
    let why = s.set_field_text(&quality, Some("99999"));
    assert!(
        why.is_some_and(|w| w.contains("100")),
        "the maximum is named"
    );
    assert_ne!(s.findings_revision(), revision, "the counts are redone");
    assert_eq!(s.error_count(), errors + 2);
    assert!(s.is_dirty(), "the title keeps its marker");
    let Err(SessionError::Unwritten(each)) = s.save(false) else {
        panic!("a save with unwritten field text is refused");
    };
    let labels: Vec<&str> = each.iter().map(|u| u.label.as_str()).collect();
    assert_eq!(labels, ["Max image size", "JPEG quality"]);
    let message = SessionError::Unwritten(each).to_string();
    assert!(
        message.contains("Max image size shows “abc”") && message.contains("JPEG quality"),
        "{message}"
    );
    assert_eq!(std::fs::read_to_string(&path)?, SHIPPED, "nothing written");
    // Text that parses is written by the field itself; it is no problem.
    assert_eq!(s.set_field_text(&size, Some("4096")), None);
    assert_eq!(s.set_field_text(&quality, None), None);
    assert_eq!(s.error_count(), errors);
    assert!(!s.is_dirty());
    assert!(s.unwritten().next().is_none());
    Ok(())
}

#[test]
fn a_reload_shows_the_files_values_again() -> Result<(), Box<dyn std::error::Error>> {
    let (_dir, _path, mut s) = open_copy()?;
    let size = DocPath::parse("limits.max_image_bytes")?;
    s.set_field_text(&size, Some("12 MB"));
    assert!(s.unwritten_at(&size).is_some());
    s.reload()?;
    assert!(s.unwritten_at(&size).is_none() && !s.is_dirty());
    Ok(())
}

/// A file that now holds exactly the draft, or what the app itself wrote,
/// is not someone else's edit; anything else is, with its text.
#[test]
fn a_change_on_disk_is_judged_by_content() -> Result<(), Box<dyn std::error::Error>> {
    let (_dir, path, mut s) = open_copy()?;
    assert_eq!(s.check_disk(&[]), DiskChange::None);
    s.apply(set("server.port", "9001"))?;
    assert!(s.is_dirty());
    // A file push of this very draft to the file that is open.
    std::fs::write(&path, s.doc().text())?;
    assert_eq!(
        s.check_disk(&[s.doc().text()]),
        DiskChange::NowTheDraft { own: true }
    );
    assert!(!s.is_dirty(), "the draft equals the disk");
    assert_eq!(s.check_disk(&[]), DiskChange::None, "once");
    assert!(
        s.save(false).is_ok(),
        "no conflict with the app's own write"
    );
    // The proxy's own writer after an API push: the app's change, not the draft.
    let rewritten = s.doc().text().replace("port = 9001", "port = 9001 ");
    std::fs::write(&path, &rewritten)?;
    assert_eq!(
        s.check_disk(std::slice::from_ref(&rewritten)),
        DiskChange::OwnWrite
    );
    assert!(s.is_dirty(), "the draft still differs from the disk");
    // Someone else's edit.
    let theirs = rewritten.replace("9001", "9002");
    std::fs::write(&path, &theirs)?;
    assert_eq!(s.check_disk(&[rewritten]), DiskChange::Other(theirs));
    Ok(())
}
