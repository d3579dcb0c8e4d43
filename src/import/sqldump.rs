//! A reader for the rows in a MySQL/MariaDB dump (mysqldump, phpMyAdmin):
//! `CREATE TABLE` gives each table's column names, `INSERT INTO` (with or
//! without a column list, one or many row tuples, over one or more lines)
//! gives the rows. Values are text or NULL; strings take MySQL's
//! backslash escapes and doubled quotes. Everything else is skipped.

use std::collections::HashMap;

/// One row: its table, the line its tuple starts on, column → value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub table: String,
    pub line: usize,
    pub values: HashMap<String, Option<String>>,
}

impl Row {
    pub fn get(&self, col: &str) -> Option<&str> {
        self.values.get(col).and_then(|v| v.as_deref())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("line {line}: {message}")]
pub struct DumpError {
    pub line: usize,
    pub message: String,
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
    line: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn bump(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i += 1;
        if c == b'\n' {
            self.line += 1;
        }
        Some(c)
    }
    fn skip_ws(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.bump();
        }
    }
    fn err(&self, message: impl Into<String>) -> DumpError {
        DumpError { line: self.line, message: message.into() }
    }
    fn starts_with_ci(&self, word: &str) -> bool {
        self.s.get(self.i..self.i + word.len()).is_some_and(|w| w.eq_ignore_ascii_case(word.as_bytes()))
    }
    fn expect(&mut self, c: u8) -> Result<(), DumpError> {
        self.skip_ws();
        match self.bump() {
            Some(x) if x == c => Ok(()),
            Some(x) => Err(self.err(format!("expected '{}', found '{}'", c as char, x as char))),
            None => Err(self.err(format!("expected '{}', found the end", c as char))),
        }
    }
    /// A `name`, "name" or bare identifier.
    fn ident(&mut self) -> Result<String, DumpError> {
        self.skip_ws();
        match self.peek() {
            Some(q @ (b'`' | b'"')) => {
                self.bump();
                let start = self.i;
                while self.peek().is_some_and(|c| c != q) {
                    self.bump();
                }
                let name = String::from_utf8_lossy(&self.s[start..self.i]).to_string();
                self.bump();
                Ok(name)
            }
            _ => {
                let start = self.i;
                while self.peek().is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.') {
                    self.bump();
                }
                if start == self.i {
                    return Err(self.err("expected a name"));
                }
                Ok(String::from_utf8_lossy(&self.s[start..self.i]).to_string())
            }
        }
    }
    /// A value: 'string', number, NULL, or another bare word.
    fn value(&mut self) -> Result<Option<String>, DumpError> {
        self.skip_ws();
        if self.peek() == Some(b'\'') {
            self.bump();
            let mut out = Vec::new();
            loop {
                match self.bump() {
                    None => return Err(self.err("a string is not closed")),
                    Some(b'\\') => {
                        let c = self.bump().ok_or_else(|| self.err("a string is not closed"))?;
                        out.push(match c {
                            b'n' => b'\n',
                            b'r' => b'\r',
                            b't' => b'\t',
                            b'0' => 0,
                            b'Z' => 26,
                            other => other,
                        });
                    }
                    Some(b'\'') if self.peek() == Some(b'\'') => {
                        self.bump();
                        out.push(b'\'');
                    }
                    Some(b'\'') => break,
                    Some(c) => out.push(c),
                }
            }
            return Ok(Some(String::from_utf8_lossy(&out).to_string()));
        }
        let start = self.i;
        while self.peek().is_some_and(|c| !matches!(c, b',' | b')') && !c.is_ascii_whitespace()) {
            self.bump();
        }
        let word = String::from_utf8_lossy(&self.s[start..self.i]).to_string();
        if word.is_empty() {
            return Err(self.err("expected a value"));
        }
        Ok((!word.eq_ignore_ascii_case("NULL")).then_some(word))
    }
    fn skip_statement(&mut self) {
        let mut quote = None;
        while let Some(c) = self.bump() {
            match (quote, c) {
                (None, b'\'' | b'"' | b'`') => quote = Some(c),
                (Some(q), b'\\') if q != b'`' => {
                    self.bump();
                }
                (Some(q), c) if c == q => quote = None,
                (None, b';') => return,
                _ => {}
            }
        }
    }
    fn skip_comment(&mut self) -> bool {
        if self.starts_with_ci("--") || self.peek() == Some(b'#') {
            while self.peek().is_some_and(|c| c != b'\n') {
                self.bump();
            }
            return true;
        }
        if self.starts_with_ci("/*") {
            while self.peek().is_some() && !self.starts_with_ci("*/") {
                self.bump();
            }
            self.bump();
            self.bump();
            return true;
        }
        false
    }
}

