//! The CLI and the GUI edit through one route (`EditSession` + `Command`):
//! the same edits give the same bytes on disk.

use crate::support::app as common;

use std::process::Command as Process;

use common::{app_with, copy_of};
use iw_studio::core::document::DocPath;
use iw_studio::core::session::Command;
use iw_studio::ui::actions::Action;
use toml_edit::Value;

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// (path, CLI argument, the value the GUI's form would send); `None` unsets.
const EDITS: [(&str, Option<(&str, &str)>); 4] = [
    ("server.port", Some(("9001", "9001"))),
    (
        "storage.assets.images.path",
        Some(("data/pictures", "\"data/pictures\"")),
    ),
    ("endpoints[1].name", Some(("gpu-box-2", "\"gpu-box-2\""))),
    ("limits.max_image_bytes", None),
];

#[test]
fn cli_and_gui_write_identical_bytes() -> TestResult {
    let (_cli_dir, cli_file) = copy_of("full_example.toml");
    let cli_arg = cli_file.to_str().ok_or("utf-8 path")?;
    for (path, value) in EDITS {
        let out = match value {
            Some((raw, _)) => Process::new(env!("CARGO_BIN_EXE_iw-studio"))
                .env("IW_STUDIO_LOG_DIR", env!("CARGO_TARGET_TMPDIR"))
                .args(["set", cli_arg, path, raw])
                .output()?,
            None => Process::new(env!("CARGO_BIN_EXE_iw-studio"))
                .env("IW_STUDIO_LOG_DIR", env!("CARGO_TARGET_TMPDIR"))
                .args(["unset", cli_arg, path])
                .output()?,
        };
        assert_eq!(
            out.status.code(),
            Some(0),
            "{path}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let (_gui_dir, gui_file) = copy_of("full_example.toml");
    let mut app = app_with(Some(&gui_file));
    let ctx = egui::Context::default();
    for (path, value) in EDITS {
        let path = DocPath::parse(path)?;
        let command = match value {
            Some((_, literal)) => Command::SetValue {
                path,
                value: literal.parse::<Value>()?,
            },
            None => Command::Remove { path },
        };
        app.handle(&ctx, Action::Edit(command));
        // One save per edit, as the CLI does.
        app.handle(&ctx, Action::Save);
    }

    let cli_bytes = std::fs::read(&cli_file)?;
    let gui_bytes = std::fs::read(&gui_file)?;
    let original = std::fs::read(common::sample("full_example.toml"))?;
    assert_ne!(cli_bytes, original, "the edits changed nothing");
    assert_eq!(
        String::from_utf8_lossy(&cli_bytes),
        String::from_utf8_lossy(&gui_bytes)
    );
    Ok(())
}

/// `iw-studio fix` and the app's quick-fix buttons push the same commands:
/// a BOM, CRLF and two strings the Streamlit form wrote end in the same bytes.
#[test]
fn cli_fix_and_gui_quick_fixes_write_identical_bytes() -> TestResult {
    let shipped = std::fs::read_to_string(common::sample("chat_proxy.toml"))?;
    let text = format!(
        "\u{feff}{}",
        shipped
            .replace("port = 8100", "port = \"8100\"")
            .replace("enable_metrics = false", "enable_metrics = \"true\"")
            .replace('\n', "\r\n")
    );
    let (cli_dir, gui_dir) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let (cli_file, gui_file) = (
        cli_dir.path().join("chat_proxy.toml"),
        gui_dir.path().join("chat_proxy.toml"),
    );
    std::fs::write(&cli_file, &text)?;
    std::fs::write(&gui_file, &text)?;
    let out = Process::new(env!("CARGO_BIN_EXE_iw-studio"))
        .env("IW_STUDIO_LOG_DIR", env!("CARGO_TARGET_TMPDIR"))
        .args(["fix", cli_file.to_str().ok_or("utf-8 path")?])
        .output()?;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    let mut app = app_with(Some(&gui_file));
    let ctx = egui::Context::default();
    let fixes: Vec<Command> = app
        .session()
        .map(|s| {
            s.findings()
                .iter()
                .filter_map(|f| f.fix.as_ref())
                .map(|f| Command::from(&f.edit))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(fixes.len(), 3);
    for command in fixes {
        app.handle(&ctx, Action::Edit(command));
    }
    app.handle(&ctx, Action::Save);

    let cli_bytes = std::fs::read(&cli_file)?;
    assert_eq!(cli_bytes, std::fs::read(&gui_file)?);
    let expected = shipped
        .replace("enable_metrics = false", "enable_metrics = true")
        .replace('\n', "\r\n");
    assert_eq!(String::from_utf8_lossy(&cli_bytes), expected);
    Ok(())
}
