//! RADIUS authentication crypto, pure functions only: User-Password hiding
//! (RFC 2865 §5.2), CHAP (RFC 1994 / RFC 2865 §5.3), MS-CHAPv2 (RFC 2759)
//! with MPPE key derivation (RFC 3079), MS-MPPE-Send/Recv-Key attribute
//! encryption (RFC 2548 §2.4.2), and a constant-time comparison helper.

use md5::{Digest, Md5};

/// Why a hidden value could not be recovered.
#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone, Copy)]
pub enum CryptoError {
    /// Hidden User-Password length is 0, not a multiple of 16, or over 128.
    #[error("hidden password length {len} is not a multiple of 16 in 16..=128")]
    PasswordLength { len: usize },
    /// MPPE key attribute is not salt (2) + a non-empty multiple of 16.
    #[error("MPPE key attribute length {len} is invalid")]
    MppeLength { len: usize },
    /// MPPE key salt lacks its mandatory high bit.
    #[error("MPPE key salt high bit not set")]
    MppeSalt,
    /// Decrypted key-length octet exceeds the decrypted data.
    #[error("MPPE key length {declared} exceeds {available} decrypted octets")]
    MppeKeyLength { declared: usize, available: usize },
}

/// Constant-time equality (length is not secret).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

const PASSWORD_MAX: usize = 128;

/// XORs `data` (a multiple of 16 octets) in place with the RFC 2865 §5.2 /
/// RFC 2548 keystream: b1 = MD5(secret + seed...), b(i) = MD5(secret +
/// c(i-1)), where c is the ciphertext block.
fn md5_stream(data: &mut [u8], secret: &[u8], seed: &[&[u8]], encrypt: bool) {
    let mut keyed = Md5::new();
    keyed.update(secret);
    let mut h = keyed.clone();
    for s in seed {
        h.update(s);
    }
    for block in data.chunks_mut(16) {
        let b = h.finalize();
        let mut next = keyed.clone();
        if !encrypt {
            next.update(&*block);
        }
        for (x, k) in block.iter_mut().zip(b.iter()) {
            *x ^= k;
        }
        if encrypt {
            next.update(&*block);
        }
        h = next;
    }
}

/// RFC 2865 §5.2 User-Password hiding; input (truncated to 128 octets) is
/// padded with NULs to a non-zero multiple of 16.
pub fn hide_password(password: &[u8], secret: &[u8], authenticator: &[u8; 16]) -> Vec<u8> {
    let password = &password[..password.len().min(PASSWORD_MAX)];
    let padded = password.len().div_ceil(16).max(1) * 16;
    let mut out = Vec::with_capacity(padded);
    out.extend_from_slice(password);
    out.resize(padded, 0);
    md5_stream(&mut out, secret, &[authenticator], true);
    out
}

/// Inverse of [`hide_password`]; errors if the length is 0, not a multiple
/// of 16, or over 128. Trailing NULs are stripped.
pub fn unhide_password(hidden: &[u8], secret: &[u8], authenticator: &[u8; 16]) -> Result<Vec<u8>, CryptoError> {
    if hidden.is_empty() || !hidden.len().is_multiple_of(16) || hidden.len() > PASSWORD_MAX {
        return Err(CryptoError::PasswordLength { len: hidden.len() });
    }
    let mut out = hidden.to_vec();
    md5_stream(&mut out, secret, &[authenticator], false);
    let end = out.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    out.truncate(end);
    Ok(out)
}

/// RFC 1994 / RFC 2865 §5.3: `chap_password` = ident (1) + MD5(ident +
/// password + challenge) (16). `challenge` is the CHAP-Challenge attribute,
/// or the Request Authenticator when absent (the caller decides).
/// Constant-time compare.
pub fn chap_verify(chap_password: &[u8], challenge: &[u8], password: &[u8]) -> bool {
    let Some((&ident, response)) = chap_password.split_first() else {
        return false;
    };
    let expected = chap_response(ident, password, challenge);
    ct_eq(&expected[1..], response)
}

/// Builds a CHAP-Password value (for clients and tests).
pub fn chap_response(ident: u8, password: &[u8], challenge: &[u8]) -> [u8; 17] {
    let mut h = Md5::new();
    h.update([ident]);
    h.update(password);
    h.update(challenge);
    let mut out = [0u8; 17];
    out[0] = ident;
    out[1..].copy_from_slice(&h.finalize());
    out
}

