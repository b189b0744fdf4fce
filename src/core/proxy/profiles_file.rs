//! The profiles file: connection profiles and named fleets in one TOML
//! file in the app's folder, read by the CLI and the GUI alike.
//!
//! ```toml
//! active = "gpu-box"
//!
//! [[profile]]
//! name = "gpu-box"
//! base_url = "http://gpu-box:8100"
//! token_env = "IW_PROXY_TOKEN"
//! restart_command = ["docker", "restart", "imageworks-chat-proxy"]
//! path_maps = [{ proxy = "/app/configs", local = "/mnt/gpu-box/configs" }]
//!
//! [fleets]
//! all = ["gpu-box", "laptop"]
//! ```
//!
//! Every problem names the file and the line:column (or the key) it is at.
//! Saves go through `safe_save` (backup, conflict check).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;
use toml_edit::{Array, InlineTable, Table, Value};

use super::path_map::PathMap;
use super::profiles::{
    ConnectionProfile, DEFAULT_BASE_URL, DEFAULT_RESTART_TIMEOUT_S, DEFAULT_TIMEOUT_S, Profiles,
};
use crate::core::document::{ConfigDocument, DocPath, EditError, values_equal};
use crate::core::layout::{LayoutError, LayoutSet, Target, builtin_layout_sources};
use crate::core::safe_save::{
    Expect, Fingerprint, SaveError, SaveOutcome, read_text, save_atomically,
};

/// The file's name in the app's folder.
pub const PROFILES_FILE: &str = "profiles.toml";

