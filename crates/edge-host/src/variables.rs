//! Spin variables: application variables (defaults in the manifest, overridden by
//! `SPIN_VARIABLE_<NAME>` environment variables or `--var name=value`), and component
//! variables, which are templates over them (`"{{ mail_base_url }}"`).

use std::collections::BTreeMap;

use crate::manifest::{is_variable_name, Manifest};

/// Why the variables do not resolve at start-up.
#[derive(Debug, thiserror::Error)]
pub enum VariableError {
    /// The named `required` variable has no override, environment value or default.
    #[error("the variable {0} is required but has no value; set SPIN_VARIABLE_{upper} or pass --var {0}=…", upper = .0.to_uppercase())]
    Missing(String),
    /// A template (first) refers to a variable (second) that is undeclared or has no value.
    #[error("the template {0:?} refers to the undefined variable {1}")]
    Undefined(String, String),
    /// The template has a `{{` without its `}}`.
    #[error("the template {0:?} is not closed")]
    Unclosed(String),
    /// A `{{ … }}` reference is not a variable name ([`is_variable_name`]).
    #[error("{0:?} is not a valid variable name")]
    InvalidName(String),
    /// An override (`--var`, [`HostConfig::var`](crate::HostConfig::var)) names a variable
    /// the manifest does not declare.
    #[error("an override names {0}, which the manifest does not declare")]
    Undeclared(String),
}

/// Resolved values: application variables and the component's variables.
#[derive(Debug, Clone, Default)]
pub struct Variables {
    application: BTreeMap<String, String>,
    component: BTreeMap<String, String>,
}

impl Variables {
    /// Resolves every variable once at start-up, so a missing required variable stops the
    /// host instead of failing the first request. `overrides` wins over the environment.
    pub fn resolve(
        manifest: &Manifest,
        environment: impl Fn(&str) -> Option<String>,
        overrides: &BTreeMap<String, String>,
    ) -> Result<Variables, VariableError> {
        for name in overrides.keys() {
            if !manifest.variables.contains_key(name) {
                return Err(VariableError::Undeclared(name.clone()));
            }
        }
        let mut application = BTreeMap::new();
        for (name, spec) in &manifest.variables {
            let value = overrides
                .get(name)
                .cloned()
                .or_else(|| environment(&format!("SPIN_VARIABLE_{}", name.to_uppercase())))
                .or_else(|| spec.default.clone());
            match value {
                Some(value) => {
                    application.insert(name.clone(), value);
                }
                None if spec.required => return Err(VariableError::Missing(name.clone())),
                None => {}
            }
        }
        let mut variables = Variables {
            application,
            component: BTreeMap::new(),
        };
        for (name, template) in &manifest.component_variables {
            let value = variables.expand(template)?;
            variables.component.insert(name.clone(), value);
        }
        Ok(variables)
    }

    /// Expands `{{ name }}` references to application variables.
    pub fn expand(&self, template: &str) -> Result<String, VariableError> {
        let mut out = String::new();
        let mut rest = template;
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find("}}")
                .ok_or_else(|| VariableError::Unclosed(template.to_owned()))?;
            let name = after[..end].trim();
            if !is_variable_name(name) {
                return Err(VariableError::InvalidName(name.to_owned()));
            }
            let value = self
                .application
                .get(name)
                .ok_or_else(|| VariableError::Undefined(template.to_owned(), name.to_owned()))?;
            out.push_str(value);
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// What `fermyon:spin/variables.get` answers.
    pub fn component_value(&self, name: &str) -> Option<&str> {
        self.component.get(name).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest::parse(
            r#"
spin_manifest_version = 2
[application]
name = "t"
[variables]
mail_base_url = { required = true }
mail_api = { default = "webhook" }
token = { default = "", secret = true }
[[trigger.http]]
route = "/api/..."
component = "c"
[component.c]
source = "c.wasm"
allowed_outbound_hosts = ["{{ mail_base_url }}"]
[component.c.variables]
mail_base_url = "{{ mail_base_url }}"
mail_api = "{{mail_api}}"
greeting = "api={{ mail_api }}!"
"#,
            PathBuf::new(),
        )
        .unwrap()
    }

    use std::path::PathBuf;

    #[test]
    fn component_variables_are_templates_over_application_variables() {
        let env = |name: &str| {
            (name == "SPIN_VARIABLE_MAIL_BASE_URL").then(|| "http://127.0.0.1:1".to_owned())
        };
        let vars = Variables::resolve(&manifest(), env, &BTreeMap::new()).unwrap();
        assert_eq!(
            vars.component_value("mail_base_url"),
            Some("http://127.0.0.1:1")
        );
        assert_eq!(vars.component_value("greeting"), Some("api=webhook!"));
        assert_eq!(
            vars.component_value("token"),
            None,
            "application variables are not component variables"
        );
    }

    #[test]
    fn overrides_win_over_environment_and_defaults() {
        let env = |name: &str| match name {
            "SPIN_VARIABLE_MAIL_BASE_URL" => Some("http://env".to_owned()),
            "SPIN_VARIABLE_MAIL_API" => Some("graph".to_owned()),
            _ => None,
        };
        let overrides = BTreeMap::from([("mail_base_url".to_owned(), "http://flag".to_owned())]);
        let vars = Variables::resolve(&manifest(), env, &overrides).unwrap();
        assert_eq!(vars.component_value("mail_base_url"), Some("http://flag"));
        assert_eq!(vars.component_value("mail_api"), Some("graph"));
    }

    #[test]
    fn variable_names_follow_spins_rule() {
        for good in ["mail_api", "a", "link_secret_2", "x9"] {
            assert!(is_variable_name(good), "{good}");
        }
        for bad in [
            "",
            "Mail",
            "_mail",
            "9a",
            "mail_",
            "mail__api",
            "mail-api",
            "maïl",
        ] {
            assert!(!is_variable_name(bad), "{bad}");
        }
    }

    #[test]
    fn missing_required_variable_names_its_environment_variable() {
        let error = Variables::resolve(&manifest(), |_| None, &BTreeMap::new()).unwrap_err();
        assert!(
            error.to_string().contains("SPIN_VARIABLE_MAIL_BASE_URL"),
            "{error}"
        );
    }

    #[test]
    fn allowed_outbound_hosts_expand_like_component_variables() {
        let overrides = BTreeMap::from([(
            "mail_base_url".to_owned(),
            "https://graph.microsoft.com".to_owned(),
        )]);
        let vars = Variables::resolve(&manifest(), |_| None, &overrides).unwrap();
        assert_eq!(
            vars.expand("{{ mail_base_url }}").unwrap(),
            "https://graph.microsoft.com"
        );
        assert!(vars.expand("{{ nope }}").is_err());
        assert!(vars.expand("{{ mail_base_url").is_err());
    }

    #[test]
    fn route_with_ellipsis_matches_everything_below_it() {
        let m = manifest();
        assert!(m.route_matches("/api/requests"));
        assert!(m.route_matches("/api"));
        assert!(!m.route_matches("/apix"));
        assert!(!m.route_matches("/mailbox"));
    }
}
