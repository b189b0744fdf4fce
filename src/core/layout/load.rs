//! Reading layout files and checking them, with errors that name file and line.

use std::collections::HashMap;
use std::path::Path;

use toml::Spanned;

use super::spec::{
    Consumer, FieldSpec, FileSpec, PageSpec, SectionKind, SectionSpec, Target, VariantsSpec,
};
use super::{Field, Origin, Page, Section, Variant, Variants};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{file}:{line}: {message}")]
pub struct LayoutError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// The repository's `ui_layouts/`, compiled in so the binary is self-contained.
pub fn builtin_layout_sources() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            "ui_layouts/proxy.toml",
            include_str!("../../../ui_layouts/proxy.toml"),
        ),
        (
            "ui_layouts/ui.toml",
            include_str!("../../../ui_layouts/ui.toml"),
        ),
        (
            "ui_layouts/storage.toml",
            include_str!("../../../ui_layouts/storage.toml"),
        ),
        (
            "ui_layouts/endpoints.toml",
            include_str!("../../../ui_layouts/endpoints.toml"),
        ),
        (
            "ui_layouts/registry_entry.toml",
            include_str!("../../../ui_layouts/registry_entry.toml"),
        ),
        (
            "ui_layouts/profiles.toml",
            include_str!("../../../ui_layouts/profiles.toml"),
        ),
    ]
}

pub(super) fn read_dir_sources(dir: &Path) -> Result<Vec<(String, String)>, LayoutError> {
    let io_err = |e: std::io::Error| LayoutError {
        file: dir.display().to_string(),
        line: 0,
        message: format!("cannot read the layout folder: {e}"),
    };
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map_err(io_err)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).map_err(|e| LayoutError {
                file: p.display().to_string(),
                line: 0,
                message: format!("cannot read: {e}"),
            })?;
            Ok((p.display().to_string(), text))
        })
        .collect()
}

/// Parse every file for `target`, check them together, return pages in order.
pub(super) fn parse_all(
    target: Target,
    sources: &[(&str, &str)],
) -> Result<Vec<Page>, LayoutError> {
    let mut files = Vec::new();
    for (name, text) in sources {
        let spec: FileSpec = toml::from_str(text).map_err(|e| LayoutError {
            file: (*name).to_owned(),
            line: e.span().map_or(0, |s| line_of(text, s.start)),
            message: e.message().trim().to_owned(),
        })?;
        if spec.target == target {
            files.push((spec.order, *name, *text, spec));
        }
    }
    files.sort_by_key(|(order, name, _, _)| (*order, *name));
    let mut checker = Checker::default();
    let mut pages = Vec::new();
    for (_, name, text, spec) in files {
        let ctx = FileCtx { name, text };
        for page in spec.page {
            pages.push(ctx.page(page, &mut checker)?);
        }
    }
    Ok(pages)
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map_or(0, |head| head.bytes().filter(|b| *b == b'\n').count() + 1)
}

/// Uniqueness rules that span all files.
#[derive(Default)]
struct Checker {
    paths: HashMap<String, Origin>,
    envs: HashMap<String, Origin>,
    page_ids: HashMap<String, Origin>,
}

impl Checker {
    fn claim_path(&mut self, path: &str, origin: &Origin) -> Result<(), String> {
        if let Some(first) = self.paths.get(path) {
            return Err(format!(
                "duplicate field path “{path}” (first declared at {first})"
            ));
        }
        self.paths.insert(path.to_owned(), origin.clone());
        Ok(())
    }

    fn claim_env(&mut self, env: &str, origin: &Origin) -> Result<(), String> {
        if let Some(first) = self.envs.get(env) {
            return Err(format!("env var “{env}” is named twice (first at {first})"));
        }
        self.envs.insert(env.to_owned(), origin.clone());
        Ok(())
    }
}

struct FileCtx<'a> {
    name: &'a str,
    text: &'a str,
}

