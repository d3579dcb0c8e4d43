//! Message templates: text with `{variable}`s, per event and language, with
//! English and Swahili defaults shipped. Which variables an event offers is
//! fixed here, so an editor's typo (`{expiry_date}`) is a field error when
//! the template is saved, never a literal `{expiry_date}` in a customer's
//! SMS. A `{` that does not start a `{name}` is kept as written.

use std::collections::BTreeMap;

/// What a message is about. Operator alerts go to the tenant's own phone
/// and e-mail, everything else to the customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Event {
    ExpiryReminder,
    Expired,
    PaymentReceived,
    Renewed,
    /// An auto-renewing service the wallet will not cover at expiry.
    LowBalance,
    Suspended,
    /// 80 % of the plan's data used.
    Quota80,
    /// All of it: the session was ended.
    QuotaUsed,
    /// The Fair Usage threshold: the speed dropped.
    FupDrop,
    InvoiceIssued,
    TicketAnswered,
    Broadcast,
    /// Operator: a payment no customer could be matched to.
    UnmatchedPayment,
    /// Operator: the daily message cap was reached.
    CapReached,
    /// Operator: the day's payments, at 20:00 in the tenant's zone.
    DailyRevenue,
    /// Operator: the SMS gateway's credit is running out.
    LowCredit,
    /// Operator: a router stopped answering SNMP (two polls), or came back.
    RouterDown,
    RouterUp,
    /// Operator: a router's threshold or interface alert opened or resolved.
    RouterAlert,
}

pub const EVENTS: [Event; 19] = [
    Event::ExpiryReminder,
    Event::Expired,
    Event::PaymentReceived,
    Event::Renewed,
    Event::LowBalance,
    Event::Suspended,
    Event::Quota80,
    Event::QuotaUsed,
    Event::FupDrop,
    Event::InvoiceIssued,
    Event::TicketAnswered,
    Event::Broadcast,
    Event::UnmatchedPayment,
    Event::CapReached,
    Event::DailyRevenue,
    Event::LowCredit,
    Event::RouterDown,
    Event::RouterUp,
    Event::RouterAlert,
];

pub const LANGUAGES: [&str; 2] = ["en", "sw"];

/// Variables every customer message may use.
const CUSTOMER_VARS: [&str; 8] = ["name", "account", "plan", "expiry", "balance", "paybill", "portal_url", "operator"];

