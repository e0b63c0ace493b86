//! A ruleset's policy in plain words (SPEC §6), for help texts and documentation that must
//! say what the ruleset in use does rather than what the built-in one did.
//!
//! Output layer: depends on the ruleset.

use std::fmt::Write as _;

use crate::model::ObservedRule;
use crate::ruleset::Ruleset;

impl Ruleset {
    /// Which days count: `Business days are Monday to Friday in America/New_York, except
    /// 11 holidays (New Year's Day, …); a holiday on a Saturday is observed …`.
    pub fn business_days_description(&self) -> String {
        let holidays = &self.service().deferred.holidays;
        let names: Vec<&str> = self.holiday_names().collect();
        let mut text = format!(
            "Business days are Monday to Friday in {}",
            self.time_zone().name()
        );
        match names.len() {
            0 => {}
            1 => {
                let _ = write!(text, ", except {}", names[0]);
            }
            n => {
                let _ = write!(text, ", except {n} holidays ({})", names.join(", "));
            }
        }
        let extra = match (holidays.add.len(), holidays.remove.len()) {
            (0, 0) => String::new(),
            (added, 0) => format!(" and {added} added date(s)"),
            (0, removed) => format!(", less {removed} removed date(s)"),
            (added, removed) => {
                format!(" and {added} added date(s), less {removed} removed date(s)")
            }
        };
        text.push_str(&extra);
        if holidays.observed == ObservedRule::Federal && !names.is_empty() {
            text.push_str(
                "; a holiday on a Saturday is observed the Friday before, on a Sunday the Monday after",
            );
        }
        text.push('.');
        text
    }

    /// The cadence: `The first answer is due 3 business days after receipt, then an update
    /// every 5 business days.`, and any peak season's other targets.
    pub fn service_level_description(&self) -> String {
        let sla = self.sla();
        let mut text = format!(
            "The first answer is due {} business days after receipt, then an update every {} business days.",
            sla.respond_business_days, sla.follow_up_business_days
        );
        for season in &self.service().seasons {
            let _ = write!(
                text,
                " {} ({:02}-{:02} to {:02}-{:02}): {} and {} business days.",
                season.name,
                season.from.0,
                season.from.1,
                season.to.0,
                season.to.1,
                season.targets.respond_business_days,
                season.targets.follow_up_business_days
            );
        }
        text
    }
}