/// Profiles and fleets as read from the file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProfilesFile {
    pub profiles: Vec<ConnectionProfile>,
    /// Fleet name → profile names, in the file's order.
    pub fleets: BTreeMap<String, Vec<String>>,
    /// The GUI's active profile (a name in `profiles`).
    pub active: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ProfilesFileError {
    #[error(transparent)]
    Io(#[from] SaveError),
    #[error("{path}:{line}:{column}: {message}")]
    At {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
    #[error(
        "{path}: there is no fleet named “{name}”; the file has {}",
        if known.is_empty() { "no [fleets]".to_owned() } else { known.join(", ") }
    )]
    NoFleet {
        path: PathBuf,
        name: String,
        known: Vec<String>,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    #[serde(default)]
    active: Option<Spanned<String>>,
    #[serde(default, rename = "profile")]
    profiles: Vec<Spanned<WireProfile>>,
    #[serde(default)]
    fleets: BTreeMap<String, Spanned<Vec<Spanned<String>>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireProfile {
    name: Spanned<String>,
    #[serde(default)]
    base_url: Option<Spanned<String>>,
    #[serde(default)]
    token_env: Option<String>,
    #[serde(default)]
    timeout_s: Option<Spanned<f64>>,
    #[serde(default)]
    ca_file: Option<PathBuf>,
    #[serde(default)]
    path_maps: Vec<PathMap>,
    #[serde(default)]
    restart_command: Vec<String>,
    #[serde(default)]
    restart_timeout_s: Option<Spanned<f64>>,
}

/// 1-based line and column of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

impl ProfilesFile {
    /// Parse and check `text` (the file at `path`, for messages).
    pub fn parse(text: &str, path: &Path) -> Result<Self, ProfilesFileError> {
        let at = |offset: usize, message: String| {
            let (line, column) = line_col(text, offset);
            ProfilesFileError::At {
                path: path.to_path_buf(),
                line,
                column,
                message,
            }
        };
        let wire: Wire = toml::from_str(text).map_err(|e| {
            let message = e.message().trim().to_owned();
            match e.span() {
                Some(span) => at(span.start, message),
                None => ProfilesFileError::File {
                    path: path.to_path_buf(),
                    message,
                },
            }
        })?;
        let mut profiles: Vec<ConnectionProfile> = Vec::new();
        for p in wire.profiles {
            let profile = read_profile(p, &profiles, &at)?;
            profiles.push(profile);
        }
        let mut fleets = BTreeMap::new();
        for (fleet, members) in wire.fleets {
            let span = members.span();
            let members = members.into_inner();
            if members.is_empty() {
                return Err(at(
                    span.start,
                    format!("fleet “{fleet}” is empty; list at least one profile name"),
                ));
            }
            let mut names: Vec<String> = Vec::new();
            for m in members {
                let name = m.get_ref().clone();
                if !profiles.iter().any(|p| p.name == name) {
                    return Err(at(
                        m.span().start,
                        format!(
                            "fleet “{fleet}” names “{name}”, which is no [[profile]] here{}",
                            suggestion(&name, &profiles)
                        ),
                    ));
                }
                if names.contains(&name) {
                    return Err(at(
                        m.span().start,
                        format!("fleet “{fleet}” lists “{name}” twice"),
                    ));
                }
                names.push(name);
            }
            fleets.insert(fleet, names);
        }
        let active = match wire.active {
            Some(a) if !profiles.iter().any(|p| &p.name == a.get_ref()) => {
                return Err(at(
                    a.span().start,
                    format!(
                        "active = “{}” is no [[profile]] here{}",
                        a.get_ref(),
                        suggestion(a.get_ref(), &profiles)
                    ),
                ));
            }
            Some(a) => Some(a.into_inner()),
            None => None,
        };
        Ok(Self {
            profiles,
            fleets,
            active,
        })
    }

    /// Read the file at `path`; a missing file is an empty set of profiles.
    pub fn load(path: &Path) -> Result<Self, ProfilesFileError> {
        Self::load_with_fingerprint(path).map(|(file, _)| file)
    }

    /// As [`ProfilesFile::load`], with the content hash a later save checks
    /// against (`None`: no file yet).
    pub fn load_with_fingerprint(
        path: &Path,
    ) -> Result<(Self, Option<Fingerprint>), ProfilesFileError> {
        if !path.exists() {
            return Ok((Self::default(), None));
        }
        let loaded = read_text(path)?;
        Ok((Self::parse(&loaded.text, path)?, Some(loaded.fingerprint)))
    }

    /// The file with the GUI's profiles (and active one), fleets kept;
    /// fleet members whose profile was renamed or removed are dropped.
    pub fn with_profiles(&self, profiles: &Profiles) -> Self {
        let all = profiles.all().to_vec();
        let fleets = self
            .fleets
            .iter()
            .map(|(name, members)| {
                let kept: Vec<String> = members
                    .iter()
                    .filter(|m| all.iter().any(|p| &p.name == *m))
                    .cloned()
                    .collect();
                (name.clone(), kept)
            })
            .filter(|(_, members)| !members.is_empty())
            .collect();
        Self {
            profiles: all,
            fleets,
            active: Some(profiles.active().name.clone()),
        }
    }

    pub fn get(&self, name: &str) -> Option<&ConnectionProfile> {
        self.profiles.iter().find(|p| p.name == name)
    }

    /// The profiles of fleet `name`, in the fleet's order.
    pub fn fleet(
        &self,
        name: &str,
        path: &Path,
    ) -> Result<Vec<ConnectionProfile>, ProfilesFileError> {
        let members = self
            .fleets
            .get(name)
            .ok_or_else(|| ProfilesFileError::NoFleet {
                path: path.to_path_buf(),
                name: name.to_owned(),
                known: self.fleets.keys().cloned().collect(),
            })?;
        // `parse` checked every member exists.
        Ok(members
            .iter()
            .filter_map(|m| self.get(m))
            .cloned()
            .collect())
    }

    /// The file's text as a new file: a header comment, then the profiles
    /// and fleets.
    pub fn to_text(&self) -> Result<String, ProfilesFileError> {
        self.render_over(None)
    }

    /// The text of `base` (the file as it is on disk; `None` for a new
    /// file) edited to hold these profiles, fleets and active profile. The
    /// edits go through the lossless document core, as `chat_proxy.toml`'s
    /// do, with `ui_layouts/profiles.toml` placing new tables: what an admin
    /// wrote by hand (comments, order, blank lines, spelling) stays, a
    /// changed value changes its line, a new profile goes after the last
    /// one, and a profile that is gone takes its lines with it.
    pub fn render_over(&self, base: Option<&str>) -> Result<String, ProfilesFileError> {
        let fail = |message: String| ProfilesFileError::File {
            path: PathBuf::new(),
            message,
        };
        let layouts = profiles_layouts().map_err(fail)?;
        let mut doc = ConfigDocument::parse(base.unwrap_or(NEW_FILE_HEADER))
            .map_err(|e| fail(format!("line {}:{}: {}", e.line, e.column, e.message)))?;
        let edit = |e: EditError| fail(format!("cannot write the profiles: {e}"));
        let active = self.active.as_deref().map(Value::from);
        set_or_remove(&mut doc, layouts, &DocPath::keys(&["active"]), active).map_err(edit)?;
        sync_profiles(&mut doc, layouts, &self.profiles).map_err(edit)?;
        sync_fleets(&mut doc, layouts, &self.fleets).map_err(edit)?;
        Ok(doc.text())
    }

    /// The GUI's profiles (its settings' shape): every profile, active first
    /// when none is marked; `None` when the file has no profile.
    pub fn to_profiles(&self) -> Option<Profiles> {
        let mut out: Option<Profiles> = None;
        for p in &self.profiles {
            match &mut out {
                None => out = Some(Profiles::single(p.clone())),
                Some(all) => {
                    let _ = all.add(p.clone());
                }
            }
        }
        if let (Some(all), Some(active)) = (&mut out, &self.active) {
            let _ = all.set_active(active);
        }
        out
    }
}

/// One `[[profile]]`, checked (a unique name, a URL and timeouts the client takes).
fn read_profile(
    p: Spanned<WireProfile>,
    profiles: &[ConnectionProfile],
    at: &dyn Fn(usize, String) -> ProfilesFileError,
) -> Result<ConnectionProfile, ProfilesFileError> {
    let start = p.span().start;
    let p = p.into_inner();
    let name = p.name.get_ref().trim().to_owned();
    if name.is_empty() {
        return Err(at(p.name.span().start, "a profile needs a name".to_owned()));
    }
    if profiles.iter().any(|q| q.name == name) {
        return Err(at(
            p.name.span().start,
            format!("a second profile named “{name}”; profile names must be unique"),
        ));
    }
    let profile = ConnectionProfile {
        name: name.clone(),
        base_url: p
            .base_url
            .as_ref()
            .map_or(DEFAULT_BASE_URL.to_owned(), |u| u.get_ref().clone()),
        token_env: p.token_env,
        timeout_s: p
            .timeout_s
            .as_ref()
            .map_or(DEFAULT_TIMEOUT_S, |t| *t.get_ref()),
        ca_file: p.ca_file,
        path_maps: p.path_maps,
        restart_command: p.restart_command,
        restart_timeout_s: p
            .restart_timeout_s
            .as_ref()
            .map_or(DEFAULT_RESTART_TIMEOUT_S, |t| *t.get_ref()),
    };
    // URL and timeouts are checked where they are written.
    if let Err(e) = profile.client_config() {
        let offset = match (&p.base_url, &p.timeout_s) {
            (_, Some(t)) if !(t.get_ref().is_finite() && *t.get_ref() > 0.0) => t.span().start,
            (Some(u), _) => u.span().start,
            _ => start,
        };
        return Err(at(offset, e.to_string()));
    }
    if let Some(Err(e)) = profile.restart_request(false) {
        let offset = p
            .restart_timeout_s
            .as_ref()
            .map_or(start, |t| t.span().start);
        return Err(at(offset, e.to_string()));
    }
    for m in &profile.path_maps {
        if !m.local.is_absolute() {
            return Err(at(
                start,
                format!(
                    "profile “{name}”: path map {}={}: the local side must be an absolute path on this machine",
                    m.proxy,
                    m.local.display()
                ),
            ));
        }
    }
    Ok(profile)
}

fn suggestion(name: &str, profiles: &[ConnectionProfile]) -> String {
    profiles
        .iter()
        .map(|p| (strsim::jaro_winkler(name, &p.name), &p.name))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, n)| format!("; did you mean “{n}”?"))
        .unwrap_or_default()
}