/// Every row of the tables in `wanted` (all tables when empty).
pub fn rows(dump: &str, wanted: &[&str]) -> Result<Vec<Row>, DumpError> {
    let mut c = Cursor { s: dump.as_bytes(), i: 0, line: 1 };
    let mut columns: HashMap<String, Vec<String>> = HashMap::new();
    let mut out = Vec::new();
    loop {
        c.skip_ws();
        if c.peek().is_none() {
            return Ok(out);
        }
        if c.skip_comment() {
            continue;
        }
        if c.starts_with_ci("CREATE TABLE") {
            c.i += "CREATE TABLE".len();
            c.skip_ws();
            if c.starts_with_ci("IF NOT EXISTS") {
                c.i += "IF NOT EXISTS".len();
            }
            let table = c.ident()?;
            c.expect(b'(')?;
            let mut cols = Vec::new();
            // Column definitions until the matching ')'; keys and
            // constraints are not columns.
            loop {
                c.skip_ws();
                let keyword = ["PRIMARY", "KEY", "UNIQUE", "INDEX", "CONSTRAINT", "FULLTEXT", "FOREIGN"]
                    .iter()
                    .any(|k| c.starts_with_ci(k));
                if !keyword && matches!(c.peek(), Some(b'`' | b'"')) {
                    cols.push(c.ident()?);
                }
                let mut depth = 0;
                loop {
                    match c.peek() {
                        None => return Err(c.err(format!("CREATE TABLE {table} is not closed"))),
                        Some(b'\'') => {
                            c.value()?;
                            continue;
                        }
                        Some(b'(') => depth += 1,
                        Some(b')') if depth == 0 => break,
                        Some(b')') => depth -= 1,
                        Some(b',') if depth == 0 => break,
                        _ => {}
                    }
                    c.bump();
                }
                if c.bump() == Some(b')') {
                    break;
                }
            }
            columns.insert(table, cols);
            c.skip_statement();
            continue;
        }
        if c.starts_with_ci("INSERT") || c.starts_with_ci("REPLACE") {
            while c.peek().is_some_and(|x| !x.is_ascii_whitespace()) {
                c.bump();
            }
            c.skip_ws();
            for word in ["IGNORE", "INTO"] {
                if c.starts_with_ci(word) {
                    c.i += word.len();
                    c.skip_ws();
                }
            }
            let table = c.ident()?;
            c.skip_ws();
            let cols = if c.peek() == Some(b'(') {
                c.bump();
                let mut cols = Vec::new();
                loop {
                    cols.push(c.ident()?);
                    c.skip_ws();
                    match c.bump() {
                        Some(b',') => {}
                        Some(b')') => break,
                        _ => return Err(c.err("a column list is not closed")),
                    }
                }
                cols
            } else {
                columns.get(&table).cloned().ok_or_else(|| {
                    c.err(format!("INSERT INTO {table} without columns, and no CREATE TABLE {table} before it"))
                })?
            };
            c.skip_ws();
            if !c.starts_with_ci("VALUES") {
                return Err(c.err("expected VALUES"));
            }
            c.i += "VALUES".len();
            let keep = wanted.is_empty() || wanted.contains(&table.as_str());
            loop {
                c.expect(b'(')?;
                let line = c.line;
                let mut vals = Vec::new();
                loop {
                    vals.push(c.value()?);
                    c.skip_ws();
                    match c.bump() {
                        Some(b',') => {}
                        Some(b')') => break,
                        _ => return Err(c.err("a row is not closed")),
                    }
                }
                if vals.len() != cols.len() {
                    return Err(DumpError {
                        line,
                        message: format!("{table}: {} values for {} columns", vals.len(), cols.len()),
                    });
                }
                if keep {
                    let values = cols.iter().cloned().zip(vals).collect();
                    out.push(Row { table: table.clone(), line, values });
                }
                c.skip_ws();
                match c.bump() {
                    Some(b',') => continue,
                    Some(b';') | None => break,
                    _ => return Err(c.err("expected ',' or ';' after a row")),
                }
            }
            continue;
        }
        c.skip_statement();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DUMP: &str = r#"-- MySQL dump 10.13
/*!40101 SET NAMES utf8 */;
DROP TABLE IF EXISTS `radcheck`;
CREATE TABLE `radcheck` (
  `id` int(11) unsigned NOT NULL AUTO_INCREMENT,
  `username` varchar(64) NOT NULL DEFAULT '',
  `attribute` varchar(64) NOT NULL DEFAULT '',
  `op` char(2) NOT NULL DEFAULT '==',
  `value` varchar(253) NOT NULL DEFAULT '',
  PRIMARY KEY (`id`),
  KEY `username` (`username`(32))
) ENGINE=InnoDB DEFAULT CHARSET=latin1;
INSERT INTO `radcheck` VALUES (1,'alice','Cleartext-Password',':=','it''s \'secret\''),
(2,'bob','Cleartext-Password',':=','p,a)ss;');
INSERT INTO `userinfo` (`username`,`firstname`,`mobilephone`) VALUES ('alice','Alice',NULL);
"#;

    #[test]
    fn reads_rows_with_and_without_column_lists() {
        let rows = rows(DUMP, &[]).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].get("value"), Some("it's 'secret'"));
        assert_eq!(rows[0].line, 13);
        assert_eq!(rows[1].get("value"), Some("p,a)ss;"));
        assert_eq!(rows[1].line, 14);
        assert_eq!(rows[2].get("firstname"), Some("Alice"));
        assert_eq!(rows[2].get("mobilephone"), None);
        assert_eq!(super::rows(DUMP, &["userinfo"]).unwrap().len(), 1);
    }

    #[test]
    fn errors_name_the_line() {
        let e = rows("CREATE TABLE `t` (`a` int, `b` int);\nINSERT INTO `t` VALUES (1);", &[]).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("1 values for 2 columns"), "{e}");
        let e = rows("INSERT INTO `t` VALUES (1,'x", &[]).unwrap_err();
        assert!(e.message.contains("without columns") || e.message.contains("not closed"), "{e}");
    }
}
