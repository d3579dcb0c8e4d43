//! The RouterOS API wire format, written from MikroTik's protocol page and
//! sharing nothing with lango or mikrotik-rs: a word is its length (1 to 5
//! bytes, by size) followed by its bytes; a sentence is words ended by an
//! empty word.

use std::io::{self, Read, Write};

/// Encode a word length in the shortest of the five forms.
pub fn encode_len(len: usize, out: &mut Vec<u8>) {
    let l = len as u64;
    if l < 0x80 {
        out.push(l as u8);
    } else if l < 0x4000 {
        out.extend_from_slice(&((l as u16) | 0x8000).to_be_bytes());
    } else if l < 0x20_0000 {
        let v = (l as u32) | 0xC0_0000;
        out.extend_from_slice(&v.to_be_bytes()[1..]);
    } else if l < 0x1000_0000 {
        out.extend_from_slice(&((l as u32) | 0xE000_0000).to_be_bytes());
    } else {
        out.push(0xF0);
        out.extend_from_slice(&(l as u32).to_be_bytes());
    }
}

/// Decode a length from the front of `buf`: (length, bytes used), or None
/// when `buf` is too short to tell. Control bytes (0xF8..) are refused.
pub fn decode_len(buf: &[u8]) -> Result<Option<(usize, usize)>, String> {
    let Some(&first) = buf.first() else { return Ok(None) };
    let (need, value) = match first {
        0x00..=0x7F => return Ok(Some((usize::from(first), 1))),
        0x80..=0xBF => (2, u64::from(first & 0x3F)),
        0xC0..=0xDF => (3, u64::from(first & 0x1F)),
        0xE0..=0xEF => (4, u64::from(first & 0x0F)),
        0xF0 => (5, 0),
        _ => return Err(format!("control byte {first:#04x} where a word length was expected")),
    };
    if buf.len() < need {
        return Ok(None);
    }
    let v = buf[1..need].iter().fold(value, |acc, b| (acc << 8) | u64::from(*b));
    Ok(Some((v as usize, need)))
}

/// Encode one sentence.
pub fn encode_sentence<S: AsRef<str>>(words: &[S]) -> Vec<u8> {
    let mut out = Vec::new();
    for w in words {
        let w = w.as_ref().as_bytes();
        encode_len(w.len(), &mut out);
        out.extend_from_slice(w);
    }
    out.push(0);
    out
}

/// Largest word the simulator accepts (a guard, not a RouterOS limit).
const MAX_WORD: usize = 16 * 1024 * 1024;

/// Read one sentence; Ok(None) at a clean end of stream.
pub fn read_sentence(r: &mut impl Read) -> io::Result<Option<Vec<String>>> {
    let mut words = Vec::new();
    loop {
        let mut head = vec![0u8; 1];
        match r.read_exact(&mut head) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof && words.is_empty() => return Ok(None),
            Err(e) => return Err(e),
        }
        let len = loop {
            match decode_len(&head).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))? {
                Some((len, _)) => break len,
                None => {
                    let mut b = [0u8; 1];
                    r.read_exact(&mut b)?;
                    head.push(b[0]);
                }
            }
        };
        if len == 0 {
            return Ok(Some(words));
        }
        if len > MAX_WORD {
            return Err(io::Error::new(io::ErrorKind::InvalidData, format!("word of {len} bytes")));
        }
        let mut word = vec![0u8; len];
        r.read_exact(&mut word)?;
        words.push(String::from_utf8_lossy(&word).into_owned());
    }
}

pub fn write_sentence<S: AsRef<str>>(w: &mut impl Write, words: &[S]) -> io::Result<()> {
    w.write_all(&encode_sentence(words))
}
