//! Voucher code generation: spec validation (charset, length, guess-resistance density), unbiased
//! random codes from a look-alike-free alphabet, and normalisation of codes typed in by users.

use std::collections::HashSet;

/// Characters used for the random part: no 0/O, 1/I/L look-alikes.
pub const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// The code space must hold at least this many codes per issued code, so a guesser needs about
/// this many tries per hit.
pub const DENSITY_FACTOR: u128 = 10_000;

pub const MIN_LENGTH: u8 = 6;
pub const MAX_LENGTH: u8 = 16;
pub const MAX_PREFIX: usize = 8;
pub const MAX_COUNT: u32 = 100_000;

/// Largest byte value accepted by rejection sampling: 248 = 8 × 31, so `b % 31` is uniform.
const REJECT_AT: u8 = (256 / ALPHABET.len() * ALPHABET.len()) as u8;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VoucherError {
    #[error("prefix {0:?} may only contain A-Z, 0-9 and '-'")]
    PrefixChars(String),
    #[error("prefix {0:?} is longer than {MAX_PREFIX} characters")]
    PrefixLength(String),
    #[error("code length {0} is outside {MIN_LENGTH}..={MAX_LENGTH}")]
    Length(u8),
    #[error("count {0} is outside 1..={MAX_COUNT}")]
    Count(u32),
    #[error(
        "code length {length} gives {space} codes, but {needed} codes ({DENSITY_FACTOR} per issued code) are needed; {hint}"
    )]
    TooDense { length: u8, space: u128, needed: u128, hint: String },
    #[error("could not find {wanted} unused codes after {attempts} attempts; use a longer code")]
    Exhausted { wanted: u32, attempts: u64 },
}

/// What to generate: `count` codes of `prefix` (verbatim, e.g. `"HS-"`) followed by `length`
/// random characters from [`ALPHABET`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeSpec {
    pub prefix: String,
    pub length: u8,
    pub count: u32,
}

impl CodeSpec {
    /// Checks charset and bounds, and that `ALPHABET.len() ^ length` is at least
    /// `DENSITY_FACTOR × (count + existing)` where `existing` is the number of live codes that share
    /// the code space (same prefix).
    pub fn validate(&self, existing: u64) -> Result<(), VoucherError> {
        if !self.prefix.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-') {
            return Err(VoucherError::PrefixChars(self.prefix.clone()));
        }
        if self.prefix.len() > MAX_PREFIX {
            return Err(VoucherError::PrefixLength(self.prefix.clone()));
        }
        if !(MIN_LENGTH..=MAX_LENGTH).contains(&self.length) {
            return Err(VoucherError::Length(self.length));
        }
        if !(1..=MAX_COUNT).contains(&self.count) {
            return Err(VoucherError::Count(self.count));
        }
        let needed = DENSITY_FACTOR * (u128::from(self.count) + u128::from(existing));
        let space = code_space(self.length);
        if space < needed {
            let hint = match (self.length..=MAX_LENGTH).find(|&l| code_space(l) >= needed) {
                Some(l) => format!("use length {l} or more"),
                // Unreachable: 31^16 > 10,000 × (MAX_COUNT + u64::MAX).
                None => format!("no length up to {MAX_LENGTH} is enough"),
            };
            return Err(VoucherError::TooDense { length: self.length, space, needed, hint });
        }
        Ok(())
    }
}

/// Number of distinct random parts of `length` characters.
pub fn code_space(length: u8) -> u128 {
    (ALPHABET.len() as u128).pow(u32::from(length))
}

