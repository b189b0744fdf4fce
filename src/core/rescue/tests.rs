use std::collections::BTreeMap;
use std::sync::Arc;

use super::*;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn layouts() -> Result<Arc<LayoutSet>, Box<dyn std::error::Error>> {
    Ok(Arc::new(LayoutSet::builtin()?))
}

const GOOD: &str = "[server]\nport = 8100\nlog_path = \"logs/p.jsonl\"\n";

#[test]
fn a_toml_1_1_line_is_named_as_tomllib_says_and_repaired() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("chat_proxy.toml");
    std::fs::write(
        &path,
        "[server]\nport = 8100\n[ui]\ntags = {a = 1,\n  b = 2}\n",
    )?;
    let plan = plan_rescue(&path, &layouts()?, &BTreeMap::new(), None)?;
    assert_eq!(
        plan.error.as_ref().map(|e| (e.line, e.column)),
        Some((4, 15))
    );
    assert!(plan.causes()[0].starts_with("the proxy cannot start: line 4, column 15: "));
    assert!(plan.file_mended());
    assert_eq!(
        plan.after,
        "[server]\nport = 8100\n[ui]\ntags = {a = 1, b = 2}\n"
    );
    assert!(plan.diff.contains("+tags = {a = 1, b = 2}"));
    let l = layouts()?;
    let expected = plan.expected_file(&l);
    assert_eq!(
        expected.get("port").map(ToString::to_string).as_deref(),
        Some("8100")
    );
    Ok(())
}

#[test]
fn with_no_repair_the_newer_of_history_and_backup_is_restored() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("chat_proxy.toml");
    std::fs::write(&path, "[server]\nport = = 3\n")?;
    let layouts = layouts()?;
    // Nothing to restore from: said, nothing mended.
    let plan = plan_rescue(&path, &layouts, &BTreeMap::new(), None)?;
    assert!(!plan.file_mended());
    assert_eq!(plan.remaining.as_ref().map(|e| e.line), Some(2));
    // The .bak the last save kept.
    std::fs::write(crate::core::safe_save::backup_path(&path), GOOD)?;
    let plan = plan_rescue(&path, &layouts, &BTreeMap::new(), None)?;
    assert!(plan.file_mended());
    assert_eq!(plan.after, GOOD);
    assert!(matches!(plan.restored, Some(RestoredFrom::Backup { .. })));
    Ok(())
}

#[test]
fn a_push_history_entry_gives_the_file_before_the_push() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("chat_proxy.toml");
    std::fs::write(&path, "[server]\nport = = 3\n")?;
    let history_dir = dir.path().join("history");
    std::fs::create_dir(&history_dir)?;
    let line = serde_json::json!({
        "id": "p1", "time_unix_s": 4_000_000_000_u64, "time": "2096-10-02 07:06:40 UTC",
        "profile": "cli", "base_url": "http://127.0.0.1:1", "mode": "api", "changes": [],
        "result": {"status": "pushed", "verified": true, "restart_required": true, "backup": null},
        "file": {"before": {}, "after": {}, "local_path": path, "text_before": GOOD}
    });
    std::fs::write(
        crate::core::proxy::history::history_path(&history_dir),
        format!("{line}\n"),
    )?;
    let listed = crate::core::proxy::history::list(&history_dir)?;
    assert_eq!(listed.entries.len(), 1, "{:?}", listed.unreadable_lines);
    let plan = plan_rescue(&path, &layouts()?, &BTreeMap::new(), Some(&history_dir))?;
    assert_eq!(plan.after, GOOD);
    assert!(matches!(plan.restored, Some(RestoredFrom::History { ref id, .. }) if id == "p1"));
    Ok(())
}

#[test]
fn an_env_value_json_cannot_hold_is_named() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("chat_proxy.toml");
    std::fs::write(&path, GOOD)?;
    let env = BTreeMap::from([
        (
            "CHAT_PROXY_VLLM_GPU_MEMORY_UTILIZATION".to_owned(),
            "NaN".to_owned(),
        ),
        ("CHAT_PROXY_PORT".to_owned(), "nan".to_owned()),
    ]);
    let plan = plan_rescue(&path, &layouts()?, &env, None)?;
    assert!(!plan.changes_file());
    assert_eq!(plan.env.len(), 1);
    assert_eq!(plan.env[0].var, "CHAT_PROXY_VLLM_GPU_MEMORY_UTILIZATION");
    assert_eq!(plan.env[0].value, "nan");
    assert!(plan.causes()[0].contains("CHAT_PROXY_VLLM_GPU_MEMORY_UTILIZATION"));
    Ok(())
}

#[test]
fn quick_fixes_come_with_the_repairs() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("chat_proxy.toml");
    std::fs::write(
        &path,
        "[server]\nport = \"8100\"\nlog_path = \"C:\\logs\\p.jsonl\"\n",
    )?;
    let plan = plan_rescue(&path, &layouts()?, &BTreeMap::new(), None)?;
    assert_eq!(
        plan.after,
        "[server]\nport = 8100\nlog_path = \"C:\\\\logs\\\\p.jsonl\"\n"
    );
    assert_eq!(plan.repairs.len(), 1);
    assert_eq!(plan.quick_fixes.len(), 1, "{:?}", plan.quick_fixes);
    Ok(())
}
