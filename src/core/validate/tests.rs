use super::*;
use crate::core::layout::LayoutSet;

fn layouts() -> LayoutSet {
    LayoutSet::builtin().unwrap()
}

fn check(text: &str) -> Vec<Finding> {
    validate_text(text, &layouts()).unwrap()
}

fn sample(name: &str) -> String {
    let path = format!("{}/sample_configs/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).expect("read a sample config")
}

fn find<'a>(findings: &'a [Finding], path: &str) -> &'a Finding {
    let found = findings.iter().find(|f| f.path == path);
    assert!(found.is_some(), "no finding for {path}: {findings:#?}");
    found.expect("asserted above")
}

#[test]
fn shipped_file_only_warns_about_the_backoff_key() {
    let findings = check(&sample("chat_proxy.toml"));
    assert_eq!(findings.len(), 1, "{findings:#?}");
    let f = &findings[0];
    assert_eq!(
        (f.severity, f.path.to_string().as_str(), f.line, f.column),
        (
            Severity::Warning,
            "vllm.vllm_restart_backoff_s",
            Some(60),
            Some(1)
        )
    );
    assert!(f.message.contains("never reads"), "{f}");
}

#[test]
fn full_example_is_clean() {
    assert_eq!(check(&sample("full_example.toml")), []);
}

#[test]
fn wrong_types_ranges_enums_and_urls_are_errors() {
    let findings = check(&sample("broken/wrong_types.toml"));
    let port = find(&findings, "server.port");
    assert_eq!(
        (port.severity, port.line, port.column),
        (Severity::Error, Some(3), Some(8))
    );
    assert!(
        port.message.contains("expected an integer, found a string"),
        "{port}"
    );
    assert!(
        find(&findings, "server.enable_metrics")
            .message
            .contains("boolean")
    );
    assert!(
        find(&findings, "vision_preprocess.image_jpeg_quality")
            .message
            .contains("above the maximum 100")
    );
    assert!(
        find(&findings, "vision_preprocess.vision_downscale_backends")
            .message
            .contains("list of strings")
    );
    assert!(
        find(&findings, "ollama.ollama_base_url")
            .message
            .contains("not a valid URL")
    );
    assert!(
        find(&findings, "storage.assets.images.backend")
            .message
            .contains("not one of: local, s3, firebase, azure_blob")
    );
    assert!(findings.iter().all(Finding::is_error), "{findings:#?}");
}

#[test]
fn misplaced_and_unknown_keys_are_warnings_with_hints() {
    let findings = check(&sample("broken/wrong_section.toml"));
    let top = find(&findings, "port");
    assert!(
        top.message
            .contains("at top level is ignored by the proxy: it only reads it in [server]"),
        "{top}"
    );
    let wrong = find(&findings, "server.max_image_bytes");
    assert!(
        wrong
            .message
            .contains("in [server] is ignored by the proxy: it only reads it in [limits]"),
        "{wrong}"
    );
    let typo = find(&findings, "limits.max_image_byte");
    assert!(
        typo.message.contains("did you mean “max_image_bytes”?"),
        "{typo}"
    );
    assert_eq!(typo.line, Some(9));
    assert!(
        find(&findings, "vllm.vllm_restart_backoff_s")
            .message
            .contains("never reads")
    );
    assert!(
        findings.iter().all(|f| f.severity == Severity::Warning),
        "{findings:#?}"
    );
}

#[test]
fn unknown_tables_are_named_with_suggestions() {
    let findings = check("[servr]\nport = 1\n\n[storage.assets.videos]\nbackend = \"local\"\n");
    let servr = find(&findings, "servr");
    assert!(servr.message.contains("did you mean “server”?"), "{servr}");
    assert!(
        find(&findings, "servr.port")
            .message
            .contains("only reads it in [server]")
    );
    assert!(
        find(&findings, "storage.assets.videos")
            .message
            .contains("known: images, documents, avatars, results")
    );
}

#[test]
fn inline_secrets_are_errors_without_echoing_them() {
    let findings = check(&sample("broken/inline_secret.toml"));
    for path in [
        "storage.assets.documents.access_key_env",
        "storage.assets.documents.secret_key_env",
        "endpoints[0].api_key_env",
    ] {
        let f = find(&findings, path);
        assert_eq!(f.severity, Severity::Error);
        assert!(f.message.contains("literal secret"), "{f}");
        assert!(
            !f.message.contains("EXAMPLE"),
            "a finding must not repeat the secret: {f}"
        );
    }
    let pem = check(
        "[[endpoints]]\nname = \"a\"\nkind = \"vllm\"\nbase_url = \"http://a\"\ndefault_models = [\"-----BEGIN RSA PRIVATE KEY-----\"]\n",
    );
    assert!(
        find(&pem, "endpoints[0].default_models")
            .message
            .contains("PEM")
    );
}

#[test]
fn storage_backend_needs_its_fields() {
    let findings =
        check("[storage.assets.documents]\nbackend = \"s3\"\nbucket = \"b\"\npath = \"x\"\n");
    let region = find(&findings, "storage.assets.documents.region");
    assert!(
        region.message.contains("backend “s3” needs “region”"),
        "{region}"
    );
    assert_eq!(region.line, Some(1));
    assert!(find(&findings, "storage.assets.documents.access_key_env").is_error());
    let stray = find(&findings, "storage.assets.documents.path");
    assert!(
        stray.message.contains("belongs to backend “local”"),
        "{stray}"
    );
    // An asset without a backend uses the default backend (local), which needs a path.
    let findings = check("[storage.assets.images]\npath = \"data/images\"\n");
    assert_eq!(findings, []);
}

#[test]
fn default_page_must_be_enabled_and_a_page_off_is_no_mistake() {
    let findings = check(
        "[ui]\ndefault_page = \"results\"\n\n[ui.pages]\nresults = false\nmodels = false\n\n[ui.modules]\nbackends = true\nbrowse_manage = true\n",
    );
    let page = find(&findings, "ui.default_page");
    assert!(
        page.is_error() && page.message.contains("switched off"),
        "{page}"
    );
    // Modules left on under a page that is off are hidden with it, by design.
    assert!(
        findings
            .iter()
            .all(|f| !f.path.to_string().starts_with("ui.modules")),
        "{findings:?}"
    );
}

#[test]
fn duplicate_endpoint_names_and_aliases_are_errors() {
    let text = "[[endpoints]]\nname = \"a\"\naliases = [\"x\"]\nkind = \"vllm\"\nbase_url = \"http://h\"\n\n[[endpoints]]\nname = \"x\"\naliases = [\"a\"]\nkind = \"vllm\"\nbase_url = \"http://h\"\n";
    let findings = check(text);
    let dup = find(&findings, "endpoints[1].name");
    assert!(
        dup.message
            .contains("“x” is already used by endpoints[0].aliases"),
        "{dup}"
    );
    assert!(
        find(&findings, "endpoints[1].aliases")
            .message
            .contains("endpoints[0].name")
    );
}

#[test]
fn endpoint_requires_its_fields() {
    let findings = check("[[endpoints]]\nname = \"a\"\n");
    assert!(find(&findings, "endpoints[0].kind").is_error());
    assert!(find(&findings, "endpoints[0].base_url").is_error());
}

#[test]
fn not_toml_gives_line_and_column() {
    let err = validate_text(&sample("broken/not_toml.toml"), &layouts()).expect_err("must fail");
    assert_eq!(err.line, 4, "{err}");
    assert!(err.line_text.contains("log_path"), "{err}");
}
