//! Secrets at rest: subscriber passwords and NAS shared secrets are needed in
//! clear (CHAP, MS-CHAPv2, RADIUS authenticators), so they are sealed with
//! ChaCha20-Poly1305 under a 256-bit key kept in a file outside the database.

use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use std::io::Write;
use std::path::Path;

use crate::model::Sealed;

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("key file {path}")]
    Io { path: String, source: std::io::Error },
    #[error("key file {path} must hold exactly 32 bytes, found {len}")]
    BadKey { path: String, len: usize },
    #[error("a secret could not be decrypted: wrong key file, or the database was altered")]
    Open,
    #[error("system random generator failed")]
    Random,
}

/// What a sealed value is for; bound into the ciphertext so a NAS secret
/// cannot be swapped in as a password.
#[derive(Clone, Copy, Debug)]
pub enum Purpose {
    NasSecret,
    Password,
    KeyCheck,
    /// M-Pesa consumer secret and passkey.
    MpesaSecret,
    /// A router's RouterOS API password.
    RouterApiPassword,
    SmsApiKey,
    WebhookSecret,
    /// An admin's TOTP secret.
    TotpSecret,
    /// An off-site backup target's secret key or password.
    BackupTarget,
    /// SMS gateway keys and the SMTP password of notifications.
    NotifySecret,
    /// A router's SNMP community or SNMPv3 keys.
    SnmpSecret,
    /// A change on its way between the nodes of a deployment (sealed under
    /// the shared sync key, not lango.key).
    Sync,
    /// The GenieACS NBI password.
    AcsPassword,
    /// A CPE's Wi-Fi key.
    WifiKey,
    /// A tenant's KRA eTIMS OSCU communication key (`cmcKey`).
    EtimsCmcKey,
    /// A record's personal fields (phone, e-mail, a callback's body).
    Personal,
}

impl Purpose {
    fn aad(self) -> &'static [u8] {
        match self {
            Purpose::NasSecret => b"lango/nas-secret/v1",
            Purpose::Password => b"lango/password/v1",
            Purpose::KeyCheck => b"lango/key-check/v1",
            Purpose::MpesaSecret => b"lango/mpesa-secret/v1",
            Purpose::RouterApiPassword => b"lango/routeros-password/v1",
            Purpose::SmsApiKey => b"lango/sms-api-key/v1",
            Purpose::WebhookSecret => b"lango/webhook-secret/v1",
            Purpose::TotpSecret => b"lango/totp-secret/v1",
            Purpose::BackupTarget => b"lango/backup-target/v1",
            Purpose::NotifySecret => b"lango/notify-secret/v1",
            Purpose::SnmpSecret => b"lango/snmp-secret/v1",
            Purpose::Sync => b"lango/sync/v1",
            Purpose::AcsPassword => b"lango/acs-password/v1",
            Purpose::WifiKey => b"lango/wifi-key/v1",
            Purpose::EtimsCmcKey => b"lango/etims-cmc-key/v1",
            Purpose::Personal => b"lango/personal/v1",
        }
    }
}

