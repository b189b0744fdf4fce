//! The app shows text from the file through the one masking rule (issue 28
//! item 10), as the CLI and the activity log do: a diff line carries `***`
//! where a secret stood; the editors show what they edit.

use crate::support::app as common;

use common::{app_with, harness};
use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;

const SECRET: &str = "hunter2secretpass";

#[test]
fn a_secret_in_the_file_is_masked_in_the_diff() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("chat_proxy.toml");
    let shipped = include_str!("../../../sample_configs/chat_proxy.toml");
    let text = shipped.replacen(
        "port = 8100",
        &format!("port = 8100\n# admin password = {SECRET}"),
        1,
    );
    std::fs::write(&path, text).expect("write the file");
    let mut h = harness(app_with(Some(&path)));
    h.run();
    h.get_by(|n| n.role() == Role::Button && n.label().is_some_and(|l| l.contains("Server")))
        .click();
    h.run();
    h.get_by_role_and_label(Role::TextInput, "Listen port")
        .set_text_value_accesskit("9001");
    h.run();
    h.get_by(|n| n.role() == Role::Button && n.label().is_some_and(|l| l.contains("Diff")))
        .click();
    h.run();
    let shows = |h: &egui_kittest::Harness<'_, iw_studio::ui::StudioApp>, text: &str| {
        h.query_all_by(|n| {
            n.label().is_some_and(|l| l.contains(text))
                || n.value().is_some_and(|v| v.contains(text))
        })
        .count()
    };
    assert!(
        shows(&h, "+port = 9001") > 0,
        "the diff shows the edit beside the comment"
    );
    assert!(
        shows(&h, "password = ***") > 0,
        "the comment is shown masked"
    );
    assert_eq!(shows(&h, SECRET), 0, "the secret is not on screen");
}