impl FileCtx<'_> {
    fn origin<T>(&self, spanned: &Spanned<T>) -> Origin {
        Origin {
            file: self.name.to_owned(),
            line: line_of(self.text, spanned.span().start),
        }
    }

    fn err(&self, origin: &Origin, message: String) -> LayoutError {
        LayoutError {
            file: self.name.to_owned(),
            line: origin.line,
            message,
        }
    }

    fn page(&self, spanned: Spanned<PageSpec>, checker: &mut Checker) -> Result<Page, LayoutError> {
        let origin = self.origin(&spanned);
        let spec = spanned.into_inner();
        if let Some(first) = checker.page_ids.get(&spec.id) {
            return Err(self.err(
                &origin,
                format!("duplicate page id “{}” (first at {first})", spec.id),
            ));
        }
        checker.page_ids.insert(spec.id.clone(), origin.clone());
        let sections = spec
            .section
            .into_iter()
            .map(|s| self.section(s, checker))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page {
            id: spec.id,
            title: spec.title,
            icon: spec.icon,
            help: spec.help,
            group: spec.group,
            sections,
            origin,
        })
    }

    fn section(
        &self,
        spanned: Spanned<SectionSpec>,
        checker: &mut Checker,
    ) -> Result<Section, LayoutError> {
        let origin = self.origin(&spanned);
        let spec = spanned.into_inner();
        if spec.kind == SectionKind::Map && spec.instances.is_empty() {
            return Err(self.err(
                &origin,
                format!("section “{}” is a map but lists no “instances”", spec.id),
            ));
        }
        let prefix = match spec.kind {
            SectionKind::Table => spec.table.clone(),
            SectionKind::Map => format!("{}.*", spec.table),
            SectionKind::Array => format!("{}[]", spec.table),
        };
        let proxy_reads = spec.consumer == Consumer::Proxy;
        let mut fields = self.fields(spec.field, &prefix, proxy_reads, checker)?;
        let variants = match spec.variants {
            Some(v) => Some(self.variants(v, &prefix, &fields, &origin, proxy_reads, checker)?),
            None => None,
        };
        if let Some(v) = &variants {
            label_discriminator(&mut fields, v);
        }
        Ok(Section {
            id: spec.id,
            title: spec.title,
            help: spec.help,
            table: spec.table,
            kind: spec.kind,
            instances: spec.instances,
            consumer: spec.consumer,
            scan_secrets: spec.scan_secrets,
            fields,
            variants,
            origin,
        })
    }

    fn variants(
        &self,
        spec: VariantsSpec,
        prefix: &str,
        common: &[Field],
        origin: &Origin,
        proxy_reads: bool,
        checker: &mut Checker,
    ) -> Result<Variants, LayoutError> {
        let Some(discriminator) = common.iter().find(|f| f.key == spec.discriminator) else {
            return Err(self.err(
                origin,
                format!(
                    "variant discriminator “{}” is not a field of this section",
                    spec.discriminator
                ),
            ));
        };
        let mut options = Vec::new();
        for option in spec.option {
            let opt_origin = self.origin(&option);
            let option = option.into_inner();
            if !discriminator.values.contains(&option.value) {
                return Err(self.err(
                    &opt_origin,
                    format!(
                        "variant “{}” is not an allowed value of “{}”",
                        option.value, discriminator.key
                    ),
                ));
            }
            // Variant fields share paths across variants (s3 and firebase both
            // have a `bucket`): paths are unique within one variant plus the
            // common fields; env vars stay unique across everything.
            let mut scope = Checker::default();
            for f in common {
                scope.paths.insert(f.path.clone(), f.origin.clone());
            }
            let fields = self.fields(option.field, prefix, proxy_reads, &mut scope)?;
            for f in &fields {
                if let Some(env) = &f.env {
                    checker
                        .claim_env(env, &f.origin)
                        .map_err(|m| self.err(&f.origin, m))?;
                }
            }
            options.push(Variant {
                value: option.value,
                label: option.label,
                fields,
            });
        }
        Ok(Variants {
            discriminator: spec.discriminator,
            fallback: spec.fallback,
            options,
        })
    }

    fn fields(
        &self,
        specs: Vec<Spanned<FieldSpec>>,
        prefix: &str,
        proxy_reads: bool,
        checker: &mut Checker,
    ) -> Result<Vec<Field>, LayoutError> {
        specs
            .into_iter()
            .map(|s| self.field(s, prefix, proxy_reads, checker))
            .collect()
    }

    fn field(
        &self,
        spanned: Spanned<FieldSpec>,
        prefix: &str,
        proxy_reads: bool,
        checker: &mut Checker,
    ) -> Result<Field, LayoutError> {
        let origin = self.origin(&spanned);
        let spec = spanned.into_inner();
        let path = if prefix.ends_with("[]") || prefix.is_empty() {
            format!("{prefix}.{}", spec.key)
                .trim_start_matches('.')
                .to_owned()
        } else {
            format!("{prefix}.{}", spec.key)
        };
        checker
            .claim_path(&path, &origin)
            .map_err(|m| self.err(&origin, m))?;
        if let Some(env) = &spec.env {
            checker
                .claim_env(env, &origin)
                .map_err(|m| self.err(&origin, m))?;
            if spec.env_parse.is_none() {
                return Err(self.err(
                    &origin,
                    format!("“{path}” names env var “{env}” but no “env_parse”"),
                ));
            }
        }
        let field = build_field(spec, path, origin.clone(), proxy_reads)
            .map_err(|m| self.err(&origin, m))?;
        Ok(field)
    }
}

