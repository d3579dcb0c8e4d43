//! RADIUS wire codec (RFC 2865/2866/5176): zero-allocation packet decoding
//! with up-front attribute validation, a packet [`Builder`] that always puts
//! Message-Authenticator first (Blast-RADIUS / CVE-2024-3596 mitigation), and
//! the packet-level integrity checks (Request/Response Authenticator and
//! Message-Authenticator, RFC 3579 §3.2 / RFC 5176 §3.3). Pure: no I/O, no
//! clock; the only side effect is [`random_authenticator`] reading the OS RNG.

use std::net::Ipv4Addr;

use hmac::{Hmac, KeyInit, Mac};
use md5::{Digest, Md5};

use super::crypto::ct_eq;
use super::dict::attr::{MESSAGE_AUTHENTICATOR, VENDOR_SPECIFIC};

type HmacMd5 = Hmac<Md5>;

/// Largest RADIUS packet (RFC 2865 §3).
pub const MAX_PACKET: usize = 4096;
/// Code + Identifier + Length + Authenticator.
pub const HEADER_LEN: usize = 20;

/// Offset of the Message-Authenticator value in every packet [`Builder`] makes.
const MA_VALUE: usize = HEADER_LEN + 2;
/// Largest attribute value (255 minus the type and length octets).
const MAX_VALUE: usize = 253;
/// Largest VSA payload: 253 minus vendor id (4), vendor type and length (2).
const MAX_VSA_VALUE: usize = MAX_VALUE - 6;

/// RADIUS packet codes this server understands.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Code {
    AccessRequest = 1,
    AccessAccept = 2,
    AccessReject = 3,
    AccountingRequest = 4,
    AccountingResponse = 5,
    AccessChallenge = 11,
    StatusServer = 12,
    StatusClient = 13,
    DisconnectRequest = 40,
    DisconnectAck = 41,
    DisconnectNak = 42,
    CoaRequest = 43,
    CoaAck = 44,
    CoaNak = 45,
}

impl Code {
    /// Requests whose authenticator is MD5(... zero authenticator ... secret):
    /// Accounting-Request, Disconnect-Request and CoA-Request.
    pub fn is_signed_request(self) -> bool {
        matches!(self, Code::AccountingRequest | Code::DisconnectRequest | Code::CoaRequest)
    }
}

impl TryFrom<u8> for Code {
    type Error = DecodeError;

    fn try_from(v: u8) -> Result<Self, DecodeError> {
        Ok(match v {
            1 => Code::AccessRequest,
            2 => Code::AccessAccept,
            3 => Code::AccessReject,
            4 => Code::AccountingRequest,
            5 => Code::AccountingResponse,
            11 => Code::AccessChallenge,
            12 => Code::StatusServer,
            13 => Code::StatusClient,
            40 => Code::DisconnectRequest,
            41 => Code::DisconnectAck,
            42 => Code::DisconnectNak,
            43 => Code::CoaRequest,
            44 => Code::CoaAck,
            45 => Code::CoaNak,
            other => return Err(DecodeError::UnknownCode(other)),
        })
    }
}

/// Why a datagram is not a well-formed RADIUS packet. Offsets are from the
/// start of the packet.
#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone, Copy)]
pub enum DecodeError {
    /// Datagram, or the header's Length field, is below 20 octets.
    #[error("packet too short: {len} octets")]
    TooShort { len: usize },
    /// Datagram, or the header's Length field, is above 4096 octets.
    #[error("packet too long: {len} octets")]
    TooLong { len: usize },
    /// Header Length exceeds the datagram (extra trailing octets are allowed
    /// and ignored, RFC 2865 §3).
    #[error("header length {header} exceeds datagram length {actual}")]
    LengthMismatch { header: usize, actual: usize },
    #[error("unknown packet code {0}")]
    UnknownCode(u8),
    /// A single octet left where an attribute header (2 octets) should be.
    #[error("attribute header truncated at offset {offset}")]
    AttributeTruncated { offset: usize },
    /// Attribute length below 2 or running past the packet end.
    #[error("bad attribute length {len} at offset {offset}")]
    AttributeLength { offset: usize, len: u8 },
}

