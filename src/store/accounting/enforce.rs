//! Enforcement the accounting fold queues as records arrive: the Fair
//! Usage speed drop and the quota disconnect when a session's usage
//! crosses them, and kicking the oldest sessions at a plan's
//! simultaneous-use limit. Each is an outbox task in the batch's
//! transaction.

use super::*;

/// Usage that crossed the plan's Fair Usage threshold drops the session's
/// speed by CoA; usage that crossed the quota disconnects it, so that it
/// logs in again into the captive (top-up) state or is refused.
pub(super) fn enforce_usage(t: &mut Tables<'_>, s: &Session, (was, now): (u64, u64)) -> Result<(), StoreError> {
    let Some(id) = s.service else { return Ok(()) };
    if now <= was || !t.tenant_limits(s.tenant)?.any_usage_limit {
        return Ok(());
    }
    let Some(plan) = t.limits_of(s.tenant, id)? else { return Ok(()) };
    let at = s.updated_at;
    // Each crossing is recorded once (the notifier tells the customer).
    let crossed = |limit: u64| was < limit && now >= limit;
    let note = |t: &mut Tables<'_>, action: &str| {
        let rec = record(at, "radius", action, format!("service/{id}"), None, Some(now.to_string()));
        t.audit(s.tenant, &rec)
    };
    if let Some(q) = plan.quota_bytes
        && crossed(q)
    {
        note(t, "service.quota_used")?;
        let kind = TaskKind::Disconnect { session: SessionTarget::of(s), reason: "quota used up".into() };
        return t.enqueue(s.tenant, kind, at);
    }
    if let Some(q) = plan.quota_bytes
        && crossed(q / 5 * 4)
    {
        note(t, "service.quota_80")?;
    }
    if let Some(f) = plan.fup
        && crossed(f.threshold_bytes)
    {
        note(t, "service.fup")?;
        let kind = TaskKind::ChangeRate {
            session: SessionTarget::of(s),
            rate: f.rate.to_string(),
            reason: "fair usage threshold".into(),
        };
        t.enqueue(s.tenant, kind, at)?;
    }
    Ok(())
}

/// A plan that kicks the oldest session at its simultaneous-use limit:
/// disconnect the oldest ones beyond the limit.
pub(super) fn enforce_simultaneous_use(t: &mut Tables<'_>, s: &Session) -> Result<(), StoreError> {
    let Some(id) = s.service else { return Ok(()) };
    if !t.tenant_limits(s.tenant)?.any_kick_oldest {
        return Ok(());
    }
    let Some(plan) = t.limits_of(s.tenant, id)? else { return Ok(()) };
    if !plan.kick_oldest || plan.simultaneous_use == 0 {
        return Ok(());
    }
    let mut online = Vec::new();
    for row in t.by_service.range((s.tenant, id, i64::MIN, 0, "")..(s.tenant, id + 1, i64::MIN, 0, ""))? {
        let (k, _) = row?;
        let (_, _, _, nas, acct) = k.value();
        online.push((nas, acct.to_string()));
    }
    let excess = online.len().saturating_sub(plan.simultaneous_use as usize);
    for (nas, acct) in online.into_iter().take(excess) {
        if nas == s.nas && acct == s.acct_session_id {
            continue;
        }
        let Some(old): Option<Session> = get(&t.active, (s.tenant, nas, acct.as_str()))? else { continue };
        let kind = TaskKind::Disconnect { session: SessionTarget::of(&old), reason: "simultaneous-use limit".into() };
        t.enqueue(s.tenant, kind, s.started_at)?;
    }
    Ok(())
}
