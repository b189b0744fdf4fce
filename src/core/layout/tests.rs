use super::*;

fn builtin() -> LayoutSet {
    LayoutSet::builtin().expect("builtin layouts must load")
}

#[test]
fn builtin_layouts_cover_every_proxy_setting() {
    let set = builtin();
    assert_eq!(set.proxy_fields().count(), 43);
    let port = set.field("server.port").expect("server.port");
    assert_eq!(port.default_text(), "8100");
    assert_eq!(port.env.as_deref(), Some("CHAT_PROXY_PORT"));
    assert_eq!(port.env_parse, Some(EnvParse::Int));
    let backoff = set.field("vllm.vllm_restart_backoff_s").expect("backoff");
    assert!(!backoff.read_by_proxy);
    assert_eq!(backoff.proxy_section.as_deref(), Some("misc"));
    assert_eq!(
        set.field("server.log_prompts").and_then(|f| f.env.clone()),
        None
    );
    let remote = set
        .field("vllm.vllm_remote_executor_url")
        .expect("remote url");
    assert_eq!(remote.env.as_deref(), Some("CHAT_PROXY_VLLM_REMOTE_URL"));
}

#[test]
fn builtin_layouts_cover_imageworks_sections() {
    let set = builtin();
    let pages: Vec<_> = set
        .section_for_table("ui.pages")
        .expect("ui.pages")
        .fields
        .iter()
        .map(|f| f.key.as_str())
        .collect();
    assert_eq!(pages.len(), 10);
    let modules = set.section_for_table("ui.modules").expect("ui.modules");
    assert_eq!(modules.fields.len(), 7);
    assert!(modules.fields.iter().all(|f| {
        f.depends_on
            .as_deref()
            .is_some_and(|d| d.starts_with("ui.pages."))
    }));
    let assets = set
        .section_for_table("storage.assets")
        .expect("storage.assets");
    assert_eq!(assets.kind, SectionKind::Map);
    let variants = assets.variants.as_ref().expect("variants");
    let s3: Vec<_> = variants
        .option("s3")
        .expect("s3")
        .fields
        .iter()
        .map(|f| f.key.as_str())
        .collect();
    assert_eq!(
        s3,
        [
            "bucket",
            "region",
            "endpoint_url",
            "path_prefix",
            "access_key_env",
            "secret_key_env"
        ]
    );
    let endpoints = set.section_for_table("endpoints").expect("endpoints");
    assert_eq!(endpoints.kind, SectionKind::Array);
}

fn load_one(text: &str) -> Result<LayoutSet, LayoutError> {
    LayoutSet::from_sources(Target::ChatProxy, &[("ui_layouts/test.toml", text)])
}

const HEAD: &str = "target = \"chat_proxy\"\n[[page]]\nid = \"p\"\ntitle = \"P\"\n[[page.section]]\nid = \"s\"\ntitle = \"S\"\ntable = \"s\"\n";

#[test]
fn unknown_type_names_file_and_line() {
    let text =
        format!("{HEAD}[[page.section.field]]\nkey = \"a\"\nlabel = \"A\"\ntype = \"integer\"\n");
    let err = load_one(&text).expect_err("must fail");
    assert_eq!(err.file, "ui_layouts/test.toml");
    assert_eq!(err.line, 12, "{err}");
    assert!(err.message.contains("integer"), "{err}");
}

#[test]
fn default_must_fit_its_type() {
    let text = format!(
        "{HEAD}\n[[page.section.field]]\nkey = \"a\"\nlabel = \"A\"\ntype = \"int\"\ndefault = \"x\"\n"
    );
    let err = load_one(&text).expect_err("must fail");
    assert_eq!(err.line, 10, "{err}");
    assert!(err.message.contains("default does not fit"), "{err}");
    let text = format!(
        "{HEAD}[[page.section.field]]\nkey = \"a\"\nlabel = \"A\"\ntype = \"int\"\nmax = 5\ndefault = 9\n"
    );
    assert!(load_one(&text).is_err());
}

#[test]
fn duplicate_path_and_env_are_refused() {
    let field = "[[page.section.field]]\nkey = \"a\"\nlabel = \"A\"\ntype = \"bool\"\nenv = \"X_A\"\nenv_parse = \"bool\"\n";
    let err = load_one(&format!("{HEAD}{field}{field}")).expect_err("dup path");
    assert!(err.message.contains("duplicate field path “s.a”"), "{err}");
    assert_eq!(err.line, 15);
    let other = field.replace("key = \"a\"", "key = \"b\"");
    let err = load_one(&format!("{HEAD}{field}{other}")).expect_err("dup env");
    assert!(
        err.message.contains("env var “X_A” is named twice"),
        "{err}"
    );
}

#[test]
fn unknown_layout_keys_are_refused() {
    let text = format!(
        "{HEAD}[[page.section.field]]\nkey = \"a\"\nlabel = \"A\"\ntype = \"bool\"\ncolour = 1\n"
    );
    let err = load_one(&text).expect_err("must fail");
    assert!(err.message.contains("colour"), "{err}");
}