pub struct SecretBox {
    key: LessSafeKey,
    rng: SystemRandom,
    /// HKDF key for what is derived from the key file (backup keys, the
    /// key's id), never the sealing key itself.
    prk: ring::hkdf::Prk,
    /// HMAC-SHA256 key of the phone tokens (derived, see `phone_token`).
    phone_key: ring::hmac::Key,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

impl SecretBox {
    pub fn from_key(bytes: &[u8; 32]) -> Self {
        let key = UnboundKey::new(&CHACHA20_POLY1305, bytes).expect("32-byte key fits ChaCha20-Poly1305");
        let prk = ring::hkdf::Salt::new(ring::hkdf::HKDF_SHA256, b"lango/derived/v1").extract(bytes);
        let mut sb = SecretBox {
            key: LessSafeKey::new(key),
            rng: SystemRandom::new(),
            prk,
            phone_key: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &[]),
        };
        sb.phone_key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &sb.derive(b"lango/phone-token/v1"));
        sb
    }

    /// The token under which a phone number (canonical 2547XXXXXXXX) is
    /// indexed: 128 bits of HMAC-SHA256 under a key derived from the key
    /// file, as hex. Equal numbers give equal tokens; without the key file a
    /// token cannot be checked against a guessed number.
    pub fn phone_token(&self, msisdn: &str) -> String {
        to_hex(&ring::hmac::sign(&self.phone_key, msisdn.as_bytes()).as_ref()[..16])
    }

    /// 32 bytes derived from the key file for `info` (HKDF-SHA256): a
    /// backup's own encryption key (info carries its random salt), or the
    /// key's public id.
    pub fn derive(&self, info: &[u8]) -> [u8; 32] {
        struct Len;
        impl ring::hkdf::KeyType for Len {
            fn len(&self) -> usize {
                32
            }
        }
        let mut out = [0u8; 32];
        let infos = [info];
        self.prk.expand(&infos, Len).and_then(|okm| okm.fill(&mut out)).expect("32 bytes is a valid HKDF length");
        out
    }

    /// A short public name of the key file (which key a backup needs).
    pub fn key_id(&self) -> String {
        to_hex(&self.derive(b"lango/key-id/v1")[..8])
    }

    /// Read the key file, creating it (mode 0600) with a fresh random key
    /// when it does not exist and `create` is set.
    pub fn load_or_create(path: &Path, create: bool) -> Result<Self, SecretError> {
        let io = |source| SecretError::Io { path: path.display().to_string(), source };
        match std::fs::read(path) {
            Ok(bytes) => {
                let key: [u8; 32] = bytes
                    .as_slice()
                    .try_into()
                    .map_err(|_| SecretError::BadKey { path: path.display().to_string(), len: bytes.len() })?;
                Ok(Self::from_key(&key))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {
                let mut key = [0u8; 32];
                SystemRandom::new().fill(&mut key).map_err(|_| SecretError::Random)?;
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(io)?;
                }
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
                let mut f = opts.open(path).map_err(io)?;
                f.write_all(&key).map_err(io)?;
                f.sync_all().map_err(io)?;
                Ok(Self::from_key(&key))
            }
            Err(e) => Err(io(e)),
        }
    }

    pub fn seal(&self, purpose: Purpose, plain: &[u8]) -> Sealed {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng.fill(&mut nonce).expect("system random generator");
        let mut buf = plain.to_vec();
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(purpose.aad()), &mut buf)
            .expect("sealing a short secret cannot fail");
        let mut out = Vec::with_capacity(NONCE_LEN + buf.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&buf);
        Sealed(out)
    }

    pub fn open(&self, purpose: Purpose, sealed: &Sealed) -> Result<Vec<u8>, SecretError> {
        let (nonce, body) = sealed.0.split_at_checked(NONCE_LEN).ok_or(SecretError::Open)?;
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SecretError::Open)?;
        let mut buf = body.to_vec();
        let plain = self.key.open_in_place(nonce, Aad::from(purpose.aad()), &mut buf).map_err(|_| SecretError::Open)?;
        let n = plain.len();
        buf.truncate(n);
        Ok(buf)
    }
}

/// `bytes` random bytes from the OS, as lowercase hex: unguessable tokens
/// (callback URLs) and ids that must never collide.
pub fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    SystemRandom::new().fill(&mut b).expect("OS random number generator failed");
    to_hex(&b)
}

/// The bytes of lowercase or uppercase hex (None for odd length or a non-hex digit).
pub fn from_hex(s: &str) -> Option<Vec<u8>> {
    (0..s.len()).step_by(2).map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok())).collect()
}

/// Lowercase hex of `b`.
pub fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// SHA-256 of `s` as hex: how bearer tokens (hooks, API) are kept, so the
/// database never holds a usable token.
pub fn sha256_hex(s: &str) -> String {
    to_hex(ring::digest::digest(&ring::digest::SHA256, s.as_bytes()).as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_tamper() {
        let b = SecretBox::from_key(&[7u8; 32]);
        let s = b.seal(Purpose::Password, b"demo-pass");
        assert!(!s.0.windows(9).any(|w| w == b"demo-pass"), "ciphertext must not contain the secret");
        assert_eq!(b.open(Purpose::Password, &s).unwrap(), b"demo-pass");
        assert!(b.open(Purpose::NasSecret, &s).is_err(), "purpose is bound");
        let mut t = s.clone();
        *t.0.last_mut().unwrap() ^= 1;
        assert!(b.open(Purpose::Password, &t).is_err());
        assert!(SecretBox::from_key(&[8u8; 32]).open(Purpose::Password, &s).is_err());
    }
}
