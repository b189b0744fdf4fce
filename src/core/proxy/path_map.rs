//! Where the proxy's config file is on this machine. The proxy reports
//! `config_file_path` as it knows it: relative to its own working folder
//! (`configs/chat_proxy.toml`, its default) or a path inside its container
//! (`/app/configs/chat_proxy.toml`). Neither is a path here until a mapping
//! says so; a relative path is never resolved against the studio's own
//! working folder.

use std::path::{Component, Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One folder as the proxy sees it and as this machine sees it:
/// `/app/configs` ↔ `/home/me/imageworks/configs`. `.` stands for the
/// proxy's working folder, the base of every relative path it reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathMap {
    pub proxy: String,
    pub local: PathBuf,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PathMapError {
    #[error("path map “{0}” must be PROXY=LOCAL, e.g. /app/configs=/home/me/imageworks/configs")]
    Syntax(String),
    #[error(
        "path map “{0}”: the local side must be an absolute path on this machine (a relative one would depend on where the studio runs)"
    )]
    LocalNotAbsolute(String),
    #[error(
        "the proxy reports its config file as “{path}”, relative to the proxy's own working folder, which this machine cannot know; add a path map from the proxy's folder to this machine's (CLI: --path-map {hint}=/path/on/this/machine, GUI: \"Path maps\" in the connection profile)"
    )]
    Unmapped { path: String, hint: String },
    #[error("the proxy reported no config_file_path")]
    Empty,
    #[error(
        "the proxy's config_file_path “{0}” leaves its folder through “..”; refusing to map it"
    )]
    Escapes(String),
}

impl FromStr for PathMap {
    type Err = PathMapError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let (proxy, local) = raw
            .split_once('=')
            .filter(|(p, l)| !p.trim().is_empty() && !l.trim().is_empty())
            .ok_or_else(|| PathMapError::Syntax(raw.to_owned()))?;
        let local = PathBuf::from(local.trim());
        if !local.is_absolute() {
            return Err(PathMapError::LocalNotAbsolute(raw.to_owned()));
        }
        Ok(Self {
            proxy: proxy.trim().to_owned(),
            local,
        })
    }
}

impl std::fmt::Display for PathMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={}", self.proxy, self.local.display())
    }
}

/// How the proxy's path became a path here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "via", rename_all = "snake_case")]
pub enum LocalPath {
    /// Through a path map.
    Mapped { path: PathBuf, map: String },
    /// An absolute path taken as is: the studio runs beside the proxy.
    SameMachine { path: PathBuf },
}

impl LocalPath {
    pub fn path(&self) -> &Path {
        match self {
            Self::Mapped { path, .. } | Self::SameMachine { path } => path,
        }
    }
}

/// The proxy's `config_file_path` on this machine. The longest matching
/// map wins; an absolute path no map covers is taken as is; a relative one
/// no map covers is an error that names the setting to add.
pub fn resolve(reported: &str, maps: &[PathMap]) -> Result<LocalPath, PathMapError> {
    if reported.trim().is_empty() {
        return Err(PathMapError::Empty);
    }
    let reported_path = Path::new(reported);
    let best = maps
        .iter()
        .filter_map(|m| remainder(reported_path, &m.proxy).map(|rest| (m, rest)))
        .max_by_key(|(m, _)| significant(Path::new(&m.proxy)).count());
    if let Some((map, rest)) = best {
        if rest.components().any(|c| c == Component::ParentDir) {
            return Err(PathMapError::Escapes(reported.to_owned()));
        }
        return Ok(LocalPath::Mapped {
            path: map.local.join(rest),
            map: map.to_string(),
        });
    }
    if reported_path.is_absolute() {
        return Ok(LocalPath::SameMachine {
            path: reported_path.to_path_buf(),
        });
    }
    Err(PathMapError::Unmapped {
        path: reported.to_owned(),
        hint: significant(reported_path)
            .next()
            .filter(|_| significant(reported_path).count() > 1)
            .map_or_else(
                || ".".to_owned(),
                |c| c.as_os_str().to_string_lossy().into_owned(),
            ),
    })
}

/// Components that name something (`./` and a trailing `/` do not).
fn significant(path: &Path) -> impl Iterator<Item = Component<'_>> {
    path.components().filter(|c| *c != Component::CurDir)
}

/// `reported` below the map's proxy folder: what is left after it. A
/// relative map matches only relative paths, an absolute one only absolute.
fn remainder(reported: &Path, proxy_side: &str) -> Option<PathBuf> {
    let prefix = Path::new(proxy_side);
    if prefix.is_absolute() != reported.is_absolute() {
        return None;
    }
    let mut rest = significant(reported);
    for part in significant(prefix) {
        if rest.next() != Some(part) {
            return None;
        }
    }
    let rest: PathBuf = rest.collect();
    (!rest.as_os_str().is_empty()).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(raw: &str) -> PathMap {
        raw.parse().unwrap()
    }

    #[test]
    fn a_container_path_maps_to_the_volume_here() {
        let got = resolve(
            "/app/configs/chat_proxy.toml",
            &[map("/app/configs=/home/me/imageworks/configs")],
        )
        .unwrap();
        assert_eq!(
            got.path(),
            Path::new("/home/me/imageworks/configs/chat_proxy.toml")
        );
        assert!(matches!(got, LocalPath::Mapped { .. }));
    }

    #[test]
    fn a_relative_path_needs_a_map_and_never_uses_the_studios_folder() {
        let err = resolve("configs/chat_proxy.toml", &[]).unwrap_err();
        assert!(err.to_string().contains("--path-map configs="), "{err}");
        assert!(err.to_string().contains("Path maps"), "{err}");
        let err = resolve("chat_proxy.toml", &[]).unwrap_err();
        assert!(err.to_string().contains("--path-map ."), "{err}");
        let here = resolve("./configs/chat_proxy.toml", &[map(".=/srv/iw")]).unwrap();
        assert_eq!(here.path(), Path::new("/srv/iw/configs/chat_proxy.toml"));
        let by_folder = resolve("configs/chat_proxy.toml", &[map("configs=/srv/iw/c")]).unwrap();
        assert_eq!(by_folder.path(), Path::new("/srv/iw/c/chat_proxy.toml"));
    }

    #[test]
    fn the_longest_map_wins_and_absolute_unmapped_paths_stay() {
        let maps = [map("/app=/srv/app"), map("/app/configs=/etc/iw")];
        let got = resolve("/app/configs/chat_proxy.toml", &maps).unwrap();
        assert_eq!(got.path(), Path::new("/etc/iw/chat_proxy.toml"));
        let same = resolve("/etc/other.toml", &maps).unwrap();
        assert_eq!(
            same,
            LocalPath::SameMachine {
                path: PathBuf::from("/etc/other.toml")
            }
        );
        // A prefix must match whole components.
        let other = resolve("/application/x.toml", &maps).unwrap();
        assert!(matches!(other, LocalPath::SameMachine { .. }));
    }

    #[test]
    fn bad_maps_and_escapes_are_refused() {
        assert!(matches!(
            "nope".parse::<PathMap>(),
            Err(PathMapError::Syntax(_))
        ));
        assert!(matches!(
            "/app=relative/dir".parse::<PathMap>(),
            Err(PathMapError::LocalNotAbsolute(_))
        ));
        assert!(matches!(
            resolve("/app/../etc/passwd", &[map("/app=/srv/app")]),
            Err(PathMapError::Escapes(_))
        ));
        assert_eq!(resolve("  ", &[]), Err(PathMapError::Empty));
    }
}
