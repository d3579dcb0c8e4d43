//! A live service's plan changed (an edit outside a renewal, or a renewal
//! onto another plan): the grant each online session had and the one it
//! gets now go through the CoA planner (`policy::coa_plan`), and its answer
//! is queued in the same transaction — nothing, a CoA-Request with the
//! changes (rate, timeout, added list, Filter-Id), or a Disconnect when a
//! CoA cannot apply them (profile, routing mark, address, pool, quota...).

use redb::{ReadableTable, WriteTransaction};

use super::outbox::{SessionTarget, TaskKind, enqueue};
use super::tables::*;
use super::{StoreError, get};
use crate::clock::Clock;
use crate::model::*;
use crate::policy::coa_plan::{self, Step};
use crate::policy::{self, RequestKind};

/// One side of the change: the service, its plan and its usage.
pub(crate) struct Side<'a> {
    pub service: &'a Service,
    pub plan: &'a Plan,
    pub usage: &'a Usage,
}

/// The online sessions of `service`, as the outbox names them.
pub(crate) fn online_targets(
    tx: &WriteTransaction,
    tenant: TenantId,
    service: Id,
) -> Result<Vec<SessionTarget>, StoreError> {
    let online = super::portal::online_of(
        &tx.open_table(SESSIONS_BY_SERVICE)?,
        &tx.open_table(SESSIONS_ACTIVE)?,
        tenant,
        service,
    )?;
    Ok(online.iter().map(SessionTarget::of).collect())
}

/// The service's usage this period, as the fold keeps it.
pub(crate) fn usage_of(tx: &WriteTransaction, tenant: TenantId, service: Id) -> Result<Usage, StoreError> {
    Ok(get(&tx.open_table(USAGE)?, (tenant, service))?.unwrap_or_default())
}

/// What the planner says for `old` → `new` at `now` (the tenant's local
/// time for access windows). Sessions are judged as the only one online:
/// a simultaneous-use limit is enforced at the next login, not here.
pub(crate) fn step(
    tx: &WriteTransaction,
    tenant: TenantId,
    old: &Side<'_>,
    new: &Side<'_>,
    now: UnixTime,
) -> Result<Step, StoreError> {
    let t: Tenant =
        get(&tx.open_table(TENANTS)?, tenant)?.ok_or_else(|| StoreError::NotFound(format!("tenant {tenant}")))?;
    let (local_weekday, local_minute) = Clock::local_weekday_minute_in(now, &Clock::zone(&t.timezone));
    let decide = |s: &Side<'_>| {
        policy::evaluate(&policy::Input {
            tenant: &t,
            service: s.service,
            plan: s.plan,
            usage: s.usage,
            online: 0,
            kind: RequestKind::Unknown,
            device: None,
            now,
            local_weekday,
            local_minute,
        })
    };
    Ok(coa_plan::plan(&decide(old), &decide(new)))
}

/// Queue, for every online session of the service, what the planner says
/// `old` → `new` needs. Returns how many sessions got a task.
pub(crate) fn replan_sessions(
    tx: &WriteTransaction,
    tenant: TenantId,
    old: &Side<'_>,
    new: &Side<'_>,
    reason: &str,
    now: UnixTime,
) -> Result<usize, StoreError> {
    let targets = online_targets(tx, tenant, new.service.id)?;
    if targets.is_empty() {
        return Ok(0);
    }
    let step = step(tx, tenant, old, new, now)?;
    for session in &targets {
        let kind = match &step {
            Step::Nothing => return Ok(0),
            Step::Coa(changes) => {
                TaskKind::Change { session: session.clone(), changes: changes.clone(), reason: reason.to_string() }
            }
            Step::Disconnect(why) => {
                TaskKind::Disconnect { session: session.clone(), reason: format!("{reason}: {why}") }
            }
        };
        enqueue(tx, tenant, kind, now)?;
    }
    Ok(targets.len())
}

/// After a service edit (`before` → `after`, same usage): a new MAC or
/// login name ends the sessions (they were let in under the old one);
/// otherwise the planner decides from the two plans and addresses.
pub(crate) fn after_edit(
    tx: &WriteTransaction,
    before: &Service,
    after: &Service,
    reason: &str,
    now: UnixTime,
) -> Result<usize, StoreError> {
    let tenant = after.tenant;
    if before.mac != after.mac || before.username != after.username {
        return super::billing::reconnect_sessions(tx, tenant, after.id, reason, now);
    }
    let plans = tx.open_table(PLANS)?;
    let (Some(old_plan), Some(new_plan)) =
        (get::<_, Plan>(&plans, (tenant, before.plan))?, get::<_, Plan>(&plans, (tenant, after.plan))?)
    else {
        drop(plans);
        return super::billing::reconnect_sessions(tx, tenant, after.id, reason, now);
    };
    drop(plans);
    let usage = usage_of(tx, tenant, after.id)?;
    let old = Side { service: before, plan: &old_plan, usage: &usage };
    let new = Side { service: after, plan: &new_plan, usage: &usage };
    replan_sessions(tx, tenant, &old, &new, reason, now)
}

/// After a plan edit (`before` → `after`): every online session of a
/// service on the plan gets what the planner says (a CoA for a new speed,
/// a Disconnect for a new profile or routing mark, nothing for a price).
/// Taking a plan off sale changes nothing for those already on it. Reads
/// the online sessions' index, not every service. Returns how many
/// sessions got a task.
pub(crate) fn after_plan_edit(
    tx: &WriteTransaction,
    before: &Plan,
    after: &Plan,
    now: UnixTime,
) -> Result<usize, StoreError> {
    let tenant = after.tenant;
    let mut online: Vec<Id> = Vec::new();
    for row in
        tx.open_table(SESSIONS_BY_SERVICE)?.range((tenant, 0, i64::MIN, 0, "")..(tenant + 1, 0, i64::MIN, 0, ""))?
    {
        let id = row?.0.value().1;
        if online.last() != Some(&id) {
            online.push(id);
        }
    }
    let services = tx.open_table(SERVICES)?;
    let mut on_plan = Vec::new();
    for id in online {
        if let Some(s) = get::<_, Service>(&services, (tenant, id))?
            && s.plan == after.id
        {
            on_plan.push(s);
        }
    }
    drop(services);
    // Off sale or not, a plan keeps the sessions already on it: both sides
    // are judged as on sale.
    let before = Plan { disabled: false, ..before.clone() };
    let after = Plan { disabled: false, ..after.clone() };
    if before == after {
        return Ok(0);
    }
    let mut n = 0;
    for s in &on_plan {
        let usage = usage_of(tx, tenant, s.id)?;
        let old = Side { service: s, plan: &before, usage: &usage };
        let new = Side { service: s, plan: &after, usage: &usage };
        n += replan_sessions(tx, tenant, &old, &new, &format!("plan {} edited", after.name), now)?;
    }
    Ok(n)
}
