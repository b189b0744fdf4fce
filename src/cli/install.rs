//! What installing the tool needs from its own clap definition: shell
//! completions, a man page, and the JSON Schema written where an editor
//! finds it.

use std::path::Path;

use clap::CommandFactory;
use clap_complete::Shell;

use super::output::{CliError, Out};
use super::{Cli, exit};
use crate::core::layout::LayoutSet;
use crate::core::safe_save::{self, Expect, SaveOutcome};
use crate::core::schema;

/// The schema's file name in `schema --write DIR`; the `#:schema` line and
/// the Taplo / VS Code setup in GUIDE.md name it.
pub const SCHEMA_FILE: &str = "chat_proxy.schema.json";

/// `iw-studio completions SHELL`: the completion script on stdout.
pub fn completions(shell: Shell, o: &mut Out<'_>) -> u8 {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "iw-studio", &mut script);
    o.text(&String::from_utf8_lossy(&script));
    exit::OK
}

/// `iw-studio manpage`: iw-studio(1) in roff on stdout, one section per
/// subcommand so that `man` shows every command's options.
pub fn manpage(o: &mut Out<'_>) -> u8 {
    match render_manpage() {
        Ok(page) => {
            o.text(&page);
            exit::OK
        }
        Err(e) => o.fail(CliError::write_failed(&e)),
    }
}

fn render_manpage() -> std::io::Result<String> {
    let command = Cli::command();
    let mut page = Vec::new();
    let man = clap_mangen::Man::new(command.clone());
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    man.render_options_section(&mut page)?;
    render_subcommands(&command, "", &mut page)?;
    man.render_version_section(&mut page)?;
    Ok(String::from_utf8_lossy(&page).into_owned())
}

/// Every subcommand, nested ones included, as its own section with its
/// synopsis, description and options (clap_mangen's own subcommand
/// section lists only names and one-line descriptions).
fn render_subcommands(
    parent: &clap::Command,
    prefix: &str,
    page: &mut Vec<u8>,
) -> std::io::Result<()> {
    for sub in parent.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("{prefix}{}", sub.get_name());
        let titled = sub.clone().name(format!("iw-studio {name}"));
        let man = clap_mangen::Man::new(titled);
        page.extend_from_slice(format!(".SH \"{}\"\n", name.to_uppercase()).as_bytes());
        let mut section = Vec::new();
        man.render_synopsis_section(&mut section)?;
        man.render_description_section(&mut section)?;
        man.render_options_section(&mut section)?;
        // Each part comes with its own `.SH` heading; under the command's
        // heading they are sub-headings.
        page.extend_from_slice(
            String::from_utf8_lossy(&section)
                .replace(".SH ", ".SS ")
                .as_bytes(),
        );
        render_subcommands(sub, &format!("{name} "), page)?;
    }
    Ok(())
}

/// `iw-studio schema --write DIR`: the schema saved as `DIR/chat_proxy.schema.json`
/// (atomically, the previous one kept as `.bak`, refused if it changes
/// while being replaced), then the lines that point an editor at it.
pub fn write_schema(layouts: &LayoutSet, dir: &Path, o: &mut Out<'_>) -> u8 {
    if !dir.is_dir() {
        return o.fail(CliError::unreadable(format!(
            "{}: not a folder (schema --write takes the folder to write {SCHEMA_FILE} into)",
            dir.display()
        )));
    }
    let path = dir.join(SCHEMA_FILE);
    let text = format!("{}\n", super::output::pretty(&schema::json_schema(layouts)));
    let expect = match safe_save::current_fingerprint(&path) {
        Ok(Some(fingerprint)) => Expect::Unchanged(fingerprint),
        Ok(None) => Expect::Absent,
        Err(e) => return o.fail(CliError::unreadable(e)),
    };
    let outcome = match safe_save::save_atomically(&path, text.as_bytes(), expect) {
        Ok(outcome) => outcome,
        Err(e) => return o.fail(CliError::refused(e)),
    };
    let done = match outcome {
        SaveOutcome::Unchanged { .. } => "unchanged",
        SaveOutcome::Written { .. } => "written",
    };
    o.emit(
        || {
            format!(
                "{}: {done}\nPoint Taplo / Even Better TOML at it with this first line in chat_proxy.toml:\n#:schema ./{SCHEMA_FILE}",
                path.display()
            )
        },
        || serde_json::json!({ "path": path, "outcome": done, "directive": format!("#:schema ./{SCHEMA_FILE}") }),
    );
    exit::OK
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_man_page_has_a_section_per_subcommand_with_its_options() -> std::io::Result<()> {
        let page = render_manpage()?;
        assert!(
            page.starts_with(".ie") || page.contains(".TH iw-studio"),
            "{page:.200}"
        );
        for heading in [".SH \"CHECK\"", ".SH \"REGISTRY ROLES\"", ".SH \"PUSH\""] {
            assert!(page.contains(heading), "no {heading}");
        }
        assert!(
            page.contains("\\-\\-dry\\-run"),
            "options of subcommands are listed"
        );
        Ok(())
    }
}