impl DecodeError {
    /// Short stable snake_case label, for metrics counters.
    pub fn reason(&self) -> &'static str {
        match self {
            DecodeError::TooShort { .. } => "too_short",
            DecodeError::TooLong { .. } => "too_long",
            DecodeError::LengthMismatch { .. } => "length_mismatch",
            DecodeError::UnknownCode(_) => "unknown_code",
            DecodeError::AttributeTruncated { .. } => "attribute_truncated",
            DecodeError::AttributeLength { .. } => "bad_attribute_length",
        }
    }
}

/// A decoded packet borrowing the receive buffer. All attribute lengths were
/// validated by [`Packet::decode`], so iteration cannot fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packet<'a> {
    pub code: Code,
    pub identifier: u8,
    pub authenticator: [u8; 16],
    /// The whole packet, truncated to the header's Length field.
    pub raw: &'a [u8],
}

impl<'a> Packet<'a> {
    /// Parses and validates a datagram. Never allocates.
    pub fn decode(buf: &'a [u8]) -> Result<Self, DecodeError> {
        if buf.len() > MAX_PACKET {
            return Err(DecodeError::TooLong { len: buf.len() });
        }
        if buf.len() < HEADER_LEN {
            return Err(DecodeError::TooShort { len: buf.len() });
        }
        let len = usize::from(u16::from_be_bytes([buf[2], buf[3]]));
        if len < HEADER_LEN {
            return Err(DecodeError::TooShort { len });
        }
        if len > MAX_PACKET {
            return Err(DecodeError::TooLong { len });
        }
        if len > buf.len() {
            return Err(DecodeError::LengthMismatch { header: len, actual: buf.len() });
        }
        let code = Code::try_from(buf[0])?;
        let raw = &buf[..len];
        let mut off = HEADER_LEN;
        while off < len {
            if len - off < 2 {
                return Err(DecodeError::AttributeTruncated { offset: off });
            }
            let alen = raw[off + 1];
            if alen < 2 || usize::from(alen) > len - off {
                return Err(DecodeError::AttributeLength { offset: off, len: alen });
            }
            off += usize::from(alen);
        }
        let mut authenticator = [0u8; 16];
        authenticator.copy_from_slice(&raw[4..HEADER_LEN]);
        Ok(Packet { code, identifier: buf[1], authenticator, raw })
    }

    /// All attributes in wire order as (type, value).
    pub fn attributes(&self) -> Attributes<'a> {
        Attributes { rest: self.raw.get(HEADER_LEN..).unwrap_or_default() }
    }

    /// First value of attribute `t`.
    pub fn attr(&self, t: u8) -> Option<&'a [u8]> {
        self.attributes().find(|&(at, _)| at == t).map(|(_, v)| v)
    }

    /// First value of attribute `t` as a big-endian u32, if exactly 4 octets.
    pub fn attr_u32(&self, t: u8) -> Option<u32> {
        self.attr(t).and_then(be_u32)
    }

    pub fn has_attr(&self, t: u8) -> bool {
        self.attr(t).is_some()
    }

    /// All RFC 2865-format vendor sub-attributes as (vendor, type, value),
    /// across every Vendor-Specific attribute. Malformed VSA payloads end
    /// their own iteration silently (they are opaque to the codec).
    pub fn vendor_attributes(&self) -> VendorAttributes<'a> {
        VendorAttributes { outer: self.attributes(), vendor: 0, rest: &[] }
    }

    /// First sub-attribute `vtype` of vendor `vendor`.
    pub fn vsa(&self, vendor: u32, vtype: u8) -> Option<&'a [u8]> {
        self.vendor_attributes().find(|&(v, t, _)| v == vendor && t == vtype).map(|(_, _, val)| val)
    }

    /// (offset of value, value) of every Message-Authenticator attribute.
    fn message_authenticators(&self) -> impl Iterator<Item = (usize, &'a [u8])> {
        let mut off = HEADER_LEN;
        self.attributes().filter_map(move |(t, v)| {
            let value_off = off + 2;
            off += v.len() + 2;
            (t == MESSAGE_AUTHENTICATOR).then_some((value_off, v))
        })
    }
}

fn be_u32(v: &[u8]) -> Option<u32> {
    <[u8; 4]>::try_from(v).ok().map(u32::from_be_bytes)
}

