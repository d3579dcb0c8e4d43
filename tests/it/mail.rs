//! lango's SMTP client (`notify::mail`, the library) against a real SMTP
//! server, aiosmtpd on loopback: the MIME message as another parser reads
//! it (Python's `email`), STARTTLS and implicit TLS with a private CA,
//! login, and each failure in the words an operator sees.

use lango::notify::mail::{Mail, Security, Smtp};
use lango::notify::{Attachment, SendError};
use lango::pdf::{Document, Font, Page};

use crate::support::smtp::{Options, SmtpServer};

const USER: &str = "billing@example.com";
const PASSWORD: &str = "Sm7p-Secret-Pass";

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

fn smtp(port: u16, security: Security) -> Smtp {
    Smtp {
        host: "127.0.0.1".into(),
        port,
        security,
        username: None,
        password: None,
        from: "Lango ISP <billing@example.com>".into(),
        extra_root_pem: None,
    }
}

fn with_login(mut s: Smtp, server: &SmtpServer, password: &str) -> Smtp {
    s.username = Some(USER.into());
    s.password = Some(password.into());
    s.extra_root_pem = server.ca_pem.clone();
    s
}

fn note(to: &str) -> Mail<'_> {
    Mail { to, subject: "Receipt", text: "Thank you.", html: None, attachments: &[] }
}

fn login_options() -> Options {
    Options { starttls: true, implicit_tls: true, login: Some((USER.into(), PASSWORD.into())), ..Options::default() }
}

fn invoice_pdf() -> Vec<u8> {
    let mut doc = Document::new("Invoice INV-0042");
    let mut page = Page::new();
    page.text(72.0, 760.0, 18.0, Font::HelveticaBold, "Invoice INV-0042");
    page.text(72.0, 730.0, 12.0, Font::Helvetica, "Total KES 1,500.00");
    doc.push(page);
    doc.finish()
}

#[test]
fn text_html_and_a_pdf_arrive_as_sent() {
    let server = SmtpServer::plain();
    let pdf = invoice_pdf();
    let attachments = [Attachment {
        filename: "ankara-INV-0042.pdf".into(),
        content_type: "application/pdf".into(),
        bytes: pdf.clone(),
    }];
    let subject = "Ankara yako INV-0042 — asante! 🙏";
    let text = "Habari Amina,\n\nAnkara yako ya mwezi huu imeambatishwa. Lipa kwa M-Pesa 💸.\n\nAsante.";
    let html = "<p>Habari Amina,</p><p>Ankara yako ya mwezi huu imeambatishwa. Lipa kwa <b>M-Pesa</b> 💸.</p>";
    let mail =
        Mail { to: "Amina Njeri <amina@example.net>", subject, text, html: Some(html), attachments: &attachments };
    let id = rt().block_on(smtp(server.port, Security::Plain).send(&mail)).unwrap();

    let got = server.one();
    assert_eq!(got.mail_from, "billing@example.com");
    assert_eq!(got.rcpt_tos, ["amina@example.net"]);
    assert!(!got.tls && got.auth_user.is_none());
    assert!(got.raw.is_ascii(), "lettre encodes every header and body to 7 bits");
    assert_eq!(got.header("Message-ID"), Some(id.as_str()));
    assert!(id.starts_with('<') && id.ends_with("@example.com>"), "{id}");
    assert!(
        got.header("Date").is_some_and(|d| d.contains(" +0000") || d.contains(" -0000")),
        "{:?}",
        got.header("Date")
    );
    assert_eq!(got.header("Subject"), Some(subject));
    assert_eq!(got.header("From"), Some("Lango ISP <billing@example.com>"));
    assert_eq!(got.header("To"), Some("Amina Njeri <amina@example.net>"));
    assert_eq!(
        got.structure(),
        ["multipart/mixed", "  multipart/alternative", "    text/plain", "    text/html", "  application/pdf"]
    );
    let plain = got.part("text/plain").unwrap();
    assert_eq!(plain.charset.as_deref(), Some("utf-8"));
    assert_eq!(plain.text.as_deref().map(|t| t.replace("\r\n", "\n")), Some(text.to_string()));
    assert_eq!(got.part("text/html").unwrap().text.as_deref().map(str::trim_end), Some(html));
    let attached = got.attachments();
    assert_eq!(attached.len(), 1);
    assert_eq!(attached[0].filename.as_deref(), Some("ankara-INV-0042.pdf"));
    assert_eq!(attached[0].disposition.as_deref(), Some("attachment"));
    assert_eq!(attached[0].bytes, pdf, "the PDF arrives byte for byte");

    if std::process::Command::new("pdftotext").arg("-v").output().is_err() {
        eprintln!("note: pdftotext (poppler-utils) is not installed; the attached PDF's text was not checked");
        return;
    }
    let path = std::env::temp_dir().join(format!("lango-mail-{}.pdf", std::process::id()));
    std::fs::write(&path, &attached[0].bytes).unwrap();
    let out = std::process::Command::new("pdftotext").arg(&path).arg("-").output().unwrap();
    let _ = std::fs::remove_file(&path);
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && shown.contains("Invoice INV-0042") && shown.contains("KES 1,500.00"), "{shown}");
}