impl Event {
    pub fn as_str(self) -> &'static str {
        match self {
            Event::ExpiryReminder => "expiry_reminder",
            Event::Expired => "expired",
            Event::PaymentReceived => "payment_received",
            Event::Renewed => "renewed",
            Event::LowBalance => "low_balance",
            Event::Suspended => "suspended",
            Event::Quota80 => "quota_80",
            Event::QuotaUsed => "quota_used",
            Event::FupDrop => "fup_drop",
            Event::InvoiceIssued => "invoice_issued",
            Event::TicketAnswered => "ticket_answered",
            Event::Broadcast => "broadcast",
            Event::UnmatchedPayment => "unmatched_payment",
            Event::CapReached => "cap_reached",
            Event::DailyRevenue => "daily_revenue",
            Event::LowCredit => "low_credit",
            Event::RouterDown => "router_down",
            Event::RouterUp => "router_up",
            Event::RouterAlert => "router_alert",
        }
    }

    pub fn parse(s: &str) -> Option<Event> {
        EVENTS.into_iter().find(|e| e.as_str() == s)
    }

    pub fn title(self) -> &'static str {
        match self {
            Event::ExpiryReminder => "Expiry reminder",
            Event::Expired => "Expired",
            Event::PaymentReceived => "Payment received",
            Event::Renewed => "Renewed from the wallet",
            Event::LowBalance => "Wallet too low for the auto-renewal (at the reminder lead times)",
            Event::Suspended => "Suspended",
            Event::Quota80 => "80 % of the data used",
            Event::QuotaUsed => "All the data used",
            Event::FupDrop => "Fair usage: speed reduced",
            Event::InvoiceIssued => "Invoice issued (e-mail with the PDF)",
            Event::TicketAnswered => "Support ticket answered",
            Event::Broadcast => "Broadcast",
            Event::UnmatchedPayment => "Operator: unmatched payment",
            Event::CapReached => "Operator: daily message cap reached",
            Event::DailyRevenue => "Operator: the day's payments (20:00)",
            Event::LowCredit => "Operator: SMS credit running low",
            Event::RouterDown => "Operator: router down",
            Event::RouterUp => "Operator: router back",
            Event::RouterAlert => "Operator: router alert (CPU, temperature, interface)",
        }
    }

    /// Sent to the operator rather than a customer.
    pub fn operator(self) -> bool {
        matches!(
            self,
            Event::UnmatchedPayment
                | Event::CapReached
                | Event::DailyRevenue
                | Event::LowCredit
                | Event::RouterDown
                | Event::RouterUp
                | Event::RouterAlert
        )
    }

    /// Sent only when ticked in the settings (customer events, and the
    /// operator's daily summary); the other operator alerts always go.
    pub fn optional(self) -> bool {
        !self.operator() || self == Event::DailyRevenue
    }

    /// Scheduled rather than answering something the customer did: held
    /// back during the tenant's quiet hours.
    pub fn quiet(self) -> bool {
        matches!(self, Event::ExpiryReminder | Event::LowBalance | Event::Expired | Event::Suspended | Event::Broadcast)
    }

    /// The variables this event's templates may use.
    pub fn variables(self) -> Vec<&'static str> {
        let own: &[&str] = match self {
            Event::ExpiryReminder => &["lead"],
            Event::LowBalance => &["lead", "amount"],
            Event::PaymentReceived => &["amount", "receipt"],
            Event::Renewed => &["amount", "receipt"],
            Event::InvoiceIssued => &["invoice", "amount", "due"],
            Event::TicketAnswered => &["ticket", "message"],
            Event::Quota80 | Event::QuotaUsed => &["used", "quota"],
            Event::FupDrop => &["used", "rate"],
            Event::Broadcast => &["message"],
            Event::UnmatchedPayment => return vec!["amount", "receipt", "phone", "reference", "operator"],
            Event::CapReached => return vec!["cap", "operator"],
            Event::DailyRevenue => return vec!["date", "amount", "count", "operator"],
            Event::LowCredit => return vec!["credit", "gateway", "operator"],
            Event::RouterDown | Event::RouterUp | Event::RouterAlert => return vec!["router", "message", "operator"],
            Event::Expired | Event::Suspended => &[],
        };
        CUSTOMER_VARS.iter().chain(own).copied().collect()
    }
}

/// A template as stored: the subject is used for e-mail only.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Template {
    pub subject: String,
    pub body: String,
}

