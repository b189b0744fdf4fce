//! A JSON Schema (draft 2020-12) of `chat_proxy.toml`, generated from the
//! layouts, so Taplo / VS Code users get completion and checks.

use serde_json::{Map, Value as Json, json};

use crate::core::layout::{Field, FieldType, LayoutSet, Section, SectionKind};
use crate::core::proxy::json_value::toml_to_json;

pub fn json_schema(layouts: &LayoutSet) -> Json {
    let mut root = object_schema(
        "ImageWorks chat_proxy.toml",
        "Configuration of the ImageWorks chat proxy and the ImageWorks pages, storage and endpoints.",
    );
    for section in layouts.sections() {
        let path: Vec<&str> = section.table_path();
        let slot = slot_for(&mut root, &path);
        fill_section(slot, section);
    }
    root["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
    root
}

fn object_schema(title: &str, description: &str) -> Json {
    json!({"type": "object", "title": title, "description": description, "properties": {}})
}

/// The (possibly new) schema object at a table path. Every node on the way
/// is an object we built, so indexing cannot hit a non-object.
fn slot_for<'a>(root: &'a mut Json, path: &[&str]) -> &'a mut Json {
    let mut node = root;
    for key in path {
        let child = &mut node["properties"][*key];
        if child.is_null() {
            *child = json!({"type": "object", "properties": {}});
        }
        node = child;
    }
    node
}

fn fill_section(slot: &mut Json, section: &Section) {
    let described = json!({"title": section.title, "description": section.help});
    merge(slot, &described);
    match section.kind {
        SectionKind::Table => merge(slot, &fields_object(section.fields.iter(), false)),
        SectionKind::Map => {
            let instance = instance_schema(section);
            let props: Map<String, Json> = section
                .instances
                .iter()
                .map(|i| (i.clone(), instance.clone()))
                .collect();
            merge(slot, &json!({"type": "object", "properties": props}));
        }
        SectionKind::Array => {
            *slot = json!({
                "type": "array",
                "title": section.title,
                "description": section.help,
                "items": fields_object(section.fields.iter(), true),
            });
        }
    }
}

fn instance_schema(section: &Section) -> Json {
    let mut schema = fields_object(section.all_fields(), false);
    if let Some(variants) = &section.variants {
        let rules: Vec<Json> = variants
            .options
            .iter()
            .map(|o| {
                let required: Vec<&str> = o.fields.iter().filter(|f| f.required).map(|f| f.key.as_str()).collect();
                json!({
                    "if": {"properties": {variants.discriminator.clone(): {"const": o.value}}, "required": [variants.discriminator]},
                    "then": {"required": required},
                })
            })
            .collect();
        schema["allOf"] = Json::Array(rules);
    }
    schema
}

fn fields_object<'a>(fields: impl Iterator<Item = &'a Field>, with_required: bool) -> Json {
    let mut props = Map::new();
    let mut required = Vec::new();
    for f in fields {
        if props.contains_key(&f.key) {
            continue;
        }
        if with_required && f.required {
            required.push(json!(f.key));
        }
        props.insert(f.key.clone(), field_schema(f));
    }
    let mut obj = json!({"type": "object", "properties": props});
    if !required.is_empty() {
        obj["required"] = Json::Array(required);
    }
    obj
}

fn field_schema(f: &Field) -> Json {
    let mut s = match f.ty {
        FieldType::Bool => json!({"type": "boolean"}),
        FieldType::Int => json!({"type": "integer"}),
        FieldType::Float => json!({"type": "number"}),
        FieldType::OptionalInt => json!({"anyOf": [{"type": "integer"}, {"const": ""}]}),
        FieldType::String | FieldType::OptionalString | FieldType::Path => {
            json!({"type": "string"})
        }
        FieldType::Url => json!({"type": "string", "format": "uri", "pattern": "^https?://"}),
        FieldType::EnvVar => json!({"type": "string", "pattern": "^([A-Za-z_][A-Za-z0-9_]*)?$"}),
        FieldType::StringList => json!({"type": "array", "items": {"type": "string"}}),
        FieldType::Enum => json!({"type": "string", "enum": f.values}),
        FieldType::Json => json!({}),
    };
    s["title"] = json!(f.label);
    s["description"] = json!(description(f));
    if let Some(d) = f.default.as_ref().map(toml_to_json) {
        s["default"] = d;
    }
    if let Some(min) = f.min {
        s["minimum"] = number(min);
    }
    if let Some(max) = f.max {
        s["maximum"] = number(max);
    }
    s
}

fn description(f: &Field) -> String {
    let mut text = f.help.clone();
    if let Some(unit) = &f.unit {
        text.push_str(&format!(" Unit: {unit}."));
    }
    if let Some(env) = &f.env {
        text.push_str(&format!(" Overridden by the env var {env}."));
    }
    if !f.read_by_proxy {
        text.push_str(" Not read by the proxy from this file.");
    }
    text
}

fn number(n: f64) -> Json {
    if n.fract() == 0.0 && n.abs() < 9e15 {
        json!(n as i64)
    } else {
        json!(n)
    }
}

fn merge(target: &mut Json, extra: &Json) {
    if let (Some(t), Some(e)) = (target.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            match (t.get_mut(k), v) {
                (Some(existing @ Json::Object(_)), Json::Object(_)) => merge(existing, v),
                _ => {
                    t.insert(k.clone(), v.clone());
                }
            }
        }
    }
}
