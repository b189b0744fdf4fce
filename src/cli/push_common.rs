//! What a push to one proxy and a push to a fleet share in the CLI: the
//! runtime, reading the draft, asking for confirmation, a plan's printout
//! and a push failure's exit. Beside `args`, so that `proxy` and `fleet`
//! use it without naming each other.

use serde_json::{Value, json};

use super::output::{CliError, Out, pretty};
use super::{OutputFormat, exit};
use crate::core::document::ConfigDocument;
use crate::core::proxy::{PushError, PushPlan};
use crate::core::safe_save::read_text;

pub(super) fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::unreadable(format!("cannot start the async runtime: {e}")))
}

pub(super) fn load_draft(path: &std::path::Path) -> Result<ConfigDocument, CliError> {
    let loaded = read_text(path).map_err(|e| CliError::unreadable(e.to_string()))?;
    ConfigDocument::parse(&loaded.text)
        .map_err(|e| CliError::unreadable(format!("{}: {e}", path.display())))
}

pub(super) fn push_fail(e: PushError) -> CliError {
    let (code, details) = match &e {
        PushError::Invalid { findings } => (exit::FINDINGS, json!(findings)),
        PushError::NeedsConfirmation {
            losses,
            draft_losses,
        } => (
            exit::FINDINGS,
            json!({"losses": losses, "draft_losses": draft_losses}),
        ),
        PushError::CannotCarry { draft_losses } => {
            (exit::FINDINGS, json!({"draft_losses": draft_losses}))
        }
        PushError::Stale { conflicts } => (exit::FINDINGS, json!(conflicts)),
        PushError::WouldMangle { mangled } => (exit::FINDINGS, json!({"mangled": mangled})),
        PushError::Conflicts { conflicts } => (exit::FINDINGS, json!({"conflicts": conflicts})),
        PushError::ProxyCouldNotWrite { failure } => (exit::FINDINGS, json!(failure)),
        PushError::FileNotReachable { .. }
        | PushError::Path(_)
        | PushError::Lock(_)
        | PushError::FileChanged { .. }
        | PushError::NotTheProxysFile { .. }
        | PushError::Draft { .. } => (exit::FINDINGS, Value::Null),
        PushError::Save(s) if s.is_conflict() => (exit::FINDINGS, Value::Null),
        PushError::Proxy(p) if p.is_refusal() => (exit::FINDINGS, Value::Null),
        PushError::Save(_) | PushError::Proxy(_) => (exit::UNREADABLE, Value::Null),
    };
    let mut message = e.to_string();
    if let PushError::Stale { conflicts } = &e {
        for c in conflicts {
            message.push_str(&format!(
                "\n  {}: base {} | theirs {} | mine {}",
                c.key,
                c.base,
                c.theirs,
                c.mine
                    .as_ref()
                    .map_or("(unchanged)".to_owned(), Value::to_string)
            ));
        }
    }
    CliError {
        code,
        message,
        details,
        quiet: false,
    }
}

pub(super) fn plan_json(plan: &PushPlan) -> Value {
    json!({
        "mode": plan.mode,
        "config_file_path": plan.config_file_path,
        "local_path": plan.local_path,
        "local_path_problem": plan.local_path_problem,
        "compared_with": plan.current,
        "changes": plan.changes,
        "diff": plan.diff,
        "losses": plan.losses,
        "loss_basis": plan.loss_basis,
        "draft_losses": plan.draft_losses,
        "restart_required": plan.restart_required,
        "masked": plan.masked,
        "mangled": plan.mangled,
        "file_mode": plan.file_mode,
        "base": plan.base_from,
        "kept": plan.three_way.kept,
        "conflicts": plan.three_way.conflicts,
        "warnings": plan.warnings,
    })
}

