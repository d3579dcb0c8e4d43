//! TEMPORARY stand-in (replaced by the Daraja client before commit).
pub struct Msisdn(String);
impl Msisdn {
    pub fn parse(s: &str) -> Result<Msisdn, String> {
        let d: String = s.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let d = d.trim_start_matches('+');
        let rest = if let Some(r) = d.strip_prefix("254") {
            r
        } else if let Some(r) = d.strip_prefix('0') {
            r
        } else {
            d
        };
        if rest.len() == 9
            && (rest.starts_with('7') || rest.starts_with('1'))
            && rest.bytes().all(|b| b.is_ascii_digit())
        {
            Ok(Msisdn(format!("254{rest}")))
        } else {
            Err(format!("{s} is not a Kenyan mobile number"))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