/// Iterator over (type, value) of a validated packet.
#[derive(Clone, Debug)]
pub struct Attributes<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Attributes<'a> {
    type Item = (u8, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let (&t, tail) = self.rest.split_first()?;
        let len = usize::from(*tail.first()?);
        // Validated by decode; stay panic-free regardless.
        let Some(value) = self.rest.get(2..len) else {
            self.rest = &[];
            return None;
        };
        self.rest = &self.rest[len..];
        Some((t, value))
    }
}

/// Iterator over (vendor, vendor-type, value) of all VSAs.
#[derive(Clone, Debug)]
pub struct VendorAttributes<'a> {
    outer: Attributes<'a>,
    vendor: u32,
    rest: &'a [u8],
}

impl<'a> Iterator for VendorAttributes<'a> {
    type Item = (u32, u8, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let [t, len, ..] = *self.rest {
                let len = usize::from(len);
                if len >= 2 && len <= self.rest.len() {
                    let value = &self.rest[2..len];
                    self.rest = &self.rest[len..];
                    return Some((self.vendor, t, value));
                }
            }
            // Current VSA exhausted (or malformed): move to the next one.
            let (vendor, sub) = loop {
                let (t, v) = self.outer.next()?;
                if t == VENDOR_SPECIFIC && v.len() >= 4 {
                    break (be_u32(&v[..4])?, &v[4..]);
                }
            };
            self.vendor = vendor;
            self.rest = sub;
        }
    }
}

/// Why a packet could not be built.
#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone, Copy)]
pub enum EncodeError {
    #[error("value of attribute {attr} too long: {len} octets")]
    ValueTooLong { attr: u8, len: usize },
    #[error("packet would be {len} octets, over the 4096 limit")]
    PacketTooLong { len: usize },
    /// Message-Authenticator is managed by the builder and cannot be added.
    #[error("Message-Authenticator is added by the builder")]
    MessageAuthenticator,
}

/// Builds a packet. Message-Authenticator (80) is ALWAYS the first attribute
/// of every packet it builds (Blast-RADIUS / CVE-2024-3596 mitigation).
#[derive(Clone, Debug)]
pub struct Builder {
    buf: Vec<u8>,
}

impl Builder {
    /// Header plus a zeroed Message-Authenticator placeholder.
    pub fn new(code: Code, identifier: u8) -> Self {
        let mut buf = Vec::with_capacity(256);
        buf.extend_from_slice(&[code as u8, identifier, 0, 0]);
        buf.extend_from_slice(&[0; 16]);
        buf.extend_from_slice(&[MESSAGE_AUTHENTICATOR, 18]);
        buf.extend_from_slice(&[0; 16]);
        Builder { buf }
    }

    fn reserve(&self, extra: usize) -> Result<(), EncodeError> {
        let len = self.buf.len() + extra;
        if len > MAX_PACKET {
            return Err(EncodeError::PacketTooLong { len });
        }
        Ok(())
    }

    /// Appends attribute `t` (value at most 253 octets).
    pub fn add(&mut self, t: u8, value: &[u8]) -> Result<&mut Self, EncodeError> {
        if t == MESSAGE_AUTHENTICATOR {
            return Err(EncodeError::MessageAuthenticator);
        }
        if value.len() > MAX_VALUE {
            return Err(EncodeError::ValueTooLong { attr: t, len: value.len() });
        }
        self.reserve(2 + value.len())?;
        self.buf.extend_from_slice(&[t, 2 + value.len() as u8]);
        self.buf.extend_from_slice(value);
        Ok(self)
    }

    pub fn add_u32(&mut self, t: u8, v: u32) -> Result<&mut Self, EncodeError> {
        self.add(t, &v.to_be_bytes())
    }

    pub fn add_str(&mut self, t: u8, s: &str) -> Result<&mut Self, EncodeError> {
        self.add(t, s.as_bytes())
    }

    pub fn add_ipv4(&mut self, t: u8, ip: Ipv4Addr) -> Result<&mut Self, EncodeError> {
        self.add(t, &ip.octets())
    }

