//! `rsos`: the RSOS intake rules on the command line, for the mailbox team and for scripted
//! checks. A thin shell over `rsos-rules`: it reads files, parses arguments and prints; every
//! decision comes from the rules crate, so its answers equal the form's and the server's.

use std::borrow::Cow;
use std::ffi::OsString;
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use rsos_rules::{
    assess, dispatch, emails, rfc3339, tracking_id, BusinessClock, Links, Outcome, Request,
    Ruleset, Stamp,
};

/// Check Agent Retail Service Ops. Support requests the way the form and the server do.
///
/// A request is one JSON object with the fields agents fill in: line_of_business, topic,
/// agent_name, agent_san, agent_email, member_id, member_first_name, member_last_name,
/// reference_number, summary, confirm_single_line_of_business.
#[derive(Parser)]
#[command(name = "rsos", version, about, long_about)]
struct Cli {
    /// Use this ruleset file (TOML) instead of the built-in one. `rsos ruleset` prints the
    /// built-in one as a starting point.
    #[arg(long, global = true, value_name = "FILE")]
    ruleset: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Judge one request and print its verdict as JSON.
    ///
    /// Exit status: 0 = it would be forwarded, 1 = it needs changes, 3 = it is out of scope
    /// (the verdict says where it goes instead), 2 = the input is not a request.
    Check {
        /// The request file; `-` or nothing reads standard input.
        file: Option<PathBuf>,
    },
    /// Print when a request received at a given time must be answered and followed up.
    ///
    /// (The long help is made from the ruleset in use: see `policy_help`.)
    Sla {
        /// When the request was received, RFC 3339, e.g. 2027-03-17T10:00:00-04:00 or
        /// 2027-03-17T14:00:00Z. Any offset is accepted and converted.
        #[arg(long, value_name = "TIME")]
        received: String,
        /// How many follow-ups to list.
        #[arg(long, value_name = "K", default_value_t = 3)]
        follow_ups: u32,
    },
    /// Print the emails the server would send for a request, as JSON.
    ///
    /// Without --received, the tracking ID and the times are fixed placeholders.
    Render {
        /// The request file; `-` or nothing reads standard input.
        file: Option<PathBuf>,
        /// Pretend the request was received at this time (RFC 3339).
        #[arg(long, value_name = "TIME")]
        received: Option<String>,
        /// The mailbox address requests are forwarded to (default: the ruleset's).
        #[arg(long, value_name = "ADDRESS")]
        mailbox: Option<String>,
    },
    /// Print the built-in ruleset (TOML), to copy and edit for --ruleset.
    Ruleset,
}

/// The most follow-ups `rsos sla` lists: a year of five-business-day updates.
const MAX_FOLLOW_UPS: u32 = 52;

fn main() -> ExitCode {
    let help_ruleset = ruleset_for_help(std::env::args_os().collect());
    let matches = policy_help(Cli::command(), &help_ruleset).get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(sentence) => {
            eprintln!("rsos: {sentence}");
            ExitCode::from(2)
        }
    }
}

/// The ruleset whose policy the help describes: the one `--ruleset` names when it loads, else
/// the built-in one (a file that does not load is reported when the command runs). Read only
/// when help is asked for, and never from standard input, which the command may need.
fn ruleset_for_help(args: Vec<OsString>) -> Cow<'static, Ruleset> {
    let wants_help = args
        .iter()
        .any(|a| a == "-h" || a == "--help" || a == "help");
    let path = args
        .iter()
        .enumerate()
        .filter(|_| wants_help)
        .find_map(|(i, arg)| {
            let arg = arg.to_str()?;
            match arg.strip_prefix("--ruleset") {
                Some("") => args.get(i + 1).map(PathBuf::from),
                Some(rest) => rest.strip_prefix('=').map(PathBuf::from),
                None => None,
            }
        });
    path.filter(|p| p.as_os_str() != "-")
        .and_then(|p| read_text(Some(&p)).ok())
        .and_then(|text| Ruleset::from_toml(&text).ok())
        .map_or(Cow::Borrowed(Ruleset::builtin()), Cow::Owned)
}