/// What a new profiles file starts with.
const NEW_FILE_HEADER: &str = "# ImageWorks Config Studio: connection profiles and fleets.\n# Read by the app and by “iw-studio --fleet NAME”.\n";

/// `ui_layouts/profiles.toml`: where new tables of the profiles file go.
/// Built in, so parsed once per process rather than on every save.
pub fn profiles_layouts() -> Result<&'static LayoutSet, String> {
    static LAYOUTS: std::sync::OnceLock<Result<LayoutSet, String>> = std::sync::OnceLock::new();
    LAYOUTS
        .get_or_init(|| {
            LayoutSet::from_sources(Target::Profiles, &builtin_layout_sources())
                .map_err(|e: LayoutError| e.to_string())
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// Set `path` to `value`, or remove it when there is none; an unchanged
/// value leaves its bytes alone.
fn set_or_remove(
    doc: &mut ConfigDocument,
    layouts: &LayoutSet,
    path: &DocPath,
    value: Option<Value>,
) -> Result<(), EditError> {
    match value {
        Some(value) => doc.set_value(layouts, path, value).map(|_| ()),
        None => doc.remove(path).map(|_| ()),
    }
}

/// The `[[profile]]` tables: those no longer wanted removed (back to front,
/// so the indexes stay right), each kept one edited field by field, new
/// ones appended.
fn sync_profiles(
    doc: &mut ConfigDocument,
    layouts: &LayoutSet,
    profiles: &[ConnectionProfile],
) -> Result<(), EditError> {
    for (i, name) in profile_names(doc).iter().enumerate().rev() {
        if !profiles.iter().any(|p| &p.name == name) {
            doc.remove_array_entry("profile", i)?;
        }
    }
    for profile in profiles {
        let index = match profile_names(doc).iter().position(|n| *n == profile.name) {
            Some(i) => i,
            None => {
                let mut entry = Table::new();
                entry.insert("name", toml_edit::value(profile.name.as_str()));
                doc.push_array_entry(layouts, "profile", entry)?
            }
        };
        let at = DocPath::keys(&["profile"]).index(index);
        for (key, value, default) in profile_fields(profile) {
            let path = at.child(key);
            let current = doc.get_value(&path).cloned();
            let wanted = match (value, &current) {
                // A default the file does not spell out stays unwritten.
                (Some(v), None) if default.as_ref().is_some_and(|d| same_value(&v, d)) => None,
                (Some(v), Some(c)) if same_value(&v, c) => continue,
                (v, _) => v,
            };
            if wanted.is_none() && current.is_none() {
                continue;
            }
            set_or_remove(doc, layouts, &path, wanted)?;
        }
    }
    Ok(())
}

fn profile_names(doc: &ConfigDocument) -> Vec<String> {
    doc.array("profile").map_or_else(Vec::new, |entries| {
        entries
            .iter()
            .map(|t| {
                let name = t.get("name").and_then(toml_edit::Item::as_str);
                name.unwrap_or_default().trim().to_owned()
            })
            .collect()
    })
}

/// Each field of a profile as the file spells it (`None`: not in the file)
/// and its default, if leaving it out means that default.
fn profile_fields(p: &ConnectionProfile) -> Vec<(&'static str, Option<Value>, Option<Value>)> {
    let strings = |items: &[String]| {
        (!items.is_empty()).then(|| Value::Array(items.iter().map(String::as_str).collect()))
    };
    let maps = (!p.path_maps.is_empty()).then(|| {
        let mut array = Array::new();
        for m in &p.path_maps {
            let mut t = InlineTable::new();
            t.insert("proxy", Value::from(m.proxy.as_str()));
            t.insert("local", Value::from(m.local.display().to_string()));
            array.push(Value::InlineTable(t));
        }
        Value::Array(array)
    });
    vec![
        (
            "base_url",
            Some(Value::from(p.base_url.as_str())),
            Some(Value::from(DEFAULT_BASE_URL)),
        ),
        ("token_env", p.token_env.as_deref().map(Value::from), None),
        (
            "timeout_s",
            Some(Value::from(p.timeout_s)),
            Some(Value::from(DEFAULT_TIMEOUT_S)),
        ),
        (
            "ca_file",
            p.ca_file
                .as_ref()
                .map(|f| Value::from(f.display().to_string())),
            None,
        ),
        ("path_maps", maps, None),
        ("restart_command", strings(&p.restart_command), None),
        (
            "restart_timeout_s",
            Some(Value::from(p.restart_timeout_s)),
            Some(Value::from(DEFAULT_RESTART_TIMEOUT_S)),
        ),
    ]
}

/// Equal values, a whole number written as `10` or `10.0` included.
fn same_value(a: &Value, b: &Value) -> bool {
    let number = |v: &Value| v.as_float().or_else(|| v.as_integer().map(|i| i as f64));
    match (number(a), number(b)) {
        (Some(x), Some(y)) => x == y,
        _ => values_equal(a, b),
    }
}

/// `[fleets]`: each fleet set to its members (unchanged ones untouched),
/// fleets that are gone removed.
fn sync_fleets(
    doc: &mut ConfigDocument,
    layouts: &LayoutSet,
    fleets: &BTreeMap<String, Vec<String>>,
) -> Result<(), EditError> {
    let in_file: Vec<String> = doc
        .table_at(&DocPath::keys(&["fleets"]))
        .map_or_else(Vec::new, |t| t.iter().map(|(k, _)| k.to_owned()).collect());
    for name in in_file.iter().filter(|n| !fleets.contains_key(*n)) {
        doc.remove(&DocPath::keys(&["fleets", name]))?;
    }
    for (name, members) in fleets {
        let path = DocPath::keys(&["fleets", name]);
        let value = Value::Array(members.iter().map(String::as_str).collect());
        doc.set_value(layouts, &path, value)?;
    }
    Ok(())
}

/// Save `file` at `path` through the safe save; `expect` is the usual
/// conflict check (`Expect::Absent` for a new file).
pub fn save(
    path: &Path,
    file: &ProfilesFile,
    expect: Expect,
) -> Result<SaveOutcome, ProfilesFileError> {
    let on_disk = match expect {
        Expect::Absent => None,
        // The conflict check of the save compares this text's file with `expect`.
        Expect::Unchanged(_) | Expect::Anything if path.exists() => Some(read_text(path)?.text),
        Expect::Unchanged(_) | Expect::Anything => None,
    };
    let text = file.render_over(on_disk.as_deref())?;
    // What is written must read back: the same checks as loading.
    ProfilesFile::parse(&text, path)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| ProfilesFileError::File {
            path: path.to_path_buf(),
            message: format!("cannot create its folder {}: {e}", dir.display()),
        })?;
    }
    Ok(save_atomically(path, text.as_bytes(), expect)?)
}