/// Largest MPPE key that fits one VSA (salt 2 + 15 blocks of 16 ≤ 247).
const MPPE_KEY_MAX: usize = 239;

/// RFC 2548 §2.4.2 encoding of MS-MPPE-Send-Key / Recv-Key: salt (2 octets,
/// high bit of the first forced on), then key-length octet + key + zero
/// padding to a multiple of 16, encrypted with b(1) = MD5(secret +
/// request_authenticator + salt), b(i) = MD5(secret + c(i-1)). Keys longer
/// than 239 octets are truncated (they could not fit a VSA).
pub fn encrypt_mppe_key(key: &[u8], secret: &[u8], request_authenticator: &[u8; 16], salt: [u8; 2]) -> Vec<u8> {
    let key = &key[..key.len().min(MPPE_KEY_MAX)];
    let salt = [salt[0] | 0x80, salt[1]];
    let plain_len = (key.len() + 1).div_ceil(16) * 16;
    let mut out = Vec::with_capacity(2 + plain_len);
    out.extend_from_slice(&salt);
    out.push(key.len() as u8);
    out.extend_from_slice(key);
    out.resize(2 + plain_len, 0);
    md5_stream(&mut out[2..], secret, &[request_authenticator, &salt], true);
    out
}

/// Inverse of [`encrypt_mppe_key`] (for tests and clients).
pub fn decrypt_mppe_key(value: &[u8], secret: &[u8], request_authenticator: &[u8; 16]) -> Result<Vec<u8>, CryptoError> {
    let len = value.len();
    if len < 18 || !(len - 2).is_multiple_of(16) {
        return Err(CryptoError::MppeLength { len });
    }
    let (salt, cipher) = value.split_at(2);
    if salt[0] & 0x80 == 0 {
        return Err(CryptoError::MppeSalt);
    }
    let mut plain = cipher.to_vec();
    md5_stream(&mut plain, secret, &[request_authenticator, salt], false);
    let declared = usize::from(plain[0]);
    let available = plain.len() - 1;
    if declared > available {
        return Err(CryptoError::MppeKeyLength { declared, available });
    }
    plain.copy_within(1..=declared, 0);
    plain.truncate(declared);
    Ok(plain)
}

/// MS-CHAPv2 (RFC 2759) and its MPPE key derivation (RFC 3079 §3.4).
pub mod mschapv2 {
    use des::Des;
    use des::cipher::{BlockCipherEncrypt, KeyInit};
    use md4::Md4;
    use sha1::{Digest, Sha1};

    use super::ct_eq;

    /// RFC 2759 §8.7 Magic1.
    const AUTH_MAGIC1: &[u8] = b"Magic server to client signing constant";
    /// RFC 2759 §8.7 Magic2.
    const AUTH_MAGIC2: &[u8] = b"Pad to make it do more than one iteration";
    /// RFC 3079 §3.4 Magic1.
    const MASTER_MAGIC: &[u8] = b"This is the MPPE Master Key";
    /// RFC 3079 §3.4 Magic2.
    const KEY_MAGIC2: &[u8] = b"On the client side, this is the send key; on the server side, it is the receive key.";
    /// RFC 3079 §3.4 Magic3.
    const KEY_MAGIC3: &[u8] = b"On the client side, this is the receive key; on the server side, it is the send key.";
    const SHS_PAD1: [u8; 40] = [0x00; 40];
    const SHS_PAD2: [u8; 40] = [0xf2; 40];

    /// NtPasswordHash: MD4 of the UTF-16LE password (RFC 2759 §8.3).
    pub fn nt_password_hash(password: &str) -> [u8; 16] {
        let mut h = Md4::new();
        for unit in password.encode_utf16() {
            h.update(unit.to_le_bytes());
        }
        h.finalize().into()
    }

    fn hash_nt_password_hash(hash: &[u8; 16]) -> [u8; 16] {
        Md4::digest(hash).into()
    }

    /// Strips a "DOMAIN\" prefix, as RFC 2759 §8.2 requires for ChallengeHash.
    fn bare_username(username: &[u8]) -> &[u8] {
        match username.iter().rposition(|&b| b == b'\\') {
            Some(i) => &username[i + 1..],
            None => username,
        }
    }

