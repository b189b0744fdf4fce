//! Open + save with no change is byte-identical for every sample and the shipped file.

use iw_studio::core::config_file::ConfigFile;
use iw_studio::core::safe_save::SaveOutcome;

fn roundtrip(path: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    let original = std::fs::read(path)?;
    let dir = tempfile::tempdir()?;
    let copy = dir.path().join("copy.toml");
    std::fs::write(&copy, &original)?;
    let mut file = ConfigFile::open(&copy)?;
    assert_eq!(
        file.doc.text().as_bytes(),
        original.as_slice(),
        "{}",
        path.display()
    );
    let outcome = file.save()?;
    assert!(
        matches!(outcome, SaveOutcome::Unchanged { .. }),
        "{}: {outcome:?}",
        path.display()
    );
    assert_eq!(std::fs::read(&copy)?, original);
    Ok(())
}

#[test]
fn every_sample_config_round_trips() -> Result<(), Box<dyn std::error::Error>> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/sample_configs");
    let mut count = 0;
    for entry in std::fs::read_dir(root)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "toml") {
            roundtrip(&path)?;
            count += 1;
        }
    }
    for name in [
        "wrong_types.toml",
        "inline_secret.toml",
        "wrong_section.toml",
    ] {
        roundtrip(&std::path::Path::new(root).join("broken").join(name))?;
        count += 1;
    }
    assert!(count >= 5);
    Ok(())
}

/// `sample_configs/chat_proxy.toml` is the file of the ImageWorks install
/// in the shared fixtures (the tests use the copy, which a clone always has).
#[test]
fn the_shipped_sample_is_the_shared_fixture() -> Result<(), Box<dyn std::error::Error>> {
    let shared = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/fixtures/imageworks/chat_proxy.toml"
    ));
    if !shared.is_file() {
        return Ok(()); // A checkout outside the workspace has only the copy.
    }
    let sample = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/sample_configs/chat_proxy.toml"
    );
    assert_eq!(std::fs::read(sample)?, std::fs::read(shared)?);
    Ok(())
}

#[test]
fn edited_document_keeps_a_missing_final_newline() -> Result<(), Box<dyn std::error::Error>> {
    // The proxy's own writer ends the file without a newline.
    let layouts = iw_studio::core::layout::LayoutSet::builtin()?;
    let text = "[server]\nport = 8100\n\n[ollama]\nollama_stop_timeout_s = 30";
    let mut doc = iw_studio::core::document::ConfigDocument::parse(text)?;
    doc.set_value(&layouts, &"server.port".parse()?, "1".parse()?)?;
    assert_eq!(doc.text(), text.replace("8100", "1"));
    Ok(())
}
