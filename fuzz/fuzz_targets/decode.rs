//! Fuzz target: RADIUS packet decoding must never panic, and any packet that
//! decodes must survive attribute/VSA iteration and a rebuild with `Builder`
//! (every attribute except Message-Authenticator copied) that decodes again
//! to the same attributes.
#![no_main]

use lango::radius::codec::*;
use libfuzzer_sys::fuzz_target;

const SECRET: &[u8] = b"fuzz-secret";

fn check(data: &[u8]) {
    let Ok(p) = Packet::decode(data) else {
        return;
    };
    assert!(p.raw.len() >= HEADER_LEN && p.raw.len() <= data.len().min(MAX_PACKET));

    let mut count = 0usize;
    for (t, v) in p.attributes() {
        count += 1;
        assert!(v.len() <= 253);
        let _ = p.attr(t);
        let _ = p.attr_u32(t);
        let _ = p.has_attr(t);
    }
    for (vendor, vtype, _value) in p.vendor_attributes() {
        assert!(p.vsa(vendor, vtype).is_some());
    }
    let _ = p.vsa(14988, 8);
    let _ = p.vsa(311, 25);
    let _ = check_message_authenticator(&p, SECRET, None);
    let _ = check_message_authenticator(&p, SECRET, Some(&[0; 16]));
    let _ = verify_request_authenticator(&p, SECRET);
    let _ = verify_response_authenticator(&p, &[0; 16], SECRET);

    // Rebuild without Message-Authenticator; the builder adds its own first.
    let mut b = Builder::new(p.code, p.identifier);
    let mut copied = 0usize;
    for (t, v) in p.attributes().filter(|&(t, _)| t != 80) {
        match b.add(t, v) {
            Ok(_) => copied += 1,
            // The MA the builder prepends can push a near-4096 packet over.
            Err(EncodeError::PacketTooLong { .. }) => break,
            Err(e) => panic!("unexpected encode error {e:?}"),
        }
    }
    let rebuilt = if p.code.is_signed_request() {
        b.finish_signed_request(SECRET)
    } else {
        b.finish_response(&p.authenticator, SECRET)
    }
    .expect("builder output within limits");
    let q = Packet::decode(&rebuilt).expect("rebuilt packet decodes");
    assert_eq!((q.code, q.identifier), (p.code, p.identifier));
    assert_eq!(q.attributes().next().map(|(t, _)| t), Some(80));
    assert!(
        q.attributes()
            .skip(1)
            .eq(p.attributes().filter(|&(t, _)| t != 80).take(copied))
    );
    assert!(count >= copied);
    if p.code.is_signed_request() {
        assert!(verify_request_authenticator(&q, SECRET));
    }
    assert_ne!(
        check_message_authenticator(&q, SECRET, None),
        MaStatus::Absent
    );
}

fuzz_target!(|data: &[u8]| check(data));
