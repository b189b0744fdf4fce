//! Connection profiles: which proxy to talk to and how. The GUI keeps them
//! in its app settings (serde); the CLI builds a one-off profile from flags.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::client::{ClientConfig, HttpProxyClient, ProxyError, normalize_base_url};
use super::path_map::PathMap;
use super::restart::RestartRequest;

pub const DEFAULT_BASE_URL: &str = "http://127.0.0.1:8100";
pub const DEFAULT_TIMEOUT_S: f64 = 5.0;
pub const DEFAULT_RESTART_TIMEOUT_S: f64 = 60.0;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConnectionProfile {
    pub name: String,
    #[serde(default = "default_base_url")]
    pub base_url: String,
    /// Name of the env var holding a bearer token; the token is never stored.
    #[serde(default)]
    pub token_env: Option<String>,
    #[serde(default = "default_timeout")]
    pub timeout_s: f64,
    /// Extra CA (PEM) to trust for https proxies with a private CA.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// The proxy's folders on this machine, for file pushes and for reading
    /// its file (`/app/configs` in a container, or its working folder `.`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub path_maps: Vec<PathMap>,
    /// How to restart this proxy, as an argv run without a shell
    /// (`docker restart imageworks-chat-proxy`); empty: no restart from here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub restart_command: Vec<String>,
    /// How long the command and the proxy's return may take.
    #[serde(default = "default_restart_timeout")]
    pub restart_timeout_s: f64,
}

fn default_base_url() -> String {
    DEFAULT_BASE_URL.to_owned()
}

fn default_timeout() -> f64 {
    DEFAULT_TIMEOUT_S
}

fn default_restart_timeout() -> f64 {
    DEFAULT_RESTART_TIMEOUT_S
}

impl ConnectionProfile {
    pub fn new(name: &str, base_url: &str) -> Self {
        Self {
            name: name.to_owned(),
            base_url: base_url.to_owned(),
            token_env: None,
            timeout_s: DEFAULT_TIMEOUT_S,
            ca_file: None,
            path_maps: Vec::new(),
            restart_command: Vec::new(),
            restart_timeout_s: DEFAULT_RESTART_TIMEOUT_S,
        }
    }

    /// How to restart this proxy, after checking the command and timeout;
    /// `None` when the profile has no restart command.
    pub fn restart_request(
        &self,
        interrupt_gpu_job: bool,
    ) -> Option<Result<RestartRequest, ProxyError>> {
        if self.restart_command.is_empty() {
            return None;
        }
        if !(self.restart_timeout_s.is_finite() && self.restart_timeout_s > 0.0) {
            return Some(Err(ProxyError::Client {
                reason: format!(
                    "profile “{}”: restart timeout {} s must be a positive number of seconds",
                    self.name, self.restart_timeout_s
                ),
            }));
        }
        Some(Ok(RestartRequest {
            argv: self.restart_command.clone(),
            timeout: Duration::from_secs_f64(self.restart_timeout_s),
            interrupt_gpu_job,
            unset_env: Vec::new(),
        }))
    }

    /// The client settings, after checking the URL and timeout.
    pub fn client_config(&self) -> Result<ClientConfig, ProxyError> {
        if !(self.timeout_s.is_finite() && self.timeout_s > 0.0) {
            return Err(ProxyError::Client {
                reason: format!(
                    "profile “{}”: timeout {} s must be a positive number of seconds",
                    self.name, self.timeout_s
                ),
            });
        }
        Ok(ClientConfig {
            base_url: normalize_base_url(&self.base_url)?,
            timeout: Duration::from_secs_f64(self.timeout_s),
            token_env: self.token_env.clone().filter(|v| !v.trim().is_empty()),
            ca_file: self.ca_file.clone(),
        })
    }

    pub fn client(&self) -> Result<HttpProxyClient, ProxyError> {
        HttpProxyClient::new(&self.client_config()?)
    }
}

