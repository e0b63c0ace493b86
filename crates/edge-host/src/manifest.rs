//! The parts of a Spin application manifest (`spin.toml`, version 2) this host honours:
//! application variables, the HTTP trigger's route, and the component's source, variables,
//! key-value stores and allowed outbound hosts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Why the manifest cannot be served (a start-up error).
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The file could not be read.
    #[error("could not read the manifest {path}: {source}")]
    Read {
        /// The manifest path as given.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Not TOML in this shape, not version 2, not exactly one `[[trigger.http]]`, a trigger
    /// naming an undefined component, or an invalid variable name; the text says which.
    #[error("the manifest is not valid: {0}")]
    Invalid(String),
}

#[derive(Debug, Clone, Deserialize)]
struct RawManifest {
    spin_manifest_version: u32,
    #[serde(default)]
    variables: BTreeMap<String, VariableSpec>,
    #[serde(default)]
    trigger: RawTriggers,
    #[serde(default)]
    component: BTreeMap<String, RawComponent>,
}

#[derive(Debug, Clone, Default, Deserialize)]
struct RawTriggers {
    #[serde(default)]
    http: Vec<RawHttpTrigger>,
}

#[derive(Debug, Clone, Deserialize)]
struct RawHttpTrigger {
    route: String,
    component: String,
}

#[derive(Debug, Clone, Deserialize)]
struct RawComponent {
    source: toml::Value,
    #[serde(default)]
    variables: BTreeMap<String, String>,
    #[serde(default)]
    key_value_stores: Vec<String>,
    #[serde(default)]
    allowed_outbound_hosts: Vec<String>,
}

/// An application variable: `{ default = "…" }`, `{ required = true }`, optionally secret.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariableSpec {
    /// The value when neither `--var` nor `SPIN_VARIABLE_<NAME>` gives one.
    pub default: Option<String>,
    /// Start-up fails when no value is given
    /// ([`VariableError::Missing`](crate::variables::VariableError::Missing)).
    #[serde(default)]
    pub required: bool,
    /// Marked secret; read but not acted on by this host.
    #[serde(default)]
    pub secret: bool,
    /// Free text for people; not used by this host.
    pub description: Option<String>,
}

/// The one HTTP component this host serves.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The manifest's directory (empty for a bare file name); `source` is relative to it.
    pub dir: PathBuf,
    /// The application variables (`[variables]`), by name.
    pub variables: BTreeMap<String, VariableSpec>,
    /// The HTTP trigger's route as written, e.g. `/api/...` (a trailing `/...` matches every
    /// path below its prefix).
    pub route: String,
    /// The component the trigger names, e.g. `rsos-edge`.
    pub component_id: String,
    /// The local `source` path, relative to the manifest's directory, if it is a file.
    pub source: Option<PathBuf>,
    /// `[component.<id>.variables]`: name → template over application variables, e.g.
    /// `"{{ mail_base_url }}"`.
    pub component_variables: BTreeMap<String, String>,
    /// The store labels the component is granted, e.g. `["default"]`.
    pub key_value_stores: Vec<String>,
    /// The component's `allowed_outbound_hosts` as written, templates unexpanded.
    pub allowed_outbound_hosts: Vec<String>,
}

impl Manifest {
    /// Reads and parses the manifest at `path`, with its directory as [`Manifest::dir`].
    /// `Err`: [`ManifestError::Read`], or [`ManifestError::Invalid`] as [`Manifest::parse`].
    pub fn load(path: &Path) -> Result<Manifest, ManifestError> {
        let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Read {
            path: path.to_owned(),
            source,
        })?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Manifest::parse(&text, dir)
    }

    /// Parses manifest text: `spin_manifest_version = 2`, exactly one `[[trigger.http]]` and
    /// the component it names. `Err`: [`ManifestError::Invalid`].
    pub fn parse(text: &str, dir: PathBuf) -> Result<Manifest, ManifestError> {
        let raw: RawManifest =
            toml::from_str(text).map_err(|e| ManifestError::Invalid(e.to_string()))?;
        if raw.spin_manifest_version != 2 {
            return Err(ManifestError::Invalid(
                "only spin_manifest_version = 2 is supported".into(),
            ));
        }
        let [trigger] = raw.trigger.http.as_slice() else {
            return Err(ManifestError::Invalid(
                "exactly one [[trigger.http]] is supported".into(),
            ));
        };
        let component = raw.component.get(&trigger.component).ok_or_else(|| {
            ManifestError::Invalid(format!(
                "the trigger names component {:?}, which is not defined",
                trigger.component
            ))
        })?;
        for name in raw.variables.keys().chain(component.variables.keys()) {
            if !is_variable_name(name) {
                return Err(ManifestError::Invalid(format!(
                    "{name:?} is not a valid variable name (lowercase letters, digits and _)"
                )));
            }
        }
        let source = component.source.as_str().map(PathBuf::from);
        Ok(Manifest {
            dir,
            variables: raw.variables,
            route: trigger.route.clone(),
            component_id: trigger.component.clone(),
            source,
            component_variables: component.variables.clone(),
            key_value_stores: component.key_value_stores.clone(),
            allowed_outbound_hosts: component.allowed_outbound_hosts.clone(),
        })
    }

    /// Whether a request path falls under the trigger's route (`/api/...` is a prefix route).
    pub fn route_matches(&self, path: &str) -> bool {
        match self.route.strip_suffix("/...") {
            Some(prefix) => path == prefix || path.starts_with(&format!("{prefix}/")),
            None => path == self.route,
        }
    }
}

/// Spin's rule (`spin-expressions` 4.0.2, `Key::validate`): lowercase ASCII letters, digits
/// and underscores, starting with a letter, ending with a letter or digit, never two
/// underscores in a row (so every name maps to one `SPIN_VARIABLE_…` environment variable).
pub fn is_variable_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && !name.contains("__")
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}