    /// ChallengeHash (RFC 2759 §8.2): first 8 octets of SHA1(peer challenge
    /// + authenticator challenge + username without domain prefix).
    pub fn challenge_hash(peer_challenge: &[u8; 16], authenticator_challenge: &[u8; 16], username: &[u8]) -> [u8; 8] {
        let mut h = Sha1::new();
        h.update(peer_challenge);
        h.update(authenticator_challenge);
        h.update(bare_username(username));
        let d = h.finalize();
        let mut out = [0u8; 8];
        out.copy_from_slice(&d[..8]);
        out
    }

    /// Spreads 56 key bits over 8 octets (parity bits left zero; DES ignores
    /// them).
    fn des_key(k: &[u8]) -> [u8; 8] {
        [
            k[0],
            (k[0] << 7) | (k[1] >> 1),
            (k[1] << 6) | (k[2] >> 2),
            (k[2] << 5) | (k[3] >> 3),
            (k[3] << 4) | (k[4] >> 4),
            (k[4] << 3) | (k[5] >> 5),
            (k[5] << 2) | (k[6] >> 6),
            k[6] << 1,
        ]
    }

    /// ChallengeResponse (RFC 2759 §8.5): three DES encryptions of the
    /// challenge under the zero-padded password hash.
    fn challenge_response(challenge: &[u8; 8], password_hash: &[u8; 16]) -> [u8; 24] {
        let mut z = [0u8; 21];
        z[..16].copy_from_slice(password_hash);
        let mut out = [0u8; 24];
        for (key7, dst) in z.chunks(7).zip(out.chunks_mut(8)) {
            let cipher = Des::new(&des_key(key7).into());
            let mut block = (*challenge).into();
            cipher.encrypt_block(&mut block);
            dst.copy_from_slice(&block);
        }
        out
    }

    /// GenerateNTResponse (RFC 2759 §8.1).
    pub fn generate_nt_response(
        authenticator_challenge: &[u8; 16],
        peer_challenge: &[u8; 16],
        username: &[u8],
        password: &str,
    ) -> [u8; 24] {
        let ch = challenge_hash(peer_challenge, authenticator_challenge, username);
        challenge_response(&ch, &nt_password_hash(password))
    }

    fn authenticator_response(password_hash_hash: &[u8; 16], nt_response: &[u8; 24], challenge: &[u8; 8]) -> [u8; 42] {
        let mut h = Sha1::new();
        h.update(password_hash_hash);
        h.update(nt_response);
        h.update(AUTH_MAGIC1);
        let digest = h.finalize();
        let mut h = Sha1::new();
        h.update(digest);
        h.update(challenge);
        h.update(AUTH_MAGIC2);
        let digest = h.finalize();
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        let mut out = [0u8; 42];
        out[0] = b'S';
        out[1] = b'=';
        for (i, b) in digest.iter().enumerate() {
            out[2 + 2 * i] = HEX[usize::from(b >> 4)];
            out[3 + 2 * i] = HEX[usize::from(b & 0xf)];
        }
        out
    }

    /// GenerateAuthenticatorResponse (RFC 2759 §8.7): ASCII "S=" + 40
    /// uppercase hex digits.
    pub fn generate_authenticator_response(
        password: &str,
        nt_response: &[u8; 24],
        peer_challenge: &[u8; 16],
        authenticator_challenge: &[u8; 16],
        username: &[u8],
    ) -> [u8; 42] {
        let hh = hash_nt_password_hash(&nt_password_hash(password));
        let ch = challenge_hash(peer_challenge, authenticator_challenge, username);
        authenticator_response(&hh, nt_response, &ch)
    }

    /// The first 16 octets of SHA-1 over `parts` (RFC 3079 keys are 128-bit).
    fn sha1_16(parts: &[&[u8]]) -> [u8; 16] {
        let mut h = Sha1::new();
        for p in parts {
            h.update(p);
        }
        let d = h.finalize();
        let mut out = [0u8; 16];
        out.copy_from_slice(&d[..16]);
        out
    }