#[test]
fn a_utf8_subject_and_text_alone_make_one_text_part() {
    let server = SmtpServer::plain();
    let subject = "Malipo yamepokelewa ✅ — kifurushi cha wiki 🚀 (Ksh 250)";
    let text = "Tumepokea Ksh 250. Kifurushi chako kinaisha Jumamosi saa 6:00 usiku. 🎉";
    let mail = Mail { to: "kamau@example.net", subject, text, html: None, attachments: &[] };
    rt().block_on(smtp(server.port, Security::Plain).send(&mail)).unwrap();

    let got = server.one();
    assert_eq!(got.structure(), ["text/plain"]);
    assert_eq!(got.header("Subject"), Some(subject));
    let raw = String::from_utf8(got.raw.clone()).unwrap();
    let line = raw.lines().find(|l| l.starts_with("Subject: ")).unwrap();
    assert!(line.contains("=?utf-8?b?"), "RFC 2047 encoded words:\n{raw}");
    assert_eq!(got.parts[0].text.as_deref().map(str::trim_end), Some(text));
}

#[test]
fn starttls_with_a_login() {
    let server = SmtpServer::start(login_options());
    let s = with_login(smtp(server.port, Security::StartTls), &server, PASSWORD);
    rt().block_on(s.send(&note("otieno@example.net"))).unwrap();
    let got = server.one();
    assert!(got.tls, "the message went after STARTTLS");
    assert_eq!(got.auth_user.as_deref(), Some(USER));
    assert_eq!(got.rcpt_tos, ["otieno@example.net"]);
}

#[test]
fn implicit_tls_with_a_login() {
    let server = SmtpServer::start(login_options());
    let mut s = with_login(smtp(server.tls_port.unwrap(), Security::Tls), &server, PASSWORD);
    // A name this time: the certificate names both 127.0.0.1 and localhost.
    s.host = "localhost".into();
    rt().block_on(s.send(&note("wanjiru@example.net"))).unwrap();
    let got = server.one();
    assert!(got.tls);
    assert_eq!(got.auth_user.as_deref(), Some(USER));
}

#[test]
fn a_wrong_password_is_refused_without_showing_it() {
    let server = SmtpServer::start(login_options());
    let wrong = "Wr0ng-Pa55word!";
    for (port, security) in [(server.port, Security::StartTls), (server.tls_port.unwrap(), Security::Tls)] {
        let s = with_login(smtp(port, security), &server, wrong);
        let err = rt().block_on(s.send(&note("otieno@example.net"))).unwrap_err();
        let SendError::Refused { status, body } = &err else { panic!("{err:?}") };
        assert_eq!(*status, 535, "{err}");
        assert!(body.contains("Authentication credentials invalid"), "{err}");
        for shown in [err.to_string(), format!("{err:?}")] {
            assert!(!shown.contains(wrong) && !shown.contains(PASSWORD), "{shown}");
        }
    }
    assert!(server.received().is_empty());
}

#[test]
fn a_rejected_recipient_is_not_sent() {
    let server = SmtpServer::start(Options { reject: vec!["gone@example.net".into()], ..Options::default() });
    let err = rt().block_on(smtp(server.port, Security::Plain).send(&note("gone@example.net"))).unwrap_err();
    let SendError::NotSent { to, status } = &err else { panic!("{err:?}") };
    assert_eq!(to, "gone@example.net");
    assert!(status.starts_with("550 ") && status.contains("Recipient address rejected"), "{err}");
    assert!(server.received().is_empty());
    // The next message on the same server still goes.
    rt().block_on(smtp(server.port, Security::Plain).send(&note("here@example.net"))).unwrap();
    assert_eq!(server.one().rcpt_tos, ["here@example.net"]);
}

#[test]
fn nothing_listening_names_the_address() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let err = rt().block_on(smtp(port, Security::Plain).send(&note("a@example.net"))).unwrap_err();
    let SendError::Unreachable(why) = &err else { panic!("{err:?}") };
    assert!(why.contains(&format!("127.0.0.1:{port}")) && why.contains("connection refused"), "{why}");

    let mut s = smtp(587, Security::StartTls);
    s.host = "no-such-host.invalid".into();
    let err = rt().block_on(s.send(&note("a@example.net"))).unwrap_err();
    let SendError::Unreachable(why) = &err else { panic!("{err:?}") };
    assert!(why.contains("cannot find the host no-such-host.invalid"), "{why}");
}

#[test]
fn tls_problems_are_named() {
    let server = SmtpServer::start(login_options());
    let tls_port = server.tls_port.unwrap();
    let send = |s: Smtp| rt().block_on(s.send(&note("a@example.net"))).unwrap_err();
    let unreachable = |e: SendError| match e {
        SendError::Unreachable(why) => why,
        other => panic!("{other:?}"),
    };

    // The server's own CA is not among the public roots.
    let mut s = with_login(smtp(tls_port, Security::Tls), &server, PASSWORD);
    s.extra_root_pem = None;
    let why = unreachable(send(s));
    assert!(why.contains(&format!("127.0.0.1:{tls_port}")) && why.contains("not trusted"), "{why}");
    let mut s = with_login(smtp(server.port, Security::StartTls), &server, PASSWORD);
    s.extra_root_pem = None;
    assert!(unreachable(send(s)).contains("not trusted"));

    // TLS spoken to the plain port.
    let s = with_login(smtp(server.port, Security::Tls), &server, PASSWORD);
    let why = unreachable(send(s));
    assert!(why.contains("did not answer in TLS"), "{why}");

    // STARTTLS asked of a server that does not offer it.
    let bare = SmtpServer::plain();
    let why = unreachable(send(smtp(bare.port, Security::StartTls)));
    assert!(why.contains("does not offer STARTTLS"), "{why}");

    // A login over plain SMTP (allowed to a local relay) that the server
    // only offers after STARTTLS.
    let s = with_login(smtp(server.port, Security::Plain), &server, PASSWORD);
    let err = send(s);
    let SendError::Config(why) = &err else { panic!("{err:?}") };
    assert!(why.contains("does not offer login") && why.contains("STARTTLS"), "{why}");
    assert!(server.received().is_empty() && bare.received().is_empty());
}
