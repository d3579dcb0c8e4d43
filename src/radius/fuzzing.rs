//! The decoder's robustness property, shared by the cargo-fuzz target
//! (`fuzz/fuzz_targets/decode.rs`) and a mutation test that runs in every
//! `cargo test`: decoding arbitrary bytes never panics, and whatever
//! decodes survives attribute iteration and a rebuild that decodes again to
//! the same attributes.

use super::codec::*;

const SECRET: &[u8] = b"fuzz-secret";

pub fn check(data: &[u8]) {
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
    assert!(q.attributes().skip(1).eq(p.attributes().filter(|&(t, _)| t != 80).take(copied)));
    assert!(count >= copied);
    if p.code.is_signed_request() {
        assert!(verify_request_authenticator(&q, SECRET));
    }
    assert_ne!(check_message_authenticator(&q, SECRET, None), MaStatus::Absent);
}

#[cfg(test)]
mod tests {
    /// Deterministic mutations of valid packets (bit flips, truncations,
    /// length-byte rewrites): a poor man's fuzzer that runs in CI.
    #[test]
    fn mutated_packets_never_panic() {
        use super::super::codec::{Builder, Code};
        let mut seeds = Vec::new();
        let mut b = Builder::new(Code::AccessRequest, 1);
        b.add(1, b"demo-pppoe").unwrap().add(2, &[7; 16]).unwrap().add_vsa(311, 11, &[1; 16]).unwrap();
        seeds.push(b.finish_access_request([3; 16], b"s").unwrap());
        let mut b = Builder::new(Code::AccountingRequest, 2);
        b.add_u32(40, 1).unwrap().add(44, b"81a00001").unwrap().add_vsa(14988, 8, b"10M/10M").unwrap();
        seeds.push(b.finish_signed_request(b"s").unwrap());
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..200_000 {
            let mut p = seeds[round % seeds.len()].clone();
            for _ in 0..=(next() % 4) {
                let r = next();
                let i = (r as usize >> 8) % p.len();
                match r % 5 {
                    0 => p[i] ^= 1 << (r >> 3 & 7),
                    1 => p[i] = (r >> 16) as u8,
                    2 => p.truncate(i.max(1)),
                    3 => p.extend_from_slice(&(r as u32).to_be_bytes()),
                    _ if p.len() >= 4 => p[2..4].copy_from_slice(&((r >> 20) as u16 % 120).to_be_bytes()),
                    _ => p.push(0),
                }
            }
            super::check(&p);
        }
    }
}