/// A variant's label names its discriminator value too (`local` is "Local
/// folder" in the backend picker), unless the field labels it itself.
fn label_discriminator(fields: &mut [Field], variants: &Variants) {
    let Some(field) = fields.iter_mut().find(|f| f.key == variants.discriminator) else {
        return;
    };
    for option in &variants.options {
        field
            .value_labels
            .entry(option.value.clone())
            .or_insert_with(|| option.label.clone());
    }
}

/// `proxy_reads`: the field's section is one the proxy reads; only those
/// settings wait for a proxy restart.
fn build_field(
    spec: FieldSpec,
    path: String,
    origin: Origin,
    proxy_reads: bool,
) -> Result<Field, String> {
    let default = match spec.default {
        Some(v) => Some(to_edit_value(&v).map_err(|e| format!("“{path}”: default {e}"))?),
        None => None,
    };
    let field = Field {
        key: spec.key,
        path,
        label: spec.label,
        help: spec.help,
        ty: spec.ty,
        default,
        min: spec.min,
        max: spec.max,
        values: spec.values,
        value_labels: spec.value_labels,
        unit: spec.unit,
        env: spec.env,
        env_parse: spec.env_parse,
        read_by_proxy: spec.read_by_proxy,
        needs_restart: proxy_reads && spec.needs_restart.unwrap_or(true),
        depends_on: spec.depends_on,
        enabled_in: spec.enabled_in,
        unique_group: spec.unique_group,
        required: spec.required,
        empty_means_none: spec.empty_means_none,
        proxy_section: spec.proxy_section,
        widget: spec.widget,
        keys_from: spec.keys_from,
        origin,
    };
    if field.ty == super::FieldType::Enum && field.values.is_empty() {
        return Err(format!("“{}” is an enum but lists no “values”", field.path));
    }
    if let Some(stray) = field
        .value_labels
        .keys()
        .find(|k| !field.values.contains(k))
    {
        return Err(format!(
            "“{}”: “value_labels” names “{stray}”, which is not one of its “values” ({})",
            field.path,
            field.values.join(", ")
        ));
    }
    if let Some(default) = &field.default {
        super::field_check::check_value(&field, default)
            .map_err(|m| format!("“{}”: the default does not fit its type: {m}", field.path))?;
    }
    Ok(field)
}

/// `toml::Value` → `toml_edit::Value` through its TOML text.
fn to_edit_value(v: &toml::Value) -> Result<toml_edit::Value, String> {
    let text = match v {
        toml::Value::String(s) => toml_edit::Value::from(s.as_str()).to_string(),
        other => other.to_string(),
    };
    text.parse::<toml_edit::Value>()
        .map_err(|e| format!("is not a TOML value: {e}"))
}