/// Generates `spec.count` distinct codes. `existing` is the number of live codes with the same
/// prefix (for the density check); `taken(normalized_code)` says whether a code is already in the
/// store; `rng` fills a buffer with random bytes (lango: `ring::rand::SystemRandom::fill`).
///
/// Uniqueness, both within the batch and against `taken`, is decided on [`normalize`]d codes, which
/// is also the form lango should store and look codes up by.
pub fn generate(
    spec: &CodeSpec,
    existing: u64,
    taken: impl Fn(&str) -> bool,
    rng: &mut impl FnMut(&mut [u8]),
) -> Result<Vec<String>, VoucherError> {
    spec.validate(existing)?;
    let wanted = spec.count as usize;
    let mut out = Vec::with_capacity(wanted);
    let mut seen: HashSet<String> = HashSet::with_capacity(wanted);
    let mut bytes = RandomBytes::new(rng);
    // With the density rule a collision has probability ≤ 1/10,000, so this bound is only hit
    // when `taken` lies (e.g. always true) or the store is far fuller than `existing` claims.
    let max_attempts = 2 * u64::from(spec.count) + 1_000;
    let mut attempts = 0u64;
    while out.len() < wanted {
        if attempts >= max_attempts {
            return Err(VoucherError::Exhausted { wanted: spec.count, attempts });
        }
        attempts += 1;
        let mut code = String::with_capacity(spec.prefix.len() + usize::from(spec.length));
        code.push_str(&spec.prefix);
        for _ in 0..spec.length {
            code.push(char::from(ALPHABET[bytes.index()]));
        }
        let key = normalize(&code);
        if seen.contains(&key) || taken(&key) {
            continue;
        }
        seen.insert(key);
        out.push(code);
    }
    Ok(out)
}

/// Canonical form of a code as typed by a user: ASCII-uppercased, with whitespace and dashes
/// removed (cards may show `HS-7KQ2 M9XP`; users type `hs 7kq2m9xp`). Idempotent.
pub fn normalize(input: &str) -> String {
    input.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_uppercase()).collect()
}

/// Buffers rng output so the rng (a syscall for SystemRandom) is called once per 4 KiB.
struct RandomBytes<'a, R: FnMut(&mut [u8])> {
    rng: &'a mut R,
    buf: [u8; 4096],
    pos: usize,
}

impl<'a, R: FnMut(&mut [u8])> RandomBytes<'a, R> {
    fn new(rng: &'a mut R) -> Self {
        Self { rng, buf: [0; 4096], pos: 4096 }
    }

