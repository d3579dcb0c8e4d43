//! Tidy checks on the source tree: every module says what it owns, and no
//! file grows past what one can read in a sitting.

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_module_starts_with_a_doc_comment_and_stays_readable() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    rust_files(&root.join("tests"), &mut files);
    assert!(files.len() > 30);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(text.starts_with("//!"), "{} must start with a //! comment saying what it owns", f.display());
        // Test-vector and load-generator files are long by nature.
        let limit = if f.ends_with("vectors_tests.rs") || f.ends_with("bench/mod.rs") { 1100 } else { 700 };
        assert!(
            text.lines().count() <= limit,
            "{} has {} lines; split it by concept",
            f.display(),
            text.lines().count()
        );
    }
}

/// The paths a file names: `crate::x::…`, `use crate::{x, …}` and
/// `super::…` climbing out of its folder are what couple it to module `x`.
fn names_module(text: &str, module: &str) -> bool {
    // Comments do not couple; cutting at `//` also cuts URLs in strings,
    // which hold no paths.
    let code: String = text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n");
    code.contains(&format!("crate::{module}::"))
        || code.contains(&format!("crate::{module};"))
        || code.contains(&format!("lango::{module}::"))
        || code.contains(&format!("crate::{{{module}"))
        || code.contains(&format!(", {module}::"))
}

/// The command line and the web are two front ends over `src/ops/`: neither
/// imports the other, and the operations import neither.
#[test]
fn front_ends_do_not_import_each_other() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let rules: [(&str, &[&str]); 3] = [("web", &["cli"]), ("cli", &["web"]), ("ops", &["cli", "web"])];
    let mut broken = Vec::new();
    for (dir, forbidden) in rules {
        let mut files = Vec::new();
        rust_files(&root.join(dir), &mut files);
        assert!(!files.is_empty(), "src/{dir} has no files");
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for m in forbidden {
                if names_module(&text, m) {
                    broken.push(format!("{} uses crate::{m}", f.display()));
                }
            }
        }
    }
    assert!(broken.is_empty(), "front ends must meet only in src/ops/:\n{}", broken.join("\n"));
}

#[test]
fn the_import_check_sees_the_forms_of_a_path() {
    assert!(names_module("use crate::cli::money::doc_view;", "cli"));
    assert!(names_module("let x = crate::cli::parse_money(s);", "cli"));
    assert!(names_module("use crate::{cli, model};", "cli"));
    assert!(!names_module("use crate::client::Thing; // crate::cli:: in a comment", "cli"));
    assert!(!names_module("use crate::ops::csv::row;", "cli"));
}