/// The shipped template of `event` in `lang` (`en` when unknown).
pub fn default(event: Event, lang: &str) -> Template {
    let sw = lang == "sw";
    let (subject, body) = match (event, sw) {
        (Event::ExpiryReminder, false) => (
            "Your {plan} plan expires {lead}",
            "Hello {name}, your {plan} internet expires {lead} ({expiry}). Renew via M-Pesa Paybill {paybill}, account {account}, or {portal_url}. {operator}",
        ),
        (Event::ExpiryReminder, true) => (
            "Kifurushi chako cha {plan} kinaisha {lead}",
            "Habari {name}, intaneti yako ya {plan} inaisha {lead} ({expiry}). Lipia kupitia M-Pesa Paybill {paybill}, akaunti {account}, au {portal_url}. {operator}",
        ),
        (Event::LowBalance, false) => (
            "Top up for your {plan} renewal",
            "Hello {name}, your {plan} internet renews {lead} ({expiry}) for {amount}, but your wallet has {balance}. Top up via M-Pesa Paybill {paybill}, account {account}. {operator}",
        ),
        (Event::LowBalance, true) => (
            "Ongeza salio kwa {plan}",
            "Habari {name}, intaneti yako ya {plan} itasasishwa {lead} ({expiry}) kwa {amount}, lakini pochi yako ina {balance}. Ongeza kupitia M-Pesa Paybill {paybill}, akaunti {account}. {operator}",
        ),
        (Event::Expired, false) => (
            "Your {plan} plan has expired",
            "Hello {name}, your {plan} internet expired on {expiry}. Pay via M-Pesa Paybill {paybill}, account {account}, to reconnect. {operator}",
        ),
        (Event::Expired, true) => (
            "Kifurushi chako cha {plan} kimeisha",
            "Habari {name}, intaneti yako ya {plan} iliisha {expiry}. Lipia kupitia M-Pesa Paybill {paybill}, akaunti {account}, kuunganishwa tena. {operator}",
        ),
        (Event::PaymentReceived, false) => (
            "Payment {receipt} received",
            "Thank you {name}. We received {amount}, receipt {receipt}. Your {plan} internet is active until {expiry}. Balance {balance}. {operator}",
        ),
        (Event::PaymentReceived, true) => (
            "Malipo {receipt} yamepokelewa",
            "Asante {name}. Tumepokea {amount}, risiti {receipt}. Intaneti yako ya {plan} iko hai hadi {expiry}. Salio {balance}. {operator}",
        ),
        (Event::Renewed, false) => (
            "{plan} renewed",
            "Hello {name}, your {plan} internet was renewed from your wallet for {amount} (receipt {receipt}) and is active until {expiry}. Balance {balance}. {operator}",
        ),
        (Event::Renewed, true) => (
            "{plan} imesasishwa",
            "Habari {name}, intaneti yako ya {plan} imesasishwa kutoka kwa pochi yako kwa {amount} (risiti {receipt}) na iko hai hadi {expiry}. Salio {balance}. {operator}",
        ),
        (Event::Suspended, false) => (
            "Your internet is suspended",
            "Hello {name}, your {plan} internet is suspended. Pay via M-Pesa Paybill {paybill}, account {account}, to restore it. {operator}",
        ),
        (Event::Suspended, true) => (
            "Intaneti yako imesimamishwa",
            "Habari {name}, intaneti yako ya {plan} imesimamishwa. Lipia kupitia M-Pesa Paybill {paybill}, akaunti {account}, kuirejesha. {operator}",
        ),
        (Event::Quota80, false) => (
            "80% of your data used",
            "Hello {name}, you have used {used} of the {quota} on your {plan} plan. Top up via M-Pesa Paybill {paybill}, account {account}. {operator}",
        ),
        (Event::Quota80, true) => (
            "Umetumia 80% ya data yako",
            "Habari {name}, umetumia {used} kati ya {quota} za kifurushi chako cha {plan}. Ongeza kupitia M-Pesa Paybill {paybill}, akaunti {account}. {operator}",
        ),
        (Event::QuotaUsed, false) => (
            "Your data is used up",
            "Hello {name}, you have used all {quota} of your {plan} plan. Buy more via M-Pesa Paybill {paybill}, account {account}, or {portal_url}. {operator}",
        ),
        (Event::QuotaUsed, true) => (
            "Data yako imeisha",
            "Habari {name}, umetumia data yote ({quota}) ya kifurushi chako cha {plan}. Nunua zaidi kupitia M-Pesa Paybill {paybill}, akaunti {account}, au {portal_url}. {operator}",
        ),
        (Event::FupDrop, false) => (
            "Fair usage: your speed is now {rate}",
            "Hello {name}, you have used {used} this period, so your {plan} speed is now {rate} until your plan renews on {expiry}. {operator}",
        ),
        (Event::FupDrop, true) => (
            "Matumizi ya haki: kasi yako sasa ni {rate}",
            "Habari {name}, umetumia {used} kipindi hiki, kwa hivyo kasi ya {plan} sasa ni {rate} hadi kifurushi kitakaposasishwa {expiry}. {operator}",
        ),
        (Event::InvoiceIssued, false) => (
            "Invoice {invoice} from {operator}",
            "Hello {name}, invoice {invoice} for {amount} is attached, due {due}. Pay via M-Pesa Paybill {paybill}, account {account}.",
        ),
        (Event::InvoiceIssued, true) => (
            "Ankara {invoice} kutoka {operator}",
            "Habari {name}, ankara {invoice} ya {amount} imeambatishwa, inalipwa kufikia {due}. Lipia kupitia M-Pesa Paybill {paybill}, akaunti {account}.",
        ),
        (Event::TicketAnswered, false) => {
            ("Re: ticket {ticket}", "Hello {name}, {operator} answered ticket {ticket}: {message}")
        }
        (Event::TicketAnswered, true) => {
            ("Jibu: tiketi {ticket}", "Habari {name}, {operator} wamejibu tiketi {ticket}: {message}")
        }
        (Event::Broadcast, _) => ("{operator}", "{message}"),
        (Event::UnmatchedPayment, _) => (
            "Unmatched payment {receipt}",
            "lango: {amount} from {phone} (receipt {receipt}, account {reference}) matches no customer. Assign it under Payments.",
        ),
        (Event::DailyRevenue, _) => {
            ("{operator}: {amount} on {date}", "lango: {operator} received {amount} in {count} payments on {date}.")
        }
        (Event::LowCredit, _) => (
            "SMS credit low: {credit}",
            "lango: {operator}'s SMS credit at {gateway} is down to {credit}. Top it up so customers keep getting their messages.",
        ),
        (Event::RouterDown, _) => ("Router {router} down", "lango: {message}."),
        (Event::RouterUp, _) => ("Router {router} back", "lango: {message}."),
        (Event::RouterAlert, _) => ("Router {router}: alert", "lango: {message}."),
        (Event::CapReached, _) => (
            "Daily message cap reached",
            "lango: the daily cap of {cap} messages for {operator} was reached; further messages are held until you release them.",
        ),
    };
    Template { subject: subject.into(), body: body.into() }
}