    /// A uniform index into [`ALPHABET`], by rejection sampling.
    fn index(&mut self) -> usize {
        loop {
            if self.pos == self.buf.len() {
                (self.rng)(&mut self.buf);
                self.pos = 0;
            }
            let b = self.buf[self.pos];
            self.pos += 1;
            if b < REJECT_AT {
                return usize::from(b) % ALPHABET.len();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// SplitMix64: deterministic test rng.
    fn seeded(mut state: u64) -> impl FnMut(&mut [u8]) {
        move |buf: &mut [u8]| {
            for chunk in buf.chunks_mut(8) {
                state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = state;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^= z >> 31;
                chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
            }
        }
    }

    fn spec(prefix: &str, length: u8, count: u32) -> CodeSpec {
        CodeSpec { prefix: prefix.into(), length, count }
    }

    #[test]
    fn ten_thousand_unique_codes_in_alphabet() {
        let codes = generate(&spec("HS-", 8, 10_000), 0, |_| false, &mut seeded(1)).unwrap();
        assert_eq!(codes.len(), 10_000);
        let unique: HashSet<&String> = codes.iter().collect();
        assert_eq!(unique.len(), 10_000);
        for c in &codes {
            let rest = c.strip_prefix("HS-").expect("prefix");
            assert_eq!(rest.len(), 8, "{c}");
            assert!(rest.bytes().all(|b| ALPHABET.contains(&b)), "{c}");
        }
    }

    #[test]
    fn distribution_is_roughly_uniform() {
        let codes = generate(&spec("", 10, 10_000), 0, |_| false, &mut seeded(7)).unwrap();
        let mut hist = [0u32; 256];
        for c in &codes {
            for b in c.bytes() {
                hist[usize::from(b)] += 1;
            }
        }
        // 100,000 chars / 31 symbols ≈ 3226 each; biased `% 31` without rejection would give the
        // first 8 symbols ~3.2 % more, so a ±6 % window still catches gross bias or missing symbols.
        for &b in ALPHABET {
            let n = hist[usize::from(b)];
            assert!((3030..=3420).contains(&n), "{} appeared {n} times", char::from(b));
        }
        assert_eq!(hist.iter().sum::<u32>(), 100_000);
    }

    #[test]
    fn deterministic_for_same_seed() {
        let a = generate(&spec("X", 8, 50), 0, |_| false, &mut seeded(3)).unwrap();
        let b = generate(&spec("X", 8, 50), 0, |_| false, &mut seeded(3)).unwrap();
        let c = generate(&spec("X", 8, 50), 0, |_| false, &mut seeded(4)).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn density_refusal_names_a_sufficient_length() {
        // 31^6 = 887,503,681 < 10,000 × 100,000 = 10^9; 31^7 ≈ 2.75e10 is enough.
        let err = generate(&spec("", 6, 100_000), 0, |_| false, &mut seeded(1)).unwrap_err();
        assert!(matches!(err, VoucherError::TooDense { length: 6, .. }), "{err:?}");
        assert!(err.to_string().contains("use length 7 or more"), "{err}");
        // Existing codes count too: 80,000 new fit in length 6 alone, not with 10,000 existing.
        assert!(spec("", 6, 80_000).validate(0).is_ok());
        let err = spec("", 6, 80_000).validate(10_000).unwrap_err();
        assert!(err.to_string().contains("use length 7"), "{err}");
        // 31^16 ≈ 7.3e23 exceeds 10,000 × (100,000 + u64::MAX), so length 16 always suffices.
        assert!(spec("", 16, 100_000).validate(u64::MAX).is_ok());
        let err = spec("", 15, 100_000).validate(u64::MAX).unwrap_err();
        assert!(err.to_string().contains("use length 16 or more"), "{err}");
    }

    #[test]
    fn spec_bounds() {
        assert_eq!(spec("hs", 8, 1).validate(0), Err(VoucherError::PrefixChars("hs".into())));
        assert_eq!(spec("A B", 8, 1).validate(0), Err(VoucherError::PrefixChars("A B".into())));
        assert_eq!(spec("ABCDEFGHI", 8, 1).validate(0), Err(VoucherError::PrefixLength("ABCDEFGHI".into())));
        assert!(spec("ABC-1234", 8, 1).validate(0).is_ok());
        assert_eq!(spec("", 5, 1).validate(0), Err(VoucherError::Length(5)));
        assert_eq!(spec("", 17, 1).validate(0), Err(VoucherError::Length(17)));
        assert_eq!(spec("", 8, 0).validate(0), Err(VoucherError::Count(0)));
        assert_eq!(spec("", 8, 100_001).validate(0), Err(VoucherError::Count(100_001)));
        assert!(spec("", 16, 100_000).validate(0).is_ok());
    }

    #[test]
    fn taken_codes_are_skipped() {
        // Find what seed 9 would produce, mark every other one taken, and regenerate.
        let first = generate(&spec("HS-", 8, 20), 0, |_| false, &mut seeded(9)).unwrap();
        let taken: HashSet<String> = first.iter().step_by(2).map(|c| normalize(c)).collect();
        let second = generate(&spec("HS-", 8, 20), 10, |c| taken.contains(c), &mut seeded(9)).unwrap();
        assert_eq!(second.len(), 20);
        for c in &second {
            assert!(!taken.contains(&normalize(c)), "{c} was taken");
        }
        // The untaken half of the first batch still appears, in order: the rng stream is the same.
        let kept: Vec<&String> = first.iter().skip(1).step_by(2).collect();
        let again: Vec<&String> = second.iter().filter(|c| first.contains(c)).collect();
        assert_eq!(kept, again);
    }

    #[test]
    fn lying_store_gives_exhausted_not_a_hang() {
        let err = generate(&spec("", 8, 5), 0, |_| true, &mut seeded(1)).unwrap_err();
        assert!(matches!(err, VoucherError::Exhausted { wanted: 5, .. }), "{err:?}");
    }

    #[test]
    fn normalize_accepts_what_users_type() {
        assert_eq!(normalize(" hs-7kq2 m9xp\t"), "HS7KQ2M9XP");
        assert_eq!(normalize("HS-7KQ2-M9XP"), "HS7KQ2M9XP");
        assert_eq!(normalize(&normalize("a b-c")), normalize("a b-c"));
        assert_eq!(normalize(""), "");
    }

    #[test]
    fn hundred_thousand_codes_timing() {
        let start = Instant::now();
        let codes = generate(&spec("HS-", 8, 100_000), 0, |_| false, &mut seeded(42)).unwrap();
        let elapsed = start.elapsed();
        assert_eq!(codes.len(), 100_000);
        println!("generated 100,000 codes of length 8 in {elapsed:?}");
    }
}
