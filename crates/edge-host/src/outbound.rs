//! `allowed_outbound_hosts`, enforced the way Spin does: each entry is
//! `scheme://host[:port]` (no path, no query), where the scheme, host and port may be `*`,
//! a host may be `*.domain`, a port may be a range `a..b` (end excluded, as Spin 4.0.2's
//! `outbound-networking-config` reads it with `Range`), and a missing port means the scheme's
//! default (80/443). `insecure:allow-all` is refused, as Spin refuses it (`*://*:*` allows
//! everything). A request whose
//! scheme, host and port match no entry is refused with `HttpRequestDenied`, before any
//! connection is made.

/// An `allowed_outbound_hosts` entry this host cannot read: a start-up error, as in Spin.
#[derive(Debug, thiserror::Error)]
#[error("allowed_outbound_hosts entry {entry:?} is invalid: {reason}")]
pub struct AllowedHostError {
    /// The entry after variable expansion, trimmed.
    pub entry: String,
    /// What is wrong with it, e.g. `it contains a path`.
    pub reason: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Pattern {
    Any,
    Exact(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Any,
    Exact(String),
    /// `*.example.com`: any subdomain, not the apex.
    Subdomain(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PortPattern {
    Any,
    /// Inclusive: `a..b` in the manifest is stored as `(a, b - 1)`.
    Range(u16, u16),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct AllowedHost {
    scheme: Pattern,
    host: HostPattern,
    port: PortPattern,
}

/// A component's parsed `allowed_outbound_hosts`: the scheme, host and port patterns every
/// outbound request must match. The default (no entries) allows nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedHosts {
    hosts: Vec<AllowedHost>,
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

impl AllowedHosts {
    /// Parses entries whose templates are already expanded. `Err`: the first entry that is
    /// not `scheme://host[:port]`, or `insecure:allow-all` (Spin 4 refuses it).
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<AllowedHosts, AllowedHostError> {
        let mut allowed = AllowedHosts::default();
        for entry in entries {
            let entry = entry.as_ref().trim();
            if entry == "insecure:allow-all" {
                return Err(AllowedHostError {
                    entry: entry.to_owned(),
                    reason: "it is not allowed: use '*://*:*' to allow all outbound traffic",
                });
            }
            allowed.hosts.push(parse_entry(entry)?);
        }
        Ok(allowed)
    }

    /// Whether an outbound request to `scheme://authority` is allowed.
    pub fn allows(&self, scheme: &str, host: &str, port: Option<u16>) -> bool {
        let Some(port) = port.or_else(|| default_port(scheme)) else {
            return false;
        };
        let host = host.to_ascii_lowercase();
        self.hosts.iter().any(|allowed| {
            let scheme_ok = match &allowed.scheme {
                Pattern::Any => true,
                Pattern::Exact(s) => s == scheme,
            };
            let host_ok = match &allowed.host {
                HostPattern::Any => true,
                HostPattern::Exact(h) => *h == host,
                HostPattern::Subdomain(domain) => host
                    .strip_suffix(domain.as_str())
                    .is_some_and(|head| head.ends_with('.') && head.len() > 1),
            };
            let port_ok = match allowed.port {
                PortPattern::Any => true,
                PortPattern::Range(low, high) => (low..=high).contains(&port),
            };
            scheme_ok && host_ok && port_ok
        })
    }
}

fn parse_entry(entry: &str) -> Result<AllowedHost, AllowedHostError> {
    let invalid = |reason| AllowedHostError {
        entry: entry.to_owned(),
        reason,
    };
    let (scheme, rest) = entry
        .split_once("://")
        .ok_or_else(|| invalid("it has no scheme (write e.g. https://host)"))?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains('/') {
        return Err(invalid("it contains a path"));
    }
    if rest.contains('?') {
        return Err(invalid("it contains a query string"));
    }
    let (host, port) = if let Some(bracketed) = rest.strip_prefix('[') {
        let (host, after) = bracketed
            .split_once(']')
            .ok_or_else(|| invalid("an IPv6 address is not closed"))?;
        (host, after.strip_prefix(':'))
    } else {
        match rest.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (rest, None),
        }
    };
    if host.is_empty() {
        return Err(invalid("it has no host"));
    }
    let scheme = if scheme == "*" {
        Pattern::Any
    } else {
        Pattern::Exact(scheme.to_ascii_lowercase())
    };
    let host = if host == "*" {
        HostPattern::Any
    } else if let Some(domain) = host.strip_prefix("*.") {
        HostPattern::Subdomain(domain.to_ascii_lowercase())
    } else {
        HostPattern::Exact(host.to_ascii_lowercase())
    };
    let port = match port {
        Some("*") => PortPattern::Any,
        Some(range) if range.contains("..") => {
            let (low, high) = range.split_once("..").unwrap_or((range, range));
            let low = low
                .parse()
                .map_err(|_| invalid("its port range is not numeric"))?;
            let high: u16 = high
                .parse()
                .map_err(|_| invalid("its port range is not numeric"))?;
            // Spin reads `a..b` as a Rust `Range`: `b` itself is not allowed.
            match high.checked_sub(1) {
                Some(last) => PortPattern::Range(low, last),
                None => PortPattern::Range(1, 0),
            }
        }
        Some(port) => {
            let port: u16 = port
                .parse()
                .map_err(|_| invalid("its port is not a number"))?;
            PortPattern::Range(port, port)
        }
        None => match &scheme {
            Pattern::Exact(s) => {
                let port =
                    default_port(s).ok_or_else(|| invalid("it needs a port for this scheme"))?;
                PortPattern::Range(port, port)
            }
            Pattern::Any => return Err(invalid("a wildcard scheme needs a port")),
        },
    };
    Ok(AllowedHost { scheme, host, port })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_entry_allows_only_its_scheme_host_and_port() {
        let allowed = AllowedHosts::parse(&["http://127.0.0.1:8025"]).unwrap();
        assert!(allowed.allows("http", "127.0.0.1", Some(8025)));
        assert!(!allowed.allows("http", "127.0.0.1", Some(8026)));
        assert!(!allowed.allows("https", "127.0.0.1", Some(8025)));
        assert!(!allowed.allows("http", "localhost", Some(8025)));
    }

    #[test]
    fn missing_port_means_the_scheme_default() {
        let allowed = AllowedHosts::parse(&["https://graph.microsoft.com"]).unwrap();
        assert!(allowed.allows("https", "graph.microsoft.com", None));
        assert!(allowed.allows("https", "graph.microsoft.com", Some(443)));
        assert!(!allowed.allows("https", "graph.microsoft.com", Some(8443)));
    }

    #[test]
    fn subdomain_wildcard_does_not_allow_the_apex_or_lookalikes() {
        let allowed = AllowedHosts::parse(&["https://*.example.com"]).unwrap();
        assert!(allowed.allows("https", "mail.example.com", None));
        assert!(!allowed.allows("https", "example.com", None));
        assert!(!allowed.allows("https", "badexample.com", None));
    }

    #[test]
    fn entries_with_paths_are_rejected_like_spin_does() {
        assert!(AllowedHosts::parse(&["http://127.0.0.1:8080/mailbox"]).is_err());
        assert!(AllowedHosts::parse(&["http://127.0.0.1:8080/"]).is_ok());
    }

    #[test]
    fn empty_list_allows_nothing_and_allow_all_allows_everything() {
        let none = AllowedHosts::parse::<&str>(&[]).unwrap();
        assert!(!none.allows("http", "127.0.0.1", Some(80)));
        assert!(
            AllowedHosts::parse(&["insecure:allow-all"]).is_err(),
            "as Spin 4.0.2"
        );
        let all = AllowedHosts::parse(&["*://*:*"]).unwrap();
        assert!(all.allows("http", "10.0.0.1", Some(1)));
    }

    #[test]
    fn port_ranges_and_wildcards_match() {
        let allowed = AllowedHosts::parse(&["http://localhost:8000..8010", "*://*:9000"]).unwrap();
        assert!(allowed.allows("http", "localhost", Some(8005)));
        assert!(allowed.allows("http", "localhost", Some(8000)));
        assert!(
            !allowed.allows("http", "localhost", Some(8010)),
            "Spin's ranges exclude the end"
        );
        assert!(allowed.allows("https", "anything", Some(9000)));
    }
}