    /// One RFC 2865-format VSA per Vendor-Specific attribute (value at most
    /// 247 octets; `ValueTooLong` reports attribute 26).
    pub fn add_vsa(&mut self, vendor: u32, vtype: u8, value: &[u8]) -> Result<&mut Self, EncodeError> {
        if value.len() > MAX_VSA_VALUE {
            return Err(EncodeError::ValueTooLong { attr: VENDOR_SPECIFIC, len: value.len() });
        }
        self.reserve(8 + value.len())?;
        let n = value.len() as u8;
        self.buf.extend_from_slice(&[VENDOR_SPECIFIC, 8 + n]);
        self.buf.extend_from_slice(&vendor.to_be_bytes());
        self.buf.extend_from_slice(&[vtype, 2 + n]);
        self.buf.extend_from_slice(value);
        Ok(self)
    }

    pub fn add_vsa_u32(&mut self, vendor: u32, vtype: u8, v: u32) -> Result<&mut Self, EncodeError> {
        self.add_vsa(vendor, vtype, &v.to_be_bytes())
    }

    /// Current encoded length (header and Message-Authenticator included).
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Never true: the header is always present.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Writes Length and `authenticator`, then the Message-Authenticator
    /// computed over the packet as it stands.
    fn seal(&mut self, authenticator: &[u8; 16], secret: &[u8]) -> Result<(), EncodeError> {
        let len = self.buf.len();
        let len16 = u16::try_from(len).ok().filter(|_| len <= MAX_PACKET).ok_or(EncodeError::PacketTooLong { len })?;
        self.buf[2..4].copy_from_slice(&len16.to_be_bytes());
        self.buf[4..HEADER_LEN].copy_from_slice(authenticator);
        self.buf[MA_VALUE..MA_VALUE + 16].fill(0);
        let mut mac = hmac_md5(secret);
        mac.update(&self.buf);
        let tag = mac.finalize().into_bytes();
        self.buf[MA_VALUE..MA_VALUE + 16].copy_from_slice(&tag);
        Ok(())
    }

    /// MD5(packet with current authenticator field + secret) into the
    /// authenticator field.
    fn sign(&mut self, secret: &[u8]) {
        let mut h = Md5::new();
        h.update(&self.buf);
        h.update(secret);
        let digest = h.finalize();
        self.buf[4..HEADER_LEN].copy_from_slice(&digest);
    }

    /// Reply (Access-Accept/Reject/Challenge, Accounting-Response, CoA and
    /// Disconnect ACK/NAK): Message-Authenticator = HMAC-MD5(secret, packet
    /// with MA zeroed and the request authenticator in the authenticator
    /// field); then Response Authenticator =
    /// MD5(Code+ID+Length+RequestAuth+Attributes+Secret).
    pub fn finish_response(mut self, request_authenticator: &[u8; 16], secret: &[u8]) -> Result<Vec<u8>, EncodeError> {
        self.seal(request_authenticator, secret)?;
        self.sign(secret);
        Ok(self.buf)
    }

    /// Accounting-Response to an Accounting-Request: Message-Authenticator
    /// computed with a zero authenticator field, as for the accounting
    /// request itself (FreeRADIUS 3.x signs and verifies it this way; RFC
    /// 3579 defines the Access-* replies only), then the Response
    /// Authenticator as usual. A reply to Status-Server on the accounting
    /// port uses [`Builder::finish_response`] instead (RFC 5997).
    pub fn finish_accounting_response(
        mut self,
        request_authenticator: &[u8; 16],
        secret: &[u8],
    ) -> Result<Vec<u8>, EncodeError> {
        self.seal(&[0; 16], secret)?;
        self.buf[4..HEADER_LEN].copy_from_slice(request_authenticator);
        self.sign(secret);
        Ok(self.buf)
    }

    /// Access-Request / Status-Server: uses `authenticator` (normally
    /// [`random_authenticator`]) as Request Authenticator and computes the
    /// Message-Authenticator over it. Hiding User-Password etc. with that
    /// same authenticator is the caller's job.
    pub fn finish_access_request(mut self, authenticator: [u8; 16], secret: &[u8]) -> Result<Vec<u8>, EncodeError> {
        self.seal(&authenticator, secret)?;
        Ok(self.buf)
    }

