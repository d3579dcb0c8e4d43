//! The network and customers reports (see `reports.rs` for the
//! definitions): traffic by day, router, plan and user with each router's
//! RADIUS counts and state; customers joining, churning and coming back,
//! paid-up services by plan and cohort retention.

use std::collections::HashMap;

use super::OpError;
use super::report_view::*;
use super::reports::{Buckets, Ctx, by_dim, pct};
use crate::model::Id;
use crate::store::reports::{AggRow, CHURN_DAYS, Metric, day_label, month_label, month_start, next_month};

impl Ctx<'_> {
    pub(super) fn network(&self, r: &mut Report) -> Result<(), OpError> {
        let b = Buckets::of(self.period);
        let (bin, bout) = (self.agg(Metric::BytesIn)?, self.agg(Metric::BytesOut)?);
        let starts = self.agg(Metric::SessionsStarted)?;
        let peaks = self.agg(Metric::SessionsPeak)?;
        let n = b.starts.len();
        let (mut up, mut down, mut started, mut peak) = (vec![0i64; n], vec![0i64; n], vec![0i64; n], vec![0i64; n]);
        for row in &bin {
            up[b.index(row.day)] += row.value;
        }
        for row in &bout {
            down[b.index(row.day)] += row.value;
        }
        for row in &starts {
            started[b.index(row.day)] += row.value;
        }
        for row in &peaks {
            let i = b.index(row.day);
            peak[i] = peak[i].max(row.value);
        }
        let labels = b.labels(self.period.by_month());
        r.chart = Some(Chart {
            title: "Traffic".into(),
            unit: Unit::Bytes,
            labels: labels.clone(),
            series: vec![
                Series { name: "download".into(), values: down.iter().map(|&v| v as f64).collect() },
                Series { name: "upload".into(), values: up.iter().map(|&v| v as f64).collect() },
            ],
        });
        let total = |v: &[i64]| v.iter().sum::<i64>();
        r.summary = vec![
            ("Download".into(), Cell::Bytes(total(&down) as u64)),
            ("Upload".into(), Cell::Bytes(total(&up) as u64)),
            ("Sessions started".into(), Cell::Count(total(&started))),
            ("Most sessions online at once".into(), Cell::Count(peak.iter().copied().max().unwrap_or(0))),
        ];
        let mut per = Table {
            title: "Traffic and sessions per ".to_string() + if self.period.by_month() { "month" } else { "day" },
            headers: ["Date", "Download", "Upload", "Sessions started", "Peak online"].map(String::from).to_vec(),
            ..Default::default()
        };
        for i in 0..n {
            per.rows.push(vec![
                Cell::Text(labels[i].clone()),
                Cell::Bytes(down[i] as u64),
                Cell::Bytes(up[i] as u64),
                Cell::Count(started[i]),
                Cell::Count(peak[i]),
            ]);
        }
        let routers = self.router_names()?;
        let health: HashMap<Id, crate::model::RouterHealth> =
            self.store.router_health(self.t.id)?.into_iter().collect();
        let (rin, rout, rstart) = (by_dim(&bin), by_dim(&bout), by_dim(&starts));
        let radius = [Metric::RadiusAccepts, Metric::RadiusRejects, Metric::RadiusAcct, Metric::RadiusDropped]
            .map(|m| self.agg(m).map(|rows| by_dim(&rows)));
        let [accepts, rejects, acct, dropped] = radius;
        let (accepts, rejects, acct, dropped) = (accepts?, rejects?, acct?, dropped?);
        let mut by_router = Table {
            title: "By router (traffic, RADIUS, state)".into(),
            headers: [
                "Router",
                "Download",
                "Upload",
                "Sessions started",
                "Accepts",
                "Rejects",
                "Accounting",
                "Dropped",
                "State now",
                "CPU now",
            ]
            .map(String::from)
            .to_vec(),
            ..Default::default()
        };
        let mut ids: Vec<u64> = routers.keys().copied().chain(rin.keys().copied()).collect();
        ids.sort_unstable();
        ids.dedup();
        for id in ids {
            let h = health.get(&id);
            by_router.rows.push(vec![
                Cell::Text(routers.get(&id).cloned().unwrap_or_else(|| format!("router {id} (deleted)"))),
                Cell::Bytes(rout.get(&id).copied().unwrap_or(0) as u64),
                Cell::Bytes(rin.get(&id).copied().unwrap_or(0) as u64),
                Cell::Count(rstart.get(&id).copied().unwrap_or(0)),
                Cell::Count(accepts.get(&id).copied().unwrap_or(0)),
                Cell::Count(rejects.get(&id).copied().unwrap_or(0)),
                Cell::Count(acct.get(&id).copied().unwrap_or(0)),
                Cell::Count(dropped.get(&id).copied().unwrap_or(0)),
                Cell::text(crate::model::RouterHealth::state(h.is_some(), h)),
                h.and_then(|h| h.cpu).map_or(Cell::Empty, |c| Cell::Percent(f64::from(c))),
            ]);
        }
        let plans = self.plan_names()?;
        let (pin, pout) = (by_dim(&self.agg(Metric::PlanBytesIn)?), by_dim(&self.agg(Metric::PlanBytesOut)?));
        let mut by_plan = Table {
            title: "By plan".into(),
            headers: ["Plan", "Download", "Upload"].map(String::from).to_vec(),
            ..Default::default()
        };
        let mut plan_ids: Vec<u64> = pin.keys().chain(pout.keys()).copied().collect();
        plan_ids.sort_unstable();
        plan_ids.dedup();
        for id in plan_ids {
            by_plan.rows.push(vec![
                Cell::Text(plans.get(&id).cloned().unwrap_or_else(|| format!("plan {id} (deleted)"))),
                Cell::Bytes(pout.get(&id).copied().unwrap_or(0) as u64),
                Cell::Bytes(pin.get(&id).copied().unwrap_or(0) as u64),
            ]);
        }
        r.tables.extend([per, by_router, by_plan, self.top_users()?]);
        r.notes.push("Top users count whole months: the months the period touches.".into());
        Ok(())
    }

    fn top_users(&self) -> Result<Table, OpError> {
        let mut usage = self.store.usage_by_service(self.t.id, month_start(self.period.from), self.period.to)?;
        if self.scope.0 != 0 {
            let mine = self.store.reseller_services(self.t.id, self.scope.0)?;
            usage.retain(|id, _| mine.contains(id));
        }
        let mut ranked: Vec<(Id, (u64, u64))> = usage.into_iter().collect();
        ranked.sort_by_key(|&(id, (i, o))| (std::cmp::Reverse(i.saturating_add(o)), id));
        let keep = if self.limit == usize::MAX { ranked.len() } else { 20 };
        let mut t = Table {
            title: "Top users".into(),
            headers: ["Login", "Customer", "Download", "Upload", "Total"].map(String::from).to_vec(),
            more: ranked.len().saturating_sub(keep),
            ..Default::default()
        };
        for (id, (i, o)) in ranked.into_iter().take(keep) {
            let (login, customer) = match self.store.service(self.t.id, id)? {
                Some(s) => (s.username, format!("customer {}", s.customer)),
                None => (format!("service {id} (deleted)"), String::new()),
            };
            t.rows.push(vec![
                Cell::Text(login),
                Cell::Text(customer),
                Cell::Bytes(o),
                Cell::Bytes(i),
                Cell::Bytes(i.saturating_add(o)),
            ]);
        }
        Ok(t)
    }

    pub(super) fn customers(&self, r: &mut Report) -> Result<(), OpError> {
        let from = month_start(self.period.from);
        let b = Buckets::months(self.period);
        let months = &b.starts;
        let idx = |day: i32| b.index(day);
        let count = |metric: Metric| -> Result<Vec<i64>, OpError> {
            let mut v = vec![0i64; months.len()];
            for row in self.agg_between(metric, from, self.period.to)? {
                v[idx(row.day)] += row.value;
            }
            Ok(v)
        };
        let new = count(Metric::CustomersNew)?;
        let new_services = count(Metric::ServicesNew)?;
        let expired = count(Metric::Expired)?;
        let rescued = count(Metric::Rescued)?;
        let reactivated = count(Metric::Reactivated)?;
        let mut table = Table {
            title: "Customers per month".into(),
            headers: ["Month", "New customers", "New services", "Expired", "Renewed in time", "Churned", "Reactivated"]
                .map(String::from)
                .to_vec(),
            ..Default::default()
        };
        let mut churned = vec![0i64; months.len()];
        for (i, &m) in months.iter().enumerate() {
            // Final once CHURN_DAYS have passed since the month's end.
            let settled = i64::from(self.today) >= i64::from(next_month(m)) + CHURN_DAYS;
            churned[i] = expired[i] - rescued[i];
            table.rows.push(vec![
                Cell::Text(month_label(m)),
                Cell::Count(new[i]),
                Cell::Count(new_services[i]),
                Cell::Count(expired[i]),
                Cell::Count(rescued[i]),
                if settled { Cell::Count(churned[i]) } else { Cell::Text(format!("{} so far", churned[i])) },
                Cell::Count(reactivated[i]),
            ]);
        }
        let total = |v: &[i64]| Cell::Count(v.iter().sum());
        table.total = Some(vec![
            Cell::text("Total"),
            total(&new),
            total(&new_services),
            total(&expired),
            total(&rescued),
            total(&churned),
            total(&reactivated),
        ]);
        r.summary = vec![
            ("New customers".into(), Cell::Count(new.iter().sum())),
            ("Churned".into(), Cell::Count(churned.iter().sum())),
            ("Reactivated".into(), Cell::Count(reactivated.iter().sum())),
        ];
        r.chart = Some(Chart {
            title: "New, churned and reactivated".into(),
            unit: Unit::Count,
            labels: months.iter().map(|&m| month_label(m)).collect(),
            series: vec![
                Series { name: "new".into(), values: new.iter().map(|&v| v as f64).collect() },
                Series { name: "churned".into(), values: churned.iter().map(|&v| v as f64).collect() },
                Series { name: "reactivated".into(), values: reactivated.iter().map(|&v| v as f64).collect() },
            ],
        });
        // Plan distribution: the last snapshot in the period.
        let active = self.agg(Metric::ActiveServices)?;
        let last = active.iter().map(|r| r.day).max();
        let plans = self.plan_names()?;
        let mut dist = Table {
            title: format!(
                "Paid-up services by plan{}",
                last.map_or(String::new(), |d| format!(" on {}", day_label(d)))
            ),
            headers: ["Plan", "Services", "Share"].map(String::from).to_vec(),
            ..Default::default()
        };
        let on_last: Vec<&AggRow> = active.iter().filter(|r| Some(r.day) == last).collect();
        let all: i64 = on_last.iter().map(|r| r.value).sum();
        for row in on_last {
            let name = plans.get(&row.dim).cloned().unwrap_or_else(|| format!("plan {} (deleted)", row.dim));
            dist.rows.push(vec![Cell::Text(name), Cell::Count(row.value), pct(row.value, all)]);
        }
        dist.total = Some(vec![Cell::text("Total"), Cell::Count(all), Cell::Empty]);
        // Cohorts: customers who paid in each month since they joined.
        let cohort_rows = self.agg_between(Metric::CohortActive, from, i32::MAX)?;
        let mut cohorts = Table {
            title: "Cohort retention: share of each month's new customers paying N months later".into(),
            headers: std::iter::once("Joined".to_string())
                .chain(std::iter::once("Customers".to_string()))
                .chain((0..12).map(|k| format!("M{k}")))
                .collect(),
            ..Default::default()
        };
        let mut active_by: HashMap<(i32, i32), i64> = HashMap::new();
        for row in &cohort_rows {
            *active_by.entry((row.dim as i32, row.day)).or_default() += row.value;
        }
        for (i, &cm) in months.iter().enumerate() {
            let size = new[i];
            let mut row = vec![Cell::Text(month_label(cm)), Cell::Count(size)];
            let mut m = cm;
            for _ in 0..12 {
                if m > self.today {
                    row.push(Cell::Empty);
                } else {
                    row.push(pct(active_by.get(&(cm, m)).copied().unwrap_or(0), size));
                }
                m = next_month(m);
            }
            cohorts.rows.push(row);
        }
        r.tables.extend([table, dist, cohorts]);
        r.notes.push(format!(
            "Churned: a service not renewed within {CHURN_DAYS} days of its expiry, counted in the month it expired; \"so far\" until those days have passed."
        ));
        Ok(())
    }
}