/// The `{name}`s in `text`, in order (repeats kept).
fn names(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'{' {
            let mut j = i + 1;
            while j < b.len() && (b[j].is_ascii_lowercase() || b[j] == b'_' || b[j].is_ascii_digit()) {
                j += 1;
            }
            if j < b.len() && b[j] == b'}' && j > i + 1 {
                out.push((i, j + 1));
                i = j + 1;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// The variables `text` uses that `event` does not offer.
pub fn unknown(event: Event, text: &str) -> Vec<String> {
    let known = event.variables();
    let mut bad: Vec<String> = Vec::new();
    for (a, b) in names(text) {
        let n = &text[a + 1..b - 1];
        if !known.contains(&n) && !bad.iter().any(|x| x == n) {
            bad.push(n.to_string());
        }
    }
    bad
}

/// `text` with each known `{name}` replaced; a variable with no value
/// becomes empty, and runs of spaces left behind are closed up.
pub fn render(text: &str, vars: &BTreeMap<&str, String>) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    let mut at = 0;
    for (a, b) in names(text) {
        out.push_str(&text[at..a]);
        if let Some(v) = vars.get(&text[a + 1..b - 1]) {
            out.push_str(v);
        }
        at = b;
    }
    out.push_str(&text[at..]);
    let mut tidy = String::with_capacity(out.len());
    for w in out.split(' ').filter(|w| !w.is_empty()) {
        if !tidy.is_empty() {
            tidy.push(' ');
        }
        tidy.push_str(w);
    }
    if out.contains('\n') { out.trim().to_string() } else { tidy }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_uses_only_its_variables() {
        for e in EVENTS {
            for l in LANGUAGES {
                let t = default(e, l);
                assert_eq!(unknown(e, &t.body), Vec::<String>::new(), "{e:?} {l}");
                assert_eq!(unknown(e, &t.subject), Vec::<String>::new(), "{e:?} {l}");
            }
        }
    }

    #[test]
    fn unknown_variables_are_named_once() {
        let bad = unknown(Event::ExpiryReminder, "Hi {name}, {expiry_date} {expiry_date} {lead} {Name} {}");
        assert_eq!(bad, vec!["expiry_date".to_string()]);
        assert_eq!(unknown(Event::Expired, "{lead}"), vec!["lead".to_string()]);
    }

    #[test]
    fn render_fills_and_keeps_other_braces() {
        let mut v = BTreeMap::new();
        v.insert("name", "Amina".to_string());
        v.insert("plan", "Home 10M".to_string());
        assert_eq!(render("Hi {name}, {plan} {x} {not closed", &v), "Hi Amina, Home 10M {not closed");
        assert_eq!(render("{name}{name}", &v), "AminaAmina");
    }

    #[test]
    fn events_round_trip() {
        for e in EVENTS {
            assert_eq!(Event::parse(e.as_str()), Some(e));
        }
        assert_eq!(Event::parse("nope"), None);
    }
}
