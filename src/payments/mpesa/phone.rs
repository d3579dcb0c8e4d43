//! Kenyan mobile numbers (MSISDNs) as M-Pesa wants them: `2547XXXXXXXX` or `2541XXXXXXXX`.
//!
//! Customers type their number in many ways (`0712 345 678`, `+254-712-345678`, `712345678`);
//! [`Msisdn::parse`] normalises all of them and refuses anything that is not a Kenyan mobile number.

use std::fmt;

/// A normalised Kenyan mobile number, always 12 digits: `254` then `7` or `1` then 8 digits.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Msisdn(String);

/// Why a phone number was refused. The `Display` text can be shown to the customer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("Please enter your M-Pesa phone number.")]
    Empty,
    #[error("The phone number contains '{0}'. Use only digits, like 0712345678.")]
    InvalidCharacter(char),
    #[error("Only Kenyan (+254) numbers can pay with M-Pesa.")]
    ForeignNumber,
    #[error("The phone number has {0} digits. A Kenyan mobile number looks like 0712345678.")]
    WrongLength(usize),
    #[error("That looks like a landline or special number. Use your Safaricom mobile number, like 0712345678.")]
    NotMobile,
}

impl Msisdn {
    /// Normalise a number typed by a person. Spaces and dashes are ignored; a leading `+` is
    /// only allowed before the country code.
    pub fn parse(input: &str) -> Result<Msisdn, PhoneError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(PhoneError::Empty);
        }
        let (plus, rest) = match trimmed.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        let mut digits = String::with_capacity(12);
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' => {}
                other => return Err(PhoneError::InvalidCharacter(other)),
            }
        }
        if digits.is_empty() {
            return Err(PhoneError::Empty);
        }
        // With '+', or when too long to be a local number, the digits must start with the country code.
        let international = plus || digits.len() == 12 || (digits.len() > 10 && !digits.starts_with('0'));
        let national = if international {
            digits.strip_prefix("254").ok_or(PhoneError::ForeignNumber)?
        } else if let Some(rest) = digits.strip_prefix('0') {
            rest
        } else {
            &digits
        };
        if national.len() != 9 {
            let typed = if plus { national.len() + 3 } else { digits.len() };
            return Err(PhoneError::WrongLength(typed));
        }
        if !(national.starts_with('7') || national.starts_with('1')) {
            return Err(PhoneError::NotMobile);
        }
        Ok(Msisdn(format!("254{national}")))
    }

    /// The 12-digit form, e.g. `254712345678`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The local form customers recognise, e.g. `0712345678`.
    pub fn local(&self) -> String {
        format!("0{}", &self.0[3..])
    }
}

impl fmt::Display for Msisdn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Msisdn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Msisdn({})", self.0)
    }
}

impl std::str::FromStr for Msisdn {
    type Err = PhoneError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Msisdn::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_forms() {
        let table = [
            ("0712345678", "254712345678"),
            ("0112345678", "254112345678"),
            ("+254712345678", "254712345678"),
            ("254712345678", "254712345678"),
            ("712345678", "254712345678"),
            ("112345678", "254112345678"),
            ("0712 345 678", "254712345678"),
            ("0712-345-678", "254712345678"),
            ("+254 712 345 678", "254712345678"),
            ("+254-112-345-678", "254112345678"),
            ("  254 708 374 149 ", "254708374149"),
        ];
        for (input, want) in table {
            assert_eq!(Msisdn::parse(input).map(|m| m.0), Ok(want.to_string()), "input {input:?}");
        }
    }

    #[test]
    fn refused_forms() {
        use PhoneError::*;
        let table = [
            ("", Empty),
            ("   ", Empty),
            ("+", Empty),
            ("07123456789", WrongLength(11)),
            ("071234567", WrongLength(9)),
            ("71234567", WrongLength(8)),
            ("2547123456789", WrongLength(13)),
            ("+255712345678", ForeignNumber),
            ("+1 415 555 0100", ForeignNumber),
            ("255712345678", ForeignNumber),
            ("+25471234567", WrongLength(11)),
            ("0712345abc", InvalidCharacter('a')),
            ("0712.345.678", InvalidCharacter('.')),
            ("(0712)345678", InvalidCharacter('(')),
            ("07+12345678", InvalidCharacter('+')),
            ("0201234567", NotMobile),
            ("254201234567", NotMobile),
            ("0800123456", NotMobile),
            ("+254 20 1234567", NotMobile),
        ];
        for (input, want) in table {
            assert_eq!(Msisdn::parse(input), Err(want), "input {input:?}");
        }
    }

    #[test]
    fn forms_and_messages() {
        let m = Msisdn::parse("0712345678").unwrap();
        assert_eq!(m.as_str(), "254712345678");
        assert_eq!(m.local(), "0712345678");
        assert_eq!(m.to_string(), "254712345678");
        assert!(PhoneError::WrongLength(8).to_string().contains("8 digits"));
    }
}
