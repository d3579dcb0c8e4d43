//! End-to-end checks of the generated PDFs with external tools: `qpdf --check` (package qpdf),
//! `pdftotext`/`pdfinfo`/`pdftoppm` (poppler-utils) and `zbarimg` (zbar-tools). A missing tool
//! fails the test with the Debian package to install.

use std::path::PathBuf;
use std::process::Command;

use super::cards::{CardView, voucher_cards};
use super::invoice::{self, document};
use crate::payments::vouchers::{CodeSpec, generate};

/// Runs `tool args…`, returning (stdout, stderr); panics with the Debian package name if it is missing,
/// or with stderr if it fails.
fn run_full(tool: &str, package: &str, args: &[&str]) -> (String, String) {
    let out = match Command::new(tool).args(args).output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            panic!("`{tool}` is not installed: apt-get install {package}")
        }
        Err(e) => panic!("cannot run {tool}: {e}"),
    };
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{tool} {args:?} failed ({}):\n{stdout}\n{stderr}", out.status);
    (stdout, stderr)
}

/// Like [`run_full`], returning stdout only.
fn run(tool: &str, package: &str, args: &[&str]) -> String {
    run_full(tool, package, args).0
}

/// A fresh scratch directory per test under the system temp dir.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lango-pdf-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &std::path::Path, file: &str, bytes: &[u8]) -> String {
    let path = dir.join(file);
    std::fs::write(&path, bytes).unwrap();
    path.to_string_lossy().into_owned()
}

fn qpdf_check(path: &str) {
    let (out, err) = run_full("qpdf", "qpdf", &["--check", path]);
    assert!(out.contains("No syntax or stream encoding errors found"), "{out}\n{err}");
    let all = format!("{out}{err}");
    assert!(!all.to_lowercase().contains("warning"), "qpdf warnings:\n{all}");
}

fn page_count(path: &str) -> usize {
    let info = run("pdfinfo", "poppler-utils", &[path]);
    let line = info.lines().find(|l| l.starts_with("Pages:")).unwrap_or_else(|| panic!("no Pages in {info}"));
    line["Pages:".len()..].trim().parse().unwrap()
}

fn text(path: &str) -> String {
    run("pdftotext", "poppler-utils", &["-layout", "-enc", "UTF-8", path, "-"])
}

fn seeded(mut state: u64) -> impl FnMut(&mut [u8]) {
    move |buf: &mut [u8]| {
        for b in buf {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *b = state as u8;
        }
    }
}

fn cards(n: u32) -> Vec<CardView> {
    let spec = CodeSpec { prefix: "HS-".into(), length: 8, count: n };
    let codes = generate(&spec, 0, |_| false, &mut seeded(0x1a2b_3c4d)).unwrap();
    codes
        .into_iter()
        .map(|code| CardView {
            login_url: format!("http://hotspot.lan/login?username={code}&password={code}"),
            code,
            plan: "Daily 1 GB".into(),
            price: "KES 50.00".into(),
            validity: "1 day, 1 GB".into(),
            tenant: "Kibanda Net Hotspot".into(),
            expires: Some("2026-12-31".into()),
        })
        .collect()
}

#[test]
fn cards_pdf_checks_extracts_and_scans() {
    let dir = scratch("cards");
    let cards = cards(50);
    let path = write(&dir, "cards.pdf", &voucher_cards(&cards, "Batch 2026-11-26 (50)"));
    qpdf_check(&path);
    assert_eq!(page_count(&path), 3);

    let txt = text(&path);
    for card in &cards {
        assert!(txt.contains(&card.code), "pdftotext lacks {}:\n{txt}", card.code);
    }
    assert!(txt.contains("page 3 of 3"), "{txt}");

    let png = dir.join("page1");
    let png_prefix = png.to_string_lossy();
    run("pdftoppm", "poppler-utils", &["-r", "200", "-png", "-f", "1", "-l", "1", "-singlefile", &path, &png_prefix]);
    let scanned = run("zbarimg", "zbar-tools", &["--raw", "-q", &format!("{png_prefix}.png")]);
    let mut got: Vec<&str> = scanned.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    got.sort_unstable();
    let mut want: Vec<&str> = cards[..21].iter().map(|c| c.login_url.as_str()).collect();
    want.sort_unstable();
    assert_eq!(got, want, "QR codes on page 1 must decode to the first 21 login URLs");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn invoice_flows_and_survives_odd_text() {
    let dir = scratch("invoice");
    let path = write(&dir, "invoice.pdf", &document(&invoice::tests::sample(60)));
    qpdf_check(&path);
    let pages = page_count(&path);
    assert!(pages >= 2, "60 lines must flow onto 2+ pages, got {pages}");
    let txt = text(&path);
    for needle in ["INV-2026-0042", "Subtotal", "VAT 16 %", "Total", "KES 1,000.00", "line 60", "M-Pesa NLJ7RT61SV"] {
        assert!(txt.contains(needle), "pdftotext lacks {needle:?}:\n{txt}");
    }
    assert!(txt.contains(&format!("page {pages} of {pages}")));

    let mut odd = invoice::tests::sample(2);
    odd.kind = invoice::DocKind::Receipt;
    // An unbalanced ")" breaks an unescaped literal string; balanced pairs alone would not.
    odd.tenant_name = "(weird) \\ chars :-)".into();
    odd.lines[0].description = "Malipo ya M-Pesa – ✓ (bundle) \\ ok".into();
    odd.footer = "Malipo ya M-Pesa – ✓".into();
    let path = write(&dir, "odd.pdf", &document(&odd));
    qpdf_check(&path);
    let txt = text(&path);
    assert!(txt.contains("(weird) \\ chars :-)"), "{txt}");
    assert!(txt.contains("Malipo ya M-Pesa – ? (bundle) \\ ok"), "{txt}");
    assert!(txt.contains("RECEIPT") && txt.contains("PAID"), "{txt}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn card_pdf_sizes() {
    let dir = scratch("sizes");
    let all = cards(1000);
    let small = voucher_cards(&all[..21], "21 cards");
    let large = voucher_cards(&all, "1000 cards");
    println!("cards PDF: 21 cards = {} bytes, 1000 cards = {} bytes", small.len(), large.len());
    let path = write(&dir, "large.pdf", &large);
    qpdf_check(&path);
    assert_eq!(page_count(&path), 48);
    assert!(large.len() < 8_000_000, "1000 cards took {} bytes", large.len());
    let _ = std::fs::remove_dir_all(&dir);
}