    fn master_key_from_hash_hash(password_hash_hash: &[u8; 16], nt_response: &[u8; 24]) -> [u8; 16] {
        sha1_16(&[password_hash_hash, nt_response, MASTER_MAGIC])
    }

    /// GetMasterKey (RFC 3079 §3.4).
    pub fn master_key(password: &str, nt_response: &[u8; 24]) -> [u8; 16] {
        master_key_from_hash_hash(&hash_nt_password_hash(&nt_password_hash(password)), nt_response)
    }

    /// GetAsymmetricStartKey (RFC 3079 §3.4) for 128-bit keys.
    pub fn asymmetric_start_key(master_key: &[u8; 16], is_send: bool, is_server: bool) -> [u8; 16] {
        let magic = if is_send == is_server { KEY_MAGIC3 } else { KEY_MAGIC2 };
        sha1_16(&[master_key, &SHS_PAD1, magic, &SHS_PAD2])
    }

    /// Result of a successful [`verify`].
    #[derive(Clone, PartialEq, Eq)]
    pub struct Verified {
        /// MS-CHAP2-Success value: Ident + 42-octet authenticator response.
        pub success: [u8; 43],
        /// Server MasterSendKey (goes in MS-MPPE-Send-Key).
        pub send_key: [u8; 16],
        /// Server MasterReceiveKey (goes in MS-MPPE-Recv-Key).
        pub recv_key: [u8; 16],
    }

