//! Generated secrets people type or paste: admin passwords and RADIUS
//! shared secrets, from a look-alike-free alphabet.

use ring::rand::{SecureRandom, SystemRandom};

const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// `len` random characters of [`ALPHABET`], uniformly (rejection sampling).
pub fn generate(len: usize) -> String {
    let rng = SystemRandom::new();
    let mut out = String::with_capacity(len);
    let limit = 256 - 256 % ALPHABET.len();
    while out.len() < len {
        let mut b = [0u8; 32];
        rng.fill(&mut b).expect("the system random generator failed");
        for x in b.iter().map(|x| usize::from(*x)).filter(|x| *x < limit).take(len - out.len()) {
            out.push(char::from(ALPHABET[x % ALPHABET.len()]));
        }
    }
    out
}

/// A generated admin password: 20 characters (about 116 bits).
pub fn password() -> String {
    generate(20)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_have_the_length_and_alphabet_and_differ() {
        let (a, b) = (password(), password());
        assert_eq!(a.len(), 20);
        assert!(a.bytes().all(|c| ALPHABET.contains(&c)));
        assert_ne!(a, b);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() && !"0O1lIio".contains(c)), "{a}");
        assert_eq!(generate(100).len(), 100);
    }
}