pub(super) fn print_plan(url: &str, plan: &PushPlan, result: Option<Value>, o: &mut Out<'_>) {
    if o.format == OutputFormat::Json {
        let mut body = json!({"proxy": url, "plan": plan_json(plan)});
        if let (Some(r), Value::Object(map)) = (result, &mut body) {
            map.insert("result".to_owned(), r);
        }
        let _ = writeln!(o.out, "{}", pretty(&body));
        return;
    }
    if plan.is_empty() {
        let _ = writeln!(
            o.out,
            "No changes: the proxy's file already has the draft's values."
        );
        for w in &plan.warnings {
            let _ = writeln!(o.out, "{w}");
        }
        return;
    }
    if plan.only_uncarriable() {
        let _ = writeln!(
            o.out,
            "The draft differs from the proxy's file only in what the API cannot carry:"
        );
        print_draft_losses(plan, o);
        return;
    }
    let _ = writeln!(
        o.out,
        "{} for {url} ({:?} push):",
        crate::core::plural::count(plan.changes.len(), "change", "changes"),
        plan.mode
    );
    for c in &plan.changes {
        let _ = writeln!(o.out, "  {}: {} -> {}", c.path, c.before, c.after);
    }
    if matches!(plan.current, crate::core::proxy::CurrentText::Regenerated) {
        let _ = writeln!(
            o.out,
            "(the proxy's file is not on this machine; the diff starts from its values as the proxy would write them)"
        );
    }
    let _ = write!(o.out, "{}", plan.diff);
    if !plan.losses.is_empty() {
        let _ = writeln!(
            o.out,
            "An API push loses {}:",
            crate::core::plural::count(plan.losses.len(), "thing", "things")
        );
        for l in &plan.losses {
            let _ = writeln!(o.out, "  - {}", l.describe());
        }
        let _ = writeln!(
            o.out,
            "Use --mode file to keep them (the proxy's file must be on this machine)."
        );
    }
    if !plan.draft_losses.is_empty() {
        let _ = writeln!(
            o.out,
            "{} of the draft cannot go over the API and would not reach the file:",
            crate::core::plural::count(plan.draft_losses.len(), "part", "parts")
        );
        print_draft_losses(plan, o);
    }
    print_plan_warnings(plan, o);
    if plan.restart_required {
        let _ = writeln!(
            o.out,
            "Restart chat-proxy after pushing: it does not reload its config."
        );
    }
}

/// What the plan says beyond its changes: masked keys, values the API would
/// corrupt, the file's mode, and the three-way result against the base.
fn print_plan_warnings(plan: &PushPlan, o: &mut Out<'_>) {
    for w in &plan.warnings {
        let _ = writeln!(o.out, "{w}");
    }
    for m in &plan.masked {
        let _ = writeln!(o.out, "masked by env: {}", m.describe());
    }
    if !plan.mangled.is_empty() {
        let _ = writeln!(
            o.out,
            "An API push is refused: the proxy's writer escapes only `\"`, so it would write {} wrongly:",
            crate::core::plural::count(plan.mangled.len(), "value", "values")
        );
        for m in &plan.mangled {
            let _ = writeln!(o.out, "  - {}", m.describe());
        }
        let _ = writeln!(o.out, "Push with --mode file (lossless) instead.");
    }
    if let Some(mode) = &plan.file_mode {
        let _ = writeln!(o.out, "file mode: {}", mode.describe());
    }
    if let Some(from) = &plan.base_from {
        let _ = writeln!(o.out, "draft's base: {from}");
    }
    for k in &plan.three_way.kept {
        let _ = writeln!(o.out, "kept: {}", k.describe());
    }
    if !plan.three_way.conflicts.is_empty() {
        let _ = writeln!(
            o.out,
            "{} changed on the proxy and in the draft since the draft's base (choose with --on-conflict mine|theirs):",
            crate::core::plural::count(plan.three_way.conflicts.len(), "key", "keys")
        );
        for c in &plan.three_way.conflicts {
            let _ = writeln!(o.out, "  - {}", c.describe());
        }
    }
}

fn print_draft_losses(plan: &PushPlan, o: &mut Out<'_>) {
    for l in &plan.draft_losses {
        let _ = writeln!(o.out, "  - {}", l.describe());
    }
    let hint = match &plan.local_path_problem {
        Some(problem) => format!("A file push (--mode file) carries them, once {problem}"),
        None => "A file push (--mode file) carries them losslessly.".to_owned(),
    };
    let _ = writeln!(o.out, "{hint}");
}

pub(super) fn ask(o: &mut Out<'_>) -> bool {
    let _ = write!(o.err, "Push anyway and lose the above? [y/N] ");
    let _ = o.err.flush();
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).is_ok() && matches!(answer.trim(), "y" | "Y" | "yes")
}