    impl std::fmt::Debug for Verified {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("Verified")
                .field("success", &String::from_utf8_lossy(&self.success[1..]))
                .finish_non_exhaustive()
        }
    }

    /// Server side: verifies an MS-CHAP2-Response VSA value (50 octets:
    /// Ident, Flags, Peer-Challenge 16, Reserved 8, NT-Response 24) against
    /// the MS-CHAP-Challenge value (16 octets). `username` may carry a
    /// "DOMAIN\" prefix; it is stripped.
    pub fn verify(challenge: &[u8], response: &[u8], username: &[u8], password: &str) -> Option<Verified> {
        let auth_challenge: &[u8; 16] = challenge.try_into().ok()?;
        let response: &[u8; 50] = response.try_into().ok()?;
        let ident = response[0];
        let peer_challenge: [u8; 16] = response[2..18].try_into().ok()?;
        let nt_response: [u8; 24] = response[26..50].try_into().ok()?;

        let hash = nt_password_hash(password);
        let ch = challenge_hash(&peer_challenge, auth_challenge, username);
        if !ct_eq(&challenge_response(&ch, &hash), &nt_response) {
            return None;
        }
        let hash_hash = hash_nt_password_hash(&hash);
        let mut success = [0u8; 43];
        success[0] = ident;
        success[1..].copy_from_slice(&authenticator_response(&hash_hash, &nt_response, &ch));
        let master = master_key_from_hash_hash(&hash_hash, &nt_response);
        Some(Verified {
            success,
            send_key: asymmetric_start_key(&master, true, true),
            recv_key: asymmetric_start_key(&master, false, true),
        })
    }

    /// Builds the 50-octet MS-CHAP2-Response value (tests, load generator).
    pub fn client_response(
        ident: u8,
        authenticator_challenge: &[u8; 16],
        peer_challenge: &[u8; 16],
        username: &[u8],
        password: &str,
    ) -> [u8; 50] {
        let mut out = [0u8; 50];
        out[0] = ident;
        out[2..18].copy_from_slice(peer_challenge);
        out[26..].copy_from_slice(&generate_nt_response(authenticator_challenge, peer_challenge, username, password));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::mschapv2;
    use super::*;

    const AUTH: [u8; 16] = [0x5a; 16];

    #[test]
    fn password_round_trips_and_rejects_bad_lengths() {
        for pw in [&b""[..], b"a", b"exactly16bytes!!", b"seventeen bytes!!", &[b'p'; 128]] {
            let hidden = hide_password(pw, b"s3cret", &AUTH);
            assert_eq!(hidden.len(), pw.len().div_ceil(16).max(1) * 16);
            assert_eq!(unhide_password(&hidden, b"s3cret", &AUTH).unwrap(), pw);
            assert_ne!(unhide_password(&hidden, b"other", &AUTH).ok().as_deref(), Some(pw));
        }
        // Over-long passwords are truncated to 128.
        assert_eq!(hide_password(&[b'x'; 200], b"s", &AUTH).len(), 128);
        for len in [0, 15, 17, 144] {
            assert_eq!(unhide_password(&vec![1; len], b"s", &AUTH), Err(CryptoError::PasswordLength { len }));
        }
    }

    #[test]
    fn chap_round_trip_and_wrong_password() {
        let challenge = [0x11u8; 16];
        let resp = chap_response(7, b"hunter2", &challenge);
        assert_eq!(resp[0], 7);
        assert!(chap_verify(&resp, &challenge, b"hunter2"));
        assert!(!chap_verify(&resp, &challenge, b"hunter3"));
        assert!(!chap_verify(&resp, &[0x12; 16], b"hunter2"));
        assert!(!chap_verify(&resp[..16], &challenge, b"hunter2"));
        assert!(!chap_verify(&[], &challenge, b"hunter2"));
    }

    #[test]
    fn mppe_key_round_trip() {
        let ra = [0x42u8; 16];
        for key in [&[0xab; 16][..], &[0xcd; 32][..], &[][..]] {
            let enc = encrypt_mppe_key(key, b"secret", &ra, [0x12, 0x34]);
            assert_eq!(enc[..2], [0x92, 0x34], "salt high bit forced");
            assert_eq!((enc.len() - 2) % 16, 0);
            assert_eq!(decrypt_mppe_key(&enc, b"secret", &ra).unwrap(), key);
        }
        let enc = encrypt_mppe_key(&[1; 16], b"secret", &ra, [0x80, 1]);
        assert_eq!(enc.len(), 2 + 32);
        assert_ne!(decrypt_mppe_key(&enc, b"wrong", &ra).ok(), Some(vec![1; 16]));
        assert_eq!(decrypt_mppe_key(&enc[..20], b"secret", &ra), Err(CryptoError::MppeLength { len: 20 }));
        let mut no_salt_bit = enc.clone();
        no_salt_bit[0] = 0;
        assert_eq!(decrypt_mppe_key(&no_salt_bit, b"secret", &ra), Err(CryptoError::MppeSalt));
    }

    #[test]
    fn mschapv2_verify_round_trip() {
        let ac = [7u8; 16];
        let pc = [9u8; 16];
        let resp = mschapv2::client_response(3, &ac, &pc, b"alice", "pa55w0rd");
        let ok = mschapv2::verify(&ac, &resp, b"alice", "pa55w0rd").unwrap();
        assert_eq!(ok.success[0], 3);
        let nt: [u8; 24] = resp[26..].try_into().unwrap();
        let expected = mschapv2::generate_authenticator_response("pa55w0rd", &nt, &pc, &ac, b"alice");
        assert_eq!(ok.success[1..], expected);
        let master = mschapv2::master_key("pa55w0rd", &nt);
        // Server send key is the client's receive key and vice versa.
        assert_eq!(ok.send_key, mschapv2::asymmetric_start_key(&master, false, false));
        assert_eq!(ok.recv_key, mschapv2::asymmetric_start_key(&master, true, false));
        assert_ne!(ok.send_key, ok.recv_key);
        assert!(!format!("{ok:?}").contains("send_key"));
        // Negative cases.
        assert!(mschapv2::verify(&ac, &resp, b"alice", "wrong").is_none());
        assert!(mschapv2::verify(&[8; 16], &resp, b"alice", "pa55w0rd").is_none());
        assert!(mschapv2::verify(&ac, &resp, b"bob", "pa55w0rd").is_none());
        assert!(mschapv2::verify(&ac[..15], &resp, b"alice", "pa55w0rd").is_none());
        assert!(mschapv2::verify(&ac, &resp[..49], b"alice", "pa55w0rd").is_none());
        // A "DOMAIN\" prefix is not part of the ChallengeHash.
        assert!(mschapv2::verify(&ac, &resp, b"CORP\\alice", "pa55w0rd").is_some());
        assert_eq!(mschapv2::challenge_hash(&pc, &ac, b"CORP\\alice"), mschapv2::challenge_hash(&pc, &ac, b"alice"));
    }

    #[test]
    fn ct_eq_basics() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
        assert!(ct_eq(b"", b""));
    }
}
