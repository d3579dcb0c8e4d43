//! Provisioning against a live router: read every menu lango writes to,
//! diff with the desired configuration (`provision.rs`), and apply the
//! changes one by one. A failure stops at once and reports what was
//! already applied, so nothing half-done goes unreported.

use std::collections::BTreeMap;
use std::fmt;

use super::provision::{self, Change, Desired};
use super::{Cmd, Router, RouterError};

/// What a provisioning run found (and, unless a dry run, applied).
#[derive(Debug)]
pub struct Report {
    pub router: String,
    pub changes: Vec<Change>,
    pub applied: bool,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "router {}", self.router)?;
        if self.changes.is_empty() {
            return writeln!(f, "no changes: the router already matches");
        }
        for c in &self.changes {
            writeln!(f, "  {c}")?;
        }
        match self.applied {
            true => writeln!(f, "{} change(s) applied", self.changes.len()),
            false => writeln!(f, "dry run: {} change(s) would be applied; nothing was changed", self.changes.len()),
        }
    }
}

/// The changes that went through before a failure.
#[derive(Debug)]
pub struct Applied(pub Vec<Change>);

/// Provisioning stopped: where, why, and what had been applied.
#[derive(Debug)]
pub struct ProvisionError {
    pub error: RouterError,
    pub applied: Applied,
    pub pending: usize,
}

impl fmt::Display for ProvisionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.error)?;
        if self.applied.0.is_empty() {
            write!(f, "nothing was applied")?;
        } else {
            writeln!(f, "applied before the failure ({}):", self.applied.0.len())?;
            for c in &self.applied.0 {
                writeln!(f, "  {c}")?;
            }
            write!(f, "not applied: {} change(s), the failed one included", self.pending)?;
        }
        Ok(())
    }
}

impl std::error::Error for ProvisionError {}

/// Read the router's state in every menu lango writes to.
pub async fn current(router: &Router) -> Result<BTreeMap<String, Vec<super::Row>>, RouterError> {
    let mut out = BTreeMap::new();
    for menu in provision::MENUS {
        out.insert(menu.to_string(), router.run(&Cmd::new(menu, "print")).await?);
    }
    Ok(out)
}

/// Diff `desired` against the router and, unless `dry_run`, apply it.
pub async fn provision(router: &Router, desired: &[Desired], dry_run: bool) -> Result<Report, ProvisionError> {
    let fail = |error, applied: Vec<Change>, pending| ProvisionError { error, applied: Applied(applied), pending };
    let state = current(router).await.map_err(|e| fail(e, vec![], 0))?;
    let changes = provision::diff(desired, &state);
    if !dry_run {
        for (i, change) in changes.iter().enumerate() {
            if let Err(e) = router.run(&change.cmd()).await {
                return Err(fail(e, changes[..i].to_vec(), changes.len() - i));
            }
            tracing::info!(router = %router.label, change = %change, "router changed");
        }
    }
    Ok(Report { router: router.label.clone(), changes, applied: !dry_run })
}