/// Move the GUI settings' profiles into the file, once: only when no file
/// exists at `path`. Returns whether it wrote the file.
pub fn migrate(path: &Path, settings: &Profiles) -> Result<bool, ProfilesFileError> {
    if path.exists() {
        return Ok(false);
    }
    let file = ProfilesFile {
        profiles: settings.all().to_vec(),
        fleets: BTreeMap::new(),
        active: Some(settings.active().name.clone()),
    };
    save(path, &file, Expect::Absent)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    const GOOD: &str = r#"active = "gpu"

[[profile]]
name = "gpu"
base_url = "http://gpu:8100"
restart_command = ["docker", "restart", "p"]
path_maps = [{ proxy = "/app/configs", local = "/mnt/gpu/configs" }]

[[profile]]
name = "laptop"

[fleets]
all = ["gpu", "laptop"]
"#;

    #[test]
    fn a_good_file_reads_and_round_trips() -> TestResult {
        let path = Path::new("/x/profiles.toml");
        let f = ProfilesFile::parse(GOOD, path)?;
        assert_eq!(f.profiles.len(), 2);
        assert_eq!(
            f.get("laptop").map(|p| p.base_url.as_str()),
            Some(DEFAULT_BASE_URL)
        );
        let fleet = f.fleet("all", path)?;
        assert_eq!(fleet[0].path_maps[0].proxy, "/app/configs");
        assert_eq!(ProfilesFile::parse(&f.to_text()?, path)?, f);
        assert_eq!(
            f.to_profiles().map(|p| p.active().name.clone()),
            Some("gpu".into())
        );
        let missing = f.fleet("lab", path).map(|_| ()).unwrap_err().to_string();
        assert!(
            missing.contains("no fleet named “lab”") && missing.contains("all"),
            "{missing}"
        );
        Ok(())
    }

    fn error_of(text: &str) -> String {
        ProfilesFile::parse(text, Path::new("p.toml"))
            .map(|_| ())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn bad_input_names_the_file_and_the_place() {
        let unknown = error_of("[[profile]]\nname = \"a\"\nurl = \"http://x\"\n");
        assert!(
            unknown.starts_with("p.toml:3:1:") && unknown.contains("url"),
            "{unknown}"
        );
        let typo = error_of("[[profile]]\nname = \"gpu\"\n[fleets]\nall = [\"gpu\", \"gpux\"]\n");
        assert!(
            typo.starts_with("p.toml:4:15:") && typo.contains("did you mean “gpu”"),
            "{typo}"
        );
        let dup = error_of("[[profile]]\nname = \"a\"\n[[profile]]\nname = \"a\"\n");
        assert!(
            dup.starts_with("p.toml:4:8:") && dup.contains("unique"),
            "{dup}"
        );
        let url = error_of("[[profile]]\nname = \"a\"\nbase_url = \"ftp://x\"\n");
        assert!(url.starts_with("p.toml:3:12:"), "{url}");
        let timeout = error_of("[[profile]]\nname = \"a\"\ntimeout_s = -1.0\n");
        assert!(
            timeout.starts_with("p.toml:3:13:") && timeout.contains("timeout"),
            "{timeout}"
        );
        let empty = error_of("[[profile]]\nname = \"a\"\n[fleets]\nnone = []\n");
        assert!(
            empty.starts_with("p.toml:4:8:") && empty.contains("empty"),
            "{empty}"
        );
        let active = error_of("active = \"b\"\n[[profile]]\nname = \"a\"\n");
        assert!(active.starts_with("p.toml:1:10:"), "{active}");
    }

    #[test]
    fn migration_writes_once() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("sub").join(PROFILES_FILE);
        let mut settings = Profiles::default();
        settings.add(ConnectionProfile::new("lab", "http://lab:8100"))?;
        assert!(migrate(&path, &settings)?);
        let first = std::fs::read(&path)?;
        let read = ProfilesFile::load(&path)?;
        assert_eq!(read.profiles, settings.all());
        settings.add(ConnectionProfile::new("other", "http://o:8100"))?;
        assert!(!migrate(&path, &settings)?);
        assert_eq!(std::fs::read(&path)?, first);
        assert_eq!(
            ProfilesFile::load(&dir.path().join("none.toml"))?,
            ProfilesFile::default()
        );
        Ok(())
    }

    /// A file written by hand, comments and all.
    const HAND_WRITTEN: &str = r#"# Our proxies. Ask Ana before adding one.
active = "gpu"

[[profile]]
name = "gpu"   # the big box
base_url = "http://gpu:8100"
timeout_s = 10
restart_command = ["docker", "restart", "p"]

# The laptop, for demos.
[[profile]]
name = "laptop"

[fleets]
# Everything that serves.
all = ["gpu", "laptop"]
"#;

    fn changed_lines(before: &str, after: &str) -> Vec<String> {
        similar::TextDiff::from_lines(before, after)
            .iter_all_changes()
            .filter(|c| c.tag() != similar::ChangeTag::Equal)
            .map(|c| format!("{}{}", c.tag(), c.value().trim_end()))
            .collect()
    }

    #[test]
    fn the_profiles_layout_loads() -> TestResult {
        let layouts = profiles_layouts()?;
        assert!(layouts.section_for_table("profile").is_some());
        assert!(layouts.section_for_table("fleets").is_some());
        Ok(())
    }

    #[test]
    fn saves_edit_a_hand_written_file_line_by_line() -> TestResult {
        let path = Path::new("p.toml");
        let file = ProfilesFile::parse(HAND_WRITTEN, path)?;
        // Nothing changed: not one byte, `timeout_s = 10` kept as written.
        assert_eq!(file.render_over(Some(HAND_WRITTEN))?, HAND_WRITTEN);

        // One URL changed: one line.
        let mut profiles = file.to_profiles().ok_or("profiles")?;
        let mut laptop = profiles.get("laptop").ok_or("laptop")?.clone();
        laptop.base_url = "http://laptop:8100".into();
        profiles.update("laptop", laptop)?;
        let after = file
            .with_profiles(&profiles)
            .render_over(Some(HAND_WRITTEN))?;
        assert_eq!(
            changed_lines(HAND_WRITTEN, &after),
            ["+base_url = \"http://laptop:8100\""],
            "{after}"
        );

        // A new profile: its lines added after the last profile, nothing else.
        profiles.add(ConnectionProfile::new("staging", "http://staging:8100"))?;
        let added = file.with_profiles(&profiles).render_over(Some(&after))?;
        let changes = changed_lines(&after, &added);
        assert!(changes.iter().all(|c| c.starts_with('+')), "{changes:?}");
        assert!(
            changes.contains(&"+name = \"staging\"".to_owned()),
            "{changes:?}"
        );
        assert!(added.find("staging").ok_or("staging")? < added.find("[fleets]").ok_or("fleets")?);
        assert_eq!(ProfilesFile::parse(&added, path)?.profiles.len(), 3);

        // A removed profile takes its lines, and leaves its fleets.
        profiles.remove("laptop")?;
        let removed = file.with_profiles(&profiles).render_over(Some(&added))?;
        assert!(!removed.contains("laptop"), "{removed}");
        assert!(removed.contains("# Our proxies. Ask Ana before adding one."));
        assert!(removed.contains("name = \"gpu\"   # the big box"));
        assert!(
            removed.contains("# Everything that serves.\nall = [\"gpu\"]"),
            "{removed}"
        );
        Ok(())
    }
}