    /// Accounting-Request, CoA-Request, Disconnect-Request: Message-
    /// Authenticator over the packet with a zero authenticator field, then
    /// authenticator = MD5(Code+ID+Length+16 zero octets+Attributes+Secret)
    /// (RFC 2866 §3, RFC 5176 §3.5, RFC 3579 §3.2).
    pub fn finish_signed_request(mut self, secret: &[u8]) -> Result<Vec<u8>, EncodeError> {
        self.seal(&[0; 16], secret)?;
        self.sign(secret);
        Ok(self.buf)
    }
}

/// HMAC-MD5 keyed with `secret`. Keying hashes the padded key twice (two
/// MD5 blocks); each worker thread serves mostly one NAS, so the keyed
/// state of the last secret is kept per thread and cloned. The comparison
/// is between our own stored secrets, never attacker input.
fn hmac_md5(secret: &[u8]) -> HmacMd5 {
    thread_local! {
        static LAST: std::cell::RefCell<Option<(Vec<u8>, HmacMd5)>> = const { std::cell::RefCell::new(None) };
    }
    LAST.with(|cell| {
        let mut last = cell.borrow_mut();
        if let Some((key, mac)) = last.as_ref()
            && key.as_slice() == secret
        {
            return mac.clone();
        }
        // HMAC accepts keys of any length; the error branch is unreachable.
        let mac = <HmacMd5 as KeyInit>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
        *last = Some((secret.to_vec(), mac.clone()));
        mac
    })
}

/// Outcome of [`check_message_authenticator`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaStatus {
    Absent,
    Valid,
    Invalid,
}

/// Checks Message-Authenticator in a received packet. For Access-Request /
/// Status-Server (and any packet without `request_authenticator`) the
/// packet's own authenticator is used; for Accounting-Request, CoA-Request
/// and Disconnect-Request the authenticator field is treated as 16 zero
/// octets; for responses pass `Some(request_authenticator)`. Constant-time
/// compare. A Message-Authenticator of length other than 16 octets, or a
/// second one, makes the packet `Invalid`.
pub fn check_message_authenticator(
    packet: &Packet,
    secret: &[u8],
    request_authenticator: Option<&[u8; 16]>,
) -> MaStatus {
    let mut found = packet.message_authenticators();
    let Some((off, value)) = found.next() else {
        return MaStatus::Absent;
    };
    if value.len() != 16 || found.next().is_some() {
        return MaStatus::Invalid;
    }
    let zero = [0u8; 16];
    let auth: &[u8] = match request_authenticator {
        Some(ra) => ra,
        None if packet.code.is_signed_request() => &zero,
        None => &packet.authenticator,
    };
    let raw = packet.raw;
    let mut mac = hmac_md5(secret);
    mac.update(&raw[..4]);
    mac.update(auth);
    mac.update(&raw[HEADER_LEN..off]);
    mac.update(&zero);
    mac.update(&raw[off + 16..]);
    match mac.verify_slice(value) {
        Ok(()) => MaStatus::Valid,
        Err(_) => MaStatus::Invalid,
    }
}

fn authenticator_digest(packet: &Packet, auth: &[u8; 16], secret: &[u8]) -> [u8; 16] {
    let mut h = Md5::new();
    h.update(&packet.raw[..4]);
    h.update(auth);
    h.update(&packet.raw[HEADER_LEN..]);
    h.update(secret);
    h.finalize().into()
}

/// Accounting-Request / CoA-Request / Disconnect-Request: checks
/// authenticator == MD5(Code+ID+Length+16 zero octets+Attributes+Secret).
pub fn verify_request_authenticator(packet: &Packet, secret: &[u8]) -> bool {
    ct_eq(&authenticator_digest(packet, &[0; 16], secret), &packet.authenticator)
}

/// Checks a reply's authenticator ==
/// MD5(Code+ID+Length+RequestAuth+Attributes+Secret).
pub fn verify_response_authenticator(packet: &Packet, request_authenticator: &[u8; 16], secret: &[u8]) -> bool {
    ct_eq(&authenticator_digest(packet, request_authenticator, secret), &packet.authenticator)
}

/// 16 octets from the OS CSPRNG (ring's SystemRandom).
pub fn random_authenticator() -> [u8; 16] {
    use ring::rand::SecureRandom;
    let mut a = [0u8; 16];
    ring::rand::SystemRandom::new().fill(&mut a).expect("OS random number generator failed");
    a
}