impl Default for ConnectionProfile {
    fn default() -> Self {
        Self::new("local", DEFAULT_BASE_URL)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProfileError {
    #[error("there is no connection profile named “{0}”")]
    NotFound(String),
    #[error("a connection profile named “{0}” already exists; pick another name")]
    Duplicate(String),
    #[error("a profile needs a name")]
    EmptyName,
    #[error("“{0}” is the last profile; add another before removing it")]
    LastOne(String),
}

/// Several profiles, one of them active. Never empty.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Profiles {
    profiles: Vec<ConnectionProfile>,
    active: String,
}

impl Default for Profiles {
    fn default() -> Self {
        let local = ConnectionProfile::default();
        Self {
            active: local.name.clone(),
            profiles: vec![local],
        }
    }
}

impl Profiles {
    /// Just `profile`, active.
    pub fn single(profile: ConnectionProfile) -> Self {
        Self {
            active: profile.name.clone(),
            profiles: vec![profile],
        }
    }

    pub fn all(&self) -> &[ConnectionProfile] {
        &self.profiles
    }

    /// The active profile; a stale `active` name (hand-edited settings) falls back to the first.
    pub fn active(&self) -> &ConnectionProfile {
        self.get(&self.active)
            .or_else(|| self.profiles.first())
            .unwrap_or_else(|| default_profile())
    }

    pub fn get(&self, name: &str) -> Option<&ConnectionProfile> {
        self.profiles.iter().find(|p| p.name == name)
    }

    pub fn add(&mut self, profile: ConnectionProfile) -> Result<(), ProfileError> {
        if profile.name.trim().is_empty() {
            return Err(ProfileError::EmptyName);
        }
        if self.get(&profile.name).is_some() {
            return Err(ProfileError::Duplicate(profile.name));
        }
        self.profiles.push(profile);
        Ok(())
    }

    /// Replace the profile named `name` (it may be renamed).
    pub fn update(&mut self, name: &str, profile: ConnectionProfile) -> Result<(), ProfileError> {
        if profile.name.trim().is_empty() {
            return Err(ProfileError::EmptyName);
        }
        if profile.name != name && self.get(&profile.name).is_some() {
            return Err(ProfileError::Duplicate(profile.name));
        }
        let slot = self
            .profiles
            .iter_mut()
            .find(|p| p.name == name)
            .ok_or_else(|| ProfileError::NotFound(name.to_owned()))?;
        if self.active == name {
            self.active = profile.name.clone();
        }
        *slot = profile;
        Ok(())
    }

    pub fn remove(&mut self, name: &str) -> Result<ConnectionProfile, ProfileError> {
        let index = self
            .profiles
            .iter()
            .position(|p| p.name == name)
            .ok_or_else(|| ProfileError::NotFound(name.to_owned()))?;
        if self.profiles.len() == 1 {
            return Err(ProfileError::LastOne(name.to_owned()));
        }
        let removed = self.profiles.remove(index);
        if self.active == name {
            self.active = self.profiles[0].name.clone();
        }
        Ok(removed)
    }

    pub fn set_active(&mut self, name: &str) -> Result<(), ProfileError> {
        if self.get(name).is_none() {
            return Err(ProfileError::NotFound(name.to_owned()));
        }
        self.active = name.to_owned();
        Ok(())
    }
}

fn default_profile() -> &'static ConnectionProfile {
    static DEFAULT: std::sync::OnceLock<ConnectionProfile> = std::sync::OnceLock::new();
    DEFAULT.get_or_init(ConnectionProfile::default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_keep_one_active_and_round_trip() -> Result<(), Box<dyn std::error::Error>> {
        let mut p = Profiles::default();
        assert_eq!(p.active().base_url, DEFAULT_BASE_URL);
        p.add(ConnectionProfile::new("lab", "https://lab:8100/"))?;
        assert_eq!(
            p.add(ConnectionProfile::new("lab", "x")),
            Err(ProfileError::Duplicate("lab".into()))
        );
        p.set_active("lab")?;
        assert_eq!(p.active().client_config()?.base_url, "https://lab:8100");
        p.remove("lab")?;
        assert_eq!(p.active().name, "local");
        assert_eq!(
            p.remove("local"),
            Err(ProfileError::LastOne("local".into()))
        );
        let json = serde_json::to_string(&p)?;
        assert_eq!(serde_json::from_str::<Profiles>(&json)?, p);
        let minimal: ConnectionProfile = serde_json::from_str(r#"{"name":"x"}"#)?;
        assert_eq!(minimal.timeout_s, DEFAULT_TIMEOUT_S);
        assert!(
            ConnectionProfile::new("bad", "ftp://x")
                .client_config()
                .is_err()
        );
        Ok(())
    }
}
