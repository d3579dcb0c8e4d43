//! Moving in from daloRADIUS, PHPNuxBill or a CSV file, as `lango import`
//! and the admin import page do it: read the file with the importer of
//! its kind, check the set against the database, and import it only when
//! no line has a problem, in one transaction (audited by the store as
//! `import`, with counts only). A check-only run reports and writes
//! nothing. Passwords from the file go into the store and nowhere else:
//! the report carries counts, problems and notes, never a row's password.

use super::OpError;
use crate::import::{self, Problem};
use crate::model::{TenantId, UnixTime};
use crate::store::Store;

/// Largest file the admin page takes (a daloRADIUS dump of ~50,000
/// users is about this size; the command line reads any size).
pub const MAX_UPLOAD: usize = 16 * 1024 * 1024;

/// Which system the file comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Daloradius,
    Phpnuxbill,
    Csv,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Daloradius, Kind::Phpnuxbill, Kind::Csv];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Daloradius => "daloradius",
            Kind::Phpnuxbill => "phpnuxbill",
            Kind::Csv => "csv",
        }
    }

    /// `daloradius`, `phpnuxbill` or `csv`; a field error on `kind` else.
    pub fn parse(kind: &str) -> Result<Kind, OpError> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == kind.trim())
            .ok_or_else(|| OpError::field("kind", "choose daloradius, phpnuxbill or csv"))
    }
}

/// What one run found and did.
#[derive(Clone, Debug)]
pub struct Report {
    pub kind: Kind,
    /// The tenant's slug.
    pub tenant: String,
    pub dry_run: bool,
    /// Whether anything was written (false for a check-only run and for
    /// a refused file).
    pub imported: bool,
    /// Imported: new plans only (a plan the tenant has is used as it
    /// is). Otherwise: the plans the file names.
    pub plans: usize,
    pub customers: usize,
    pub services: usize,
    /// Lines that stop the import, in line order (the file's own and
    /// clashes with the database).
    pub problems: Vec<Problem>,
    /// Lines read with a change the operator should know about.
    pub warnings: Vec<Problem>,
}

/// Read `file` as `kind`, check it against `tenant`'s data, and import it
/// unless `dry_run` or a line has a problem.
pub fn run(
    store: &Store,
    now: UnixTime,
    actor: &str,
    tenant: TenantId,
    kind: &str,
    file: &[u8],
    dry_run: bool,
) -> Result<Report, OpError> {
    run_with_progress(store, now, actor, tenant, kind, file, dry_run, &mut |_, _| {})
}

/// `run`, calling `progress(customers written, customers in all)` while
/// it writes (the command line's progress bar). Still one transaction.
#[allow(clippy::too_many_arguments)]
pub fn run_with_progress(
    store: &Store,
    now: UnixTime,
    actor: &str,
    tenant: TenantId,
    kind: &str,
    file: &[u8],
    dry_run: bool,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Report, OpError> {
    let kind = Kind::parse(kind)?;
    let text = std::str::from_utf8(file).map_err(|e| {
        let at = e.valid_up_to();
        let line = file[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        OpError::field(
            "file",
            format!("line {line}: not UTF-8 text (dump it with --default-character-set=utf8mb4, or save it as UTF-8)"),
        )
    })?;
    let t = store.tenant(tenant)?;
    let read = match kind {
        Kind::Daloradius => import::daloradius::read(text, &t.timezone),
        Kind::Phpnuxbill => import::phpnuxbill::read(text, &t.timezone, now),
        Kind::Csv => import::csv::read(text, &t.timezone),
    };
    let mut problems = read.problems;
    problems.extend(store.check_import(t.id, &read.set)?);
    problems.sort_by_key(|p| p.line);
    let mut report = Report {
        kind,
        tenant: t.slug,
        dry_run,
        imported: false,
        plans: read.set.plans.len(),
        customers: read.set.customers.len(),
        services: read.set.customers.iter().map(|c| c.services.len()).sum(),
        problems,
        warnings: read.warnings,
    };
    if dry_run || !report.problems.is_empty() {
        return Ok(report);
    }
    let done = store.import_with_progress(actor, now, t.id, read.set, progress)?;
    report.imported = true;
    (report.plans, report.customers, report.services) = (done.plans, done.customers, done.services);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_name() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()).unwrap(), k);
        }
        let e = Kind::parse("radiusdesk").unwrap_err();
        assert_eq!(e.about().map(|(f, _)| f), Some("kind"));
        assert!(Kind::parse("").is_err());
    }

    #[test]
    fn a_check_writes_nothing_a_clean_file_is_imported_once_and_clashes_name_their_line() {
        let store = Store::in_memory().unwrap();
        let t = crate::ops::tenants::new_tenant("t", None, "Africa/Nairobi", "KES", false);
        let t = store.create_tenant("test", 0, t).unwrap();
        let run = |file: &[u8], dry| run(&store, 0, "test", t.id, "csv", file, dry);

        let no_plan = run(b"name,username,password,plan\nMary,mary,mary-pass,Home\n", true).unwrap();
        assert_eq!(no_plan.problems[0].to_string(), "line 2: mary: no plan \"Home\"");

        let plan = crate::import::ImportSet { plans: vec![crate::import::plan_named("Home")], customers: vec![] };
        store.import("test", 0, t.id, plan).unwrap();
        let csv = b"name,phone,username,password,plan,type\nMary,0712999001,mary,mary-pass,Home,pppoe\n";
        let checked = run(csv, true).unwrap();
        assert!(!checked.imported && checked.problems.is_empty(), "{checked:?}");
        assert_eq!((checked.customers, checked.services), (1, 1));
        let done = run(csv, false).unwrap();
        assert!(done.imported && done.problems.is_empty(), "{done:?}");
        assert_eq!((done.plans, done.customers, done.services), (0, 1, 1), "the plan existed");
        let again = run(csv, false).unwrap();
        assert!(!again.imported);
        assert_eq!(again.problems[0].to_string(), "line 2: username \"mary\" is taken");
        assert!(!format!("{again:?}{done:?}").contains("mary-pass"), "no password in a report");

        let e = run(b"name\n\xff\xfe", true).unwrap_err();
        assert_eq!(e.about().map(|(f, m)| (f, m.starts_with("line 2: not UTF-8"))), Some(("file", true)));
    }
}