#[test]
fn enum_values_carry_their_labels() {
    let set = builtin();
    let page = set.field("ui.default_page").expect("ui.default_page");
    assert_eq!(page.value_label("personal_tagger"), "Personal tagger");
    let default_backend = set
        .field("storage.default_backend")
        .expect("storage.default_backend");
    assert_eq!(default_backend.value_label("local"), "Local folder");
    // The per-asset backend is labelled by its variants' labels.
    let assets = set
        .section_for_table("storage.assets")
        .expect("storage.assets");
    let backend = assets.field("backend").expect("backend");
    assert_eq!(backend.value_label("azure_blob"), "Azure Blob Storage");
    let endpoints = set.section_for_table("endpoints").expect("endpoints");
    let kind = endpoints.field("kind").expect("kind");
    assert_eq!(kind.value_label("openai_compatible"), "OpenAI-compatible");
    // A value without a label is shown as it is.
    assert_eq!(kind.value_label("something_else"), "something_else");
}

#[test]
fn a_label_for_a_value_that_is_not_allowed_is_refused() {
    let text = format!(
        "{HEAD}[[page.section.field]]\nkey = \"a\"\nlabel = \"A\"\ntype = \"enum\"\nvalues = [\"x\", \"y\"]\n[page.section.field.value_labels]\nx = \"Ex\"\nz = \"Zed\"\n"
    );
    let err = load_one(&text).expect_err("must fail");
    assert_eq!(err.line, 9, "{err}");
    assert!(
        err.message.contains("“value_labels” names “z”")
            && err.message.contains("not one of its “values” (x, y)"),
        "{err}"
    );
    // Old layouts, with no labels at all, still load.
    let plain = format!(
        "{HEAD}[[page.section.field]]\nkey = \"a\"\nlabel = \"A\"\ntype = \"enum\"\nvalues = [\"x\"]\n"
    );
    let set = load_one(&plain).expect("loads");
    assert_eq!(set.field("s.a").map(|f| f.value_label("x")), Some("x"));
}

#[test]
fn only_what_the_proxy_reads_needs_a_restart() {
    let set = builtin();
    assert!(set.proxy_fields().all(|(_, f)| f.needs_restart));
    for (page, section, field) in set.all_fields() {
        if section.is_imageworks_only() {
            assert!(!field.needs_restart, "{} on {}", field.path, page.id);
        }
    }
    for id in ["pages_modules", "storage", "endpoints"] {
        assert!(set.page(id).is_some_and(Page::is_imageworks_only), "{id}");
    }
    assert!(!set.page("server").is_some_and(Page::is_imageworks_only));
    // An old layout that still says `needs_restart = true` on an ImageWorks
    // section loads, and the field still needs no proxy restart.
    let text = "target = \"chat_proxy\"\n[[page]]\nid = \"p\"\ntitle = \"P\"\n[[page.section]]\nid = \"s\"\ntitle = \"S\"\ntable = \"s\"\nconsumer = \"imageworks\"\n[[page.section.field]]\nkey = \"a\"\nlabel = \"A\"\ntype = \"bool\"\nneeds_restart = true\n";
    let set = load_one(text).expect("loads");
    assert_eq!(set.field("s.a").map(|f| f.needs_restart), Some(false));
}

/// Help texts say what the stock proxy and ImageWorks' own GUI really do
/// (contract §8), not what a setting's name suggests.
#[test]
fn help_texts_are_true_to_the_proxy() {
    let set = builtin();
    let says = |path: &str, facts: &[&str]| {
        let field = set.field(path).unwrap_or_else(|| panic!("{path}"));
        let text = format!("{} {}", field.label, field.help);
        for fact in facts {
            assert!(
                text.contains(fact),
                "{path}: {text:?} does not say {fact:?}"
            );
        }
        assert!(!text.contains("Prometheus metrics"), "{path}: {text:?}");
        text
    };
    says("server.enable_metrics", &["JSON", "/v1/metrics", "404"]);
    says(
        "server.suppress_decorations",
        &[
            "only /v1/models",
            "display id",
            "backend, format and quantization",
            "null",
        ],
    );
    says(
        "timeouts.stream_idle_timeout_ms",
        &["no effect in this proxy version"],
    );
    says("server.log_prompts", &["no effect in this proxy version"]);
    says(
        "vision_preprocess.image_jpeg_quality",
        &["clamps", "10–100"],
    );
    says("ui.modules.proxy_settings", &["Models → Advanced"]);
    says("ui.modules.gpu_lease", &["read-only", "Models → Backends"]);
    for module in ["ui.modules.proxy_settings", "ui.modules.gpu_lease"] {
        assert_eq!(
            set.field(module).and_then(|f| f.depends_on.as_deref()),
            Some("ui.pages.models"),
            "{module} lives on the Models page"
        );
    }
}