/// The help's policy facts (zone, holidays, cadence) from the ruleset, not from literals.
fn policy_help(command: clap::Command, ruleset: &Ruleset) -> clap::Command {
    let sla = format!(
        "Print when a request received at a given time must be answered and followed up.\n\n{} {} Times are printed in {}.",
        ruleset.business_days_description(),
        ruleset.service_level_description(),
        ruleset.time_zone().name(),
    );
    let follow_ups = format!(
        "How many follow-ups to list (one every {} business days)",
        ruleset.sla().follow_up_business_days
    );
    command.mut_subcommand("sla", |c| {
        c.long_about(sla)
            .mut_arg("follow_ups", |a| a.help(follow_ups))
    })
}

fn run(cli: Cli) -> Result<u8, String> {
    let custom;
    let ruleset: &Ruleset = match &cli.ruleset {
        Some(path) => {
            let text = read_text(Some(path))?;
            custom = Ruleset::from_toml(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            &custom
        }
        None => Ruleset::builtin(),
    };
    match cli.command {
        Command::Check { file } => {
            let request = read_request(file.as_ref())?;
            let verdict = assess(&request, ruleset).verdict;
            println!("{}", verdict.to_json());
            Ok(match verdict.outcome {
                Outcome::Forward => 0,
                Outcome::NeedsChanges => 1,
                Outcome::OutOfScope => 3,
            })
        }
        Command::Sla {
            received,
            follow_ups,
        } => {
            if follow_ups > MAX_FOLLOW_UPS {
                return Err(format!(
                    "--follow-ups must be at most {MAX_FOLLOW_UPS} (a year of updates)."
                ));
            }
            let received = parse_time(&received)?;
            let times = BusinessClock::new(ruleset).service_times(received, follow_ups);
            let out = serde_json::json!({
                "received": rfc3339(&times.received),
                "respond_by": rfc3339(&times.respond_by),
                "follow_ups": times.follow_ups.iter().map(rfc3339).collect::<Vec<_>>(),
            });
            println!("{out}");
            Ok(0)
        }
        Command::Render {
            file,
            received,
            mailbox,
        } => {
            let bytes = read_bytes(file.as_ref())?;
            let request = Request::from_json(&bytes).map_err(|e| e.to_string())?;
            let assessment = assess(&request, ruleset);
            let mailbox = mailbox.as_deref().unwrap_or(ruleset.mailbox());
            let list = match received {
                Some(text) => {
                    let received = parse_time(&text)?;
                    // Derived from the input so the same file always renders the same ID.
                    let id = tracking_id(received, fnv1a(&bytes));
                    dispatch(
                        &assessment,
                        ruleset,
                        mailbox,
                        &id,
                        received,
                        &Links::default(),
                    )
                    .emails
                }
                None => emails(&assessment, ruleset, mailbox, &Stamp::placeholders()),
            };
            let json = serde_json::to_string_pretty(&list)
                .map_err(|e| format!("could not print the emails: {e}"))?;
            println!("{json}");
            Ok(0)
        }
        Command::Ruleset => {
            print!("{}", rsos_rules::DEFAULT_RULESET_TOML);
            Ok(0)
        }
    }
}

fn read_request(file: Option<&PathBuf>) -> Result<Request, String> {
    let bytes = read_bytes(file)?;
    Request::from_json(&bytes).map_err(|e| e.to_string())
}

fn read_bytes(file: Option<&PathBuf>) -> Result<Vec<u8>, String> {
    match file {
        Some(path) if path.as_os_str() != "-" => std::fs::read(path)
            .map_err(|e| format!("cannot read {}: {}", path.display(), plain_io_error(&e))),
        _ => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .map_err(|e| format!("cannot read standard input: {}", plain_io_error(&e)))?;
            Ok(bytes)
        }
    }
}

fn read_text(file: Option<&PathBuf>) -> Result<String, String> {
    let bytes = read_bytes(file)?;
    String::from_utf8(bytes).map_err(|_| "the ruleset file is not UTF-8 text.".to_string())
}

fn plain_io_error(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            format!(
                "`{}` is not an RFC 3339 time; write it like 2027-03-17T10:00:00-04:00",
                text.chars().take(40).collect::<String>()
            )
        })
}

/// FNV-1a: a stable hash for deriving a repeatable tracking ID from the input.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
