//! A tenant's chart of accounts as the accounting journal export names it:
//! the six accounts lango's money moves through (code and name each, as
//! the accountant's ledger spells them), the Odoo journal the entries go
//! to and the Xero tax rate their lines carry. Plain data and its PURE
//! checks, with their table tests.

use serde::{Deserialize, Serialize};

/// The accounts a period journal posts to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountRole {
    /// Revenue from plans (net of tax).
    Sales,
    /// Output tax owed to the revenue authority.
    VatPayable,
    /// M-Pesa money (STK and C2B) not yet swept to the bank.
    MpesaClearing,
    Cash,
    /// Payments recorded by hand (bank transfers, cheques).
    Bank,
    /// Prepaid money customers hold in their wallets (a liability).
    CustomerWallets,
}

impl AccountRole {
    pub const ALL: [AccountRole; 6] = [
        AccountRole::Sales,
        AccountRole::VatPayable,
        AccountRole::MpesaClearing,
        AccountRole::Cash,
        AccountRole::Bank,
        AccountRole::CustomerWallets,
    ];

    /// The key in forms and `lango accounts set` (`sales.code=4000`).
    pub fn key(self) -> &'static str {
        match self {
            AccountRole::Sales => "sales",
            AccountRole::VatPayable => "vat",
            AccountRole::MpesaClearing => "mpesa",
            AccountRole::Cash => "cash",
            AccountRole::Bank => "bank",
            AccountRole::CustomerWallets => "wallets",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AccountRole::Sales => "Sales",
            AccountRole::VatPayable => "VAT payable",
            AccountRole::MpesaClearing => "M-Pesa clearing",
            AccountRole::Cash => "Cash",
            AccountRole::Bank => "Bank",
            AccountRole::CustomerWallets => "Customer wallets",
        }
    }

    fn index(self) -> usize {
        AccountRole::ALL.iter().position(|r| *r == self).unwrap_or(0)
    }

    pub fn parse(key: &str) -> Option<AccountRole> {
        AccountRole::ALL.into_iter().find(|r| r.key() == key)
    }
}

/// Every setting's key, as forms and `lango accounts set` name them.
pub const CHART_KEYS: [&str; 14] = [
    "sales.code",
    "sales.name",
    "vat.code",
    "vat.name",
    "mpesa.code",
    "mpesa.name",
    "cash.code",
    "cash.name",
    "bank.code",
    "bank.name",
    "wallets.code",
    "wallets.name",
    "odoo_journal",
    "xero_tax_rate",
];

/// One account: its code (Xero, Odoo) and its name (QuickBooks Online,
/// which imports journals by name).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerAccount {
    pub code: String,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChartOfAccounts {
    /// In `AccountRole::ALL`'s order.
    pub accounts: Vec<LedgerAccount>,
    /// The Odoo journal (`journal_id`) the entries are imported into.
    pub odoo_journal: String,
    /// The Xero tax rate name every line carries (the journal posts VAT
    /// to its own account, so the lines themselves carry none).
    pub xero_tax_rate: String,
}

impl Default for ChartOfAccounts {
    fn default() -> Self {
        let codes = ["4000", "2200", "1110", "1000", "1100", "2100"];
        ChartOfAccounts {
            accounts: AccountRole::ALL
                .iter()
                .zip(codes)
                .map(|(r, c)| LedgerAccount { code: c.into(), name: r.label().into() })
                .collect(),
            odoo_journal: "Miscellaneous Operations".into(),
            xero_tax_rate: "Tax Exempt".into(),
        }
    }
}

impl ChartOfAccounts {
    pub fn account(&self, role: AccountRole) -> LedgerAccount {
        self.accounts
            .get(role.index())
            .cloned()
            .unwrap_or_else(|| ChartOfAccounts::default().accounts[role.index()].clone())
    }

    /// Change one value: `<role>.code`, `<role>.name`, `odoo_journal` or
    /// `xero_tax_rate`. Err names what is wrong.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        let value = value.trim();
        if value.is_empty() {
            return Err(format!("{key} cannot be empty"));
        }
        if value.chars().count() > 100 || value.chars().any(char::is_control) {
            return Err(format!("{key}: at most 100 characters, no control characters"));
        }
        match key {
            "odoo_journal" => self.odoo_journal = value.into(),
            "xero_tax_rate" => self.xero_tax_rate = value.into(),
            _ => {
                let (role, part) = key.split_once('.').ok_or_else(|| format!("no setting {key:?}"))?;
                let role = AccountRole::parse(role).ok_or_else(|| format!("no account {role:?}"))?;
                while self.accounts.len() < AccountRole::ALL.len() {
                    self.accounts.push(ChartOfAccounts::default().accounts[self.accounts.len()].clone());
                }
                let a = &mut self.accounts[role.index()];
                match part {
                    "code" => a.code = value.into(),
                    "name" => a.name = value.into(),
                    _ => return Err(format!("no setting {key:?}: use {}.code or {}.name", role.key(), role.key())),
                }
            }
        }
        Ok(())
    }

    /// Every setting as `(key, value)`, as `set` takes them.
    pub fn pairs(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for r in AccountRole::ALL {
            let a = self.account(r);
            out.push((format!("{}.code", r.key()), a.code));
            out.push((format!("{}.name", r.key()), a.name));
        }
        out.push(("odoo_journal".into(), self.odoo_journal.clone()));
        out.push(("xero_tax_rate".into(), self.xero_tax_rate.clone()));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_checked_and_kept() {
        let mut c = ChartOfAccounts::default();
        assert_eq!(
            c.account(AccountRole::VatPayable),
            LedgerAccount { code: "2200".into(), name: "VAT payable".into() }
        );
        c.set("sales.code", " 400 ").unwrap();
        c.set("wallets.name", "Customer deposits").unwrap();
        c.set("odoo_journal", "MISC").unwrap();
        assert_eq!(c.account(AccountRole::Sales).code, "400");
        assert_eq!(c.account(AccountRole::CustomerWallets).name, "Customer deposits");
        for (key, value) in
            [("sales.code", ""), ("nope.code", "1"), ("sales.colour", "1"), ("x", "1"), ("cash.name", "a\nb")]
        {
            assert!(c.set(key, value).is_err(), "{key}={value:?}");
        }
        let pairs = c.pairs();
        assert_eq!(pairs.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), CHART_KEYS);
        let mut again = ChartOfAccounts::default();
        for (k, v) in &pairs {
            again.set(k, v).unwrap();
        }
        assert_eq!(again, c);
    }
}
